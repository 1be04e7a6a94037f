/*
 * constructors.c - values made in SQL, each returned as a bundle BLOB
 * (marked with the bundle subtype, so that it nests losslessly in another
 * constructor, an aggregate, joblib_dumps or joblib_dump).
 *
 *   joblib_ndarray(data, dtype [, shape [, order]])
 *       a numpy array: data is a BLOB of the raw elements, read as
 *       numpy.ndarray(shape, dtype, buffer=data, order=order) reads it.
 *       dtype: a numpy descr string ('<f8', '>i4', '|S5', '<U3',
 *       '<M8[ns]', 'float32', ...) or a JSON list for structured dtypes
 *       ('[["x","<i4"],["y","<f8",[2]]]'). shape: a JSON array
 *       ('[2,3]', '[]' for 0-d) or an INTEGER; default 1-D, as many
 *       elements as data holds. order: 'C' (default) or 'F'.
 *   joblib_list(v, ...)     a list      (joblib_list() = [])
 *   joblib_tuple(v, ...)    a tuple
 *   joblib_dict(k, v, ...)  a dict of the key/value pairs, in order (a
 *                           repeated key keeps the last value, as Python)
 *
 * Each argument is any SQL value, JSON text or a bundle BLOB (sqlin.c).
 * Example:
 *
 *   SELECT joblib_dumps(joblib_dict('w', joblib_ndarray(x'000000000000f03f', '<f8'),
 *                                   'tags', json('["a","b"]'),
 *                                   'shape', joblib_tuple(1, 2)));
 *   -- {'w': array([1.]), 'tags': ['a', 'b'], 'shape': (1, 2)}
 *
 * A NULL data or dtype gives NULL. Errors name the argument: a bad dtype
 * string, data whose length is not a multiple of the itemsize, a shape
 * that does not match the data, an object dtype (it has no raw bytes: use
 * joblib_list or joblib_group_array), a dict key Python cannot hash
 * (list, dict, set, bytearray, ndarray).
 */
#include "write.h"

#include <string.h>

#include "array_build.h"
#include "dtype.h"
#include "hashable.h"
#include "pyeq.h"
#include "jsonin.h"

static const uint8_t empty_bytes[1];

/* ---- joblib_ndarray ------------------------------------------------------- */

/* Parses the shape argument into dims; 0 or -1 with the error set. */
static int shape_arg(sqlite3_context *ctx, jl_doc *doc, sqlite3_value *v, int64_t *dims, unsigned *ndim) {
    if (sqlite3_value_type(v) == SQLITE_INTEGER) {
        sqlite3_int64 n = sqlite3_value_int64(v);
        if (n < 0) {
            jl_ext_result_errorf(ctx, "joblib_ndarray: shape %lld is negative", (long long)n);
            return -1;
        }
        dims[0] = n;
        *ndim = 1;
        return 0;
    }
    if (sqlite3_value_type(v) != SQLITE_TEXT) {
        jl_ext_result_errorf(ctx, "joblib_ndarray: shape must be a JSON array of integers or an INTEGER, not %s",
                             jl_ext_type_name(v));
        return -1;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    if (!s) {
        jl_ext_result_nomem(ctx, "reading a text argument");
        return -1;
    }
    jl_error err;
    jl_error_clear(&err);
    uint32_t id;
    uint64_t mark = doc->nnodes;
    if (jl_json_parse(doc, s, (size_t)sqlite3_value_bytes(v), &id, &err) != JL_OK) {
        jl_ext_result_errorf(ctx, "joblib_ndarray: shape '%.100s' is not a JSON array: %s", s, err.message);
        return -1;
    }
    const jl_node *n = &doc->nodes[id];
    if (n->kind == JL_INT && !(n->flags & JL_F_BIG)) { /* '5' as 5 */
        *ndim = 1;
        dims[0] = n->u.i;
    } else {
        if (n->kind != JL_LIST) {
            jl_ext_result_errorf(ctx, "joblib_ndarray: shape '%.100s' is not a JSON array", s);
            return -1;
        }
        if (n->len > JL_MAX_WRITE_DIMS) {
            jl_ext_result_errorf(ctx, "joblib_ndarray: shape '%.100s' has more than %d dimensions", s, JL_MAX_WRITE_DIMS);
            return -1;
        }
        *ndim = n->len;
        for (unsigned i = 0; i < n->len; i++) {
            const jl_node *k = &doc->nodes[jl_kids_of(doc, id)[i]];
            if (k->kind != JL_INT || (k->flags & JL_F_BIG)) {
                jl_ext_result_errorf(ctx, "joblib_ndarray: shape '%.100s': dimension %u is not an integer", s, i);
                return -1;
            }
            dims[i] = k->u.i;
        }
    }
    for (unsigned i = 0; i < *ndim; i++)
        if (dims[i] < 0) {
            jl_ext_result_errorf(ctx, "joblib_ndarray: shape '%.100s': dimension %u is negative", s, i);
            return -1;
        }
    if (mark < doc->multi_nnodes) jl_doc_multi_forget(doc);
    doc->nnodes = mark; /* the parsed shape is not part of the value */
    return 0;
}

/* Parses the dtype argument; 0 or -1 with the error set. */
static int dtype_arg(sqlite3_context *ctx, jl_doc *doc, sqlite3_value *v, const char *fname, uint32_t *dt) {
    if (sqlite3_value_type(v) != SQLITE_TEXT) {
        jl_ext_result_errorf(ctx, "%s: dtype must be TEXT (a numpy descr such as '<f8'), not %s", fname,
                             jl_ext_type_name(v));
        return -1;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    if (!s) {
        jl_ext_result_nomem(ctx, "reading the dtype argument");
        return -1;
    }
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_dtype_parse_text(doc, s, (size_t)sqlite3_value_bytes(v), sqlite3_value_subtype(v) == JL_JSON_SUBTYPE,
                                 dt, &err);
    if (rc != JL_OK) {
        if (err.code == JL_E_NOMEM) jl_ext_result_error(ctx, &err, NULL, NULL);
        else jl_ext_result_errorf(ctx, "%s: bad dtype '%.100s': %s", fname, s, err.message);
        return -1;
    }
    return 0;
}

void jl_fn_ndarray(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    for (int i = 0; i < 2; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
        jl_ext_result_errorf(ctx, "joblib_ndarray: data must be a BLOB of raw elements, not %s",
                             jl_ext_type_name(argv[0]));
        return;
    }
    const uint8_t *data = sqlite3_value_blob(argv[0]);
    uint64_t len = (uint64_t)sqlite3_value_bytes(argv[0]);
    if (!data && len) {
        jl_ext_result_nomem(ctx, "reading the data argument");
        return;
    }
    if (!data) data = empty_bytes;
    jl_doc *doc = jl_write_new_doc(ctx);
    if (!doc) {
        jl_ext_result_nomem(ctx, "starting a bundle");
        return;
    }
    jl_error err;
    jl_error_clear(&err);
    uint32_t dt;
    int64_t dims[JL_MAX_WRITE_DIMS];
    unsigned ndim = 1;
    char order = 'C';
    if (dtype_arg(ctx, doc, argv[1], "joblib_ndarray", &dt)) goto done;
    if (doc->dtypes[dt].has_object) {
        char descr[64];
        jl_dtype_descr_text(doc, dt, descr, sizeof descr);
        jl_ext_result_errorf(ctx, "joblib_ndarray: dtype %s holds Python objects, which have no raw bytes "
                             "(use joblib_list or joblib_group_array)", descr);
        goto done;
    }
    if (argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
        if (shape_arg(ctx, doc, argv[2], dims, &ndim)) goto done;
    } else {
        uint64_t n;
        if (jl_array_infer_len(doc, dt, len, &n, &err) != JL_OK) goto build_error;
        dims[0] = (int64_t)n;
    }
    if (argc > 3 && sqlite3_value_type(argv[3]) != SQLITE_NULL) {
        const char *o = (const char *)sqlite3_value_text(argv[3]);
        if (sqlite3_value_type(argv[3]) != SQLITE_TEXT || !o || (strcmp(o, "C") && strcmp(o, "F") &&
                                                                   strcmp(o, "c") && strcmp(o, "f"))) {
            jl_ext_result_errorf(ctx, "joblib_ndarray: order must be 'C' or 'F'");
            goto done;
        }
        order = (o[0] == 'F' || o[0] == 'f') ? 'F' : 'C';
    }
    /* the argument's bytes outlive doc (freed before returning): borrow them */
    uint32_t blk = jl_block_add(doc, data, len, JL_BLOCK_BORROWED, &err);
    if (blk == JL_NONE) goto build_error;
    uint64_t udims[JL_MAX_WRITE_DIMS];
    for (unsigned i = 0; i < ndim; i++) udims[i] = (uint64_t)dims[i]; /* shape_arg refused negatives */
    jl_array_spec spec = { dt, udims, ndim, order, { 0, len, blk }, JL_NONE };
    uint32_t id = jl_array_build(doc, &spec, &err);
    if (id == JL_NONE) goto build_error;
    jl_write_result_bundle(ctx, doc, id);
    goto done;
build_error:
    /* the codec's checks of the arguments name the function */
    if (err.code == JL_E_ARG) jl_ext_result_errorf(ctx, "joblib_ndarray: %s", err.message);
    else jl_ext_result_error(ctx, &err, NULL, NULL);
done:
    jl_doc_free(doc);
}

/* ---- joblib_list, joblib_tuple, joblib_dict ----------------------------------- */

/* A container of kind `kind` holding every argument. */
static void make_container(sqlite3_context *ctx, int argc, sqlite3_value **argv, jl_kind kind,
                           const char *fname) {
    if (kind == JL_DICT && argc % 2) {
        jl_ext_result_errorf(ctx, "%s: arguments must be key, value pairs (got %d arguments)", fname, argc);
        return;
    }
    jl_doc *doc = jl_write_new_doc(ctx);
    if (!doc) {
        jl_ext_result_nomem(ctx, "starting a bundle");
        return;
    }
    jl_sqlin in;
    jl_sqlin_init(&in, doc, sqlite3_user_data(ctx), 1);
    jl_error err;
    jl_error_clear(&err);
    uint32_t *ids = argc ? sqlite3_malloc64((sqlite3_uint64)argc * sizeof *ids) : NULL;
    uint32_t id = JL_NONE;
    if (argc && !ids) {
        jl_ext_result_nomem(ctx, "reading the arguments");
        goto done;
    }
    for (int i = 0; i < argc; i++) {
        if (jl_sqlin_value(&in, argv[i], &ids[i], &err) != JL_OK) {
            if (err.code == JL_E_NOMEM) jl_ext_result_error(ctx, &err, NULL, NULL);
            else jl_ext_result_errorf(ctx, "%s: argument %d: %s", fname, i + 1, err.message);
            goto done;
        }
        if (kind == JL_DICT && i % 2 == 0 && !jl_value_hashable(doc, ids[i], JL_HASHABLE_DEPTH)) {
            jl_ext_result_errorf(ctx, "%s: key %d is a %s, which Python cannot use as a dict key", fname,
                                 i / 2 + 1, jl_kind_name(doc->nodes[ids[i]].kind));
            goto done;
        }
    }
    uint64_t nids = (uint64_t)argc, pairs;
    if (kind == JL_DICT) { /* joblib_dict(1, 'x', 1.0, 'y') is {1: 'y'}, as in Python */
        if (jl_py_dict_merge(doc, ids, nids, &pairs, &err)) {
            jl_ext_result_error(ctx, &err, NULL, NULL);
            goto done;
        }
        nids = 2 * pairs;
    }
    if ((id = jl_node_new(doc, kind, &err)) == JL_NONE ||
        jl_kids_append(doc, id, ids, nids, &err) != JL_OK) {
        jl_ext_result_error(ctx, &err, NULL, NULL);
        goto done;
    }
    jl_write_result_bundle(ctx, doc, id);
done:
    sqlite3_free(ids);
    jl_sqlin_free(&in);
    jl_doc_free(doc);
}

void jl_fn_list(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    make_container(ctx, argc, argv, JL_LIST, "joblib_list");
}

void jl_fn_tuple(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    make_container(ctx, argc, argv, JL_TUPLE, "joblib_tuple");
}

void jl_fn_dict(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    make_container(ctx, argc, argv, JL_DICT, "joblib_dict");
}
