/*
 * test_show.c - the text of joblib_show (codec/tree/show.h), exact to the byte:
 * the seed bundles of docs/FORMAT.md 8.1 / 8.3 (tests/unit/common/seed_bytes.h) and
 * trees built by hand (atoms and their Python reprs, keys, refs and
 * cycles, elision, the depth limit, objects, arrays of every dtype kind in
 * either byte order and layout); limits and allocation failures.
 * tests/unit/ext/test_show_sql.c runs joblib_show through SQL.
 */
#include "testutil.h"
#include "treebuild.h"

#include "show.h"
#include "decode.h"
#include "dtype.h"
#include "seed_bytes.h"
#include "seed_show.h"
#include "value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- builders ----------------------------------------------------------------- */

static uint32_t F(jl_doc *doc, double v) { return jl_new_float(doc, v, NULL); }
static uint32_t NONE_(jl_doc *doc) { return jl_node_new(doc, JL_NULL, NULL); }

static uint32_t raw(jl_doc *doc, jl_kind kind, const void *p, uint64_t n) {
    uint32_t id = jl_new_bytes(doc, kind, p, n, NULL);
    assert_int_not_equal(id, JL_NONE);
    return id;
}

/* A dict from k0, v0, k1, v1, ... (npairs pairs). */
static uint32_t dict(jl_doc *doc, const uint32_t *kv, unsigned npairs) {
    return seq(doc, JL_DICT, kv, 2 * npairs);
}

static uint32_t dtype(jl_doc *doc, const char *descr) {
    uint32_t dt = JL_NONE;
    jl_error err;
    jl_error_clear(&err);
    int rc = descr[0] == '[' ? jl_dtype_parse_json(doc, descr, strlen(descr), &dt, &err)
                             : jl_dtype_parse(doc, descr, strlen(descr), &dt, &err);
    if (rc) fail_msg("dtype %s: %s", descr, err.message);
    return dt;
}

/* An ndarray of dtype `descr` over a copy of data (ndim < 0: a scalar). */
static uint32_t array(jl_doc *doc, const char *descr, int ndim, const uint64_t *dims, const void *data,
                      uint64_t n, char order) {
    uint32_t dt = dtype(doc, descr);
    uint32_t ai = jl_array_new(doc, NULL);
    uint32_t id = jl_node_new(doc, ndim < 0 ? JL_SCALAR : JL_NDARRAY, NULL);
    assert_int_not_equal(ai, JL_NONE);
    assert_int_not_equal(id, JL_NONE);
    doc->nodes[id].u.ext = ai;
    uint32_t at = jl_dims_new(doc, ndim > 0 ? (uint64_t)ndim : 0, NULL);
    for (int k = 0; k < ndim; k++) doc->dims[at + k] = dims[k];
    jl_array *a = &doc->arrays[ai];
    a->dtype = dt;
    a->dims_at = at;
    a->ndim = (uint8_t)(ndim < 0 ? 0 : ndim);
    a->is_scalar = ndim < 0;
    a->order = order;
    uint8_t *p = jl_heap_alloc(doc, n, &a->data, NULL);
    if (n) memcpy(p, data, n);
    return id;
}

/* ---- checks ------------------------------------------------------------------- */

static void expect_show_opts(jl_doc *doc, uint32_t id, const char *path, const jl_show_opts *o, const char *want) {
    jl_buf b;
    jl_error err;
    jl_error_clear(&err);
    jl_buf_init(&b, NULL, 0);
    uint64_t nodes = doc->nnodes, arrays = doc->narrays, dtypes = doc->ndtypes;
    int rc = jl_show(doc, id, path, o, &b, &err);
    if (rc) fail_msg("show failed: %s", err.message);
    assert_non_null(b.p);
    if (strcmp(b.p, want) != 0) fprintf(stderr, "---- got:\n%s\n---- want:\n%s\n", b.p, want);
    assert_string_equal(b.p, want);
    /* whatever a line appended to the doc is gone */
    assert_int_equal(doc->nnodes, nodes);
    assert_int_equal(doc->narrays, arrays);
    assert_int_equal(doc->ndtypes, dtypes);
    jl_buf_free(&b);
}

static void expect_show(jl_doc *doc, uint32_t id, const char *want) {
    expect_show_opts(doc, id, "$", NULL, want);
}

/* One line of a one-entry dict {key: value}: what follows "└── ". */
static void expect_line(jl_doc *doc, uint32_t value, const jl_show_opts *o, const char *want) {
    uint32_t kv[2] = { S(doc, "k"), value };
    uint32_t d = dict(doc, kv, 1);
    char full[1024];
    snprintf(full, sizeof full, "$: dict len=1\n└── .k: %s", want);
    expect_show_opts(doc, d, "$", o, full);
}

/* ---- the seed ------------------------------------------------------------------ */

static void test_seed(void **state) {
    (void)state;
    const unsigned char *seeds[2] = { seed_p4, seed_p2 };
    size_t sizes[2] = { sizeof seed_p4, sizeof seed_p2 };
    for (int k = 0; k < 2; k++) {
        jl_doc *doc = NULL;
        jl_error err;
        jl_error_clear(&err);
        assert_int_equal(jl_open_memory(seeds[k], sizes[k], 1, NULL, &doc, &err), JL_OK);
        expect_show(doc, doc->root, SEED_TEXT);
        jl_show_opts o;
        jl_show_opts_default(&o);
        o.depth = 0;
        expect_show_opts(doc, doc->root, "$", &o, "$: list len=2");
        o.depth = 1;
        expect_show_opts(doc, doc->root, "$", &o,
                         "$: list len=2\n"
                         "├── [0]: tuple len=2\n"
                         "└── [1]: tuple len=2");
        /* a subtree keeps the path it was reached by */
        uint32_t b = jl_kids_of(doc, doc->root)[1];
        expect_show(doc, b,
                    "$: tuple len=2\n"
                    "├── [0]: str = 'b'\n"
                    "└── [1]: ndarray <i8 (10,) = [0, 1, 2, …, 7, 8, 9]");
        expect_show_opts(doc, b, "$[1]", NULL,
                         "$[1]: tuple len=2\n"
                         "├── [0]: str = 'b'\n"
                         "└── [1]: ndarray <i8 (10,) = [0, 1, 2, …, 7, 8, 9]");
        jl_doc_free(doc);
    }
}

/* ---- atoms ------------------------------------------------------------------------ */

static void test_atoms(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    const double c[2] = { 1.5, -2.0 }, c2[2] = { 0.0, 1.0 }, c3[2] = { NAN, INFINITY };
    const uint8_t big[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };       /* 2**64 */
    const uint8_t nbig[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xFF };   /* -2**64 */
    uint32_t bi = raw(doc, JL_INT, big, 9), nbi = raw(doc, JL_INT, nbig, 9);
    doc->nodes[bi].flags |= JL_F_BIG;
    doc->nodes[nbi].flags |= JL_F_BIG;
    uint32_t py2 = raw(doc, JL_STR, "caf\xe9", 4), py2a = raw(doc, JL_STR, "abc", 3);
    doc->nodes[py2].flags |= JL_F_PY2;
    doc->nodes[py2a].flags |= JL_F_PY2;
    uint32_t kv[] = {
        S(doc, "none"), NONE_(doc),
        S(doc, "t"), jl_new_bool(doc, 1, NULL),
        S(doc, "f0"), jl_new_bool(doc, 0, NULL),
        S(doc, "i"), I(doc, -7),
        S(doc, "min"), I(doc, INT64_MIN),
        S(doc, "f"), F(doc, 0.1),
        S(doc, "one"), F(doc, 1.0),
        S(doc, "big"), F(doc, 1e16),
        S(doc, "nan"), F(doc, NAN),
        S(doc, "ninf"), F(doc, -INFINITY),
        S(doc, "c"), raw(doc, JL_COMPLEX, c, 16),
        S(doc, "c2"), raw(doc, JL_COMPLEX, c2, 16),
        S(doc, "c3"), raw(doc, JL_COMPLEX, c3, 16),
        S(doc, "s"), S(doc, "it's"),
        S(doc, "q"), S(doc, "say \"hi\" it's"),
        S(doc, "esc"), S(doc, "a\tb\n\x01\\\xc3\xa9\xe2\x80\xa8\xc2\x85\xc2\xa0\xe2\x80\x8b\xe4\xb8\xad"),
        S(doc, "lone"), raw(doc, JL_STR, "\xed\xa0\x80x", 4), /* a lone surrogate (WTF-8) */
        S(doc, "bad"), raw(doc, JL_STR, "\xff", 1),
        S(doc, "empty"), S(doc, ""),
        S(doc, "b"), raw(doc, JL_BYTES, "\x00" "a'\x7f\r", 5),
        S(doc, "eb"), raw(doc, JL_BYTES, "", 0),
        S(doc, "ba"), raw(doc, JL_BYTEARRAY, "xy", 2),
        S(doc, "bigint"), bi,
        S(doc, "nbig"), nbi,
        S(doc, "py2"), py2,
        S(doc, "py2a"), py2a,
        S(doc, "g"), global(doc, "collections", "OrderedDict"),
    };
    uint32_t d = dict(doc, kv, sizeof kv / sizeof kv[0] / 2);
    expect_show(doc, d,
                "$: dict len=27\n"
                "├── .none: null\n"
                "├── .t: bool = True\n"
                "├── .f0: bool = False\n"
                "├── .i: int = -7\n"
                "├── .min: int = -9223372036854775808\n"
                "├── .f: float = 0.1\n"
                "├── .one: float = 1.0\n"
                "├── .big: float = 1e+16\n"
                "├── .nan: float = nan\n"
                "├── .ninf: float = -inf\n"
                "├── .c: complex = (1.5-2j)\n"
                "├── .c2: complex = 1j\n"
                "├── .c3: complex = (nan+infj)\n"
                "├── .s: str = \"it's\"\n"
                "├── .q: str = 'say \"hi\" it\\'s'\n"
                "├── .esc: str = 'a\\tb\\n\\x01\\\\é\\u2028\\x85\\xa0\\u200b中'\n"
                "├── .lone: str = '\\ud800x'\n"
                "├── .bad: str = '\xef\xbf\xbd'\n"
                "├── .empty: str = ''\n"
                "├── .b: bytes = b\"\\x00a'\\x7f\\r\"\n"
                "├── .eb: bytes = b''\n"
                "├── .ba: bytearray = b'xy'\n"
                "├── .bigint: int = 18446744073709551616\n"
                "├── .nbig: int = -18446744073709551616\n"
                "├── .py2: str = b'caf\\xe9'\n"
                "├── .py2a: str = 'abc'\n"
                "└── .g: global collections.OrderedDict");
    jl_doc_free(doc);
}

static void test_truncation(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    jl_show_opts o;
    jl_show_opts_default(&o);
    /* 40 characters by default */
    expect_line(doc, S(doc, "0123456789012345678901234567890123456789"), NULL,
                "str = '0123456789012345678901234567890123456789'");
    expect_line(doc, S(doc, "0123456789012345678901234567890123456789x"), NULL,
                "str = '0123456789012345678901234567890123456789'… (41 chars)");
    o.max_chars = 5;
    expect_line(doc, S(doc, "abcdefgh"), &o, "str = 'abcde'… (8 chars)");
    expect_line(doc, S(doc, "abcde"), &o, "str = 'abcde'");
    expect_line(doc, S(doc, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), &o,
                "str = 'ééééé'… (7 chars)");
    expect_line(doc, raw(doc, JL_BYTES, "0123456789", 10), &o, "bytes = b'01234'… (10 bytes)");
    const uint8_t big[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 }; /* 2**64: 20 digits */
    uint32_t bi = raw(doc, JL_INT, big, 9);
    doc->nodes[bi].flags |= JL_F_BIG;
    expect_line(doc, bi, &o, "int = 18446… (20 digits)");
    const uint8_t nbig[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xFF };
    uint32_t nbi = raw(doc, JL_INT, nbig, 9);
    doc->nodes[nbi].flags |= JL_F_BIG;
    expect_line(doc, nbi, &o, "int = -18446… (20 digits)");
    /* array elements are cut the same way */
    const uint32_t u[6] = { 'a', 'b', 'c', 'd', 'e', 'f' };
    uint64_t one = 1;
    expect_line(doc, array(doc, "<U6", 1, &one, u, sizeof u, 'C'), &o, "ndarray <U6 (1,) = ['abcde'… (6 chars)]");
    expect_line(doc, array(doc, "|S6", 1, &one, "abcdef", 6, 'C'), &o, "ndarray |S6 (1,) = [b'abcde'… (6 bytes)]");
    jl_doc_free(doc);
}

/* ---- keys, refs, elision, depth ---------------------------------------------------------- */

static void test_keys(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t tk[2] = { I(doc, 1), S(doc, "a") };
    uint32_t kv[] = {
        S(doc, "plain"), I(doc, 1),
        S(doc, "a b"), I(doc, 2),
        I(doc, 3), I(doc, 3),
        jl_new_bool(doc, 1, NULL), I(doc, 4),
        NONE_(doc), I(doc, 5),
        seq(doc, JL_TUPLE, tk, 2), I(doc, 6),
        F(doc, 1.5), I(doc, 7),
        raw(doc, JL_BYTES, "k", 1), I(doc, 8), /* no JSON literal: by position from the end */
        S(doc, "last"), I(doc, 9),
    };
    expect_show(doc, dict(doc, kv, 9),
                "$: dict len=9\n"
                "├── .plain: int = 1\n"
                "├── .\"a b\": int = 2\n"
                "├── [3]: int = 3\n"
                "├── [true]: int = 4\n"
                "├── [null]: int = 5\n"
                "├── [[1,\"a\"]]: int = 6\n"
                "├── [1.5]: int = 7\n"
                "├── [#-2]: int = 8\n"
                "└── .last: int = 9");
    jl_doc_free(doc);
}

static void test_refs(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    /* x = [1]; root = [[x], x] */
    uint32_t one = I(doc, 1);
    uint32_t x = seq(doc, JL_LIST, &one, 1);
    uint32_t a = seq(doc, JL_LIST, &x, 1);
    uint32_t kids[2] = { a, x };
    uint32_t root = seq(doc, JL_LIST, kids, 2);
    expect_show(doc, root,
                "$: list len=2\n"
                "├── [0]: list len=1\n"
                "│   └── [0]: list len=1\n"
                "│       └── [0]: int = 1\n"
                "└── [1]: ref → $[0][0]");
    /* cut by the depth limit, x is not expanded at $[0][0]: it is at $[1] */
    jl_show_opts o;
    jl_show_opts_default(&o);
    o.depth = 2;
    expect_show_opts(doc, root, "$", &o,
                     "$: list len=2\n"
                     "├── [0]: list len=1\n"
                     "│   └── [0]: list len=1\n"
                     "└── [1]: list len=1\n"
                     "    └── [0]: int = 1");
    /* a cycle: c = [c, 5]; refs name the path the walk started from */
    uint32_t c = jl_node_new(doc, JL_LIST, NULL);
    uint32_t ck[2] = { c, I(doc, 5) };
    assert_int_equal(jl_kids_append(doc, c, ck, 2, NULL), JL_OK);
    expect_show(doc, c,
                "$: list len=2\n"
                "├── [0]: ref → $\n"
                "└── [1]: int = 5");
    expect_show_opts(doc, c, "$.cyc", NULL,
                     "$.cyc: list len=2\n"
                     "├── [0]: ref → $.cyc\n"
                     "└── [1]: int = 5");
    /* shared arrays are refs too; empty containers are expanded (no children) */
    uint64_t two = 2;
    int64_t data[2] = { 4, 5 };
    uint32_t arr = array(doc, "<i8", 1, &two, data, sizeof data, 'C');
    uint32_t e = seq(doc, JL_LIST, NULL, 0);
    uint32_t k4[4] = { arr, arr, e, e };
    expect_show(doc, seq(doc, JL_TUPLE, k4, 4),
                "$: tuple len=4\n"
                "├── [0]: ndarray <i8 (2,) = [4, 5]\n"
                "├── [1]: ref → $[0]\n"
                "├── [2]: list len=0\n"
                "└── [3]: ref → $[2]");
    jl_doc_free(doc);
}

static void test_elision(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t ids[12];
    for (int k = 0; k < 12; k++) ids[k] = I(doc, 100 + k);
    /* 11 elements: all of them (eliding one line would save nothing) */
    expect_show(doc, seq(doc, JL_LIST, ids, 11),
                "$: list len=11\n"
                "├── [0]: int = 100\n├── [1]: int = 101\n├── [2]: int = 102\n├── [3]: int = 103\n"
                "├── [4]: int = 104\n├── [5]: int = 105\n├── [6]: int = 106\n├── [7]: int = 107\n"
                "├── [8]: int = 108\n├── [9]: int = 109\n└── [10]: int = 110");
    /* 12: the first 9, the count of the rest, the last */
    uint32_t l12 = seq(doc, JL_LIST, ids, 12);
    expect_show(doc, l12,
                "$: list len=12\n"
                "├── [0]: int = 100\n├── [1]: int = 101\n├── [2]: int = 102\n├── [3]: int = 103\n"
                "├── [4]: int = 104\n├── [5]: int = 105\n├── [6]: int = 106\n├── [7]: int = 107\n"
                "├── [8]: int = 108\n"
                "├── … 2 more\n"
                "└── [11]: int = 111");
    /* nested: the elision line carries its branch prefix */
    jl_show_opts o;
    jl_show_opts_default(&o);
    o.max_children = 3;
    uint32_t set = seq(doc, JL_SET, ids, 5);
    uint32_t outer[2] = { set, I(doc, 0) };
    expect_show_opts(doc, seq(doc, JL_LIST, outer, 2), "$", &o,
                     "$: list len=2\n"
                     "├── [0]: set len=5\n"
                     "│   ├── [0]: int = 100\n"
                     "│   ├── [1]: int = 101\n"
                     "│   ├── … 2 more\n"
                     "│   └── [4]: int = 104\n"
                     "└── [1]: int = 0");
    /* dicts use max_entries (default 50), not max_children */
    uint32_t kv[10];
    const char *names[5] = { "a", "b", "c", "d", "e" };
    for (int k = 0; k < 5; k++) {
        kv[2 * k] = S(doc, names[k]);
        kv[2 * k + 1] = ids[k];
    }
    uint32_t d = dict(doc, kv, 5);
    expect_show_opts(doc, d, "$", &o,
                     "$: dict len=5\n├── .a: int = 100\n├── .b: int = 101\n├── .c: int = 102\n"
                     "├── .d: int = 103\n└── .e: int = 104");
    o.max_entries = 3;
    expect_show_opts(doc, d, "$", &o,
                     "$: dict len=5\n├── .a: int = 100\n├── .b: int = 101\n├── … 2 more\n└── .e: int = 104");
    jl_doc_free(doc);
}

/* ---- objects --------------------------------------------------------------------------- */

static void test_objects(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t cls = global(doc, "mymod", "Foo");
    uint32_t a1 = I(doc, 1);
    uint32_t args = seq(doc, JL_TUPLE, &a1, 1);
    uint32_t kv[] = { S(doc, "a"), I(doc, 1), S(doc, "name"), S(doc, "x"), S(doc, "c"), I(doc, 3),
                      S(doc, "d"), I(doc, 4) };
    uint32_t st = dict(doc, kv, 4);
    uint32_t obj = object(doc, cls, args, st);
    expect_show(doc, obj,
                "$: object mymod.Foo\n"
                "├── .__args__: tuple len=1\n"
                "│   └── [0]: int = 1\n"
                "├── .a: int = 1\n"
                "├── .name: str = 'x'\n"
                "├── .c: int = 3\n"
                "└── .d: int = 4");
    /* elided objects skip children they never print */
    jl_show_opts o;
    jl_show_opts_default(&o);
    o.max_entries = 3;
    expect_show_opts(doc, obj, "$", &o,
                     "$: object mymod.Foo\n"
                     "├── .__args__: tuple len=1\n"
                     "│   └── [0]: int = 1\n"
                     "├── .a: int = 1\n"
                     "├── … 2 more\n"
                     "└── .d: int = 4");
    /* a state that is not a dict; an object with no children */
    uint32_t two = I(doc, 2);
    uint32_t odd = object(doc, cls, JL_NONE, seq(doc, JL_LIST, &two, 1));
    uint32_t bare = object(doc, global(doc, "m", "Empty"), seq(doc, JL_TUPLE, NULL, 0), JL_NONE);
    uint32_t both[2] = { odd, bare };
    expect_show(doc, seq(doc, JL_LIST, both, 2),
                "$: list len=2\n"
                "├── [0]: object mymod.Foo\n"
                "│   └── .__state__: list len=1\n"
                "│       └── [0]: int = 2\n"
                "└── [1]: object m.Empty");
    jl_doc_free(doc);
}

/* ---- arrays ------------------------------------------------------------------------------ */

static void test_arrays(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    int64_t ten[10];
    for (int k = 0; k < 10; k++) ten[k] = k;
    uint64_t d10 = 10, d2 = 2, d1 = 1, d23[2] = { 2, 3 }, d03[2] = { 0, 3 }, d12[2] = { 1, 2 };
    /* C matrix [[0,1,2],[3,4,5]] stored in Fortran order */
    const int16_t fort[6] = { 0, 3, 1, 4, 2, 5 };
    const uint8_t be[16] = { 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0 }; /* >f8 1.5, -2.0 */
    const float f4[2] = { 0.1f, NAN };
    const uint16_t f2[2] = { 0x3800, 0xFC00 }; /* 0.5, -inf */
    const uint8_t b1[2] = { 1, 0 };
    const uint32_t u3[6] = { 'a', 'b', 0, 0xE9, '\'', 0 };
    const int64_t m8[2] = { 18262, INT64_MIN }; /* 2020-01-01, NaT */
    const int64_t td[2] = { 5, INT64_MIN };
    const double c16[2] = { 1.0, 2.0 };
    const float c8[4] = { 0.1f, -1.0f, NAN, 0.0f };
    struct { int32_t x; double y; } __attribute__((packed)) rec = { 1, 2.5 };
    const int64_t zero_d = 7;
    const uint8_t be_i4[4] = { 0xFF, 0xFF, 0xFF, 0xFE }; /* >i4 -2 */
    const double sc = 2.5;
    uint32_t mat = array(doc, "<i8", 2, d12, ten, 16, 'C');
    jl_array_of(doc, mat)->cls = global(doc, "numpy", "matrix");
    uint32_t plain = array(doc, "<i8", 1, &d2, ten, 16, 'C');
    jl_array_of(doc, plain)->cls = global(doc, "numpy", "ndarray");
    uint32_t fk[] = { S(doc, "o"), S(doc, "x") };
    uint32_t items_kids[] = { I(doc, 1), S(doc, "a"), seq(doc, JL_LIST, NULL, 0), dict(doc, fk, 1),
                              object(doc, global(doc, "mymod", "Foo"), JL_NONE, JL_NONE), NONE_(doc),
                              seq(doc, JL_TUPLE, fk, 2), mat };
    uint64_t d8 = 8;
    uint32_t oarr = array(doc, "|O", 1, &d8, NULL, 0, 'C');
    jl_array_of(doc, oarr)->items = seq(doc, JL_LIST, items_kids, 8);
    uint32_t kv[] = {
        S(doc, "i8"), array(doc, "<i8", 1, &d10, ten, sizeof ten, 'C'),
        S(doc, "F"), array(doc, "<i2", 2, d23, fort, sizeof fort, 'F'),
        S(doc, "be"), array(doc, ">f8", 1, &d2, be, sizeof be, 'C'),
        S(doc, "f4"), array(doc, "<f4", 1, &d2, f4, sizeof f4, 'C'),
        S(doc, "f2"), array(doc, "<f2", 1, &d2, f2, sizeof f2, 'C'),
        S(doc, "b1"), array(doc, "|b1", 1, &d2, b1, sizeof b1, 'C'),
        S(doc, "U"), array(doc, "<U3", 1, &d2, u3, sizeof u3, 'C'),
        S(doc, "S"), array(doc, "|S2", 1, &d2, "a\0\xff\x01", 4, 'C'),
        S(doc, "V"), array(doc, "|V2", 1, &d1, "\x00z", 2, 'C'),
        S(doc, "M"), array(doc, "<M8[D]", 1, &d2, m8, sizeof m8, 'C'),
        S(doc, "m"), array(doc, "<m8[s]", 1, &d2, td, sizeof td, 'C'),
        S(doc, "c16"), array(doc, "<c16", 1, &d1, c16, sizeof c16, 'C'),
        S(doc, "c8"), array(doc, "<c8", 1, &d2, c8, sizeof c8, 'C'),
        S(doc, "rec"), array(doc, "[[\"x\",\"<i4\"],[\"y\",\"<f8\"]]", 1, &d1, &rec, sizeof rec, 'C'),
        S(doc, "zero_d"), array(doc, "<i8", 0, NULL, &zero_d, 8, 'C'),
        S(doc, "empty"), array(doc, "<f8", 2, d03, NULL, 0, 'C'),
        S(doc, "obj"), oarr,
        S(doc, "mat"), mat,
        S(doc, "plain"), plain,
        S(doc, "sc"), array(doc, "<f8", -1, NULL, &sc, 8, 'C'),
        S(doc, "sbe"), array(doc, ">i4", -1, NULL, be_i4, 4, 'C'),
    };
    uint32_t d = dict(doc, kv, sizeof kv / sizeof kv[0] / 2);
    expect_show(doc, d,
                "$: dict len=21\n"
                "├── .i8: ndarray <i8 (10,) = [0, 1, 2, …, 7, 8, 9]\n"
                "├── .F: ndarray <i2 (2, 3) = [0, 1, 2, 3, 4, 5]\n"
                "├── .be: ndarray <f8 (2,) = [1.5, -2.0]\n"
                "├── .f4: ndarray <f4 (2,) = [0.1, nan]\n"
                "├── .f2: ndarray <f2 (2,) = [0.5, -inf]\n"
                "├── .b1: ndarray |b1 (2,) = [True, False]\n"
                "├── .U: ndarray <U3 (2,) = ['ab', \"é'\"]\n"
                "├── .S: ndarray |S2 (2,) = [b'a', b'\\xff\\x01']\n"
                "├── .V: ndarray |V2 (1,) = [b'\\x00z']\n"
                "├── .M: ndarray <M8[D] (2,) = ['2020-01-01', NaT]\n"
                "├── .m: ndarray <m8[s] (2,) = [5, NaT]\n"
                "├── .c16: ndarray <c16 (1,) = [(1+2j)]\n"
                "├── .c8: ndarray <c8 (2,) = [(0.1-1j), (nan+0j)]\n"
                "├── .rec: ndarray [[\"x\",\"<i4\"],[\"y\",\"<f8\"]] (1,) = [{\"x\":1,\"y\":2.5}]\n"
                "├── .zero_d: ndarray <i8 () = 7\n"
                "├── .empty: ndarray <f8 (0, 3) = []\n"
                "├── .obj: ndarray |O (8,) = [1, 'a', [], …, None, (…), array(…)]\n"
                "├── .mat: ndarray numpy.matrix <i8 (1, 2) = [0, 1]\n"
                "├── .plain: ndarray <i8 (2,) = [0, 1]\n"
                "├── .sc: scalar numpy.float64 <f8 = 2.5\n"
                "└── .sbe: scalar numpy.int32 <i4 = -2");
    /* object items in full, and one element at each end */
    jl_show_opts o;
    jl_show_opts_default(&o);
    o.edge_items = 4;
    expect_line(doc, oarr, &o, "ndarray |O (8,) = [1, 'a', [], {…}, <mymod.Foo>, None, (…), array(…)]");
    o.edge_items = 1;
    expect_line(doc, kv[1], &o, "ndarray <i8 (10,) = [0, …, 9]");
    jl_doc_free(doc);
}

/* ---- limits and failures ------------------------------------------------------------------ */

static void test_limits(void **state) {
    (void)state;
    jl_doc *doc = NULL;
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_open_memory(seed_p4, sizeof seed_p4, 1, NULL, &doc, &err), JL_OK);
    jl_buf b;
    /* the output is bounded by the buffer's max */
    jl_buf_init(&b, NULL, 20);
    assert_int_equal(jl_show(doc, doc->root, "$", NULL, &b, &err), JL_E_LIMIT);
    assert_int_equal(err.code, JL_E_LIMIT);
    assert_string_equal(err.message, "the text of the tree is longer than 20 bytes");
    jl_buf_free(&b);
    /* the nesting by the doc's max_depth */
    doc->limits.max_depth = 1;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_show(doc, doc->root, "$", NULL, &b, &err), JL_E_LIMIT);
    assert_string_equal(err.message, "tree deeper than max_depth (1)");
    jl_buf_free(&b);
    /* unless the depth limit keeps the walk shallower */
    jl_show_opts o;
    jl_show_opts_default(&o);
    o.depth = 1;
    expect_show_opts(doc, doc->root, "$", &o, "$: list len=2\n├── [0]: tuple len=2\n└── [1]: tuple len=2");
    /* not a node */
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_show(doc, (uint32_t)doc->nnodes, "$", NULL, &b, &err), JL_E_ARG);
    jl_buf_free(&b);
    jl_doc_free(doc);
}

static void test_deep(void **state) {
    (void)state;
    /* 3000 nested lists: no recursion, so no stack to overflow (the text
     * grows with the square of the depth: each line carries its branch) */
    jl_doc *doc = new_doc();
    uint32_t inner = I(doc, 1);
    for (int k = 0; k < 3000; k++) inner = seq(doc, JL_LIST, &inner, 1);
    doc->limits.max_depth = 0; /* no bound */
    jl_show_opts o;
    jl_show_opts_default(&o);
    jl_buf b;
    jl_error err;
    jl_error_clear(&err);
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_show(doc, inner, "$", &o, &b, &err), JL_OK);
    const char *last = strrchr(b.p, '\n') + 1;
    assert_int_equal(strlen(last), 2999 * 4 + strlen("└── [0]: int = 1"));
    assert_string_equal(last + 2999 * 4, "└── [0]: int = 1");
    jl_buf_free(&b);
    jl_doc_free(doc);
}

static void test_alloc_failures(void **state) {
    (void)state;
    jl_test_alloc t;
    jl_test_alloc_init(&t, -1);
    jl_doc *doc = jl_doc_new(&t.alloc, NULL);
    assert_non_null(doc);
    /* a tree with every kind of line: refs, big-endian arrays (native
     * dtype + temporary scalar nodes), objects, big ints */
    uint64_t d2 = 2;
    const uint8_t be[16] = { 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0 };
    uint32_t arr = array(doc, ">f8", 1, &d2, be, sizeof be, 'C');
    const uint8_t big[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    uint32_t bi = raw(doc, JL_INT, big, 9);
    doc->nodes[bi].flags |= JL_F_BIG;
    uint32_t kv[] = { S(doc, "a"), arr, S(doc, "b"), arr, S(doc, "n"), bi, S(doc, "s"), S(doc, "text") };
    uint32_t st = dict(doc, kv, 4);
    uint32_t obj = object(doc, global(doc, "m", "C"), JL_NONE, st);
    const char *want = "$: object m.C\n"
                       "├── .a: ndarray <f8 (2,) = [1.5, -2.0]\n"
                       "├── .b: ref → $.a\n"
                       "├── .n: int = 18446744073709551616\n"
                       "└── .s: str = 'text'";
    int done = 0;
    for (long k = 0; k < 200 && !done; k++) {
        long base = t.live;
        uint64_t nodes = doc->nnodes;
        t.fail_after = t.calls + k;
        jl_buf b;
        jl_error err;
        jl_error_clear(&err);
        jl_buf_init(&b, &t.alloc, 0);
        int rc = jl_show(doc, obj, "$", NULL, &b, &err);
        t.fail_after = -1;
        if (rc == JL_OK) {
            /* a preview that could not get its scalar node shows "?"; all
             * allocations allowed: the full text */
            assert_non_null(b.p);
            done = strcmp(b.p, want) == 0;
        } else {
            assert_int_equal(rc, JL_E_NOMEM);
            assert_int_equal(err.code, JL_E_NOMEM);
            assert_string_equal(err.message, "out of memory showing the tree");
        }
        jl_buf_free(&b);
        assert_int_equal(t.live, base); /* show frees all it took */
        assert_int_equal(doc->nnodes, nodes);
    }
    assert_true(done);
    jl_doc_free(doc);
    assert_int_equal(t.live, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed),       cmocka_unit_test(test_atoms),   cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_keys),       cmocka_unit_test(test_refs),    cmocka_unit_test(test_elision),
        cmocka_unit_test(test_objects),    cmocka_unit_test(test_arrays),  cmocka_unit_test(test_limits),
        cmocka_unit_test(test_deep),       cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("show", tests, NULL, NULL);
}
