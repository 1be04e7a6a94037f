/*
 * test_bz2_index.c - random access into bzip2 streams by their blocks
 * (codec/io/bz2_index.c). Every stream here, valid or not, is built into
 * an index and also decoded by jl_decompress_each: the two must hand over
 * the same pieces and end with the same code and message. Valid streams
 * come from libbz2 (levels 1 and 9; text, incompressible noise, long runs
 * for bzip2's run-length steps, the magics in the data, concatenated
 * streams, an empty one, and blocks whose symbol map spells the block
 * magic in the compressed bits); reads at random offsets must give the
 * bytes of whole decompression. Damaged streams (cut, bytes changed)
 * and limits must fail exactly as plain decoding fails.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bz2_index.h"
#include "container.h"
#include "seek_index.h"

#define MiB ((uint64_t)1 << 20)

/* Under valgrind (JL_VALGRIND=1, scripts/test) fewer reads and allocator
 * failures are tried: each read decodes whole bzip2 blocks. */
static int sampled(void) {
    const char *vg = getenv("JL_VALGRIND");
    return vg && vg[0] == '1';
}

typedef jl_test_sink sink; /* the pieces handed over (testutil.h) */

static uint32_t next_rand(uint32_t *seed) {
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* Text runs and noise. */
static uint8_t *make_text(uint64_t n, uint32_t seed) {
    static const char words[] = "joblib numpy array pickle frame ";
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t r = next_rand(&seed);
        p[i] = (i / 64) % 3 == 0 ? (uint8_t)r : (uint8_t)words[(i + (r >> 20)) % (sizeof words - 1)];
    }
    return p;
}

static uint8_t *make_noise(uint64_t n, uint32_t seed) {
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(next_rand(&seed) >> 4);
    return p;
}

/* Long runs (bzip2 codes runs of 4..255 before sorting, and zero runs
 * after it): zeros, with a byte of noise every 50000. */
static uint8_t *make_runs(uint64_t n, uint32_t seed) {
    uint8_t *p = calloc(1, (size_t)n);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i += 50000) p[i] = (uint8_t)(1 + next_rand(&seed) % 255);
    return p;
}

static uint8_t *bz2(const uint8_t *raw, uint64_t n, int level, uint64_t *zn) {
    uint8_t *out = NULL;
    jl_error err;
    jl_error_clear(&err);
    if (jl_compress(JL_COMP_BZ2, level, raw, n, NULL, &out, zn, &err)) fail_msg("compress: %s", err.message);
    return out;
}

/* Builds the index of z[0..zn) and decodes it plainly: same pieces, same
 * code and message. Returns the index (NULL when none); *plain_out gets
 * plain decoding's bytes (the caller frees). */
static jl_seek_index *same_as_plain(const uint8_t *z, uint64_t zn, uint64_t max_out, int *rc_out, sink *plain_out,
                                    jl_error *err_out) {
    sink a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    jl_error ea, eb;
    jl_error_clear(&ea);
    jl_error_clear(&eb);
    uint64_t total;
    int ra = jl_decompress_each(JL_COMP_BZ2, z, zn, NULL, max_out, jl_test_collect, &a, &total, &ea);
    jl_seek_index *ix = NULL;
    int rb = jl_seek_index_build(JL_COMP_BZ2, z, zn, NULL, 0, max_out, jl_test_collect, NULL, NULL, &b, &ix, &eb);
    if (ra != rb) fail_msg("rc: plain %d (%s), index %d (%s)", ra, ea.message, rb, eb.message);
    assert_string_equal(ea.message, eb.message);
    assert_int_equal(a.pieces, b.pieces);
    assert_int_equal(a.len, b.len);
    assert_int_equal(total, a.len);
    for (uint64_t i = 0; i < a.pieces && i < 512; i++) assert_int_equal(a.sizes[i], b.sizes[i]);
    if (a.len) assert_memory_equal(a.p, b.p, a.len);
    if (ix) {
        assert_int_equal(rb, JL_OK);
        assert_int_equal(jl_seek_index_total(ix), a.len);
        assert_true(jl_seek_index_bytes(ix) >= jl_seek_index_points(ix) * 32);
    }
    free(b.p);
    *rc_out = ra;
    *plain_out = a;
    if (err_out) *err_out = ea;
    return ix;
}

static int index_read(const void *ix, const uint8_t *z, uint64_t zn, uint64_t off, uint8_t *dst, uint64_t len,
                      jl_error *err) {
    return jl_seek_index_read(ix, z, zn, off, dst, len, err);
}

/* 60 reads at seeded random offsets and lengths, both ends, the whole,
 * and one past the end. */
static void random_reads(const jl_seek_index *ix, const uint8_t *z, uint64_t zn, const uint8_t *raw, uint64_t n) {
    jl_test_random_reads(index_read, ix, z, zn, raw, n, sampled() ? 8 : 60, 2 * MiB);
    uint8_t *dst = malloc((size_t)n + 20);
    assert_non_null(dst);
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(index_read(ix, z, zn, 0, dst, n, &err), JL_OK);
    assert_memory_equal(dst, raw, n);
    assert_int_equal(jl_seek_index_read(ix, z, zn, n - 10, dst, 20, &err), JL_E_TRUNCATED);
    char want[120];
    snprintf(want, sizeof want, "file is truncated: the bz2 stream ends after %llu bytes, before byte %llu",
             (unsigned long long)n, (unsigned long long)(n + 10));
    assert_string_equal(err.message, want);
    free(dst);
}

/* A valid stream of raw: indexed (min_points blocks at least), same as
 * plain decoding, reads right. */
static void check_valid(const uint8_t *z, uint64_t zn, const uint8_t *raw, uint64_t n, uint64_t min_points) {
    int rc;
    sink plain;
    jl_seek_index *ix = same_as_plain(z, zn, UINT64_MAX, &rc, &plain, NULL);
    assert_int_equal(rc, JL_OK);
    assert_int_equal(plain.len, n);
    if (n) assert_memory_equal(plain.p, raw, n);
    for (uint64_t i = 0; i + 1 < plain.pieces; i++) assert_int_equal(plain.sizes[i], JL_LAZY_CHUNK);
    assert_non_null(ix);
    if (jl_seek_index_points(ix) < min_points)
        fail_msg("%llu points, want %llu at least", (unsigned long long)jl_seek_index_points(ix),
                 (unsigned long long)min_points);
    random_reads(ix, z, zn, raw, n);
    jl_seek_index_free(ix);
    free(plain.p);
}

static void check_kind(uint8_t *(*make)(uint64_t, uint32_t), uint64_t n, int level, uint64_t min_points) {
    uint8_t *raw = make(n, (uint32_t)level), *z;
    uint64_t zn;
    z = bz2(raw, n, level, &zn);
    check_valid(z, zn, raw, n, min_points);
    free(z);
    free(raw);
}

static void test_text_level1(void **state) {
    (void)state;
    check_kind(make_text, 3 * MiB + 12345, 1, 25); /* 100 kB blocks */
}

static void test_text_level9(void **state) {
    (void)state;
    check_kind(make_text, 5 * MiB + 777, 9, 5); /* 900 kB blocks */
}

static void test_noise(void **state) {
    (void)state;
    check_kind(make_noise, 3 * MiB + 1, 9, 4);
}

/* 12 MiB of runs: 3 blocks, each far larger decoded than 1 MiB. */
static void test_runs(void **state) {
    (void)state;
    check_kind(make_runs, 12 * MiB, 1, 3);
}

/* The magics in the data itself (byte aligned, in and out of runs). */
static void test_magic_in_data(void **state) {
    (void)state;
    static const uint8_t m[] = { 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90 };
    uint64_t n = 2 * MiB;
    uint8_t *raw = make_text(n, 3);
    for (uint64_t i = 0; i + sizeof m <= n; i += 97) memcpy(raw + i, m, sizeof m);
    uint64_t zn;
    uint8_t *z = bz2(raw, n, 1, &zn);
    check_valid(z, zn, raw, n, 15);
    free(z);
    free(raw);
}

/* Bit offsets of the block magic in z (all of them, bit by bit). */
static uint64_t magics(const uint8_t *z, uint64_t zn, uint64_t *at, uint64_t max) {
    uint64_t w = 0, k = 0;
    for (uint64_t bit = 0; bit < zn * 8; bit++) {
        w = (w << 1 | (uint64_t)(z[bit >> 3] >> (7 - (bit & 7)) & 1)) & 0xFFFFFFFFFFFFull;
        if (bit >= 47 && w == 0x314159265359ull && k < max) at[k++] = bit - 47;
    }
    return k;
}

/* A block's symbol map follows its header at bit 105: 16 bits of which
 * 16-byte ranges are used, then a 16-bit map of each used range. Data of
 * exactly these bytes (no runs of 4) spells 0x3141 0x5926 0x5359 there:
 * a block magic inside every block that is not a block's start. */
static void test_false_magic(void **state) {
    (void)state;
    static const uint8_t alphabet[] = { 0x21, 0x23, 0x24, 0x27, 0x2A, 0x2D, 0x2E, 0x31, 0x33,
                                        0x36, 0x37, 0x39, 0x3B, 0x3C, 0x3F, 0x70, 0x90, 0xF0 };
    uint64_t n = 350000;
    uint8_t *raw = malloc((size_t)n);
    assert_non_null(raw);
    uint32_t seed = 5;
    for (uint64_t i = 0; i < n; i++) {
        do raw[i] = alphabet[next_rand(&seed) % sizeof alphabet];
        while (i >= 3 && raw[i] == raw[i - 1] && raw[i] == raw[i - 2] && raw[i] == raw[i - 3]);
    }
    for (uint64_t i = 0; i < sizeof alphabet; i++) raw[i] = alphabet[i]; /* each byte in the first block */
    for (uint64_t i = 0; i < sizeof alphabet; i++) raw[n - 1 - i] = alphabet[i];
    uint64_t zn, at[64];
    uint8_t *z = bz2(raw, n, 1, &zn);
    uint64_t k = magics(z, zn, at, 64);
    /* 4 blocks: each magic, and a false one 105 bits after it */
    assert_int_equal(k, 8);
    for (uint64_t i = 0; i < k; i += 2) assert_int_equal(at[i + 1], at[i] + 105);
    check_valid(z, zn, raw, n, 4);
    free(z);
    free(raw);
}

/* "BZh9" and the end magic: nothing out, no index. */
static void test_empty(void **state) {
    (void)state;
    uint64_t zn;
    uint8_t *z = bz2(NULL, 0, 9, &zn);
    assert_int_equal(zn, 14);
    int rc;
    sink plain;
    jl_seek_index *ix = same_as_plain(z, zn, UINT64_MAX, &rc, &plain, NULL);
    assert_int_equal(rc, JL_OK);
    assert_int_equal(plain.len, 0);
    assert_int_equal(plain.pieces, 0);
    assert_null(ix);
    free(z);
}

/* Streams of levels 9, 1 and an empty one, zero padding between, then
 * bytes that are no stream (ignored, as Python does). */
static void test_concatenated(void **state) {
    (void)state;
    uint64_t n1 = 2 * MiB + 5, n2 = 1 * MiB + 3, zn1, zn2, zn3;
    uint8_t *raw = make_text(n1 + n2, 8);
    uint8_t *z1 = bz2(raw, n1, 9, &zn1), *z2 = bz2(raw + n1, n2, 1, &zn2), *z3 = bz2(NULL, 0, 5, &zn3);
    uint64_t zn = zn1 + 3 + zn3 + zn2 + 7;
    uint8_t *z = calloc(1, (size_t)zn);
    assert_non_null(z);
    memcpy(z, z1, (size_t)zn1);
    memcpy(z + zn1 + 3, z3, (size_t)zn3);
    memcpy(z + zn1 + 3 + zn3, z2, (size_t)zn2);
    memcpy(z + zn - 4, "junk", 4);
    check_valid(z, zn, raw, n1 + n2, 14);
    free(z);
    free(z1);
    free(z2);
    free(z3);
    free(raw);
}

/* Cut anywhere (the header, mid-block, at a block's end, before the end
 * magic's CRC): the same prefix and message as plain decoding, no index. */
static void test_truncated(void **state) {
    (void)state;
    uint64_t n = 2 * MiB, zn, at[64];
    uint8_t *raw = make_text(n, 4);
    uint8_t *z = bz2(raw, n, 1, &zn);
    uint64_t k = magics(z, zn, at, 64);
    assert_true(k > 15);
    uint64_t cuts[] = { 0, 2, 4, 9, at[1] / 8, at[1] / 8 + 1, at[k - 1] / 8 + 3, zn / 3, zn / 2, zn - 5, zn - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        int rc;
        sink plain;
        jl_error err;
        jl_seek_index *ix = same_as_plain(z, cuts[i], UINT64_MAX, &rc, &plain, &err);
        assert_int_equal(rc, JL_E_TRUNCATED);
        char want[120];
        snprintf(want, sizeof want, "file is truncated: the bz2 stream stops after %llu compressed bytes, before",
                 (unsigned long long)cuts[i]);
        assert_non_null(strstr(err.message, want));
        assert_null(ix);
        assert_int_equal(plain.len % JL_LAZY_CHUNK, 0);
        free(plain.p);
    }
    free(z);
    free(raw);
}

/* Bytes changed: block data (a CRC or code error), a block's stored CRC,
 * the stream's combined CRC, the level digit, a magic, trailing garbage
 * glued to the end: whatever plain decoding says. */
static void test_corrupted(void **state) {
    (void)state;
    uint64_t n = 2 * MiB + 99, zn, at[64];
    uint8_t *raw = make_text(n, 6);
    uint8_t *z = bz2(raw, n, 1, &zn);
    uint64_t k = magics(z, zn, at, 64);
    uint8_t *bad = malloc((size_t)zn + 8);
    assert_non_null(bad);
    struct {
        uint64_t byte;
        uint8_t mask;
        int code;
    } cases[] = {
        { 3, 0x0F, JL_E_FORMAT },                 /* level '9' ^ 0x0f: not a digit */
        { at[3] / 8 + 2, 0x40, JL_E_FORMAT },      /* the magic itself */
        { at[5] / 8 + 8, 0x10, JL_E_FORMAT },      /* the stored CRC */
        { at[7] / 8 + 2000, 0x04, JL_E_FORMAT },   /* inside the codes */
        { at[k - 1] / 8 + 5000, 0xFF, JL_E_FORMAT },
        { zn - 2, 0x01, JL_E_FORMAT },             /* the combined CRC */
        { zn - 10, 0x80, JL_E_FORMAT },            /* the end magic or the last codes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(bad, z, (size_t)zn);
        bad[cases[i].byte] ^= cases[i].mask;
        int rc;
        sink plain;
        jl_error err;
        jl_seek_index *ix = same_as_plain(bad, zn, UINT64_MAX, &rc, &plain, &err);
        if (rc != cases[i].code && rc != JL_E_TRUNCATED) fail_msg("case %zu: rc %d (%s)", i, rc, err.message);
        assert_null(ix);
        free(plain.p);
    }
    /* the combined CRC: every block is fine, the stream is not */
    memcpy(bad, z, (size_t)zn);
    bad[zn - 2] ^= 1;
    int rc;
    sink plain;
    jl_error err;
    assert_null(same_as_plain(bad, zn, UINT64_MAX, &rc, &plain, &err));
    assert_int_equal(rc, JL_E_FORMAT);
    assert_non_null(strstr(err.message, "bz2 data is corrupt at compressed byte "));
    assert_true(plain.len >= n - JL_LAZY_CHUNK);
    free(plain.p);
    /* bytes after the end that are no stream are ignored; a stream that
     * follows only in its magic is not */
    memcpy(bad, z, (size_t)zn);
    memcpy(bad + zn, "BZh91AY&", 8);
    jl_seek_index *ix = same_as_plain(bad, zn + 8, UINT64_MAX, &rc, &plain, &err);
    assert_int_equal(rc, JL_E_TRUNCATED);
    assert_null(ix);
    free(plain.p);
    free(bad);
    free(z);
    free(raw);
}

/* The limit, below, at and past the output and at piece boundaries. */
static void test_max_out(void **state) {
    (void)state;
    uint64_t n = 3 * MiB + 500, zn;
    uint8_t *raw = make_text(n, 9);
    uint8_t *z = bz2(raw, n, 1, &zn);
    uint64_t limits[] = { 0, 1, MiB - 1, MiB, MiB + 1, 2 * MiB + 12345, 3 * MiB, n - 1, n, n + 1 };
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        int rc;
        sink plain;
        jl_error err;
        jl_seek_index *ix = same_as_plain(z, zn, limits[i], &rc, &plain, &err);
        if (limits[i] < n) {
            assert_int_equal(rc, JL_E_LIMIT);
            char want[100];
            snprintf(want, sizeof want, "decompressed size exceeds the limit of %llu bytes",
                     (unsigned long long)limits[i]);
            assert_string_equal(err.message, want);
            assert_null(ix);
        } else {
            assert_int_equal(rc, JL_OK);
            assert_non_null(ix);
        }
        jl_seek_index_free(ix);
        free(plain.p);
    }
    free(z);
    free(raw);
}

/* A consumer that refuses a piece stops both at the same piece; a failing
 * allocator loses the index or gives "out of memory", never a leak. */
static void test_consumer_and_alloc(void **state) {
    (void)state;
    uint64_t n = 3 * MiB, zn;
    uint8_t *raw = make_text(n, 10);
    uint8_t *z = bz2(raw, n, 1, &zn);
    for (uint64_t f = 1; f <= 4; f++) {
        sink s;
        memset(&s, 0, sizeof s);
        s.fail_at = f;
        jl_error err;
        jl_error_clear(&err);
        jl_seek_index *ix = NULL;
        int rc = jl_seek_index_build(JL_COMP_BZ2, z, zn, NULL, 0, UINT64_MAX, jl_test_collect, NULL, NULL, &s, &ix, &err);
        if (f <= 4 && s.pieces >= f) {
            assert_int_equal(rc, JL_E_IO);
            assert_null(ix);
        }
        jl_seek_index_free(ix);
        free(s.p);
    }
    for (long k = 0; k < 24; k += k < 12 && !sampled() ? 1 : 4) {
        jl_test_alloc t;
        jl_test_alloc_init(&t, k);
        sink s;
        memset(&s, 0, sizeof s);
        jl_error err;
        jl_error_clear(&err);
        jl_seek_index *ix = NULL;
        int rc = jl_seek_index_build(JL_COMP_BZ2, z, zn, &t.alloc, 0, UINT64_MAX, jl_test_collect, NULL, NULL, &s, &ix, &err);
        if (rc) {
            assert_int_equal(rc, JL_E_NOMEM);
            assert_null(ix);
        } else {
            assert_int_equal(s.len, n);
            assert_memory_equal(s.p, raw, n);
            if (ix && k == 20) random_reads(ix, z, zn, raw, n);
        }
        jl_seek_index_free(ix);
        assert_int_equal(t.live, 0);
        free(s.p);
    }
    free(z);
    free(raw);
}

/* Reads with the wrong input: a cut one, a damaged one. */
static void test_read_errors(void **state) {
    (void)state;
    uint64_t n = 2 * MiB, zn;
    uint8_t *raw = make_text(n, 12);
    uint8_t *z = bz2(raw, n, 1, &zn);
    int rc;
    sink plain;
    jl_seek_index *ix = same_as_plain(z, zn, UINT64_MAX, &rc, &plain, NULL);
    assert_non_null(ix);
    uint8_t *dst = malloc((size_t)n);
    assert_non_null(dst);
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_seek_index_read(ix, z, zn / 2, n - 1000, dst, 1000, &err), JL_E_ARG);
    assert_string_equal(err.message, "the bz2 stream is not the one its index was built from");
    uint8_t *bad = malloc((size_t)zn);
    assert_non_null(bad);
    memcpy(bad, z, (size_t)zn);
    bad[zn / 2] ^= 0x55;
    jl_error_clear(&err);
    rc = jl_seek_index_read(ix, bad, zn, 0, dst, n, &err);
    assert_int_equal(rc, JL_E_FORMAT);
    assert_non_null(strstr(err.message, "bz2 data is corrupt at compressed byte "));
    assert_non_null(strstr(err.message, ": checksum or block error"));
    jl_error_clear(&err);
    assert_int_equal(jl_seek_index_read(ix, z, zn, 5, dst, 0, &err), JL_OK);
    jl_seek_index_free(ix);
    free(bad);
    free(dst);
    free(plain.p);
    free(z);
    free(raw);
}

int main(void) {
    if (!jl_compression_available(JL_COMP_BZ2)) return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_level1),  cmocka_unit_test(test_text_level9),
        cmocka_unit_test(test_noise),        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_magic_in_data), cmocka_unit_test(test_false_magic),
        cmocka_unit_test(test_empty),        cmocka_unit_test(test_concatenated),
        cmocka_unit_test(test_truncated),    cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_max_out),      cmocka_unit_test(test_consumer_and_alloc),
        cmocka_unit_test(test_read_errors),
    };
    return cmocka_run_group_tests_name("bz2_index", tests, NULL, NULL);
}
