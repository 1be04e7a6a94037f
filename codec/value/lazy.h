/*
 * lazy.h - array payloads a big compressed bundle left in its stream
 * (pickle/feed.h): such an array's data refers to the doc's lazy block
 * (JL_BLOCK_LAZY) by its offset in the uncompressed stream and has no
 * bytes in memory until something reads them. jl_lazy_load gives every
 * array under a node its bytes, inflating the stream once for all of
 * them; each array of 1 MiB or more gets one allocation of its own size
 * (a shared block, shared.h, from JL_SHARED_MIN on, so SQLite can take it
 * without a copy) and is remembered for views made before; smaller reads
 * (a row, an element) go to the doc's heap.
 * Whatever reads array bytes calls it first; questions about structure
 * (joblib_info, joblib_tree rows, paths to other nodes) never do.
 */
#ifndef JL_LAZY_H
#define JL_LAZY_H

#include "value.h"

/* 1 when some array of the doc may still be in its stream (a payload
 * was left there while decoding). */
static inline int jl_doc_is_lazy(const jl_doc *doc) {
    return doc->lazy_block != JL_NONE && doc->nlazy_ranges > 0;
}

/* Reads the data of every array reachable from node id (id included)
 * that is still in the stream. Errors: JL_E_LIMIT (an array larger than
 * max_alloc, or one whose buffer cannot be had: the message names the
 * size), JL_E_NOMEM (bookkeeping), the decoder's. */
int jl_lazy_load(jl_doc *doc, uint32_t id, jl_error *err);
/* The same, but an array that is a view of a payload (a row, an element)
 * gets the whole payload read and kept, so that the next views of it need
 * no read: for walks over rows. */
int jl_lazy_load_whole(jl_doc *doc, uint32_t id, jl_error *err);

/* Notes the stream range of a payload left in the stream (the decoder,
 * in stream order), for jl_lazy_load_whole. */
int jl_lazy_note(jl_doc *doc, uint64_t off, uint64_t len, jl_error *err);

#endif
