/*
 * table.c - the column plan of a table-shaped node (table.h): which
 * shapes are tables, the columns' names, cells and declared types, and
 * the errors that say why a node is not a table.
 */
#include "table.h"

#include "text.h"

#include <stdio.h>
#include <string.h>

#include "arraytext.h"
#include "dtype.h"
#include "atomtext.h"
#include "jsonin.h"
#include "pdscalar.h"
#include "render.h"

/* ---- declared types ------------------------------------------------------------- */

/* Kinds of values for the declared type, merged over a column. */
enum { V_NONE = 0, V_INT, V_REAL, V_TEXT, V_BLOB, V_OTHER };

static const char *const decl_words[] = { "", "INTEGER", "REAL", "TEXT", "BLOB", "" };

/* The value kind of elements of dtype dt. */
static int dtype_vkind(const jl_doc *doc, uint32_t dt) {
    const jl_dtype *d = &doc->dtypes[dt];
    if (d->nfields || d->sub_ndim) return V_OTHER;
    switch (d->kind) {
    case 'b': case 'i': case 'u': return V_INT;
    case 'f': return V_REAL;
    case 'U': case 'M': case 'm': return V_TEXT;
    case 'S': return V_BLOB;
    default: return V_OTHER;
    }
}

static int node_vkind(const jl_doc *doc, uint32_t id) {
    const jl_node *n = &doc->nodes[id];
    switch (n->kind) {
    case JL_NULL: return V_NONE;
    case JL_BOOL: return V_INT;
    case JL_INT: return (n->flags & JL_F_BIG) ? V_OTHER : V_INT;
    case JL_FLOAT: return V_REAL;
    case JL_STR: return V_TEXT;
    case JL_BYTES: case JL_BYTEARRAY: return V_BLOB;
    case JL_SCALAR: {
        const jl_array *a = jl_array_of(doc, id);
        return a->dtype < doc->ndtypes ? dtype_vkind(doc, a->dtype) : V_OTHER;
    }
    default: return V_OTHER;
    }
}

static int merge_vkind(int a, int b) {
    if (a == V_NONE) return b;
    if (b == V_NONE || a == b) return a;
    if ((a == V_INT && b == V_REAL) || (a == V_REAL && b == V_INT)) return V_REAL;
    return V_OTHER;
}

/* ---- names ------------------------------------------------------------------------- */

typedef struct builder {
    jl_table_plan *t;
    const jl_doc *doc;
    jl_error *err;
} builder;

static int nomem(jl_error *err) { return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory"); }

int jl_table_utf8_clean(jl_buf *b, const char *s, size_t n) {
    static const char fffd[] = "\xEF\xBF\xBD";
    const uint8_t *p = (const uint8_t *)s;
    while (n > 0) {
        /* the run of strict UTF-8; then a surrogate (l bytes) or a bad byte */
        uint64_t k = 0;
        uint32_t cp = 0;
        unsigned l = 0;
        while (k < n && (l = jl_utf8_next(p + k, n - k, JL_UTF8_SURROGATES, &cp)) != 0 &&
               !(cp >= 0xD800 && cp <= 0xDFFF))
            k += l;
        jl_buf_append(b, p, k);
        if (k == n) break;
        jl_buf_append(b, fffd, 3);
        uint64_t skip = l ? l : 1;
        p += k + skip;
        n -= (size_t)(k + skip);
    }
    if (!b->p) jl_buf_append(b, "", 0); /* NUL-terminated, also when empty */
    return b->failed;
}

/* ASCII case-insensitive equality, as SQLite compares column names. */
static int same_name(const char *a, const char *b) {
    for (;; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a, y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y) return 0;
        if (!x) return 1;
    }
}

static int name_taken(const jl_table_plan *t, const char *name) {
    for (uint32_t j = 0; j < t->ncols; j++)
        if (same_name(t->cols[j].name, name)) return 1;
    return 0;
}

/* Appends a column named name[0..n) (made unique without case). */
static jl_tcol *add_col(builder *b, const char *name, size_t n) {
    jl_table_plan *t = b->t;
    if (memchr(name, 0, n)) {
        jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "column name '%.60s...' contains a NUL character", name);
        return NULL;
    }
    if (jl_grow(t->alloc, (void **)&t->cols, &t->cap_cols, (uint64_t)t->ncols + 1, sizeof(jl_tcol), 0)) {
        nomem(b->err);
        return NULL;
    }
    jl_buf nm;
    jl_buf_init(&nm, t->alloc, 0);
    jl_table_utf8_clean(&nm, name, n);
    uint64_t clean_len = nm.len;
    for (int dup = 1; !nm.failed && name_taken(t, nm.p); dup++) {
        nm.len = clean_len;
        jl_buf_printf(&nm, ":%d", dup);
    }
    if (nm.failed) {
        jl_buf_free(&nm);
        nomem(b->err);
        return NULL;
    }
    jl_tcol *c = &t->cols[t->ncols++];
    memset(c, 0, sizeof *c);
    c->name = jl_buf_take(&nm, NULL);
    c->decl = "";
    c->key = c->node = c->dtype = JL_NONE;
    return c;
}

static int is_na_object(const jl_doc *doc, uint32_t id);

jl_tcol *jl_table_add_col(jl_table_plan *p, const char *name, size_t n, jl_error *err) {
    builder b = { p, NULL, err };
    return add_col(&b, name, n);
}

const char *jl_table_dtype_decl(const jl_doc *doc, uint32_t dt) { return decl_words[dtype_vkind(doc, dt)]; }

const char *jl_table_items_decl(const jl_doc *doc, uint32_t list, uint64_t stride, uint64_t off, uint64_t nrows) {
    const uint32_t *k = jl_kids_of(doc, list);
    int v = V_NONE;
    for (uint64_t i = 0; i < nrows && v != V_OTHER; i++) {
        uint32_t id = k[i * stride + off];
        if (!is_na_object(doc, id)) v = merge_vkind(v, node_vkind(doc, id));
    }
    return decl_words[v];
}

/* The column name of a dict key: a str's text, else the key's JSON text. */
static jl_tcol *add_key_col(builder *b, uint32_t key) {
    const jl_node *k = &b->doc->nodes[key];
    if (k->kind == JL_STR) {
        jl_ref r = jl_node_ref(b->doc, key);
        return add_col(b, r.len ? (const char *)jl_ref_ptr(b->doc, r) : "", (size_t)r.len);
    }
    jl_buf buf;
    jl_buf_init(&buf, b->t->alloc, 1 << 20);
    if (jl_render_json(b->doc, key, &buf, b->err) != JL_OK || buf.failed) {
        jl_buf_free(&buf);
        if (b->err->code == JL_OK) nomem(b->err);
        return NULL;
    }
    jl_tcol *c = add_col(b, buf.p ? buf.p : "", (size_t)buf.len);
    jl_buf_free(&buf);
    return c;
}

/* Short description of a node for error messages: "a str", "a 2-D ndarray". */
static void describe(const jl_doc *doc, uint32_t id, const jl_alloc *alloc, char *out, size_t cap) {
    const jl_node *n = &doc->nodes[id];
    if (n->kind == JL_NDARRAY) {
        const jl_array *a = jl_array_of(doc, id);
        snprintf(out, cap, "a %u-D ndarray", (unsigned)a->ndim);
    } else if (n->kind == JL_OBJECT) {
        jl_buf buf, name;
        jl_buf_init(&buf, alloc, 0);
        jl_buf_init(&name, alloc, 0);
        jl_render_class(doc, id, &buf);
        /* the class name is bytes from the bundle: at most 100 of them, as UTF-8 */
        int ok = buf.p && !buf.failed &&
                 jl_table_utf8_clean(&name, buf.p, buf.len < 100 ? (size_t)buf.len : 100) == JL_OK;
        snprintf(out, cap, "an object of class %s", ok ? name.p : "?");
        jl_buf_free(&name);
        jl_buf_free(&buf);
    } else {
        const char *k = jl_kind_name(n->kind);
        snprintf(out, cap, "%s %s", strchr("aeiou", k[0]) ? "an" : "a", k);
    }
}

/* ---- shapes ------------------------------------------------------------------------ */

/* The column for an array whose rows are cells (1-D, or the columns of a
 * 2-D array): fixed-size bytes or object items. */
static int array_col(builder *b, jl_tcol *c, const jl_array *a, uint32_t dtype, uint64_t stride, uint64_t off,
                     uint64_t kstride, uint64_t koff, uint64_t nrows) {
    const jl_doc *doc = b->doc;
    const jl_dtype *d = &doc->dtypes[a->dtype];
    if (d->has_object || a->items != JL_NONE) {
        if (d->nfields)
            return jl_fail(b->err, JL_E_UNSUPPORTED, JL_NO_OFFSET,
                           "column '%s': a structured array with object fields is not supported", c->name);
        if (a->items == JL_NONE || doc->nodes[a->items].kind != JL_LIST)
            return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "column '%s': an object array without its items",
                           c->name);
        uint64_t need = nrows ? (nrows - 1) * kstride + koff + 1 : 0;
        if (doc->nodes[a->items].len < need)
            return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                           "column '%s': the object array holds fewer items than its shape", c->name);
        c->how = JL_TCOL_ITEMS;
        c->node = a->items;
        c->stride = kstride;
        c->off = koff;
        const uint32_t *k = jl_kids_of(doc, a->items);
        int v = V_NONE;
        for (uint64_t i = 0; i < nrows && v != V_OTHER; i++) v = merge_vkind(v, node_vkind(doc, k[i * kstride + koff]));
        c->decl = decl_words[v];
        return JL_OK;
    }
    uint64_t size = doc->dtypes[dtype].itemsize, need = 0;
    if (nrows && (jl_mul_overflow(nrows - 1, stride, &need) || jl_add_overflow(need, off + size, &need)))
        need = UINT64_MAX;
    if (a->data.len < need)
        return jl_fail(b->err, JL_E_FORMAT, a->stream_off, "column '%s': the array data is shorter than its shape",
                       c->name);
    c->how = JL_TCOL_ARRAY;
    c->dtype = dtype;
    c->data = a->data;
    c->stride = stride;
    c->off = off;
    c->decl = decl_words[dtype_vkind(doc, dtype)];
    return JL_OK;
}

/* A vector column over N-D (ndim >= 2) ndarray node `id`: fixed-size
 * elements whose bytes cover the shape; its declared type is numpy's
 * dtype name and the row shape, "float32[384]". */
static int vector_col(builder *b, jl_tcol *c, uint32_t id) {
    const jl_doc *doc = b->doc;
    const jl_array *a = jl_array_of(doc, id);
    const jl_dtype *d = &doc->dtypes[a->dtype];
    if (d->has_object || a->items != JL_NONE)
        return jl_fail(b->err, JL_E_UNSUPPORTED, JL_NO_OFFSET,
                       "column '%s' is a %u-D object ndarray: only arrays of fixed-size elements are "
                       "vector columns", c->name, (unsigned)a->ndim);
    if (a->ndim > JL_MAX_DIMS)
        return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "column '%s': an array with %u dimensions (max %d)",
                       c->name, (unsigned)a->ndim, JL_MAX_DIMS);
    uint64_t nbytes;
    if (jl_mul_overflow(jl_array_count(doc, a), d->itemsize, &nbytes))
        return jl_fail(b->err, JL_E_LIMIT, JL_NO_OFFSET, "column '%s': the array's size overflows 64 bits", c->name);
    if (a->data.len < nbytes)
        return jl_fail(b->err, JL_E_FORMAT, a->stream_off, "column '%s': array data holds %llu bytes, its shape needs %llu",
                       c->name, (unsigned long long)a->data.len, (unsigned long long)nbytes);
    jl_buf t;
    jl_buf_init(&t, b->t->alloc, 0);
    jl_dtype_name(doc, a->dtype, &t);
    for (unsigned k = 1; k < a->ndim; k++) jl_buf_printf(&t, "[%llu]", (unsigned long long)doc->dims[a->dims_at + k]);
    if (t.failed) {
        jl_buf_free(&t);
        return nomem(b->err);
    }
    c->vtype = jl_buf_take(&t, NULL);
    c->how = JL_TCOL_VECTOR;
    c->node = id;
    c->dtype = a->dtype;
    c->data = a->data;
    c->stride = doc->dims[a->dims_at] ? nbytes / doc->dims[a->dims_at] : 0; /* bytes per row */
    c->decl = "BLOB";
    return JL_OK;
}

/* A dict of columns. */
static int from_columns(builder *b, uint32_t dict) {
    const jl_doc *doc = b->doc;
    const jl_node *dn = &doc->nodes[dict];
    uint64_t pairs = dn->len / 2;
    char what[512];
    if (pairs == 0) return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "an empty dict has no columns");
    const char *first = NULL;
    for (uint64_t p = 0; p < pairs; p++) {
        uint32_t key = jl_kids_of(doc, dict)[2 * p], val = jl_kids_of(doc, dict)[2 * p + 1];
        jl_tcol *c = add_key_col(b, key);
        if (!c) return b->err->code;
        const jl_node *v = &doc->nodes[val];
        uint64_t len;
        if (v->kind == JL_NDARRAY && jl_array_of(doc, val)->ndim >= 2) {
            /* a vector column: rows along the first axis */
            len = doc->dims[jl_array_of(doc, val)->dims_at];
            if (p > 0 && len != b->t->nrows) goto unequal;
            b->t->nrows = len;
            int rc = vector_col(b, c, val);
            if (rc) return rc;
        } else if (v->kind == JL_NDARRAY) {
            const jl_array *a = jl_array_of(doc, val);
            if (a->ndim != 1) {
                describe(doc, val, b->t->alloc, what, sizeof what);
                return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                               "not table-shaped: column '%s' is %s, not a 1-D array or a list", c->name, what);
            }
            len = doc->dims[a->dims_at];
            if (p > 0 && len != b->t->nrows) goto unequal;
            b->t->nrows = len;
            int rc = array_col(b, c, a, a->dtype, doc->dtypes[a->dtype].itemsize, 0, 1, 0, len);
            if (rc) return rc;
        } else if (v->kind == JL_LIST || v->kind == JL_TUPLE) {
            len = v->len;
            if (p > 0 && len != b->t->nrows) goto unequal;
            b->t->nrows = len;
            c->how = JL_TCOL_ITEMS;
            c->node = val;
            c->stride = 1;
            c->off = 0;
            const uint32_t *k = jl_kids_of(doc, val);
            int vk = V_NONE;
            for (uint64_t i = 0; i < len && vk != V_OTHER; i++) vk = merge_vkind(vk, node_vkind(doc, k[i]));
            c->decl = decl_words[vk];
        } else {
            describe(doc, val, b->t->alloc, what, sizeof what);
            return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                           "not table-shaped: column '%s' is %s, not a 1-D array or a list", c->name, what);
        }
        if (p == 0) first = c->name;
        continue;
    unequal:
        return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                       "columns of unequal length: '%s' has %llu rows, '%s' has %llu", c->name,
                       (unsigned long long)len, first, (unsigned long long)b->t->nrows);
    }
    return JL_OK;
}

/* A 1-D structured array (one column per field) or a 2-D array (c0..cN). */
static int from_array(builder *b, uint32_t id) {
    const jl_doc *doc = b->doc;
    const jl_array *a = jl_array_of(doc, id);
    const jl_dtype *d = &doc->dtypes[a->dtype];
    char what[512];
    if (a->ndim == 1 && d->nfields) {
        uint64_t n = doc->dims[a->dims_at];
        b->t->nrows = n;
        for (uint32_t f = 0; f < d->nfields; f++) {
            const jl_field *fl = &doc->fields[d->fields_at + f];
            jl_tcol *c = add_col(b, fl->name.len ? (const char *)jl_ref_ptr(doc, fl->name) : "", (size_t)fl->name.len);
            if (!c) return b->err->code;
            a = jl_array_of(doc, id); /* stable: the doc does not grow here, but stay safe */
            int rc = array_col(b, c, a, fl->dtype, doc->dtypes[a->dtype].itemsize, fl->offset, 1, 0, n);
            if (rc) return rc;
        }
        return JL_OK;
    }
    if (a->ndim == 2 && !d->nfields) {
        uint64_t rows = doc->dims[a->dims_at], ncol = doc->dims[a->dims_at + 1];
        if (ncol == 0) return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "a 2-D array with 0 columns has no columns");
        if (ncol > JL_TABLE_MAX_COLS)
            return jl_fail(b->err, JL_E_LIMIT, JL_NO_OFFSET, "a 2-D array with %llu columns (SQLite allows "
                           "at most %d)", (unsigned long long)ncol, JL_TABLE_MAX_COLS);
        b->t->nrows = rows;
        uint64_t size = d->itemsize;
        for (uint64_t j = 0; j < ncol; j++) {
            char name[32];
            snprintf(name, sizeof name, "c%llu", (unsigned long long)j);
            jl_tcol *c = add_col(b, name, strlen(name));
            if (!c) return b->err->code;
            a = jl_array_of(doc, id);
            /* bytes: C order row-major; F order column-major. Object items are in C order. */
            uint64_t stride = a->order == 'F' ? size : ncol * size;
            uint64_t off = a->order == 'F' ? j * rows * size : j * size;
            int rc = array_col(b, c, a, a->dtype, stride, off, ncol, j, rows);
            if (rc) return rc;
        }
        return JL_OK;
    }
    describe(doc, id, b->t->alloc, what, sizeof what);
    return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                   "not table-shaped: %s%s (expected a dict of columns, a 1-D structured array, a 2-D array or "
                   "a list of records)", what, d->nfields ? " with a structured dtype" : "");
}

static int ref_eq(const jl_doc *doc, uint32_t a, uint32_t b) {
    jl_ref r = jl_node_ref(doc, a), s = jl_node_ref(doc, b);
    return r.len == s.len && (r.len == 0 || memcmp(jl_ref_ptr(doc, r), jl_ref_ptr(doc, s), (size_t)r.len) == 0);
}

/* Key equality of two dict keys (same kind and value). */
static int key_eq(const jl_doc *doc, uint32_t a, uint32_t b) {
    if (a == b) return 1;
    const jl_node *x = &doc->nodes[a], *y = &doc->nodes[b];
    if (x->kind != y->kind) return 0;
    switch (x->kind) {
    case JL_NULL: return 1;
    case JL_BOOL: return x->u.i == y->u.i;
    case JL_INT:
        if ((x->flags ^ y->flags) & JL_F_BIG) return 0;
        if (!(x->flags & JL_F_BIG)) return x->u.i == y->u.i;
        return ref_eq(doc, a, b);
    case JL_STR: case JL_BYTES: return ref_eq(doc, a, b);
    case JL_FLOAT: return x->u.f == y->u.f;
    default: return 0;
    }
}

/* The value of key `key` in dict `d`; `hint` is the pair where it usually is. */
static uint32_t dict_lookup(const jl_doc *doc, uint32_t d, uint32_t key, uint64_t hint) {
    const jl_node *dn = &doc->nodes[d];
    const uint32_t *k = jl_kids_of(doc, d);
    uint64_t pairs = dn->len / 2;
    if (hint < pairs && key_eq(doc, k[2 * hint], key)) return k[2 * hint + 1];
    for (uint64_t p = pairs; p-- > 0;)
        if (key_eq(doc, k[2 * p], key)) return k[2 * p + 1];
    return JL_NONE;
}

/* A list of records: all dicts, or all tuples/lists. */
static int from_records(builder *b, uint32_t list) {
    const jl_doc *doc = b->doc;
    const jl_node *ln = &doc->nodes[list];
    const uint32_t *k = jl_kids_of(doc, list);
    uint64_t n = ln->len;
    char what[512];
    if (n == 0) return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "an empty %s has no columns", jl_kind_name(ln->kind));
    uint8_t k0 = doc->nodes[k[0]].kind;
    int dicts = k0 == JL_DICT;
    if (!dicts && k0 != JL_TUPLE && k0 != JL_LIST) {
        describe(doc, k[0], b->t->alloc, what, sizeof what);
        return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                       "not table-shaped: a %s whose element [0] is %s (expected records: dicts, tuples or lists)",
                       jl_kind_name(ln->kind), what);
    }
    b->t->records = list;
    b->t->nrows = n;
    uint64_t width = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t r = k[i];
        uint8_t kind = doc->nodes[r].kind;
        if (dicts ? kind != JL_DICT : (kind != JL_TUPLE && kind != JL_LIST)) {
            describe(doc, r, b->t->alloc, what, sizeof what);
            return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET,
                           "not table-shaped: element [%llu] is %s where element [0] is a %s (records must be "
                           "all dicts or all tuples/lists)", (unsigned long long)i, what, jl_kind_name(k0));
        }
        if (!dicts) {
            if (doc->nodes[r].len > width) width = doc->nodes[r].len;
            continue;
        }
        /* dict records: new keys become columns */
        uint64_t pairs = doc->nodes[r].len / 2;
        const uint32_t *rk = jl_kids_of(doc, r);
        for (uint64_t p = 0; p < pairs; p++) {
            uint32_t key = rk[2 * p];
            int known = p < b->t->ncols && key_eq(doc, b->t->cols[p].key, key);
            for (uint32_t j = 0; !known && j < b->t->ncols; j++) known = key_eq(doc, b->t->cols[j].key, key);
            if (known) continue;
            if (b->t->ncols >= JL_TABLE_MAX_COLS)
                return jl_fail(b->err, JL_E_LIMIT, JL_NO_OFFSET, "records with more than %d keys",
                               JL_TABLE_MAX_COLS);
            jl_tcol *c = add_key_col(b, key);
            if (!c) return b->err->code;
            c->how = JL_TCOL_RECDICT;
            c->key = key;
            c->index = p;
        }
    }
    if (!dicts) {
        if (width == 0) return jl_fail(b->err, JL_E_FORMAT, JL_NO_OFFSET, "records of no elements have no columns");
        if (width > JL_TABLE_MAX_COLS)
            return jl_fail(b->err, JL_E_LIMIT, JL_NO_OFFSET, "records of %llu elements (SQLite allows at most "
                           "%d columns)", (unsigned long long)width, JL_TABLE_MAX_COLS);
        for (uint64_t j = 0; j < width; j++) {
            char name[32];
            snprintf(name, sizeof name, "c%llu", (unsigned long long)j);
            jl_tcol *c = add_col(b, name, strlen(name));
            if (!c) return b->err->code;
            c->how = JL_TCOL_RECSEQ;
            c->index = j;
        }
    }
    /* declared types from the values */
    for (uint32_t j = 0; j < b->t->ncols; j++) {
        jl_tcol *c = &b->t->cols[j];
        int v = V_NONE;
        for (uint64_t i = 0; i < n && v != V_OTHER; i++) {
            uint32_t cell;
            if (dicts) cell = dict_lookup(doc, k[i], c->key, c->index);
            else cell = c->index < doc->nodes[k[i]].len ? jl_kids_of(doc, k[i])[c->index] : JL_NONE;
            if (cell != JL_NONE) v = merge_vkind(v, node_vkind(doc, cell));
        }
        c->decl = decl_words[v];
    }
    return JL_OK;
}

/* ---- the plan ---------------------------------------------------------------------- */

int jl_table_plan_make(const jl_doc *doc, uint32_t id, const jl_alloc *alloc, jl_table_plan *p, jl_error *err) {
    memset(p, 0, sizeof *p);
    p->alloc = alloc;
    p->records = JL_NONE;
    builder b = { p, doc, err };
    switch (doc->nodes[id].kind) {
    case JL_DICT: return from_columns(&b, id);
    case JL_NDARRAY: return from_array(&b, id);
    case JL_LIST: case JL_TUPLE: return from_records(&b, id);
    default: {
        char what[512];
        describe(doc, id, alloc, what, sizeof what);
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                       "not table-shaped: %s (expected a dict of columns, a 1-D structured array, a 2-D array or "
                       "a list of records)", what);
    }
    }
}

void jl_table_plan_free(jl_table_plan *p) {
    for (uint32_t j = 0; p->cols && j < p->ncols; j++) {
        jl_free(p->alloc, p->cols[j].name);
        jl_free(p->alloc, p->cols[j].vtype);
        jl_free(p->alloc, p->cols[j].sp_pos);
    }
    jl_free(p->alloc, p->cols);
    p->cols = NULL;
    p->ncols = 0;
    p->cap_cols = 0;
    p->nrows = 0;
}

const char *jl_table_decl(const jl_tcol *c) { return c->vtype ? c->vtype : c->decl; }

/* pandas' missing-value singletons, kept as object nodes by the decoder */
static const char *const na_classes[][2] = {
    { "pandas._libs.missing", "NA" },
    { "pandas._libs.missing", "NAType" },
    { "pandas._libs.tslibs.nattype", "NaT" },
    { "pandas._libs.tslibs.nattype", "NaTType" },
    { "pandas._libs.tslibs.nattype", "__nat_unpickle" },
};

static int is_na_object(const jl_doc *doc, uint32_t id) {
    uint32_t cls = doc->nodes[id].kind == JL_OBJECT ? jl_object_of(doc, id)->cls
                   : doc->nodes[id].kind == JL_GLOBAL ? id : JL_NONE;
    if (cls == JL_NONE || doc->nodes[cls].kind != JL_GLOBAL) return 0;
    const jl_global *g = jl_global_of(doc, cls);
    for (size_t i = 0; i < sizeof na_classes / sizeof na_classes[0]; i++)
        if (jl_ref_eq(doc, g->module, na_classes[i][0]) && jl_ref_eq(doc, g->name, na_classes[i][1])) return 1;
    return 0;
}

/* A signed or unsigned integer element of `size` bytes at p (native order). */
static int64_t read_int(const uint8_t *p, uint64_t size, char kind) {
    switch (size) {
    case 1: return kind == 'u' ? (int64_t)p[0] : (int64_t)(int8_t)p[0];
    case 2: { int16_t v; uint16_t u; memcpy(&v, p, 2); memcpy(&u, p, 2); return kind == 'u' ? u : v; }
    case 4: { int32_t v; uint32_t u; memcpy(&v, p, 4); memcpy(&u, p, 4); return kind == 'u' ? (int64_t)u : v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
    }
}

int jl_table_cell_source(const jl_doc *doc, const jl_tcol *c, uint64_t row, uint64_t *src) {
    if ((c->flags & JL_TCOL_F_MASK) && jl_ref_ptr(doc, c->mask)[row]) return 0;
    if (c->flags & JL_TCOL_F_CODES) {
        const jl_dtype *d = &doc->dtypes[c->codes_dtype];
        int64_t code = read_int(jl_ref_ptr(doc, c->codes) + row * d->itemsize, d->itemsize, d->kind);
        if (code < 0) return 0;
        row = (uint64_t)code;
    }
    if (c->flags & JL_TCOL_F_SPARSE) { /* the place of row among sp_pos, else the fill */
        uint64_t lo = 0, hi = c->sp_n;
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (c->sp_pos[mid] < row) lo = mid + 1;
            else hi = mid;
        }
        if (lo == c->sp_n || c->sp_pos[lo] != row) {
            *src = JL_TCOL_FILL;
            return c->fill != JL_NONE;
        }
        row = lo;
    }
    *src = row;
    if (c->how == JL_TCOL_ARRAY) {
        const jl_dtype *d = &doc->dtypes[c->dtype];
        if (d->byteorder == '>' || d->nfields || d->sub_ndim) return 1;
        const uint8_t *q = jl_ref_ptr(doc, jl_table_cell_ref(doc, c, row));
        if ((d->kind == 'M' || d->kind == 'm' || (c->flags & JL_TCOL_F_PERIOD)) && d->itemsize == 8)
            return read_int(q, 8, 'i') != INT64_MIN;
        if (d->kind == 'f' && d->itemsize == 8) {
            double v;
            memcpy(&v, q, 8);
            return v == v;
        }
        if (d->kind == 'f' && d->itemsize == 4) {
            float v;
            memcpy(&v, q, 4);
            return v == v;
        }
    } else if (c->how == JL_TCOL_ITEMS && (c->flags & JL_TCOL_F_NA)) {
        uint32_t id = jl_table_cell_node(doc, NULL, c, row);
        const jl_node *n = &doc->nodes[id];
        return n->kind != JL_NULL && !(n->kind == JL_FLOAT && n->u.f != n->u.f) && !is_na_object(doc, id);
    }
    return 1;
}

jl_ref jl_table_cell_ref(const jl_doc *doc, const jl_tcol *c, uint64_t row) {
    jl_ref at = { c->data.off + row * c->stride + c->off, doc->dtypes[c->dtype].itemsize, c->data.block };
    return at;
}

uint32_t jl_table_cell_node(const jl_doc *doc, const jl_table_plan *p, const jl_tcol *c, uint64_t row) {
    if (row == JL_TCOL_FILL) return c->fill;
    switch (c->how) {
    case JL_TCOL_ITEMS: return jl_kids_of(doc, c->node)[row * c->stride + c->off];
    case JL_TCOL_RECDICT: return dict_lookup(doc, jl_kids_of(doc, p->records)[row], c->key, c->index);
    case JL_TCOL_RECSEQ: {
        uint32_t r = jl_kids_of(doc, p->records)[row];
        return c->index < doc->nodes[r].len ? jl_kids_of(doc, r)[c->index] : JL_NONE;
    }
    default: return JL_NONE;
    }
}

int jl_table_cell_text(const jl_doc *doc, const jl_table_plan *p, const jl_tcol *c, uint64_t src, jl_buf *b,
                       jl_error *err) {
    if (c->how == JL_TCOL_RANGE) {
        jl_render_i64(b, (int64_t)((uint64_t)c->start + src * (uint64_t)c->step));
    } else if (c->how == JL_TCOL_ARRAY && src != JL_TCOL_FILL) {
        const jl_dtype *d = &doc->dtypes[c->dtype];
        const uint8_t *q = jl_ref_ptr(doc, jl_table_cell_ref(doc, c, src));
        int plain = d->byteorder != '>' && !d->nfields && !d->sub_ndim;
        if (plain && (c->flags & JL_TCOL_F_PERIOD) && d->itemsize == 8) {
            jl_period_text(b, read_int(q, 8, 'i'), c->period, c->week_adj);
        } else if (plain && (c->flags & JL_TCOL_F_INTERVAL)) {
            jl_interval_bracket(b, c->closed, 0);
            jl_interval_bound_text(b, q, d->kind, d->itemsize);
            jl_buf_puts(b, ", ");
            jl_ref r = c->data2;
            r.off += src * c->stride + c->off;
            jl_interval_bound_text(b, jl_ref_ptr(doc, r), d->kind, d->itemsize);
            jl_interval_bracket(b, c->closed, 1);
        } else if (plain && (d->kind == 'i' || d->kind == 'u') && d->itemsize <= 8) {
            int64_t v = read_int(q, d->itemsize, d->kind);
            if (d->kind == 'u' && d->itemsize == 8) jl_render_u64(b, (uint64_t)v, 0);
            else jl_render_i64(b, v);
        } else if (plain && d->kind == 'b') {
            jl_buf_puts(b, q[0] ? "True" : "False");
        } else if (plain && d->kind == 'f' && (d->itemsize == 4 || d->itemsize == 8)) {
            double v;
            if (d->itemsize == 4) {
                float f;
                memcpy(&f, q, 4);
                v = f;
            } else
                memcpy(&v, q, 8);
            jl_render_float(b, v, (int)d->itemsize);
        } else if (plain && d->kind == 'M' && d->itemsize == 8) {
            jl_buf t;
            jl_buf_init(&t, b->alloc, 0);
            jl_render_datetime(&t, read_int(q, 8, 'i'), d);
            if (!t.failed && t.len >= 2 && t.p[0] == '"') jl_buf_append(b, t.p + 1, t.len - 2);
            else if (!t.failed) jl_buf_append(b, t.p, t.len);
            if (c->flags & JL_TCOL_F_UTC) jl_buf_putc(b, 'Z');
            if (t.failed) b->failed = t.failed;
            jl_buf_free(&t);
        } else if (plain && d->kind == 'm' && d->itemsize == 8) {
            jl_render_i64(b, read_int(q, 8, 'i'));
        } else {
            jl_buf_puts(b, "?");
        }
    } else {
        uint32_t id = jl_table_cell_node(doc, p, c, src);
        if (id == JL_NONE) return JL_OK;
        const jl_node *n = &doc->nodes[id];
        if (n->kind == JL_STR) {
            jl_ref r = jl_node_ref(doc, id);
            if (r.len) jl_buf_append(b, jl_ref_ptr(doc, r), r.len);
        } else if (n->kind == JL_INT) {
            jl_render_int(doc, id, b);
        } else if (n->kind == JL_BOOL) {
            jl_buf_puts(b, n->u.i ? "True" : "False");
        } else if (jl_render_json(doc, id, b, err) != JL_OK) {
            return err->code;
        }
    }
    return b->failed ? nomem(err) : JL_OK;
}
