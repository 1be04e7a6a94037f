/*
 * fuzz_inflate_index.c - libFuzzer target for the checkpointed inflater
 * (codec/io/inflate_index.c). The first byte chooses:
 *   bit 0   the rest is a zlib or gzip stream as it is (mostly invalid:
 *           every error path of building and reading);
 *   else    the rest, repeated with a counter into up to 128 KiB, is
 *           deflated here (zlib or gzip by bit 1, level by bits 2-4) and,
 *           when bit 5 is set, damaged at offsets the input picks.
 * The index is built with a 2 KiB span (many checkpoints: ISA-L decoder
 * states in ISA-L builds, zlib windows otherwise), then 32 reads at
 * offsets and lengths the input picks. For an undamaged stream every
 * read must succeed with exactly the bytes of the whole inflation; for
 * any stream a read may fail, but only with an error code and message.
 * A damaged stream is also read through the index of the undamaged one
 * (checkpoints restored over bad input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "doc_check.h"
#include "fuzz_limits.h"
#include "fuzz_util.h"
#include "inflate_index.h"

#define SPAN ((uint64_t)2 << 10)
#define RAW_MAX ((uint64_t)128 << 10)

/* Deflates raw[0..n) as zlib (wbits 15) or gzip (31) at level. */
static uint8_t *deflated(const uint8_t *raw, uint64_t n, int gzip, int level, uint64_t *zn) {
    z_stream z;
    memset(&z, 0, sizeof z);
    JL_CHECK(deflateInit2(&z, level, Z_DEFLATED, gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
    uLong cap = deflateBound(&z, (uLong)n) + 32;
    uint8_t *out = malloc(cap);
    JL_CHECK(out != NULL, "out of memory in the fuzz target");
    z.next_in = (Bytef *)(uintptr_t)raw;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    JL_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate did not finish");
    *zn = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

/* 32 reads at offsets and lengths the input picks, against want[0..len)
 * (the whole inflation of what the index was built from): when `exact`
 * (z is that stream) a read that succeeds has its bytes and ends inside
 * it (damaged bytes may inflate to more); when `intact`
 * (and valid) every read inside it succeeds. */
static void reads(const jl_inflate_index *ix, const uint8_t *z, uint64_t zn, const uint8_t *want, uint64_t len_all,
                  int intact, int exact, const uint8_t *data, size_t size) {
    uint8_t *dst = malloc((size_t)len_all + 64);
    JL_CHECK(dst != NULL, "out of memory in the fuzz target");
    size_t at = 2;
    jl_error err;
    for (int k = 0; k < 32 && len_all; k++) {
        uint64_t off = fuzz_pick(data, size, &at) % len_all, len = 1 + fuzz_pick(data, size, &at) % 20000;
        if (len > len_all - off + (k % 8 == 7 ? 64 : 0)) len = len_all - off + (k % 8 == 7 ? 64 : 0);
        jl_error_clear(&err);
        int r = jl_inflate_index_read(ix, z, zn, off, dst, len, &err);
        if (r == JL_OK) {
            JL_CHECK(!exact || off + len <= len_all, "read past the end (%llu+%llu of %llu) succeeded",
                     (unsigned long long)off, (unsigned long long)len, (unsigned long long)len_all);
            JL_CHECK(!exact || memcmp(dst, want + off, (size_t)len) == 0,
                     "read %llu+%llu differs from the whole inflation", (unsigned long long)off, (unsigned long long)len);
        } else {
            JL_CHECK(err.code == (jl_code)r && err.message[0], "read error %d without its message", r);
            JL_CHECK(!intact || off + len > len_all, "read %llu+%llu of a valid stream failed: %s",
                     (unsigned long long)off, (unsigned long long)len, err.message);
        }
    }
    free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t mode = data[0];
    const uint8_t *rest = data + 1;
    size_t nrest = size - 1;
    jl_compression c = mode & 2 ? JL_COMP_GZIP : JL_COMP_ZLIB;
    uint8_t *raw = NULL, *z, *good = NULL;
    uint64_t n = 0, zn;
    int intact = 0;
    if (mode & 1) {
        z = fuzz_dup(rest, nrest);
        zn = nrest;
    } else {
        n = (uint64_t)nrest * (1 + rest[0] % 64);
        if (n > RAW_MAX) n = RAW_MAX;
        raw = malloc((size_t)n);
        JL_CHECK(raw != NULL, "out of memory in the fuzz target");
        for (uint64_t i = 0; i < n; i++) raw[i] = (uint8_t)(rest[i % nrest] + (i / nrest) * (mode >> 6));
        z = deflated(raw, n, c == JL_COMP_GZIP, 1 + (mode >> 2) % 9, &zn);
        intact = !(mode & 32);
        if (!intact) {
            good = malloc((size_t)zn);
            JL_CHECK(good != NULL, "out of memory in the fuzz target");
            memcpy(good, z, (size_t)zn);
        }
        size_t at = 1;
        for (int k = 0; !intact && k < 1 + rest[0] % 4; k++) z[fuzz_pick(data, size, &at) % zn] ^= (uint8_t)(1 + data[at % size]);
    }
    fuzz_sink s = { NULL, 0, 0, 0 };
    jl_inflate_index *ix = NULL;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_inflate_index_build(c, z, zn, jl_alloc_default(), SPAN, JL_FUZZ_MAX_OUT, fuzz_collect, NULL, NULL, &s, &ix, &err);
    if (intact) {
        JL_CHECK(rc == JL_OK, "building the index of a valid stream: %s", err.message);
        JL_CHECK(s.len == n && memcmp(s.p, raw, (size_t)n) == 0, "the emitted bytes differ from the input");
    } else if (rc != JL_OK) {
        JL_CHECK(err.code == (jl_code)rc && err.message[0], "error %d without its message", rc);
        JL_CHECK((ix != NULL) == (rc == JL_E_TRUNCATED), "index %p with error %d", (void *)ix, rc);
    }
    if (ix) {
        JL_CHECK(jl_inflate_index_total(ix) == s.len, "index total %llu, emitted %llu",
                 (unsigned long long)jl_inflate_index_total(ix), (unsigned long long)s.len);
        reads(ix, z, zn, s.p, s.len, intact, 1, data, size);
        jl_inflate_index_free(ix);
    }
    if (good) { /* the damaged stream through the undamaged one's index */
        fuzz_sink g = { NULL, 0, 0, 0 };
        jl_error_clear(&err);
        rc = jl_inflate_index_build(c, good, zn, jl_alloc_default(), SPAN, JL_FUZZ_MAX_OUT, fuzz_collect, NULL, NULL, &g, &ix, &err);
        JL_CHECK(rc == JL_OK && g.len == n, "building the index of a valid stream: %s", err.message);
        reads(ix, z, zn, g.p, g.len, 0, 0, data, size);
        jl_inflate_index_free(ix);
        free(g.p);
        free(good);
    }
    free(s.p);
    free(z);
    free(raw);
    return 0;
}
