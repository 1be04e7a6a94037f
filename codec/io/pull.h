/*
 * pull.h - a compressed stream read piece by piece while a helper thread
 * decompresses it (jl_decompress_each): the reader asks for the next
 * piece when it wants more bytes, the thread stays at most a few pieces
 * ahead. Memory is those pieces, whatever the stream's length; the
 * stream is never held whole. Used by the pickle decoder for big
 * compressed bundles (pickle/feed.h). The stream is decompressed by
 * seek_index.h, which notes where it can be read again from.
 */
#ifndef JL_PULL_H
#define JL_PULL_H

#include "container.h"

typedef struct jl_pull jl_pull;

/* Starts decompressing in[0..n) (kind c, not ZF or none; the bytes must
 * outlive the reader) on a helper thread, bounded by max_out. `mapped`:
 * in is a read-only file mapping (source.h), whose pages the thread hands
 * back to the kernel every JL_PULL_RELEASE bytes of output (those the
 * decoder has passed, when its builder says where it is), so that the
 * process does not keep the whole compressed file resident while it
 * streams (a page needed again faults back in from the page cache). */
#define JL_PULL_RELEASE ((uint64_t)4 << 20)
int jl_pull_start(jl_compression c, const uint8_t *in, uint64_t n, int mapped, const jl_alloc *a,
                  uint64_t max_out, jl_pull **out, jl_error *err);

/* The next piece of the stream: *p, *n valid until the next call or
 * jl_pull_stop. *n == 0 at the end, with the decoder's result: JL_OK, or
 * its error (JL_E_TRUNCATED: the pieces before it are what joblib's
 * reader gets from a stream cut short). */
int jl_pull_next(jl_pull *s, const uint8_t **p, uint64_t *n, jl_error *err);

/* Once jl_pull_next reported the end of the stream: the
 * places to read it again from (seek_index.h), now the caller's; NULL
 * before the end and when the stream offers none. */
struct jl_seek_index *jl_pull_take_index(jl_pull *s);

/* Stops the thread (wherever it is) and frees everything. NULL is fine. */
void jl_pull_stop(jl_pull *s);

#endif
