/*
 * array_build.c - making array and scalar nodes from their parts
 * (array_build.h): the checks of shape x itemsize against the data, the
 * order rule, and the fields of jl_array set in one place.
 */
#include "array_build.h"

#include "dtype.h"

#include <stdio.h>

char jl_array_layout_order(const uint64_t *dims, unsigned ndim, char order) {
    unsigned big = 0;
    int zero = 0;
    for (unsigned i = 0; i < ndim; i++) {
        big += dims[i] > 1;
        zero |= dims[i] == 0;
    }
    return order == 'F' && big > 1 && !zero ? 'F' : 'C';
}

/* Checks the data (or items) of s against its shape. */
static int check_parts(const jl_doc *doc, const jl_array_spec *s, jl_error *err) {
    if (s->dtype >= doc->ndtypes) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "no dtype %u", s->dtype);
    if (s->ndim > JL_MAX_WRITE_DIMS)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "an array of %u dimensions (at most %d are written)",
                       s->ndim, JL_MAX_WRITE_DIMS);
    const jl_dtype *d = &doc->dtypes[s->dtype];
    int64_t dims[JL_MAX_WRITE_DIMS];
    for (unsigned i = 0; i < s->ndim; i++) dims[i] = (int64_t)s->dims[i];
    uint64_t count, nbytes;
    int rc = jl_shape_nbytes(dims, s->ndim, d->has_object ? 0 : d->itemsize, &count, &nbytes, err);
    if (rc) return rc;
    char descr[64]; /* for messages */
    if (d->has_object) {
        if (s->items == JL_NONE || s->items >= doc->nnodes || doc->nodes[s->items].kind != JL_LIST) {
            jl_dtype_descr_text(doc, s->dtype, descr, sizeof descr);
            return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "an array of dtype %s needs the list of its items", descr);
        }
        if (doc->nodes[s->items].len != count)
            return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "an array of %llu elements has %llu items",
                           (unsigned long long)count, (unsigned long long)doc->nodes[s->items].len);
        return JL_OK;
    }
    if (s->items != JL_NONE) {
        jl_dtype_descr_text(doc, s->dtype, descr, sizeof descr);
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "an array of dtype %s has bytes, not items", descr);
    }
    if (nbytes != s->data.len) {
        char shape[JL_MAX_WRITE_DIMS * 21 + 1];
        size_t at = 0;
        shape[0] = 0;
        for (unsigned i = 0; i < s->ndim; i++)
            at += (size_t)snprintf(shape + at, sizeof shape - at, "%s%lld", i ? "," : "", (long long)dims[i]);
        jl_dtype_descr_text(doc, s->dtype, descr, sizeof descr);
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "shape [%s] of %s needs %llu bytes, data has %llu", shape,
                       descr, (unsigned long long)nbytes, (unsigned long long)s->data.len);
    }
    return JL_OK;
}

/* A new array record and its node of kind `kind`; JL_NONE with err set. */
static uint32_t new_node(jl_doc *doc, jl_kind kind, unsigned ndim, uint32_t *ai, uint32_t *at, jl_error *err) {
    *ai = jl_array_new(doc, err);
    *at = *ai == JL_NONE ? JL_NONE : jl_dims_new(doc, ndim, err);
    uint32_t id = *at == JL_NONE ? JL_NONE : jl_node_new(doc, kind, err);
    if (id != JL_NONE) doc->nodes[id].u.ext = *ai;
    return id;
}

uint32_t jl_array_build(jl_doc *doc, const jl_array_spec *s, jl_error *err) {
    if (check_parts(doc, s, err) != JL_OK) return JL_NONE;
    uint32_t ai, at, id = new_node(doc, JL_NDARRAY, s->ndim, &ai, &at, err);
    if (id == JL_NONE) return JL_NONE;
    for (unsigned i = 0; i < s->ndim; i++) doc->dims[at + i] = s->dims[i];
    jl_array *a = &doc->arrays[ai];
    a->dtype = s->dtype;
    a->items = doc->dtypes[s->dtype].has_object ? s->items : JL_NONE;
    a->dims_at = at;
    a->ndim = (uint8_t)s->ndim;
    a->order = jl_array_layout_order(s->dims, s->ndim, s->order);
    a->origin = JL_ORIGIN_BUILT;
    a->is_scalar = 0;
    a->data = s->data;
    a->stream_off = JL_NO_OFFSET;
    return id;
}

uint32_t jl_scalar_build(jl_doc *doc, uint32_t dtype, jl_ref data, jl_error *err) {
    uint32_t ai, at, id = new_node(doc, JL_SCALAR, 0, &ai, &at, err);
    if (id == JL_NONE) return JL_NONE;
    jl_array *a = &doc->arrays[ai];
    a->dtype = dtype;
    a->dims_at = at;
    a->ndim = 0;
    a->order = 'C';
    a->origin = JL_ORIGIN_VIEW;
    a->is_scalar = 1;
    a->data = data;
    a->stream_off = JL_NO_OFFSET;
    return id;
}

int jl_array_infer_len(const jl_doc *doc, uint32_t dtype, uint64_t len, uint64_t *n, jl_error *err) {
    uint64_t itemsize = doc->dtypes[dtype].itemsize;
    if (itemsize && len % itemsize == 0) {
        *n = len / itemsize;
        return JL_OK;
    }
    char descr[64];
    jl_dtype_descr_text(doc, dtype, descr, sizeof descr);
    if (itemsize == 0) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "dtype %s has no size: give a shape", descr);
    return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "data of %llu bytes is not a multiple of the itemsize %llu of %s",
                       (unsigned long long)len, (unsigned long long)itemsize, descr);
}
