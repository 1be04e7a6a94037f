/*
 * base.h - what every codec module shares: the error value, the allocator
 * hooks, the named limits, checked arithmetic, growable vectors and a byte
 * buffer.
 *
 * The codec never includes SQLite. Errors are plain values
 * {code, message, byte offset} with nothing to free; there is no global
 * error state. Memory comes from a caller-supplied allocator so that ext/
 * can hand codec buffers to SQLite without a copy.
 */
#ifndef JL_BASE_H
#define JL_BASE_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define JL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JL_PRINTF(f, a)
#endif

#define JL_NONE UINT32_MAX /* "no node" / "no entry" for every u32 index */

/* ---- errors ---------------------------------------------------------- */

typedef enum jl_code {
    JL_OK = 0,
    JL_E_NOMEM,       /* an allocation failed */
    JL_E_IO,          /* open/read/map/write of a file failed */
    JL_E_FORMAT,      /* bytes that are not what the format allows */
    JL_E_TRUNCATED,   /* input ended before what it claims */
    JL_E_LIMIT,       /* a named limit was exceeded */
    JL_E_UNSUPPORTED, /* valid but not supported (out-of-band buffers, no lz4 in this build) */
    JL_E_PATH,        /* a path that cannot be parsed */
    JL_E_ARG,         /* a bad argument from the caller (dtype string, shape ...) */
    JL_E_UNSAFE       /* a sidecar name that tries to leave the bundle's directory */
} jl_code;

typedef struct jl_error {
    jl_code code;
    uint64_t offset;   /* byte offset in the (uncompressed) stream, or JL_NO_OFFSET */
    char message[512]; /* NUL-terminated, does not start with "joblib:"; long paths and file
                        * names fit, a longer message is cut */
} jl_error;

#define JL_NO_OFFSET UINT64_MAX

/* Sets err (if not NULL) and returns code. printf-style message. */
int jl_fail(jl_error *err, jl_code code, uint64_t offset, const char *fmt, ...) JL_PRINTF(4, 5);
void jl_error_clear(jl_error *err);

/* ---- allocator ------------------------------------------------------- */

typedef struct jl_alloc {
    void *(*malloc)(void *ctx, size_t n);
    void *(*realloc)(void *ctx, void *p, size_t n);
    void (*free)(void *ctx, void *p);
    void *ctx;
} jl_alloc;

/* The C library's malloc/realloc/free. */
const jl_alloc *jl_alloc_default(void);

static inline void *jl_malloc(const jl_alloc *a, size_t n) { return a->malloc(a->ctx, n ? n : 1); }
static inline void *jl_realloc(const jl_alloc *a, void *p, size_t n) { return a->realloc(a->ctx, p, n ? n : 1); }
static inline void jl_free(const jl_alloc *a, void *p) { if (p) a->free(a->ctx, p); }

/* Who owns a block of bytes, and so how it is let go: */
#define JL_BLOCK_BORROWED 0 /* the caller's: never freed here */
#define JL_BLOCK_HEAP 1     /* from a jl_alloc: jl_free */
#define JL_BLOCK_MMAP 2     /* a file mapping: munmap */
/* A reference-counted mapping (shared.h), p its data start: the doc holds
 * one reference, results cut from it may hold more and outlive the doc. */
#define JL_BLOCK_SHARED 3
/* Bytes of a compressed stream not kept in memory (p NULL): offsets are
 * offsets in the uncompressed stream, read on demand (value/lazy.h). */
#define JL_BLOCK_LAZY 4

/* ---- limits ---------------------------------------------------------- */

/* Dimensions of an array: numpy's NPY_MAXDIMS (64 since numpy 2.0) for
 * reading; arrays made by the writer side stop at numpy 1.x's 32, so that
 * joblib.load with numpy 1.x can still read every bundle written here. */
#define JL_MAX_DIMS 64
#define JL_MAX_WRITE_DIMS 32

/* Defaults; each can be overridden at compile time and changed at run time
 * (ext/ exposes them through joblib_config()). */
#ifndef JL_DEFAULT_MAX_DECOMPRESSED
#define JL_DEFAULT_MAX_DECOMPRESSED ((uint64_t)16 << 30) /* 16 GiB of stream */
#endif
#ifndef JL_DEFAULT_MAX_NODES
#define JL_DEFAULT_MAX_NODES ((uint64_t)200000000) /* decoded values */
#endif
#ifndef JL_DEFAULT_MAX_DEPTH
#define JL_DEFAULT_MAX_DEPTH ((uint64_t)100000) /* MARK nesting / walk depth */
#endif
#ifndef JL_DEFAULT_MAX_MEMO
#define JL_DEFAULT_MAX_MEMO ((uint64_t)100000000) /* memo entries and largest index */
#endif
#ifndef JL_DEFAULT_MAX_ALLOC
#define JL_DEFAULT_MAX_ALLOC ((uint64_t)8 << 30) /* one allocation */
#endif

typedef struct jl_limits {
    uint64_t max_decompressed; /* bytes a decompressor may produce */
    uint64_t max_nodes;        /* nodes in one document */
    uint64_t max_depth;        /* nesting depth (marks, walks, JSON) */
    uint64_t max_memo;         /* memo entries, and the largest memo index */
    uint64_t max_alloc;        /* bytes in any single allocation */
    /* Not limits but thresholds of a compressed file read as it inflates
     * (pickle/feed.h): the stream length up to which it is decoded from
     * one buffer, and the least inline payload left in the stream. 0 (the
     * default, what the extension uses): JL_FEED_WHOLE, JL_FEED_LAZY_MIN.
     * Tests and fuzz targets set them small so small inputs stream. */
    uint64_t feed_whole, feed_lazy_min;
} jl_limits;

void jl_limits_default(jl_limits *l);

/* ---- checked arithmetic ---------------------------------------------- */

static inline int jl_mul_overflow(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_mul_overflow(a, b, out);
}
static inline int jl_add_overflow(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_add_overflow(a, b, out);
}

/* ---- growable vectors ------------------------------------------------ */

/* Ensures *cap >= need for an array of `elem`-byte elements at *p, growing
 * geometrically. Returns JL_OK, JL_E_NOMEM or JL_E_LIMIT (when the bytes
 * would exceed max_alloc); sets no error text, callers report. */
int jl_grow(const jl_alloc *a, void **p, uint64_t *cap, uint64_t need, size_t elem,
            uint64_t max_alloc);

/* ---- byte buffer ----------------------------------------------------- */

/* A growable byte buffer, always NUL-terminated after the first append.
 * Owned: free with jl_buf_free, or take the bytes with jl_buf_take. */
typedef struct jl_buf {
    char *p;
    uint64_t len, cap;
    const jl_alloc *alloc;
    uint64_t max; /* largest length allowed, 0 = no limit */
    int failed;   /* JL_E_NOMEM / JL_E_LIMIT / JL_E_IO once an append failed; later appends do nothing */
    /* Optional sink: when set, the bytes go on to it in chunks of about
     * JL_BUF_SINK_CHUNK (large appends directly, without a copy), so a
     * stream never stands whole in memory; `sunk` counts what it took. */
    int (*sink)(void *ctx, const void *p, uint64_t n); /* 0 = taken */
    void *sink_ctx;
    uint64_t sunk;
    /* Opt-in (set after jl_buf_init): past JL_SHARED_MIN the bytes move to a
     * shared block (shared.h: huge pages, cheap to fault in), and then
     * `shared` is 1: jl_buf_free unrefs it, and what jl_buf_take returns
     * is the block's data, released with jl_shared_unref. */
    int can_share;
    int shared;
} jl_buf;

#define JL_BUF_SINK_CHUNK ((uint64_t)1 << 20)
/* Hands what the buffer holds to its sink (nothing without one). */
int jl_buf_flush(jl_buf *b);

void jl_buf_init(jl_buf *b, const jl_alloc *a, uint64_t max);
int jl_buf_append(jl_buf *b, const void *p, uint64_t n); /* JL_OK or the failure code */
int jl_buf_putc(jl_buf *b, char c);
int jl_buf_puts(jl_buf *b, const char *s);
int jl_buf_printf(jl_buf *b, const char *fmt, ...) JL_PRINTF(2, 3);
/* Takes the bytes out (NUL-terminated; never NULL on success); the caller
 * frees them with jl_free(b->alloc, p). The buffer is left empty. */
char *jl_buf_take(jl_buf *b, uint64_t *len);
void jl_buf_free(jl_buf *b);

#endif
