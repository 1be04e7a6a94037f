/*
 * files_vtab.c - joblib_files: a folder of bundles as a table, one row per
 * file, with what joblib_info says about each (README "Reading").
 *
 *   joblib_files(dir [, pattern [, recursive]])
 *
 *   SELECT path, class FROM joblib_files('models', '*.joblib');
 *   SELECT path, error FROM joblib_files('models', NULL, 1) WHERE error IS NOT NULL;
 *
 * An eponymous virtual table with this schema:
 *
 *   CREATE TABLE x(
 *     path,        -- dir joined with the file's path below it ('models/a.pkl')
 *     size,        -- bytes on disk (stat)
 *     mtime,       -- modification time, Unix seconds (stat)
 *     format,      -- joblib_info's format, compression, protocol
 *     compression,
 *     protocol,
 *     class,       -- the root's class ('sklearn.svm._classes.SVC'), NULL when
 *                  -- the root has none (a dict, a list)
 *     type,        -- the root's type ('object', 'dict', 'ndarray', ...)
 *     nodes,       -- joblib_info's nodes
 *     arrays,      -- the number of joblib_info's arrays
 *     error,       -- NULL, or the joblib: message for a file that cannot be
 *                  -- read as a bundle (the other file columns are NULL then)
 *     dir HIDDEN, pattern HIDDEN, recursive HIDDEN);
 *
 * Listing: the regular files of dir (symlinks to files followed), whose name
 * matches `pattern` (fnmatch(3) on the name, no flags; NULL = every file),
 * and with recursive = 1 those of every subdirectory (symlinked directories
 * are not entered, so a link cycle cannot loop); rows sorted by path in
 * byte order. A dir that cannot be opened is a SQL error; a subdirectory
 * that cannot be opened, or a matching name that cannot be stat'ed, is a
 * row whose error says why, so one bad entry does not stop the scan.
 *
 * Reading: each file is opened when one of its bundle columns (format ...
 * error) is first asked for, with the connection's limits, as joblib_info
 * opens it: the pickle is decoded, array data is not converted (an
 * uncompressed file is mapped and its array bytes never touched; a
 * compressed one is inflated). The doc is freed before the next row; path,
 * size and mtime need no opening at all.
 *
 * Risk: it reads files, like joblib_each: neither DIRECTONLY nor INNOCUOUS.
 */
#include "ext.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode.h"
#include "render.h"
#include "walk.h"
#include "container.h" /* jl_compression_name */

#define FILES_SCHEMA                                                                    \
    "CREATE TABLE x(path,size,mtime,format,compression,protocol,class,type,nodes,arrays," \
    "error,dir HIDDEN,pattern HIDDEN,recursive HIDDEN)"
enum {
    COL_PATH, COL_SIZE, COL_MTIME, COL_FORMAT, COL_COMPRESSION, COL_PROTOCOL, COL_CLASS,
    COL_TYPE, COL_NODES, COL_ARRAYS, COL_ERROR, COL_DIR, COL_PATTERN, COL_RECURSIVE
};
#define N_ARGS 3 /* dir, pattern, recursive */

typedef struct files_vtab {
    sqlite3_vtab base;
    jl_ext *ext; /* connection settings (not owned) */
} files_vtab;

/* One listed entry. `error` is set for entries that failed at listing
 * (an unreadable subdirectory, a name that cannot be stat'ed). */
typedef struct files_entry {
    char *path;  /* sqlite3_malloc'd */
    char *error; /* sqlite3_malloc'd or NULL */
    sqlite3_int64 size, mtime;
} files_entry;

/* What opening one file gave (filled once per row, on demand). */
typedef struct files_info {
    int done;                 /* 1 once the file was opened (or failed) */
    const char *format;       /* static strings */
    const char *compression;
    const char *type;
    int protocol;
    char *cls;                /* sqlite3_malloc'd or NULL */
    sqlite3_int64 nodes, arrays;
    char *error;              /* sqlite3_malloc'd or NULL */
} files_info;

typedef struct files_cursor {
    sqlite3_vtab_cursor base;
    files_entry *e;
    sqlite3_int64 n, cap, i;
    files_info info;         /* of row i */
    sqlite3_value *args[N_ARGS]; /* copies for the hidden columns (owned) */
} files_cursor;

static const char *const format_names[] = {
    [JL_FMT_PICKLE] = "pickle", [JL_FMT_JOBLIB] = "joblib", [JL_FMT_LEGACY] = "joblib-legacy",
    [JL_FMT_ZF] = "joblib-zf",  [JL_FMT_NPY] = "npy",       [JL_FMT_NPZ] = "npz",
};

/* ---- connecting and planning ------------------------------------------------ */

static int files_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **pzErr) {
    (void)argc, (void)argv, (void)pzErr;
    int rc = sqlite3_declare_vtab(db, FILES_SCHEMA);
    if (rc != SQLITE_OK) return rc;
    files_vtab *t = sqlite3_malloc(sizeof *t);
    if (!t) return SQLITE_NOMEM;
    memset(t, 0, sizeof *t);
    t->ext = aux;
    *out = &t->base;
    return SQLITE_OK;
}

static int files_disconnect(sqlite3_vtab *vt) {
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* Takes equality constraints on dir, pattern and recursive as arguments
 * (idxNum bit k set when argument k is given, in that order in argv).
 * SQLITE_CONSTRAINT when one exists but is unusable in this plan. */
static int files_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    (void)vt;
    int at[N_ARGS] = { -1, -1, -1 };
    int unusable = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->op != SQLITE_INDEX_CONSTRAINT_EQ || c->iColumn < COL_DIR) continue;
        int which = c->iColumn - COL_DIR;
        if (!c->usable) unusable |= 1 << which;
        else if (at[which] < 0) at[which] = i;
    }
    for (int which = 0; which < N_ARGS; which++)
        if ((unusable & (1 << which)) && at[which] < 0) return SQLITE_CONSTRAINT;
    int argc = 1;
    info->idxNum = 0;
    for (int which = 0; which < N_ARGS; which++) {
        if (at[which] < 0) continue;
        info->aConstraintUsage[at[which]].argvIndex = argc++;
        info->aConstraintUsage[at[which]].omit = 1;
        info->idxNum |= 1 << which;
    }
    info->estimatedCost = at[0] < 0 ? 1e99 : 1e6; /* each row may open a file */
    info->estimatedRows = 100;
    return SQLITE_OK;
}

/* ---- cursor ------------------------------------------------------------------ */

static int files_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    (void)vt;
    files_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static void info_clear(files_info *f) {
    sqlite3_free(f->cls);
    sqlite3_free(f->error);
    memset(f, 0, sizeof *f);
}

static void cursor_clear(files_cursor *c) {
    for (sqlite3_int64 i = 0; i < c->n; i++) {
        sqlite3_free(c->e[i].path);
        sqlite3_free(c->e[i].error);
    }
    sqlite3_free(c->e);
    c->e = NULL;
    c->n = c->cap = c->i = 0;
    info_clear(&c->info);
    for (int k = 0; k < N_ARGS; k++) {
        sqlite3_value_free(c->args[k]);
        c->args[k] = NULL;
    }
}

static int files_close(sqlite3_vtab_cursor *cur) {
    files_cursor *c = (files_cursor *)cur;
    cursor_clear(c);
    sqlite3_free(c);
    return SQLITE_OK;
}

/* "joblib: <m>" as the table's error; m is freed. */
static int set_error(files_cursor *c, char *m) {
    sqlite3_vtab *vt = c->base.pVtab;
    if (!m) return SQLITE_NOMEM;
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = jl_ext_msg_utf8(sqlite3_mprintf("joblib: %s", m));
    sqlite3_free(m);
    return vt->zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Appends an entry (path taken); error NULL or taken. */
static int add_entry(files_cursor *c, char *path, char *error, const struct stat *st) {
    if (!path) {
        sqlite3_free(error);
        return SQLITE_NOMEM;
    }
    if (c->n == c->cap) {
        sqlite3_int64 cap = c->cap ? c->cap * 2 : 16;
        files_entry *e = sqlite3_realloc64(c->e, (sqlite3_uint64)cap * sizeof *e);
        if (!e) {
            sqlite3_free(path);
            sqlite3_free(error);
            return SQLITE_NOMEM;
        }
        c->e = e;
        c->cap = cap;
    }
    files_entry *e = &c->e[c->n++];
    e->path = path;
    e->error = error;
    e->size = st ? (sqlite3_int64)st->st_size : 0;
    e->mtime = st ? (sqlite3_int64)st->st_mtime : 0;
    return SQLITE_OK;
}

/* dir joined with name, without doubling a trailing '/'. */
static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir);
    return sqlite3_mprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* Lists directory `dir` into c: matching files as
 * entries, subdirectories (when recursive) appended to *todo. Returns
 * SQLITE_OK, SQLITE_NOMEM, or -1 with errno set when dir cannot be opened. */
static int list_dir(files_cursor *c, const char *dir, const char *pattern, int recursive,
                    char ***todo, sqlite3_int64 *ntodo, sqlite3_int64 *captodo) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int rc = SQLITE_OK;
    struct dirent *de;
    while (rc == SQLITE_OK && (errno = 0, de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        char *p = join(dir, name);
        if (!p) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct stat st;
        int matches = !pattern || fnmatch(pattern, name, 0) == 0;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!recursive) {
                sqlite3_free(p);
                continue;
            }
            if (*ntodo == *captodo) {
                sqlite3_int64 cap = *captodo ? *captodo * 2 : 8;
                char **t = sqlite3_realloc64(*todo, (sqlite3_uint64)cap * sizeof *t);
                if (!t) {
                    sqlite3_free(p);
                    rc = SQLITE_NOMEM;
                    break;
                }
                *todo = t;
                *captodo = cap;
            }
            (*todo)[(*ntodo)++] = p;
            continue;
        }
        if (!matches) {
            sqlite3_free(p);
            continue;
        }
        if (stat(p, &st) != 0) {
            /* a dangling link, or a name that vanished */
            rc = add_entry(c, p, sqlite3_mprintf("joblib: cannot stat '%s': %s", p, strerror(errno)),
                           NULL);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_entry(c, p, NULL, &st);
        } else {
            sqlite3_free(p); /* a link to a directory, a fifo, a socket, a device */
        }
    }
    closedir(d);
    return rc;
}

static int entry_cmp(const void *a, const void *b) {
    return strcmp(((const files_entry *)a)->path, ((const files_entry *)b)->path);
}

static int files_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                        sqlite3_value **argv) {
    (void)idxStr;
    files_cursor *c = (files_cursor *)cur;
    cursor_clear(c);
    sqlite3_value *arg[N_ARGS] = { NULL, NULL, NULL };
    for (int k = 0, j = 0; k < N_ARGS; k++)
        if (idxNum & (1 << k) && j < argc) arg[k] = argv[j++];
    for (int k = 0; k < N_ARGS; k++)
        if (arg[k] && !(c->args[k] = sqlite3_value_dup(arg[k]))) return SQLITE_NOMEM;
    if (!arg[0])
        return set_error(c, sqlite3_mprintf("joblib_files() needs a dir argument: "
                                            "joblib_files(dir [, pattern [, recursive]])"));
    if (sqlite3_value_type(arg[0]) == SQLITE_NULL) return SQLITE_OK;
    if (sqlite3_value_type(arg[0]) != SQLITE_TEXT)
        return set_error(c, sqlite3_mprintf("joblib_files(): argument 1 (dir) must be TEXT, not %s",
                                            jl_ext_type_name(arg[0])));
    const char *pattern = NULL;
    if (arg[1] && sqlite3_value_type(arg[1]) != SQLITE_NULL) {
        if (sqlite3_value_type(arg[1]) != SQLITE_TEXT)
            return set_error(c, sqlite3_mprintf("joblib_files(): argument 2 (pattern) must be TEXT "
                                                "such as '*.joblib', not %s",
                                                jl_ext_type_name(arg[1])));
        pattern = (const char *)sqlite3_value_text(arg[1]);
        if (!pattern) return SQLITE_NOMEM;
    }
    int recursive = 0;
    if (arg[2] && sqlite3_value_type(arg[2]) != SQLITE_NULL) {
        sqlite3_int64 r = sqlite3_value_int64(arg[2]);
        if (sqlite3_value_type(arg[2]) != SQLITE_INTEGER || (r != 0 && r != 1)) {
            char *what = sqlite3_value_type(arg[2]) == SQLITE_INTEGER ? sqlite3_mprintf("%lld", r)
                         : sqlite3_mprintf("%s", jl_ext_type_name(arg[2]));
            if (!what) return SQLITE_NOMEM;
            int rc = set_error(c, sqlite3_mprintf("joblib_files(): argument 3 (recursive) must be "
                                                  "0 or 1, not %s", what));
            sqlite3_free(what);
            return rc;
        }
        recursive = (int)r;
    }
    const char *dir = (const char *)sqlite3_value_text(arg[0]);
    if (!dir) return SQLITE_NOMEM;
    if (!*dir) return set_error(c, sqlite3_mprintf("joblib_files(): argument 1 (dir) is empty"));

    /* directories still to list, the first being dir itself (an error there
     * is the statement's error, below it a row's) */
    char **todo = NULL;
    sqlite3_int64 ntodo = 0, captodo = 0, next = 0;
    int rc = list_dir(c, dir, pattern, recursive, &todo, &ntodo, &captodo);
    if (rc < 0) {
        rc = set_error(c, sqlite3_mprintf("cannot open directory '%s': %s", dir, strerror(errno)));
    }
    while (rc == SQLITE_OK && next < ntodo) {
        char *sub = todo[next];
        todo[next++] = NULL;
        rc = list_dir(c, sub, pattern, recursive, &todo, &ntodo, &captodo);
        if (rc < 0) {
            char *m = sqlite3_mprintf("joblib: cannot open directory '%s': %s", sub, strerror(errno));
            rc = add_entry(c, sub, m, NULL);
        } else {
            sqlite3_free(sub);
        }
    }
    for (sqlite3_int64 k = next; k < ntodo; k++) sqlite3_free(todo[k]);
    sqlite3_free(todo);
    if (rc != SQLITE_OK) return rc;
    if (c->n > 1) qsort(c->e, (size_t)c->n, sizeof *c->e, entry_cmp);
    return SQLITE_OK;
}

static int files_next(sqlite3_vtab_cursor *cur) {
    files_cursor *c = (files_cursor *)cur;
    info_clear(&c->info);
    c->i++;
    return SQLITE_OK;
}

static int files_eof(sqlite3_vtab_cursor *cur) {
    files_cursor *c = (files_cursor *)cur;
    return c->i >= c->n;
}

static int files_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = ((files_cursor *)cur)->i;
    return SQLITE_OK;
}

/* The number of arrays joblib_info lists: ndarray rows of a tree walk,
 * without the rows of N-D object arrays (views the walk makes). */
static int count_arrays(jl_doc *doc, sqlite3_int64 *out, jl_error *err) {
    jl_walk *w = NULL;
    jl_walk_row row;
    int rc;
    *out = 0;
    if (doc->root == JL_NONE) return JL_OK;
    if (jl_walk_start(doc, doc->root, "$", 1, &w, err) != JL_OK) return err->code;
    while ((rc = jl_walk_next(w, &row, err)) == 1)
        if (!row.is_ref && !row.view && jl_node_at(doc, row.node)->kind == JL_NDARRAY) (*out)++;
    jl_walk_free(w);
    return rc < 0 ? err->code : JL_OK;
}

/* Opens row i's file and fills c->info; SQLITE_NOMEM or SQLITE_OK (a file
 * that cannot be read is an info.error, not a failure). */
static int load_info(files_cursor *c) {
    files_info *f = &c->info;
    const files_entry *e = &c->e[c->i];
    if (f->done) return SQLITE_OK;
    f->done = 1;
    if (e->error) return SQLITE_OK;
    const files_vtab *t = (const files_vtab *)c->base.pVtab;
    jl_open_opts o = { jl_ext_alloc(), &t->ext->limits };
    jl_doc *doc = NULL;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_open_file(e->path, &o, &doc, &err);
    if (rc == JL_OK) {
        f->format = doc->format < sizeof format_names / sizeof format_names[0]
                        ? format_names[doc->format] : "unknown";
        f->compression = jl_compression_name((jl_compression)doc->compression);
        f->protocol = doc->protocol;
        f->nodes = (sqlite3_int64)doc->nnodes;
        if (doc->root != JL_NONE) {
            f->type = jl_kind_name(jl_node_at(doc, doc->root)->kind);
            jl_buf b;
            jl_buf_init(&b, jl_ext_alloc(), 0);
            if (jl_render_class(doc, doc->root, &b) && !b.failed) {
                jl_buf_putc(&b, '\0');
                f->cls = b.failed ? NULL : (char *)b.p;
                if (!f->cls) jl_buf_free(&b);
            } else {
                jl_buf_free(&b);
            }
        }
        rc = count_arrays(doc, &f->arrays, &err);
    }
    jl_doc_free(doc);
    if (rc == JL_E_NOMEM) return SQLITE_NOMEM;
    if (rc != JL_OK) {
        sqlite3_free(f->cls);
        f->cls = NULL;
        f->format = f->compression = f->type = NULL;
        f->error = jl_ext_errmsg(&err, e->path, NULL);
        if (!f->error) return SQLITE_NOMEM;
    }
    return SQLITE_OK;
}

static void result_text(sqlite3_context *ctx, const char *s) {
    if (s) sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
}

static int files_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    files_cursor *c = (files_cursor *)cur;
    if (col >= COL_DIR) {
        if (c->args[col - COL_DIR]) sqlite3_result_value(ctx, c->args[col - COL_DIR]);
        return SQLITE_OK;
    }
    if (c->i >= c->n) return SQLITE_OK;
    const files_entry *e = &c->e[c->i];
    switch (col) {
    case COL_PATH:
        result_text(ctx, e->path);
        return SQLITE_OK;
    case COL_SIZE:
    case COL_MTIME:
        if (!e->error) sqlite3_result_int64(ctx, col == COL_SIZE ? e->size : e->mtime);
        return SQLITE_OK;
    default:
        break;
    }
    if (load_info(c) != SQLITE_OK) return SQLITE_NOMEM;
    const files_info *f = &c->info;
    if (col == COL_ERROR) {
        result_text(ctx, e->error ? e->error : f->error);
        return SQLITE_OK;
    }
    if (e->error || f->error) return SQLITE_OK;
    switch (col) {
    case COL_FORMAT: result_text(ctx, f->format); break;
    case COL_COMPRESSION: result_text(ctx, f->compression); break;
    case COL_PROTOCOL: sqlite3_result_int(ctx, f->protocol); break;
    case COL_CLASS: result_text(ctx, f->cls); break;
    case COL_TYPE: result_text(ctx, f->type); break;
    case COL_NODES: sqlite3_result_int64(ctx, f->nodes); break;
    case COL_ARRAYS: sqlite3_result_int64(ctx, f->arrays); break;
    default: break;
    }
    return SQLITE_OK;
}

static const sqlite3_module files_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only, like joblib_each */
    .xConnect = files_connect,
    .xBestIndex = files_best_index,
    .xDisconnect = files_disconnect,
    .xDestroy = NULL,
    .xOpen = files_open,
    .xClose = files_close,
    .xFilter = files_filter,
    .xNext = files_next,
    .xEof = files_eof,
    .xColumn = files_column,
    .xRowid = files_rowid,
};

const jl_sql_module jl_files_modules[] = {
    { "joblib_files", &files_module },
    { NULL, NULL },
};
