/* JPEG writer (8-bit grayscale or RGB, baseline) on the libjpeg API, row by
   row from the caller's buffer, into a descriptor the caller opened (never a
   path: the Swift layer creates a temporary file with O_EXCL | O_NOFOLLOW,
   renames it into place, or removes it). See
   CImageCodecs.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>     /* jpeglib.h needs FILE and size_t declared first */
#include <jpeglib.h>
#include <jerror.h>
#include "cic_common.h"

struct cic_jpeg_writer {
    struct jpeg_compress_struct cinfo;     /* client_data points back to this writer */
    struct jpeg_error_mgr err;
    jmp_buf jump;                          /* where error_exit longjmps to: re-armed by every entry point */
    FILE *fp;
    cic_diag diag;
    size_t row_bytes;
    int failed;
};

/* error_exit: replaces libjpeg's print-and-exit(). Keep the message and errno
   (a short fwrite in libjpeg's stdio destination raises JERR_FILE_WRITE right
   after the call), unwind to the entry point. */
static void on_error_exit(j_common_ptr cinfo) {
    cic_jpeg_writer *w = cinfo->client_data;
    w->diag.saved_errno = errno;
    (*cinfo->err->output_message)(cinfo);
    longjmp(w->jump, 1);
}

static void on_output_message(j_common_ptr cinfo) {
    cic_jpeg_writer *w = cinfo->client_data;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    cic_copy_message(w->diag.error, sizeof w->diag.error, text);
}

/* Warnings are counted (the compressor hardly gives any), trace messages ignored. Never prints. */
static void on_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    cic_jpeg_writer *w = cinfo->client_data;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    cinfo->err->num_warnings++;
    cic_diag_warn_code(&w->diag, cinfo->err->msg_code, text);
}

/* After a longjmp: an I/O failure carries errno's text. */
static cic_status failure(cic_jpeg_writer *w, char *errbuf, size_t errbuf_size) {
    w->failed = 1;
    if (w->fp != NULL && ferror(w->fp))
        return cic_errno_status(CIC_WRITE_FAILED, w->diag.saved_errno, w->diag.error, errbuf, errbuf_size);
    cic_copy_message(errbuf, errbuf_size, w->diag.error);
    return w->err.msg_code == JERR_OUT_OF_MEMORY ? CIC_OUT_OF_MEMORY : CIC_WRITE_FAILED;
}

cic_jpeg_write_options cic_jpeg_write_options_default(void) {
    cic_jpeg_write_options options = {90, 1};
    return options;
}

cic_status cic_jpeg_writer_open(int fd, uint32_t width, uint32_t height, cic_jpeg_color color,
                                const cic_jpeg_write_options *options, cic_jpeg_writer **writer,
                                char *errbuf, size_t errbuf_size) {
    *writer = NULL;
    cic_jpeg_write_options o = options != NULL ? *options : cic_jpeg_write_options_default();
    if (color != CIC_JPEG_COLOR_GRAY && color != CIC_JPEG_COLOR_RGB)
        return cic_misuse("JPEG colour must be gray or RGB", errbuf, errbuf_size);
    if (width == 0 || height == 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION)
        return cic_misuse("JPEG width and height must be 1...65500", errbuf, errbuf_size);
    if (o.quality < 1 || o.quality > 100)
        return cic_misuse("JPEG quality must be 1...100", errbuf, errbuf_size);

    cic_jpeg_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return cic_errno_status(CIC_OUT_OF_MEMORY, ENOMEM, NULL, errbuf, errbuf_size);
    w->fp = cic_open_output(fd);
    if (w->fp == NULL) {
        int err = errno;
        free(w);
        return cic_errno_status(CIC_CANNOT_OPEN, err, NULL, errbuf, errbuf_size);
    }
    w->cinfo.err = jpeg_std_error(&w->err);
    w->err.error_exit = on_error_exit;
    w->err.output_message = on_output_message;
    w->err.emit_message = on_emit_message;
    w->cinfo.client_data = w;
    if (setjmp(w->jump)) {
        cic_status status = failure(w, errbuf, errbuf_size);
        cic_jpeg_writer_abort(w);
        return status;
    }
    jpeg_create_compress(&w->cinfo);       /* keeps err and client_data */
    jpeg_stdio_dest(&w->cinfo, w->fp);
    w->cinfo.image_width = width;
    w->cinfo.image_height = height;
    w->cinfo.input_components = (int)color;   /* the enum's values are the sample counts */
    w->cinfo.in_color_space = color == CIC_JPEG_COLOR_RGB ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&w->cinfo);          /* JFIF, YCbCr for RGB, Huffman, islow DCT */
    /* force_baseline: quantisation values clamped to 1...255, so every decoder reads the file. */
    jpeg_set_quality(&w->cinfo, o.quality, TRUE);
    w->cinfo.optimize_coding = o.optimize_coding != 0 ? TRUE : FALSE;
    w->cinfo.dct_method = JDCT_ISLOW;
    if (color == CIC_JPEG_COLOR_RGB)       /* 4:4:4: filter maps and colormaps have sharp colour edges */
        for (int c = 0; c < w->cinfo.num_components; c++)
            w->cinfo.comp_info[c].h_samp_factor = w->cinfo.comp_info[c].v_samp_factor = 1;
    jpeg_start_compress(&w->cinfo, TRUE);  /* writes SOI and the JFIF APP0 */
    w->row_bytes = (size_t)width * (size_t)color;
    *writer = w;
    return CIC_OK;
}

cic_status cic_jpeg_writer_write_rows(cic_jpeg_writer *w, const void *samples, size_t row_stride,
                                      uint32_t rows, char *errbuf, size_t errbuf_size) {
    if (w->failed) return cic_misuse("the JPEG writer already failed", errbuf, errbuf_size);
    if (row_stride < w->row_bytes) return cic_misuse("row stride smaller than a row", errbuf, errbuf_size);
    if (rows > w->cinfo.image_height - w->cinfo.next_scanline)
        return cic_misuse("more rows than the image has", errbuf, errbuf_size);
    const unsigned char *base = samples;
    const JDIMENSION first = w->cinfo.next_scanline, end = first + rows;
    if (setjmp(w->jump)) return failure(w, errbuf, errbuf_size);
    /* Progress lives in cinfo.next_scanline (heap): no local changes between setjmp and longjmp matter. */
    while (w->cinfo.next_scanline < end) {
        JSAMPROW batch[16];
        JDIMENSION start = w->cinfo.next_scanline;
        JDIMENSION want = end - start < 16 ? end - start : 16;
        /* libjpeg only reads the rows (JSAMPROW is not const-qualified). */
        for (JDIMENSION i = 0; i < want; i++)
            batch[i] = (JSAMPROW)(base + (size_t)(start - first + i) * row_stride);
        if (jpeg_write_scanlines(&w->cinfo, batch, want) == 0) {   /* only a suspending destination does that */
            w->failed = 1;
            return cic_misuse("libjpeg accepted no scanlines", errbuf, errbuf_size);
        }
    }
    return CIC_OK;
}

cic_status cic_jpeg_writer_finish(cic_jpeg_writer *w, char *errbuf, size_t errbuf_size) {
    if (w->failed || w->cinfo.next_scanline != w->cinfo.image_height) {
        const char *why = w->failed ? "the JPEG writer already failed" : "not all rows were written";
        cic_jpeg_writer_abort(w);
        return cic_misuse(why, errbuf, errbuf_size);
    }
    if (setjmp(w->jump)) {
        cic_status status = failure(w, errbuf, errbuf_size);
        cic_jpeg_writer_abort(w);
        return status;
    }
    /* With optimize_coding the entropy coding happens here, from the buffered coefficients;
       then EOI, and libjpeg's stdio destination fflush()es and checks ferror. */
    jpeg_finish_compress(&w->cinfo);
    FILE *fp = w->fp;
    w->fp = NULL;
    cic_jpeg_writer_abort(w);   /* frees libjpeg's structures; the file is already detached */
    if (fclose(fp) != 0) return cic_errno_status(CIC_WRITE_FAILED, errno, "close", errbuf, errbuf_size);
    return CIC_OK;
}

uint32_t cic_jpeg_writer_warning_count(const cic_jpeg_writer *w) { return w->diag.warnings; }

void cic_jpeg_writer_abort(cic_jpeg_writer *w) {
    if (w == NULL) return;
    jpeg_destroy_compress(&w->cinfo);      /* safe on a never-created or half-written compressor */
    if (w->fp != NULL) fclose(w->fp);
    free(w);
}

cic_status cic_jpeg_write(int fd, const void *samples, uint32_t width, uint32_t height,
                          cic_jpeg_color color, size_t row_stride, const cic_jpeg_write_options *options,
                          char *errbuf, size_t errbuf_size) {
    cic_jpeg_writer *w = NULL;
    cic_status status = cic_jpeg_writer_open(fd, width, height, color, options, &w, errbuf, errbuf_size);
    if (status != CIC_OK) return status;
    status = cic_jpeg_writer_write_rows(w, samples, row_stride, height, errbuf, errbuf_size);
    if (status != CIC_OK) {
        cic_jpeg_writer_abort(w);
        return status;
    }
    return cic_jpeg_writer_finish(w, errbuf, errbuf_size);
}
