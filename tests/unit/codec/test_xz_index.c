/*
 * test_xz_index.c - random access into .xz files by their own Index
 * (codec/io/xz_index.c). Multi-Block files are made here with liblzma
 * (lzma_code with LZMA_FULL_FLUSH between Blocks: headers without sizes;
 * the multi-threaded encoder with a block size: headers with sizes), with
 * each check type, and as concatenated streams with zero padding and a
 * one-Block stream among them. Building must hand over exactly what
 * jl_decompress_each hands over (the same pieces, the same errors for
 * cut and damaged files) and keep one point per Block; reads at random
 * offsets give the bytes of whole decompression. One-Block files, cut
 * files and damaged ones get no index.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "seek_index.h"
#include "xz_index.h"

#ifdef HAVE_LZMA
#include <lzma.h>

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)

/* raw as one xz stream of Blocks of `block` bytes (0: one Block), by
 * LZMA_FULL_FLUSH after each (headers without sizes). */
static uint8_t *xz_flushed(const uint8_t *raw, uint64_t n, uint64_t block, lzma_check check, uint64_t *zn) {
    lzma_stream z = LZMA_STREAM_INIT;
    assert_int_equal(lzma_easy_encoder(&z, 1, check), LZMA_OK);
    size_t cap = lzma_stream_buffer_bound((size_t)n) + (size_t)(n / (block ? block : n + 1) + 1) * 64;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    z.next_out = out;
    z.avail_out = cap;
    uint64_t pos = 0;
    for (;;) {
        uint64_t k = block && n - pos > block ? block : n - pos;
        z.next_in = raw + pos;
        z.avail_in = (size_t)k;
        lzma_action act = pos + k < n ? LZMA_FULL_FLUSH : LZMA_FINISH;
        lzma_ret r;
        while ((r = lzma_code(&z, act)) == LZMA_OK) {}
        assert_int_equal(r, LZMA_STREAM_END);
        pos += k;
        if (act == LZMA_FINISH) break;
    }
    *zn = z.total_out;
    lzma_end(&z);
    return out;
}

/* What jl_decompress_each hands over and returns for z. */
static int each(const uint8_t *z, uint64_t zn, uint64_t max_out, jl_test_sink *s, jl_error *err) {
    uint64_t total;
    memset(s, 0, sizeof *s);
    jl_error_clear(err);
    return jl_decompress_each(JL_COMP_XZ, z, zn, NULL, max_out, jl_test_collect, s, &total, err);
}

/* Builds the index of z and checks it hands over what jl_decompress_each
 * does (pieces, bytes, return code, message). */
static jl_xz_index *build_same(const uint8_t *z, uint64_t zn, uint64_t max_out, int want_rc) {
    jl_test_sink a, b;
    jl_error ea, eb;
    int ra = each(z, zn, max_out, &a, &ea);
    memset(&b, 0, sizeof b);
    jl_error_clear(&eb);
    jl_xz_index *ix = NULL;
    int rb = jl_xz_index_build(z, zn, NULL, max_out, jl_test_collect, &b, &ix, &eb);
    assert_int_equal(ra, want_rc);
    assert_int_equal(rb, ra);
    assert_string_equal(eb.message, ea.message);
    assert_int_equal(b.pieces, a.pieces);
    assert_int_equal(b.len, a.len);
    if (a.len) assert_memory_equal(b.p, a.p, a.len);
    if (rb != JL_OK) assert_null(ix);
    free(a.p);
    free(b.p);
    return ix;
}

/* 40 reads at seeded random offsets and lengths, one of everything, both
 * ends, and past the end. */
static void random_reads(const jl_xz_index *ix, const uint8_t *z, uint64_t zn, const uint8_t *raw, uint64_t n) {
    uint8_t *dst = malloc((size_t)n);
    assert_non_null(dst);
    uint32_t seed = 7;
    for (int i = 0; i < 44; i++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t off = i == 40 ? 0 : i >= 41 ? n - 1 : ((uint64_t)seed << 8 ^ seed >> 8) % n;
        seed = seed * 1103515245u + 12345u;
        uint64_t len = i == 42 ? 0 : i >= 40 ? 1 : 1 + seed % (i % 4 == 0 ? 300 * KiB : 4096);
        if (i == 43) off = 0, len = n;
        if (len > n - off) len = n - off;
        jl_error err;
        jl_error_clear(&err);
        memset(dst, 0xA5, (size_t)len);
        if (jl_xz_index_read(ix, z, zn, off, dst, len, &err))
            fail_msg("read %llu+%llu: %s", (unsigned long long)off, (unsigned long long)len, err.message);
        if (len && memcmp(dst, raw + off, (size_t)len) != 0)
            fail_msg("read %llu+%llu: bytes differ", (unsigned long long)off, (unsigned long long)len);
    }
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_xz_index_read(ix, z, zn, n - 10, dst, 20, &err), JL_E_TRUNCATED);
    char want[120];
    snprintf(want, sizeof want, "file is truncated: the xz stream ends after %llu bytes, before byte %llu",
             (unsigned long long)n, (unsigned long long)(n + 10));
    assert_string_equal(err.message, want);
    free(dst);
}

/* One stream of 128 KiB Blocks with each check type. */
static void test_checks(void **state) {
    (void)state;
    static const lzma_check checks[] = { LZMA_CHECK_NONE, LZMA_CHECK_CRC32, LZMA_CHECK_CRC64, LZMA_CHECK_SHA256 };
    uint64_t n = MiB + 12345, zn;
    uint8_t *raw = jl_test_text_noise(n, 3);
    for (size_t k = 0; k < sizeof checks / sizeof *checks; k++) {
        uint8_t *z = xz_flushed(raw, n, 128 * KiB, checks[k], &zn);
        jl_xz_index *ix = build_same(z, zn, UINT64_MAX, JL_OK);
        assert_non_null(ix);
        assert_int_equal(jl_xz_index_points(ix), (n + 128 * KiB - 1) / (128 * KiB));
        assert_int_equal(jl_xz_index_total(ix), n);
        assert_int_equal(jl_xz_index_bytes(ix), 40 + jl_xz_index_points(ix) * 40);
        random_reads(ix, z, zn, raw, n);
        jl_xz_index_free(ix);
        free(z);
    }
    free(raw);
}

/* The multi-threaded encoder's Blocks (sizes in their headers). */
static void test_mt(void **state) {
    (void)state;
    uint64_t n = 2 * MiB + 77, zn;
    uint8_t *raw = jl_test_text_noise(n, 5);
    uint8_t *z = jl_test_xz_blocks(raw, n, 512 * KiB, &zn);
    jl_xz_index *ix = build_same(z, zn, UINT64_MAX, JL_OK);
    assert_non_null(ix);
    assert_int_equal(jl_xz_index_points(ix), 5);
    random_reads(ix, z, zn, raw, n);
    jl_xz_index_free(ix);
    free(z);
    free(raw);
}

/* Three streams (Blocks, one Block, Blocks) with 8 and 3 zero bytes
 * between them and junk after the last (ignored, as Python ignores it). */
static void test_streams(void **state) {
    (void)state;
    uint64_t n1 = MiB + 3, n2 = 300 * KiB, n3 = MiB + 100 * KiB, z1n, z2n, z3n;
    uint64_t n = n1 + n2 + n3;
    uint8_t *raw = jl_test_text_noise(n, 7);
    uint8_t *z1 = xz_flushed(raw, n1, 200 * KiB, LZMA_CHECK_CRC32, &z1n);
    uint8_t *z2 = xz_flushed(raw + n1, n2, 0, LZMA_CHECK_SHA256, &z2n);
    uint8_t *z3 = jl_test_xz_blocks(raw + n1 + n2, n3, 256 * KiB, &z3n);
    static const char junk[] = "not xz";
    uint64_t zn = z1n + 8 + z2n + 3 + z3n + sizeof junk;
    uint8_t *z = calloc(1, (size_t)zn);
    assert_non_null(z);
    memcpy(z, z1, (size_t)z1n);
    memcpy(z + z1n + 8, z2, (size_t)z2n);
    memcpy(z + z1n + 8 + z2n + 3, z3, (size_t)z3n);
    memcpy(z + zn - sizeof junk, junk, sizeof junk);
    jl_xz_index *ix = build_same(z, zn, UINT64_MAX, JL_OK);
    assert_non_null(ix);
    assert_int_equal(jl_xz_index_points(ix), 6 + 1 + 5);
    assert_int_equal(jl_xz_index_total(ix), n);
    random_reads(ix, z, zn, raw, n);
    /* a read across both stream boundaries */
    uint8_t *dst = malloc((size_t)(n2 + 2000));
    assert_non_null(dst);
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_xz_index_read(ix, z, zn, n1 - 1000, dst, n2 + 2000, &err), JL_OK);
    assert_memory_equal(dst, raw + n1 - 1000, n2 + 2000);
    free(dst);
    jl_xz_index_free(ix);
    free(z);
    free(z1);
    free(z2);
    free(z3);
    free(raw);
}

/* One Block (what Python's lzma and joblib.dump write): no index, and
 * none through seek_index.h either; lzma-alone has no row. */
static void test_one_block(void **state) {
    (void)state;
    uint64_t n = MiB + 5, zn;
    uint8_t *raw = jl_test_text_noise(n, 9);
    uint8_t *z = NULL;
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_compress(JL_COMP_XZ, 1, raw, n, NULL, &z, &zn, &err), JL_OK);
    assert_null(build_same(z, zn, UINT64_MAX, JL_OK));
    jl_free(jl_alloc_default(), z);
    z = xz_flushed(raw, n, 0, LZMA_CHECK_CRC64, &zn);
    assert_null(build_same(z, zn, UINT64_MAX, JL_OK));
    free(z);
    /* two Blocks through the generic handle; lzma-alone gets none */
    z = xz_flushed(raw, n, n / 2 + 1, LZMA_CHECK_CRC64, &zn);
    jl_test_sink s;
    memset(&s, 0, sizeof s);
    jl_seek_index *six = NULL;
    assert_int_equal(jl_seek_index_build(JL_COMP_XZ, z, zn, NULL, 0, UINT64_MAX, jl_test_collect, NULL, NULL, &s, &six, &err), JL_OK);
    assert_non_null(six);
    assert_int_equal(jl_seek_index_points(six), 2);
    assert_int_equal(jl_seek_index_total(six), n);
    uint8_t buf[100];
    assert_int_equal(jl_seek_index_read(six, z, zn, n - 100, buf, 100, &err), JL_OK);
    assert_memory_equal(buf, raw + n - 100, 100);
    jl_seek_index_free(six);
    free(s.p);
    free(z);
    uint8_t *alone = NULL;
    uint64_t an;
    assert_int_equal(jl_compress(JL_COMP_LZMA, 1, raw, n, NULL, &alone, &an, &err), JL_OK);
    memset(&s, 0, sizeof s);
    assert_int_equal(jl_seek_index_build(JL_COMP_LZMA, alone, an, NULL, 0, UINT64_MAX, jl_test_collect, NULL, NULL, &s, &six, &err),
                     JL_OK);
    assert_null(six);
    assert_int_equal(s.len, n);
    free(s.p);
    jl_free(jl_alloc_default(), alone);
    free(raw);
}

/* Cut files (inside a Block, inside the Index, inside the footer, in the
 * second stream) and the limit: jl_decompress_each's errors, no index. */
static void test_cut(void **state) {
    (void)state;
    uint64_t n = 3 * MiB / 2, zn;
    uint8_t *raw = jl_test_text_noise(n, 11);
    uint8_t *z = xz_flushed(raw, n, 256 * KiB, LZMA_CHECK_CRC64, &zn);
    const uint64_t cuts[] = { 0, 5, 12, zn / 3, zn / 2, zn - 40, zn - 13, zn - 1 };
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++)
        assert_null(build_same(z, cuts[k], UINT64_MAX, JL_E_TRUNCATED));
    /* two streams, the second cut */
    uint8_t *two = malloc((size_t)(2 * zn));
    assert_non_null(two);
    memcpy(two, z, (size_t)zn);
    memcpy(two + zn, z, (size_t)zn);
    assert_null(build_same(two, 2 * zn - 20, UINT64_MAX, JL_E_TRUNCATED));
    jl_xz_index *ix = build_same(two, 2 * zn, UINT64_MAX, JL_OK);
    assert_int_equal(jl_xz_index_points(ix), 12);
    jl_xz_index_free(ix);
    assert_null(build_same(z, zn, n - 1, JL_E_LIMIT));
    assert_null(build_same(z, zn, MiB, JL_E_LIMIT));
    free(two);
    free(z);
    free(raw);
}

/* Damage in a Block, in the Index, in the footer: jl_decompress_each's
 * error, no index. An index built from the intact file reads the damaged
 * one with an error, never wrong bytes (every Block has a CRC64). */
static void test_damaged(void **state) {
    (void)state;
    uint64_t n = MiB, zn;
    uint8_t *raw = jl_test_text_noise(n, 13);
    uint8_t *z = xz_flushed(raw, n, 256 * KiB, LZMA_CHECK_CRC64, &zn);
    uint8_t *bad = malloc((size_t)zn);
    assert_non_null(bad);
    lzma_stream_flags foot;
    assert_int_equal(lzma_stream_footer_decode(&foot, z + zn - 12), LZMA_OK);
    uint64_t index_at = zn - 12 - foot.backward_size;
    const uint64_t at[] = { zn / 2, index_at + 2, index_at + foot.backward_size - 2, zn - 8, zn - 3, 13 };
    for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
        memcpy(bad, z, (size_t)zn);
        bad[at[k]] ^= 0x41;
        assert_null(build_same(bad, zn, UINT64_MAX, JL_E_FORMAT));
    }
    jl_xz_index *ix = build_same(z, zn, UINT64_MAX, JL_OK);
    assert_non_null(ix);
    memcpy(bad, z, (size_t)zn);
    memset(bad + zn / 2, 0x55, 64);
    uint8_t *dst = malloc((size_t)n);
    assert_non_null(dst);
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_xz_index_read(ix, bad, zn, 0, dst, n, &err);
    assert_int_equal(rc, JL_E_FORMAT);
    assert_non_null(strstr(err.message, "xz data is corrupt at compressed byte "));
    /* the Block header itself damaged: its CRC32 */
    memcpy(bad, z, (size_t)zn);
    bad[12 + 2] ^= 1;
    jl_error_clear(&err);
    assert_int_equal(jl_xz_index_read(ix, bad, zn, 10, dst, 10, &err), JL_E_FORMAT);
    assert_string_equal(err.message, "xz data is corrupt at compressed byte 12: invalid data or checksum");
    /* Block 0's CRC64 damaged: a read that stops inside the Block does not
     * reach it; one that runs to the Block's end fails on it */
    lzma_index *idx = NULL;
    uint64_t memlimit = UINT64_MAX;
    size_t ipos = 0;
    assert_int_equal(lzma_index_buffer_decode(&idx, &memlimit, NULL, z + index_at, &ipos, (size_t)foot.backward_size),
                     LZMA_OK);
    lzma_index_iter it;
    lzma_index_iter_init(&it, idx);
    assert_false(lzma_index_iter_next(&it, LZMA_INDEX_ITER_BLOCK));
    uint64_t check_at = it.block.compressed_file_offset + it.block.unpadded_size - 8, size0 = it.block.uncompressed_size;
    lzma_index_end(idx, NULL);
    assert_int_equal(size0, 256 * KiB);
    memcpy(bad, z, (size_t)zn);
    bad[check_at] ^= 1;
    jl_error_clear(&err);
    assert_int_equal(jl_xz_index_read(ix, bad, zn, 1000, dst, size0 - 1001, &err), JL_OK);
    assert_memory_equal(dst, raw + 1000, size0 - 1001);
    assert_int_equal(jl_xz_index_read(ix, bad, zn, 1000, dst, size0 - 1000, &err), JL_E_FORMAT);
    jl_test_sink s;
    jl_error ew;
    char want[sizeof ew.message]; /* the whole-file pass's words for the same damage */
    assert_int_equal(each(bad, zn, UINT64_MAX, &s, &ew), JL_E_FORMAT);
    free(s.p);
    snprintf(want, sizeof want, "%s", ew.message);
    assert_string_equal(err.message, want);
    jl_error_clear(&err);
    assert_int_equal(jl_xz_index_read(ix, bad, zn, size0 - 10, dst, 20, &err), JL_E_FORMAT);
    assert_string_equal(err.message, want);
    assert_int_equal(jl_xz_index_read(ix, bad, zn, size0, dst, 20, &err), JL_OK); /* Block 1 alone */
    assert_memory_equal(dst, raw + size0, 20);
    /* a shorter input than the one indexed */
    jl_error_clear(&err);
    assert_int_equal(jl_xz_index_read(ix, z, zn / 2, n - 10, dst, 10, &err), JL_E_ARG);
    assert_string_equal(err.message, "the xz stream is not the one its index was built from");
    jl_xz_index_free(ix);
    free(dst);
    free(bad);
    free(z);
    free(raw);
}

/* Every allocation failing in turn: the same error or no index, nothing
 * leaked; reads with an allocator that fails. */
static void test_alloc_failures(void **state) {
    (void)state;
    uint64_t n = 600 * KiB, zn;
    uint8_t *raw = jl_test_text_noise(n, 17);
    uint8_t *z = xz_flushed(raw, n, 100 * KiB, LZMA_CHECK_CRC32, &zn);
    int built = 0;
    for (long k = 0; k < 400 && !built; k++) {
        jl_test_alloc t;
        jl_test_alloc_init(&t, k);
        jl_test_sink s;
        memset(&s, 0, sizeof s);
        jl_error err;
        jl_error_clear(&err);
        jl_xz_index *ix = NULL;
        int rc = jl_xz_index_build(z, zn, &t.alloc, UINT64_MAX, jl_test_collect, &s, &ix, &err);
        assert_true(rc == JL_OK || rc == JL_E_NOMEM);
        if (rc == JL_OK) assert_int_equal(s.len, n);
        if (ix) {
            built = 1;
            for (long f = 0; f < 40; f++) {
                t.fail_after = t.calls + f;
                uint8_t buf[3000];
                jl_error_clear(&err);
                int r = jl_xz_index_read(ix, z, zn, 250 * KiB, buf, sizeof buf, &err);
                assert_true(r == JL_OK || r == JL_E_NOMEM);
                if (r == JL_OK) assert_memory_equal(buf, raw + 250 * KiB, sizeof buf);
                else assert_non_null(strstr(err.message, "out of memory in the xz "));
            }
            jl_xz_index_free(ix);
        }
        free(s.p);
        assert_int_equal(t.live, 0);
    }
    assert_true(built);
    free(z);
    free(raw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks), cmocka_unit_test(test_mt),      cmocka_unit_test(test_streams),
        cmocka_unit_test(test_one_block), cmocka_unit_test(test_cut),  cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("xz_index", tests, NULL, NULL);
}
#else
int main(void) {
    return 77; /* no liblzma in this build */
}
#endif
