/* PNG writer (gray, gray+alpha, RGB, RGBA; 8- or 16-bit) on libpng, row by
   row from the caller's buffer, into a descriptor the caller opened (never a path: the Swift
   layer creates a temporary file with O_EXCL | O_NOFOLLOW, renames it into place, or removes it). See CImageCodecs.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include <zlib.h>
#include "cic_common.h"

/* The header's constants mirror libpng's and zlib's, so they pass straight through. */
_Static_assert(CIC_PNG_FILTER_NONE == PNG_FILTER_NONE && CIC_PNG_FILTER_SUB == PNG_FILTER_SUB
               && CIC_PNG_FILTER_UP == PNG_FILTER_UP && CIC_PNG_FILTER_AVG == PNG_FILTER_AVG
               && CIC_PNG_FILTER_PAETH == PNG_FILTER_PAETH, "PNG filter bits differ from png.h");
_Static_assert(CIC_ZLIB_DEFAULT_STRATEGY == Z_DEFAULT_STRATEGY && CIC_ZLIB_FILTERED == Z_FILTERED
               && CIC_ZLIB_HUFFMAN_ONLY == Z_HUFFMAN_ONLY && CIC_ZLIB_RLE == Z_RLE
               && CIC_ZLIB_FIXED == Z_FIXED, "zlib strategies differ from zlib.h");

struct cic_png_writer {
    png_structp png;            /* holds the jmp_buf that libpng errors longjmp to */
    png_infop info;
    FILE *fp;
    cic_diag diag;              /* libpng's error pointer */
    uint32_t height, rows_written;
    size_t row_bytes;
    int failed;
};

cic_png_write_options cic_png_write_options_fast(void) {
    cic_png_write_options options = {1, CIC_ZLIB_RLE, CIC_PNG_FILTER_SUB};
    return options;
}

/* After a longjmp: libpng's stdio write callback reports a short fwrite as
   "Write Error"; add errno's text (e.g. "No space left on device"). */
static cic_status failure(cic_png_writer *w, char *errbuf, size_t errbuf_size) {
    w->failed = 1;
    if (ferror(w->fp))
        return cic_errno_status(CIC_WRITE_FAILED, w->diag.saved_errno, w->diag.error, errbuf, errbuf_size);
    cic_copy_message(errbuf, errbuf_size, w->diag.error);
    return strstr(w->diag.error, "ut of memory") != NULL ? CIC_OUT_OF_MEMORY : CIC_WRITE_FAILED;
}

cic_status cic_png_writer_open(int fd, uint32_t width, uint32_t height, uint32_t bit_depth,
                               const cic_png_write_options *options, cic_png_writer **writer,
                               char *errbuf, size_t errbuf_size) {
    return cic_png_writer_open_color(fd, width, height, bit_depth, CIC_PNG_COLOR_GRAY, options,
                                     writer, errbuf, errbuf_size);
}

cic_status cic_png_writer_open_color(int fd, uint32_t width, uint32_t height, uint32_t bit_depth,
                                     cic_png_color color, const cic_png_write_options *options,
                                     cic_png_writer **writer, char *errbuf, size_t errbuf_size) {
    *writer = NULL;
    cic_png_write_options o = options != NULL ? *options : cic_png_write_options_fast();
    int color_type;
    switch (color) {
    case CIC_PNG_COLOR_GRAY: color_type = PNG_COLOR_TYPE_GRAY; break;
    case CIC_PNG_COLOR_GRAY_ALPHA: color_type = PNG_COLOR_TYPE_GRAY_ALPHA; break;
    case CIC_PNG_COLOR_RGB: color_type = PNG_COLOR_TYPE_RGB; break;
    case CIC_PNG_COLOR_RGBA: color_type = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default: return cic_misuse("PNG colour must be gray, gray+alpha, RGB or RGBA", errbuf, errbuf_size);
    }
    const uint32_t samples_per_pixel = (uint32_t)color;   /* the enum's values are the sample counts */
    if (width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX)
        return cic_misuse("PNG width and height must be 1...2^31-1", errbuf, errbuf_size);
    if (bit_depth != 8 && bit_depth != 16)
        return cic_misuse("PNG bit depth must be 8 or 16", errbuf, errbuf_size);
    if (o.zlib_level < 0 || o.zlib_level > 9 || o.zlib_strategy < -1 || o.zlib_strategy > Z_FIXED
        || (o.filters & ~PNG_ALL_FILTERS) != 0)
        return cic_misuse("invalid PNG compression options", errbuf, errbuf_size);

    cic_png_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return cic_errno_status(CIC_OUT_OF_MEMORY, ENOMEM, NULL, errbuf, errbuf_size);
    w->fp = cic_open_output(fd);
    if (w->fp == NULL) {
        int err = errno;
        free(w);
        return cic_errno_status(CIC_CANNOT_OPEN, err, NULL, errbuf, errbuf_size);
    }
    w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w->diag, cic_png_on_error, cic_png_on_warning);
    if (w->png != NULL) w->info = png_create_info_struct(w->png);
    if (w->info == NULL) {
        cic_png_writer_abort(w);
        return cic_errno_status(CIC_OUT_OF_MEMORY, ENOMEM, "libpng", errbuf, errbuf_size);
    }
    if (setjmp(png_jmpbuf(w->png))) {
        cic_status status = failure(w, errbuf, errbuf_size);
        cic_png_writer_abort(w);
        return status;
    }
    png_init_io(w->png, w->fp);
    /* libpng refuses to write more than 1,000,000 pixels each way by default: lift it to what the
       reader accepts (png_read.c), so that every image that decodes can be written. */
    png_set_user_limits(w->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_IHDR(w->png, w->info, width, height, (int)bit_depth, color_type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(w->png, o.zlib_level);
    if (o.zlib_strategy >= 0) png_set_compression_strategy(w->png, o.zlib_strategy);
    if (o.filters != 0) png_set_filter(w->png, PNG_FILTER_TYPE_BASE, o.filters);
    png_write_info(w->png, w->info);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) png_set_swap(w->png);   /* host order in, big-endian in the file */
#endif
    w->height = height;
    w->row_bytes = (size_t)width * samples_per_pixel * (bit_depth / 8);
    *writer = w;
    return CIC_OK;
}

cic_status cic_png_writer_write_rows(cic_png_writer *w, const void *samples, size_t row_stride,
                                     uint32_t rows, char *errbuf, size_t errbuf_size) {
    if (w->failed) return cic_misuse("the PNG writer already failed", errbuf, errbuf_size);
    if (row_stride < w->row_bytes) return cic_misuse("row stride smaller than a row", errbuf, errbuf_size);
    if (rows > w->height - w->rows_written) return cic_misuse("more rows than the image has", errbuf, errbuf_size);
    const unsigned char *base = samples;
    if (setjmp(png_jmpbuf(w->png))) return failure(w, errbuf, errbuf_size);
    /* libpng copies each row before transforming it (the 16-bit swap): the caller's buffer stays unchanged. */
    for (uint32_t i = 0; i < rows; i++) {
        png_write_row(w->png, base + (size_t)i * row_stride);
        w->rows_written++;
    }
    return CIC_OK;
}

cic_status cic_png_writer_finish(cic_png_writer *w, char *errbuf, size_t errbuf_size) {
    if (w->failed || w->rows_written != w->height) {
        const char *why = w->failed ? "the PNG writer already failed" : "not all rows were written";
        cic_png_writer_abort(w);
        return cic_misuse(why, errbuf, errbuf_size);
    }
    if (setjmp(png_jmpbuf(w->png))) {
        cic_status status = failure(w, errbuf, errbuf_size);
        cic_png_writer_abort(w);
        return status;
    }
    png_write_end(w->png, NULL);
    FILE *fp = w->fp;
    w->fp = NULL;
    cic_png_writer_abort(w);   /* frees libpng's structures; the file is already detached */
    /* Buffered data reaches the disk here: a full disk shows up in fclose. */
    if (fclose(fp) != 0) return cic_errno_status(CIC_WRITE_FAILED, errno, "close", errbuf, errbuf_size);
    return CIC_OK;
}

void cic_png_writer_abort(cic_png_writer *w) {
    if (w == NULL) return;
    if (w->png != NULL) png_destroy_write_struct(&w->png, w->info != NULL ? &w->info : NULL);
    if (w->fp != NULL) fclose(w->fp);
    free(w);
}

cic_status cic_png_write_gray(int fd, const void *samples, uint32_t width, uint32_t height,
                              uint32_t bit_depth, size_t row_stride, const cic_png_write_options *options,
                              char *errbuf, size_t errbuf_size) {
    cic_png_writer *w = NULL;
    cic_status status = cic_png_writer_open(fd, width, height, bit_depth, options, &w, errbuf, errbuf_size);
    if (status != CIC_OK) return status;
    status = cic_png_writer_write_rows(w, samples, row_stride, height, errbuf, errbuf_size);
    if (status != CIC_OK) {
        cic_png_writer_abort(w);
        return status;
    }
    return cic_png_writer_finish(w, errbuf, errbuf_size);
}
