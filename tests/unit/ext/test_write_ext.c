/*
 * test_write_ext.c - the write surface: the codec pieces under it (JSON
 * input, grafting one doc's subtree into another, atomic file writes) and
 * the SQL functions through a real SQLite connection (extension registered
 * with sqlite3_joblib_init, static build): exact bundle bytes, nesting
 * through the bundle subtype, compressors by magic, files written
 * atomically, error messages, function flags.
 *
 * The expected bundles were made by joblib 1.2.0 / numpy 1.24 / CPython
 * 3.11 (/usr/bin/python3):
 *
 *   def dump(obj, **kw):
 *       f = io.BytesIO(); joblib.dump(obj, f, **kw); return f.getvalue()
 *   mixed = dump([1, 2.5, 'a', b'\x00\xff', None])
 *   arr = dump(np.arange(1, 3, dtype='<i4'))
 */

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqltest.h"

#include "atomic.h"
#include "decode.h"
#include "dtype.h"
#include "graft.h"
#include "jsonin.h"
#include "value.h"
#include "writer.h"


static const unsigned char mixed[] = {
    0x80, 0x04, 0x95, 0x1a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0x94, 0x28, 0x4b, 0x01,
    0x47, 0x40, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x01, 0x61, 0x94, 0x43, 0x02, 0x00,
    0xff, 0x94, 0x4e, 0x65, 0x2e,
};

static const unsigned char arr[] = {
    0x80, 0x04, 0x95, 0xcb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x13, 0x6a, 0x6f, 0x62,
    0x6c, 0x69, 0x62, 0x2e, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x5f, 0x70, 0x69, 0x63, 0x6b, 0x6c, 0x65,
    0x94, 0x8c, 0x11, 0x4e, 0x75, 0x6d, 0x70, 0x79, 0x41, 0x72, 0x72, 0x61, 0x79, 0x57, 0x72, 0x61,
    0x70, 0x70, 0x65, 0x72, 0x94, 0x93, 0x94, 0x29, 0x81, 0x94, 0x7d, 0x94, 0x28, 0x8c, 0x08, 0x73,
    0x75, 0x62, 0x63, 0x6c, 0x61, 0x73, 0x73, 0x94, 0x8c, 0x05, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x94,
    0x8c, 0x07, 0x6e, 0x64, 0x61, 0x72, 0x72, 0x61, 0x79, 0x94, 0x93, 0x94, 0x8c, 0x05, 0x73, 0x68,
    0x61, 0x70, 0x65, 0x94, 0x4b, 0x02, 0x85, 0x94, 0x8c, 0x05, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x94,
    0x8c, 0x01, 0x43, 0x94, 0x8c, 0x05, 0x64, 0x74, 0x79, 0x70, 0x65, 0x94, 0x68, 0x06, 0x68, 0x0d,
    0x93, 0x94, 0x8c, 0x02, 0x69, 0x34, 0x94, 0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03,
    0x8c, 0x01, 0x3c, 0x94, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff,
    0xff, 0x4b, 0x00, 0x74, 0x94, 0x62, 0x8c, 0x0a, 0x61, 0x6c, 0x6c, 0x6f, 0x77, 0x5f, 0x6d, 0x6d,
    0x61, 0x70, 0x94, 0x88, 0x8c, 0x1b, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x5f, 0x61, 0x72, 0x72, 0x61,
    0x79, 0x5f, 0x61, 0x6c, 0x69, 0x67, 0x6e, 0x6d, 0x65, 0x6e, 0x74, 0x5f, 0x62, 0x79, 0x74, 0x65,
    0x73, 0x94, 0x4b, 0x10, 0x75, 0x62, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x2e,
};

/* ====================================================================== */
/* codec: JSON input                                                       */
/* ====================================================================== */

static const char *str_of(const jl_doc *doc, uint32_t id, uint64_t *n) {
    assert_int_equal(doc->nodes[id].kind, JL_STR);
    jl_ref r = jl_node_ref(doc, id);
    *n = r.len;
    return (const char *)jl_ref_ptr(doc, r);
}

static void test_json_values(void **state) {
    (void)state;
    jl_doc *doc = jl_doc_new(NULL, NULL);
    jl_error err;
    uint32_t root;
    const char *text = " {\"a\": {}, \"b\": \"x\\u00e9\\ud83d\\ude00\\ud800\\n\\\"\",\n"
                       "  \"a\": [1, -2, 3.5, true, false, null, -0, 1e2]} ";
    assert_int_equal(jl_json_parse(doc, text, strlen(text), &root, &err), JL_OK);
    const jl_node *n = &doc->nodes[root];
    assert_int_equal(n->kind, JL_DICT);
    /* the repeated key "a" merged as Python's dict does: first place, last value */
    assert_int_equal(n->len, 4);
    const uint32_t *k = jl_kids_of(doc, root);
    uint64_t len;
    const char *s = str_of(doc, k[0], &len);
    assert_int_equal(len, 1);
    assert_memory_equal(s, "a", 1);
    const jl_node *list = &doc->nodes[k[1]];
    assert_int_equal(list->kind, JL_LIST);
    assert_int_equal(list->len, 8);
    const uint32_t *e = jl_kids_of(doc, k[1]);
    assert_int_equal(doc->nodes[e[0]].kind, JL_INT);
    assert_int_equal(doc->nodes[e[0]].u.i, 1);
    assert_int_equal(doc->nodes[e[1]].u.i, -2);
    assert_int_equal(doc->nodes[e[2]].kind, JL_FLOAT);
    assert_true(doc->nodes[e[2]].u.f == 3.5);
    assert_int_equal(doc->nodes[e[3]].kind, JL_BOOL);
    assert_int_equal(doc->nodes[e[3]].u.i, 1);
    assert_int_equal(doc->nodes[e[4]].u.i, 0);
    assert_int_equal(doc->nodes[e[5]].kind, JL_NULL);
    assert_int_equal(doc->nodes[e[6]].kind, JL_INT); /* -0 is the int 0, as json.loads */
    assert_int_equal(doc->nodes[e[6]].u.i, 0);
    assert_int_equal(doc->nodes[e[7]].kind, JL_FLOAT);
    assert_true(doc->nodes[e[7]].u.f == 100.0);
    /* x, é, U+1F600 from a surrogate pair, a lone surrogate as WTF-8, \n, " */
    static const char want[] = "x\xc3\xa9\xf0\x9f\x98\x80\xed\xa0\x80\n\"";
    s = str_of(doc, k[3], &len);
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(s, want, sizeof want - 1);
    jl_doc_free(doc);
}

/* Big ints: int64 when they fit, else minimal two's complement bytes. */
static void test_json_big_ints(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int big;
        int64_t small;
        const char *bytes;
        size_t n;
    } cases[] = {
        { "9223372036854775807", 0, INT64_MAX, NULL, 0 },
        { "-9223372036854775808", 0, INT64_MIN, NULL, 0 },
        { "9223372036854775808", 1, 0, "\x00\x00\x00\x00\x00\x00\x00\x80\x00", 9 },
        { "-9223372036854775809", 1, 0, "\xff\xff\xff\xff\xff\xff\xff\x7f\xff", 9 },
        { "18446744073709551616", 1, 0, "\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9 },
        { "-18446744073709551616", 1, 0, "\x00\x00\x00\x00\x00\x00\x00\x00\xff", 9 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jl_doc *doc = jl_doc_new(NULL, NULL);
        jl_error err;
        uint32_t id;
        assert_int_equal(jl_json_parse(doc, cases[i].text, strlen(cases[i].text), &id, &err), JL_OK);
        const jl_node *n = &doc->nodes[id];
        assert_int_equal(n->kind, JL_INT);
        assert_int_equal(!!(n->flags & JL_F_BIG), cases[i].big);
        if (!cases[i].big) {
            assert_true(n->u.i == cases[i].small);
        } else {
            jl_ref r = jl_node_ref(doc, id);
            assert_int_equal(r.len, cases[i].n);
            assert_memory_equal(jl_ref_ptr(doc, r), cases[i].bytes, cases[i].n);
        }
        jl_doc_free(doc);
    }
}

static void test_json_errors(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int code;
        uint64_t offset;
        const char *part;
    } cases[] = {
        { "[1,]", JL_E_FORMAT, 3, "unexpected character" },
        { "{\"a\" 1}", JL_E_FORMAT, 5, "expected ':'" },
        { "{1:2}", JL_E_FORMAT, 1, "expected a string key" },
        { "\"abc", JL_E_FORMAT, 0, "unterminated string" },
        { "01", JL_E_FORMAT, 1, "text after the JSON value" },
        { "[1 2]", JL_E_FORMAT, 3, "expected ',' or ']'" },
        { "\"\\x\"", JL_E_FORMAT, 1, "unknown escape" },
        { "\"\\u12\"", JL_E_FORMAT, 1, "bad \\u escape" },
        { "\"a\x01\"", JL_E_FORMAT, 2, "control character" },
        { "\"\xc0\x80\"", JL_E_FORMAT, 1, "invalid UTF-8" },
        { "nul", JL_E_FORMAT, 0, "unexpected character" },
        { "-", JL_E_FORMAT, 1, "expected a digit" },
        { "1.", JL_E_FORMAT, 2, "expected a digit after '.'" },
        { "", JL_E_FORMAT, 0, "unexpected end" },
        { "[[[[[[[[[[[[1]]]]]]]]]]]]", JL_E_LIMIT, 10, "nested deeper than 10" },
    };
    jl_limits lim;
    jl_limits_default(&lim);
    lim.max_depth = 10;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jl_doc *doc = jl_doc_new(NULL, &lim);
        jl_error err;
        uint32_t id;
        int rc = jl_json_parse(doc, cases[i].text, strlen(cases[i].text), &id, &err);
        if (rc != cases[i].code || err.offset != cases[i].offset || !strstr(err.message, cases[i].part)) {
            print_error("%s: rc %d offset %llu '%s'\n", cases[i].text, rc, (unsigned long long)err.offset,
                        err.message);
            fail();
        }
        assert_int_equal(id, JL_NONE);
        jl_doc_free(doc);
    }
    /* too many digits for an int */
    char digits[JL_JSON_MAX_INT_DIGITS + 2];
    memset(digits, '7', sizeof digits - 1);
    digits[sizeof digits - 1] = 0;
    jl_doc *doc = jl_doc_new(NULL, NULL);
    jl_error err;
    uint32_t id;
    assert_int_equal(jl_json_parse(doc, digits, strlen(digits), &id, &err), JL_E_LIMIT);
    jl_doc_free(doc);
}

static void test_json_out_of_memory(void **state) {
    (void)state;
    const char *text = "{\"key\": [1, 2.5, \"s\\u00e9\", [true, null], 123456789012345678901234567890]}";
    int ok = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        jl_test_alloc t;
        jl_test_alloc_init(&t, n);
        jl_doc *doc = jl_doc_new(&t.alloc, NULL);
        if (doc) {
            jl_error err;
            uint32_t id;
            int rc = jl_json_parse(doc, text, strlen(text), &id, &err);
            if (rc == JL_OK) ok = 1;
            else assert_int_equal(rc, JL_E_NOMEM);
            jl_doc_free(doc);
        }
        assert_int_equal(t.live, 0);
    }
    assert_true(ok);
}

/* ====================================================================== */
/* codec: graft                                                            */
/* ====================================================================== */

/* A source doc with sharing, a cycle, an array, an object and a big int:
 * root = [m, m, (1, 'x'), array([1, 2], '<i4'), root, 2**64, Foo(a=1)]
 * with m = [1]. */
static uint32_t build_source(jl_doc *doc) {
    jl_error err;
    uint32_t one = jl_new_int(doc, 1, &err);
    uint32_t m = jl_node_new(doc, JL_LIST, &err);
    assert_int_equal(jl_kids_append(doc, m, &one, 1, &err), JL_OK);
    uint32_t x = jl_new_bytes(doc, JL_STR, "x", 1, &err);
    uint32_t t = jl_node_new(doc, JL_TUPLE, &err);
    uint32_t tk[2] = { one, x };
    assert_int_equal(jl_kids_append(doc, t, tk, 2, &err), JL_OK);
    /* the array */
    uint32_t dt;
    assert_int_equal(jl_dtype_parse(doc, "<i4", 3, &dt, &err), JL_OK);
    static const uint8_t data[8] = { 1, 0, 0, 0, 2, 0, 0, 0 };
    jl_ref ref;
    uint8_t *p = jl_heap_alloc(doc, 8, &ref, &err);
    memcpy(p, data, 8);
    uint32_t ai = jl_array_new(doc, &err), at = jl_dims_new(doc, 1, &err);
    uint32_t a = jl_node_new(doc, JL_NDARRAY, &err);
    doc->dims[at] = 2;
    doc->arrays[ai].dtype = dt;
    doc->arrays[ai].ndim = 1;
    doc->arrays[ai].dims_at = at;
    doc->arrays[ai].data = ref;
    doc->nodes[a].u.ext = ai;
    /* 2**64 */
    static const uint8_t big[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    uint32_t b = jl_new_bytes(doc, JL_INT, big, 9, &err);
    doc->nodes[b].flags |= JL_F_BIG;
    /* Foo(a=1): mymod.Foo, NEWOBJ with (), state {'a': 1} */
    uint32_t gi = jl_global_new(doc, &err);
    uint32_t g = jl_node_new(doc, JL_GLOBAL, &err);
    jl_ref mod, name;
    memcpy(jl_heap_alloc(doc, 5, &mod, &err), "mymod", 5);
    memcpy(jl_heap_alloc(doc, 3, &name, &err), "Foo", 3);
    doc->globals[gi].module = mod;
    doc->globals[gi].name = name;
    doc->nodes[g].u.ext = gi;
    uint32_t args = jl_node_new(doc, JL_TUPLE, &err);
    uint32_t st = jl_node_new(doc, JL_DICT, &err);
    uint32_t ka = jl_new_bytes(doc, JL_STR, "a", 1, &err);
    uint32_t sk[2] = { ka, one };
    assert_int_equal(jl_kids_append(doc, st, sk, 2, &err), JL_OK);
    uint32_t oi = jl_object_new(doc, &err);
    uint32_t o = jl_node_new(doc, JL_OBJECT, &err);
    doc->objects[oi].cls = g;
    doc->objects[oi].args = args;
    doc->objects[oi].state = st;
    doc->objects[oi].how = JL_HOW_NEWOBJ;
    doc->nodes[o].u.ext = oi;

    uint32_t root = jl_node_new(doc, JL_LIST, &err);
    uint32_t kids[7] = { m, m, t, a, root, b, o };
    assert_int_equal(jl_kids_append(doc, root, kids, 7, &err), JL_OK);
    assert_int_not_equal(o, JL_NONE);
    return root;
}

static uint8_t *stream_of(const jl_doc *doc, uint32_t id, uint64_t *n) {
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    jl_error err;
    jl_error_clear(&err);
    if (jl_write_stream(doc, id, 4, &b, &err) != JL_OK) {
        print_error("write: %s\n", err.message);
        fail();
    }
    return (uint8_t *)jl_buf_take(&b, n);
}

static void check_graft(int borrow) {
    jl_doc *src = jl_doc_new(NULL, NULL), *dst = jl_doc_new(NULL, NULL);
    uint32_t root = build_source(src);
    /* something already in dst, so that ids differ */
    jl_error err;
    jl_new_int(dst, 5, &err);
    uint32_t out;
    assert_int_equal(jl_graft(dst, src, root, borrow, &out, &err), JL_OK);
    assert_int_not_equal(out, root);
    const uint32_t *k = jl_kids_of(dst, out);
    assert_int_equal(dst->nodes[out].len, 7);
    assert_int_equal(k[0], k[1]); /* shared stays shared */
    assert_int_equal(k[4], out);  /* the cycle */
    assert_int_equal(dst->nodes[k[3]].kind, JL_NDARRAY);
    const jl_array *a = jl_array_of(dst, k[3]);
    assert_int_equal(a->ndim, 1);
    assert_int_equal(dst->dims[a->dims_at], 2);
    assert_int_equal(a->data.len, 8);
    assert_memory_equal(jl_ref_ptr(dst, a->data), "\x01\0\0\0\x02\0\0\0", 8);
    assert_int_equal(dst->dtypes[a->dtype].kind, 'i');
    assert_int_equal(dst->nodes[k[6]].kind, JL_OBJECT);
    assert_true(jl_ref_eq(dst, jl_global_of(dst, jl_object_of(dst, k[6])->cls)->name, "Foo"));
    /* the same stream from both docs */
    uint64_t n1, n2;
    uint8_t *s1 = stream_of(src, root, &n1);
    if (!borrow) {
        jl_doc_free(src); /* dst owns copies of everything */
        src = NULL;
    }
    uint8_t *s2 = stream_of(dst, out, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(s1, s2, n1);
    free(s1);
    free(s2);
    jl_doc_free(dst);
    jl_doc_free(src);
}

static void test_graft_copy(void **state) {
    (void)state;
    check_graft(0);
}

static void test_graft_borrow(void **state) {
    (void)state;
    check_graft(1);
}

/* A bundle opened from bytes grafted twice in one session: shared once. */
static void test_graft_session(void **state) {
    (void)state;
    jl_doc *src = NULL;
    jl_error err;
    assert_int_equal(jl_open_memory(arr, sizeof arr, 1, NULL, &src, &err), JL_OK);
    jl_doc *dst = jl_doc_new(NULL, NULL);
    jl_grafter g;
    jl_graft_init(&g, dst, src, 0);
    uint32_t a, b;
    assert_int_equal(jl_graft_node(&g, src->root, &a, &err), JL_OK);
    assert_int_equal(jl_graft_node(&g, src->root, &b, &err), JL_OK);
    assert_int_equal(a, b);
    jl_graft_free(&g);
    jl_doc_free(src);
    uint64_t n;
    uint8_t *s = stream_of(dst, a, &n);
    assert_int_equal(n, sizeof arr);
    assert_memory_equal(s, arr, sizeof arr);
    free(s);
    /* a node id that does not exist */
    assert_int_equal(jl_graft(dst, dst, 12345, 0, &a, &err), JL_E_FORMAT);
    jl_doc_free(dst);
}

static void test_graft_out_of_memory(void **state) {
    (void)state;
    jl_doc *src = jl_doc_new(NULL, NULL);
    uint32_t root = build_source(src);
    int ok = 0;
    for (long n = 0; n < 300 && !ok; n++) {
        jl_test_alloc t;
        jl_test_alloc_init(&t, n);
        jl_doc *dst = jl_doc_new(&t.alloc, NULL);
        if (dst) {
            jl_error err;
            uint32_t out;
            int rc = jl_graft(dst, src, root, 0, &out, &err);
            if (rc == JL_OK) ok = 1;
            else assert_int_equal(rc, JL_E_NOMEM);
            jl_doc_free(dst);
        }
        assert_int_equal(t.live, 0);
    }
    assert_true(ok);
    jl_doc_free(src);
}

/* ====================================================================== */
/* codec: atomic files                                                     */
/* ====================================================================== */

static char tmpdir[64];

static const char *tpath(const char *name) {
    static char buf[2][sizeof tmpdir + 260];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
    return buf[which];
}

/* Number of entries in the temporary directory (no leftovers allowed). */
static int dir_entries(void) {
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void clear_dir(void) {
    DIR *d = opendir(tmpdir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlink(tpath(e->d_name));
    closedir(d);
}

static void expect_file(const char *path, const void *p, size_t n) {
    uint64_t len;
    uint8_t *got = jl_test_read_file(path, &len);
    assert_non_null(got);
    assert_int_equal(len, n);
    if (n) assert_memory_equal(got, p, n);
    free(got);
}

static void test_atomic_write(void **state) {
    (void)state;
    clear_dir();
    jl_error err;
    assert_int_equal(jl_atomic_write(tpath("a.bin"), "hello", 5, &err), JL_OK);
    expect_file(tpath("a.bin"), "hello", 5);
    /* replacing keeps the old file's mode */
    assert_int_equal(chmod(tpath("a.bin"), 0640), 0);
    assert_int_equal(jl_atomic_write(tpath("a.bin"), "bye", 3, &err), JL_OK);
    expect_file(tpath("a.bin"), "bye", 3);
    struct stat st;
    assert_int_equal(stat(tpath("a.bin"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    /* through a symbolic link: the target is replaced, the link stays */
    assert_int_equal(symlink("a.bin", tpath("link")), 0);
    assert_int_equal(jl_atomic_write(tpath("link"), "via", 3, &err), JL_OK);
    expect_file(tpath("a.bin"), "via", 3);
    assert_int_equal(lstat(tpath("link"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* empty file */
    assert_int_equal(jl_atomic_write(tpath("empty"), NULL, 0, &err), JL_OK);
    expect_file(tpath("empty"), "", 0);
    assert_int_equal(dir_entries(), 3);
    /* several files */
    jl_atomic_part parts[2] = { { tpath("m1"), "one", 3 }, { tpath("m2"), "two", 3 } };
    assert_int_equal(jl_atomic_write_many(parts, 2, &err), JL_OK);
    expect_file(tpath("m1"), "one", 3);
    expect_file(tpath("m2"), "two", 3);
    assert_int_equal(dir_entries(), 5);
    clear_dir();
}

static void test_atomic_errors(void **state) {
    (void)state;
    clear_dir();
    jl_error err;
    assert_int_equal(jl_atomic_write(tpath("nodir/x.pkl"), "x", 1, &err), JL_E_IO);
    assert_non_null(strstr(err.message, "nodir"));
    assert_non_null(strstr(err.message, "No such file or directory"));
    assert_int_equal(jl_atomic_write("", "x", 1, &err), JL_E_ARG);
    assert_int_equal(jl_atomic_write(tpath("d/"), "x", 1, &err), JL_E_ARG);
    assert_int_equal(mkdir(tpath("sub"), 0755), 0);
    assert_int_equal(jl_atomic_write(tpath("sub"), "x", 1, &err), JL_E_ARG);
    assert_non_null(strstr(err.message, "is a directory"));
    rmdir(tpath("sub"));
    assert_int_equal(dir_entries(), 0);

    /* a file size limit: the old file stays, nothing is left behind */
    assert_int_equal(jl_atomic_write(tpath("keep"), "old", 3, &err), JL_OK);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 100;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    static uint8_t big[1000];
    int rc = jl_atomic_write(tpath("keep"), big, sizeof big, &err);
    int rc2 = jl_atomic_write(tpath("new"), big, sizeof big, &err);
    jl_atomic_part parts[2] = { { tpath("p1"), "ok", 2 }, { tpath("p2"), big, sizeof big } };
    int rc3 = jl_atomic_write_many(parts, 2, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, JL_E_IO);
    assert_int_equal(rc2, JL_E_IO);
    assert_int_equal(rc3, JL_E_IO);
    assert_non_null(strstr(err.message, "RLIMIT_FSIZE"));
    expect_file(tpath("keep"), "old", 3);
    assert_int_equal(dir_entries(), 1); /* only "keep": no p1, no temporary files */
    clear_dir();
}

/* ====================================================================== */
/* SQL                                                                     */
/* ====================================================================== */

static sqlite3 *db;

static int setup_db(void) {
    char *err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return -1;
    if (sqlite3_joblib_init(db, &err, NULL) != SQLITE_OK) {
        fprintf(stderr, "init: %s\n", err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

/* Every row of sql (see jl_test_query). Free with sqlite3_free. */
static char *query(const char *sql) { return jl_test_query(db, sql, NULL, 0); }

static void expect_at(const char *sql, const char *want, int line) {
    char *got = query(sql);
    if (strcmp(got, want) != 0) {
        print_error("line %d: %s\n  want: %s\n  got:  %s\n", line, sql, want, got);
        sqlite3_free(got);
        fail();
    }
    sqlite3_free(got);
}
#define EXPECT(sql, want) expect_at(sql, want, __LINE__)

static void expect_error_at(const char *sql, const char *prefix, int line) {
    char *got = query(sql);
    if (strncmp(got, prefix, strlen(prefix)) != 0) {
        print_error("line %d: %s\n  want: %s...\n  got:  %s\n", line, sql, prefix, got);
        sqlite3_free(got);
        fail();
    }
    sqlite3_free(got);
}
#define EXPECT_ERROR(sql, prefix) expect_error_at(sql, prefix, __LINE__)

/* "blob:" + hex of p[0..n) */
static char *blob_text(const unsigned char *p, size_t n) {
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendall(s, "blob:");
    for (size_t i = 0; i < n; i++) sqlite3_str_appendf(s, "%02X", p[i]);
    return sqlite3_str_finish(s);
}

static void test_sql_exact_bytes(void **state) {
    (void)state;
    char *want = blob_text(mixed, sizeof mixed);
    EXPECT("SELECT joblib_dumps(joblib_list(1, 2.5, 'a', x'00ff', NULL))", want);
    /* the same through JSON input */
    EXPECT("SELECT joblib_dumps(json('[1, 2.5, \"a\"]')) = joblib_dumps(joblib_list(1, 2.5, 'a'))", "int:1");
    /* a constructor's BLOB is already the bundle; joblib_dumps of it is the same bytes */
    EXPECT("SELECT joblib_list(1, 2.5, 'a', x'00ff', NULL) = joblib_dumps(joblib_list(1, 2.5, 'a', x'00ff', NULL))",
           "int:1");
    sqlite3_free(want);
    want = blob_text(arr, sizeof arr);
    EXPECT("SELECT joblib_ndarray(x'0100000002000000', '<i4')", want);
    /* np.array([1, 2]) */
    EXPECT("SELECT joblib_group_array(value) FROM (SELECT 1 AS value UNION ALL SELECT 2)",
           "blob:"
           "800495CB000000000000008C136A6F626C69622E6E756D70795F7069636B6C65948C114E756D70794172726179577261"
           "707065729493942981947D94288C08737562636C617373948C056E756D7079948C076E6461727261799493948C057368"
           "617065944B0285948C056F72646572948C0143948C056474797065946806680D93948C02693894898887945294284B03"
           "8C013C944E4E4E4AFFFFFFFF4AFFFFFFFF4B007494628C0A616C6C6F775F6D6D617094888C1B6E756D70795F61727261"
           "795F616C69676E6D656E745F6279746573944B10756209FFFFFFFFFFFFFFFFFF01000000000000000200000000000000"
           "2E");
    sqlite3_free(want);
    /* protocol 2: no frames, BINPUT */
    EXPECT("SELECT hex(joblib_dumps(joblib_list(1), 0, 2))", "text:80025D71004B01612E");
    EXPECT("SELECT hex(joblib_dumps(NULL))", "text:80044E2E");
    EXPECT("SELECT hex(joblib_dumps(-1))", "text:80049506000000000000004AFFFFFFFF2E");
}

static void test_sql_round_trip(void **state) {
    (void)state;
    EXPECT("SELECT joblib_load(joblib_dumps(joblib_list(1, 2.5, 'a', x'00ff', NULL)))",
           "text:[1,2.5,\"a\",\"AP8=\",null]");
    EXPECT("SELECT joblib_load(joblib_dumps(json('{\"a\":[1,{\"b\":[true,null]}],\"n\":123456789012345678901234567890}')))",
           "text:{\"a\":[1,{\"b\":[true,null]}],\"n\":123456789012345678901234567890}");
    EXPECT("SELECT joblib_load(joblib_dict('k', joblib_tuple(1, 'x'), 2, 'two', NULL, 3.5), '$.k[1]')", "text:x");
    EXPECT("SELECT joblib_load(joblib_dict('k', 1, 2, 'two', NULL, 3.5), '$[2]')", "text:two");
    EXPECT("SELECT joblib_load(joblib_dict('k', 1, 2, 'two', NULL, 3.5), '$[null]')", "real:3.5");
    EXPECT("SELECT joblib_load(joblib_list())", "text:[]");
    EXPECT("SELECT joblib_load(joblib_tuple())", "text:[]");
    EXPECT("SELECT type FROM joblib_each(joblib_tuple(1, x'00', 'é', joblib_list()))",
           "text:int\ntext:bytes\ntext:str\ntext:list");
    /* big ints and floats keep their value */
    EXPECT("SELECT joblib_load(joblib_dumps(json('-170141183460469231731687303715884105728')))",
           "text:-170141183460469231731687303715884105728");
    EXPECT("SELECT joblib_load(joblib_dumps(9223372036854775807))", "int:9223372036854775807");
    EXPECT("SELECT joblib_load(joblib_dumps(-0.0)) = 0.0", "int:1");
    EXPECT("SELECT joblib_load(joblib_dumps(1e308 * 10))", "real:Inf");
}

static void test_sql_nesting(void **state) {
    (void)state;
    EXPECT("CREATE TABLE t(b BLOB)", "");
    EXPECT("INSERT INTO t VALUES (joblib_list(1, 2))", "");
    /* stored: plain bytes until joblib() marks it */
    EXPECT("SELECT joblib_load(joblib_list(b), '$[0]') = b FROM t", "int:1");
    EXPECT("SELECT j.type FROM t, joblib_each(joblib_list(t.b)) AS j", "text:bytes");
    EXPECT("SELECT j.type FROM t, joblib_each(joblib_list(joblib(t.b))) AS j", "text:list");
    EXPECT("SELECT joblib_load(joblib_list(joblib(b), 3), '$[0][1]') FROM t", "int:2");
    EXPECT("SELECT joblib(b) = b FROM t", "int:1");
    EXPECT("SELECT joblib(NULL)", "null");
    EXPECT_ERROR("SELECT joblib(x'0001')", "error:joblib: ");
    EXPECT_ERROR("SELECT joblib('text')", "error:joblib: joblib(): the argument must be a BLOB holding a bundle, not TEXT");
    /* a bundle made by joblib_dumps nests too, arrays keep dtype and shape */
    EXPECT("SELECT joblib_info(joblib_list(joblib_dumps(joblib_ndarray(x'000102030405', '|u1', '[2,3]')))) ->> '$.arrays[0].shape'",
           "text:[2,3]");
    EXPECT("DROP TABLE t", "");
}

static void test_sql_ndarray(void **state) {
    (void)state;
    EXPECT("SELECT joblib_load(joblib_ndarray(x'0100000002000000', '<i4'), '$[1]')", "int:2");
    EXPECT("SELECT joblib_load(joblib_ndarray(x'0100000002000000', 'int32', 2))", "blob:0100000002000000");
    /* F order: data as numpy.ndarray(shape, dtype, buffer, order='F') reads it; loads in C order */
    EXPECT("SELECT joblib_load(joblib_ndarray(x'000102030405', '|u1', '[2,3]', 'F'))", "blob:000204010305");
    EXPECT("SELECT joblib_info(joblib_ndarray(x'000102030405', '|u1', '[2,3]', 'F')) ->> '$.arrays[0].order'",
           "text:F");
    EXPECT("SELECT joblib_info(joblib_ndarray(x'000102', '|u1', '[1,3]', 'F')) ->> '$.arrays[0].order'", "text:C");
    /* big-endian input: stored as given, loaded native */
    EXPECT("SELECT joblib_info(joblib_ndarray(x'00000001', '>i4')) ->> '$.arrays[0].dtype'", "text:>i4");
    EXPECT("SELECT joblib_load(joblib_ndarray(x'00000001', '>i4'))", "blob:01000000");
    /* 0-d and empty */
    EXPECT("SELECT joblib_info(joblib_ndarray(x'0000000000000840', '<f8', '[]')) ->> '$.arrays[0].shape'", "text:[]");
    EXPECT("SELECT joblib_info(joblib_ndarray(x'', '<f8')) ->> '$.arrays[0].shape'", "text:[0]");
    EXPECT("SELECT joblib_info(joblib_ndarray(x'', '<f8', '[3,0]')) ->> '$.arrays[0].shape'", "text:[3,0]");
    /* structured dtype as JSON */
    EXPECT("SELECT joblib_info(joblib_ndarray(x'010000000000000000000040', '[[\"x\",\"<i4\"],[\"y\",\"<f8\"]]')) "
           "->> '$.arrays[0].dtype'", "text:[[\"x\",\"<i4\"],[\"y\",\"<f8\"]]");
    EXPECT("SELECT joblib_ndarray(NULL, '<f8')", "null");
    EXPECT("SELECT joblib_ndarray(x'00', NULL)", "null");
    /* errors */
    EXPECT_ERROR("SELECT joblib_ndarray(x'00', 'q9')", "error:joblib: joblib_ndarray: bad dtype 'q9'");
    EXPECT("SELECT joblib_ndarray(x'00000000000000', '<f4')",
           "error:joblib: joblib_ndarray: data of 7 bytes is not a multiple of the itemsize 4 of <f4");
    EXPECT("SELECT joblib_ndarray(x'000000000000000000000000', '<f4', '[2,2]')",
           "error:joblib: joblib_ndarray: shape [2,2] of <f4 needs 16 bytes, data has 12");
    EXPECT("SELECT joblib_ndarray(x'00000000', '<f4', '[-1]')",
           "error:joblib: joblib_ndarray: shape '[-1]': dimension 0 is negative");
    EXPECT("SELECT joblib_ndarray(x'00000000', '<f4', '[1', 'C')",
           "error:joblib: joblib_ndarray: shape '[1' is not a JSON array: invalid JSON at byte 2: unexpected end of text");
    EXPECT("SELECT joblib_ndarray(x'00000000', '<f4', 1, 'X')", "error:joblib: joblib_ndarray: order must be 'C' or 'F'");
    EXPECT_ERROR("SELECT joblib_ndarray(x'0000000000000000', '|O')", "error:joblib: joblib_ndarray: dtype |O holds Python objects");
    EXPECT("SELECT joblib_ndarray('abc', '<f4')", "error:joblib: joblib_ndarray: data must be a BLOB of raw elements, not TEXT");
    EXPECT("SELECT joblib_ndarray(x'00', '<f4', 9223372036854775807)",
           "error:joblib: 9223372036854775807 elements of 4 bytes overflow 64 bits");
}

static void test_sql_containers(void **state) {
    (void)state;
    EXPECT("SELECT joblib_dict('a', 1, 'b')",
           "error:joblib: joblib_dict: arguments must be key, value pairs (got 3 arguments)");
    EXPECT("SELECT joblib_dict(joblib_list(1), 2)",
           "error:joblib: joblib_dict: key 1 is a list, which Python cannot use as a dict key");
    EXPECT("SELECT joblib_dict('a', 1, json('{}'), 2)",
           "error:joblib: joblib_dict: key 2 is a dict, which Python cannot use as a dict key");
    EXPECT("SELECT joblib_load(joblib_dict(joblib_tuple(1, 'a'), 2), '$[[1,\"a\"]]')", "int:2");
    EXPECT("SELECT joblib_list(CAST(x'ff' AS TEXT))", "error:joblib: joblib_list: argument 1: TEXT is not valid UTF-8 (byte 0)");
}

static void test_sql_compress(void **state) {
    (void)state;
    static const struct {
        const char *compress;
        const char *magic;
    } cases[] = {
        { "0", "80049509" },       { "'zlib'", "785E" },   { "3", "785E" },          { "1", "7801" },
        { "9", "78DA" },           { "'zlib:6'", "789C" }, { "'gzip'", "1F8B0800" }, { "'bz2'", "425A6833" },
        { "'bz2:9'", "425A6839" }, { "'lzma'", "5D000040" }, { "'xz'", "FD377A585A00" },
        { "'lz4'", "04224D18" },   { "'gzip:0'", "80049509" }, { "NULL", "80049509" }, { "'5'", "785E" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[256], want[64];
        snprintf(sql, sizeof sql, "SELECT substr(hex(joblib_dumps(joblib_list(1,2), %s)), 1, %d), "
                 "joblib_load(joblib_dumps(joblib_list(1,2), %s))", cases[i].compress, (int)strlen(cases[i].magic),
                 cases[i].compress);
        snprintf(want, sizeof want, "text:%s|text:[1,2]", cases[i].magic);
        expect_at(sql, want, __LINE__);
    }
    EXPECT("SELECT joblib_dumps(1, 'npy')", "error:joblib: joblib_dumps: compress 'npy' (the legacy layout with "
                                            ".npy sidecar files) is supported by joblib_dump only");
    EXPECT("SELECT joblib_dumps(1, 'npy:3')", "error:joblib: joblib_dumps: compress 'npy' takes no level");
    EXPECT("SELECT joblib_dumps(1, 'foo')", "error:joblib: joblib_dumps: unknown compressor 'foo' (expected zlib, "
                                            "gzip, bz2, lzma, xz, lz4 or a level 0-9, optionally as 'method:level')");
    EXPECT("SELECT joblib_dumps(1, 10)", "error:joblib: joblib_dumps: compress level must be 0-9, not 10");
    EXPECT("SELECT joblib_dumps(1, 'gzip:x')", "error:joblib: joblib_dumps: compress level in 'gzip:x' must be 0-9");
    EXPECT("SELECT joblib_dumps(1, 1.5)",
           "error:joblib: joblib_dumps: compress must be an INTEGER level 0-9 or a TEXT method name, not REAL");
    EXPECT("SELECT joblib_dumps(1, 0, 1)", "error:joblib: joblib_dumps: protocol must be 2, 3, 4 or 5, not 1");
    EXPECT("SELECT joblib_dumps(1, 0, '4')", "error:joblib: joblib_dumps: protocol must be an INTEGER 2-5, not TEXT");
    for (int p = 2; p <= 5; p++) {
        char sql[160], want[64];
        snprintf(sql, sizeof sql, "SELECT joblib_info(joblib_dumps(joblib_list(1, x'00'), 0, %d)) ->> '$.protocol'", p);
        snprintf(want, sizeof want, "int:%d", p);
        expect_at(sql, want, __LINE__);
    }
}

/* Reads a file's first n bytes as hex ("" when missing). */
static void file_magic(const char *path, char *out, size_t n) {
    uint64_t len;
    uint8_t *p = jl_test_read_file(path, &len);
    out[0] = 0;
    for (size_t i = 0; p && i < n && i < len; i++) sprintf(out + 2 * i, "%02X", p[i]);
    free(p);
}

static void test_sql_dump(void **state) {
    (void)state;
    clear_dir();
    char sql[512], want[512], magic[32];
    /* the result is the JSON array of files, with the JSON subtype */
    snprintf(sql, sizeof sql, "SELECT joblib_dump(joblib_list(1, 2.5, 'a', x'00ff', NULL), '%s')", tpath("m.pkl"));
    snprintf(want, sizeof want, "text:[\"%s\"]", tpath("m.pkl"));
    expect_at(sql, want, __LINE__);
    expect_file(tpath("m.pkl"), mixed, sizeof mixed);
    snprintf(sql, sizeof sql, "SELECT json_type(joblib_dump(1, '%s')), json_array_length(joblib_dump(1, '%s'))",
             tpath("j.pkl"), tpath("j.pkl"));
    expect_at(sql, "text:array|int:1", __LINE__);
    /* the extension picks the method at its default level; an explicit method wins */
    static const struct {
        const char *name, *compress, *magic;
    } cases[] = {
        { "a.pkl.gz", "", "1F8B" },          { "a.pkl.z", "", "785E" },      { "a.pkl.bz2", "", "425A6839" },
        { "a.pkl.xz", "", "FD377A58" },      { "a.pkl.lzma", "", "5D000080" }, { "a.pkl.lz4", "", "04224D18" },
        { "b.pkl.bz2", ", 0", "425A6839" },  { "c.pkl.bz2", ", 5", "425A6835" }, { "d.pkl", ", 5", "785E" },
        { "e.pkl.gz", ", 'bz2'", "425A6833" }, { "f.pkl.gz", ", 'zlib:0'", "80049509" }, { "g.pkl", "", "80049509" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(sql, sizeof sql, "SELECT joblib_load(joblib_dump(joblib_list(1,2), '%s'%s) ->> '$[0]')",
                 tpath(cases[i].name), cases[i].compress);
        expect_at(sql, "text:[1,2]", __LINE__);
        file_magic(tpath(cases[i].name), magic, strlen(cases[i].magic) / 2);
        if (strcmp(magic, cases[i].magic) != 0) {
            print_error("%s%s: magic %s, want %s\n", cases[i].name, cases[i].compress, magic, cases[i].magic);
            fail();
        }
    }
    int files = dir_entries();
    /* failures leave no file and no temporary file, and keep what was there */
    snprintf(sql, sizeof sql, "SELECT joblib_dump(joblib_ndarray(x'00', 'q9'), '%s')", tpath("bad.pkl"));
    expect_error_at(sql, "error:joblib: joblib_ndarray: bad dtype", __LINE__);
    snprintf(sql, sizeof sql, "SELECT joblib_dump(1, '%s', 'nope')", tpath("m.pkl"));
    expect_error_at(sql, "error:joblib: joblib_dump: unknown compressor 'nope'", __LINE__);
    snprintf(sql, sizeof sql, "SELECT joblib_dump(1, '%s')", tpath("nodir/x.pkl"));
    /* joblib_dump's errors name the file, as joblib_export's do */
    snprintf(want, sizeof want,
             "error:joblib: cannot write to directory '%s': No such file or directory (file '%s')",
             tpath("nodir"), tpath("nodir/x.pkl"));
    expect_at(sql, want, __LINE__);
    snprintf(sql, sizeof sql, "SELECT joblib_dump(1, '%s')", tmpdir);
    snprintf(want, sizeof want, "error:joblib: '%s' is a directory", tmpdir);
    expect_at(sql, want, __LINE__);
    EXPECT("SELECT joblib_dump(1, '')", "error:joblib: joblib_dump: dest is an empty file name");
    EXPECT("SELECT joblib_dump(1, 2)", "error:joblib: joblib_dump: dest must be TEXT (a file name), not INTEGER");
    EXPECT("SELECT joblib_dump(1, NULL)", "null");
    assert_int_equal(dir_entries(), files);
    expect_file(tpath("m.pkl"), mixed, sizeof mixed);

    /* a file size limit (RLIMIT_FSIZE) while writing */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 30;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    snprintf(sql, sizeof sql, "SELECT joblib_dump(joblib_list(1, 2.5, 'a', x'00ff', NULL, 'more'), '%s')",
             tpath("m.pkl"));
    char *got = query(sql);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    if (!strstr(got, "error:joblib: cannot write") || !strstr(got, "RLIMIT_FSIZE")) {
        print_error("RLIMIT_FSIZE: %s\n", got);
        fail();
    }
    sqlite3_free(got);
    assert_int_equal(dir_entries(), files);
    expect_file(tpath("m.pkl"), mixed, sizeof mixed);
    clear_dir();
}

static void test_sql_aggregates(void **state) {
    (void)state;
    EXPECT("CREATE TABLE v(i INTEGER, r REAL, s TEXT, b BLOB)", "");
    EXPECT("INSERT INTO v VALUES (1, 1.5, 'a', x'0000803f00000040'), (2, NULL, NULL, x'0000404000008040'),"
           " (3, 3.5, 'c', x'0000a0400000c040')", "");
    EXPECT("SELECT joblib_info(joblib_group_array(i)) ->> '$.arrays[0].dtype', joblib_load(joblib_group_array(i)) FROM v",
           "text:<i8|blob:010000000000000002000000000000000300000000000000");
    EXPECT("SELECT joblib_info(joblib_group_array(r)) ->> '$.arrays[0].dtype', joblib_load(joblib_group_array(r), '$[1]') IS NULL,"
           " joblib_load(joblib_group_array(r), '$[2]') FROM v", "text:<f8|int:1|real:3.5");
    EXPECT("SELECT joblib_info(joblib_group_array(s)) ->> '$.arrays[0].dtype', joblib_load(joblib_group_array(s)) FROM v",
           "text:|O|text:[\"a\",null,\"c\"]");
    EXPECT("SELECT joblib_load(joblib_group_array(CASE WHEN i = 2 THEN 'x' ELSE i END)) FROM v", "text:[1,\"x\",3]");
    EXPECT("SELECT joblib_load(joblib_group_array(NULL)) FROM v", "text:[null,null,null]");
    /* BLOB rows + dtype: stacked */
    EXPECT("SELECT joblib_info(joblib_group_array(b, '<f4')) ->> '$.arrays[0].shape', "
           "joblib_load(joblib_group_array(b, '<f4'), '$[2][1]') FROM v", "text:[3,2]|real:6.0");
    EXPECT("SELECT hex(joblib_load(joblib_group_array(b, '<f4'))) = group_concat(hex(b), '') FROM v", "int:1");
    /* elements converted to a dtype */
    EXPECT("SELECT joblib_load(joblib_group_array(i, '>i2')) FROM v", "blob:010002000300");
    EXPECT("SELECT joblib_info(joblib_group_array(i, '>i2')) ->> '$.arrays[0].dtype' FROM v", "text:>i2");
    EXPECT("SELECT joblib_load(joblib_group_array(r, '<f4'), '$[1]') IS NULL FROM v", "int:1");
    EXPECT("SELECT joblib_load(joblib_group_array(s, '<U2')) FROM v", "error:joblib: joblib_group_array: row 2 (NULL) cannot be stored as <U2: not TEXT");
    EXPECT("SELECT joblib_load(joblib_group_array(coalesce(s, 'é'), '<U2')) FROM v",
           "blob:6100000000000000E9000000000000006300000000000000");
    EXPECT("SELECT joblib_load(joblib_group_array(i, '|b1')) FROM v", "blob:010101");
    EXPECT("SELECT joblib_load(joblib_group_array(i * 1000, '<i1')) FROM v",
           "error:joblib: joblib_group_array: row 1 (INTEGER) cannot be stored as <i1: out of range");
    EXPECT("SELECT joblib_load(joblib_group_array(-i, '<u8')) FROM v",
           "error:joblib: joblib_group_array: row 1 (INTEGER) cannot be stored as <u8: negative");
    EXPECT("SELECT joblib_load(joblib_group_array(r, '<f2')) FROM v", "blob:003E007E0043");
    EXPECT("SELECT joblib_load(joblib_group_array(s, '|O')) FROM v", "text:[\"a\",null,\"c\"]");
    EXPECT("SELECT joblib_group_array(b, 'q9') FROM v", "error:joblib: joblib_group_array: bad dtype 'q9': "
                                                        "unknown dtype 'q9'");
    EXPECT("SELECT joblib_group_array(CASE WHEN i = 2 THEN x'00' ELSE b END, '<f4') FROM v",
           "error:joblib: joblib_group_array: row 2 has 1 bytes, the first row has 8");
    EXPECT("SELECT joblib_group_array(CASE WHEN i = 2 THEN 1 ELSE b END, '<f4') FROM v",
           "error:joblib: joblib_group_array: row 2 is INTEGER while the first row was a BLOB");
    EXPECT("SELECT joblib_group_array(x'000000', '<f4') FROM v",
           "error:joblib: joblib_group_array: a row of 3 bytes is not a multiple of the itemsize 4 of <f4");
    /* list and dict */
    EXPECT("SELECT joblib_load(joblib_group_list(joblib_tuple(i, s))) FROM v", "text:[[1,\"a\"],[2,null],[3,\"c\"]]");
    EXPECT("SELECT joblib_load(joblib_group_dict(s, i)) FROM v", "text:{\"a\":1,\"null\":2,\"c\":3}");
    EXPECT("SELECT joblib_load(joblib_group_dict(s, i), '$[null]') FROM v", "int:2");
    EXPECT("SELECT joblib_group_dict(joblib_list(i), i) FROM v",
           "error:joblib: joblib_group_dict: the key of row 1 is a list, which Python cannot use as a dict key");
    /* no rows: NULL */
    EXPECT("SELECT joblib_group_array(i), joblib_group_list(i), joblib_group_dict(i, i) FROM v WHERE 0", "null|null|null");
    /* per group, nested into a dict */
    EXPECT("SELECT joblib_load(joblib_dict('odd', joblib_group_list(i))) FROM v GROUP BY i % 2 ORDER BY i % 2",
           "text:{\"odd\":[2]}\ntext:{\"odd\":[1,3]}");
    EXPECT("DROP TABLE v", "");
}

static void test_sql_flags(void **state) {
    (void)state;
    /* DETERMINISTIC 0x800, DIRECTONLY 0x80000, SUBTYPE 0x100000, INNOCUOUS 0x200000 */
    EXPECT("SELECT DISTINCT name, flags & 0x380800 FROM pragma_function_list WHERE name IN ('joblib_dump', "
           "'joblib_dumps', 'joblib', 'joblib_ndarray', 'joblib_list', 'joblib_tuple', 'joblib_dict', "
           "'joblib_group_array', 'joblib_group_list', 'joblib_group_dict') ORDER BY name",
           "text:joblib|int:3147776\n"
           "text:joblib_dict|int:3147776\n"
           "text:joblib_dump|int:1572864\n"
           "text:joblib_dumps|int:3147776\n"
           "text:joblib_group_array|int:3147776\n"
           "text:joblib_group_dict|int:3147776\n"
           "text:joblib_group_list|int:3147776\n"
           "text:joblib_list|int:3147776\n"
           "text:joblib_ndarray|int:3147776\n"
           "text:joblib_tuple|int:3147776");
    /* joblib_dump is DIRECTONLY: not from a view */
    EXPECT("CREATE VIEW w AS SELECT joblib_dump(1, '/nonexistent/x.pkl') AS f", "");
    EXPECT("SELECT f FROM w", "error:unsafe use of joblib_dump()");
    EXPECT("DROP VIEW w", "");
}

/* joblib_copy (ext/copy.c): the same bytes as joblib_dump of the same
 * value, for a file src, a BLOB src and a path; DIRECTONLY. */
static void test_sql_copy(void **state) {
    (void)state;
    clear_dir();
    char sql[1024], want[512];
    snprintf(sql, sizeof sql, "SELECT joblib_dump(joblib_list(1, 2.5, 'a', x'00ff', NULL), '%s', 'gzip')",
             tpath("src.pkl.gz"));
    snprintf(want, sizeof want, "text:[\"%s\"]", tpath("src.pkl.gz"));
    EXPECT(sql, want);
    snprintf(sql, sizeof sql, "SELECT joblib_copy('%s', '%s')", tpath("src.pkl.gz"), tpath("m.pkl"));
    snprintf(want, sizeof want, "text:[\"%s\"]", tpath("m.pkl"));
    EXPECT(sql, want);
    expect_file(tpath("m.pkl"), mixed, sizeof mixed);
    /* a BLOB src; dest's suffix picks the method, as joblib_dump's does */
    snprintf(sql, sizeof sql,
             "SELECT joblib_copy(joblib_dumps(joblib_list(1, 2.5, 'a', x'00ff', NULL), 'xz'), '%s') "
             "->> '$[0]' = '%s', joblib_load('%s', '$[3]')",
             tpath("b.pkl"), tpath("b.pkl"), tpath("b.pkl"));
    EXPECT(sql, "int:1|blob:00FF");
    expect_file(tpath("b.pkl"), mixed, sizeof mixed);
    /* a path; an explicit method wins over the suffix */
    char m[sizeof tmpdir + 16];
    snprintf(m, sizeof m, "%s", tpath("m.pkl")); /* tpath keeps two names at a time */
    snprintf(sql, sizeof sql, "SELECT joblib_copy('%s', '%s', 'bz2', '$[3]') ->> '$[0]', joblib_load('%s')", m,
             tpath("c.pkl.gz"), tpath("c.pkl.gz"));
    snprintf(want, sizeof want, "text:%s|blob:00FF", tpath("c.pkl.gz"));
    EXPECT(sql, want);
    char magic[16];
    file_magic(tpath("c.pkl.gz"), magic, 4);
    assert_string_equal(magic, "425A6833");
    /* DETERMINISTIC 0x800, DIRECTONLY 0x80000, SUBTYPE 0x100000, INNOCUOUS 0x200000 */
    EXPECT("SELECT narg, flags & 0x380800 FROM pragma_function_list WHERE name = 'joblib_copy' ORDER BY narg",
           "int:2|int:524288\nint:3|int:524288\nint:4|int:524288\nint:5|int:524288");
    EXPECT("CREATE VIEW w AS SELECT joblib_copy('/nonexistent/a.pkl', '/nonexistent/x.pkl') AS f", "");
    EXPECT("SELECT f FROM w", "error:unsafe use of joblib_copy()");
    EXPECT("DROP VIEW w", "");
    clear_dir();
}

static int setup_all(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/jl_test_write_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return setup_db();
}

static int teardown_all(void **state) {
    (void)state;
    clear_dir();
    rmdir(tmpdir);
    sqlite3_close(db);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_values),     cmocka_unit_test(test_json_big_ints),
        cmocka_unit_test(test_json_errors),     cmocka_unit_test(test_json_out_of_memory),
        cmocka_unit_test(test_graft_copy),
        cmocka_unit_test(test_graft_borrow),    cmocka_unit_test(test_graft_session),
        cmocka_unit_test(test_graft_out_of_memory), cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_atomic_errors),   cmocka_unit_test(test_sql_exact_bytes),
        cmocka_unit_test(test_sql_round_trip),  cmocka_unit_test(test_sql_nesting),
        cmocka_unit_test(test_sql_ndarray),     cmocka_unit_test(test_sql_containers),
        cmocka_unit_test(test_sql_compress),    cmocka_unit_test(test_sql_dump),
        cmocka_unit_test(test_sql_aggregates),  cmocka_unit_test(test_sql_flags),
        cmocka_unit_test(test_sql_copy),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
