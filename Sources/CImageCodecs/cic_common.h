/* Internal helpers shared by the CImageCodecs .c files (not part of the module's API). */
#ifndef CIC_COMMON_H
#define CIC_COMMON_H

#include <stdio.h>
#include "CImageCodecs.h"

/* Longer than libjpeg's JMSG_LENGTH_MAX (200) and any libpng message. */
#define CIC_MESSAGE_MAX 256

/* How many distinct kinds of warning an object keeps the text of; later
   kinds are only counted (in `warnings`). */
#define CIC_WARNING_KINDS 8

/* What a library told us, kept in each heap-allocated reader/writer because
   the library callbacks fill it while the caller's frame is being unwound. */
typedef struct cic_diag {
    char error[CIC_MESSAGE_MAX];    /* the message of the error that stopped the call */
    uint32_t warnings;              /* how many warnings so far, of all kinds */
    int saved_errno;                /* errno when the error was raised (I/O errors) */
    /* Distinct kinds of warning in the order first seen: a kind is a libjpeg
       message code, or (code -1, libpng) the exact text. kind_text[0] is the
       first warning, "" if none. */
    uint32_t kinds;
    int kind_code[CIC_WARNING_KINDS];
    uint32_t kind_count[CIC_WARNING_KINDS];
    char kind_text[CIC_WARNING_KINDS][CIC_MESSAGE_MAX];   /* the first text of the kind */
} cic_diag;

/* Copies `src` into `dst` (size > 0), always NUL-terminated, newlines turned into spaces. */
void cic_copy_message(char *_Nullable dst, size_t size, const char *_Nonnull src);
/* Counts a warning of kind `code` (a libjpeg message code, or -1 to tell
   kinds apart by their text) and keeps the first text of each new kind. */
void cic_diag_warn_code(cic_diag *_Nonnull diag, int code, const char *_Nonnull message);
/* cic_diag_warn_code(diag, -1, message). */
void cic_diag_warn(cic_diag *_Nonnull diag, const char *_Nonnull message);
/* Kind `index` (0 ..< diag->kinds): its first text and how many times it came;
   "" and 0 for an index out of range. */
const char *_Nonnull cic_diag_kind(const cic_diag *_Nonnull diag, uint32_t index, uint32_t *_Nullable count);
/* Returns `status` after writing "<what>: <strerror(err)>" (or just strerror) into errbuf. */
cic_status cic_errno_status(cic_status status, int err, const char *_Nullable what,
                            char *_Nullable errbuf, size_t errbuf_size);
/* fopen(path, "rb") that also rejects directories (fopen accepts them on Linux,
   and the first read then fails with a less clear message). */
FILE *_Nullable cic_open_input(const char *_Nonnull path, char *_Nullable errbuf, size_t errbuf_size);

/* fdopen(dup(fd), "wb"): a writer's own stream on the caller's descriptor
   (NULL with errno set on failure; the caller's fd stays open either way). */
FILE *_Nullable cic_open_output(int fd);

/* libpng error and warning callbacks (png_read.c), shared with the writer. The
   error pointer handed to libpng is the object's cic_diag. The error callback
   stores the message and errno, then png_longjmp()s to the entry point's setjmp;
   the warning callback only counts and keeps the first message. */
struct png_struct_def;
void cic_png_on_error(struct png_struct_def *_Nonnull png, const char *_Nonnull message);
void cic_png_on_warning(struct png_struct_def *_Nonnull png, const char *_Nonnull message);

/* Writes `why` into errbuf and returns CIC_MISUSE (a caller bug, not a file problem). */
cic_status cic_misuse(const char *_Nonnull why, char *_Nullable errbuf, size_t errbuf_size);

#endif
