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

#include <string.h>

#include "ndarray.h"
#include "frame.h"
#include "framepath.h"
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
 * not usable in this plan (the planner then tries another join order). */
static int each_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    (void)vt;
    int at[2] = { -1, -1 }; /* constraint index for src, root */
    int unusable = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn < COL_SRC || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
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
    info->aConstraintUsage[at[0]].argvIndex = 1;
    info->aConstraintUsage[at[0]].omit = 1;
    info->idxNum = IDX_SRC;
    if (at[1] >= 0) {
        info->aConstraintUsage[at[1]].argvIndex = 2;
        info->aConstraintUsage[at[1]].omit = 1;
        info->idxNum |= IDX_ROOT;
    }
    info->estimatedCost = 1.0;
    info->estimatedRows = 100;
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
    if (rc < 0) {
        c->eof = 1;
        return set_error(c, &err, NULL);
    }
    c->eof = rc == 0;
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
