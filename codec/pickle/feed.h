/*
 * feed.h - the stream of a big compressed bundle, decoded while it is
 * inflated (pull.h): one block of the doc holds the bytes the pickle VM
 * has read and keeps (opcodes, strings, small arrays), filled as the VM
 * asks for more; the payloads of big inline arrays are skipped (inflated
 * and dropped) and their arrays refer to the doc's lazy block by their
 * offset in the uncompressed stream (value/lazy.h reads them on demand).
 * Offsets in the block differ from stream offsets by what was skipped
 * before them: jl_feed_stream_off converts.
 */
#ifndef JL_FEED_H
#define JL_FEED_H

#include "pull.h"
#include "value.h"

/* Streams whose uncompressed bytes end within this many are decoded from
 * one buffer, as if inflated whole. */
#define JL_FEED_WHOLE ((uint64_t)8 << 20)
/* Inline array payloads at least this long are left in the stream. */
#define JL_FEED_LAZY_MIN ((uint64_t)1 << 20)

typedef struct jl_feed {
    jl_pull *pull;
    jl_doc *doc;
    uint32_t block;            /* the doc's block of kept bytes */
    const uint8_t *piece;      /* the current piece and how much of it was used */
    uint64_t piece_len, piece_pos;
    int ended;                 /* the pull reported the end */
    int failed;                /* the decoder's error (not a cut), kept as it was: */
    jl_error fail;             /* the VM's run fails with it, not with its own words */
    uint64_t skipped;          /* stream bytes dropped before the block's end */
    uint64_t *holes;           /* pairs: block offset, bytes skipped up to it */
    uint64_t nholes, cap_holes;
    uint64_t lazy_min;         /* inline payloads this long or longer are skipped
                                * (JL_FEED_LAZY_MIN, or the doc's limits.feed_lazy_min) */
} jl_feed;

/* Adds three blocks to the doc: the kept bytes (f->block), the lazy
 * block, and in[0..n) (compressed, kind c; taken with `owner` even when
 * this fails once the doc's lazy_src is set), and starts the reader. */
int jl_feed_start(jl_feed *f, jl_doc *doc, jl_compression c, const uint8_t *in, uint64_t n,
                  uint8_t owner, jl_error *err);

/* Grows the kept block until it holds `want` bytes or the stream ends
 * (not an error: the caller sees the short length). A stream that ends
 * cut short sets doc->cut and doc->damaged; other decoder errors fail. */
int jl_feed_more(jl_feed *f, uint64_t want, jl_error *err);

/* Drops the kept bytes from block offset `at` on and skips n stream bytes
 * from there; *got is how many there were (less at the end). */
int jl_feed_skip(jl_feed *f, uint64_t at, uint64_t n, uint64_t *got, jl_error *err);

/* The stream offset of block offset off. */
uint64_t jl_feed_stream_off(const jl_feed *f, uint64_t off);

/* Reads the rest of the stream (after STOP), dropping it; sets
 * doc->stream_len and, for a cut, doc->cut and doc->damaged. */
int jl_feed_drain(jl_feed *f, jl_error *err);

/* Stops the reader; the blocks stay the doc's. */
void jl_feed_end(jl_feed *f);

#endif
