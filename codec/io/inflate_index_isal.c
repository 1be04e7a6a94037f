/*
 * inflate_index_isal.c - checkpoints in zlib and gzip streams taken from
 * ISA-L's inflater (inflate_index_isal.h; HAVE_ISAL builds only):
 * inflate_index.h has the contract, inflate_index_zlib.c the zlib engine
 * used without ISA-L.
 *
 * The structure pass runs isal_inflate (header and trailer checked, gzip
 * members followed as Python does), each call writing at most up to the
 * next span mark and the end of the piece being filled (the builder's
 * buffer, or the reader's ring slot when one is offered). Between two calls
 * the whole decoder is its struct inflate_state (public, igzip_lib.h):
 * ISA-L keeps nothing elsewhere. A checkpoint is a copy of that state:
 *
 *   - every field before tmp_out_buffer (21544 bytes with ISA-L 2.30): the
 *     Huffman tables of the block being decoded, block_state, the bit
 *     buffer read_in/read_in_length (bits already taken from the input),
 *     bfinal, crc_flag and the running crc/adler, total_out, hist_bits,
 *     type0_block_len, wrapper_flag, tmp_in_size and tmp_in_buffer (a
 *     block header read across two calls);
 *   - tmp_out_buffer[0 .. tmp_out_valid): the history and any output not
 *     handed over yet ([tmp_out_processed .. tmp_out_valid));
 *   - next_in as an offset into the input (read_in holds what lies before).
 *
 * Why restoring that is exact (igzip_inflate.c, 2.30): isal_inflate never
 * reads output before the next_out it is called with. A match is checked
 * against start_out, the call's own next_out (or the start of
 * tmp_out_buffer while it decodes there), and fails as "invalid
 * lookback" rather than reach further (dict_length and total_out take no
 * part in that check in 2.30); the 32 KiB of history a block may
 * refer to live in tmp_out_buffer, where each call first decodes (with
 * the history in front) before it decodes into the caller's buffer, and
 * where it saves the last 32 KiB on return (isal_inflate_set_dict puts a
 * dictionary there too). At every return write_overflow_* and
 * copy_overflow_* are folded into tmp_out_buffer and zero. So a fresh
 * struct holding those bytes, given next_in/avail_in at the saved offset
 * and any next_out/avail_out, continues with the very bytes the original
 * would have produced: first the pending ones, then the rest. A state
 * with pending output is taken as it is: a call that fills its output
 * almost always leaves some (the symbol that did not fit), so "clean"
 * states would almost never come. Checkpoints are taken inside deflate data only
 * (block_state NEW_HDR, HDR, TYPE0 or CODED), never mid-wrapper.
 *
 * total_out is 32 bits and wraps past 4 GiB: ISA-L uses it only for the
 * gzip ISIZE check, which is modulo 2^32 too; offsets here are 64-bit.
 * The crc in the copy continues, so a read running to a member's end
 * checks its trailer as the structure pass did.
 *
 * Size: 21544 bytes plus the history (32 KiB and the pending bytes, at
 * most 64 KiB + 288): 53.1 KiB a checkpoint on average on a 512 MiB
 * float64 bundle, 128 of them (6.6 MiB) at the 4 MiB span. The copy is
 * laid out by offsetof at compile time and never leaves the process, so
 * it follows the ISA-L the build has.
 *
 * A stream cut short is handed to zlib at the start of the cut member
 * (jl_ix_build_zlib skips what ISA-L gave): the prefix of a cut stream is
 * the one zlib, and so Python's reader, produces. A read that meets the
 * cut is likewise done again by zlib from the stream's start.
 */
#include "inflate_index_isal.h"

#ifdef HAVE_ISAL
#include <stddef.h>
#include <string.h>
#include <isa-l/igzip_lib.h>

#include "deflate_parallel.h"
#include "inflate_index_zlib.h"

/* The state's bytes a checkpoint copies whole; the history follows. */
#define HEAD offsetof(struct inflate_state, tmp_out_buffer)
#define STATE_MAX (HEAD + sizeof(((struct inflate_state *)0)->tmp_out_buffer))

/* What an isal_inflate call ended with. */
enum { GO, MEMBER_END, CUT };

static void start_member(struct inflate_state *st, jl_compression c) {
    isal_inflate_init(st);
    st->crc_flag = c == JL_COMP_GZIP ? ISAL_GZIP : ISAL_ZLIB;
}

/* One isal_inflate call writing at most `room` bytes at out, input handed
 * on from in[*fed..n) in 1 GiB stretches. *got = bytes out; *ev = what it
 * ended with; an error of the stream returns its code (after *got). */
static int step(struct inflate_state *st, const uint8_t *in, uint64_t n, uint64_t *fed, uint8_t *out,
                uint64_t room, const char *name, uint64_t *got, int *ev, jl_error *err) {
    if (st->avail_in == 0 && *fed < n) {
        uint64_t k = n - *fed < JL_IX_STEP ? n - *fed : JL_IX_STEP;
        st->next_in = (uint8_t *)(uintptr_t)(in + *fed);
        st->avail_in = (uint32_t)k;
        *fed += k;
    }
    if (room > JL_IX_STEP) room = JL_IX_STEP;
    st->next_out = out;
    st->avail_out = (uint32_t)room;
    uint64_t in_before = *fed - st->avail_in;
    int r = isal_inflate(st);
    *got = room - st->avail_out;
    *ev = GO;
    if (r < 0 || r == ISAL_NEED_DICT) return jl_isal_fail(r, name, jl_isal_in_pos(st, *fed), err);
    if (st->block_state == ISAL_BLOCK_FINISH) *ev = MEMBER_END;
    else if (st->avail_in == 0 && *fed == n && st->avail_out > 0) *ev = CUT; /* all given, room left */
    else if (*got == 0 && *fed - st->avail_in == in_before && st->avail_out > 0)
        return jl_isal_fail(ISAL_DECOMP_OK, name, jl_isal_in_pos(st, *fed), err);
    return JL_OK;
}

/* Inside deflate data, with sane buffer counts: a state to copy. */
static int resumable(const struct inflate_state *st) {
    return (st->block_state == ISAL_BLOCK_NEW_HDR || st->block_state == ISAL_BLOCK_HDR ||
            st->block_state == ISAL_BLOCK_TYPE0 || st->block_state == ISAL_BLOCK_CODED) &&
           st->tmp_out_valid >= 0 && (size_t)st->tmp_out_valid <= sizeof st->tmp_out_buffer && st->tmp_in_size >= 0 &&
           (size_t)st->tmp_in_size <= sizeof st->tmp_in_buffer;
}

int jl_ix_build_isal(jl_ix_build *b, jl_error *err) {
    jl_inflate_index *ix = b->ix;
    struct inflate_state *st = jl_malloc(ix->a, sizeof *st); /* ~85 KiB: not on the stack */
    if (!st) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", b->name);
    start_member(st, ix->c);
    uint64_t fed = 0, member_in = 0, member_out = 0;
    int rc, ev;
    for (;;) {
        uint64_t room = JL_IX_PIECE - b->used, got;
        if (b->total - b->last < b->span && b->span - (b->total - b->last) < room) room = b->span - (b->total - b->last);
        int src = step(st, b->in, b->n, &fed, b->out + b->used, room, b->name, &got, &ev, err);
        *b->in_at = fed - st->avail_in;
        if ((rc = jl_ix_put(b, got, err)) || (rc = src)) break;
        if (ev == MEMBER_END) {
            uint64_t next = ix->c == JL_COMP_GZIP ? jl_ix_next_member(b->in, b->n, fed - st->avail_in) : b->n;
            if (next >= b->n) break;
            start_member(st, ix->c);
            fed = member_in = next;
            member_out = b->total;
            continue;
        }
        if (ev == CUT) { /* zlib's prefix of the cut member, as Python's reader has it */
            rc = jl_ix_build_zlib(b, member_in, b->total - member_out, 0, err);
            break;
        }
        if (b->total - b->last >= b->span && resumable(st)) {
            if ((rc = jl_ix_add_point(ix, b->total, fed - st->avail_in, 0, st, HEAD, st->tmp_out_buffer,
                                      (uint64_t)st->tmp_out_valid, err)))
                break;
            b->last = b->total;
        }
    }
    jl_free(ix->a, st);
    return rc;
}

int jl_ix_read_isal(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, const jl_ix_point *pt,
                    uint64_t off, uint8_t *dst, uint64_t len, jl_error *err) {
    const char *name = JL_IX_NAME(ix->c);
    if (pt && (pt->in > n || pt->size < HEAD || pt->size > STATE_MAX)) return jl_ix_fail_other(name, err);
    struct inflate_state *st = jl_malloc(ix->a, sizeof *st);
    uint8_t *scratch = jl_malloc(ix->a, (size_t)JL_IX_SCRATCH);
    if (!st || !scratch) {
        jl_free(ix->a, st);
        jl_free(ix->a, scratch);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", name);
    }
    uint64_t fed = 0, pos = 0, done = 0;
    if (pt) {
        memcpy(st, JL_IX_DATA(ix, pt), HEAD);
        memcpy(st->tmp_out_buffer, JL_IX_DATA(ix, pt) + HEAD, (size_t)(pt->size - HEAD));
        memset(st->tmp_out_buffer + (pt->size - HEAD), 0, (size_t)(STATE_MAX - pt->size));
        st->next_in = NULL;
        st->avail_in = 0;
        fed = pt->in;
        pos = pt->out;
    } else {
        start_member(st, ix->c);
    }
    int rc, ev;
    for (;;) {
        uint64_t room, got;
        uint8_t *out;
        if (pos < off) {
            room = off - pos < JL_IX_SCRATCH ? off - pos : JL_IX_SCRATCH;
            out = scratch;
        } else {
            room = len - done;
            out = dst + done;
        }
        rc = step(st, in, n, &fed, out, room, name, &got, &ev, err);
        if (pos < off) pos += got;
        else done += got;
        if (done == len) { /* all there: what comes after is not this read's business */
            rc = JL_OK;
            break;
        }
        if (rc) break;
        if (ev == MEMBER_END) {
            uint64_t next = ix->c == JL_COMP_GZIP ? jl_ix_next_member(in, n, fed - st->avail_in) : n;
            if (next >= n) {
                rc = jl_ix_fail_ended(name, pos < off ? pos : off + done, off + len, err);
                break;
            }
            start_member(st, ix->c);
            fed = next;
            continue;
        }
        if (ev == CUT) { /* zlib's words and prefix for a cut stream */
            rc = jl_ix_read_zlib(ix, in, n, NULL, off, dst, len, err);
            break;
        }
    }
    jl_free(ix->a, st);
    jl_free(ix->a, scratch);
    return rc;
}
#else
typedef int jl_inflate_index_isal_unused; /* an empty translation unit is not ISO C */
#endif
