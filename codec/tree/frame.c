/*
 * frame.c - a pickled pandas DataFrame or Series as a column plan
 * (frame.h): the manager's axes and blocks, each block's values as
 * columns, the index as leading columns, the labels as names.
 */
#include "frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dtype.h"
#include "render.h"

/* Values nest (a Categorical's categories are an Index holding an array):
 * a few levels are real, more is a crafted file. */
#define MAX_NEST 6

typedef struct fb {
    const jl_doc *doc;
    jl_table_plan *t;
    jl_error *err;
    const char *col; /* the column being made, for messages */
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

/* A pandas class global named name (any pandas module: they moved). */
static int pandas_class(const jl_doc *doc, uint32_t g, const char *name) {
    if (!global_is(doc, g, NULL, name)) return 0;
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

/* The data of an Index object (_new_Index / _new_DatetimeIndex), or JL_NONE. */
static uint32_t index_dict(const jl_doc *doc, uint32_t idx) {
    uint32_t f = class_of(doc, idx);
    if (!global_is(doc, f, NULL, "_new_Index") && !global_is(doc, f, NULL, "_new_DatetimeIndex")) return JL_NONE;
    uint32_t d = arg_of(doc, idx, 1);
    return d != JL_NONE && doc->nodes[d].kind == JL_DICT ? d : JL_NONE;
}

static uint32_t doc_index_data(const jl_doc *doc, uint32_t idx) {
    uint32_t d = index_dict(doc, idx);
    return d == JL_NONE ? JL_NONE : jl_dict_get(doc, d, "data", 4);
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
    uint32_t inner = JL_NONE;
    if (kind == JL_OBJECT) inner = state_get(doc, v, "_data");
    if (kind == JL_OBJECT && inner == JL_NONE) inner = state_get(doc, v, "_ndarray");
    if (kind == JL_OBJECT && inner == JL_NONE) inner = doc_index_data(doc, v);
    if (inner != JL_NONE) {
        int rc = values_col(b, c, inner, j, k, n, depth + 1);
        uint32_t dt = state_get(doc, v, "_dtype");
        uint32_t d = index_dict(doc, v);
        uint32_t tz = d != JL_NONE ? jl_dict_get(doc, d, "tz", 2) : JL_NONE;
        if (rc == JL_OK && (pandas_class(doc, class_of(doc, dt), "DatetimeTZDtype") ||
                            (tz != JL_NONE && doc->nodes[tz].kind != JL_NULL))) {
            c->flags |= JL_TCOL_F_UTC;
            snprintf(c->pdtype, sizeof c->pdtype, "datetime64[ns, tz]");
        }
        return rc;
    }
    char what[128];
    class_text(doc, v, what, sizeof what);
    return bad(b, "values of class %s are not supported", what);
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
    b->col = saved ? saved : "index";
    int rc = values_col(b, c, idx, 0, 1, &ax->len, depth + 1);
    b->col = saved;
    return rc;
}

/* ---- the manager ----------------------------------------------------------------------- */

typedef struct mgr {
    uint32_t axes;    /* list of axis nodes */
    uint32_t blocks;  /* sequence of blocks, or the one block (single) */
    int single;       /* SingleBlockManager(block, axis) */
    uint32_t single_axis;
} mgr;

static uint32_t naxes(const jl_doc *doc, const mgr *m) { return m->single ? 1 : doc->nodes[m->axes].len; }
static uint32_t axis_at(const jl_doc *doc, const mgr *m, uint32_t i) {
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
    if (is_seq(doc, st) && doc->nodes[st].len >= 4 && doc->nodes[kid(doc, st, 3)].kind == JL_DICT) {
        uint32_t v = jl_dict_get(doc, kid(doc, st, 3), "0.14.1", 6);
        if (v != JL_NONE && doc->nodes[v].kind == JL_DICT) {
            m->axes = jl_dict_get(doc, v, "axes", 4);
            m->blocks = jl_dict_get(doc, v, "blocks", 6);
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
    if (!c) return b->err->code;
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
} slot;

static int data_columns(fb *b, const mgr *m, const axis *cols, uint64_t ncols, uint32_t series_name, uint64_t nrows) {
    const jl_doc *doc = b->doc;
    slot *slots = NULL;
    uint64_t cap = 0;
    int rc = JL_OK;
    if (ncols && jl_grow(b->t->alloc, (void **)&slots, &cap, ncols, sizeof(slot), 0))
        return jl_fail(b->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    for (uint64_t p = 0; p < ncols; p++) slots[p].values = JL_NONE;
    uint64_t nb = nblocks(doc, m);
    if (!cols) { /* a series: one block whose placement spans its rows */
        uint32_t locs = JL_NONE;
        if (nb != 1) rc = bad(b, "a Series of %llu blocks", U(nb));
        else rc = block_parts(b, block_at(doc, m, 0), 0, &slots[0].values, &locs);
        slots[0].j = 0;
        slots[0].k = 1;
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
                slots[pos] = (slot){ values, q, pl.count };
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
            rc = values_col(b, &c, slots[p].values, slots[p].j, slots[p].k, &n, 0);
            b->col = NULL;
            if (rc == JL_OK) rc = add(b, &c, nm.p ? nm.p : "", nm.p ? (size_t)nm.len : 0);
        }
        jl_buf_free(&nm);
    }
    jl_free(b->t->alloc, slots);
    return rc;
}

int jl_frame_plan_make(const jl_doc *doc, uint32_t id, const jl_alloc *alloc, jl_table_plan *p, uint32_t *nindex,
                       jl_error *err) {
    if (nindex) *nindex = 0;
    int kind = jl_frame_kind(doc, id);
    if (!kind) return jl_table_plan_make(doc, id, alloc, p, err);
    memset(p, 0, sizeof *p);
    p->alloc = alloc;
    p->records = JL_NONE;
    fb b = { doc, p, err, NULL };
    uint32_t mg = state_get(doc, id, "_mgr");
    if (mg == JL_NONE) mg = state_get(doc, id, "_data");
    mgr m;
    int rc = manager_of(&b, mg, &m);
    if (rc) return rc;
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
        rc = data_columns(&b, &m, cols, ncols, state_get(doc, id, "name"), rows->len);
    }
    jl_free(alloc, ax);
    return rc;
}
