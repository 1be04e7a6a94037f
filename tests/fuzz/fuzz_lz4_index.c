/*
 * fuzz_lz4_index.c - libFuzzer target for random access into lz4 frames
 * (codec/io/lz4_index.c). The first byte chooses:
 *   bit 0   the rest is an lz4 stream as it is (mostly invalid: every
 *           error path of building and reading);
 *   else    the rest, repeated with a counter into up to 384 KiB, is
 *           framed here with LZ4F (block size by bits 1-2, independent
 *           blocks by bit 3, block checksums by bit 4, content checksum
 *           and size by bit 5) and, when bit 6 is set, damaged at
 *           offsets the input picks.
 * Building must give exactly what jl_decompress_each gives (code,
 * message, emitted bytes), under a limit the input may pick small. The
 * index (2 KiB span: a point at every block) then serves 32 reads at
 * offsets and lengths the input picks: for an undamaged stream every
 * read in range succeeds with exactly the emitted bytes; for any stream
 * a read may fail, but only with an error code and message.
 */
#include <lz4frame.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc_check.h"
#include "fuzz_limits.h"
#include "fuzz_util.h"
#include "lz4_index.h"

#define SPAN ((uint64_t)2 << 10)
#define RAW_MAX ((uint64_t)384 << 10)


static uint8_t *framed(const uint8_t *raw, uint64_t n, uint8_t mode, uint64_t *zn) {
    static const LZ4F_blockSizeID_t sizes[] = { LZ4F_max64KB, LZ4F_max256KB, LZ4F_max1MB, LZ4F_max4MB };
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = sizes[(mode >> 1) & 3];
    prefs.frameInfo.blockMode = mode & 8 ? LZ4F_blockIndependent : LZ4F_blockLinked;
    prefs.frameInfo.blockChecksumFlag = mode & 16 ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum;
    prefs.frameInfo.contentChecksumFlag = mode & 32 ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum;
    prefs.frameInfo.contentSize = mode & 32 ? n : 0;
    size_t cap = LZ4F_compressFrameBound((size_t)n, &prefs);
    uint8_t *z = malloc(cap);
    JL_CHECK(z != NULL, "out of memory in the fuzz target");
    size_t r = LZ4F_compressFrame(z, cap, raw, (size_t)n, &prefs);
    JL_CHECK(!LZ4F_isError(r), "LZ4F_compressFrame: %s", LZ4F_getErrorName(r));
    *zn = r;
    return z;
}

static int read_index(const void *ix, const uint8_t *z, uint64_t zn, uint64_t off, uint8_t *dst, uint64_t len,
                      jl_error *err) {
    return jl_lz4_index_read(ix, z, zn, off, dst, len, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t mode = data[0];
    const uint8_t *rest = data + 1;
    size_t nrest = size - 1;
    uint8_t *raw = NULL, *z;
    uint64_t n = 0, zn;
    int intact = 0;
    if (mode & 1) {
        z = fuzz_dup(rest, nrest);
        zn = nrest;
    } else {
        n = (uint64_t)nrest * (1 + rest[0] % 64) * 8;
        if (n > RAW_MAX) n = RAW_MAX;
        raw = malloc((size_t)n);
        JL_CHECK(raw != NULL, "out of memory in the fuzz target");
        for (uint64_t i = 0; i < n; i++) raw[i] = (uint8_t)(rest[i % nrest] + (i / nrest) * (mode >> 7));
        z = framed(raw, n, mode, &zn);
        intact = !(mode & 64);
        size_t at = 1;
        for (int k = 0; !intact && k < 1 + rest[0] % 4; k++) z[fuzz_pick(data, size, &at) % zn] ^= (uint8_t)(1 + data[at % size]);
    }
    /* a limit: none, or one the input picks (every 4th input) */
    uint64_t max_out = JL_FUZZ_MAX_OUT;
    if (size > 8 && data[size - 1] % 4 == 0) max_out = (uint64_t)data[size - 2] << 11;
    fuzz_sink s = { NULL, 0, 0, 0 }, e = { NULL, 0, 0, 0 };
    jl_lz4_index *ix = NULL;
    jl_error err, eerr;
    jl_error_clear(&err);
    jl_error_clear(&eerr);
    uint64_t total;
    int erc = jl_decompress_each(JL_COMP_LZ4, z, zn, jl_alloc_default(), max_out, fuzz_collect, &e, &total, &eerr);
    int rc = jl_lz4_index_build(z, zn, jl_alloc_default(), SPAN, max_out, fuzz_collect, &s, &ix, &err);
    JL_CHECK(rc == erc && strcmp(err.message, eerr.message) == 0, "build: %d \"%s\", jl_decompress_each: %d \"%s\"",
             rc, err.message, erc, eerr.message);
    JL_CHECK(s.len == e.len && (s.len == 0 || memcmp(s.p, e.p, (size_t)s.len) == 0),
             "the emitted bytes differ from jl_decompress_each's");
    if (intact && max_out >= n) {
        JL_CHECK(rc == JL_OK, "building the index of a valid stream: %s", err.message);
        JL_CHECK(s.len == n && (n == 0 || memcmp(s.p, raw, (size_t)n) == 0), "the emitted bytes differ from the input");
        JL_CHECK(ix != NULL, "no index for a stream LZ4F wrote");
    } else if (rc != JL_OK) {
        JL_CHECK(err.code == (jl_code)rc && err.message[0], "error %d without its message", rc);
        JL_CHECK((ix != NULL) == (rc == JL_E_TRUNCATED), "index %p with error %d", (void *)ix, rc);
    }
    if (ix) {
        JL_CHECK(jl_lz4_index_total(ix) == s.len, "index total %llu, emitted %llu",
                 (unsigned long long)jl_lz4_index_total(ix), (unsigned long long)s.len);
        fuzz_reads(ix, read_index, z, zn, data, size, &s, 100000, rc == JL_OK, rc == JL_E_TRUNCATED);
        jl_lz4_index_free(ix);
    }
    free(s.p);
    free(e.p);
    free(z);
    free(raw);
    return 0;
}
