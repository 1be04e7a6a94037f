/*
 * test_array_build.c - the one array constructor (codec/numpy/array_build.c):
 * every jl_array field it sets, the order rule, the checks of shape x
 * itemsize against the data and of object items, the 1-D length inferred
 * from the data, scalar views, and the exact error messages.
 */
#include <stdarg.h>
#include <string.h>

#include "array_build.h"
#include "dtype.h"
#include "testutil.h"

static uint32_t dtype(jl_doc *d, const char *s) {
    uint32_t dt;
    jl_error err;
    int rc = s[0] == '[' ? jl_dtype_parse_json(d, s, strlen(s), &dt, &err) : jl_dtype_parse(d, s, strlen(s), &dt, &err);
    if (rc != JL_OK) fail_msg("%s: %s", s, err.message);
    return dt;
}

/* n bytes 0, 1, 2, ... in the doc's heap. */
static jl_ref bytes(jl_doc *d, uint64_t n) {
    jl_ref r;
    uint8_t *p = jl_heap_alloc(d, n, &r, NULL);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)i;
    return r;
}

/* Expects jl_array_build to fail with code and message. */
static void want_error(jl_doc *d, const jl_array_spec *s, jl_code code, const char *msg) {
    jl_error err;
    jl_error_clear(&err);
    uint64_t nnodes = d->nnodes;
    assert_int_equal(jl_array_build(d, s, &err), JL_NONE);
    assert_int_equal(err.code, code);
    assert_string_equal(err.message, msg);
    assert_int_equal(d->nnodes, nnodes); /* nothing made */
}

static void test_fields(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint64_t dims[2] = { 2, 3 };
    jl_array_spec s = { dtype(d, "<i4"), dims, 2, 'C', bytes(d, 24), JL_NONE };
    jl_error err;
    uint32_t id = jl_array_build(d, &s, &err);
    assert_int_not_equal(id, JL_NONE);
    assert_int_equal(d->nodes[id].kind, JL_NDARRAY);
    const jl_array *a = jl_array_of(d, id);
    assert_int_equal(a->dtype, s.dtype);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(d->dims[a->dims_at], 2);
    assert_int_equal(d->dims[a->dims_at + 1], 3);
    assert_int_equal(a->order, 'C');
    assert_int_equal(a->origin, JL_ORIGIN_BUILT);
    assert_int_equal(a->is_scalar, 0);
    assert_int_equal(a->cls, JL_NONE);
    assert_int_equal(a->items, JL_NONE);
    assert_int_equal(a->file, JL_NONE);
    assert_true(a->stream_off == JL_NO_OFFSET);
    assert_true(a->data.off == s.data.off && a->data.len == s.data.len && a->data.block == s.data.block);
    assert_int_equal(jl_array_count(d, a), 6);
    /* 0-d: one element, no dims */
    jl_array_spec z = { dtype(d, "<f8"), NULL, 0, 0, bytes(d, 8), JL_NONE };
    id = jl_array_build(d, &z, &err);
    assert_int_not_equal(id, JL_NONE);
    assert_int_equal(jl_array_of(d, id)->ndim, 0);
    assert_int_equal(jl_array_of(d, id)->order, 'C');
    jl_doc_free(d);
}

static void test_order(void **state) {
    (void)state;
    const uint64_t d23[] = { 2, 3 }, d13[] = { 1, 3 }, d20[] = { 2, 0 }, d3[] = { 3 }, d212[] = { 2, 1, 2 };
    assert_int_equal(jl_array_layout_order(d23, 2, 'F'), 'F');
    assert_int_equal(jl_array_layout_order(d23, 2, 'C'), 'C');
    assert_int_equal(jl_array_layout_order(d13, 2, 'F'), 'C'); /* also C-contiguous */
    assert_int_equal(jl_array_layout_order(d20, 2, 'F'), 'C'); /* empty */
    assert_int_equal(jl_array_layout_order(d3, 1, 'F'), 'C');
    assert_int_equal(jl_array_layout_order(d212, 3, 'F'), 'F');
    assert_int_equal(jl_array_layout_order(NULL, 0, 'F'), 'C');
    jl_doc *d = jl_doc_new(NULL, NULL);
    jl_array_spec s = { dtype(d, "|u1"), d23, 2, 'F', bytes(d, 6), JL_NONE };
    jl_error err;
    uint32_t id = jl_array_build(d, &s, &err);
    assert_int_equal(jl_array_of(d, id)->order, 'F');
    s.dims = d13;
    s.data.len = 3;
    id = jl_array_build(d, &s, &err);
    assert_int_equal(jl_array_of(d, id)->order, 'C');
    jl_doc_free(d);
}

static void test_size_errors(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint64_t dims[2] = { 2, 3 };
    jl_array_spec s = { dtype(d, "<f8"), dims, 2, 'C', bytes(d, 40), JL_NONE };
    want_error(d, &s, JL_E_ARG, "shape [2,3] of <f8 needs 48 bytes, data has 40");
    s.dtype = dtype(d, "[[\"x\",\"<i4\"],[\"y\",\">f8\",[2]]]");
    want_error(d, &s, JL_E_ARG, "shape [2,3] of [[\"x\",\"<i4\"],[\"y\",\">f8\",[2]]] needs 120 bytes, data has 40");
    s.ndim = 0;
    s.dtype = dtype(d, "<i4");
    want_error(d, &s, JL_E_ARG, "shape [] of <i4 needs 4 bytes, data has 40");
    uint64_t huge[2] = { (uint64_t)1 << 40, (uint64_t)1 << 40 };
    jl_array_spec h = { s.dtype, huge, 2, 'C', s.data, JL_NONE };
    want_error(d, &h, JL_E_LIMIT, "the element count of a 2-d shape overflows 64 bits");
    uint64_t neg[1] = { UINT64_MAX };
    h.dims = neg;
    h.ndim = 1;
    want_error(d, &h, JL_E_FORMAT, "negative dimension -1 in axis 0 of a shape");
    uint64_t many[JL_MAX_WRITE_DIMS + 1];
    for (unsigned i = 0; i <= JL_MAX_WRITE_DIMS; i++) many[i] = 1;
    h.dims = many;
    h.ndim = JL_MAX_WRITE_DIMS + 1;
    want_error(d, &h, JL_E_ARG, "an array of 33 dimensions (at most 32 are written)");
    h.ndim = 1;
    h.dtype = 99;
    want_error(d, &h, JL_E_ARG, "no dtype 99");
    jl_doc_free(d);
}

static void test_objects(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint32_t kids[2] = { jl_new_int(d, 1, NULL), jl_node_new(d, JL_NULL, NULL) };
    uint32_t list = jl_node_new(d, JL_LIST, NULL);
    assert_int_equal(jl_kids_append(d, list, kids, 2, NULL), JL_OK);
    uint64_t n = 2;
    jl_ref none = { 0, 0, 0 };
    jl_array_spec s = { dtype(d, "|O"), &n, 1, 'C', none, list };
    jl_error err;
    uint32_t id = jl_array_build(d, &s, &err);
    assert_int_not_equal(id, JL_NONE);
    assert_int_equal(jl_array_of(d, id)->items, list);
    n = 3;
    want_error(d, &s, JL_E_ARG, "an array of 3 elements has 2 items");
    s.items = JL_NONE;
    want_error(d, &s, JL_E_ARG, "an array of dtype |O needs the list of its items");
    s.items = kids[0];
    want_error(d, &s, JL_E_ARG, "an array of dtype |O needs the list of its items");
    jl_array_spec b = { dtype(d, "<i8"), &n, 1, 'C', bytes(d, 24), list };
    want_error(d, &b, JL_E_ARG, "an array of dtype <i8 has bytes, not items");
    jl_doc_free(d);
}

static void test_infer(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    uint64_t n = 99;
    jl_error err;
    assert_int_equal(jl_array_infer_len(d, dtype(d, "<f8"), 24, &n, &err), JL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(jl_array_infer_len(d, dtype(d, "<f8"), 0, &n, &err), JL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(jl_array_infer_len(d, dtype(d, "<f8"), 10, &n, &err), JL_E_ARG);
    assert_string_equal(err.message, "data of 10 bytes is not a multiple of the itemsize 8 of <f8");
    assert_int_equal(jl_array_infer_len(d, dtype(d, "|S0"), 10, &n, &err), JL_E_ARG);
    assert_string_equal(err.message, "dtype |S0 has no size: give a shape");
    jl_doc_free(d);
}

static void test_scalar(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    jl_ref r = bytes(d, 16);
    r.off += 8;
    r.len = 8;
    jl_error err;
    uint32_t id = jl_scalar_build(d, dtype(d, "<f8"), r, &err);
    assert_int_not_equal(id, JL_NONE);
    assert_int_equal(d->nodes[id].kind, JL_SCALAR);
    const jl_array *a = jl_array_of(d, id);
    assert_int_equal(a->is_scalar, 1);
    assert_int_equal(a->ndim, 0);
    assert_int_equal(a->origin, JL_ORIGIN_VIEW);
    assert_int_equal(a->order, 'C');
    assert_true(a->stream_off == JL_NO_OFFSET);
    assert_int_equal(a->data.off, r.off);
    assert_int_equal(a->items, JL_NONE);
    jl_doc_free(d);
}

/* The dtype texts the SQL functions take, and descrs for messages. */
static void test_dtype_text(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    static const struct { const char *in; int json; const char *descr; } cases[] = {
        { "<f8", 0, "<f8" },
        { "float32", 0, "<f4" },
        { " [[\"x\",\"<i4\"]]", 0, "[[\"x\",\"<i4\"]]" }, /* JSON by its first character */
        { "\"<u2\"", 0, "<u2" },
        { "\"|S3\"", 1, "|S3" },                         /* JSON by the caller's word */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t t;
        jl_error err;
        if (jl_dtype_parse_text(d, cases[i].in, strlen(cases[i].in), cases[i].json, &t, &err))
            fail_msg("%s: %s", cases[i].in, err.message);
        char descr[64];
        jl_dtype_descr_text(d, t, descr, sizeof descr);
        assert_string_equal(descr, cases[i].descr);
    }
    uint32_t t;
    jl_error err;
    assert_int_not_equal(jl_dtype_parse_text(d, "<f8", 3, 1, &t, &err), JL_OK); /* not JSON */
    char small[4];
    jl_dtype_descr_text(d, dtype(d, "<M8[ns]"), small, sizeof small);
    assert_string_equal(small, "<M8");
    jl_doc_free(d);
}

/* Every allocation failure is reported and leaks nothing. */
static void test_nomem(void **state) {
    (void)state;
    for (long k = 0; k < 40; k++) {
        jl_test_alloc ta;
        jl_test_alloc_init(&ta, -1);
        jl_doc *d = jl_doc_new(&ta.alloc, NULL);
        assert_non_null(d);
        uint64_t dims[2] = { 2, 2 };
        jl_array_spec s = { dtype(d, "<i2"), dims, 2, 'F', bytes(d, 8), JL_NONE };
        ta.fail_after = ta.calls + k;
        jl_error err;
        jl_error_clear(&err);
        uint32_t id = jl_array_build(d, &s, &err);
        if (id == JL_NONE) assert_int_not_equal(err.code, JL_OK);
        else assert_int_equal(jl_array_of(d, id)->order, 'F');
        jl_doc_free(d);
        assert_int_equal(ta.live, 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),   cmocka_unit_test(test_order),  cmocka_unit_test(test_size_errors),
        cmocka_unit_test(test_objects),  cmocka_unit_test(test_infer),  cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_dtype_text), cmocka_unit_test(test_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
