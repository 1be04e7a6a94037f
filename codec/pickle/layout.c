/*
 * layout.c - joblib's array layouts, finished at the BUILD of a wrapper:
 *
 *   NumpyArrayWrapper (joblib >= 0.10): the array bytes follow the BUILD
 *     in the stream, after an optional alignment byte + padding
 *     (joblib >= 1.2); object arrays follow as a nested pickle.
 *   NDArrayWrapper (joblib < 0.10): the array is a .npy sidecar file
 *     (jl_layout_npy_array, which also makes .npy files and .npz members).
 *   ZNDArrayWrapper (joblib < 0.10, compressed): a ZF-compressed sidecar
 *     of raw bytes, with numpy's _reconstruct arguments and state.
 *
 * Sidecars are opened only in the main file's directory and only by a
 * plain file name (no '/', '\', "..", NUL, absolute path, nor a symlink
 * that resolves outside that directory).
 */
#include "layout.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "dtype.h"
#include "feed.h"
#include "lazy.h"
#include "npy.h"
#include "npy_file.h"
#include "reduce.h"
#include "source.h"

enum wrapper_kind { W_NONE, W_INLINE, W_NPY, W_ZNPY };

/* Every (module, class) under which joblib.load finds a wrapper: its
 * unpicklers test isinstance against NumpyArrayWrapper (numpy_pickle.py)
 * and NDArrayWrapper (numpy_pickle_compat.py, imported into numpy_pickle
 * with ZNDArrayWrapper, its subclass), so a class pickled under either
 * module resolves; old scikit-learn vendored the same two modules under
 * sklearn.externals.joblib. NumpyArrayWrapper is not in the compat module. */
static const struct {
    const char *module;
    const char *name;
    enum wrapper_kind kind;
} wrappers[] = {
    { "joblib.numpy_pickle", "NumpyArrayWrapper", W_INLINE },
    { "joblib.numpy_pickle", "NDArrayWrapper", W_NPY },
    { "joblib.numpy_pickle", "ZNDArrayWrapper", W_ZNPY },
    { "joblib.numpy_pickle_compat", "NDArrayWrapper", W_NPY },
    { "joblib.numpy_pickle_compat", "ZNDArrayWrapper", W_ZNPY },
    { "sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper", W_INLINE },
    { "sklearn.externals.joblib.numpy_pickle", "NDArrayWrapper", W_NPY },
    { "sklearn.externals.joblib.numpy_pickle", "ZNDArrayWrapper", W_ZNPY },
    { "sklearn.externals.joblib.numpy_pickle_compat", "NDArrayWrapper", W_NPY },
    { "sklearn.externals.joblib.numpy_pickle_compat", "ZNDArrayWrapper", W_ZNPY },
};

static enum wrapper_kind wrapper_kind_of(const jl_doc *doc, uint32_t cls) {
    if (cls == JL_NONE || doc->nodes[cls].kind != JL_GLOBAL) return W_NONE;
    const jl_global *g = jl_global_of(doc, cls);
    for (size_t i = 0; i < sizeof wrappers / sizeof *wrappers; i++)
        if (jl_ref_eq(doc, g->module, wrappers[i].module) && jl_ref_eq(doc, g->name, wrappers[i].name))
            return wrappers[i].kind;
    return W_NONE;
}

static uint32_t state_get(const jl_doc *doc, uint32_t state, const char *key) {
    return jl_dict_get(doc, state, key, strlen(key));
}

static int need_key(jl_vm *vm, uint32_t state, const char *key, uint32_t *out) {
    *out = state_get(vm->doc, state, key);
    if (*out == JL_NONE) return jl_vm_fail(vm, JL_E_FORMAT, "array wrapper state has no '%s'", key);
    return JL_OK;
}

static char order_of(const jl_doc *doc, uint32_t node) {
    const uint8_t *p;
    uint64_t n;
    if (node != JL_NONE && !jl_node_text(doc, node, &p, &n) && n == 1 && p[0] == 'F') return 'F';
    return 'C';
}

static void redirect(uint32_t *slot, uint32_t from, uint32_t to) {
    if (*slot == from) *slot = to;
}

/* Runs a nested pickle (an object array's payload) and adopts its array:
 * `obj` becomes the array, and every reference the payload made to its
 * own root (an array that contains itself) is pointed at `obj`, so that
 * sharing survives. Only what the nested run created can refer to its
 * root, so only those kids and side-table entries are scanned. */
static int adopt_nested(jl_vm *vm, uint32_t obj, uint32_t block, uint64_t start, const char *where,
                        uint32_t cls, uint64_t *end) {
    jl_doc *doc = vm->doc;
    uint64_t kids0 = doc->nkids, objects0 = doc->nobjects, arrays0 = doc->narrays;
    uint32_t root;
    uint8_t protocol = doc->protocol; /* the file's, not the payload's (joblib uses 2 there) */
    int rc = vm->run_nested(vm->dec, block, start, where, &root, end, vm->err);
    jl_vm_sync(vm); /* a stream read as it inflates may have moved */
    doc->protocol = protocol;
    if (rc) return rc;
    if (doc->nodes[root].kind != JL_NDARRAY)
        return jl_vm_fail(vm, JL_E_FORMAT, "object array payload is a %s, not an array",
                          jl_kind_name(doc->nodes[root].kind));
    jl_node *nd = &doc->nodes[obj];
    nd->kind = JL_NDARRAY;
    nd->flags = 0;
    nd->u.ext = doc->nodes[root].u.ext;
    if (cls != JL_NONE) jl_array_of(doc, obj)->cls = cls;
    for (uint64_t i = kids0; i < doc->nkids; i++) redirect(&doc->kids[i], root, obj);
    for (uint64_t i = objects0; i < doc->nobjects; i++) {
        jl_object *o = &doc->objects[i];
        redirect(&o->cls, root, obj);
        redirect(&o->args, root, obj);
        redirect(&o->kwargs, root, obj);
        redirect(&o->state, root, obj);
        redirect(&o->listitems, root, obj);
        redirect(&o->dictitems, root, obj);
    }
    for (uint64_t i = arrays0; i < doc->narrays; i++) {
        redirect(&doc->arrays[i].items, root, obj);
        redirect(&doc->arrays[i].cls, root, obj);
    }
    return JL_OK;
}

/* The payload of an inline array in a stream read as it inflates (feed.h)
 * that is not all read yet: a big one is skipped and its array refers to
 * the doc's lazy block at its stream offset; a small one is read. */
static int skip_payload(jl_vm *vm, uint32_t obj, uint32_t dt, uint32_t shape, char order, uint32_t cls,
                        uint64_t nbytes) {
    jl_doc *doc = vm->doc;
    int rc;
    jl_ref ref = { vm->pos, nbytes, vm->block };
    if (nbytes < vm->dec->feed->lazy_min) {
        if ((rc = jl_vm_fill(vm, nbytes))) return rc;
    } else {
        uint64_t at = jl_vm_stream_at(vm, vm->pos), got;
        if ((rc = jl_feed_skip(vm->dec->feed, vm->pos, nbytes, &got, vm->err))) return rc;
        jl_vm_sync(vm);
        if (got < nbytes)
            return jl_vm_fail(vm, JL_E_TRUNCATED, "file is truncated: the array needs %llu bytes but only %llu remain",
                              (unsigned long long)nbytes, (unsigned long long)got);
        ref = (jl_ref){ at, nbytes, doc->lazy_block };
        if (jl_lazy_note(doc, at, nbytes, vm->err)) return vm->err->code;
    }
    if (nbytes > vm->len - vm->pos && ref.block == vm->block)
        return jl_vm_fail(vm, JL_E_TRUNCATED, "file is truncated: the array needs %llu bytes but only %llu remain",
                          (unsigned long long)nbytes, (unsigned long long)(vm->len - vm->pos));
    uint32_t data = jl_new_ref(doc, JL_BYTES, ref, vm->err);
    if (data == JL_NONE) return vm->err->code;
    if (jl_vm_make_array(vm, obj, dt, shape, order, cls, data, JL_ORIGIN_WRAPPER))
        return vm->err->code ? (int)vm->err->code : JL_E_FORMAT;
    if (ref.block == vm->block) vm->pos += nbytes;
    else doc->nodes[data] = (jl_node){ .kind = JL_NULL }; /* only arrays may refer to the lazy block (lazy.h) */
    return JL_OK;
}

/* NumpyArrayWrapper: shape, order, dtype, subclass, allow_mmap and, since
 * joblib 1.2, numpy_array_alignment_bytes. */
static int finish_inline(jl_vm *vm, uint32_t obj, uint32_t state) {
    jl_doc *doc = vm->doc;
    uint32_t shape, dtn, dt;
    int rc;
    if ((rc = need_key(vm, state, "shape", &shape)) || (rc = need_key(vm, state, "dtype", &dtn))) return rc;
    if (jl_vm_dtype_of(vm, dtn, &dt)) return vm->err->code;
    uint32_t cls = state_get(doc, state, "subclass");
    char order = order_of(doc, state_get(doc, state, "order"));
    if (vm->dec->nesting > 1)
        return jl_vm_fail(vm, JL_E_FORMAT, "array wrapper inside an object array's payload");
    if (doc->format != JL_FMT_LEGACY) doc->format = JL_FMT_JOBLIB;
    if ((rc = jl_vm_frame_done(vm))) return rc;
    if (doc->dtypes[dt].has_object) {
        uint64_t end;
        if ((rc = adopt_nested(vm, obj, vm->block, vm->pos, vm->where, cls, &end))) return rc;
        jl_array_of(doc, obj)->origin = JL_ORIGIN_WRAPPER;
        jl_array_of(doc, obj)->stream_off = jl_vm_stream_at(vm, vm->pos);
        vm->pos = end;
        return JL_OK;
    }
    uint32_t align = state_get(doc, state, "numpy_array_alignment_bytes");
    if (align != JL_NONE && doc->nodes[align].kind != JL_NULL) {
        if ((rc = jl_vm_fill(vm, 1 + 255))) return rc; /* the padding byte and the padding */
        if (vm->pos >= vm->len)
            return jl_vm_fail(vm, JL_E_TRUNCATED, "file is truncated: the array's padding byte is missing");
        uint8_t pad = vm->p[vm->pos];
        if (vm->len - vm->pos - 1 < pad)
            return jl_vm_fail(vm, JL_E_TRUNCATED,
                              "file is truncated: the array's padding needs %u bytes but only %llu remain",
                              (unsigned)pad, (unsigned long long)(vm->len - vm->pos - 1));
        vm->pos += 1 + (uint64_t)pad;
    }
    /* the data is the next nbytes of the stream: validate, then refer to it */
    int64_t dims[JL_MAX_DIMS];
    if (doc->nodes[shape].kind != JL_TUPLE || doc->nodes[shape].len > JL_MAX_DIMS)
        return jl_vm_fail(vm, JL_E_FORMAT, "array wrapper shape is not a tuple");
    unsigned ndim = doc->nodes[shape].len;
    for (unsigned i = 0; i < ndim; i++)
        if (jl_node_int64(doc, jl_kids_of(doc, shape)[i], &dims[i]))
            return jl_vm_fail(vm, JL_E_FORMAT, "array dimension %u is not an int", i);
    uint64_t count, nbytes;
    if (jl_shape_nbytes(dims, ndim, doc->dtypes[dt].itemsize, &count, &nbytes, vm->err)) {
        vm->err->offset = vm->op_off;
        return vm->err->code;
    }
    if (nbytes > vm->len - vm->pos && jl_vm_feeding(vm)) return skip_payload(vm, obj, dt, shape, order, cls, nbytes);
    if (nbytes > vm->len - vm->pos)
        return jl_vm_fail(vm, JL_E_TRUNCATED, "file is truncated: the array needs %llu bytes but only %llu remain",
                          (unsigned long long)nbytes, (unsigned long long)(vm->len - vm->pos));
    jl_ref ref = { vm->pos, nbytes, vm->block };
    uint32_t data = jl_new_ref(doc, JL_BYTES, ref, vm->err);
    if (data == JL_NONE) return vm->err->code;
    if (jl_vm_make_array(vm, obj, dt, shape, order, cls, data, JL_ORIGIN_WRAPPER))
        return vm->err->code ? (int)vm->err->code : JL_E_FORMAT;
    vm->pos += nbytes;
    return JL_OK;
}

/* Checks a sidecar name and opens it as a new block. */
static int open_sidecar(jl_vm *vm, uint32_t name_node, int compressed, uint32_t *block, char *where,
                        size_t where_cap) {
    jl_doc *doc = vm->doc;
    const uint8_t *p;
    uint64_t n;
    if (name_node == JL_NONE || jl_node_text(doc, name_node, &p, &n))
        return jl_vm_fail(vm, JL_E_FORMAT, "array wrapper state has no 'filename'");
    char name[512];
    if (n == 0 || n >= sizeof name) return jl_vm_fail(vm, JL_E_UNSAFE, "sidecar file name of %llu bytes", (unsigned long long)n);
    memcpy(name, p, (size_t)n);
    name[n] = 0;
    int bad = memchr(p, 0, (size_t)n) != NULL || strchr(name, '/') || strchr(name, '\\') ||
              strstr(name, "..") || name[0] == '~';
    if (bad) {
        for (uint64_t i = 0; i < n; i++)
            if (!name[i]) name[i] = '?';
        return jl_vm_fail(vm, JL_E_UNSAFE, "refusing sidecar file name '%s': only a plain name in the bundle's directory is allowed",
                          name);
    }
    if (!vm->dec->dir)
        return jl_vm_fail(vm, JL_E_UNSUPPORTED,
                          "the bundle keeps an array in sidecar file '%s'; open it by path, not as a BLOB", name);
    char path[PATH_MAX + 600];
    snprintf(path, sizeof path, "%s/%s", vm->dec->dir, name);
    /* a symlink must not lead out of the directory */
    char real_dir[PATH_MAX], real_file[PATH_MAX];
    if (realpath(vm->dec->dir, real_dir) && realpath(path, real_file)) {
        size_t dl = strlen(real_dir);
        if (strncmp(real_file, real_dir, dl) != 0 || real_file[dl] != '/' || strchr(real_file + dl + 1, '/'))
            return jl_vm_fail(vm, JL_E_UNSAFE, "refusing sidecar '%s': it resolves outside the bundle's directory", name);
    }
    jl_mapped m;
    if (jl_map_file(path, &doc->alloc, doc->limits.max_decompressed, &m, vm->err)) {
        vm->err->offset = vm->op_off;
        return vm->err->code;
    }
    uint8_t owner = m.is_mmap ? JL_BLOCK_MMAP : JL_BLOCK_HEAP;
    const uint8_t *bytes = m.p;
    uint64_t len = m.len;
    if (compressed) {
        uint8_t *out;
        uint64_t out_len;
        int rc = jl_decompress_block(JL_COMP_ZF, m.p, m.len, &doc->alloc, doc->limits.max_decompressed, &out,
                                     &out_len, &owner, vm->err);
        jl_unmap(&m);
        if (rc) {
            char msg[sizeof vm->err->message];
            snprintf(msg, sizeof msg, "%s", vm->err->message);
            return jl_vm_fail(vm, rc, "sidecar '%s': %s", name, msg);
        }
        bytes = out;
        len = out_len;
    }
    *block = jl_block_add(doc, bytes, len, owner, vm->err);
    if (*block == JL_NONE) {
        if (compressed) jl_decompressed_free(&doc->alloc, (uint8_t *)(uintptr_t)bytes, owner);
        else if (owner == JL_BLOCK_HEAP) jl_free(&doc->alloc, (void *)bytes);
        else jl_unmap(&m);
        return vm->err->code;
    }
    if (!compressed) doc->blocks[*block].fd = jl_mapped_take_fd(&m, JL_BLOCK_FD_MIN); /* block owns the mapping */
    if (jl_file_add(doc, name, compressed ? JL_COMP_ZF : JL_COMP_NONE, vm->err) == JL_NONE) return vm->err->code;
    snprintf(where, where_cap, " in sidecar '%s'", name);
    return JL_OK;
}

int jl_layout_npy_array(jl_vm *vm, uint32_t obj, uint32_t block, const jl_npy_header *h, uint64_t nbytes,
                        uint32_t cls, const char *where) {
    jl_doc *doc = vm->doc;
    if (doc->dtypes[h->dtype].has_object) {
        uint64_t end;
        int rc = adopt_nested(vm, obj, block, h->data_offset, where, cls, &end);
        if (rc) return rc;
    } else {
        uint32_t shape = jl_node_new(doc, JL_TUPLE, vm->err);
        if (shape == JL_NONE) return vm->err->code;
        for (unsigned i = 0; i < h->ndim; i++) {
            uint32_t d = jl_new_int(doc, h->dims[i], vm->err);
            if (d == JL_NONE || jl_kids_append(doc, shape, &d, 1, vm->err)) return vm->err->code;
        }
        jl_ref ref = { h->data_offset, nbytes, block };
        uint32_t data = jl_new_ref(doc, JL_BYTES, ref, vm->err);
        if (data == JL_NONE) return vm->err->code;
        if (jl_vm_make_array(vm, obj, h->dtype, shape, h->fortran_order ? 'F' : 'C', cls, data, JL_ORIGIN_NPY))
            return vm->err->code ? (int)vm->err->code : JL_E_FORMAT;
    }
    jl_array *a = jl_array_of(doc, obj);
    a->origin = JL_ORIGIN_NPY;
    a->stream_off = h->data_offset;
    return JL_OK;
}

/* NDArrayWrapper: {filename, subclass[, allow_mmap]} + a .npy file. */
static int finish_npy(jl_vm *vm, uint32_t obj, uint32_t state) {
    jl_doc *doc = vm->doc;
    uint32_t block;
    char where[600];
    int rc = open_sidecar(vm, state_get(doc, state, "filename"), 0, &block, where, sizeof where);
    if (rc) return rc;
    doc->format = JL_FMT_LEGACY;
    uint32_t cls = state_get(doc, state, "subclass");
    jl_npy_header h;
    uint64_t nbytes;
    if (jl_npy_locate(doc, doc->blocks[block].p, doc->blocks[block].len, &h, &nbytes, vm->err)) {
        char msg[sizeof vm->err->message];
        snprintf(msg, sizeof msg, "%s", vm->err->message);
        return jl_vm_fail(vm, vm->err->code, "%s%s", msg, where);
    }
    uint32_t file = (uint32_t)doc->nfiles - 1;
    if ((rc = jl_layout_npy_array(vm, obj, block, &h, nbytes, cls, where))) return rc;
    jl_array_of(doc, obj)->file = file;
    return JL_OK;
}

/* ZNDArrayWrapper: {filename, init_args: (subclass, (0,), 'b'),
 * state: (1, shape, dtype, is_fortran)} + a ZF sidecar of raw bytes. */
static int finish_znpy(jl_vm *vm, uint32_t obj, uint32_t state) {
    jl_doc *doc = vm->doc;
    uint32_t init, st;
    int rc;
    if ((rc = need_key(vm, state, "init_args", &init)) || (rc = need_key(vm, state, "state", &st))) return rc;
    if (doc->nodes[st].kind != JL_TUPLE || doc->nodes[st].len != 4)
        return jl_vm_fail(vm, JL_E_FORMAT, "ZNDArrayWrapper state is not (version, shape, dtype, is_fortran)");
    uint32_t block;
    char where[600];
    if ((rc = open_sidecar(vm, state_get(doc, state, "filename"), 1, &block, where, sizeof where))) return rc;
    doc->format = JL_FMT_LEGACY;
    uint32_t file = (uint32_t)doc->nfiles - 1;
    const uint32_t *s = jl_kids_of(doc, st);
    uint32_t shape = s[1], dtn = s[2], dt;
    int64_t fortran = 0;
    jl_node_int64(doc, s[3], &fortran);
    if (jl_vm_dtype_of(vm, dtn, &dt)) return vm->err->code;
    uint32_t cls = doc->nodes[init].kind == JL_TUPLE && doc->nodes[init].len ? jl_kids_of(doc, init)[0] : JL_NONE;
    jl_ref ref = { 0, doc->blocks[block].len, block };
    uint32_t data = jl_new_ref(doc, JL_BYTES, ref, vm->err);
    if (data == JL_NONE) return vm->err->code;
    if (jl_vm_make_array(vm, obj, dt, shape, fortran ? 'F' : 'C', cls, data, JL_ORIGIN_ZNPY)) {
        char msg[sizeof vm->err->message];
        snprintf(msg, sizeof msg, "%s", vm->err->message);
        return jl_fail(vm->err, vm->err->code, vm->err->offset, "%s%s", msg, where);
    }
    jl_array *a = jl_array_of(doc, obj);
    a->file = file;
    a->stream_off = 0;
    return JL_OK;
}

int jl_layout_wrapper(jl_vm *vm, uint32_t obj, uint32_t state, int *handled) {
    jl_doc *doc = vm->doc;
    *handled = 0;
    if (doc->nodes[obj].kind != JL_OBJECT) return JL_OK;
    enum wrapper_kind k = wrapper_kind_of(doc, jl_object_of(doc, obj)->cls);
    *handled = k != W_NONE;
    if (k == W_NONE) return JL_OK;
    if (doc->nodes[state].kind != JL_DICT)
        return jl_vm_fail(vm, JL_E_FORMAT, "array wrapper state is a %s, not a dict",
                          jl_kind_name(doc->nodes[state].kind));
    jl_object_of(doc, obj)->state = state;
    switch (k) {
    case W_INLINE: return finish_inline(vm, obj, state);
    case W_NPY: return finish_npy(vm, obj, state);
    case W_ZNPY: return finish_znpy(vm, obj, state);
    default: return JL_OK;
    }
}
