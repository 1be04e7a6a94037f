/*
 * vm.h - internal: the state of one run of the pickle virtual machine,
 * shared by the opcode loop (vm.c), the reductions and BUILD rules
 * (reduce.c) and joblib's array layouts (layout.c). Not a public API.
 */
#ifndef JL_VM_H
#define JL_VM_H

#include "value.h"

/* memo: a dense vector for small indices plus an open-addressing table
 * for sparse ones (a memo index can be any number a file writes). */
typedef struct jl_memo {
    uint32_t *dense;   uint64_t ndense, cap_dense;
    uint64_t *hkeys;   uint32_t *hvals; uint64_t hcap, hcount;
    uint64_t count;    /* entries set (MEMOIZE index) */
} jl_memo;

typedef struct jl_vm jl_vm;

/* What every run shares: the doc, the directory for sidecars. */
typedef struct jl_decoder {
    jl_doc *doc;
    const char *dir;       /* directory of the main file, NULL for memory input */
    const char *file;      /* main file name for messages, NULL for memory */
    int nesting;           /* nested runs (object-array payloads, npy pickles) */
} jl_decoder;

struct jl_vm {
    jl_decoder *dec;
    jl_doc *doc;
    jl_error *err;         /* where failures are written */
    uint32_t block;        /* block of the stream being decoded */
    const uint8_t *p;      /* stream bytes */
    uint64_t len, pos;     /* stream length, current position */
    uint64_t op_off;       /* offset of the opcode being executed */
    const char *where;     /* "" or " in sidecar 'x.npy'" for messages */
    uint32_t *stack;  uint64_t nstack, cap_stack;
    uint64_t *marks;  uint64_t nmarks, cap_marks;
    jl_memo memo;
    int proto;
    uint64_t released;     /* mapped streams: bytes before this were handed back (release_behind) */
    uint64_t release_at;   /* position at which to hand back more */
};

/* Runs the VM over bytes [start, len) of `block`; *root is what STOP
 * returns and *end the offset just after STOP. */
int jl_vm_run(jl_decoder *dec, uint32_t block, uint64_t start, const char *where, uint32_t *root,
              uint64_t *end, jl_error *err);

/* Fails at the current opcode with a message naming it. */
int jl_vm_fail(jl_vm *vm, jl_code code, const char *fmt, ...) JL_PRINTF(3, 4);

/* reduce.c: REDUCE/NEWOBJ/BUILD with the whitelist of known callables. */
int jl_vm_reduce(jl_vm *vm, uint32_t callable, uint32_t args, uint32_t *out);
int jl_vm_newobj(jl_vm *vm, uint32_t cls, uint32_t args, uint32_t kwargs, jl_how how, uint32_t *out);
int jl_vm_build(jl_vm *vm, uint32_t obj, uint32_t state);

/* Turns `node` into an ndarray from a shape node (tuple or int), dtype id,
 * order, class and data: a bytes-like node, or a list of items for object
 * dtypes. Checks the data length against shape x itemsize. */
int jl_vm_make_array(jl_vm *vm, uint32_t node, uint32_t dt, uint32_t shape, char order, uint32_t cls,
                     uint32_t data, uint8_t origin);
/* The parsed dtype of a numpy.dtype object node or a descr text node. */
int jl_vm_dtype_of(jl_vm *vm, uint32_t node, uint32_t *dt);

/* layout.c: joblib's array wrappers (inline payload, legacy sidecars). */
int jl_layout_wrapper(jl_vm *vm, uint32_t obj, uint32_t state, int *handled);
/* Turns `obj` into the array of the .npy image in `block`, whose header
 * jl_npy_locate read into *h and *nbytes: the data is referred to in place;
 * an object array's pickled data is run by a nested VM. */
struct jl_npy_header;
int jl_layout_npy_array(jl_vm *vm, uint32_t obj, uint32_t block, const struct jl_npy_header *h, uint64_t nbytes,
                        uint32_t cls, const char *where);

/* helpers over nodes */
int jl_node_int64(const jl_doc *doc, uint32_t id, int64_t *v); /* int/bool; 0 on success */
int jl_global_is(const jl_doc *doc, uint32_t id, const char *module, const char *name);
/* Canonical text of a str-like node (str, py2 str, bytes): pointer + length. */
int jl_node_text(const jl_doc *doc, uint32_t id, const uint8_t **p, uint64_t *n);

#endif
