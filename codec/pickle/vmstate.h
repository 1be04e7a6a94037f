/*
 * vmstate.h - internal: the state of one run of the pickle virtual
 * machine and the small helpers every part of it shares (vmstate.c): its
 * failure message and the node tests of reduce.c and layout.c. The loop
 * itself is vm.h; this header does not depend on it, so the parts the
 * loop calls (reduce.h, layout.h) can use the state without a circle.
 */
#ifndef JL_VMSTATE_H
#define JL_VMSTATE_H

#include "value.h"

/* memo: a dense vector for small indices plus an open-addressing table
 * for sparse ones (a memo index can be any number a file writes). */
typedef struct jl_memo {
    uint32_t *dense;   uint64_t ndense, cap_dense;
    uint64_t *hkeys;   uint32_t *hvals; uint64_t hcap, hcount;
    uint64_t count;    /* entries set (MEMOIZE index) */
} jl_memo;

typedef struct jl_vm jl_vm;
struct jl_feed;

/* What every run shares: the doc, the directory for sidecars. */
typedef struct jl_decoder {
    jl_doc *doc;
    const char *dir;       /* directory of the main file, NULL for memory input */
    const char *file;      /* main file name for messages, NULL for memory */
    int nesting;           /* nested runs (object-array payloads, npy pickles) */
    struct jl_feed *feed;  /* a compressed stream read as it inflates (feed.h), or NULL */
} jl_decoder;

/* Runs the VM over bytes [start, len) of `block`; *root is what STOP
 * returns and *end the offset just after STOP (jl_vm_run, vm.h). */
typedef int (*jl_vm_run_fn)(jl_decoder *dec, uint32_t block, uint64_t start, const char *where,
                            uint32_t *root, uint64_t *end, jl_error *err);

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
    uint32_t root;         /* what STOP popped */
    uint64_t released;     /* mapped streams: bytes before this were handed back (release_behind) */
    uint64_t release_at;   /* position at which to hand back more */
    jl_vm_run_fn run_nested; /* the loop, for nested pickles (set by vm.c) */
    /* the current FRAME, read as CPython's pickle._Unframer does (vm.c):
     * in_frame until a read finds it used up; frame_end clipped to len */
    int in_frame;
    uint64_t frame_end;
};

/* Fails at the current opcode with a message naming it. */
int jl_vm_fail(jl_vm *vm, jl_code code, const char *fmt, ...) JL_PRINTF(3, 4);

/* Before data joblib reads from the file itself (array data after a
 * wrapper's BUILD): fails when the current frame still holds bytes, which
 * Python's unpickler has already taken from the file. */
int jl_vm_frame_done(jl_vm *vm);

/* A stream read as it inflates (feed.h): makes n bytes from vm->pos
 * available when the stream has them (the caller checks vm->len), and
 * points vm->p / vm->len at the block again (it may have moved). JL_OK
 * at once for every other stream. */
int jl_vm_fill(jl_vm *vm, uint64_t n);
/* vm->p / vm->len again from the doc after a nested run that may have
 * filled a stream read as it inflates; nothing for other streams. */
void jl_vm_sync(jl_vm *vm);
/* The stream offset of offset off of the VM's block (they differ after
 * skipped array payloads). */
uint64_t jl_vm_stream_at(const jl_vm *vm, uint64_t off);
/* 1 when the VM reads a stream as it inflates. */
static inline int jl_vm_feeding(const jl_vm *vm) { return vm->dec->feed != NULL; }

/* helpers over nodes */
int jl_node_int64(const jl_doc *doc, uint32_t id, int64_t *v); /* int/bool; 0 on success */
int jl_global_is(const jl_doc *doc, uint32_t id, const char *module, const char *name);
/* Canonical text of a str-like node (str, py2 str, bytes): pointer + length. */
int jl_node_text(const jl_doc *doc, uint32_t id, const uint8_t **p, uint64_t *n);

#endif
