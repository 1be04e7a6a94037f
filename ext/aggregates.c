/*
 * aggregates.c - bundles built from the rows of a group, each returned as
 * a bundle BLOB (marked with the bundle subtype, so it nests).
 *
 *   joblib_group_array(x)
 *       a 1-D numpy array of the column, dtype inferred from the SQL types:
 *         only INTEGER                          <i8
 *         INTEGER/REAL with any REAL or NULL    <f8, NULL as NaN
 *         anything else (TEXT, BLOB, bundles,   object array (|O): each row
 *         JSON, a mix, only NULLs)              as joblib_list would take it,
 *                                               NULL as None
 *   joblib_group_array(x, dtype)
 *       with BLOB rows (plain bytes): the rows stacked into a 2-D array of
 *       that dtype, shape (rows, bytes per row / itemsize); every row must
 *       have the same length, a multiple of the itemsize (the inverse of
 *       joblib_each over a matrix). With other rows: a 1-D array of that
 *       dtype: bool, intN/uintN (range-checked; REAL truncated toward zero
 *       as numpy casts), float16/32/64 and complex64/128 (NULL as NaN),
 *       datetime64/timedelta64 (INTEGER counts, NULL as NaT), S (TEXT or
 *       BLOB bytes, zero-padded), U (TEXT, zero-padded), O (objects), in
 *       either byte order.
 *   joblib_group_list(x)        a list of the rows' values
 *   joblib_group_dict(k, v)     a dict of the pairs, in row order (a repeated
 *                               key keeps the last value, as Python)
 *
 * A group of no rows gives NULL. Example:
 *
 *   SELECT joblib_dump(joblib_dict('id', joblib_group_array(id),
 *                                  'emb', joblib_group_array(vec, '<f4')),
 *                      'emb.pkl') FROM items;
 *   -- {'id': array([...]), 'emb': array of shape (rows, dim), float32}
 *
 * The state lives in sqlite3_aggregate_context: a doc being built that
 * holds every row's value until xFinal writes it (and frees it, also
 * after an error).
 */
#include "write.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "array_build.h"
#include "dtype.h"
#include "element.h"
#include "hashable.h"
#include "pyeq.h"
#include "jsonin.h"

typedef enum { AGG_ARRAY = 1, AGG_LIST, AGG_DICT } agg_kind;

/* SQL types seen by joblib_group_array without a dtype */
#define SEEN_INT 0x01
#define SEEN_REAL 0x02
#define SEEN_NULL 0x04
#define SEEN_OTHER 0x08

typedef struct agg {
    int kind;           /* agg_kind; 0 until the first row */
    int failed;         /* an error was reported: xFinal writes nothing */
    jl_doc *doc;        /* the doc being built; owned */
    jl_sqlin in;        /* copies nested bundles (the doc outlives the rows) */
    uint32_t *ids;      /* row values (dict: key, value pairs); owned (sqlite3) */
    uint64_t nids, cap_ids;
    uint64_t rows;
    unsigned seen;      /* SEEN_* */
    /* joblib_group_array with a dtype */
    uint32_t dt;        /* JL_NONE when inferred */
    int blob_rows;      /* -1 unknown, 1 BLOB rows stacked, 0 elements converted */
    uint64_t row_len;   /* bytes per BLOB row */
    jl_buf data;        /* element bytes; owned (jl_ext_alloc) */
    char descr[64];     /* the dtype as given, for messages */
} agg;

static agg *agg_get(sqlite3_context *ctx, agg_kind kind) {
    agg *a = sqlite3_aggregate_context(ctx, sizeof(agg));
    if (!a) {
        jl_ext_result_nomem(ctx, "starting the aggregate");
        return NULL;
    }
    if (a->kind == 0) {
        a->kind = kind;
        a->dt = JL_NONE;
        a->blob_rows = -1;
        jl_buf_init(&a->data, jl_ext_alloc(), 0);
        a->doc = jl_write_new_doc(ctx);
        if (!a->doc) {
            a->failed = 1;
            jl_ext_result_nomem(ctx, "starting the aggregate");
            return NULL;
        }
        a->data.max = a->doc->limits.max_alloc;
        jl_sqlin_init(&a->in, a->doc, sqlite3_user_data(ctx), 0);
    }
    return a->failed ? NULL : a;
}

static void agg_fail(sqlite3_context *ctx, agg *a, const jl_error *err) {
    a->failed = 1;
    jl_ext_result_error(ctx, err, NULL, NULL);
}

static int push_id(sqlite3_context *ctx, agg *a, uint32_t id) {
    if (jl_grow(jl_ext_alloc(), (void **)&a->ids, &a->cap_ids, a->nids + 1, sizeof(uint32_t),
                a->doc->limits.max_alloc)) {
        a->failed = 1;
        jl_ext_result_nomem(ctx, "adding a row to the aggregate");
        return -1;
    }
    a->ids[a->nids++] = id;
    return 0;
}

/* A row's value as a node, pushed on ids; names the function on error. */
static int push_value(sqlite3_context *ctx, agg *a, sqlite3_value *v, const char *fname, const char *what) {
    jl_error err;
    jl_error_clear(&err);
    uint32_t id;
    if (jl_sqlin_value(&a->in, v, &id, &err) != JL_OK) {
        a->failed = 1;
        if (err.code == JL_E_NOMEM) jl_ext_result_error(ctx, &err, NULL, NULL);
        else jl_ext_result_errorf(ctx, "%s: %s of row %llu: %s", fname, what, (unsigned long long)a->rows + 1,
                                  err.message);
        return -1;
    }
    return push_id(ctx, a, id);
}

/* ---- converting SQL values to elements of a dtype ----------------------- */

/* An integer from v for an int/uint/bool/datetime element: 0, or -1 with msg. */
static int int_of(sqlite3_value *v, int64_t *out, const char **why) {
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        *out = (int64_t)sqlite3_value_int64(v);
        return 0;
    case SQLITE_FLOAT: {
        double d = trunc(sqlite3_value_double(v));
        if (isnan(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
            *why = "a REAL that is not a finite 64-bit integer";
            return -1;
        }
        *out = (int64_t)d;
        return 0;
    }
    case SQLITE_NULL: *why = "NULL (use a float or object dtype)"; return -1;
    default: *why = "not a number"; return -1;
    }
}

/* Element bytes of dtype dt for SQL value v into p (itemsize bytes, zeroed
 * by the caller; codec/numpy/element.h encodes). 0, or -1 with *why set. */
static int element_of(const jl_doc *doc, uint32_t dt, sqlite3_value *v, uint8_t *p, const char **why) {
    char kind = doc->dtypes[dt].kind;
    int t = sqlite3_value_type(v);
    const char *no;
    int64_t i;
    switch (kind) {
    case 'b':
        if (t == SQLITE_INTEGER) no = jl_elem_from_int(doc, dt, sqlite3_value_int64(v), p);
        else if (t == SQLITE_FLOAT) no = jl_elem_from_double(doc, dt, sqlite3_value_double(v), p);
        else { *why = t == SQLITE_NULL ? "NULL (use an object dtype)" : "not a number"; return -1; }
        break;
    case 'i': case 'u': case 'M': case 'm':
        if ((kind == 'M' || kind == 'm') && t == SQLITE_NULL) i = INT64_MIN; /* NaT */
        else if (int_of(v, &i, why)) return -1;
        no = jl_elem_from_int(doc, dt, i, p);
        break;
    case 'f': case 'c': {
        double x;
        if (t == SQLITE_NULL) x = NAN;
        else if (t == SQLITE_INTEGER) x = (double)sqlite3_value_int64(v);
        else if (t == SQLITE_FLOAT) x = sqlite3_value_double(v);
        else { *why = "not a number"; return -1; }
        no = jl_elem_from_double(doc, dt, x, p);
        if (no == jl_elem_unsupported) no = "a float size this function does not convert (give BLOB rows)";
        break;
    }
    case 'S': {
        if (t != SQLITE_TEXT && t != SQLITE_BLOB) { *why = "not TEXT or BLOB"; return -1; }
        const void *s = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(v) : sqlite3_value_blob(v);
        uint64_t len = (uint64_t)sqlite3_value_bytes(v);
        if (!s && len) { *why = "out of memory"; return -1; }
        no = jl_elem_from_bytes(doc, dt, s, len, p);
        break;
    }
    case 'U': {
        if (t != SQLITE_TEXT) { *why = "not TEXT"; return -1; }
        const uint8_t *s = sqlite3_value_text(v);
        uint64_t len = (uint64_t)sqlite3_value_bytes(v);
        if (!s && len) { *why = "out of memory"; return -1; }
        if (!jl_utf8_valid(s, len, NULL)) { *why = "not valid UTF-8"; return -1; }
        no = jl_elem_from_utf8(doc, dt, s, len, p);
        break;
    }
    default:
        no = jl_elem_unsupported;
        break;
    }
    if (no == jl_elem_unsupported) no = "of a dtype this function cannot build from SQL values (give BLOB rows)";
    *why = no;
    return no ? -1 : 0;
}

/* ---- steps ---------------------------------------------------------------- */

/* The first row of joblib_group_array(x, dtype): parses the dtype. */
static int array_dtype(sqlite3_context *ctx, agg *a, sqlite3_value *v) {
    if (sqlite3_value_type(v) != SQLITE_TEXT) {
        a->failed = 1;
        jl_ext_result_errorf(ctx, "joblib_group_array: dtype must be TEXT (a numpy descr such as '<f8'), not %s",
                             jl_ext_type_name(v));
        return -1;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    size_t n = (size_t)sqlite3_value_bytes(v);
    if (!s) {
        a->failed = 1;
        jl_ext_result_nomem(ctx, "reading the dtype argument");
        return -1;
    }
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_dtype_parse_text(a->doc, s, n, sqlite3_value_subtype(v) == JL_JSON_SUBTYPE, &a->dt, &err);
    if (rc != JL_OK) {
        a->failed = 1;
        if (err.code == JL_E_NOMEM) jl_ext_result_error(ctx, &err, NULL, NULL);
        else jl_ext_result_errorf(ctx, "joblib_group_array: bad dtype '%.100s': %s", s, err.message);
        return -1;
    }
    snprintf(a->descr, sizeof a->descr, "%.60s", s);
    return 0;
}

void jl_agg_array_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    agg *a = agg_get(ctx, AGG_ARRAY);
    if (!a) return;
    sqlite3_value *v = argv[0];
    int t = sqlite3_value_type(v);
    if (a->rows == 0 && argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL && array_dtype(ctx, a, argv[1]))
        return;
    if (a->dt == JL_NONE) { /* inferred dtype: keep the values */
        a->seen |= t == SQLITE_INTEGER ? SEEN_INT : t == SQLITE_FLOAT ? SEEN_REAL : t == SQLITE_NULL ? SEEN_NULL
                                                                                            : SEEN_OTHER;
        if (push_value(ctx, a, v, "joblib_group_array", "the value")) return;
        a->rows++;
        return;
    }
    const jl_dtype *d = &a->doc->dtypes[a->dt];
    int is_blob = t == SQLITE_BLOB && sqlite3_value_subtype(v) != JL_BUNDLE_SUBTYPE;
    if (a->blob_rows < 0) a->blob_rows = is_blob && !d->has_object;
    if (d->has_object) { /* an object array of the values */
        if (push_value(ctx, a, v, "joblib_group_array", "the value")) return;
        a->rows++;
        return;
    }
    if (a->blob_rows != is_blob) {
        a->failed = 1;
        jl_ext_result_errorf(ctx, "joblib_group_array: row %llu is %s while the first row was %s",
                             (unsigned long long)a->rows + 1, is_blob ? "a BLOB" : jl_ext_type_name(v),
                             a->blob_rows ? "a BLOB" : "not");
        return;
    }
    if (is_blob) {
        uint64_t n = (uint64_t)sqlite3_value_bytes(v);
        const void *p = sqlite3_value_blob(v);
        if (a->rows == 0) {
            if (d->itemsize == 0 || n % d->itemsize) {
                a->failed = 1;
                jl_ext_result_errorf(ctx, "joblib_group_array: a row of %llu bytes is not a multiple of the "
                                     "itemsize %llu of %s", (unsigned long long)n,
                                     (unsigned long long)d->itemsize, a->descr);
                return;
            }
            a->row_len = n;
        } else if (n != a->row_len) {
            a->failed = 1;
            jl_ext_result_errorf(ctx, "joblib_group_array: row %llu has %llu bytes, the first row has %llu",
                                 (unsigned long long)a->rows + 1, (unsigned long long)n,
                                 (unsigned long long)a->row_len);
            return;
        }
        if (n && (!p || jl_buf_append(&a->data, p, n))) {
            jl_error err;
            jl_fail(&err, a->data.failed == JL_E_LIMIT ? JL_E_LIMIT : JL_E_NOMEM, JL_NO_OFFSET,
                    "joblib_group_array: the array is larger than max_alloc (%llu bytes)",
                    (unsigned long long)a->data.max);
            agg_fail(ctx, a, &err);
            return;
        }
        a->rows++;
        return;
    }
    /* the element is converted in place at the end of the data */
    uint64_t at = a->data.len;
    static const uint8_t zeros[64];
    for (uint64_t left = d->itemsize; left && !a->data.failed;) {
        uint64_t k = left < sizeof zeros ? left : sizeof zeros;
        jl_buf_append(&a->data, zeros, k);
        left -= k;
    }
    if (a->data.failed) {
        jl_error err;
        jl_fail(&err, a->data.failed == JL_E_LIMIT ? JL_E_LIMIT : JL_E_NOMEM, JL_NO_OFFSET,
                "joblib_group_array: the array is larger than max_alloc (%llu bytes)", (unsigned long long)a->data.max);
        agg_fail(ctx, a, &err);
        return;
    }
    uint8_t *p = (uint8_t *)a->data.p + at;
    const char *why = "";
    if (element_of(a->doc, a->dt, v, p, &why)) {
        a->failed = 1;
        jl_ext_result_errorf(ctx, "joblib_group_array: row %llu (%s) cannot be stored as %s: %s",
                             (unsigned long long)a->rows + 1, jl_ext_type_name(v), a->descr, why);
        return;
    }
    a->rows++;
}

void jl_agg_list_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    agg *a = agg_get(ctx, AGG_LIST);
    if (!a || push_value(ctx, a, argv[0], "joblib_group_list", "the value")) return;
    a->rows++;
}

void jl_agg_dict_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    agg *a = agg_get(ctx, AGG_DICT);
    if (!a || push_value(ctx, a, argv[0], "joblib_group_dict", "the key")) return;
    uint32_t key = a->ids[a->nids - 1];
    if (!jl_value_hashable(a->doc, key, JL_HASHABLE_DEPTH)) {
        a->failed = 1;
        jl_ext_result_errorf(ctx, "joblib_group_dict: the key of row %llu is a %s, which Python cannot use as a "
                             "dict key", (unsigned long long)a->rows + 1, jl_kind_name(a->doc->nodes[key].kind));
        return;
    }
    if (push_value(ctx, a, argv[1], "joblib_group_dict", "the value")) return;
    a->rows++;
}

/* ---- final ------------------------------------------------------------------ */

/* A new ndarray node: dtype dt, dims, data ref (or items list for objects). */
static uint32_t new_array(jl_doc *doc, uint32_t dt, const uint64_t *dims, unsigned ndim, jl_ref data,
                          uint32_t items, jl_error *err) {
    jl_array_spec spec = { dt, dims, ndim, 'C', data, items };
    return jl_array_build(doc, &spec, err);
}

/* The list node of the collected values. */
static uint32_t values_list(agg *a, jl_kind kind, jl_error *err) {
    uint64_t n = a->nids, pairs;
    if (kind == JL_DICT) { /* keys Python finds equal: one entry, the last value */
        if (jl_py_dict_merge(a->doc, a->ids, n, &pairs, err)) return JL_NONE;
        n = 2 * pairs;
    }
    uint32_t id = jl_node_new(a->doc, kind, err);
    if (id == JL_NONE || jl_kids_append(a->doc, id, a->ids, n, err) != JL_OK) return JL_NONE;
    return id;
}

/* The root node of joblib_group_array. */
static uint32_t final_array(agg *a, jl_error *err) {
    jl_doc *doc = a->doc;
    uint64_t dims[2] = { a->rows, 0 };
    jl_ref none = { 0, 0, 0 };
    if (a->dt != JL_NONE) {
        const jl_dtype *d = &doc->dtypes[a->dt];
        if (d->has_object) {
            uint32_t items = values_list(a, JL_LIST, err);
            return items == JL_NONE ? JL_NONE : new_array(doc, a->dt, dims, 1, none, items, err);
        }
        /* the element bytes become a block of the doc (owned: freed with it) */
        uint64_t n;
        uint8_t *p = (uint8_t *)jl_buf_take(&a->data, &n);
        if (!p) {
            jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
            return JL_NONE;
        }
        uint32_t blk = jl_block_add(doc, p, n, JL_BLOCK_HEAP, err);
        if (blk == JL_NONE) {
            sqlite3_free(p);
            return JL_NONE;
        }
        jl_ref data = { 0, n, blk };
        if (a->blob_rows == 1) {
            dims[1] = d->itemsize ? a->row_len / d->itemsize : 0;
            return new_array(doc, a->dt, dims, 2, data, JL_NONE, err);
        }
        return new_array(doc, a->dt, dims, 1, data, JL_NONE, err);
    }
    unsigned s = a->seen;
    int numeric = !(s & SEEN_OTHER) && (s & (SEEN_INT | SEEN_REAL));
    uint32_t dt;
    if (!numeric) { /* object array */
        if (jl_dtype_parse(doc, "|O", 2, &dt, err) != JL_OK) return JL_NONE;
        uint32_t items = values_list(a, JL_LIST, err);
        return items == JL_NONE ? JL_NONE : new_array(doc, dt, dims, 1, none, items, err);
    }
    int ints = s == SEEN_INT;
    if (jl_dtype_parse(doc, ints ? "<i8" : "<f8", 3, &dt, err) != JL_OK) return JL_NONE;
    uint64_t nbytes;
    if (jl_mul_overflow(a->rows, 8, &nbytes)) {
        jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "too many rows");
        return JL_NONE;
    }
    jl_ref data;
    uint8_t *p = jl_heap_alloc(doc, nbytes, &data, err);
    if (!p) return JL_NONE;
    for (uint64_t r = 0; r < a->nids; r++) {
        const jl_node *nd = &doc->nodes[a->ids[r]];
        if (ints) {
            memcpy(p + 8 * r, &nd->u.i, 8);
        } else {
            double x = nd->kind == JL_INT ? (double)nd->u.i : nd->kind == JL_FLOAT ? nd->u.f : NAN;
            memcpy(p + 8 * r, &x, 8);
        }
    }
    return new_array(doc, dt, dims, 1, data, JL_NONE, err);
}

void jl_agg_final(sqlite3_context *ctx) {
    agg *a = sqlite3_aggregate_context(ctx, 0);
    if (!a || a->kind == 0) {
        sqlite3_result_null(ctx); /* no rows */
        return;
    }
    if (!a->failed && a->doc) {
        jl_error err;
        jl_error_clear(&err);
        uint32_t root = a->kind == AGG_ARRAY ? final_array(a, &err)
                        : values_list(a, a->kind == AGG_DICT ? JL_DICT : JL_LIST, &err);
        if (root == JL_NONE) jl_ext_result_error(ctx, &err, NULL, NULL);
        else jl_write_result_bundle(ctx, a->doc, root);
    }
    jl_buf_free(&a->data);
    sqlite3_free(a->ids);
    a->ids = NULL;
    if (a->doc) {
        jl_sqlin_free(&a->in);
        jl_doc_free(a->doc);
        a->doc = NULL;
    }
}
