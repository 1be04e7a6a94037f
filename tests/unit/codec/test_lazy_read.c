/*
 * test_lazy_read.c - payloads left in a big compressed stream read piece
 * by piece (codec/value/lazy_read.c) and written on by the writer without
 * being loaded (codec/write/writer.c, put_payload): a bundle of two uint8
 * arrays (9 MiB and 3 MiB) and a string, written with every compressor
 * this build has and opened from a file:
 *   - ranges in stream order, then one behind (index or restart), each
 *     handed on in pieces of at most JL_LAZY_READ_PIECE bytes, equal to
 *     the uncompressed stream's bytes;
 *   - jl_write_stream of the lazy doc is byte for byte the stream of the
 *     same doc read uncompressed, at protocols 2 and 4, and the arrays stay
 *     in the stream (nothing loaded); jl_write_npy of a lazy array equals
 *     the plain one;
 *   - no node but an array refers to the lazy block;
 *   - with the streaming thresholds lowered, a bundle of a few KiB streams;
 *   - a range past the stream's end is JL_E_TRUNCATED with its message, and
 *     the reader still reads after it; an error of the consumer stops the
 *     read with that error.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array_build.h"
#include "decode.h"
#include "dtype.h"
#include "lazy.h"
#include "lazy_read.h"
#include "writer.h"

#define BIG ((uint64_t)9 << 20)
#define SMALL ((uint64_t)3 << 20)

static uint8_t byte_at(uint64_t i, int which) { return (uint8_t)(i * (which ? 13 : 7) + (i >> 12)); }

/* An array node of n uint8 bytes, pattern `which`. */
static uint32_t u8_array(jl_doc *d, uint32_t u1, uint64_t n, int which, jl_error *err) {
    jl_ref r;
    uint8_t *p = jl_heap_alloc(d, n, &r, err);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) p[i] = byte_at(i, which);
    uint64_t dims[1] = { n };
    jl_array_spec s = { u1, dims, 1, 'C', r, JL_NONE };
    return jl_array_build(d, &s, err);
}

/* [big, "mid", small] */
static jl_doc *source(uint32_t *root) {
    jl_doc *d = jl_doc_new(NULL, NULL);
    assert_non_null(d);
    jl_error err;
    jl_error_clear(&err);
    uint32_t u1;
    assert_int_equal(jl_dtype_parse(d, "|u1", 3, &u1, &err), JL_OK);
    uint32_t k[3] = { u8_array(d, u1, BIG, 0, &err), jl_new_bytes(d, JL_STR, "mid", 3, &err),
                      u8_array(d, u1, SMALL, 1, &err) };
    *root = jl_node_new(d, JL_LIST, &err);
    assert_int_not_equal(*root, JL_NONE);
    assert_int_equal(jl_kids_append(d, *root, k, 3, &err), JL_OK);
    return d;
}

/* What the reader hands on, checked against the plain stream. */
typedef struct got {
    const uint8_t *want; /* the uncompressed stream */
    uint64_t at;         /* stream offset of the next byte expected */
    uint64_t pieces, total, max_piece;
    int fail_after;      /* > 0: fail with JL_E_IO at that piece */
} got;

static int take(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    got *g = ctx;
    if (g->fail_after && (int)g->pieces + 1 == g->fail_after)
        return jl_fail(err, JL_E_IO, JL_NO_OFFSET, "the consumer gave up");
    assert_true(n > 0);
    assert_memory_equal(p, g->want + g->at, n);
    g->at += n;
    g->total += n;
    g->pieces++;
    if (n > g->max_piece) g->max_piece = n;
    return JL_OK;
}

static void read_range(jl_lazy_reader *r, const uint8_t *plain, uint64_t off, uint64_t len) {
    jl_error err;
    jl_error_clear(&err);
    got g = { plain, off, 0, 0, 0, 0 };
    assert_int_equal(jl_lazy_reader_read(r, off, len, take, &g, &err), JL_OK);
    assert_int_equal(g.total, len);
    assert_true(g.max_piece <= JL_LAZY_READ_PIECE);
}

static jl_ref lazy_data(jl_doc *d, uint32_t i) {
    return jl_array_of(d, jl_kids_of(d, d->root)[i])->data;
}

static void check_kind(jl_compression c) {
    uint32_t root;
    jl_test_pair t;
    jl_doc *src = source(&root);
    jl_test_pair_open(&t, src, root, c, "lread", NULL);
    jl_doc *d = t.d, *ref = t.ref;
    assert_true(jl_doc_is_lazy(d));
    const uint8_t *plain = t.plain;
    uint64_t pn = t.pn;
    jl_error err;
    jl_error_clear(&err);
    /* only arrays refer to the lazy block: the bytes node that carried a
     * skipped payload into its array is None (found by fuzz_stream_decode) */
    for (uint32_t i = 0; i < d->nnodes; i++) {
        uint8_t k = d->nodes[i].kind;
        if (k == JL_STR || k == JL_BYTES || k == JL_BYTEARRAY || k == JL_COMPLEX)
            assert_int_not_equal(d->nodes[i].block, d->lazy_block);
    }
    jl_ref big = lazy_data(d, 0), small = lazy_data(d, 2);
    assert_int_equal(big.block, d->lazy_block);
    assert_int_equal(small.block, d->lazy_block);
    assert_memory_equal(plain + big.off, jl_ref_ptr(ref, lazy_data(ref, 0)), 64);

    /* in order, a part of big, then small, then big again (behind) */
    jl_lazy_reader *r = NULL;
    assert_int_equal(jl_lazy_reader_open(d, &r, &err), JL_OK);
    read_range(r, plain, big.off + 5, BIG - 1000);
    read_range(r, plain, small.off, SMALL);
    read_range(r, plain, big.off, BIG);
    read_range(r, plain, big.off + 17, 0);

    /* past the end: truncated, and the reader reads again after it */
    got g = { plain, pn - 10, 0, 0, 0, 0 };
    assert_int_equal(jl_lazy_reader_read(r, pn - 10, 20, take, &g, &err), JL_E_TRUNCATED);
    char want[160];
    snprintf(want, sizeof want,
             "file is truncated: the %s stream ends at byte %llu, before an array's data at byte %llu",
             jl_compression_name(c), (unsigned long long)pn, (unsigned long long)pn);
    assert_string_equal(err.message, want);
    assert_int_equal(g.total, 10);
    jl_error_clear(&err);
    read_range(r, plain, small.off + 3, 100);

    /* the consumer's error stops the read */
    got f = { plain, big.off, 0, 0, 0, 2 };
    assert_int_equal(jl_lazy_reader_read(r, big.off, BIG, take, &f, &err), JL_E_IO);
    assert_string_equal(err.message, "the consumer gave up");
    jl_lazy_reader_free(r);

    /* the writer streams what is not loaded: the same bytes as from the plain file */
    for (int proto = 2; proto <= 4; proto += 2) {
        jl_buf a, b;
        jl_buf_init(&a, NULL, 0);
        jl_buf_init(&b, NULL, 0);
        assert_int_equal(jl_write_stream(d, d->root, proto, &a, &err), JL_OK);
        assert_int_equal(jl_write_stream(ref, ref->root, proto, &b, &err), JL_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.p, b.p, a.len);
        if (proto == 4) {
            assert_int_equal(a.len, pn);
            assert_memory_equal(a.p, plain, pn);
        }
        jl_buf_free(&a);
        jl_buf_free(&b);
    }
    assert_int_equal(lazy_data(d, 0).block, d->lazy_block); /* still not loaded */
    jl_buf a, b;
    jl_buf_init(&a, NULL, 0);
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_write_npy(d, jl_kids_of(d, d->root)[2], &a, &err), JL_OK);
    assert_int_equal(jl_write_npy(ref, jl_kids_of(ref, ref->root)[2], &b, &err), JL_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, b.p, a.len);
    jl_buf_free(&a);
    jl_buf_free(&b);

    jl_test_pair_close(&t, src);
    jl_doc_free(src);
}

static void test_kinds(void **state) {
    (void)state;
    for (int c = JL_COMP_ZLIB; c < JL_COMP_ZF; c++) /* every compressor with a stream */
        if (c != JL_COMP_LZMA && jl_compression_available((jl_compression)c)) check_kind((jl_compression)c);
}

/* The thresholds lowered (jl_limits' feed_whole, feed_lazy_min, as
 * fuzz_stream_decode sets them): a bundle of 1 MiB, under the 8 MiB
 * decoded at once by default, streams, and its array of 1 MiB - 100 bytes,
 * under the default 1 MiB, is left in the stream: its payload runs past the
 * first piece the reader handed over (1 MiB here; the fuzz build cuts
 * pieces smaller). The 20-byte array after it is kept. The doc is written
 * back the same, then read. */
static void test_small_thresholds(void **state) {
    (void)state;
    jl_doc *src = jl_doc_new(NULL, NULL);
    assert_non_null(src);
    jl_error err;
    jl_error_clear(&err);
    uint32_t u1, k[2];
    assert_int_equal(jl_dtype_parse(src, "|u1", 3, &u1, &err), JL_OK);
    k[0] = u8_array(src, u1, ((uint64_t)1 << 20) - 100, 1, &err);
    k[1] = u8_array(src, u1, 20, 0, &err);
    uint32_t root = jl_node_new(src, JL_TUPLE, &err);
    assert_int_equal(jl_kids_append(src, root, k, 2, &err), JL_OK);
    jl_limits lim;
    jl_limits_default(&lim);
    lim.feed_whole = 100;
    lim.feed_lazy_min = 1000;
    jl_test_pair t;
    jl_test_pair_open(&t, src, root, JL_COMP_ZLIB, "lsmall", &lim);
    jl_doc *d = t.d;
    assert_true(jl_doc_is_lazy(d));
    assert_int_equal(lazy_data(d, 0).block, d->lazy_block);
    assert_int_not_equal(lazy_data(d, 1).block, d->lazy_block); /* under feed_lazy_min: kept */
    assert_int_equal(d->stream_len, t.pn);
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_write_stream(d, d->root, 4, &b, &err), JL_OK);
    assert_int_equal(b.len, t.pn);
    assert_memory_equal(b.p, t.plain, t.pn);
    jl_buf_free(&b);
    assert_int_equal(jl_lazy_load(d, d->root, &err), JL_OK);
    assert_memory_equal(jl_ref_ptr(d, lazy_data(d, 0)), t.plain + lazy_data(t.ref, 0).off, ((uint64_t)1 << 20) - 100);
    /* the defaults: the same file is decoded at once, nothing left in the stream */
    jl_doc *whole = NULL;
    assert_int_equal(jl_open_file(t.path, NULL, &whole, &err), JL_OK);
    assert_false(jl_doc_is_lazy(whole));
    jl_doc_free(whole);
    jl_test_pair_close(&t, src);
    jl_doc_free(src);
}

/* A doc without a lazy block has nothing to read. */
static void test_no_lazy_block(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    assert_non_null(d);
    jl_error err;
    jl_error_clear(&err);
    jl_lazy_reader *r = (jl_lazy_reader *)1;
    assert_int_equal(jl_lazy_reader_open(d, &r, &err), JL_E_ARG);
    assert_null(r);
    assert_string_equal(err.message, "the bundle has no array data left in a compressed stream");
    jl_lazy_reader_free(NULL);
    jl_doc_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_small_thresholds),
        cmocka_unit_test(test_no_lazy_block),
    };
    return cmocka_run_group_tests_name("lazy_read", tests, NULL, NULL);
}
