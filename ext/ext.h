/*
 * ext.h - declarations shared by the files of ext/, the SQLite glue over
 * the codec: the per-connection settings (jl_ext), the registration table
 * types, opening a `src` argument into a cached jl_doc, turning nodes into
 * SQL values, and reporting codec errors as "joblib: ..." SQL errors.
 *
 * SQLite version: written against 3.40.1 (no SQLITE_RESULT_SUBTYPE, no
 * JSONB); what newer versions add is defined below as a harmless fallback.
 *
 * Exactly one file (joblib.c) says SQLITE_EXTENSION_INIT1; every other
 * ext/ file includes this header, which says SQLITE_EXTENSION_INIT3. With
 * SQLITE_CORE defined (the static library) both are empty and the sqlite3_*
 * calls go straight to the linked SQLite.
 */
#ifndef JL_EXT_H
#define JL_EXT_H

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include "base.h"
#include "text.h" /* jl_json_string, jl_utf8_valid */
#include "value.h"

/* ---- what SQLite 3.40.1 lacks ------------------------------------------- */

/* Newer SQLite (3.45+) wants functions that call sqlite3_result_subtype()
 * to say so. 3.40 masks unknown flag bits away in sqlite3_create_function,
 * so passing the real bit value is harmless there and correct later. */
#ifndef SQLITE_RESULT_SUBTYPE
#define SQLITE_RESULT_SUBTYPE 0x001000000
#endif
#ifndef SQLITE_SUBTYPE
#define SQLITE_SUBTYPE 0x000100000
#endif
#ifndef SQLITE_INNOCUOUS
#define SQLITE_INNOCUOUS 0x000200000
#endif
#ifndef SQLITE_DIRECTONLY
#define SQLITE_DIRECTONLY 0x000080000
#endif

/* The subtype SQLite's JSON functions put on (and look for in) JSON text:
 * 'J'. Results carrying it are taken as JSON by json_*(). */
#define JL_JSON_SUBTYPE 74

/* Risk classes of registered functions (README "Security and limits"):
 *  - JL_FN_FILE_READER: reads a file when src is TEXT. Neither DIRECTONLY
 *    (an ordinary database may keep views over its stored bundles) nor
 *    INNOCUOUS (PRAGMA trusted_schema=OFF must keep an untrusted schema
 *    from reading files). Not DETERMINISTIC: the file can change between
 *    statements.
 *  - JL_FN_PURE: depends only on its arguments, touches nothing outside.
 *  - JL_FN_WRITER: writes files or runs SQL text: never from a schema. */
#define JL_FN_FILE_READER (SQLITE_UTF8)
#define JL_FN_PURE (SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC)
#define JL_FN_WRITER (SQLITE_UTF8 | SQLITE_DIRECTONLY)

/* ---- per-connection settings ------------------------------------------- */

/* The user data of every function and module registered on a connection.
 * Allocated with sqlite3_malloc64 by jl_ext_new; every registration holds
 * one reference (taken before the sqlite3_create_* call, dropped by its
 * xDestroy, which SQLite also calls when the registration fails), so the
 * struct lives as long as any joblib function or module does. */
typedef struct jl_ext {
    jl_limits limits; /* joblib_config(): limits for every doc opened from now on */
    int refs;         /* registrations holding this struct, and cache entries in use */
    struct jl_doc_cache *cache; /* opened files across statements (doc_cache.h); owned */
} jl_ext;

jl_ext *jl_ext_new(void);        /* refs = 1 (the caller's); NULL on OOM */
void jl_ext_ref(jl_ext *e);
void jl_ext_unref(void *e);      /* the xDestroy of every registration */

/* SQLite's allocator as a jl_alloc: buffers the codec builds with it can
 * be handed to sqlite3_result_*(..., sqlite3_free) without a copy. */
const jl_alloc *jl_ext_alloc(void);
/* 1 when `a` is jl_ext_alloc()'s allocator (its buffers are sqlite3_free-able). */
int jl_ext_is_sqlite_alloc(const jl_alloc *a);

/* ---- registration tables ------------------------------------------------ */

typedef void (*jl_sql_fn)(sqlite3_context *, int, sqlite3_value **);

/* One row of a function table; a table ends with a row whose name is NULL.
 * xFunc for scalar functions, xStep + xFinal for aggregates. */
typedef struct jl_sql_func {
    const char *name;
    int nArg;        /* -1 = any number */
    int flags;       /* JL_FN_* | SQLITE_RESULT_SUBTYPE ... */
    jl_sql_fn xFunc;
    jl_sql_fn xStep;
    void (*xFinal)(sqlite3_context *);
} jl_sql_func;

typedef struct jl_sql_module {
    const char *name;
    const sqlite3_module *module;
} jl_sql_module;

/* Tables of the read surface (read_funcs.c, each_tree.c). */
extern const jl_sql_func jl_read_funcs[];
extern const jl_sql_module jl_read_modules[];
/* joblib_show and joblib_version (show_funcs.c; the text rendering itself
 * is codec/tree/show.h). */
extern const jl_sql_func jl_show_funcs[];

/* ---- errors ------------------------------------------------------------- */

/* Every message ext gives SQLite passes here: m (from sqlite3_mprintf,
 * taken) with each byte that is not part of well-formed UTF-8 written as
 * \xHH (a file name, a path or a codec message quoting input bytes), so
 * that clients decoding messages as UTF-8 (Python's sqlite3) get the
 * error, not a decoding failure. Returns m itself when it is UTF-8; NULL
 * on OOM or when m is NULL. */
char *jl_ext_msg_utf8(char *m);

/* The one message for a codec error: "joblib: <message> (file 'f', byte N,
 * path '$.p')" with each part present only when known (file NULL for a
 * BLOB src, offset JL_NO_OFFSET, path NULL). Returned from sqlite3_mprintf
 * (free with sqlite3_free); NULL on OOM. */
char *jl_ext_errmsg(const jl_error *err, const char *file, const char *path);
/* Sets that message as the result error. A JL_LIMIT message that names a
 * limit gets ": raise it with joblib_config('max_alloc', N)"; a JL_E_NOMEM
 * one the size of the request SQLite's allocator last refused on this
 * thread (": a request for 1.0 GiB failed"). Never a bare SQLITE_NOMEM
 * unless even a fixed message cannot be copied. */
void jl_ext_result_error(sqlite3_context *ctx, const jl_error *err, const char *file,
                         const char *path);
/* "joblib: out of memory <what>" (with the refused size when known) as the
 * result error: what every ext/ function says instead of
 * sqlite3_result_error_nomem. */
void jl_ext_result_nomem(sqlite3_context *ctx, const char *what);
/* The size of the request jl_ext_alloc() last refused on this thread, 0
 * when none; reading clears it. */
uint64_t jl_ext_failed_request(void);
/* n bytes for messages: "100 bytes", "512 MiB", "1.5 GiB" (binary units,
 * one decimal unless whole). Returns out. */
char *jl_ext_size_text(uint64_t n, char out[32]);
/* "joblib: <fmt...>" as the result error. */
void jl_ext_result_errorf(sqlite3_context *ctx, const char *fmt, ...) JL_PRINTF(2, 3);

/* The name of a SQL value's type for error messages: "INTEGER", "REAL",
 * "TEXT", "BLOB", "NULL". */
const char *jl_ext_type_name(sqlite3_value *v);

/* ---- opening a src ------------------------------------------------------ */

/* Opens src value v: TEXT = a file path (jl_open_file), BLOB = the bytes of
 * a bundle (jl_open_memory; borrowed when `borrow`, else copied). Any other
 * type is JL_E_ARG. The doc uses SQLite's allocator and ext's limits. */
int jl_ext_open_value(const jl_ext *ext, sqlite3_value *v, int borrow, jl_doc **out,
                      jl_error *err);

/* Counts of a doc's plain tables, to undo what resolving paths and walking
 * array rows appended (view nodes, native dtypes) once a cached doc is done
 * with for this row. Only these counts are restored; kids (a run may have
 * grown in place), files (own their names) and blocks (own heap bytes)
 * stay until the doc is freed. */
typedef struct jl_doc_mark {
    uint64_t nnodes, narrays, nobjects, nglobals, ndtypes, nfields, ndims;
} jl_doc_mark;
void jl_doc_mark_get(const jl_doc *doc, jl_doc_mark *m);
void jl_doc_rollback(jl_doc *doc, const jl_doc_mark *m);

/* One scalar-function call over a src argument, with the doc cached per
 * statement through sqlite3_get/set_auxdata on that argument (so a
 * function called once per row with a constant src parses once), and a
 * file's doc across statements in the connection's cache (doc_cache.h). */
typedef struct jl_ext_call {
    sqlite3_context *ctx;
    int argi;           /* index of the src argument */
    jl_doc *doc;        /* the opened doc (cached or fresh): entry->doc */
    struct jl_cache_entry *entry; /* the doc_cache.h entry holding doc, one reference */
    int cached;         /* 1 when entry came from sqlite3_get_auxdata */
    jl_doc_mark mark;   /* doc's counts when the call began */
    const char *file;   /* src path when TEXT (valid during the call), else NULL */
} jl_ext_call;

/* Begins a call: returns 1 with c->doc ready, or 0 when the result is
 * already set (NULL for a NULL src, an error naming `fname` and the argument
 * for a wrong type, or the open error). */
int jl_ext_begin(sqlite3_context *ctx, sqlite3_value **argv, int argi, const char *fname,
                 jl_ext_call *c);
/* Ends a call: undoes what the call appended to the doc and hands its cache
 * entry to sqlite3_set_auxdata (which may release it at once). Call after the result is
 * set; the doc must not be used afterwards. */
void jl_ext_end(jl_ext_call *c);

/* ---- SQL values of nodes (README "Paths, types and values") ------------ */

/* Sets node `id` as the result: NULL/INTEGER/REAL/TEXT/BLOB, big ints as
 * TEXT digits, fixed-size ndarrays as native C-order BLOBs, everything else
 * JSON text with the JSON subtype. Never keeps a pointer into the doc (the
 * doc may be freed before SQLite reads the value). Returns JL_OK or an
 * error for the caller to report. */
int jl_ext_result_node(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err);

/* Sets err to "<what> is longer than max_alloc (N): raise it ..." or
 * "... than SQLITE_LIMIT_LENGTH (N)", whichever bounds results of this
 * call (jl_ext_max_result); returns JL_E_LIMIT. */
int jl_ext_too_long(sqlite3_context *ctx, const jl_doc *doc, const char *what, jl_error *err);

/* Sets node `id` rendered as JSON (with the JSON subtype). */
int jl_ext_result_json(sqlite3_context *ctx, const jl_doc *doc, uint32_t id, jl_error *err);

/* Hands b's bytes to SQLite as TEXT (with the JSON subtype when `json`).
 * b must use jl_ext_alloc(); it is left empty. Reports b->failed itself. */
void jl_ext_result_buf(sqlite3_context *ctx, jl_buf *b, int json);

/* Hands `owned` (n bytes allocated with `a`) to SQLite as a BLOB: without
 * a copy when `a` is SQLite's allocator; owned is freed either way. */
void jl_ext_result_owned_blob(sqlite3_context *ctx, const jl_alloc *a, uint8_t *owned, uint64_t n);

/* The largest text/blob a result may have: min(SQLITE_LIMIT_LENGTH,
 * max_alloc); use as the jl_buf max for results. */
uint64_t jl_ext_max_result(sqlite3_context *ctx, const jl_doc *doc);

/* numpy descr of dtype `dt` in native byte order (the SQL value's layout):
 * "<f8", "|O", or a JSON list for structured dtypes. */
int jl_ext_native_descr(jl_doc *doc, uint32_t dt, jl_buf *b, jl_error *err);

#endif
