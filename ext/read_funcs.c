/*
 * read_funcs.c - the scalar functions of the read surface.
 *
 *   joblib_load(src [, path])   the node at path (default '$') as its SQL
 *                               value; NULL when the path selects nothing
 *   joblib_json(src [, path])   the node at path as JSON text, arrays as
 *                               nested lists of numbers (NaN and
 *                               +-inf as null); NULL when nothing is there
 *   joblib_array(src [, path])  the ndarray (or numpy scalar) at path as one
 *                               JSON object: {"dtype": "<f4", "shape":
 *                               [2,3], "order": "C", "data": base64 of
 *                               the elements in C order, native byte
 *                               order}; an error for other nodes and
 *                               object arrays; NULL when nothing is there
 *   joblib_info(src)            JSON describing the bundle, without
 *                               converting array data
 *   joblib_extract(src, path)   the node at path as a new bundle BLOB
 *                               (protocol 4, uncompressed), losing nothing:
 *                               an array keeps its dtype, byte order, shape;
 *                               it carries the bundle subtype, so it nests
 *                               as its value in joblib_list(...) and co.
 *   joblib_config(name [, value])  a per-connection limit, or the size of
 *                               the cache of opened files (cache_bytes, 0 =
 *                               off; doc_cache.h): returns its value (after
 *                               setting it when value is given);
 *                               joblib_config() returns all of them as JSON;
 *                               joblib_config('cache_stats') the cache's
 *                               counters as JSON (read only)
 *
 * src is a file path (TEXT) or the bytes of a bundle (BLOB); NULL gives
 * NULL. Example:
 *
 *   SELECT joblib_load('model.pkl', '$.coef_');          -- BLOB of <f8
 *   SELECT json_extract(joblib_info('model.pkl'), '$.arrays[0].shape');
 *   SELECT joblib_config('max_decompressed', 1 << 34);   -- 16 GiB
 *
 * joblib_info returns an object:
 *   format       "joblib", "joblib-legacy" (sidecar .npy files), "joblib-zf"
 *                (the old ZF compressed layout), "pickle" (a plain pickle), "npy"
 *                (a numpy.save file) or "npz" (a numpy.savez archive)
 *   compression  "none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zf"
 *   protocol     highest PROTO opcode seen (0 when none)
 *   python       2 or 3, from the opcodes seen
 *   nodes        decoded values
 *   size         bytes of the main file (or BLOB) as read
 *   stream_size  bytes of the uncompressed stream
 *   damaged      null, or what joblib reads past and this file has: a
 *                compressed stream cut after the pickle's end, a FRAME
 *                claiming more bytes than remain ("; " between several)
 *   files        every file that belongs to the bundle ([] for a BLOB)
 *   arrays       [{path, dtype (descr as stored: ">f8" stays big-endian),
 *                  shape, order, nbytes, offset (where the first element
 *                  starts in the uncompressed stream, null for object
 *                  arrays), file (sidecar arrays; offset is then in that
 *                  file's stream), class (subclasses such as numpy.matrix)}]
 *                one entry per array, in tree order, shared arrays once.
 *   frames       only when the bundle holds pandas DataFrames or Series:
 *                [{path, kind ("DataFrame" / "Series"), shape [rows,
 *                  columns], index and columns: [{name (as the joblib
 *                  table names it), dtype (pandas' name: "int64",
 *                  "Int64", "category", "datetime64[ns, UTC]"), type
 *                  (the declared SQL type)}]}], or {path, kind, error}
 *                for a frame that cannot be read as a table.
 *
 * Limits (joblib_config names; defaults in codec/core/base.h):
 *   max_decompressed  bytes a decompressor may produce   (16 GiB)
 *   max_nodes         values in one bundle               (200 000 000)
 *   max_depth         nesting depth                      (100 000)
 *   max_memo          pickle memo entries / largest index (100 000 000)
 *   max_alloc         bytes in any one allocation        (8 GiB)
 * They apply to bundles opened after the change, on this connection (the
 * cached ones are dropped). A request past one is an error naming the knob
 * to raise (source_open.c, limit_knobs[]).
 */
#include "ext.h"

#include <stddef.h>
#include <string.h>

#include "atomtext.h"
#include "container.h"
#include "doc_cache.h"
#include "dtype.h"
#include "frame.h"
#include "lazy.h"
#include "ndarray.h"
#include "framepath.h"
#include "path.h"
#include "render.h"
#include "walk.h"
#include "write.h" /* JL_BUNDLE_SUBTYPE */
#include "writer.h"

/* Checks the optional path argument argv[i]: 1 with *path set (default
 * "$"), or 0 when the result is set (NULL for a NULL path, an error for a
 * wrong type). */
static int path_arg(sqlite3_context *ctx, int argc, sqlite3_value **argv, int i,
                    const char *fname, const char **path, size_t *n) {
    *path = "$";
    *n = 1;
    if (argc <= i) return 1;
    switch (sqlite3_value_type(argv[i])) {
    case SQLITE_NULL:
        sqlite3_result_null(ctx);
        return 0;
    case SQLITE_TEXT:
        *path = (const char *)sqlite3_value_text(argv[i]);
        if (!*path) {
            jl_ext_result_nomem(ctx, "reading the path argument");
            return 0;
        }
        *n = (size_t)sqlite3_value_bytes(argv[i]);
        return 1;
    default:
        jl_ext_result_errorf(ctx, "%s(): argument %d (path) must be TEXT such as '$.a[0]', not %s",
                             fname, i + 1, jl_ext_type_name(argv[i]));
        return 0;
    }
}

/* An array still in a compressed stream whose bytes alone are more than
 * a result may hold (SQLITE_LIMIT_LENGTH): fails before inflating it.
 * Returns 1 with the error set. */
static int lazy_too_big(jl_ext_call *c, uint32_t id, const char *path) {
    const jl_node *nd = jl_node_at(c->doc, id);
    if (nd->kind != JL_NDARRAY || jl_array_of(c->doc, id)->data.block != c->doc->lazy_block) return 0;
    uint64_t n = jl_array_of(c->doc, id)->data.len;
    int lim = sqlite3_limit(sqlite3_context_db_handle(c->ctx), SQLITE_LIMIT_LENGTH, -1);
    if (lim < 0 || n <= (uint64_t)lim) return 0;
    jl_ext_result_errorf(c->ctx, "the array at '%s' has %llu bytes, more than a result may hold "
                         "(SQLITE_LIMIT_LENGTH, %d bytes)%s%s%s", path, (unsigned long long)n, lim,
                         c->file ? " (file '" : "", c->file ? c->file : "", c->file ? "')" : "");
    return 1;
}

/* Resolves path in c->doc; reports errors itself. Returns the node, or
 * JL_NONE with the result set (NULL, or an error). */
static uint32_t resolve(jl_ext_call *c, const char *path, size_t n) {
    jl_error err;
    uint32_t id = JL_NONE;
    jl_error_clear(&err);
    if (c->doc->root == JL_NONE) {
        sqlite3_result_null(c->ctx);
        return JL_NONE;
    }
    if (jl_frame_path_resolve(c->doc, c->doc->root, path, n, &id, &err) != JL_OK) {
        jl_ext_result_error(c->ctx, &err, c->file, path);
        return JL_NONE;
    }
    if (id == JL_NONE) {
        sqlite3_result_null(c->ctx);
    } else if (lazy_too_big(c, id, path)) {
        return JL_NONE;
    } else if (jl_lazy_load(c->doc, id, &err) != JL_OK) { /* array data still in a compressed stream */
        jl_ext_result_error(c->ctx, &err, c->file, path);
        return JL_NONE;
    }
    return id;
}

/* The common start of joblib_load and joblib_json: opens src (argv[0])
 * and resolves the optional path (argv[1]). Returns the node with c begun
 * (the caller ends it), or JL_NONE with the result set and c ended. */
static uint32_t node_arg(sqlite3_context *ctx, int argc, sqlite3_value **argv, const char *fname,
                         jl_ext_call *c, const char **path) {
    size_t n;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return JL_NONE;
    }
    if (!path_arg(ctx, argc, argv, 1, fname, path, &n)) return JL_NONE;
    if (!jl_ext_begin(ctx, argv, 0, fname, c)) return JL_NONE;
    uint32_t id = resolve(c, *path, n);
    if (id == JL_NONE) jl_ext_end(c);
    return id;
}

/* ---- joblib_load ------------------------------------------------------------ */

static void fn_load(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *path;
    jl_ext_call c;
    uint32_t id = node_arg(ctx, argc, argv, "joblib_load", &c, &path);
    if (id == JL_NONE) return;
    jl_error err;
    jl_error_clear(&err);
    if (jl_ext_result_node(ctx, c.doc, id, &err) != JL_OK)
        jl_ext_result_error(ctx, &err, c.file, argc > 1 ? path : NULL);
    jl_ext_end(&c);
}

/* ---- joblib_json ------------------------------------------------------------ */

static void fn_json(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *path;
    jl_ext_call c;
    uint32_t id = node_arg(ctx, argc, argv, "joblib_json", &c, &path);
    if (id == JL_NONE) return;
    jl_error err;
    jl_error_clear(&err);
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, c.doc));
    if (jl_render_json(c.doc, id, &b, &err) != JL_OK) {
        if (b.failed == JL_E_LIMIT) jl_ext_too_long(ctx, c.doc, "the JSON text", &err);
        jl_buf_free(&b);
        jl_ext_result_error(ctx, &err, c.file, argc > 1 ? path : NULL);
    } else {
        jl_ext_result_buf(ctx, &b, 1);
    }
    jl_ext_end(&c);
}

/* ---- joblib_array ----------------------------------------------------------- */

/* What a node that is not an array of fixed-size elements is, for the
 * error: "a dict", "an object array (dtype object)". */
static void not_array_error(sqlite3_context *ctx, jl_ext_call *c, uint32_t id, const char *path) {
    jl_error err;
    jl_error_clear(&err);
    const jl_node *nd = jl_node_at(c->doc, id);
    if (nd->kind == JL_NDARRAY || nd->kind == JL_SCALAR)
        jl_fail(&err, JL_E_ARG, JL_NO_OFFSET,
                "joblib_array(): the node at %s is an object array: its elements have no fixed-size "
                "bytes (joblib_json or joblib_each read them)", path);
    else
        jl_fail(&err, JL_E_ARG, JL_NO_OFFSET, "joblib_array(): the node at %s has type %s, not ndarray", path,
                jl_kind_name(nd->kind));
    jl_ext_result_error(ctx, &err, c->file, NULL);
}

static void fn_array(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *path;
    jl_ext_call c;
    uint32_t id = node_arg(ctx, argc, argv, "joblib_array", &c, &path);
    if (id == JL_NONE) return;
    jl_doc *doc = c.doc;
    jl_error err;
    jl_error_clear(&err);
    uint8_t kind = jl_node_at(doc, id)->kind;
    const jl_array *a = kind == JL_NDARRAY || kind == JL_SCALAR ? jl_array_of(doc, id) : NULL;
    if (!a || a->items != JL_NONE || a->dtype >= doc->ndtypes || doc->dtypes[a->dtype].has_object) {
        not_array_error(ctx, &c, id, path);
        jl_ext_end(&c);
        return;
    }
    const uint8_t *p = NULL;
    uint8_t *owned = NULL;
    uint64_t n = 0;
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, doc));
    jl_buf_puts(&b, "{\"dtype\":");
    uint64_t at = b.len;
    if (jl_ext_native_descr(doc, a->dtype, &b, &err) != JL_OK) goto fail;
    if (b.len > at && b.p[at] != '[') { /* a descr string: quote it */
        jl_buf d;
        jl_buf_init(&d, jl_ext_alloc(), 0);
        jl_buf_append(&d, b.p + at, b.len - at);
        b.len = at;
        if (!d.failed) jl_json_string(&b, d.p, d.len);
        else b.failed = d.failed;
        jl_buf_free(&d);
    }
    jl_buf_puts(&b, ",\"shape\":");
    jl_array_shape_json(doc, a, &b);
    jl_buf_puts(&b, ",\"order\":\"C\",\"data\":");
    if (jl_array_native_bytes(doc, id, &p, &n, &owned, &err) != JL_OK) goto fail;
    jl_render_base64(&b, p, n);
    jl_buf_putc(&b, '}');
    jl_free(&doc->alloc, owned);
    jl_ext_result_buf(ctx, &b, 1);
    jl_ext_end(&c);
    return;
fail:
    jl_buf_free(&b);
    jl_ext_result_error(ctx, &err, c.file, path);
    jl_ext_end(&c);
}

/* ---- joblib_info ------------------------------------------------------------ */

static const char *const format_names[] = {
    [JL_FMT_PICKLE] = "pickle",
    [JL_FMT_JOBLIB] = "joblib",
    [JL_FMT_LEGACY] = "joblib-legacy",
    [JL_FMT_ZF] = "joblib-zf",
    [JL_FMT_NPY] = "npy",
    [JL_FMT_NPZ] = "npz",
};

/* Appends file i of the doc as a JSON string. Sidecars are stored by their
 * plain name and live in the main file's directory: they are shown with
 * that directory, as paths that can be opened. */
static void info_file(const jl_doc *doc, uint64_t i, jl_buf *b) {
    const char *f = doc->files[i].path;
    const char *main = doc->files[0].path;
    const char *slash = strrchr(main, '/');
    if (i == 0 || !slash || strchr(f, '/')) {
        jl_json_string(b, f, strlen(f));
        return;
    }
    jl_buf p;
    jl_buf_init(&p, jl_ext_alloc(), 0);
    jl_buf_append(&p, main, (uint64_t)(slash - main) + 1);
    jl_buf_puts(&p, f);
    if (p.failed) b->failed = p.failed;
    else jl_json_string(b, p.p, (size_t)p.len);
    jl_buf_free(&p);
}

/* Appends one entry of "arrays" for ndarray node `id` at `fullkey`. */
static int info_array(jl_doc *doc, uint32_t id, const char *fullkey, jl_buf *b, jl_error *err) {
    const jl_array *a = jl_array_of(doc, id);
    const jl_dtype *dt = a->dtype < doc->ndtypes ? &doc->dtypes[a->dtype] : NULL;
    jl_buf_puts(b, "{\"path\":");
    jl_json_string(b, fullkey, strlen(fullkey));
    jl_buf_puts(b, ",\"dtype\":");
    if (dt) {
        jl_buf d;
        jl_buf_init(&d, jl_ext_alloc(), b->max);
        if (jl_dtype_descr(doc, a->dtype, &d) != JL_OK || d.failed) {
            int failed = d.failed;
            jl_buf_free(&d);
            return jl_fail(err, failed == JL_E_LIMIT ? JL_E_LIMIT : JL_E_NOMEM, JL_NO_OFFSET,
                           "cannot describe the dtype of the array at %s", fullkey);
        }
        /* structured dtypes are already a JSON list; plain descrs are quoted */
        if (d.len && d.p[0] == '[') jl_buf_append(b, d.p, d.len);
        else jl_json_string(b, d.p ? d.p : "", (size_t)d.len);
        jl_buf_free(&d);
    } else {
        jl_buf_puts(b, "null");
    }
    jl_buf_puts(b, ",\"shape\":");
    jl_array_shape_json(doc, a, b);
    jl_buf_printf(b, ",\"order\":\"%c\"", a->order == 'F' ? 'F' : 'C');
    uint64_t nbytes = 0;
    if (dt && jl_mul_overflow(jl_array_count(doc, a), dt->itemsize, &nbytes)) nbytes = 0;
    jl_buf_printf(b, ",\"nbytes\":%llu", (unsigned long long)nbytes);
    if (a->file != JL_NONE && a->file < doc->nfiles) {
        jl_buf_puts(b, ",\"file\":");
        info_file(doc, a->file, b);
    }
    if (dt && !dt->has_object && a->stream_off != JL_NO_OFFSET) jl_buf_printf(b, ",\"offset\":%llu", (unsigned long long)a->stream_off);
    else jl_buf_puts(b, ",\"offset\":null");
    jl_buf cls;
    jl_buf_init(&cls, jl_ext_alloc(), b->max);
    if (jl_render_class(doc, id, &cls) && cls.p && !cls.failed && strcmp(cls.p, "numpy.ndarray") != 0) {
        jl_buf_puts(b, ",\"class\":");
        jl_json_string(b, cls.p, (size_t)cls.len);
    }
    jl_buf_free(&cls);
    return jl_buf_putc(b, '}');
}

/* Appends one entry of "frames" for frame node `id` at `fullkey`: its
 * shape, index and columns (names as the joblib table names them, pandas
 * dtypes), or the reason it cannot be read as a table. */
static int info_frame(jl_doc *doc, uint32_t id, int kind, const char *fullkey, jl_buf *b) {
    jl_table_plan p;
    jl_error err;
    jl_error_clear(&err);
    uint32_t nindex = 0;
    jl_buf_puts(b, "{\"path\":");
    jl_json_string(b, fullkey, strlen(fullkey));
    jl_buf_printf(b, ",\"kind\":\"%s\"", kind == 1 ? "DataFrame" : "Series");
    int rc = jl_frame_plan_make(doc, id, fullkey, strlen(fullkey), jl_ext_alloc(), &p, &nindex, &err);
    if (rc == JL_E_NOMEM) {
        jl_table_plan_free(&p);
        return rc;
    }
    if (rc != JL_OK) {
        jl_buf_puts(b, ",\"error\":");
        jl_json_string(b, err.message, strlen(err.message));
    } else {
        jl_buf_printf(b, ",\"shape\":[%llu,%llu],\"index\":[", (unsigned long long)p.nrows,
                      (unsigned long long)(p.ncols - nindex));
        for (uint32_t j = 0; j < p.ncols; j++) {
            if (j == nindex) jl_buf_puts(b, "],\"columns\":[");
            else if (j) jl_buf_putc(b, ',');
            jl_buf_puts(b, "{\"name\":");
            jl_json_string(b, p.cols[j].name, strlen(p.cols[j].name));
            jl_buf_puts(b, ",\"dtype\":");
            jl_json_string(b, p.cols[j].pdtype, strlen(p.cols[j].pdtype));
            jl_buf_printf(b, ",\"type\":\"%s\"}", p.cols[j].decl);
        }
        if (nindex == p.ncols) jl_buf_puts(b, "],\"columns\":[");
        jl_buf_putc(b, ']');
    }
    jl_table_plan_free(&p);
    return jl_buf_putc(b, '}');
}

static void fn_info(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    jl_ext_call c;
    if (!jl_ext_begin(ctx, argv, 0, "joblib_info", &c)) return;
    jl_doc *doc = c.doc;
    jl_walk *w = NULL;
    jl_error err;
    jl_error_clear(&err);
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, doc));

    jl_buf_printf(&b, "{\"format\":\"%s\",\"compression\":\"%s\",\"protocol\":%u,\"python\":%u,",
                  doc->format < sizeof format_names / sizeof format_names[0] ? format_names[doc->format]
                                                                              : "unknown",
                  jl_compression_name((jl_compression)doc->compression), (unsigned)doc->protocol,
                  (unsigned)doc->python);
    jl_buf_printf(&b, "\"nodes\":%llu,\"size\":%llu,\"stream_size\":%llu,\"damaged\":",
                  (unsigned long long)c.mark.nnodes, (unsigned long long)doc->size,
                  (unsigned long long)doc->stream_len);
    if (doc->damaged[0]) jl_json_string(&b, doc->damaged, strlen(doc->damaged));
    else jl_buf_puts(&b, "null");
    jl_buf_puts(&b, ",\"files\":[");
    /* the main file first (when the codec did not list it), then the rest */
    int nf = 0;
    if (c.file && (doc->nfiles == 0 || strcmp(doc->files[0].path, c.file) != 0)) {
        jl_json_string(&b, c.file, strlen(c.file));
        nf++;
    }
    for (uint64_t i = 0; i < doc->nfiles; i++) {
        if (nf++) jl_buf_putc(&b, ',');
        info_file(doc, i, &b);
    }
    jl_buf_puts(&b, "],\"arrays\":[");

    int na = 0, nfr = 0;
    jl_buf fr; /* the "frames" entries, appended after "arrays" */
    jl_buf_init(&fr, jl_ext_alloc(), b.max);
    if (doc->root != JL_NONE) {
        jl_walk_row row;
        int rc;
        if (jl_walk_start(doc, doc->root, "$", 1, &w, &err) != JL_OK) goto fail;
        while ((rc = jl_walk_next(w, &row, &err)) == 1) {
            int fk = row.is_ref ? 0 : jl_frame_kind(doc, row.node);
            if (fk) {
                if (jl_walk_strings(w, &row, &err) != JL_OK) goto fail;
                if (nfr++) jl_buf_putc(&fr, ',');
                if (info_frame(doc, row.node, fk, row.fullkey, &fr) == JL_E_NOMEM) {
                    jl_fail(&err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
                    goto fail;
                }
            }
            /* rows of N-D object arrays are views, not arrays of the bundle */
            if (row.is_ref || row.view || jl_node_at(doc, row.node)->kind != JL_NDARRAY) continue;
            if (jl_walk_strings(w, &row, &err) != JL_OK) goto fail;
            if (na++) jl_buf_putc(&b, ',');
            if (info_array(doc, row.node, row.fullkey, &b, &err) != JL_OK && err.code != JL_OK)
                goto fail;
            if (b.failed) break;
        }
        if (rc < 0) goto fail;
    }
    jl_buf_puts(&b, "]");
    if (nfr) {
        jl_buf_puts(&b, ",\"frames\":[");
        if (fr.failed) b.failed = fr.failed;
        else jl_buf_append(&b, fr.p, fr.len);
        jl_buf_putc(&b, ']');
    }
    jl_buf_free(&fr);
    jl_buf_putc(&b, '}');
    jl_ext_result_buf(ctx, &b, 1);
    goto done;
fail:
    jl_buf_free(&fr);
    jl_buf_free(&b);
    jl_ext_result_error(ctx, &err, c.file, NULL);
done:
    jl_walk_free(w);
    jl_ext_end(&c);
}

/* ---- joblib_extract ---------------------------------------------------------- */

static void fn_extract(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *path;
    size_t n;
    jl_ext_call c;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    if (!path_arg(ctx, argc, argv, 1, "joblib_extract", &path, &n)) return;
    if (!jl_ext_begin(ctx, argv, 0, "joblib_extract", &c)) return;
    uint32_t id = resolve(&c, path, n);
    /* protocol 4, no compression; a bundle BLOB (subtype): nests as its
     * value in the write functions */
    if (id != JL_NONE) jl_write_result_bundle_at(ctx, c.doc, id, c.file, path);
    jl_ext_end(&c);
}

/* ---- joblib_config ------------------------------------------------------------ */

/* What joblib_config() names: a limit (a field of jl_limits), the cache's
 * size, or its counters (read only, JSON). */
enum { CFG_LIMIT, CFG_CACHE_BYTES, CFG_CACHE_STATS };

static const struct {
    const char *name;
    int kind;
    size_t off; /* CFG_LIMIT: in jl_limits */
} config_names[] = {
    { "max_decompressed", CFG_LIMIT, offsetof(jl_limits, max_decompressed) },
    { "max_nodes", CFG_LIMIT, offsetof(jl_limits, max_nodes) },
    { "max_depth", CFG_LIMIT, offsetof(jl_limits, max_depth) },
    { "max_memo", CFG_LIMIT, offsetof(jl_limits, max_memo) },
    { "max_alloc", CFG_LIMIT, offsetof(jl_limits, max_alloc) },
    { "cache_bytes", CFG_CACHE_BYTES, 0 },
    { "cache_stats", CFG_CACHE_STATS, 0 },
};
#define N_CONFIG (sizeof config_names / sizeof config_names[0])

static uint64_t *config_slot(jl_ext *e, size_t i) {
    if (config_names[i].kind == CFG_CACHE_BYTES) return &e->cache->max_bytes;
    return (uint64_t *)((char *)&e->limits + config_names[i].off);
}

/* Sets knob i to x (checked: >= 1, or >= 0 for cache_bytes). A new limit
 * applies to bundles opened afterwards, so the docs cached under the old
 * limits are dropped. */
static void config_set(jl_ext *e, size_t i, uint64_t x) {
    if (config_names[i].kind == CFG_CACHE_BYTES) {
        jl_doc_cache_set_max(e->cache, x);
    } else if (*config_slot(e, i) != x) {
        *config_slot(e, i) = x;
        jl_doc_cache_clear(e->cache);
    }
}

static void fn_config(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    jl_ext *e = sqlite3_user_data(ctx);
    if (argc == 0) {
        jl_buf b;
        jl_buf_init(&b, jl_ext_alloc(), 0);
        for (size_t i = 0; i < N_CONFIG; i++)
            if (config_names[i].kind != CFG_CACHE_STATS)
                jl_buf_printf(&b, "%c\"%s\":%llu", i ? ',' : '{', config_names[i].name,
                              (unsigned long long)*config_slot(e, i));
        jl_buf_putc(&b, '}');
        jl_ext_result_buf(ctx, &b, 1);
        return;
    }
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    size_t i = 0;
    if (sqlite3_value_type(argv[0]) == SQLITE_TEXT && name)
        while (i < N_CONFIG && strcmp(config_names[i].name, name) != 0) i++;
    else i = N_CONFIG;
    if (i == N_CONFIG) {
        jl_ext_result_errorf(ctx,
                             "joblib_config(): argument 1 (name) must be one of max_decompressed, "
                             "max_nodes, max_depth, max_memo, max_alloc, cache_bytes, cache_stats, "
                             "not %s%s%s",
                             name ? "'" : "", name ? name : jl_ext_type_name(argv[0]), name ? "'" : "");
        return;
    }
    if (config_names[i].kind == CFG_CACHE_STATS) {
        if (argc > 1) {
            jl_ext_result_errorf(ctx, "joblib_config(): cache_stats cannot be set");
            return;
        }
        jl_buf b;
        jl_buf_init(&b, jl_ext_alloc(), 0);
        jl_doc_cache_stats(e->cache, &b);
        jl_ext_result_buf(ctx, &b, 1);
        return;
    }
    if (argc > 1) {
        sqlite3_value *v = argv[1];
        int64_t x = 0;
        double d;
        int t = sqlite3_value_type(v);
        int least = config_names[i].kind == CFG_CACHE_BYTES ? 0 : 1;
        switch (t) {
        case SQLITE_NULL:
            sqlite3_result_null(ctx);
            return;
        case SQLITE_INTEGER:
            x = sqlite3_value_int64(v);
            break;
        case SQLITE_FLOAT:
            d = sqlite3_value_double(v);
            x = d >= 0 && d < 9.2e18 && d == (double)(int64_t)d ? (int64_t)d : -1;
            break;
        default:
            x = -1;
        }
        if (x < least) {
            /* a number is named by its value (-1, 2.5), anything else by its type */
            char *what = t == SQLITE_INTEGER ? sqlite3_mprintf("%lld", (long long)sqlite3_value_int64(v))
                         : t == SQLITE_FLOAT ? sqlite3_mprintf("%!.15g", sqlite3_value_double(v))
                                             : sqlite3_mprintf("%s", jl_ext_type_name(v));
            if (!what) {
                jl_ext_result_nomem(ctx, "reading the value argument");
                return;
            }
            jl_ext_result_errorf(ctx, "joblib_config(): argument 2 (value) must be a %s integer, not %s",
                                 least ? "positive" : "non-negative", what);
            sqlite3_free(what);
            return;
        }
        config_set(e, i, (uint64_t)x);
    }
    uint64_t v = *config_slot(e, i);
    sqlite3_result_int64(ctx, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* ---- registration ------------------------------------------------------------ */

#define JL_FN_CONFIG (SQLITE_UTF8 | SQLITE_DIRECTONLY)

/* Risk flags (see ext.h): the readers open a file when src is TEXT, so they
 * are neither DIRECTONLY nor INNOCUOUS, and not DETERMINISTIC since a file
 * can change. joblib_config changes connection state (it can raise the
 * limits that protect against hostile bundles): DIRECTONLY, so that no
 * view or trigger of an untrusted schema can call it. */
const jl_sql_func jl_read_funcs[] = {
    { "joblib_load", 1, JL_FN_FILE_READER | SQLITE_RESULT_SUBTYPE, fn_load, NULL, NULL },
    { "joblib_load", 2, JL_FN_FILE_READER | SQLITE_RESULT_SUBTYPE, fn_load, NULL, NULL },
    { "joblib_json", 1, JL_FN_FILE_READER | SQLITE_RESULT_SUBTYPE, fn_json, NULL, NULL },
    { "joblib_json", 2, JL_FN_FILE_READER | SQLITE_RESULT_SUBTYPE, fn_json, NULL, NULL },
    { "joblib_info", 1, JL_FN_FILE_READER | SQLITE_RESULT_SUBTYPE, fn_info, NULL, NULL },
    { "joblib_array", 1, JL_FN_FILE_READER | SQLITE_RESULT_SUBTYPE, fn_array, NULL, NULL },
    { "joblib_array", 2, JL_FN_FILE_READER | SQLITE_RESULT_SUBTYPE, fn_array, NULL, NULL },
    { "joblib_extract", 2, JL_FN_FILE_READER | SQLITE_RESULT_SUBTYPE, fn_extract, NULL, NULL },
    { "joblib_config", 0, JL_FN_CONFIG | SQLITE_RESULT_SUBTYPE, fn_config, NULL, NULL },
    { "joblib_config", 1, JL_FN_CONFIG, fn_config, NULL, NULL },
    { "joblib_config", 2, JL_FN_CONFIG, fn_config, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL },
};
