/*
 * CZlibShim: the two zlib functions the .npz (zip) reader needs.
 *
 * Why a shim: Swift cannot import <zlib.h> without a module of its own, and
 * these two calls are all FilterBankIO needs from zlib. Nothing here longjmps
 * or prints; every function reports through its return value.
 */
#ifndef CZLIBSHIM_H
#define CZLIBSHIM_H

#include <stddef.h>
#include <stdint.h>

#pragma clang assume_nonnull begin

/* Outcome of `czs_inflate_raw`. A typedef'd enum, so that Swift imports a type. */
typedef enum czs_status {
    CZS_OK = 0,
    CZS_CORRUPT,        /* invalid data, or not exactly the declared size (zlib's message) */
    CZS_TRUNCATED,      /* the stream is cut short */
    CZS_TOO_LARGE,      /* a size over 4 GiB (zlib's counters are 32-bit) */
    CZS_OUT_OF_MEMORY
} czs_status;

/* Inflates the raw deflate stream `src` (zip compression method 8: no zlib
   header) into exactly `dst_len` bytes at `dst`. CZS_OK only when the stream
   ends exactly there; a stream that needs more room, or one that ends early,
   is CZS_CORRUPT; one cut short CZS_TRUNCATED; invalid data CZS_CORRUPT with
   zlib's message in `errbuf` (always NUL-terminated, truncated to
   `errbuf_size`). `consumed` is the number of input bytes used. */
czs_status czs_inflate_raw(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                           size_t *consumed, char *errbuf, size_t errbuf_size);

/* The CRC-32 of `length` bytes (zip's and PNG's: zlib's crc32). */
uint32_t czs_crc32(const uint8_t *_Nullable data, size_t length);

#pragma clang assume_nonnull end

#endif
