/*
 * test_walk.c - json_each / json_tree style walks (walk.h) over
 * hand-built trees: exact rows (id, parent, fullkey, path, refs), objects,
 * keys of every kind, array rows as views, object arrays' elements and
 * rows in a tree, a million references to one
 * list, 100,000-deep nesting, depth limits and allocation failures. Every
 * fullkey (and ref_fullkey) must select the row's node again.
 */
#include "testutil.h"
#include "treebuild.h"

#include "path.h"
#include "render.h"
#include "value.h"
#include "walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- builders ------------------------------------------------------------ */


static uint32_t i8_array(jl_doc *doc, int ndim, const uint64_t *dims, const int64_t *data, uint64_t count) {
    uint32_t dt = jl_dtype_new(doc, NULL);
    doc->dtypes[dt].kind = 'i';
    doc->dtypes[dt].byteorder = '<';
    doc->dtypes[dt].itemsize = 8;
    doc->dtypes[dt].alignment = 8;
    uint32_t id = jl_node_new(doc, JL_NDARRAY, NULL);
    uint32_t ai = jl_array_new(doc, NULL);
    doc->nodes[id].u.ext = ai;
    uint32_t at = jl_dims_new(doc, (uint64_t)ndim, NULL);
    for (int k = 0; k < ndim; k++) doc->dims[at + k] = dims[k];
    jl_array *a = &doc->arrays[ai];
    a->dtype = dt;
    a->dims_at = at;
    a->ndim = (uint8_t)ndim;
    memcpy(jl_heap_alloc(doc, count * 8, &a->data, NULL), data, count * 8);
    return id;
}

/* ---- row checks ------------------------------------------------------------ */

typedef struct want {
    uint64_t id, parent;
    uint32_t node;
    const char *fullkey, *path, *step;
    const char *ref; /* ref_fullkey, NULL when not a ref */
    const char *attr;
    int64_t index;
    uint32_t key;
} want;

/* Walks and compares every row with w[0..n); the path strings are asked
 * for on every `stride`-th row only (they are built lazily, so rows
 * skipped in between must not disturb them). */
static void expect_rows_stride(jl_doc *doc, uint32_t root, const char *root_path, int tree, const want *w,
                               unsigned n, unsigned stride) {
    jl_walk *walk;
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_walk_start(doc, root, root_path, tree, &walk, &err), JL_OK);
    jl_walk_row row;
    unsigned k = 0;
    int rc;
    while ((rc = jl_walk_next(walk, &row, &err)) == 1) {
        if (k >= n) fail_msg("extra row %llu", (unsigned long long)row.id);
        const want *x = &w[k++];
        assert_int_equal(row.id, x->id);
        assert_int_equal(row.parent, x->parent);
        assert_int_equal(row.node, x->node);
        assert_int_equal(row.is_ref, x->ref != NULL);
        if (x->attr) assert_string_equal(row.attr, x->attr);
        else assert_null(row.attr);
        assert_int_equal(row.index, x->index);
        assert_int_equal(row.key, x->key);
        if ((k - 1) % stride != stride - 1) {
            assert_null(row.fullkey); /* nothing built unless asked */
            continue;
        }
        assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
        assert_string_equal(row.fullkey, x->fullkey);
        assert_string_equal(row.path, x->path);
        assert_string_equal(row.step, x->step);
        if (x->ref) assert_string_equal(row.ref_fullkey, x->ref);
        assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK); /* asking twice is the same */
        assert_string_equal(row.fullkey, x->fullkey);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(k, n);
    assert_int_equal(jl_walk_next(walk, &row, &err), 0); /* stays at the end */
    jl_walk_free(walk);
}

static void expect_rows(jl_doc *doc, uint32_t root, const char *root_path, int tree, const want *w, unsigned n) {
    for (unsigned stride = 1; stride <= 3; stride++) expect_rows_stride(doc, root, root_path, tree, w, n, stride);
}

/* Every fullkey and ref_fullkey of a tree walk selects the row's node. */
static uint64_t check_fullkeys(jl_doc *doc, uint32_t root) {
    jl_walk *walk;
    jl_error err;
    assert_int_equal(jl_walk_start(doc, root, "$", 1, &walk, &err), JL_OK);
    jl_walk_row row;
    uint64_t n = 0;
    while (jl_walk_next(walk, &row, &err) == 1) {
        uint32_t got;
        assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
        assert_int_equal(jl_path_resolve(doc, root, row.fullkey, strlen(row.fullkey), &got, &err), JL_OK);
        if (got != row.node) fail_msg("%s selects %u, not %u", row.fullkey, got, row.node);
        if (row.is_ref) {
            assert_int_equal(jl_path_resolve(doc, root, row.ref_fullkey, strlen(row.ref_fullkey), &got, &err), JL_OK);
            if (got != row.node) fail_msg("ref %s selects %u, not %u", row.ref_fullkey, got, row.node);
        }
        n++;
    }
    jl_walk_free(walk);
    return n;
}

#define NOKEY JL_NONE
#define TOP UINT64_MAX

/* ---- tests ----------------------------------------------------------------- */

static void test_tree_and_each(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t b2[2] = { S(doc, "b"), I(doc, 2) };
    uint32_t db = seq(doc, JL_DICT, b2, 2);
    uint32_t al[2] = { I(doc, 1), db };
    uint32_t a = seq(doc, JL_LIST, al, 2);
    uint32_t kv[6] = { S(doc, "a"), a, S(doc, "c d"), I(doc, 3), I(doc, 5), jl_node_new(doc, JL_NULL, NULL) };
    uint32_t root = seq(doc, JL_DICT, kv, 6);
    const want tree[] = {
        { 0, TOP, root, "$", "$", "", NULL, NULL, -1, NOKEY },
        { 1, 0, a, "$.a", "$", ".a", NULL, NULL, -1, kv[0] },
        { 2, 1, al[0], "$.a[0]", "$.a", "[0]", NULL, NULL, 0, NOKEY },
        { 3, 1, db, "$.a[1]", "$.a", "[1]", NULL, NULL, 1, NOKEY },
        { 4, 3, b2[1], "$.a[1].b", "$.a[1]", ".b", NULL, NULL, -1, b2[0] },
        { 5, 0, kv[3], "$.\"c d\"", "$", ".\"c d\"", NULL, NULL, -1, kv[2] },
        { 6, 0, kv[5], "$[5]", "$", "[5]", NULL, NULL, -1, kv[4] },
    };
    expect_rows(doc, root, "$", 1, tree, 7);
    const want each[] = {
        { 1, 0, a, "$.a", "$", ".a", NULL, NULL, -1, kv[0] },
        { 2, 0, kv[3], "$.\"c d\"", "$", ".\"c d\"", NULL, NULL, -1, kv[2] },
        { 3, 0, kv[5], "$[5]", "$", "[5]", NULL, NULL, -1, kv[4] },
    };
    expect_rows(doc, root, "$", 0, each, 3);
    /* below a given root path */
    const want sub_tree[] = {
        { 0, TOP, a, "$.a", "$", "", NULL, NULL, -1, NOKEY },
        { 1, 0, al[0], "$.a[0]", "$.a", "[0]", NULL, NULL, 0, NOKEY },
        { 2, 0, db, "$.a[1]", "$.a", "[1]", NULL, NULL, 1, NOKEY },
        { 3, 2, b2[1], "$.a[1].b", "$.a[1]", ".b", NULL, NULL, -1, b2[0] },
    };
    expect_rows(doc, a, "$.a", 1, sub_tree, 4);
    const want sub_each[] = {
        { 1, 0, b2[1], "$.a[1].b", "$.a[1]", ".b", NULL, NULL, -1, b2[0] },
    };
    expect_rows(doc, db, "$.a[1]", 0, sub_each, 1);
    /* an atom root: one row, in both modes, as json_each does */
    const want atom[] = { { 0, TOP, kv[3], "$.\"c d\"", "$", "", NULL, NULL, -1, NOKEY } };
    expect_rows(doc, kv[3], "$.\"c d\"", 0, atom, 1);
    expect_rows(doc, kv[3], "$.\"c d\"", 1, atom, 1);
    /* an empty container: no rows in each, the root in tree */
    uint32_t empty = seq(doc, JL_LIST, NULL, 0);
    expect_rows(doc, empty, "$", 0, NULL, 0);
    const want empty_tree[] = { { 0, TOP, empty, "$", "$", "", NULL, NULL, -1, NOKEY } };
    expect_rows(doc, empty, "$", 1, empty_tree, 1);
    assert_int_equal(check_fullkeys(doc, root), 7);
    jl_doc_free(doc);
}

static void test_refs(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    /* L = [1, L, [L]] */
    uint32_t l = seq(doc, JL_LIST, NULL, 0);
    uint32_t inner = seq(doc, JL_LIST, &l, 1);
    uint32_t kids[3] = { I(doc, 1), l, inner };
    assert_int_equal(jl_kids_append(doc, l, kids, 3, NULL), JL_OK);
    const want self[] = {
        { 0, TOP, l, "$", "$", "", NULL, NULL, -1, NOKEY },
        { 1, 0, kids[0], "$[0]", "$", "[0]", NULL, NULL, 0, NOKEY },
        { 2, 0, l, "$[1]", "$", "[1]", "$", NULL, 1, NOKEY },
        { 3, 0, inner, "$[2]", "$", "[2]", NULL, NULL, 2, NOKEY },
        { 4, 3, l, "$[2][0]", "$[2]", "[0]", "$", NULL, 0, NOKEY },
    };
    expect_rows(doc, l, "$", 1, self, 5);
    /* each: the root counts as shown */
    const want self_each[] = {
        { 1, 0, kids[0], "$[0]", "$", "[0]", NULL, NULL, 0, NOKEY },
        { 2, 0, l, "$[1]", "$", "[1]", "$", NULL, 1, NOKEY },
        { 3, 0, inner, "$[2]", "$", "[2]", NULL, NULL, 2, NOKEY },
    };
    expect_rows(doc, l, "$", 0, self_each, 3);
    assert_int_equal(check_fullkeys(doc, l), 5);

    /* shared below: {"x": {"y": [B]}, "z": B, b"k": C, "w": C}, atoms are never refs */
    uint32_t two = I(doc, 2);
    uint32_t B = seq(doc, JL_TUPLE, &two, 1);
    uint32_t y = seq(doc, JL_LIST, &B, 1);
    uint32_t ykv[2] = { S(doc, "y"), y };
    uint32_t x = seq(doc, JL_DICT, ykv, 2);
    uint32_t C = seq(doc, JL_SET, &two, 1);
    uint32_t s = S(doc, "shared");
    uint32_t kv[] = { S(doc, "x"), x, S(doc, "z"), B, jl_new_bytes(doc, JL_BYTES, "k", 1, NULL), C,
                      S(doc, "w"), C, S(doc, "s1"), s, S(doc, "s2"), s };
    uint32_t root = seq(doc, JL_DICT, kv, 12);
    const want shared[] = {
        { 0, TOP, root, "$", "$", "", NULL, NULL, -1, NOKEY },
        { 1, 0, x, "$.x", "$", ".x", NULL, NULL, -1, kv[0] },
        { 2, 1, y, "$.x.y", "$.x", ".y", NULL, NULL, -1, ykv[0] },
        { 3, 2, B, "$.x.y[0]", "$.x.y", "[0]", NULL, NULL, 0, NOKEY },
        { 4, 3, two, "$.x.y[0][0]", "$.x.y[0]", "[0]", NULL, NULL, 0, NOKEY },
        { 5, 0, B, "$.z", "$", ".z", "$.x.y[0]", NULL, -1, kv[2] },
        { 6, 0, C, "$[#-4]", "$", "[#-4]", NULL, NULL, -1, kv[4] },
        { 7, 6, two, "$[#-4][0]", "$[#-4]", "[0]", NULL, NULL, 0, NOKEY },
        { 8, 0, C, "$.w", "$", ".w", "$[#-4]", NULL, -1, kv[6] },
        { 9, 0, s, "$.s1", "$", ".s1", NULL, NULL, -1, kv[8] },
        { 10, 0, s, "$.s2", "$", ".s2", NULL, NULL, -1, kv[10] },
    };
    expect_rows(doc, root, "$", 1, shared, 11);
    assert_int_equal(check_fullkeys(doc, root), 11);
    /* ref paths are built under a given root path */
    uint32_t outer[1] = { root };
    uint32_t top = seq(doc, JL_LIST, outer, 1);
    (void)top;
    jl_walk *walk;
    jl_walk_row row;
    jl_error err;
    assert_int_equal(jl_walk_start(doc, root, "$[0]", 1, &walk, &err), JL_OK);
    for (int k = 0; k < 6; k++) assert_int_equal(jl_walk_next(walk, &row, &err), 1);
    assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
    assert_string_equal(row.fullkey, "$[0].z");
    assert_string_equal(row.ref_fullkey, "$[0].x.y[0]");
    jl_walk_free(walk);
    jl_doc_free(doc);
}

static void test_objects(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t one = I(doc, 1), two = I(doc, 2), five = I(doc, 5);
    uint32_t args = seq(doc, JL_TUPLE, &one, 1);
    uint32_t alpha = seq(doc, JL_LIST, &two, 1);
    uint32_t kv[6] = { S(doc, "alpha"), alpha, S(doc, "__args__"), I(doc, 3), I(doc, 7), I(doc, 4) };
    uint32_t st = seq(doc, JL_DICT, kv, 6);
    uint32_t o = object(doc, global(doc, "m", "C"), args, st);
    uint32_t items = seq(doc, JL_LIST, &five, 1);
    doc->objects[doc->nodes[o].u.ext].listitems = items;
    const want rows[] = {
        { 0, TOP, o, "$", "$", "", NULL, NULL, -1, NOKEY },
        { 1, 0, args, "$.__args__", "$", ".__args__", NULL, "__args__", -1, NOKEY },
        { 2, 1, one, "$.__args__[0]", "$.__args__", "[0]", NULL, NULL, 0, NOKEY },
        { 3, 0, alpha, "$.alpha", "$", ".alpha", NULL, "alpha", -1, kv[0] },
        { 4, 3, two, "$.alpha[0]", "$.alpha", "[0]", NULL, NULL, 0, NOKEY },
        { 5, 0, kv[3], "$.\"__args__\"", "$", ".\"__args__\"", NULL, "__args__", -1, kv[2] },
        { 6, 0, kv[5], "$[7]", "$", "[7]", NULL, NULL, -1, kv[4] },
        { 7, 0, items, "$.__items__", "$", ".__items__", NULL, "__items__", -1, NOKEY },
        { 8, 7, five, "$.__items__[0]", "$.__items__", "[0]", NULL, NULL, 0, NOKEY },
    };
    expect_rows(doc, o, "$", 1, rows, 9);
    assert_int_equal(check_fullkeys(doc, o), 9);
    /* a non-dict state */
    uint32_t o2 = object(doc, global(doc, "m", "D"), JL_NONE, args);
    const want rows2[] = {
        { 1, 0, args, "$.__state__", "$", ".__state__", NULL, "__state__", -1, NOKEY },
    };
    expect_rows(doc, o2, "$", 0, rows2, 1);
    jl_doc_free(doc);
}

static void test_arrays(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    int64_t iv[6] = { 0, 1, 2, 3, 4, 5 };
    uint64_t dims[2] = { 3, 2 };
    uint32_t arr = i8_array(doc, 2, dims, iv, 6);
    uint32_t top[2] = { arr, arr };
    uint32_t root = seq(doc, JL_LIST, top, 2);
    /* tree: arrays are leaves, a shared array is a ref */
    const want tree[] = {
        { 0, TOP, root, "$", "$", "", NULL, NULL, -1, NOKEY },
        { 1, 0, arr, "$[0]", "$", "[0]", NULL, NULL, 0, NOKEY },
        { 2, 0, arr, "$[1]", "$", "[1]", "$[0]", NULL, 1, NOKEY },
    };
    expect_rows(doc, root, "$", 1, tree, 3);
    /* each over an array: its rows, views that do not pile up in the doc */
    uint64_t nodes_before = doc->nnodes, arrays_before = doc->narrays;
    jl_walk *walk;
    jl_walk_row row;
    jl_error err;
    assert_int_equal(jl_walk_start(doc, arr, "$[0]", 0, &walk, &err), JL_OK);
    static const char *const json[3] = { "[0,1]", "[2,3]", "[4,5]" };
    for (int k = 0; k < 3; k++) {
        assert_int_equal(jl_walk_next(walk, &row, &err), 1);
        assert_int_equal(row.id, (uint64_t)k + 1);
        assert_int_equal(row.parent, 0);
        assert_int_equal(row.index, k);
        assert_int_equal(row.is_ref, 0);
        assert_int_equal(doc->nodes[row.node].kind, JL_NDARRAY);
        assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
        char fk[16];
        snprintf(fk, sizeof fk, "$[0][%d]", k);
        assert_string_equal(row.fullkey, fk);
        assert_string_equal(row.path, "$[0]");
        jl_buf b;
        jl_buf_init(&b, NULL, 0);
        assert_int_equal(jl_render_json(doc, row.node, &b, &err), JL_OK);
        assert_string_equal(b.p, json[k]);
        jl_buf_free(&b);
        assert_true(doc->nnodes <= nodes_before + 1);
    }
    assert_int_equal(jl_walk_next(walk, &row, &err), 0);
    jl_walk_free(walk);
    assert_int_equal(doc->nnodes, nodes_before);
    assert_int_equal(doc->narrays, arrays_before);
    /* a 1-D array gives scalars */
    uint64_t d1[1] = { 2 };
    uint32_t vec = i8_array(doc, 1, d1, iv + 4, 2);
    assert_int_equal(jl_walk_start(doc, vec, "$", 0, &walk, &err), JL_OK);
    assert_int_equal(jl_walk_next(walk, &row, &err), 1);
    assert_int_equal(doc->nodes[row.node].kind, JL_SCALAR);
    assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
    assert_string_equal(row.fullkey, "$[0]");
    assert_int_equal(jl_walk_next(walk, &row, &err), 1);
    assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
    assert_string_equal(row.fullkey, "$[1]");
    assert_int_equal(jl_walk_next(walk, &row, &err), 0);
    jl_walk_free(walk);
    /* tree over an array: the root alone */
    const want leaf[] = { { 0, TOP, vec, "$", "$", "", NULL, NULL, -1, NOKEY } };
    expect_rows(doc, vec, "$", 1, leaf, 1);
    jl_doc_free(doc);
}

/* An object array over `items` (a list node) with the given shape. */
static uint32_t object_array(jl_doc *doc, int ndim, const uint64_t *dims, uint32_t items) {
    uint32_t dt = jl_dtype_new(doc, NULL);
    doc->dtypes[dt].kind = 'O';
    doc->dtypes[dt].byteorder = '|';
    doc->dtypes[dt].itemsize = 8;
    doc->dtypes[dt].alignment = 8;
    doc->dtypes[dt].has_object = 1;
    uint32_t id = jl_node_new(doc, JL_NDARRAY, NULL);
    uint32_t ai = jl_array_new(doc, NULL);
    doc->nodes[id].u.ext = ai;
    uint32_t at = jl_dims_new(doc, (uint64_t)ndim, NULL);
    for (int k = 0; k < ndim; k++) doc->dims[at + k] = dims[k];
    jl_array *a = &doc->arrays[ai];
    a->dtype = dt;
    a->dims_at = at;
    a->ndim = (uint8_t)ndim;
    a->items = items;
    a->order = 'C';
    return id;
}

static void test_object_arrays(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t one = I(doc, 1);
    uint32_t shared = seq(doc, JL_LIST, &one, 1);
    uint32_t el[4] = { I(doc, 7), shared, S(doc, "s"), shared };
    uint32_t items = seq(doc, JL_LIST, el, 4);
    uint64_t dims[2] = { 2, 2 };
    uint32_t arr = object_array(doc, 2, dims, items);
    uint32_t nums_items = seq(doc, JL_LIST, el, 3);
    uint64_t d1[1] = { 3 };
    uint32_t vec = object_array(doc, 1, d1, nums_items);
    uint32_t top[2] = { arr, vec };
    uint32_t root = seq(doc, JL_LIST, top, 2);
    /* tree: rows of the 2-D array are views whose elements follow; the
     * shared list is a ref the second time, in either array */
    static const struct {
        uint64_t parent;
        const char *fullkey;
        uint8_t kind;
        const char *ref;
        uint64_t depth;
    } want_rows[] = {
        { UINT64_MAX, "$", JL_LIST, NULL, 0 },
        { 0, "$[0]", JL_NDARRAY, NULL, 1 },
        { 1, "$[0][0]", JL_NDARRAY, NULL, 2 },
        { 2, "$[0][0][0]", JL_INT, NULL, 3 },
        { 2, "$[0][0][1]", JL_LIST, NULL, 3 },
        { 4, "$[0][0][1][0]", JL_INT, NULL, 4 },
        { 1, "$[0][1]", JL_NDARRAY, NULL, 2 },
        { 6, "$[0][1][0]", JL_STR, NULL, 3 },
        { 6, "$[0][1][1]", JL_LIST, "$[0][0][1]", 3 },
        { 0, "$[1]", JL_NDARRAY, NULL, 1 },
        { 9, "$[1][0]", JL_INT, NULL, 2 },
        { 9, "$[1][1]", JL_LIST, "$[0][0][1]", 2 },
        { 9, "$[1][2]", JL_STR, NULL, 2 },
    };
    unsigned n = sizeof want_rows / sizeof want_rows[0];
    jl_walk *walk;
    jl_walk_row row;
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_walk_start(doc, root, "$", 1, &walk, &err), JL_OK);
    for (unsigned k = 0; k < n; k++) {
        assert_int_equal(jl_walk_next(walk, &row, &err), 1);
        assert_int_equal(row.id, k);
        assert_int_equal(row.parent, want_rows[k].parent);
        assert_int_equal(row.depth, want_rows[k].depth);
        assert_int_equal(doc->nodes[row.node].kind, want_rows[k].kind);
        assert_int_equal(row.is_ref, want_rows[k].ref != NULL);
        assert_int_equal(row.view, k == 2 || k == 6);
        assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
        assert_string_equal(row.fullkey, want_rows[k].fullkey);
        if (want_rows[k].ref) assert_string_equal(row.ref_fullkey, want_rows[k].ref);
    }
    assert_int_equal(jl_walk_next(walk, &row, &err), 0);
    jl_walk_free(walk);
    /* (check_fullkeys does not apply: a path to a row makes a new view) */
    /* each over a 1-D object array: a seek to an element that repeats an
     * earlier one gives the ref row a full walk gives */
    uint32_t rep_items[3] = { shared, one, shared };
    uint32_t rep = object_array(doc, 1, d1, seq(doc, JL_LIST, rep_items, 3));
    assert_int_equal(jl_walk_start(doc, rep, "$", 0, &walk, &err), JL_OK);
    assert_int_equal(jl_walk_positional(walk), 3);
    assert_int_equal(jl_walk_seek(walk, 2), 1);
    assert_int_equal(jl_walk_next(walk, &row, &err), 1);
    assert_int_equal(row.id, 3);
    assert_int_equal(row.is_ref, 1);
    assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
    assert_string_equal(row.ref_fullkey, "$[0]");
    assert_int_equal(jl_walk_next(walk, &row, &err), 0);
    jl_walk_free(walk);
    jl_doc_free(doc);
}

static void test_million_refs(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t xs[2] = { I(doc, 1), I(doc, 2) };
    uint32_t x = seq(doc, JL_LIST, xs, 2);
    enum { N = 1000000 };
    uint32_t *ids = malloc(N * sizeof *ids);
    for (int k = 0; k < N; k++) ids[k] = x;
    uint32_t root = seq(doc, JL_LIST, ids, N);
    free(ids);
    jl_walk *walk;
    jl_walk_row row;
    jl_error err;
    assert_int_equal(jl_walk_start(doc, root, "$", 1, &walk, &err), JL_OK);
    uint64_t rows = 0, refs = 0;
    while (jl_walk_next(walk, &row, &err) == 1) {
        rows++;
        if (row.is_ref) {
            refs++;
            assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
            if (strcmp(row.ref_fullkey, "$[0]") != 0) fail_msg("ref to %s", row.ref_fullkey);
        }
    }
    assert_int_equal(rows, 1 + 1 + 2 + (N - 1));
    assert_int_equal(refs, N - 1);
    assert_string_equal(row.fullkey, "$[999999]"); /* the last ref row's strings */
    jl_walk_free(walk);
    jl_doc_free(doc);
}

static void test_deep(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    enum { D = 100000 };
    uint32_t cur = seq(doc, JL_LIST, NULL, 0);
    for (int k = 1; k < D; k++) cur = seq(doc, JL_LIST, &cur, 1);
    jl_walk *walk;
    jl_walk_row row;
    jl_error err;
    assert_int_equal(jl_walk_start(doc, cur, "$", 1, &walk, &err), JL_OK);
    uint64_t rows = 0;
    while (jl_walk_next(walk, &row, &err) == 1) {
        rows++;
        assert_int_equal(jl_walk_strings(walk, &row, &err), JL_OK);
    }
    assert_int_equal(jl_walk_strings(walk, &row, &err), JL_E_ARG); /* no row after the end */
    assert_int_equal(rows, D);
    assert_int_equal(strlen(row.fullkey), 1 + 3 * (D - 1));
    assert_int_equal(strlen(row.path), 1 + 3 * (D - 2));
    assert_int_equal(row.parent, D - 2);
    jl_walk_free(walk);
    /* beyond max_depth: an error, then the end */
    doc->limits.max_depth = 1000;
    assert_int_equal(jl_walk_start(doc, cur, "$", 1, &walk, &err), JL_OK);
    int rc;
    rows = 0;
    while ((rc = jl_walk_next(walk, &row, &err)) == 1) rows++;
    assert_int_equal(rc, -JL_E_LIMIT);
    assert_string_equal(err.message, "tree deeper than max_depth (1000)");
    assert_int_equal(rows, 1000);
    assert_int_equal(jl_walk_next(walk, &row, &err), 0);
    jl_walk_free(walk);
    jl_doc_free(doc);
}

/* A doc whose only container is empty has no child table at all. */
static void test_empty_root(void **state) {
    (void)state;
    jl_doc *doc = new_doc();
    uint32_t root = seq(doc, JL_LIST, NULL, 0);
    assert_null(doc->kids);
    const want rows[] = { { 0, TOP, root, "$", "$", "", NULL, NULL, -1, NOKEY } };
    expect_rows(doc, root, "$", 1, rows, 1);
    jl_doc_free(doc);
}

static void test_alloc_failures(void **state) {
    (void)state;
    jl_test_alloc t;
    jl_test_alloc_init(&t, -1);
    jl_doc *doc = jl_doc_new(&t.alloc, NULL);
    assert_non_null(doc);
    uint32_t two = I(doc, 2);
    uint32_t B = seq(doc, JL_TUPLE, &two, 1);
    uint32_t kv[] = { S(doc, "x"), B, S(doc, "z"), B, jl_new_bytes(doc, JL_BYTES, "k", 1, NULL), B };
    uint32_t d = seq(doc, JL_DICT, kv, 6);
    uint32_t l[1300];
    for (int k = 0; k < 1300; k++) l[k] = k % 2 ? d : seq(doc, JL_LIST, &two, 1);
    uint32_t root = seq(doc, JL_LIST, l, 1300);
    uint64_t full = 0;
    {
        jl_walk *walk;
        jl_walk_row row;
        jl_error err;
        assert_int_equal(jl_walk_start(doc, root, "$", 1, &walk, &err), JL_OK);
        while (jl_walk_next(walk, &row, &err) == 1) full++;
        jl_walk_free(walk);
    }
    int completed = 0;
    for (long n = 0; n < 40 && !completed; n++) {
        t.fail_after = t.calls + n;
        jl_walk *walk = NULL;
        jl_walk_row row;
        jl_error err;
        jl_error_clear(&err);
        int rc = jl_walk_start(doc, root, "$", 1, &walk, &err);
        uint64_t rows = 0;
        if (rc == JL_OK) {
            while ((rc = jl_walk_next(walk, &row, &err)) == 1) {
                rows++;
                if (rows % 7 == 0 && jl_walk_strings(walk, &row, &err) != JL_OK) {
                    rc = JL_E_NOMEM;
                    break;
                }
            }
            jl_walk_free(walk);
        }
        if (rc == 0 && rows == full) completed = 1;
        else {
            assert_true(rc == JL_E_NOMEM || rc == -JL_E_NOMEM);
            assert_string_equal(err.message, "out of memory walking the tree");
        }
    }
    assert_true(completed);
    t.fail_after = -1;
    jl_doc_free(doc);
    assert_int_equal(t.live, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_each), cmocka_unit_test(test_refs),
        cmocka_unit_test(test_objects),       cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_million_refs),  cmocka_unit_test(test_deep),
        cmocka_unit_test(test_empty_root),    cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_object_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
