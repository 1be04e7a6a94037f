/*
 * lazy_read.h - array payloads left in a big compressed stream (lazy.h)
 * read piece by piece and handed on, never whole in memory: what a writer
 * uses to copy such an array straight into another bundle (the re-dump of
 * joblib_copy). Ranges asked in stream order cost one pass over the
 * stream, decompressed on a helper thread (io/pull.h); a range before the
 * last one read starts again from the stream's index when it has one
 * (io/seek_index.h: zlib, gzip), else from the start of the stream.
 * Memory: the pull's pieces (4 x 1 MiB) or one JL_LAZY_READ_PIECE buffer.
 */
#ifndef JL_LAZY_READ_H
#define JL_LAZY_READ_H

#include "container.h"
#include "value.h"

/* The most bytes handed on at once. */
#define JL_LAZY_READ_PIECE ((uint64_t)4 << 20)

typedef struct jl_lazy_reader jl_lazy_reader;

/* A reader of doc's lazy block (the doc must have one and outlive the
 * reader; the reader does not change it). Nothing is decompressed yet.
 * Allocates with the C library (the helper thread's memory is its own). */
int jl_lazy_reader_open(const jl_doc *doc, jl_lazy_reader **out, jl_error *err);

/* Hands bytes [off, off+len) of the uncompressed stream to emit(ctx, ...)
 * in order, in pieces of at most JL_LAZY_READ_PIECE bytes. Errors: emit's,
 * the decompressor's, JL_E_TRUNCATED when the stream ends before off+len,
 * JL_E_NOMEM. After an error the reader may still be asked again. */
int jl_lazy_reader_read(jl_lazy_reader *r, uint64_t off, uint64_t len, jl_emit_fn emit, void *ctx,
                        jl_error *err);

/* Stops the helper thread and frees everything. NULL is fine. */
void jl_lazy_reader_free(jl_lazy_reader *r);

#endif
