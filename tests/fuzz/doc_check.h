/*
 * doc_check.h - structural invariants of a decoded jl_doc, checked by the
 * fuzz targets after every successful decode and by test_hostile.c after
 * every corpus truncation or mutation that still decodes. A doc with
 * payloads left in a compressed stream (value/lazy.h) is checked once they
 * are read: a ref into the lazy block fails.
 *
 * A violation prints what broke and aborts (libFuzzer records the input as
 * a crash). Every byte a node refers to is read once, so ASan sees any ref
 * that points outside its heap block. Header-only: static functions.
 */
#ifndef JL_DOC_CHECK_H
#define JL_DOC_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "dtype.h"
#include "value.h"

#define JL_CHECK(cond, ...)                                                                  \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "doc_check: %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static volatile uint8_t jl_check_sink;

/* A byte range lies inside its block; reads its first and last byte. */
static inline void jl_check_ref(const jl_doc *doc, jl_ref r, const char *what, uint64_t who) {
    JL_CHECK(r.block < doc->nblocks, "%s %llu: block %u of %llu", what, (unsigned long long)who, r.block,
             (unsigned long long)doc->nblocks);
    /* the lazy block has no bytes: check docs once their arrays are read */
    JL_CHECK(r.block != doc->lazy_block, "%s %llu: in the stream, not read", what, (unsigned long long)who);
    const jl_block *b = &doc->blocks[r.block];
    uint64_t end;
    JL_CHECK(!jl_add_overflow(r.off, r.len, &end) && end <= b->len,
             "%s %llu: bytes [%llu, +%llu) outside block %u of %llu bytes", what, (unsigned long long)who,
             (unsigned long long)r.off, (unsigned long long)r.len, r.block, (unsigned long long)b->len);
    if (r.len) {
        jl_check_sink ^= b->p[r.off];
        jl_check_sink ^= b->p[r.off + r.len - 1];
    }
}

static inline void jl_check_node_id(const jl_doc *doc, uint32_t id, int may_be_none, const char *what, uint64_t who) {
    if (id == JL_NONE && may_be_none) return;
    JL_CHECK(id < doc->nnodes, "%s %llu refers to node %u of %llu", what, (unsigned long long)who, id,
             (unsigned long long)doc->nnodes);
}

static inline void jl_check_dtype(const jl_doc *doc, uint32_t dt) {
    JL_CHECK(dt < doc->ndtypes, "dtype %u of %llu", dt, (unsigned long long)doc->ndtypes);
    const jl_dtype *d = &doc->dtypes[dt];
    JL_CHECK(d->depth <= JL_DTYPE_MAX_DEPTH, "dtype %u depth %u", dt, d->depth);
    JL_CHECK(d->itemsize <= JL_DTYPE_MAX_ITEMSIZE, "dtype %u itemsize %llu", dt,
             (unsigned long long)d->itemsize);
    if (d->sub_ndim) {
        JL_CHECK(d->sub_base < doc->ndtypes, "dtype %u subarray base %u", dt, d->sub_base);
        JL_CHECK((uint64_t)d->sub_dims_at + d->sub_ndim <= doc->ndims, "dtype %u subarray dims", dt);
    }
    JL_CHECK((uint64_t)d->fields_at + d->nfields <= doc->nfields || d->nfields == 0, "dtype %u fields", dt);
    for (uint32_t i = 0; i < d->nfields; i++) {
        const jl_field *f = &doc->fields[d->fields_at + i];
        JL_CHECK(f->dtype < doc->ndtypes, "dtype %u field %u dtype %u", dt, i, f->dtype);
        uint64_t end;
        JL_CHECK(!jl_add_overflow(f->offset, doc->dtypes[f->dtype].itemsize, &end) && end <= d->itemsize,
                 "dtype %u field %u [%llu, +%llu) beyond itemsize %llu", dt, i, (unsigned long long)f->offset,
                 (unsigned long long)doc->dtypes[f->dtype].itemsize, (unsigned long long)d->itemsize);
        jl_check_ref(doc, f->name, "field name of dtype", dt);
        jl_check_ref(doc, f->title, "field title of dtype", dt);
    }
}

static inline void jl_check_array(const jl_doc *doc, uint64_t ai, int scalar) {
    const jl_array *a = &doc->arrays[ai];
    jl_check_dtype(doc, a->dtype);
    const jl_dtype *d = &doc->dtypes[a->dtype];
    JL_CHECK(a->ndim <= 64, "array %llu ndim %u", (unsigned long long)ai, a->ndim);
    JL_CHECK(!scalar || a->ndim == 0, "scalar %llu with %u dims", (unsigned long long)ai, a->ndim);
    JL_CHECK((uint64_t)a->dims_at + a->ndim <= doc->ndims || a->ndim == 0, "array %llu dims", (unsigned long long)ai);
    JL_CHECK(a->order == 'C' || a->order == 'F', "array %llu order %d", (unsigned long long)ai, a->order);
    JL_CHECK(a->file == JL_NONE || a->file < doc->nfiles, "array %llu file %u", (unsigned long long)ai, a->file);
    jl_check_node_id(doc, a->cls, 1, "class of array", ai);
    int zero = 0;
    for (unsigned k = 0; k < a->ndim; k++) zero |= doc->dims[a->dims_at + k] == 0;
    uint64_t count = 1;
    for (unsigned k = 0; k < a->ndim && !zero; k++)
        JL_CHECK(!jl_mul_overflow(count, doc->dims[a->dims_at + k], &count), "array %llu count overflows",
                 (unsigned long long)ai);
    if (zero) count = 0;
    if (d->has_object || a->items != JL_NONE) {
        if (a->items != JL_NONE) {
            jl_check_node_id(doc, a->items, 0, "items of array", ai);
            JL_CHECK(jl_is_container(doc->nodes[a->items].kind), "array %llu items are a %s",
                     (unsigned long long)ai, jl_kind_name(doc->nodes[a->items].kind));
            JL_CHECK(doc->nodes[a->items].len == count, "array %llu has %u items for %llu elements",
                     (unsigned long long)ai, doc->nodes[a->items].len, (unsigned long long)count);
        }
        return;
    }
    uint64_t nbytes;
    JL_CHECK(!jl_mul_overflow(count, d->itemsize, &nbytes), "array %llu bytes overflow", (unsigned long long)ai);
    JL_CHECK(a->data.len == nbytes, "array %llu holds %llu bytes, shape x itemsize = %llu", (unsigned long long)ai,
             (unsigned long long)a->data.len, (unsigned long long)nbytes);
    jl_check_ref(doc, a->data, "data of array", ai);
}

/* Checks every node and side-table entry of doc. */
static inline void jl_check_doc(const jl_doc *doc) {
    JL_CHECK(doc->root < doc->nnodes, "root %u of %llu nodes", doc->root, (unsigned long long)doc->nnodes);
    for (uint64_t b = 0; b < doc->nblocks; b++)
        JL_CHECK(doc->blocks[b].p || doc->blocks[b].len == 0 || b == doc->lazy_block, "block %llu has no bytes",
                 (unsigned long long)b);
    for (uint64_t i = 0; i < doc->nnodes; i++) {
        const jl_node *n = &doc->nodes[i];
        JL_CHECK(n->kind < JL_KIND_COUNT, "node %llu kind %u", (unsigned long long)i, n->kind);
        switch (n->kind) {
        case JL_INT: /* big ints are bytes */
            if (n->flags & JL_F_BIG) {
                jl_ref r = { n->u.off, n->len, n->block };
                jl_check_ref(doc, r, "big int node", i);
            }
            break;
        case JL_STR:
        case JL_BYTES:
        case JL_BYTEARRAY:
        case JL_COMPLEX: {
            jl_ref r = { n->u.off, n->len, n->block };
            jl_check_ref(doc, r, "node", i);
            if (n->kind == JL_COMPLEX) JL_CHECK(n->len == 16, "complex node %llu of %u bytes", (unsigned long long)i, n->len);
            break;
        }
        case JL_LIST:
        case JL_TUPLE:
        case JL_DICT:
        case JL_SET:
        case JL_FROZENSET: {
            if (n->len == 0) break;
            JL_CHECK(n->len <= n->u.kids.cap, "container %llu len %u > cap %u", (unsigned long long)i, n->len,
                     n->u.kids.cap);
            JL_CHECK((uint64_t)n->u.kids.first + n->len <= doc->nkids, "container %llu kids [%u, +%u) of %llu",
                     (unsigned long long)i, n->u.kids.first, n->len, (unsigned long long)doc->nkids);
            if (n->kind == JL_DICT) JL_CHECK(n->len % 2 == 0, "dict %llu with %u kids", (unsigned long long)i, n->len);
            const uint32_t *k = jl_kids_of(doc, (uint32_t)i);
            for (uint32_t j = 0; j < n->len; j++) jl_check_node_id(doc, k[j], 0, "child of container", i);
            break;
        }
        case JL_NDARRAY:
        case JL_SCALAR:
            JL_CHECK(n->u.ext < doc->narrays, "array node %llu ext %llu", (unsigned long long)i,
                     (unsigned long long)n->u.ext);
            jl_check_array(doc, n->u.ext, n->kind == JL_SCALAR);
            break;
        case JL_OBJECT: {
            JL_CHECK(n->u.ext < doc->nobjects, "object node %llu ext %llu", (unsigned long long)i,
                     (unsigned long long)n->u.ext);
            const jl_object *o = &doc->objects[n->u.ext];
            jl_check_node_id(doc, o->cls, 0, "class of object", i);
            jl_check_node_id(doc, o->args, 1, "args of object", i);
            jl_check_node_id(doc, o->kwargs, 1, "kwargs of object", i);
            jl_check_node_id(doc, o->state, 1, "state of object", i);
            jl_check_node_id(doc, o->listitems, 1, "listitems of object", i);
            jl_check_node_id(doc, o->dictitems, 1, "dictitems of object", i);
            if (o->args != JL_NONE)
                JL_CHECK(doc->nodes[o->args].kind == JL_TUPLE, "object %llu args are a %s", (unsigned long long)i,
                         jl_kind_name(doc->nodes[o->args].kind));
            if (o->dtype != JL_NONE) jl_check_dtype(doc, o->dtype);
            JL_CHECK(o->how <= JL_HOW_OBJ, "object %llu how %u", (unsigned long long)i, o->how);
            break;
        }
        case JL_GLOBAL: {
            JL_CHECK(n->u.ext < doc->nglobals, "global node %llu ext %llu", (unsigned long long)i,
                     (unsigned long long)n->u.ext);
            const jl_global *g = &doc->globals[n->u.ext];
            jl_check_ref(doc, g->module, "module of global", i);
            jl_check_ref(doc, g->name, "name of global", i);
            break;
        }
        default: break;
        }
    }
    for (uint64_t t = 0; t < doc->ndtypes; t++) jl_check_dtype(doc, (uint32_t)t);
}

#endif
