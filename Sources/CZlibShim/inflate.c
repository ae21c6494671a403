/* Raw DEFLATE decoding and CRC-32 for the .npz (zip) reader in FilterBankIO
 * (see include/CZlibShim.h). */
#include <string.h>
#include <zlib.h>
#include "CZlibShim.h"

static czs_status czs_inflate_fail(czs_status status, const char *message, char *errbuf, size_t errbuf_size) {
    if (errbuf != NULL && errbuf_size > 0) {
        size_t n = strlen(message);
        if (n >= errbuf_size) n = errbuf_size - 1;
        memcpy(errbuf, message, n);
        errbuf[n] = '\0';
    }
    return status;
}

static czs_status czs_inflate(int window_bits, const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                              size_t *consumed, char *errbuf, size_t errbuf_size) {
    *consumed = 0;
    if (errbuf != NULL && errbuf_size > 0) errbuf[0] = '\0';
    if (src_len > UINT32_MAX || dst_len > UINT32_MAX)
        return czs_inflate_fail(CZS_TOO_LARGE, "entry larger than 4 GiB", errbuf, errbuf_size);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, window_bits) != Z_OK)
        return czs_inflate_fail(CZS_OUT_OF_MEMORY, "cannot initialise zlib", errbuf, errbuf_size);
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)src_len;
    zs.next_out = dst;
    zs.avail_out = (uInt)dst_len;
    int rc = inflate(&zs, Z_FINISH);
    czs_status status = CZS_OK;
    if (rc == Z_STREAM_END) {
        if (zs.total_out != dst_len)
            status = czs_inflate_fail(CZS_CORRUPT, "deflate data ends before the declared size", errbuf, errbuf_size);
    } else if (rc == Z_BUF_ERROR && zs.avail_out == 0) {
        status = czs_inflate_fail(CZS_CORRUPT, "deflate data is longer than the declared size", errbuf, errbuf_size);
    } else if (rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_in == 0)) {
        status = czs_inflate_fail(CZS_TRUNCATED, "deflate data is truncated", errbuf, errbuf_size);
    } else if (rc == Z_MEM_ERROR) {
        status = czs_inflate_fail(CZS_OUT_OF_MEMORY, "out of memory", errbuf, errbuf_size);
    } else {
        status = czs_inflate_fail(CZS_CORRUPT, zs.msg != NULL ? zs.msg : "invalid deflate data", errbuf, errbuf_size);
    }
    *consumed = (size_t)(src_len - zs.avail_in);
    inflateEnd(&zs);
    return status;
}

uint32_t czs_crc32(const uint8_t *_Nullable data, size_t length) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (length > 0) {
        uInt chunk = length > 0x40000000u ? 0x40000000u : (uInt)length;
        crc = crc32(crc, data, chunk);
        data += chunk;
        length -= chunk;
    }
    return (uint32_t)crc;
}

czs_status czs_inflate_raw(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                           size_t *consumed, char *errbuf, size_t errbuf_size) {
    /* Negative window bits: a raw deflate stream, no zlib header or trailer (zip method 8). */
    return czs_inflate(-MAX_WBITS, src, src_len, dst, dst_len, consumed, errbuf, errbuf_size);
}

czs_status czs_inflate_zlib(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                            size_t *consumed, char *errbuf, size_t errbuf_size) {
    return czs_inflate(MAX_WBITS, src, src_len, dst, dst_len, consumed, errbuf, errbuf_size);
}

/* zlib's checksums take a uInt length: longer buffers go a gigabyte at a time. */
static uint32_t chunked(uLong (*update)(uLong, const Bytef *, uInt), uint32_t value,
                        const uint8_t *_Nullable data, size_t length) {
    uLong v = value;
    while (length > 0) {
        uInt chunk = length > 0x40000000u ? 0x40000000u : (uInt)length;
        v = update(v, data, chunk);
        data += chunk;
        length -= chunk;
    }
    return (uint32_t)v;
}

uint32_t czs_crc32_update(uint32_t crc, const uint8_t *_Nullable data, size_t length) {
    return chunked(crc32, crc, data, length);
}

uint32_t czs_adler32_update(uint32_t adler, const uint8_t *_Nullable data, size_t length) {
    return chunked(adler32, adler, data, length);
}

uint32_t czs_adler32_combine(uint32_t adler_a, uint32_t adler_b, uint64_t length_b) {
    /* z_off_t is a long: 64 bits on the LP64 hosts this builds for. */
    return (uint32_t)adler32_combine(adler_a, adler_b, (z_off_t)length_b);
}
