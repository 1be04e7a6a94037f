/*
 * ndarray.c - array data as the SQL surface wants it (ndarray.h): element
 * bytes in C order and native byte order (zero copy when they already
 * are), rows along the first axis as scalar / view nodes, shapes as JSON.
 *
 * Fortran-order data (first index fastest) is transposed to C order for
 * any number of dimensions; big-endian parts of a dtype are swapped field
 * by field (jl_dtype_swap).
 */
#include "ndarray.h"

#include "dtype.h"
#include "lazy.h"

#include <string.h>

/* Copies the F-order elements at src into C order at dst. dims[0..ndim),
 * `count` elements of `size` bytes. The C-order walk keeps an odometer
 * over the indices and the matching F-order byte offset. */
static void f_to_c(uint8_t *dst, const uint8_t *src, const uint64_t *dims, unsigned ndim,
                   uint64_t count, uint64_t size) {
    uint64_t idx[JL_MAX_DIMS] = {0}, fstride[JL_MAX_DIMS];
    uint64_t s = size;
    for (unsigned k = 0; k < ndim; k++) {
        fstride[k] = s;
        s *= dims[k];
    }
    uint64_t off = 0;
    for (uint64_t e = 0; e < count; e++) {
        memcpy(dst + e * size, src + off, (size_t)size);
        /* next C index: the last axis moves fastest */
        for (unsigned k = ndim; k-- > 0;) {
            if (++idx[k] < dims[k]) {
                off += fstride[k];
                break;
            }
            off -= fstride[k] * (dims[k] - 1);
            idx[k] = 0;
        }
    }
}

/* 1 when F-order bytes of this shape differ from C-order bytes: at least
 * two axes longer than 1. */
static int layout_matters(const uint64_t *dims, unsigned ndim) {
    unsigned big = 0;
    for (unsigned k = 0; k < ndim; k++) {
        if (dims[k] == 0) return 0;
        if (dims[k] > 1) big++;
    }
    return big > 1;
}

static int check_data(const jl_doc *doc, const jl_array *a, uint64_t *count, uint64_t *nbytes,
                      jl_error *err) {
    const jl_dtype *d = &doc->dtypes[a->dtype];
    if (d->has_object || a->items != JL_NONE)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "an object array has no fixed-size element bytes");
    *count = jl_array_count(doc, a);
    if (jl_mul_overflow(*count, d->itemsize, nbytes))
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "array size overflows 64 bits");
    if (a->data.len < *nbytes)
        return jl_fail(err, JL_E_FORMAT, a->stream_off, "array data holds %llu bytes, its shape needs %llu",
                       (unsigned long long)a->data.len, (unsigned long long)*nbytes);
    return JL_OK;
}

int jl_array_native_bytes(const jl_doc *doc, uint32_t id, const uint8_t **p, uint64_t *n,
                          uint8_t **owned, jl_error *err) {
    *p = NULL;
    *n = 0;
    *owned = NULL;
    uint8_t kind = jl_node_at(doc, id)->kind;
    if (kind != JL_NDARRAY && kind != JL_SCALAR)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "a %s node is not an array", jl_kind_name(kind));
    const jl_array *a = jl_array_of(doc, id);
    uint64_t count = 0, nbytes = 0;
    if (a->ndim > JL_MAX_DIMS)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "array with %u dimensions (max %d)", a->ndim, JL_MAX_DIMS);
    int rc = check_data(doc, a, &count, &nbytes, err);
    if (rc) return rc;
    const uint8_t *src = jl_ref_ptr(doc, a->data);
    const uint64_t *dims = a->ndim ? doc->dims + a->dims_at : NULL;
    int transpose = a->order == 'F' && a->ndim > 1 && layout_matters(dims, a->ndim);
    int swap = jl_dtype_needs_swap(doc, a->dtype);
    if (!transpose && !swap) {
        *p = src ? src : (const uint8_t *)""; /* never NULL, even for 0 bytes */
        *n = nbytes;
        return JL_OK;
    }
    if (nbytes > doc->limits.max_alloc || nbytes > SIZE_MAX)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "converting %llu array bytes exceeds max_alloc (%llu)",
                       (unsigned long long)nbytes, (unsigned long long)doc->limits.max_alloc);
    uint8_t *buf = jl_malloc(&doc->alloc, (size_t)nbytes);
    if (!buf)
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory converting %llu array bytes",
                       (unsigned long long)nbytes);
    if (transpose) f_to_c(buf, src, dims, a->ndim, count, doc->dtypes[a->dtype].itemsize);
    else if (nbytes) memcpy(buf, src, (size_t)nbytes);
    if (swap) jl_dtype_swap(doc, a->dtype, buf, count);
    *p = buf;
    *n = nbytes;
    *owned = buf;
    return JL_OK;
}

/* A new array record + node of `kind`; returns the node id, *ai the array. */
static uint32_t new_array_node(jl_doc *doc, jl_kind kind, uint32_t *ai, jl_error *err) {
    *ai = jl_array_new(doc, err);
    if (*ai == JL_NONE) return JL_NONE;
    uint32_t id = jl_node_new(doc, kind, err);
    if (id == JL_NONE) return JL_NONE;
    doc->nodes[id].u.ext = *ai;
    return id;
}

/* Row i of an N-d object array: a list node with its items. */
static uint32_t object_row(jl_doc *doc, const jl_array *a, uint64_t i, uint64_t rowcount, jl_error *err) {
    uint32_t items = a->items;
    uint32_t dtype = a->dtype, ai, cls = JL_NONE;
    unsigned ndim = a->ndim;
    uint32_t src_dims = a->dims_at;
    uint64_t first;
    if (jl_mul_overflow(i, rowcount, &first) || items == JL_NONE ||
        first + rowcount > jl_node_at(doc, items)->len) {
        jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "object array holds fewer items than its shape");
        return JL_NONE;
    }
    uint32_t list = jl_node_new(doc, JL_LIST, err);
    if (list == JL_NONE) return JL_NONE;
    uint32_t chunk[256];
    for (uint64_t k = 0; k < rowcount;) {
        uint64_t m = rowcount - k < 256 ? rowcount - k : 256;
        memcpy(chunk, jl_kids_of(doc, items) + first + k, (size_t)m * sizeof chunk[0]);
        if (jl_kids_append(doc, list, chunk, m, err)) return JL_NONE;
        k += m;
    }
    uint32_t at = jl_dims_new(doc, ndim - 1, err);
    if (at == JL_NONE) return JL_NONE;
    memcpy(doc->dims + at, doc->dims + src_dims + 1, (size_t)(ndim - 1) * sizeof(uint64_t));
    uint32_t id = new_array_node(doc, JL_NDARRAY, &ai, err);
    if (id == JL_NONE) return JL_NONE;
    jl_array *r = &doc->arrays[ai];
    r->dtype = dtype;
    r->cls = cls;
    r->items = list;
    r->dims_at = at;
    r->ndim = (uint8_t)(ndim - 1);
    r->order = 'C';
    r->origin = JL_ORIGIN_VIEW;
    r->stream_off = JL_NO_OFFSET;
    return id;
}

uint32_t jl_array_row(jl_doc *doc, uint32_t id, uint64_t i, jl_error *err) {
    jl_error_clear(err);
    if (jl_node_at(doc, id)->kind != JL_NDARRAY) return JL_NONE;
    jl_array a = *jl_array_of(doc, id); /* a copy: the tables move as rows are added */
    if (a.ndim == 0 || i >= doc->dims[a.dims_at]) return JL_NONE;
    if (a.order == 'F' && a.ndim > 1 && a.data.block == doc->lazy_block) { /* the row is gathered */
        if (jl_lazy_load(doc, id, err)) return JL_NONE;
        a = *jl_array_of(doc, id);
    }
    if (a.ndim > JL_MAX_DIMS) {
        jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "array with %u dimensions (max %d)", a.ndim, JL_MAX_DIMS);
        return JL_NONE;
    }
    const jl_dtype *d = &doc->dtypes[a.dtype];
    uint64_t size = d->itemsize;
    int is_object = d->has_object || a.items != JL_NONE;
    uint32_t ai, node;

    if (a.ndim == 1) {
        if (is_object) {
            if (a.items == JL_NONE || i >= jl_node_at(doc, a.items)->len) {
                jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "object array holds fewer items than its shape");
                return JL_NONE;
            }
            return jl_kids_of(doc, a.items)[i];
        }
        if (a.data.len / (size ? size : 1) <= i && size) {
            jl_fail(err, JL_E_FORMAT, a.stream_off, "array data is shorter than its shape");
            return JL_NONE;
        }
        node = new_array_node(doc, JL_SCALAR, &ai, err);
        if (node == JL_NONE) return JL_NONE;
        jl_array *r = &doc->arrays[ai];
        r->dtype = a.dtype;
        r->dims_at = 0;
        r->ndim = 0;
        r->order = 'C';
        r->origin = JL_ORIGIN_VIEW;
        r->is_scalar = 1;
        r->file = a.file;
        r->data = (jl_ref){a.data.off + i * size, size, a.data.block};
        r->stream_off = a.stream_off == JL_NO_OFFSET ? JL_NO_OFFSET : a.stream_off + i * size;
        return node;
    }

    /* N-d: a view of ndim-1 dimensions */
    uint64_t rowcount = 1, rowbytes;
    for (unsigned k = 1; k < a.ndim; k++) rowcount *= doc->dims[a.dims_at + k];
    if (is_object) return object_row(doc, &a, i, rowcount, err);
    rowbytes = rowcount * size;
    uint64_t total, need;
    if (jl_mul_overflow(doc->dims[a.dims_at], rowbytes, &total) || a.data.len < total ||
        jl_mul_overflow(i, rowbytes, &need)) {
        jl_fail(err, JL_E_FORMAT, a.stream_off, "array data is shorter than its shape");
        return JL_NONE;
    }
    uint32_t at = jl_dims_new(doc, a.ndim - 1, err);
    if (at == JL_NONE) return JL_NONE;
    memcpy(doc->dims + at, doc->dims + a.dims_at + 1, (size_t)(a.ndim - 1) * sizeof(uint64_t));
    jl_ref data = {a.data.off + i * rowbytes, rowbytes, a.data.block};
    uint64_t stream_off = a.stream_off == JL_NO_OFFSET ? JL_NO_OFFSET : a.stream_off + i * rowbytes;
    if (a.order == 'F' && layout_matters(doc->dims + a.dims_at, a.ndim)) {
        /* element (i, j...) of an F array sits at i*size + sum(j_k * stride_k);
         * the row's own F layout starts at i*size with strides scaled by dims[0] */
        jl_ref heap;
        uint8_t *dst = jl_heap_alloc(doc, rowbytes, &heap, err);
        if (!dst) return JL_NONE;
        const uint8_t *src = jl_ref_ptr(doc, a.data) + i * size;
        uint64_t idx[JL_MAX_DIMS] = {0}, fstride[JL_MAX_DIMS], s = size * doc->dims[a.dims_at];
        unsigned rd = a.ndim - 1;
        const uint64_t *rdims = doc->dims + at;
        for (unsigned k = 0; k < rd; k++) {
            fstride[k] = s;
            s *= rdims[k];
        }
        uint64_t off = 0;
        for (uint64_t e = 0; e < rowcount; e++) {
            memcpy(dst + e * size, src + off, (size_t)size);
            for (unsigned k = rd; k-- > 0;) {
                if (++idx[k] < rdims[k]) {
                    off += fstride[k];
                    break;
                }
                off -= fstride[k] * (rdims[k] - 1);
                idx[k] = 0;
            }
        }
        data = heap;
        stream_off = JL_NO_OFFSET;
    }
    node = new_array_node(doc, JL_NDARRAY, &ai, err);
    if (node == JL_NONE) return JL_NONE;
    jl_array *r = &doc->arrays[ai];
    r->dtype = a.dtype;
    r->dims_at = at;
    r->ndim = (uint8_t)(a.ndim - 1);
    r->order = 'C';
    r->origin = JL_ORIGIN_VIEW;
    r->file = a.file;
    r->data = data;
    r->stream_off = stream_off;
    return node;
}

void jl_array_row_copy(const jl_doc *doc, const jl_array *a, uint64_t i, uint8_t *dst) {
    const uint64_t *dims = doc->dims + a->dims_at;
    uint64_t size = doc->dtypes[a->dtype].itemsize, rowcount = 1;
    for (unsigned k = 1; k < a->ndim; k++) rowcount *= dims[k];
    const uint8_t *src = jl_ref_ptr(doc, a->data);
    if (a->order != 'F' || a->ndim < 2) {
        if (rowcount && size) memcpy(dst, src + i * rowcount * size, (size_t)(rowcount * size));
    } else {
        /* element (i, j1, ..., jk) of F-order data sits at size * (i + d0 * (j1 + d1 * (...))):
         * the row's elements in C order walk the last axis fastest */
        uint64_t idx[JL_MAX_DIMS] = {0}, fstride[JL_MAX_DIMS], s = size * dims[0], off = i * size;
        unsigned rd = a->ndim - 1u;
        for (unsigned k = 0; k < rd; k++) {
            fstride[k] = s;
            s *= dims[k + 1];
        }
        for (uint64_t e = 0; e < rowcount; e++) {
            memcpy(dst + e * size, src + off, (size_t)size);
            for (unsigned k = rd; k-- > 0;) {
                if (++idx[k] < dims[k + 1]) {
                    off += fstride[k];
                    break;
                }
                off -= fstride[k] * (dims[k + 1] - 1);
                idx[k] = 0;
            }
        }
    }
    if (jl_dtype_needs_swap(doc, a->dtype)) jl_dtype_swap(doc, a->dtype, dst, rowcount);
}

int jl_array_shape_json(const jl_doc *doc, const jl_array *a, jl_buf *b) {
    jl_buf_putc(b, '[');
    for (unsigned k = 0; k < a->ndim; k++)
        jl_buf_printf(b, k ? ",%llu" : "%llu", (unsigned long long)doc->dims[a->dims_at + k]);
    jl_buf_putc(b, ']');
    return b->failed;
}
