/*
 * CImageCodecs: the only code in filterbank that calls libpng and libjpeg.
 *
 * Why a C shim at all: both libraries report errors by longjmp-ing out of a
 * callback. Swift cannot call setjmp, and a longjmp across Swift frames skips
 * their cleanup. So every library call and every callback lives in C; each
 * entry point below owns its setjmp and turns a library error into a
 * `cic_status` plus the library's own message, copied into the caller's
 * `errbuf` (always NUL-terminated, truncated to `errbuf_size`). The libraries
 * never print: warnings are counted and the first one is kept.
 *
 * Readers are two-phase so that the caller can check the image size from the
 * header before it allocates pixel memory, then decode into its own buffer:
 *   open (reads the header, rejects images of more than `max_pixels` pixels, width x height)
 *   -> read_rows (any number of times, top to bottom; PNG Adam7 needs one call
 *      for the whole image) or read_image (all remaining rows)
 *   -> close (always; also after an error).
 * After the last row the reader reads the rest of the file (PNG trailing
 * chunks up to IEND, JPEG up to EOI), so a file cut short there is an error.
 * Samples come out raw: no gamma, no colour management, 16-bit PNG samples in
 * host byte order. After any error a reader refuses further reads.
 *
 * Readers and writers are independent heap objects: several may be used from
 * different threads at once, one object per thread.
 */
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

#pragma clang assume_nonnull begin

/* Outcome of every entry point. A typedef'd enum so that Swift imports a type,
   not loose Int constants. */
typedef enum cic_status {
    CIC_OK = 0,
    CIC_CANNOT_OPEN,   /* fopen/read/fstat failed, or the path is a directory (errno text) */
    CIC_CORRUPT,       /* the library rejected the data (its message) */
    CIC_TRUNCATED,     /* the file ends early: libpng "Read Error" at EOF, libjpeg "Premature end of JPEG file" */
    CIC_UNSUPPORTED,   /* valid but not decodable here, e.g. "Unsupported JPEG data precision 12" */
    CIC_TOO_LARGE,     /* width * height > max_pixels */
    CIC_OUT_OF_MEMORY,
    CIC_WRITE_FAILED,  /* fwrite/fclose failed (errno text) */
    CIC_MISUSE         /* bad argument or call order; nothing was read or written */
} cic_status;

typedef enum cic_format {
    CIC_FORMAT_UNKNOWN = 0,
    CIC_FORMAT_PNG,
    CIC_FORMAT_JPEG
} cic_format;

/* What a reader will deliver, known after open. */
typedef struct cic_image_info {
    uint32_t width;
    uint32_t height;
    uint32_t channels;    /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (PNG) or CMYK (JPEG) */
    uint32_t bit_depth;   /* bits per sample after expansion: 8, or 16 (PNG only) */
    uint32_t interlaced;  /* 1 for Adam7 PNG: read the whole image in one call */
    size_t row_bytes;     /* width * channels * bit_depth / 8: the minimum row stride */
    uint64_t buffered_bytes; /* what the decoder itself holds for the whole image: a JPEG
                                with several scans (progressive) keeps every DCT coefficient,
                                2 bytes each; 0 when it streams */
} cic_image_info;

/* Reads the first bytes of `path` and names its format from the magic bytes
   (PNG signature, or a damaged one whose bytes 1-3 still say "PNG", so that
   libpng can explain the damage; JPEG FF D8 FF). An empty or short file is
   CIC_FORMAT_UNKNOWN with CIC_OK. */
cic_status cic_sniff_format(const char *path, cic_format *format,
                            char *errbuf, size_t errbuf_size);

/* ---- PNG reader (libpng classic API) ------------------------------------
   Palette -> RGB, gray 1/2/4-bit -> 8-bit, tRNS -> alpha channel,
   16-bit kept. CRC errors in critical chunks are errors, in ancillary chunks
   warnings (libpng's defaults); libpng's benign errors are warnings. */
typedef struct cic_png_reader cic_png_reader;

cic_status cic_png_open(const char *path, uint64_t max_pixels,
                        cic_png_reader *_Nullable *_Nonnull reader,
                        cic_image_info *info,
                        char *errbuf, size_t errbuf_size);
/* Decodes the next `rows` rows into `buffer`, row i at buffer + i * row_stride. */
cic_status cic_png_read_rows(cic_png_reader *reader, void *buffer, size_t row_stride,
                             uint32_t rows, char *errbuf, size_t errbuf_size);
/* Decodes all remaining rows (the whole image if none were read). */
cic_status cic_png_read_image(cic_png_reader *reader, void *buffer, size_t row_stride,
                              char *errbuf, size_t errbuf_size);
uint32_t cic_png_warning_count(const cic_png_reader *reader);
/* The first warning's text, "" if none. Valid until close. */
const char *cic_png_first_warning(const cic_png_reader *reader);
void cic_png_close(cic_png_reader *_Nullable reader);

/* ---- JPEG reader (libjpeg API, 8-bit samples) ---------------------------
   Islow DCT and fancy upsampling (the library defaults, as djpeg).
   Gray -> 1 channel, YCbCr/RGB -> RGB, CMYK/YCCK -> CMYK (Adobe's inverted
   storage undone). 12-bit data is CIC_UNSUPPORTED. "Premature end of JPEG
   file" (libjpeg pads the rest with grey) is CIC_TRUNCATED; other libjpeg
   warnings (e.g. "Corrupt JPEG data: ...") are counted. */
typedef struct cic_jpeg_reader cic_jpeg_reader;

cic_status cic_jpeg_open(const char *path, uint64_t max_pixels,
                         cic_jpeg_reader *_Nullable *_Nonnull reader,
                         cic_image_info *info,
                         char *errbuf, size_t errbuf_size);
cic_status cic_jpeg_read_rows(cic_jpeg_reader *reader, void *buffer, size_t row_stride,
                              uint32_t rows, char *errbuf, size_t errbuf_size);
cic_status cic_jpeg_read_image(cic_jpeg_reader *reader, void *buffer, size_t row_stride,
                               char *errbuf, size_t errbuf_size);
uint32_t cic_jpeg_warning_count(const cic_jpeg_reader *reader);
const char *cic_jpeg_first_warning(const cic_jpeg_reader *reader);
void cic_jpeg_close(cic_jpeg_reader *_Nullable reader);

/* ---- Grayscale PNG writer ----------------------------------------------- */

/* libpng's PNG_FILTER_* bits (checked against png.h in png_write.c). */
typedef enum cic_png_filter {
    CIC_PNG_FILTERS_LIBPNG_DEFAULT = 0, /* let libpng choose (adaptive, all filters) */
    CIC_PNG_FILTER_NONE = 0x08,
    CIC_PNG_FILTER_SUB = 0x10,
    CIC_PNG_FILTER_UP = 0x20,
    CIC_PNG_FILTER_AVG = 0x40,
    CIC_PNG_FILTER_PAETH = 0x80
} cic_png_filter;

/* zlib's Z_* strategies (checked against zlib.h in png_write.c). */
typedef enum cic_zlib_strategy {
    CIC_ZLIB_STRATEGY_LIBPNG_DEFAULT = -1, /* libpng's choice: Z_FILTERED when filtering */
    CIC_ZLIB_DEFAULT_STRATEGY = 0,
    CIC_ZLIB_FILTERED = 1,
    CIC_ZLIB_HUFFMAN_ONLY = 2,
    CIC_ZLIB_RLE = 3,
    CIC_ZLIB_FIXED = 4
} cic_zlib_strategy;

typedef struct cic_png_write_options {
    int32_t zlib_level;      /* 0...9 */
    int32_t zlib_strategy;   /* a cic_zlib_strategy */
    int32_t filters;         /* OR of cic_png_filter bits, or 0 for libpng's choice */
} cic_png_write_options;

/* Level 1, PNG_FILTER_SUB, Z_RLE: the fastest settings at a size close to
   level 6 on filter outputs (docs/performance.md). */
cic_png_write_options cic_png_write_options_fast(void);

typedef struct cic_png_writer cic_png_writer;

/* Writes the header of a grayscale PNG with `bit_depth` 8 or 16 to the file
   open for writing on `fd`. Every writer writes to its own duplicate of `fd`
   (dup + fdopen), never opening a path itself: the caller keeps `fd` and may
   close it as soon as open returns, whatever the status. `options` NULL
   means cic_png_write_options_fast(). Width and height 1...2^31-1: the
   writer lifts libpng's default limit of 1,000,000, as the reader does. */
cic_status cic_png_writer_open(int fd, uint32_t width, uint32_t height,
                               uint32_t bit_depth,
                               const cic_png_write_options *_Nullable options,
                               cic_png_writer *_Nullable *_Nonnull writer,
                               char *errbuf, size_t errbuf_size);
/* Writes the next `rows` rows: uint8 samples, or uint16 in host byte order
   (stored big-endian), row i at rows + i * row_stride. */
cic_status cic_png_writer_write_rows(cic_png_writer *writer, const void *samples,
                                     size_t row_stride, uint32_t rows,
                                     char *errbuf, size_t errbuf_size);
/* Writes IEND after the last row, flushes and closes the file, and frees the
   writer, also on error. Calling it before all rows are written is CIC_MISUSE
   (the writer is still freed, the file is left incomplete). */
cic_status cic_png_writer_finish(cic_png_writer *writer, char *errbuf, size_t errbuf_size);
/* Closes the file as it is and frees the writer. Removes nothing. */
void cic_png_writer_abort(cic_png_writer *_Nullable writer);

/* Whole-plane helper: open + write_rows(height) + finish. On error the
   partial file is left in place for the caller to remove. */
cic_status cic_png_write_gray(int fd, const void *samples,
                              uint32_t width, uint32_t height, uint32_t bit_depth,
                              size_t row_stride,
                              const cic_png_write_options *_Nullable options,
                              char *errbuf, size_t errbuf_size);

#pragma clang assume_nonnull end

#endif

/* ---- Reader options, EXIF, warning kinds; colour PNG and JPEG writers --- */
#ifndef CIMAGECODECS_CODECS2_H
#define CIMAGECODECS_CODECS2_H
#pragma clang assume_nonnull begin

/* Every reader keeps the text of the first CIC_WARNING_KINDS (8) distinct
   kinds of warning with a count each (a kind: a libjpeg message code, or a
   libpng message text); warning_count() counts all of them. `index` is
   0 ..< warning_kinds(); out of range gives "" and a count of 0. Texts are
   valid until close. */
uint32_t cic_png_warning_kinds(const cic_png_reader *reader);
const char *cic_png_warning_kind(const cic_png_reader *reader, uint32_t index,
                                 uint32_t *_Nullable count);
uint32_t cic_jpeg_warning_kinds(const cic_jpeg_reader *reader);
const char *cic_jpeg_warning_kind(const cic_jpeg_reader *reader, uint32_t index,
                                  uint32_t *_Nullable count);

/* cic_jpeg_open_with_flags: a bit set of these. */
typedef enum cic_jpeg_read_flags {
    /* Accept a file that ends early: libjpeg pads the missing rows with grey
       and "Premature end of JPEG file" becomes an ordinary warning instead of
       CIC_TRUNCATED. A file cut before its first scan has no image at all and
       is still an error (CIC_TRUNCATED). */
    CIC_JPEG_ALLOW_TRUNCATED = 1
} cic_jpeg_read_flags;

/* cic_jpeg_open with options: flags 0 is cic_jpeg_open. */
cic_status cic_jpeg_open_with_flags(const char *path, uint64_t max_pixels, uint32_t flags,
                                    cic_jpeg_reader *_Nullable *_Nonnull reader,
                                    cic_image_info *info,
                                    char *errbuf, size_t errbuf_size);
/* Bounds on what one file may cost. */
typedef struct cic_read_limits {
    uint64_t max_pixels;   /* width * height, as cic_jpeg_open's max_pixels */
    uint64_t max_memory;   /* bytes the decoder may hold: a JPEG whose buffered_bytes is larger
                              fails at open (CIC_TOO_LARGE, both numbers in the message), and
                              libjpeg's max_memory_to_use is set to it; 0: no limit */
    uint32_t max_scans;    /* the most scans a JPEG may have (each costs a pass over the
                              coefficients); 0: the default, 100 */
    uint32_t flags;        /* cic_jpeg_read_flags */
} cic_read_limits;

/* cic_jpeg_open_with_flags with every limit. */
cic_status cic_jpeg_open_limited(const char *path, const cic_read_limits *limits,
                                 cic_jpeg_reader *_Nullable *_Nonnull reader,
                                 cic_image_info *info,
                                 char *errbuf, size_t errbuf_size);

/* 1 once libjpeg has reported "Premature end of JPEG file" (only possible
   with CIC_JPEG_ALLOW_TRUNCATED without the read failing). */
int cic_jpeg_truncated(const cic_jpeg_reader *reader);

/* EXIF metadata for the orientation, known after open: the TIFF structure
   ("II" or "MM", 42, IFD offsets relative to its first byte), unparsed.
   JPEG: the first APP1 segment that starts "Exif\0" (the 6-byte EXIF header
   removed), wherever it sits among the other APPn segments. PNG: an eXIf
   chunk before the image data (libpng drops one after IDAT). NULL and
   *length 0 when there is none. Valid until close. */
const uint8_t *_Nullable cic_jpeg_exif(const cic_jpeg_reader *reader, size_t *length);
const uint8_t *_Nullable cic_png_exif(const cic_png_reader *reader, size_t *length);

/* ---- PNG writer colour types ------------------------------------------
   The value of each is its number of samples per pixel. */
typedef enum cic_png_color {
    CIC_PNG_COLOR_GRAY = 1,
    CIC_PNG_COLOR_GRAY_ALPHA = 2,
    CIC_PNG_COLOR_RGB = 3,
    CIC_PNG_COLOR_RGBA = 4
} cic_png_color;

/* cic_png_writer_open for any colour type: rows hold `color` interleaved
   samples per pixel (gray+alpha: G A; RGB: R G B; RGBA: R G B A), 8-bit, or
   16-bit in host byte order. cic_png_writer_open is this with GRAY. */
cic_status cic_png_writer_open_color(int fd, uint32_t width, uint32_t height,
                                     uint32_t bit_depth, cic_png_color color,
                                     const cic_png_write_options *_Nullable options,
                                     cic_png_writer *_Nullable *_Nonnull writer,
                                     char *errbuf, size_t errbuf_size);

/* ---- JPEG writer (libjpeg, 8-bit, baseline) -----------------------------
   Same life cycle as the PNG writer: open -> write_rows (top to bottom, any
   number of calls) -> finish, or abort. JFIF, islow DCT, libjpeg's standard
   quantisation tables scaled by quality (forced to baseline: values <= 255).
   Gray is one component; RGB is stored as YCbCr 4:4:4 (no chroma
   subsampling). The value of each colour is its number of samples per pixel. */
typedef enum cic_jpeg_color {
    CIC_JPEG_COLOR_GRAY = 1,
    CIC_JPEG_COLOR_RGB = 3
} cic_jpeg_color;

typedef struct cic_jpeg_write_options {
    int32_t quality;          /* 1...100, libjpeg's (and cjpeg's) scale */
    int32_t optimize_coding;  /* nonzero: optimal Huffman tables (a few % smaller). libjpeg then keeps
                                 the whole image's DCT coefficients, 2 bytes per sample, until finish */
} cic_jpeg_write_options;

/* Quality 90, optimize_coding on. */
cic_jpeg_write_options cic_jpeg_write_options_default(void);

typedef struct cic_jpeg_writer cic_jpeg_writer;

/* Writes the JPEG header to the file open on `fd` (a duplicate of it, as the
   PNG writer does). `options` NULL means cic_jpeg_write_options_default().
   Width and height 1...65500. */
cic_status cic_jpeg_writer_open(int fd, uint32_t width, uint32_t height,
                                cic_jpeg_color color,
                                const cic_jpeg_write_options *_Nullable options,
                                cic_jpeg_writer *_Nullable *_Nonnull writer,
                                char *errbuf, size_t errbuf_size);
/* Writes the next `rows` rows of 8-bit samples, row i at samples + i * row_stride. */
cic_status cic_jpeg_writer_write_rows(cic_jpeg_writer *writer, const void *samples,
                                      size_t row_stride, uint32_t rows,
                                      char *errbuf, size_t errbuf_size);
/* Writes EOI after the last row, flushes and closes the file, and frees the
   writer, also on error. Before all rows are written: CIC_MISUSE (the writer
   is still freed, the file is left incomplete). */
cic_status cic_jpeg_writer_finish(cic_jpeg_writer *writer, char *errbuf, size_t errbuf_size);
uint32_t cic_jpeg_writer_warning_count(const cic_jpeg_writer *writer);
/* Closes the file as it is and frees the writer. Removes nothing. */
void cic_jpeg_writer_abort(cic_jpeg_writer *_Nullable writer);

/* Whole-image helper: open + write_rows(height) + finish. On error the
   partial file is left in place for the caller to remove. */
cic_status cic_jpeg_write(int fd, const void *samples,
                          uint32_t width, uint32_t height, cic_jpeg_color color,
                          size_t row_stride,
                          const cic_jpeg_write_options *_Nullable options,
                          char *errbuf, size_t errbuf_size);

#pragma clang assume_nonnull end
#endif
