/*
 * test_table_plan.c - the column plan of table-shaped nodes
 * (codec/tree/table.c): dicts of columns, structured and 2-D arrays, lists
 * of dict / tuple records; column names (unique without case, strict
 * UTF-8), declared types, cells, and the exact errors for nodes that are
 * not tables. Docs are built by hand.
 */
#include <stdarg.h>
#include <string.h>

#include "array_build.h"
#include "dtype.h"
#include "table.h"
#include "testutil.h"
#include "treebuild.h"

/* A C-order array of dtype dt, shape dims, over bytes 0, 1, 2, ... */
static uint32_t array(jl_doc *d, const char *dt, const uint64_t *dims, unsigned ndim, char order) {
    uint32_t t;
    jl_error err;
    int rc = dt[0] == '[' ? jl_dtype_parse_json(d, dt, strlen(dt), &t, &err) : jl_dtype_parse(d, dt, strlen(dt), &t, &err);
    if (rc) fail_msg("%s", err.message);
    uint64_t n = d->dtypes[t].itemsize;
    for (unsigned i = 0; i < ndim; i++) n *= dims[i];
    jl_ref r;
    uint8_t *p = jl_heap_alloc(d, n, &r, NULL);
    for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)i;
    jl_array_spec s = { t, dims, ndim, order, r, JL_NONE };
    uint32_t id = jl_array_build(d, &s, &err);
    if (id == JL_NONE) fail_msg("%s", err.message);
    return id;
}

static uint32_t F(jl_doc *d, double v) { return jl_new_float(d, v, NULL); }
static uint32_t N(jl_doc *d) { return jl_node_new(d, JL_NULL, NULL); }

/* Makes the plan of id, which must succeed. */
static void plan(jl_doc *d, uint32_t id, jl_table_plan *p) {
    jl_error err;
    jl_error_clear(&err);
    if (jl_table_plan_make(d, id, jl_alloc_default(), p, &err) != JL_OK) fail_msg("%s", err.message);
}

static void want_error(jl_doc *d, uint32_t id, jl_code code, const char *msg) {
    jl_table_plan p;
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_table_plan_make(d, id, jl_alloc_default(), &p, &err), code);
    assert_string_equal(err.message, msg);
    jl_table_plan_free(&p);
}

static void want_col(const jl_table_plan *p, uint32_t j, const char *name, const char *decl, jl_tcol_how how) {
    assert_true(j < p->ncols);
    assert_string_equal(p->cols[j].name, name);
    assert_string_equal(p->cols[j].decl, decl);
    assert_int_equal(p->cols[j].how, how);
}

static void test_columns(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint64_t three = 3;
    uint32_t nums[3] = { I(d, 1), F(d, 2.5), N(d) }, strs[3] = { S(d, "x"), N(d), S(d, "z") };
    uint32_t kv[] = { S(d, "a"), array(d, "<i8", &three, 1, 'C'), S(d, "b"), seq(d, JL_LIST, nums, 3),
                      S(d, "A"), seq(d, JL_TUPLE, strs, 3), I(d, 7), array(d, "|S2", &three, 1, 'C') };
    uint32_t dict = seq(d, JL_DICT, kv, 8);
    jl_table_plan p;
    plan(d, dict, &p);
    assert_int_equal(p.nrows, 3);
    assert_int_equal(p.ncols, 4);
    assert_int_equal(p.records, JL_NONE);
    want_col(&p, 0, "a", "INTEGER", JL_TCOL_ARRAY);
    want_col(&p, 1, "b", "REAL", JL_TCOL_ITEMS);
    want_col(&p, 2, "A:1", "TEXT", JL_TCOL_ITEMS); /* 'a' and 'A' are one name to SQLite */
    want_col(&p, 3, "7", "BLOB", JL_TCOL_ARRAY);   /* a non-str key: its JSON text */
    jl_ref r = jl_table_cell_ref(d, &p.cols[0], 2);
    assert_int_equal(r.len, 8);
    assert_int_equal(jl_ref_ptr(d, r)[0], 16);
    r = jl_table_cell_ref(d, &p.cols[3], 1);
    assert_int_equal(r.len, 2);
    assert_int_equal(jl_ref_ptr(d, r)[0], 2);
    assert_int_equal(jl_table_cell_node(d, &p, &p.cols[1], 1), nums[1]);
    assert_int_equal(jl_table_cell_node(d, &p, &p.cols[2], 2), strs[2]);
    jl_table_plan_free(&p);
    jl_doc_free(d);
}

/* N-D arrays in a dict of columns are vector columns: one row per index of
 * the first axis, the row's bytes, declared as dtype name and row shape. */
static void test_vector_columns(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint64_t three = 3, dims[2] = { 3, 4 }, cube[3] = { 3, 2, 5 };
    uint32_t kv[] = { S(d, "id"), array(d, "<i8", &three, 1, 'C'), S(d, "emb"), array(d, "<f4", dims, 2, 'C'),
                      S(d, "cube"), array(d, ">i2", cube, 3, 'F'), S(d, "t"), array(d, "<M8[10ms]", dims, 2, 'C') };
    jl_table_plan p;
    plan(d, seq(d, JL_DICT, kv, 8), &p);
    assert_int_equal(p.nrows, 3);
    assert_int_equal(p.ncols, 4);
    want_col(&p, 1, "emb", "BLOB", JL_TCOL_VECTOR);
    assert_string_equal(jl_table_decl(&p.cols[0]), "INTEGER");
    assert_string_equal(jl_table_decl(&p.cols[1]), "float32[4]");
    assert_string_equal(jl_table_decl(&p.cols[2]), "int16[2][5]");
    assert_string_equal(jl_table_decl(&p.cols[3]), "datetime64[10ms][4]");
    assert_int_equal(p.cols[1].stride, 16); /* bytes per row */
    assert_int_equal(p.cols[2].stride, 20);
    assert_int_equal(p.cols[1].node, kv[3]);
    jl_table_plan_free(&p);
    /* data shorter than the shape, an object array */
    uint32_t arr = array(d, "<f4", dims, 2, 'C');
    jl_array_of(d, arr)->data.len = 40;
    uint32_t kv2[] = { S(d, "short"), arr };
    want_error(d, seq(d, JL_DICT, kv2, 2), JL_E_FORMAT, "column 'short': array data holds 40 bytes, its shape needs 48");
    jl_doc_free(d);
}

static void test_column_errors(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint32_t three[3] = { I(d, 1), I(d, 2), I(d, 3) };
    uint32_t kv[] = { S(d, "a"), seq(d, JL_LIST, three, 3), S(d, "b"), seq(d, JL_LIST, three, 2) };
    want_error(d, seq(d, JL_DICT, kv, 4), JL_E_FORMAT, "columns of unequal length: 'b' has 2 rows, 'a' has 3");
    uint32_t kv2[] = { S(d, "a"), I(d, 1) };
    want_error(d, seq(d, JL_DICT, kv2, 2), JL_E_FORMAT,
               "not table-shaped: column 'a' is an int, not a 1-D array or a list");
    uint64_t dims[2] = { 2, 2 };
    uint32_t kv3[] = { S(d, "m"), array(d, "<f8", dims, 2, 'C'), S(d, "n"), seq(d, JL_LIST, three, 3) };
    want_error(d, seq(d, JL_DICT, kv3, 4), JL_E_FORMAT, "columns of unequal length: 'n' has 3 rows, 'm' has 2");
    uint32_t kv5[] = { S(d, "z"), array(d, "<f8", NULL, 0, 'C') };
    want_error(d, seq(d, JL_DICT, kv5, 2), JL_E_FORMAT,
               "not table-shaped: column 'z' is a 0-D ndarray, not a 1-D array or a list");
    want_error(d, seq(d, JL_DICT, NULL, 0), JL_E_FORMAT, "an empty dict has no columns");
    uint32_t kv4[] = { jl_new_bytes(d, JL_STR, "a\0b", 3, NULL), seq(d, JL_LIST, three, 3) };
    want_error(d, seq(d, JL_DICT, kv4, 2), JL_E_FORMAT, "column name 'a...' contains a NUL character");
    want_error(d, S(d, "x"), JL_E_FORMAT,
               "not table-shaped: a str (expected a dict of columns, a 1-D structured array, a 2-D array or a "
               "list of records)");
    want_error(d, object(d, global(d, "pandas.core.frame", "DataFrame"), JL_NONE, JL_NONE), JL_E_FORMAT,
               "not table-shaped: an object of class pandas.core.frame.DataFrame (expected a dict of columns, a "
               "1-D structured array, a 2-D array or a list of records)");
    jl_doc_free(d);
}

static void test_arrays(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint64_t dims[2] = { 2, 3 };
    jl_table_plan p;
    plan(d, array(d, "<f4", dims, 2, 'F'), &p);
    assert_int_equal(p.nrows, 2);
    assert_int_equal(p.ncols, 3);
    want_col(&p, 0, "c0", "REAL", JL_TCOL_ARRAY);
    want_col(&p, 2, "c2", "REAL", JL_TCOL_ARRAY);
    /* F order: column 2 row 1 is element 2 * 2 + 1 = 5 */
    assert_int_equal(jl_ref_ptr(d, jl_table_cell_ref(d, &p.cols[2], 1))[0], 20);
    jl_table_plan_free(&p);
    plan(d, array(d, "<f4", dims, 2, 'C'), &p);
    assert_int_equal(jl_ref_ptr(d, jl_table_cell_ref(d, &p.cols[2], 1))[0], 20); /* row 1 col 2 = 5 */
    assert_int_equal(jl_ref_ptr(d, jl_table_cell_ref(d, &p.cols[1], 0))[0], 4);
    jl_table_plan_free(&p);
    uint64_t two = 2;
    plan(d, array(d, "[[\"x\",\"<i4\"],[\"y\",\"|S3\"],[\"t\",\"<M8[s]\"]]", &two, 1, 'C'), &p);
    assert_int_equal(p.nrows, 2);
    want_col(&p, 0, "x", "INTEGER", JL_TCOL_ARRAY);
    want_col(&p, 1, "y", "BLOB", JL_TCOL_ARRAY);
    want_col(&p, 2, "t", "TEXT", JL_TCOL_ARRAY);
    jl_ref r = jl_table_cell_ref(d, &p.cols[1], 1); /* row 1 starts at 15, y at 4 */
    assert_int_equal(r.len, 3);
    assert_int_equal(jl_ref_ptr(d, r)[0], 19);
    jl_table_plan_free(&p);
    uint64_t cube[3] = { 2, 2, 2 };
    want_error(d, array(d, "<i8", cube, 3, 'C'), JL_E_FORMAT,
               "not table-shaped: a 3-D ndarray (expected a dict of columns, a 1-D structured array, a 2-D array "
               "or a list of records)");
    want_error(d, array(d, "<i8", &two, 1, 'C'), JL_E_FORMAT,
               "not table-shaped: a 1-D ndarray (expected a dict of columns, a 1-D structured array, a 2-D array "
               "or a list of records)");
    uint64_t wide[2] = { 1, 0 };
    want_error(d, array(d, "<i8", wide, 2, 'C'), JL_E_FORMAT, "a 2-D array with 0 columns has no columns");
    wide[1] = JL_TABLE_MAX_COLS + 1;
    want_error(d, array(d, "|u1", wide, 2, 'C'), JL_E_LIMIT,
               "a 2-D array with 32768 columns (SQLite allows at most 32767)");
    jl_doc_free(d);
}

static void test_records(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint32_t r0[] = { S(d, "a"), I(d, 1), S(d, "b"), S(d, "x") };
    uint32_t r1[] = { S(d, "b"), S(d, "y"), S(d, "c"), F(d, 2.0) };
    uint32_t recs[2] = { seq(d, JL_DICT, r0, 4), seq(d, JL_DICT, r1, 4) };
    uint32_t list = seq(d, JL_LIST, recs, 2);
    jl_table_plan p;
    plan(d, list, &p);
    assert_int_equal(p.records, list);
    assert_int_equal(p.nrows, 2);
    assert_int_equal(p.ncols, 3);
    want_col(&p, 0, "a", "INTEGER", JL_TCOL_RECDICT);
    want_col(&p, 1, "b", "TEXT", JL_TCOL_RECDICT);
    want_col(&p, 2, "c", "REAL", JL_TCOL_RECDICT);
    assert_int_equal(jl_table_cell_node(d, &p, &p.cols[0], 1), JL_NONE); /* missing key */
    assert_int_equal(jl_table_cell_node(d, &p, &p.cols[1], 1), r1[1]);
    jl_table_plan_free(&p);

    uint32_t t0[] = { I(d, 1), S(d, "p") }, t1[] = { I(d, 2) };
    uint32_t tups[2] = { seq(d, JL_TUPLE, t0, 2), seq(d, JL_LIST, t1, 1) };
    plan(d, seq(d, JL_TUPLE, tups, 2), &p);
    assert_int_equal(p.ncols, 2);
    want_col(&p, 0, "c0", "INTEGER", JL_TCOL_RECSEQ);
    want_col(&p, 1, "c1", "TEXT", JL_TCOL_RECSEQ);
    assert_int_equal(jl_table_cell_node(d, &p, &p.cols[1], 0), t0[1]);
    assert_int_equal(jl_table_cell_node(d, &p, &p.cols[1], 1), JL_NONE); /* shorter record */
    jl_table_plan_free(&p);

    uint32_t mixed[2] = { recs[0], I(d, 3) };
    want_error(d, seq(d, JL_LIST, mixed, 2), JL_E_FORMAT,
               "not table-shaped: element [1] is an int where element [0] is a dict (records must be all dicts or "
               "all tuples/lists)");
    uint32_t ints[1] = { I(d, 3) };
    want_error(d, seq(d, JL_LIST, ints, 1), JL_E_FORMAT,
               "not table-shaped: a list whose element [0] is an int (expected records: dicts, tuples or lists)");
    want_error(d, seq(d, JL_TUPLE, NULL, 0), JL_E_FORMAT, "an empty tuple has no columns");
    uint32_t empties[1] = { seq(d, JL_TUPLE, NULL, 0) };
    want_error(d, seq(d, JL_LIST, empties, 1), JL_E_FORMAT, "records of no elements have no columns");
    jl_doc_free(d);
}

static void test_utf8_clean(void **state) {
    (void)state;
    static const struct { const char *in; size_t n; const char *out; } cases[] = {
        { "abc", 3, "abc" },
        { "", 0, "" },
        { "a\xFF" "b", 3, "a\xEF\xBF\xBD" "b" },           /* not UTF-8 */
        { "\xED\xA0\x80x", 4, "\xEF\xBF\xBDx" },            /* a lone surrogate (WTF-8) */
        { "\xC3\xA9t\xC3", 4, "\xC3\xA9t\xEF\xBF\xBD" },    /* cut character */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jl_buf b;
        jl_buf_init(&b, jl_alloc_default(), 0);
        assert_int_equal(jl_table_utf8_clean(&b, cases[i].in, cases[i].n), JL_OK);
        assert_non_null(b.p);
        assert_string_equal(b.p, cases[i].out);
        jl_buf_free(&b);
    }
    /* column names made valid */
    jl_doc *d = new_doc();
    uint32_t one[1] = { I(d, 1) };
    uint32_t kv[] = { S(d, "n\xFF"), seq(d, JL_LIST, one, 1) };
    jl_table_plan p;
    plan(d, seq(d, JL_DICT, kv, 2), &p);
    assert_string_equal(p.cols[0].name, "n\xEF\xBF\xBD");
    jl_table_plan_free(&p);
    jl_doc_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns), cmocka_unit_test(test_vector_columns), cmocka_unit_test(test_column_errors),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_records), cmocka_unit_test(test_utf8_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
