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
 *       (what joblib_export writes and DataFrame.to_dict('list') gives); an
 *       N-D ndarray there is a vector column: row i is a[i] as a BLOB (C
 *       order, native byte order), declared as numpy's dtype name and the
 *       row shape, "float32[384]" (codec/tree/table.h JL_TCOL_VECTOR)
 *   a 1-D structured ndarray                               one column per field
 *   a 2-D ndarray                                          columns c0 .. cN
 *   a list (or tuple) of dicts                             records: the keys, in
 *                                                          order of first appearance
 *                                                          (a missing key is NULL)
 *   a list (or tuple) of tuples or lists                   records: c0 .. cN, as
 *                                                          wide as the longest
 *   a pandas DataFrame or Series                           the index, then the
 *                                                          columns (frame.h)
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
 * of README "Paths, types and values": numbers as INTEGER / REAL (NaN as NULL), str as TEXT,
 * datetime64 as ISO-8601 TEXT, bytes as BLOB, anything else as JSON text.
 *
 * How it works: which nodes are tables, the column names, where each cell
 * lies and the declared types are the codec's column plan
 * (codec/tree/table.h, jl_table_plan_make); this file is the SQLite glue.
 * The bundle is opened once, at CREATE (and at each later
 * connection to the database), and kept open with the table. An
 * uncompressed file is memory-mapped and array cells are read from their
 * bytes when asked for, so `WHERE rowid = N` or a LIMIT reads only what
 * they need; a compressed bundle is decompressed once. xBestIndex turns
 * constraints on rowid (=, <, <=, >, >=) into a range of rows and takes
 * ORDER BY rowid as the natural order.
 *
 * A file replaced while the table is connected: each scan that starts with
 * no other scan of the table open compares the file's identity (device,
 * inode, size, modification and change times) with the one it read; when
 * it changed, the file is read again: the same columns (names and declared
 * types) give the new rows, other columns an error saying the file changed
 * since CREATE and to DROP and CREATE the table again (see refresh()).
 *
 * Limits: the table is read-only; DROP TABLE forgets it and never touches
 * the file. The file is read again each time the database is opened; if it
 * is gone or no longer table-shaped by then, the database still opens and
 * every scan of the table fails with the reason (DROP TABLE still works).
 * A node that is not table-shaped, or columns of unequal length,
 * is an error at CREATE time that says which. A pickled pandas DataFrame
 * or Series is a table too: its index then its columns, as
 * codec/tree/frame.h describes. Not table-shaped here:
 * structured arrays with object fields, arrays of 3 or more dimensions at
 * the top (a path to a 2-D slice works: joblib(src, '$.cube[0]')). Risk: the module reads the
 * file its arguments name, like joblib_load (neither DIRECTONLY nor
 * INNOCUOUS: with PRAGMA trusted_schema=OFF an untrusted schema cannot
 * use it from triggers and views).
 */
#include "tables.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "array_build.h"
#include "decode.h"
#include "doc_cache.h"
#include "dtype.h"
#include "ndarray.h"
#include "framepath.h"
#include "lazy.h"
#include "path.h"
#include "frame.h"
#include "table.h"

/* ---- the table ---------------------------------------------------------------- */

typedef struct jl_table {
    sqlite3_vtab base;
    char *broken;     /* xConnect could not open the bundle: the message every scan
                       * returns (sqlite3_malloc), else NULL */
    jl_doc *doc;      /* the open bundle: entry->doc for a file, else owned */
    jl_cache_entry *entry; /* a file's doc, held in the connection's cache (doc_cache.h) */
    jl_table_plan plan; /* the columns (codec/tree/table.h); owned */
    /* for refresh(): what the table was made from (sqlite3_malloc), NULL
     * for a BLOB src; the file's identity when it was read */
    char *name, *file, *path;
    int pathn;
    struct stat seen;
    jl_ext *ext;
    int nopen;        /* open cursors */
} jl_table;

typedef struct jl_table_cursor {
    sqlite3_vtab_cursor base;
    uint64_t row, end; /* current row and one past the last */
} jl_table_cursor;

static void table_free(jl_table *t) {
    if (!t) return;
    jl_table_plan_free(&t->plan);
    if (t->entry) jl_doc_cache_release(t->entry, 1);
    else jl_doc_free(t->doc);
    sqlite3_free(t->broken);
    sqlite3_free(t->name);
    sqlite3_free(t->file);
    sqlite3_free(t->path);
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

/* ---- messages --------------------------------------------------------------------- */

/* Messages quote names from the bundle, and their fixed-size buffers may
 * cut a character: jl_ext_errmsg escapes what is not UTF-8. */

/* The CREATE TABLE statement for sqlite3_declare_vtab. */
static char *schema_of(const jl_table *t) {
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendall(s, "CREATE TABLE x(");
    for (uint32_t j = 0; j < t->plan.ncols; j++)
        sqlite3_str_appendf(s, "%s\"%w\"%s%s", j ? ", " : "", t->plan.cols[j].name,
                            *jl_table_decl(&t->plan.cols[j]) ? " " : "", jl_table_decl(&t->plan.cols[j]));
    sqlite3_str_appendchar(s, 1, ')');
    return sqlite3_str_finish(s);
}

/* xConnect of a table whose bundle cannot be opened any more (the file
 * was removed or changed since CREATE): the table is declared with one
 * column, and every scan fails with `msg` (taken), so that the database
 * still opens and DROP TABLE still works. */
static int connect_broken(sqlite3 *db, jl_table *t, char *msg, sqlite3_vtab **out) {
    jl_table_plan_free(&t->plan);
    if (t->entry) jl_doc_cache_release(t->entry, 1);
    else jl_doc_free(t->doc);
    t->entry = NULL;
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
    jl_ext *ext = aux;
    jl_table *t = NULL;
    char *src = NULL, *path = NULL, *schema = NULL;
    int rc = SQLITE_ERROR, srcn = 0, pathn = 0, blob = 0, bad = 0, pblob = 0;
    jl_error err;
    jl_error_clear(&err);
    *out = NULL;
    if (argc < 4 || argc > 5) {
        *pzErr = jl_ext_msg_utf8(sqlite3_mprintf("joblib: CREATE VIRTUAL TABLE %s USING joblib(src [, path]) "
                                                 "takes 1 or 2 arguments, not %d", argc > 2 ? argv[2] : "t", argc - 3));
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
        *pzErr = jl_ext_msg_utf8(sqlite3_mprintf("joblib: path must be a path starting with '$', not %s", argv[4]));
        goto done;
    }
    t = sqlite3_malloc64(sizeof *t);
    if (!t) {
        rc = SQLITE_NOMEM;
        goto done;
    }
    memset(t, 0, sizeof *t);
    t->plan.records = JL_NONE;
    jl_limits lim;
    if (ext) lim = ext->limits;
    else jl_limits_default(&lim);
    jl_open_opts o = { jl_ext_alloc(), &lim };
    if (blob) {
        static const uint8_t empty[1];
        rc = jl_open_memory(srcn ? (const uint8_t *)src : empty, (uint64_t)srcn, 0, &o, &t->doc, &err);
    } else if (ext) {
        rc = jl_doc_cache_open(ext, src, 1, &t->entry, &err);
        if (rc == JL_OK) t->doc = t->entry->doc;
    } else {
        rc = jl_open_file(src, &o, &t->doc, &err);
    }
    if (rc != JL_OK) {
        t->doc = NULL;
        goto codec_error;
    }
    uint32_t node = t->doc->root;
    if (node == JL_NONE) {
        jl_fail(&err, JL_E_FORMAT, JL_NO_OFFSET, "the bundle holds no value");
        goto codec_error;
    }
    if (path) {
        if (jl_frame_path_resolve(t->doc, t->doc->root, path, (size_t)pathn, &node, &err) != JL_OK) goto codec_error;
        if (node == JL_NONE) {
            jl_fail(&err, JL_E_PATH, JL_NO_OFFSET, "the path selects nothing");
            goto codec_error;
        }
    }
    rc = jl_lazy_load(t->doc, node, &err); /* the cells are array data (lazy.h) */
    if (rc != JL_OK) goto codec_error;
    rc = jl_frame_plan_make(t->doc, node, path, path ? (size_t)pathn : 0, jl_ext_alloc(), &t->plan, NULL, &err);
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
    if (!blob) { /* for refresh(): a file whose identity cannot be read is never re-read */
        t->ext = ext;
        t->name = sqlite3_mprintf("%s", argv[2]);
        t->file = src;
        t->path = path;
        t->pathn = pathn;
        src = path = NULL;
        if (!t->name || stat(t->file, &t->seen) != 0) {
            sqlite3_free(t->file);
            t->file = NULL;
        }
    }
    *out = &t->base;
    t = NULL;
    rc = SQLITE_OK;
    goto done;

codec_error:
    {
        char *msg = jl_ext_errmsg(&err, blob ? NULL : src, path);
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
    double rows = (double)t->plan.nrows;
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
    jl_table_cursor *c = sqlite3_malloc64(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    ((jl_table *)vt)->nopen++;
    *out = &c->base;
    return SQLITE_OK;
}

static int t_close(sqlite3_vtab_cursor *cur) {
    ((jl_table *)cur->pVtab)->nopen--;
    sqlite3_free(cur);
    return SQLITE_OK;
}

/* ---- a file replaced while connected ---------------------------------------------- */

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The columns as the declared schema lists them: "(a INTEGER, b)". */
static char *columns_text(const jl_table_plan *p) {
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendchar(s, 1, '(');
    for (uint32_t j = 0; j < p->ncols; j++)
        sqlite3_str_appendf(s, "%s%s%s%s", j ? ", " : "", p->cols[j].name, *p->cols[j].decl ? " " : "",
                            p->cols[j].decl);
    sqlite3_str_appendchar(s, 1, ')');
    return sqlite3_str_finish(s);
}

static int same_columns(const jl_table_plan *a, const jl_table_plan *b) {
    if (a->ncols != b->ncols) return 0;
    for (uint32_t j = 0; j < a->ncols; j++)
        if (strcmp(a->cols[j].name, b->cols[j].name) != 0 || strcmp(a->cols[j].decl, b->cols[j].decl) != 0)
            return 0;
    return 1;
}

static int refresh_error(jl_table *t, char *msg) {
    sqlite3_free(t->base.zErrMsg);
    t->base.zErrMsg = msg;
    return msg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Reads the file again when it changed since the table read it (no other
 * cursor is open): the same columns swap in the new doc and rows; other
 * columns, or a file that is no longer a table, are an error (the table
 * keeps the bundle it had). A file that is gone is not re-read. */
/* Lets go of a doc: its cache entry's hold, or the doc itself. */
static void drop_doc(jl_cache_entry *entry, jl_doc *doc) {
    if (entry) jl_doc_cache_release(entry, 1);
    else jl_doc_free(doc);
}

static int refresh(jl_table *t) {
    struct stat now;
    if (!t->file || stat(t->file, &now) != 0 || same_file(&now, &t->seen)) return SQLITE_OK;
    jl_limits lim;
    if (t->ext) lim = t->ext->limits;
    else jl_limits_default(&lim);
    jl_open_opts o = { jl_ext_alloc(), &lim };
    jl_error err;
    jl_error_clear(&err);
    jl_doc *doc = NULL;
    jl_cache_entry *entry = NULL; /* the new doc's, when the connection has a cache */
    jl_table_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.records = JL_NONE;
    uint32_t node = JL_NONE;
    int rc;
    if (t->ext) {
        rc = jl_doc_cache_open(t->ext, t->file, 1, &entry, &err);
        if (rc == JL_OK) doc = entry->doc;
    } else {
        rc = jl_open_file(t->file, &o, &doc, &err);
    }
    if (rc == JL_OK) {
        node = doc->root;
        if (node != JL_NONE && t->path &&
            jl_frame_path_resolve(doc, doc->root, t->path, (size_t)t->pathn, &node, &err) != JL_OK)
            rc = err.code;
    } else {
        doc = NULL;
    }
    if (rc == JL_OK && node == JL_NONE) {
        const char *what = t->path ? "the path selects nothing" : "the bundle holds no value";
        rc = jl_fail(&err, JL_E_FORMAT, JL_NO_OFFSET, "%s", what);
    }
    if (rc == JL_OK) rc = jl_lazy_load(doc, node, &err); /* the cells are array data (lazy.h) */
    if (rc == JL_OK)
        rc = jl_frame_plan_make(doc, node, t->path, t->path ? (size_t)t->pathn : 0, jl_ext_alloc(), &plan, NULL, &err);
    if (rc != JL_OK) {
        jl_table_plan_free(&plan);
        drop_doc(entry, doc);
        if (err.code == JL_E_NOMEM) return SQLITE_NOMEM;
        char *m = jl_ext_errmsg(&err, t->file, t->path);
        const char *why = m && strncmp(m, "joblib: ", 8) == 0 ? m + 8 : m;
        char *msg = m ? sqlite3_mprintf("joblib: table %s: its file changed since CREATE VIRTUAL TABLE and "
                                        "is no longer a table: %s; DROP TABLE %s and CREATE it again",
                                        t->name, why, t->name)
                      : NULL;
        sqlite3_free(m);
        return refresh_error(t, msg);
    }
    if (!same_columns(&plan, &t->plan)) {
        char *was = columns_text(&t->plan), *is = columns_text(&plan);
        char *msg = was && is ? sqlite3_mprintf("joblib: table %s: '%s' changed since CREATE VIRTUAL TABLE: "
                                                "its columns are now %s, not %s; DROP TABLE %s and CREATE it "
                                                "again", t->name, t->file, is, was, t->name)
                              : NULL;
        rc = refresh_error(t, msg);
        sqlite3_free(was);
        sqlite3_free(is);
        jl_table_plan_free(&plan);
        drop_doc(entry, doc);
        return rc;
    }
    jl_table_plan_free(&t->plan);
    drop_doc(t->entry, t->doc);
    t->plan = plan;
    t->entry = entry;
    t->doc = doc;
    t->seen = now;
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
    uint64_t lo = 0, hi = t->plan.nrows, x;
    int argi = 0;
    if (t->broken) {
        sqlite3_free(t->base.zErrMsg);
        t->base.zErrMsg = sqlite3_mprintf("%s", t->broken);
        return t->base.zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if (t->nopen == 1) {
        int rc = refresh(t);
        if (rc != SQLITE_OK) return rc;
        hi = t->plan.nrows;
    }
    if ((idxNum & IDX_EQ) && argi < argc) {
        sqlite3_value *v = argv[argi++];
        int type = sqlite3_value_numeric_type(v);
        double d = type == SQLITE_FLOAT ? sqlite3_value_double(v) : 0;
        if (type == SQLITE_INTEGER) {
            sqlite3_int64 i = sqlite3_value_int64(v);
            if (i < 0 || (uint64_t)i >= t->plan.nrows) lo = hi = 0;
            else lo = (uint64_t)i, hi = (uint64_t)i + 1;
        } else if (type == SQLITE_FLOAT) {
            if (!(d >= 0) || d != floor(d) || d >= (double)t->plan.nrows) lo = hi = 0;
            else lo = (uint64_t)d, hi = lo + 1;
        } else if (type == SQLITE_NULL) {
            lo = hi = 0;
        } /* other values: every row, SQLite compares */
    }
    if ((idxNum & IDX_LOWER) && argi < argc) {
        int r = bound_of(argv[argi++], 0, (idxNum & IDX_LOWER_GE) != 0, t->plan.nrows, &x);
        if (r < 0) hi = 0;
        else if (r > 0 && x > lo) lo = x;
    }
    if ((idxNum & IDX_UPPER) && argi < argc) {
        int r = bound_of(argv[argi++], 1, (idxNum & IDX_UPPER_LE) != 0, t->plan.nrows, &x);
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
    uint32_t id = jl_scalar_build(doc, dtype, at, err);
    int rc = id == JL_NONE ? (err->code ? (int)err->code : JL_E_NOMEM) : jl_ext_result_node(ctx, doc, id, err);
    jl_doc_rollback(doc, &mark);
    return rc;
}

/* Row `row` of a vector column: the sub-array's bytes in C order and
 * native byte order, straight from the data when they already are (C
 * order, native), else gathered into a new buffer (jl_array_row_copy). */
static int vector_cell(sqlite3_context *ctx, jl_table *t, const jl_tcol *col, uint64_t row) {
    const jl_doc *doc = t->doc;
    const jl_array *a = jl_array_of(doc, col->node);
    uint64_t n = col->stride;
    if ((a->order != 'F' || a->ndim < 2) && !jl_dtype_needs_swap(doc, a->dtype)) {
        const uint8_t *p = jl_ref_ptr(doc, col->data) + row * n;
        sqlite3_result_blob64(ctx, n ? p : (const uint8_t *)"", n, SQLITE_TRANSIENT);
        return SQLITE_OK;
    }
    if (n > doc->limits.max_alloc) {
        char *m = sqlite3_mprintf("joblib: converting a row of %llu bytes exceeds max_alloc (%llu) "
                                  "(row %llu, column '%s')", (unsigned long long)n,
                                  (unsigned long long)doc->limits.max_alloc, (unsigned long long)row, col->name);
        sqlite3_free(t->base.zErrMsg);
        t->base.zErrMsg = jl_ext_msg_utf8(m);
        return t->base.zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    uint8_t *buf = sqlite3_malloc64(n ? n : 1);
    if (!buf) return SQLITE_NOMEM;
    jl_array_row_copy(doc, a, row, buf);
    sqlite3_result_blob64(ctx, buf, n, sqlite3_free);
    return SQLITE_OK;
}

static int t_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
    jl_table_cursor *c = (jl_table_cursor *)cur;
    jl_table *t = (jl_table *)cur->pVtab;
    jl_doc *doc = t->doc;
    if (i < 0 || (uint32_t)i >= t->plan.ncols || c->row >= t->plan.nrows) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    const jl_tcol *col = &t->plan.cols[i];
    uint64_t row = c->row;
    jl_error err;
    jl_error_clear(&err);
    uint64_t src;
    if (!jl_table_cell_source(doc, col, row, &src)) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    if (col->how == JL_TCOL_RANGE) {
        sqlite3_result_int64(ctx, (sqlite3_int64)((uint64_t)col->start + src * (uint64_t)col->step));
        return SQLITE_OK;
    }
    if (src != JL_TCOL_FILL && (col->flags & JL_TCOL_F_TEXT)) {
        jl_buf b;
        jl_buf_init(&b, jl_ext_alloc(), 0);
        if (jl_table_cell_text(doc, &t->plan, col, src, &b, &err) != JL_OK) {
            jl_buf_free(&b);
            goto error;
        }
        jl_ext_result_buf(ctx, &b, 0);
        return SQLITE_OK;
    }
    if (col->how == JL_TCOL_VECTOR) return vector_cell(ctx, t, col, src);
    if (col->how == JL_TCOL_ARRAY && src != JL_TCOL_FILL) {
        jl_ref at = jl_table_cell_ref(doc, col, src);
        if (col->flags & JL_TCOL_F_INT64) {
            int64_t v;
            memcpy(&v, jl_ref_ptr(doc, at), 8);
            sqlite3_result_int64(ctx, v);
            return SQLITE_OK;
        }
        if (fast_number(ctx, &doc->dtypes[col->dtype], jl_ref_ptr(doc, at))) return SQLITE_OK;
        if (slow_cell(ctx, doc, col->dtype, at, &err) == JL_OK) return SQLITE_OK;
        goto error;
    }
    uint32_t cell = jl_table_cell_node(doc, &t->plan, col, src);
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
    {
        char *m = jl_ext_errmsg(&err, NULL, NULL);
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
    { "joblib_export", 4, JL_FN_WRITER | SQLITE_RESULT_SUBTYPE, jl_fn_export, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL },
};

const jl_sql_module jl_table_modules[] = {
    { "joblib", &jl_table_module },
    { NULL, NULL },
};
