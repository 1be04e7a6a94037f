/*
 * fuzz_xz_index.c - libFuzzer target for random access into .xz files by
 * their own Index (codec/io/xz_index.c). The first byte chooses:
 *   bit 0   the rest is an .xz file as it is (mostly invalid: every
 *           error path of the whole-file pass and of the Index checks);
 *   else    the rest, repeated with a counter into up to 64 KiB, is
 *           compressed here as Blocks of 1-16 KiB (LZMA_FULL_FLUSH
 *           between them; check type by bits 1-2), as two streams with
 *           zero padding between them when bit 3 is set, and damaged at
 *           offsets the input picks when bit 5 is set.
 * Building must return what jl_decompress_each returns (code, message,
 * bytes) and, for an intact file of two Blocks or more, give an index.
 * Then 32 reads at offsets and lengths the input picks, of the file and
 * (bit 4) of a damaged copy of it: for the intact file every read within
 * it gives exactly the bytes of whole decompression; any read may fail,
 * but only with an error code and message.
 */
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc_check.h"
#include "fuzz_limits.h"
#include "fuzz_util.h"
#include "xz_index.h"

#define RAW_MAX ((uint64_t)64 << 10)

/* raw[0..n) as one stream of `block`-byte Blocks at out + *at. */
static void xz_stream(const uint8_t *raw, uint64_t n, uint64_t block, lzma_check check, uint8_t *out, size_t cap,
                      size_t *at) {
    lzma_stream z = LZMA_STREAM_INIT;
    JL_CHECK(lzma_easy_encoder(&z, 0, check) == LZMA_OK, "lzma_easy_encoder");
    z.next_out = out + *at;
    z.avail_out = cap - *at;
    uint64_t pos = 0;
    for (;;) {
        uint64_t k = n - pos > block ? block : n - pos;
        z.next_in = raw + pos;
        z.avail_in = (size_t)k;
        lzma_action act = pos + k < n ? LZMA_FULL_FLUSH : LZMA_FINISH;
        lzma_ret r;
        while ((r = lzma_code(&z, act)) == LZMA_OK) {}
        JL_CHECK(r == LZMA_STREAM_END, "lzma_code: %d", (int)r);
        pos += k;
        if (act == LZMA_FINISH) break;
    }
    *at += (size_t)z.total_out;
    lzma_end(&z);
}

/* 32 reads of z with ix; intact: z is the indexed file, whole[0..n) its bytes. */
static void reads(const jl_xz_index *ix, const uint8_t *z, uint64_t zn, const uint8_t *whole, uint64_t n,
                  int intact, const uint8_t *data, size_t size) {
    uint8_t *dst = malloc((size_t)n + 64);
    JL_CHECK(dst != NULL, "out of memory in the fuzz target");
    size_t at = 2;
    for (int k = 0; k < 32 && n; k++) {
        uint64_t off = fuzz_pick(data, size, &at) % n, len = 1 + fuzz_pick(data, size, &at) % 40000;
        uint64_t room = n - off + (k % 8 == 7 ? 64 : 0);
        if (len > room) len = room;
        jl_error err;
        jl_error_clear(&err);
        int r = jl_xz_index_read(ix, z, zn, off, dst, len, &err);
        if (r == JL_OK) {
            JL_CHECK(off + len <= n, "read past the end (%llu+%llu of %llu) succeeded", (unsigned long long)off,
                     (unsigned long long)len, (unsigned long long)n);
            JL_CHECK(!intact || memcmp(dst, whole + off, (size_t)len) == 0, "read %llu+%llu differs",
                     (unsigned long long)off, (unsigned long long)len);
        } else {
            JL_CHECK(err.code == (jl_code)r && err.message[0], "read error %d without its message", r);
            JL_CHECK(!intact || off + len > n, "read %llu+%llu of the indexed file failed: %s",
                     (unsigned long long)off, (unsigned long long)len, err.message);
        }
    }
    free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    static const lzma_check checks[] = { LZMA_CHECK_NONE, LZMA_CHECK_CRC32, LZMA_CHECK_CRC64, LZMA_CHECK_SHA256 };
    uint8_t mode = data[0];
    const uint8_t *rest = data + 1;
    size_t nrest = size - 1;
    uint8_t *raw = NULL, *z;
    uint64_t n = 0, block = 0;
    size_t zn = 0;
    int intact = 0;
    if (mode & 1) {
        z = fuzz_dup(rest, nrest);
        zn = nrest;
    } else {
        raw = fuzz_raw(rest, nrest, mode, RAW_MAX, &n);
        block = 1024 * (1 + (uint64_t)(nrest > 1 ? rest[1] : 0) % 16);
        size_t cap = 2 * lzma_stream_buffer_bound((size_t)n) + (size_t)(n / block + 2) * 128 + 64;
        z = calloc(1, cap);
        JL_CHECK(z != NULL, "out of memory in the fuzz target");
        lzma_check check = checks[(mode >> 1) & 3];
        if (mode & 8) { /* two streams, 4 + 4 * k zero bytes between */
            xz_stream(raw, n / 2, block, check, z, cap, &zn);
            zn += 4 + 4 * (size_t)(mode >> 6);
            xz_stream(raw + n / 2, n - n / 2, block, check, z, cap, &zn);
        } else {
            xz_stream(raw, n, block, check, z, cap, &zn);
        }
        intact = !(mode & 32);
        size_t at = 1;
        for (int k = 0; !intact && k < 1 + rest[0] % 4; k++) z[fuzz_pick(data, size, &at) % zn] ^= (uint8_t)(1 + data[at % size]);
    }
    /* the whole-file pass, as the index builder must repeat it */
    fuzz_sink want = { NULL, 0, 0, 0 }, got = { NULL, 0, 0, 0 };
    jl_error ew, eg;
    jl_error_clear(&ew);
    jl_error_clear(&eg);
    uint64_t total = 0;
    int rw = jl_decompress_each(JL_COMP_XZ, z, zn, jl_alloc_default(), JL_FUZZ_MAX_OUT, fuzz_collect, &want, &total, &ew);
    jl_xz_index *ix = NULL;
    int rg = jl_xz_index_build(z, zn, jl_alloc_default(), JL_FUZZ_MAX_OUT, fuzz_collect, &got, &ix, &eg);
    JL_CHECK(rg == rw && strcmp(eg.message, ew.message) == 0, "build: %d %s, each: %d %s", rg, eg.message, rw,
             ew.message);
    JL_CHECK(got.len == want.len && (!got.len || memcmp(got.p, want.p, (size_t)got.len) == 0),
             "the build handed over other bytes than jl_decompress_each");
    if (intact) {
        JL_CHECK(rg == JL_OK, "building the index of a valid file: %s", eg.message);
        JL_CHECK(got.len == n && memcmp(got.p, raw, (size_t)n) == 0, "the emitted bytes differ from the input");
        uint64_t h = mode & 8 ? n / 2 : n, blocks = (h + block - 1) / block + (n - h + block - 1) / block;
        JL_CHECK((ix != NULL) == (blocks >= 2), "index %p for %llu non-empty Blocks", (void *)ix,
                 (unsigned long long)blocks);
    }
    if (rg != JL_OK) JL_CHECK(ix == NULL, "an index with error %d", rg);
    if (ix) {
        JL_CHECK(jl_xz_index_total(ix) == got.len, "index total %llu, emitted %llu",
                 (unsigned long long)jl_xz_index_total(ix), (unsigned long long)got.len);
        reads(ix, z, zn, got.p, got.len, 1, data, size);
        if (mode & 16) { /* the indexed file changed under the index */
            size_t at = 3;
            for (int k = 0; k < 3; k++) z[fuzz_pick(data, size, &at) % zn] ^= (uint8_t)(1 + data[at % size]);
            reads(ix, z, zn - data[size - 1] % 16, got.p, got.len, 0, data, size);
        }
        jl_xz_index_free(ix);
    }
    free(want.p);
    free(got.p);
    free(z);
    free(raw);
    return 0;
}
