/*
 * test_inflate_index.c - random access into zlib and gzip streams
 * (codec/io/inflate_index.c) and piece-by-piece decompression
 * (jl_decompress_each, codec/io/container.c): a multi-MiB stream of each
 * kind, also two gzip members, is indexed while inflating (the emitted
 * pieces are the stream), then reads at random offsets and lengths give
 * the same bytes as whole inflation; a corrupted stream fails with the
 * container's message, a cut one gives its prefix and an index of it.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "inflate_index.h"

#define MiB ((uint64_t)1 << 20)
#define SPAN ((uint64_t)256 << 10)

typedef jl_test_sink sink; /* the pieces handed over (testutil.h) */

/* Text runs and noise (deflate blocks of a few KiB: many checkpoints). */
static uint8_t *make_data(uint64_t n, uint32_t seed) {
    static const char words[] = "joblib numpy array pickle frame ";
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (i / 64) % 3 == 0 ? (uint8_t)(seed >> 16) : (uint8_t)words[(i + (seed >> 28)) % (sizeof words - 1)];
    }
    return p;
}

static uint8_t *compressed(jl_compression c, const uint8_t *in, uint64_t n, uint64_t *out_len) {
    uint8_t *out = NULL;
    jl_error err;
    jl_error_clear(&err);
    if (jl_compress(c, c == JL_COMP_LZ4 ? 0 : 1, in, n, NULL, &out, out_len, &err))
        fail_msg("compress %s: %s", jl_compression_name(c), err.message);
    return out;
}

static jl_inflate_index *build(jl_compression c, const uint8_t *z, uint64_t zn, sink *s, int want_rc,
                               jl_error *err) {
    jl_inflate_index *ix = NULL;
    jl_error_clear(err);
    memset(s, 0, sizeof *s);
    int rc = jl_inflate_index_build(c, z, zn, NULL, SPAN, UINT64_MAX, jl_test_collect, s, &ix, err);
    if (rc != want_rc) fail_msg("build %s: rc %d (%s), want %d", jl_compression_name(c), rc, err->message, want_rc);
    return ix;
}

static int inflate_read(const void *ix, const uint8_t *z, uint64_t zn, uint64_t off, uint8_t *dst, uint64_t len,
                        jl_error *err) {
    return jl_inflate_index_read(ix, z, zn, off, dst, len, err);
}

/* 100 reads at seeded random offsets and lengths, plus both ends. */
static void random_reads(const jl_inflate_index *ix, const uint8_t *z, uint64_t zn, const uint8_t *raw,
                         uint64_t n) {
    jl_test_random_reads(inflate_read, ix, z, zn, raw, n, 100, MiB);
    uint8_t dst[20];
    /* past the end: the stream's own words */
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_inflate_index_read(ix, z, zn, n - 10, dst, 20, &err), JL_E_TRUNCATED);
    assert_non_null(strstr(err.message, "file is truncated: the "));
}

static void check_kind(jl_compression c) {
    uint64_t n = 4 * MiB + 12345, zn;
    uint8_t *raw = make_data(n, 3);
    uint8_t *z = compressed(c, raw, n, &zn);
    sink s;
    jl_error err;
    jl_inflate_index *ix = build(c, z, zn, &s, JL_OK, &err);
    assert_int_equal(s.len, n);
    assert_memory_equal(s.p, raw, n);
    assert_int_equal(s.short_pieces, 1); /* whole pieces, the last one shorter */
    assert_int_equal(jl_inflate_index_total(ix), n);
    assert_true(jl_inflate_index_points(ix) >= n / SPAN / 2);
    random_reads(ix, z, zn, raw, n);
    jl_inflate_index_free(ix);
    free(s.p);
    free(z);
    free(raw);
}

static void test_zlib(void **state) {
    (void)state;
    check_kind(JL_COMP_ZLIB);
}

static void test_gzip(void **state) {
    (void)state;
    check_kind(JL_COMP_GZIP);
}

/* Two gzip members with zero padding between, as Python reads them. */
static void test_gzip_members(void **state) {
    (void)state;
    uint64_t n1 = 3 * MiB + 7, n2 = 2 * MiB + 99, z1n, z2n;
    uint8_t *raw = make_data(n1 + n2, 5);
    uint8_t *z1 = compressed(JL_COMP_GZIP, raw, n1, &z1n), *z2 = compressed(JL_COMP_GZIP, raw + n1, n2, &z2n);
    uint64_t zn = z1n + 16 + z2n;
    uint8_t *z = calloc(1, (size_t)zn);
    assert_non_null(z);
    memcpy(z, z1, (size_t)z1n);
    memcpy(z + z1n + 16, z2, (size_t)z2n);
    sink s;
    jl_error err;
    jl_inflate_index *ix = build(JL_COMP_GZIP, z, zn, &s, JL_OK, &err);
    assert_int_equal(s.len, n1 + n2);
    assert_memory_equal(s.p, raw, n1 + n2);
    random_reads(ix, z, zn, raw, n1 + n2);
    jl_inflate_index_free(ix);
    free(s.p);
    free(z);
    free(z1);
    free(z2);
    free(raw);
}

/* Bytes overwritten in the middle: building fails with the container's
 * message; an index built before the damage reads garbage as an error. */
static void test_corrupt(void **state) {
    (void)state;
    uint64_t n = 4 * MiB, zn;
    uint8_t *raw = make_data(n, 9);
    uint8_t *z = compressed(JL_COMP_ZLIB, raw, n, &zn);
    sink s;
    jl_error err;
    jl_inflate_index *ix = build(JL_COMP_ZLIB, z, zn, &s, JL_OK, &err);
    uint8_t *bad = malloc((size_t)zn);
    assert_non_null(bad);
    memcpy(bad, z, (size_t)zn);
    bad[zn - 1] ^= 1; /* the Adler-32 check: every byte comes out, then the error */
    free(s.p);
    assert_null(build(JL_COMP_ZLIB, bad, zn, &s, JL_E_FORMAT, &err));
    char want[120];
    snprintf(want, sizeof want, "zlib data is corrupt at compressed byte %llu: incorrect data check",
             (unsigned long long)zn);
    assert_string_equal(err.message, want);
    assert_int_equal(s.len, n); /* what came before the damage was handed over */
    assert_memory_equal(s.p, raw, s.len);
    free(s.p);
    memset(bad + zn / 2, 0xff, 256);
    /* reading over the damaged part with the good stream's index: raw
     * deflate has no check of its own, so garbage may decode; what fails
     * says so */
    uint8_t *dst = malloc((size_t)n);
    assert_non_null(dst);
    jl_error_clear(&err);
    int rc = jl_inflate_index_read(ix, bad, zn, n / 4, dst, n - n / 4, &err);
    assert_true(rc == JL_OK || rc == JL_E_FORMAT || rc == JL_E_TRUNCATED);
    if (rc) assert_true(strstr(err.message, "zlib data is corrupt at compressed byte ") != NULL ||
                        strstr(err.message, "file is truncated: ") != NULL);
    /* the stream cut in half: a read running past the cut is truncated */
    jl_error_clear(&err);
    assert_int_equal(jl_inflate_index_read(ix, z, zn / 2, n / 4, dst, n - n / 4, &err), JL_E_TRUNCATED);
    snprintf(want, sizeof want, "file is truncated: the zlib stream stops after %llu compressed bytes, before its end (",
             (unsigned long long)(zn / 2));
    assert_non_null(strstr(err.message, want));
    /* a read whose checkpoint lies past the cut: not the stream indexed */
    jl_error_clear(&err);
    assert_int_equal(jl_inflate_index_read(ix, z, zn / 2, n - 1000, dst, 1000, &err), JL_E_ARG);
    assert_string_equal(err.message, "the zlib stream is not the one its index was built from");
    free(dst);
    jl_inflate_index_free(ix);
    free(bad);
    free(z);
    free(raw);
}

/* A cut stream: the prefix before the cut, as joblib's reader gets it,
 * and an index of it that reads inside it. */
static void test_cut(void **state) {
    (void)state;
    uint64_t n = 5 * MiB, zn;
    uint8_t *raw = make_data(n, 11);
    uint8_t *z = compressed(JL_COMP_GZIP, raw, n, &zn);
    sink s;
    jl_error err;
    uint64_t cut = zn * 3 / 4;
    jl_inflate_index *ix = build(JL_COMP_GZIP, z, cut, &s, JL_E_TRUNCATED, &err);
    assert_non_null(ix);
    char want[160];
    snprintf(want, sizeof want, "file is truncated: the gzip stream stops after %llu compressed bytes",
             (unsigned long long)cut);
    assert_non_null(strstr(err.message, want));
    assert_true(s.len > n / 2 && s.len < n);
    assert_memory_equal(s.p, raw, s.len);
    uint8_t buf[4096];
    jl_error_clear(&err);
    assert_int_equal(jl_inflate_index_read(ix, z, cut, s.len - 5000, buf, sizeof buf, &err), JL_OK);
    assert_memory_equal(buf, raw + s.len - 5000, sizeof buf);
    jl_inflate_index_free(ix);
    free(s.p);
    free(z);
    free(raw);
}

/* jl_decompress_each for every kind this build has: the same bytes as
 * jl_decompress, in whole pieces; the limit; emit stopping the decoder. */
static int stop_at_two(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    sink *s = ctx;
    if (s->pieces == 2) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "enough");
    return jl_test_collect(ctx, p, n, err);
}

static void test_each(void **state) {
    (void)state;
    static const jl_compression kinds[] = { JL_COMP_ZLIB, JL_COMP_GZIP, JL_COMP_BZ2, JL_COMP_LZMA, JL_COMP_XZ, JL_COMP_LZ4 };
    uint64_t n = 2 * MiB + 5, zn, total;
    uint8_t *raw = make_data(n, 13);
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        if (!jl_compression_available(kinds[k])) continue;
        uint8_t *z = compressed(kinds[k], raw, n, &zn);
        sink s;
        memset(&s, 0, sizeof s);
        jl_error err;
        jl_error_clear(&err);
        assert_int_equal(jl_decompress_each(kinds[k], z, zn, NULL, UINT64_MAX, jl_test_collect, &s, &total, &err), JL_OK);
        assert_int_equal(total, n);
        assert_int_equal(s.len, n);
        assert_int_equal(s.pieces, 3);
        assert_memory_equal(s.p, raw, n);
        free(s.p);
        memset(&s, 0, sizeof s);
        assert_int_equal(jl_decompress_each(kinds[k], z, zn, NULL, n - 1, jl_test_collect, &s, &total, &err), JL_E_LIMIT);
        assert_string_equal(err.message, "decompressed size exceeds the limit of 2097156 bytes");
        free(s.p);
        memset(&s, 0, sizeof s);
        assert_int_equal(jl_decompress_each(kinds[k], z, zn, NULL, UINT64_MAX, stop_at_two, &s, &total, &err), JL_E_ARG);
        assert_string_equal(err.message, "enough");
        assert_int_equal(s.len, 2 * JL_LAZY_CHUNK);
        free(s.p);
        free(z);
    }
    free(raw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zlib),    cmocka_unit_test(test_gzip), cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_corrupt), cmocka_unit_test(test_cut),  cmocka_unit_test(test_each),
    };
    return cmocka_run_group_tests_name("inflate_index", tests, NULL, NULL);
}
