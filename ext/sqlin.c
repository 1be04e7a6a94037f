/*
 * sqlin.c - SQL values into nodes of a doc being built (the input side of
 * every write function):
 *
 *   NULL                         None
 *   INTEGER                      int
 *   REAL                         float (NaN and infinities kept)
 *   TEXT                         str (must be valid UTF-8)
 *   TEXT with subtype 'J' (74)   JSON (json(), json_object() ...): dicts,
 *                                lists, str, int (big ints too), float,
 *                                bool, None
 *   BLOB                         bytes
 *   BLOB with subtype 'j' (106)  a bundle (joblib_dumps, a constructor, an
 *                                aggregate, joblib(blob)): the value it
 *                                holds, grafted losslessly (arrays keep
 *                                dtype, shape and order; shared references
 *                                stay shared)
 *
 * Example: SELECT joblib_dumps(joblib_list(1, 'a', json('[true,null]')));
 * gives the bundle of [1, 'a', [True, None]].
 */
#include "write.h"

#include <string.h>

#include "decode.h"
#include "graft.h"
#include "jsonin.h"

void jl_sqlin_init(jl_sqlin *s, jl_doc *doc, const jl_ext *ext, int borrow) {
    memset(s, 0, sizeof *s);
    s->doc = doc;
    s->ext = ext;
    s->borrow = borrow;
}

void jl_sqlin_free(jl_sqlin *s) {
    for (uint64_t i = 0; i < s->nkeep; i++) jl_doc_free(s->keep[i]);
    sqlite3_free(s->keep);
    s->keep = NULL;
    s->nkeep = s->cap_keep = 0;
}

static int nomem(jl_error *err) { return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory"); }

/* A bundle BLOB: opened, its root grafted into s->doc. */
static int nested_bundle(jl_sqlin *s, sqlite3_value *v, uint32_t *out, jl_error *err) {
    static const uint8_t empty[1];
    const uint8_t *p = sqlite3_value_blob(v);
    int n = sqlite3_value_bytes(v);
    if (!p && n > 0) return nomem(err);
    jl_limits lim;
    if (s->ext) lim = s->ext->limits;
    else jl_limits_default(&lim);
    jl_open_opts o = { jl_ext_alloc(), &lim };
    jl_doc *src = NULL;
    /* the argument's bytes live through the call: src borrows them; the
     * graft copies what it takes unless the built doc is written within
     * the call too (s->borrow) */
    int rc = jl_open_memory(p ? p : empty, (uint64_t)n, 1, &o, &src, err);
    if (rc) {
        /* say what the BLOB was taken for */
        char msg[sizeof err->message];
        memcpy(msg, err->message, sizeof msg);
        jl_fail(err, err->code, err->offset, "cannot open a BLOB marked as a bundle: %.200s", msg);
        return rc;
    }
    if (src->root == JL_NONE) {
        jl_doc_free(src);
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "a BLOB marked as a bundle holds no value");
    }
    rc = jl_graft(s->doc, src, src->root, s->borrow, out, err);
    if (rc == JL_OK && s->borrow) {
        /* keep src: the built doc refers to its blocks */
        if (jl_grow(jl_ext_alloc(), (void **)&s->keep, &s->cap_keep, s->nkeep + 1, sizeof(jl_doc *), 0)) {
            jl_doc_free(src);
            return nomem(err);
        }
        s->keep[s->nkeep++] = src;
        return JL_OK;
    }
    jl_doc_free(src);
    return rc;
}

int jl_sqlin_value(jl_sqlin *s, sqlite3_value *v, uint32_t *out, jl_error *err) {
    jl_doc *doc = s->doc;
    *out = JL_NONE;
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
        *out = jl_node_new(doc, JL_NULL, err);
        break;
    case SQLITE_INTEGER:
        *out = jl_new_int(doc, (int64_t)sqlite3_value_int64(v), err);
        break;
    case SQLITE_FLOAT:
        *out = jl_new_float(doc, sqlite3_value_double(v), err);
        break;
    case SQLITE_TEXT: {
        const char *p = (const char *)sqlite3_value_text(v);
        int n = sqlite3_value_bytes(v);
        if (!p) return nomem(err);
        if (sqlite3_value_subtype(v) == JL_JSON_SUBTYPE) return jl_json_parse(doc, p, (size_t)n, out, err);
        uint64_t bad;
        if (!jl_utf8_valid((const uint8_t *)p, (uint64_t)n, &bad))
            return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "TEXT is not valid UTF-8 (byte %llu)",
                           (unsigned long long)bad);
        *out = jl_new_bytes(doc, JL_STR, p, (uint64_t)n, err);
        break;
    }
    case SQLITE_BLOB: {
        if (sqlite3_value_subtype(v) == JL_BUNDLE_SUBTYPE) return nested_bundle(s, v, out, err);
        const void *p = sqlite3_value_blob(v);
        int n = sqlite3_value_bytes(v);
        if (!p && n > 0) return nomem(err);
        *out = jl_new_bytes(doc, JL_BYTES, p, (uint64_t)n, err);
        break;
    }
    default:
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "a SQL value of unknown type");
    }
    return *out == JL_NONE ? (err->code ? (int)err->code : nomem(err)) : JL_OK;
}
