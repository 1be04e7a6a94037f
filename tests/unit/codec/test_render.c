/*
 * test_render.c - JSON rendering of hand-built value trees (render.h):
 * atoms, floats as Python's repr, strings and escapes, big ints, dicts
 * with non-str keys, objects, globals, arrays of each dtype kind, cycles,
 * depth limits and allocation failures.
 */
#include "testutil.h"
#include "treebuild.h"

#include "atomtext.h"
#include "render.h"
#include "text.h"
#include "value.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- builders ------------------------------------------------------------ */


static uint32_t big(jl_doc *doc, const uint8_t *bytes, unsigned n) {
    uint32_t id = jl_new_bytes(doc, JL_INT, bytes, n, NULL);
    doc->nodes[id].flags |= JL_F_BIG;
    return id;
}

static uint32_t dtype(jl_doc *doc, char kind, uint64_t itemsize) {
    uint32_t dt = jl_dtype_new(doc, NULL);
    doc->dtypes[dt].kind = kind;
    doc->dtypes[dt].byteorder = itemsize > 1 && kind != 'S' && kind != 'V' ? '<' : '|';
    doc->dtypes[dt].itemsize = itemsize;
    doc->dtypes[dt].alignment = 1;
    return dt;
}

/* An ndarray (or scalar when ndim < 0) of dtype dt over a copy of data. */
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
    uint8_t *p = jl_heap_alloc(doc, n, &a->data, NULL);
    if (n) memcpy(p, data, n);
    return id;
}

/* Renders id and compares with the expected JSON text. */
static void expect_json(const jl_doc *doc, uint32_t id, const char *want) {
    jl_buf b;
    jl_error err;
    jl_error_clear(&err);
    jl_buf_init(&b, NULL, 0);
    int rc = jl_render_json(doc, id, &b, &err);
    if (rc) fail_msg("render failed: %s", err.message);
    assert_string_equal(b.p, want);
    jl_buf_free(&b);
}

static void expect_error(const jl_doc *doc, uint32_t id, int code, const char *msg) {
    jl_buf b;
    jl_error err;
    jl_error_clear(&err);
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_render_json(doc, id, &b, &err), code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.message, msg);
    jl_buf_free(&b);
}

/* ---- tests --------------------------------------------------------------- */

static void test_atoms(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    expect_json(doc, jl_node_new(doc, JL_NULL, NULL), "null");
    expect_json(doc, jl_new_bool(doc, 1, NULL), "true");
    expect_json(doc, jl_new_bool(doc, 0, NULL), "false");
    expect_json(doc, I(doc, 0), "0");
    expect_json(doc, I(doc, -42), "-42");
    expect_json(doc, I(doc, INT64_MIN), "-9223372036854775808");
    double c[2] = { 1.5, -2.0 };
    expect_json(doc, jl_new_bytes(doc, JL_COMPLEX, c, 16, NULL), "[1.5,-2.0]");
    c[0] = NAN;
    expect_json(doc, jl_new_bytes(doc, JL_COMPLEX, c, 16, NULL), "[null,-2.0]");
    expect_json(doc, global(doc, "collections", "OrderedDict"), "\"collections.OrderedDict\"");
    jl_doc_free(doc);
}

static void test_floats(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    static const struct { double v; const char *text; } cases[] = {
        { 1.5, "1.5" },       { 1.0, "1.0" },          { 0.0, "0.0" },
        { -0.0, "-0.0" },     { 0.1, "0.1" },          { 1.0 / 3, "0.3333333333333333" },
        { 1e16, "1e+16" },    { 1e15, "1000000000000000.0" }, { 1e-4, "0.0001" },
        { 1e-5, "1e-05" },    { 1.5e-7, "1.5e-07" },   { 123456789012345678.0, "1.2345678901234568e+17" },
        { 5e-324, "5e-324" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
        { 100.0, "100.0" },   { -2.5e100, "-2.5e+100" }, { 0.30000000000000004, "0.30000000000000004" },
    };
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++)
        expect_json(doc, jl_new_float(doc, cases[k].v, NULL), cases[k].text);
    expect_json(doc, jl_new_float(doc, NAN, NULL), "null");
    expect_json(doc, jl_new_float(doc, INFINITY, NULL), "null");
    expect_json(doc, jl_new_float(doc, -INFINITY, NULL), "null");
    jl_doc_free(doc);
}

static void test_strings(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    expect_json(doc, S(doc, ""), "\"\"");
    expect_json(doc, S(doc, "C'est l'\xc3\xa9t\xc3\xa9 !"), "\"C'est l'\xc3\xa9t\xc3\xa9 !\"");
    expect_json(doc, S(doc, "a\"b\\c\n\t\x01\x1f\x7f"), "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f\"");
    /* a lone surrogate (WTF-8 ED A0 80) and a 4-byte char */
    expect_json(doc, S(doc, "x\xed\xa0\x80y\xf0\x9f\x98\x80"), "\"x\\ud800y\xf0\x9f\x98\x80\"");
    /* bytes that are not UTF-8 */
    expect_json(doc, S(doc, "\xff\xc3"), "\"\\ufffd\\ufffd\"");
    /* bytes and bytearray as base64 */
    expect_json(doc, jl_new_bytes(doc, JL_BYTES, "", 0, NULL), "\"\"");
    expect_json(doc, jl_new_bytes(doc, JL_BYTES, "f", 1, NULL), "\"Zg==\"");
    expect_json(doc, jl_new_bytes(doc, JL_BYTES, "fo", 2, NULL), "\"Zm8=\"");
    expect_json(doc, jl_new_bytes(doc, JL_BYTEARRAY, "foo", 3, NULL), "\"Zm9v\"");
    expect_json(doc, jl_new_bytes(doc, JL_BYTES, "\x00\xff\xfe\x01", 4, NULL), "\"AP/+AQ==\"");
    /* Python 2 str: text when ASCII, base64 otherwise */
    uint32_t p2 = S(doc, "abc");
    doc->nodes[p2].flags |= JL_F_PY2;
    expect_json(doc, p2, "\"abc\"");
    p2 = jl_new_bytes(doc, JL_STR, "\xe9t\xe9", 3, NULL);
    doc->nodes[p2].flags |= JL_F_PY2;
    expect_json(doc, p2, "\"6XTp\"");
    jl_doc_free(doc);
}

static void test_big_ints(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    static const uint8_t two64[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t m2_63_1[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff }; /* -2**63-1 */
    static const uint8_t minus1[] = { 0xff, 0xff };                                            /* not minimal */
    static const uint8_t m128[] = { 0x80 };
    static const uint8_t p255[] = { 0xff, 0x00 };
    expect_json(doc, big(doc, two64, sizeof two64), "18446744073709551616");
    expect_json(doc, big(doc, m2_63_1, sizeof m2_63_1), "-9223372036854775809");
    expect_json(doc, big(doc, minus1, sizeof minus1), "-1");
    expect_json(doc, big(doc, m128, 1), "-128");
    expect_json(doc, big(doc, p255, 2), "255");
    expect_json(doc, big(doc, NULL, 0), "0");
    /* 10**40, as Python's LONG1 writes it */
    static const uint8_t e40[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x61, 0xf5, 0xb9, 0xab,
                                   0xbf, 0xa4, 0x5c, 0xc3, 0xf1, 0x29, 0x63, 0x1d, 0x00 };
    expect_json(doc, big(doc, e40, sizeof e40), "10000000000000000000000000000000000000000");
    /* jl_render_int on a small int and in a dict key */
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_render_int(doc, I(doc, -7), &b), JL_OK);
    assert_string_equal(b.p, "-7");
    jl_buf_free(&b);
    uint32_t kv[2] = { big(doc, two64, sizeof two64), I(doc, 1) };
    expect_json(doc, seq(doc, JL_DICT, kv, 2), "{\"18446744073709551616\":1}");
    jl_doc_free(doc);
}

static void test_containers(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t ab[2] = { I(doc, 1), S(doc, "a") };
    uint32_t tup = seq(doc, JL_TUPLE, ab, 2);
    expect_json(doc, tup, "[1,\"a\"]");
    expect_json(doc, seq(doc, JL_LIST, NULL, 0), "[]");
    expect_json(doc, seq(doc, JL_SET, ab, 2), "[1,\"a\"]");
    expect_json(doc, seq(doc, JL_FROZENSET, ab, 1), "[1]");
    expect_json(doc, seq(doc, JL_DICT, NULL, 0), "{}");
    uint32_t kv[] = {
        S(doc, "s"),                        I(doc, 1),
        I(doc, 3),                          I(doc, 2),
        jl_node_new(doc, JL_NULL, NULL),    I(doc, 3),
        jl_new_bool(doc, 1, NULL),          I(doc, 4),
        tup,                                I(doc, 5),
        jl_new_float(doc, 1.5, NULL),       I(doc, 6),
        jl_new_bytes(doc, JL_BYTES, "f", 1, NULL), I(doc, 7),
        S(doc, "q\""),                      tup,
        jl_new_float(doc, NAN, NULL),       I(doc, 8),
        jl_new_float(doc, -INFINITY, NULL), I(doc, 9),
    };
    uint32_t d = seq(doc, JL_DICT, kv, sizeof kv / sizeof kv[0]);
    expect_json(doc, d,
                "{\"s\":1,\"3\":2,\"null\":3,\"true\":4,\"[1,\\\"a\\\"]\":5,\"1.5\":6,\"Zg==\":7,"
                "\"q\\\"\":[1,\"a\"],\"NaN\":8,\"-Infinity\":9}");
    /* shared (not cyclic) nodes are rendered at each occurrence */
    uint32_t twice[2] = { tup, tup };
    expect_json(doc, seq(doc, JL_LIST, twice, 2), "[[1,\"a\"],[1,\"a\"]]");
    jl_doc_free(doc);
}

static void test_objects(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t cls = global(doc, "sklearn.preprocessing._data", "StandardScaler");
    uint32_t kv[] = { S(doc, "with_mean"), jl_new_bool(doc, 1, NULL), S(doc, "n"), I(doc, 4) };
    uint32_t st = seq(doc, JL_DICT, kv, 4);
    uint32_t empty = seq(doc, JL_TUPLE, NULL, 0);
    expect_json(doc, object(doc, cls, empty, st),
                "{\"__class__\":\"sklearn.preprocessing._data.StandardScaler\",\"with_mean\":true,\"n\":4}");
    uint32_t a[2] = { I(doc, 1), S(doc, "x") };
    uint32_t args = seq(doc, JL_TUPLE, a, 2);
    uint32_t nd_state = seq(doc, JL_TUPLE, a, 1);
    expect_json(doc, object(doc, global(doc, "m", "C"), args, nd_state),
                "{\"__class__\":\"m.C\",\"__args__\":[1,\"x\"],\"__state__\":[1]}");
    expect_json(doc, object(doc, global(doc, "m", "C"), args, st),
                "{\"__class__\":\"m.C\",\"__args__\":[1,\"x\"],\"with_mean\":true,\"n\":4}");
    uint32_t o = object(doc, global(doc, "m", "L"), JL_NONE, JL_NONE);
    doc->objects[doc->nodes[o].u.ext].listitems = args;
    expect_json(doc, o, "{\"__class__\":\"m.L\",\"__items__\":[1,\"x\"]}");
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_render_class(doc, o, &b), 1);
    assert_string_equal(b.p, "m.L");
    b.len = 0;
    assert_int_equal(jl_render_class(doc, cls, &b), 1);
    assert_string_equal(b.p, "sklearn.preprocessing._data.StandardScaler");
    b.len = 0;
    assert_int_equal(jl_render_class(doc, args, &b), 0);
    assert_int_equal(b.len, 0);
    jl_buf_free(&b);
    jl_doc_free(doc);
}

static void test_arrays(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    int64_t iv[6] = { 0, 1, 2, 3, -4, 5 };
    uint64_t dims23[2] = { 2, 3 }, dims6[1] = { 6 }, dims20[2] = { 2, 0 }, dims032[3] = { 0, 3, 2 };
    uint32_t i8 = dtype(doc, 'i', 8);
    expect_json(doc, array(doc, i8, 2, dims23, iv, sizeof iv), "[[0,1,2],[3,-4,5]]");
    expect_json(doc, array(doc, i8, 1, dims6, iv, sizeof iv), "[0,1,2,3,-4,5]");
    expect_json(doc, array(doc, i8, 2, dims20, NULL, 0), "[[],[]]");
    expect_json(doc, array(doc, i8, 3, dims032, NULL, 0), "[]");
    expect_json(doc, array(doc, i8, 0, NULL, iv + 5, 8), "5");
    uint64_t d222[3] = { 2, 1, 3 };
    expect_json(doc, array(doc, i8, 3, d222, iv, sizeof iv), "[[[0,1,2]],[[3,-4,5]]]");

    double fv[3] = { 1.5, NAN, -INFINITY };
    uint64_t d3[1] = { 3 };
    expect_json(doc, array(doc, dtype(doc, 'f', 8), 1, d3, fv, sizeof fv), "[1.5,null,null]");
    float f4[2] = { 0.1f, 3.0f };
    uint64_t d2[1] = { 2 };
    expect_json(doc, array(doc, dtype(doc, 'f', 4), 1, d2, f4, sizeof f4), "[0.1,3.0]");
    uint16_t f2[2] = { 0x2E66, 0x3C00 }; /* float16 0.1, 1.0 */
    expect_json(doc, array(doc, dtype(doc, 'f', 2), 1, d2, f2, sizeof f2), "[0.1,1.0]");
    uint8_t bv[2] = { 1, 0 };
    expect_json(doc, array(doc, dtype(doc, 'b', 1), 1, d2, bv, 2), "[true,false]");
    uint8_t u1[2] = { 255, 7 };
    expect_json(doc, array(doc, dtype(doc, 'u', 1), 1, d2, u1, 2), "[255,7]");
    uint64_t u8v[1] = { UINT64_MAX };
    uint64_t d1[1] = { 1 };
    expect_json(doc, array(doc, dtype(doc, 'u', 8), 1, d1, u8v, 8), "[18446744073709551615]");
    double cv[2] = { 1.0, -0.5 };
    expect_json(doc, array(doc, dtype(doc, 'c', 16), 1, d1, cv, 16), "[[1.0,-0.5]]");

    /* strings: S strips trailing NULs and is latin-1 text (one code point
     * per byte, issue 12: was base64 when not ASCII); U is UCS-4 */
    expect_json(doc, array(doc, dtype(doc, 'S', 3), 1, d2, "ab\0\xff\0\0", 6), "[\"ab\",\"\\u00ff\"]");
    expect_json(doc, array(doc, dtype(doc, 'S', 3), 1, d2, "\"\n\x80\x01\0\x7f", 6), "[\"\\\"\\n\\u0080\",\"\\u0001\\u0000\x7f\"]");
    uint32_t uv[4] = { 'h', 0xE9, 0, 0 };
    uint32_t uv2[4] = { 0x1F600, 'x', 0xD800, 0 };
    uint32_t ucs[8];
    memcpy(ucs, uv, 16);
    memcpy(ucs + 4, uv2, 16);
    expect_json(doc, array(doc, dtype(doc, 'U', 16), 1, d2, ucs, 32),
                "[\"h\xc3\xa9\",\"\xf0\x9f\x98\x80x\\ud800\"]");
    expect_json(doc, array(doc, dtype(doc, 'V', 2), 1, d1, "\x01\x02", 2), "[\"AQI=\"]");

    /* datetime64 in several units, NaT */
    uint32_t ms = dtype(doc, 'M', 8);
    strcpy(doc->dtypes[ms].unit, "s");
    int64_t tv[3] = { 1577934245, -1, INT64_MIN };
    expect_json(doc, array(doc, ms, 1, d3, tv, sizeof tv), "[\"2020-01-02T03:04:05\",\"1969-12-31T23:59:59\",null]");
    uint32_t mns = dtype(doc, 'M', 8);
    strcpy(doc->dtypes[mns].unit, "ns");
    int64_t tn[1] = { 4611686018427387904LL };
    expect_json(doc, array(doc, mns, 1, d1, tn, 8), "[\"2116-02-20T23:53:38.427387904\"]");
    uint32_t mD = dtype(doc, 'M', 8);
    strcpy(doc->dtypes[mD].unit, "D");
    int64_t td[2] = { 18262, -719528 };
    expect_json(doc, array(doc, mD, 1, d2, td, 16), "[\"2020-01-01\",\"0000-01-01\"]");
    uint32_t mY = dtype(doc, 'M', 8);
    strcpy(doc->dtypes[mY].unit, "Y");
    int64_t ty[2] = { 1, -1971 };
    expect_json(doc, array(doc, mY, 1, d2, ty, 16), "[\"1971\",\"-001\"]");
    uint32_t m3h = dtype(doc, 'M', 8);
    strcpy(doc->dtypes[m3h].unit, "h");
    doc->dtypes[m3h].unit_num = 3;
    int64_t th[1] = { -1 };
    expect_json(doc, array(doc, m3h, 1, d1, th, 8), "[\"1969-12-31T21\"]");
    uint32_t mM = dtype(doc, 'M', 8);
    strcpy(doc->dtypes[mM].unit, "M");
    int64_t tm[1] = { -1 };
    expect_json(doc, array(doc, mM, 1, d1, tm, 8), "[\"1969-12\"]");
    uint32_t td64 = dtype(doc, 'm', 8);
    strcpy(doc->dtypes[td64].unit, "s");
    expect_json(doc, array(doc, td64, 1, d3, tv, sizeof tv), "[1577934245,-1,null]");

    /* a scalar */
    double one5 = 1.5;
    uint32_t sc = array(doc, dtype(doc, 'f', 8), -1, NULL, &one5, 8);
    expect_json(doc, sc, "1.5");
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_render_class(doc, sc, &b), 1);
    assert_string_equal(b.p, "numpy.float64");
    jl_buf_free(&b);
    jl_doc_free(doc);
}

static void test_structured_and_object_arrays(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    /* [('x', '<i4'), ('y', '<f8', (2,))] */
    uint32_t i4 = dtype(doc, 'i', 4), f8 = dtype(doc, 'f', 8);
    uint32_t sub = dtype(doc, 'V', 16);
    doc->dtypes[sub].sub_base = f8;
    doc->dtypes[sub].sub_ndim = 1;
    doc->dtypes[sub].sub_dims_at = jl_dims_new(doc, 1, NULL);
    doc->dims[doc->dtypes[sub].sub_dims_at] = 2;
    uint32_t rec = dtype(doc, 'V', 20);
    uint32_t fa = jl_fields_new(doc, 2, NULL);
    doc->dtypes[rec].nfields = 2;
    doc->dtypes[rec].fields_at = fa;
    memcpy(jl_heap_alloc(doc, 1, &doc->fields[fa].name, NULL), "x", 1);
    doc->fields[fa].dtype = i4;
    doc->fields[fa].offset = 0;
    memcpy(jl_heap_alloc(doc, 1, &doc->fields[fa + 1].name, NULL), "y", 1);
    doc->fields[fa + 1].dtype = sub;
    doc->fields[fa + 1].offset = 4;
    uint8_t data[40];
    int32_t x = 7;
    double y[2] = { 0.5, -1.0 };
    memcpy(data, &x, 4);
    memcpy(data + 4, y, 16);
    x = -1;
    y[0] = 2.0;
    memcpy(data + 20, &x, 4);
    memcpy(data + 24, y, 16);
    uint64_t d2[1] = { 2 };
    expect_json(doc, array(doc, rec, 1, d2, data, 40), "[{\"x\":7,\"y\":[0.5,-1.0]},{\"x\":-1,\"y\":[2.0,-1.0]}]");

    /* object array (2, 2) nested by shape through its items */
    uint32_t od = dtype(doc, 'O', 8);
    doc->dtypes[od].has_object = 1;
    uint32_t inner[1] = { I(doc, 3) };
    uint32_t it[4] = { S(doc, "a"), jl_node_new(doc, JL_NULL, NULL), seq(doc, JL_LIST, inner, 1), I(doc, 4) };
    uint32_t items = seq(doc, JL_LIST, it, 4);
    uint64_t d22[2] = { 2, 2 };
    uint32_t oa = array(doc, od, 2, d22, NULL, 0);
    doc->arrays[doc->nodes[oa].u.ext].items = items;
    expect_json(doc, oa, "[[\"a\",null],[[3],4]]");
    /* items not matching the shape are shown flat */
    uint64_t d3[1] = { 3 };
    uint32_t ob = array(doc, od, 1, d3, NULL, 0);
    doc->arrays[doc->nodes[ob].u.ext].items = items;
    expect_json(doc, ob, "[\"a\",null,[3],4]");
    jl_doc_free(doc);
}

static void test_cycles(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t l = seq(doc, JL_LIST, NULL, 0);
    uint32_t one = I(doc, 1);
    assert_int_equal(jl_kids_append(doc, l, &one, 1, NULL), JL_OK);
    assert_int_equal(jl_kids_append(doc, l, &l, 1, NULL), JL_OK);
    expect_json(doc, l, "[1,{\"__ref__\":\"$\"}]");
    /* a cycle through a dict and an object's state */
    uint32_t d = seq(doc, JL_DICT, NULL, 0);
    uint32_t o = object(doc, global(doc, "m", "C"), JL_NONE, d);
    uint32_t kv[2] = { S(doc, "self"), o };
    assert_int_equal(jl_kids_append(doc, d, kv, 2, NULL), JL_OK);
    uint32_t top[1] = { o };
    expect_json(doc, seq(doc, JL_LIST, top, 1),
                "[{\"__class__\":\"m.C\",\"self\":{\"__ref__\":\"$[0]\"}}]");
    jl_doc_free(doc);
}

/* depth lists nested in each other, the innermost empty */
static uint32_t nested(jl_doc *doc, unsigned depth) {
    uint32_t cur = seq(doc, JL_LIST, NULL, 0);
    for (unsigned k = 1; k < depth; k++) cur = seq(doc, JL_LIST, &cur, 1);
    return cur;
}

static void test_depth(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t deep = nested(doc, 100000);
    jl_buf b;
    jl_error err;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_render_json(doc, deep, &b, &err), JL_OK);
    assert_int_equal(b.len, 200000);
    assert_int_equal(b.p[99999], '[');
    assert_int_equal(b.p[100000], ']');
    jl_buf_free(&b);
    uint32_t deeper = seq(doc, JL_LIST, &deep, 1);
    expect_error(doc, deeper, JL_E_LIMIT, "JSON nesting deeper than max_depth (100000)");
    doc->limits.max_depth = 10;
    expect_json(doc, nested(doc, 10), "[[[[[[[[[[]]]]]]]]]]");
    expect_error(doc, nested(doc, 11), JL_E_LIMIT, "JSON nesting deeper than max_depth (10)");
    /* a deep cycle is found through the bitmap */
    doc->limits.max_depth = 0;
    uint32_t ring = seq(doc, JL_LIST, NULL, 0), cur = ring;
    for (unsigned k = 0; k < 200; k++) cur = seq(doc, JL_LIST, &cur, 1);
    assert_int_equal(jl_kids_append(doc, ring, &cur, 1, NULL), JL_OK);
    jl_buf_init(&b, NULL, 0);
    jl_error_clear(&err);
    assert_int_equal(jl_render_json(doc, cur, &b, &err), JL_OK);
    /* 201 lists open, then the ring closes on the outermost */
    assert_true(strstr(b.p, "[{\"__ref__\":\"$\"}]") != NULL);
    assert_int_equal(b.len, 201 + strlen("{\"__ref__\":\"$\"}") + 201);
    jl_buf_free(&b);
    jl_doc_free(doc);
}

static void test_alloc_failures(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t kv[] = { S(doc, "k"), jl_new_float(doc, 0.25, NULL), seq(doc, JL_TUPLE, NULL, 0), S(doc, "v") };
    uint32_t d = seq(doc, JL_DICT, kv, 4);
    uint32_t l[3] = { d, nested(doc, 100), d };
    uint32_t top = seq(doc, JL_LIST, l, 3);
    int ok = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        jl_test_alloc t;
        jl_test_alloc_init(&t, n);
        jl_buf b;
        jl_error err;
        jl_error_clear(&err);
        jl_buf_init(&b, &t.alloc, 0);
        int rc = jl_render_json(doc, top, &b, &err);
        if (rc == JL_OK) {
            ok = 1;
            char want[400];
            strcpy(want, "[{\"k\":0.25,\"[]\":\"v\"},");
            for (int k = 0; k < 100; k++) strcat(want, "[");
            for (int k = 0; k < 100; k++) strcat(want, "]");
            strcat(want, ",{\"k\":0.25,\"[]\":\"v\"}]");
            assert_string_equal(b.p, want);
        } else {
            assert_int_equal(rc, JL_E_NOMEM);
            assert_string_equal(err.message, "out of memory rendering JSON");
        }
        jl_buf_free(&b);
        assert_int_equal(t.live, 0);
    }
    assert_true(ok);
    /* a buffer limit is reported as such */
    jl_buf b;
    jl_error err;
    jl_buf_init(&b, NULL, 10);
    assert_int_equal(jl_render_json(doc, top, &b, &err), JL_E_LIMIT);
    assert_string_equal(err.message, "JSON text longer than the buffer limit (10 bytes)");
    jl_buf_free(&b);
    jl_doc_free(doc);
}

static void test_string_helpers(void **state) {
    (void)state;
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    jl_json_string(&b, "a\x08\x0c\r/", 5);
    assert_string_equal(b.p, "\"a\\b\\f\\r/\"");
    b.len = 0;
    jl_render_double(&b, 2.0);
    assert_string_equal(b.p, "2.0");
    jl_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atoms),       cmocka_unit_test(test_floats),
        cmocka_unit_test(test_strings),     cmocka_unit_test(test_big_ints),
        cmocka_unit_test(test_containers),  cmocka_unit_test(test_objects),
        cmocka_unit_test(test_arrays),      cmocka_unit_test(test_structured_and_object_arrays),
        cmocka_unit_test(test_cycles),      cmocka_unit_test(test_depth),
        cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_string_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
