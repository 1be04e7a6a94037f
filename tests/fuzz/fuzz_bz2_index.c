/*
 * fuzz_bz2_index.c - libFuzzer target for the block index of bzip2
 * streams (codec/io/bz2_index.c). The first byte chooses:
 *   bit 0   the rest is a bzip2 stream as it is (mostly invalid: every
 *           fallback to plain decoding);
 *   else    the rest, repeated with a counter into up to 160 KiB, is
 *           compressed here (level 1..9 by bits 2-5, 100 kB blocks at
 *           level 1), its bytes first mapped onto 18 values whose symbol
 *           map spells the block magic inside every block when bit 6 is
 *           set, followed by a second stream when bit 1 is set, and
 *           damaged at offsets the input picks when bit 7 is set.
 * Building the index must hand over exactly the pieces jl_decompress_each
 * hands over and fail with its code and message; for an intact stream it
 * must succeed with an index. Then 8 reads at offsets and lengths the
 * input picks (each decodes a whole block): each gives the bytes of the whole decompression, or fails
 * with a message (only past the end for an intact stream).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bz2_index.h"
#include "doc_check.h"
#include "fuzz_limits.h"
#include "fuzz_util.h"

#define RAW_MAX ((uint64_t)160 << 10) /* two blocks at level 1 */

/* Appends the bzip2 stream of raw[0..n) at level to z (grown). */
static void append_bz2(uint8_t **z, uint64_t *zn, const uint8_t *raw, uint64_t n, int level) {
    uint8_t *one;
    uint64_t len;
    jl_error err;
    jl_error_clear(&err);
    JL_CHECK(jl_compress(JL_COMP_BZ2, level, raw, n, jl_alloc_default(), &one, &len, &err) == JL_OK,
             "compress: %s", err.message);
    *z = realloc(*z, (size_t)(*zn + len));
    JL_CHECK(*z != NULL, "out of memory in the fuzz target");
    memcpy(*z + *zn, one, (size_t)len);
    *zn += len;
    jl_free(jl_alloc_default(), one);
}

static int bz2_read(const void *ix, const uint8_t *z, uint64_t zn, uint64_t off, uint8_t *dst, uint64_t len,
                    jl_error *err) {
    return jl_bz2_index_read(ix, z, zn, off, dst, len, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t spell[18] = { 0x21, 0x23, 0x24, 0x27, 0x2A, 0x2D, 0x2E, 0x31, 0x33,
                                       0x36, 0x37, 0x39, 0x3B, 0x3C, 0x3F, 0x70, 0x90, 0xF0 };
    if (size < 2) return 0;
    uint8_t mode = data[0];
    const uint8_t *rest = data + 1;
    size_t nrest = size - 1;
    uint8_t *raw = NULL, *z = NULL;
    uint64_t n = 0, zn = 0;
    int intact = 0;
    if (mode & 1) {
        z = fuzz_dup(rest, nrest);
        zn = nrest;
    } else {
        raw = fuzz_repeat(rest, nrest, 128, RAW_MAX, 1, &n);
        if (mode & 64)
            for (uint64_t i = 0; i < n; i++) raw[i] = spell[raw[i] % 18];
        int level = 1 + (mode >> 2 & 15) % 9;
        uint64_t first = mode & 2 ? n / 2 : n;
        append_bz2(&z, &zn, raw, first, level);
        if (mode & 2) append_bz2(&z, &zn, raw + first, n - first, 10 - level);
        intact = !(mode & 128);
        size_t at = 1;
        for (int k = 0; !intact && k < 1 + rest[0] % 4; k++) z[fuzz_pick(data, size, &at) % zn] ^= (uint8_t)(1 + data[at % size]);
    }
    fuzz_sink a = { NULL, 0, 0, 0 }, b = { NULL, 0, 0, 0 };
    jl_error ea, eb;
    jl_error_clear(&ea);
    jl_error_clear(&eb);
    uint64_t total;
    int ra = jl_decompress_each(JL_COMP_BZ2, z, zn, jl_alloc_default(), JL_FUZZ_MAX_OUT, fuzz_collect, &a, &total, &ea);
    jl_bz2_index *ix = NULL;
    int rb = jl_bz2_index_build(z, zn, jl_alloc_default(), JL_FUZZ_MAX_OUT, fuzz_collect, &b, &ix, &eb);
    JL_CHECK(ra == rb && strcmp(ea.message, eb.message) == 0, "plain: %d (%s), index: %d (%s)", ra, ea.message, rb,
             eb.message);
    JL_CHECK(a.len == b.len && a.pieces == b.pieces && (!a.len || memcmp(a.p, b.p, (size_t)a.len) == 0),
             "pieces differ: plain %llu bytes in %llu, index %llu in %llu", (unsigned long long)a.len,
             (unsigned long long)a.pieces, (unsigned long long)b.len, (unsigned long long)b.pieces);
    if (intact) {
        JL_CHECK(rb == JL_OK && b.len == n && (!n || memcmp(b.p, raw, (size_t)n) == 0), "a valid stream: %s", eb.message);
        JL_CHECK(ix != NULL || n == 0, "no index of a valid stream");
    }
    JL_CHECK(ix == NULL || rb == JL_OK, "an index with error %d", rb);
    if (ix) {
        JL_CHECK(jl_bz2_index_total(ix) == b.len, "index total %llu, emitted %llu",
                 (unsigned long long)jl_bz2_index_total(ix), (unsigned long long)b.len);
        fuzz_check_reads(bz2_read, ix, z, zn, b.p, b.len, data, size, 8, 200000, 1);
        jl_bz2_index_free(ix);
    }
    free(a.p);
    free(b.p);
    free(z);
    free(raw);
    return 0;
}
