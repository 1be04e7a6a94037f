/*
 * inflate_index.c - checkpoints in zlib and gzip streams (inflate_index.h):
 * the API, the index's bookkeeping, the builder's output side, and the
 * zlib engine (the only one without ISA-L; with it, the one that finishes
 * a cut stream). The ISA-L engine is inflate_index_isal.c.
 *
 * The zlib engine inflates with Z_BLOCK, which returns at every deflate
 * block boundary; data_type then says whether the inflater stands between
 * two blocks (bit 128, not the last block: bit 64 clear) and how many bits
 * of the last input byte are still unread (bits 0-2). Output goes through
 * a buffer of a 32 KiB window plus one JL_LAZY_CHUNK piece: when the piece
 * is full it is emitted and its last 32 KiB move to the window, so the 32
 * KiB before any output position are always at hand for a checkpoint.
 * Messages are container.c's words for the same failures.
 */
#include "inflate_build.h"

#include <string.h>
#include <zlib.h>

#define WIN JL_IX_WIN
#define PIECE JL_IX_PIECE
#define IN_STEP JL_IX_STEP
#define SCRATCH JL_IX_SCRATCH
#define ULL(x) ((unsigned long long)(x))

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

int jl_ix_fail_ended(const char *name, uint64_t at, uint64_t want, jl_error *err) {
    return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET, "file is truncated: the %s stream ends after %llu bytes, before byte %llu",
                   name, ULL(at), ULL(want));
}

int jl_ix_fail_other(const char *name, jl_error *err) {
    return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the %s stream is not the one its index was built from", name);
}

uint64_t jl_ix_next_member(const uint8_t *in, uint64_t n, uint64_t pos) {
    while (pos < n && in[pos] == 0) pos++;
    return pos < n && jl_detect(in + pos, n - pos) == JL_COMP_GZIP ? pos : n;
}

void jl_inflate_index_free(jl_inflate_index *ix) {
    if (!ix) return;
    for (uint64_t i = 0; i < ix->n; i++) jl_free(ix->a, ix->pts[i].data);
    jl_free(ix->a, ix->pts);
    jl_free(ix->a, ix);
}

uint64_t jl_inflate_index_points(const jl_inflate_index *ix) { return ix ? ix->n : 0; }
uint64_t jl_inflate_index_total(const jl_inflate_index *ix) { return ix ? ix->total : 0; }

uint64_t jl_inflate_index_bytes(const jl_inflate_index *ix) {
    return ix ? sizeof *ix + ix->cap * sizeof(jl_ix_point) + ix->held : 0;
}

int jl_ix_add_point(jl_inflate_index *ix, uint64_t out, uint64_t in, int bits, const void *p1, uint64_t n1,
                    const void *p2, uint64_t n2, jl_error *err) {
    if (ix->n == ix->cap) {
        uint64_t cap = ix->cap ? ix->cap * 2 : 16;
        jl_ix_point *p = jl_realloc(ix->a, ix->pts, (size_t)(cap * sizeof *p));
        if (!p) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for a checkpoint of the %s stream", name_of(ix->c));
        ix->pts = p;
        ix->cap = cap;
    }
    uint8_t *d = jl_malloc(ix->a, (size_t)(n1 + n2));
    if (!d) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for a checkpoint of the %s stream", name_of(ix->c));
    memcpy(d, p1, (size_t)n1);
    if (n2) memcpy(d + n1, p2, (size_t)n2);
    ix->pts[ix->n++] = (jl_ix_point){ out, in, bits, n1 + n2, d };
    ix->held += n1 + n2;
    return JL_OK;
}

int jl_ix_put(jl_ix_build *b, uint64_t got, jl_error *err) {
    if (got > b->max_out - b->total)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "decompressed size exceeds the limit of %llu bytes", ULL(b->max_out));
    b->used += got;
    b->total += got;
    if (b->used < PIECE) return JL_OK;
    int rc = b->emit(b->ctx, b->buf + WIN, PIECE, err);
    memmove(b->buf, b->buf + PIECE, WIN);
    b->used = 0;
    return rc;
}

int jl_ix_build_zlib(jl_ix_build *b, uint64_t start, uint64_t skip, int points, jl_error *err) {
    jl_inflate_index *ix = b->ix;
    z_stream z;
    int rc = z_start(&z, ix->a, ix->c == JL_COMP_GZIP ? 31 : 15, b->name, err);
    if (rc) return rc;
    uint8_t *scratch = skip ? jl_malloc(ix->a, (size_t)SCRATCH) : NULL;
    if (skip && !scratch) {
        inflateEnd(&z);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", b->name);
    }
    uint64_t fed = start, skipped = 0;
    for (;;) {
        feed(&z, b->in, b->n, &fed);
        int skipping = skipped < skip;
        uint64_t room = skipping ? (skip - skipped < SCRATCH ? skip - skipped : SCRATCH) : PIECE - b->used;
        z.next_out = skipping ? scratch : b->buf + WIN + b->used;
        z.avail_out = (uInt)room;
        int zr = inflate(&z, Z_BLOCK);
        uint64_t got = room - z.avail_out;
        if (skipping) skipped += got;
        else if ((rc = jl_ix_put(b, got, err))) break;
        if (zr == Z_STREAM_END) {
            uint64_t pos = ix->c == JL_COMP_GZIP ? jl_ix_next_member(b->in, b->n, fed - z.avail_in) : b->n;
            if (pos >= b->n) break;
            inflateReset(&z);
            z.avail_in = 0;
            fed = pos;
            continue;
        }
        if (zr == Z_OK || (zr == Z_BUF_ERROR && !(z.avail_in == 0 && fed == b->n))) {
            if (points && zr == Z_OK && (z.data_type & 128) && !(z.data_type & 64) && b->total - b->last >= b->span) {
                if ((rc = jl_ix_add_point(ix, b->total, fed - z.avail_in, z.data_type & 7, b->buf + b->used, WIN, NULL,
                                          0, err)))
                    break;
                b->last = b->total;
            }
            continue;
        }
        rc = fail_z(zr, &z, b->name, b->n, fed, b->total, err);
        break;
    }
    inflateEnd(&z);
    jl_free(ix->a, scratch);
    return rc;
}

int jl_inflate_index_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                           uint64_t span, uint64_t max_out, jl_emit_fn emit, void *ctx,
                           jl_inflate_index **out, jl_error *err) {
    *out = NULL;
    if (c != JL_COMP_ZLIB && c != JL_COMP_GZIP)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "checkpoints are kept for zlib and gzip streams only, not %s",
                       jl_compression_name(c));
    if (!a) a = jl_alloc_default();
    static const uint8_t empty[1];
    if (!in) {
        in = empty;
        n = 0;
    }
    jl_inflate_index *ix = jl_malloc(a, sizeof *ix);
    uint8_t *buf = jl_malloc(a, (size_t)(WIN + PIECE));
    if (!ix || !buf) {
        jl_free(a, ix);
        jl_free(a, buf);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", name_of(c));
    }
    memset(ix, 0, sizeof *ix);
    ix->a = a;
    ix->c = c;
    memset(buf, 0, WIN); /* the "window" before the first byte: never referred to */
    jl_ix_build b = { ix, in, n, name_of(c), buf, 0, 0, 0, span ? span : JL_INDEX_SPAN, max_out, emit, ctx };
#ifdef HAVE_ISAL
    int rc = jl_ix_build_isal(&b, err);
#else
    int rc = jl_ix_build_zlib(&b, 0, 0, 1, err);
#endif
    if (rc == JL_OK || rc == JL_E_TRUNCATED) { /* a cut: what came before it, as joblib's reader */
        jl_error cut = *err;
        int frc = b.used ? emit(ctx, buf + WIN, b.used, err) : JL_OK;
        if (frc) rc = frc;
        else *err = cut;
    }
    jl_free(a, buf);
    ix->total = b.total;
    if (rc && rc != JL_E_TRUNCATED) {
        jl_inflate_index_free(ix);
        return rc;
    }
    *out = ix;
    return rc;
}

int jl_ix_read_zlib(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, const jl_ix_point *pt,
                    uint64_t off, uint8_t *dst, uint64_t len, jl_error *err) {
    const char *name = name_of(ix->c);
    z_stream z;
    int raw = pt != NULL, rc;
    if ((rc = z_start(&z, ix->a, raw ? -15 : ix->c == JL_COMP_GZIP ? 31 : 15, name, err))) return rc;
    uint64_t fed = 0, pos = 0, done = 0;
    if (pt) {
        if (pt->in > n || (pt->bits && pt->in == 0)) {
            inflateEnd(&z);
            return jl_ix_fail_other(name, err);
        }
        if (pt->bits) inflatePrime(&z, pt->bits, in[pt->in - 1] >> (8 - pt->bits));
        inflateSetDictionary(&z, pt->data, WIN);
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
            uint64_t next = ix->c == JL_COMP_GZIP && at <= n ? jl_ix_next_member(in, n, at) : n;
            if (next >= n) {
                rc = jl_ix_fail_ended(name, pos < off ? pos : off + done, off + len, err);
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

int jl_inflate_index_read(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, uint64_t off,
                          uint8_t *dst, uint64_t len, jl_error *err) {
    if (len == 0) return JL_OK;
    uint64_t lo = 0, hi = ix->n; /* the last checkpoint at or before off */
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (ix->pts[mid].out <= off) lo = mid + 1;
        else hi = mid;
    }
    const jl_ix_point *pt = lo ? &ix->pts[lo - 1] : NULL;
#ifdef HAVE_ISAL
    return jl_ix_read_isal(ix, in, n, pt, off, dst, len, err);
#else
    return jl_ix_read_zlib(ix, in, n, pt, off, dst, len, err);
#endif
}
