/* PNG reader on libpng's classic API: raw samples (no gamma, no colour
   management), decoded into the caller's buffer. See CImageCodecs.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include "cic_common.h"

struct cic_png_reader {
    png_structp png;            /* holds the jmp_buf that libpng errors longjmp to */
    png_infop info;
    FILE *fp;
    png_bytepp row_pointers;    /* Adam7 only: one pointer per row, freed by close */
    cic_diag diag;              /* libpng's error pointer */
    uint32_t height, rows_read;
    size_t row_bytes;
    int interlaced, finished, failed;
    uint64_t trailing_idat;     /* IDAT bytes read after the last row */
    /* A palette image is read as indices (one byte each) and expanded here, so that an
       index past the palette's end is seen: libpng 1.6 checks that only when writing. */
    int palette;
    uint32_t palette_size, width;
    uint8_t lut[256][4];        /* RGB(A) of each index; past the palette: black, opaque */
    uint32_t samples_per_pixel; /* 3, or 4 with tRNS */
    int bad_index_seen;
    int stopped;                /* stopped reading trailing image data (a warning) */
};

/* After the last row libpng inflates whatever image data remains, 1 KB at a time
   (png_read_finish_IDAT): a 1x1 image whose IDAT inflates to a gigabyte costs
   seconds. This much compressed data after the last row is more than any encoder
   leaves (the end of the zlib stream and its checksum); beyond it, reading stops. */
#define CIC_PNG_TRAILING_IDAT_MAX 65536

/* libpng's read callback: fread, with "Read Error" on a short read as libpng's
   own stdio callback (failure() tells truncation by feof); after the last row,
   stops once the image data goes on for more than CIC_PNG_TRAILING_IDAT_MAX. */
static void read_data(png_structp png, png_bytep data, size_t length) {
    cic_png_reader *r = png_get_io_ptr(png);
    /* libpng counts a pass's rows before it reads what follows the last one
       (png_read_finish_row, then png_read_finish_IDAT): the image is complete when
       the current row number is the last pass's row count. */
    png_uint_32 row = png_get_current_row_number(png);
    int complete = r->interlaced ? (r->height >= 2 && png_get_current_pass_number(png) == 6 && row == r->height / 2)
                                 : row == r->height;
    if (complete && png_get_io_chunk_type(png) == 0x49444154u /* IDAT */) {
        r->trailing_idat += length;
        if (r->trailing_idat > CIC_PNG_TRAILING_IDAT_MAX) {
            r->stopped = 1;
            png_error(png, "image data goes on after the last row; not read");
        }
    }
    if (fread(data, 1, length, r->fp) != length) png_error(png, "Read Error");
}

void cic_png_on_error(png_structp png, png_const_charp message) {
    cic_diag *diag = png_get_error_ptr(png);
    diag->saved_errno = errno;
    cic_copy_message(diag->error, sizeof diag->error, message);
    png_longjmp(png, 1);
}

void cic_png_on_warning(png_structp png, png_const_charp message) {
    cic_diag_warn(png_get_error_ptr(png), message);
}

/* Called after a longjmp: classify the error, copy libpng's message out. A
   "Read Error" at end of file means the file is truncated (libpng's stdio read
   callback reports every short read that way). */
static cic_status failure(cic_png_reader *r, char *errbuf, size_t errbuf_size) {
    r->failed = 1;
    if (ferror(r->fp))
        return cic_errno_status(CIC_CANNOT_OPEN, r->diag.saved_errno, r->diag.error, errbuf, errbuf_size);
    cic_copy_message(errbuf, errbuf_size, r->diag.error);
    if (feof(r->fp)) return CIC_TRUNCATED;
    if (strstr(r->diag.error, "ut of memory") != NULL) return CIC_OUT_OF_MEMORY;
    return CIC_CORRUPT;
}

cic_status cic_png_open(const char *path, uint64_t max_pixels, cic_png_reader **reader,
                        cic_image_info *info, char *errbuf, size_t errbuf_size) {
    *reader = NULL;
    memset(info, 0, sizeof *info);
    cic_png_reader *r = calloc(1, sizeof *r);
    if (r == NULL) return cic_errno_status(CIC_OUT_OF_MEMORY, ENOMEM, NULL, errbuf, errbuf_size);
    r->fp = cic_open_input(path, errbuf, errbuf_size);
    if (r->fp == NULL) { free(r); return CIC_CANNOT_OPEN; }
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r->diag, cic_png_on_error, cic_png_on_warning);
    if (r->png != NULL) r->info = png_create_info_struct(r->png);
    if (r->info == NULL) {
        cic_png_close(r);
        return cic_errno_status(CIC_OUT_OF_MEMORY, ENOMEM, "libpng", errbuf, errbuf_size);
    }
    if (setjmp(png_jmpbuf(r->png))) {
        cic_status status = failure(r, errbuf, errbuf_size);
        cic_png_close(r);
        return status;
    }
    png_set_read_fn(r->png, r, read_data);
#ifdef PNG_CHECK_FOR_INVALID_INDEX_SUPPORTED
    /* A palette index past the palette's end: libpng's benign error, a warning here. */
    png_set_check_for_invalid_index(r->png, 1);
#endif
    /* Dimensions up to the PNG maximum: the caller's max_pixels, checked below
       before anything image-sized is allocated, is the real limit. */
    png_set_user_limits(r->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    /* Bound what ancillary chunks may allocate (libpng's defaults, made explicit):
       the huge_*_chunk crashers claim lengths of gigabytes. */
    png_set_chunk_malloc_max(r->png, 8000000);
    png_set_chunk_cache_max(r->png, 1000);
    /* Fuzz fix: libpng 1.6.39 only warns when an ancillary chunk's length is over
       the limit above, then still allocates and memsets a buffer of that length for
       the text, sPLT, pCAL and sCAL chunks: a 57-byte file (libpng-crashers/
       huge_tEXt_chunk.png) made it commit 1-2 GB. The decoder never uses these
       chunks, so libpng skips them instead (reading through them, CRC checked). */
    static const png_byte unused_chunks[] = "tEXt\0zTXt\0iTXt\0sPLT\0pCAL\0sCAL";
    png_set_keep_unknown_chunks(r->png, PNG_HANDLE_CHUNK_NEVER, unused_chunks, 6);
    /* CRC errors: libpng's default (critical chunk: error, ancillary: warning). */
    png_read_info(r->png, r->info);

    png_uint_32 width, height;
    int depth, color, interlace;
    png_get_IHDR(r->png, r->info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    int trns = png_get_valid(r->png, r->info, PNG_INFO_tRNS) != 0;
    uint32_t channels = ((color & PNG_COLOR_MASK_COLOR) ? 3 : 1)
                      + (((color & PNG_COLOR_MASK_ALPHA) || trns) ? 1 : 0);
    if ((uint64_t)width * height > max_pixels) {
        char text[CIC_MESSAGE_MAX];
        snprintf(text, sizeof text, "%ux%u is %llu pixels, over the limit of %llu",
                 (unsigned)width, (unsigned)height, (unsigned long long)width * height,
                 (unsigned long long)max_pixels);
        cic_copy_message(errbuf, errbuf_size, text);
        cic_png_close(r);
        return CIC_TOO_LARGE;
    }
    if (color == PNG_COLOR_TYPE_PALETTE) {
        /* Indices, one byte each, expanded by expand_palette() as libpng's
           png_do_expand_palette would: an index past the palette gives black
           (libpng's palette is zero-filled to 256 entries), alpha 255 past tRNS. */
        png_colorp plte = NULL;
        int entries = 0;
        png_get_PLTE(r->png, r->info, &plte, &entries);
        png_bytep alpha = NULL;
        int alphas = 0;
        if (trns) png_get_tRNS(r->png, r->info, &alpha, &alphas, NULL);
        memset(r->lut, 0, sizeof r->lut);
        for (int i = 0; i < 256; i++) {
            if (plte != NULL && i < entries) {
                r->lut[i][0] = plte[i].red; r->lut[i][1] = plte[i].green; r->lut[i][2] = plte[i].blue;
            }
            r->lut[i][3] = (alpha != NULL && i < alphas) ? alpha[i] : 255;
        }
        r->palette = 1;
        r->palette_size = entries > 0 ? (uint32_t)entries : 0;
        r->samples_per_pixel = channels;
        r->width = width;
        if (depth < 8) png_set_packing(r->png);
    } else {
        if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
        if (trns) png_set_tRNS_to_alpha(r->png);
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (depth == 16) png_set_swap(r->png);   /* PNG stores 16-bit samples big-endian */
#endif
    png_set_interlace_handling(r->png);       /* Adam7: libpng assembles the passes */
    png_read_update_info(r->png, r->info);

    r->height = height;
    r->interlaced = interlace != PNG_INTERLACE_NONE;
    r->row_bytes = png_get_rowbytes(r->png, r->info);
    info->width = width;
    info->height = height;
    info->channels = png_get_channels(r->png, r->info);
    if (r->palette) {
        if (info->channels != 1 || r->row_bytes != (size_t)width || png_get_bit_depth(r->png, r->info) != 8) {
            cic_png_close(r);
            memset(info, 0, sizeof *info);
            return cic_misuse("libpng produced an unexpected palette layout", errbuf, errbuf_size);
        }
        info->channels = channels;
        r->row_bytes = (size_t)width * channels;
    }
    info->bit_depth = png_get_bit_depth(r->png, r->info);
    info->interlaced = (uint32_t)r->interlaced;
    info->row_bytes = r->row_bytes;
    if (info->channels != channels || (info->bit_depth != 8 && info->bit_depth != 16)
        || r->row_bytes != (size_t)width * channels * (info->bit_depth / 8)) {
        cic_png_close(r);   /* cannot happen with the transforms above; never hand out a wrong layout */
        memset(info, 0, sizeof *info);
        return cic_misuse("libpng produced an unexpected sample layout", errbuf, errbuf_size);
    }
    *reader = r;
    return CIC_OK;
}

/* Expands a row of palette indices in place (backwards: each pixel's samples
   lie at or after its index) and notes an index past the palette's end. */
static void expand_palette(cic_png_reader *r, unsigned char *row) {
    const uint32_t n = r->samples_per_pixel;
    uint32_t worst = 0;
    for (uint32_t x = r->width; x-- > 0;) {
        const uint8_t index = row[x];
        if (index >= r->palette_size && index >= worst) worst = (uint32_t)index + 1;
        const uint8_t *rgba = r->lut[index];
        for (uint32_t k = n; k-- > 0;) row[(size_t)x * n + k] = rgba[k];
    }
    if (worst > 0 && !r->bad_index_seen) {
        r->bad_index_seen = 1;
        char text[CIC_MESSAGE_MAX];
        snprintf(text, sizeof text, "palette index %u is past the end of the palette (%u entries): shown as black",
                 worst - 1, r->palette_size);
        cic_diag_warn(&r->diag, text);
    }
}

cic_status cic_png_read_rows(cic_png_reader *r, void *buffer, size_t row_stride, uint32_t rows,
                             char *errbuf, size_t errbuf_size) {
    if (r->failed) return cic_misuse("the PNG reader already failed", errbuf, errbuf_size);
    if (row_stride < r->row_bytes) return cic_misuse("row stride smaller than a row", errbuf, errbuf_size);
    if (rows > r->height - r->rows_read) return cic_misuse("more rows requested than remain", errbuf, errbuf_size);
    if (rows == 0) return CIC_OK;   /* the last row read also read the file's end */
    unsigned char *base = buffer;
    if (r->interlaced) {
        /* png_read_row would have to be called once per pass with the same
           rows, so Adam7 is read whole, with libpng's png_read_image. */
        if (r->rows_read != 0 || rows != r->height)
            return cic_misuse("an interlaced PNG must be read in one call", errbuf, errbuf_size);
        r->row_pointers = malloc(sizeof(png_bytep) * rows);
        if (r->row_pointers == NULL) return cic_errno_status(CIC_OUT_OF_MEMORY, ENOMEM, NULL, errbuf, errbuf_size);
        for (uint32_t i = 0; i < rows; i++) r->row_pointers[i] = base + (size_t)i * row_stride;
    }
    if (setjmp(png_jmpbuf(r->png))) {
        if (r->stopped) {   /* every row was delivered: the file goes on, which is only a warning */
            cic_diag_warn(&r->diag, r->diag.error);
            return CIC_OK;
        }
        return failure(r, errbuf, errbuf_size);
    }
    if (r->interlaced) {
        png_read_image(r->png, r->row_pointers);
        r->rows_read = r->height;
        if (r->palette)
            for (uint32_t i = 0; i < rows; i++) expand_palette(r, base + (size_t)i * row_stride);
    } else {
        for (uint32_t i = 0; i < rows; i++) {
            png_read_row(r->png, base + (size_t)i * row_stride, NULL);
            if (r->palette) expand_palette(r, base + (size_t)i * row_stride);
            r->rows_read++;
        }
    }
    if (r->rows_read == r->height && !r->finished) {
        /* Read the chunks after the image data up to IEND: checks the last
           IDAT's CRC and the end of the file; late ancillary chunks only warn.
           Trailing image data is a warning, and is not inflated past a bound. */
        r->finished = 1;
        png_read_end(r->png, NULL);
    }
    return CIC_OK;
}

cic_status cic_png_read_image(cic_png_reader *r, void *buffer, size_t row_stride,
                              char *errbuf, size_t errbuf_size) {
    return cic_png_read_rows(r, buffer, row_stride, r->height - r->rows_read, errbuf, errbuf_size);
}

uint32_t cic_png_warning_count(const cic_png_reader *r) { return r->diag.warnings; }
const char *cic_png_first_warning(const cic_png_reader *r) { return r->diag.kind_text[0]; }
uint32_t cic_png_warning_kinds(const cic_png_reader *r) { return r->diag.kinds; }
const char *cic_png_warning_kind(const cic_png_reader *r, uint32_t index, uint32_t *count) {
    return cic_diag_kind(&r->diag, index, count);
}

const uint8_t *cic_png_exif(const cic_png_reader *r, size_t *length) {
    *length = 0;
#ifdef PNG_eXIf_SUPPORTED
    png_bytep exif = NULL;
    png_uint_32 size = 0;
    /* Only an eXIf chunk before the image data is known here; libpng keeps it in info. */
    if (png_get_eXIf_1(r->png, r->info, &size, &exif) != 0 && exif != NULL) {
        *length = size;
        return exif;
    }
#endif
    return NULL;
}

void cic_png_close(cic_png_reader *r) {
    if (r == NULL) return;
    if (r->png != NULL) png_destroy_read_struct(&r->png, r->info != NULL ? &r->info : NULL, NULL);
    if (r->fp != NULL) fclose(r->fp);
    free(r->row_pointers);
    free(r);
}
