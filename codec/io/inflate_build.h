/*
 * inflate_build.h - internal: the index of a zlib or gzip stream
 * (inflate_index.h), its checkpoints and the builder's output side, shared
 * by the API (inflate_index.c) and its two engines (inflate_index_zlib.c,
 * inflate_index_isal.c). A checkpoint holds what its engine needs to
 * start again: zlib the bit position and the 32 KiB window, ISA-L a copy
 * of its decoder state, kept one after another in the index's arena
 * (arena.h: huge pages rather than a fault per fresh 4 KiB page).
 */
#ifndef JL_INFLATE_BUILD_H
#define JL_INFLATE_BUILD_H

#include "arena.h"
#include "container.h"

/* as in inflate_index.h (this header does not depend on it) */
typedef struct jl_inflate_index jl_inflate_index;

#define JL_IX_WIN 32768u                  /* deflate's window */
#define JL_IX_PIECE JL_LAZY_CHUNK          /* output handed to emit at a time */
#define JL_IX_STEP ((uint64_t)1 << 30)     /* both engines count in 32-bit unsigned ints */
#define JL_IX_SCRATCH ((uint64_t)64 << 10) /* output before a read's first byte goes here */
#define JL_IX_NAME(c) ((c) == JL_COMP_GZIP ? "gzip" : "zlib")

typedef struct jl_ix_point {
    uint64_t out, in; /* offsets: the first output byte after the point, the input byte it reads next */
    int bits;         /* zlib: bits of in[in - 1] still unread (0-7) */
    uint64_t size;    /* bytes of its data */
    uint64_t at;      /* where they are in ix->arena: zlib the window before `out`; ISA-L the decoder state */
} jl_ix_point;

/* A point's data. */
#define JL_IX_DATA(ix, pt) ((ix)->arena.p + (pt)->at)

struct jl_inflate_index {
    const jl_alloc *a;
    jl_compression c;
    jl_ix_point *pts; /* ascending `out`; owned, a */
    uint64_t n, cap;
    uint64_t total; /* uncompressed bytes seen while building */
    jl_arena arena; /* the points' data; owned, a */
};

/* The builder: output goes through buf (a window of JL_IX_WIN bytes, then
 * one piece); a full piece is emitted and, when `window`, its last
 * JL_IX_WIN bytes become the window. */
typedef struct jl_ix_build {
    jl_inflate_index *ix;
    const uint8_t *in;
    uint64_t n;
    const char *name;  /* "zlib" / "gzip" */
    uint8_t *buf;      /* JL_IX_WIN + JL_IX_PIECE bytes; owned by the caller */
    uint64_t used;     /* bytes of the piece filled */
    uint64_t total;    /* bytes out so far */
    uint64_t last;     /* output offset of the last checkpoint */
    uint64_t span;     /* output between checkpoints */
    uint64_t max_out;
    jl_emit_fn emit;
    jl_piece_fn piece; /* NULL, or where the next piece goes (not with `window`) */
    void *ctx;
    int window;   /* keep the window (zlib's checkpoints need it; ISA-L keeps its own) */
    uint8_t *out; /* the piece being filled: buf + JL_IX_WIN, or what piece handed out */
    uint64_t *in_at; /* the engine stores the input offset read up to here before jl_ix_put */
} jl_ix_build;

/* Accounts `got` bytes just written at out + used: the output limit,
 * then the piece handed over when full (and the next one asked for). */
int jl_ix_put(jl_ix_build *b, uint64_t got, jl_error *err);

/* Appends a checkpoint whose data is p1[0..n1) then p2[0..n2) (copied). */
int jl_ix_add_point(jl_inflate_index *ix, uint64_t out, uint64_t in, int bits, const void *p1, uint64_t n1,
                    const void *p2, uint64_t n2, jl_error *err);

/* After the end of a gzip member at input offset pos: the start of the
 * next one (after zero padding), or n when there is none. */
uint64_t jl_ix_next_member(const uint8_t *in, uint64_t n, uint64_t pos);

/* A read past the end of the stream, which ended after `at` bytes. */
int jl_ix_fail_ended(const char *name, uint64_t at, uint64_t want, jl_error *err);
/* A point that lies past the input given: another stream. */
int jl_ix_fail_other(const char *name, jl_error *err);


#endif
