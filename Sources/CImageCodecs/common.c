/* Helpers shared by the readers and the writer, and format sniffing. */
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cic_common.h"

void cic_copy_message(char *dst, size_t size, const char *src) {
    if (dst == NULL || size == 0) return;
    size_t i = 0;
    for (; i + 1 < size && src[i] != '\0'; i++)
        dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
    dst[i] = '\0';
}

void cic_diag_warn_code(cic_diag *diag, int code, const char *message) {
    diag->warnings++;
    char text[CIC_MESSAGE_MAX];
    cic_copy_message(text, sizeof text, message);
    for (uint32_t i = 0; i < diag->kinds; i++) {
        if (diag->kind_code[i] == code && (code != -1 || strcmp(diag->kind_text[i], text) == 0)) {
            diag->kind_count[i]++;
            return;
        }
    }
    if (diag->kinds == CIC_WARNING_KINDS) return;   /* counted in `warnings` only */
    uint32_t k = diag->kinds++;
    diag->kind_code[k] = code;
    diag->kind_count[k] = 1;
    memcpy(diag->kind_text[k], text, sizeof text);
}

void cic_diag_warn(cic_diag *diag, const char *message) { cic_diag_warn_code(diag, -1, message); }

const char *cic_diag_kind(const cic_diag *diag, uint32_t index, uint32_t *count) {
    if (index >= diag->kinds) {
        if (count != NULL) *count = 0;
        return "";
    }
    if (count != NULL) *count = diag->kind_count[index];
    return diag->kind_text[index];
}

cic_status cic_errno_status(cic_status status, int err, const char *what,
                            char *errbuf, size_t errbuf_size) {
    char text[CIC_MESSAGE_MAX];
    if (what != NULL) snprintf(text, sizeof text, "%s: %s", what, strerror(err));
    else snprintf(text, sizeof text, "%s", strerror(err));
    cic_copy_message(errbuf, errbuf_size, text);
    return status;
}

cic_status cic_misuse(const char *why, char *errbuf, size_t errbuf_size) {
    cic_copy_message(errbuf, errbuf_size, why);
    return CIC_MISUSE;
}

FILE *cic_open_input(const char *path, char *errbuf, size_t errbuf_size) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        cic_errno_status(CIC_CANNOT_OPEN, errno, NULL, errbuf, errbuf_size);
        return NULL;
    }
    struct stat st;
    int err = fstat(fileno(fp), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (err != 0) {
        fclose(fp);
        cic_errno_status(CIC_CANNOT_OPEN, err, NULL, errbuf, errbuf_size);
        return NULL;
    }
    return fp;
}

cic_status cic_sniff_format(const char *path, cic_format *format,
                            char *errbuf, size_t errbuf_size) {
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    unsigned char head[8] = {0};
    *format = CIC_FORMAT_UNKNOWN;
    FILE *fp = cic_open_input(path, errbuf, errbuf_size);
    if (fp == NULL) return CIC_CANNOT_OPEN;
    size_t n = fread(head, 1, sizeof head, fp);
    int failed = ferror(fp), err = errno;
    fclose(fp);
    if (failed) return cic_errno_status(CIC_CANNOT_OPEN, err, NULL, errbuf, errbuf_size);
    if (n == 8 && memcmp(head, png_sig, 8) == 0) *format = CIC_FORMAT_PNG;
    /* A signature damaged in transfer (high bit stripped, CR/LF converted) still
       reads "PNG" in bytes 1-3: hand it to libpng, whose message names the damage. */
    else if (n >= 4 && memcmp(head + 1, "PNG", 3) == 0) *format = CIC_FORMAT_PNG;
    else if (n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) *format = CIC_FORMAT_JPEG;
    return CIC_OK;
}

FILE *cic_open_output(int fd) {
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) return NULL;
    FILE *fp = fdopen(own, "wb");
    if (fp == NULL) {
        int err = errno;
        close(own);
        errno = err;
    }
    return fp;
}
