/*
 * feed.c - the kept bytes of a compressed stream decoded while it
 * inflates (feed.h): the pieces of the reader appended to one heap block
 * of the doc on demand, skipped ranges remembered as holes.
 */
#include "feed.h"

#include <stdio.h>
#include <string.h>

/* The end of the stream: a cut is damage joblib reads past (decode.c
 * decides whether the pickle got what it needs), anything else fails. */
static int at_end(jl_feed *f, int rc, jl_error *err) {
    f->ended = 1;
    if (rc != JL_E_TRUNCATED) {
        if (rc) {
            f->failed = rc;
            f->fail = *err;
        }
        return rc;
    }
    static const char head[] = "file is truncated: ";
    const char *m = err->message;
    if (strncmp(m, head, sizeof head - 1) == 0) m += sizeof head - 1;
    jl_doc *doc = f->doc;
    size_t l = strlen(doc->damaged);
    snprintf(doc->damaged + l, sizeof doc->damaged - l, "%s%s", l ? "; " : "", m);
    doc->cut = 1;
    jl_error_clear(err);
    return JL_OK;
}

/* The next piece into f->piece; 0 bytes at the end. */
static int next_piece(jl_feed *f, jl_error *err) {
    f->piece_pos = f->piece_len = 0;
    if (f->ended) return JL_OK;
    int rc = jl_pull_next(f->pull, &f->piece, &f->piece_len, err);
    if (rc || f->piece_len == 0) return at_end(f, rc, err);
    return JL_OK;
}

int jl_feed_start(jl_feed *f, jl_doc *doc, jl_compression c, const uint8_t *in, uint64_t n,
                  uint8_t owner, jl_error *err) {
    memset(f, 0, sizeof *f);
    f->lazy_min = doc->limits.feed_lazy_min ? doc->limits.feed_lazy_min : JL_FEED_LAZY_MIN;
    f->doc = doc;
    f->block = JL_NONE;
    uint32_t kept = jl_block_add(doc, NULL, 0, JL_BLOCK_HEAP, err);
    if (kept == JL_NONE) return err->code;
    f->block = kept;
    uint32_t lazy = jl_block_add(doc, NULL, 0, JL_BLOCK_LAZY, err);
    if (lazy == JL_NONE) return err->code;
    uint32_t src = jl_block_add(doc, in, n, owner, err);
    if (src == JL_NONE) return err->code;
    doc->lazy_block = lazy;
    doc->lazy_src = src;
    doc->lazy_comp = (uint8_t)c;
    /* the helper thread allocates with the C library, not the doc's
     * allocator (SQLite's may be built without locks) */
    return jl_pull_start(c, in, n, owner == JL_BLOCK_MMAP, jl_alloc_default(), doc->limits.max_decompressed, &f->pull,
                         err);
}

/* Room for `need` more kept bytes. */
static int reserve(jl_feed *f, uint64_t need, jl_error *err) {
    jl_block *b = &f->doc->blocks[f->block];
    if (b->cap - b->len >= need) return JL_OK;
    /* bounded as the whole stream is, by max_decompressed (the reader's) */
    uint64_t cap = b->cap ? b->cap * 2 : ((uint64_t)1 << 20);
    if (cap < b->len + need) cap = b->len + need;
    if (cap > SIZE_MAX)
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "cannot allocate %llu bytes for the pickle's own bytes",
                       (unsigned long long)cap);
    uint8_t *p = jl_realloc(&f->doc->alloc, (void *)b->p, (size_t)cap);
    if (!p)
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET,
                       "cannot allocate %llu bytes for the pickle's own bytes", (unsigned long long)cap);
    b->p = p;
    b->cap = cap;
    return JL_OK;
}

int jl_feed_more(jl_feed *f, uint64_t want, jl_error *err) {
    for (;;) {
        jl_block *b = &f->doc->blocks[f->block];
        if (b->len >= want) return JL_OK;
        if (f->piece_pos == f->piece_len) {
            int rc = next_piece(f, err);
            if (rc) return rc;
            if (f->piece_len == 0) return JL_OK;
        }
        /* at least 64 KiB at a time (fewer calls), but not much more than
         * asked: what follows may be an array payload to skip */
        uint64_t k = f->piece_len - f->piece_pos, ask = want - b->len;
        if (ask < ((uint64_t)64 << 10)) ask = (uint64_t)64 << 10;
        if (k > ask) k = ask;
        int rc = reserve(f, k, err);
        if (rc) return rc;
        b = &f->doc->blocks[f->block];
        memcpy((uint8_t *)b->p + b->len, f->piece + f->piece_pos, (size_t)k);
        b->len += k;
        f->piece_pos += k;
    }
}

int jl_feed_skip(jl_feed *f, uint64_t at, uint64_t n, uint64_t *got, jl_error *err) {
    jl_block *b = &f->doc->blocks[f->block];
    uint64_t have = b->len > at ? b->len - at : 0;
    if (have > n) have = n; /* the caller only skips past what it holds */
    uint64_t left = n - have;
    /* bytes after the skipped range already in the block go back in front */
    uint64_t keep_from = at + have, keep = b->len - keep_from;
    while (left) {
        if (f->piece_pos == f->piece_len) {
            int rc = next_piece(f, err);
            if (rc) return rc;
            if (f->piece_len == 0) break;
        }
        uint64_t k = f->piece_len - f->piece_pos;
        if (k > left) k = left;
        f->piece_pos += k;
        left -= k;
    }
    *got = n - left;
    if (keep) memmove((uint8_t *)b->p + at, b->p + keep_from, (size_t)keep);
    b->len = at + keep;
    f->skipped += *got;
    if (f->nholes == f->cap_holes) {
        uint64_t cap = f->cap_holes ? f->cap_holes * 2 : 16;
        uint64_t *h = jl_realloc(&f->doc->alloc, f->holes, (size_t)(cap * 2 * sizeof *h));
        if (!h) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory noting a skipped array");
        f->holes = h;
        f->cap_holes = cap;
    }
    f->holes[2 * f->nholes] = at;
    f->holes[2 * f->nholes + 1] = f->skipped;
    f->nholes++;
    return JL_OK;
}

uint64_t jl_feed_stream_off(const jl_feed *f, uint64_t off) {
    uint64_t lo = 0, hi = f->nholes; /* last hole at or before off */
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (f->holes[2 * mid] <= off) lo = mid + 1;
        else hi = mid;
    }
    return off + (lo ? f->holes[2 * (lo - 1) + 1] : 0);
}

int jl_feed_drain(jl_feed *f, jl_error *err) {
    jl_doc *doc = f->doc;
    uint64_t total = doc->blocks[f->block].len + f->skipped + (f->piece_len - f->piece_pos);
    for (;;) {
        int rc = next_piece(f, err);
        if (rc) return rc;
        if (f->piece_len == 0) break;
        total += f->piece_len;
        f->piece_pos = f->piece_len;
    }
    doc->stream_len = total;
    doc->blocks[doc->lazy_block].len = total;
    doc->lazy_index = jl_pull_take_index(f->pull);
    return JL_OK;
}

void jl_feed_end(jl_feed *f) {
    jl_pull_stop(f->pull);
    f->pull = NULL;
    jl_free(&f->doc->alloc, f->holes);
    f->holes = NULL;
    /* a kept block with spare room gives it back */
    jl_block *b = f->block != JL_NONE ? &f->doc->blocks[f->block] : NULL;
    if (b && b->p && b->cap - b->len > b->len / 8 + 4096) {
        void *p = jl_realloc(&f->doc->alloc, (void *)b->p, (size_t)(b->len ? b->len : 1));
        if (p) {
            b->p = p;
            b->cap = b->len ? b->len : 1;
        }
    }
}
