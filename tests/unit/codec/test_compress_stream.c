/*
 * test_compress_stream.c - the writers' streaming compressors
 * (codec/io/compress_stream.c): for every container this build writes, the
 * bytes that come out when the stream is fed in pieces of several sizes
 * are exactly jl_compress's bytes for the whole stream, around the
 * thresholds that change how it is made (zlib/gzip: 4 MiB, the 1 MiB
 * deflate blocks and the 8 MiB parts; lz4: its 4 MiB pieces); the held
 * input stays bounded; a failing sink stops it with the sink's error; a
 * failing allocator leaks nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compress_stream.h"
#include "testutil.h"

#define MiB ((uint64_t)1 << 20)

/* Under valgrind (JL_VALGRIND=1, scripts/test) the byte comparisons take a
 * sample: the thresholds still, fewer sizes and pieces. */
static int sampled(void) {
    const char *vg = getenv("JL_VALGRIND");
    return vg && *vg && strcmp(vg, "0") != 0;
}

/* Compressible data with matches across block boundaries and random runs. */
static uint8_t *make_data(uint64_t n) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    static const char text[] = "a joblib bundle streamed into its compressor; ";
    uint32_t x = 12345;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (i / 4096) % 3 == 2 ? (uint8_t)(x >> 24) : (uint8_t)text[i % (sizeof text - 1)];
    }
    return p;
}

typedef struct collect {
    uint8_t *p;
    uint64_t len, cap;
    uint64_t fail_at; /* fail once len would pass this (0 = never) */
} collect;

static int put(void *ctx, const void *p, uint64_t n, jl_error *err) {
    collect *c = ctx;
    if (c->fail_at && c->len + n > c->fail_at) return jl_fail(err, JL_E_IO, JL_NO_OFFSET, "disk full");
    if (c->cap - c->len < n) {
        c->cap = (c->len + n) * 2;
        c->p = realloc(c->p, c->cap);
        assert_non_null(c->p);
    }
    memcpy(c->p + c->len, p, n);
    c->len += n;
    return JL_OK;
}

/* Streams data[0..n) in pieces of `piece` bytes (0: one call) and compares
 * with jl_compress. */
static void same_bytes(jl_compression c, int level, const uint8_t *data, uint64_t n, uint64_t piece) {
    jl_error err;
    jl_error_clear(&err);
    uint8_t *want = NULL;
    uint64_t wn = 0;
    assert_int_equal(jl_compress(c, level, data, n, NULL, &want, &wn, &err), JL_OK);
    collect got = { 0 };
    jl_zstream *z = NULL;
    assert_int_equal(jl_zstream_open(c, level, NULL, put, &got, &z, &err), JL_OK);
    for (uint64_t at = 0; at < n;) {
        uint64_t k = piece && piece < n - at ? piece : n - at;
        assert_int_equal(jl_zstream_write(z, data + at, k, &err), JL_OK);
        at += k;
    }
    assert_int_equal(jl_zstream_finish(z, &err), JL_OK);
    assert_int_equal(jl_zstream_total(z), n);
    jl_zstream_free(z);
    if (got.len != wn || memcmp(got.p, want, wn) != 0)
        fail_msg("%s level %d, %llu bytes in pieces of %llu: %llu bytes differ from jl_compress's %llu",
                 jl_compression_name(c), level, (unsigned long long)n, (unsigned long long)piece,
                 (unsigned long long)got.len, (unsigned long long)wn);
    free(got.p);
    free(want);
}

static void test_deflate_same_bytes(void **state) {
    (void)state;
    /* around 4 MiB (one stream or blocks), 8 MiB parts, whole blocks at the end */
    const uint64_t sizes[] = { 0, 1000, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 1, 17 * MiB };
    const uint64_t pieces[] = { 0, 3 * MiB + 7 };
    uint8_t *data = make_data(17 * MiB + 12345);
    size_t nsizes = sampled() ? 5 : sizeof sizes / sizeof sizes[0];
    size_t npieces = sampled() ? 1 : sizeof pieces / sizeof pieces[0];
    for (size_t i = 0; i < nsizes; i++)
        for (size_t j = 0; j < npieces; j++) {
            same_bytes(JL_COMP_ZLIB, 3, data, sizes[i], pieces[j]);
            same_bytes(JL_COMP_GZIP, j ? 9 : 1, data, sizes[i], pieces[j]);
        }
    same_bytes(JL_COMP_ZLIB, 1, data, sampled() ? 9 * MiB + 1 : 17 * MiB + 12345, 65536);
    same_bytes(JL_COMP_ZF, 3, data, 5 * MiB, 65536);
    same_bytes(JL_COMP_NONE, 0, data, 5 * MiB, 65536);
    free(data);
}

static void test_libraries_same_bytes(void **state) {
    (void)state;
    const jl_compression kinds[] = { JL_COMP_BZ2, JL_COMP_XZ, JL_COMP_LZMA, JL_COMP_LZ4 };
    const uint64_t sizes[] = { 0, 1000, 4 * MiB, 5 * MiB + 3 };
    uint8_t *data = make_data(5 * MiB + 3);
    int done = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!jl_compression_available(kinds[k])) continue;
        done++;
        for (size_t i = sampled() ? 2 : 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            same_bytes(kinds[k], 3, data, sizes[i], 100000);
            if (!sampled()) same_bytes(kinds[k], 3, data, sizes[i], 0);
        }
    }
    free(data);
    if (!done) skip();
}

/* The sink's failure ends the stream with its error, and later calls say it again. */
static void test_sink_failure(void **state) {
    (void)state;
    uint8_t *data = make_data(12 * MiB);
    jl_error err;
    jl_error_clear(&err);
    collect got = { 0 };
    got.fail_at = 1000;
    jl_zstream *z = NULL;
    assert_int_equal(jl_zstream_open(JL_COMP_ZLIB, 3, NULL, put, &got, &z, &err), JL_OK);
    int rc = JL_OK;
    for (uint64_t at = 0; at < 12 * MiB && rc == JL_OK; at += MiB) rc = jl_zstream_write(z, data + at, MiB, &err);
    assert_int_equal(rc, JL_E_IO);
    assert_string_equal(err.message, "disk full");
    assert_int_equal(jl_zstream_write(z, data, 10, &err), JL_E_IO);
    assert_int_equal(jl_zstream_finish(z, &err), JL_E_IO);
    jl_zstream_free(z);
    free(got.p);
    free(data);
}

/* Every allocation that fails is an error and leaks nothing. */
static void test_alloc_failures(void **state) {
    (void)state;
    uint8_t *data = make_data(6 * MiB);
    const jl_compression kinds[] = { JL_COMP_ZLIB, JL_COMP_BZ2, JL_COMP_XZ, JL_COMP_LZ4 };
    for (size_t k = 0; k < (sampled() ? 1 : sizeof kinds / sizeof kinds[0]); k++) {
        if (!jl_compression_available(kinds[k])) continue;
        int rc = JL_E_NOMEM;
        for (long after = 0; rc == JL_E_NOMEM; after++) { /* until every allocation succeeds */
            jl_test_alloc ta;
            jl_test_alloc_init(&ta, after);
            jl_error err;
            jl_error_clear(&err);
            collect got = { 0 };
            jl_zstream *z = NULL;
            rc = jl_zstream_open(kinds[k], 1, &ta.alloc, put, &got, &z, &err);
            for (uint64_t at = 0; rc == JL_OK && at < 6 * MiB; at += 2 * MiB) rc = jl_zstream_write(z, data + at, 2 * MiB, &err);
            if (rc == JL_OK) rc = jl_zstream_finish(z, &err);
            jl_zstream_free(z);
            free(got.p);
            assert_true(rc == JL_OK || rc == JL_E_NOMEM);
            assert_int_equal(ta.live, 0);
        }
    }
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deflate_same_bytes),
        cmocka_unit_test(test_libraries_same_bytes),
        cmocka_unit_test(test_sink_failure),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("compress_stream", tests, NULL, NULL);
}
