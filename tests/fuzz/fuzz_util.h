/*
 * fuzz_util.h - more helpers the index fuzz targets share (beside
 * fuzz_sink.h): copies, and the input made into bytes to compress.
 */
#ifndef JL_FUZZ_UTIL_H
#define JL_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc_check.h"
#include "fuzz_sink.h" /* fuzz_sink, fuzz_collect, fuzz_pick */

/* A malloc'd copy of p[0..n). */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n) {
    uint8_t *q = malloc(n ? n : 1);
    JL_CHECK(q != NULL, "out of memory in the fuzz target");
    if (n) memcpy(q, p, n);
    return q;
}

/* rest[0..nrest) (nrest >= 1) repeated 1 + rest[0] % times times, at most
 * max bytes, the k-th repeat's bytes raised by k * step: malloc'd, *n. */
static inline uint8_t *fuzz_repeat(const uint8_t *rest, size_t nrest, unsigned times, uint64_t max, unsigned step,
                                   uint64_t *n) {
    *n = (uint64_t)nrest * (1 + rest[0] % times);
    if (*n > max) *n = max;
    uint8_t *raw = malloc((size_t)*n);
    JL_CHECK(raw != NULL, "out of memory in the fuzz target");
    for (uint64_t i = 0; i < *n; i++) raw[i] = (uint8_t)(rest[i % nrest] + (i / nrest) * step);
    return raw;
}

/* fuzz_repeat for the deflate-style targets: up to 64 repeats, each
 * shifted by mode >> 6. */
static inline uint8_t *fuzz_raw(const uint8_t *rest, size_t nrest, uint8_t mode, uint64_t max, uint64_t *n) {
    return fuzz_repeat(rest, nrest, 64, max, mode >> 6, n);
}

/* `reads` reads through `read` at offsets and lengths (up to maxlen) picked
 * from d, every 8th running 64 bytes past the end: each gives the bytes
 * of whole[0..n), or fails with a message (with `intact`, only past the
 * end). */
static inline void fuzz_check_reads(fuzz_read_fn read, const void *ix, const uint8_t *z, uint64_t zn,
                                    const uint8_t *whole, uint64_t n, const uint8_t *d, size_t size,
                                    int reads, uint64_t maxlen, int intact) {
    uint8_t *dst = malloc((size_t)n + 64);
    JL_CHECK(dst != NULL, "out of memory in the fuzz target");
    size_t at = 2;
    for (int k = 0; k < reads && n; k++) {
        uint64_t off = fuzz_pick(d, size, &at) % n, len = 1 + fuzz_pick(d, size, &at) % maxlen;
        if (len > n - off + (k % 8 == 7 ? 64 : 0)) len = n - off + (k % 8 == 7 ? 64 : 0);
        jl_error err;
        jl_error_clear(&err);
        int r = read(ix, z, zn, off, dst, len, &err);
        if (r == JL_OK) {
            JL_CHECK(off + len <= n, "read past the end (%llu+%llu of %llu) succeeded", (unsigned long long)off,
                     (unsigned long long)len, (unsigned long long)n);
            JL_CHECK(memcmp(dst, whole + off, (size_t)len) == 0, "read %llu+%llu differs from the whole stream",
                     (unsigned long long)off, (unsigned long long)len);
        } else {
            JL_CHECK(err.code == (jl_code)r && err.message[0], "read error %d without its message", r);
            JL_CHECK(!intact || off + len > n, "read %llu+%llu of a valid stream failed: %s",
                     (unsigned long long)off, (unsigned long long)len, err.message);
        }
    }
    free(dst);
}

#endif
