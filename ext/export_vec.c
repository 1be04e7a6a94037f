/*
 * export_vec.c - joblib_export's vector columns (export_vec.h): a BLOB
 * column of rows of one dtype and shape, named by its declared type
 * ("float32[384]") or held as ndarray bundles, stacked into one ndarray.
 */
#include "export_vec.h"

#include <string.h>

#include "array_build.h"
#include "decode.h"
#include "dtype.h"
#include "ndarray.h"

/* Stacking is off for good: the rows' bytes are dropped, except a
 * declared column's, which are the values themselves (the caller may have
 * kept them only here: jl_vecstack_raw_row, then jl_vecstack_free). */
static void turn_off(jl_vecstack *v, jl_doc *doc) {
    v->state = JL_VEC_OFF;
    if (!v->declared) {
        jl_free(&doc->alloc, v->buf);
        v->buf = NULL;
        v->len = v->cap = 0;
    }
    sqlite3_free(v->descr);
    v->descr = NULL;
}

/* Parses "name[d1][d2]..." into dims (in order) and the name's length;
 * 0 when decl has no trailing [digits] group or too many. */
static size_t split_decl(const char *decl, uint64_t *dims, unsigned *ndim) {
    size_t n = strlen(decl);
    uint64_t rev[JL_MAX_WRITE_DIMS];
    unsigned nd = 0;
    while (n > 2 && decl[n - 1] == ']') {
        size_t k = n - 1;
        while (k > 0 && decl[k - 1] >= '0' && decl[k - 1] <= '9') k--;
        if (k == n - 1 || k < 2 || decl[k - 1] != '[' || n - 1 - k > 18) break;
        if (nd == JL_MAX_WRITE_DIMS - 1) return 0; /* the stacked array adds an axis */
        uint64_t d = 0;
        for (size_t i = k; i < n - 1; i++) d = d * 10 + (uint64_t)(decl[i] - '0');
        rev[nd++] = d;
        n = k - 1;
    }
    if (nd == 0) return 0;
    for (unsigned i = 0; i < nd; i++) dims[i] = rev[nd - 1 - i];
    *ndim = nd;
    return n;
}

int jl_vecstack_init(jl_vecstack *v, jl_doc *doc, const char *decl) {
    memset(v, 0, sizeof *v);
    v->dtype = JL_NONE;
    if (!decl) return 0;
    uint64_t dims[JL_MAX_WRITE_DIMS];
    unsigned nd = 0;
    size_t n = split_decl(decl, dims, &nd);
    if (n == 0) return 0;
    jl_error err;
    uint32_t dt;
    jl_error_clear(&err);
    if (jl_dtype_parse(doc, decl, n, &dt, &err) != JL_OK) return 0;
    /* only numpy's own name of the dtype, as the joblib table declares it:
     * "float32" yes, "float" (numpy's float64, sqlite-vec's float32) no */
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), 0);
    jl_dtype_name(doc, dt, &b);
    int canonical = !b.failed && b.len == n && memcmp(b.p, decl, n) == 0;
    jl_buf_free(&b);
    const jl_dtype *d = &doc->dtypes[dt];
    if (!canonical || d->has_object || jl_dtype_needs_swap(doc, dt)) return 0;
    uint64_t bytes = d->itemsize;
    for (unsigned i = 0; i < nd; i++)
        if (jl_mul_overflow(bytes, dims[i], &bytes)) return 0;
    v->declared = 1;
    v->dtype = dt;
    v->ndim = nd;
    memcpy(v->dims, dims, nd * sizeof dims[0]);
    v->rowbytes = bytes;
    return 1;
}

/* Appends one row's bytes. */
static int append(jl_vecstack *v, jl_doc *doc, const uint8_t *p, uint64_t n, jl_error *err) {
    int rc = jl_grow(&doc->alloc, (void **)&v->buf, &v->cap, v->len + n + 1, 1, doc->limits.max_alloc);
    if (rc == JL_E_LIMIT) {
        turn_off(v, doc); /* the column stays an object array, which has its own checks */
        return JL_OK;
    }
    if (rc) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    if (n) memcpy(v->buf + v->len, p, (size_t)n);
    v->len += n;
    v->state = JL_VEC_ON;
    return JL_OK;
}

/* A BLOB that may be an ndarray bundle: its native bytes appended when it
 * is one of the column's dtype and shape, else stacking is off. */
static int add_bundle(jl_vecstack *v, jl_doc *doc, const uint8_t *p, uint64_t n, jl_error *err) {
    if (n < 2 || p[0] != 0x80) { /* not a pickle with PROTO: not a bundle */
        turn_off(v, doc);
        return JL_OK;
    }
    jl_open_opts o = { jl_ext_alloc(), &doc->limits };
    jl_doc *b = NULL;
    jl_error e;
    jl_error_clear(&e);
    jl_buf d;
    jl_buf_init(&d, jl_ext_alloc(), 0);
    const uint8_t *q = NULL;
    uint64_t qn = 0;
    uint8_t *owned = NULL;
    uint32_t ndt;
    int rc = JL_OK, fits = 0;
    if (jl_open_memory(p, n, 1, &o, &b, &e) != JL_OK) {
        if (e.code == JL_E_NOMEM) rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
        goto done;
    }
    if (b->root == JL_NONE || jl_node_at(b, b->root)->kind != JL_NDARRAY) goto done;
    const jl_array *a = jl_array_of(b, b->root);
    if (a->ndim >= JL_MAX_WRITE_DIMS || b->dtypes[a->dtype].has_object) goto done;
    if (jl_dtype_native(b, a->dtype, &ndt, &e) != JL_OK || jl_dtype_descr(b, ndt, &d) != JL_OK || d.failed)
        goto done;
    a = jl_array_of(b, b->root); /* jl_dtype_native may have grown the tables */
    if (jl_array_native_bytes(b, b->root, &q, &qn, &owned, &e) != JL_OK) goto done;
    const uint64_t *dims = b->dims + a->dims_at;
    if (v->state == JL_VEC_UNSET) {
        v->descr = sqlite3_mprintf("%s", d.p);
        if (!v->descr) {
            rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
            goto done;
        }
        if (jl_dtype_parse_text(doc, d.p, (size_t)d.len, 0, &v->dtype, &e) != JL_OK) goto done;
        v->ndim = a->ndim;
        memcpy(v->dims, dims, a->ndim * sizeof dims[0]);
        v->rowbytes = qn;
        fits = 1;
    } else {
        fits = a->ndim == v->ndim && qn == v->rowbytes && strcmp(d.p, v->descr) == 0 &&
               memcmp(dims, v->dims, a->ndim * sizeof dims[0]) == 0;
    }
    if (fits) rc = append(v, doc, q, qn, err);
done:
    if (!fits && rc == JL_OK) turn_off(v, doc);
    if (owned) jl_free(&b->alloc, owned);
    jl_buf_free(&d);
    jl_doc_free(b);
    return rc;
}

int jl_vecstack_add(jl_vecstack *v, jl_doc *doc, int type, const uint8_t *p, uint64_t n, jl_error *err) {
    if (v->state == JL_VEC_OFF) return JL_OK;
    if (type != SQLITE_BLOB || (v->declared && n != v->rowbytes)) {
        turn_off(v, doc);
        return JL_OK;
    }
    if (v->declared) return append(v, doc, p, n, err);
    return add_bundle(v, doc, p ? p : (const uint8_t *)"", n, err);
}

int jl_vecstack_ready(const jl_vecstack *v, uint64_t nrows) {
    return v->state == JL_VEC_ON || (v->declared && v->state == JL_VEC_UNSET && nrows == 0);
}

/* Hands the buffer to the doc as a block; its id, or JL_NONE. */
static uint32_t to_block(jl_vecstack *v, jl_doc *doc, jl_error *err) {
    if (!v->buf && jl_grow(&doc->alloc, (void **)&v->buf, &v->cap, 1, 1, 0))
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory"), JL_NONE;
    uint32_t block = jl_block_add(doc, v->buf, v->len, JL_BLOCK_HEAP, err);
    if (block != JL_NONE) {
        v->buf = NULL; /* the doc owns it now */
        v->cap = 0;
    }
    return block;
}

uint32_t jl_vecstack_array(jl_vecstack *v, jl_doc *doc, uint64_t nrows, jl_error *err) {
    uint64_t dims[JL_MAX_WRITE_DIMS];
    dims[0] = nrows;
    memcpy(dims + 1, v->dims, v->ndim * sizeof dims[0]);
    uint64_t len = v->len;
    uint32_t block = to_block(v, doc, err);
    if (block == JL_NONE) return JL_NONE;
    jl_array_spec s = { v->dtype, dims, v->ndim + 1, 'C', (jl_ref){ 0, len, block }, JL_NONE };
    return jl_array_build(doc, &s, err);
}

int jl_vecstack_rows(jl_vecstack *v, jl_doc *doc, uint64_t nrows, uint32_t *ids, jl_error *err) {
    uint32_t block = to_block(v, doc, err);
    if (block == JL_NONE) return err->code;
    for (uint64_t r = 0; r < nrows; r++) {
        jl_array_spec s = { v->dtype, v->dims, v->ndim, 'C', (jl_ref){ r * v->rowbytes, v->rowbytes, block },
                            JL_NONE };
        ids[r] = jl_array_build(doc, &s, err);
        if (ids[r] == JL_NONE) return err->code;
    }
    return JL_OK;
}

const uint8_t *jl_vecstack_raw_row(const jl_vecstack *v, uint64_t r) {
    return v->declared && v->buf && (r + 1) * v->rowbytes <= v->len ? v->buf + r * v->rowbytes : NULL;
}

void jl_vecstack_free(jl_vecstack *v, jl_doc *doc) {
    if (doc) jl_free(&doc->alloc, v->buf);
    v->buf = NULL;
    sqlite3_free(v->descr);
    v->descr = NULL;
}
