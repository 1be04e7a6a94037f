/*
 * lazy_read.c - payloads of a compressed stream's lazy block handed on
 * piece by piece (lazy_read.h): a pull (io/pull.h) kept open across
 * ranges asked in stream order; a range behind it read through the
 * stream's index in JL_LAZY_READ_PIECE pieces, or by a new pull from the
 * start when the stream has no index.
 */
#include "lazy_read.h"

#include <string.h>

#include "pull.h"
#include "seek_index.h"

#define ULL(x) ((unsigned long long)(x))

struct jl_lazy_reader {
    const jl_doc *doc;
    const jl_block *src;   /* the compressed bytes (the doc's) */
    jl_pull *pull;         /* owned; NULL before the first read or after a restart */
    const uint8_t *piece;  /* the pull's current piece (the pull's) */
    uint64_t at, len;      /* its stream offset and length */
    int ended;             /* the pull reported the end of the stream */
    uint8_t *buf;          /* index reads: JL_LAZY_READ_PIECE bytes (malloc); owned */
};

int jl_lazy_reader_open(const jl_doc *doc, jl_lazy_reader **out, jl_error *err) {
    *out = NULL;
    if (doc->lazy_block == JL_NONE || doc->lazy_src >= doc->nblocks)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the bundle has no array data left in a compressed stream");
    jl_lazy_reader *r = jl_malloc(jl_alloc_default(), sizeof *r);
    if (!r) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory starting to read array data");
    memset(r, 0, sizeof *r);
    r->doc = doc;
    r->src = &doc->blocks[doc->lazy_src];
    *out = r;
    return JL_OK;
}

static const char *comp_name(const jl_lazy_reader *r) {
    return jl_compression_name((jl_compression)r->doc->lazy_comp);
}

/* A new pull from the start of the stream. */
static int restart(jl_lazy_reader *r, jl_error *err) {
    jl_pull_stop(r->pull);
    r->pull = NULL;
    r->piece = NULL;
    r->at = r->len = 0;
    r->ended = 0;
    return jl_pull_start((jl_compression)r->doc->lazy_comp, r->src->p, r->src->len, r->src->owner == JL_BLOCK_MMAP,
                         jl_alloc_default(), r->doc->limits.max_decompressed, &r->pull, err);
}

/* The next piece of the pull; fails at the end of the stream, which comes
 * before `want` (the offset still needed). */
static int next(jl_lazy_reader *r, uint64_t want, jl_error *err) {
    const uint8_t *p = NULL;
    uint64_t n = 0;
    r->at += r->len;
    r->len = 0;
    int rc = r->ended ? JL_OK : jl_pull_next(r->pull, &p, &n, err);
    if (rc == JL_OK && n == 0) {
        r->ended = 1;
        return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                       "file is truncated: the %s stream ends at byte %llu, before an array's data at byte %llu",
                       comp_name(r), ULL(r->at), ULL(want));
    }
    if (rc) {
        r->ended = 1;
        return rc;
    }
    r->piece = p;
    r->len = n;
    return JL_OK;
}

/* [off, off+len) through the stream's index, one buffer at a time. */
static int by_index(jl_lazy_reader *r, uint64_t off, uint64_t len, jl_emit_fn emit, void *ctx, jl_error *err) {
    if (!r->buf && !(r->buf = jl_malloc(jl_alloc_default(), (size_t)JL_LAZY_READ_PIECE)))
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory reading array data");
    while (len) {
        uint64_t m = len < JL_LAZY_READ_PIECE ? len : JL_LAZY_READ_PIECE;
        int rc = jl_seek_index_read(r->doc->lazy_index, r->src->p, r->src->len, off, r->buf, m, err);
        if (rc || (rc = emit(ctx, r->buf, m, err))) return rc;
        off += m;
        len -= m;
    }
    return JL_OK;
}

int jl_lazy_reader_read(jl_lazy_reader *r, uint64_t off, uint64_t len, jl_emit_fn emit, void *ctx,
                        jl_error *err) {
    if (len == 0) return JL_OK;
    int rc;
    if (r->pull && off < r->at) { /* behind the pull */
        if (r->doc->lazy_index) return by_index(r, off, len, emit, ctx, err);
        jl_pull_stop(r->pull);
        r->pull = NULL;
    }
    if (!r->pull && (rc = restart(r, err))) return rc;
    while (len) {
        if (off >= r->at + r->len) {
            if ((rc = next(r, off, err))) {
                jl_pull_stop(r->pull); /* a failed pull is not asked again */
                r->pull = NULL;
                return rc;
            }
            continue;
        }
        uint64_t from = off - r->at, m = r->len - from < len ? r->len - from : len;
        if ((rc = emit(ctx, r->piece + from, m, err))) return rc;
        off += m;
        len -= m;
    }
    return JL_OK;
}

void jl_lazy_reader_free(jl_lazy_reader *r) {
    if (!r) return;
    jl_pull_stop(r->pull);
    jl_free(jl_alloc_default(), r->buf);
    jl_free(jl_alloc_default(), r);
}
