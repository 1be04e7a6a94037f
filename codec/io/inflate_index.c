/*
 * inflate_index.c - checkpoints in zlib and gzip streams (inflate_index.h).
 *
 * Building inflates with Z_BLOCK, which returns at every deflate block
 * boundary; data_type then says whether the inflater stands between two
 * blocks (bit 128, not the last block: bit 64 clear) and how many bits of
 * the last input byte are still unread (bits 0-2). Output goes through a
 * buffer of a 32 KiB window plus one JL_LAZY_CHUNK piece: when the piece
 * is full it is emitted and its last 32 KiB move to the window, so the 32
 * KiB before any output position are always at hand for a checkpoint.
 * Messages are container.c's words for the same failures.
 */
#include "inflate_index.h"

#include <string.h>
#include <zlib.h>

#include "deflate_parallel.h"

#define WIN 32768u
#define PIECE JL_LAZY_CHUNK
#define IN_STEP ((uint64_t)1 << 30) /* zlib counts input in 32-bit unsigned ints */
#define SCRATCH ((uint64_t)64 << 10)
#define ULL(x) ((unsigned long long)(x))

typedef struct point {
    uint64_t out, in; /* offsets: the next block's first output byte, its input byte */
    int bits;         /* bits of in[in - 1] the block starts with (0-7) */
    uint8_t *window;  /* the WIN bytes of output before `out` */
} point;

struct jl_inflate_index {
    const jl_alloc *a;
    jl_compression c;
    point *pts;
    uint64_t n, cap;
    uint64_t total; /* uncompressed bytes seen while building */
};

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    return jl_malloc(opaque, (size_t)items * size);
}
static void z_free(voidpf opaque, voidpf p) { jl_free(opaque, p); }

static const char *name_of(jl_compression c) { return c == JL_COMP_GZIP ? "gzip" : "zlib"; }

static int z_start(z_stream *z, const jl_alloc *a, int wbits, const char *name, jl_error *err) {
    memset(z, 0, sizeof *z);
    z->zalloc = z_alloc;
    z->zfree = z_free;
    z->opaque = (voidpf)a;
    int zr = inflateInit2(z, wbits);
    if (zr == Z_MEM_ERROR) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", name);
    if (zr != Z_OK) return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "the %s decoder cannot start (%d)", name, zr);
    return JL_OK;
}

/* Hands zlib the next stretch of input when it has used what it had. */
static void feed(z_stream *z, const uint8_t *in, uint64_t n, uint64_t *fed) {
    if (z->avail_in || *fed >= n) return;
    uint64_t k = n - *fed < IN_STEP ? n - *fed : IN_STEP;
    z->next_in = (Bytef *)(uintptr_t)(in + *fed);
    z->avail_in = (uInt)k;
    *fed += k;
}

/* inflate's failure zr, in container.c's words; total = bytes out so far. */
static int fail_z(int zr, const z_stream *z, const char *name, uint64_t n, uint64_t fed, uint64_t total,
                  jl_error *err) {
    if (zr == Z_BUF_ERROR && z->avail_in == 0 && fed == n)
        return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                       "file is truncated: the %s stream stops after %llu compressed bytes, "
                       "before its end (%llu bytes decompressed)", name, ULL(n), ULL(total));
    if (zr == Z_MEM_ERROR) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", name);
    return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "%s data is corrupt at compressed byte %llu: %s", name,
                   ULL(fed - z->avail_in), zr == Z_NEED_DICT ? "needs a preset dictionary" : z->msg ? z->msg : "invalid data");
}

/* After the end of a gzip member at input offset pos: the start of the
 * next one (after zero padding), or n when there is none. */
static uint64_t next_member(const uint8_t *in, uint64_t n, uint64_t pos) {
    while (pos < n && in[pos] == 0) pos++;
    return pos < n && jl_detect(in + pos, n - pos) == JL_COMP_GZIP ? pos : n;
}

void jl_inflate_index_free(jl_inflate_index *ix) {
    if (!ix) return;
    for (uint64_t i = 0; i < ix->n; i++) jl_free(ix->a, ix->pts[i].window);
    jl_free(ix->a, ix->pts);
    jl_free(ix->a, ix);
}

uint64_t jl_inflate_index_points(const jl_inflate_index *ix) { return ix ? ix->n : 0; }
uint64_t jl_inflate_index_total(const jl_inflate_index *ix) { return ix ? ix->total : 0; }

uint64_t jl_inflate_index_bytes(const jl_inflate_index *ix) {
    return ix ? sizeof *ix + ix->cap * sizeof(point) + ix->n * (uint64_t)WIN : 0;
}

static int add_point(jl_inflate_index *ix, uint64_t out, uint64_t in, int bits, const uint8_t *window,
                     jl_error *err) {
    if (ix->n == ix->cap) {
        uint64_t cap = ix->cap ? ix->cap * 2 : 16;
        point *p = jl_realloc(ix->a, ix->pts, (size_t)(cap * sizeof *p));
        if (!p) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for a checkpoint of the %s stream", name_of(ix->c));
        ix->pts = p;
        ix->cap = cap;
    }
    uint8_t *w = jl_malloc(ix->a, WIN);
    if (!w) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for a checkpoint of the %s stream", name_of(ix->c));
    memcpy(w, window, WIN);
    ix->pts[ix->n++] = (point){ out, in, bits, w };
    return JL_OK;
}

int jl_inflate_index_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                           uint64_t span, uint64_t max_out, jl_emit_fn emit, void *ctx,
                           jl_inflate_index **out, jl_error *err) {
    *out = NULL;
    if (c != JL_COMP_ZLIB && c != JL_COMP_GZIP)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "checkpoints are kept for zlib and gzip streams only, not %s",
                       jl_compression_name(c));
    if (!a) a = jl_alloc_default();
    if (!span) span = JL_INDEX_SPAN;
    static const uint8_t empty[1];
    if (!in) {
        in = empty;
        n = 0;
    }
    const char *name = name_of(c);
    jl_inflate_index *ix = jl_malloc(a, sizeof *ix);
    uint8_t *buf = jl_malloc(a, (size_t)(WIN + PIECE));
    if (!ix || !buf) {
        jl_free(a, ix);
        jl_free(a, buf);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", name);
    }
    memset(ix, 0, sizeof *ix);
    ix->a = a;
    ix->c = c;
    memset(buf, 0, WIN); /* the "window" before the first byte: never referred to */
    z_stream z;
    int rc = z_start(&z, a, c == JL_COMP_GZIP ? 31 : 15, name, err);
    if (rc) {
        jl_free(a, buf);
        jl_inflate_index_free(ix);
        return rc;
    }
    uint64_t fed = 0, used = 0, total = 0, last = 0;
    for (;;) {
        feed(&z, in, n, &fed);
        z.next_out = buf + WIN + used;
        z.avail_out = (uInt)(PIECE - used);
        uInt before = z.avail_out;
        int zr = inflate(&z, Z_BLOCK);
        uint64_t got = before - z.avail_out;
        if (got > max_out - total) {
            rc = jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "decompressed size exceeds the limit of %llu bytes", ULL(max_out));
            break;
        }
        used += got;
        total += got;
        if (used == PIECE) {
            if ((rc = emit(ctx, buf + WIN, PIECE, err))) break;
            memmove(buf, buf + PIECE, WIN);
            used = 0;
        }
        if (zr == Z_STREAM_END) {
            uint64_t pos = c == JL_COMP_GZIP ? next_member(in, n, fed - z.avail_in) : n;
            if (pos >= n) break;
            inflateReset(&z);
            z.avail_in = 0;
            fed = pos;
            continue;
        }
        if (zr == Z_OK || (zr == Z_BUF_ERROR && !(z.avail_in == 0 && fed == n))) {
            if (zr == Z_OK && (z.data_type & 128) && !(z.data_type & 64) && total - last >= span) {
                if ((rc = add_point(ix, total, fed - z.avail_in, z.data_type & 7, buf + used, err))) break;
                last = total;
            }
            continue;
        }
        rc = fail_z(zr, &z, name, n, fed, total, err);
        break;
    }
    inflateEnd(&z);
    if (rc == JL_OK || rc == JL_E_TRUNCATED) { /* a cut: what came before it, as joblib's reader */
        jl_error cut = *err;
        int frc = used ? emit(ctx, buf + WIN, used, err) : JL_OK;
        if (frc) rc = frc;
        else *err = cut;
    }
    jl_free(a, buf);
    ix->total = total;
    if (rc && rc != JL_E_TRUNCATED) {
        jl_inflate_index_free(ix);
        return rc;
    }
    *out = ix;
    return rc;
}

/* ---- reads from the start with ISA-L ---------------------------------------- */

#ifdef HAVE_ISAL
/* A read [off, off+len) as an ISA-L output window: bytes before off go to
 * a scratch buffer, the rest straight into dst; the room after the last
 * byte stops the inflater. */
typedef struct isal_read {
    uint8_t *scratch, *dst;
    uint64_t off, len, pos, done;
    int complete;
} isal_read;

static int isal_room(void *ctx, uint8_t **dst, uint64_t *room, jl_error *err) {
    isal_read *r = ctx;
    if (r->pos < r->off) {
        *dst = r->scratch;
        *room = r->off - r->pos < SCRATCH ? r->off - r->pos : SCRATCH;
    } else if (r->done < r->len) {
        *dst = r->dst + r->done;
        *room = r->len - r->done < IN_STEP ? r->len - r->done : IN_STEP;
    } else {
        r->complete = 1;
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "read complete");
    }
    return JL_OK;
}

static int isal_commit(void *ctx, uint64_t produced, jl_error *err) {
    (void)err;
    isal_read *r = ctx;
    if (r->pos < r->off) r->pos += produced;
    else r->done += produced;
    if (r->done == r->len && r->pos >= r->off) r->complete = 1;
    return JL_OK;
}
#endif

/* ISA-L inflates 2-4x faster than zlib but cannot resume at a checkpoint:
 * a read from the start with it is worth it while it inflates at most
 * three times the bytes the checkpoint would. Returns 1 when it read the
 * range (its first member only; anything else falls back to zlib). */
static int read_isal(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, uint64_t from, uint64_t off,
                     uint8_t *dst, uint64_t len) {
#ifdef HAVE_ISAL
    if (off + len > 3 * (off - from + len) && from) return 0;
    isal_read r = { NULL, dst, off, len, 0, 0, 0 };
    if (!(r.scratch = jl_malloc(ix->a, (size_t)SCRATCH))) return 0;
    jl_error err;
    uint64_t used;
    jl_error_clear(&err);
    jl_inflate_isal(ix->c == JL_COMP_GZIP ? JL_WRAP_GZIP : JL_WRAP_ZLIB, in, n, 0, ix->a, isal_room, isal_commit, &r,
                    &used, &err);
    jl_free(ix->a, r.scratch);
    return r.complete && r.done == len;
#else
    (void)ix, (void)in, (void)n, (void)from, (void)off, (void)dst, (void)len;
    return 0;
#endif
}

int jl_inflate_index_read(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, uint64_t off,
                          uint8_t *dst, uint64_t len, jl_error *err) {
    if (len == 0) return JL_OK;
    const char *name = name_of(ix->c);
    uint64_t lo = 0, hi = ix->n; /* the last checkpoint at or before off */
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (ix->pts[mid].out <= off) lo = mid + 1;
        else hi = mid;
    }
    const point *pt = lo ? &ix->pts[lo - 1] : NULL;
    if (read_isal(ix, in, n, pt ? pt->out : 0, off, dst, len)) return JL_OK;
    z_stream z;
    int raw = pt != NULL, rc;
    if ((rc = z_start(&z, ix->a, raw ? -15 : ix->c == JL_COMP_GZIP ? 31 : 15, name, err))) return rc;
    uint64_t fed = 0, pos = 0, done = 0;
    if (pt) {
        if (pt->in > n || (pt->bits && pt->in == 0)) {
            inflateEnd(&z);
            return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the %s stream is not the one its index was built from", name);
        }
        if (pt->bits) inflatePrime(&z, pt->bits, in[pt->in - 1] >> (8 - pt->bits));
        inflateSetDictionary(&z, pt->window, WIN);
        fed = pt->in;
        pos = pt->out;
    }
    uint8_t *scratch = jl_malloc(ix->a, (size_t)SCRATCH);
    if (!scratch) {
        inflateEnd(&z);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", name);
    }
    for (;;) {
        feed(&z, in, n, &fed);
        uint64_t room;
        if (pos < off) {
            room = off - pos < SCRATCH ? off - pos : SCRATCH;
            z.next_out = scratch;
        } else {
            room = len - done < IN_STEP ? len - done : IN_STEP;
            z.next_out = dst + done;
        }
        z.avail_out = (uInt)room;
        int zr = inflate(&z, Z_NO_FLUSH);
        uint64_t got = room - z.avail_out;
        if (pos < off) pos += got;
        else done += got;
        if (done == len) break;
        if (zr == Z_STREAM_END) {
            uint64_t at = fed - z.avail_in + (raw ? 8 : 0); /* a raw member leaves its trailer */
            uint64_t next = ix->c == JL_COMP_GZIP && at <= n ? next_member(in, n, at) : n;
            if (next >= n) {
                rc = jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                             "file is truncated: the %s stream ends after %llu bytes, before byte %llu",
                             name, ULL(pos < off ? pos : off + done), ULL(off + len));
                break;
            }
            inflateReset2(&z, 31);
            raw = 0;
            z.avail_in = 0;
            fed = next;
            continue;
        }
        if (zr == Z_OK || (zr == Z_BUF_ERROR && !(z.avail_in == 0 && fed == n))) continue;
        rc = fail_z(zr, &z, name, n, fed, pos < off ? pos : off + done, err);
        break;
    }
    inflateEnd(&z);
    jl_free(ix->a, scratch);
    return rc;
}
