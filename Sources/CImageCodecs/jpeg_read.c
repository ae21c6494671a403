/* JPEG reader on the libjpeg API (libjpeg-turbo, 8-bit samples), decoded into
   the caller's buffer in batches of scanlines. See CImageCodecs.h. */
#include <errno.h>
#include <setjmp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>     /* jpeglib.h needs FILE and size_t declared first */
#include <jpeglib.h>
#include <jerror.h>
#include "cic_common.h"

/* A progressive file can hold thousands of tiny scans that each cost a pass
   over the image (libjpeg-turbo's advice for untrusted input, whose fuzzers stop
   at 500); real encoders write about 10, and at most about 20. The default limit,
   which cic_read_limits.max_scans can raise. */
#define CIC_JPEG_DEFAULT_MAX_SCANS 100

struct cic_jpeg_reader {
    struct jpeg_decompress_struct cinfo;   /* client_data points back to this reader */
    struct jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;                          /* where error_exit longjmps to: re-armed by every entry point */
    FILE *fp;
    cic_diag diag;
    cic_status own_error;                  /* set when our own callback raises the error */
    char eof_warning[JMSG_LENGTH_MAX];     /* libjpeg's "Premature end of JPEG file", once seen */
    int allow_truncated;                   /* CIC_JPEG_ALLOW_TRUNCATED: the EOF warning is only a warning */
    uint32_t max_scans;
    uint8_t *exif;                         /* a copy of the first EXIF APP1's TIFF data, or NULL */
    size_t exif_length;
    size_t row_bytes;
    int invert;                            /* Adobe CMYK is stored inverted */
    int started, finished, failed;         /* started: jpeg_start_decompress has run */
};

/* error_exit: replaces libjpeg's print-and-exit(). Keep the message, unwind to the entry point. */
static void on_error_exit(j_common_ptr cinfo) {
    cic_jpeg_reader *r = cinfo->client_data;
    (*cinfo->err->output_message)(cinfo);
    longjmp(r->jump, 1);
}

/* output_message: replaces libjpeg's fprintf(stderr): stores the current message. */
static void on_output_message(j_common_ptr cinfo) {
    cic_jpeg_reader *r = cinfo->client_data;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    cic_copy_message(r->diag.error, sizeof r->diag.error, text);
}

/* emit_message: level -1 is a warning (count it, keep the first, note a
   truncation), levels >= 0 are trace messages (ignored). Never prints. */
static void on_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    cic_jpeg_reader *r = cinfo->client_data;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    cinfo->err->num_warnings++;
    cic_diag_warn_code(&r->diag, cinfo->err->msg_code, text);
    /* libjpeg's stdio source says "Premature end of JPEG file" when fread returns 0,
       whether the file ended or the read failed: a failed read keeps its errno. */
    if (cinfo->err->msg_code == JWRN_JPEG_EOF && r->fp != NULL && ferror(r->fp)) {
        r->diag.saved_errno = errno != 0 ? errno : EIO;
        r->own_error = CIC_CANNOT_OPEN;
        cic_copy_message(r->diag.error, sizeof r->diag.error, "cannot read");
        longjmp(r->jump, 1);
    }
    if (cinfo->err->msg_code == JWRN_JPEG_EOF && r->eof_warning[0] == '\0') {
        cic_copy_message(r->eof_warning, sizeof r->eof_warning, text);
        /* Truncation is an error: stop here rather than let libjpeg pad the rest of
           the image with grey, which would touch all of its (possibly huge) buffers
           for a file of a few bytes. Unwinds like error_exit; failure() reports it. */
        if (!r->allow_truncated) {
            cic_copy_message(r->diag.error, sizeof r->diag.error, text);
            longjmp(r->jump, 1);
        }
    }
}

static void on_progress(j_common_ptr cinfo) {
    cic_jpeg_reader *r = cinfo->client_data;
    if (((j_decompress_ptr)cinfo)->input_scan_number > (int)r->max_scans) {
        snprintf(r->diag.error, sizeof r->diag.error,
                 "more than %u scans in a progressive JPEG (real files have about 10 to 20)", r->max_scans);
        r->own_error = CIC_CORRUPT;
        longjmp(r->jump, 1);
    }
}

/* Whether libjpeg has run out of data and padded with grey, and that is an
   error for this reader (the default; CIC_JPEG_ALLOW_TRUNCATED makes it a warning). */
static int truncation_is_error(const cic_jpeg_reader *r) {
    return r->eof_warning[0] != '\0' && !r->allow_truncated;
}

/* Truncation is an error by default, though libjpeg only warns and pads with grey. */
static cic_status truncated(cic_jpeg_reader *r, char *errbuf, size_t errbuf_size) {
    r->failed = 1;
    cic_copy_message(errbuf, errbuf_size, r->eof_warning);
    return CIC_TRUNCATED;
}

/* Called after a longjmp: classify by libjpeg's message code. */
static cic_status failure(cic_jpeg_reader *r, char *errbuf, size_t errbuf_size) {
    r->failed = 1;
    if (r->own_error == CIC_CANNOT_OPEN)   /* a read failed: the system's words */
        return cic_errno_status(CIC_CANNOT_OPEN, r->diag.saved_errno, r->diag.error, errbuf, errbuf_size);
    if (r->eof_warning[0] != '\0') {   /* the error is a consequence of the missing data */
        char text[2 * CIC_MESSAGE_MAX];
        if (strcmp(r->diag.error, r->eof_warning) == 0)   /* stopped at the warning itself */
            snprintf(text, sizeof text, "%s", r->eof_warning);
        else
            snprintf(text, sizeof text, "%s (%s)", r->eof_warning, r->diag.error);
        cic_copy_message(errbuf, errbuf_size, text);
        return CIC_TRUNCATED;
    }
    cic_copy_message(errbuf, errbuf_size, r->diag.error);
    if (r->own_error != CIC_OK) return r->own_error;
    switch (r->err.msg_code) {
    case JERR_BAD_PRECISION:      /* 12-bit: needs libjpeg-turbo 3's separate 12-bit API */
    case JERR_SOF_UNSUPPORTED:    /* lossless, hierarchical */
    case JERR_NOT_COMPILED:
    case JERR_CONVERSION_NOTIMPL:
        return CIC_UNSUPPORTED;
    case JERR_OUT_OF_MEMORY:
        return CIC_OUT_OF_MEMORY;
    default:
        return CIC_CORRUPT;
    }
}

/* Finds the first APP1 marker that holds EXIF ("Exif\0" and a pad byte, then
   a TIFF header) among the markers libjpeg saved, wherever it sits among the
   other APPn markers (some writers put it before JFIF's APP0). The bytes are
   copied: libjpeg frees saved markers with the image pool when decoding ends.
   The TIFF structure is parsed by the caller. Out of memory: no EXIF. */
static void find_exif(cic_jpeg_reader *r) {
    for (jpeg_saved_marker_ptr m = r->cinfo.marker_list; m != NULL; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp(m->data, "Exif\0", 5) == 0) {
            size_t length = m->data_length - 6;
            r->exif = malloc(length);
            if (r->exif == NULL) return;
            memcpy(r->exif, m->data + 6, length);
            r->exif_length = length;
            return;
        }
    }
}

cic_status cic_jpeg_open(const char *path, uint64_t max_pixels, cic_jpeg_reader **reader,
                         cic_image_info *info, char *errbuf, size_t errbuf_size) {
    return cic_jpeg_open_with_flags(path, max_pixels, 0, reader, info, errbuf, errbuf_size);
}

cic_status cic_jpeg_open_with_flags(const char *path, uint64_t max_pixels, uint32_t flags,
                                    cic_jpeg_reader **reader, cic_image_info *info,
                                    char *errbuf, size_t errbuf_size) {
    cic_read_limits limits = {max_pixels, 0, 0, flags};
    return cic_jpeg_open_limited(path, &limits, reader, info, errbuf, errbuf_size);
}

/* The bytes libjpeg's coefficient controller allocates for a buffered image
   (jdcoefct.c: each component's blocks, rounded up to its sampling factors,
   64 coefficients of 2 bytes each). */
static uint64_t coefficient_bytes(const struct jpeg_decompress_struct *cinfo) {
    uint64_t total = 0;
    for (int c = 0; c < cinfo->num_components; c++) {
        const jpeg_component_info *comp = &cinfo->comp_info[c];
        uint64_t w = comp->width_in_blocks, h = comp->height_in_blocks;
        uint64_t hs = comp->h_samp_factor > 0 ? (uint64_t)comp->h_samp_factor : 1;
        uint64_t vs = comp->v_samp_factor > 0 ? (uint64_t)comp->v_samp_factor : 1;
        total += ((w + hs - 1) / hs * hs) * ((h + vs - 1) / vs * vs) * 64 * 2;
    }
    return total;
}

cic_status cic_jpeg_open_limited(const char *path, const cic_read_limits *limits,
                                 cic_jpeg_reader **reader, cic_image_info *info,
                                 char *errbuf, size_t errbuf_size) {
    const uint64_t max_pixels = limits->max_pixels;
    const uint32_t flags = limits->flags;
    *reader = NULL;
    memset(info, 0, sizeof *info);
    cic_jpeg_reader *r = calloc(1, sizeof *r);
    if (r == NULL) return cic_errno_status(CIC_OUT_OF_MEMORY, ENOMEM, NULL, errbuf, errbuf_size);
    r->fp = cic_open_input(path, errbuf, errbuf_size);
    if (r->fp == NULL) { free(r); return CIC_CANNOT_OPEN; }
    r->cinfo.err = jpeg_std_error(&r->err);
    r->err.error_exit = on_error_exit;
    r->err.output_message = on_output_message;
    r->err.emit_message = on_emit_message;
    r->cinfo.client_data = r;
    r->allow_truncated = (flags & CIC_JPEG_ALLOW_TRUNCATED) != 0;
    r->max_scans = limits->max_scans != 0 ? limits->max_scans : CIC_JPEG_DEFAULT_MAX_SCANS;
    if (setjmp(r->jump)) {
        cic_status status = failure(r, errbuf, errbuf_size);
        cic_jpeg_close(r);
        return status;
    }
    jpeg_create_decompress(&r->cinfo);     /* keeps err and client_data */
    /* libjpeg's own cap: a buffered image larger than this would need a backing store,
       which this build does not have, so the decoder fails instead of allocating. */
    if (limits->max_memory != 0) r->cinfo.mem->max_memory_to_use = (long)(limits->max_memory > (uint64_t)LONG_MAX ? (uint64_t)LONG_MAX : limits->max_memory);
    r->progress.progress_monitor = on_progress;
    r->cinfo.progress = &r->progress;
    jpeg_stdio_src(&r->cinfo, r->fp);
    /* Keep APP1 segments (EXIF, XMP; at most 64 KB each, the segment limit) for
       the orientation; other APPn markers are skipped. */
    jpeg_save_markers(&r->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&r->cinfo, TRUE);
    find_exif(r);

    switch (r->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        r->cinfo.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        r->cinfo.out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:                         /* libjpeg converts YCCK to CMYK */
        r->cinfo.out_color_space = JCS_CMYK;
        r->invert = r->cinfo.saw_Adobe_marker;
        break;
    default: {
        char text[CIC_MESSAGE_MAX];
        snprintf(text, sizeof text, "unsupported JPEG colour space %d with %d components",
                 (int)r->cinfo.jpeg_color_space, r->cinfo.num_components);
        cic_copy_message(errbuf, errbuf_size, text);
        cic_jpeg_close(r);
        return CIC_UNSUPPORTED;
    }
    }
    r->cinfo.dct_method = JDCT_ISLOW;      /* the default, stated: results match djpeg */
    jpeg_calc_output_dimensions(&r->cinfo);
    uint64_t pixels = (uint64_t)r->cinfo.output_width * r->cinfo.output_height;
    if (pixels > max_pixels) {
        char text[CIC_MESSAGE_MAX];
        snprintf(text, sizeof text, "%ux%u is %llu pixels, over the limit of %llu",
                 (unsigned)r->cinfo.output_width, (unsigned)r->cinfo.output_height,
                 (unsigned long long)pixels, (unsigned long long)max_pixels);
        cic_copy_message(errbuf, errbuf_size, text);
        cic_jpeg_close(r);
        return CIC_TOO_LARGE;
    }
    /* A file with several scans (progressive, or baseline with one scan per
       component) is buffered whole as DCT coefficients: check that before
       jpeg_start_decompress allocates (and zeroes) them. */
    uint64_t buffered = jpeg_has_multiple_scans(&r->cinfo) ? coefficient_bytes(&r->cinfo) : 0;
    if (limits->max_memory != 0 && buffered > limits->max_memory) {
        char text[CIC_MESSAGE_MAX];
        snprintf(text, sizeof text, "a %ux%u JPEG with several scans needs %llu bytes for its coefficients, "
                 "more than the memory budget of %llu bytes",
                 (unsigned)r->cinfo.output_width, (unsigned)r->cinfo.output_height,
                 (unsigned long long)buffered, (unsigned long long)limits->max_memory);
        cic_copy_message(errbuf, errbuf_size, text);
        cic_jpeg_close(r);
        return CIC_TOO_LARGE;
    }
    info->buffered_bytes = buffered;
    /* jpeg_start_decompress waits for the first read: it allocates the
       decoder and reads a progressive file in full, which opening (to learn
       the shape, name outputs, or skip an input whose outputs exist) does not
       need. The output dimensions are known from jpeg_calc_output_dimensions. */
    r->row_bytes = (size_t)r->cinfo.output_width * (size_t)r->cinfo.output_components;
    info->width = r->cinfo.output_width;
    info->height = r->cinfo.output_height;
    info->channels = (uint32_t)r->cinfo.output_components;
    info->bit_depth = 8;
    info->row_bytes = r->row_bytes;
    *reader = r;
    return CIC_OK;
}

cic_status cic_jpeg_read_rows(cic_jpeg_reader *r, void *buffer, size_t row_stride, uint32_t rows,
                              char *errbuf, size_t errbuf_size) {
    if (r->failed) return cic_misuse("the JPEG reader already failed", errbuf, errbuf_size);
    if (row_stride < r->row_bytes) return cic_misuse("row stride smaller than a row", errbuf, errbuf_size);
    if (rows > r->cinfo.output_height - r->cinfo.output_scanline)
        return cic_misuse("more rows requested than remain", errbuf, errbuf_size);
    unsigned char *base = buffer;
    const JDIMENSION first = r->cinfo.output_scanline, end = first + rows;
    if (setjmp(r->jump)) return failure(r, errbuf, errbuf_size);
    /* Progress lives in cinfo.output_scanline (heap), so no local changes between setjmp and longjmp matter. */
    if (!r->started) {
        r->started = 1;
        jpeg_start_decompress(&r->cinfo);   /* a progressive file is read in full here */
        if (truncation_is_error(r)) return truncated(r, errbuf, errbuf_size);
    }
    while (r->cinfo.output_scanline < end) {
        JSAMPROW batch[16];
        JDIMENSION start = r->cinfo.output_scanline;
        JDIMENSION want = end - start < 16 ? end - start : 16;
        for (JDIMENSION i = 0; i < want; i++) batch[i] = base + (size_t)(start - first + i) * row_stride;
        JDIMENSION got = jpeg_read_scanlines(&r->cinfo, batch, want);
        if (r->invert)
            for (JDIMENSION i = 0; i < got; i++)
                for (size_t k = 0; k < r->row_bytes; k++) batch[i][k] = (JSAMPLE)(255 - batch[i][k]);
        if (truncation_is_error(r)) return truncated(r, errbuf, errbuf_size);
        if (got == 0) {   /* only a suspending data source returns 0; the stdio one never does */
            r->failed = 1;
            return cic_misuse("libjpeg returned no scanlines", errbuf, errbuf_size);
        }
    }
    if (r->cinfo.output_scanline == r->cinfo.output_height && !r->finished) {
        jpeg_finish_decompress(&r->cinfo);   /* reads up to EOI */
        r->finished = 1;
        if (truncation_is_error(r)) return truncated(r, errbuf, errbuf_size);
    }
    return CIC_OK;
}

cic_status cic_jpeg_read_image(cic_jpeg_reader *r, void *buffer, size_t row_stride,
                               char *errbuf, size_t errbuf_size) {
    return cic_jpeg_read_rows(r, buffer, row_stride, r->cinfo.output_height - r->cinfo.output_scanline,
                              errbuf, errbuf_size);
}

uint32_t cic_jpeg_warning_count(const cic_jpeg_reader *r) { return r->diag.warnings; }
const char *cic_jpeg_first_warning(const cic_jpeg_reader *r) { return r->diag.kind_text[0]; }
uint32_t cic_jpeg_warning_kinds(const cic_jpeg_reader *r) { return r->diag.kinds; }
const char *cic_jpeg_warning_kind(const cic_jpeg_reader *r, uint32_t index, uint32_t *count) {
    return cic_diag_kind(&r->diag, index, count);
}
int cic_jpeg_truncated(const cic_jpeg_reader *r) { return r->eof_warning[0] != '\0'; }

const uint8_t *cic_jpeg_exif(const cic_jpeg_reader *r, size_t *length) {
    *length = r->exif_length;
    return r->exif;
}

void cic_jpeg_close(cic_jpeg_reader *r) {
    if (r == NULL) return;
    jpeg_destroy_decompress(&r->cinfo);    /* safe on a never-created or failed decompressor */
    if (r->fp != NULL) fclose(r->fp);
    free(r->exif);
    free(r);
}
