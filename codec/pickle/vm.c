/*
 * vm.c - the safe pickle virtual machine's loop: protocols 0-5, Python 2
 * and 3 streams, every opcode of opcodes.h. Values go straight into the
 * doc's arena; strings, bytes and big ints refer to the input bytes
 * where they can. Nothing is imported or called: REDUCE, NEWOBJ and
 * BUILD go to reduce.c (joblib's array wrappers to layout.c), which know
 * a short whitelist of reductions and keep everything else as data.
 *
 * The loop is CPython's: one case an opcode, made from the list in
 * opcodes.h, that reads the argument by its kind and calls the opcode's
 * handler. Handlers are inlined into it; the common side of each check
 * (room on the stack, in the node table, in the memo) is tested inline
 * and only the other side is a call.
 *
 * Every argument length is checked against the bytes that remain before
 * anything is made of it; marks are bounded by max_depth, memo indices by
 * max_memo, the stack and nodes by max_nodes.
 */
#include "vm.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "layout.h"
#include "literal.h"
#include "memo.h"
#include "opcodes.h"
#include "reduce.h"
#include "text.h"

#if defined(__GNUC__)
#define VM_INLINE static inline __attribute__((always_inline))
#else
#define VM_INLINE static inline
#endif

/* A handler's return after STOP: the run is over, vm->root holds the result. */
#define STOPPED (-3)

static jl_error *vm_err(jl_vm *vm) { return vm->err; }

/* ---- stack ------------------------------------------------------------- */

static int push_grow(jl_vm *vm, uint32_t id) {
    if (vm->nstack >= vm->doc->limits.max_nodes)
        return jl_vm_fail(vm, JL_E_LIMIT, "stack deeper than max_nodes (%llu)",
                          (unsigned long long)vm->doc->limits.max_nodes);
    if (jl_grow(&vm->doc->alloc, (void **)&vm->stack, &vm->cap_stack, vm->nstack + 1, sizeof(uint32_t),
                vm->doc->limits.max_alloc))
        return jl_vm_fail(vm, JL_E_NOMEM, "out of memory growing the stack");
    vm->stack[vm->nstack++] = id;
    return JL_OK;
}

VM_INLINE int push(jl_vm *vm, uint32_t id) {
    if (id == JL_NONE) return -1; /* the builder already set the error */
    if (vm->nstack == vm->cap_stack) return push_grow(vm, id);
    vm->stack[vm->nstack++] = id;
    return JL_OK;
}

/* Items above the last mark (or the whole stack when there is none). */
VM_INLINE uint64_t mark_base(const jl_vm *vm) { return vm->nmarks ? vm->marks[vm->nmarks - 1] : 0; }

VM_INLINE int need(jl_vm *vm, uint64_t n) {
    if (vm->nstack - mark_base(vm) < n)
        return jl_vm_fail(vm, JL_E_FORMAT, "stack underflow: needs %llu item%s",
                          (unsigned long long)n, n == 1 ? "" : "s");
    return JL_OK;
}

VM_INLINE uint32_t pop(jl_vm *vm) { return vm->stack[--vm->nstack]; }

/* Pops to the last mark: *items points at the popped run (valid until the
 * next push) and *n is its length. */
VM_INLINE int pop_mark(jl_vm *vm, uint32_t **items, uint64_t *n) {
    if (!vm->nmarks) return jl_vm_fail(vm, JL_E_FORMAT, "no MARK on the stack");
    uint64_t base = vm->marks[--vm->nmarks];
    *items = vm->stack ? vm->stack + base : NULL; /* NULL + 0 is UB */
    *n = vm->nstack - base;
    vm->nstack = base;
    return JL_OK;
}

/* ---- new nodes ----------------------------------------------------------- */

/* A new node of `kind`: made in place when the table has room and
 * max_nodes allows (the common case), else by jl_node_new, which grows
 * the table or fails with its message. */
VM_INLINE uint32_t node_new(jl_vm *vm, jl_kind kind) {
    jl_doc *doc = vm->doc;
    uint64_t n = doc->nnodes;
    if (n >= doc->cap_nodes || n >= doc->limits.max_nodes || n >= JL_NONE - 1)
        return jl_node_new(doc, kind, vm->err);
    jl_node *nd = &doc->nodes[n];
    memset(nd, 0, sizeof *nd);
    nd->kind = (uint8_t)kind;
    doc->nnodes = n + 1;
    return (uint32_t)n;
}

/* An int or bool node (u.i) */
VM_INLINE uint32_t new_int_of(jl_vm *vm, jl_kind kind, int64_t v) {
    uint32_t id = node_new(vm, kind);
    if (id != JL_NONE) vm->doc->nodes[id].u.i = v;
    return id;
}

VM_INLINE uint32_t new_float(jl_vm *vm, double v) {
    uint32_t id = node_new(vm, JL_FLOAT);
    if (id != JL_NONE) vm->doc->nodes[id].u.f = v;
    return id;
}

static jl_ref stream_ref(jl_vm *vm, uint64_t off, uint64_t n) {
    jl_ref r = { off, n, vm->block };
    return r;
}

/* A str/bytes node over n bytes of the stream at off; what jl_new_ref
 * refuses (over 4 GiB, a block past 65535) goes to it for its message. */
VM_INLINE uint32_t new_stream_ref(jl_vm *vm, jl_kind kind, uint64_t off, uint64_t n) {
    if (n > UINT32_MAX || vm->block > UINT16_MAX) return jl_new_ref(vm->doc, kind, stream_ref(vm, off, n), vm->err);
    uint32_t id = node_new(vm, kind);
    if (id == JL_NONE) return id;
    jl_node *nd = &vm->doc->nodes[id];
    nd->block = (uint16_t)vm->block;
    nd->len = (uint32_t)n;
    nd->u.off = off;
    return id;
}

static uint32_t new_container(jl_vm *vm, jl_kind kind, const uint32_t *items, uint64_t n) {
    uint32_t id = node_new(vm, kind);
    if (id == JL_NONE) return JL_NONE;
    if (jl_kids_append(vm->doc, id, items, n, vm_err(vm))) return JL_NONE;
    return id;
}

/* ---- argument decoding ------------------------------------------------- */

typedef struct arg {
    uint64_t u;        /* integer arguments */
    int64_t i;
    double f;
    const uint8_t *p;  /* byte arguments / first line */
    uint64_t n;
    uint64_t off;      /* offset of p in the stream */
    const uint8_t *p2; /* second line (GLOBAL, INST) */
    uint64_t n2;
    uint64_t off2;
} arg;

/* The opcode's name, for messages. */
static const char *op_name(const jl_vm *vm) {
    const char *name = vm->op_off < vm->len ? jl_opcodes[vm->p[vm->op_off]].name : NULL;
    return name ? name : "opcode";
}

/* The stream ends inside an argument: the message every truncation in the
 * pickle itself gives. */
static int fail_short(jl_vm *vm, uint64_t n) {
    return jl_fail(vm->err, JL_E_TRUNCATED, jl_vm_stream_at(vm, vm->op_off),
                   "file is truncated: %s at byte %llu needs %llu byte%s but only %llu remain%s",
                   op_name(vm), (unsigned long long)jl_vm_stream_at(vm, vm->op_off), (unsigned long long)n,
                   n == 1 ? "" : "s", (unsigned long long)(vm->len - vm->pos), vm->where);
}

/* An argument that starts inside the current frame and runs past its end:
 * CPython's _Unframer refuses it ("pickle exhausted before end of frame"). */
static int fail_frame_split(jl_vm *vm) {
    return jl_fail(vm->err, JL_E_FORMAT, jl_vm_stream_at(vm, vm->op_off), "%s at byte %llu runs past the end of its FRAME at byte %llu%s",
                   op_name(vm), (unsigned long long)jl_vm_stream_at(vm, vm->op_off), (unsigned long long)vm->frame_end, vm->where);
}

VM_INLINE int in_frame(const jl_vm *vm) { return vm->in_frame && vm->pos < vm->frame_end; }

/* A text argument (INT, FLOAT, STRING, UNICODE, GLOBAL, ...) runs to the
 * next '\n': it is bounded by the bytes that remain and by max_alloc (a
 * decoded line is at most a few times its length, see literal.c), not by
 * a constant: protocol 0 writes whole strings and array bytes as one line. */
static int read_line(jl_vm *vm, const uint8_t **p, uint64_t *n, uint64_t *off) {
    uint64_t rem, max = vm->doc->limits.max_alloc, lim;
    const uint8_t *start, *nl;
    for (uint64_t looked = 0;; looked = lim) {
        rem = vm->len - vm->pos;
        lim = rem < max ? rem : max;
        start = vm->p + vm->pos;
        nl = lim > looked ? memchr(start + looked, '\n', (size_t)(lim - looked)) : NULL;
        if (nl || !jl_vm_feeding(vm) || rem > max) break;
        /* a stream read as it inflates: more of it, then look again */
        int rc = jl_vm_fill(vm, rem + (rem < ((uint64_t)64 << 10) ? ((uint64_t)64 << 10) : rem));
        if (rc) return rc;
        if (vm->len - vm->pos == rem) break; /* the stream has no more */
    }
    if (!nl) {
        if (rem <= max)
            return jl_fail(vm->err, JL_E_TRUNCATED, jl_vm_stream_at(vm, vm->op_off),
                           "file is truncated: %s at byte %llu needs a line but the last %llu "
                           "bytes have no end of line%s",
                           op_name(vm), (unsigned long long)jl_vm_stream_at(vm, vm->op_off), (unsigned long long)rem,
                           vm->where);
        return jl_vm_fail(vm, JL_E_LIMIT, "text argument longer than max_alloc (%llu bytes)",
                          (unsigned long long)max);
    }
    if (in_frame(vm) && (uint64_t)(nl - vm->p) >= vm->frame_end) return fail_frame_split(vm);
    *p = start;
    *n = (uint64_t)(nl - start);
    *off = vm->pos;
    vm->pos += *n + 1;
    return JL_OK;
}

VM_INLINE int read_fixed(jl_vm *vm, uint64_t n, const uint8_t **p) {
    if (vm->len - vm->pos < n) {
        int rc = jl_vm_fill(vm, n);
        if (rc) return rc;
        if (vm->len - vm->pos < n) return fail_short(vm, n);
    }
    if (in_frame(vm) && n > vm->frame_end - vm->pos) return fail_frame_split(vm);
    *p = vm->p + vm->pos;
    vm->pos += n;
    return JL_OK;
}

/* The argument of `kind` at vm->pos; integer kinds set both u and i (i
 * signed for I4), so a family of widths shares its handler. */
VM_INLINE int read_arg(jl_vm *vm, uint8_t kind, arg *a) {
    const uint8_t *p = NULL;
    unsigned w;
    int rc;
    switch (kind) {
    case JL_ARG_NONE: return JL_OK;
    case JL_ARG_U1:
    case JL_ARG_U2:
    case JL_ARG_I4:
    case JL_ARG_U4:
    case JL_ARG_U8:
        w = kind == JL_ARG_U1 ? 1 : kind == JL_ARG_U2 ? 2 : kind == JL_ARG_U8 ? 8 : 4;
        if ((rc = read_fixed(vm, w, &p))) return rc;
        a->u = jl_le(p, w);
        a->i = kind == JL_ARG_I4 ? (int64_t)(int32_t)(uint32_t)a->u : (int64_t)a->u;
        return JL_OK;
    case JL_ARG_F8BE: {
        if ((rc = read_fixed(vm, 8, &p))) return rc;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits = (bits << 8) | p[i];
        memcpy(&a->f, &bits, 8);
        return JL_OK;
    }
    case JL_ARG_LINE: return read_line(vm, &a->p, &a->n, &a->off);
    case JL_ARG_LINE2:
        if ((rc = read_line(vm, &a->p, &a->n, &a->off))) return rc;
        if ((rc = read_line(vm, &a->p2, &a->n2, &a->off2))) return rc;
        a->p = vm->p + a->off; /* the second read may have moved a stream read as it inflates */
        return JL_OK;
    case JL_ARG_BYTES1:
    case JL_ARG_BYTES4:
    case JL_ARG_BYTES4S:
    case JL_ARG_BYTES8: {
        w = kind == JL_ARG_BYTES1 ? 1 : kind == JL_ARG_BYTES8 ? 8 : 4;
        if ((rc = read_fixed(vm, w, &p))) return rc;
        uint64_t n = jl_le(p, w);
        if (kind == JL_ARG_BYTES4S && (n & 0x80000000u))
            return jl_vm_fail(vm, JL_E_FORMAT, "negative length %lld", (long long)(int32_t)n);
        a->off = vm->pos;
        if ((rc = read_fixed(vm, n, &a->p))) return rc;
        a->n = n;
        return JL_OK;
    }
    }
    return jl_vm_fail(vm, JL_E_FORMAT, "bad argument kind");
}

/* ---- globals, containers and the memo index of GET/PUT ----------------------- */

static int make_global(jl_vm *vm, jl_ref module, jl_ref name, uint32_t *out) {
    jl_doc *doc = vm->doc;
    uint32_t g = jl_global_new(doc, vm_err(vm));
    if (g == JL_NONE) return -1;
    doc->globals[g].module = module;
    doc->globals[g].name = name;
    uint32_t id = jl_node_new(doc, JL_GLOBAL, vm_err(vm));
    if (id == JL_NONE) return -1;
    doc->nodes[id].u.ext = g;
    *out = id;
    return JL_OK;
}

static int append_to(jl_vm *vm, uint32_t target, const uint32_t *items, uint64_t n) {
    jl_doc *doc = vm->doc;
    jl_node *t = &doc->nodes[target];
    if (t->kind == JL_LIST) return jl_kids_append(doc, target, items, n, vm_err(vm)) ? -1 : JL_OK;
    if (t->kind == JL_OBJECT) {
        jl_object *o = jl_object_of(doc, target);
        if (o->listitems == JL_NONE) {
            uint32_t l = jl_node_new(doc, JL_LIST, vm_err(vm));
            if (l == JL_NONE) return -1;
            jl_object_of(doc, target)->listitems = l;
        }
        return jl_kids_append(doc, jl_object_of(doc, target)->listitems, items, n, vm_err(vm)) ? -1 : JL_OK;
    }
    return jl_vm_fail(vm, JL_E_FORMAT, "cannot append to a %s", jl_kind_name(t->kind));
}

static int setitems_to(jl_vm *vm, uint32_t target, const uint32_t *items, uint64_t n) {
    jl_doc *doc = vm->doc;
    if (n % 2) return jl_vm_fail(vm, JL_E_FORMAT, "odd number of items for a dict");
    jl_node *t = &doc->nodes[target];
    if (t->kind == JL_DICT) return jl_kids_append(doc, target, items, n, vm_err(vm)) ? -1 : JL_OK;
    if (t->kind == JL_OBJECT) {
        jl_object *o = jl_object_of(doc, target);
        if (o->dictitems == JL_NONE) {
            uint32_t d = jl_node_new(doc, JL_DICT, vm_err(vm));
            if (d == JL_NONE) return -1;
            jl_object_of(doc, target)->dictitems = d;
        }
        return jl_kids_append(doc, jl_object_of(doc, target)->dictitems, items, n, vm_err(vm)) ? -1 : JL_OK;
    }
    return jl_vm_fail(vm, JL_E_FORMAT, "cannot set items on a %s", jl_kind_name(t->kind));
}

static int add_to_set(jl_vm *vm, uint32_t target, const uint32_t *items, uint64_t n) {
    jl_doc *doc = vm->doc;
    if (doc->nodes[target].kind != JL_SET)
        return jl_vm_fail(vm, JL_E_FORMAT, "cannot add items to a %s", jl_kind_name(doc->nodes[target].kind));
    return jl_kids_append(doc, target, items, n, vm_err(vm)) ? -1 : JL_OK;
}

/* GET/PUT: a decimal line (a trailing '\r' allowed). */
static int memo_index_text(jl_vm *vm, const arg *a, uint64_t *idx) {
    uint64_t v = 0;
    if (a->n == 0 || a->n > 19) return jl_vm_fail(vm, JL_E_FORMAT, "bad memo index text");
    for (uint64_t i = 0; i < a->n; i++) {
        if (a->p[i] < '0' || a->p[i] > '9') {
            if (i == a->n - 1 && a->p[i] == '\r') break;
            return jl_vm_fail(vm, JL_E_FORMAT, "bad memo index text");
        }
        v = v * 10 + (uint64_t)(a->p[i] - '0');
    }
    *idx = v;
    return JL_OK;
}

/* ---- handlers: one an opcode, or one a family whose body is the same -------- */

/* Items above the mark become a new container of `kind`. */
static int from_mark(jl_vm *vm, jl_kind kind) {
    uint32_t *items = NULL;
    uint64_t n = 0;
    int rc = pop_mark(vm, &items, &n);
    return rc ? rc : push(vm, new_container(vm, kind, items, n));
}

/* The top n items become a tuple. */
VM_INLINE int tuple_top(jl_vm *vm, uint64_t n) {
    int rc = need(vm, n);
    if (rc) return rc;
    vm->nstack -= n;
    return push(vm, new_container(vm, JL_TUPLE, vm->stack + vm->nstack, n));
}

/* APPENDS, SETITEMS, ADDITEMS: the items above the mark go into the
 * container under it. */
typedef int (*add_fn)(jl_vm *vm, uint32_t target, const uint32_t *items, uint64_t n);
VM_INLINE int add_marked(jl_vm *vm, add_fn add) {
    uint32_t *items = NULL;
    uint64_t n = 0;
    int rc = pop_mark(vm, &items, &n);
    if (rc || (rc = need(vm, 1))) return rc;
    return add(vm, vm->stack[vm->nstack - 1], items, n);
}

VM_INLINE int memo_fetch(jl_vm *vm, uint64_t idx) {
    uint32_t id = jl_memo_get(&vm->memo, idx);
    if (id == JL_NONE) return jl_vm_fail(vm, JL_E_FORMAT, "memo index %llu is not set", (unsigned long long)idx);
    return push(vm, id);
}

VM_INLINE int memo_store_top(jl_vm *vm, uint64_t idx) {
    if (vm->nstack == 0) return jl_vm_fail(vm, JL_E_FORMAT, "stack underflow");
    return jl_memo_put(vm, idx, vm->stack[vm->nstack - 1]);
}

/* Pushes the node a literal.h maker makes of the argument. */
static int push_literal(jl_vm *vm, const arg *a, jl_literal_fn make) {
    uint32_t id = JL_NONE;
    int rc = make(vm, a->p, a->n, a->off, &id);
    return rc ? rc : push(vm, id);
}

/* The two top items, x under y (REDUCE, NEWOBJ, STACK_GLOBAL). */
VM_INLINE int pop2(jl_vm *vm, uint32_t *x, uint32_t *y) {
    int rc = need(vm, 2);
    if (rc) return rc;
    *y = pop(vm);
    *x = pop(vm);
    return JL_OK;
}

static int mark_grow(jl_vm *vm) {
    jl_doc *doc = vm->doc;
    if (vm->nmarks >= doc->limits.max_depth)
        return jl_vm_fail(vm, JL_E_LIMIT, "MARK nesting deeper than max_depth (%llu)",
                          (unsigned long long)doc->limits.max_depth);
    if (jl_grow(&doc->alloc, (void **)&vm->marks, &vm->cap_marks, vm->nmarks + 1, sizeof(uint64_t),
                doc->limits.max_alloc))
        return jl_vm_fail(vm, JL_E_NOMEM, "out of memory growing the mark stack");
    return JL_OK;
}

VM_INLINE int op_mark(jl_vm *vm, const arg *a) {
    (void)a;
    if (vm->nmarks == vm->cap_marks || vm->nmarks >= vm->doc->limits.max_depth) {
        int rc = mark_grow(vm);
        if (rc) return rc;
    }
    vm->marks[vm->nmarks++] = vm->nstack;
    return JL_OK;
}

VM_INLINE int op_stop(jl_vm *vm, const arg *a) {
    (void)a;
    int rc = need(vm, 1);
    if (rc) return rc;
    vm->root = pop(vm);
    return STOPPED;
}

VM_INLINE int op_pop(jl_vm *vm, const arg *a) {
    (void)a;
    if (vm->nstack > mark_base(vm)) vm->nstack--;
    else if (vm->nmarks) vm->nmarks--;
    else return jl_vm_fail(vm, JL_E_FORMAT, "stack underflow");
    return JL_OK;
}

VM_INLINE int op_pop_mark(jl_vm *vm, const arg *a) {
    (void)a;
    uint32_t *items = NULL;
    uint64_t n = 0;
    return pop_mark(vm, &items, &n);
}

VM_INLINE int op_dup(jl_vm *vm, const arg *a) {
    (void)a;
    int rc = need(vm, 1);
    return rc ? rc : push(vm, vm->stack[vm->nstack - 1]);
}

VM_INLINE int op_none(jl_vm *vm, const arg *a) { (void)a; return push(vm, node_new(vm, JL_NULL)); }
VM_INLINE int op_newtrue(jl_vm *vm, const arg *a) { (void)a; return push(vm, new_int_of(vm, JL_BOOL, 1)); }
VM_INLINE int op_newfalse(jl_vm *vm, const arg *a) { (void)a; return push(vm, new_int_of(vm, JL_BOOL, 0)); }

/* BININT, BININT1, BININT2 */
VM_INLINE int op_binint(jl_vm *vm, const arg *a) { return push(vm, new_int_of(vm, JL_INT, a->i)); }

static int op_int_text(jl_vm *vm, const arg *a) { return push_literal(vm, a, jl_lit_int); }
static int op_long_text(jl_vm *vm, const arg *a) { return push_literal(vm, a, jl_lit_long); }

/* LONG1, LONG4 */
static int op_long_bin(jl_vm *vm, const arg *a) { return push_literal(vm, a, jl_lit_long_le); }

VM_INLINE int op_binfloat(jl_vm *vm, const arg *a) { return push(vm, new_float(vm, a->f)); }

static int op_float_text(jl_vm *vm, const arg *a) { return push_literal(vm, a, jl_lit_float); }

/* BINBYTES, SHORT_BINBYTES, BINBYTES8 */
VM_INLINE int op_bytes(jl_vm *vm, const arg *a) { return push(vm, new_stream_ref(vm, JL_BYTES, a->off, a->n)); }

VM_INLINE int op_bytearray8(jl_vm *vm, const arg *a) {
    return push(vm, new_stream_ref(vm, JL_BYTEARRAY, a->off, a->n));
}

/* BINUNICODE, SHORT_BINUNICODE, BINUNICODE8 */
VM_INLINE int op_binunicode(jl_vm *vm, const arg *a) {
    if (!jl_utf8_valid(a->p, a->n, NULL)) return jl_vm_fail(vm, JL_E_FORMAT, "str that is not UTF-8");
    return push(vm, new_stream_ref(vm, JL_STR, a->off, a->n));
}

static int op_unicode_text(jl_vm *vm, const arg *a) { return push_literal(vm, a, jl_lit_unicode); }

static int op_string(jl_vm *vm, const arg *a) { return push_literal(vm, a, jl_lit_string); }

/* BINSTRING, SHORT_BINSTRING */
static int op_binstring(jl_vm *vm, const arg *a) { return push_literal(vm, a, jl_lit_py2_str); }

VM_INLINE int op_empty_tuple(jl_vm *vm, const arg *a) { (void)a; return push(vm, node_new(vm, JL_TUPLE)); }
VM_INLINE int op_empty_list(jl_vm *vm, const arg *a) { (void)a; return push(vm, node_new(vm, JL_LIST)); }
VM_INLINE int op_empty_dict(jl_vm *vm, const arg *a) { (void)a; return push(vm, node_new(vm, JL_DICT)); }
VM_INLINE int op_empty_set(jl_vm *vm, const arg *a) { (void)a; return push(vm, node_new(vm, JL_SET)); }

VM_INLINE int op_tuple1(jl_vm *vm, const arg *a) { (void)a; return tuple_top(vm, 1); }
VM_INLINE int op_tuple2(jl_vm *vm, const arg *a) { (void)a; return tuple_top(vm, 2); }
VM_INLINE int op_tuple3(jl_vm *vm, const arg *a) { (void)a; return tuple_top(vm, 3); }

static int op_tuple(jl_vm *vm, const arg *a) { (void)a; return from_mark(vm, JL_TUPLE); }
static int op_list(jl_vm *vm, const arg *a) { (void)a; return from_mark(vm, JL_LIST); }
static int op_frozenset(jl_vm *vm, const arg *a) { (void)a; return from_mark(vm, JL_FROZENSET); }

static int op_dict(jl_vm *vm, const arg *a) {
    (void)a;
    uint32_t *items = NULL;
    uint64_t n = 0;
    int rc = pop_mark(vm, &items, &n);
    if (rc) return rc;
    if (n % 2) return jl_vm_fail(vm, JL_E_FORMAT, "odd number of items for a dict");
    return push(vm, new_container(vm, JL_DICT, items, n));
}

VM_INLINE int op_append(jl_vm *vm, const arg *a) {
    (void)a;
    int rc = need(vm, 2);
    if (rc) return rc;
    uint32_t x = pop(vm);
    return append_to(vm, vm->stack[vm->nstack - 1], &x, 1);
}

VM_INLINE int op_appends(jl_vm *vm, const arg *a) { (void)a; return add_marked(vm, append_to); }

VM_INLINE int op_setitem(jl_vm *vm, const arg *a) {
    (void)a;
    int rc = need(vm, 3);
    if (rc) return rc;
    uint32_t kv[2];
    kv[1] = pop(vm);
    kv[0] = pop(vm);
    return setitems_to(vm, vm->stack[vm->nstack - 1], kv, 2);
}

VM_INLINE int op_setitems(jl_vm *vm, const arg *a) { (void)a; return add_marked(vm, setitems_to); }

static int op_additems(jl_vm *vm, const arg *a) { (void)a; return add_marked(vm, add_to_set); }

static int op_get(jl_vm *vm, const arg *a) {
    uint64_t idx = 0;
    int rc = memo_index_text(vm, a, &idx);
    return rc ? rc : memo_fetch(vm, idx);
}

/* BINGET, LONG_BINGET */
VM_INLINE int op_binget(jl_vm *vm, const arg *a) { return memo_fetch(vm, a->u); }

static int op_put(jl_vm *vm, const arg *a) {
    uint64_t idx = 0;
    int rc = memo_index_text(vm, a, &idx);
    return rc ? rc : memo_store_top(vm, idx);
}

/* BINPUT, LONG_BINPUT */
VM_INLINE int op_binput(jl_vm *vm, const arg *a) { return memo_store_top(vm, a->u); }

VM_INLINE int op_memoize(jl_vm *vm, const arg *a) { (void)a; return memo_store_top(vm, vm->memo.count); }

/* GLOBAL's and INST's class: two lines of UTF-8, checked first. */
static int class_lines_ok(jl_vm *vm, const arg *a) {
    if (!jl_utf8_valid(a->p, a->n, NULL) || !jl_utf8_valid(a->p2, a->n2, NULL))
        return jl_vm_fail(vm, JL_E_FORMAT, "class name that is not UTF-8");
    return JL_OK;
}

static int line_global(jl_vm *vm, const arg *a, uint32_t *out) {
    return make_global(vm, stream_ref(vm, a->off, a->n), stream_ref(vm, a->off2, a->n2), out);
}

static int op_global(jl_vm *vm, const arg *a) {
    uint32_t id = JL_NONE;
    int rc = class_lines_ok(vm, a);
    if (rc || (rc = line_global(vm, a, &id))) return rc;
    return push(vm, id);
}

static int op_stack_global(jl_vm *vm, const arg *a) {
    (void)a;
    jl_doc *doc = vm->doc;
    uint32_t x, y, id;
    int rc = pop2(vm, &x, &y);
    if (rc) return rc;
    if (doc->nodes[x].kind != JL_STR || doc->nodes[y].kind != JL_STR)
        return jl_vm_fail(vm, JL_E_FORMAT, "STACK_GLOBAL needs two str");
    if ((rc = make_global(vm, jl_node_ref(doc, x), jl_node_ref(doc, y), &id))) return rc;
    return push(vm, id);
}

static int op_reduce(jl_vm *vm, const arg *a) {
    (void)a;
    uint32_t x, y, id;
    int rc = pop2(vm, &x, &y);
    if (rc || (rc = jl_vm_reduce(vm, x, y, &id))) return rc;
    return push(vm, id);
}

static int op_newobj(jl_vm *vm, const arg *a) {
    (void)a;
    uint32_t x, y, id;
    int rc = pop2(vm, &x, &y);
    if (rc || (rc = jl_vm_newobj(vm, x, y, JL_NONE, JL_HOW_NEWOBJ, &id))) return rc;
    return push(vm, id);
}

static int op_newobj_ex(jl_vm *vm, const arg *a) {
    (void)a;
    uint32_t x, y, z, id;
    int rc = need(vm, 3);
    if (rc) return rc;
    z = pop(vm);
    y = pop(vm);
    x = pop(vm);
    if ((rc = jl_vm_newobj(vm, x, y, z, JL_HOW_NEWOBJ_EX, &id))) return rc;
    return push(vm, id);
}

static int op_inst(jl_vm *vm, const arg *a) {
    uint32_t *items = NULL, x, id;
    uint64_t n = 0;
    int rc = class_lines_ok(vm, a);
    if (rc || (rc = pop_mark(vm, &items, &n))) return rc;
    uint32_t args = new_container(vm, JL_TUPLE, items, n);
    if (args == JL_NONE) return -1;
    if ((rc = line_global(vm, a, &x))) return rc;
    if ((rc = jl_vm_newobj(vm, x, args, JL_NONE, JL_HOW_INST, &id))) return rc;
    return push(vm, id);
}

static int op_obj(jl_vm *vm, const arg *a) {
    (void)a;
    uint32_t *items = NULL, id;
    uint64_t n = 0;
    int rc = pop_mark(vm, &items, &n);
    if (rc) return rc;
    if (n < 1) return jl_vm_fail(vm, JL_E_FORMAT, "OBJ without a class");
    uint32_t x = items[0];
    uint32_t args = new_container(vm, JL_TUPLE, items + 1, n - 1);
    if (args == JL_NONE) return -1;
    if ((rc = jl_vm_newobj(vm, x, args, JL_NONE, JL_HOW_OBJ, &id))) return rc;
    return push(vm, id);
}

/* BUILD: joblib's array wrappers (layout.c), else reduce.c's rules. */
static int op_build(jl_vm *vm, const arg *a) {
    (void)a;
    int rc = need(vm, 2);
    if (rc) return rc;
    uint32_t state = pop(vm), obj = vm->stack[vm->nstack - 1];
    int handled = 0;
    rc = jl_layout_wrapper(vm, obj, state, &handled);
    if (rc || handled) return rc < 0 ? (int)vm->err->code : rc;
    return jl_vm_build(vm, obj, state);
}

static int op_proto(jl_vm *vm, const arg *a) {
    if (a->u > 5) return jl_vm_fail(vm, JL_E_FORMAT, "unsupported pickle protocol %llu", (unsigned long long)a->u);
    vm->proto = (int)a->u;
    if (vm->proto > vm->doc->protocol) vm->doc->protocol = (uint8_t)vm->proto;
    return JL_OK;
}

/* FRAME, as CPython's pickle._Unframer (joblib's unpickler) reads it: the
 * frame is what the file still has of the length it claims, so a pickle
 * complete before the end loads even when the frame claims more (noted in
 * doc->damaged); a frame may not begin inside another. A claim past
 * max_decompressed fails: Python would allocate it whole. */
static int op_frame(jl_vm *vm, const arg *a) {
    if (a->u > vm->len - vm->pos && a->u <= vm->doc->limits.max_decompressed) {
        int rc = jl_vm_fill(vm, a->u);
        if (rc) return rc;
    }
    uint64_t rem = vm->len - vm->pos;
    if (in_frame(vm))
        return jl_fail(vm->err, JL_E_FORMAT, jl_vm_stream_at(vm, vm->op_off),
                       "FRAME at byte %llu begins before the end of the current frame at byte %llu%s",
                       (unsigned long long)jl_vm_stream_at(vm, vm->op_off), (unsigned long long)vm->frame_end, vm->where);
    if (a->u > rem) {
        if (a->u > vm->doc->limits.max_decompressed)
            return jl_vm_fail(vm, JL_E_TRUNCATED,
                              "file is truncated: FRAME claims %llu bytes (more than max_decompressed) "
                              "but only %llu remain",
                              (unsigned long long)a->u, (unsigned long long)rem);
        jl_doc *doc = vm->doc;
        size_t l = strlen(doc->damaged);
        snprintf(doc->damaged + l, sizeof doc->damaged - l,
                 "%sFRAME at byte %llu claims %llu bytes but only %llu remain",
                 l ? "; " : "", (unsigned long long)jl_vm_stream_at(vm, vm->op_off), (unsigned long long)a->u,
                 (unsigned long long)rem);
    }
    vm->in_frame = 1;
    vm->frame_end = vm->pos + (a->u < rem ? a->u : rem);
    return JL_OK;
}

/* PERSID, BINPERSID */
static int op_persid(jl_vm *vm, const arg *a) {
    (void)a;
    return jl_vm_fail(vm, JL_E_UNSUPPORTED, "persistent ids are not supported");
}

/* EXT1, EXT2, EXT4 */
static int op_ext(jl_vm *vm, const arg *a) {
    (void)a;
    return jl_vm_fail(vm, JL_E_UNSUPPORTED, "extension registry codes are not supported");
}

/* NEXT_BUFFER, READONLY_BUFFER */
static int op_buffer(jl_vm *vm, const arg *a) {
    (void)a;
    return jl_vm_fail(vm, JL_E_UNSUPPORTED, "out-of-band buffers (protocol 5) are not supported");
}

/* ---- the loop ------------------------------------------------------------------- */

/* A stream's protocol is its PROTO, or the highest protocol of the
 * opcodes it uses (protocol 1 has no PROTO), as pickletools infers it. */
static void note_protocol(jl_vm *vm, int proto) { vm->doc->protocol = (uint8_t)proto; }

/* One opcode: a case a row of opcodes.h, its argument read by kind (a
 * constant in each case, so the read is inlined to its own checks), then
 * its handler. */
VM_INLINE int dispatch(jl_vm *vm, uint8_t code) {
    arg a;
    int rc;
    switch (code) {
#define VM_CASE(name, byte, kind, proto, handler)                           \
    case byte:                                                               \
        if (proto > vm->doc->protocol) note_protocol(vm, proto);             \
        return (rc = read_arg(vm, JL_ARG_##kind, &a)) ? rc : op_##handler(vm, &a);
        JL_OPCODE_LIST(VM_CASE)
#undef VM_CASE
    }
    return jl_fail(vm->err, JL_E_FORMAT, jl_vm_stream_at(vm, vm->op_off), "unknown opcode 0x%02x at byte %llu%s", code,
                   (unsigned long long)jl_vm_stream_at(vm, vm->op_off), vm->where);
}

/* ---- resident memory ------------------------------------------------------------ */

#define RELEASE_STEP ((uint64_t)8 << 20)

/* A mapped file's pages behind the VM are handed back to the kernel as it
 * goes (MADV_DONTNEED): the tree keeps offsets into the file, and a later
 * read of a string there faults the page in again from the page cache
 * (the mapping is private and never written, so its content is the
 * file's). Decoding a 40 MB pickle then costs its nodes, not its nodes
 * plus the whole file, in resident memory. Advice only: errors ignored. */
static void release_behind(jl_vm *vm) {
    const jl_block *b = &vm->doc->blocks[vm->block];
    vm->release_at = vm->pos + RELEASE_STEP;
    if (b->owner != JL_BLOCK_MMAP || b->len < 2 * RELEASE_STEP) return;
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0) return;
    uint64_t page = (uint64_t)ps, upto = vm->pos - vm->pos % page;
    uint64_t from = (vm->released + page - 1) / page * page;
    if (upto <= from || upto > b->len) return;
    madvise((void *)(b->p + from), (size_t)(upto - from), MADV_DONTNEED);
    vm->released = upto;
}

int jl_vm_run(jl_decoder *dec, uint32_t block, uint64_t start, const char *where, uint32_t *root,
              uint64_t *end, jl_error *err) {
    jl_doc *doc = dec->doc;
    if (dec->nesting > 4)
        return jl_fail(err, JL_E_LIMIT, start, "pickles nested more than 4 deep%s", where);
    jl_vm vm;
    memset(&vm, 0, sizeof vm);
    vm.dec = dec;
    vm.doc = doc;
    vm.block = block;
    vm.p = doc->blocks[block].p;
    vm.len = doc->blocks[block].len;
    vm.pos = start;
    vm.where = where ? where : "";
    vm.err = err;
    vm.root = JL_NONE;
    vm.run_nested = jl_vm_run;
    dec->nesting++;
    int rc;
    *root = JL_NONE;
    vm.released = start;
    vm.release_at = start + RELEASE_STEP;
    for (;;) {
        if (vm.pos >= vm.release_at) release_behind(&vm);
        vm.op_off = vm.pos;
        if (vm.pos >= vm.len && (rc = jl_vm_fill(&vm, 1))) break;
        if (vm.pos >= vm.len) {
            uint64_t at = jl_vm_stream_at(&vm, vm.pos);
            rc = jl_fail(err, JL_E_TRUNCATED, at,
                         "file is truncated: the pickle ends at byte %llu without its STOP opcode%s",
                         (unsigned long long)at, vm.where);
            break;
        }
        if ((rc = dispatch(&vm, vm.p[vm.pos++]))) break;
    }
    if (rc == STOPPED) {
        rc = JL_OK;
        *root = vm.root;
        if (end) *end = vm.pos;
    } else {
        if (rc < 0 || err->code == JL_OK) rc = err->code ? (int)err->code : JL_E_FORMAT;
        if (err->offset == JL_NO_OFFSET) {
            /* a builder's message: say where */
            size_t l = strlen(err->message);
            err->offset = jl_vm_stream_at(&vm, vm.op_off);
            snprintf(err->message + l, sizeof err->message - l, " at byte %llu%s",
                     (unsigned long long)err->offset, vm.where);
        }
    }
    dec->nesting--;
    jl_free(&doc->alloc, vm.stack);
    jl_free(&doc->alloc, vm.marks);
    jl_memo_free(&doc->alloc, &vm.memo);
    return rc;
}
