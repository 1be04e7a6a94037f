/*
 * test_path.c - paths over hand-built value trees (path.h): every step
 * form, key matching by type, objects, array rows, the steps written for
 * every kind of dict key (each must lead back to its entry), and the exact
 * error messages of malformed paths.
 */
#include "testutil.h"
#include "treebuild.h"

#include "path.h"
#include "render.h"
#include "value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- builders ------------------------------------------------------------ */

static uint32_t big(jl_doc *doc, const uint8_t *bytes, unsigned n) {
    uint32_t id = jl_new_bytes(doc, JL_INT, bytes, n, NULL);
    doc->nodes[id].flags |= JL_F_BIG;
    return id;
}

static uint32_t py2(jl_doc *doc, const char *s) {
    uint32_t id = S(doc, s);
    doc->nodes[id].flags |= JL_F_PY2;
    return id;
}

static uint32_t dtype(jl_doc *doc, char kind, uint64_t itemsize) {
    uint32_t dt = jl_dtype_new(doc, NULL);
    doc->dtypes[dt].kind = kind;
    doc->dtypes[dt].byteorder = itemsize > 1 ? '<' : '|';
    doc->dtypes[dt].itemsize = itemsize;
    doc->dtypes[dt].alignment = (uint32_t)itemsize;
    return dt;
}

static uint32_t array(jl_doc *doc, uint32_t dt, int ndim, const uint64_t *dims, const void *data, uint64_t n) {
    uint32_t id = jl_node_new(doc, ndim < 0 ? JL_SCALAR : JL_NDARRAY, NULL);
    uint32_t ai = jl_array_new(doc, NULL);
    doc->nodes[id].u.ext = ai;
    uint32_t at = jl_dims_new(doc, ndim > 0 ? (uint64_t)ndim : 0, NULL);
    for (int k = 0; k < ndim; k++) doc->dims[at + k] = dims[k];
    jl_array *a = &doc->arrays[ai];
    a->dtype = dt;
    a->dims_at = at;
    a->ndim = (uint8_t)(ndim < 0 ? 0 : ndim);
    a->is_scalar = ndim < 0;
    memcpy(jl_heap_alloc(doc, n, &a->data, NULL), data, n);
    return id;
}

static uint32_t resolve(jl_doc *doc, uint32_t root, const char *path) {
    uint32_t out = 12345;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_path_resolve(doc, root, path, strlen(path), &out, &err);
    if (rc) fail_msg("resolve '%s' failed: %s", path, err.message);
    return out;
}

static void expect_bad(jl_doc *doc, uint32_t root, const char *path, const char *msg) {
    uint32_t out = 12345;
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_path_resolve(doc, root, path, strlen(path), &out, &err), JL_E_PATH);
    assert_int_equal(err.code, JL_E_PATH);
    assert_string_equal(err.message, msg);
    assert_int_equal(out, JL_NONE);
}

static void expect_json(jl_doc *doc, uint32_t id, const char *want) {
    jl_buf b;
    jl_error err;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_render_json(doc, id, &b, &err), JL_OK);
    assert_string_equal(b.p, want);
    jl_buf_free(&b);
}

/* ---- tests --------------------------------------------------------------- */

static void test_steps(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t v[16];
    for (int k = 0; k < 16; k++) v[k] = I(doc, 100 + k);
    uint32_t bc[2] = { I(doc, 2), I(doc, 3) };
    uint32_t bclist = seq(doc, JL_LIST, bc, 2);
    uint32_t t1a[2] = { I(doc, 1), S(doc, "a") };
    uint32_t kv[] = {
        S(doc, "a"),                       v[0],
        S(doc, "b c"),                     bclist,
        I(doc, 5),                         v[2],
        I(doc, -1),                        v[3],
        jl_new_float(doc, 1.5, NULL),      v[4],
        jl_new_bool(doc, 1, NULL),         v[5],
        jl_node_new(doc, JL_NULL, NULL),   v[6],
        seq(doc, JL_TUPLE, t1a, 2),        v[7],
        S(doc, "\xc3\xa9"),                v[8],
    };
    uint32_t d = seq(doc, JL_DICT, kv, sizeof kv / sizeof kv[0]);
    uint32_t top[3] = { I(doc, 10), S(doc, "x"), d };
    uint32_t root = seq(doc, JL_LIST, top, 3);

    assert_int_equal(resolve(doc, root, "$"), root);
    assert_int_equal(resolve(doc, root, "$[0]"), top[0]);
    assert_int_equal(resolve(doc, root, "$[#-1]"), d);
    assert_int_equal(resolve(doc, root, "$[#-3]"), top[0]);
    assert_int_equal(resolve(doc, root, "$[3]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[#-4]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[#]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[-1]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[0.0]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[99999999999999999999999]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$.a"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[0][0]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[2].a"), v[0]);
    assert_int_equal(resolve(doc, root, "$[2].\"a\""), v[0]);
    assert_int_equal(resolve(doc, root, "$[2][\"a\"]"), v[0]);
    assert_int_equal(resolve(doc, root, "$[2].\"b c\""), bclist);
    assert_int_equal(resolve(doc, root, "$[2].b c"), bclist); /* bare names run to '.' or '[' */
    assert_int_equal(resolve(doc, root, "$[2][\"b c\"][1]"), bc[1]);
    assert_int_equal(resolve(doc, root, "$[2][\"b c\"][#-2]"), bc[0]);
    assert_int_equal(resolve(doc, root, "$[2][5]"), v[2]);
    assert_int_equal(resolve(doc, root, "$[2][-1]"), v[3]);
    assert_int_equal(resolve(doc, root, "$[2][-0]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[2][1.5]"), v[4]);
    assert_int_equal(resolve(doc, root, "$[2][15e-1]"), v[4]);
    assert_int_equal(resolve(doc, root, "$[2][true]"), v[5]);
    assert_int_equal(resolve(doc, root, "$[2][1]"), JL_NONE); /* exact type: True is not 1 */
    assert_int_equal(resolve(doc, root, "$[2][false]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[2][null]"), v[6]);
    assert_int_equal(resolve(doc, root, "$[2][[1,\"a\"]]"), v[7]);
    assert_int_equal(resolve(doc, root, "$[2][ [ 1 , \"a\" ] ]"), v[7]);
    assert_int_equal(resolve(doc, root, "$[2][[1,\"b\"]]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[2][[1]]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[2].\"\\u00e9\""), v[8]);
    assert_int_equal(resolve(doc, root, "$[2].\xc3\xa9"), v[8]);
    assert_int_equal(resolve(doc, root, "$[2][#-1]"), v[8]);
    assert_int_equal(resolve(doc, root, "$[2][#-9]"), v[0]);
    assert_int_equal(resolve(doc, root, "$[2][#-10]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[2].zz"), JL_NONE);
    /* a selection that fails early still parses the rest */
    expect_bad(doc, root, "$[7].a[", "bad path '$[7].a[': expected ']' at character 7");
    jl_doc_free(doc);
}

static void test_key_kinds(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    static const uint8_t two64[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t five[] = { 5, 0, 0 }; /* non-minimal encoding of 5 */
    uint32_t kv[] = {
        S(doc, "k"), I(doc, 1), S(doc, "k"), I(doc, 2), /* the last wins */
        big(doc, two64, sizeof two64), I(doc, 3),
        big(doc, five, sizeof five), I(doc, 4),
        py2(doc, "abc"), I(doc, 5),
        py2(doc, "\xe9t\xe9"), I(doc, 6),
        S(doc, "\xf0\x9f\x98\x80"), I(doc, 7),
        S(doc, "\xed\xa0\x80"), I(doc, 8),
        jl_new_float(doc, INFINITY, NULL), I(doc, 9),
    };
    uint32_t d = seq(doc, JL_DICT, kv, sizeof kv / sizeof kv[0]);
    assert_int_equal(resolve(doc, d, "$.k"), kv[3]);
    assert_int_equal(resolve(doc, d, "$[18446744073709551616]"), kv[5]);
    assert_int_equal(resolve(doc, d, "$[-18446744073709551616]"), JL_NONE);
    assert_int_equal(resolve(doc, d, "$[5]"), kv[7]);
    assert_int_equal(resolve(doc, d, "$.abc"), kv[9]);
    /* a non-ASCII Python 2 str is reached by position only */
    assert_int_equal(resolve(doc, d, "$.\"\\u00e9t\\u00e9\""), JL_NONE);
    assert_int_equal(resolve(doc, d, "$.\xe9t\xe9"), JL_NONE);
    assert_int_equal(resolve(doc, d, "$[#-4]"), kv[11]);
    assert_int_equal(resolve(doc, d, "$.\"\\ud83d\\ude00\""), kv[13]);
    assert_int_equal(resolve(doc, d, "$.\xf0\x9f\x98\x80"), kv[13]);
    assert_int_equal(resolve(doc, d, "$.\"\\ud800\""), kv[15]);
    assert_int_equal(resolve(doc, d, "$[1e999]"), kv[17]);
    assert_int_equal(resolve(doc, d, "$[-1e999]"), JL_NONE);
    jl_doc_free(doc);
}

static void test_objects(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t cls = global(doc, "m", "C");
    uint32_t a[2] = { I(doc, 1), S(doc, "x") };
    uint32_t args = seq(doc, JL_TUPLE, a, 2);
    uint32_t kv[] = { S(doc, "alpha"), I(doc, 10), S(doc, "__args__"), I(doc, 11), I(doc, 3), I(doc, 12) };
    uint32_t st = seq(doc, JL_DICT, kv, 6);
    uint32_t o = object(doc, cls, args, st);
    uint32_t items = seq(doc, JL_LIST, a, 1);
    doc->objects[doc->nodes[o].u.ext].listitems = items;
    assert_int_equal(resolve(doc, o, "$.__args__"), args);
    assert_int_equal(resolve(doc, o, "$.__args__[1]"), a[1]);
    assert_int_equal(resolve(doc, o, "$.alpha"), kv[1]);
    assert_int_equal(resolve(doc, o, "$[\"alpha\"]"), kv[1]);
    assert_int_equal(resolve(doc, o, "$.\"__args__\""), kv[3]);
    assert_int_equal(resolve(doc, o, "$[\"__args__\"]"), kv[3]);
    assert_int_equal(resolve(doc, o, "$[3]"), kv[5]);
    assert_int_equal(resolve(doc, o, "$[#-1]"), kv[5]);
    assert_int_equal(resolve(doc, o, "$.__state__"), st);
    assert_int_equal(resolve(doc, o, "$.__class__"), cls);
    assert_int_equal(resolve(doc, o, "$.__items__[0]"), a[0]);
    assert_int_equal(resolve(doc, o, "$.__kwargs__"), JL_NONE);
    assert_int_equal(resolve(doc, o, "$.beta"), JL_NONE);
    assert_int_equal(resolve(doc, o, "$[0]"), JL_NONE);
    /* a state that is not a dict: names select nothing */
    uint32_t o2 = object(doc, cls, JL_NONE, args);
    assert_int_equal(resolve(doc, o2, "$.alpha"), JL_NONE);
    assert_int_equal(resolve(doc, o2, "$.__state__[0]"), a[0]);
    assert_int_equal(resolve(doc, o2, "$.__args__"), JL_NONE);

    /* the steps of object children */
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    uint64_t cur = 0, slot;
    uint32_t child;
    const char *want[] = { ".__args__", ".alpha", ".\"__args__\"", "[3]", ".__items__" };
    const uint32_t want_child[] = { args, kv[1], kv[3], kv[5], items };
    for (unsigned k = 0; k < 5; k++) {
        assert_int_equal(jl_object_next_child(doc, o, &cur, &child, &slot), 1);
        assert_int_equal(child, want_child[k]);
        b.len = 0;
        assert_int_equal(jl_path_step_object(doc, o, slot, &b), JL_OK);
        assert_string_equal(b.p, want[k]);
        char path[64] = "$";
        strcat(path, b.p);
        assert_int_equal(resolve(doc, o, path), child);
    }
    assert_int_equal(jl_object_next_child(doc, o, &cur, &child, &slot), 0);
    /* empty args are skipped, a non-dict state is .__state__ */
    uint32_t o3 = object(doc, cls, seq(doc, JL_TUPLE, NULL, 0), args);
    cur = 0;
    assert_int_equal(jl_object_next_child(doc, o3, &cur, &child, &slot), 1);
    assert_int_equal(slot, JL_SLOT_STATE);
    assert_int_equal(child, args);
    assert_int_equal(jl_object_next_child(doc, o3, &cur, &child, &slot), 0);
    jl_buf_free(&b);
    jl_doc_free(doc);
}

/* Every entry's step leads back to it; the step text is as expected. */
static void test_step_keys(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    static const uint8_t two64[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    uint32_t inner[2] = { jl_node_new(doc, JL_NULL, NULL), jl_new_float(doc, 2.5, NULL) };
    uint32_t tup_el[3] = { I(doc, 1), S(doc, "a"), seq(doc, JL_TUPLE, inner, 2) };
    uint32_t with_bytes[2] = { I(doc, 1), jl_new_bytes(doc, JL_BYTES, "b", 1, NULL) };
    int64_t seven = 7;
    double half = 0.5;
    uint32_t fs_el[1] = { I(doc, 1) };
    struct { uint32_t key; const char *step; } keys[] = {
        { S(doc, "abc_1"), ".abc_1" },
        { S(doc, "_"), "._" },
        { S(doc, "a b"), ".\"a b\"" },
        { S(doc, "1abc"), ".\"1abc\"" },
        { S(doc, ""), ".\"\"" },
        { S(doc, "q\"\\\n."), ".\"q\\\"\\\\\\n.\"" },
        { S(doc, "x[0]"), ".\"x[0]\"" },
        { S(doc, "\xc3\xa9"), ".\"\xc3\xa9\"" },
        { S(doc, "\xed\xa0\x80"), ".\"\\ud800\"" },
        { py2(doc, "\xe9"), NULL },
        { py2(doc, "ab"), ".ab" },
        { I(doc, 3), "[3]" },
        { I(doc, -7), "[-7]" },
        { big(doc, two64, sizeof two64), "[18446744073709551616]" },
        { jl_new_float(doc, 1.5, NULL), "[1.5]" },
        { jl_new_float(doc, 2.0, NULL), "[2.0]" },
        { jl_new_float(doc, 1e300, NULL), "[1e+300]" },
        { jl_new_float(doc, INFINITY, NULL), "[1e999]" },
        { jl_new_float(doc, -INFINITY, NULL), "[-1e999]" },
        { jl_new_float(doc, NAN, NULL), NULL },
        { jl_new_bool(doc, 1, NULL), "[true]" },
        { jl_new_bool(doc, 0, NULL), "[false]" },
        { jl_node_new(doc, JL_NULL, NULL), "[null]" },
        { seq(doc, JL_TUPLE, tup_el, 3), "[[1,\"a\",[null,2.5]]]" },
        { seq(doc, JL_TUPLE, NULL, 0), "[[]]" },
        { seq(doc, JL_TUPLE, with_bytes, 2), NULL },
        { jl_new_bytes(doc, JL_BYTES, "k", 1, NULL), NULL },
        { seq(doc, JL_FROZENSET, fs_el, 1), NULL },
        { global(doc, "m", "C"), NULL },
        { array(doc, dtype(doc, 'i', 8), -1, NULL, &seven, 8), "[7]" },
        { array(doc, dtype(doc, 'f', 8), -1, NULL, &half, 8), "[0.5]" },
    };
    unsigned n = sizeof keys / sizeof keys[0];
    uint32_t kv[2 * 64];
    for (unsigned k = 0; k < n; k++) {
        kv[2 * k] = keys[k].key;
        kv[2 * k + 1] = I(doc, 1000 + k);
    }
    uint32_t d = seq(doc, JL_DICT, kv, 2 * n);
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    for (unsigned k = 0; k < n; k++) {
        b.len = 0;
        assert_int_equal(jl_path_step_entry(doc, d, k, &b), JL_OK);
        char want[64];
        if (keys[k].step) snprintf(want, sizeof want, "%s", keys[k].step);
        else snprintf(want, sizeof want, "[#-%u]", n - k);
        if (strcmp(b.p, want) != 0) fail_msg("key %u: step %s, want %s", k, b.p, want);
        char path[128] = "$";
        strcat(path, b.p);
        uint32_t got = resolve(doc, d, path);
        if (got != kv[2 * k + 1]) fail_msg("key %u: %s selects %u, want %u", k, path, got, kv[2 * k + 1]);
        /* keys with no literal: nothing appended, JL_E_ARG */
        b.len = 0;
        b.p[0] = 0;
        int rc = jl_path_step_key(doc, keys[k].key, &b);
        assert_int_equal(rc, keys[k].step ? JL_OK : JL_E_ARG);
        if (!keys[k].step) assert_int_equal(b.len, 0);
    }
    b.len = 0;
    assert_int_equal(jl_path_step_index(&b, 42), JL_OK);
    assert_string_equal(b.p, "[42]");
    jl_buf_free(&b);
    jl_doc_free(doc);
}

static void test_array_rows(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    int64_t iv[6] = { 0, 1, 2, 3, 4, 5 };
    uint64_t dims[2] = { 2, 3 };
    uint32_t arr = array(doc, dtype(doc, 'i', 8), 2, dims, iv, sizeof iv);
    uint32_t top[1] = { arr };
    uint32_t root = seq(doc, JL_LIST, top, 1);
    uint32_t row = resolve(doc, root, "$[0][1]");
    assert_int_not_equal(row, JL_NONE);
    assert_int_equal(doc->nodes[row].kind, JL_NDARRAY);
    expect_json(doc, row, "[3,4,5]");
    uint32_t el = resolve(doc, root, "$[0][1][2]");
    assert_int_equal(doc->nodes[el].kind, JL_SCALAR);
    expect_json(doc, el, "5");
    expect_json(doc, resolve(doc, root, "$[0][#-1][#-3]"), "3");
    assert_int_equal(resolve(doc, root, "$[0][2]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[0][0][3]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[0][0][0][0]"), JL_NONE);
    assert_int_equal(resolve(doc, root, "$[0].a"), JL_NONE);
    jl_doc_free(doc);
}

static void test_errors(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t root = seq(doc, JL_LIST, NULL, 0);
    expect_bad(doc, root, "", "bad path '': expected '$' at character 0");
    expect_bad(doc, root, "a", "bad path 'a': expected '$' at character 0");
    expect_bad(doc, root, "$.a[", "bad path '$.a[': expected ']' at character 4");
    expect_bad(doc, root, "$x", "bad path '$x': expected '.' or '[' at character 1");
    expect_bad(doc, root, "$.", "bad path '$.': expected a name at character 2");
    expect_bad(doc, root, "$..a", "bad path '$..a': expected a name at character 2");
    expect_bad(doc, root, "$[1x]", "bad path '$[1x]': expected ']' at character 3");
    expect_bad(doc, root, "$[01]", "bad path '$[01]': expected ']' at character 3");
    expect_bad(doc, root, "$[\"a]", "bad path '$[\"a]': expected '\"' at character 5");
    expect_bad(doc, root, "$.\"a", "bad path '$.\"a': expected '\"' at character 4");
    expect_bad(doc, root, "$[#-]", "bad path '$[#-]': expected a digit at character 4");
    expect_bad(doc, root, "$[#-1", "bad path '$[#-1': expected ']' at character 5");
    expect_bad(doc, root, "$[#1]", "bad path '$[#1]': expected ']' at character 3");
    expect_bad(doc, root, "$[\"\\q\"]", "bad path '$[\"\\q\"]': bad escape at character 3");
    expect_bad(doc, root, "$[\"\\u12\"]", "bad path '$[\"\\u12\"]': bad \\u escape at character 3");
    expect_bad(doc, root, "$[tru]", "bad path '$[tru]': expected a JSON literal at character 2");
    expect_bad(doc, root, "$[]", "bad path '$[]': expected a JSON literal at character 2");
    expect_bad(doc, root, "$[-]", "bad path '$[-]': expected a digit at character 3");
    expect_bad(doc, root, "$[1.]", "bad path '$[1.]': expected a digit at character 4");
    expect_bad(doc, root, "$[1e]", "bad path '$[1e]': expected a digit at character 4");
    expect_bad(doc, root, "$[[1,2]", "bad path '$[[1,2]': expected ']' at character 7");
    expect_bad(doc, root, "$[[1 2]]", "bad path '$[[1 2]]': expected ',' or ']' at character 5");
    char deep[200] = "$[", msg[256];
    for (int k = 0; k < 70; k++) strcat(deep, "[");
    snprintf(msg, sizeof msg, "bad path '%s': literal nested too deeply at character 67", deep);
    expect_bad(doc, root, deep, msg);
    /* long paths are cut in the message */
    char longp[200] = "$", head[100] = "$";
    for (int k = 0; k < 30; k++) strcat(longp, ".abc");
    for (int k = 0; k < 19; k++) strcat(head, ".abc");
    strcat(longp, "[x");
    snprintf(msg, sizeof msg, "bad path '%s...': expected a JSON literal at character 122", head);
    expect_bad(doc, root, longp, msg);
    /* an out-of-range root selects nothing */
    uint32_t out = 0;
    assert_int_equal(jl_path_resolve(doc, 999999, "$[0]", 4, &out, NULL), JL_OK);
    assert_int_equal(out, JL_NONE);
    jl_doc_free(doc);
}

static void test_parent_len(void **state) {
    (void)state;
    static const struct { const char *path; size_t len; } cases[] = {
        { "$", 1 },           { "$.a", 1 },           { "$.a[2]", 3 },      { "$.\"x.y\"[0]", 7 },
        { "$[\"a]b\"]", 1 },  { "$[[1,[2]]].c", 10 }, { "$.a.b", 3 },       { "$[#-1][0]", 6 },
        { "$.\"q\\\"[\".z", 8 },
    };
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++)
        assert_int_equal(jl_path_parent_len(cases[k].path, strlen(cases[k].path)), cases[k].len);
}

/* Random paths over a small alphabet: each one parses or fails with
 * JL_E_PATH, never anything else (run under the sanitizers). */
static void test_random_paths(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t kv[4] = { S(doc, "a"), I(doc, 1), I(doc, 0), S(doc, "z") };
    uint32_t d = seq(doc, JL_DICT, kv, 4);
    uint32_t top[2] = { d, d };
    uint32_t root = seq(doc, JL_LIST, top, 2);
    static const char alpha[] = "$$..[[]]]#-\"\\u0019aefnrtul,e+E \xc3\xa9\xed";
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    unsigned ok = 0, bad = 0;
    for (int k = 0; k < 200000; k++) {
        char path[24];
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned n = 1 + (unsigned)(x % 20);
        path[0] = '$';
        for (unsigned j = 1; j < n; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            path[j] = alpha[x % (sizeof alpha - 1)];
        }
        uint32_t out;
        jl_error err;
        int rc = jl_path_resolve(doc, root, path, n, &out, &err);
        if (rc == JL_OK) ok++;
        else {
            assert_int_equal(rc, JL_E_PATH);
            assert_int_equal(out, JL_NONE);
            bad++;
        }
    }
    assert_true(ok > 1000 && bad > 1000);
    jl_doc_free(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps),      cmocka_unit_test(test_key_kinds),
        cmocka_unit_test(test_objects),    cmocka_unit_test(test_step_keys),
        cmocka_unit_test(test_array_rows), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_parent_len), cmocka_unit_test(test_random_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
