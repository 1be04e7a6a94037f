/*
 * show_funcs.c - joblib_show and joblib_version.
 *
 *   joblib_show(src [, path [, depth]])
 *       The subtree at `path` (default '$') as indented text, one line
 *       per node: its key (path step), type, class, dtype and shape, and
 *       a short preview of its value. A path that selects nothing gives
 *       NULL. `depth` (an INTEGER >= 0) limits how many levels below the
 *       node are shown: 0 is the node's own line; omitted, all levels.
 *       NULL for any argument gives NULL. A pickled pandas DataFrame or
 *       Series is first summed up (codec/tree/frameshow.h: shape, index,
 *       columns with dtypes, the first and last 5 rows), then its own
 *       parts follow one level deep unless `depth` is given.
 *
 *   joblib_version()
 *       JSON: {"version": "0.1.0", "sqlite": "3.40.1",
 *              "compressors": ["zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zf"]}
 *       `version` is this extension's, `sqlite` the library it runs in,
 *       `compressors` the containers this build reads and writes.
 *
 * Example (the sqlite3 shell prints the text as it is):
 *
 *   sqlite> SELECT joblib_show('model.pkl', '$', 1);
 *   $: object sklearn.linear_model._base.LinearRegression
 *   ├── .fit_intercept: bool = True
 *   ├── .coef_: ndarray <f8 (2,) = [0.25, 0.25]
 *   ├── .intercept_: scalar numpy.float64 <f8 = -0.25
 *   └── ._sklearn_version: str = '1.2.1'
 *
 * The layout of a line is described in codec/tree/show.h: `KEY: TYPE[ CLASS]
 * [ DTYPE SHAPE][ len=N][ = PREVIEW]`, where the keys along a branch
 * concatenate to the node's fullkey (what joblib_load takes), a node seen
 * before is `ref → FULLKEY`, long lists show their first 9 elements, "…
 * N more" and the last (dicts and objects their first 49 entries), and
 * arrays preview their first and last 3 elements. The text is for people:
 * its details may change between versions; joblib_tree is the stable,
 * queryable form of the same information.
 *
 * Risk flags: joblib_show reads a file when src is TEXT (JL_FN_FILE_READER,
 * see ext.h); joblib_version depends on nothing but the build
 * (JL_FN_PURE) and returns JSON (SQLITE_RESULT_SUBTYPE).
 */
#include "ext.h"

#include <string.h>

#include "show.h"
#include "container.h"
#include "frame.h"
#include "frameshow.h"
#include "framepath.h"
#include "lazy.h"
#include "path.h"

#ifndef JL_VERSION
#define JL_VERSION "unknown" /* CMakeLists.txt passes project(VERSION) */
#endif

/* ---- joblib_show --------------------------------------------------------------- */

static void fn_show(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *path = "$";
    size_t n = 1;
    jl_show_opts o;
    jl_show_opts_default(&o);
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    if (argc > 1) {
        if (sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
            jl_ext_result_errorf(ctx, "joblib_show(): argument 2 (path) must be TEXT such as '$.a[0]', not %s",
                                 jl_ext_type_name(argv[1]));
            return;
        }
        path = (const char *)sqlite3_value_text(argv[1]);
        if (!path) {
            jl_ext_result_nomem(ctx, "reading the path argument");
            return;
        }
        n = (size_t)sqlite3_value_bytes(argv[1]);
    }
    if (argc > 2) {
        if (sqlite3_value_type(argv[2]) != SQLITE_INTEGER) {
            jl_ext_result_errorf(ctx, "joblib_show(): argument 3 (depth) must be an INTEGER >= 0, not %s",
                                 jl_ext_type_name(argv[2]));
            return;
        }
        if (sqlite3_value_int64(argv[2]) < 0) {
            jl_ext_result_errorf(ctx, "joblib_show(): argument 3 (depth) must be an INTEGER >= 0, not %lld",
                                 (long long)sqlite3_value_int64(argv[2]));
            return;
        }
        o.depth = (uint64_t)sqlite3_value_int64(argv[2]);
    }

    jl_ext_call c;
    if (!jl_ext_begin(ctx, argv, 0, "joblib_show", &c)) return;
    jl_error err;
    jl_error_clear(&err);
    uint32_t id = JL_NONE;
    if (c.doc->root == JL_NONE) {
        sqlite3_result_null(ctx);
    } else if (jl_frame_path_resolve(c.doc, c.doc->root, path, n, &id, &err) != JL_OK) {
        jl_ext_result_error(ctx, &err, c.file, path);
    } else if (id == JL_NONE) {
        sqlite3_result_null(ctx);
    } else if (jl_lazy_load(c.doc, id, &err) != JL_OK) { /* array data still in a compressed stream */
        jl_ext_result_error(ctx, &err, c.file, path);
    } else {
        jl_buf b;
        jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, c.doc));
        /* the root line shows the path as the user wrote it */
        char *root_path = sqlite3_mprintf("%.*s", (int)n, path);
        /* a pandas frame: its summary first, then its own parts (one
         * level unless a depth is given) */
        int frame = jl_frame_kind(c.doc, id) != 0;
        if (frame && argc < 3) o.depth = 1;
        if (!root_path) {
            jl_ext_result_nomem(ctx, "reading the path argument");
        } else if ((frame && jl_frame_show(c.doc, id, path, n, 5, &b, &err) != JL_OK) ||
                   jl_show(c.doc, id, root_path, &o, &b, &err) != JL_OK) {
            jl_buf_free(&b);
            jl_ext_result_error(ctx, &err, c.file, argc > 1 ? root_path : NULL);
        } else {
            jl_ext_result_buf(ctx, &b, 0);
        }
        sqlite3_free(root_path);
    }
    jl_ext_end(&c);
}

/* ---- joblib_version -------------------------------------------------------------- */

static void fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    (void)argv;
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), 0);
    jl_buf_puts(&b, "{\"version\":");
    jl_json_string(&b, JL_VERSION, strlen(JL_VERSION));
    jl_buf_puts(&b, ",\"sqlite\":");
    jl_json_string(&b, sqlite3_libversion(), strlen(sqlite3_libversion()));
    jl_buf_puts(&b, ",\"compressors\":[");
    int k = 0;
    for (int c = JL_COMP_NONE + 1; c < JL_COMP_COUNT; c++)
        if (jl_compression_available((jl_compression)c))
            jl_buf_printf(&b, "%s\"%s\"", k++ ? "," : "", jl_compression_name((jl_compression)c));
    jl_buf_puts(&b, "]}");
    jl_ext_result_buf(ctx, &b, 1);
}

/* ---- registration ---------------------------------------------------------------- */

const jl_sql_func jl_show_funcs[] = {
    { "joblib_show", 1, JL_FN_FILE_READER, fn_show, NULL, NULL },
    { "joblib_show", 2, JL_FN_FILE_READER, fn_show, NULL, NULL },
    { "joblib_show", 3, JL_FN_FILE_READER, fn_show, NULL, NULL },
    { "joblib_version", 0, JL_FN_PURE | SQLITE_RESULT_SUBTYPE, fn_version, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL },
};
