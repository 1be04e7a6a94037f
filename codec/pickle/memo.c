/*
 * memo.c - the pickle memo's slow side (memo.h): limits, growing the
 * dense vector, and the open-addressing table for sparse indices.
 */
#include "memo.h"

#include <string.h>

void jl_memo_free(const jl_alloc *a, jl_memo *m) {
    jl_free(a, m->dense);
    jl_free(a, m->hkeys);
    jl_free(a, m->hvals);
}

static uint64_t memo_hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

uint32_t jl_memo_get_sparse(const jl_memo *m, uint64_t idx) {
    if (!m->hcap) return JL_NONE;
    for (uint64_t i = memo_hash(idx) & (m->hcap - 1);; i = (i + 1) & (m->hcap - 1)) {
        if (m->hkeys[i] == UINT64_MAX) return JL_NONE;
        if (m->hkeys[i] == idx) return m->hvals[i];
    }
}

int jl_memo_put_sparse(jl_vm *vm, uint64_t idx, uint32_t node) {
    jl_memo *m = &vm->memo;
    jl_doc *doc = vm->doc;
    if ((m->hcount + 1) * 2 > m->hcap) {
        uint64_t ncap = m->hcap ? m->hcap * 2 : 64;
        uint64_t *nk = jl_malloc(&doc->alloc, (size_t)ncap * sizeof(uint64_t));
        uint32_t *nv = jl_malloc(&doc->alloc, (size_t)ncap * sizeof(uint32_t));
        if (!nk || !nv) {
            jl_free(&doc->alloc, nk);
            jl_free(&doc->alloc, nv);
            return jl_vm_fail(vm, JL_E_NOMEM, "out of memory growing the memo");
        }
        memset(nk, 0xFF, (size_t)ncap * sizeof(uint64_t));
        for (uint64_t i = 0; i < m->hcap; i++) {
            if (m->hkeys[i] == UINT64_MAX) continue;
            uint64_t j = memo_hash(m->hkeys[i]) & (ncap - 1);
            while (nk[j] != UINT64_MAX) j = (j + 1) & (ncap - 1);
            nk[j] = m->hkeys[i];
            nv[j] = m->hvals[i];
        }
        jl_free(&doc->alloc, m->hkeys);
        jl_free(&doc->alloc, m->hvals);
        m->hkeys = nk;
        m->hvals = nv;
        m->hcap = ncap;
    }
    uint64_t i = memo_hash(idx) & (m->hcap - 1);
    while (m->hkeys[i] != UINT64_MAX && m->hkeys[i] != idx) i = (i + 1) & (m->hcap - 1);
    if (m->hkeys[i] == UINT64_MAX) {
        m->hkeys[i] = idx;
        m->hcount++;
        m->count++;
    }
    m->hvals[i] = node;
    return JL_OK;
}

int jl_memo_room(jl_vm *vm, uint64_t idx) {
    jl_memo *m = &vm->memo;
    jl_doc *doc = vm->doc;
    if (idx >= doc->limits.max_memo)
        return jl_vm_fail(vm, JL_E_LIMIT, "memo index %llu exceeds max_memo (%llu)",
                          (unsigned long long)idx, (unsigned long long)doc->limits.max_memo);
    if (m->count >= doc->limits.max_memo)
        return jl_vm_fail(vm, JL_E_LIMIT, "more than max_memo (%llu) memo entries",
                          (unsigned long long)doc->limits.max_memo);
    if (idx < m->ndense) return JL_OK;
    if (idx > 2 * m->count + 1024) return JL_MEMO_SPARSE;
    uint64_t old = m->ndense;
    if (jl_grow(&doc->alloc, (void **)&m->dense, &m->cap_dense, idx + 1, sizeof(uint32_t), doc->limits.max_alloc))
        return jl_vm_fail(vm, JL_E_NOMEM, "out of memory growing the memo");
    m->ndense = m->cap_dense;
    for (uint64_t i = old; i < m->ndense; i++) m->dense[i] = JL_NONE;
    return JL_OK;
}
