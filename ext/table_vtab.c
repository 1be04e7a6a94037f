/*
 * table_vtab.c - a table-shaped node of a bundle as a read-only table.
 *
 *   CREATE VIRTUAL TABLE t USING joblib(src [, path]);
 *
 * src is a file path ('runs.pkl') or a BLOB literal of a bundle's bytes
 * (x'8004...'); path (default '$') selects the node inside the bundle.
 * The node must be one of:
 *
 *   a dict of equal-length 1-D ndarrays, lists or tuples   one column per entry
 *       (what joblib_export writes and DataFrame.to_dict('list') gives)
 *   a 1-D structured ndarray                               one column per field
 *   a 2-D ndarray                                          columns c0 .. cN
 *   a list (or tuple) of dicts                             records: the keys, in
 *                                                          order of first appearance
 *                                                          (a missing key is NULL)
 *   a list (or tuple) of tuples or lists                   records: c0 .. cN, as
 *                                                          wide as the longest
 *
 * Example:
 *
 *   SELECT joblib_export('SELECT * FROM runs', '/tmp/runs.pkl');
 *   CREATE VIRTUAL TABLE runs_copy USING joblib('/tmp/runs.pkl');
 *   SELECT * FROM runs EXCEPT SELECT * FROM runs_copy;   -- no rows
 *
 * Each row is a row of the node; rowid is the row index (from 0). The
 * equivalent schema is the one the bundle gives, e.g.
 *
 *   CREATE TABLE t("id" INTEGER, "score" REAL, "name" TEXT, "raw" BLOB)
 *
 * Column names are dict keys (str, or the JSON text of other keys), field
 * names, or c0..cN, made valid UTF-8 (other bytes become U+FFFD); a name
 * that repeats (SQLite compares them without case) gets ":1", ":2" as
 * SQLite names duplicate result columns. The
 * declared type comes from the column's data: integer and bool dtypes
 * INTEGER, float dtypes REAL, str (U) and datetime64 TEXT, bytes (S) BLOB;
 * for lists and object arrays the values decide (all ints INTEGER, numbers
 * with a float REAL, all str TEXT, all bytes BLOB, NULLs aside), and a
 * column of anything else has no declared type. Values are the SQL values
 * of SQL_API.md: numbers as INTEGER / REAL (NaN as NULL), str as TEXT,
 * datetime64 as ISO-8601 TEXT, bytes as BLOB, anything else as JSON text.
 *
 * How it works: the bundle is opened once, at CREATE (and at each later
 * connection to the database), and kept open with the table. An
 * uncompressed file is memory-mapped and array cells are read from their
 * bytes when asked for, so `WHERE rowid = N` or a LIMIT reads only what
 * they need; a compressed bundle is decompressed once. xBestIndex turns
 * constraints on rowid (=, <, <=, >, >=) into a range of rows and takes
 * ORDER BY rowid as the natural order.
 *
 * Limits: the table is read-only; DROP TABLE forgets it and never touches
 * the file. The file is read again each time the database is opened; if it
 * is gone or no longer table-shaped by then, the database still opens and
 * every scan of the table fails with the reason (DROP TABLE still works).
 * A node that is not table-shaped, or columns of unequal length,
 * is an error at CREATE time that says which. Not table-shaped here: a
 * pickled pandas.DataFrame object (dump df.to_dict('list') instead),
 * structured arrays with object fields, arrays of 3 or more dimensions
 * (a path to a 2-D slice works: joblib(src, '$.cube[0]')). Risk: the module reads the
 * file its arguments name, like joblib_load (neither DIRECTONLY nor
 * INNOCUOUS: with PRAGMA trusted_schema=OFF an untrusted schema cannot
 * use it from triggers and views).
 */
#include "tables.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "dtype.h"
#include "path.h"
#include "render.h"

/* ---- the table ---------------------------------------------------------------- */

/* How a column finds the cell of row i. */
enum {
    C_ARRAY = 1, /* fixed-size elements: bytes at data + i * stride + off */
    C_ITEMS,     /* kid (i * kstride + koff) of list node `node` (lists, object arrays) */
    C_RECDICT,   /* value of key `key` in dict kid i of the records list */
    C_RECSEQ,    /* kid `index` of tuple/list kid i of the records list, NULL if shorter */
};

typedef struct tcol {
    char *name;        /* unique (without case) column name; sqlite3_malloc */
    const char *decl;  /* declared type word ("" for none): static */
    uint8_t how;       /* C_* */
    uint32_t dtype;    /* C_ARRAY: element dtype (as stored: may be big-endian) */
    jl_ref data;       /* C_ARRAY: the array's data bytes (block, offset of row 0) */
    uint64_t stride;   /* C_ARRAY: bytes from row to row; C_ITEMS: kids from row to row */
    uint64_t off;      /* C_ARRAY: bytes into the row; C_ITEMS: first kid */
    uint32_t node;     /* C_ITEMS: the list node */
    uint32_t key;      /* C_RECDICT: key node */
    uint64_t index;    /* C_RECDICT: the key's usual pair position; C_RECSEQ: element index */
} tcol;

typedef struct jl_table {
    sqlite3_vtab base;
    char *broken;     /* xConnect could not open the bundle: the message every scan
                       * returns (sqlite3_malloc), else NULL */
    jl_doc *doc;      /* owned: the open bundle */
    uint32_t records; /* C_REC*: the list node of records, else JL_NONE */
    uint64_t nrows;
    int ncols;
    tcol *cols;       /* owned (sqlite3_malloc), names owned too */
} jl_table;

typedef struct jl_table_cursor {
    sqlite3_vtab_cursor base;
    uint64_t row, end; /* current row and one past the last */
} jl_table_cursor;

static void table_free(jl_table *t) {
    if (!t) return;
    for (int j = 0; t->cols && j < t->ncols; j++) sqlite3_free(t->cols[j].name);
    sqlite3_free(t->cols);
    jl_doc_free(t->doc);
    sqlite3_free(t->broken);
    sqlite3_free(t);
}

/* ---- arguments ------------------------------------------------------------------ */

/* An argument of CREATE VIRTUAL TABLE as written: 'text' (quotes doubled
 * inside), "text", x'hex' (a BLOB) or bare text. *out is sqlite3_malloc'd
 * (NUL-terminated), *n its length, *blob 1 for x''. NULL return on OOM or
 * bad hex (*bad set). */
static char *dequote(const char *s, int *n, int *blob, int *bad) {
    *blob = *bad = 0;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
    char *out = sqlite3_malloc64(len + 1);
    if (!out) return NULL;
    size_t k = 0;
    if ((s[0] == 'x' || s[0] == 'X') && len >= 3 && s[1] == '\'' && s[len - 1] == '\'') {
        size_t h = len - 3;
        if (h % 2) *bad = 1;
        for (size_t i = 0; !*bad && i < h; i += 2) {
            int v = 0;
            for (int d = 0; d < 2; d++) {
                char ch = s[2 + i + d];
                int x = jl_hex_digit(ch);
                if (x < 0) *bad = 1;
                v = v * 16 + x;
            }
            out[k++] = (char)v;
        }
        if (*bad) {
            sqlite3_free(out);
            return NULL;
        }
        *blob = 1;
    } else if (len >= 2 && (s[0] == '\'' || s[0] == '"') && s[len - 1] == s[0]) {
        char q = s[0];
        for (size_t i = 1; i + 1 < len; i++) {
            out[k++] = s[i];
            if (s[i] == q && s[i + 1] == q) i++;
        }
    } else {
        memcpy(out, s, len);
        k = len;
    }
    out[k] = 0;
    *n = (int)k;
    return out;
}

/* ---- column types ---------------------------------------------------------------- */

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

/* ---- building the table ----------------------------------------------------------- */

typedef struct builder {
    jl_table *t;
    jl_doc *doc;
    jl_error err;
    uint64_t cap_cols;
} builder;

static int nomem(jl_error *err) { return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory"); }

/* A copy of name[0..n) as strict UTF-8 (sqlite3_malloc): bytes that are
 * not UTF-8, and the encoded lone surrogates the codec keeps (WTF-8),
 * become U+FFFD, so that column names are valid text for every client. */
static char *utf8_clean(const char *name, size_t n) {
    static const char fffd[] = "\xEF\xBF\xBD";
    sqlite3_str *s = sqlite3_str_new(NULL);
    const uint8_t *p = (const uint8_t *)name;
    while (n > 0) {
        /* the run of strict UTF-8; then a surrogate (l bytes) or a bad byte */
        uint64_t k = 0;
        uint32_t cp = 0;
        unsigned l = 0;
        while (k < n && (l = jl_utf8_next(p + k, n - k, JL_UTF8_SURROGATES, &cp)) != 0 &&
               !(cp >= 0xD800 && cp <= 0xDFFF))
            k += l;
        sqlite3_str_append(s, (const char *)p, (int)k);
        if (k == n) break;
        sqlite3_str_append(s, fffd, 3);
        uint64_t skip = l ? l : 1;
        p += k + skip;
        n -= (size_t)(k + skip);
    }
    int failed = sqlite3_str_errcode(s);
    char *out = sqlite3_str_finish(s);
    return out || failed ? out : sqlite3_mprintf(""); /* an empty sqlite3_str finishes as NULL */
}

/* jl_ext_errmsg as strict UTF-8: messages quote names from the bundle,
 * and their fixed-size buffers may cut a character. */
static char *errmsg_utf8(const jl_error *err, const char *file, const char *path) {
    char *m = jl_ext_errmsg(err, file, path);
    char *clean = m ? utf8_clean(m, strlen(m)) : NULL;
    sqlite3_free(m);
    return clean;
}

/* Appends a column named name[0..n) (made unique without case). */
static tcol *add_col(builder *b, const char *name, size_t n) {
    jl_table *t = b->t;
    if (memchr(name, 0, n)) {
        jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET, "column name '%.60s...' contains a NUL character", name);
        return NULL;
    }
    if (jl_grow(jl_ext_alloc(), (void **)&t->cols, &b->cap_cols, (uint64_t)t->ncols + 1, sizeof(tcol), 0)) {
        nomem(&b->err);
        return NULL;
    }
    char *clean = utf8_clean(name, n);
    char *nm = clean ? sqlite3_mprintf("%s", clean) : NULL;
    for (int dup = 1; nm; dup++) {
        int clash = 0;
        for (int j = 0; j < t->ncols && !clash; j++) clash = sqlite3_stricmp(t->cols[j].name, nm) == 0;
        if (!clash) break;
        sqlite3_free(nm);
        nm = sqlite3_mprintf("%s:%d", clean, dup);
    }
    sqlite3_free(clean);
    if (!nm) {
        nomem(&b->err);
        return NULL;
    }
    tcol *c = &t->cols[t->ncols++];
    memset(c, 0, sizeof *c);
    c->name = nm;
    c->decl = "";
    c->key = c->node = c->dtype = JL_NONE;
    return c;
}

/* The column name of a dict key: a str's text, else the key's JSON text. */
static tcol *add_key_col(builder *b, uint32_t key) {
    const jl_node *k = &b->doc->nodes[key];
    if (k->kind == JL_STR) {
        jl_ref r = jl_node_ref(b->doc, key);
        return add_col(b, r.len ? (const char *)jl_ref_ptr(b->doc, r) : "", (size_t)r.len);
    }
    jl_buf buf;
    jl_buf_init(&buf, jl_ext_alloc(), 1 << 20);
    if (jl_render_json(b->doc, key, &buf, &b->err) != JL_OK || buf.failed) {
        jl_buf_free(&buf);
        if (b->err.code == JL_OK) nomem(&b->err);
        return NULL;
    }
    tcol *c = add_col(b, buf.p ? buf.p : "", (size_t)buf.len);
    jl_buf_free(&buf);
    return c;
}

/* Short description of a node for error messages: "a str", "a 2-D ndarray". */
static void describe(const jl_doc *doc, uint32_t id, char *out, size_t cap) {
    const jl_node *n = &doc->nodes[id];
    if (n->kind == JL_NDARRAY) {
        const jl_array *a = jl_array_of(doc, id);
        snprintf(out, cap, "a %u-D ndarray", (unsigned)a->ndim);
    } else if (n->kind == JL_OBJECT) {
        jl_buf buf;
        jl_buf_init(&buf, jl_ext_alloc(), 0);
        jl_render_class(doc, id, &buf);
        /* the class name is bytes from the bundle: at most 100 of them, as UTF-8 */
        char *name = buf.p && !buf.failed ? utf8_clean(buf.p, buf.len < 100 ? (size_t)buf.len : 100) : NULL;
        snprintf(out, cap, "an object of class %s", name ? name : "?");
        sqlite3_free(name);
        jl_buf_free(&buf);
    } else {
        const char *k = jl_kind_name(n->kind);
        snprintf(out, cap, "%s %s", strchr("aeiou", k[0]) ? "an" : "a", k);
    }
}

/* The column for an array whose rows are cells (1-D, or the columns of a
 * 2-D array): fixed-size bytes or object items. */
static int array_col(builder *b, tcol *c, const jl_array *a, uint32_t dtype, uint64_t stride, uint64_t off,
                     uint64_t kstride, uint64_t koff, uint64_t nrows) {
    const jl_doc *doc = b->doc;
    const jl_dtype *d = &doc->dtypes[a->dtype];
    if (d->has_object || a->items != JL_NONE) {
        if (d->nfields)
            return jl_fail(&b->err, JL_E_UNSUPPORTED, JL_NO_OFFSET,
                           "column '%s': a structured array with object fields is not supported", c->name);
        if (a->items == JL_NONE || doc->nodes[a->items].kind != JL_LIST)
            return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET, "column '%s': an object array without its items",
                           c->name);
        uint64_t need = nrows ? (nrows - 1) * kstride + koff + 1 : 0;
        if (doc->nodes[a->items].len < need)
            return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET,
                           "column '%s': the object array holds fewer items than its shape", c->name);
        c->how = C_ITEMS;
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
        return jl_fail(&b->err, JL_E_FORMAT, a->stream_off, "column '%s': the array data is shorter than its shape",
                       c->name);
    c->how = C_ARRAY;
    c->dtype = dtype;
    c->data = a->data;
    c->stride = stride;
    c->off = off;
    c->decl = decl_words[dtype_vkind(doc, dtype)];
    return JL_OK;
}

/* A dict of columns. */
static int from_columns(builder *b, uint32_t dict) {
    const jl_doc *doc = b->doc;
    const jl_node *dn = &doc->nodes[dict];
    uint64_t pairs = dn->len / 2;
    char what[512];
    if (pairs == 0) return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET, "an empty dict has no columns");
    const char *first = NULL;
    for (uint64_t p = 0; p < pairs; p++) {
        uint32_t key = jl_kids_of(doc, dict)[2 * p], val = jl_kids_of(doc, dict)[2 * p + 1];
        tcol *c = add_key_col(b, key);
        if (!c) return b->err.code;
        const jl_node *v = &doc->nodes[val];
        uint64_t len;
        if (v->kind == JL_NDARRAY) {
            const jl_array *a = jl_array_of(doc, val);
            if (a->ndim != 1) {
                describe(doc, val, what, sizeof what);
                return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET,
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
            c->how = C_ITEMS;
            c->node = val;
            c->stride = 1;
            c->off = 0;
            const uint32_t *k = jl_kids_of(doc, val);
            int vk = V_NONE;
            for (uint64_t i = 0; i < len && vk != V_OTHER; i++) vk = merge_vkind(vk, node_vkind(doc, k[i]));
            c->decl = decl_words[vk];
        } else {
            describe(doc, val, what, sizeof what);
            return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET,
                           "not table-shaped: column '%s' is %s, not a 1-D array or a list", c->name, what);
        }
        if (p == 0) first = c->name;
        continue;
    unequal:
        return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET,
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
            tcol *c = add_col(b, fl->name.len ? (const char *)jl_ref_ptr(doc, fl->name) : "", (size_t)fl->name.len);
            if (!c) return b->err.code;
            a = jl_array_of(doc, id); /* stable: the doc does not grow here, but stay safe */
            int rc = array_col(b, c, a, fl->dtype, doc->dtypes[a->dtype].itemsize, fl->offset, 1, 0, n);
            if (rc) return rc;
        }
        return JL_OK;
    }
    if (a->ndim == 2 && !d->nfields) {
        uint64_t rows = doc->dims[a->dims_at], ncol = doc->dims[a->dims_at + 1];
        if (ncol == 0) return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET, "a 2-D array with 0 columns has no columns");
        if (ncol > 32767)
            return jl_fail(&b->err, JL_E_LIMIT, JL_NO_OFFSET, "a 2-D array with %llu columns (SQLite allows "
                           "at most 32767)", (unsigned long long)ncol);
        b->t->nrows = rows;
        uint64_t size = d->itemsize;
        for (uint64_t j = 0; j < ncol; j++) {
            char name[32];
            snprintf(name, sizeof name, "c%llu", (unsigned long long)j);
            tcol *c = add_col(b, name, strlen(name));
            if (!c) return b->err.code;
            a = jl_array_of(doc, id);
            /* bytes: C order row-major; F order column-major. Object items are in C order. */
            uint64_t stride = a->order == 'F' ? size : ncol * size;
            uint64_t off = a->order == 'F' ? j * rows * size : j * size;
            int rc = array_col(b, c, a, a->dtype, stride, off, ncol, j, rows);
            if (rc) return rc;
        }
        return JL_OK;
    }
    describe(doc, id, what, sizeof what);
    return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET,
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
    if (n == 0) return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET, "an empty %s has no columns", jl_kind_name(ln->kind));
    uint8_t k0 = doc->nodes[k[0]].kind;
    int dicts = k0 == JL_DICT;
    if (!dicts && k0 != JL_TUPLE && k0 != JL_LIST) {
        describe(doc, k[0], what, sizeof what);
        return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET,
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
            describe(doc, r, what, sizeof what);
            return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET,
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
            int known = p < (uint64_t)b->t->ncols && key_eq(doc, b->t->cols[p].key, key);
            for (int j = 0; !known && j < b->t->ncols; j++) known = key_eq(doc, b->t->cols[j].key, key);
            if (known) continue;
            if (b->t->ncols >= 32767)
                return jl_fail(&b->err, JL_E_LIMIT, JL_NO_OFFSET, "records with more than 32767 keys");
            tcol *c = add_key_col(b, key);
            if (!c) return b->err.code;
            c->how = C_RECDICT;
            c->key = key;
            c->index = p;
        }
    }
    if (!dicts) {
        if (width == 0) return jl_fail(&b->err, JL_E_FORMAT, JL_NO_OFFSET, "records of no elements have no columns");
        if (width > 32767)
            return jl_fail(&b->err, JL_E_LIMIT, JL_NO_OFFSET, "records of %llu elements (SQLite allows at most "
                           "32767 columns)", (unsigned long long)width);
        for (uint64_t j = 0; j < width; j++) {
            char name[32];
            snprintf(name, sizeof name, "c%llu", (unsigned long long)j);
            tcol *c = add_col(b, name, strlen(name));
            if (!c) return b->err.code;
            c->how = C_RECSEQ;
            c->index = j;
        }
    }
    /* declared types from the values */
    for (int j = 0; j < b->t->ncols; j++) {
        tcol *c = &b->t->cols[j];
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

/* The CREATE TABLE statement for sqlite3_declare_vtab. */
static char *schema_of(const jl_table *t) {
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendall(s, "CREATE TABLE x(");
    for (int j = 0; j < t->ncols; j++)
        sqlite3_str_appendf(s, "%s\"%w\"%s%s", j ? ", " : "", t->cols[j].name, *t->cols[j].decl ? " " : "",
                            t->cols[j].decl);
    sqlite3_str_appendchar(s, 1, ')');
    return sqlite3_str_finish(s);
}

/* xConnect of a table whose bundle cannot be opened any more (the file
 * was removed or changed since CREATE): the table is declared with one
 * column, and every scan fails with `msg` (taken), so that the database
 * still opens and DROP TABLE still works. */
static int connect_broken(sqlite3 *db, jl_table *t, char *msg, sqlite3_vtab **out) {
    for (int j = 0; t->cols && j < t->ncols; j++) sqlite3_free(t->cols[j].name);
    sqlite3_free(t->cols);
    t->cols = NULL;
    t->ncols = 0;
    t->nrows = 0;
    jl_doc_free(t->doc);
    t->doc = NULL;
    t->broken = msg;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(joblib_error)");
    if (rc != SQLITE_OK) return rc;
    *out = &t->base;
    return SQLITE_OK;
}

/* xCreate and xConnect: opens src, resolves path, shapes the table. */
static int open_table(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **pzErr,
                      int create) {
    const jl_ext *ext = aux;
    jl_table *t = NULL;
    char *src = NULL, *path = NULL, *schema = NULL;
    int rc = SQLITE_ERROR, srcn = 0, pathn = 0, blob = 0, bad = 0, pblob = 0;
    builder b;
    memset(&b, 0, sizeof b);
    jl_error_clear(&b.err);
    *out = NULL;
    if (argc < 4 || argc > 5) {
        *pzErr = sqlite3_mprintf("joblib: CREATE VIRTUAL TABLE %s USING joblib(src [, path]) takes 1 or 2 "
                                 "arguments, not %d", argc > 2 ? argv[2] : "t", argc - 3);
        return SQLITE_ERROR;
    }
    src = dequote(argv[3], &srcn, &blob, &bad);
    if (src && argc == 5) path = dequote(argv[4], &pathn, &pblob, &bad);
    if (!src || (argc == 5 && !path)) {
        if (bad) *pzErr = sqlite3_mprintf("joblib: %s: a BLOB literal with bad hex digits", argc == 5 && src ? "path" : "src");
        rc = bad ? SQLITE_ERROR : SQLITE_NOMEM;
        goto done;
    }
    if (!blob && srcn == 0) {
        *pzErr = sqlite3_mprintf("joblib: src is an empty file name");
        goto done;
    }
    if (path && (pblob || pathn == 0 || path[0] != '$')) {
        *pzErr = sqlite3_mprintf("joblib: path must be a path starting with '$', not %s", argv[4]);
        goto done;
    }
    t = sqlite3_malloc64(sizeof *t);
    if (!t) {
        rc = SQLITE_NOMEM;
        goto done;
    }
    memset(t, 0, sizeof *t);
    t->records = JL_NONE;
    jl_limits lim;
    if (ext) lim = ext->limits;
    else jl_limits_default(&lim);
    jl_open_opts o = { jl_ext_alloc(), &lim };
    if (blob) {
        static const uint8_t empty[1];
        rc = jl_open_memory(srcn ? (const uint8_t *)src : empty, (uint64_t)srcn, 0, &o, &t->doc, &b.err);
    } else {
        rc = jl_open_file(src, &o, &t->doc, &b.err);
    }
    if (rc != JL_OK) {
        t->doc = NULL;
        goto codec_error;
    }
    b.t = t;
    b.doc = t->doc;
    uint32_t node = t->doc->root;
    if (node == JL_NONE) {
        jl_fail(&b.err, JL_E_FORMAT, JL_NO_OFFSET, "the bundle holds no value");
        goto codec_error;
    }
    if (path) {
        if (jl_path_resolve(t->doc, t->doc->root, path, (size_t)pathn, &node, &b.err) != JL_OK) goto codec_error;
        if (node == JL_NONE) {
            jl_fail(&b.err, JL_E_PATH, JL_NO_OFFSET, "the path selects nothing");
            goto codec_error;
        }
    }
    switch (t->doc->nodes[node].kind) {
    case JL_DICT: rc = from_columns(&b, node); break;
    case JL_NDARRAY: rc = from_array(&b, node); break;
    case JL_LIST: case JL_TUPLE: rc = from_records(&b, node); break;
    default: {
        char what[512];
        describe(t->doc, node, what, sizeof what);
        rc = jl_fail(&b.err, JL_E_FORMAT, JL_NO_OFFSET,
                     "not table-shaped: %s (expected a dict of columns, a 1-D structured array, a 2-D array or "
                     "a list of records)", what);
    }
    }
    if (rc != JL_OK) goto codec_error;
    schema = schema_of(t);
    if (!schema) {
        rc = SQLITE_NOMEM;
        goto done;
    }
    rc = sqlite3_declare_vtab(db, schema);
    if (rc != SQLITE_OK) {
        *pzErr = sqlite3_mprintf("joblib: cannot declare the table: %s", sqlite3_errmsg(db));
        goto done;
    }
    *out = &t->base;
    t = NULL;
    rc = SQLITE_OK;
    goto done;

codec_error:
    if (b.err.code == JL_E_NOMEM) {
        rc = SQLITE_NOMEM;
    } else {
        char *msg = errmsg_utf8(&b.err, blob ? NULL : src, path);
        if (!msg) {
            rc = SQLITE_NOMEM;
        } else if (create) {
            *pzErr = msg;
            rc = SQLITE_ERROR;
        } else {
            rc = connect_broken(db, t, msg, out);
            if (rc == SQLITE_OK) t = NULL;
        }
    }
done:
    table_free(t);
    sqlite3_free(src);
    sqlite3_free(path);
    sqlite3_free(schema);
    return rc;
}

static int t_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **pzErr) {
    return open_table(db, aux, argc, argv, out, pzErr, 1);
}

static int t_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **pzErr) {
    return open_table(db, aux, argc, argv, out, pzErr, 0);
}

static int t_disconnect(sqlite3_vtab *vt) {
    table_free((jl_table *)vt);
    return SQLITE_OK;
}

/* ---- planning ------------------------------------------------------------------- */

/* idxNum bits: which rowid constraints xFilter receives, in this order. */
#define IDX_EQ 1
#define IDX_LOWER 2 /* rowid > or >= */
#define IDX_UPPER 4 /* rowid < or <= */
#define IDX_LOWER_GE 8
#define IDX_UPPER_LE 16

static int t_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    jl_table *t = (jl_table *)vt;
    int eq = -1, lo = -1, hi = -1, flags = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (!c->usable || c->iColumn != -1) continue;
        switch (c->op) {
        case SQLITE_INDEX_CONSTRAINT_EQ: if (eq < 0) eq = i; break;
        case SQLITE_INDEX_CONSTRAINT_GT: case SQLITE_INDEX_CONSTRAINT_GE:
            if (lo < 0) lo = i;
            break;
        case SQLITE_INDEX_CONSTRAINT_LT: case SQLITE_INDEX_CONSTRAINT_LE:
            if (hi < 0) hi = i;
            break;
        default: break;
        }
    }
    /* SQLite checks every constraint again (omit = 0): the range only narrows */
    int argi = 1;
    double rows = (double)t->nrows;
    if (eq >= 0) {
        flags |= IDX_EQ;
        info->aConstraintUsage[eq].argvIndex = argi++;
        rows = 1;
        info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    } else {
        if (lo >= 0) {
            flags |= IDX_LOWER | (info->aConstraint[lo].op == SQLITE_INDEX_CONSTRAINT_GE ? IDX_LOWER_GE : 0);
            info->aConstraintUsage[lo].argvIndex = argi++;
            rows /= 2;
        }
        if (hi >= 0) {
            flags |= IDX_UPPER | (info->aConstraint[hi].op == SQLITE_INDEX_CONSTRAINT_LE ? IDX_UPPER_LE : 0);
            info->aConstraintUsage[hi].argvIndex = argi++;
            rows /= 2;
        }
    }
    info->idxNum = flags;
    info->estimatedRows = (sqlite3_int64)(rows < 1 ? 1 : rows);
    info->estimatedCost = rows < 1 ? 1 : rows;
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == -1 && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    return SQLITE_OK;
}

/* ---- cursors --------------------------------------------------------------------- */

static int t_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    (void)vt;
    jl_table_cursor *c = sqlite3_malloc64(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int t_close(sqlite3_vtab_cursor *cur) {
    sqlite3_free(cur);
    return SQLITE_OK;
}

/* A bound of the row range from the value of a rowid constraint: the
 * first row that can satisfy `rowid >= v` (inclusive) or `rowid > v`, or
 * (upper) one past the last row that can satisfy `rowid <= v` / `rowid < v`,
 * clamped to [0, nrows]. Returns 1 with *out set, -1 when no row can match
 * (NULL, NaN), 0 for values that are not numbers (the range stays; SQLite
 * checks every constraint again on the rows it gets). */
static int bound_of(sqlite3_value *v, int upper, int inclusive, uint64_t nrows, uint64_t *out) {
    int type = sqlite3_value_numeric_type(v);
    if (type == SQLITE_INTEGER) {
        sqlite3_int64 i = sqlite3_value_int64(v);
        if (upper == inclusive) { /* <= v: one past v; > v: the row after v */
            if (i == INT64_MAX) {
                if (!upper) return -1;
                *out = nrows;
                return 1;
            }
            i++;
        }
        *out = i <= 0 ? 0 : (uint64_t)i > nrows ? nrows : (uint64_t)i;
        return 1;
    }
    if (type == SQLITE_FLOAT) {
        double d = sqlite3_value_double(v);
        if (isnan(d)) return -1;
        double x = upper == inclusive ? floor(d) + 1 : ceil(d);
        *out = !(x > 0) ? 0 : x >= (double)nrows ? nrows : (uint64_t)x;
        return 1;
    }
    return type == SQLITE_NULL ? -1 : 0;
}

static int t_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
    (void)idxStr;
    jl_table_cursor *c = (jl_table_cursor *)cur;
    jl_table *t = (jl_table *)cur->pVtab;
    uint64_t lo = 0, hi = t->nrows, x;
    int argi = 0;
    if (t->broken) {
        sqlite3_free(t->base.zErrMsg);
        t->base.zErrMsg = sqlite3_mprintf("%s", t->broken);
        return t->base.zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if ((idxNum & IDX_EQ) && argi < argc) {
        sqlite3_value *v = argv[argi++];
        int type = sqlite3_value_numeric_type(v);
        double d = type == SQLITE_FLOAT ? sqlite3_value_double(v) : 0;
        if (type == SQLITE_INTEGER) {
            sqlite3_int64 i = sqlite3_value_int64(v);
            if (i < 0 || (uint64_t)i >= t->nrows) lo = hi = 0;
            else lo = (uint64_t)i, hi = (uint64_t)i + 1;
        } else if (type == SQLITE_FLOAT) {
            if (!(d >= 0) || d != floor(d) || d >= (double)t->nrows) lo = hi = 0;
            else lo = (uint64_t)d, hi = lo + 1;
        } else if (type == SQLITE_NULL) {
            lo = hi = 0;
        } /* other values: every row, SQLite compares */
    }
    if ((idxNum & IDX_LOWER) && argi < argc) {
        int r = bound_of(argv[argi++], 0, (idxNum & IDX_LOWER_GE) != 0, t->nrows, &x);
        if (r < 0) hi = 0;
        else if (r > 0 && x > lo) lo = x;
    }
    if ((idxNum & IDX_UPPER) && argi < argc) {
        int r = bound_of(argv[argi++], 1, (idxNum & IDX_UPPER_LE) != 0, t->nrows, &x);
        if (r < 0) hi = 0;
        else if (r > 0 && x < hi) hi = x;
    }
    c->row = lo;
    c->end = hi < lo ? lo : hi;
    return SQLITE_OK;
}

static int t_next(sqlite3_vtab_cursor *cur) {
    ((jl_table_cursor *)cur)->row++;
    return SQLITE_OK;
}

static int t_eof(sqlite3_vtab_cursor *cur) {
    jl_table_cursor *c = (jl_table_cursor *)cur;
    return c->row >= c->end;
}

static int t_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((jl_table_cursor *)cur)->row;
    return SQLITE_OK;
}

/* ---- cells ----------------------------------------------------------------------- */

/* Reads a native-order integer/float element of `size` bytes at p; swaps
 * when big-endian. Returns 1 with the result set, 0 when the dtype is not
 * one of the plain number kinds handled here. */
static int fast_number(sqlite3_context *ctx, const jl_dtype *d, const uint8_t *p) {
    if (d->nfields || d->sub_ndim) return 0;
    uint64_t size = d->itemsize;
    if (size != 1 && size != 2 && size != 4 && size != 8) return 0;
    if (d->kind == 'f' && size < 4) return 0;
    if (d->kind != 'b' && d->kind != 'i' && d->kind != 'u' && d->kind != 'f') return 0;
    uint8_t b[8];
    memcpy(b, p, (size_t)size);
    if (d->byteorder == '>')
        for (size_t i = 0; i < size / 2; i++) {
            uint8_t tmp = b[i];
            b[i] = b[size - 1 - i];
            b[size - 1 - i] = tmp;
        }
    switch (d->kind) {
    case 'b':
        sqlite3_result_int(ctx, b[0] != 0);
        return 1;
    case 'f':
        if (size == 4) {
            float f;
            memcpy(&f, b, 4);
            sqlite3_result_double(ctx, f);
        } else {
            double f;
            memcpy(&f, b, 8);
            sqlite3_result_double(ctx, f);
        }
        return 1;
    case 'i': {
        int64_t v;
        if (size == 1) { int8_t x; memcpy(&x, b, 1); v = x; }
        else if (size == 2) { int16_t x; memcpy(&x, b, 2); v = x; }
        else if (size == 4) { int32_t x; memcpy(&x, b, 4); v = x; }
        else memcpy(&v, b, 8);
        sqlite3_result_int64(ctx, v);
        return 1;
    }
    default: { /* 'u' */
        uint64_t v;
        if (size == 1) v = b[0];
        else if (size == 2) { uint16_t x; memcpy(&x, b, 2); v = x; }
        else if (size == 4) { uint32_t x; memcpy(&x, b, 4); v = x; }
        else memcpy(&v, b, 8);
        if (v > (uint64_t)INT64_MAX) return 0; /* TEXT digits: the general path */
        sqlite3_result_int64(ctx, (sqlite3_int64)v);
        return 1;
    }
    }
}

/* An array cell of any other dtype: a scalar node over its bytes, turned
 * into the SQL value by sqlvalue.c, then taken off the doc again. */
static int slow_cell(sqlite3_context *ctx, jl_doc *doc, uint32_t dtype, jl_ref at, jl_error *err) {
    jl_doc_mark mark;
    jl_doc_mark_get(doc, &mark);
    uint32_t ai = jl_array_new(doc, err), id = ai == JL_NONE ? JL_NONE : jl_node_new(doc, JL_SCALAR, err);
    int rc = JL_OK;
    if (id == JL_NONE) {
        rc = err->code ? (int)err->code : JL_E_NOMEM;
    } else {
        doc->nodes[id].u.ext = ai;
        jl_array *a = &doc->arrays[ai];
        a->dtype = dtype;
        a->ndim = 0;
        a->order = 'C';
        a->origin = JL_ORIGIN_VIEW;
        a->is_scalar = 1;
        a->data = at;
        a->stream_off = JL_NO_OFFSET;
        rc = jl_ext_result_node(ctx, doc, id, err);
    }
    jl_doc_rollback(doc, &mark);
    return rc;
}

static int t_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
    jl_table_cursor *c = (jl_table_cursor *)cur;
    jl_table *t = (jl_table *)cur->pVtab;
    jl_doc *doc = t->doc;
    if (i < 0 || i >= t->ncols || c->row >= t->nrows) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    const tcol *col = &t->cols[i];
    uint64_t row = c->row;
    uint32_t cell = JL_NONE;
    jl_error err;
    jl_error_clear(&err);
    switch (col->how) {
    case C_ARRAY: {
        const jl_dtype *d = &doc->dtypes[col->dtype];
        jl_ref at = { col->data.off + row * col->stride + col->off, d->itemsize, col->data.block };
        if (fast_number(ctx, d, jl_ref_ptr(doc, at))) return SQLITE_OK;
        if (slow_cell(ctx, doc, col->dtype, at, &err) == JL_OK) return SQLITE_OK;
        goto error;
    }
    case C_ITEMS:
        cell = jl_kids_of(doc, col->node)[row * col->stride + col->off];
        break;
    case C_RECDICT:
        cell = dict_lookup(doc, jl_kids_of(doc, t->records)[row], col->key, col->index);
        break;
    case C_RECSEQ: {
        uint32_t r = jl_kids_of(doc, t->records)[row];
        if (col->index < doc->nodes[r].len) cell = jl_kids_of(doc, r)[col->index];
        break;
    }
    default: break;
    }
    if (cell == JL_NONE) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    {
        jl_doc_mark mark;
        jl_doc_mark_get(doc, &mark);
        int rc = jl_ext_result_node(ctx, doc, cell, &err);
        jl_doc_rollback(doc, &mark);
        if (rc == JL_OK) return SQLITE_OK;
    }
error:
    if (err.code == JL_E_NOMEM) return SQLITE_NOMEM;
    {
        char *m = errmsg_utf8(&err, NULL, NULL);
        sqlite3_free(t->base.zErrMsg);
        t->base.zErrMsg = m ? sqlite3_mprintf("%s (row %llu, column '%s')", m, (unsigned long long)row, col->name)
                            : NULL;
        sqlite3_free(m);
    }
    return SQLITE_ERROR;
}

/* ---- registration ------------------------------------------------------------------- */

const sqlite3_module jl_table_module = {
    .iVersion = 0,
    .xCreate = t_create,
    .xConnect = t_connect,
    .xBestIndex = t_best_index,
    .xDisconnect = t_disconnect,
    .xDestroy = t_disconnect, /* DROP TABLE: forget the bundle, never touch the file */
    .xOpen = t_open,
    .xClose = t_close,
    .xFilter = t_filter,
    .xNext = t_next,
    .xEof = t_eof,
    .xColumn = t_column,
    .xRowid = t_rowid,
};

const jl_sql_func jl_table_funcs[] = {
    /* runs SQL text and writes files: never from a schema */
    { "joblib_export", 2, JL_FN_WRITER | SQLITE_RESULT_SUBTYPE, jl_fn_export, NULL, NULL },
    { "joblib_export", 3, JL_FN_WRITER | SQLITE_RESULT_SUBTYPE, jl_fn_export, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL },
};

const jl_sql_module jl_table_modules[] = {
    { "joblib", &jl_table_module },
    { NULL, NULL },
};
