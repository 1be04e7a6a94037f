/*
 * test_zipread.c - zip archives (codec/io/zipread.c) and .npz archives
 * (codec/numpy/npz.c, opened through the decoder): archives are built here
 * byte by byte (stored or raw-deflated members, sizes that lie), so every
 * message is checked exactly: members in archive order, contents, the
 * max_alloc / max_decompressed checks made before allocating, truncated
 * archives, a zip that is not an .npz, members that are not .npy, and every
 * allocation failure. (A build without libzip: test_zipread_nolib.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "opentest.h"
#include "testutil.h"
#include "zipread.h"

/* ---- building archives -------------------------------------------------- */

typedef struct zmember {
    const char *name;
    const void *data;
    size_t len;
    int deflate;
    uint64_t claim; /* uncompressed size written in the headers; 0: the real one */
} zmember;

typedef struct zbuf {
    uint8_t *p;
    size_t n, cap;
} zbuf;

static void put(zbuf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put16(zbuf *b, unsigned v) {
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, x, 2);
}

static void put32(zbuf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}

/* Raw deflate (no zlib header), as zip stores it. */
static uint8_t *raw_deflate(const void *p, size_t n, size_t *out_n) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n);
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_n = zs.total_out;
    deflateEnd(&zs);
    return out;
}

/* Local headers and data, then the central directory and its end record. */
static uint8_t *build_zip(const zmember *m, size_t count, size_t *len) {
    zbuf b = {0}, cd = {0};
    for (size_t i = 0; i < count; i++) {
        size_t cn = m[i].len;
        uint8_t *comp = m[i].deflate ? raw_deflate(m[i].data, m[i].len, &cn) : NULL;
        uint32_t crc = (uint32_t)crc32(0, m[i].data, (uInt)m[i].len);
        uint32_t usize = (uint32_t)(m[i].claim ? m[i].claim : m[i].len), nl = (uint32_t)strlen(m[i].name);
        uint32_t off = (uint32_t)b.n;
        put32(&b, 0x04034b50);
        put16(&b, 20), put16(&b, 0), put16(&b, m[i].deflate ? 8 : 0), put16(&b, 0), put16(&b, 0x21);
        put32(&b, crc), put32(&b, (uint32_t)cn), put32(&b, usize);
        put16(&b, nl), put16(&b, 0);
        put(&b, m[i].name, nl);
        if (cn) put(&b, comp ? comp : m[i].data, cn);
        put32(&cd, 0x02014b50);
        put16(&cd, 20), put16(&cd, 20), put16(&cd, 0), put16(&cd, m[i].deflate ? 8 : 0), put16(&cd, 0),
            put16(&cd, 0x21);
        put32(&cd, crc), put32(&cd, (uint32_t)cn), put32(&cd, usize);
        put16(&cd, nl), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0);
        put32(&cd, 0), put32(&cd, off);
        put(&cd, m[i].name, nl);
        free(comp);
    }
    uint32_t cd_off = (uint32_t)b.n;
    if (cd.n) put(&b, cd.p, cd.n);
    put32(&b, 0x06054b50);
    put16(&b, 0), put16(&b, 0), put16(&b, (unsigned)count), put16(&b, (unsigned)count);
    put32(&b, (uint32_t)cd.n), put32(&b, cd_off), put16(&b, 0);
    free(cd.p);
    *len = b.n;
    return b.p;
}

/* An .npy image with a 128-byte header: a 1-D array of `count` items of `descr`. */
static uint8_t *npy(const char *descr, unsigned count, const void *data, size_t n, size_t *len) {
    char dict[118];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%u,), }", descr,
                      count);
    assert_true(dl > 0 && dl < 117);
    uint8_t *p = malloc(128 + n);
    memcpy(p, "\x93NUMPY\x01\x00\x76\x00", 10);
    memset(p + 10, ' ', 118);
    memcpy(p + 10, dict, (size_t)dl);
    p[127] = '\n';
    if (n) memcpy(p + 128, data, n);
    *len = 128 + n;
    return p;
}

static void open_fails(const uint8_t *p, size_t n, const jl_limits *lim, jl_code code, const char *message) {
    jl_test_open_fails(p, n, lim, code, message, NULL);
}

/* ---- the zip layer -------------------------------------------------------- */

static void test_magic(void **state) {
    (void)state;
    assert_true(jl_zip_magic((const uint8_t *)"PK\3\4", 4));
    assert_true(jl_zip_magic((const uint8_t *)"PK\5\6", 4));
    assert_false(jl_zip_magic((const uint8_t *)"PK\1\2", 4));
    assert_false(jl_zip_magic((const uint8_t *)"PK\3", 3));
}

#ifdef HAVE_LIBZIP

static void test_members(void **state) {
    (void)state;
    static const char text[] = "hello hello hello hello hello";
    zmember m[] = {{"b.txt", text, sizeof text - 1, 0, 0}, {"a.bin", text, sizeof text - 1, 1, 0}};
    size_t n;
    uint8_t *zip = build_zip(m, 2, &n);
    jl_zip *z;
    jl_error err;
    assert_int_equal(jl_zip_open(zip, n, jl_alloc_default(), &z, &err), JL_OK);
    assert_int_equal(jl_zip_count(z), 2);
    for (uint64_t i = 0; i < 2; i++) {
        jl_zip_member e;
        assert_int_equal(jl_zip_member_at(z, i, &e, &err), JL_OK);
        assert_string_equal(e.name, m[i].name);
        assert_int_equal(e.size, sizeof text - 1);
        assert_int_equal(e.deflated, m[i].deflate);
        uint64_t budget = 1000, len;
        uint8_t *out;
        assert_int_equal(jl_zip_read(z, i, 1000, &budget, &out, &len, &err), JL_OK);
        assert_int_equal(len, sizeof text - 1);
        assert_memory_equal(out, text, len);
        assert_int_equal(budget, 1000 - len);
        free(out);
        /* the checks come before any allocation */
        budget = 10;
        assert_int_equal(jl_zip_read(z, i, 1000, &budget, &out, &len, &err), JL_E_LIMIT);
        char want[160];
        snprintf(want, sizeof want,
                 "decompressed size exceeds the limit of max_decompressed: zip member '%s' claims 29 bytes",
                 e.name);
        assert_string_equal(err.message, want);
        budget = 1000;
        assert_int_equal(jl_zip_read(z, i, 28, &budget, &out, &len, &err), JL_E_LIMIT);
        snprintf(want, sizeof want, "zip member '%s' claims 29 bytes, more than max_alloc (28)", e.name);
        assert_string_equal(err.message, want);
    }
    jl_zip_close(z);
    free(zip);
}

static void test_lying_sizes(void **state) {
    (void)state;
    static const char text[] = "0123456789abcdefghij";
    /* a deflated member that claims fewer bytes than it holds */
    zmember m = {"short.bin", text, 20, 1, 10};
    size_t n;
    uint8_t *zip = build_zip(&m, 1, &n);
    jl_zip *z;
    jl_error err;
    assert_int_equal(jl_zip_open(zip, n, jl_alloc_default(), &z, &err), JL_OK);
    uint64_t budget = 1000, len;
    uint8_t *out = NULL;
    assert_int_not_equal(jl_zip_read(z, 0, 1000, &budget, &out, &len, &err), JL_OK);
    assert_null(out);
    assert_non_null(strstr(err.message, "zip member 'short.bin'"));
    jl_zip_close(z);
    free(zip);
    /* one that claims more */
    m.claim = 1000;
    zip = build_zip(&m, 1, &n);
    assert_int_equal(jl_zip_open(zip, n, jl_alloc_default(), &z, &err), JL_OK);
    assert_int_not_equal(jl_zip_read(z, 0, 1 << 20, &budget, &out, &len, &err), JL_OK);
    assert_null(out);
    assert_non_null(strstr(err.message, "zip member 'short.bin'"));
    jl_zip_close(z);
    free(zip);
}

static void test_bad_archives(void **state) {
    (void)state;
    jl_zip *z;
    jl_error err;
    assert_int_equal(jl_zip_open((const uint8_t *)"PK\3\4garbage", 11, jl_alloc_default(), &z, &err),
                     JL_E_FORMAT);
    assert_null(z);
    assert_string_equal(err.message, "not a readable zip archive: Not a zip archive");
}

/* ---- .npz through the decoder ----------------------------------------------- */

static void test_npz(void **state) {
    (void)state;
    const int32_t ints[3] = {1, 2, 3};
    double dbl[200];
    for (int i = 0; i < 200; i++) dbl[i] = i * 0.5;
    size_t n1, n2, n;
    uint8_t *a = npy("<i4", 3, ints, sizeof ints, &n1), *b = npy("<f8", 200, dbl, sizeof dbl, &n2);
    zmember m[] = {{"zeta.npy", a, n1, 0, 0}, {"alpha.npy", b, n2, 1, 0}, {"notes.txt", "hi", 2, 0, 0}};
    uint8_t *zip = build_zip(m, 3, &n);
    jl_doc *doc = jl_test_open_ok(zip, n);
    assert_int_equal(doc->format, JL_FMT_NPZ);
    assert_int_equal(doc->nodes[doc->root].kind, JL_DICT);
    assert_int_equal(doc->nodes[doc->root].len, 6);
    const uint32_t *kv = jl_kids_of(doc, doc->root);
    assert_true(jl_ref_eq(doc, jl_node_ref(doc, kv[0]), "zeta"));
    assert_true(jl_ref_eq(doc, jl_node_ref(doc, kv[2]), "alpha"));
    assert_true(jl_ref_eq(doc, jl_node_ref(doc, kv[4]), "notes.txt"));
    assert_int_equal(doc->nodes[kv[1]].kind, JL_NDARRAY);
    assert_memory_equal(jl_ref_ptr(doc, jl_array_of(doc, kv[1])->data), ints, sizeof ints);
    assert_memory_equal(jl_ref_ptr(doc, jl_array_of(doc, kv[3])->data), dbl, sizeof dbl);
    assert_int_equal(jl_array_of(doc, kv[3])->stream_off, 128);
    assert_int_equal(doc->nodes[kv[5]].kind, JL_BYTES);
    assert_true(jl_ref_eq(doc, jl_node_ref(doc, kv[5]), "hi"));
    jl_doc_free(doc);

    /* the limits: each member by max_alloc, all of them by max_decompressed */
    jl_limits lim;
    jl_limits_default(&lim);
    lim.max_decompressed = n1 + n2 - 1;
    open_fails(
        zip, n, &lim, JL_E_LIMIT,
        "decompressed size exceeds the limit of max_decompressed: zip member 'alpha.npy' claims 1728 bytes");
    jl_limits_default(&lim);
    lim.max_alloc = 1727;
    open_fails(zip, n, &lim, JL_E_LIMIT,
               "zip member 'alpha.npy' claims 1728 bytes, more than max_alloc (1727)");
    free(zip);

    /* errors inside a member name it */
    zmember bad[] = {{"x.npy", a, n1 - 4, 0, 0}};
    zip = build_zip(bad, 1, &n);
    open_fails(zip, n, NULL, JL_E_TRUNCATED,
               "truncated .npy: the header needs 12 bytes of data, 8 are present in member 'x.npy'");
    free(zip);
    zmember text[] = {{"y.npy", "not an npy", 10, 0, 0}};
    zip = build_zip(text, 1, &n);
    open_fails(zip, n, NULL, JL_E_FORMAT, "not an .npy file (no \\x93NUMPY magic) in member 'y.npy'");
    free(zip);

    /* a zip of no .npy member is not an .npz; an empty one is an empty dict */
    zmember plain[] = {{"readme.txt", "hi", 2, 0, 0}};
    zip = build_zip(plain, 1, &n);
    open_fails(zip, n, NULL, JL_E_FORMAT, "not a joblib bundle or pickle: it looks like a zip archive");
    free(zip);
    zip = build_zip(NULL, 0, &n);
    doc = jl_test_open_ok(zip, n);
    assert_int_equal(doc->nodes[doc->root].kind, JL_DICT);
    assert_int_equal(doc->nodes[doc->root].len, 0);
    jl_doc_free(doc);
    free(zip);

    /* a truncated archive */
    zip = build_zip(m, 3, &n);
    open_fails(zip, n / 2, NULL, JL_E_TRUNCATED,
               "truncated or damaged zip archive (.npz): not a readable zip archive: Not a zip archive");
    free(zip);
    free(a);
    free(b);
}

static void test_npz_alloc_failures(void **state) {
    (void)state;
    const int16_t v[4] = {1, 2, 3, 4};
    size_t n1, n;
    uint8_t *a = npy("<i2", 4, v, sizeof v, &n1);
    zmember m[] = {{"a.npy", a, n1, 1, 0}, {"b.npy", a, n1, 0, 0}, {"c", "x", 1, 0, 0}};
    uint8_t *zip = build_zip(m, 3, &n);
    jl_test_open_alloc_failures(zip, n, 400);
    free(zip);
    free(a);
}

/* every truncation and many one-byte changes fail cleanly or decode */
static void test_npz_mutations(void **state) {
    (void)state;
    const int32_t v[5] = {1, 2, 3, 4, 5};
    size_t n1, n;
    uint8_t *a = npy("<i4", 5, v, sizeof v, &n1);
    zmember m[] = {{"a.npy", a, n1, 1, 0}, {"b.npy", a, n1, 0, 0}};
    uint8_t *zip = build_zip(m, 2, &n);
    jl_test_open_mutations(zip, n, 85);
    free(zip);
    free(a);
}

#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_magic),
#ifdef HAVE_LIBZIP
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_lying_sizes),
        cmocka_unit_test(test_bad_archives),
        cmocka_unit_test(test_npz),
        cmocka_unit_test(test_npz_alloc_failures),
        cmocka_unit_test(test_npz_mutations),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
