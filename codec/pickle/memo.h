/*
 * memo.h - internal: the pickle memo of a VM run (struct jl_memo in
 * vmstate.h): a dense vector for small indices plus an open-addressing
 * table for sparse ones, since a memo index can be any number a file
 * writes. Get and put test their common case inline; the rest is memo.c.
 */
#ifndef JL_MEMO_H
#define JL_MEMO_H

#include "vmstate.h"

/* jl_memo_room's answer for an index far beyond what has been set so
 * far: it goes to the sparse table (distinct from every jl_code and -1). */
#define JL_MEMO_SPARSE (-4)

void jl_memo_free(const jl_alloc *a, jl_memo *m);
uint32_t jl_memo_get_sparse(const jl_memo *m, uint64_t idx);
/* Checks max_memo for idx, then makes room for it in the dense vector
 * (JL_OK) or answers JL_MEMO_SPARSE; fails with jl_vm_fail. */
int jl_memo_room(jl_vm *vm, uint64_t idx);
int jl_memo_put_sparse(jl_vm *vm, uint64_t idx, uint32_t node);

/* The node at memo index idx, JL_NONE when it is not set. */
static inline uint32_t jl_memo_get(const jl_memo *m, uint64_t idx) {
    return idx < m->ndense ? m->dense[idx] : jl_memo_get_sparse(m, idx);
}

/* Sets memo index idx to node, within max_memo. */
static inline int jl_memo_put(jl_vm *vm, uint64_t idx, uint32_t node) {
    jl_memo *m = &vm->memo;
    uint64_t max = vm->doc->limits.max_memo;
    if (idx >= m->ndense || idx >= max || m->count >= max) {
        int rc = jl_memo_room(vm, idx);
        if (rc == JL_MEMO_SPARSE) return jl_memo_put_sparse(vm, idx, node);
        if (rc) return rc;
    }
    if (m->dense[idx] == JL_NONE) m->count++;
    m->dense[idx] = node;
    return JL_OK;
}

#endif
