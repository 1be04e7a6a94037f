/*
 * numpy_files.c - .npy and .npz sources (numpy_files.h). Each array is made
 * by jl_layout_npy_array, the construction legacy .npy sidecars use; the
 * .npz members come from codec/numpy/npz.c.
 */
#include "numpy_files.h"

#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "npy_file.h"
#include "npz.h"
#include "zipread.h"

int jl_numpy_file_is(const uint8_t *p, uint64_t n) { return jl_npy_magic(p, n) || jl_zip_magic(p, n); }

/* A VM with no stream of its own, for jl_layout_npy_array outside a run. */
static void vm_outside(jl_vm *vm, jl_decoder *dec, uint32_t block, const char *where, jl_error *err) {
    memset(vm, 0, sizeof *vm);
    vm->dec = dec;
    vm->doc = dec->doc;
    vm->err = err;
    vm->block = block;
    vm->p = dec->doc->blocks[block].p;
    vm->where = where;
    vm->run_nested = jl_vm_run; /* object arrays' pickled data */
}

/* The array of the .npy image in `block` as a new node *out. */
static int npy_node(jl_decoder *dec, uint32_t block, const char *where, uint32_t *out, jl_error *err) {
    jl_doc *doc = dec->doc;
    jl_npy_header h;
    uint64_t nbytes;
    int rc = jl_npy_locate(doc, doc->blocks[block].p, doc->blocks[block].len, &h, &nbytes, err);
    if (rc) {
        if (*where) { /* an offset inside a member is not one in the file */
            size_t l = strlen(err->message);
            snprintf(err->message + l, sizeof err->message - l, "%s", where);
            err->offset = JL_NO_OFFSET;
        }
        return rc;
    }
    *out = jl_node_new(doc, JL_NULL, err);
    if (*out == JL_NONE) return err->code;
    jl_vm vm;
    vm_outside(&vm, dec, block, where, err);
    return jl_layout_npy_array(&vm, *out, block, &h, nbytes, JL_NONE, where);
}

typedef struct npz_ctx {
    jl_decoder *dec;
    uint32_t dict;
} npz_ctx;

static int npz_member(void *ctx, const jl_npz_member *m, jl_error *err) {
    npz_ctx *c = ctx;
    jl_doc *doc = c->dec->doc;
    uint32_t kv[2];
    kv[0] = jl_new_bytes(doc, JL_STR, m->key, m->key_len, err);
    if (kv[0] == JL_NONE) return err->code;
    if (m->is_npy) {
        char where[300];
        snprintf(where, sizeof where, " in member '%.250s'", m->name);
        int rc = npy_node(c->dec, m->block, where, &kv[1], err);
        if (rc) return rc;
    } else {
        jl_ref all = {0, doc->blocks[m->block].len, m->block};
        kv[1] = jl_new_ref(doc, JL_BYTES, all, err);
        if (kv[1] == JL_NONE) return err->code;
    }
    return jl_kids_append(doc, c->dict, kv, 2, err);
}

int jl_numpy_file_decode(jl_decoder *dec, jl_error *err) {
    jl_doc *doc = dec->doc;
    const uint8_t *p = doc->blocks[0].p;
    uint64_t n = doc->blocks[0].len;
    uint32_t root;
    if (jl_npy_magic(p, n)) {
        doc->format = JL_FMT_NPY;
        int rc = npy_node(dec, 0, "", &root, err);
        if (rc) return rc;
    } else {
        doc->format = JL_FMT_NPZ;
        root = jl_node_new(doc, JL_DICT, err);
        if (root == JL_NONE) return err->code;
        npz_ctx c = {dec, root};
        int rc = jl_npz_read(doc, p, n, npz_member, &c, err);
        if (rc) return rc;
    }
    doc->root = root;
    return JL_OK;
}
