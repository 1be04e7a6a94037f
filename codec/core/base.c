/*
 * base.c - errors, the default allocator, limits, vector growth and the
 * byte buffer (see base.h).
 */
#include "base.h"
#include "shared.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jl_fail(jl_error *err, jl_code code, uint64_t offset, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
        err->offset = offset;
    }
    return (int)code;
}

void jl_error_clear(jl_error *err) {
    if (!err) return;
    err->code = JL_OK;
    err->offset = JL_NO_OFFSET;
    err->message[0] = 0;
}

static void *std_malloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void *std_realloc(void *ctx, void *p, size_t n) { (void)ctx; return realloc(p, n); }
static void std_free(void *ctx, void *p) { (void)ctx; free(p); }

const jl_alloc *jl_alloc_default(void) {
    static const jl_alloc a = { std_malloc, std_realloc, std_free, NULL };
    return &a;
}

void jl_limits_default(jl_limits *l) {
    l->max_decompressed = JL_DEFAULT_MAX_DECOMPRESSED;
    l->max_nodes = JL_DEFAULT_MAX_NODES;
    l->max_depth = JL_DEFAULT_MAX_DEPTH;
    l->max_memo = JL_DEFAULT_MAX_MEMO;
    l->max_alloc = JL_DEFAULT_MAX_ALLOC;
    l->feed_whole = l->feed_lazy_min = 0;
}

int jl_grow(const jl_alloc *a, void **p, uint64_t *cap, uint64_t need, size_t elem,
            uint64_t max_alloc) {
    if (need <= *cap) return JL_OK;
    uint64_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > UINT64_MAX / 2) return JL_E_LIMIT;
        ncap *= 2;
    }
    uint64_t bytes;
    if (jl_mul_overflow(ncap, elem, &bytes) || (max_alloc && bytes > max_alloc)) {
        /* retry with the exact need before giving up */
        if (jl_mul_overflow(need, elem, &bytes) || (max_alloc && bytes > max_alloc)) return JL_E_LIMIT;
        ncap = need;
    }
    if (bytes > SIZE_MAX) return JL_E_LIMIT;
    void *q = jl_realloc(a, *p, (size_t)bytes);
    if (!q) return JL_E_NOMEM;
    *p = q;
    *cap = ncap;
    return JL_OK;
}

void jl_buf_init(jl_buf *b, const jl_alloc *a, uint64_t max) {
    b->p = NULL;
    b->len = b->cap = 0;
    b->alloc = a ? a : jl_alloc_default();
    b->max = max;
    b->failed = 0;
    b->sink = NULL;
    b->sink_ctx = NULL;
    b->sunk = 0;
    b->can_share = 0;
    b->shared = 0;
}

/* Grows a buffer that may live in a shared block to hold `need` bytes:
 * JL_OK, or 1 to use the allocator instead. */
static int grow_shared(jl_buf *b, uint64_t need) {
    if (!b->shared && (!b->can_share || need < JL_SHARED_MIN)) return 1;
    uint64_t ncap = b->cap > UINT64_MAX / 2 ? need : b->cap * 2, got = 0;
    if (ncap < need) ncap = need;
    uint8_t *q = b->shared ? jl_shared_resize((uint8_t *)b->p, ncap, &got) : jl_shared_new(ncap, &got);
    if (!q) return b->shared ? JL_E_NOMEM : 1;
    if (!b->shared) {
        if (b->len) memcpy(q, b->p, (size_t)b->len);
        jl_free(b->alloc, b->p);
        b->shared = 1;
    }
    b->p = (char *)q;
    b->cap = got;
    return JL_OK;
}

int jl_buf_flush(jl_buf *b) {
    if (b->failed) return b->failed;
    if (!b->sink || !b->len) return JL_OK;
    if (b->sink(b->sink_ctx, b->p, b->len)) {
        b->failed = JL_E_IO;
        return b->failed;
    }
    b->sunk += b->len;
    b->len = 0;
    b->p[0] = 0;
    return JL_OK;
}

int jl_buf_append(jl_buf *b, const void *p, uint64_t n) {
    if (b->failed) return b->failed;
    if (b->sink) {
        if (b->len + n > JL_BUF_SINK_CHUNK && jl_buf_flush(b)) return b->failed;
        if (n >= JL_BUF_SINK_CHUNK) {
            if (b->sink(b->sink_ctx, p, n)) {
                b->failed = JL_E_IO;
                return b->failed;
            }
            b->sunk += n;
            return JL_OK;
        }
    }
    uint64_t need;
    if (jl_add_overflow(b->len, n, &need) || jl_add_overflow(need, 1, &need) ||
        (b->max && need - 1 > b->max)) {
        b->failed = JL_E_LIMIT;
        return b->failed;
    }
    if (need > b->cap) {
        int rc = grow_shared(b, need);
        if (rc == 1) {
            void *q = b->p;
            uint64_t cap = b->cap;
            rc = jl_grow(b->alloc, &q, &cap, need, 1, 0);
            if (!rc) {
                b->p = q;
                b->cap = cap;
            }
        }
        if (rc) { b->failed = rc; return rc; }
    }
    if (n) memcpy(b->p + b->len, p, (size_t)n);
    b->len += n;
    b->p[b->len] = 0;
    return JL_OK;
}

int jl_buf_putc(jl_buf *b, char c) { return jl_buf_append(b, &c, 1); }

int jl_buf_puts(jl_buf *b, const char *s) { return jl_buf_append(b, s, strlen(s)); }

int jl_buf_printf(jl_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return JL_E_FORMAT;
    if ((size_t)n < sizeof small) return jl_buf_append(b, small, (uint64_t)n);
    char *big = jl_malloc(b->alloc, (size_t)n + 1);
    if (!big) { b->failed = JL_E_NOMEM; return JL_E_NOMEM; }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = jl_buf_append(b, big, (uint64_t)n);
    jl_free(b->alloc, big);
    return rc;
}

char *jl_buf_take(jl_buf *b, uint64_t *len) {
    if (b->failed) return NULL;
    if (!b->p && jl_buf_append(b, "", 0)) return NULL;
    char *p = b->p;
    if (len) *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void jl_buf_free(jl_buf *b) {
    if (b->shared) jl_shared_unref((const uint8_t *)b->p);
    else jl_free(b->alloc, b->p);
    b->shared = 0;
    b->p = NULL;
    b->len = b->cap = 0;
}
