/*
 * compress_stream.h - compression of a stream as it is made, for the
 * writers (joblib_dump, joblib_dumps, joblib_export): bytes go in with
 * jl_zstream_write in pieces of any size, the container's bytes come out
 * through a callback in order, and the whole uncompressed stream never
 * stands in memory.
 *
 * The output is byte for byte what jl_compress (container.h) makes of the
 * same stream in one piece (tests/unit/codec/test_compress_stream.c):
 *   zlib, gzip  below JL_PDEFLATE_MIN (4 MiB) in all: held back, then
 *               jl_compress's one zlib stream; from 4 MiB on: the header,
 *               then parts of JL_ZSTREAM_BATCH bytes (whole blocks)
 *               through jl_deflate_parallel_part as they come, each primed
 *               with the 32 KiB before it, the last part ending the
 *               stream, then the trailer (deflate_parallel.h).
 *   bz2, lzma, xz  one library stream fed as the bytes come (their output
 *               does not depend on how the input is cut).
 *   lz4         the frame fed in the same 4 MiB pieces jl_compress uses
 *               (the frame's block linking saves its dictionary between
 *               calls, so equal pieces give equal bytes).
 *   ZF          the header states the whole length: held back whole, then
 *               jl_compress (the legacy layout is written for old readers
 *               only).
 *   none        passed through.
 * Memory: for zlib/gzip at most 4 MiB held back, then about
 * 32 KiB + JL_ZSTREAM_BATCH + a block plus each thread's block output; for
 * lz4 a 4 MiB piece and its output; for bz2/xz the libraries' state and a
 * 1 MiB output window. Allocations go through the caller's jl_alloc
 * (deflate threads use malloc, deflate_parallel.h).
 */
#ifndef JL_COMPRESS_STREAM_H
#define JL_COMPRESS_STREAM_H

#include "base.h"
#include "container.h"
#include "deflate_parallel.h"

/* Input bytes deflated per part once a zlib/gzip stream reached 4 MiB (a
 * multiple of the deflate block). */
#ifndef JL_ZSTREAM_BATCH
#define JL_ZSTREAM_BATCH ((uint64_t)8 << 20)
#endif

typedef struct jl_zstream jl_zstream;

/* A compressor of kind c at `level` (the ranges jl_compress takes) whose
 * output goes to out(ctx, p, n, err) (JL_OK when taken). *zs is freed by
 * jl_zstream_free. */
int jl_zstream_open(jl_compression c, int level, const jl_alloc *a, jl_deflate_put out, void *ctx,
                    jl_zstream **zs, jl_error *err);
/* Takes p[0..n). After a failure every later call returns the same code. */
int jl_zstream_write(jl_zstream *z, const void *p, uint64_t n, jl_error *err);
/* Ends the container: the rest of the output goes to out. */
int jl_zstream_finish(jl_zstream *z, jl_error *err);
/* Input bytes taken so far. */
uint64_t jl_zstream_total(const jl_zstream *z);
void jl_zstream_free(jl_zstream *z);

#endif
