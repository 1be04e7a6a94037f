/*
 * write_funcs.c - writing bundles that Python's joblib.load returns.
 *
 *   joblib_dump(value, dest [, compress [, protocol]])
 *       writes value to the file dest, as joblib.dump(value, dest,
 *       compress, protocol) does, and returns the JSON array of the files
 *       written (["dest"], or the main file and its sidecars for 'npy').
 *       The files appear complete or not at all: each is written to a
 *       temporary file in dest's directory and synced, then all are
 *       renamed over their names; on error every destination is left as
 *       it was and no temporary file remains.
 *   joblib_dumps(value [, compress [, protocol]])
 *       the same bundle as a BLOB (marked as a bundle, see below).
 *   joblib(blob)
 *       checks that blob holds a bundle and returns it marked for
 *       nesting, as json(text) marks stored JSON text.
 *
 * value: any SQL value, JSON text with the JSON subtype, or a bundle BLOB
 * (sqlin.c). Example:
 *
 *   SELECT joblib_dump(joblib_dict('coef', joblib_ndarray(x'0000803f', '<f4'),
 *                                  'name', 'model'), '/tmp/m.pkl', 'gzip');
 *   -- ["/tmp/m.pkl"]; in Python joblib.load('/tmp/m.pkl') gives
 *   -- {'coef': array([1.], dtype=float32), 'name': 'model'}
 *   INSERT INTO models VALUES ('m1', joblib_dumps(json('{"a":[1,2]}')));
 *   SELECT joblib_dumps(joblib_list(joblib(blob), 3)) FROM models;
 *
 * compress (as joblib.dump, docs/FORMAT.md 2.4):
 *   absent, NULL, 0     no compression, unless dest ends in .z .gz .bz2
 *                       .lzma .xz .lz4, which picks that method at its
 *                       default level (zlib 3, gzip 3, bz2 9, lzma 6, xz 6,
 *                       lz4 0)
 *   INTEGER 1-9         that level: with the method of dest's extension, or
 *                       zlib
 *   TEXT 'method'       zlib, gzip, bz2, lzma, xz or lz4 at level 3 (joblib's
 *                       compress=True), whatever dest's extension
 *   TEXT 'method:N'     that method at level N (0 = no compression)
 *   TEXT 'npy'          joblib_dump only: the legacy layout of joblib < 0.10
 *                       (docs/FORMAT.md 4.1), whatever dest's extension: dest is
 *                       an uncompressed pickle in which every non-object
 *                       ndarray is a joblib.numpy_pickle.NDArrayWrapper,
 *                       and each such array goes to its own .npy file,
 *                       dest_01.npy, dest_02.npy, ... in pickling order (an
 *                       array met twice is written twice); object arrays
 *                       are pickled inline. joblib.load still reads it (with
 *                       a DeprecationWarning); the stored names embed
 *                       dest's name, so the files must keep their names.
 *                       Returns ["dest", "dest_01.npy", ...].
 * protocol: 2, 3, 4 or 5 (default 4, what joblib writes on Python 3.8+).
 *
 * Bundle BLOBs returned here, by the constructors and by the aggregates
 * carry the subtype 'j' (106): SQLite passes it from one function's result
 * directly into another function's argument, which is how nesting works.
 *
 * Limits: the stream is built in memory (at most max_alloc bytes, see
 * joblib_config); a BLOB result is at most SQLITE_LIMIT_LENGTH bytes.
 * Risk: joblib_dump writes files and is DIRECTONLY; joblib_dumps and
 * joblib() are pure (INNOCUOUS, DETERMINISTIC).
 */
#include "write.h"

#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "compress_arg.h"
#include "shared.h"
#include "container.h"
#include "decode.h"
#include "compress_stream.h"
#include "writer.h"

/* ---- compressors ------------------------------------------------------- */

/* The compression from the compress argument (NULL when absent) and dest
 * (NULL for joblib_dumps), as joblib.dump decides it (compress_arg.h).
 * 'npy' is accepted only when allow_npy. 0, or -1 with the error set. */
static int choose_compression(sqlite3_context *ctx, const char *fname, sqlite3_value *arg,
                              const char *dest, int allow_npy, jl_compress_choice *out) {
    jl_error err;
    jl_error_clear(&err);
    int rc;
    switch (arg ? sqlite3_value_type(arg) : SQLITE_NULL) {
    case SQLITE_NULL:
        rc = jl_compress_from_level(0, dest, out, &err);
        break;
    case SQLITE_INTEGER:
        rc = jl_compress_from_level(sqlite3_value_int64(arg), dest, out, &err);
        break;
    case SQLITE_TEXT: {
        const char *s = (const char *)sqlite3_value_text(arg);
        if (!s) {
            jl_ext_result_nomem(ctx, "reading the compress argument");
            return -1;
        }
        rc = jl_compress_from_text(s, dest, allow_npy, out, &err);
        break;
    }
    default:
        jl_ext_result_errorf(ctx, "%s: compress must be an INTEGER level 0-9 or a TEXT method name, not %s",
                             fname, jl_ext_type_name(arg));
        return -1;
    }
    if (rc != JL_OK) {
        jl_ext_result_errorf(ctx, "%s: %s", fname, err.message);
        return -1;
    }
    return 0;
}

int jl_write_choose_compression(sqlite3_context *ctx, const char *fname, sqlite3_value *arg, const char *dest,
                                jl_write_opts *o) {
    jl_compress_choice c;
    if (choose_compression(ctx, fname, arg, dest, 0, &c)) return -1;
    o->compression = c.c;
    o->level = c.level;
    return 0;
}

static int choose_protocol(sqlite3_context *ctx, const char *fname, sqlite3_value *arg, int *out) {
    *out = 4;
    if (!arg || sqlite3_value_type(arg) == SQLITE_NULL) return 0;
    if (sqlite3_value_type(arg) != SQLITE_INTEGER) {
        jl_ext_result_errorf(ctx, "%s: protocol must be an INTEGER 2-5, not %s", fname, jl_ext_type_name(arg));
        return -1;
    }
    sqlite3_int64 v = sqlite3_value_int64(arg);
    if (v < 2 || v > 5) {
        jl_ext_result_errorf(ctx, "%s: protocol must be 2, 3, 4 or 5, not %lld", fname, (long long)v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* ---- building and writing ----------------------------------------------- */

jl_doc *jl_write_new_doc(sqlite3_context *ctx) {
    const jl_ext *ext = sqlite3_user_data(ctx);
    return jl_doc_new(jl_ext_alloc(), ext ? &ext->limits : NULL);
}

/* "the bundle is larger than max_alloc (1 MiB)", or SQLITE_LIMIT_LENGTH
 * when max is the result limit below max_alloc. */
static int too_big(const jl_doc *doc, uint64_t max, jl_error *err) {
    char size[32];
    return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "the bundle is larger than %s (%s)",
                   max >= doc->limits.max_alloc ? "max_alloc" : "SQLITE_LIMIT_LENGTH",
                   jl_ext_size_text(max, size));
}

/* The uncompressed stream of node id into *out (allocated with
 * jl_ext_alloc(), at most max bytes); in the legacy layout when sc is not
 * NULL (sc->ids then lists the sidecars). */
static int write_stream(jl_doc *doc, uint32_t id, int protocol, jl_write_sidecars *sc, uint64_t max, uint8_t **out,
                        uint64_t *n, int *shared, jl_error *err) {
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), max);
    b.can_share = shared != NULL;
    int rc = sc ? jl_write_stream_npy(doc, id, protocol, sc, &b, err) : jl_write_stream(doc, id, protocol, &b, err);
    if (rc == JL_OK && b.failed) rc = b.failed;
    if (rc != JL_OK) {
        int failed = b.failed;
        jl_buf_free(&b);
        if (failed == JL_E_LIMIT)
            return too_big(doc, max, err);
        if (failed == JL_E_NOMEM || (err->code == JL_OK))
            return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory writing the bundle");
        return rc;
    }
    if (shared) *shared = b.shared;
    *out = (uint8_t *)jl_buf_take(&b, n);
    if (!*out) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory writing the bundle");
    return JL_OK;
}

/* Frees bytes from write_stream / write_bundle. */
static void free_bytes(uint8_t *p, int shared) {
    if (shared) jl_shared_unref(p);
    else sqlite3_free(p);
}

/* SQLite's destructor for a result BLOB that is a shared block's data. */
static void unref_blob(void *p) { jl_shared_unref(p); }

/* ---- streaming: the stream goes on as it is made ------------------------------ */

/* Where the writer's buffer hands its chunks: straight to `put`, or
 * through a compressor whose output goes to `put`. */
typedef struct stream_sink {
    jl_zstream *z; /* NULL: no compression */
    jl_deflate_put put;
    void *ctx;
    jl_error *err;
} stream_sink;

static int to_stream(void *ctx, const void *p, uint64_t n) {
    stream_sink *ss = ctx;
    return ss->z ? jl_zstream_write(ss->z, p, n, ss->err) : ss->put(ss->ctx, p, n, ss->err);
}

/* Writes node id's joblib stream, compressed with comp at level unless
 * JL_COMP_NONE, to put(ctx, ...) as it is made: neither the uncompressed
 * stream nor the compressed one stands whole in memory here (array
 * payloads go from where they lie; the compressor holds its buffers,
 * compress_stream.h). */
static int stream_through(const jl_doc *doc, uint32_t id, int protocol, jl_compression comp, int level,
                          jl_deflate_put put, void *ctx, jl_error *err) {
    stream_sink ss = { NULL, put, ctx, err };
    if (comp != JL_COMP_NONE && jl_zstream_open(comp, level, jl_ext_alloc(), put, ctx, &ss.z, err) != JL_OK)
        return err->code;
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), doc->limits.max_alloc);
    b.sink = to_stream;
    b.sink_ctx = &ss;
    int rc = jl_write_stream(doc, id, protocol, &b, err);
    if (rc == JL_OK && !b.failed) jl_buf_flush(&b);
    if (rc == JL_OK && b.failed) rc = b.failed;
    if (rc == JL_OK && ss.z) rc = jl_zstream_finish(ss.z, err);
    if (rc != JL_OK) {
        int sink_error = b.failed == JL_E_IO && err->code != JL_OK; /* the sink said why, in err */
        if (!sink_error && b.failed == JL_E_LIMIT)
            too_big(doc, b.max, err);
        else if (!sink_error && (b.failed || err->code == JL_OK))
            jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory writing the bundle");
        rc = err->code != JL_OK ? (int)err->code : rc;
    }
    jl_buf_free(&b);
    jl_zstream_free(ss.z);
    return rc;
}

/* put into a jl_buf (the result of joblib_dumps); its max bounds it. */
static int put_buf(void *ctx, const void *p, uint64_t n, jl_error *err) {
    jl_buf *b = ctx;
    int rc = jl_buf_append(b, p, n);
    if (rc == JL_E_LIMIT) return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "the bundle is too large");
    return rc ? jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory writing the bundle") : JL_OK;
}

/* The bundle bytes of node id: the stream, compressed as c says. A
 * compressed bundle is compressed as it is made: only its compressed
 * bytes stand in memory. */
static int write_bundle(jl_doc *doc, uint32_t id, int protocol, const jl_compress_choice *c, uint64_t max, uint8_t **out,
                        uint64_t *n, int *shared, jl_error *err) {
    if (c->c == JL_COMP_NONE) return write_stream(doc, id, protocol, NULL, max, out, n, shared, err);
    *shared = 0;
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), max);
    int rc = stream_through(doc, id, protocol, c->c, c->level, put_buf, &b, err);
    if (rc == JL_OK && b.failed) rc = b.failed;
    if (rc != JL_OK) {
        int limit = b.failed == JL_E_LIMIT;
        jl_buf_free(&b);
        return limit ? too_big(doc, max, err) : rc;
    }
    *out = (uint8_t *)jl_buf_take(&b, n);
    if (!*out) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory writing the bundle");
    return JL_OK;
}

/* put into the temporary file of an atomic write. */
static int put_file(void *ctx, const void *p, uint64_t n, jl_error *err) {
    return jl_atomic_append(ctx, p, n, err);
}

int jl_write_file_streamed(const jl_doc *doc, uint32_t id, int protocol, jl_compression comp, int level,
                           const char *path, jl_error *err) {
    jl_atomic_file *f = jl_atomic_open(path, err);
    if (!f) return err->code;
    int rc = stream_through(doc, id, protocol, comp, level, put_file, f, err);
    if (rc != JL_OK) {
        jl_atomic_abort(f);
        return rc;
    }
    return jl_atomic_commit(f, err);
}

/* Sets bytes p[0..n) (from write_bundle; taken) as a bundle BLOB. */
static void result_bundle_bytes(sqlite3_context *ctx, uint8_t *p, uint64_t n, int shared) {
    if (n == 0) {
        free_bytes(p, shared);
        sqlite3_result_zeroblob(ctx, 0);
    } else {
        sqlite3_result_blob64(ctx, p, (sqlite3_uint64)n, shared ? unref_blob : sqlite3_free);
    }
    sqlite3_result_subtype(ctx, JL_BUNDLE_SUBTYPE);
}

void jl_write_result_bundle(sqlite3_context *ctx, jl_doc *doc, uint32_t id) {
    jl_write_result_bundle_at(ctx, doc, id, NULL, NULL);
}

void jl_write_result_bundle_at(sqlite3_context *ctx, jl_doc *doc, uint32_t id, const char *file,
                               const char *path) {
    jl_error err;
    jl_error_clear(&err);
    uint8_t *p;
    uint64_t n;
    jl_compress_choice none = { JL_COMP_NONE, 0, 0 };
    int shared = 0;
    if (write_bundle(doc, id, 4, &none, jl_ext_max_result(ctx, doc), &p, &n, &shared, &err) != JL_OK) {
        jl_ext_result_error(ctx, &err, file, path);
        return;
    }
    result_bundle_bytes(ctx, p, n, shared);
}

/* compress='npy': the main pickle of node id and one .npy file per
 * non-object array, written together (jl_atomic_write_many). Appends the
 * JSON array of the files written to `files`. */
static int dump_legacy(jl_doc *doc, uint32_t id, int protocol, const char *dest, jl_buf *files, jl_error *err) {
    const char *slash = strrchr(dest, '/');
    jl_write_sidecars sc = { slash ? slash + 1 : dest, NULL, 0, 0 };
    if (!*sc.base) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "dest '%.200s' names a directory", dest);
    uint8_t *main_p = NULL;
    uint64_t main_n = 0, i;
    jl_buf *npy = NULL;      /* one .npy file per sidecar; owned */
    char **paths = NULL;     /* their paths (sqlite3_malloc); owned */
    jl_atomic_part *parts = NULL;
    int rc = write_stream(doc, id, protocol, &sc, doc->limits.max_alloc, &main_p, &main_n, NULL, err);
    if (rc) goto done;
    npy = sqlite3_malloc64((sc.n + 1) * sizeof *npy);
    paths = sqlite3_malloc64((sc.n + 1) * sizeof *paths);
    parts = sqlite3_malloc64((sc.n + 1) * sizeof *parts);
    for (i = 0; npy && i < sc.n; i++) jl_buf_init(&npy[i], jl_ext_alloc(), doc->limits.max_alloc);
    if (paths) memset(paths, 0, (sc.n + 1) * sizeof *paths);
    if (!npy || !paths || !parts) {
        rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory listing %llu sidecar files",
                     (unsigned long long)sc.n);
        goto done;
    }
    parts[0] = (jl_atomic_part){ dest, main_p, main_n };
    for (i = 0; i < sc.n; i++) {
        if ((rc = jl_write_npy(doc, sc.ids[i], &npy[i], err))) goto done;
        /* the name the pickle holds, in dest's directory */
        jl_buf name;
        jl_buf_init(&name, jl_ext_alloc(), 0);
        jl_write_sidecar_name(&name, dest, i + 1);
        paths[i] = jl_buf_take(&name, NULL); /* sqlite3_free-able */
        jl_buf_free(&name);
        if (!paths[i]) {
            rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory naming sidecar files");
            goto done;
        }
        parts[i + 1] = (jl_atomic_part){ paths[i], npy[i].p, npy[i].len };
    }
    if ((rc = jl_atomic_write_many(parts, sc.n + 1, err))) goto done;
    jl_buf_putc(files, '[');
    for (i = 0; i <= sc.n; i++) {
        if (i) jl_buf_putc(files, ',');
        jl_json_string(files, parts[i].path, strlen(parts[i].path));
    }
    jl_buf_putc(files, ']');
done:
    if (npy)
        for (i = 0; i < sc.n; i++) jl_buf_free(&npy[i]);
    if (paths)
        for (i = 0; i < sc.n; i++) sqlite3_free(paths[i]);
    sqlite3_free(npy);
    sqlite3_free(paths);
    sqlite3_free(parts);
    sqlite3_free(main_p);
    jl_free(&doc->alloc, sc.ids);
    return rc;
}

int jl_write_target_args(sqlite3_context *ctx, const char *fname, sqlite3_value *dest, sqlite3_value *compress,
                         sqlite3_value *protocol, jl_write_target *t) {
    t->dest = NULL;
    if (dest) {
        if (sqlite3_value_type(dest) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return 0;
        }
        if (sqlite3_value_type(dest) != SQLITE_TEXT) {
            jl_ext_result_errorf(ctx, "%s: dest must be TEXT (a file name), not %s", fname, jl_ext_type_name(dest));
            return 0;
        }
        t->dest = (const char *)sqlite3_value_text(dest);
        if (!t->dest) {
            jl_ext_result_nomem(ctx, "reading the destination argument");
            return 0;
        }
        if (!*t->dest) {
            jl_ext_result_errorf(ctx, "%s: dest is an empty file name", fname);
            return 0;
        }
        if ((size_t)sqlite3_value_bytes(dest) != strlen(t->dest)) {
            jl_ext_result_errorf(ctx, "%s: dest contains a NUL character", fname);
            return 0;
        }
    }
    return !choose_compression(ctx, fname, compress, t->dest, dest != NULL, &t->c) &&
           !choose_protocol(ctx, fname, protocol, &t->protocol);
}

int jl_write_target_file(sqlite3_context *ctx, jl_doc *doc, uint32_t id, const jl_write_target *t, jl_error *err) {
    jl_buf files;
    jl_buf_init(&files, jl_ext_alloc(), jl_ext_max_result(ctx, NULL));
    int rc;
    if (t->c.npy) {
        rc = dump_legacy(doc, id, t->protocol, t->dest, &files, err);
    } else {
        rc = jl_write_file_streamed(doc, id, t->protocol, t->c.c, t->c.level, t->dest, err);
        if (rc == JL_OK) {
            jl_buf_putc(&files, '[');
            jl_json_string(&files, t->dest, strlen(t->dest));
            jl_buf_putc(&files, ']');
        }
    }
    if (rc != JL_OK) {
        jl_buf_free(&files);
        return rc;
    }
    jl_ext_result_buf(ctx, &files, 1);
    return JL_OK;
}

/* joblib_dump and joblib_dumps: argv[0] value, then dest when `to_file`,
 * then compress and protocol. */
static void dump_common(sqlite3_context *ctx, int argc, sqlite3_value **argv, int to_file) {
    const char *fname = to_file ? "joblib_dump" : "joblib_dumps";
    int at = to_file ? 2 : 1;
    jl_write_target t;
    if (!jl_write_target_args(ctx, fname, to_file ? argv[1] : NULL, argc > at ? argv[at] : NULL,
                              argc > at + 1 ? argv[at + 1] : NULL, &t))
        return;

    jl_error err;
    jl_error_clear(&err);
    (void)jl_ext_failed_request(); /* only this call's refusals are named in its errors */
    jl_doc *doc = jl_write_new_doc(ctx);
    if (!doc) {
        jl_ext_result_nomem(ctx, "starting a bundle");
        return;
    }
    jl_sqlin in;
    jl_sqlin_init(&in, doc, sqlite3_user_data(ctx), 1);
    uint8_t *p = NULL;
    uint64_t n = 0;
    uint32_t root;
    int shared = 0;
    int rc = jl_sqlin_value(&in, argv[0], &root, &err);
    if (rc == JL_OK && to_file) rc = jl_write_target_file(ctx, doc, root, &t, &err);
    else if (rc == JL_OK) rc = write_bundle(doc, root, t.protocol, &t.c, jl_ext_max_result(ctx, doc), &p, &n, &shared, &err);
    jl_sqlin_free(&in);
    jl_doc_free(doc);
    if (rc != JL_OK) jl_ext_result_error(ctx, &err, t.dest, NULL); /* "(file ...)" as joblib_export says */
    else if (!to_file) result_bundle_bytes(ctx, p, n, shared);
}

static void fn_dump(sqlite3_context *ctx, int argc, sqlite3_value **argv) { dump_common(ctx, argc, argv, 1); }

static void fn_dumps(sqlite3_context *ctx, int argc, sqlite3_value **argv) { dump_common(ctx, argc, argv, 0); }

/* joblib(blob): the same bytes, checked and marked as a bundle. */
static void fn_joblib(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    sqlite3_value *v = argv[0];
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
        sqlite3_result_null(ctx);
        return;
    case SQLITE_BLOB:
        break;
    default:
        jl_ext_result_errorf(ctx, "joblib(): the argument must be a BLOB holding a bundle, not %s",
                             jl_ext_type_name(v));
        return;
    }
    static const uint8_t empty[1];
    const uint8_t *p = sqlite3_value_blob(v);
    int n = sqlite3_value_bytes(v);
    if (!p && n > 0) {
        jl_ext_result_nomem(ctx, "reading the bundle argument");
        return;
    }
    const jl_ext *ext = sqlite3_user_data(ctx);
    jl_open_opts o = { jl_ext_alloc(), ext ? &ext->limits : NULL };
    jl_doc *doc = NULL;
    jl_error err;
    jl_error_clear(&err);
    if (jl_open_memory(p ? p : empty, (uint64_t)n, 1, &o, &doc, &err) != JL_OK) {
        jl_ext_result_error(ctx, &err, NULL, NULL);
        return;
    }
    jl_doc_free(doc);
    sqlite3_result_blob64(ctx, p ? (const void *)p : (const void *)empty, (sqlite3_uint64)n, SQLITE_TRANSIENT);
    sqlite3_result_subtype(ctx, JL_BUNDLE_SUBTYPE);
}

/* ---- registration ---------------------------------------------------------- */

/* Flags: every function here reads its arguments' subtypes (SQLITE_SUBTYPE)
 * and sets its result's (SQLITE_RESULT_SUBTYPE). joblib_dump writes files:
 * DIRECTONLY, never from a schema. The rest are pure. */
#define W_FLAGS (SQLITE_SUBTYPE | SQLITE_RESULT_SUBTYPE)

const jl_sql_func jl_write_funcs[] = {
    { "joblib_dump", 2, JL_FN_WRITER | W_FLAGS, fn_dump, NULL, NULL },
    { "joblib_dump", 3, JL_FN_WRITER | W_FLAGS, fn_dump, NULL, NULL },
    { "joblib_dump", 4, JL_FN_WRITER | W_FLAGS, fn_dump, NULL, NULL },
    { "joblib_dumps", 1, JL_FN_PURE | W_FLAGS, fn_dumps, NULL, NULL },
    { "joblib_dumps", 2, JL_FN_PURE | W_FLAGS, fn_dumps, NULL, NULL },
    { "joblib_dumps", 3, JL_FN_PURE | W_FLAGS, fn_dumps, NULL, NULL },
    { "joblib", 1, JL_FN_PURE | W_FLAGS, fn_joblib, NULL, NULL },
    { "joblib_ndarray", 2, JL_FN_PURE | W_FLAGS, jl_fn_ndarray, NULL, NULL },
    { "joblib_ndarray", 3, JL_FN_PURE | W_FLAGS, jl_fn_ndarray, NULL, NULL },
    { "joblib_ndarray", 4, JL_FN_PURE | W_FLAGS, jl_fn_ndarray, NULL, NULL },
    { "joblib_list", -1, JL_FN_PURE | W_FLAGS, jl_fn_list, NULL, NULL },
    { "joblib_tuple", -1, JL_FN_PURE | W_FLAGS, jl_fn_tuple, NULL, NULL },
    { "joblib_dict", -1, JL_FN_PURE | W_FLAGS, jl_fn_dict, NULL, NULL },
    { "joblib_group_array", 1, JL_FN_PURE | W_FLAGS, NULL, jl_agg_array_step, jl_agg_final },
    { "joblib_group_array", 2, JL_FN_PURE | W_FLAGS, NULL, jl_agg_array_step, jl_agg_final },
    { "joblib_group_list", 1, JL_FN_PURE | W_FLAGS, NULL, jl_agg_list_step, jl_agg_final },
    { "joblib_group_dict", 2, JL_FN_PURE | W_FLAGS, NULL, jl_agg_dict_step, jl_agg_final },
    { NULL, 0, 0, NULL, NULL, NULL },
};
