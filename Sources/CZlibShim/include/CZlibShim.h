/*
 * CZlibShim: the zlib functions FilterBankIO needs: raw inflate and CRC-32
 * for the .npz (zip) reader; CRC-32 and Adler-32 (with its combination of
 * two checksums) for the fast PNG encoder's chunks and zlib streams; and a
 * whole zlib-stream inflate, with which the tests check that encoder.
 *
 * Why a shim: Swift cannot import <zlib.h> without a module of its own, and
 * these calls are all FilterBankIO needs from zlib. Nothing here longjmps
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

/* `crc` (a CRC-32 of earlier bytes, 0 for none) continued over `length` more bytes. */
uint32_t czs_crc32_update(uint32_t crc, const uint8_t *_Nullable data, size_t length);

/* `adler` (an Adler-32 of earlier bytes, 1 for none) continued over `length`
   more bytes: zlib's adler32, the checksum that ends a zlib stream. */
uint32_t czs_adler32_update(uint32_t adler, const uint8_t *_Nullable data, size_t length);

/* The Adler-32 of A followed by B, from `adler_a` (of A), `adler_b` (of B)
   and B's length: zlib's adler32_combine. */
uint32_t czs_adler32_combine(uint32_t adler_a, uint32_t adler_b, uint64_t length_b);

/* Inflates the whole zlib stream `src` (header, deflate data, Adler-32 check)
   into exactly `dst_len` bytes at `dst`, as czs_inflate_raw does for raw
   streams; zlib checks the header and the Adler-32. */
czs_status czs_inflate_zlib(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                            size_t *consumed, char *errbuf, size_t errbuf_size);

#pragma clang assume_nonnull end

#endif
