/*
 * export.c - joblib_export: a query's result as a bundle that pandas reads
 * as the table.
 *
 *   joblib_export(select_sql, dest [, compress [, as]])
 *
 * runs select_sql (one read-only statement, or a bare table name `t` /
 * `schema.t` for SELECT * FROM t) on the same connection and
 * writes its result to the file dest as a dict of column name -> 1-D
 * ndarray, in the order of the result columns, so that in Python
 *
 *   pandas.DataFrame(joblib.load(dest))
 *
 * is the table. Returns the JSON array of the files written (["dest"]), as
 * joblib_dump does. compress is joblib_dump's argument (0-9, 'zlib',
 * 'gzip:5', ...; with no compress, dest's extension .z .gz .bz2 .lzma .xz
 * .lz4 picks the method), except 'npy' (the legacy sidecar layout is
 * joblib_dump's only). Example:
 *
 *   SELECT joblib_export('SELECT id, name, score FROM runs', 'runs.pkl');
 *   -- ["runs.pkl"]
 *   >>> pandas.DataFrame(joblib.load('runs.pkl'))
 *
 * as (NULL or absent: 'dict') chooses the file's value: 'dict' the dict
 * above; 'dataframe' a pickled pandas.DataFrame equal to pandas.read_sql of
 * the query (the same columns as 2-D blocks of shape (1, rows), built by
 * frame_write.h; a column of only NULLs is an object column whatever its
 * declared type, as read_sql gives); 'records' a list of one dict
 * {name: value} per row (the value nodes of the columns).
 *
 * Column dtypes, decided from the values once every row is read:
 *
 *   INTEGER only                        <i8
 *   INTEGER and REAL, or NULLs          <f8, NULL as NaN (integers too, as
 *   among numbers                       pandas does)
 *   TEXT (and NULL)                     object array of str (None for NULL)
 *   BLOB (and NULL)                     object array of bytes
 *   anything else mixed                 object array of int/float/str/bytes/None
 *   BLOB rows of one dtype and shape    one (n, ...) ndarray (export_vec.h):
 *   (ndarray bundles, or raw rows of    as 'dataframe' an object column of
 *   a declared "float32[384]")          the rows' arrays, as 'records' arrays
 *   no value but NULLs, or no rows      from the column's declared type:
 *                                       INTEGER affinity <i8 (<f8 NaN when
 *                                       there are NULLs), REAL/NUMERIC <f8,
 *                                       otherwise an object array (of None)
 *
 * How it works: the statement is stepped once. Each column is built in
 * one growable buffer: 8-byte slots holding int64 or double values (plus a
 * byte of type per row once a REAL or NULL appears: integers are only
 * converted to double at the end, so that 3 stays 3 if the column turns
 * out to be an object column), or, after a TEXT or BLOB, node ids of the
 * values. At the end the slots become the data of the ndarray nodes as
 * they are (blocks of the doc, no copy); the doc is written with the
 * bundle writer and jl_atomic_write (the file appears complete or not at
 * all). Memory: the result once in the column buffers, plus the
 * uncompressed stream while the writer builds it (it holds the numbers a
 * second time: a writer that streamed into the file would save that);
 * the columns are freed before the stream is compressed and written.
 *
 * Errors: SQLite's own message when select_sql cannot be prepared or
 * fails while running, quoted in a "joblib: joblib_export(): ..." error;
 * a statement that changes the database, more than one statement, a
 * column name used twice (a dict keeps one), TEXT that is not UTF-8.
 *
 * Risk: runs SQL text and writes files, so SQLITE_DIRECTONLY (never from
 * a trigger, view or schema).
 */
#include "tables.h"

#include <math.h>
#include <string.h>

#include "atomic.h"
#include "array_build.h"
#include "container.h"
#include "dtype.h"
#include "export_vec.h"
#include "frame_write.h"
#include "write.h"
#include "writer.h"

#define FNAME "joblib_export()"

/* Per-row type bytes of a numeric column (allocated once a non-INTEGER appears). */
enum { T_INT = 0, T_REAL, T_NULL };

typedef union slot {
    int64_t i;
    double f;
} slot;

/* One result column being built. Buffers use the doc's allocator; `num`
 * is handed to the doc as a block at the end (then NULL here). */
typedef struct col {
    char *name;       /* the result column's name; owned (sqlite3_malloc) */
    char affinity;    /* from the declared type: 'i' INTEGER, 'r' REAL/NUMERIC, 0 other */
    int object;       /* 1 once a TEXT or BLOB was seen: ids, else num */
    int saw_num;      /* an INTEGER or REAL was seen */
    slot *num;        /* numeric mode: one slot per row; owned until handed over */
    uint64_t cap_num;
    uint8_t *tags;    /* numeric mode: T_* per row, NULL while every value is an INTEGER; owned */
    uint64_t cap_tags;
    uint32_t *ids;    /* object mode: node per row; owned */
    uint64_t cap_ids;
    jl_vecstack vec;  /* BLOB rows of one dtype and shape, stacked (export_vec.h) */
} col;

/* What the file holds (the `as` argument). */
typedef enum shape { AS_DICT = 0, AS_DATAFRAME, AS_RECORDS } shape;

static const struct { const char *name; shape as; } SHAPES[] = {
    { "dict", AS_DICT }, { "dataframe", AS_DATAFRAME }, { "records", AS_RECORDS },
};

typedef struct exporter {
    sqlite3_context *ctx;
    shape as;
    jl_doc *doc;       /* the dict being built; owned */
    sqlite3_stmt *st;  /* owned */
    col *cols;         /* owned (sqlite3_malloc) */
    int ncols;
    uint64_t nrows;
    uint32_t none;     /* the shared None node, or JL_NONE before the first */
    jl_error err;
} exporter;

/* ---- helpers ---------------------------------------------------------------- */

static int nomem(jl_error *err) { return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory"); }

/* jl_grow with the doc's allocator and limit, reported. */
static int grow(exporter *x, void **p, uint64_t *cap, uint64_t need, size_t elem, const col *c) {
    int rc = jl_grow(&x->doc->alloc, p, cap, need, elem, x->doc->limits.max_alloc);
    if (rc == JL_E_LIMIT)
        return jl_fail(&x->err, JL_E_LIMIT, JL_NO_OFFSET,
                       FNAME ": column '%.60s' needs more than max_alloc (%llu bytes) at row %llu",
                       c->name, (unsigned long long)x->doc->limits.max_alloc,
                       (unsigned long long)x->nrows);
    return rc ? nomem(&x->err) : JL_OK;
}

/* The affinity of a declared type, by SQLite's rules (3.1 of datatype3). */
static char affinity_of(const char *decl) {
    if (!decl) return 0;
    char up[64];
    size_t n = 0;
    for (; decl[n] && n < sizeof up - 1; n++) {
        char ch = decl[n];
        up[n] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
    }
    up[n] = 0;
    if (strstr(up, "INT")) return 'i';
    if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT") || strstr(up, "BLOB") || !*up)
        return 0;
    return 'r'; /* REAL, FLOA, DOUB, and NUMERIC */
}

static uint32_t none_node(exporter *x) {
    if (x->none == JL_NONE) x->none = jl_node_new(x->doc, JL_NULL, &x->err);
    return x->none;
}

/* ---- building columns ------------------------------------------------------- */

/* The node of the value in row `row` of numeric column c. */
static uint32_t num_node(exporter *x, const col *c, uint64_t row) {
    uint8_t t = c->tags ? c->tags[row] : T_INT;
    if (t == T_NULL) return none_node(x);
    if (t == T_REAL) return jl_new_float(x->doc, c->num[row].f, &x->err);
    return jl_new_int(x->doc, c->num[row].i, &x->err);
}

/* A TEXT or BLOB arrived: the rows so far become nodes. */
static int to_object(exporter *x, col *c) {
    int rc = grow(x, (void **)&c->ids, &c->cap_ids, x->nrows + 1, sizeof(uint32_t), c);
    if (rc) return rc;
    for (uint64_t r = 0; r < x->nrows; r++) {
        c->ids[r] = num_node(x, c, r);
        if (c->ids[r] == JL_NONE) return x->err.code ? (int)x->err.code : nomem(&x->err);
    }
    jl_free(&x->doc->alloc, c->num);
    jl_free(&x->doc->alloc, c->tags);
    c->num = NULL;
    c->tags = NULL;
    c->cap_num = c->cap_tags = 0;
    c->object = 1;
    return JL_OK;
}

/* Starts the per-row types of c: every row so far was an INTEGER. */
static int start_tags(exporter *x, col *c) {
    int rc = grow(x, (void **)&c->tags, &c->cap_tags, x->nrows + 1, 1, c);
    if (rc) return rc;
    memset(c->tags, T_INT, (size_t)x->nrows);
    return JL_OK;
}

/* A declared vector column stopped stacking at row x->nrows: the rows
 * before, kept only in the stack, become bytes nodes. */
static int raw_rows(exporter *x, col *c) {
    for (uint64_t r = 0; r < x->nrows; r++) {
        if (c->ids[r] != JL_NONE) continue;
        const uint8_t *p = jl_vecstack_raw_row(&c->vec, r);
        if (!p) return jl_fail(&x->err, JL_E_FORMAT, JL_NO_OFFSET, FNAME ": column '%.60s': row %llu is lost",
                               c->name, (unsigned long long)r);
        c->ids[r] = jl_new_bytes(x->doc, JL_BYTES, p, c->vec.rowbytes, &x->err);
        if (c->ids[r] == JL_NONE) return x->err.code ? (int)x->err.code : nomem(&x->err);
    }
    jl_vecstack_free(&c->vec, x->doc);
    return JL_OK;
}

/* Row x->nrows of column j. */
static int add_value(exporter *x, int j) {
    col *c = &x->cols[j];
    uint64_t row = x->nrows;
    int type = sqlite3_column_type(x->st, j);
    int rc;
    if (c->vec.state != JL_VEC_OFF) {
        const uint8_t *p = type == SQLITE_BLOB ? sqlite3_column_blob(x->st, j) : NULL;
        uint64_t n = type == SQLITE_BLOB ? (uint64_t)sqlite3_column_bytes(x->st, j) : 0;
        if (type == SQLITE_BLOB && !p && n > 0) return nomem(&x->err);
        int raw = c->vec.declared && c->vec.state == JL_VEC_ON;
        if ((rc = jl_vecstack_add(&c->vec, x->doc, type, p, n, &x->err))) return rc;
        if (raw && c->vec.state == JL_VEC_OFF && (rc = raw_rows(x, c))) return rc;
    }
    if (!c->object && (type == SQLITE_TEXT || type == SQLITE_BLOB) && (rc = to_object(x, c))) return rc;
    if (c->object) {
        uint32_t id;
        if ((rc = grow(x, (void **)&c->ids, &c->cap_ids, row + 1, sizeof(uint32_t), c))) return rc;
        if (type == SQLITE_BLOB && c->vec.declared && c->vec.state == JL_VEC_ON) {
            c->ids[row] = JL_NONE; /* kept in the stack only (raw_rows makes it if needed) */
            return JL_OK;
        }
        switch (type) {
        case SQLITE_INTEGER:
            id = jl_new_int(x->doc, sqlite3_column_int64(x->st, j), &x->err);
            break;
        case SQLITE_FLOAT:
            id = jl_new_float(x->doc, sqlite3_column_double(x->st, j), &x->err);
            break;
        case SQLITE_TEXT: {
            const uint8_t *p = sqlite3_column_text(x->st, j);
            int n = sqlite3_column_bytes(x->st, j);
            uint64_t bad;
            if (!p) return nomem(&x->err);
            if (!jl_utf8_valid(p, (uint64_t)n, &bad))
                return jl_fail(&x->err, JL_E_ARG, JL_NO_OFFSET,
                               FNAME ": row %llu, column '%.60s' holds TEXT that is not valid UTF-8 "
                               "(byte %llu)", (unsigned long long)row, c->name, (unsigned long long)bad);
            id = jl_new_bytes(x->doc, JL_STR, p, (uint64_t)n, &x->err);
            break;
        }
        case SQLITE_BLOB: {
            const void *p = sqlite3_column_blob(x->st, j);
            int n = sqlite3_column_bytes(x->st, j);
            if (!p && n > 0) return nomem(&x->err);
            id = jl_new_bytes(x->doc, JL_BYTES, p, (uint64_t)n, &x->err);
            break;
        }
        default:
            id = none_node(x);
            break;
        }
        if (id == JL_NONE) return x->err.code ? (int)x->err.code : nomem(&x->err);
        c->ids[row] = id;
        return JL_OK;
    }
    if ((rc = grow(x, (void **)&c->num, &c->cap_num, row + 1, sizeof(slot), c))) return rc;
    uint8_t tag = T_INT;
    switch (type) {
    case SQLITE_INTEGER:
        c->num[row].i = sqlite3_column_int64(x->st, j);
        c->saw_num = 1;
        break;
    case SQLITE_FLOAT:
        c->num[row].f = sqlite3_column_double(x->st, j);
        c->saw_num = 1;
        tag = T_REAL;
        break;
    default: /* NULL */
        c->num[row].i = 0;
        tag = T_NULL;
        break;
    }
    if (tag != T_INT && !c->tags && (rc = start_tags(x, c))) return rc;
    if (c->tags) {
        if ((rc = grow(x, (void **)&c->tags, &c->cap_tags, row + 1, 1, c))) return rc;
        c->tags[row] = tag;
    }
    return JL_OK;
}

/* ---- the doc ---------------------------------------------------------------- */

/* A 1-D ndarray node of n elements of dtype `descr`: data bytes, or the
 * list node of its items for "|O". */
static uint32_t new_array(exporter *x, const char *descr, uint64_t n, jl_ref data, uint32_t items) {
    uint32_t dt;
    if (jl_dtype_parse(x->doc, descr, strlen(descr), &dt, &x->err)) return JL_NONE;
    /* a DataFrame block holds its column as shape (1, n) */
    uint64_t dims[2] = { 1, n };
    int frame = x->as == AS_DATAFRAME;
    jl_array_spec spec = { dt, frame ? dims : dims + 1, frame ? 2 : 1, 'C', data, items };
    return jl_array_build(x->doc, &spec, &x->err);
}

/* The ndarray of a finished column. */
static uint32_t finish_column(exporter *x, col *c) {
    jl_doc *doc = x->doc;
    uint64_t n = x->nrows;
    if (jl_vecstack_ready(&c->vec, n)) {
        /* rows of one dtype and shape: one (n, ...) array; a DataFrame
         * column cannot hold that, so there an object column of the rows */
        if (x->as != AS_DATAFRAME) return jl_vecstack_array(&c->vec, doc, n, &x->err);
        if (n && jl_vecstack_rows(&c->vec, doc, n, c->ids, &x->err)) return JL_NONE;
    }
    int all_null = !c->object && !c->saw_num;
    /* pandas.read_sql gives object columns of None when no value typed them */
    if (all_null && (!c->affinity || x->as == AS_DATAFRAME)) {
        /* nothing typed it: an object array of None */
        uint64_t cap = 0;
        if (grow(x, (void **)&c->ids, &cap, n + 1, sizeof(uint32_t), c)) return JL_NONE;
        c->cap_ids = cap;
        uint32_t nn = n ? none_node(x) : JL_NONE;
        if (n && nn == JL_NONE) return JL_NONE;
        for (uint64_t r = 0; r < n; r++) c->ids[r] = nn;
        c->object = 1;
    }
    if (c->object) {
        uint32_t list = jl_node_new(doc, JL_LIST, &x->err);
        if (list == JL_NONE) return JL_NONE;
        if (jl_kids_append(doc, list, c->ids, n, &x->err)) return JL_NONE;
        jl_free(&doc->alloc, c->ids);
        c->ids = NULL;
        return new_array(x, "|O", n, (jl_ref){ 0, 0, 0 }, list);
    }
    int is_int = !c->tags && (c->saw_num || c->affinity == 'i');
    if (!is_int) {
        /* <f8: integers converted in place, NULL as NaN */
        for (uint64_t r = 0; r < n; r++) {
            uint8_t t = c->tags ? c->tags[r] : T_INT;
            if (t == T_INT) c->num[r].f = (double)c->num[r].i;
            else if (t == T_NULL) c->num[r].f = NAN;
        }
    }
    if (!c->num && grow(x, (void **)&c->num, &c->cap_num, 1, sizeof(slot), c)) return JL_NONE;
    uint32_t block = jl_block_add(doc, (const uint8_t *)c->num, n * sizeof(slot), JL_BLOCK_HEAP, &x->err);
    if (block == JL_NONE) return JL_NONE;
    c->num = NULL; /* the doc owns it now */
    c->cap_num = 0;
    return new_array(x, is_int ? "<i8" : "<f8", n, (jl_ref){ 0, n * sizeof(slot), block }, JL_NONE);
}

/* The dict {name: ndarray} of every column. */
static int build_dict(exporter *x, uint32_t *root) {
    jl_doc *doc = x->doc;
    uint32_t dict = jl_node_new(doc, JL_DICT, &x->err);
    if (dict == JL_NONE) return x->err.code;
    for (int j = 0; j < x->ncols; j++) {
        col *c = &x->cols[j];
        uint32_t pair[2];
        pair[0] = jl_new_bytes(doc, JL_STR, c->name, strlen(c->name), &x->err);
        if (pair[0] == JL_NONE) return x->err.code;
        pair[1] = finish_column(x, c);
        if (pair[1] == JL_NONE) return x->err.code ? (int)x->err.code : nomem(&x->err);
        if (jl_kids_append(doc, dict, pair, 2, &x->err)) return x->err.code;
    }
    *root = dict;
    doc->root = dict;
    return JL_OK;
}

/* The DataFrame of every column (frame_write.h). */
static int build_frame(exporter *x, uint32_t *root) {
    jl_doc *doc = x->doc;
    uint32_t *ids = sqlite3_malloc64(sizeof(uint32_t) * 2 * (uint64_t)x->ncols);
    if (!ids) return nomem(&x->err);
    uint32_t *names = ids, *values = ids + x->ncols;
    int rc = JL_OK;
    for (int j = 0; j < x->ncols && rc == JL_OK; j++) {
        col *c = &x->cols[j];
        names[j] = jl_new_bytes(doc, JL_STR, c->name, strlen(c->name), &x->err);
        values[j] = names[j] == JL_NONE ? JL_NONE : finish_column(x, c);
        if (values[j] == JL_NONE) rc = x->err.code ? (int)x->err.code : nomem(&x->err);
    }
    if (rc == JL_OK) {
        *root = jl_frame_write_build(doc, names, values, (uint32_t)x->ncols, x->nrows, &x->err);
        if (*root == JL_NONE) rc = x->err.code ? (int)x->err.code : nomem(&x->err);
        else doc->root = *root;
    }
    sqlite3_free(ids);
    return rc;
}

/* The list of one dict {name: value} per row. */
static int build_records(exporter *x, uint32_t *root) {
    jl_doc *doc = x->doc;
    uint32_t *names = sqlite3_malloc64(sizeof(uint32_t) * (uint64_t)x->ncols);
    if (!names) return nomem(&x->err);
    int rc = JL_OK;
    uint32_t list = jl_node_new(doc, JL_LIST, &x->err);
    if (list == JL_NONE) rc = x->err.code;
    for (int j = 0; j < x->ncols && rc == JL_OK; j++) {
        names[j] = jl_new_bytes(doc, JL_STR, x->cols[j].name, strlen(x->cols[j].name), &x->err);
        if (names[j] == JL_NONE) rc = x->err.code;
        /* vector rows: each record holds its row as an ndarray */
        col *c = &x->cols[j];
        if (rc == JL_OK && x->nrows && jl_vecstack_ready(&c->vec, x->nrows))
            rc = jl_vecstack_rows(&c->vec, doc, x->nrows, c->ids, &x->err);
    }
    for (uint64_t r = 0; r < x->nrows && rc == JL_OK; r++) {
        uint32_t d = jl_node_new(doc, JL_DICT, &x->err);
        if (d == JL_NONE || jl_kids_append(doc, list, &d, 1, &x->err)) rc = x->err.code;
        for (int j = 0; j < x->ncols && rc == JL_OK; j++) {
            col *c = &x->cols[j];
            uint32_t pair[2] = { names[j], c->object ? c->ids[r] : num_node(x, c, r) };
            if (pair[1] == JL_NONE || jl_kids_append(doc, d, pair, 2, &x->err))
                rc = x->err.code ? (int)x->err.code : nomem(&x->err);
        }
    }
    sqlite3_free(names);
    if (rc == JL_OK) doc->root = *root = list;
    return rc;
}

/* ---- the statement ---------------------------------------------------------- */

/* Prepares select_sql and checks it is one read-only statement with columns.
 * Returns 0, or -1 with the error set on ctx. */
/* 1 when sql (n bytes) is a bare table name: `name` or `schema.name`, each
 * part letters, digits and '_' not starting with a digit. */
static int bare_name(const char *sql, int n, int *dot) {
    int start = 1;
    *dot = -1;
    if (n <= 0) return 0;
    for (int i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)sql[i];
        if (ch == '.' && *dot < 0 && !start) {
            *dot = i;
            start = 1;
        } else if (ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9' && !start) || ch >= 0x80) {
            start = 0;
        } else {
            return 0;
        }
    }
    return !start;
}

static int prepare(exporter *x, const char *sql, int n) {
    sqlite3 *db = sqlite3_context_db_handle(x->ctx);
    const char *tail = NULL;
    int dot;
    if (bare_name(sql, n, &dot)) {
        /* joblib_export('sales', f) is joblib_export('SELECT * FROM sales', f) */
        char *q = dot < 0 ? sqlite3_mprintf("SELECT * FROM \"%w\"", sql)
                          : sqlite3_mprintf("SELECT * FROM \"%.*w\".\"%w\"", dot, sql, sql + dot + 1);
        if (!q) {
            jl_ext_result_nomem(x->ctx, "naming the table");
            return -1;
        }
        int rc = sqlite3_prepare_v2(db, q, -1, &x->st, NULL);
        sqlite3_free(q);
        if (rc != SQLITE_OK) {
            jl_ext_result_errorf(x->ctx, FNAME ": cannot read the table '%.*s': %s", n, sql,
                                 sqlite3_errmsg(db));
            return -1;
        }
        tail = NULL;
    } else if (sqlite3_prepare_v2(db, sql, n, &x->st, &tail) != SQLITE_OK) {
        jl_ext_result_errorf(x->ctx, FNAME ": cannot prepare select_sql: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (!x->st) {
        jl_ext_result_errorf(x->ctx, FNAME ": select_sql holds no statement");
        return -1;
    }
    if (tail && *tail) {
        /* only whitespace and comments may follow */
        sqlite3_stmt *more = NULL;
        int rc = sqlite3_prepare_v2(db, tail, (int)(n - (tail - sql)), &more, NULL);
        sqlite3_finalize(more);
        if (rc != SQLITE_OK || more) {
            jl_ext_result_errorf(x->ctx, FNAME ": select_sql must be one statement, more follows: '%.40s'", tail);
            return -1;
        }
    }
    if (!sqlite3_stmt_readonly(x->st)) {
        jl_ext_result_errorf(x->ctx, FNAME ": select_sql must be a query that does not change the "
                                     "database: '%.60s'", sql);
        return -1;
    }
    x->ncols = sqlite3_column_count(x->st);
    if (x->ncols <= 0) {
        jl_ext_result_errorf(x->ctx, FNAME ": select_sql returns no columns: '%.60s'", sql);
        return -1;
    }
    x->cols = sqlite3_malloc64(sizeof(col) * (uint64_t)x->ncols);
    if (!x->cols) {
        jl_ext_result_nomem(x->ctx, "for the columns");
        return -1;
    }
    memset(x->cols, 0, sizeof(col) * (size_t)x->ncols);
    for (int j = 0; j < x->ncols; j++) {
        col *c = &x->cols[j];
        const char *name = sqlite3_column_name(x->st, j);
        c->name = name ? sqlite3_mprintf("%s", name) : NULL;
        if (!c->name) {
            jl_ext_result_nomem(x->ctx, "naming the columns");
            return -1;
        }
        if (!jl_utf8_valid((const uint8_t *)c->name, strlen(c->name), NULL)) {
            jl_ext_result_errorf(x->ctx, FNAME ": the name of column %d is not valid UTF-8", j + 1);
            return -1;
        }
        for (int k = 0; k < j; k++)
            if (strcmp(x->cols[k].name, c->name) == 0) {
                jl_ext_result_errorf(x->ctx, FNAME ": column name '%s' appears twice in the result "
                                             "(a dict keeps one: rename one with AS)", c->name);
                return -1;
            }
        const char *decl = sqlite3_column_decltype(x->st, j);
        /* a vector type ("float32[384]") is a BLOB column to SQLite's rules too */
        c->affinity = jl_vecstack_init(&c->vec, x->doc, decl) ? 0 : affinity_of(decl);
    }
    return 0;
}

/* Steps every row into the columns. Returns 0, or -1 with the error set. */
static int read_rows(exporter *x) {
    sqlite3 *db = sqlite3_context_db_handle(x->ctx);
    int rc;
    while ((rc = sqlite3_step(x->st)) == SQLITE_ROW) {
        for (int j = 0; j < x->ncols; j++)
            if (add_value(x, j) != JL_OK) {
                jl_ext_result_error(x->ctx, &x->err, NULL, NULL);
                return -1;
            }
        x->nrows++;
    }
    if (rc != SQLITE_DONE) {
        jl_ext_result_errorf(x->ctx, FNAME ": select_sql failed at row %llu: %s",
                             (unsigned long long)x->nrows, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* Frees the statement, the columns and the doc; keeps x->err. */
static void exporter_free_columns(exporter *x) {
    for (int j = 0; x->cols && j < x->ncols; j++) {
        jl_free(&x->doc->alloc, x->cols[j].num);
        jl_free(&x->doc->alloc, x->cols[j].tags);
        jl_free(&x->doc->alloc, x->cols[j].ids);
        jl_vecstack_free(&x->cols[j].vec, x->doc);
        sqlite3_free(x->cols[j].name);
    }
    sqlite3_free(x->cols);
    x->cols = NULL;
    x->ncols = 0;
    sqlite3_finalize(x->st);
    x->st = NULL;
    jl_doc_free(x->doc);
    x->doc = NULL;
}



/* Writes the bundle of node `root` to path: the stream goes to the file as
 * it is made (array payloads straight from the column buffers), through the
 * compressor when there is one, so that neither the stream nor the file
 * stands in memory beside the columns. The doc is freed here either way. */
static int write_file(exporter *x, uint32_t root, const jl_write_opts *o, const char *path) {
    int rc = jl_write_file_streamed(x->doc, root, o->protocol, o->compression, o->level, path, &x->err);
    exporter_free_columns(x);
    return rc;
}

/* ---- joblib_export ---------------------------------------------------------- */

/* The `as` argument: 'dict' (also when absent or NULL), 'dataframe', 'records'. */
static int choose_shape(sqlite3_context *ctx, sqlite3_value *v, shape *out) {
    *out = AS_DICT;
    if (!v || sqlite3_value_type(v) == SQLITE_NULL) return 0;
    const char *s = sqlite3_value_type(v) == SQLITE_TEXT ? (const char *)sqlite3_value_text(v) : NULL;
    for (size_t i = 0; s && i < sizeof SHAPES / sizeof SHAPES[0]; i++)
        if (strcmp(s, SHAPES[i].name) == 0) {
            *out = SHAPES[i].as;
            return 0;
        }
    if (s) jl_ext_result_errorf(ctx, FNAME ": argument 4 (as) must be 'dict', 'dataframe' or 'records', not '%.40s'", s);
    else jl_ext_result_errorf(ctx, FNAME ": argument 4 (as) must be TEXT ('dict', 'dataframe' or 'records'), not %s",
                              jl_ext_type_name(v));
    return -1;
}

void jl_fn_export(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sqlite3_value *sqlv = argv[0], *destv = argv[1];
    if (sqlite3_value_type(sqlv) == SQLITE_NULL || sqlite3_value_type(destv) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    if (sqlite3_value_type(sqlv) != SQLITE_TEXT) {
        jl_ext_result_errorf(ctx, FNAME ": argument 1 (select_sql) must be TEXT, not %s", jl_ext_type_name(sqlv));
        return;
    }
    if (sqlite3_value_type(destv) != SQLITE_TEXT) {
        jl_ext_result_errorf(ctx, FNAME ": argument 2 (dest) must be TEXT (a file name), not %s",
                             jl_ext_type_name(destv));
        return;
    }
    const char *sql = (const char *)sqlite3_value_text(sqlv);
    int sqln = sqlite3_value_bytes(sqlv);
    const char *dest = (const char *)sqlite3_value_text(destv);
    if (!sql || !dest) {
        jl_ext_result_nomem(ctx, "reading the arguments");
        return;
    }
    if (!*dest) {
        jl_ext_result_errorf(ctx, FNAME ": dest is an empty file name");
        return;
    }
    if ((size_t)sqlite3_value_bytes(destv) != strlen(dest)) {
        jl_ext_result_errorf(ctx, FNAME ": dest contains a NUL character");
        return;
    }
    shape as;
    if (choose_shape(ctx, argc > 3 ? argv[3] : NULL, &as)) return;
    jl_write_opts opts = { 4, JL_COMP_NONE, 0 };
    if (jl_write_choose_compression(ctx, FNAME, argc > 2 ? argv[2] : NULL, dest, &opts)) return;

    /* dest is copied: running the query may change what argv points to */
    char *path = sqlite3_mprintf("%s", dest);
    const jl_ext *ext = sqlite3_user_data(ctx);
    exporter x;
    memset(&x, 0, sizeof x);
    x.ctx = ctx;
    x.as = as;
    x.none = JL_NONE;
    jl_error_clear(&x.err);
    x.doc = jl_doc_new(jl_ext_alloc(), ext ? &ext->limits : NULL);
    if (!path || !x.doc) {
        sqlite3_free(path);
        jl_doc_free(x.doc);
        jl_ext_result_nomem(ctx, "starting the export");
        return;
    }
    uint32_t root = JL_NONE;
    if (prepare(&x, sql, sqln) || read_rows(&x)) goto done;
    static int (*const BUILD[])(exporter *, uint32_t *) = {
        [AS_DICT] = build_dict, [AS_DATAFRAME] = build_frame, [AS_RECORDS] = build_records,
    };
    if (BUILD[x.as](&x, &root) != JL_OK || write_file(&x, root, &opts, path) != JL_OK) {
        jl_ext_result_error(ctx, &x.err, path, NULL);
        goto done;
    }
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, NULL));
    jl_buf_putc(&b, '[');
    jl_json_string(&b, path, strlen(path));
    jl_buf_putc(&b, ']');
    jl_ext_result_buf(ctx, &b, 1);
done:
    exporter_free_columns(&x);
    sqlite3_free(path);
}
