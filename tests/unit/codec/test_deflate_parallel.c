/*
 * test_deflate_parallel.c - parallel deflate (codec/io/deflate_parallel.c):
 * the streams it writes are one valid zlib / gzip / raw deflate stream
 * with the framing joblib writes, whatever the thread count and block
 * size; zlib inflates them to the input; Python's zlib, gzip and
 * joblib.load read them ($JL_PYTHON, skipped without it); and, in builds
 * with ISA-L, ISA-L's engine and inflate agree with zlib.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "deflate_parallel.h"
#include "testutil.h"

/* Deterministic test data: runs of text (compressible, with matches that
 * cross block boundaries) and of pseudo-random bytes. */
static uint8_t *make_data(uint64_t n, uint32_t seed) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    static const char text[] = "joblib bundles hold numpy arrays; sqlite reads them. ";
    uint32_t x = seed * 2654435761u + 1;
    uint64_t i = 0;
    while (i < n) {
        x = x * 1103515245u + 12345u;
        uint64_t run = 1000 + (x >> 8) % 70000;
        int random = (x >> 4) & 1;
        for (uint64_t k = 0; k < run && i < n; k++, i++) {
            if (random) {
                x = x * 1103515245u + 12345u;
                p[i] = (uint8_t)(x >> 16);
            } else {
                p[i] = (uint8_t)text[(i + seed) % (sizeof text - 1)];
            }
        }
    }
    return p;
}

/* Inflates with zlib (wbits 15 zlib, 31 gzip, -15 raw); the whole stream
 * must be used and end exactly. */
static uint8_t *zlib_inflate_all(const uint8_t *in, uint64_t n, int wbits, uint64_t expect) {
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, wbits), Z_OK);
    uint8_t *out = malloc(expect + 1);
    assert_non_null(out);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)(expect + 1);
    int zr = inflate(&z, Z_FINISH);
    assert_int_equal(zr, Z_STREAM_END);
    assert_int_equal(z.total_out, expect);
    assert_int_equal(z.avail_in, 0); /* no trailing bytes */
    inflateEnd(&z);
    return out;
}

static void roundtrip(jl_deflate_wrap wrap, int level, uint64_t n, int threads, uint64_t block,
                      jl_deflate_engine engine) {
    uint8_t *data = make_data(n, (uint32_t)(n + (uint64_t)threads));
    jl_pdeflate_opts o = { threads, block, engine };
    uint8_t *out = NULL;
    uint64_t len = 0;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_deflate_parallel(wrap, level, data, n, &o, NULL, &out, &len, &err);
    assert_int_equal(rc, JL_OK);
    assert_non_null(out);
    int wbits = wrap == JL_WRAP_ZLIB ? 15 : wrap == JL_WRAP_GZIP ? 31 : -15;
    uint8_t *back = zlib_inflate_all(out, len, wbits, n);
    assert_memory_equal(back, data, n);
    if (wrap == JL_WRAP_ZLIB) {
        static const uint8_t flg[10] = { 0, 0x01, 0x5E, 0x5E, 0x5E, 0x5E, 0x9C, 0xDA, 0xDA, 0xDA };
        assert_int_equal(out[0], 0x78);
        assert_int_equal(out[1], flg[level]);
        uint32_t ad = (uint32_t)adler32(adler32(0, NULL, 0), data, (uInt)n);
        uint8_t t[4] = { (uint8_t)(ad >> 24), (uint8_t)(ad >> 16), (uint8_t)(ad >> 8), (uint8_t)ad };
        assert_memory_equal(out + len - 4, t, 4);
    } else if (wrap == JL_WRAP_GZIP) {
        uint8_t head[10] = { 0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03 };
        head[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
        assert_memory_equal(out, head, 10);
        uint32_t c = (uint32_t)crc32(0, data, (uInt)n);
        uint8_t t[8] = { (uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16), (uint8_t)(c >> 24),
                         (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
        assert_memory_equal(out + len - 8, t, 8);
    }
    free(back);
    free(out);
    free(data);
}

/* 3 MiB in 64 KiB blocks: 48 blocks on 1, 2 and 5 threads, each wrapper. */
static void test_zlib_threads(void **state) {
    (void)state;
    for (int t = 1; t <= 5; t += 1) roundtrip(JL_WRAP_ZLIB, 3, 3u << 20, t, 65536, JL_ENGINE_ZLIB);
}

static void test_gzip_threads(void **state) {
    (void)state;
    roundtrip(JL_WRAP_GZIP, 3, 3u << 20, 2, 65536, JL_ENGINE_ZLIB);
    roundtrip(JL_WRAP_GZIP, 3, 3u << 20, 3, 100000, JL_ENGINE_ZLIB);
}

static void test_raw(void **state) {
    (void)state;
    roundtrip(JL_WRAP_RAW, 6, 1u << 20, 2, 65536, JL_ENGINE_ZLIB);
}

/* Every level writes the header zlib writes for it (checked in roundtrip). */
static void test_levels(void **state) {
    (void)state;
    for (int level = 1; level <= 9; level++) {
        roundtrip(JL_WRAP_ZLIB, level, 300000, 2, 65536, JL_ENGINE_ZLIB);
        roundtrip(JL_WRAP_GZIP, level, 300000, 2, 65536, JL_ENGINE_ZLIB);
    }
}

/* Edges: empty, one byte, less than a block, exactly k blocks, k blocks + 1. */
static void test_sizes(void **state) {
    (void)state;
    static const uint64_t sizes[] = { 0, 1, 1000, 65536, 65536 * 4, 65536 * 4 + 1 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        roundtrip(JL_WRAP_ZLIB, 3, sizes[i], 2, 65536, JL_ENGINE_ZLIB);
        roundtrip(JL_WRAP_GZIP, 3, sizes[i], 3, 65536, JL_ENGINE_ZLIB);
    }
}

/* The empty zlib stream: 78 5E, one empty final fixed block, Adler-32 = 1. */
static void test_empty_bytes(void **state) {
    (void)state;
    jl_pdeflate_opts o = { 1, 0, JL_ENGINE_ZLIB };
    uint8_t *out;
    uint64_t len;
    jl_error err;
    assert_int_equal(jl_deflate_parallel(JL_WRAP_ZLIB, 3, NULL, 0, &o, NULL, &out, &len, &err),
                     JL_OK);
    static const uint8_t expect[] = { 0x78, 0x5E, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01 };
    assert_int_equal(len, sizeof expect);
    assert_memory_equal(out, expect, sizeof expect);
    free(out);
}

/* Blocks primed with the previous 32 KiB compress repetitive data as well
 * as one stream does (within 1%), so the split costs no ratio. */
static void test_ratio_close_to_one_stream(void **state) {
    (void)state;
    uint64_t n = 4u << 20;
    uint8_t *data = make_data(n, 7);
    jl_pdeflate_opts o = { 2, 65536, JL_ENGINE_ZLIB };
    uint8_t *out;
    uint64_t len;
    jl_error err;
    assert_int_equal(jl_deflate_parallel(JL_WRAP_ZLIB, 3, data, n, &o, NULL, &out, &len, &err),
                     JL_OK);
    uLongf one = compressBound((uLong)n);
    uint8_t *ref = malloc(one);
    assert_int_equal(compress2(ref, &one, data, (uLong)n, 3), Z_OK);
    assert_true(len <= one + one / 100 + 64 * 5);
    free(ref);
    free(out);
    free(data);
}

static void test_bad_level(void **state) {
    (void)state;
    uint8_t *out = (uint8_t *)1;
    uint64_t len = 7;
    jl_error err;
    assert_int_equal(jl_deflate_parallel(JL_WRAP_ZLIB, 0, (const uint8_t *)"x", 1, NULL, NULL,
                                         &out, &len, &err),
                     JL_E_ARG);
    assert_string_equal(err.message, "deflate level must be 1..9, not 0");
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(jl_deflate_parallel(JL_WRAP_GZIP, 10, (const uint8_t *)"x", 1, NULL, NULL,
                                         &out, &len, &err),
                     JL_E_ARG);
    assert_string_equal(err.message, "deflate level must be 1..9, not 10");
}

/* The output comes from the caller's allocator; a failing one is reported
 * and leaves nothing allocated. */
static void test_allocator(void **state) {
    (void)state;
    uint64_t n = 1u << 20;
    uint8_t *data = make_data(n, 3);
    jl_test_alloc ta;
    jl_test_alloc_init(&ta, -1);
    jl_pdeflate_opts o = { 2, 65536, JL_ENGINE_ZLIB };
    uint8_t *out;
    uint64_t len;
    jl_error err;
    assert_int_equal(jl_deflate_parallel(JL_WRAP_ZLIB, 3, data, n, &o, &ta.alloc, &out, &len, &err),
                     JL_OK);
    assert_int_equal(ta.live, 1);
    jl_free(&ta.alloc, out);
    assert_int_equal(ta.live, 0);
    for (long k = 0; k < 3; k++) {
        jl_test_alloc_init(&ta, k);
        int rc = jl_deflate_parallel(JL_WRAP_ZLIB, 3, data, n, &o, &ta.alloc, &out, &len, &err);
        if (rc == JL_OK) {
            jl_free(&ta.alloc, out);
        } else {
            assert_int_equal(rc, JL_E_NOMEM);
            assert_non_null(strstr(err.message, "compressed stream"));
            assert_null(out);
        }
        assert_int_equal(ta.live, 0);
    }
    jl_test_alloc_init(&ta, 0);
    assert_int_equal(jl_deflate_parallel(JL_WRAP_GZIP, 3, data, n, &o, &ta.alloc, &out, &len, &err),
                     JL_E_NOMEM);
    assert_int_equal(ta.live, 0);
    free(data);
}

static void test_checksums(void **state) {
    (void)state;
    uint64_t n = 200000;
    uint8_t *data = make_data(n, 11);
    assert_int_equal(jl_adler32(1, data, n), (uint32_t)adler32(1, data, (uInt)n));
    assert_int_equal(jl_crc32(0, data, n), (uint32_t)crc32(0, data, (uInt)n));
    /* continued */
    assert_int_equal(jl_crc32(jl_crc32(0, data, 1000), data + 1000, n - 1000),
                     (uint32_t)crc32(0, data, (uInt)n));
    assert_int_equal(jl_adler32(jl_adler32(1, data, 1000), data + 1000, n - 1000),
                     (uint32_t)adler32(1, data, (uInt)n));
    assert_int_equal(jl_adler32(1, data, 0), 1);
    assert_int_equal(jl_crc32(0, data, 0), 0);
    free(data);
}

/* ---- Python reads what we write ------------------------------------------------ */

static int write_file(const char *path, const uint8_t *p, uint64_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, (size_t)n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* A pickle (protocol 4) of one bytes object: what joblib.load returns. */
static uint8_t *pickle_bytes(const uint8_t *data, uint64_t n, uint64_t *len) {
    uint8_t *p = malloc(n + 8);
    assert_non_null(p);
    p[0] = 0x80;
    p[1] = 4;
    p[2] = 'B'; /* BINBYTES, 4-byte little-endian length */
    p[3] = (uint8_t)n;
    p[4] = (uint8_t)(n >> 8);
    p[5] = (uint8_t)(n >> 16);
    p[6] = (uint8_t)(n >> 24);
    memcpy(p + 7, data, n);
    p[7 + n] = '.';
    *len = n + 8;
    return p;
}

static void test_python_reads_it(void **state) {
    (void)state;
    const char *py = getenv("JL_PYTHON");
    if (!py || access(py, X_OK) != 0) {
        skip(); /* ctest sets JL_PYTHON; a bare run has no Python to ask */
    }
    char dir[] = "/tmp/jl_pdeflate_XXXXXX";
    assert_non_null(mkdtemp(dir));
    uint64_t n = 6u << 20;
    uint8_t *data = make_data(n, 5);
    uint64_t plen;
    uint8_t *pk = pickle_bytes(data, n, &plen);
    char path[256];
    snprintf(path, sizeof path, "%s/data.bin", dir);
    assert_int_equal(write_file(path, data, n), 0);
    static const struct {
        jl_deflate_wrap wrap;
        jl_deflate_engine engine;
        const char *name;
    } outs[] = {
        { JL_WRAP_ZLIB, JL_ENGINE_ZLIB, "zlib.pkl" },
        { JL_WRAP_GZIP, JL_ENGINE_ZLIB, "gzip.pkl" },
        { JL_WRAP_ZLIB, JL_ENGINE_ISAL, "isal_zlib.pkl" },
        { JL_WRAP_GZIP, JL_ENGINE_ISAL, "isal_gzip.pkl" },
    };
    int made = 0;
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        if (outs[i].engine == JL_ENGINE_ISAL && !jl_deflate_have_isal()) continue;
        jl_pdeflate_opts o = { 2, 65536, outs[i].engine };
        uint8_t *out;
        uint64_t len;
        jl_error err;
        assert_int_equal(jl_deflate_parallel(outs[i].wrap, 3, pk, plen, &o, NULL, &out, &len, &err),
                         JL_OK);
        snprintf(path, sizeof path, "%s/%s", dir, outs[i].name);
        assert_int_equal(write_file(path, out, len), 0);
        free(out);
        made++;
    }
    /* zlib/gzip modules on the raw stream, then joblib.load on the bundle */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import sys, os, zlib, gzip, pickle, joblib\n"
             "d = sys.argv[1]\n"
             "ref = open(os.path.join(d, 'data.bin'), 'rb').read()\n"
             "n = 0\n"
             "for f in sorted(os.listdir(d)):\n"
             "    if not f.endswith('.pkl'): continue\n"
             "    raw = open(os.path.join(d, f), 'rb').read()\n"
             "    pk = gzip.decompress(raw) if 'gzip' in f else zlib.decompress(raw)\n"
             "    assert pickle.loads(pk) == ref, f\n"
             "    assert joblib.load(os.path.join(d, f)) == ref, f\n"
             "    n += 1\n"
             "sys.exit(0 if n == %d else 3)\" '%s'",
             py, made, dir);
    int st = system(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(pk);
    free(data);
    assert_int_equal(st, 0);
}

/* ---- ISA-L ------------------------------------------------------------------------ */

typedef struct vec {
    uint8_t *p;
    uint64_t len, cap, max;
} vec;

static int vec_room(void *ctx, uint8_t **dst, uint64_t *room, jl_error *err) {
    vec *v = ctx;
    if (v->len == v->cap) {
        if (v->cap >= v->max) {
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "decompressed size exceeds the limit of %llu bytes",
                           (unsigned long long)v->max);
        }
        uint64_t ncap = v->cap ? v->cap * 2 : 4096;
        if (ncap > v->max) ncap = v->max;
        v->p = realloc(v->p, ncap);
        assert_non_null(v->p);
        v->cap = ncap;
    }
    *dst = v->p + v->len;
    *room = v->cap - v->len;
    return JL_OK;
}

static int vec_commit(void *ctx, uint64_t produced, jl_error *err) {
    (void)err;
    ((vec *)ctx)->len += produced;
    return JL_OK;
}

/* zlib's own single streams, and our parallel ones, inflated by ISA-L. */
static void test_isal_inflate(void **state) {
    (void)state;
    if (!jl_deflate_have_isal()) {
        uint64_t used;
        jl_error err;
        vec v = { NULL, 0, 0, 100 };
        assert_int_equal(jl_inflate_isal(JL_WRAP_ZLIB, (const uint8_t *)"x", 1, 0, NULL, vec_room,
                                         vec_commit, &v, &used, &err),
                         JL_E_UNSUPPORTED);
        assert_string_equal(err.message, "this build has no ISA-L support");
        skip();
    }
    uint64_t n = 2u << 20;
    uint8_t *data = make_data(n, 9);
    for (int g = 0; g < 2; g++) {
        jl_deflate_wrap wrap = g ? JL_WRAP_GZIP : JL_WRAP_ZLIB;
        for (int par = 0; par < 2; par++) {
            uint8_t *z;
            uint64_t zn;
            if (par) {
                jl_pdeflate_opts o = { 2, 65536, JL_ENGINE_ZLIB };
                jl_error err;
                assert_int_equal(jl_deflate_parallel(wrap, 6, data, n, &o, NULL, &z, &zn, &err), JL_OK);
            } else {
                z_stream s;
                memset(&s, 0, sizeof s);
                assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, g ? 31 : 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
                zn = deflateBound(&s, (uLong)n);
                z = malloc(zn + 16);
                s.next_in = data;
                s.avail_in = (uInt)n;
                s.next_out = z;
                s.avail_out = (uInt)zn;
                assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
                zn = s.total_out;
                deflateEnd(&s);
            }
            /* two members back to back plus trailing bytes: `used` stops at the first's end */
            uint8_t *two = malloc(2 * zn + 3);
            memcpy(two, z, zn);
            memcpy(two + zn, z, zn);
            memcpy(two + 2 * zn, "\0\0\0", 3);
            vec v = { NULL, 0, 0, UINT64_MAX };
            uint64_t used = 0;
            jl_error err;
            assert_int_equal(jl_inflate_isal(wrap, two, 2 * zn + 3, 0, NULL, vec_room, vec_commit, &v,
                                             &used, &err),
                             JL_OK);
            assert_int_equal(v.len, n);
            assert_memory_equal(v.p, data, n);
            assert_int_equal(used, zn);
            v.len = 0;
            assert_int_equal(jl_inflate_isal(wrap, two + used, 2 * zn + 3 - used, used, NULL, vec_room,
                                             vec_commit, &v, &used, &err),
                             JL_OK);
            assert_int_equal(v.len, n);
            assert_int_equal(used, zn);

            /* cut short */
            v.len = 0;
            assert_int_equal(jl_inflate_isal(wrap, z, zn - 5, 100, NULL, vec_room, vec_commit, &v, &used, &err),
                             JL_E_TRUNCATED);
            char want[160];
            snprintf(want, sizeof want,
                     "file is truncated: the %s stream stops after %llu compressed bytes, before its "
                     "end (%llu bytes decompressed)",
                     g ? "gzip" : "zlib", (unsigned long long)(zn - 5 + 100), (unsigned long long)v.len);
            assert_string_equal(err.message, want);

            /* a flipped trailer byte: the checksum catches it */
            z[zn - (g ? 6 : 2)] ^= 0x55;
            v.len = 0;
            assert_int_equal(jl_inflate_isal(wrap, z, zn, 0, NULL, vec_room, vec_commit, &v, &used, &err),
                             JL_E_FORMAT);
            assert_non_null(strstr(err.message, "incorrect data check"));

            /* the output limit is the caller's */
            vec small = { NULL, 0, 0, 1000 };
            z[zn - (g ? 6 : 2)] ^= 0x55;
            assert_int_equal(jl_inflate_isal(wrap, z, zn, 0, NULL, vec_room, vec_commit, &small, &used, &err),
                             JL_E_LIMIT);
            free(small.p);
            free(v.p);
            free(two);
            free(z);
        }
    }
    /* a header that is not zlib */
    vec v = { NULL, 0, 0, 100 };
    uint64_t used;
    jl_error err;
    assert_int_equal(jl_inflate_isal(JL_WRAP_ZLIB, (const uint8_t *)"\x79\x9c\x00\x00\x00", 5, 0,
                                     NULL, vec_room, vec_commit, &v, &used, &err),
                     JL_E_FORMAT);
    assert_non_null(strstr(err.message, "zlib data is corrupt at compressed byte"));
    /* positions as zlib reports them, despite ISA-L's read-ahead */
    v.len = 0;
    assert_int_equal(jl_inflate_isal(JL_WRAP_GZIP,
                                     (const uint8_t *)"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff",
                                     12, 0, NULL, vec_room, vec_commit, &v, &used, &err),
                     JL_E_FORMAT);
    assert_string_equal(err.message, "gzip data is corrupt at compressed byte 11: invalid block type");
    free(v.p);
    free(data);
}

static void test_isal_engine(void **state) {
    (void)state;
    if (!jl_deflate_have_isal()) {
        jl_pdeflate_opts o = { 1, 0, JL_ENGINE_ISAL };
        uint8_t *out;
        uint64_t len;
        jl_error err;
        assert_int_equal(jl_deflate_parallel(JL_WRAP_ZLIB, 3, (const uint8_t *)"x", 1, &o, NULL,
                                             &out, &len, &err),
                         JL_E_UNSUPPORTED);
        assert_string_equal(err.message, "this build has no ISA-L support");
        skip();
    }
    for (int level = 1; level <= 9; level += 4) {
        roundtrip(JL_WRAP_ZLIB, level, 3u << 20, 2, 65536, JL_ENGINE_ISAL);
        roundtrip(JL_WRAP_GZIP, level, 3u << 20, 1, 65536, JL_ENGINE_ISAL);
    }
    roundtrip(JL_WRAP_ZLIB, 3, 0, 2, 65536, JL_ENGINE_ISAL);
    roundtrip(JL_WRAP_GZIP, 3, 1, 2, 65536, JL_ENGINE_ISAL);
    roundtrip(JL_WRAP_RAW, 3, 65536 * 3, 3, 65536, JL_ENGINE_ISAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zlib_threads),
        cmocka_unit_test(test_gzip_threads),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_empty_bytes),
        cmocka_unit_test(test_ratio_close_to_one_stream),
        cmocka_unit_test(test_bad_level),
        cmocka_unit_test(test_allocator),
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_python_reads_it),
        cmocka_unit_test(test_isal_inflate),
        cmocka_unit_test(test_isal_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
