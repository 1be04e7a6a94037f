/*
 * inflate_index_zlib.c - the zlib engine of inflate_index
 * (inflate_index_zlib.h): the only one in builds without ISA-L; with
 * ISA-L, the one that finishes a cut stream.
 *
 * Building inflates with Z_BLOCK, which returns at every deflate block
 * boundary; data_type then says whether the inflater stands between two
 * blocks (bit 128, not the last block: bit 64 clear) and how many bits of
 * the last input byte are still unread (bits 0-2). Output goes through
 * the builder's buffer of a 32 KiB window plus one JL_LAZY_CHUNK piece
 * (inflate_build.h), so the 32 KiB before any output position are at hand
 * for a checkpoint. A read starts a raw inflater at the checkpoint
 * (inflatePrime for the bits, inflateSetDictionary for the window), the
 * technique zlib's examples/zran.c describes. Messages are container.c's
 * words for the same failures.
 */
#include "inflate_index_zlib.h"

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
        z.next_out = skipping ? scratch : b->out + b->used;
        z.avail_out = (uInt)room;
        int zr = inflate(&z, Z_BLOCK);
        uint64_t got = room - z.avail_out;
        *b->in_at = fed - z.avail_in;
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

int jl_ix_read_zlib(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, const jl_ix_point *pt,
                    uint64_t off, uint8_t *dst, uint64_t len, jl_error *err) {
    const char *name = JL_IX_NAME(ix->c);
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
        inflateSetDictionary(&z, JL_IX_DATA(ix, pt), WIN);
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
