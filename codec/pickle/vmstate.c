/*
 * vmstate.c - what every part of the pickle VM shares (vmstate.h): the
 * failure message naming the opcode and byte, the FRAME check before data
 * joblib reads from the file itself, and tests over nodes.
 */
#include "vmstate.h"

#include <stdarg.h>
#include <stdio.h>

#include "feed.h"
#include "opcodes.h"

int jl_vm_fail(jl_vm *vm, jl_code code, const char *fmt, ...) {
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *name = vm->op_off < vm->len ? jl_opcodes[vm->p[vm->op_off]].name : NULL;
    uint64_t at = jl_vm_stream_at(vm, vm->op_off);
    return jl_fail(vm->err, code, at, "%s at byte %llu%s%s%s%s", msg, (unsigned long long)at, name ? " (" : "", name ? name : "",
                   name ? ")" : "", vm->where);
}

void jl_vm_sync(jl_vm *vm) {
    const jl_feed *f = vm->dec->feed;
    if (!f || vm->block != f->block) return;
    vm->p = vm->doc->blocks[vm->block].p;
    vm->len = vm->doc->blocks[vm->block].len;
}

int jl_vm_fill(jl_vm *vm, uint64_t n) {
    jl_feed *f = vm->dec->feed;
    if (!f || vm->block != f->block) return JL_OK;
    uint64_t want = vm->pos + n < vm->pos ? UINT64_MAX : vm->pos + n;
    int rc = jl_feed_more(f, want, vm->err);
    jl_vm_sync(vm);
    return rc;
}

uint64_t jl_vm_stream_at(const jl_vm *vm, uint64_t off) {
    const jl_feed *f = vm->dec->feed;
    if (!f || vm->block != f->block || off == JL_NO_OFFSET) return off;
    return jl_feed_stream_off(f, off);
}

int jl_node_int64(const jl_doc *doc, uint32_t id, int64_t *v) {
    const jl_node *n = &doc->nodes[id];
    if ((n->kind == JL_INT && !(n->flags & JL_F_BIG)) || n->kind == JL_BOOL) {
        *v = n->u.i;
        return 0;
    }
    return -1;
}

int jl_node_text(const jl_doc *doc, uint32_t id, const uint8_t **p, uint64_t *n) {
    const jl_node *nd = &doc->nodes[id];
    if (nd->kind != JL_STR && nd->kind != JL_BYTES) return -1;
    *p = doc->blocks[nd->block].p + nd->u.off;
    *n = nd->len;
    return 0;
}

int jl_global_is(const jl_doc *doc, uint32_t id, const char *module, const char *name) {
    if (id == JL_NONE || doc->nodes[id].kind != JL_GLOBAL) return 0;
    const jl_global *g = jl_global_of(doc, id);
    return jl_ref_eq(doc, g->module, module) && jl_ref_eq(doc, g->name, name);
}

int jl_vm_frame_done(jl_vm *vm) {
    if (!vm->in_frame || vm->pos >= vm->frame_end) return JL_OK;
    return jl_vm_fail(vm, JL_E_FORMAT,
                      "the array's data is inside a FRAME ending at byte %llu, where joblib does not read it",
                      (unsigned long long)vm->frame_end);
}
