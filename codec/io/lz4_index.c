/*
 * lz4_index.c - points in lz4 frame streams (lz4_index.h).
 *
 * The frame layout (LZ4 Frame Format Description v1.6.x), walked here:
 *   frame   magic 04 22 4D 18, FLG, BD, [content size 8], [dict ID 4],
 *           header checksum 1, blocks, EndMark 00 00 00 00,
 *           [content checksum 4]
 *   FLG     bits 7-6 version 01, 5 independent blocks, 4 block checksum,
 *           3 content size, 2 content checksum, 1 reserved, 0 dict ID
 *   BD      bits 6-4 block maximum 4..7 = 64 KiB, 256 KiB, 1 MiB, 4 MiB
 *   block   4-byte little-endian size (high bit: stored uncompressed),
 *           data, [block checksum 4]
 * Frames follow one another after zero padding, as container.c reads
 * them: a next frame counts only when jl_detect calls it lz4 (so a
 * skippable frame 0x184D2A5x or a legacy 0x184C2102 frame ends the
 * stream, as there). container.c has no legacy-frame decoder (LZ4F has
 * none), nor has this. A skippable frame at the very start, which LZ4F
 * passes over but jl_detect does not call lz4, gets no index.
 *
 * Building decodes with LZ4F exactly as container.c does, so the bytes,
 * the checksum checks (header, block and content: xxhash32 inside
 * liblz4, no new dependency) and the errors are the same by
 * construction. The walker here only finds where the blocks start: LZ4F
 * gets input up to a block start at a time (as many blocks as cannot
 * reach the next point), so when it has taken all of it and flushed its
 * output, the stream stands between two blocks and the output count is
 * that block's first byte. A corrupt stream is decoded once more by
 * jl_decompress_each for its message: LZ4F reports the offset where the
 * call that failed began, and calls fed by block begin elsewhere than
 * container.c's. When the walker cannot follow a
 * stream LZ4F decodes, the index is dropped (readers decode from the
 * start, as without one).
 *
 * Output goes through a buffer of a 64 KiB window plus one JL_LAZY_CHUNK
 * piece: a full piece is emitted and its last 64 KiB move to the window,
 * so the dictionary before any output position is at hand for a point.
 * Reads use LZ4_decompress_safe_usingDict (linked blocks) or
 * LZ4_decompress_safe (independent blocks), straight into the caller's
 * buffer for the blocks wholly inside the range.
 */
#include "lz4_index.h"

#include <string.h>

#include "arena.h"

#ifdef HAVE_LZ4
#define LZ4F_STATIC_LINKING_ONLY /* LZ4F_createDecompressionContext_advanced, lz4 >= 1.9.4 */
#include <lz4.h>
#include <lz4frame.h>

#define HIST ((uint64_t)64 << 10) /* how far back a linked block may refer */
#define PIECE JL_LAZY_CHUNK
#define BHSIZE 4 /* a block header; LZ4F's hint when it waits for one */
#define RUN ((uint64_t)256 << 10) /* a read's buffer after the window: small blocks move the window back every few */
#define CHUNK ((uint64_t)1 << 30) /* input handed to LZ4F in one call, as container.c */
#define ULL(x) ((unsigned long long)(x))

/* The parameters of one frame that reading its blocks needs. */
typedef struct frame {
    uint32_t bmax;  /* largest uncompressed block */
    uint8_t linked; /* blocks may refer into earlier ones */
    uint8_t bsum;   /* each block is followed by a 4-byte checksum */
    uint8_t csum;   /* the EndMark is followed by a 4-byte checksum */
} frame;

typedef struct point {
    uint64_t in, out; /* offsets of a block header and of the block's first output byte */
    frame f;
    uint32_t wlen; /* bytes of window (0 for independent blocks, or at a frame's start) */
    uint64_t woff; /* where the wlen bytes of output before `out` are in the index's arena */
} point;

struct jl_lz4_index {
    const jl_alloc *a;
    point *pts; /* owned, jl_free(a) */
    uint64_t n, cap;
    uint64_t total;  /* uncompressed bytes emitted while building */
    /* the points' windows, one after another (arena.h: huge pages, 2
     * faults for the 4 MiB of windows of a 256 MiB stream instead of 1024) */
    jl_arena arena;
};

static uint32_t rd32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- the walker ------------------------------------------------------------ */

enum { WALK_OK, WALK_CUT, WALK_BAD };

/* The frame header at in[pos..n): *f, and *body = the offset of its first
 * block header. *why says what is wrong on WALK_BAD. */
static int walk_header(const uint8_t *in, uint64_t n, uint64_t pos, frame *f, uint64_t *body, const char **why) {
    if (pos > n || n - pos < 7) return WALK_CUT;
    const uint8_t *p = in + pos;
    if (rd32le(p) != 0x184D2204u) return *why = "not an lz4 frame", WALK_BAD;
    uint8_t flg = p[4], bd = p[5];
    if ((flg >> 6) != 1 || (flg & 2) || (bd & 0x8F) || (bd >> 4) < 4)
        return *why = "an invalid frame header", WALK_BAD;
    uint64_t size = 7 + ((flg & 8) ? 8 : 0) + ((flg & 1) ? 4 : 0);
    if (n - pos < size) return WALK_CUT;
    static const uint32_t bmax[] = { 64u << 10, 256u << 10, 1u << 20, 4u << 20 };
    *f = (frame){ bmax[(bd >> 4) - 4], !(flg & 0x20), !!(flg & 0x10), !!(flg & 4) };
    *body = pos + size;
    return WALK_OK;
}

/* A block header at in[pos..n). */
typedef struct block {
    uint64_t data; /* offset of its data */
    uint32_t size; /* bytes of data */
    int stored;    /* 1: the data is the output */
    int end;       /* 1: the EndMark; next is the frame's end */
    uint64_t next; /* the next block header (or the frame's end); may pass n */
} block;

static int walk_block(const uint8_t *in, uint64_t n, uint64_t pos, const frame *f, block *b, const char **why) {
    if (pos > n || n - pos < 4) return WALK_CUT;
    uint32_t v = rd32le(in + pos);
    *b = (block){ pos + 4, v & 0x7FFFFFFFu, (int)(v >> 31), v == 0, 0 };
    if (b->end) {
        b->next = pos + 4 + (f->csum ? 4 : 0);
        return WALK_OK;
    }
    if (b->size > f->bmax) return *why = "a block larger than the frame's maximum", WALK_BAD;
    b->next = b->data + b->size + (f->bsum ? 4 : 0);
    return WALK_OK;
}

/* After a frame's end at pos: the next frame's start (after zero padding),
 * or n when the stream ends there (container.c's rule). */
static uint64_t next_frame(const uint8_t *in, uint64_t n, uint64_t pos) {
    if (pos > n) return n;
    while (pos < n && in[pos] == 0) pos++;
    return pos < n && jl_detect(in + pos, n - pos) == JL_COMP_LZ4 ? pos : n;
}

/* ---- the index ------------------------------------------------------------- */

void jl_lz4_index_free(jl_lz4_index *ix) {
    if (!ix) return;
    jl_arena_free(&ix->arena, ix->a);
    jl_free(ix->a, ix->pts);
    jl_free(ix->a, ix);
}

uint64_t jl_lz4_index_points(const jl_lz4_index *ix) { return ix ? ix->n : 0; }
uint64_t jl_lz4_index_total(const jl_lz4_index *ix) { return ix ? ix->total : 0; }
uint64_t jl_lz4_index_bytes(const jl_lz4_index *ix) {
    return ix ? sizeof *ix + ix->cap * sizeof(point) + ix->arena.cap : 0;
}

static int fail_nomem(jl_error *err, const char *what) {
    return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the lz4 %s", what);
}

static int add_point(jl_lz4_index *ix, const point *pt, const uint8_t *window, jl_error *err) {
    if (ix->n == ix->cap) {
        uint64_t cap = ix->cap ? ix->cap * 2 : 16;
        point *p = jl_realloc(ix->a, ix->pts, (size_t)(cap * sizeof *p));
        if (!p) return fail_nomem(err, "index");
        ix->pts = p;
        ix->cap = cap;
    }
    point q = *pt;
    if (jl_arena_append(&ix->arena, ix->a, window, q.wlen, &q.woff)) return fail_nomem(err, "index");
    ix->pts[ix->n++] = q;
    return JL_OK;
}

/* ---- building ---------------------------------------------------------------- */

#if LZ4_VERSION_NUMBER >= 10904
static void *l4_alloc(void *opaque, size_t n) { return jl_malloc(opaque, n); }
static void l4_free(void *opaque, void *p) { jl_free(opaque, p); }
#endif

static LZ4F_dctx *new_dctx(const jl_alloc *a) {
#if LZ4_VERSION_NUMBER >= 10904
    return LZ4F_createDecompressionContext_advanced((LZ4F_CustomMem){ l4_alloc, NULL, l4_free, (void *)a },
                                                    LZ4F_VERSION);
#else
    LZ4F_dctx *d = NULL;
    (void)a;
    return LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)) ? NULL : d;
#endif
}

static int ignore(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)ctx, (void)p, (void)n, (void)err;
    return JL_OK;
}

/* A corrupt stream: jl_decompress_each's words for it (see the top). */
static int fail_corrupt(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t max_out, uint64_t at,
                        const char *why, jl_error *err) {
    uint64_t total;
    int rc = jl_decompress_each(JL_COMP_LZ4, in, n, a, max_out, ignore, NULL, &total, err);
    if (rc) return rc;
    return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "lz4 data is corrupt at compressed byte %llu: %s", ULL(at), why);
}

/* The state of one build: the output buffer and where the walker is. */
typedef struct build {
    jl_lz4_index *ix;
    const uint8_t *in;
    uint64_t n, span, max_out;
    jl_emit_fn emit;
    void *ctx;
    uint8_t *buf;        /* HIST of window, then the piece being filled; owned */
    uint64_t used;       /* bytes in the piece */
    uint64_t total;      /* bytes decoded */
    uint64_t last;       /* output offset of the last point (0: none yet) */
    int walking;         /* 0 once the walker lost the stream: no index */
    frame f;             /* the current frame's */
    uint64_t frame_out;  /* output offset of its first byte */
    uint64_t stop;       /* LZ4F is fed up to here: the next block header (or n) */
    uint64_t frame_end;  /* where the walker expects the frame to end (or 0) */
} build;

/* LZ4F has taken the input up to b->stop (a block header) and flushed its
 * output: keep a point if due, and move the stop on. Feeding LZ4F many
 * blocks a call matters: after every call it copies the 64 KiB
 * dictionary of linked blocks aside, and decodes the next block against
 * that copy. */
static int at_block(build *b, jl_error *err) {
    block blk;
    const char *why = NULL;
    if (walk_block(b->in, b->n, b->stop, &b->f, &blk, &why) != WALK_OK) {
        b->walking = 0; /* a cut (LZ4F reports it) or a size LZ4F rejects too */
        return JL_OK;
    }
    if (blk.end) {
        b->frame_end = blk.next;
        b->stop = b->n; /* LZ4F stops at the frame's end by itself */
        return JL_OK;
    }
    if (b->total && b->total - b->last >= b->span) {
        uint64_t w = b->total - b->frame_out < HIST ? b->total - b->frame_out : HIST;
        point pt = { b->stop, b->total, b->f, b->f.linked ? (uint32_t)w : 0, 0 };
        int rc = add_point(b->ix, &pt, b->buf + HIST + b->used - pt.wlen, err);
        if (rc) return rc;
        b->last = b->total;
    }
    /* the next stop: as many blocks on as cannot reach the next point
     * (each gives at most bmax bytes), at least one, at most the EndMark */
    uint64_t due = b->last + b->span, m = due > b->total ? (due - b->total) / b->f.bmax : 0;
    uint64_t pos = blk.next;
    for (uint64_t i = 1; i < m && pos < b->n; i++) {
        if (walk_block(b->in, b->n, pos, &b->f, &blk, &why) != WALK_OK || blk.end) break;
        pos = blk.next;
    }
    b->stop = pos < b->n ? pos : b->n;
    return JL_OK;
}

/* One frame from b->in[pos..n) as container.c's dec_lz4 decodes it, fed
 * block by block; *used = the input it took. */
static int build_frame(build *b, uint64_t pos, uint64_t *used, jl_error *err) {
    const jl_alloc *a = b->ix->a;
    uint64_t start = pos, body;
    const char *why = NULL;
    b->frame_out = b->total;
    b->frame_end = 0;
    if (b->walking && walk_header(b->in, b->n, pos, &b->f, &body, &why) == WALK_OK) b->stop = body;
    else b->walking = 0, b->stop = b->n;
    LZ4F_dctx *d = new_dctx(a);
    if (!d) return fail_nomem(err, "decoder");
    int rc = JL_OK;
    uint8_t probe;
    for (;;) {
        uint64_t limit = b->walking ? b->stop : b->n;
        uint8_t *dst = b->buf + HIST + b->used;
        uint64_t room = PIECE - b->used;
        int probing = b->total == b->max_out;
        if (probing) dst = &probe, room = 1;
        else if (room > b->max_out - b->total) room = b->max_out - b->total;
        size_t dsz = (size_t)room, ssz = (size_t)(limit - pos < CHUNK ? limit - pos : CHUNK);
        size_t r = LZ4F_decompress(d, dst, &dsz, b->in + pos, &ssz, NULL);
        pos += ssz;
        if (LZ4F_isError(r)) {
            rc = LZ4F_getErrorCode(r) == LZ4F_ERROR_allocation_failed
                     ? fail_nomem(err, "decoder")
                     : fail_corrupt(b->in, b->n, a, b->max_out, pos, LZ4F_getErrorName(r), err);
            break;
        }
        if (dsz && probing) {
            rc = jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "decompressed size exceeds the limit of %llu bytes",
                         ULL(b->max_out));
            break;
        }
        b->used += dsz;
        b->total += dsz;
        if (b->used == PIECE) {
            if ((rc = b->emit(b->ctx, b->buf + HIST, PIECE, err))) break;
            memmove(b->buf, b->buf + PIECE, HIST);
            b->used = 0;
        }
        if (r == 0) { /* end of frame */
            if (b->walking && pos != b->frame_end) b->walking = 0;
            break;
        }
        if (pos == b->n && dsz < room) {
            rc = jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                         "file is truncated: the lz4 stream stops after %llu compressed bytes, "
                         "before its end (%llu bytes decompressed)", ULL(b->n), ULL(b->total));
            break;
        }
        if (ssz == 0 && dsz == 0 && limit > pos) {
            rc = fail_corrupt(b->in, b->n, a, b->max_out, pos, "the decoder made no progress", err);
            break;
        }
        if (b->walking && pos == b->stop && dsz < room) {
            if (r != BHSIZE) b->walking = 0; /* LZ4F does not stand before a block header: lost */
            else if ((rc = at_block(b, err))) break;
        }
    }
    *used = pos - start;
    LZ4F_freeDecompressionContext(d);
    return rc;
}

int jl_lz4_index_build(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span, uint64_t max_out,
                       jl_emit_fn emit, void *ctx, jl_lz4_index **out, jl_error *err) {
    *out = NULL;
    if (!a) a = jl_alloc_default();
    if (!span) span = JL_LZ4_INDEX_SPAN;
    static const uint8_t empty[1];
    if (!in) {
        in = empty;
        n = 0;
    }
    jl_lz4_index *ix = jl_malloc(a, sizeof *ix);
    uint8_t *buf = jl_malloc(a, (size_t)(HIST + PIECE));
    if (!ix || !buf) {
        jl_free(a, ix);
        jl_free(a, buf);
        return fail_nomem(err, "output window");
    }
    memset(ix, 0, sizeof *ix);
    ix->a = a;
    build b = (build){ .ix = ix, .in = in, .n = n, .span = span, .max_out = max_out, .emit = emit, .ctx = ctx,
                 .buf = buf, .walking = 1 };
    uint64_t pos = 0;
    int rc;
    for (;;) {
        uint64_t used = 0;
        if ((rc = build_frame(&b, pos, &used, err))) break;
        pos = next_frame(in, n, pos + used);
        if (pos >= n) break;
    }
    if (rc == JL_OK) { /* the last piece; a cut keeps whole pieces only (container.h) */
        jl_error keep = *err;
        if (b.used && (rc = emit(ctx, buf + HIST, b.used, err)) == JL_OK) *err = keep;
        if (rc == JL_OK) b.used = 0;
    }
    jl_free(a, buf);
    ix->total = b.total - b.used;
    if ((rc && rc != JL_E_TRUNCATED) || (rc == JL_OK && !b.walking)) {
        jl_lz4_index_free(ix);
        return rc;
    }
    *out = ix;
    return rc;
}

/* ---- reading ----------------------------------------------------------------- */

/* The decoding side of one read. Blocks wholly inside the range decode
 * straight into the caller's buffer; the others into buf. The history a
 * linked block may refer into is the hist bytes before hend, wherever
 * they are (a point's window, the caller's buffer, buf); when it ends
 * where the next block goes, liblz4 decodes in its faster prefix mode. */
typedef struct reader {
    const jl_alloc *a;
    uint8_t *buf; /* owned, jl_free(a) */
    uint64_t cap, w; /* a block decoded into buf goes to buf + w */
    const uint8_t *hend;
    uint64_t hist;
} reader;

/* Room for a block of up to bmax bytes at buf + w, the history kept. */
static int reader_room(reader *r, uint32_t bmax, jl_error *err) {
    int here = r->buf && r->hend == r->buf + r->w; /* the history is in buf */
    uint64_t need = HIST + (bmax > RUN ? bmax : RUN);
    if (r->cap < need) {
        uint8_t *q = jl_realloc(r->a, r->buf, (size_t)need);
        if (!q) return fail_nomem(err, "decoder");
        r->buf = q;
        r->cap = need;
        if (here) r->hend = q + r->w;
    }
    if (!here) {
        r->w = HIST;
    } else if (r->cap - r->w < bmax) {
        memmove(r->buf + HIST - r->hist, r->hend - r->hist, (size_t)r->hist);
        r->w = HIST;
        r->hend = r->buf + HIST;
    }
    return JL_OK;
}

/* got bytes of output now stand at `to`: they end the history. A short
 * block after history kept elsewhere is joined to its tail in buf. (The
 * history is in buf only when it ends at buf + w.) */
static int reader_keep(reader *r, const frame *f, uint8_t *to, uint64_t got, jl_error *err) {
    if (!f->linked) {
        r->hist = 0;
    } else if (got >= HIST || r->hend == to) {
        r->hist = r->hist + got < HIST ? r->hist + got : HIST;
    } else {
        uint64_t keep = r->hist < HIST - got ? r->hist : HIST - got;
        if (!r->buf) {
            if (!(r->buf = jl_malloc(r->a, (size_t)(HIST + RUN)))) return fail_nomem(err, "decoder");
            r->cap = HIST + RUN;
        }
        uint8_t *at = r->buf + HIST;
        memmove(at - keep, r->hend - keep, (size_t)keep); /* the old tail first: it may be in buf */
        if (to != at) memcpy(at, to, (size_t)got);     /* to is in dst, or is at */
        r->w = HIST + got;
        r->hist = keep + got;
        r->hend = at + got;
        return JL_OK;
    }
    r->hend = to + got;
    return JL_OK;
}

static int read_cut(jl_error *err, uint64_t at, uint64_t end) {
    return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                   "file is truncated: the lz4 stream ends after %llu bytes, before byte %llu", ULL(at), ULL(end));
}

static int read_bad(jl_error *err, uint64_t at, const char *why) {
    return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "lz4 data is corrupt at compressed byte %llu: %s", ULL(at), why);
}

int jl_lz4_index_read(const jl_lz4_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                      uint64_t len, jl_error *err) {
    if (len == 0) return JL_OK;
    static const uint8_t empty[1];
    if (!in) in = empty, n = 0;
    uint64_t lo = 0, hi = ix->n; /* the last point at or before off */
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (ix->pts[mid].out <= off) lo = mid + 1;
        else hi = mid;
    }
    const point *pt = lo ? &ix->pts[lo - 1] : NULL;
    reader r = { ix->a, NULL, 0, HIST, empty, 0 };
    frame f;
    uint64_t pos = 0, o = 0, done = 0;
    int rc = JL_OK, in_frame = 0;
    const char *why = "invalid data";
    if (pt) {
        if (pt->in > n) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the lz4 stream is not the one its index was built from");
        f = pt->f;
        pos = pt->in;
        o = pt->out;
        in_frame = 1;
        if (pt->wlen) r.hend = ix->arena.p + pt->woff + pt->wlen;
        r.hist = pt->wlen;
    }
    while (done < len) {
        if (!in_frame) { /* a frame's header at pos */
            uint64_t body;
            int k = walk_header(in, n, pos, &f, &body, &why);
            if (k == WALK_CUT) rc = read_cut(err, o, off + len);
            else if (k == WALK_BAD) rc = read_bad(err, pos, why);
            if (rc) break;
            pos = body;
            r.hist = 0;
            in_frame = 1;
        }
        block b;
        int k = walk_block(in, n, pos, &f, &b, &why);
        if (k != WALK_OK) {
            rc = k == WALK_CUT ? read_cut(err, o, off + len) : read_bad(err, pos, why);
            break;
        }
        if (b.end) {
            pos = next_frame(in, n, b.next);
            if (pos >= n) {
                rc = read_cut(err, o, off + len);
                break;
            }
            in_frame = 0;
            continue;
        }
        int direct = o >= off && len - done >= f.bmax; /* the whole block is wanted */
        if (!direct && (rc = reader_room(&r, f.bmax, err))) break;
        uint8_t *to = direct ? dst + done : r.buf + r.w;
        uint64_t have = n - b.data, got;
        if (b.stored) { /* a cut one gives what it holds, as LZ4F does */
            got = have < b.size ? have : b.size;
            memcpy(to, in + b.data, (size_t)got);
        } else {
            if (have < b.size) {
                rc = read_cut(err, o, off + len);
                break;
            }
            int k2 = f.linked ? LZ4_decompress_safe_usingDict((const char *)in + b.data, (char *)to, (int)b.size,
                                                               (int)f.bmax, (const char *)r.hend - r.hist, (int)r.hist)
                              : LZ4_decompress_safe((const char *)in + b.data, (char *)to, (int)b.size, (int)f.bmax);
            if (k2 < 0) {
                rc = read_bad(err, b.data, "a block does not decode");
                break;
            }
            got = (uint64_t)k2;
        }
        if (direct) {
            done += got;
        } else {
            r.w += got;
            if (o + got > off) { /* the overlap with [off, off+len) */
                uint64_t from = off > o ? off - o : 0, k3 = got - from;
                if (k3 > len - done) k3 = len - done;
                memcpy(dst + done, to + from, (size_t)k3);
                done += k3;
            }
        }
        o += got;
        if ((rc = reader_keep(&r, &f, to, got, err))) break;
        if (got < b.size && b.stored) {
            if (done < len) rc = read_cut(err, o, off + len);
            break;
        }
        pos = b.next;
        if (pos > n) pos = n; /* a missing checksum: the next header read reports the cut */
    }
    jl_free(r.a, r.buf);
    return rc;
}

#else /* no lz4 in this build: seek_index.c has no row for it */

static int no_lz4(jl_error *err) {
    return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no lz4 support");
}

int jl_lz4_index_build(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span, uint64_t max_out,
                       jl_emit_fn emit, void *ctx, jl_lz4_index **out, jl_error *err) {
    (void)in, (void)n, (void)a, (void)span, (void)max_out, (void)emit, (void)ctx;
    *out = NULL;
    return no_lz4(err);
}

int jl_lz4_index_read(const jl_lz4_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                      uint64_t len, jl_error *err) {
    (void)ix, (void)in, (void)n, (void)off, (void)dst, (void)len;
    return no_lz4(err);
}

uint64_t jl_lz4_index_points(const jl_lz4_index *ix) { return (void)ix, 0; }
uint64_t jl_lz4_index_total(const jl_lz4_index *ix) { return (void)ix, 0; }
uint64_t jl_lz4_index_bytes(const jl_lz4_index *ix) { return (void)ix, 0; }
void jl_lz4_index_free(jl_lz4_index *ix) { (void)ix; }
#endif
