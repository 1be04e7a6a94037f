/*
 * source_open.c - from a `src` argument to a jl_doc, and from a codec error to a
 * SQL error.
 *
 *   src TEXT  -> a file path, opened with jl_open_file (mmap'd when
 *                uncompressed; legacy sidecars from the same directory)
 *   src BLOB  -> the bytes of a bundle, opened with jl_open_memory (a
 *                bundle that needs sidecar files fails: no directory)
 *   src NULL  -> the function returns NULL
 *   other     -> an error naming the function and the argument
 *
 * Scalar functions go through jl_ext_begin / jl_ext_end, which keep the
 * doc's cache entry with sqlite3_get_auxdata / sqlite3_set_auxdata on the
 * src argument: when src is a constant (a literal or a bound parameter), a
 * function called once per row finds it without a lookup. A file's doc
 * comes from the connection's cache (doc_cache.h), so the next statement
 * reading the same unchanged file does not open it again.
 * A BLOB src is copied into the doc rather than borrowed, because the doc
 * can outlive the sqlite3_value it came from.
 *
 * Also here: the per-connection settings struct (jl_ext) and SQLite's
 * allocator as a jl_alloc.
 */
#include "ext.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "doc_cache.h"

/* ---- SQLite's allocator --------------------------------------------------- */

/* The size of the last request SQLite's allocator refused on this thread,
 * 0 when none since it was last read: a message for JL_E_NOMEM can then say
 * how much was asked for (jl_ext_errmsg). Per thread because a connection
 * may be used from any thread; a read-and-clear value, not error state the
 * codec sees. */
static _Thread_local uint64_t failed_request;

static void *sq_malloc(void *ctx, size_t n) {
    (void)ctx;
    void *p = sqlite3_malloc64((sqlite3_uint64)n);
    if (!p) failed_request = n;
    return p;
}
static void *sq_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    void *q = sqlite3_realloc64(p, (sqlite3_uint64)n);
    if (!q) failed_request = n;
    return q;
}

uint64_t jl_ext_failed_request(void) {
    uint64_t n = failed_request;
    failed_request = 0;
    return n;
}
static void sq_free(void *ctx, void *p) {
    (void)ctx;
    sqlite3_free(p);
}

static const jl_alloc sqlite_alloc = { sq_malloc, sq_realloc, sq_free, NULL };

const jl_alloc *jl_ext_alloc(void) { return &sqlite_alloc; }

int jl_ext_is_sqlite_alloc(const jl_alloc *a) {
    return a->malloc == sq_malloc && a->realloc == sq_realloc && a->free == sq_free;
}

/* ---- per-connection settings ---------------------------------------------- */

jl_ext *jl_ext_new(void) {
    jl_ext *e = sqlite3_malloc64(sizeof *e);
    jl_doc_cache *c = sqlite3_malloc64(sizeof *c);
    if (!e || !c) {
        sqlite3_free(e);
        sqlite3_free(c);
        return NULL;
    }
    jl_limits_default(&e->limits);
    jl_doc_cache_init(c);
    e->cache = c;
    e->refs = 1;
    return e;
}

void jl_ext_ref(jl_ext *e) { e->refs++; }

void jl_ext_unref(void *p) {
    jl_ext *e = p;
    if (e && --e->refs == 0) {
        /* no registration is left and no entry is in use: the connection
         * is closing */
        jl_doc_cache_free(e->cache);
        sqlite3_free(e->cache);
        sqlite3_free(e);
    }
}

/* ---- errors --------------------------------------------------------------- */

char *jl_ext_msg_utf8(char *m) {
    if (!m) return NULL;
    const uint8_t *p = (const uint8_t *)m;
    uint64_t n = strlen(m), k = 0;
    uint32_t cp;
    unsigned l;
    while (k < n && (l = jl_utf8_next(p + k, n - k, JL_UTF8_STRICT, &cp)) != 0) k += l;
    if (k == n) return m; /* the common case: already UTF-8 */
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_append(s, m, (int)k);
    while (k < n) {
        l = jl_utf8_next(p + k, n - k, JL_UTF8_STRICT, &cp);
        if (l) sqlite3_str_append(s, (const char *)p + k, (int)l);
        else sqlite3_str_appendf(s, "\\x%02X", (unsigned)p[k]);
        k += l ? l : 1;
    }
    sqlite3_free(m);
    return sqlite3_str_finish(s);
}

/* 1 when msg contains "byte <off>" as a whole number. */
static int says_offset(const char *msg, uint64_t off) {
    char at[40];
    int n = snprintf(at, sizeof at, "byte %llu", (unsigned long long)off);
    for (const char *p = msg; (p = strstr(p, at)) != NULL; p++)
        if (p[n] < '0' || p[n] > '9') return 1;
    return 0;
}

char *jl_ext_size_text(uint64_t n, char out[32]) {
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (n < 1024) {
        snprintf(out, 32, "%llu byte%s", (unsigned long long)n, n == 1 ? "" : "s");
        return out;
    }
    unsigned u = 0;
    uint64_t whole = n >> 10;
    while (u + 1 < sizeof units / sizeof units[0] && whole >= 1024) {
        whole >>= 10;
        u++;
    }
    uint64_t unit = (uint64_t)1 << (10 * (u + 1));
    if (n % unit == 0) snprintf(out, 32, "%llu %s", (unsigned long long)(n / unit), units[u]);
    else snprintf(out, 32, "%.1f %s", (double)n / (double)unit, units[u]);
    return out;
}

/* The joblib_config knob behind a JL_E_LIMIT message: the first row whose
 * words the message contains. The codec's messages name the limit
 * ("exceeds max_alloc (N)", "more than max_nodes (N) values") except the
 * decompressors', which say "decompressed size exceeds the limit". */
static const struct {
    const char *says;
    const char *knob;
} limit_knobs[] = {
    { "max_decompressed", "max_decompressed" },
    { "decompressed size exceeds the limit", "max_decompressed" },
    { "max_alloc", "max_alloc" },
    { "max_nodes", "max_nodes" },
    { "max_depth", "max_depth" },
    { "max_memo", "max_memo" },
};

static const char *limit_knob(const char *msg) {
    if (strstr(msg, "joblib_config(")) return NULL; /* already says how */
    for (size_t i = 0; i < sizeof limit_knobs / sizeof limit_knobs[0]; i++)
        if (strstr(msg, limit_knobs[i].says)) return limit_knobs[i].knob;
    return NULL;
}

char *jl_ext_errmsg(const jl_error *err, const char *file, const char *path) {
    const char *msg = err->message[0] ? err->message : err->code == JL_E_NOMEM ? "out of memory"
                                                                                : "unknown error";
    /* a message that already names the file (source errors do) is not told twice */
    int say_file = file && *file && !strstr(msg, file);
    /* nor is an offset the message already gives */
    int say_off = err->offset != JL_NO_OFFSET && !says_offset(msg, err->offset);
    int say_path = path && *path;
    const char *sep = " (";
    const char *knob = err->code == JL_E_LIMIT ? limit_knob(msg) : NULL;
    uint64_t asked = err->code == JL_E_NOMEM ? jl_ext_failed_request() : 0;
    char size[32];
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "joblib: %s", msg);
    if (knob) sqlite3_str_appendf(s, ": raise it with joblib_config('%s', N)", knob);
    if (err->code == JL_E_NOMEM && asked)
        sqlite3_str_appendf(s, ": a request for %s failed", jl_ext_size_text(asked, size));
    if (say_file) {
        sqlite3_str_appendf(s, "%sfile '%s'", sep, file);
        sep = ", ";
    }
    if (say_off) {
        sqlite3_str_appendf(s, "%sbyte %llu", sep, (unsigned long long)err->offset);
        sep = ", ";
    }
    if (say_path) {
        sqlite3_str_appendf(s, "%spath %s", sep, path);
        sep = ", ";
    }
    if (say_file || say_off || say_path) sqlite3_str_appendchar(s, 1, ')');
    return jl_ext_msg_utf8(sqlite3_str_finish(s));
}

/* When even the message cannot be made: a fixed text, which SQLite copies
 * (only when that copy fails too does the caller see a bare SQLITE_NOMEM). */
static const char nomem_fallback[] = "joblib: out of memory (no memory left even for the message)";

void jl_ext_result_error(sqlite3_context *ctx, const jl_error *err, const char *file,
                         const char *path) {
    char *m = jl_ext_errmsg(err, file, path);
    sqlite3_result_error(ctx, m ? m : nomem_fallback, -1);
    sqlite3_free(m);
}

void jl_ext_result_nomem(sqlite3_context *ctx, const char *what) {
    jl_error err;
    jl_fail(&err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory %s", what);
    jl_ext_result_error(ctx, &err, NULL, NULL);
}

void jl_ext_result_errorf(sqlite3_context *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *body = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *m = body ? jl_ext_msg_utf8(sqlite3_mprintf("joblib: %s", body)) : NULL;
    sqlite3_free(body);
    sqlite3_result_error(ctx, m ? m : nomem_fallback, -1);
    sqlite3_free(m);
}

const char *jl_ext_type_name(sqlite3_value *v) {
    static const char *const names[] = { "?", "INTEGER", "REAL", "TEXT", "BLOB", "NULL" };
    int t = sqlite3_value_type(v);
    return t >= 1 && t <= 5 ? names[t] : names[0];
}

/* ---- opening -------------------------------------------------------------- */

int jl_ext_open_value(const jl_ext *ext, sqlite3_value *v, int borrow, jl_doc **out,
                      jl_error *err) {
    jl_open_opts o = { jl_ext_alloc(), &ext->limits };
    *out = NULL;
    switch (sqlite3_value_type(v)) {
    case SQLITE_TEXT: {
        const char *path = (const char *)sqlite3_value_text(v);
        if (!path) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
        if (!*path) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "empty file name");
        if ((size_t)sqlite3_value_bytes(v) != strlen(path))
            return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "file name contains a NUL character");
        return jl_open_file(path, &o, out, err);
    }
    case SQLITE_BLOB: {
        /* a zero-length BLOB has a NULL pointer: give the codec a valid one */
        static const uint8_t empty[1];
        const uint8_t *p = sqlite3_value_blob(v);
        int n = sqlite3_value_bytes(v);
        if (!p && n > 0) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
        return jl_open_memory(p ? p : empty, (uint64_t)n, borrow, &o, out, err);
    }
    default:
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "src must be TEXT or BLOB");
    }
}

void jl_doc_mark_get(const jl_doc *doc, jl_doc_mark *m) {
    m->nnodes = doc->nnodes;
    m->narrays = doc->narrays;
    m->nobjects = doc->nobjects;
    m->nglobals = doc->nglobals;
    m->ndtypes = doc->ndtypes;
    m->nfields = doc->nfields;
    m->ndims = doc->ndims;
}

/* Undoes appended entries of the plain tables. Not undone: kids (an
 * appended run may extend an existing container's run in place), files
 * (each owns its path string) and blocks (own heap memory). */
void jl_doc_rollback(jl_doc *doc, const jl_doc_mark *m) {
    if (m->nnodes < doc->multi_nnodes || m->nobjects < doc->multi_nobjects) jl_doc_multi_forget(doc);
    if (doc->nnodes > m->nnodes) doc->nnodes = m->nnodes;
    if (doc->narrays > m->narrays) doc->narrays = m->narrays;
    if (doc->nobjects > m->nobjects) doc->nobjects = m->nobjects;
    if (doc->nglobals > m->nglobals) doc->nglobals = m->nglobals;
    if (doc->ndtypes > m->ndtypes) doc->ndtypes = m->ndtypes;
    if (doc->nfields > m->nfields) doc->nfields = m->nfields;
    if (doc->ndims > m->ndims) doc->ndims = m->ndims;
}

int jl_ext_begin(sqlite3_context *ctx, sqlite3_value **argv, int argi, const char *fname,
                 jl_ext_call *c) {
    sqlite3_value *v = argv[argi];
    jl_ext *ext = sqlite3_user_data(ctx);
    jl_error err;
    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    c->argi = argi;
    (void)jl_ext_failed_request(); /* a refusal an earlier call recovered from is not this call's */
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
        sqlite3_result_null(ctx);
        return 0;
    case SQLITE_TEXT:
    case SQLITE_BLOB:
        break;
    default:
        jl_ext_result_errorf(ctx,
                             "%s(): argument %d (src) must be a file path (TEXT) or the bytes of "
                             "a bundle (BLOB), not %s",
                             fname, argi + 1, jl_ext_type_name(v));
        return 0;
    }
    if (sqlite3_value_type(v) == SQLITE_TEXT) c->file = (const char *)sqlite3_value_text(v);
    jl_error_clear(&err);
    c->entry = sqlite3_get_auxdata(ctx, argi);
    if (c->entry) {
        c->cached = 1;
    } else if (c->file && *c->file && (size_t)sqlite3_value_bytes(v) == strlen(c->file)) {
        /* a file: through the connection's cache */
        if (jl_doc_cache_open(ext, c->file, 0, &c->entry, &err) != JL_OK) c->entry = NULL;
    } else {
        /* a BLOB (or a file name the open refuses): a private doc */
        jl_doc *doc = NULL;
        if (jl_ext_open_value(ext, v, 0, &doc, &err) == JL_OK) {
            c->entry = jl_doc_cache_private(ext, doc);
            if (!c->entry) jl_fail(&err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory keeping the bundle");
        }
    }
    if (!c->entry) {
        jl_ext_result_error(ctx, &err, c->file, NULL);
        return 0;
    }
    c->doc = c->entry->doc;
    jl_doc_mark_get(c->doc, &c->mark);
    return 1;
}

void jl_ext_end(jl_ext_call *c) {
    if (!c->doc) return;
    jl_doc_rollback(c->doc, &c->mark);
    if (!c->cached) sqlite3_set_auxdata(c->ctx, c->argi, c->entry, jl_doc_cache_release_aux);
    c->doc = NULL;
    c->entry = NULL;
}
