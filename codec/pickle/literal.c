/*
 * literal.c - the values of the opcodes written as text or as a long's
 * bytes (literal.h): decimal ints and longs, float text, STRING's quoted
 * repr, UNICODE's raw-unicode-escape, LONG1/LONG4 and Python 2 str.
 */
#include "literal.h"

#include "text.h"

#include <stdlib.h>
#include <string.h>

static int parse_decimal(jl_vm *vm, const uint8_t *p, uint64_t n, int allow_l, uint32_t *out) {
    jl_doc *doc = vm->doc;
    if (allow_l && n && p[n - 1] == 'L') n--;
    uint64_t i = 0;
    int neg = 0;
    while (i < n && (p[i] == ' ')) i++;
    if (i < n && (p[i] == '-' || p[i] == '+')) neg = p[i++] == '-';
    if (i == n) return jl_vm_fail(vm, JL_E_FORMAT, "empty integer text");
    if (n - i > JL_INT_TEXT_MAX_DIGITS)
        return jl_vm_fail(vm, JL_E_LIMIT, "integer text of %llu digits, more than the limit of %d",
                          (unsigned long long)(n - i), JL_INT_TEXT_MAX_DIGITS);
    uint64_t v = 0;
    int big = 0;
    for (uint64_t j = i; j < n; j++) {
        if (p[j] < '0' || p[j] > '9') return jl_vm_fail(vm, JL_E_FORMAT, "bad integer text");
        if (!big && (v > (UINT64_MAX - 9) / 10)) big = 1;
        if (!big) v = v * 10 + (uint64_t)(p[j] - '0');
    }
    if (!big && (neg ? v <= (uint64_t)INT64_MAX + 1 : v <= (uint64_t)INT64_MAX)) {
        *out = jl_new_int(doc, neg ? (int64_t)(0 - v) : (int64_t)v, vm->err);
        return *out == JL_NONE ? -1 : JL_OK;
    }
    /* big: the shared decimal parser (quadratic, hence the digit bound) */
    *out = jl_new_int_decimal(doc, p + i, n - i, neg, vm->err);
    return *out == JL_NONE ? -1 : JL_OK;
}

int jl_lit_int(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out) {
    (void)off;
    if (n == 2 && p[0] == '0' && (p[1] == '0' || p[1] == '1')) {
        *out = jl_new_bool(vm->doc, p[1] == '1', vm->err);
        return *out == JL_NONE ? -1 : JL_OK;
    }
    int rc = parse_decimal(vm, p, n, 0, out);
    if (rc) return rc;
    /* Python 2 cPickle writes ints beyond 32 bits as INT even at protocol 2 */
    if (vm->proto >= 2 && vm->doc->nodes[*out].kind == JL_INT) vm->doc->python = 2;
    return JL_OK;
}

int jl_lit_long(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out) {
    (void)off;
    return parse_decimal(vm, p, n, 1, out);
}


int jl_lit_long_le(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out) {
    if (n <= 8) {
        uint64_t v = jl_le(p, (unsigned)n);
        if (n && n < 8 && (p[n - 1] & 0x80)) v |= UINT64_MAX << (8 * n);
        *out = jl_new_int(vm->doc, (int64_t)v, vm->err);
        return *out == JL_NONE ? -1 : JL_OK;
    }
    jl_ref ref = { off, n, vm->block };
    *out = jl_new_ref(vm->doc, JL_INT, ref, vm->err);
    if (*out == JL_NONE) return -1;
    vm->doc->nodes[*out].flags |= JL_F_BIG;
    return JL_OK;
}

/* Output is at most 4 bytes per input byte. */
int jl_lit_unicode(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out) {
    (void)off;
    jl_ref ref;
    uint8_t *b = jl_heap_alloc(vm->doc, n * 4, &ref, vm->err);
    if (!b) return -1;
    uint8_t *w = b;
    for (uint64_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c == '\\' && i + 1 < n && (p[i + 1] == 'u' || p[i + 1] == 'U')) {
            unsigned digits = p[i + 1] == 'u' ? 4 : 8;
            if (i + 2 + digits > n) return jl_vm_fail(vm, JL_E_FORMAT, "truncated \\u escape");
            uint32_t cp = 0;
            for (unsigned k = 0; k < digits; k++) {
                int h = jl_hex_digit(p[i + 2 + k]);
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
    *out = jl_new_ref(vm->doc, JL_STR, ref, vm->err);
    return *out == JL_NONE ? -1 : JL_OK;
}

/* A Python 2 str: `str` when ASCII, `bytes` otherwise (README "Paths, types and values"). */
static uint32_t py2_str(jl_vm *vm, jl_ref ref) {
    const uint8_t *p = jl_ref_ptr(vm->doc, ref);
    int ascii = jl_is_ascii(p, ref.len);
    uint32_t id = jl_new_ref(vm->doc, ascii ? JL_STR : JL_BYTES, ref, vm->err);
    if (id != JL_NONE) vm->doc->nodes[id].flags |= JL_F_PY2;
    vm->doc->python = 2;
    return id;
}

int jl_lit_py2_str(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out) {
    (void)p;
    jl_ref ref = { off, n, vm->block };
    *out = py2_str(vm, ref);
    return *out == JL_NONE ? -1 : JL_OK;
}

int jl_lit_string(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out) {
    (void)off;
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
    if (n < 2 || (p[0] != '\'' && p[0] != '"') || p[n - 1] != p[0])
        return jl_vm_fail(vm, JL_E_FORMAT, "STRING argument is not quoted");
    p++;
    n -= 2;
    jl_ref ref;
    uint8_t *b = jl_heap_alloc(vm->doc, n, &ref, vm->err);
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
            int h1 = i < n ? jl_hex_digit(p[i]) : -1, h2 = i + 1 < n ? jl_hex_digit(p[i + 1]) : -1;
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

int jl_lit_float(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out) {
    (void)off;
    char buf[64];
    if (n == 0 || n >= sizeof buf) return jl_vm_fail(vm, JL_E_FORMAT, "bad FLOAT text");
    memcpy(buf, p, (size_t)n);
    buf[n] = 0;
    char *end;
    double v = strtod(buf, &end);
    while (*end == ' ' || *end == '\r') end++;
    if (*end) return jl_vm_fail(vm, JL_E_FORMAT, "bad FLOAT text '%s'", buf);
    *out = jl_new_float(vm->doc, v, vm->err);
    return *out == JL_NONE ? -1 : JL_OK;
}
