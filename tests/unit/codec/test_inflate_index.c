/*
 * test_inflate_index.c - random access into zlib and gzip streams
 * (codec/io/inflate_index.c) and piece-by-piece decompression
 * (jl_decompress_each, codec/io/container.c): a multi-MiB stream of each
 * kind, also two gzip members, is indexed while inflating (the emitted
 * pieces are the stream), then reads at random offsets and lengths give
 * the same bytes as whole inflation; a corrupted stream fails with the
 * container's message, a cut one gives its prefix and an index of it.
 * Streams made every way a deflate stream is made (zlib levels 0, 1, 9,
 * fixed Huffman codes, ISA-L's deflate, long matches across checkpoints,
 * gzip members empty and not) read back exactly; damage after a
 * checkpoint fails a read from it with the whole inflation's error; cuts
 * anywhere give jl_decompress_each's prefix and message.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "container.h"
#include "deflate_parallel.h"
#include "inflate_index.h"

#define MiB ((uint64_t)1 << 20)
#define SPAN ((uint64_t)256 << 10)

/* The emitted pieces, appended. */
typedef struct sink {
    uint8_t *p;
    uint64_t len, cap, pieces, short_pieces;
    uint8_t *own;     /* the storage give_piece hands out */
    uint64_t in_place; /* pieces emitted from it */
    uint64_t in_at;    /* the builder's input offset (its in_at) */
    uint64_t in_last, in_back; /* in_at at the last emit; times it went back */
} sink;

/* jl_piece_fn: the next piece may be inflated into s->own. */
static int give_piece(void *ctx, uint8_t **dst, jl_error *err) {
    (void)err;
    sink *s = ctx;
    if (!s->own) s->own = malloc((size_t)JL_LAZY_CHUNK);
    assert_non_null(s->own);
    memset(s->own, 0x5A, (size_t)JL_LAZY_CHUNK);
    *dst = s->own;
    return JL_OK;
}

static int collect(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    sink *s = ctx;
    if (p == s->own) s->in_place++;
    if (s->in_at < s->in_last) s->in_back++;
    s->in_last = s->in_at;
    if (n != JL_LAZY_CHUNK) s->short_pieces++;
    s->pieces++;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, (size_t)s->cap);
        assert_non_null(s->p);
    }
    memcpy(s->p + s->len, p, (size_t)n);
    s->len += n;
    return JL_OK;
}

static uint8_t *compressed(jl_compression c, const uint8_t *in, uint64_t n, uint64_t *out_len) {
    uint8_t *out = NULL;
    jl_error err;
    jl_error_clear(&err);
    if (jl_compress(c, c == JL_COMP_LZ4 ? 0 : 1, in, n, NULL, &out, out_len, &err))
        fail_msg("compress %s: %s", jl_compression_name(c), err.message);
    return out;
}

/* Builds the index of z[0..zn) into s (pieces, and own storage to free
 * when `piece`), expecting want_rc. */
static jl_inflate_index *build_with(jl_compression c, const uint8_t *z, uint64_t zn, sink *s, int want_rc,
                                    jl_piece_fn piece, jl_error *err) {
    jl_inflate_index *ix = NULL;
    jl_error_clear(err);
    memset(s, 0, sizeof *s);
    int rc = jl_inflate_index_build(c, z, zn, NULL, SPAN, UINT64_MAX, collect, piece, &s->in_at, s, &ix, err);
    if (rc != want_rc) fail_msg("build %s: rc %d (%s), want %d", jl_compression_name(c), rc, err->message, want_rc);
    return ix;
}

static jl_inflate_index *build(jl_compression c, const uint8_t *z, uint64_t zn, sink *s, int want_rc,
                               jl_error *err) {
    return build_with(c, z, zn, s, want_rc, NULL, err);
}

static int read_index(const void *ix, const uint8_t *z, uint64_t zn, uint64_t off, uint8_t *dst, uint64_t len,
                      jl_error *err) {
    return jl_inflate_index_read(ix, z, zn, off, dst, len, err);
}

/* 100 reads at seeded random offsets and lengths, plus both ends
 * (testutil.h), then one past the end. */
static void random_reads(const jl_inflate_index *ix, const uint8_t *z, uint64_t zn, const uint8_t *raw,
                         uint64_t n) {
    jl_test_random_reads(read_index, ix, z, zn, raw, n, 100, MiB);
    uint8_t dst[20];
    /* past the end: the stream's own words */
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_inflate_index_read(ix, z, zn, n - 10, dst, 20, &err), JL_E_TRUNCATED);
    assert_non_null(strstr(err.message, "file is truncated: the "));
}

static void check_kind(jl_compression c) {
    uint64_t n = 4 * MiB + 12345, zn;
    uint8_t *raw = jl_test_text_noise(n, 3);
    uint8_t *z = compressed(c, raw, n, &zn);
    sink s;
    jl_error err;
    jl_inflate_index *ix = build_with(c, z, zn, &s, JL_OK, give_piece, &err);
    assert_int_equal(s.len, n);
    assert_memory_equal(s.p, raw, n);
    assert_int_equal(s.short_pieces, 1); /* whole pieces, the last one shorter */
    /* the ISA-L engine inflates every piece where it was offered */
    assert_int_equal(s.in_place, jl_deflate_have_isal() ? s.pieces : 0);
    free(s.own);
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
    uint8_t *raw = jl_test_text_noise(n1 + n2, 5);
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
    uint8_t *raw = jl_test_text_noise(n, 9);
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
    uint8_t *raw = jl_test_text_noise(n, 11);
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

/* ---- streams made different ways ------------------------------------------ */

/* raw[0..n) deflated by zlib itself: wbits 15 (zlib) or 31 (gzip), level
 * 0-9, strategy (Z_FIXED: fixed Huffman codes only). */
static uint8_t *zlib_made(const uint8_t *raw, uint64_t n, int wbits, int level, int strategy, uint64_t *zn) {
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, wbits, 8, strategy), Z_OK);
    uLong cap = deflateBound(&z, (uLong)n) + 64;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    z.next_in = (Bytef *)(uintptr_t)raw;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *zn = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

/* Builds, checks the pieces and the count of points, reads at random and
 * across checkpoints; returns nothing, frees nothing of the caller's. */
static void round_trip(jl_compression c, const uint8_t *z, uint64_t zn, const uint8_t *raw, uint64_t n) {
    sink s;
    jl_error err;
    jl_inflate_index *ix = build(c, z, zn, &s, JL_OK, &err);
    assert_int_equal(s.len, n);
    if (n) assert_memory_equal(s.p, raw, n);
    assert_int_equal(jl_inflate_index_total(ix), n);
    /* the input offset reported at each emit only grows, to the end (the
     * 8 zero bytes test_members_empty pads with are not read) */
    assert_int_equal(s.in_back, 0);
    if (s.pieces) assert_true(s.in_last <= zn && s.in_last + 8 >= zn);
    uint64_t pts = jl_inflate_index_points(ix);
    /* ISA-L: at each span mark; zlib: at the first block boundary after
     * it (a block of long matches may hold megabytes) */
    assert_true(pts <= n / SPAN && (!jl_deflate_have_isal() || pts + 1 >= n / SPAN));
    /* each point holds at least a window, at most a decoder's state, in
     * an arena that doubles from 2 MiB (none without points; a shared
     * block asked for 2 MiB holds 4 MiB less its header page) */
    assert_true(jl_inflate_index_bytes(ix) >= pts * 32768);
    uint64_t arena = pts ? ((uint64_t)4 << 20) + 2 * pts * ((uint64_t)96 << 10) : 0;
    assert_true(jl_inflate_index_bytes(ix) <= 4096 + pts * 64 + arena);
    if (n) random_reads(ix, z, zn, raw, n);
    /* reads that cross one, two and three span marks */
    uint8_t *dst = malloc((size_t)(3 * SPAN + 64));
    assert_non_null(dst);
    for (uint64_t k = 1; k + 3 <= n / SPAN; k += 2) {
        uint64_t off = k * SPAN - 17, len = (k % 3 + 1) * SPAN + 34;
        jl_error_clear(&err);
        if (jl_inflate_index_read(ix, z, zn, off, dst, len, &err)) fail_msg("read %llu: %s", (unsigned long long)off, err.message);
        assert_memory_equal(dst, raw + off, len);
    }
    free(dst);
    jl_inflate_index_free(ix);
    free(s.p);
}

/* Bytes no deflater shrinks much, then runs: a 20 KiB random block
 * repeated, so matches at distance 20 KiB run across every checkpoint. */
static uint8_t *make_repeats(uint64_t n, uint32_t seed) {
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) {
        if (i >= 20480 && i % (1 << 20) >= 4096) {
            p[i] = p[i - 20480];
            continue;
        }
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
    return p;
}

static void test_made_ways(void **state) {
    (void)state;
    uint64_t n = 3 * MiB + 777, zn;
    uint8_t *text = jl_test_text_noise(n, 21), *runs = make_repeats(n, 22);
    static const struct {
        int level, strategy, runs;
    } ways[] = {
        { 1, Z_DEFAULT_STRATEGY, 0 }, { 9, Z_DEFAULT_STRATEGY, 0 }, { 0, Z_DEFAULT_STRATEGY, 0 }, /* stored blocks */
        { 6, Z_FIXED, 0 },            { 1, Z_DEFAULT_STRATEGY, 1 }, { 9, Z_DEFAULT_STRATEGY, 1 },
        { 6, Z_FIXED, 1 },
    };
    for (size_t w = 0; w < sizeof ways / sizeof *ways; w++) {
        const uint8_t *raw = ways[w].runs ? runs : text;
        for (int gz = 0; gz < 2; gz++) {
            uint8_t *z = zlib_made(raw, n, gz ? 31 : 15, ways[w].level, ways[w].strategy, &zn);
            round_trip(gz ? JL_COMP_GZIP : JL_COMP_ZLIB, z, zn, raw, n);
            free(z);
        }
    }
    /* ISA-L's deflate (levels 1 and 3), when this build has it */
    for (int lv = 1; jl_deflate_have_isal() && lv <= 9; lv += 8) {
        jl_pdeflate_opts o = { 1, 0, JL_ENGINE_ISAL };
        uint8_t *z;
        jl_error err;
        jl_error_clear(&err);
        assert_int_equal(jl_deflate_parallel(JL_WRAP_GZIP, lv, runs, n, &o, NULL, &z, &zn, &err), JL_OK);
        round_trip(JL_COMP_GZIP, z, zn, runs, n);
        free(z);
    }
    free(text);
    free(runs);
}

/* gzip members: one with data, an empty one, one more with data, an empty
 * one at the end, then zero padding, as Python's reader follows them. */
static void test_members_empty(void **state) {
    (void)state;
    uint64_t n1 = 2 * MiB + 3, n2 = MiB + 5, zn = 0, k[4];
    uint8_t *raw = jl_test_text_noise(n1 + n2, 23);
    uint8_t *part[4] = { zlib_made(raw, n1, 31, 6, Z_DEFAULT_STRATEGY, &k[0]),
                         zlib_made(raw, 0, 31, 6, Z_DEFAULT_STRATEGY, &k[1]),
                         zlib_made(raw + n1, n2, 31, 1, Z_DEFAULT_STRATEGY, &k[2]),
                         zlib_made(raw, 0, 31, 9, Z_DEFAULT_STRATEGY, &k[3]) };
    uint8_t *z = calloc(1, (size_t)(k[0] + k[1] + k[2] + k[3] + 8));
    assert_non_null(z);
    for (int i = 0; i < 4; i++) {
        memcpy(z + zn, part[i], (size_t)k[i]);
        zn += k[i];
        free(part[i]);
    }
    round_trip(JL_COMP_GZIP, z, zn + 8, raw, n1 + n2);
    /* the empty stream alone */
    uint8_t *e = zlib_made(raw, 0, 15, 6, Z_DEFAULT_STRATEGY, &k[0]);
    round_trip(JL_COMP_ZLIB, e, k[0], raw, 0);
    free(e);
    free(z);
    free(raw);
}

/* raw[0..n) as a zlib stream flushed (Z_SYNC_FLUSH) after every `every`
 * input bytes: at[i] = the offset of the block after flush i (byte
 * aligned there), in[i] its output offset; *k flushes. */
static uint8_t *zlib_flushed(const uint8_t *raw, uint64_t n, uint64_t every, uint64_t *zn, uint64_t *at, uint64_t *in,
                             int *k) {
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    uLong cap = deflateBound(&z, (uLong)n) + 64 + 16 * (uLong)(n / every);
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    *k = 0;
    for (uint64_t pos = 0; pos < n; pos += every) {
        int last = n - pos <= every;
        z.next_in = (Bytef *)(uintptr_t)(raw + pos);
        z.avail_in = (uInt)(last ? n - pos : every);
        assert_int_equal(deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH), last ? Z_STREAM_END : Z_OK);
        if (!last) {
            at[*k] = z.total_out;
            in[(*k)++] = pos + every;
        }
    }
    *zn = z.total_out;
    deflateEnd(&z);
    return out;
}

/* Damage after a checkpoint (a block of the reserved type 3 where a block
 * starts): a read from the checkpoint before it fails with the very
 * error of the whole inflation (jl_decompress), and so does building. */
static void test_damage_after_point(void **state) {
    (void)state;
    uint64_t n = 4 * MiB, zn, at[64], in[64];
    int k;
    uint8_t *raw = jl_test_text_noise(n, 25);
    uint8_t *z = zlib_flushed(raw, n, 256 << 10, &zn, at, in, &k);
    sink s;
    jl_error err, whole_err;
    jl_inflate_index *ix = build(JL_COMP_ZLIB, z, zn, &s, JL_OK, &err);
    free(s.p);
    uint8_t *bad = malloc((size_t)zn), *dst = malloc((size_t)n);
    assert_non_null(bad);
    assert_non_null(dst);
    for (int i = 2; i < k; i += 3) {
        memcpy(bad, z, (size_t)zn);
        bad[at[i]] = 0x07; /* BFINAL 1, BTYPE 11 */
        uint8_t *out = NULL;
        uint64_t out_len;
        jl_error_clear(&whole_err);
        assert_int_equal(jl_decompress(JL_COMP_ZLIB, bad, zn, NULL, UINT64_MAX, &out, &out_len, &whole_err), JL_E_FORMAT);
        free(out);
        assert_non_null(strstr(whole_err.message, "zlib data is corrupt at compressed byte "));
        assert_non_null(strstr(whole_err.message, ": invalid block type"));
        assert_null(build(JL_COMP_ZLIB, bad, zn, &s, JL_E_FORMAT, &err));
        assert_string_equal(err.message, whole_err.message);
        assert_int_equal(s.len, in[i] / JL_LAZY_CHUNK * JL_LAZY_CHUNK); /* whole pieces before the damage */
        free(s.p);
        uint64_t off = in[i] - SPAN / 2;
        jl_error_clear(&err);
        assert_int_equal(jl_inflate_index_read(ix, bad, zn, off, dst, n - off, &err), JL_E_FORMAT);
        assert_string_equal(err.message, whole_err.message);
        /* before the damage all is well */
        jl_error_clear(&err);
        assert_int_equal(jl_inflate_index_read(ix, bad, zn, off, dst, SPAN / 2, &err), JL_OK);
        assert_memory_equal(dst, raw + off, SPAN / 2);
    }
    free(bad);
    free(dst);
    jl_inflate_index_free(ix);
    free(z);
    free(raw);
}

/* Cuts in the header, the data, the trailer and between members: the
 * pieces and the error are jl_decompress_each's (zlib's, Python's prefix). */
static void test_cuts(void **state) {
    (void)state;
    uint64_t n = 2 * MiB + 11, zn, k1;
    uint8_t *raw = jl_test_text_noise(n, 27);
    uint8_t *one = zlib_made(raw, n, 31, 6, Z_DEFAULT_STRATEGY, &k1);
    uint8_t *z = malloc((size_t)(2 * k1));
    assert_non_null(z);
    memcpy(z, one, (size_t)k1);
    memcpy(z + k1, one, (size_t)k1);
    zn = 2 * k1;
    const uint64_t cuts[] = { 1, 5, 11, k1 / 3, k1 / 2 + 1, k1 - 9, k1 - 5, k1 - 1, k1 + 3, k1 + k1 / 2, zn - 4, zn - 1 };
    for (int gz = 0; gz < 2; gz++) {
        uint8_t *zz = gz ? z : zlib_made(raw, n, 15, 6, Z_DEFAULT_STRATEGY, &zn);
        uint64_t whole = gz ? 2 * k1 : zn;
        jl_compression c = gz ? JL_COMP_GZIP : JL_COMP_ZLIB;
        for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
            uint64_t cut = cuts[i] >= whole ? whole - 1 - i : cuts[i];
            sink want, got;
            memset(&want, 0, sizeof want);
            jl_error want_err, err;
            jl_error_clear(&want_err);
            uint64_t total;
            int wrc = jl_decompress_each(c, zz, cut, NULL, UINT64_MAX, collect, &want, &total, &want_err);
            jl_inflate_index *ix = build_with(c, zz, cut, &got, wrc, give_piece, &err);
            free(got.own);
            assert_string_equal(err.message, want_err.message);
            assert_int_equal(got.len, want.len);
            if (got.len) assert_memory_equal(got.p, want.p, got.len);
            if (ix && got.len) { /* the last bytes before the cut read back */
                uint64_t len = got.len < 5000 ? got.len : 5000;
                uint8_t buf[5000];
                jl_error_clear(&err);
                assert_int_equal(jl_inflate_index_read(ix, zz, cut, got.len - len, buf, len, &err), JL_OK);
                assert_memory_equal(buf, got.p + got.len - len, len);
            }
            jl_inflate_index_free(ix);
            free(want.p);
            free(got.p);
        }
        if (!gz) free(zz);
    }
    free(one);
    free(z);
    free(raw);
}

/* The output limit: one byte short fails, exactly enough passes. */
static void test_max_out(void **state) {
    (void)state;
    uint64_t n = 3 * MiB + 1, zn;
    uint8_t *raw = jl_test_text_noise(n, 29);
    uint8_t *z = compressed(JL_COMP_GZIP, raw, n, &zn);
    for (int exact = 0; exact < 2; exact++) {
        sink s;
        memset(&s, 0, sizeof s);
        jl_inflate_index *ix = NULL;
        jl_error err;
        jl_error_clear(&err);
        int rc = jl_inflate_index_build(JL_COMP_GZIP, z, zn, NULL, SPAN, exact ? n : n - 1, collect, NULL, NULL, &s, &ix, &err);
        if (exact) {
            assert_int_equal(rc, JL_OK);
            assert_int_equal(s.len, n);
        } else {
            assert_int_equal(rc, JL_E_LIMIT);
            assert_null(ix);
            assert_string_equal(err.message, "decompressed size exceeds the limit of 3145728 bytes");
            assert_true(s.len <= n - 1);
        }
        jl_inflate_index_free(ix);
        free(s.p);
    }
    free(z);
    free(raw);
}

/* jl_decompress_each for every kind this build has: the same bytes as
 * jl_decompress, in whole pieces; the limit; emit stopping the decoder. */
static int stop_at_two(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    sink *s = ctx;
    if (s->pieces == 2) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "enough");
    return collect(ctx, p, n, err);
}

static void test_each(void **state) {
    (void)state;
    static const jl_compression kinds[] = { JL_COMP_ZLIB, JL_COMP_GZIP, JL_COMP_BZ2, JL_COMP_LZMA, JL_COMP_XZ, JL_COMP_LZ4 };
    uint64_t n = 2 * MiB + 5, zn, total;
    uint8_t *raw = jl_test_text_noise(n, 13);
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        if (!jl_compression_available(kinds[k])) continue;
        uint8_t *z = compressed(kinds[k], raw, n, &zn);
        sink s;
        memset(&s, 0, sizeof s);
        jl_error err;
        jl_error_clear(&err);
        assert_int_equal(jl_decompress_each(kinds[k], z, zn, NULL, UINT64_MAX, collect, &s, &total, &err), JL_OK);
        assert_int_equal(total, n);
        assert_int_equal(s.len, n);
        assert_int_equal(s.pieces, 3);
        assert_memory_equal(s.p, raw, n);
        free(s.p);
        memset(&s, 0, sizeof s);
        assert_int_equal(jl_decompress_each(kinds[k], z, zn, NULL, n - 1, collect, &s, &total, &err), JL_E_LIMIT);
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
        cmocka_unit_test(test_made_ways), cmocka_unit_test(test_members_empty),
        cmocka_unit_test(test_damage_after_point), cmocka_unit_test(test_cuts), cmocka_unit_test(test_max_out),
    };
    return cmocka_run_group_tests_name("inflate_index", tests, NULL, NULL);
}
