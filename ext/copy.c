/*
 * copy.c - re-dumping a bundle file without loading its arrays.
 *
 *   joblib_copy(src, dest [, compress [, path [, protocol]]])
 *       writes the bundle src (a file name, or a bundle BLOB), or the value
 *       at path inside it, to the file dest, as joblib.dump(joblib.load(src),
 *       dest, compress, protocol) would, and returns the JSON array of the
 *       files written, like joblib_dump.
 *
 * Example:
 *
 *   SELECT joblib_copy('model.pkl.xz', 'model.pkl.gz');
 *   -- ["model.pkl.gz"]: the same model, gzip at level 3 (from the suffix)
 *   SELECT joblib_copy('model.pkl', '/tmp/coef.pkl', 'zlib:1', '$.coef_');
 *
 * src is read as every reading function reads it (any format, any
 * compression, legacy sidecar files; the connection's cache). dest,
 * compress and protocol follow joblib_dump's rules (write_funcs.c): the
 * method from compress or dest's suffix, 'npy' for the legacy layout,
 * protocol 2-5 (default 4); the files appear complete or not at all.
 * joblib.load(dest) equals joblib.load(src)[path]: the value tree is
 * written as read (shared values stay shared, unknown classes keep their
 * reductions, docs/FORMAT.md 9).
 *
 * Why a function of its own: joblib_dump(joblib_extract(src, '$'), dest)
 * writes the same file, but SQLite hands joblib_dump a finished value, so
 * the bundle is first made whole as a BLOB, every array inflated into it.
 * Here the arrays go from where they lie straight to dest, piece by piece:
 * from the file's mapping when src is uncompressed, and from the
 * compressed stream when src is a big compressed file whose arrays were
 * left in it (value/lazy_read.h: one pass over the stream in order). The
 * memory used is the structure of src plus the compressors' buffers,
 * whatever the size of the arrays.
 *
 * NULL src, dest or path gives NULL. A path that selects nothing is an
 * error (nothing would be written). Risk: writes files (DIRECTONLY) and
 * reads them.
 */
#include "write.h"

#include <string.h>

#include "framepath.h"

static void fn_copy(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    static const char fname[] = "joblib_copy";
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    jl_write_target t;
    if (!jl_write_target_args(ctx, fname, argv[1], argc > 2 ? argv[2] : NULL, argc > 4 ? argv[4] : NULL, &t)) return;
    const char *path = "$";
    size_t npath = 1;
    if (argc > 3) {
        switch (sqlite3_value_type(argv[3])) {
        case SQLITE_NULL:
            sqlite3_result_null(ctx);
            return;
        case SQLITE_TEXT:
            if (!(path = (const char *)sqlite3_value_text(argv[3]))) {
                jl_ext_result_nomem(ctx, "reading the path argument");
                return;
            }
            npath = (size_t)sqlite3_value_bytes(argv[3]);
            break;
        default:
            jl_ext_result_errorf(ctx, "%s: path must be TEXT such as '$.a[0]', not %s", fname,
                                 jl_ext_type_name(argv[3]));
            return;
        }
    }
    jl_ext_call c;
    if (!jl_ext_begin(ctx, argv, 0, fname, &c)) return;
    jl_error err;
    jl_error_clear(&err);
    (void)jl_ext_failed_request(); /* only this call's refusals are named in its errors */
    uint32_t id = JL_NONE;
    int rc = JL_OK;
    if (c.doc->root != JL_NONE) rc = jl_frame_path_resolve(c.doc, c.doc->root, path, npath, &id, &err);
    if (rc != JL_OK) {
        jl_ext_result_error(ctx, &err, c.file, path);
    } else if (id == JL_NONE) {
        jl_ext_result_errorf(ctx, "%s: the path '%s' selects nothing%s%s%s: nothing was written", fname, path,
                             c.file ? " in '" : "", c.file ? c.file : "", c.file ? "'" : "");
    } else if ((rc = jl_write_target_file(ctx, c.doc, id, &t, &err)) != JL_OK) {
        /* writing dest (its folder, its disk) or reading src (its stream) */
        if (rc == JL_E_IO || rc == JL_E_ARG) jl_ext_result_error(ctx, &err, t.dest, NULL);
        else jl_ext_result_error(ctx, &err, c.file, path);
    }
    jl_ext_end(&c);
}

/* DIRECTONLY: writes files, never from a schema (ext.h, JL_FN_WRITER); its
 * result is JSON text (the subtype). */
const jl_sql_func jl_copy_funcs[] = {
    { "joblib_copy", 2, JL_FN_WRITER | SQLITE_RESULT_SUBTYPE, fn_copy, NULL, NULL },
    { "joblib_copy", 3, JL_FN_WRITER | SQLITE_RESULT_SUBTYPE, fn_copy, NULL, NULL },
    { "joblib_copy", 4, JL_FN_WRITER | SQLITE_RESULT_SUBTYPE, fn_copy, NULL, NULL },
    { "joblib_copy", 5, JL_FN_WRITER | SQLITE_RESULT_SUBTYPE, fn_copy, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL },
};
