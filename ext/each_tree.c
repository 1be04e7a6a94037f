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
 *                               arrays of numbers are leaves, object
 *                               arrays have their elements as children
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
 * xBestIndex takes those equality constraints; src is required. It also
 * takes one look-up on key, id or fullkey (see each_best_index).
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
#include "doc_cache.h"

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
#define IDX_KEY 4      /* a key = ? / key IN (...) look-up, the last argv */
#define IDX_ID 8       /* an id = ? look-up, the last argv */
#define IDX_IN 16      /* the look-up is an IN list, all values at once (sqlite3_vtab_in) */
#define IDX_FULLKEY 32 /* a fullkey = ? look-up, the last argv */
#define IDX_LOOK (IDX_KEY | IDX_ID | IDX_FULLKEY)
#define IDX_SELF 64    /* no src: the argument named a column of the table itself */

/* Column names, for the IDX_SELF message. */
static const char *const col_names[] = { "key", "value", "type", "atom", "id", "parent", "fullkey",
                                         "path", "class", "dtype", "shape", "nbytes", "src", "root" };

/* Planner estimates: a scan of unknown size, a direct child look-up
 * (joblib_each), a walk that filters in C (joblib_tree: no SQL values for
 * the rows it skips, no strings below a fullkey that cannot lead to the
 * one asked for). */
#define SCAN_ROWS 1000
#define SCAN_COST 1000.0
#define LOOKUP_COST 10.0
#define FILTER_COST 200.0
#define FILTER_KEY_ROWS 10

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
    jl_doc *doc;         /* opened from src: entry->doc for a file, else owned (jl_doc_free) */
    jl_cache_entry *entry; /* a file's doc, held in the connection's cache (doc_cache.h) */
    jl_doc_mark mark;    /* doc as opened: what a walk appended is undone per xFilter */
    jl_walk *walk;       /* owned, jl_walk_free */
    jl_walk_row row;     /* current row (its strings belong to walk) */
    uint32_t row_root;   /* the node the walk started at */
    uint64_t *pos;       /* key IN (...): the children's positions, ascending (owned) */
    int npos, ipos;      /* how many; the next one to seek */
    /* a look-up the walk cannot go straight to: rows are filtered here */
    int filter;          /* IDX_KEY, IDX_ID or IDX_FULLKEY, or 0 */
    sqlite3_value **fv;  /* the values a row may equal (owned copies) */
    int nfv;
    int last;            /* the row returned is the last that can match */
    uint64_t prune;      /* fullkey: skip rows deeper than this (UINT64_MAX: none) */
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
 * Also one look-up (argvIndex after src/root), from a table of preferences:
 * joblib_each goes straight to the child a key = ? / key IN (...), id = ?
 * or fullkey = ? names (one row instead of a scan, so a join runs from the
 * cheaper side); joblib_tree still walks (ids are walk order) but filters
 * in C and prunes subtrees a fullkey cannot be under, priced between. The
 * constraints are not omitted: the look-up may return a row SQLite's own
 * comparison (with column affinities) then rejects, never miss one it
 * would keep. */
typedef struct look_kind {
    int col, bit;
    const char *name;      /* idxStr: EXPLAIN QUERY PLAN shows "INDEX n:name" */
    double each_cost, tree_cost;
    sqlite3_int64 tree_rows; /* estimated rows in joblib_tree (each: 1) */
    int tree_unique;
} look_kind;

/* in order of preference when several are usable */
static const look_kind look_kinds[] = {
    { COL_KEY, IDX_KEY, "key", LOOKUP_COST, FILTER_COST, FILTER_KEY_ROWS, 0 },
    { COL_ID, IDX_ID, "id", LOOKUP_COST, FILTER_COST, 1, 1 },
    { COL_FULLKEY, IDX_FULLKEY, "fullkey", LOOKUP_COST, FILTER_COST / 2, 1, 1 },
};
#define N_LOOK_KINDS (int)(sizeof look_kinds / sizeof look_kinds[0])

static int each_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    each_vtab *t = (each_vtab *)vt;
    int at[2] = { -1, -1 }; /* constraint index for src, root */
    int look[N_LOOK_KINDS];
    int unusable = 0;
    for (int k = 0; k < N_LOOK_KINDS; k++) look[k] = -1;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];

        if (c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
        if (c->iColumn < COL_SRC) {
            for (int k = 0; k < N_LOOK_KINDS; k++)
                if (c->iColumn == look_kinds[k].col && c->usable && look[k] < 0) look[k] = i;
            continue;
        }
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
        /* src is used but has no constraint: joblib_tree(path) whose `path`
         * bound this table's own column (SQLite offers no constraint between
         * two columns of one virtual table). Name that column when it is
         * `path` or the only other column used. */
        sqlite3_uint64 used = info->colUsed;
        if (used & ((sqlite3_uint64)1 << COL_SRC)) {
            info->idxNum = IDX_SELF;
            sqlite3_uint64 other = used & ~((sqlite3_uint64)1 << COL_SRC);
            if (at[1] >= 0) other &= ~((sqlite3_uint64)1 << COL_ROOT); /* the root argument */
            int col = COL_SRC;
            if (other & ((sqlite3_uint64)1 << COL_PATH)) col = COL_PATH;
            else if (other && !(other & (other - 1)))
                for (col = 0; !(other & ((sqlite3_uint64)1 << col)); col++) {}
            info->idxStr = (char *)col_names[col];
        }
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
    for (int k = 0; k < N_LOOK_KINDS; k++) {
        if (look[k] < 0) continue;
        const look_kind *lk = &look_kinds[k];
        info->aConstraintUsage[look[k]].argvIndex = argc++;
        info->idxNum |= lk->bit;
        /* a whole IN list at once: its rows come in walk order */
        int in = sqlite3_vtab_in(info, look[k], 1);
        if (in) info->idxNum |= IDX_IN;
        info->idxStr = (char *)lk->name;
        info->estimatedCost = t->tree ? lk->tree_cost : lk->each_cost;
        info->estimatedRows = t->tree ? lk->tree_rows : 1;
        if (!in && (!t->tree || lk->tree_unique)) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
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
    for (int i = 0; i < c->nfv; i++) sqlite3_value_free(c->fv[i]);
    sqlite3_free(c->fv);
    c->fv = NULL;
    c->nfv = 0;
    c->filter = 0;
    c->last = 0;
    c->prune = UINT64_MAX;
    c->eof = 1;
}

static void cursor_drop_doc(each_cursor *c) {
    if (c->entry) jl_doc_cache_release(c->entry, 1);
    else jl_doc_free(c->doc);
    c->entry = NULL;
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

/* filter_row: what to do with the walk's current row */
enum { FILTER_SKIP, FILTER_KEEP, FILTER_STOP, FILTER_NOMEM };

static int filter_row(each_cursor *c);
static int row_strings(each_cursor *c);

static int each_next(sqlite3_vtab_cursor *cur) {
    each_cursor *c = (each_cursor *)cur;
    jl_error err;
    jl_error_clear(&err);
    if (!c->walk || c->last) {
        c->eof = 1;
        return SQLITE_OK;
    }
    for (;;) {
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
        if (c->eof || !c->filter) return SQLITE_OK;
        int f = filter_row(c);
        if (f == FILTER_NOMEM) return SQLITE_NOMEM;
        if (f == FILTER_STOP) {
            c->eof = 1;
            return SQLITE_OK;
        }
        if (f == FILTER_KEEP) return SQLITE_OK;
    }
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

/* 1 when v, as SQLite may compare it (TEXT, or a number through a
 * column's affinity; never a BLOB), can equal the text [p, p + n). */
static int text_eq(sqlite3_value *v, const char *p, size_t n) {
    int t = sqlite3_value_type(v);
    if (t == SQLITE_BLOB || t == SQLITE_NULL) return 0;
    const char *tv = (const char *)sqlite3_value_text(v);
    return tv && (size_t)sqlite3_value_bytes(v) == n && memcmp(tv, p, n) == 0;
}

/* The root's own path as the walk writes it into its children's fullkeys. */
static const char *root_path(const each_cursor *c, size_t *n) {
    if (!c->root) {
        *n = 1;
        return "$";
    }
    *n = (size_t)sqlite3_value_bytes(c->root);
    return (const char *)sqlite3_value_text(c->root);
}

/* The list index or array row a fullkey names as a child of the root
 * ("<root>[N]", the step jl_path_step_index writes): 1 and *pos, or 0. */
static int fullkey_index(const each_cursor *c, sqlite3_value *v, uint64_t *pos) {
    if (sqlite3_value_type(v) != SQLITE_TEXT) return 0;
    size_t rn, n = (size_t)sqlite3_value_bytes(v);
    const char *r = root_path(c, &rn), *s = (const char *)sqlite3_value_text(v);
    if (!r || !s || n < rn + 3 || memcmp(s, r, rn) != 0 || s[rn] != '[' || s[n - 1] != ']') return 0;
    const char *d = s + rn + 1, *e = s + n - 1;
    if (d == e || (*d == '0' && e - d > 1) || e - d > 19) return 0;
    uint64_t x = 0;
    for (; d < e; d++) {
        if (*d < '0' || *d > '9') return 0;
        x = x * 10 + (uint64_t)(*d - '0');
    }
    *pos = x;
    return 1;
}

/* The position among the root's children that a key, id or fullkey
 * look-up value names: 1 and *pos, 0 when it names none, -1 when it cannot
 * tell (the rows are filtered then). */
static int lookup_pos(each_cursor *c, int idxNum, sqlite3_value *v, uint64_t *pos) {
    int64_t n = jl_walk_positional(c->walk);
    if (n < 0) return -1;
    if (sqlite3_value_type(v) == SQLITE_NULL) return 0;
    sqlite3_int64 iv;
    int dict = c->doc->nodes[c->row_root].kind == JL_DICT;
    if (idxNum & IDX_ID) {
        if (!lookup_int(v, &iv) || iv < 1) return 0;
        *pos = (uint64_t)iv - 1;
        return 1;
    }
    if (idxNum & IDX_FULLKEY) return dict ? -1 : fullkey_index(c, v, pos);
    if (dict) return dict_lookup(c->doc, c->row_root, v, pos);
    if (!lookup_int(v, &iv) || iv < 0) return 0;
    *pos = (uint64_t)iv;
    return 1;
}

static int cmp_pos(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Keeps a copy of v for filter_row. */
static int filter_add(each_cursor *c, sqlite3_value *v) {
    sqlite3_value **p = sqlite3_realloc64(c->fv, (sqlite3_uint64)(c->nfv + 1) * sizeof *p);
    if (!p) return SQLITE_NOMEM;
    c->fv = p;
    if (!(c->fv[c->nfv] = sqlite3_value_dup(v))) return SQLITE_NOMEM;
    c->nfv++;
    return SQLITE_OK;
}

/* Filters the whole walk's rows in C by the look-up's value(s). */
static int set_filter(each_cursor *c, int idxNum, sqlite3_value *v) {
    c->npos = c->ipos = 0;
    c->filter = idxNum & IDX_LOOK;
    if (!(idxNum & IDX_IN)) return filter_add(c, v);
    sqlite3_value *x = NULL;
    int rc = sqlite3_vtab_in_first(v, &x);
    for (; rc == SQLITE_OK && x; rc = sqlite3_vtab_in_next(v, &x))
        if (filter_add(c, x) != SQLITE_OK) return SQLITE_NOMEM;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* 1 when the current row's key can equal v (a superset of SQLite's own
 * comparison, which still follows). */
static int key_matches(const each_cursor *c, sqlite3_value *v) {
    const jl_walk_row *r = &c->row;
    sqlite3_int64 iv;
    if (sqlite3_value_type(v) == SQLITE_NULL) return 0;
    if (r->key != JL_NONE) {
        const jl_node *kn = &c->doc->nodes[r->key];
        if (kn->kind == JL_STR)
            return text_eq(v, (const char *)c->doc->blocks[kn->block].p + kn->u.off, kn->len);
        if (kn->kind == JL_INT && !(kn->flags & JL_F_BIG)) return lookup_int(v, &iv) && iv == kn->u.i;
        return 1; /* other key types: SQLite compares */
    }
    if (r->attr) return text_eq(v, r->attr, strlen(r->attr));
    if (r->index >= 0) return lookup_int(v, &iv) && iv == r->index;
    return r->parent != UINT64_MAX; /* the root's key is NULL */
}

static int filter_row(each_cursor *c) {
    const jl_walk_row *r = &c->row;
    sqlite3_int64 iv;
    int keep = 0;
    if (c->filter == IDX_ID) {
        int beyond = 1; /* every id asked for is behind: no later row matches */
        for (int i = 0; i < c->nfv; i++) {
            if (!lookup_int(c->fv[i], &iv) || iv < 0) continue;
            if ((uint64_t)iv == r->id) keep = 1;
            if ((uint64_t)iv > r->id) beyond = 0;
        }
        if (keep && beyond) c->last = 1;
        return keep ? FILTER_KEEP : beyond ? FILTER_STOP : FILTER_SKIP;
    }
    if (c->filter == IDX_KEY) {
        for (int i = 0; i < c->nfv && !keep; i++) keep = key_matches(c, c->fv[i]);
        return keep ? FILTER_KEEP : FILTER_SKIP;
    }
    /* fullkey: rows below a node whose fullkey no value starts with are
     * skipped without building their strings */
    if (c->prune != UINT64_MAX) {
        if (r->depth > c->prune) return FILTER_SKIP;
        c->prune = UINT64_MAX;
    }
    if (row_strings(c)) return FILTER_NOMEM;
    size_t n = strlen(r->fullkey);
    int under = 0;
    for (int i = 0; i < c->nfv; i++) {
        sqlite3_value *v = c->fv[i];
        if (sqlite3_value_type(v) != SQLITE_TEXT) continue;
        const char *s = (const char *)sqlite3_value_text(v);
        size_t sn = (size_t)sqlite3_value_bytes(v);
        if (!s || sn < n || memcmp(s, r->fullkey, n) != 0) continue;
        if (sn == n) keep = 1;
        else if (s[n] == '.' || s[n] == '[') under = 1;
    }
    if (keep && c->nfv == 1) c->last = 1; /* fullkeys are unique */
    if (!keep && !under) c->prune = r->depth;
    return keep ? FILTER_KEEP : FILTER_SKIP;
}

/* Narrows the cursor's new walk to the children a look-up names: one
 * value, or (IDX_IN) all the values of an IN list, in walk order; or,
 * when it cannot go straight to them (joblib_tree, objects, dicts with
 * keys it does not compare), filters the rows in C. */
static int apply_lookup(each_cursor *c, int tree, int idxNum, sqlite3_value *v) {
    uint64_t pos = 0;
    if (tree) return set_filter(c, idxNum, v);
    if (!(idxNum & IDX_IN)) {
        int r = lookup_pos(c, idxNum, v, &pos);
        if (r < 0) return set_filter(c, idxNum, v);
        jl_walk_seek(c->walk, r ? pos : UINT64_MAX);
        return SQLITE_OK;
    }
    sqlite3_value *x = NULL;
    int n = 0, cap = 0;
    int rc = sqlite3_vtab_in_first(v, &x);
    for (; rc == SQLITE_OK && x; rc = sqlite3_vtab_in_next(v, &x)) {
        int r = lookup_pos(c, idxNum, x, &pos);
        if (r < 0) return set_filter(c, idxNum, v);
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
    each_cursor *c = (each_cursor *)cur;
    each_vtab *t = (each_vtab *)cur->pVtab;
    const char *fname = t->tree ? "joblib_tree" : "joblib_each";
    jl_error err;
    jl_error_clear(&err);
    cursor_reset(c);
    if (idxNum & IDX_SELF) {
        const char *col = idxStr ? idxStr : "src";
        char *m = sqlite3_mprintf("%s(%s): the argument named the column `%s` of %s itself, "
                                  "not of an outer table; qualify it, e.g. %s(t.%s)",
                                  fname, col, col, fname, fname, col);
        int rc = m ? set_errorf(c, m) : SQLITE_NOMEM;
        sqlite3_free(m);
        return rc;
    }
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
        /* a file through the connection's cache, held for the cursor's
         * marks; a BLOB's copy lives as long as the doc, which borrows it */
        const char *file = st == SQLITE_TEXT ? (const char *)sqlite3_value_text(c->src) : NULL;
        int rc = file && *file && (size_t)sqlite3_value_bytes(c->src) == strlen(file)
                     ? jl_doc_cache_open(t->ext, file, 1, &c->entry, &err)
                     : jl_ext_open_value(t->ext, c->src, 1, &c->doc, &err);
        if (rc == JL_OK && c->entry) c->doc = c->entry->doc;
        if (rc != JL_OK) {
            c->entry = NULL;
            c->doc = NULL;
            int erc = set_error(c, &err, NULL);
            cursor_drop_doc(c);
            return erc;
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
    if (!t->tree && jl_frame_kind(c->doc, node) && jl_frame_columns(c->doc, node, path, plen, &node, &err) != JL_OK)
        return set_error(c, &err, path);
    if (jl_walk_start(c->doc, node, path, t->tree, &c->walk, &err) != JL_OK) {
        c->walk = NULL;
        return set_error(c, &err, path);
    }
    c->row_root = node;
    if ((idxNum & IDX_LOOK) && argc > 0) {
        int rc = apply_lookup(c, t->tree, idxNum, argv[argc - 1]);
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
                if (row_strings(c)) jl_ext_result_nomem(ctx, "naming the row");
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
        if (row_strings(c)) jl_ext_result_nomem(ctx, "naming the row");
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
