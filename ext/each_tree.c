/*
 * each_tree.c - joblib_each and joblib_tree: table-valued functions over the
 * nodes of a bundle, modelled on SQLite's json_each and json_tree.
 *
 *   joblib_each(src [, root])   one row per child of the node at root
 *                               (default '$'); over an ndarray, one row per
 *                               row along its first axis (scalars for a
 *                               1-D array, sub-array BLOBs otherwise)
 *   joblib_tree(src [, root])   the node at root and its whole subtree,
 *                               depth-first, parents before children;
 *                               arrays are leaves
 *
 * src is a file path (TEXT) or the bytes of a bundle (BLOB). Examples:
 *
 *   SELECT key, value, type FROM joblib_each('model.pkl');
 *   SELECT fullkey, dtype, shape FROM joblib_tree('model.pkl') WHERE type = 'ndarray';
 *   -- a matrix of embeddings as one BLOB per row
 *   SELECT key AS i, value AS vec FROM joblib_each(:bundle, '$.vectors');
 *
 * How it works: each is an eponymous virtual table with this schema
 *
 *   CREATE TABLE joblib_each(
 *     key,      -- dict key as its SQL value, list index / array row as
 *               -- INTEGER, object attribute name as TEXT; NULL for the root
 *     value,    -- SQL value of the node; for 'ref' rows, the fullkey of the
 *               -- first occurrence
 *     type,     -- 'null' 'bool' 'int' ... 'object' 'global', or 'ref'
 *     atom,     -- the value of atoms, NULL for compound nodes and refs
 *     id,       -- row number in walk order (the root is 0)
 *     parent,   -- id of the parent row (joblib_tree only; NULL for the root)
 *     fullkey,  -- path of this node: joblib_load(src, fullkey) selects it
 *     path,     -- path of the parent
 *     class,    -- 'module.Name' of objects, globals, scalars, ndarray subclasses
 *     dtype,    -- arrays and scalars: descr of the SQL value (native byte
 *               -- order), JSON list for structured dtypes
 *     shape,    -- arrays and scalars: JSON array ('[]' for scalars)
 *     nbytes,   -- arrays and scalars: bytes of the elements
 *     src HIDDEN, root HIDDEN);
 *
 * and `FROM joblib_each(x, r)` is `FROM joblib_each WHERE src = x AND root = r`.
 * xBestIndex takes those equality constraints; src is required.
 *
 * Each compound node is expanded once: a later occurrence (shared
 * reference, cycle) is a 'ref' row whose value is the fullkey of the first.
 * A root path that selects nothing gives no rows; a NULL src gives no rows.
 * joblib_each over a pickled pandas DataFrame or Series lists its columns
 * (codec/tree/framepath.h, jl_frame_columns): key the column's name,
 * value its cells as JSON, fullkey the label path that selects it.
 *
 * Risk: the table reads a file when src is TEXT, so it is not marked
 * SQLITE_VTAB_INNOCUOUS: with PRAGMA trusted_schema=OFF an untrusted
 * schema's views and triggers cannot use it.
 *
 * The opened doc is kept by the cursor and reused when the next xFilter
 * (e.g. the next row of a join) gets the same src.
 */
#include "ext.h"

#include <stdlib.h>
#include <string.h>

#include "ndarray.h"
#include "frame.h"
#include "framepath.h"
#include "lazy.h"
#include "path.h"
#include "render.h"
#include "walk.h"

#define EACH_SCHEMA                                                                      \
    "CREATE TABLE x(key,value,type,atom,id,parent,fullkey,path,class,dtype,shape,nbytes," \
    "src HIDDEN,root HIDDEN)"
#define COL_KEY 0
#define COL_VALUE 1
#define COL_TYPE 2
#define COL_ATOM 3
#define COL_ID 4
#define COL_PARENT 5
#define COL_FULLKEY 6
#define COL_PATH 7
#define COL_CLASS 8
#define COL_DTYPE 9
#define COL_SHAPE 10
#define COL_NBYTES 11
#define COL_SRC 12
#define COL_ROOT 13

/* idxNum bits */
#define IDX_SRC 1
#define IDX_ROOT 2
#define IDX_KEY 4 /* joblib_each: a key = ? / key IN (...) look-up, the last argv */
#define IDX_ID 8  /* joblib_each: an id = ? look-up, the last argv */
#define IDX_IN 16 /* the look-up is an IN list, all values at once (sqlite3_vtab_in) */

/* Planner estimates: a scan of unknown size, a direct child look-up. */
#define SCAN_ROWS 1000
#define SCAN_COST 1000.0
#define LOOKUP_COST 10.0

typedef struct each_vtab {
    sqlite3_vtab base;
    jl_ext *ext; /* connection settings (not owned: the module holds a reference) */
    int tree;    /* 1 for joblib_tree */
} each_vtab;

typedef struct each_cursor {
    sqlite3_vtab_cursor base;
    sqlite3_value *src;  /* copy of the src argument (owned, sqlite3_value_free); a
                            BLOB doc borrows its bytes */
    sqlite3_value *root; /* copy of the root argument (owned) or NULL */
    jl_doc *doc;         /* opened from src (owned, jl_doc_free) */
    jl_doc_mark mark;    /* doc as opened: what a walk appended is undone per xFilter */
    jl_walk *walk;       /* owned, jl_walk_free */
    jl_walk_row row;     /* current row (its strings belong to walk) */
    uint32_t row_root;   /* the node the walk started at */
    uint64_t *pos;       /* key IN (...): the children's positions, ascending (owned) */
    int npos, ipos;      /* how many; the next one to seek */
    int eof;
} each_cursor;

/* ---- connecting ---------------------------------------------------------------- */

static int each_connect_as(sqlite3 *db, void *aux, sqlite3_vtab **out, char **pzErr, int tree) {
    (void)pzErr;
    int rc = sqlite3_declare_vtab(db, EACH_SCHEMA);
    if (rc != SQLITE_OK) return rc;
    each_vtab *t = sqlite3_malloc(sizeof *t);
    if (!t) return SQLITE_NOMEM;
    memset(t, 0, sizeof *t);
    t->ext = aux;
    t->tree = tree;
    *out = &t->base;
    return SQLITE_OK;
}

static int each_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **pzErr) {
    (void)argc, (void)argv;
    return each_connect_as(db, aux, out, pzErr, 0);
}

static int tree_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **pzErr) {
    (void)argc, (void)argv;
    return each_connect_as(db, aux, out, pzErr, 1);
}

static int each_disconnect(sqlite3_vtab *vt) {
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* Uses equality constraints on src and root (argvIndex 1 and 2, omitted
 * from re-checking). SQLITE_CONSTRAINT when such a constraint exists but is
 * not usable in this plan (the planner then tries another join order).
 *
 * joblib_each also takes key = ? / key IN (...) (or else id = ?) as a
 * direct child look-up (argvIndex after src/root): one row instead of a
 * scan, so a join on key runs from the cheaper side. Those constraints are
 * not omitted: the look-up may return a row SQLite's own comparison (with
 * column affinities) then rejects, never miss one it would keep. */
static int each_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    each_vtab *t = (each_vtab *)vt;
    int at[2] = { -1, -1 }; /* constraint index for src, root */
    int look = -1, look_bit = 0;
    int unusable = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
        if (c->iColumn == COL_KEY || c->iColumn == COL_ID) {
            if (t->tree || !c->usable) continue;
            if (c->iColumn == COL_KEY && look_bit != IDX_KEY) look = i, look_bit = IDX_KEY;
            else if (c->iColumn == COL_ID && !look_bit) look = i, look_bit = IDX_ID;
            continue;
        }
        if (c->iColumn < COL_SRC) continue;
        int which = c->iColumn - COL_SRC;
        if (!c->usable) unusable |= 1 << which;
        else if (at[which] < 0) at[which] = i;
    }
    for (int which = 0; which < 2; which++)
        if ((unusable & (1 << which)) && at[which] < 0) return SQLITE_CONSTRAINT;
    if (at[0] < 0) {
        /* no src at all: xFilter reports it; keep the planner away from this plan */
        info->idxNum = 0;
        info->estimatedCost = 1e99;
        return SQLITE_OK;
    }
    int argc = 1;
    info->aConstraintUsage[at[0]].argvIndex = argc++;
    info->aConstraintUsage[at[0]].omit = 1;
    info->idxNum = IDX_SRC;
    if (at[1] >= 0) {
        info->aConstraintUsage[at[1]].argvIndex = argc++;
        info->aConstraintUsage[at[1]].omit = 1;
        info->idxNum |= IDX_ROOT;
    }
    if (look >= 0) {
        info->aConstraintUsage[look].argvIndex = argc++;
        info->idxNum |= look_bit;
        /* a whole IN list at once: its rows come in walk order */
        if (sqlite3_vtab_in(info, look, 1)) info->idxNum |= IDX_IN;
        /* EXPLAIN QUERY PLAN shows it: "INDEX 7:key" */
        info->idxStr = look_bit == IDX_KEY ? "key" : "id";
        info->estimatedCost = LOOKUP_COST;
        info->estimatedRows = 1;
        info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
        return SQLITE_OK;
    }
    info->estimatedCost = SCAN_COST;
    info->estimatedRows = SCAN_ROWS;
    return SQLITE_OK;
}

/* ---- cursor -------------------------------------------------------------------- */

static int each_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    (void)vt;
    each_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->eof = 1;
    *out = &c->base;
    return SQLITE_OK;
}

/* Drops the current walk and undoes what it appended to the doc. */
static void cursor_reset(each_cursor *c) {
    jl_walk_free(c->walk);
    c->walk = NULL;
    if (c->doc) jl_doc_rollback(c->doc, &c->mark);
    sqlite3_value_free(c->root);
    c->root = NULL;
    memset(&c->row, 0, sizeof c->row);
    c->npos = c->ipos = 0;
    c->eof = 1;
}

static void cursor_drop_doc(each_cursor *c) {
    jl_doc_free(c->doc);
    c->doc = NULL;
    sqlite3_value_free(c->src);
    c->src = NULL;
}

static int each_close(sqlite3_vtab_cursor *cur) {
    each_cursor *c = (each_cursor *)cur;
    cursor_reset(c);
    cursor_drop_doc(c);
    sqlite3_free(c->pos);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int set_error(each_cursor *c, const jl_error *err, const char *path) {
    sqlite3_vtab *vt = c->base.pVtab;
    if (err->code == JL_E_NOMEM) return SQLITE_NOMEM;
    const char *file =
        c->src && sqlite3_value_type(c->src) == SQLITE_TEXT ? (const char *)sqlite3_value_text(c->src) : NULL;
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = jl_ext_errmsg(err, file, path);
    return vt->zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int set_errorf(each_cursor *c, const char *msg) {
    sqlite3_vtab *vt = c->base.pVtab;
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = jl_ext_msg_utf8(sqlite3_mprintf("joblib: %s", msg));
    return vt->zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* 1 when v is the same src as the cursor's current one. */
static int same_src(const each_cursor *c, sqlite3_value *v) {
    if (!c->doc || !c->src) return 0;
    int t = sqlite3_value_type(v);
    if (t != sqlite3_value_type(c->src)) return 0;
    int n = sqlite3_value_bytes(v);
    if (n != sqlite3_value_bytes(c->src)) return 0;
    const void *a = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(v) : sqlite3_value_blob(v);
    const void *b =
        t == SQLITE_TEXT ? (const void *)sqlite3_value_text(c->src) : sqlite3_value_blob(c->src);
    return n == 0 || (a && b && memcmp(a, b, (size_t)n) == 0);
}

static int each_next(sqlite3_vtab_cursor *cur) {
    each_cursor *c = (each_cursor *)cur;
    jl_error err;
    jl_error_clear(&err);
    if (!c->walk) {
        c->eof = 1;
        return SQLITE_OK;
    }
    int rc = jl_walk_next(c->walk, &c->row, &err);
    while (rc == 0 && c->ipos < c->npos) {
        jl_walk_seek(c->walk, c->pos[c->ipos++]);
        rc = jl_walk_next(c->walk, &c->row, &err);
    }
    if (rc < 0) {
        c->eof = 1;
        return set_error(c, &err, NULL);
    }
    c->eof = rc == 0;
    return SQLITE_OK;
}

/* The integer a look-up value can equal (INTEGER, an integral REAL, or
 * TEXT that reads as one): 1 and *out, else 0. */
static int lookup_int(sqlite3_value *v, sqlite3_int64 *out) {
    double d;
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        *out = sqlite3_value_int64(v);
        return 1;
    case SQLITE_FLOAT:
        d = sqlite3_value_double(v);
        break;
    case SQLITE_TEXT: {
        /* parsed here: sqlite3_value_numeric_type would convert SQLite's own register */
        const char *s = (const char *)sqlite3_value_text(v);
        char *end = NULL;
        if (!s) return 0;
        d = strtod(s, &end);
        if (end == s) return 0;
        while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') end++;
        if (*end) return 0;
        break;
    }
    default:
        return 0;
    }
    if (!(d >= -9.2e18 && d <= 9.2e18) || d != (double)(sqlite3_int64)d) return 0;
    *out = (sqlite3_int64)d;
    return 1;
}

/* The position of the dict entry whose key a look-up value can equal:
 * 1 and *pos for exactly one candidate, 0 for none, -1 when the dict has
 * keys this does not compare (or several candidates): scan then. str keys
 * match the value's text, int keys its integer (column affinity may turn
 * one into the other; SQLite re-checks the rows). */
static int dict_lookup(const jl_doc *doc, uint32_t dict, sqlite3_value *v, uint64_t *pos) {
    const jl_node *dn = &doc->nodes[dict];
    const uint32_t *k = dn->len ? jl_kids_of(doc, dict) : NULL;
    sqlite3_int64 iv = 0;
    int has_int = lookup_int(v, &iv);
    const char *tv = sqlite3_value_type(v) == SQLITE_BLOB ? NULL : (const char *)sqlite3_value_text(v);
    size_t tn = tv ? (size_t)sqlite3_value_bytes(v) : 0;
    int found = 0;
    for (uint64_t e = 0; e < dn->len / 2; e++) {
        const jl_node *kn = &doc->nodes[k[2 * e]];
        int hit;
        if (kn->kind == JL_STR) {
            hit = tv && kn->len == tn && memcmp(doc->blocks[kn->block].p + kn->u.off, tv, tn) == 0;
        } else if (kn->kind == JL_INT && !(kn->flags & JL_F_BIG)) {
            hit = has_int && kn->u.i == iv;
        } else {
            return -1;
        }
        if (hit) {
            if (found) return -1;
            found = 1;
            *pos = e;
        }
    }
    return found;
}

/* The position among the root's children that a key (or id) look-up value
 * names: 1 and *pos, 0 when it names none, -1 when it cannot tell (scan). */
static int lookup_pos(each_cursor *c, int idxNum, sqlite3_value *v, uint64_t *pos) {
    int64_t n = jl_walk_positional(c->walk);
    if (n < 0) return -1;
    if (sqlite3_value_type(v) == SQLITE_NULL) return 0;
    sqlite3_int64 iv;
    if (idxNum & IDX_ID) {
        if (!lookup_int(v, &iv) || iv < 1) return 0;
        *pos = (uint64_t)iv - 1;
        return 1;
    }
    if (c->doc->nodes[c->row_root].kind == JL_DICT) return dict_lookup(c->doc, c->row_root, v, pos);
    if (!lookup_int(v, &iv) || iv < 0) return 0;
    *pos = (uint64_t)iv;
    return 1;
}

static int cmp_pos(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Narrows the cursor's new walk to the children a key or id look-up names:
 * one value, or (IDX_IN) all the values of an IN list, in walk order. */
static int apply_lookup(each_cursor *c, int idxNum, sqlite3_value *v) {
    uint64_t pos = 0;
    if (!(idxNum & IDX_IN)) {
        int r = lookup_pos(c, idxNum, v, &pos);
        if (r >= 0) jl_walk_seek(c->walk, r ? pos : UINT64_MAX);
        return SQLITE_OK;
    }
    sqlite3_value *x = NULL;
    int n = 0, cap = 0;
    int rc = sqlite3_vtab_in_first(v, &x);
    for (; rc == SQLITE_OK && x; rc = sqlite3_vtab_in_next(v, &x)) {
        int r = lookup_pos(c, idxNum, x, &pos);
        if (r < 0) { /* scan: SQLite checks the IN list itself */
            c->npos = 0;
            return SQLITE_OK;
        }
        if (!r) continue;
        if (n == cap) {
            int ncap = cap ? 2 * cap : 16;
            uint64_t *p = sqlite3_realloc64(c->pos, (sqlite3_uint64)ncap * sizeof *p);
            if (!p) return SQLITE_NOMEM;
            c->pos = p;
            cap = ncap;
        }
        c->pos[n++] = pos;
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE) return rc;
    if (n > 1) qsort(c->pos, (size_t)n, sizeof *c->pos, cmp_pos);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (!u || c->pos[u - 1] != c->pos[i]) c->pos[u++] = c->pos[i];
    c->npos = u;
    c->ipos = 1;
    jl_walk_seek(c->walk, u ? c->pos[0] : UINT64_MAX);
    return SQLITE_OK;
}

static int each_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv) {
    (void)idxStr;
    each_cursor *c = (each_cursor *)cur;
    each_vtab *t = (each_vtab *)cur->pVtab;
    const char *fname = t->tree ? "joblib_tree" : "joblib_each";
    jl_error err;
    jl_error_clear(&err);
    cursor_reset(c);
    if (!(idxNum & IDX_SRC) || argc < 1) {
        char *m = sqlite3_mprintf("%s() needs a src argument: %s(src [, root])", fname, fname);
        int rc = m ? set_errorf(c, m) : SQLITE_NOMEM;
        sqlite3_free(m);
        return rc;
    }
    sqlite3_value *src = argv[0];
    sqlite3_value *root = (idxNum & IDX_ROOT) && argc > 1 ? argv[1] : NULL;
    int st = sqlite3_value_type(src);
    if (st == SQLITE_NULL || (root && sqlite3_value_type(root) == SQLITE_NULL)) return SQLITE_OK;
    if (st != SQLITE_TEXT && st != SQLITE_BLOB) {
        char *m = sqlite3_mprintf("%s(): argument 1 (src) must be a file path (TEXT) or the bytes "
                                  "of a bundle (BLOB), not %s", fname, jl_ext_type_name(src));
        int rc = m ? set_errorf(c, m) : SQLITE_NOMEM;
        sqlite3_free(m);
        return rc;
    }
    if (root && sqlite3_value_type(root) != SQLITE_TEXT) {
        char *m = sqlite3_mprintf("%s(): argument 2 (root) must be TEXT such as '$.a[0]', not %s",
                                  fname, jl_ext_type_name(root));
        int rc = m ? set_errorf(c, m) : SQLITE_NOMEM;
        sqlite3_free(m);
        return rc;
    }

    if (!same_src(c, src)) {
        cursor_drop_doc(c);
        c->src = sqlite3_value_dup(src);
        if (!c->src) return SQLITE_NOMEM;
        /* the copy lives as long as the doc: the doc may borrow its bytes */
        if (jl_ext_open_value(t->ext, c->src, 1, &c->doc, &err) != JL_OK) {
            c->doc = NULL;
            int rc = set_error(c, &err, NULL);
            cursor_drop_doc(c);
            return rc;
        }
        jl_doc_mark_get(c->doc, &c->mark);
    }

    const char *path = "$";
    size_t plen = 1;
    if (root) {
        c->root = sqlite3_value_dup(root);
        if (!c->root) return SQLITE_NOMEM;
        path = (const char *)sqlite3_value_text(c->root);
        if (!path) return SQLITE_NOMEM;
        plen = (size_t)sqlite3_value_bytes(c->root);
    }
    uint32_t node = JL_NONE;
    if (c->doc->root == JL_NONE) return SQLITE_OK;
    if (jl_frame_path_resolve(c->doc, c->doc->root, path, plen, &node, &err) != JL_OK)
        return set_error(c, &err, path);
    if (node == JL_NONE) return SQLITE_OK; /* selects nothing: no rows */
    /* joblib_each over a pandas frame lists its columns (joblib_tree walks its parts) */
    if (!t->tree && jl_frame_kind(c->doc, node) && jl_frame_columns(c->doc, node, &node, &err) != JL_OK)
        return set_error(c, &err, path);
    if (jl_walk_start(c->doc, node, path, t->tree, &c->walk, &err) != JL_OK) {
        c->walk = NULL;
        return set_error(c, &err, path);
    }
    c->row_root = node;
    if ((idxNum & (IDX_KEY | IDX_ID)) && argc > 0) {
        int rc = apply_lookup(c, idxNum, argv[argc - 1]);
        if (rc != SQLITE_OK) return rc;
    }
    return each_next(cur);
}

static int each_eof(sqlite3_vtab_cursor *cur) { return ((each_cursor *)cur)->eof; }

static int each_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((each_cursor *)cur)->row.id;
    return SQLITE_OK;
}

/* The current row's path strings, built on first use (jl_walk_strings):
 * 0, or -1 out of memory. */
static int row_strings(each_cursor *c) {
    jl_error e;
    jl_error_clear(&e);
    return c->walk && jl_walk_strings(c->walk, &c->row, &e) == JL_OK ? 0 : -1;
}

/* The current row's fullkey for error messages ("" when it cannot be made). */
static const char *row_fullkey(each_cursor *c) {
    return row_strings(c) == 0 && c->row.fullkey ? c->row.fullkey : "";
}

/* dtype / shape / nbytes of array and scalar nodes. */
static void column_array(sqlite3_context *ctx, each_cursor *c, int col, jl_error *err) {
    jl_doc *doc = c->doc;
    const jl_array *a = jl_array_of(doc, c->row.node);
    const jl_dtype *dt = a->dtype < doc->ndtypes ? &doc->dtypes[a->dtype] : NULL;
    jl_buf b;
    if (col == COL_NBYTES) {
        uint64_t n;
        if (dt && !jl_mul_overflow(jl_array_count(doc, a), dt->itemsize, &n) && n <= (uint64_t)INT64_MAX)
            sqlite3_result_int64(ctx, (sqlite3_int64)n);
        return;
    }
    jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, doc));
    if (col == COL_SHAPE) {
        jl_array_shape_json(doc, a, &b);
        jl_ext_result_buf(ctx, &b, 1);
        return;
    }
    if (!dt) return;
    if (jl_ext_native_descr(doc, a->dtype, &b, err) != JL_OK) {
        jl_buf_free(&b);
        jl_ext_result_error(ctx, err, NULL, row_fullkey(c));
        return;
    }
    jl_ext_result_buf(ctx, &b, b.len > 0 && b.p[0] == '[');
}

static int each_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    each_cursor *c = (each_cursor *)cur;
    each_vtab *t = (each_vtab *)cur->pVtab;
    const jl_walk_row *r = &c->row;
    jl_doc *doc = c->doc;
    jl_error err;
    jl_error_clear(&err);
    if (col == COL_SRC) {
        if (c->src) sqlite3_result_value(ctx, c->src);
        return SQLITE_OK;
    }
    if (col == COL_ROOT) {
        if (c->root) sqlite3_result_value(ctx, c->root);
        else sqlite3_result_text(ctx, "$", 1, SQLITE_STATIC);
        return SQLITE_OK;
    }
    if (c->eof || !doc) return SQLITE_OK;
    uint8_t kind = jl_node_at(doc, r->node)->kind;
    int is_root = t->tree && r->parent == UINT64_MAX;
    /* what a column appends to the doc (native dtypes) is undone at once;
       the walk's own view nodes were appended before this mark */
    jl_doc_mark mark;
    jl_doc_mark_get(doc, &mark);
    switch (col) {
    case COL_KEY:
        if (is_root) break;
        if (r->key != JL_NONE) {
            if (jl_ext_result_node(ctx, doc, r->key, &err) != JL_OK)
                jl_ext_result_error(ctx, &err, NULL, row_fullkey(c));
        } else if (r->attr) {
            sqlite3_result_text(ctx, r->attr, -1, SQLITE_TRANSIENT);
        } else if (r->index >= 0) {
            sqlite3_result_int64(ctx, r->index);
        }
        break;
    case COL_VALUE:
    case COL_ATOM:
        if (r->is_ref) {
            if (col == COL_VALUE) {
                if (row_strings(c)) sqlite3_result_error_nomem(ctx);
                else sqlite3_result_text(ctx, r->ref_fullkey, -1, SQLITE_TRANSIENT);
            }
        } else if (col == COL_VALUE || !jl_is_compound(kind)) {
            /* array data still in a compressed stream (lazy.h): what this
             * row's value holds; a row of an array reads the whole array
             * once, for the rows after it */
            if (jl_doc_is_lazy(doc) && (kind == JL_NDARRAY || kind == JL_SCALAR ? jl_lazy_load_whole(doc, r->node, &err)
                                                                                 : jl_lazy_load(doc, r->node, &err)) != JL_OK) {
                jl_ext_result_error(ctx, &err, NULL, row_fullkey(c));
                break;
            }
            if (jl_ext_result_node(ctx, doc, r->node, &err) != JL_OK)
                jl_ext_result_error(ctx, &err, NULL, row_fullkey(c));
        }
        break;
    case COL_TYPE:
        sqlite3_result_text(ctx, r->is_ref ? "ref" : jl_kind_name(kind), -1, SQLITE_STATIC);
        break;
    case COL_ID:
        sqlite3_result_int64(ctx, (sqlite3_int64)r->id);
        break;
    case COL_PARENT:
        if (t->tree && r->parent != UINT64_MAX) sqlite3_result_int64(ctx, (sqlite3_int64)r->parent);
        break;
    case COL_FULLKEY:
    case COL_PATH:
        if (row_strings(c)) sqlite3_result_error_nomem(ctx);
        else sqlite3_result_text(ctx, col == COL_FULLKEY ? r->fullkey : r->path, -1, SQLITE_TRANSIENT);
        break;
    case COL_CLASS:
        if (!r->is_ref) {
            jl_buf b;
            jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, doc));
            if (jl_render_class(doc, r->node, &b)) jl_ext_result_buf(ctx, &b, 0);
            else jl_buf_free(&b);
        }
        break;
    case COL_DTYPE:
    case COL_SHAPE:
    case COL_NBYTES:
        if (!r->is_ref && (kind == JL_NDARRAY || kind == JL_SCALAR)) column_array(ctx, c, col, &err);
        break;
    default:
        break;
    }
    jl_doc_rollback(doc, &mark);
    return SQLITE_OK;
}

static const sqlite3_module each_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only, like json_each */
    .xConnect = each_connect,
    .xBestIndex = each_best_index,
    .xDisconnect = each_disconnect,
    .xDestroy = NULL,
    .xOpen = each_open,
    .xClose = each_close,
    .xFilter = each_filter,
    .xNext = each_next,
    .xEof = each_eof,
    .xColumn = each_column,
    .xRowid = each_rowid,
};

static const sqlite3_module tree_module = {
    .iVersion = 0,
    .xCreate = NULL,
    .xConnect = tree_connect,
    .xBestIndex = each_best_index,
    .xDisconnect = each_disconnect,
    .xDestroy = NULL,
    .xOpen = each_open,
    .xClose = each_close,
    .xFilter = each_filter,
    .xNext = each_next,
    .xEof = each_eof,
    .xColumn = each_column,
    .xRowid = each_rowid,
};

const jl_sql_module jl_read_modules[] = {
    { "joblib_each", &each_module },
    { "joblib_tree", &tree_module },
    { NULL, NULL },
};
