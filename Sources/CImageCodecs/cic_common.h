/* Internal helpers shared by the CImageCodecs .c files (not part of the module's API). */
#ifndef CIC_COMMON_H
#define CIC_COMMON_H

#include <stdio.h>
#include "CImageCodecs.h"

/* Longer than libjpeg's JMSG_LENGTH_MAX (200) and any libpng message. */
#define CIC_MESSAGE_MAX 256

/* What a library told us, kept in each heap-allocated reader/writer because
   the library callbacks fill it while the caller's frame is being unwound. */
typedef struct cic_diag {
    char error[CIC_MESSAGE_MAX];    /* the message of the error that stopped the call */
    char warning[CIC_MESSAGE_MAX];  /* the first warning */
    uint32_t warnings;              /* how many warnings so far */
    int saved_errno;                /* errno when the error was raised (I/O errors) */
} cic_diag;

/* Copies `src` into `dst` (size > 0), always NUL-terminated, newlines turned into spaces. */
void cic_copy_message(char *_Nullable dst, size_t size, const char *_Nonnull src);
/* Counts a warning and keeps the first one's text. */
void cic_diag_warn(cic_diag *_Nonnull diag, const char *_Nonnull message);
/* Returns `status` after writing "<what>: <strerror(err)>" (or just strerror) into errbuf. */
cic_status cic_errno_status(cic_status status, int err, const char *_Nullable what,
                            char *_Nullable errbuf, size_t errbuf_size);
/* fopen(path, "rb") that also rejects directories (fopen accepts them on Linux,
   and the first read then fails with a less clear message). */
FILE *_Nullable cic_open_input(const char *_Nonnull path, char *_Nullable errbuf, size_t errbuf_size);

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
