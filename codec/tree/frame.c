/*
 * frame.c - a pickled pandas DataFrame or Series as a column plan
 * (frame.h): the manager's axes and blocks, each block's values as
 * columns, the index as leading columns, the labels as names.
 */
#include "frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "atomtext.h"
#include "dtype.h"
#include "pdscalar.h"
#include "render.h"

/* Values nest (a Categorical's categories are an Index holding an array):
 * a few levels are real, more is a crafted file. */
#define MAX_NEST 6

typedef struct fb {
    const jl_doc *doc;
    jl_table_plan *t;
    jl_error *err;
    const char *col;      /* the column being made, for messages */
    int axis;             /* making an axis: no sparse values */
    uint32_t unsupported; /* values that are no kind read here (for the message), else JL_NONE */
    const char *at;       /* the frame's path at[0..atn), for messages */
    size_t atn;
    char why[200];        /* what about them */
    char dt[64];          /* their dtype when known, else "" */
} fb;

/* One axis: its length and the columns of its levels. */
typedef struct axis {
    uint64_t len;
    unsigned nlev;
    jl_tcol lev[JL_FRAME_MAX_LEVELS];
    uint32_t names[JL_FRAME_MAX_LEVELS]; /* name nodes, JL_NONE when none */
} axis;

/* ---- node helpers ------------------------------------------------------------------ */

static unsigned long long U(uint64_t x) { return (unsigned long long)x; }

static int bad(fb *b, const char *fmt, ...) JL_PRINTF(2, 3);
static int bad(fb *b, const char *fmt, ...) {
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    if (b->col) return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "frame: column '%.80s': %s", b->col, m);
    return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "frame: %s", m);
}

/* Values of a kind not read here: the message names them; data_columns
 * adds the column's dtype and where its raw values are. */
static int unsupported(fb *b, uint32_t v, const char *dtype, const char *fmt, ...) JL_PRINTF(4, 5);
static int unsupported(fb *b, uint32_t v, const char *dtype, const char *fmt, ...) {
    snprintf(b->dt, sizeof b->dt, "%.60s", dtype ? dtype : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->why, sizeof b->why, fmt, ap);
    va_end(ap);
    b->unsupported = v;
    return bad(b, "%s", b->why);
}

static uint32_t kid(const jl_doc *doc, uint32_t id, uint64_t i) {
    if (id == JL_NONE || !jl_is_container(doc->nodes[id].kind) || i >= doc->nodes[id].len) return JL_NONE;
    return jl_kids_of(doc, id)[i];
}

static int is_seq(const jl_doc *doc, uint32_t id) {
    return id != JL_NONE && (doc->nodes[id].kind == JL_LIST || doc->nodes[id].kind == JL_TUPLE);
}

/* The class global of an object node, or JL_NONE. */
static uint32_t class_of(const jl_doc *doc, uint32_t id) {
    if (id == JL_NONE || doc->nodes[id].kind != JL_OBJECT) return JL_NONE;
    uint32_t cls = jl_object_of(doc, id)->cls;
    return cls != JL_NONE && doc->nodes[cls].kind == JL_GLOBAL ? cls : JL_NONE;
}

static int global_is(const jl_doc *doc, uint32_t g, const char *module, const char *name) {
    if (g == JL_NONE || doc->nodes[g].kind != JL_GLOBAL) return 0;
    const jl_global *gl = jl_global_of(doc, g);
    return (!module || jl_ref_eq(doc, gl->module, module)) && jl_ref_eq(doc, gl->name, name);
}

/* A pandas class global named name (any pandas module: they moved; any
 * name when NULL). */
static int pandas_class(const jl_doc *doc, uint32_t g, const char *name) {
    if (g == JL_NONE || doc->nodes[g].kind != JL_GLOBAL || (name && !global_is(doc, g, NULL, name))) return 0;
    jl_ref m = jl_global_of(doc, g)->module;
    return m.len >= 6 && memcmp(jl_ref_ptr(doc, m), "pandas", 6) == 0;
}

static uint32_t state_get(const jl_doc *doc, uint32_t obj, const char *key) {
    if (obj == JL_NONE || doc->nodes[obj].kind != JL_OBJECT) return JL_NONE;
    uint32_t st = jl_object_of(doc, obj)->state;
    if (st == JL_NONE || doc->nodes[st].kind != JL_DICT) return JL_NONE;
    return jl_dict_get(doc, st, key, strlen(key));
}

static uint32_t arg_of(const jl_doc *doc, uint32_t obj, uint64_t i) {
    if (obj == JL_NONE || doc->nodes[obj].kind != JL_OBJECT) return JL_NONE;
    return kid(doc, jl_object_of(doc, obj)->args, i);
}

static int int_of(const jl_doc *doc, uint32_t id, int64_t *v) {
    if (id == JL_NONE) return -1;
    const jl_node *n = &doc->nodes[id];
    if ((n->kind != JL_INT || (n->flags & JL_F_BIG)) && n->kind != JL_BOOL) return -1;
    *v = n->u.i;
    return 0;
}

/* The class name of object v for messages (at most 100 bytes). */
static void class_text(const jl_doc *doc, uint32_t v, char *out, size_t cap) {
    jl_buf buf;
    jl_buf_init(&buf, &doc->alloc, 0);
    if (doc->nodes[v].kind == JL_OBJECT) jl_render_class(doc, v, &buf);
    else jl_buf_puts(&buf, jl_kind_name(doc->nodes[v].kind));
    snprintf(out, cap, "%.100s", buf.p && !buf.failed ? buf.p : "?");
    jl_buf_free(&buf);
}

/* ---- pandas dtype names ------------------------------------------------------------------ */

/* numpy's name of dtype dt: "int64", "float32", "bool", "datetime64[ns]". */
static void numpy_name(const jl_doc *doc, uint32_t dt, char *out, size_t cap) {
    char cls[64];
    const char *n = jl_dtype_scalar_class(doc, dt, cls, sizeof cls);
    if (strncmp(n, "numpy.", 6) == 0) n += 6;
    const jl_dtype *d = &doc->dtypes[dt];
    if (strcmp(n, "bool_") == 0) n = "bool";
    if (strcmp(n, "object_") == 0) n = "object";
    if ((d->kind == 'M' || d->kind == 'm') && d->unit[0])
        snprintf(out, cap, "%s[%.8s]", n, d->unit);
    else
        snprintf(out, cap, "%s", n);
}

/* The tz text of a DatetimeTZDtype: a zone name ("Europe/Paris"), "UTC",
 * or "tz" when the zone is some other object. */
static void tz_name(const jl_doc *doc, uint32_t dtype, char *out, size_t cap) {
    uint32_t tz = state_get(doc, dtype, "tz");
    uint32_t g = class_of(doc, tz);
    uint32_t zone = arg_of(doc, tz, 0);
    const uint8_t *p;
    if (zone != JL_NONE && doc->nodes[zone].kind == JL_STR && doc->nodes[zone].len < cap) {
        p = jl_ref_ptr(doc, jl_node_ref(doc, zone));
        snprintf(out, cap, "%.*s", (int)doc->nodes[zone].len, (const char *)p);
    } else if (global_is(doc, g, NULL, "_UTC") || global_is(doc, tz, NULL, "utc") || global_is(doc, g, NULL, "_utc")) {
        snprintf(out, cap, "UTC");
    } else {
        snprintf(out, cap, "tz");
    }
}

/* ---- values -------------------------------------------------------------------------- */

static int values_col(fb *b, jl_tcol *c, uint32_t v, uint64_t j, uint64_t k, uint64_t *n, int depth);
static uint32_t doc_index_data(const jl_doc *doc, uint32_t idx);
static int period_col(fb *b, jl_tcol *c, uint32_t dtype);

/* A 1-D int array of exactly n elements (codes, positions). */
static const jl_array *int_array(const jl_doc *doc, uint32_t id, uint64_t n) {
    if (id == JL_NONE || doc->nodes[id].kind != JL_NDARRAY) return NULL;
    const jl_array *a = jl_array_of(doc, id);
    const jl_dtype *d = &doc->dtypes[a->dtype];
    if (a->ndim != 1 || (d->kind != 'i' && d->kind != 'u') || d->byteorder == '>' || d->nfields ||
        d->itemsize > 8 || (n != UINT64_MAX && doc->dims[a->dims_at] != n) ||
        a->data.len < doc->dims[a->dims_at] * d->itemsize)
        return NULL;
    return a;
}

/* Element i of an int array. */
static int64_t int_at(const jl_doc *doc, const jl_array *a, uint64_t i) {
    jl_tcol t;
    memset(&t, 0, sizeof t);
    t.flags = JL_TCOL_F_CODES;
    t.codes = a->data;
    t.codes_dtype = a->dtype;
    t.how = JL_TCOL_RANGE;
    uint64_t src;
    if (!jl_table_cell_source(doc, &t, i, &src)) return -1;
    return (int64_t)src;
}

/* Category codes `codes` (n of them) over the categories already in c
 * (ncat rows): every code below ncat. */
static int set_codes(fb *b, jl_tcol *c, uint32_t codes, uint64_t n, uint64_t ncat) {
    const jl_doc *doc = b->doc;
    const jl_array *a = int_array(doc, codes, n);
    if (!a) return bad(b, "category codes are not a 1-D int array of %llu values", U(n));
    if (c->flags & JL_TCOL_F_CODES) return bad(b, "categories that are categories");
    c->flags |= JL_TCOL_F_CODES;
    c->codes = a->data;
    c->codes_dtype = a->dtype;
    for (uint64_t i = 0; i < n; i++) {
        int64_t code = int_at(doc, a, i);
        if (code >= 0 && (uint64_t)code >= ncat)
            return bad(b, "category code %lld of row %llu is not one of %llu categories", (long long)code, U(i),
                       U(ncat));
    }
    return JL_OK;
}

/* A numpy array: 1-D (k = 1) or the block's (k, n) 2-D values. */
static int ndarray_col(fb *b, jl_tcol *c, uint32_t v, uint64_t j, uint64_t k, uint64_t *n) {
    const jl_doc *doc = b->doc;
    const jl_array *a = jl_array_of(doc, v);
    const jl_dtype *d = &doc->dtypes[a->dtype];
    const uint64_t *dims = doc->dims + a->dims_at;
    uint64_t len;
    if (a->ndim == 1) {
        if (k != 1) return bad(b, "1-D values for a block of %llu columns", U(k));
        len = dims[0];
    } else if (a->ndim == 2) {
        if (dims[0] != k) return bad(b, "block values of %llu rows for %llu column positions", U(dims[0]), U(k));
        len = dims[1];
    } else {
        return bad(b, "block values of %u dimensions", (unsigned)a->ndim);
    }
    if (*n == UINT64_MAX) *n = len;
    else if (len != *n) return bad(b, "%llu values where the index has %llu", U(len), U(*n));
    if (d->nfields || d->sub_ndim) return bad(b, "a structured dtype");
    if (d->has_object) {
        if (a->items == JL_NONE || doc->nodes[a->items].len < k * len)
            return bad(b, "an object array without its items");
        c->how = JL_TCOL_ITEMS;
        c->node = a->items;
        c->stride = 1;
        c->off = j * len; /* object items are in C order */
        c->flags |= JL_TCOL_F_NA;
        c->decl = jl_table_items_decl(doc, a->items, 1, c->off, len);
        snprintf(c->pdtype, sizeof c->pdtype, "object");
        return JL_OK;
    }
    uint64_t size = d->itemsize, need = 0;
    if (jl_mul_overflow(k, len, &need) || jl_mul_overflow(need, size, &need) || a->data.len < need)
        return bad(b, "the array data is shorter than its shape");
    c->how = JL_TCOL_ARRAY;
    c->dtype = a->dtype;
    c->data = a->data;
    c->stride = a->order == 'F' ? k * size : size;
    c->off = a->order == 'F' ? j * size : j * len * size;
    c->decl = jl_table_dtype_decl(doc, a->dtype);
    numpy_name(doc, a->dtype, c->pdtype, sizeof c->pdtype);
    if (d->kind == 'm' && size == 8 && d->byteorder != '>') {
        c->flags |= JL_TCOL_F_INT64;
        c->decl = "INTEGER";
    }
    return JL_OK;
}

/* The categories (an Index) of a CategoricalDtype object into c, with
 * their count. */
static int categories_col(fb *b, jl_tcol *c, uint32_t dtype, uint64_t *ncat, int depth) {
    uint32_t cats = state_get(b->doc, dtype, "categories");
    if (cats == JL_NONE && doc_index_data(b->doc, dtype) != JL_NONE) cats = dtype; /* pandas < 0.21 */
    if (cats == JL_NONE) return bad(b, "a categorical dtype without categories");
    uint32_t data = doc_index_data(b->doc, cats);
    if (data == JL_NONE) data = cats;
    *ncat = UINT64_MAX;
    return values_col(b, c, data, 0, 1, ncat, depth + 1);
}

/* NDArrayBacked (pandas >= 1.3): __pyx_unpickle_NDArrayBacked(cls, ...)
 * with state (dtype, ndarray, attrs). */
static int backed_col(fb *b, jl_tcol *c, uint32_t v, uint64_t j, uint64_t k, uint64_t *n, int depth) {
    const jl_doc *doc = b->doc;
    uint32_t cls = arg_of(doc, v, 0), st = jl_object_of(doc, v)->state;
    uint32_t dtype = kid(doc, st, 0), data = kid(doc, st, 1);
    /* NDArrayBacked.__setstate__ also takes (data, dtype, attrs) and a (dict,) */
    if (dtype != JL_NONE && doc->nodes[dtype].kind == JL_NDARRAY && data != JL_NONE &&
        doc->nodes[data].kind != JL_NDARRAY) {
        uint32_t t = dtype;
        dtype = data;
        data = t;
    }
    if (is_seq(doc, st) && doc->nodes[st].len == 1 && dtype != JL_NONE && doc->nodes[dtype].kind == JL_DICT) {
        uint32_t d = dtype;
        data = jl_dict_get(doc, d, "_ndarray", 8);
        if (data == JL_NONE) data = jl_dict_get(doc, d, "_data", 5);
        dtype = jl_dict_get(doc, d, "_dtype", 6);
    }
    if (!is_seq(doc, st) || data == JL_NONE) return bad(b, "a pandas array without its data");
    if (pandas_class(doc, cls, "Categorical")) {
        if (k != 1) return bad(b, "a Categorical for a block of %llu columns", U(k));
        uint64_t ncat;
        int rc = categories_col(b, c, dtype, &ncat, depth);
        if (rc) return rc;
        const jl_array *a = int_array(doc, data, UINT64_MAX);
        if (!a) return bad(b, "category codes are not a 1-D int array");
        uint64_t len = doc->dims[a->dims_at];
        if (*n == UINT64_MAX) *n = len;
        else if (len != *n) return bad(b, "%llu values where the index has %llu", U(len), U(*n));
        snprintf(c->pdtype, sizeof c->pdtype, "category");
        return set_codes(b, c, data, len, ncat);
    }
    int rc = values_col(b, c, data, j, k, n, depth + 1);
    if (rc == JL_OK && pandas_class(doc, class_of(doc, dtype), "DatetimeTZDtype")) {
        char tz[32];
        tz_name(doc, dtype, tz, sizeof tz);
        c->flags |= JL_TCOL_F_UTC;
        snprintf(c->pdtype, sizeof c->pdtype, "datetime64[ns, %s]", tz);
    }
    if (rc == JL_OK && pandas_class(doc, cls, "StringArray")) snprintf(c->pdtype, sizeof c->pdtype, "string");
    if (rc == JL_OK && pandas_class(doc, class_of(doc, dtype), "PeriodDtype")) rc = period_col(b, c, dtype);
    return rc;
}

/* Masked arrays (IntegerArray, FloatingArray, BooleanArray): _data and a
 * 1-D bool _mask of as many rows. */
static int masked_col(fb *b, jl_tcol *c, uint32_t v, uint64_t j, uint64_t k, uint64_t *n, int depth) {
    const jl_doc *doc = b->doc;
    uint32_t data = state_get(doc, v, "_data"), mask = state_get(doc, v, "_mask");
    int rc = values_col(b, c, data, j, k, n, depth + 1);
    if (rc) return rc;
    if (mask == JL_NONE || doc->nodes[mask].kind != JL_NDARRAY) return bad(b, "a masked array without its mask");
    const jl_array *m = jl_array_of(doc, mask);
    const jl_dtype *md = &doc->dtypes[m->dtype];
    if (md->kind != 'b' || md->itemsize != 1 || m->ndim != 1 || doc->dims[m->dims_at] != *n || m->data.len < *n)
        return bad(b, "the mask is not a 1-D bool array of %llu values", U(*n));
    c->flags |= JL_TCOL_F_MASK;
    c->mask = m->data;
    /* pandas' names of the masked dtypes: Int64, UInt8, Float64, boolean */
    if (c->pdtype[0] == 'b') snprintf(c->pdtype, sizeof c->pdtype, "boolean");
    else if (c->pdtype[0] == 'u') {
        char bits[8];
        snprintf(bits, sizeof bits, "%s", c->pdtype + 4);
        snprintf(c->pdtype, sizeof c->pdtype, "UInt%s", bits);
    }
    else if (c->pdtype[0]) c->pdtype[0] = (char)(c->pdtype[0] - 'a' + 'A');
    return JL_OK;
}

/* The dict of an Index object (_new_Index / _new_DatetimeIndex /
 * _new_IntervalIndex), or JL_NONE. */
static uint32_t index_dict(const jl_doc *doc, uint32_t idx) {
    uint32_t f = class_of(doc, idx);
    if (!global_is(doc, f, NULL, "_new_Index") && !global_is(doc, f, NULL, "_new_DatetimeIndex") &&
        !global_is(doc, f, NULL, "_new_IntervalIndex"))
        return JL_NONE;
    uint32_t d = arg_of(doc, idx, 1);
    return d != JL_NONE && doc->nodes[d].kind == JL_DICT ? d : JL_NONE;
}

static uint32_t doc_index_data(const jl_doc *doc, uint32_t idx) {
    uint32_t d = index_dict(doc, idx);
    return d == JL_NONE ? JL_NONE : jl_dict_get(doc, d, "data", 4);
}

/* ---- Period, Interval and Sparse values ------------------------------------------------ */

/* A str node's text into out (at most cap - 1 bytes); 0 when not a str. */
static int str_text(const jl_doc *doc, uint32_t id, char *out, size_t cap) {
    if (id == JL_NONE || doc->nodes[id].kind != JL_STR || doc->nodes[id].len >= cap) return 0;
    jl_ref r = jl_node_ref(doc, id);
    if (r.len) memcpy(out, jl_ref_ptr(doc, r), (size_t)r.len);
    out[r.len] = 0;
    return 1;
}

/* An int argument `i` of object o, else its state key `key`; dflt when neither. */
static int64_t arg_or_state(const jl_doc *doc, uint32_t o, uint64_t i, const char *key, int64_t dflt) {
    int64_t v;
    if (int_of(doc, arg_of(doc, o, i), &v) == 0) return v;
    if (key && int_of(doc, state_get(doc, o, key), &v) == 0) return v;
    return dflt;
}

/* Column c holds the int64 ordinals of a PeriodArray whose PeriodDtype is
 * `dtype`: PeriodDtype(offset) (pandas 1.x) or PeriodDtype('period[M]')
 * (pandas 2.x). */
static int period_col(fb *b, jl_tcol *c, uint32_t dtype) {
    const jl_doc *doc = b->doc;
    const jl_dtype *d = c->how == JL_TCOL_ARRAY ? &doc->dtypes[c->dtype] : NULL;
    if (!d || d->kind != 'i' || d->itemsize != 8 || d->byteorder == '>' || c->flags)
        return bad(b, "Period ordinals that are not an int64 array");
    uint32_t f = arg_of(doc, dtype, 0);
    if (f == JL_NONE) f = state_get(doc, dtype, "freq");
    int unit = 0, adj = 0, ok = 0;
    char name[48], text[48];
    if (str_text(doc, f, text, sizeof text)) {
        ok = jl_period_from_name(text, strlen(text), &unit, &adj, name, sizeof name);
    } else if (class_of(doc, f) != JL_NONE) {
        jl_ref cn = jl_global_of(doc, class_of(doc, f))->name;
        int64_t n = arg_or_state(doc, f, 0, "n", 1);
        int64_t anchor = arg_or_state(doc, f, 2, "weekday", -1);
        if (anchor < 0) anchor = arg_or_state(doc, f, 2, "month", -1);
        if (anchor < 0) anchor = arg_or_state(doc, f, 2, "startingMonth", -1);
        ok = jl_period_from_offset((const char *)jl_ref_ptr(doc, cn), (size_t)cn.len, n, anchor, &unit, &adj, name,
                                   sizeof name);
    }
    if (!ok) return unsupported(b, dtype, NULL, "a Period frequency that is not one of pandas' period frequencies");
    c->flags |= JL_TCOL_F_PERIOD;
    c->period = (uint8_t)unit;
    c->week_adj = (int8_t)adj;
    c->decl = "TEXT";
    snprintf(c->pdtype, sizeof c->pdtype, "%s", name);
    return JL_OK;
}

/* The state dict of an IntervalArray: Cython's (dict,) or a dict. */
static uint32_t interval_state(const jl_doc *doc, uint32_t v) {
    uint32_t st = jl_object_of(doc, v)->state;
    if (is_seq(doc, st) && doc->nodes[st].len >= 1) st = kid(doc, st, 0);
    return st != JL_NONE && doc->nodes[st].kind == JL_DICT ? st : JL_NONE;
}

/* Interval bounds `left` and `right` (arrays or Indexes of ints or
 * floats) closed on `side`; v the values, for messages. */
static int interval_bounds(fb *b, jl_tcol *c, uint32_t v, uint32_t left, uint32_t right, const char *side,
                           uint64_t *n, int depth) {
    const jl_doc *doc = b->doc;
    if (left == JL_NONE || right == JL_NONE) return bad(b, "an interval array without its left and right bounds");
    jl_tcol r;
    memset(&r, 0, sizeof r);
    int rc = values_col(b, c, left, 0, 1, n, depth + 1);
    if (rc == JL_OK) rc = values_col(b, &r, right, 0, 1, n, depth + 1);
    jl_free(b->t->alloc, r.sp_pos); /* sparse bounds: refused below */
    if (rc) return rc;
    int closed = jl_interval_closed(side, strlen(side));
    if (closed < 0) return bad(b, "an interval array closed on side '%.20s'", side);
    char sub[40];
    snprintf(sub, sizeof sub, "%.39s", c->pdtype[0] ? c->pdtype : "object");
    snprintf(c->pdtype, sizeof c->pdtype, "interval[%.24s, %.8s]", sub, side);
    const jl_dtype *d = c->how == JL_TCOL_ARRAY ? &doc->dtypes[c->dtype] : NULL;
    const jl_dtype *e = r.how == JL_TCOL_ARRAY ? &doc->dtypes[r.dtype] : NULL;
    if (!d || !e || c->flags || r.flags || !strchr("iuf", d->kind) || d->kind != e->kind ||
        d->itemsize != e->itemsize || d->byteorder == '>' || e->byteorder == '>' || d->itemsize > 8 ||
        (d->kind == 'f' && d->itemsize < 4) || c->stride != r.stride || c->off != r.off)
        return unsupported(b, v, c->pdtype, "interval bounds of dtype %s (ints and floats are read)", sub);
    c->flags |= JL_TCOL_F_INTERVAL;
    c->closed = (uint8_t)closed;
    c->data2 = r.data;
    c->decl = "TEXT";
    return JL_OK;
}

/* An IntervalArray: `_left`, `_right` and `_dtype` with `closed` (older
 * pandas: `closed` / `_closed` beside the bounds). */
static int interval_col(fb *b, jl_tcol *c, uint32_t v, uint64_t k, uint64_t *n, int depth) {
    const jl_doc *doc = b->doc;
    if (k != 1) return bad(b, "an IntervalArray for a block of %llu columns", U(k));
    uint32_t st = interval_state(doc, v);
    if (st == JL_NONE) return bad(b, "an IntervalArray without its state");
    char side[16] = "right";
    if (!str_text(doc, state_get(doc, jl_dict_get(doc, st, "_dtype", 6), "closed"), side, sizeof side) &&
        !str_text(doc, jl_dict_get(doc, st, "closed", 6), side, sizeof side))
        str_text(doc, jl_dict_get(doc, st, "_closed", 7), side, sizeof side);
    return interval_bounds(b, c, v, jl_dict_get(doc, st, "_left", 5), jl_dict_get(doc, st, "_right", 6), side, n,
                           depth);
}

/* pandas' missing values: None, NaN, NA, NaT. */
static int missing_node(const jl_doc *doc, uint32_t id) {
    const jl_node *x = &doc->nodes[id];
    if (x->kind == JL_NULL || (x->kind == JL_FLOAT && x->u.f != x->u.f)) return 1;
    uint32_t g = x->kind == JL_GLOBAL ? id : class_of(doc, id);
    return global_is(doc, g, NULL, "NA") || global_is(doc, g, NULL, "NaT") ||
           global_is(doc, g, NULL, "__nat_unpickle");
}

/* str() of a sparse fill value, for the dtype's name. */
static void fill_text(const jl_doc *doc, uint32_t f, char *out, size_t cap) {
    jl_buf t;
    jl_buf_init(&t, &doc->alloc, 64);
    const jl_node *x = &doc->nodes[f];
    if (x->kind == JL_FLOAT && x->u.f != x->u.f) jl_buf_puts(&t, "nan");
    else if (x->kind == JL_FLOAT) jl_render_double(&t, x->u.f);
    else if (x->kind == JL_INT) jl_render_int(doc, f, &t);
    else if (x->kind == JL_BOOL) jl_buf_puts(&t, x->u.i ? "True" : "False");
    else if (x->kind == JL_NULL) jl_buf_puts(&t, "None");
    else jl_buf_puts(&t, "?");
    snprintf(out, cap, "%.*s", t.failed || !t.p ? 0 : (int)t.len, t.p ? t.p : "");
    jl_buf_free(&t);
}

/* The rows a sparse index names, into c->sp_pos: IntIndex(length,
 * indices) or BlockIndex(length, blocs, blengths); nnz of them, each
 * below *n, increasing. */
static int sparse_rows(fb *b, jl_tcol *c, uint32_t idx, uint64_t nnz, uint64_t *n) {
    const jl_doc *doc = b->doc;
    uint32_t g = class_of(doc, idx);
    int blocks = global_is(doc, g, NULL, "BlockIndex");
    int64_t len;
    if ((!blocks && !global_is(doc, g, NULL, "IntIndex")) || int_of(doc, arg_of(doc, idx, 0), &len) || len < 0) {
        char what[128];
        class_text(doc, idx, what, sizeof what);
        return bad(b, "a sparse index that is %s, not IntIndex(length, indices) or BlockIndex", what);
    }
    if (*n == UINT64_MAX) *n = (uint64_t)len;
    else if ((uint64_t)len != *n) return bad(b, "%llu values where the index has %llu", U((uint64_t)len), U(*n));
    const jl_array *a = int_array(doc, arg_of(doc, idx, 1), blocks ? UINT64_MAX : nnz);
    const jl_array *l = blocks && a ? int_array(doc, arg_of(doc, idx, 2), doc->dims[a->dims_at]) : NULL;
    if (!a || (blocks && !l)) return bad(b, "a sparse index whose positions are not int arrays of %llu", U(nnz));
    c->sp_pos = jl_malloc(b->t->alloc, (size_t)(nnz ? nnz : 1) * sizeof(uint64_t));
    if (!c->sp_pos) return jl_fail(b->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    uint64_t count = 0, nblk = blocks ? doc->dims[a->dims_at] : nnz;
    int64_t prev = -1;
    for (uint64_t q = 0; q < nblk; q++) {
        int64_t at = int_at(doc, a, q), run = blocks ? int_at(doc, l, q) : 1;
        for (int64_t r = 0; r < run; r++, count++) {
            if (count >= nnz || at + r <= prev || at + r >= len)
                return bad(b, "a sparse index whose positions are not increasing rows below %lld for %llu values",
                           (long long)len, U(nnz));
            c->sp_pos[count] = (uint64_t)(prev = at + r);
        }
        if (run < 0) return bad(b, "a sparse block of %lld rows", (long long)run);
    }
    if (count != nnz) return bad(b, "a sparse index of %llu positions for %llu values", U(count), U(nnz));
    c->sp_n = nnz;
    return JL_OK;
}

/* A SparseArray: its values (`_sparse_values`) at the rows of
 * `_sparse_index`, the other rows its dtype's `_fill_value`. */
static int sparse_col(fb *b, jl_tcol *c, uint32_t v, uint64_t k, uint64_t *n, int depth) {
    const jl_doc *doc = b->doc;
    if (b->axis) return unsupported(b, v, NULL, "a sparse index");
    if (k != 1) return bad(b, "a SparseArray for a block of %llu columns", U(k));
    uint32_t idx = state_get(doc, v, "_sparse_index"), vals = state_get(doc, v, "_sparse_values");
    uint32_t dt = state_get(doc, v, "_dtype");
    uint32_t fill = dt != JL_NONE ? state_get(doc, dt, "_fill_value") : JL_NONE;
    if (idx == JL_NONE || vals == JL_NONE || fill == JL_NONE)
        return unsupported(b, v, NULL, "a SparseArray without _sparse_index, _sparse_values and a fill value");
    uint64_t nnz = UINT64_MAX;
    int rc = values_col(b, c, vals, 0, 1, &nnz, depth + 1);
    if (rc) return rc;
    if ((c->flags & ~JL_TCOL_F_NA) || (c->how != JL_TCOL_ARRAY && c->how != JL_TCOL_ITEMS))
        return bad(b, "sparse values that are not a numpy array");
    rc = sparse_rows(b, c, idx, nnz, n);
    if (rc) return rc;
    c->flags |= JL_TCOL_F_SPARSE;
    c->fill = missing_node(doc, fill) ? JL_NONE : fill;
    char ft[24], vt[24];
    fill_text(doc, fill, ft, sizeof ft);
    snprintf(vt, sizeof vt, "%.23s", c->pdtype);
    snprintf(c->pdtype, sizeof c->pdtype, "Sparse[%.20s, %.16s]", vt, ft);
    return JL_OK;
}

/* Values of any supported kind: column j of k of a block, n rows. */
static int values_col(fb *b, jl_tcol *c, uint32_t v, uint64_t j, uint64_t k, uint64_t *n, int depth) {
    const jl_doc *doc = b->doc;
    if (depth > MAX_NEST) return bad(b, "values nested too deeply");
    if (v == JL_NONE) return bad(b, "no values");
    uint8_t kind = doc->nodes[v].kind;
    if (kind == JL_NDARRAY) return ndarray_col(b, c, v, j, k, n);
    uint32_t cls = class_of(doc, v);
    if (kind == JL_OBJECT && global_is(doc, cls, "pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"))
        return backed_col(b, c, v, j, k, n, depth);
    if (kind == JL_OBJECT && state_get(doc, v, "_mask") != JL_NONE) return masked_col(b, c, v, j, k, n, depth);
    if (kind == JL_OBJECT && (global_is(doc, cls, NULL, "__pyx_unpickle_IntervalMixin") ||
                              pandas_class(doc, cls, "IntervalArray")))
        return interval_col(b, c, v, k, n, depth);
    if (kind == JL_OBJECT && pandas_class(doc, cls, "SparseArray")) return sparse_col(b, c, v, k, n, depth);
    if (kind == JL_OBJECT && state_get(doc, v, "_codes") != JL_NONE) { /* older Categorical */
        uint64_t ncat;
        uint32_t dt = state_get(doc, v, "_dtype");
        if (dt == JL_NONE) dt = state_get(doc, v, "_categories"); /* pandas < 0.21: the Index itself */
        int rc = categories_col(b, c, dt, &ncat, depth);
        if (rc) return rc;
        uint32_t codes = state_get(doc, v, "_codes");
        const jl_array *a = int_array(doc, codes, UINT64_MAX);
        if (!a) return bad(b, "category codes are not a 1-D int array");
        if (*n == UINT64_MAX) *n = doc->dims[a->dims_at];
        snprintf(c->pdtype, sizeof c->pdtype, "category");
        return set_codes(b, c, codes, *n, ncat);
    }
    if (kind == JL_OBJECT && pandas_class(doc, cls, NULL)) {
        jl_ref name = jl_global_of(doc, cls)->name;
        char what[128];
        class_text(doc, v, what, sizeof what);
        for (uint64_t q = 0; q + 5 <= name.len; q++)
            if (memcmp(jl_ref_ptr(doc, name) + q, "Arrow", 5) == 0)
                return unsupported(b, v, NULL, "Arrow-backed values (class %s) are not read", what);
    }
    uint32_t inner = JL_NONE;
    if (kind == JL_OBJECT) inner = state_get(doc, v, "_data");
    if (kind == JL_OBJECT && inner == JL_NONE) inner = state_get(doc, v, "_ndarray");
    if (kind == JL_OBJECT && inner == JL_NONE) inner = doc_index_data(doc, v);
    if (inner != JL_NONE) {
        int rc = values_col(b, c, inner, j, k, n, depth + 1);
        uint32_t dt = state_get(doc, v, "_dtype");
        uint32_t d = index_dict(doc, v);
        uint32_t tz = d != JL_NONE ? jl_dict_get(doc, d, "tz", 2) : JL_NONE;
        if (rc == JL_OK && pandas_class(doc, class_of(doc, dt), "PeriodDtype")) return period_col(b, c, dt);
        if (rc == JL_OK && (pandas_class(doc, class_of(doc, dt), "DatetimeTZDtype") ||
                            (tz != JL_NONE && doc->nodes[tz].kind != JL_NULL))) {
            c->flags |= JL_TCOL_F_UTC;
            snprintf(c->pdtype, sizeof c->pdtype, "datetime64[ns, tz]");
        }
        return rc;
    }
    char what[128];
    class_text(doc, v, what, sizeof what);
    return unsupported(b, v, NULL, "values of class %s are not supported", what);
}

/* ---- axes ---------------------------------------------------------------------------- */

/* The length of range(start, stop, step). */
static uint64_t range_len(int64_t start, int64_t stop, int64_t step) {
    if (step > 0 && stop > start) return ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
    if (step < 0 && stop < start) return ((uint64_t)start - (uint64_t)stop - 1) / (0 - (uint64_t)step) + 1;
    return 0;
}

static int axis_of(fb *b, uint32_t idx, axis *ax, int depth);

static int multi_axis(fb *b, uint32_t d, axis *ax, int depth) {
    const jl_doc *doc = b->doc;
    uint32_t levels = jl_dict_get(doc, d, "levels", 6), codes = jl_dict_get(doc, d, "codes", 5);
    uint32_t names = jl_dict_get(doc, d, "names", 5);
    if (codes == JL_NONE) codes = jl_dict_get(doc, d, "labels", 6); /* pandas < 0.24 */
    if (!is_seq(doc, levels) || !is_seq(doc, codes) || doc->nodes[levels].len != doc->nodes[codes].len ||
        doc->nodes[levels].len == 0)
        return bad(b, "a MultiIndex without as many codes as levels");
    uint64_t nlev = doc->nodes[levels].len;
    if (nlev > JL_FRAME_MAX_LEVELS) return bad(b, "a MultiIndex of %llu levels (at most %d)", U(nlev), JL_FRAME_MAX_LEVELS);
    ax->nlev = (unsigned)nlev;
    ax->len = UINT64_MAX;
    for (unsigned l = 0; l < nlev; l++) {
        axis one;
        int rc = axis_of(b, kid(doc, levels, l), &one, depth + 1);
        if (rc) return rc;
        if (one.nlev != 1) return bad(b, "a MultiIndex level that is a MultiIndex");
        ax->lev[l] = one.lev[0];
        uint32_t cd = kid(doc, codes, l);
        const jl_array *a = int_array(doc, cd, UINT64_MAX);
        if (!a) return bad(b, "MultiIndex codes are not a 1-D int array");
        uint64_t len = doc->dims[a->dims_at];
        if (ax->len != UINT64_MAX && len != ax->len)
            return bad(b, "MultiIndex codes of %llu and %llu values", U(len), U(ax->len));
        ax->len = len;
        rc = set_codes(b, &ax->lev[l], cd, len, one.len);
        if (rc) return rc;
        uint32_t nm = kid(doc, names, l);
        ax->names[l] = nm != JL_NONE ? nm : one.names[0];
    }
    return JL_OK;
}

/* An Index node: its length and level columns. */
static int axis_of(fb *b, uint32_t idx, axis *ax, int depth) {
    const jl_doc *doc = b->doc;
    memset(ax, 0, sizeof *ax);
    ax->names[0] = JL_NONE;
    if (depth > MAX_NEST) return bad(b, "an index nested too deeply");
    uint32_t d = index_dict(doc, idx);
    if (d == JL_NONE) {
        char what[128];
        class_text(doc, idx, what, sizeof what);
        return bad(b, "an axis is %s, not a pandas Index", what);
    }
    uint32_t cls = arg_of(doc, idx, 0);
    if (pandas_class(doc, cls, "MultiIndex")) return multi_axis(b, d, ax, depth);
    ax->nlev = 1;
    ax->names[0] = jl_dict_get(doc, d, "name", 4);
    jl_tcol *c = &ax->lev[0];
    c->decl = "";
    c->key = c->node = c->dtype = JL_NONE;
    if (pandas_class(doc, cls, "RangeIndex")) {
        int64_t start = 0, stop = 0, step = 1;
        uint32_t s0 = jl_dict_get(doc, d, "start", 5), s1 = jl_dict_get(doc, d, "stop", 4),
                 s2 = jl_dict_get(doc, d, "step", 4);
        if ((s0 != JL_NONE && doc->nodes[s0].kind != JL_NULL && int_of(doc, s0, &start)) || int_of(doc, s1, &stop) ||
            (s2 != JL_NONE && doc->nodes[s2].kind != JL_NULL && int_of(doc, s2, &step)) || step == 0)
            return bad(b, "a RangeIndex without int start, stop and step");
        c->how = JL_TCOL_RANGE;
        snprintf(c->pdtype, sizeof c->pdtype, "int64");
        c->start = start;
        c->step = step;
        c->decl = "INTEGER";
        ax->len = range_len(start, stop, step);
        return JL_OK;
    }
    ax->len = UINT64_MAX;
    const char *saved = b->col;
    int saved_axis = b->axis;
    b->col = saved ? saved : "index";
    b->axis = 1;
    char side[16] = "right";
    int rc;
    if (global_is(doc, class_of(doc, idx), NULL, "_new_IntervalIndex")) { /* {left, right, closed, name} */
        str_text(doc, jl_dict_get(doc, d, "closed", 6), side, sizeof side);
        rc = interval_bounds(b, c, idx, jl_dict_get(doc, d, "left", 4), jl_dict_get(doc, d, "right", 5), side,
                             &ax->len, depth + 1);
    } else {
        rc = values_col(b, c, idx, 0, 1, &ax->len, depth + 1);
    }
    b->col = saved;
    b->axis = saved_axis;
    return rc;
}

/* ---- the manager ----------------------------------------------------------------------- */

typedef struct mgr {
    uint32_t axes;    /* list of axis nodes */
    uint32_t blocks;  /* sequence of blocks, or the one block (single) */
    int single;       /* SingleBlockManager(block, axis) */
    int state;        /* the 0.14.1 state form */
    int arrays;       /* an ArrayManager: `blocks` holds one 1-D array per column, `axes` is [index, columns] */
    uint32_t single_axis;
    const char *key;  /* the frame's state key of the manager: "_mgr" or "_data" */
} mgr;

static uint32_t naxes(const jl_doc *doc, const mgr *m) { return m->single ? 1 : doc->nodes[m->axes].len; }
static uint32_t axis_at(const jl_doc *doc, const mgr *m, uint32_t i) {
    if (m->arrays) return kid(doc, m->axes, naxes(doc, m) == 2 ? 1 - i : i); /* BlockManager's order */
    return m->single ? m->single_axis : kid(doc, m->axes, i);
}
static uint64_t nblocks(const jl_doc *doc, const mgr *m) { return m->single ? 1 : doc->nodes[m->blocks].len; }
static uint32_t block_at(const jl_doc *doc, const mgr *m, uint64_t i) {
    return m->single ? m->blocks : kid(doc, m->blocks, i);
}

static int manager_of(fb *b, uint32_t mg, mgr *m) {
    const jl_doc *doc = b->doc;
    memset(m, 0, sizeof *m);
    if (mg == JL_NONE || doc->nodes[mg].kind != JL_OBJECT) return bad(b, "no block manager");
    const jl_object *o = jl_object_of(doc, mg);
    uint32_t st = o->state;
    uint32_t g = class_of(doc, mg);
    if ((pandas_class(doc, g, "ArrayManager") || pandas_class(doc, g, "SingleArrayManager")) && is_seq(doc, st) &&
        doc->nodes[st].len == 2) { /* pandas 1.x's ArrayManager: __getstate__ (arrays, _axes) */
        m->arrays = 1;
        m->blocks = kid(doc, st, 0);
        m->axes = kid(doc, st, 1);
        if (is_seq(doc, m->axes) && is_seq(doc, m->blocks) && doc->nodes[m->axes].len >= 1) return JL_OK;
        return bad(b, "an ArrayManager state without its arrays and axes");
    }
    if (is_seq(doc, st) && doc->nodes[st].len >= 4 && doc->nodes[kid(doc, st, 3)].kind == JL_DICT) {
        uint32_t v = jl_dict_get(doc, kid(doc, st, 3), "0.14.1", 6);
        if (v != JL_NONE && doc->nodes[v].kind == JL_DICT) {
            m->axes = jl_dict_get(doc, v, "axes", 4);
            m->blocks = jl_dict_get(doc, v, "blocks", 6);
            m->state = 1;
            if (is_seq(doc, m->axes) && is_seq(doc, m->blocks)) return JL_OK;
        }
        return bad(b, "a block manager state without its 0.14.1 axes and blocks");
    }
    uint32_t a0 = kid(doc, o->args, 0), a1 = kid(doc, o->args, 1);
    if (doc->nodes[mg].kind == JL_OBJECT && a0 != JL_NONE && a1 != JL_NONE) {
        if (doc->nodes[a0].kind == JL_OBJECT) { /* SingleBlockManager(block, axis) */
            m->single = 1;
            m->blocks = a0;
            m->single_axis = a1;
            return JL_OK;
        }
        m->blocks = a0;
        m->axes = a1;
        if (is_seq(doc, m->axes) && is_seq(doc, m->blocks)) return JL_OK;
    }
    return bad(b, "a block manager of an unknown form");
}

/* A block's values and placement. */
static int block_parts(fb *b, uint32_t blk, uint64_t i, uint32_t *values, uint32_t *locs) {
    const jl_doc *doc = b->doc;
    if (doc->nodes[blk].kind == JL_DICT) {
        *values = jl_dict_get(doc, blk, "values", 6);
        *locs = jl_dict_get(doc, blk, "mgr_locs", 8);
    } else if (global_is(doc, class_of(doc, blk), NULL, "_unpickle_block") ||
               global_is(doc, class_of(doc, blk), NULL, "new_block")) {
        *values = arg_of(doc, blk, 0);
        *locs = arg_of(doc, blk, 1);
    } else {
        char what[128];
        class_text(doc, blk, what, sizeof what);
        return bad(b, "block %llu is %s, not a pandas block", U(i), what);
    }
    if (*values == JL_NONE || *locs == JL_NONE)
        return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "frame: block %llu without values or placement",
                       (unsigned long long)i);
    return JL_OK;
}

/* The column positions of a placement: slice(start, stop, step) or an int
 * array; *count of them, position q at *first + q * *step or from arr. */
typedef struct places {
    uint64_t count;
    int64_t start, step;
    const jl_array *arr;
} places;

static int places_of(fb *b, uint32_t locs, uint64_t i, places *pl) {
    const jl_doc *doc = b->doc;
    memset(pl, 0, sizeof *pl);
    if (global_is(doc, class_of(doc, locs), NULL, "slice")) {
        int64_t v[3] = { 0, 0, 1 };
        for (int q = 0; q < 3; q++) {
            uint32_t x = arg_of(doc, locs, (uint64_t)q);
            if (x != JL_NONE && doc->nodes[x].kind == JL_NULL && q != 1) continue;
            if (int_of(doc, x, &v[q])) goto badloc;
        }
        if (v[2] == 0 || v[0] < 0 || v[1] < 0) goto badloc;
        pl->start = v[0];
        pl->step = v[2];
        pl->count = range_len(v[0], v[1], v[2]);
        return JL_OK;
    }
    pl->arr = int_array(doc, locs, UINT64_MAX);
    if (pl->arr) {
        pl->count = doc->dims[pl->arr->dims_at];
        return JL_OK;
    }
badloc:
    return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                   "frame: block %llu: mgr_locs is not a slice or an int array", (unsigned long long)i);
}

static int64_t place_at(const jl_doc *doc, const places *pl, uint64_t q) {
    return pl->arr ? int_at(doc, pl->arr, q) : pl->start + (int64_t)q * pl->step;
}

/* ---- the plan ---------------------------------------------------------------------------- */

int jl_frame_kind(const jl_doc *doc, uint32_t id) {
    if (id == JL_NONE || doc->nodes[id].kind != JL_OBJECT) return 0;
    uint32_t typ = state_get(doc, id, "_typ");
    if (typ == JL_NONE || doc->nodes[typ].kind != JL_STR) return 0;
    if (state_get(doc, id, "_mgr") == JL_NONE && state_get(doc, id, "_data") == JL_NONE) return 0;
    if (jl_ref_eq(doc, jl_node_ref(doc, typ), "dataframe")) return 1;
    if (jl_ref_eq(doc, jl_node_ref(doc, typ), "series")) return 2;
    return 0;
}

/* Appends column `src` under name[0..n) (copied, made unique). */
static int add(fb *b, const jl_tcol *src, const char *name, size_t n) {
    jl_tcol *c = jl_table_add_col(b->t, name, n, b->err);
    if (!c) {
        jl_free(b->t->alloc, src->sp_pos); /* owned by the column it would have been */
        return b->err->code;
    }
    char *nm = c->name;
    *c = *src;
    c->name = nm;
    return JL_OK;
}

/* The name text of a name node (str as is, None -> dflt, else its text). */
static int name_text(fb *b, uint32_t nm, const char *dflt, jl_buf *out) {
    const jl_doc *doc = b->doc;
    if (nm == JL_NONE || doc->nodes[nm].kind == JL_NULL) return jl_buf_puts(out, dflt);
    if (doc->nodes[nm].kind == JL_STR) {
        jl_ref r = jl_node_ref(doc, nm);
        return r.len ? jl_buf_append(out, jl_ref_ptr(doc, r), r.len) : JL_OK;
    }
    return jl_render_json(doc, nm, out, b->err);
}

static int index_columns(fb *b, const axis *rows) {
    for (unsigned l = 0; l < rows->nlev; l++) {
        char dflt[32];
        snprintf(dflt, sizeof dflt, rows->nlev == 1 ? "index" : "level_%u", l);
        jl_buf nb;
        jl_buf_init(&nb, b->t->alloc, 1 << 16);
        int rc = name_text(b, rows->names[l], dflt, &nb);
        if (rc == JL_OK && !nb.failed) rc = add(b, &rows->lev[l], nb.p ? nb.p : "", nb.p ? (size_t)nb.len : 0);
        else if (rc == JL_OK) rc = jl_fail(b->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
        jl_buf_free(&nb);
        if (rc) return rc;
    }
    return JL_OK;
}

/* The label of column position pos: each level's text, joined by "|". */
static int label_of(fb *b, const axis *cols, uint64_t pos, jl_buf *out) {
    for (unsigned l = 0; l < cols->nlev; l++) {
        if (l) jl_buf_putc(out, '|');
        uint64_t src;
        if (!jl_table_cell_source(b->doc, &cols->lev[l], pos, &src)) continue;
        int rc = jl_table_cell_text(b->doc, b->t, &cols->lev[l], src, out, b->err);
        if (rc) return rc;
    }
    return out->failed ? jl_fail(b->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory") : JL_OK;
}

/* Where each column position is: block index and place in the block. */
typedef struct slot {
    uint32_t values;
    uint64_t j, k;
    uint64_t blk; /* the block's index */
} slot;

/* The path of block `blk`'s raw values, after the frame's own path. */
static void raw_path(const jl_doc *doc, const mgr *m, uint64_t blk, char *out, size_t cap) {
    uint32_t node = block_at(doc, m, blk);
    const char *vstep = node != JL_NONE && doc->nodes[node].kind == JL_DICT ? ".values" : ".__args__[0]";
    if (m->arrays) snprintf(out, cap, ".%s.__state__[0][%llu]", m->key, U(blk));
    else if (m->single) snprintf(out, cap, ".%s.__args__[0]%s", m->key, vstep);
    else if (m->state) snprintf(out, cap, ".%s.__state__[3].\"0.14.1\".blocks[%llu]%s", m->key, U(blk), vstep);
    else snprintf(out, cap, ".%s.__args__[0][%llu]%s", m->key, U(blk), vstep);
}

/* The dtype of values v of a kind not read here, for messages:
 * "string[pyarrow]", or its dtype's class. */
static void dtype_text(const jl_doc *doc, uint32_t v, char *out, size_t cap) {
    uint32_t st = doc->nodes[v].kind == JL_OBJECT ? jl_object_of(doc, v)->state : JL_NONE;
    uint32_t dt = is_seq(doc, st) ? kid(doc, st, 0) : state_get(doc, v, "_dtype");
    if (dt == JL_NONE) dt = state_get(doc, v, "dtype");
    char storage[32];
    uint32_t g = class_of(doc, dt);
    if (pandas_class(doc, g, "StringDtype") &&
        (str_text(doc, state_get(doc, dt, "storage"), storage, sizeof storage) ||
         str_text(doc, arg_of(doc, dt, 0), storage, sizeof storage)))
        snprintf(out, cap, "string[%s]", storage);
    else if (g != JL_NONE) {
        jl_ref r = jl_global_of(doc, g)->name;
        snprintf(out, cap, "%.*s", (int)(r.len < 60 ? r.len : 60), (const char *)jl_ref_ptr(doc, r));
    } else if (v != JL_NONE && doc->nodes[v].kind == JL_OBJECT)
        class_text(doc, v, out, cap);
    else snprintf(out, cap, "unknown");
}

static int data_columns(fb *b, const mgr *m, const axis *cols, uint64_t ncols, uint32_t series_name, uint64_t nrows) {
    const jl_doc *doc = b->doc;
    slot *slots = NULL;
    uint64_t cap = 0;
    int rc = JL_OK;
    if (ncols && jl_grow(b->t->alloc, (void **)&slots, &cap, ncols, sizeof(slot), 0))
        return jl_fail(b->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    for (uint64_t p = 0; p < ncols; p++) slots[p].values = JL_NONE;
    uint64_t nb = nblocks(doc, m);
    if (m->arrays) { /* one 1-D array per column */
        if (nb != ncols)
            rc = jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "frame: an ArrayManager of %llu arrays for %llu columns",
                         U(nb), U(ncols));
        for (uint64_t p = 0; rc == JL_OK && p < ncols; p++) slots[p] = (slot){ kid(doc, m->blocks, p), 0, 1, p };
        nb = 0;
    } else if (!cols) { /* a series: one block whose placement spans its rows */
        uint32_t locs = JL_NONE;
        if (nb != 1) rc = bad(b, "a Series of %llu blocks", U(nb));
        else rc = block_parts(b, block_at(doc, m, 0), 0, &slots[0].values, &locs);
        slots[0].j = 0;
        slots[0].k = 1;
        slots[0].blk = 0;
        nb = 0;
    }
    for (uint64_t i = 0; i < nb && rc == JL_OK; i++) {
        uint32_t values = JL_NONE, locs = JL_NONE;
        places pl = { 0, 0, 0, NULL };
        rc = block_parts(b, block_at(doc, m, i), i, &values, &locs);
        if (rc == JL_OK) rc = places_of(b, locs, i, &pl);
        for (uint64_t q = 0; rc == JL_OK && q < pl.count; q++) {
            int64_t pos = place_at(doc, &pl, q);
            if (pos < 0 || (uint64_t)pos >= ncols)
                rc = jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                             "frame: block %llu places a column at position %lld of %llu", (unsigned long long)i,
                             (long long)pos, (unsigned long long)ncols);
            else if (slots[pos].values != JL_NONE)
                rc = jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                             "frame: block %llu places a column at position %lld, which another block holds",
                             (unsigned long long)i, (long long)pos);
            else
                slots[pos] = (slot){ values, q, pl.count, i };
        }
    }
    for (uint64_t p = 0; rc == JL_OK && p < ncols; p++)
        if (slots[p].values == JL_NONE)
            rc = jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "frame: no block holds column position %llu",
                         (unsigned long long)p);
    for (uint64_t p = 0; rc == JL_OK && p < ncols; p++) {
        jl_buf nm;
        jl_buf_init(&nm, b->t->alloc, 1 << 16);
        rc = cols ? label_of(b, cols, p, &nm) : name_text(b, series_name, "value", &nm);
        if (rc == JL_OK && nm.failed) rc = jl_fail(b->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
        if (rc == JL_OK) {
            jl_tcol c;
            memset(&c, 0, sizeof c);
            c.key = c.node = c.dtype = JL_NONE;
            c.decl = "";
            uint64_t n = nrows;
            b->col = nm.p ? nm.p : "";
            b->unsupported = JL_NONE;
            rc = values_col(b, &c, slots[p].values, slots[p].j, slots[p].k, &n, 0);
            if (rc != JL_OK && b->unsupported != JL_NONE) {
                char path[160], dt[64];
                raw_path(doc, m, slots[p].blk, path, sizeof path);
                if (b->dt[0]) snprintf(dt, sizeof dt, "%s", b->dt);
                else dtype_text(doc, slots[p].values, dt, sizeof dt);
                rc = jl_fail(b->err, b->err->code, JL_NO_OFFSET, "frame: column '%.60s' (dtype %s): %s; raw values at %.*s%s",
                             b->col, dt, b->why, (int)(b->atn < 80 ? b->atn : 80), b->at, path);
            }
            b->col = NULL;
            if (rc == JL_OK) rc = add(b, &c, nm.p ? nm.p : "", nm.p ? (size_t)nm.len : 0);
            else jl_free(b->t->alloc, c.sp_pos);
        }
        jl_buf_free(&nm);
    }
    jl_free(b->t->alloc, slots);
    return rc;
}

/* A node that is no table but holds a frame among its elements (a list
 * or tuple of frames, a dict with a frame under a name): the error says
 * the path that attaches it; else err as it is. */
static int frame_inside(const jl_doc *doc, uint32_t id, const char *at, size_t atn, jl_error *err) {
    const jl_node *n = &doc->nodes[id];
    int dict = n->kind == JL_DICT;
    if (!dict && n->kind != JL_LIST && n->kind != JL_TUPLE) return err->code;
    const uint32_t *k = jl_kids_of(doc, id);
    uint64_t count = dict ? n->len / 2 : n->len;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t v = dict ? k[2 * i + 1] : k[i];
        int kind = jl_frame_kind(doc, v);
        if (!kind) continue;
        char step[80];
        if (!dict) {
            snprintf(step, sizeof step, "[%llu]", U(i));
        } else {
            uint32_t key = k[2 * i];
            jl_ref r = jl_node_ref(doc, key);
            const uint8_t *q = doc->nodes[key].kind == JL_STR ? jl_ref_ptr(doc, r) : NULL;
            int plain = q && r.len > 0 && r.len < 60 && !(q[0] >= '0' && q[0] <= '9');
            for (uint64_t c = 0; plain && c < r.len; c++)
                plain = (q[c] >= 'a' && q[c] <= 'z') || (q[c] >= 'A' && q[c] <= 'Z') || (q[c] >= '0' && q[c] <= '9') ||
                        q[c] == '_';
            if (!plain) continue;
            snprintf(step, sizeof step, ".%.*s", (int)r.len, (const char *)q);
        }
        int len = (int)(at ? (atn < 80 ? atn : 80) : 1);
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                       "not table-shaped: a %s holding a pandas %s at %.*s%s (attach that path: joblib(src, "
                       "'%.*s%s'))", jl_kind_name(n->kind), kind == 1 ? "DataFrame" : "Series", len, at ? at : "$",
                       step, len, at ? at : "$", step);
    }
    return err->code;
}

int jl_frame_plan_make(const jl_doc *doc, uint32_t id, const char *at, size_t atn, const jl_alloc *alloc,
                       jl_table_plan *p, uint32_t *nindex, jl_error *err) {
    if (nindex) *nindex = 0;
    int kind = jl_frame_kind(doc, id);
    if (!kind) {
        int rc = jl_table_plan_make(doc, id, alloc, p, err);
        return rc == JL_E_FORMAT ? frame_inside(doc, id, at, atn, err) : rc;
    }
    memset(p, 0, sizeof *p);
    p->alloc = alloc;
    p->records = JL_NONE;
    fb b;
    memset(&b, 0, sizeof b);
    b.doc = doc;
    b.t = p;
    b.err = err;
    b.at = at ? at : "$";
    b.atn = at ? atn : 1;
    b.unsupported = JL_NONE;
    const char *key = "_mgr";
    uint32_t mg = state_get(doc, id, key);
    if (mg == JL_NONE) mg = state_get(doc, id, key = "_data");
    mgr m;
    int rc = manager_of(&b, mg, &m);
    if (rc) return rc;
    m.key = key;
    uint32_t want = kind == 1 ? 2 : 1;
    if (naxes(doc, &m) != want)
        return bad(&b, "a %s with %u axes", kind == 1 ? "DataFrame" : "Series", naxes(doc, &m));
    axis *ax = jl_malloc(alloc, 2 * sizeof(axis));
    if (!ax) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    axis *rows = &ax[0], *cols = kind == 1 ? &ax[1] : NULL;
    rc = axis_of(&b, axis_at(doc, &m, kind == 1 ? 1 : 0), rows, 0);
    if (rc == JL_OK && cols) rc = axis_of(&b, axis_at(doc, &m, 0), cols, 0);
    uint64_t ncols = cols ? cols->len : 1;
    if (rc == JL_OK && ncols + rows->nlev > JL_TABLE_MAX_COLS)
        rc = jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "frame: %llu columns (SQLite allows at most %d)",
                     (unsigned long long)ncols, JL_TABLE_MAX_COLS);
    if (rc == JL_OK) rc = index_columns(&b, rows);
    if (rc == JL_OK) {
        p->nrows = rows->len;
        if (nindex) *nindex = rows->nlev;
        uint32_t name = state_get(doc, id, "name"); /* pandas 2.x: '_name' */
        if (name == JL_NONE) name = state_get(doc, id, "_name");
        rc = data_columns(&b, &m, cols, ncols, name, rows->len);
    }
    jl_free(alloc, ax);
    return rc;
}
