/*
 * nodekeys.c - the first-occurrence table of nodekeys.h.
 */
#include "nodekeys.h"

#include <string.h>

#define EMPTY UINT32_MAX

static uint64_t slot_of(uint64_t cap, uint32_t node) { return ((uint64_t)node * 0x9E3779B97F4A7C15ull) & (cap - 1); }

static jl_nodekey *new_table(const jl_alloc *a, uint64_t cap) {
    if (cap > SIZE_MAX / sizeof(jl_nodekey)) return NULL;
    jl_nodekey *t = jl_malloc(a, (size_t)(cap * sizeof *t));
    if (t)
        for (uint64_t k = 0; k < cap; k++) t[k].node = EMPTY;
    return t;
}

int jl_nodekeys_init(jl_nodekeys *m, const jl_alloc *a) {
    m->alloc = a ? a : jl_alloc_default();
    m->cap = 64;
    m->count = 0;
    jl_buf_init(&m->names, m->alloc, 0);
    m->tab = new_table(m->alloc, m->cap);
    return m->tab ? JL_OK : JL_E_NOMEM;
}

const char *jl_nodekeys_get(const jl_nodekeys *m, uint32_t node) {
    for (uint64_t h = slot_of(m->cap, node);; h = (h + 1) & (m->cap - 1)) {
        if (m->tab[h].node == node) return m->names.p + m->tab[h].at;
        if (m->tab[h].node == EMPTY) return NULL;
    }
}

int jl_nodekeys_put(jl_nodekeys *m, uint32_t node, const char *key, uint64_t n) {
    if ((m->count + 1) * 10 > m->cap * 7) { /* keep the load under 0.7 */
        uint64_t ncap = m->cap * 2;
        jl_nodekey *nt = new_table(m->alloc, ncap);
        if (!nt) return JL_E_NOMEM;
        for (uint64_t k = 0; k < m->cap; k++)
            if (m->tab[k].node != EMPTY) {
                uint64_t h = slot_of(ncap, m->tab[k].node);
                while (nt[h].node != EMPTY) h = (h + 1) & (ncap - 1);
                nt[h] = m->tab[k];
            }
        jl_free(m->alloc, m->tab);
        m->tab = nt;
        m->cap = ncap;
    }
    uint64_t at = m->names.len;
    jl_buf_append(&m->names, key, n);
    if (jl_buf_putc(&m->names, 0)) return JL_E_NOMEM;
    uint64_t h = slot_of(m->cap, node);
    while (m->tab[h].node != EMPTY) h = (h + 1) & (m->cap - 1);
    m->tab[h].node = node;
    m->tab[h].at = at;
    m->count++;
    return JL_OK;
}

void jl_nodekeys_free(jl_nodekeys *m) {
    jl_free(m->alloc, m->tab);
    m->tab = NULL;
    jl_buf_free(&m->names);
}
