/*
 * test_lz4_index.c - random access into lz4 frame streams
 * (codec/io/lz4_index.c). Frames are made here with liblz4's LZ4F API:
 * linked and independent blocks of 64 KiB, 256 KiB, 1 MiB and 4 MiB,
 * block checksums on, content checksum and content size on and off;
 * several frames concatenated (with zero padding), a skippable frame,
 * stored (incompressible) blocks, an empty frame. Building must emit
 * exactly what jl_decompress_each(JL_COMP_LZ4) emits (bytes, pieces,
 * return code, message) also for cut and damaged streams and under a
 * decompressed-size limit; reads at random offsets must equal whole
 * decompression. JL_VALGRIND=1 makes the exhaustive loops take a sample.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "emit_sink.h"
#include "lz4_index.h"
#include "seek_index.h"

#ifdef HAVE_LZ4
#include <lz4frame.h>

#define MiB ((uint64_t)1 << 20)
#define SPAN ((uint64_t)256 << 10)

/* Under valgrind (JL_VALGRIND set by scripts/test) the loops over every
 * cut and damaged byte take a sample: steps this many times longer. */
static uint64_t sample(void) { return getenv("JL_VALGRIND") ? 7 : 1; }


/* Text runs and noise; noise only when `noise` (stored blocks). */
static uint8_t *make_data(uint64_t n, uint32_t seed, int noise) {
    static const char words[] = "joblib numpy array pickle frame lz4 block ";
    uint8_t *p = malloc((size_t)(n ? n : 1));
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = noise || (i / 64) % 3 == 0 ? (uint8_t)(seed >> 16)
                                          : (uint8_t)words[(i + (seed >> 29)) % (sizeof words - 1)];
    }
    return p;
}

typedef struct params {
    LZ4F_blockSizeID_t bs;
    int linked, bsum, csum, csize;
} params;

/* One frame of raw[0..n) with those parameters (liblz4's LZ4F API). */
static uint8_t *lz4f(const uint8_t *raw, uint64_t n, params p, uint64_t *zn) {
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = p.bs;
    prefs.frameInfo.blockMode = p.linked ? LZ4F_blockLinked : LZ4F_blockIndependent;
    prefs.frameInfo.blockChecksumFlag = p.bsum ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum;
    prefs.frameInfo.contentChecksumFlag = p.csum ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum;
    prefs.frameInfo.contentSize = p.csize ? n : 0;
    size_t cap = LZ4F_compressFrameBound((size_t)n, &prefs);
    uint8_t *z = malloc(cap);
    assert_non_null(z);
    size_t r = LZ4F_compressFrame(z, cap, raw, (size_t)n, &prefs);
    if (LZ4F_isError(r)) fail_msg("LZ4F_compressFrame: %s", LZ4F_getErrorName(r));
    *zn = r;
    return z;
}

/* Builds the index, and decodes with jl_decompress_each: the same return
 * code, message and emitted pieces. Returns the index (or NULL) and the
 * emitted bytes in *s. */
static jl_lz4_index *build_same(const uint8_t *z, uint64_t zn, uint64_t span, uint64_t max_out, sink *s,
                                int want_rc, jl_error *err) {
    sink e;
    memset(&e, 0, sizeof e);
    memset(s, 0, sizeof *s);
    jl_error eerr;
    jl_error_clear(&eerr);
    jl_error_clear(err);
    uint64_t total;
    int erc = jl_decompress_each(JL_COMP_LZ4, z, zn, NULL, max_out, collect, &e, &total, &eerr);
    jl_lz4_index *ix = NULL;
    int rc = jl_lz4_index_build(z, zn, NULL, span, max_out, collect, s, &ix, err);
    if (rc != erc || strcmp(err->message, eerr.message) != 0)
        fail_msg("build: rc %d \"%s\"; jl_decompress_each: rc %d \"%s\"", rc, err->message, erc, eerr.message);
    if (want_rc >= 0 && rc != want_rc) fail_msg("build: rc %d (%s), want %d", rc, err->message, want_rc);
    assert_int_equal(s->len, e.len);
    assert_int_equal(s->len, total);
    assert_int_equal(s->pieces, e.pieces);
    if (s->len) assert_memory_equal(s->p, e.p, (size_t)s->len);
    assert_true(rc == JL_OK || (ix != NULL) == (rc == JL_E_TRUNCATED)); /* OK: NULL when it cannot be walked */
    if (ix) assert_int_equal(jl_lz4_index_total(ix), s->len);
    free(e.p);
    return ix;
}

/* Reads at seeded random offsets and lengths, both ends, and past the end. */
static void random_reads(const jl_lz4_index *ix, const uint8_t *z, uint64_t zn, const uint8_t *raw, uint64_t n,
                         int count) {
    uint8_t *dst = malloc((size_t)n + 32);
    assert_non_null(dst);
    uint32_t seed = 7;
    jl_error err;
    for (int i = 0; i < count + 2 && n; i++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t off = i == count ? 0 : i == count + 1 ? n - 1 : ((uint64_t)seed << 8 ^ seed >> 8) % n;
        seed = seed * 1103515245u + 12345u;
        uint64_t len = i >= count ? 1 : 1 + seed % (i % 4 == 0 ? 2 * MiB : 70000);
        if (len > n - off) len = n - off;
        jl_error_clear(&err);
        memset(dst, 0xA5, (size_t)len);
        if (jl_lz4_index_read(ix, z, zn, off, dst, len, &err))
            fail_msg("read %llu+%llu: %s", (unsigned long long)off, (unsigned long long)len, err.message);
        if (memcmp(dst, raw + off, (size_t)len) != 0)
            fail_msg("read %llu+%llu: bytes differ", (unsigned long long)off, (unsigned long long)len);
    }
    jl_error_clear(&err);
    uint64_t from = n > 10 ? n - 10 : 0;
    assert_int_equal(jl_lz4_index_read(ix, z, zn, from, dst, 20, &err), JL_E_TRUNCATED);
    char want[120];
    snprintf(want, sizeof want, "file is truncated: the lz4 stream ends after %llu bytes, before byte %llu",
             (unsigned long long)n, (unsigned long long)(from + 20));
    assert_string_equal(err.message, want);
    free(dst);
}

static void check(const uint8_t *z, uint64_t zn, const uint8_t *raw, uint64_t n, uint64_t span, int reads) {
    sink s;
    jl_error err;
    jl_lz4_index *ix = build_same(z, zn, span, UINT64_MAX, &s, JL_OK, &err);
    assert_non_null(ix);
    assert_int_equal(s.len, n);
    if (n) assert_memory_equal(s.p, raw, (size_t)n);
    assert_true(s.short_pieces <= 1);
    random_reads(ix, z, zn, raw, n, reads);
    jl_lz4_index_free(ix);
    free(s.p);
}

/* Every block size, linked and independent, checksums and content size. */
static void test_matrix(void **state) {
    (void)state;
    static const LZ4F_blockSizeID_t sizes[] = { LZ4F_max64KB, LZ4F_max256KB, LZ4F_max1MB, LZ4F_max4MB };
    static const int flags[][2] = { { 0, 0 }, { 1, 1 }, { 1, 0 }, { 0, 1 } }; /* content checksum, size */
    uint64_t n = 5 * MiB + 12345;
    uint8_t *raw = make_data(n, 3, 0);
    for (size_t b = 0; b < 4; b++)
        for (int linked = 0; linked < 2; linked++)
            for (size_t f = 0; f < 4; f++) {
                params p = { sizes[b], linked, 1, flags[f][0], flags[f][1] };
                uint64_t zn;
                uint8_t *z = lz4f(raw, n, p, &zn);
                sink s;
                jl_error err;
                jl_lz4_index *ix = build_same(z, zn, SPAN, UINT64_MAX, &s, JL_OK, &err);
                /* a point at the first block start after each span */
                uint64_t bmax = (uint64_t)64 << (10 + 2 * b), step = bmax > SPAN ? bmax : SPAN;
                assert_int_equal(jl_lz4_index_points(ix), (n - 1) / step);
                uint64_t win = linked ? jl_lz4_index_points(ix) * (64 << 10) : 0;
                uint64_t bytes = jl_lz4_index_bytes(ix); /* windows in an arena doubling from 2 MiB */
                assert_true(linked ? bytes >= win && bytes < 2 * win + (4 << 20) : bytes < 4096);
                jl_lz4_index_free(ix);
                free(s.p);
                check(z, zn, raw, n, SPAN, 12);
                free(z);
            }
    free(raw);
}

/* The framing joblib writes (python-lz4 defaults: 64 KiB linked blocks,
 * no checksums), through seek_index.c's row and its default span. */
static void test_joblib_framing(void **state) {
    (void)state;
    uint64_t n = 21 * MiB + 777, zn;
    uint8_t *raw = make_data(n, 5, 0), *z = NULL;
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_compress(JL_COMP_LZ4, 0, raw, n, NULL, &z, &zn, &err), JL_OK);
    sink s;
    memset(&s, 0, sizeof s);
    jl_seek_index *ix = NULL;
    assert_int_equal(jl_seek_index_build(JL_COMP_LZ4, z, zn, NULL, 0, UINT64_MAX, collect, NULL, NULL, &s, &ix, &err), JL_OK);
    assert_non_null(ix);
    assert_int_equal(s.len, n);
    assert_memory_equal(s.p, raw, (size_t)n);
    assert_int_equal(jl_seek_index_points(ix), n / JL_LZ4_INDEX_SPAN);
    assert_int_equal(jl_seek_index_total(ix), n);
    uint8_t *dst = malloc(3 * MiB);
    assert_non_null(dst);
    assert_int_equal(jl_seek_index_read(ix, z, zn, n - 3 * MiB, dst, 3 * MiB, &err), JL_OK);
    assert_memory_equal(dst, raw + n - 3 * MiB, 3 * MiB);
    free(dst);
    jl_seek_index_free(ix);
    check(z, zn, raw, n, SPAN, 40);
    free(s.p);
    free(z);
    free(raw);
}

/* Appends a copy of p[0..k) to the growing buffer *b. */
static void append(uint8_t **b, uint64_t *bn, const void *p, uint64_t k) {
    *b = realloc(*b, (size_t)(*bn + k + 1));
    assert_non_null(*b);
    memcpy(*b + *bn, p, (size_t)k);
    *bn += k;
}

/* Three frames with different parameters, zero padding between two; then
 * a skippable frame, which ends the stream as container.c reads it. */
static void test_frames(void **state) {
    (void)state;
    uint64_t n1 = 3 * MiB + 11, n2 = 2 * MiB + 5, n3 = MiB + 999, n = n1 + n2 + n3, k;
    uint8_t *raw = make_data(n + MiB, 9, 0), *all = NULL, *z;
    uint64_t an = 0;
    static const uint8_t zeros[16];
    z = lz4f(raw, n1, (params){ LZ4F_max64KB, 1, 1, 0, 0 }, &k);
    append(&all, &an, z, k);
    free(z);
    append(&all, &an, zeros, sizeof zeros);
    z = lz4f(raw + n1, n2, (params){ LZ4F_max256KB, 0, 1, 1, 1 }, &k);
    append(&all, &an, z, k);
    free(z);
    z = lz4f(raw + n1 + n2, n3, (params){ LZ4F_max1MB, 1, 0, 1, 0 }, &k);
    append(&all, &an, z, k);
    free(z);
    check(all, an, raw, n, SPAN, 40);
    /* a skippable frame, then a frame that is not read */
    static const uint8_t skip[] = { 0x53, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c' };
    append(&all, &an, skip, sizeof skip);
    z = lz4f(raw + n, MiB, (params){ LZ4F_max64KB, 1, 1, 0, 0 }, &k);
    append(&all, &an, z, k);
    free(z);
    check(all, an, raw, n, SPAN, 10);
    /* a skippable frame first (jl_detect does not call that lz4, but
     * LZ4F skips it): the bytes, and no index (the walker starts at a
     * frame header) */
    sink s;
    jl_error err;
    assert_null(build_same(all + an - k - sizeof skip, k + sizeof skip, SPAN, UINT64_MAX, &s, JL_OK, &err));
    assert_int_equal(s.len, MiB);
    assert_memory_equal(s.p, raw + n, MiB);
    free(s.p);
    free(all);
    free(raw);
}

/* Incompressible data: stored blocks (high bit of the size), linked and
 * independent, mixed with compressed ones. */
static void test_stored(void **state) {
    (void)state;
    uint64_t n = 5 * MiB + 3, zn;
    uint8_t *raw = make_data(n, 17, 1);
    memcpy(raw + 2 * MiB, raw, MiB); /* a compressible stretch among them */
    for (int linked = 0; linked < 2; linked++) {
        uint8_t *z = lz4f(raw, n, (params){ LZ4F_max256KB, linked, 1, 1, 0 }, &zn);
        assert_true(zn > n); /* mostly stored */
        check(z, zn, raw, n, SPAN, 30);
        free(z);
    }
    free(raw);
}

/* Short blocks mid-frame (LZ4F_flush after pieces of 1000-13000 bytes),
 * linked and independent: blocks shorter than the 64 KiB history, read
 * from points whose window is joined with them. */
static void test_flushed(void **state) {
    (void)state;
    uint64_t n = 3 * MiB + 17;
    uint8_t *raw = make_data(n, 37, 0);
    for (int linked = 0; linked < 2; linked++) {
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof prefs);
        prefs.frameInfo.blockSizeID = LZ4F_max64KB;
        prefs.frameInfo.blockMode = linked ? LZ4F_blockLinked : LZ4F_blockIndependent;
        LZ4F_cctx *c = NULL;
        assert_false(LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION)));
        size_t cap = LZ4F_compressBound(n, &prefs) * 2 + 65536, zn = 0, r;
        uint8_t *z = malloc(cap);
        assert_non_null(z);
        zn += (r = LZ4F_compressBegin(c, z, cap, &prefs));
        assert_false(LZ4F_isError(r));
        uint32_t seed = 5;
        for (uint64_t pos = 0; pos < n;) {
            seed = seed * 1103515245u + 12345u;
            uint64_t k = 1000 + (seed >> 8) % 12000;
            if (k > n - pos) k = n - pos;
            zn += (r = LZ4F_compressUpdate(c, z + zn, cap - zn, raw + pos, (size_t)k, NULL));
            assert_false(LZ4F_isError(r));
            zn += (r = LZ4F_flush(c, z + zn, cap - zn, NULL));
            assert_false(LZ4F_isError(r));
            pos += k;
        }
        zn += (r = LZ4F_compressEnd(c, z + zn, cap - zn, NULL));
        assert_false(LZ4F_isError(r));
        LZ4F_freeCompressionContext(c);
        check(z, zn, raw, n, 20000, 60);
        check(z, zn, raw, n, SPAN, 30);
        free(z);
    }
    free(raw);
}

/* An empty frame, and no input at all. */
static void test_empty(void **state) {
    (void)state;
    uint64_t zn;
    uint8_t *z = lz4f((const uint8_t *)"", 0, (params){ LZ4F_max64KB, 1, 1, 1, 1 }, &zn);
    sink s;
    jl_error err;
    jl_lz4_index *ix = build_same(z, zn, SPAN, UINT64_MAX, &s, JL_OK, &err);
    assert_int_equal(s.len, 0);
    assert_int_equal(jl_lz4_index_points(ix), 0);
    uint8_t b;
    assert_int_equal(jl_lz4_index_read(ix, z, zn, 0, &b, 1, &err), JL_E_TRUNCATED);
    assert_string_equal(err.message, "file is truncated: the lz4 stream ends after 0 bytes, before byte 1");
    assert_int_equal(jl_lz4_index_read(ix, z, zn, 5, &b, 0, &err), JL_OK);
    jl_lz4_index_free(ix);
    free(s.p);
    ix = build_same(NULL, 0, SPAN, UINT64_MAX, &s, JL_E_TRUNCATED, &err);
    jl_lz4_index_free(ix);
    free(s.p);
    free(z);
}

/* Cut anywhere: the same error and prefix as jl_decompress_each, and an
 * index that reads inside the prefix. */
static void test_cut(void **state) {
    (void)state;
    uint64_t n = 2 * MiB + 100, zn;
    uint8_t *raw = make_data(n, 21, 0);
    for (int linked = 0; linked < 2; linked++) {
        uint8_t *z = lz4f(raw, n, (params){ LZ4F_max64KB, linked, 1, 1, 1 }, &zn);
        for (uint64_t cut = 0; cut < zn; cut += cut < 64 ? 1 : cut < zn - 64 ? 19997 * sample() : 1) {
            sink s;
            jl_error err;
            jl_lz4_index *ix = build_same(z, cut, 64 << 10, UINT64_MAX, &s, JL_E_TRUNCATED, &err);
            char want[120];
            snprintf(want, sizeof want, "file is truncated: the lz4 stream stops after %llu compressed bytes",
                     (unsigned long long)cut);
            assert_non_null(strstr(err.message, want));
            assert_int_equal(s.len % JL_LAZY_CHUNK, 0);
            if (s.len) {
                uint8_t buf[5000];
                jl_error_clear(&err);
                assert_int_equal(jl_lz4_index_read(ix, z, cut, s.len - 5000, buf, sizeof buf, &err), JL_OK);
                assert_memory_equal(buf, raw + s.len - 5000, sizeof buf);
            }
            jl_lz4_index_free(ix);
            free(s.p);
        }
        free(z);
    }
    free(raw);
}

/* A byte changed anywhere (headers, sizes, data, checksums): the same
 * code, message and emitted pieces as jl_decompress_each. */
static void test_corrupt(void **state) {
    (void)state;
    uint64_t n = MiB + 300, zn;
    uint8_t *raw = make_data(n, 23, 0);
    for (int v = 0; v < 3; v++) {
        params p = v == 0 ? (params){ LZ4F_max64KB, 1, 1, 1, 1 }
                 : v == 1 ? (params){ LZ4F_max256KB, 0, 1, 0, 0 }
                          : (params){ LZ4F_max64KB, 1, 0, 0, 0 };
        uint8_t *z = lz4f(raw, n, p, &zn);
        for (uint64_t at = 0; at < zn; at += at < 32 ? 1 : at < zn - 32 ? 15013 * sample() : 1) {
            for (int bit = 0; bit < 8; bit += 5) {
                z[at] ^= (uint8_t)(1u << bit);
                sink s;
                jl_error err;
                jl_lz4_index *ix = build_same(z, zn, 64 << 10, UINT64_MAX, &s, -1, &err);
                jl_lz4_index_free(ix);
                free(s.p);
                z[at] ^= (uint8_t)(1u << bit);
            }
        }
        free(z);
    }
    /* a corrupt block with a good checksum field absent: the message */
    uint8_t *z = lz4f(raw, n, (params){ LZ4F_max64KB, 1, 1, 0, 0 }, &zn);
    z[zn / 2] ^= 0x55;
    sink s;
    jl_error err;
    assert_null(build_same(z, zn, SPAN, UINT64_MAX, &s, JL_E_FORMAT, &err));
    assert_non_null(strstr(err.message, "lz4 data is corrupt at compressed byte "));
    free(s.p);
    free(z);
    free(raw);
}

/* The decompressed-size limit, at and around the end and piece edges. */
static void test_limit(void **state) {
    (void)state;
    uint64_t n = 3 * MiB, zn;
    uint8_t *raw = make_data(n, 29, 0);
    uint8_t *z = lz4f(raw, n, (params){ LZ4F_max64KB, 1, 1, 1, 0 }, &zn);
    static const uint64_t limits[] = { 0, 1, 65535, 65536, MiB - 1, MiB, MiB + 1, 3 * MiB - 1, 3 * MiB, 3 * MiB + 1 };
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        sink s;
        jl_error err;
        jl_lz4_index *ix = build_same(z, zn, SPAN, limits[i], &s, limits[i] >= n ? JL_OK : JL_E_LIMIT, &err);
        if (limits[i] < n) {
            char want[80];
            snprintf(want, sizeof want, "decompressed size exceeds the limit of %llu bytes", (unsigned long long)limits[i]);
            assert_string_equal(err.message, want);
        }
        jl_lz4_index_free(ix);
        free(s.p);
    }
    free(z);
    free(raw);
}

/* emit stopping the decoder; a read with a stream shorter than the index. */

static void test_stop_and_mismatch(void **state) {
    (void)state;
    uint64_t n = 4 * MiB, zn;
    uint8_t *raw = make_data(n, 31, 0);
    uint8_t *z = lz4f(raw, n, (params){ LZ4F_max64KB, 1, 0, 0, 0 }, &zn);
    sink s;
    memset(&s, 0, sizeof s);
    jl_error err;
    jl_error_clear(&err);
    jl_lz4_index *ix = NULL;
    assert_int_equal(jl_lz4_index_build(z, zn, NULL, SPAN, UINT64_MAX, stop_at_two, &s, &ix, &err), JL_E_ARG);
    assert_null(ix);
    assert_string_equal(err.message, "enough");
    assert_int_equal(s.len, 2 * JL_LAZY_CHUNK);
    free(s.p);
    ix = build_same(z, zn, SPAN, UINT64_MAX, &s, JL_OK, &err);
    uint8_t buf[100];
    assert_int_equal(jl_lz4_index_read(ix, z, zn / 2, n - 100, buf, 100, &err), JL_E_ARG);
    assert_string_equal(err.message, "the lz4 stream is not the one its index was built from");
    /* the same index over a stream whose last blocks are garbage */
    uint8_t *bad = malloc((size_t)zn);
    assert_non_null(bad);
    memcpy(bad, z, (size_t)zn);
    memset(bad + zn - 20000, 0xEE, 19000);
    int rc = jl_lz4_index_read(ix, bad, zn, n - 30000, buf, 100, &err);
    rc = rc ? rc : jl_lz4_index_read(ix, bad, zn, n - 100, buf, 100, &err);
    assert_true(rc == JL_E_FORMAT || rc == JL_E_TRUNCATED);
    assert_true(strstr(err.message, "lz4 data is corrupt at compressed byte ") == err.message ||
                strstr(err.message, "file is truncated: ") == err.message);
    free(bad);
    jl_lz4_index_free(ix);
    free(s.p);
    free(z);
    free(raw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix), cmocka_unit_test(test_joblib_framing), cmocka_unit_test(test_frames),
        cmocka_unit_test(test_stored), cmocka_unit_test(test_flushed), cmocka_unit_test(test_empty),          cmocka_unit_test(test_cut),
        cmocka_unit_test(test_corrupt), cmocka_unit_test(test_limit),         cmocka_unit_test(test_stop_and_mismatch),
    };
    return cmocka_run_group_tests_name("lz4_index", tests, NULL, NULL);
}
#else
int main(void) {
    return 0; /* this build has no lz4 */
}
#endif
