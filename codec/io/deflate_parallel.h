/*
 * deflate_parallel.h - deflate of a large buffer on several threads, as
 * pigz does, into ONE valid zlib (RFC 1950), gzip (RFC 1952) or raw deflate
 * stream; and, when built with ISA-L (HAVE_ISAL), ISA-L's deflate/inflate
 * and checksums behind the same calls.
 *
 * The input is cut into blocks; each block is deflated on its own, primed
 * with the 32 KiB before it as a preset dictionary (so the ratio stays
 * within a fraction of a percent of one stream), and ends with a sync
 * flush (byte-aligned, no final bit) except the last, which ends the
 * stream. The blocks' raw outputs concatenate into one deflate stream; the
 * trailer's Adler-32 / CRC-32 is combined from per-block checksums
 * (adler32_combine / crc32_combine). Python's zlib, gzip and joblib read
 * the result like any other stream; only the deflate bytes differ from a
 * single zlib stream, never the header or trailer framing joblib writes.
 *
 * Memory: the output is allocated with the caller's jl_alloc and touched
 * only by the calling thread. Worker threads allocate their temporary
 * state (zlib/ISA-L streams, one block's output) with the C library's
 * malloc, so the caller's allocator need not be thread-safe.
 */
#ifndef JL_DEFLATE_PARALLEL_H
#define JL_DEFLATE_PARALLEL_H

#include "base.h"

/* Inputs smaller than this are better served by one zlib stream (and then
 * keep the exact bytes joblib writes); callers check it. */
#ifndef JL_PDEFLATE_MIN
#define JL_PDEFLATE_MIN ((uint64_t)4 << 20)
#endif
/* Input bytes per block (pigz uses 128 KiB; larger blocks make the
 * dictionary priming and the sync markers cheaper). */
#ifndef JL_PDEFLATE_BLOCK
#define JL_PDEFLATE_BLOCK ((uint64_t)1 << 20)
#endif
#ifndef JL_PDEFLATE_MAX_THREADS
#define JL_PDEFLATE_MAX_THREADS 64
#endif

typedef enum jl_deflate_wrap {
    JL_WRAP_RAW,  /* bare deflate */
    JL_WRAP_ZLIB, /* 78 xx header, Adler-32 trailer (big-endian) */
    JL_WRAP_GZIP  /* the 10-byte header joblib writes (OS = 3), CRC-32 + ISIZE */
} jl_deflate_wrap;

typedef enum jl_deflate_engine {
    JL_ENGINE_AUTO, /* ISA-L when this build has it, else zlib */
    JL_ENGINE_ZLIB,
    JL_ENGINE_ISAL  /* JL_E_UNSUPPORTED when this build has no ISA-L */
} jl_deflate_engine;

typedef struct jl_pdeflate_opts {
    int threads;              /* threads that deflate; 0 = online CPUs; 1 = this thread only */
    uint64_t block;           /* input bytes per block; 0 = JL_PDEFLATE_BLOCK (min 64 KiB) */
    jl_deflate_engine engine;
} jl_pdeflate_opts;

/* 1 when this build has ISA-L. */
int jl_deflate_have_isal(void);

/* Deflates in[0..n) at zlib `level` (1-9; ISA-L maps 1-2 -> 1, 3-6 -> 2,
 * 7-9 -> 3) into one stream wrapped as `wrap`. *out is allocated with `a`
 * (NULL = C library; free with jl_free), *out_len its length; both are
 * NULL/0 on error. o may be NULL (all defaults). The zlib header is the
 * one zlib writes for that level (78 01 / 78 5E / 78 9C / 78 DA); the gzip
 * header is 1F 8B 08 00 00000000 XFL 03, XFL as zlib sets it. */
int jl_deflate_parallel(jl_deflate_wrap wrap, int level, const uint8_t *in, uint64_t n,
                        const jl_pdeflate_opts *o, const jl_alloc *a, uint8_t **out,
                        uint64_t *out_len, jl_error *err);

/* ---- the same stream in parts, as its input comes (compress_stream.h) ----
 *
 * jl_deflate_parallel(wrap, level, in, n) is, byte for byte: the header,
 * then jl_deflate_parallel_part over consecutive parts of in (each but the
 * last whole blocks of jl_deflate_parallel_block(o) bytes, the last with
 * `last` set), then the trailer of the folded check and the total. */
typedef int (*jl_deflate_put)(void *ctx, const void *p, uint64_t n, jl_error *err);
/* Input bytes per block for o (JL_PDEFLATE_BLOCK bounded to 64 KiB..1 GiB). */
uint64_t jl_deflate_parallel_block(const jl_pdeflate_opts *o);
/* The header jl_deflate_parallel writes for wrap and level: its length (0, 2 or 10). */
int jl_deflate_parallel_header(jl_deflate_wrap wrap, int level, uint8_t out[10]);
/* The trailer for the stream's folded check and total input length: its
 * length (0, 4 or 8). */
int jl_deflate_parallel_trailer(jl_deflate_wrap wrap, uint32_t check, uint64_t total, uint8_t out[8]);
/* Deflates in[0..n), the part of the stream after *total bytes, to `put`
 * in order; in[-before..-1] must be the stream's bytes just before it
 * (the first block's dictionary: up to 32 KiB are read). Unless `last`, n
 * is a multiple of the block size and no block ends the stream. *check
 * (start with 1 for zlib, 0 for gzip) and *total are carried from part to
 * part. */
int jl_deflate_parallel_part(jl_deflate_wrap wrap, int level, const uint8_t *in, uint64_t before,
                             uint64_t n, int last, const jl_pdeflate_opts *o, jl_deflate_put put,
                             void *ctx, uint32_t *check, uint64_t *total, jl_error *err);

/* Output window callbacks for jl_inflate_isal: `room` hands out the next
 * writable window (*room >= 1), `commit` accounts the bytes written into
 * it (and fails when the output limit is passed). Both return JL_OK or a
 * code with err set. container.c's sink_room / sink_commit have this
 * shape. */
typedef int (*jl_out_room_fn)(void *ctx, uint8_t **dst, uint64_t *room, jl_error *err);
typedef int (*jl_out_commit_fn)(void *ctx, uint64_t produced, jl_error *err);

/* Inflates ONE zlib or gzip member (header, data, trailer checked) from
 * in[0..n) with ISA-L; `base` is in's offset in the container, for
 * messages; the decoder state (~40 KiB) comes from `a` (NULL = C library).
 * *used is the number of input bytes the member took, so that a caller
 * can look for a next gzip member after it. Errors read as the
 * zlib path's: "<name> stream ends early at compressed byte N", "<name>
 * data is corrupt at compressed byte N: why". JL_E_UNSUPPORTED without
 * ISA-L. */
int jl_inflate_isal(jl_deflate_wrap wrap, const uint8_t *in, uint64_t n, uint64_t base,
                    const jl_alloc *a, jl_out_room_fn room, jl_out_commit_fn commit, void *ctx,
                    uint64_t *used, jl_error *err);

#ifdef HAVE_ISAL
struct inflate_state;
/* isal_inflate's failure r (< 0, ISAL_NEED_DICT, or ISAL_DECOMP_OK for a
 * call that neither read nor wrote) as jl_inflate_isal words it: "<name>
 * data is corrupt at compressed byte <at>: why". */
int jl_isal_fail(int r, const char *name, uint64_t at, jl_error *err);
/* The input offset st stands at (the bytes of its bit buffer given back),
 * when fed bytes were handed to it in all. */
uint64_t jl_isal_in_pos(const struct inflate_state *st, uint64_t fed);
#endif

/* Checksums (ISA-L's SIMD code when built with it, else zlib's):
 * Adler-32 and CRC-32 of p[0..n) continuing from `init` (1 / 0 to start). */
uint32_t jl_adler32(uint32_t init, const uint8_t *p, uint64_t n);
uint32_t jl_crc32(uint32_t init, const uint8_t *p, uint64_t n);

#endif
