/*
 * test_dtype.c - the numpy dtype model (codec/numpy/dtype.c) and .npy headers
 * (codec/numpy/npy.c): pickled dtype states built by hand as value trees (the
 * docs/FORMAT.md 6.3 table and the older layouts), descr strings checked
 * against what numpy 1.24 prints, JSON descrs, byte swapping, shape
 * sizes, and .npy headers from the corpus, numpy 1.24 and broken ones;
 * .npy headers written as numpy 1.24's np.save writes them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtype.h"
#include "npy.h"
#include "testutil.h"

/* ---- building value trees by hand ------------------------------------ */

static jl_error E;

static uint32_t S(jl_doc *d, const char *s) { return jl_new_bytes(d, JL_STR, s, strlen(s), &E); }
static uint32_t S2(jl_doc *d, const char *s) { /* a Python 2 str */
    uint32_t id = S(d, s);
    d->nodes[id].flags |= JL_F_PY2;
    return id;
}
static uint32_t BY(jl_doc *d, const char *s) { return jl_new_bytes(d, JL_BYTES, s, strlen(s), &E); }
static uint32_t I(jl_doc *d, int64_t v) { return jl_new_int(d, v, &E); }
static uint32_t BO(jl_doc *d, int v) { return jl_new_bool(d, v, &E); }
static uint32_t N(jl_doc *d) { return jl_node_new(d, JL_NULL, &E); }

static uint32_t seq(jl_doc *d, jl_kind kind, int n, va_list ap) {
    uint32_t c = jl_node_new(d, kind, &E);
    for (int i = 0; i < n; i++) {
        uint32_t k = va_arg(ap, uint32_t);
        assert_int_equal(jl_kids_append(d, c, &k, 1, &E), JL_OK);
    }
    return c;
}
static uint32_t T(jl_doc *d, int n, ...) {
    va_list ap;
    va_start(ap, n);
    uint32_t c = seq(d, JL_TUPLE, n, ap);
    va_end(ap);
    return c;
}
/* n key/value pairs */
static uint32_t D(jl_doc *d, int n, ...) {
    va_list ap;
    va_start(ap, n);
    uint32_t c = seq(d, JL_DICT, 2 * n, ap);
    va_end(ap);
    return c;
}
/* A numpy.dtype object node whose dtype is already parsed. */
static uint32_t OBJ(jl_doc *d, uint32_t dt) {
    uint32_t o = jl_object_new(d, &E);
    uint32_t id = jl_node_new(d, JL_OBJECT, &E);
    d->nodes[id].u.ext = o;
    d->objects[o].dtype = dt;
    return id;
}
static uint32_t ARGS(jl_doc *d, const char *typestr) { return T(d, 3, S(d, typestr), BO(d, 0), BO(d, 1)); }

/* state version 3: (3, order, sub, names, fields, elsize, align, flags) */
static uint32_t ST3(jl_doc *d, const char *order, uint32_t sub, uint32_t names, uint32_t fields,
                    int64_t elsize, int64_t align, int64_t flags) {
    return T(d, 8, I(d, 3), S(d, order), sub, names, fields, I(d, elsize), I(d, align), I(d, flags));
}

static uint32_t pickled(jl_doc *d, const char *typestr, uint32_t state) {
    uint32_t dt = JL_NONE;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_dtype_from_pickle(d, ARGS(d, typestr), state, &dt, &err);
    if (rc) fail_msg("jl_dtype_from_pickle(%s): %s", typestr, err.message);
    return dt;
}

static const char *descr(jl_doc *d, uint32_t dt) {
    static char out[1024];
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_dtype_descr(d, dt, &b), JL_OK);
    snprintf(out, sizeof out, "%s", b.p ? b.p : "");
    jl_buf_free(&b);
    return out;
}

static uint32_t simple_dt(jl_doc *d, const char *s) {
    uint32_t dt;
    jl_error err;
    int rc = jl_dtype_parse(d, s, strlen(s), &dt, &err);
    if (rc) fail_msg("jl_dtype_parse(%s): %s", s, err.message);
    return dt;
}

static jl_doc *new_doc(void **state) {
    (void)state;
    jl_doc *d = jl_doc_new(NULL, NULL);
    assert_non_null(d);
    jl_error_clear(&E);
    return d;
}

/* ---- docs/FORMAT.md 6.3: the table of pickled states ------------------ */

static void test_table_simple(void **state) {
    jl_doc *d = new_doc(state);
    uint32_t dt;

    dt = pickled(d, "i8", ST3(d, "<", N(d), N(d), N(d), -1, -1, 0));
    assert_string_equal(descr(d, dt), "<i8");
    assert_int_equal(d->dtypes[dt].itemsize, 8);
    assert_int_equal(d->dtypes[dt].kind, 'i');
    assert_int_equal(d->dtypes[dt].has_object, 0);

    dt = pickled(d, "i4", ST3(d, ">", N(d), N(d), N(d), -1, -1, 0));
    assert_string_equal(descr(d, dt), ">i4");
    assert_true(jl_dtype_needs_swap(d, dt));

    dt = pickled(d, "b1", ST3(d, "|", N(d), N(d), N(d), -1, -1, 0));
    assert_string_equal(descr(d, dt), "|b1");

    dt = pickled(d, "S5", ST3(d, "|", N(d), N(d), N(d), 5, 1, 0));
    assert_string_equal(descr(d, dt), "|S5");
    assert_int_equal(d->dtypes[dt].itemsize, 5);

    dt = pickled(d, "U3", ST3(d, "<", N(d), N(d), N(d), 12, 4, 8));
    assert_string_equal(descr(d, dt), "<U3");
    assert_int_equal(d->dtypes[dt].itemsize, 12);
    assert_int_equal(d->dtypes[dt].alignment, 4);

    dt = pickled(d, "O8", ST3(d, "|", N(d), N(d), N(d), -1, -1, 63));
    assert_string_equal(descr(d, dt), "|O");
    assert_int_equal(d->dtypes[dt].has_object, 1);

    /* version 4 with datetime metadata ({}, (b'ns', 1, 1, 1)) */
    uint32_t meta = T(d, 2, D(d, 0), T(d, 4, BY(d, "ns"), I(d, 1), I(d, 1), I(d, 1)));
    dt = pickled(d, "M8", T(d, 9, I(d, 4), S(d, "<"), N(d), N(d), N(d), I(d, -1), I(d, -1), I(d, 0), meta));
    assert_string_equal(descr(d, dt), "<M8[ns]");
    assert_string_equal(d->dtypes[dt].unit, "ns");
    assert_int_equal(d->dtypes[dt].unit_num, 1);

    /* M8[5s], big-endian m8[25us], generic */
    meta = T(d, 2, D(d, 0), T(d, 4, BY(d, "s"), I(d, 5), I(d, 1), I(d, 1)));
    dt = pickled(d, "M8", T(d, 9, I(d, 4), S(d, "<"), N(d), N(d), N(d), I(d, -1), I(d, -1), I(d, 0), meta));
    assert_string_equal(descr(d, dt), "<M8[5s]");
    meta = T(d, 2, D(d, 0), T(d, 4, BY(d, "us"), I(d, 25), I(d, 1), I(d, 1)));
    dt = pickled(d, "m8", T(d, 9, I(d, 4), S(d, ">"), N(d), N(d), N(d), I(d, -1), I(d, -1), I(d, 0), meta));
    assert_string_equal(descr(d, dt), ">m8[25us]");
    meta = T(d, 2, D(d, 0), T(d, 4, BY(d, "generic"), I(d, 1), I(d, 1), I(d, 1)));
    dt = pickled(d, "M8", T(d, 9, I(d, 4), S(d, "<"), N(d), N(d), N(d), I(d, -1), I(d, -1), I(d, 0), meta));
    assert_string_equal(descr(d, dt), "<M8");
    jl_doc_free(d);
}

static void test_table_structured(void **state) {
    jl_doc *d = new_doc(state);
    /* [('x','<i4'),('y','>f8')] */
    uint32_t i4 = pickled(d, "i4", ST3(d, "<", N(d), N(d), N(d), -1, -1, 0));
    uint32_t f8b = pickled(d, "f8", ST3(d, ">", N(d), N(d), N(d), -1, -1, 0));
    uint32_t fields = D(d, 2, S(d, "x"), T(d, 2, OBJ(d, i4), I(d, 0)), S(d, "y"), T(d, 2, OBJ(d, f8b), I(d, 4)));
    uint32_t dt = pickled(d, "V12", ST3(d, "|", N(d), T(d, 2, S(d, "x"), S(d, "y")), fields, 12, 1, 16));
    assert_string_equal(descr(d, dt), "[[\"x\",\"<i4\"],[\"y\",\">f8\"]]");
    const jl_dtype *t = &d->dtypes[dt];
    assert_int_equal(t->kind, 'V');
    assert_int_equal(t->nfields, 2);
    assert_int_equal(t->itemsize, 12);
    assert_int_equal(t->depth, 1);
    assert_int_equal(d->fields[t->fields_at + 1].offset, 4);
    assert_true(jl_ref_eq(d, d->fields[t->fields_at + 1].name, "y"));
    assert_true(jl_dtype_needs_swap(d, dt));
    char cls[32];
    assert_string_equal(jl_dtype_scalar_class(d, dt, cls, sizeof cls), "numpy.void");

    /* align=True (u1, i4): padding entry, flags -112 as numpy 1.x pickles it */
    uint32_t u1 = pickled(d, "u1", ST3(d, "|", N(d), N(d), N(d), -1, -1, 0));
    fields = D(d, 2, S(d, "x"), T(d, 2, OBJ(d, u1), I(d, 0)), S(d, "y"), T(d, 2, OBJ(d, i4), I(d, 4)));
    dt = pickled(d, "V8", ST3(d, "|", N(d), T(d, 2, S(d, "x"), S(d, "y")), fields, 8, 4, -112));
    assert_string_equal(descr(d, dt), "[[\"x\",\"|u1\"],[\"\",\"|V3\"],[\"y\",\"<i4\"]]");
    assert_int_equal(d->dtypes[dt].alignment, 4);

    /* ('<i4', (2,3)) */
    dt = pickled(d, "V24", ST3(d, "|", T(d, 2, OBJ(d, i4), T(d, 2, I(d, 2), I(d, 3))), N(d), N(d), 24, 4, 0));
    assert_string_equal(descr(d, dt), "|V24");
    t = &d->dtypes[dt];
    assert_int_equal(t->sub_ndim, 2);
    assert_int_equal(t->sub_base, i4);
    assert_int_equal(d->dims[t->sub_dims_at], 2);
    assert_int_equal(d->dims[t->sub_dims_at + 1], 3);
    assert_int_equal(t->alignment, 4);

    /* a field that is a subarray, a title, trailing padding:
     * {'names':['a','b'],'formats':[('<i4',(2,3)),'S3'],'offsets':[0,24],'itemsize':30} + title */
    uint32_t s3 = pickled(d, "S3", ST3(d, "|", N(d), N(d), N(d), 3, 1, 0));
    uint32_t fa = OBJ(d, dt);
    fields = D(d, 3, S(d, "a"), T(d, 2, fa, I(d, 0)), S(d, "b"), T(d, 3, OBJ(d, s3), I(d, 24), S(d, "Bee")),
               S(d, "Bee"), T(d, 3, OBJ(d, s3), I(d, 24), S(d, "Bee")));
    uint32_t rec = pickled(d, "V30", ST3(d, "|", N(d), T(d, 2, S(d, "a"), S(d, "b")), fields, 30, 1, 16));
    assert_string_equal(descr(d, rec), "[[\"a\",\"<i4\",[2,3]],[[\"Bee\",\"b\"],\"|S3\"],[\"\",\"|V3\"]]");
    assert_int_equal(d->dtypes[rec].depth, 2);

    /* nested with an object field: has_object propagates */
    uint32_t i2 = simple_dt(d, "<i2"), o = simple_dt(d, "O");
    fields = D(d, 2, S(d, "p"), T(d, 2, OBJ(d, i2), I(d, 0)), S(d, "q"), T(d, 2, OBJ(d, o), I(d, 2)));
    uint32_t inner = pickled(d, "V10", ST3(d, "|", N(d), T(d, 2, S(d, "p"), S(d, "q")), fields, 10, 1, 27));
    uint32_t u2 = simple_dt(d, "<U2");
    fields = D(d, 2, S(d, "n"), T(d, 2, OBJ(d, inner), I(d, 0)), S(d, "z"), T(d, 2, OBJ(d, u2), I(d, 10)));
    dt = pickled(d, "V18", ST3(d, "|", N(d), T(d, 2, S(d, "n"), S(d, "z")), fields, 18, 1, 27));
    assert_string_equal(descr(d, dt), "[[\"n\",[[\"p\",\"<i2\"],[\"q\",\"|O\"]]],[\"z\",\"<U2\"]]");
    assert_int_equal(d->dtypes[dt].has_object, 1);
    jl_doc_free(d);
}

/* versions 0 and 1, Python 2 ints and strs, numpy.record class */
static void test_old_layouts(void **state) {
    jl_doc *d = new_doc(state);
    uint32_t i4 = simple_dt(d, "<i4"), f8b = simple_dt(d, ">f8");
    uint32_t names = T(d, 2, S2(d, "x"), S2(d, "y"));
    uint32_t fields = D(d, 3, S2(d, "x"), T(d, 2, OBJ(d, i4), I(d, 0)), S2(d, "y"), T(d, 2, OBJ(d, f8b), I(d, 4)),
                        I(d, -1), names);
    /* version 1: (1, endian, subarray, fields, elsize, alignment) */
    uint32_t dt, args = T(d, 3, S2(d, "V12"), I(d, 0), I(d, 1));
    assert_int_equal(jl_dtype_from_pickle(d, args, T(d, 6, I(d, 1), S2(d, "|"), N(d), fields, I(d, 12), I(d, 1)), &dt, &E),
                     JL_OK);
    assert_string_equal(descr(d, dt), "[[\"x\",\"<i4\"],[\"y\",\">f8\"]]");
    /* version 0: (endian, subarray, fields, elsize, alignment) */
    assert_int_equal(jl_dtype_from_pickle(d, args, T(d, 5, S2(d, "|"), N(d), fields, I(d, 12), I(d, 1)), &dt, &E), JL_OK);
    assert_string_equal(descr(d, dt), "[[\"x\",\"<i4\"],[\"y\",\">f8\"]]");
    /* 7 items (no flags) */
    assert_int_equal(jl_dtype_from_pickle(d, T(d, 3, S2(d, "i8"), I(d, 0), I(d, 1)),
                                          T(d, 7, I(d, 3), S2(d, ">"), N(d), N(d), N(d), I(d, -1), I(d, -1)), &dt, &E),
                     JL_OK);
    assert_string_equal(descr(d, dt), ">i8");
    /* py3 protocol 2: the datetime unit as bytes decoded from _codecs.encode, here a py2 str */
    uint32_t meta = T(d, 2, D(d, 0), T(d, 4, S2(d, "D"), I(d, 1), I(d, 1), I(d, 1)));
    assert_int_equal(jl_dtype_from_pickle(d, T(d, 3, S2(d, "M8"), I(d, 0), I(d, 1)),
                                          T(d, 9, I(d, 4), S2(d, ">"), N(d), N(d), N(d), I(d, -1), I(d, -1), I(d, 0), meta),
                                          &dt, &E),
                     JL_OK);
    assert_string_equal(descr(d, dt), ">M8[D]");
    /* numpy.record: the class global instead of a typestr */
    uint32_t g = jl_global_new(d, &E), gn = jl_node_new(d, JL_GLOBAL, &E);
    d->nodes[gn].u.ext = g;
    fields = D(d, 1, S(d, "x"), T(d, 2, OBJ(d, i4), I(d, 0)));
    assert_int_equal(jl_dtype_from_pickle(d, T(d, 3, gn, BO(d, 0), BO(d, 1)),
                                          ST3(d, "|", N(d), T(d, 1, S(d, "x")), fields, 4, 1, 16), &dt, &E),
                     JL_OK);
    assert_string_equal(descr(d, dt), "[[\"x\",\"<i4\"]]");
    /* no BUILD state: the typestr alone */
    assert_int_equal(jl_dtype_from_pickle(d, ARGS(d, "f4"), JL_NONE, &dt, &E), JL_OK);
    assert_string_equal(descr(d, dt), "<f4");
    jl_doc_free(d);
}

static void expect_pickle_error(jl_doc *d, const char *typestr, uint32_t st, jl_code code, const char *needle) {
    uint32_t dt = 12345;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_dtype_from_pickle(d, ARGS(d, typestr), st, &dt, &err);
    if (rc != (int)code || !strstr(err.message, needle))
        fail_msg("expected %d '%s', got %d '%s'", code, needle, rc, err.message);
}

static void test_pickle_errors(void **state) {
    jl_doc *d = new_doc(state);
    uint32_t i4 = simple_dt(d, "<i4"), f8 = simple_dt(d, "<f8");
    /* overlapping fields */
    uint32_t fields = D(d, 2, S(d, "x"), T(d, 2, OBJ(d, f8), I(d, 0)), S(d, "y"), T(d, 2, OBJ(d, i4), I(d, 4)));
    expect_pickle_error(d, "V12", ST3(d, "|", N(d), T(d, 2, S(d, "x"), S(d, "y")), fields, 12, 1, 16), JL_E_FORMAT,
                        "fields 'x' and 'y' overlap");
    /* a field beyond the itemsize */
    fields = D(d, 2, S(d, "x"), T(d, 2, OBJ(d, i4), I(d, 0)), S(d, "y"), T(d, 2, OBJ(d, f8), I(d, 8)));
    expect_pickle_error(d, "V12", ST3(d, "|", N(d), T(d, 2, S(d, "x"), S(d, "y")), fields, 12, 1, 16), JL_E_FORMAT,
                        "field 'y' (offset 8, 8 bytes) exceeds the itemsize 12");
    /* a field whose dtype object was never parsed */
    fields = D(d, 1, S(d, "x"), T(d, 2, OBJ(d, JL_NONE), I(d, 0)));
    expect_pickle_error(d, "V4", ST3(d, "|", N(d), T(d, 1, S(d, "x")), fields, 4, 1, 16), JL_E_FORMAT,
                        "field 'x' has no dtype");
    /* a name missing from the dict */
    fields = D(d, 1, S(d, "x"), T(d, 2, OBJ(d, i4), I(d, 0)));
    expect_pickle_error(d, "V4", ST3(d, "|", N(d), T(d, 1, S(d, "w")), fields, 4, 1, 16), JL_E_FORMAT,
                        "field 'w' is not in the fields dict");
    /* a big int where an int64 is needed */
    uint32_t big = I(d, 0);
    d->nodes[big].flags |= JL_F_BIG;
    expect_pickle_error(d, "S5", T(d, 8, I(d, 3), S(d, "|"), N(d), N(d), N(d), big, I(d, 1), I(d, 0)), JL_E_FORMAT,
                        "itemsize/alignment are not ints");
    /* absurd itemsize */
    expect_pickle_error(d, "S5", ST3(d, "|", N(d), N(d), N(d), (int64_t)1 << 40, 1, 0), JL_E_LIMIT, "too large");
    expect_pickle_error(d, "U1", ST3(d, "<", N(d), N(d), N(d), 6, 4, 0), JL_E_FORMAT, "not a multiple of 4");
    /* subarray whose shape disagrees with the itemsize */
    expect_pickle_error(d, "V20", ST3(d, "|", T(d, 2, OBJ(d, i4), T(d, 2, I(d, 2), I(d, 3))), N(d), N(d), 20, 4, 0),
                        JL_E_FORMAT, "claims itemsize 20 but its shape gives 24");
    expect_pickle_error(d, "V24", ST3(d, "|", T(d, 2, OBJ(d, i4), T(d, 2, I(d, 2), I(d, -3))), N(d), N(d), 24, 4, 0),
                        JL_E_FORMAT, "subarray shape");
    /* layouts */
    expect_pickle_error(d, "i8", T(d, 4, I(d, 3), S(d, "<"), N(d), N(d)), JL_E_FORMAT, "5 to 9 items");
    expect_pickle_error(d, "i8", T(d, 8, I(d, 7), S(d, "<"), N(d), N(d), N(d), I(d, -1), I(d, -1), I(d, 0)),
                        JL_E_UNSUPPORTED, "version 7");
    expect_pickle_error(d, "i8", ST3(d, "<<", N(d), N(d), N(d), -1, -1, 0), JL_E_FORMAT,
                        "byte order is not a 1-character string");
    expect_pickle_error(d, "q8", ST3(d, "<", N(d), N(d), N(d), -1, -1, 0), JL_E_ARG, "unknown dtype 'q8'");
    uint32_t meta = T(d, 2, D(d, 0), T(d, 4, BY(d, "fortnight"), I(d, 1), I(d, 1), I(d, 1)));
    expect_pickle_error(d, "M8", T(d, 9, I(d, 4), S(d, "<"), N(d), N(d), N(d), I(d, -1), I(d, -1), I(d, 0), meta),
                        JL_E_FORMAT, "unknown datetime unit 'fortnight'");
    jl_doc_free(d);
}

/* Nesting is capped, so recursion over dtypes stays bounded. */
static void test_depth_limit(void **state) {
    jl_doc *d = new_doc(state);
    uint32_t dt = simple_dt(d, "<i4");
    int rc = JL_OK;
    int level = 0;
    for (; level < JL_DTYPE_MAX_DEPTH + 5 && rc == JL_OK; level++) {
        uint32_t fields = D(d, 1, S(d, "x"), T(d, 2, OBJ(d, dt), I(d, 0)));
        rc = jl_dtype_from_pickle(d, ARGS(d, "V4"), ST3(d, "|", N(d), T(d, 1, S(d, "x")), fields, 4, 1, 16), &dt, &E);
    }
    assert_int_equal(rc, JL_E_LIMIT);
    assert_int_equal(level, JL_DTYPE_MAX_DEPTH + 1);
    assert_non_null(strstr(E.message, "nested deeper"));
    jl_doc_free(d);
}

/* ---- descr strings ------------------------------------------------------ */

/* input, numpy 1.24's dtype.str, itemsize */
static const struct { const char *in, *str; uint64_t size; } DESCRS[] = {
    {"<f8", "<f8", 8}, {">f8", ">f8", 8}, {"f8", "<f8", 8}, {"=f8", "<f8", 8}, {"|f8", "<f8", 8},
    {"<f4", "<f4", 4}, {">f4", ">f4", 4}, {"<f2", "<f2", 2}, {">f2", ">f2", 2}, {"<f16", "<f16", 16},
    {">f16", ">f16", 16}, {"<c8", "<c8", 8}, {">c8", ">c8", 8}, {"<c16", "<c16", 16}, {">c16", ">c16", 16},
    {"<c32", "<c32", 32}, {">c32", ">c32", 32}, {"b1", "|b1", 1}, {"?", "|b1", 1}, {">b1", "|b1", 1},
    {"i1", "|i1", 1}, {"u1", "|u1", 1}, {"|i1", "|i1", 1}, {"<i2", "<i2", 2}, {">i2", ">i2", 2},
    {"<i4", "<i4", 4}, {">i4", ">i4", 4}, {"<i8", "<i8", 8}, {">i8", ">i8", 8}, {"<u2", "<u2", 2},
    {">u2", ">u2", 2}, {"<u4", "<u4", 4}, {">u4", ">u4", 4}, {"<u8", "<u8", 8}, {">u8", ">u8", 8},
    {"S5", "|S5", 5}, {"<S5", "|S5", 5}, {"|S0", "|S0", 0}, {"a7", "|S7", 7}, {"<U3", "<U3", 12},
    {">U3", ">U3", 12}, {"U0", "<U0", 0}, {"V8", "|V8", 8}, {"|V0", "|V0", 0}, {"<M8[ns]", "<M8[ns]", 8},
    {">M8[ns]", ">M8[ns]", 8}, {"M8", "<M8", 8}, {"<m8[5s]", "<m8[5s]", 8}, {">m8[25us]", ">m8[25us]", 8},
    {"M8[D]", "<M8[D]", 8}, {"m8[generic]", "<m8", 8}, {"O", "|O", 8}, {"O8", "|O", 8}, {"|O", "|O", 8},
    {"float64", "<f8", 8}, {"int32", "<i4", 4}, {"uint8", "|u1", 1}, {"int8", "|i1", 1}, {"int16", "<i2", 2},
    {"uint16", "<u2", 2}, {"uint32", "<u4", 4}, {"uint64", "<u8", 8}, {"int64", "<i8", 8},
    {"float16", "<f2", 2}, {"float32", "<f4", 4}, {"bool", "|b1", 1}, {"complex64", "<c8", 8},
    {"complex128", "<c16", 16}, {"object", "|O", 8}, {"str", "<U0", 0}, {"bytes", "|S0", 0},
    {"void", "|V0", 0}, {"datetime64", "<M8", 8}, {"timedelta64", "<m8", 8}, {"datetime64[ms]", "<M8[ms]", 8},
    {"b", "|i1", 1}, {"B", "|u1", 1}, {"h", "<i2", 2}, {"H", "<u2", 2}, {"i", "<i4", 4}, {"I", "<u4", 4},
    {"l", "<i8", 8}, {"L", "<u8", 8}, {"q", "<i8", 8}, {"Q", "<u8", 8}, {"e", "<f2", 2}, {"f", "<f4", 4},
    {"d", "<f8", 8}, {"g", "<f16", 16}, {"F", "<c8", 8}, {"D", "<c16", 16}, {"G", "<c32", 32},
    {"c", "|S1", 1}, {"int", "<i8", 8}, {"float", "<f8", 8}, {"complex", "<c16", 16},
    {"longdouble", "<f16", 16},
};

static void test_parse_descr_round_trip(void **state) {
    jl_doc *d = new_doc(state);
    for (size_t i = 0; i < sizeof DESCRS / sizeof DESCRS[0]; i++) {
        uint32_t dt = simple_dt(d, DESCRS[i].in);
        if (strcmp(descr(d, dt), DESCRS[i].str) != 0)
            fail_msg("%s: descr %s, numpy says %s", DESCRS[i].in, descr(d, dt), DESCRS[i].str);
        assert_int_equal(d->dtypes[dt].itemsize, DESCRS[i].size);
        /* the descr parses back to itself */
        uint32_t again = simple_dt(d, DESCRS[i].str);
        assert_string_equal(descr(d, again), DESCRS[i].str);
        assert_int_equal(d->dtypes[again].byteorder, d->dtypes[dt].byteorder);
        assert_int_equal(d->dtypes[again].kind, d->dtypes[dt].kind);
    }
    jl_doc_free(d);
}

static void test_parse_errors(void **state) {
    jl_doc *d = new_doc(state);
    static const char *bad[] = {"", "u", "b2", "i3", "i16", "M4", "M8[]", "M8[3]", "M8[ns", "M8[us]x",
                                "M8[0s]", "f8[ns]", "<", "i8 ", " i8", "int64[ns]", "x", "f8,i4", "U99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t dt;
        jl_error err;
        int rc = jl_dtype_parse(d, bad[i], strlen(bad[i]), &dt, &err);
        if (rc == JL_OK) fail_msg("'%s' parsed", bad[i]);
        assert_non_null(strstr(err.message, "dtype '"));
    }
    uint32_t dt;
    jl_error err;
    assert_int_equal(jl_dtype_parse(d, "q8", 2, &dt, &err), JL_E_ARG);
    assert_string_equal(err.message, "unknown dtype 'q8'");
    assert_int_equal(jl_dtype_parse(d, "S2147483648", 11, &dt, &err), JL_E_LIMIT);
    assert_int_equal(jl_dtype_parse(d, "U536870912", 10, &dt, &err), JL_E_LIMIT);
    assert_int_equal(jl_dtype_parse(d, "S2147483647", 11, &dt, &err), JL_OK);
    /* not NUL-terminated input: only n bytes are read */
    assert_int_equal(jl_dtype_parse(d, "<f8junk", 3, &dt, &err), JL_OK);
    assert_string_equal(descr(d, dt), "<f8");
    jl_doc_free(d);
}

static void test_scalar_class(void **state) {
    jl_doc *d = new_doc(state);
    static const struct { const char *dt, *cls; } C[] = {
        {"<f8", "numpy.float64"}, {">i4", "numpy.int32"}, {"?", "numpy.bool_"}, {"<U3", "numpy.str_"},
        {"S2", "numpy.bytes_"}, {"V4", "numpy.void"}, {"<M8[ns]", "numpy.datetime64"},
        {"m8", "numpy.timedelta64"}, {"c16", "numpy.complex128"}, {"f2", "numpy.float16"},
        {"f16", "numpy.longdouble"}, {"c32", "numpy.clongdouble"}, {"O", "numpy.object_"},
        {"u8", "numpy.uint64"}, {"i1", "numpy.int8"}, {"f4", "numpy.float32"}, {"c8", "numpy.complex64"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        uint32_t dt = simple_dt(d, C[i].dt);
        assert_string_equal(jl_dtype_scalar_class(d, dt, NULL, 0), C[i].cls);
        assert_ptr_equal(jl_dtype_scalar_class(d, dt, buf, sizeof buf), buf);
        assert_string_equal(buf, C[i].cls);
    }
    uint32_t dt = simple_dt(d, "f8");
    assert_string_equal(jl_dtype_scalar_class(d, dt, buf, 6), "numpy");
    jl_doc_free(d);
}

/* ---- JSON descrs ---------------------------------------------------------- */

static void test_json_round_trip(void **state) {
    jl_doc *d = new_doc(state);
    /* numpy 1.24 dtype.descr of each, written as JSON */
    static const char *J[] = {
        "[[\"x\",\"<i4\"],[\"y\",\">f8\"]]",
        "[[\"x\",\"|u1\"],[\"\",\"|V3\"],[\"y\",\"<i4\"]]",
        "[[\"a\",\"<i4\",[2,3]],[\"b\",\"|S3\"]]",
        "[[\"a\",\"<i4\"],[\"\",\"|V4\"],[\"b\",\"<f8\"],[\"\",\"|V4\"]]",
        "[[\"n\",[[\"p\",\"<i2\"],[\"q\",\"|O\"]]],[\"z\",\"<U2\"]]",
        "[[[\"title one\",\"t\"],\"<i4\"],[\"u\",\"<f4\"]]",
        "[[\"m\",\"<M8[ns]\"],[\"k\",\">m8[5s]\",[2]]]",
        "[[\"q\\\"uo\\\\te\",\"<i4\"]]",
        "[[\"\xc3\xa9t\xc3\xa9\",\"<i4\"]]",
    };
    for (size_t i = 0; i < sizeof J / sizeof J[0]; i++) {
        uint32_t dt;
        jl_error err;
        int rc = jl_dtype_parse_json(d, J[i], strlen(J[i]), &dt, &err);
        if (rc) fail_msg("%s: %s", J[i], err.message);
        assert_string_equal(descr(d, dt), J[i]);
    }
    uint32_t dt;
    assert_int_equal(jl_dtype_parse_json(d, " \"<f8\" ", 7, &dt, &E), JL_OK);
    assert_string_equal(descr(d, dt), "<f8");
    /* sizes and offsets from a JSON descr; padding entries are not fields */
    const char *pad = "[[\"a\",\"<i4\"],[\"\",\"|V4\"],[\"b\",\">f8\",[2]]]";
    assert_int_equal(jl_dtype_parse_json(d, pad, strlen(pad), &dt, &E), JL_OK);
    const jl_dtype *t = &d->dtypes[dt];
    assert_int_equal(t->itemsize, 24);
    assert_int_equal(t->nfields, 2);
    assert_int_equal(d->fields[t->fields_at + 1].offset, 8);
    /* escapes decode: \u00e9 and a surrogate pair */
    const char *esc = "[[\"\\u00e9\\ud83d\\ude00\",\"<i4\"]]";
    assert_int_equal(jl_dtype_parse_json(d, esc, strlen(esc), &dt, &E), JL_OK);
    assert_string_equal(descr(d, dt), "[[\"\xc3\xa9\xf0\x9f\x98\x80\",\"<i4\"]]");
    /* an unnamed non-padding field is named f<index> as numpy does */
    const char *unnamed = "[[\"\",\"<i4\"],[\"b\",\"<i2\"]]";
    assert_int_equal(jl_dtype_parse_json(d, unnamed, strlen(unnamed), &dt, &E), JL_OK);
    assert_string_equal(descr(d, dt), "[[\"f0\",\"<i4\"],[\"b\",\"<i2\"]]");

    static const char *bad[] = {"", "[", "[[\"x\"]]", "[[\"x\",\"<i4\"]", "[[\"x\",\"<i4\"],]", "\"<i4\" x",
                                "[[\"x\",\"<i4\"],[\"x\",\"<i2\"]]", "[[\"x\",\"<q4\"]]", "[[\"x\",\"<i4\",[-1]]]",
                                "[[\"x\",\"<i4\",[99999999999]]]", "[[\"a\\q\",\"<i4\"]]", "[[1,\"<i4\"]]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jl_error err;
        if (jl_dtype_parse_json(d, bad[i], strlen(bad[i]), &dt, &err) == JL_OK) fail_msg("'%s' parsed", bad[i]);
    }
    jl_error err;
    const char *dup = "[[\"x\",\"<i4\"],[\"x\",\"<i2\"]]";
    assert_int_equal(jl_dtype_parse_json(d, dup, strlen(dup), &dt, &err), JL_E_FORMAT);
    assert_string_equal(err.message, "dtype field name 'x' occurs twice");
    /* nesting is bounded */
    char deep[400] = "";
    for (int i = 0; i < 40; i++) strcat(deep, "[[\"a\",");
    strcat(deep, "\"<i4\"");
    for (int i = 0; i < 40; i++) strcat(deep, "]]");
    assert_int_not_equal(jl_dtype_parse_json(d, deep, strlen(deep), &dt, &err), JL_OK);
    jl_doc_free(d);
}

/* Out-of-order fields (numpy's descr refuses them) are listed by offset. */
static void test_descr_out_of_order(void **state) {
    jl_doc *d = new_doc(state);
    uint32_t i4 = simple_dt(d, "<i4"), f8 = simple_dt(d, "<f8");
    uint32_t fields = D(d, 2, S(d, "a"), T(d, 2, OBJ(d, i4), I(d, 8)), S(d, "b"), T(d, 2, OBJ(d, f8), I(d, 0)));
    uint32_t dt = pickled(d, "V16", ST3(d, "|", N(d), T(d, 2, S(d, "a"), S(d, "b")), fields, 16, 1, 16));
    assert_string_equal(descr(d, dt), "[[\"b\",\"<f8\"],[\"a\",\"<i4\"],[\"\",\"|V4\"]]");
    jl_doc_free(d);
}

/* ---- byte order -------------------------------------------------------- */

static void test_swap(void **state) {
    jl_doc *d = new_doc(state);
    uint32_t dt = simple_dt(d, ">i2");
    uint8_t a[] = {0x00, 0x01, 0x12, 0x34};
    jl_dtype_swap(d, dt, a, 2);
    assert_memory_equal(a, ((uint8_t[]){0x01, 0x00, 0x34, 0x12}), 4);

    /* >c8: each float swapped on its own */
    dt = simple_dt(d, ">c8");
    uint8_t c[] = {1, 2, 3, 4, 5, 6, 7, 8};
    jl_dtype_swap(d, dt, c, 1);
    assert_memory_equal(c, ((uint8_t[]){4, 3, 2, 1, 8, 7, 6, 5}), 8);

    /* >U2: UCS-4 per char */
    dt = simple_dt(d, ">U2");
    uint8_t u[] = {0, 0, 0, 'h', 0, 0, 0, 0xe9};
    jl_dtype_swap(d, dt, u, 1);
    assert_memory_equal(u, ((uint8_t[]){'h', 0, 0, 0, 0xe9, 0, 0, 0}), 8);

    /* little-endian, bytes and bools untouched */
    uint8_t keep[] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const char *same[] = {"<i8", "|S8", "V8", "b1", "<f8"};
    for (size_t i = 0; i < 5; i++) {
        dt = simple_dt(d, same[i]);
        assert_false(jl_dtype_needs_swap(d, dt));
        jl_dtype_swap(d, dt, keep, 1);
        assert_memory_equal(keep, ((uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8}), 8);
    }

    /* a record: [('a','>i2'),('b','|S2'),('c','<i2'),('d','>u2',(2,))] */
    const char *j = "[[\"a\",\">i2\"],[\"b\",\"|S2\"],[\"c\",\"<i2\"],[\"d\",\">u2\",[2]]]";
    assert_int_equal(jl_dtype_parse_json(d, j, strlen(j), &dt, &E), JL_OK);
    assert_true(jl_dtype_needs_swap(d, dt));
    uint8_t r[] = {0xA1, 0xA2, 'x', 'y', 0xC1, 0xC2, 0xD1, 0xD2, 0xE1, 0xE2,
                   0xB1, 0xB2, 'p', 'q', 0x11, 0x12, 0x21, 0x22, 0x31, 0x32};
    jl_dtype_swap(d, dt, r, 2);
    assert_memory_equal(r, ((uint8_t[]){0xA2, 0xA1, 'x', 'y', 0xC1, 0xC2, 0xD2, 0xD1, 0xE2, 0xE1,
                                        0xB2, 0xB1, 'p', 'q', 0x11, 0x12, 0x22, 0x21, 0x32, 0x31}), 20);

    /* the native twin of that record */
    uint32_t nat;
    assert_int_equal(jl_dtype_native(d, dt, &nat, &E), JL_OK);
    assert_int_not_equal(nat, dt);
    assert_false(jl_dtype_needs_swap(d, nat));
    assert_string_equal(descr(d, nat), "[[\"a\",\"<i2\"],[\"b\",\"|S2\"],[\"c\",\"<i2\"],[\"d\",\"<u2\",[2]]]");
    assert_string_equal(descr(d, dt), j); /* the original is unchanged */
    uint32_t same_dt = simple_dt(d, "<f8");
    assert_int_equal(jl_dtype_native(d, same_dt, &nat, &E), JL_OK);
    assert_int_equal(nat, same_dt);
    assert_int_equal(jl_dtype_native(d, simple_dt(d, ">M8[ns]"), &nat, &E), JL_OK);
    assert_string_equal(descr(d, nat), "<M8[ns]");
    jl_doc_free(d);
}

/* ---- shapes ---------------------------------------------------------------- */

static void test_shape_nbytes(void **state) {
    (void)state;
    uint64_t count, nbytes;
    jl_error err;
    assert_int_equal(jl_shape_nbytes((int64_t[]){2, 3}, 2, 8, &count, &nbytes, &err), JL_OK);
    assert_int_equal(count, 6);
    assert_int_equal(nbytes, 48);
    assert_int_equal(jl_shape_nbytes(NULL, 0, 8, &count, &nbytes, &err), JL_OK);
    assert_int_equal(count, 1);
    assert_int_equal(nbytes, 8);
    /* a zero dim wins over an overflowing product */
    assert_int_equal(jl_shape_nbytes((int64_t[]){INT64_MAX, 0, INT64_MAX}, 3, 8, &count, &nbytes, &err), JL_OK);
    assert_int_equal(count, 0);
    assert_int_equal(nbytes, 0);
    assert_int_equal(jl_shape_nbytes((int64_t[]){1 << 20, 1 << 20, 1 << 20, 1 << 20}, 4, 1, &count, &nbytes, &err),
                     JL_E_LIMIT);
    assert_non_null(strstr(err.message, "overflows"));
    assert_int_equal(jl_shape_nbytes((int64_t[]){(int64_t)1 << 61}, 1, 8, &count, &nbytes, &err), JL_E_LIMIT);
    assert_int_equal(jl_shape_nbytes((int64_t[]){(int64_t)1 << 60}, 1, 8, &count, &nbytes, &err), JL_OK);
    assert_int_equal(nbytes, (uint64_t)1 << 63);
    assert_int_equal(jl_shape_nbytes((int64_t[]){3, -1}, 2, 8, &count, &nbytes, &err), JL_E_FORMAT);
    assert_string_equal(err.message, "negative dimension -1 in axis 1 of a shape");
    assert_int_equal(jl_shape_nbytes((int64_t[]){0, -1}, 2, 8, &count, &nbytes, &err), JL_E_FORMAT);
}

/* ---- .npy headers ---------------------------------------------------------- */

static void test_npy_corpus(void **state) {
    const char *dir = jl_test_corpus_dir();
    if (!dir) skip();
    jl_doc *d = new_doc(state);
    static const struct { const char *file, *descr; unsigned ndim; int64_t d0, d1; } C[] = {
        {"joblib_0.9.2_pickle_py27_np17.pkl_01.npy", "<i8", 1, 5, 0},
        {"joblib_0.9.2_pickle_py27_np17.pkl_02.npy", "<f8", 1, 5, 0},
        {"joblib_0.9.2_pickle_py34_np19.pkl_03.npy", "|O", 1, 3, 0},
        {"joblib_0.9.2_pickle_py27_np16.pkl_04.npy", "<i8", 2, 1, 3},
        {"joblib_0.9.2_pickle_py35_np19.pkl_01.npy", "<i8", 1, 5, 0},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        uint64_t n;
        uint8_t *p = jl_test_read_file(jl_test_path(dir, C[i].file), &n);
        assert_non_null(p);
        jl_npy_header h;
        jl_error err;
        if (jl_npy_parse_header(d, p, n, &h, &err)) fail_msg("%s: %s", C[i].file, err.message);
        assert_string_equal(descr(d, h.dtype), C[i].descr);
        assert_int_equal(h.fortran_order, 0);
        assert_int_equal(h.ndim, C[i].ndim);
        assert_int_equal(h.dims[0], C[i].d0);
        if (C[i].ndim > 1) assert_int_equal(h.dims[1], C[i].d1);
        assert_int_equal(h.data_offset, 80);
        if (i == 0) { /* arange(5) follows */
            assert_int_equal(n, 120);
            assert_int_equal(p[80 + 8], 1);
            assert_int_equal(p[80 + 32], 4);
        }
        if (i == 2) assert_int_equal(d->dtypes[h.dtype].has_object, 1);
        free(p);
    }
    jl_doc_free(d);
}

/* An .npy header: magic, version, length, then the dict text padded with
 * spaces and '\n' (as numpy does) to a multiple of 64 bytes. */
static uint8_t *make_npy(int major, const char *dict, uint64_t *n) {
    size_t pre = major == 1 ? 10 : 12, len = strlen(dict);
    size_t total = ((pre + len + 1 + 63) / 64) * 64, hlen = total - pre;
    uint8_t *p = malloc(total);
    memcpy(p, "\x93NUMPY", 6);
    p[6] = (uint8_t)major;
    p[7] = 0;
    p[8] = (uint8_t)hlen;
    p[9] = (uint8_t)(hlen >> 8);
    if (major > 1) {
        p[10] = (uint8_t)(hlen >> 16);
        p[11] = (uint8_t)(hlen >> 24);
    }
    memcpy(p + pre, dict, len);
    memset(p + pre + len, ' ', hlen - len - 1);
    p[total - 1] = '\n';
    *n = total;
    return p;
}

static void test_npy_versions(void **state) {
    jl_doc *d = new_doc(state);
    jl_npy_header h;
    jl_error err;
    uint64_t n;
    /* numpy 1.24, write_array(version=(2,0)) of arange(6,'>i2').reshape(2,3) */
    uint8_t *p = make_npy(2, "{'descr': '>i2', 'fortran_order': False, 'shape': (2, 3), }", &n);
    assert_int_equal(n, 128);
    assert_memory_equal(p, "\x93NUMPY\x02\x00t\x00\x00\x00", 12);
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_OK);
    assert_string_equal(descr(d, h.dtype), ">i2");
    assert_int_equal(h.ndim, 2);
    assert_int_equal(h.dims[0], 2);
    assert_int_equal(h.dims[1], 3);
    assert_int_equal(h.data_offset, 128);
    free(p);
    /* version 3.0: UTF-8 field names, structured descr with a subarray */
    p = make_npy(3, "{'descr': [('\xc3\xa9t\xc3\xa9', '<i4'), ('y', '>f8', (2,))], 'fortran_order': False, 'shape': (2,), }",
                 &n);
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_OK);
    assert_string_equal(descr(d, h.dtype), "[[\"\xc3\xa9t\xc3\xa9\",\"<i4\"],[\"y\",\">f8\",[2]]]");
    assert_int_equal(d->dtypes[h.dtype].itemsize, 20);
    free(p);
    /* version 1.0 is latin-1: the byte e9 is U+00E9 */
    p = make_npy(1, "{'descr': [('\xe9', '<i4'), ('', '|V4')], 'fortran_order': True, 'shape': (3L, 4L), }", &n);
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_OK);
    assert_string_equal(descr(d, h.dtype), "[[\"\xc3\xa9\",\"<i4\"],[\"\",\"|V4\"]]");
    assert_int_equal(h.fortran_order, 1);
    assert_int_equal(h.dims[1], 4);
    free(p);
    /* numpy 1.24, aligned record; double quotes, escapes, u'' prefixes and
     * any key order are accepted too */
    p = make_npy(1, "{'descr': [('x', '|u1'), ('', '|V3'), ('y', '<i4')], 'fortran_order': False, 'shape': (2,), }", &n);
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_OK);
    assert_string_equal(descr(d, h.dtype), "[[\"x\",\"|u1\"],[\"\",\"|V3\"],[\"y\",\"<i4\"]]");
    free(p);
    p = make_npy(1, "{\"shape\": (), u'fortran_order': False, \"descr\": [(u'a\\'b\\x41\\u00e9', \"<f8\")]}", &n);
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_OK);
    assert_string_equal(descr(d, h.dtype), "[[\"a'bA\xc3\xa9\",\"<f8\"]]");
    assert_int_equal(h.ndim, 0);
    free(p);
    jl_doc_free(d);
}

static void expect_npy_error(jl_doc *d, const char *dict, jl_code code, const char *needle) {
    uint64_t n;
    uint8_t *p = make_npy(1, dict, &n);
    jl_npy_header h;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_npy_parse_header(d, p, n, &h, &err);
    if (rc != (int)code || !strstr(err.message, needle))
        fail_msg("%s: expected %d '%s', got %d '%s'", dict, code, needle, rc, err.message);
    free(p);
}

static void test_npy_malformed(void **state) {
    jl_doc *d = new_doc(state);
    jl_npy_header h;
    jl_error err;
    uint64_t n;
    uint8_t *p = make_npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", &n);
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_OK);
    /* truncated at every byte */
    for (uint64_t k = 0; k < n; k++) {
        int rc = jl_npy_parse_header(d, p, k, &h, &err);
        if (rc != JL_E_TRUNCATED) fail_msg("truncated at %llu: %d %s", (unsigned long long)k, rc, err.message);
    }
    /* lying lengths */
    p[8] = 0xff;
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_E_TRUNCATED);
    assert_non_null(strstr(err.message, "claims 255 bytes but only 118 follow"));
    p[8] = 10; /* too short: the dict is cut */
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_E_FORMAT);
    p[8] = 118;
    p[0] = 0x94;
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_E_FORMAT);
    p[0] = 0x93;
    p[6] = 4;
    assert_int_equal(jl_npy_parse_header(d, p, n, &h, &err), JL_E_UNSUPPORTED);
    assert_string_equal(err.message, "npy format version 4.0 is not supported");
    free(p);
    uint8_t big[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0x7f};
    assert_int_equal(jl_npy_parse_header(d, big, 12, &h, &err), JL_E_LIMIT);

    /* absurd shapes */
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", JL_E_LIMIT,
                     "overflows");
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': False, 'shape': (3, -1), }", JL_E_FORMAT,
                     "negative dimension");
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': False, 'shape': (99999999999999999999,), }", JL_E_FORMAT,
                     "integer too large");
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': False, 'shape': [5], }", JL_E_FORMAT, "shape is not a tuple");
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': False, 'shape': (5.0,), }", JL_E_FORMAT, "decimal");
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': False, 'shape': ('5',), }", JL_E_FORMAT, "not an int");
    /* bad keys and values */
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': 0, 'shape': (5,), }", JL_E_FORMAT, "True or False");
    expect_npy_error(d, "{'descr': '<i8', 'shape': (5,), }", JL_E_FORMAT, "no 'fortran_order' key");
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), 'x': 1}", JL_E_FORMAT, "unknown key");
    expect_npy_error(d, "{'descr': '<q8', 'fortran_order': False, 'shape': (5,), }", JL_E_ARG, "unknown dtype '<q8'");
    expect_npy_error(d, "{'descr': [('x', None)], 'fortran_order': False, 'shape': (5,), }", JL_E_FORMAT,
                     "not a string, int, list or tuple");
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), } x", JL_E_FORMAT,
                     "text after the header dict");
    expect_npy_error(d, "{'descr': '<i8' 'fortran_order': False, 'shape': (5,), }", JL_E_FORMAT, "expected ','");
    expect_npy_error(d, "{'descr': '<i8, 'fortran_order': False, 'shape': (5,), }", JL_E_FORMAT, "");
    expect_npy_error(d, "['descr', '<i8']", JL_E_FORMAT, "not a dict");
    expect_npy_error(d, "{'descr': '<i8', 'fortran_order': Falsey, 'shape': (5,), }", JL_E_FORMAT,
                     "unexpected character");
    /* deep nesting is refused, not recursed into */
    char deep[400] = "{'descr': '<i8', 'fortran_order': False, 'shape': ";
    for (int i = 0; i < 100; i++) strcat(deep, "(");
    strcat(deep, "5");
    for (int i = 0; i < 100; i++) strcat(deep, ")");
    strcat(deep, "}");
    expect_npy_error(d, deep, JL_E_FORMAT, "nested too deeply");
    jl_doc_free(d);
}

/* Every allocation failure is reported and nothing leaks. */
static void test_alloc_failures(void **state) {
    (void)state;
    const char *dict = "{'descr': [('x', '<i4'), ('y', '>f8', (2,))], 'fortran_order': False, 'shape': (2,), }";
    uint64_t n;
    uint8_t *p = make_npy(1, dict, &n);
    int ok = 0;
    for (long k = 0; k < 200 && !ok; k++) {
        jl_test_alloc t;
        jl_test_alloc_init(&t, -1);
        jl_doc *d = jl_doc_new(&t.alloc, NULL);
        t.fail_after = t.calls + k;
        jl_npy_header h;
        jl_error err;
        int rc = jl_npy_parse_header(d, p, n, &h, &err);
        if (rc == JL_OK) ok = 1;
        else assert_true(rc == JL_E_NOMEM || rc == JL_E_LIMIT);
        t.fail_after = -1;
        jl_doc_free(d);
        assert_int_equal(t.live, 0);
    }
    assert_true(ok);
    free(p);
}

/* ---- writing .npy headers --------------------------------------------------- */

/* dtype from a descr string, or from JSON when it starts with '['. */
static uint32_t any_dt(jl_doc *d, const char *s) {
    if (s[0] != '[') return simple_dt(d, s);
    uint32_t dt;
    jl_error err;
    if (jl_dtype_parse_json(d, s, strlen(s), &dt, &err)) fail_msg("jl_dtype_parse_json(%s): %s", s, err.message);
    return dt;
}

/* Each expected header is what numpy 1.24's np.save writes (checked with
 * numpy.lib.format): version, total length, and the dict text; the rest
 * is spaces (numpy's spare room for the growth axis + padding) and '\n'. */
static void test_npy_write_header(void **state) {
    jl_doc *d = new_doc(state);
    static const struct {
        const char *dt;
        unsigned ndim;
        uint64_t dims[2];
        int fortran, major;
        uint64_t total;
        const char *dict;
    } C[] = {
        { "<i8", 1, {5}, 0, 1, 128, "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }" },
        { ">f8", 2, {2, 3}, 1, 1, 128, "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }" },
        { "?", 0, {0}, 0, 1, 128, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }" },
        { "<M8[ns]", 2, {4, 0}, 0, 1, 128, "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (4, 0), }" },
        { "<U3", 2, {2, 123456}, 1, 1, 128, "{'descr': '<U3', 'fortran_order': True, 'shape': (2, 123456), }" },
        { "[[\"x\",\"<i4\"],[\"y\",\">f8\",[2,3]]]", 1, {3}, 0, 1, 128,
          "{'descr': [('x', '<i4'), ('y', '>f8', (2, 3))], 'fortran_order': False, 'shape': (3,), }" },
        { "[[[\"tit\",\"nm\"],\"<i2\"]]", 1, {1}, 0, 1, 128,
          "{'descr': [(('tit', 'nm'), '<i2')], 'fortran_order': False, 'shape': (1,), }" },
        /* Python's quoting: " when the text has ' but no ", escapes */
        { "[[\"it's\",\"i1\"],[\"d\\\"q\",\"i1\"],[\"a\\\\b\\tc\",\"i1\"]]", 1, {1}, 0, 1, 192,
          "{'descr': [(\"it's\", '|i1'), ('d\"q', '|i1'), ('a\\\\b\\tc', '|i1')], 'fortran_order': False, "
          "'shape': (1,), }" },
        { "[[\"n\",[[\"p\",\"u1\"],[\"q\",\"<i8\"]]],[\"s\",\"S3\"]]", 1, {2}, 0, 1, 192,
          "{'descr': [('n', [('p', '|u1'), ('q', '<i8')]), ('s', '|S3')], 'fortran_order': False, 'shape': (2,), }" },
        /* latin-1 in version 1.0, UTF-8 in 3.0 */
        { "[[\"caf\xc3\xa9\",\"i1\"]]", 1, {1}, 0, 1, 128,
          "{'descr': [('caf\xe9', '|i1')], 'fortran_order': False, 'shape': (1,), }" },
        { "[[\"\xe2\x82\xac\",\"i1\"]]", 1, {1}, 0, 3, 128,
          "{'descr': [('\xe2\x82\xac', '|i1')], 'fortran_order': False, 'shape': (1,), }" },
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        uint32_t dt = any_dt(d, C[i].dt);
        jl_buf b;
        jl_buf_init(&b, NULL, 0);
        jl_error err;
        if (jl_npy_write_header(d, dt, C[i].fortran, C[i].dims, C[i].ndim, &b, &err))
            fail_msg("%s: %s", C[i].dt, err.message);
        size_t pre = C[i].major == 1 ? 10 : 12, len = strlen(C[i].dict);
        uint64_t hlen = C[i].total - pre;
        if (b.len != C[i].total) fail_msg("case %zu: %llu bytes, numpy writes %llu", i, (unsigned long long)b.len,
                                          (unsigned long long)C[i].total);
        const uint8_t *p = (const uint8_t *)b.p;
        assert_memory_equal(p, "\x93NUMPY", 6);
        assert_int_equal(p[6], C[i].major);
        assert_int_equal(p[7], 0);
        assert_int_equal(p[8] | p[9] << 8, hlen);
        if (pre == 12) assert_int_equal(p[10] | p[11] << 8, 0);
        if (memcmp(p + pre, C[i].dict, len)) fail_msg("case %zu: got %.*s", i, (int)len, (const char *)p + pre);
        for (uint64_t k = pre + len; k < C[i].total - 1; k++) assert_int_equal(p[k], ' ');
        assert_int_equal(p[C[i].total - 1], '\n');
        /* and it reads back */
        jl_npy_header h;
        if (jl_npy_parse_header(d, p, b.len, &h, &err)) fail_msg("case %zu: %s", i, err.message);
        assert_string_equal(descr(d, h.dtype), descr(d, dt));
        assert_int_equal(h.fortran_order, C[i].fortran);
        assert_int_equal(h.ndim, C[i].ndim);
        for (unsigned k = 0; k < C[i].ndim; k++) assert_int_equal(h.dims[k], C[i].dims[k]);
        assert_int_equal(h.data_offset, C[i].total);
        jl_buf_free(&b);
    }

    /* a header past 65535 bytes is version 2.0: 6000 fields 'f0'..'f5999'
     * of i1 (numpy: 107008 bytes, length field f4 a1 01 00) */
    jl_buf js;
    jl_buf_init(&js, NULL, 0);
    jl_buf_putc(&js, '[');
    for (int i = 0; i < 6000; i++) jl_buf_printf(&js, "%s[\"f%d\",\"i1\"]", i ? "," : "", i);
    jl_buf_putc(&js, ']');
    uint32_t dt = any_dt(d, js.p);
    jl_buf_free(&js);
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    jl_error err;
    uint64_t one = 1;
    assert_int_equal(jl_npy_write_header(d, dt, 0, &one, 1, &b, &err), JL_OK);
    assert_int_equal(b.len, 107008);
    assert_memory_equal(b.p, "\x93NUMPY\x02\x00\xf4\xa1\x01\x00{'descr': [('f0', '|i1'), ('f1', '|i1'), ", 50);
    jl_npy_header h;
    assert_int_equal(jl_npy_parse_header(d, (const uint8_t *)b.p, b.len, &h, &err), JL_OK);
    assert_int_equal(d->dtypes[h.dtype].nfields, 6000);
    jl_buf_free(&b);

    /* no such dtype */
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_npy_write_header(d, 999999, 0, &one, 1, &b, &err), JL_E_ARG);
    assert_string_equal(err.message, "npy header: no dtype 999999");
    jl_buf_free(&b);
    jl_doc_free(d);
}

/* Allocation failures while writing a header are reported and free all. */
static void test_npy_write_alloc_failures(void **state) {
    (void)state;
    const char *js = "[[\"x\",\"<i4\"],[\"caf\xc3\xa9\",\">f8\",[2]]]";
    uint64_t dims[2] = {2, 3};
    int ok = 0;
    for (long k = 0; k < 200 && !ok; k++) {
        jl_test_alloc t;
        jl_test_alloc_init(&t, -1);
        jl_doc *d = jl_doc_new(&t.alloc, NULL);
        uint32_t dt;
        jl_error err;
        assert_int_equal(jl_dtype_parse_json(d, js, strlen(js), &dt, &err), JL_OK);
        jl_buf b;
        jl_buf_init(&b, &t.alloc, 0);
        t.fail_after = t.calls + k;
        jl_error_clear(&err);
        int rc = jl_npy_write_header(d, dt, 1, dims, 2, &b, &err);
        if (rc == JL_OK) {
            ok = 1;
            assert_int_equal(b.len, 128);
        } else {
            assert_int_equal(rc, JL_E_NOMEM);
            assert_string_equal(err.message, "out of memory writing an npy header");
        }
        t.fail_after = -1;
        jl_buf_free(&b);
        jl_doc_free(d);
        assert_int_equal(t.live, 0);
    }
    assert_true(ok);
}

/* jl_dtype_name: numpy's dtype.name (numpy 1.24: np.dtype(x).name). */
static void test_dtype_name(void **state) {
    jl_doc *d = new_doc(state);
    static const char *const cases[][2] = {
        { "<f4", "float32" }, { ">f8", "float64" }, { "|b1", "bool" }, { "<i8", "int64" },
        { "|u1", "uint8" }, { "<f2", "float16" }, { ">c16", "complex128" }, { "<M8[ns]", "datetime64[ns]" },
        { "<m8[10s]", "timedelta64[10s]" }, { "<M8", "datetime64" }, { "|S10", "bytes80" },
        { "<U5", "str160" }, { "|V8", "void64" }, { "[[\"a\",\"<i4\"],[\"b\",\">f8\"]]", "void96" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t dt;
        const char *s = cases[i][0];
        int rc = s[0] == '[' ? jl_dtype_parse_json(d, s, strlen(s), &dt, &E) : jl_dtype_parse(d, s, strlen(s), &dt, &E);
        if (rc) fail_msg("parse %s: %s", s, E.message);
        jl_buf b;
        jl_buf_init(&b, NULL, 0);
        assert_int_equal(jl_dtype_name(d, dt, &b), JL_OK);
        assert_string_equal(b.p, cases[i][1]);
        jl_buf_free(&b);
    }
    jl_doc_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_name),
        cmocka_unit_test(test_table_simple),
        cmocka_unit_test(test_table_structured),
        cmocka_unit_test(test_old_layouts),
        cmocka_unit_test(test_pickle_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_parse_descr_round_trip),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_scalar_class),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_descr_out_of_order),
        cmocka_unit_test(test_swap),
        cmocka_unit_test(test_shape_nbytes),
        cmocka_unit_test(test_npy_corpus),
        cmocka_unit_test(test_npy_versions),
        cmocka_unit_test(test_npy_malformed),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_npy_write_header),
        cmocka_unit_test(test_npy_write_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
