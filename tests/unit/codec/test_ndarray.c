/*
 * test_ndarray.c - array data helpers (codec/numpy/ndarray.c): native C-order
 * bytes (zero copy or converted: F->C transposition, byte swapping), rows
 * along the first axis as scalar / view nodes, shapes as JSON. Arrays are
 * built by hand; expected bytes come from numpy 1.24 (tobytes('A')).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dtype.h"
#include "ndarray.h"
#include "testutil.h"

static jl_error E;

/* An ndarray node of dtype `dt`, shape dims[0..ndim), `order`, holding a
 * heap copy of data[0..n). */
static uint32_t make_array(jl_doc *d, const char *dt, const uint64_t *dims, unsigned ndim, char order,
                           const void *data, uint64_t n) {
    uint32_t dtype;
    assert_int_equal(jl_dtype_parse(d, dt, strlen(dt), &dtype, &E), JL_OK);
    jl_ref ref;
    uint8_t *p = jl_heap_alloc(d, n, &ref, &E);
    assert_non_null(p);
    if (n) memcpy(p, data, n);
    uint32_t at = jl_dims_new(d, ndim, &E);
    for (unsigned i = 0; i < ndim; i++) d->dims[at + i] = dims[i];
    uint32_t ai = jl_array_new(d, &E);
    uint32_t id = jl_node_new(d, JL_NDARRAY, &E);
    d->nodes[id].u.ext = ai;
    jl_array *a = &d->arrays[ai];
    a->dtype = dtype;
    a->dims_at = at;
    a->ndim = (uint8_t)ndim;
    a->order = order;
    a->data = ref;
    a->stream_off = 240;
    return id;
}

/* An object array: items are int nodes 100, 101, ... in C order. */
static uint32_t make_object_array(jl_doc *d, const uint64_t *dims, unsigned ndim, uint64_t nitems) {
    uint32_t id = make_array(d, "|O", dims, ndim, 'C', NULL, 0);
    uint32_t list = jl_node_new(d, JL_LIST, &E);
    for (uint64_t i = 0; i < nitems; i++) {
        uint32_t k = jl_new_int(d, 100 + (int64_t)i, &E);
        assert_int_equal(jl_kids_append(d, list, &k, 1, &E), JL_OK);
    }
    jl_array_of(d, id)->items = list;
    return id;
}

static void expect_native(jl_doc *d, uint32_t id, const uint8_t *want, uint64_t n, int zero_copy) {
    const uint8_t *p;
    uint64_t len;
    uint8_t *owned;
    jl_error err;
    if (jl_array_native_bytes(d, id, &p, &len, &owned, &err)) fail_msg("native bytes: %s", err.message);
    assert_int_equal(len, n);
    assert_memory_equal(p, want, n);
    if (zero_copy) {
        assert_null(owned);
        assert_ptr_equal(p, jl_ref_ptr(d, jl_array_of(d, id)->data));
    } else {
        assert_non_null(owned);
        assert_ptr_equal(p, owned);
    }
    jl_free(&d->alloc, owned);
}

static const char *shape_of(jl_doc *d, uint32_t id) {
    static char out[128];
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_array_shape_json(d, jl_array_of(d, id), &b), JL_OK);
    strcpy(out, b.p);
    jl_buf_free(&b);
    return out;
}

static jl_doc *new_doc(void) {
    jl_doc *d = jl_doc_new(NULL, NULL);
    assert_non_null(d);
    return d;
}

/* docs/FORMAT.md 3.6: asfortranarray(arange(6,'>i2').reshape(2,3)) */
static void test_format_example(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    static const uint8_t f_be[] = {0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x04, 0x00, 0x02, 0x00, 0x05};
    static const uint8_t c_le[] = {0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0};
    uint32_t id = make_array(d, ">i2", (uint64_t[]){2, 3}, 2, 'F', f_be, sizeof f_be);
    expect_native(d, id, c_le, sizeof c_le, 0);
    /* the stored bytes are untouched */
    assert_memory_equal(jl_ref_ptr(d, jl_array_of(d, id)->data), f_be, sizeof f_be);
    assert_string_equal(shape_of(d, id), "[2,3]");
    jl_doc_free(d);
}

static void test_native_bytes(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    /* C order, native: zero copy */
    int64_t five[5] = {0, 1, 2, 3, 4};
    uint32_t id = make_array(d, "<i8", (uint64_t[]){5}, 1, 'C', five, sizeof five);
    expect_native(d, id, (const uint8_t *)five, sizeof five, 1);
    /* 1-D F order is the same layout */
    id = make_array(d, "<i8", (uint64_t[]){5}, 1, 'F', five, sizeof five);
    expect_native(d, id, (const uint8_t *)five, sizeof five, 1);
    /* F order with a single long axis: same bytes too */
    id = make_array(d, "<i8", (uint64_t[]){1, 5}, 2, 'F', five, sizeof five);
    expect_native(d, id, (const uint8_t *)five, sizeof five, 1);
    /* 3-d Fortran order, from numpy */
    static const uint8_t f3[] = {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23};
    uint8_t c3[24];
    for (int i = 0; i < 24; i++) c3[i] = (uint8_t)i;
    id = make_array(d, "u1", (uint64_t[]){2, 3, 4}, 3, 'F', f3, sizeof f3);
    expect_native(d, id, c3, 24, 0);
    /* big-endian C order: swapped copy */
    static const uint8_t be[] = {0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0};
    double want[2] = {1.5, -2.0};
    id = make_array(d, ">f8", (uint64_t[]){2}, 1, 'C', be, sizeof be);
    expect_native(d, id, (const uint8_t *)want, sizeof want, 0);
    /* zero-size arrays */
    id = make_array(d, ">f8", (uint64_t[]){0, 3}, 2, 'F', NULL, 0);
    expect_native(d, id, (const uint8_t *)"", 0, 0);
    id = make_array(d, "<f8", (uint64_t[]){0}, 1, 'C', NULL, 0);
    {
        const uint8_t *p;
        uint64_t n;
        uint8_t *owned;
        assert_int_equal(jl_array_native_bytes(d, id, &p, &n, &owned, &E), JL_OK);
        assert_int_equal(n, 0);
        assert_null(owned);
        assert_non_null(p);
    }
    /* a 0-d scalar record */
    id = make_array(d, ">i4", NULL, 0, 'C', "\x00\x00\x01\x02", 4);
    d->nodes[id].kind = JL_SCALAR;
    jl_array_of(d, id)->is_scalar = 1;
    expect_native(d, id, (const uint8_t *)"\x02\x01\x00\x00", 4, 0);
    assert_string_equal(shape_of(d, id), "[]");
    jl_doc_free(d);
}

static void test_native_errors(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    const uint8_t *p;
    uint64_t n;
    uint8_t *owned;
    jl_error err;
    uint32_t id = make_object_array(d, (uint64_t[]){3}, 1, 3);
    assert_int_equal(jl_array_native_bytes(d, id, &p, &n, &owned, &err), JL_E_ARG);
    assert_string_equal(err.message, "an object array has no fixed-size element bytes");
    /* data shorter than the shape */
    id = make_array(d, "<i4", (uint64_t[]){2, 3}, 2, 'C', "abcdefgh", 8);
    assert_int_equal(jl_array_native_bytes(d, id, &p, &n, &owned, &err), JL_E_FORMAT);
    assert_string_equal(err.message, "array data holds 8 bytes, its shape needs 24");
    assert_int_equal(err.offset, 240);
    /* not an array */
    uint32_t s = jl_new_int(d, 3, &E);
    assert_int_equal(jl_array_native_bytes(d, s, &p, &n, &owned, &err), JL_E_ARG);
    assert_string_equal(err.message, "a int node is not an array");
    /* a conversion larger than max_alloc */
    uint8_t buf[24] = {0};
    id = make_array(d, ">i8", (uint64_t[]){3}, 1, 'C', buf, 24);
    d->limits.max_alloc = 16;
    assert_int_equal(jl_array_native_bytes(d, id, &p, &n, &owned, &err), JL_E_LIMIT);
    jl_doc_free(d);
}

static void test_rows_1d(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    int32_t v[4] = {10, -20, 30, 40};
    uint32_t id = make_array(d, "<i4", (uint64_t[]){4}, 1, 'C', v, sizeof v);
    jl_error err;
    uint32_t r = jl_array_row(d, id, 1, &err);
    assert_int_not_equal(r, JL_NONE);
    assert_int_equal(d->nodes[r].kind, JL_SCALAR);
    const jl_array *a = jl_array_of(d, r);
    assert_int_equal(a->is_scalar, 1);
    assert_int_equal(a->ndim, 0);
    assert_int_equal(a->origin, JL_ORIGIN_VIEW);
    assert_int_equal(a->data.len, 4);
    assert_int_equal(a->stream_off, 244);
    assert_int_equal(a->dtype, jl_array_of(d, id)->dtype);
    expect_native(d, r, (const uint8_t *)&v[1], 4, 1);
    /* out of range: JL_NONE, no error */
    strcpy(err.message, "junk");
    assert_int_equal(jl_array_row(d, id, 4, &err), JL_NONE);
    assert_int_equal(err.code, JL_OK);
    assert_string_equal(err.message, "");
    /* big-endian element: the scalar keeps the stored dtype, its native bytes are swapped */
    id = make_array(d, ">u2", (uint64_t[]){3}, 1, 'C', "\x00\x01\x00\x02\x01\x00", 6);
    r = jl_array_row(d, id, 2, &err);
    expect_native(d, r, (const uint8_t *)"\x00\x01", 2, 0);
    /* object arrays give the item itself */
    id = make_object_array(d, (uint64_t[]){3}, 1, 3);
    r = jl_array_row(d, id, 2, &err);
    assert_int_equal(d->nodes[r].kind, JL_INT);
    assert_int_equal(d->nodes[r].u.i, 102);
    /* an object array with fewer items than its shape */
    id = make_object_array(d, (uint64_t[]){3}, 1, 2);
    assert_int_equal(jl_array_row(d, id, 2, &err), JL_NONE);
    assert_int_equal(err.code, JL_E_FORMAT);
    /* 0-d and non-arrays have no rows */
    id = make_array(d, "<i4", NULL, 0, 'C', v, 4);
    assert_int_equal(jl_array_row(d, id, 0, &err), JL_NONE);
    assert_int_equal(err.code, JL_OK);
    jl_doc_free(d);
}

static void test_rows_nd(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint8_t c12[12];
    for (int i = 0; i < 12; i++) c12[i] = (uint8_t)i;
    /* C order (3,4): a view sharing the parent's block */
    uint32_t id = make_array(d, "u1", (uint64_t[]){3, 4}, 2, 'C', c12, 12);
    jl_error err;
    uint32_t r = jl_array_row(d, id, 1, &err);
    assert_int_equal(d->nodes[r].kind, JL_NDARRAY);
    const jl_array *a = jl_array_of(d, r), *pa = jl_array_of(d, id);
    assert_int_equal(a->ndim, 1);
    assert_int_equal(a->origin, JL_ORIGIN_VIEW);
    assert_int_equal(a->order, 'C');
    assert_int_equal(a->data.block, pa->data.block);
    assert_int_equal(a->data.off, pa->data.off + 4);
    assert_int_equal(a->stream_off, 244);
    assert_string_equal(shape_of(d, r), "[4]");
    expect_native(d, r, (const uint8_t[]){4, 5, 6, 7}, 4, 1);
    /* ... and a row of the row */
    uint32_t e = jl_array_row(d, r, 3, &err);
    assert_int_equal(d->nodes[e].kind, JL_SCALAR);
    expect_native(d, e, (const uint8_t[]){7}, 1, 1);

    /* F order (3,4) from numpy: the row is materialized in C order */
    static const uint8_t f34[] = {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11};
    id = make_array(d, "u1", (uint64_t[]){3, 4}, 2, 'F', f34, 12);
    r = jl_array_row(d, id, 2, &err);
    a = jl_array_of(d, r);
    assert_int_equal(a->order, 'C');
    assert_int_equal(a->stream_off, JL_NO_OFFSET);
    expect_native(d, r, (const uint8_t[]){8, 9, 10, 11}, 4, 1);

    /* F order (2,3,4): row 1 is the C-order block 12..23, shape (3,4) */
    static const uint8_t f3[] = {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23};
    id = make_array(d, "u1", (uint64_t[]){2, 3, 4}, 3, 'F', f3, 24);
    r = jl_array_row(d, id, 1, &err);
    assert_string_equal(shape_of(d, r), "[3,4]");
    uint8_t want[12];
    for (int i = 0; i < 12; i++) want[i] = (uint8_t)(12 + i);
    expect_native(d, r, want, 12, 1);
    uint32_t rr = jl_array_row(d, r, 2, &err);
    expect_native(d, rr, (const uint8_t[]){20, 21, 22, 23}, 4, 1);

    /* docs/FORMAT.md 3.6 array: row 1 of the F-order big-endian (2,3) */
    static const uint8_t f_be[] = {0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x04, 0x00, 0x02, 0x00, 0x05};
    id = make_array(d, ">i2", (uint64_t[]){2, 3}, 2, 'F', f_be, sizeof f_be);
    r = jl_array_row(d, id, 1, &err);
    assert_memory_equal(jl_ref_ptr(d, jl_array_of(d, r)->data), "\x00\x03\x00\x04\x00\x05", 6);
    expect_native(d, r, (const uint8_t *)"\x03\x00\x04\x00\x05\x00", 6, 0);

    /* object (2,2): a view whose items are the row's */
    id = make_object_array(d, (uint64_t[]){2, 2}, 2, 4);
    r = jl_array_row(d, id, 1, &err);
    a = jl_array_of(d, r);
    assert_int_equal(d->nodes[r].kind, JL_NDARRAY);
    assert_int_equal(a->ndim, 1);
    assert_int_equal(d->nodes[a->items].len, 2);
    assert_int_equal(d->nodes[jl_kids_of(d, a->items)[0]].u.i, 102);
    assert_int_equal(d->nodes[jl_kids_of(d, a->items)[1]].u.i, 103);
    assert_int_equal(d->nodes[jl_array_row(d, r, 1, &err)].u.i, 103);

    /* rows of a zero-size axis */
    id = make_array(d, "<f8", (uint64_t[]){2, 0}, 2, 'C', NULL, 0);
    r = jl_array_row(d, id, 1, &err);
    assert_string_equal(shape_of(d, r), "[0]");
    expect_native(d, r, (const uint8_t *)"", 0, 1);
    jl_doc_free(d);
}

/* Rows built while the doc's tables grow keep pointing at the right data. */
static void test_many_rows(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    static uint16_t m[300][2];
    for (int i = 0; i < 300; i++) {
        m[i][0] = (uint16_t)i;
        m[i][1] = (uint16_t)(1000 + i);
    }
    uint32_t id = make_array(d, "<u2", (uint64_t[]){300, 2}, 2, 'C', m, sizeof m);
    jl_error err;
    for (uint64_t i = 0; i < 300; i++) {
        uint32_t r = jl_array_row(d, id, i, &err);
        assert_int_not_equal(r, JL_NONE);
        expect_native(d, r, (const uint8_t *)m[i], 4, 1);
    }
    jl_doc_free(d);
}

/* jl_array_row_copy: each row of C, F, big-endian and 3-d arrays equals
 * the matching slice of the native C-order bytes of the whole array. */
static void test_row_copy(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    /* docs/FORMAT.md 3.6 again: F order, big-endian; rows [0 1 2], [3 4 5] */
    static const uint8_t f_be[] = {0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x04, 0x00, 0x02, 0x00, 0x05};
    static const uint8_t c_le[] = {0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0};
    uint32_t id = make_array(d, ">i2", (uint64_t[]){2, 3}, 2, 'F', f_be, sizeof f_be);
    uint8_t row[24];
    for (uint64_t i = 0; i < 2; i++) {
        memset(row, 0xEE, sizeof row);
        jl_array_row_copy(d, jl_array_of(d, id), i, row);
        assert_memory_equal(row, c_le + 6 * i, 6);
        assert_int_equal(row[6], 0xEE); /* nothing past the row */
    }
    /* 3-d F order (2, 3, 4) of u1: row i is C elements 12 i .. 12 i + 11 */
    static const uint8_t f3[] = {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23};
    id = make_array(d, "u1", (uint64_t[]){2, 3, 4}, 3, 'F', f3, sizeof f3);
    for (uint64_t i = 0; i < 2; i++) {
        jl_array_row_copy(d, jl_array_of(d, id), i, row);
        for (int k = 0; k < 12; k++) assert_int_equal(row[k], 12 * i + (uint64_t)k);
    }
    /* C order, native: the row's own bytes */
    id = make_array(d, "u1", (uint64_t[]){2, 3, 4}, 3, 'C', f3, sizeof f3);
    jl_array_row_copy(d, jl_array_of(d, id), 1, row);
    assert_memory_equal(row, f3 + 12, 12);
    jl_doc_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_copy),
        cmocka_unit_test(test_format_example),
        cmocka_unit_test(test_native_bytes),
        cmocka_unit_test(test_native_errors),
        cmocka_unit_test(test_rows_1d),
        cmocka_unit_test(test_rows_nd),
        cmocka_unit_test(test_many_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
