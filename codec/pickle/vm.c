/*
 * vm.c - the safe pickle virtual machine: protocols 0-5, Python 2
 * and 3 streams, every opcode of opcodes.h. Values go straight into the
 * doc's arena; strings, bytes and big ints refer to the input bytes
 * where they can. Nothing is imported or called: REDUCE, NEWOBJ and
 * BUILD go to reduce.c, which knows a short whitelist of reductions and
 * keeps everything else as data.
 *
 * Every argument length is checked against the bytes that remain before
 * anything is made of it; marks are bounded by max_depth, memo indices by
 * max_memo, the stack and nodes by max_nodes.
 */
#include "vm.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "opcodes.h"
#include "text.h"

int jl_vm_fail(jl_vm *vm, jl_code code, const char *fmt, ...) {
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *name = vm->op_off < vm->len ? jl_opcodes[vm->p[vm->op_off]].name : NULL;
    return jl_fail(vm->err, code, vm->op_off, "%s at byte %llu%s%s%s%s", msg,
                   (unsigned long long)vm->op_off, name ? " (" : "", name ? name : "",
                   name ? ")" : "", vm->where);
}

static jl_error *vm_err(jl_vm *vm) { return vm->err; }

/* ---- memo -------------------------------------------------------------- */

static void memo_free(const jl_alloc *a, jl_memo *m) {
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

static uint32_t memo_get(const jl_memo *m, uint64_t idx) {
    if (idx < m->ndense) return m->dense[idx];
    if (!m->hcap) return JL_NONE;
    for (uint64_t i = memo_hash(idx) & (m->hcap - 1);; i = (i + 1) & (m->hcap - 1)) {
        if (m->hkeys[i] == UINT64_MAX) return JL_NONE;
        if (m->hkeys[i] == idx) return m->hvals[i];
    }
}

static int memo_put(jl_vm *vm, uint64_t idx, uint32_t node) {
    jl_memo *m = &vm->memo;
    jl_doc *doc = vm->doc;
    if (idx >= doc->limits.max_memo)
        return jl_vm_fail(vm, JL_E_LIMIT, "memo index %llu exceeds max_memo (%llu)",
                          (unsigned long long)idx, (unsigned long long)doc->limits.max_memo);
    if (m->count >= doc->limits.max_memo)
        return jl_vm_fail(vm, JL_E_LIMIT, "more than max_memo (%llu) memo entries",
                          (unsigned long long)doc->limits.max_memo);
    /* dense when the index is close to what has been set so far */
    if (idx < m->ndense || idx <= 2 * m->count + 1024) {
        if (idx >= m->ndense) {
            uint64_t old = m->ndense;
            if (jl_grow(&doc->alloc, (void **)&m->dense, &m->cap_dense, idx + 1, sizeof(uint32_t),
                        doc->limits.max_alloc))
                return jl_vm_fail(vm, JL_E_NOMEM, "out of memory growing the memo");
            m->ndense = m->cap_dense;
            for (uint64_t i = old; i < m->ndense; i++) m->dense[i] = JL_NONE;
        }
        if (m->dense[idx] == JL_NONE) m->count++;
        m->dense[idx] = node;
        return JL_OK;
    }
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

/* ---- stack ------------------------------------------------------------- */

static int push(jl_vm *vm, uint32_t id) {
    if (id == JL_NONE) return -1; /* the builder already set the error */
    if (vm->nstack == vm->cap_stack) {
        if (vm->nstack >= vm->doc->limits.max_nodes)
            return jl_vm_fail(vm, JL_E_LIMIT, "stack deeper than max_nodes (%llu)",
                              (unsigned long long)vm->doc->limits.max_nodes);
        if (jl_grow(&vm->doc->alloc, (void **)&vm->stack, &vm->cap_stack, vm->nstack + 1,
                    sizeof(uint32_t), vm->doc->limits.max_alloc))
            return jl_vm_fail(vm, JL_E_NOMEM, "out of memory growing the stack");
    }
    vm->stack[vm->nstack++] = id;
    return JL_OK;
}

/* Items above the last mark (or the whole stack when there is none). */
static uint64_t mark_base(const jl_vm *vm) { return vm->nmarks ? vm->marks[vm->nmarks - 1] : 0; }

static int need(jl_vm *vm, uint64_t n) {
    if (vm->nstack - mark_base(vm) < n)
        return jl_vm_fail(vm, JL_E_FORMAT, "stack underflow: needs %llu item%s",
                          (unsigned long long)n, n == 1 ? "" : "s");
    return JL_OK;
}

static uint32_t pop(jl_vm *vm) { return vm->stack[--vm->nstack]; }

/* Pops to the last mark: *items points at the popped run (valid until the
 * next push) and *n is its length. */
static int pop_mark(jl_vm *vm, uint32_t **items, uint64_t *n) {
    if (!vm->nmarks) return jl_vm_fail(vm, JL_E_FORMAT, "no MARK on the stack");
    uint64_t base = vm->marks[--vm->nmarks];
    *items = vm->stack ? vm->stack + base : NULL; /* NULL + 0 is UB */
    *n = vm->nstack - base;
    vm->nstack = base;
    return JL_OK;
}

static uint32_t new_container(jl_vm *vm, jl_kind kind, const uint32_t *items, uint64_t n) {
    jl_error *err = vm_err(vm);
    uint32_t id = jl_node_new(vm->doc, kind, err);
    if (id == JL_NONE) return JL_NONE;
    if (jl_kids_append(vm->doc, id, items, n, err)) return JL_NONE;
    return id;
}

/* ---- helpers over nodes -------------------------------------------------- */

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

#define MAX_LINE 65536 /* text arguments longer than this are refused */

static int read_line(jl_vm *vm, const uint8_t **p, uint64_t *n, uint64_t *off) {
    uint64_t rem = vm->len - vm->pos;
    uint64_t lim = rem < MAX_LINE ? rem : MAX_LINE;
    const uint8_t *start = vm->p + vm->pos;
    const uint8_t *nl = memchr(start, '\n', (size_t)lim);
    if (!nl) {
        if (rem <= MAX_LINE) return jl_vm_fail(vm, JL_E_TRUNCATED, "text argument has no end of line");
        return jl_vm_fail(vm, JL_E_LIMIT, "text argument longer than %d bytes", MAX_LINE);
    }
    *p = start;
    *n = (uint64_t)(nl - start);
    *off = vm->pos;
    vm->pos += *n + 1;
    return JL_OK;
}

static int read_fixed(jl_vm *vm, uint64_t n, const uint8_t **p) {
    if (vm->len - vm->pos < n)
        return jl_vm_fail(vm, JL_E_TRUNCATED, "needs %llu bytes, %llu remain", (unsigned long long)n,
                          (unsigned long long)(vm->len - vm->pos));
    *p = vm->p + vm->pos;
    vm->pos += n;
    return JL_OK;
}

static uint64_t le(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

static int read_arg(jl_vm *vm, uint8_t kind, arg *a) {
    const uint8_t *p = NULL;
    int rc;
    switch (kind) {
    case JL_ARG_NONE: return JL_OK;
    case JL_ARG_U1: if ((rc = read_fixed(vm, 1, &p))) return rc; a->u = p[0]; return JL_OK;
    case JL_ARG_U2: if ((rc = read_fixed(vm, 2, &p))) return rc; a->u = le(p, 2); return JL_OK;
    case JL_ARG_U4: if ((rc = read_fixed(vm, 4, &p))) return rc; a->u = le(p, 4); return JL_OK;
    case JL_ARG_I4:
        if ((rc = read_fixed(vm, 4, &p))) return rc;
        a->i = (int32_t)(uint32_t)le(p, 4);
        return JL_OK;
    case JL_ARG_U8: if ((rc = read_fixed(vm, 8, &p))) return rc; a->u = le(p, 8); return JL_OK;
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
        return read_line(vm, &a->p2, &a->n2, &a->off2);
    case JL_ARG_BYTES1:
    case JL_ARG_BYTES4:
    case JL_ARG_BYTES4S:
    case JL_ARG_BYTES8: {
        unsigned w = kind == JL_ARG_BYTES1 ? 1 : kind == JL_ARG_BYTES8 ? 8 : 4;
        if ((rc = read_fixed(vm, w, &p))) return rc;
        uint64_t n = le(p, w);
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

/* 1 when p[0..n) is UTF-8 as Python's "surrogatepass" reads it: well
 * formed, lone surrogates (ED A0..BF xx) allowed. */
static int valid_wtf8(const uint8_t *p, uint64_t n) {
    uint64_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ULL)) { i += 8; continue; }
        }
        uint8_t c = p[i];
        if (c < 0x80) { i++; continue; }
        unsigned len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!len || n - i < len) return 0;
        for (unsigned k = 1; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80) return 0;
        if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] > 0x8F))
            return 0;
        i += len;
    }
    return 1;
}

static jl_ref stream_ref(jl_vm *vm, uint64_t off, uint64_t n) {
    jl_ref r = { off, n, vm->block };
    return r;
}

/* ---- text arguments -------------------------------------------------------- */

static int parse_decimal(jl_vm *vm, const uint8_t *p, uint64_t n, int allow_l, uint32_t *out) {
    jl_doc *doc = vm->doc;
    if (allow_l && n && p[n - 1] == 'L') n--;
    uint64_t i = 0;
    int neg = 0;
    while (i < n && (p[i] == ' ')) i++;
    if (i < n && (p[i] == '-' || p[i] == '+')) neg = p[i++] == '-';
    if (i == n) return jl_vm_fail(vm, JL_E_FORMAT, "empty integer text");
    uint64_t v = 0;
    int big = 0;
    for (uint64_t j = i; j < n; j++) {
        if (p[j] < '0' || p[j] > '9') return jl_vm_fail(vm, JL_E_FORMAT, "bad integer text");
        if (!big && (v > (UINT64_MAX - 9) / 10)) big = 1;
        if (!big) v = v * 10 + (uint64_t)(p[j] - '0');
    }
    if (!big && (neg ? v <= (uint64_t)INT64_MAX + 1 : v <= (uint64_t)INT64_MAX)) {
        *out = jl_new_int(doc, neg ? (int64_t)(0 - v) : (int64_t)v, vm_err(vm));
        return *out == JL_NONE ? -1 : JL_OK;
    }
    /* Big: build the two's complement little-endian bytes by repeated
     * multiply-add over the digits (text is bounded by MAX_LINE). */
    uint64_t nd = n - i;
    uint64_t cap = nd / 2 + 2;
    jl_ref ref;
    uint8_t *b = jl_heap_alloc(doc, cap, &ref, vm_err(vm));
    if (!b) return -1;
    memset(b, 0, (size_t)cap);
    uint64_t used = 1;
    for (uint64_t j = i; j < n; j++) {
        unsigned carry = (unsigned)(p[j] - '0');
        for (uint64_t k = 0; k < used; k++) {
            unsigned t = b[k] * 10u + carry;
            b[k] = (uint8_t)t;
            carry = t >> 8;
        }
        if (carry && used < cap) b[used++] = (uint8_t)carry;
    }
    if (used < cap) used++; /* room for the sign bit */
    if (neg) {
        unsigned c = 1;
        for (uint64_t k = 0; k < used; k++) {
            unsigned t = (uint8_t)~b[k] + c;
            b[k] = (uint8_t)t;
            c = t >> 8;
        }
    }
    /* trim redundant sign bytes */
    while (used > 1 && ((b[used - 1] == 0 && !(b[used - 2] & 0x80)) ||
                        (b[used - 1] == 0xFF && (b[used - 2] & 0x80))))
        used--;
    ref.len = used;
    *out = jl_new_ref(doc, JL_INT, ref, vm_err(vm));
    if (*out == JL_NONE) return -1;
    doc->nodes[*out].flags |= JL_F_BIG;
    return JL_OK;
}

/* LONG1/LONG4: two's complement little-endian, n bytes. */
static int make_long(jl_vm *vm, const arg *a, uint32_t *out) {
    if (a->n <= 8) {
        uint64_t v = le(a->p, (unsigned)a->n);
        if (a->n && a->n < 8 && (a->p[a->n - 1] & 0x80)) v |= UINT64_MAX << (8 * a->n);
        *out = jl_new_int(vm->doc, (int64_t)v, vm_err(vm));
        return *out == JL_NONE ? -1 : JL_OK;
    }
    *out = jl_new_ref(vm->doc, JL_INT, stream_ref(vm, a->off, a->n), vm_err(vm));
    if (*out == JL_NONE) return -1;
    vm->doc->nodes[*out].flags |= JL_F_BIG;
    return JL_OK;
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* UNICODE: raw-unicode-escape; bytes map to code points, \uXXXX and
 * \UXXXXXXXX escapes for the rest. Output is at most 4 bytes per input byte. */
static int make_unicode(jl_vm *vm, const arg *a, uint32_t *out) {
    jl_ref ref;
    uint8_t *b = jl_heap_alloc(vm->doc, a->n * 4, &ref, vm_err(vm));
    if (!b) return -1;
    uint8_t *w = b;
    for (uint64_t i = 0; i < a->n;) {
        uint8_t c = a->p[i];
        if (c == '\\' && i + 1 < a->n && (a->p[i + 1] == 'u' || a->p[i + 1] == 'U')) {
            unsigned digits = a->p[i + 1] == 'u' ? 4 : 8;
            if (i + 2 + digits > a->n) return jl_vm_fail(vm, JL_E_FORMAT, "truncated \\u escape");
            uint32_t cp = 0;
            for (unsigned k = 0; k < digits; k++) {
                int h = hexval(a->p[i + 2 + k]);
                if (h < 0) return jl_vm_fail(vm, JL_E_FORMAT, "bad \\u escape");
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp > 0x10FFFF) return jl_vm_fail(vm, JL_E_FORMAT, "code point beyond U+10FFFF");
            w += jl_utf8_encode(cp, w);
            i += 2 + digits;
        } else {
            w += jl_utf8_encode(c, w);
            i++;
        }
    }
    ref.len = (uint64_t)(w - b);
    *out = jl_new_ref(vm->doc, JL_STR, ref, vm_err(vm));
    return *out == JL_NONE ? -1 : JL_OK;
}

/* A Python 2 str: `str` when ASCII, `bytes` otherwise (README "Paths, types and values"). */
static uint32_t py2_str(jl_vm *vm, jl_ref ref) {
    const uint8_t *p = jl_ref_ptr(vm->doc, ref);
    int ascii = 1;
    for (uint64_t i = 0; i < ref.len; i++)
        if (p[i] & 0x80) { ascii = 0; break; }
    uint32_t id = jl_new_ref(vm->doc, ascii ? JL_STR : JL_BYTES, ref, vm_err(vm));
    if (id != JL_NONE) vm->doc->nodes[id].flags |= JL_F_PY2;
    vm->doc->python = 2;
    return id;
}

/* STRING: a quoted repr with Python escapes. */
static int make_string(jl_vm *vm, const arg *a, uint32_t *out) {
    const uint8_t *p = a->p;
    uint64_t n = a->n;
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
    if (n < 2 || (p[0] != '\'' && p[0] != '"') || p[n - 1] != p[0])
        return jl_vm_fail(vm, JL_E_FORMAT, "STRING argument is not quoted");
    p++;
    n -= 2;
    jl_ref ref;
    uint8_t *b = jl_heap_alloc(vm->doc, n, &ref, vm_err(vm));
    if (!b) return -1;
    uint64_t w = 0;
    for (uint64_t i = 0; i < n;) {
        if (p[i] != '\\') { b[w++] = p[i++]; continue; }
        if (++i >= n) return jl_vm_fail(vm, JL_E_FORMAT, "STRING ends in a backslash");
        uint8_t c = p[i++];
        static const char simple_in[] = "\\'\"abfnrtv";
        static const char simple_out[] = "\\'\"\a\b\f\n\r\t\v";
        const char *s = memchr(simple_in, c, sizeof simple_in - 1);
        if (s) { b[w++] = (uint8_t)simple_out[s - simple_in]; continue; }
        if (c == 'x') {
            int h1 = i < n ? hexval(p[i]) : -1, h2 = i + 1 < n ? hexval(p[i + 1]) : -1;
            if (h1 < 0 || h2 < 0) return jl_vm_fail(vm, JL_E_FORMAT, "bad \\x escape in STRING");
            b[w++] = (uint8_t)(h1 * 16 + h2);
            i += 2;
        } else if (c >= '0' && c <= '7') {
            unsigned v = (unsigned)(c - '0');
            for (int k = 0; k < 2 && i < n && p[i] >= '0' && p[i] <= '7'; k++) v = v * 8 + (unsigned)(p[i++] - '0');
            b[w++] = (uint8_t)v;
        } else if (c == '\n') {
            /* line continuation */
        } else {
            b[w++] = '\\';
            b[w++] = c;
        }
    }
    ref.len = w;
    *out = py2_str(vm, ref);
    return *out == JL_NONE ? -1 : JL_OK;
}

static int make_float_text(jl_vm *vm, const arg *a, uint32_t *out) {
    char buf[64];
    if (a->n == 0 || a->n >= sizeof buf) return jl_vm_fail(vm, JL_E_FORMAT, "bad FLOAT text");
    memcpy(buf, a->p, (size_t)a->n);
    buf[a->n] = 0;
    char *end;
    double v = strtod(buf, &end);
    while (*end == ' ' || *end == '\r') end++;
    if (*end) return jl_vm_fail(vm, JL_E_FORMAT, "bad FLOAT text '%s'", buf);
    *out = jl_new_float(vm->doc, v, vm_err(vm));
    return *out == JL_NONE ? -1 : JL_OK;
}

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

/* ---- the loop ---------------------------------------------------------------- */

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

static int memo_index_arg(jl_vm *vm, uint8_t code, const arg *a, uint64_t *idx) {
    if (code != OP_GET && code != OP_PUT) {
        *idx = a->u;
        return JL_OK;
    }
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

static int step(jl_vm *vm, uint8_t code, const arg *a, int *stop, uint32_t *root) {
    jl_doc *doc = vm->doc;
    jl_error *err = vm_err(vm);
    uint32_t id = JL_NONE, x, y, z, *items = NULL;
    uint64_t n = 0, idx = 0;
    int rc;
    switch (code) {
    case OP_MARK:
        if (vm->nmarks >= doc->limits.max_depth)
            return jl_vm_fail(vm, JL_E_LIMIT, "MARK nesting deeper than max_depth (%llu)",
                              (unsigned long long)doc->limits.max_depth);
        if (jl_grow(&doc->alloc, (void **)&vm->marks, &vm->cap_marks, vm->nmarks + 1, sizeof(uint64_t),
                    doc->limits.max_alloc))
            return jl_vm_fail(vm, JL_E_NOMEM, "out of memory growing the mark stack");
        vm->marks[vm->nmarks++] = vm->nstack;
        return JL_OK;
    case OP_STOP:
        if ((rc = need(vm, 1))) return rc;
        *root = pop(vm);
        *stop = 1;
        return JL_OK;
    case OP_POP:
        if (vm->nstack > mark_base(vm)) vm->nstack--;
        else if (vm->nmarks) vm->nmarks--;
        else return jl_vm_fail(vm, JL_E_FORMAT, "stack underflow");
        return JL_OK;
    case OP_POP_MARK:
        return pop_mark(vm, &items, &n);
    case OP_DUP:
        if ((rc = need(vm, 1))) return rc;
        return push(vm, vm->stack[vm->nstack - 1]);
    case OP_NONE: return push(vm, jl_node_new(doc, JL_NULL, err));
    case OP_NEWTRUE: return push(vm, jl_new_bool(doc, 1, err));
    case OP_NEWFALSE: return push(vm, jl_new_bool(doc, 0, err));
    case OP_BININT: return push(vm, jl_new_int(doc, a->i, err));
    case OP_BININT1:
    case OP_BININT2: return push(vm, jl_new_int(doc, (int64_t)a->u, err));
    case OP_INT:
        if (a->n == 2 && a->p[0] == '0' && (a->p[1] == '0' || a->p[1] == '1'))
            return push(vm, jl_new_bool(doc, a->p[1] == '1', err));
        if ((rc = parse_decimal(vm, a->p, a->n, 0, &id))) return rc;
        /* Python 2 cPickle writes ints beyond 32 bits as INT even at protocol 2 */
        if (vm->proto >= 2 && doc->nodes[id].kind == JL_INT) doc->python = 2;
        return push(vm, id);
    case OP_LONG:
        if ((rc = parse_decimal(vm, a->p, a->n, 1, &id))) return rc;
        return push(vm, id);
    case OP_LONG1:
    case OP_LONG4:
        if ((rc = make_long(vm, a, &id))) return rc;
        return push(vm, id);
    case OP_BINFLOAT: return push(vm, jl_new_float(doc, a->f, err));
    case OP_FLOAT:
        if ((rc = make_float_text(vm, a, &id))) return rc;
        return push(vm, id);
    case OP_BINBYTES:
    case OP_SHORT_BINBYTES:
    case OP_BINBYTES8: return push(vm, jl_new_ref(doc, JL_BYTES, stream_ref(vm, a->off, a->n), err));
    case OP_BYTEARRAY8: return push(vm, jl_new_ref(doc, JL_BYTEARRAY, stream_ref(vm, a->off, a->n), err));
    case OP_BINUNICODE:
    case OP_SHORT_BINUNICODE:
    case OP_BINUNICODE8:
        if (!valid_wtf8(a->p, a->n)) return jl_vm_fail(vm, JL_E_FORMAT, "str that is not UTF-8");
        return push(vm, jl_new_ref(doc, JL_STR, stream_ref(vm, a->off, a->n), err));
    case OP_UNICODE:
        if ((rc = make_unicode(vm, a, &id))) return rc;
        return push(vm, id);
    case OP_STRING:
        if ((rc = make_string(vm, a, &id))) return rc;
        return push(vm, id);
    case OP_BINSTRING:
    case OP_SHORT_BINSTRING: return push(vm, py2_str(vm, stream_ref(vm, a->off, a->n)));
    case OP_EMPTY_TUPLE: return push(vm, jl_node_new(doc, JL_TUPLE, err));
    case OP_EMPTY_LIST: return push(vm, jl_node_new(doc, JL_LIST, err));
    case OP_EMPTY_DICT: return push(vm, jl_node_new(doc, JL_DICT, err));
    case OP_EMPTY_SET: return push(vm, jl_node_new(doc, JL_SET, err));
    case OP_TUPLE1:
    case OP_TUPLE2:
    case OP_TUPLE3:
        n = (uint64_t)(code - OP_TUPLE1 + 1);
        if ((rc = need(vm, n))) return rc;
        vm->nstack -= n;
        return push(vm, new_container(vm, JL_TUPLE, vm->stack + vm->nstack, n));
    case OP_TUPLE:
    case OP_LIST:
    case OP_FROZENSET:
        if ((rc = pop_mark(vm, &items, &n))) return rc;
        return push(vm, new_container(vm, code == OP_TUPLE ? JL_TUPLE : code == OP_LIST ? JL_LIST : JL_FROZENSET,
                                      items, n));
    case OP_DICT:
        if ((rc = pop_mark(vm, &items, &n))) return rc;
        if (n % 2) return jl_vm_fail(vm, JL_E_FORMAT, "odd number of items for a dict");
        return push(vm, new_container(vm, JL_DICT, items, n));
    case OP_APPEND:
        if ((rc = need(vm, 2))) return rc;
        x = pop(vm);
        return append_to(vm, vm->stack[vm->nstack - 1], &x, 1);
    case OP_APPENDS:
        if ((rc = pop_mark(vm, &items, &n))) return rc;
        if ((rc = need(vm, 1))) return rc;
        return append_to(vm, vm->stack[vm->nstack - 1], items, n);
    case OP_SETITEM: {
        if ((rc = need(vm, 3))) return rc;
        uint32_t kv[2];
        kv[1] = pop(vm);
        kv[0] = pop(vm);
        return setitems_to(vm, vm->stack[vm->nstack - 1], kv, 2);
    }
    case OP_SETITEMS:
        if ((rc = pop_mark(vm, &items, &n))) return rc;
        if ((rc = need(vm, 1))) return rc;
        return setitems_to(vm, vm->stack[vm->nstack - 1], items, n);
    case OP_ADDITEMS:
        if ((rc = pop_mark(vm, &items, &n))) return rc;
        if ((rc = need(vm, 1))) return rc;
        x = vm->stack[vm->nstack - 1];
        if (doc->nodes[x].kind != JL_SET)
            return jl_vm_fail(vm, JL_E_FORMAT, "cannot add items to a %s", jl_kind_name(doc->nodes[x].kind));
        return jl_kids_append(doc, x, items, n, err) ? -1 : JL_OK;
    case OP_GET:
    case OP_BINGET:
    case OP_LONG_BINGET:
        if ((rc = memo_index_arg(vm, code, a, &idx))) return rc;
        id = memo_get(&vm->memo, idx);
        if (id == JL_NONE)
            return jl_vm_fail(vm, JL_E_FORMAT, "memo index %llu is not set", (unsigned long long)idx);
        return push(vm, id);
    case OP_PUT:
    case OP_BINPUT:
    case OP_LONG_BINPUT:
        if ((rc = memo_index_arg(vm, code, a, &idx))) return rc;
        if (vm->nstack == 0) return jl_vm_fail(vm, JL_E_FORMAT, "stack underflow");
        return memo_put(vm, idx, vm->stack[vm->nstack - 1]);
    case OP_MEMOIZE:
        if (vm->nstack == 0) return jl_vm_fail(vm, JL_E_FORMAT, "stack underflow");
        return memo_put(vm, vm->memo.count, vm->stack[vm->nstack - 1]);
    case OP_GLOBAL:
        if (!valid_wtf8(a->p, a->n) || !valid_wtf8(a->p2, a->n2))
            return jl_vm_fail(vm, JL_E_FORMAT, "class name that is not UTF-8");
        if ((rc = make_global(vm, stream_ref(vm, a->off, a->n), stream_ref(vm, a->off2, a->n2), &id)))
            return rc;
        return push(vm, id);
    case OP_STACK_GLOBAL: {
        if ((rc = need(vm, 2))) return rc;
        y = pop(vm);
        x = pop(vm);
        if (doc->nodes[x].kind != JL_STR || doc->nodes[y].kind != JL_STR)
            return jl_vm_fail(vm, JL_E_FORMAT, "STACK_GLOBAL needs two str");
        if ((rc = make_global(vm, jl_node_ref(doc, x), jl_node_ref(doc, y), &id))) return rc;
        return push(vm, id);
    }
    case OP_REDUCE:
        if ((rc = need(vm, 2))) return rc;
        y = pop(vm);
        x = pop(vm);
        if ((rc = jl_vm_reduce(vm, x, y, &id))) return rc;
        return push(vm, id);
    case OP_NEWOBJ:
        if ((rc = need(vm, 2))) return rc;
        y = pop(vm);
        x = pop(vm);
        if ((rc = jl_vm_newobj(vm, x, y, JL_NONE, JL_HOW_NEWOBJ, &id))) return rc;
        return push(vm, id);
    case OP_NEWOBJ_EX:
        if ((rc = need(vm, 3))) return rc;
        z = pop(vm);
        y = pop(vm);
        x = pop(vm);
        if ((rc = jl_vm_newobj(vm, x, y, z, JL_HOW_NEWOBJ_EX, &id))) return rc;
        return push(vm, id);
    case OP_INST: {
        if (!valid_wtf8(a->p, a->n) || !valid_wtf8(a->p2, a->n2))
            return jl_vm_fail(vm, JL_E_FORMAT, "class name that is not UTF-8");
        if ((rc = pop_mark(vm, &items, &n))) return rc;
        uint32_t args = new_container(vm, JL_TUPLE, items, n);
        if (args == JL_NONE) return -1;
        if ((rc = make_global(vm, stream_ref(vm, a->off, a->n), stream_ref(vm, a->off2, a->n2), &x))) return rc;
        if ((rc = jl_vm_newobj(vm, x, args, JL_NONE, JL_HOW_INST, &id))) return rc;
        return push(vm, id);
    }
    case OP_OBJ: {
        if ((rc = pop_mark(vm, &items, &n))) return rc;
        if (n < 1) return jl_vm_fail(vm, JL_E_FORMAT, "OBJ without a class");
        x = items[0];
        uint32_t args = new_container(vm, JL_TUPLE, items + 1, n - 1);
        if (args == JL_NONE) return -1;
        if ((rc = jl_vm_newobj(vm, x, args, JL_NONE, JL_HOW_OBJ, &id))) return rc;
        return push(vm, id);
    }
    case OP_BUILD:
        if ((rc = need(vm, 2))) return rc;
        y = pop(vm);
        return jl_vm_build(vm, vm->stack[vm->nstack - 1], y);
    case OP_PROTO:
        if (a->u > 5) return jl_vm_fail(vm, JL_E_FORMAT, "unsupported pickle protocol %llu", (unsigned long long)a->u);
        vm->proto = (int)a->u;
        if (vm->proto > doc->protocol) doc->protocol = (uint8_t)vm->proto;
        return JL_OK;
    case OP_FRAME:
        if (a->u > vm->len - vm->pos)
            return jl_vm_fail(vm, JL_E_TRUNCATED, "frame of %llu bytes, %llu remain", (unsigned long long)a->u,
                              (unsigned long long)(vm->len - vm->pos));
        return JL_OK;
    case OP_PERSID:
    case OP_BINPERSID:
        return jl_vm_fail(vm, JL_E_UNSUPPORTED, "persistent ids are not supported");
    case OP_EXT1:
    case OP_EXT2:
    case OP_EXT4:
        return jl_vm_fail(vm, JL_E_UNSUPPORTED, "extension registry codes are not supported");
    case OP_NEXT_BUFFER:
    case OP_READONLY_BUFFER:
        return jl_vm_fail(vm, JL_E_UNSUPPORTED, "out-of-band buffers (protocol 5) are not supported");
    }
    return jl_vm_fail(vm, JL_E_FORMAT, "unknown opcode 0x%02x", code);
}

/* ---- fast paths ------------------------------------------------------------------ */

/* A fresh node when there is room without growing and within max_nodes,
 * else NULL (the caller falls back to the checked path). */
static inline jl_node *fast_node(jl_doc *doc, uint8_t kind, uint32_t *id) {
    uint64_t n = doc->nnodes;
    if (n >= doc->cap_nodes || n >= doc->limits.max_nodes || n >= JL_NONE - 1) return NULL;
    jl_node *nd = &doc->nodes[n];
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    *id = (uint32_t)n;
    doc->nnodes = n + 1;
    return nd;
}

/* The opcodes that make up most of an object-heavy pickle, done without
 * the argument record and the checked builders when nothing can fail:
 * returns 1 when done, 0 to take the general path (vm->pos unchanged,
 * just after the opcode). Every check of the general path that could
 * fail is a condition here, so both paths accept the same streams. */
static inline int fast_op(jl_vm *vm, uint8_t code) {
    jl_doc *doc = vm->doc;
    const uint8_t *p = vm->p + vm->pos;
    uint64_t rem = vm->len - vm->pos;
    jl_node *nd;
    uint32_t id;
    if (vm->nstack >= vm->cap_stack) return 0;
    switch (code) {
    case OP_BINGET:
    case OP_LONG_BINGET: {
        unsigned w = code == OP_BINGET ? 1 : 4;
        if (rem < w) return 0;
        uint64_t idx = w == 1 ? p[0] : le(p, 4);
        if (idx >= vm->memo.ndense || (id = vm->memo.dense[idx]) == JL_NONE) return 0;
        vm->pos += w;
        vm->stack[vm->nstack++] = id;
        return 1;
    }
    case OP_MEMOIZE: {
        jl_memo *m = &vm->memo;
        uint64_t idx = m->count;
        if (vm->nstack == 0 || idx >= m->ndense || idx >= doc->limits.max_memo) return 0;
        if (m->dense[idx] == JL_NONE) m->count++;
        m->dense[idx] = vm->stack[vm->nstack - 1];
        return 1;
    }
    case OP_BININT1:
    case OP_BININT2:
    case OP_BININT: {
        unsigned w = code == OP_BININT1 ? 1 : code == OP_BININT2 ? 2 : 4;
        if (rem < w || !(nd = fast_node(doc, JL_INT, &id))) return 0;
        nd->u.i = w == 4 ? (int64_t)(int32_t)(uint32_t)le(p, 4) : (int64_t)le(p, w);
        vm->pos += w;
        break;
    }
    case OP_BINFLOAT: {
        if (rem < 8 || !(nd = fast_node(doc, JL_FLOAT, &id))) return 0;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits = (bits << 8) | p[i];
        memcpy(&nd->u.f, &bits, 8);
        vm->pos += 8;
        break;
    }
    case OP_NEWTRUE:
    case OP_NEWFALSE:
        if (!(nd = fast_node(doc, JL_BOOL, &id))) return 0;
        nd->u.i = code == OP_NEWTRUE;
        break;
    case OP_NONE:
        if (!fast_node(doc, JL_NULL, &id)) return 0;
        break;
    case OP_EMPTY_DICT:
    case OP_EMPTY_LIST:
    case OP_EMPTY_TUPLE:
        if (!fast_node(doc, code == OP_EMPTY_DICT ? JL_DICT : code == OP_EMPTY_LIST ? JL_LIST : JL_TUPLE, &id))
            return 0;
        break;
    case OP_SHORT_BINUNICODE: {
        if (rem < 1 || rem - 1 < p[0] || !valid_wtf8(p + 1, p[0]) || vm->block > UINT16_MAX ||
            !(nd = fast_node(doc, JL_STR, &id)))
            return 0;
        nd->block = (uint16_t)vm->block;
        nd->len = p[0];
        nd->u.off = vm->pos + 1;
        vm->pos += 1 + (uint64_t)p[0];
        break;
    }
    case OP_MARK:
        if (vm->nmarks >= vm->cap_marks || vm->nmarks >= doc->limits.max_depth) return 0;
        vm->marks[vm->nmarks++] = vm->nstack;
        return 1;
    default:
        return 0;
    }
    vm->stack[vm->nstack++] = id;
    return 1;
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
    dec->nesting++;
    int rc = JL_OK, stop = 0;
    *root = JL_NONE;
    vm.released = start;
    vm.release_at = start + RELEASE_STEP;
    while (!stop) {
        if (vm.pos >= vm.release_at) release_behind(&vm);
        vm.op_off = vm.pos;
        if (vm.pos >= vm.len) {
            rc = jl_fail(err, JL_E_TRUNCATED, vm.pos, "pickle ends without STOP at byte %llu%s",
                         (unsigned long long)vm.pos, vm.where);
            break;
        }
        uint8_t code = vm.p[vm.pos++];
        if (fast_op(&vm, code)) continue;
        const jl_opinfo *op = &jl_opcodes[code];
        if (!op->name) {
            rc = jl_fail(err, JL_E_FORMAT, vm.op_off, "unknown opcode 0x%02x at byte %llu%s", code,
                         (unsigned long long)vm.op_off, vm.where);
            break;
        }
        arg a;
        memset(&a, 0, sizeof a);
        if ((rc = read_arg(&vm, op->arg, &a))) break;
        if ((rc = step(&vm, code, &a, &stop, root))) {
            if (rc < 0 || err->code == JL_OK) rc = err->code ? (int)err->code : JL_E_FORMAT;
            if (err->offset == JL_NO_OFFSET) {
                /* a builder's message: say where */
                size_t l = strlen(err->message);
                snprintf(err->message + l, sizeof err->message - l, " at byte %llu%s",
                         (unsigned long long)vm.op_off, vm.where);
                err->offset = vm.op_off;
            }
            break;
        }
    }
    if (rc == JL_OK && end) *end = vm.pos;
    dec->nesting--;
    jl_free(&doc->alloc, vm.stack);
    jl_free(&doc->alloc, vm.marks);
    memo_free(&doc->alloc, &vm.memo);
    return rc;
}
