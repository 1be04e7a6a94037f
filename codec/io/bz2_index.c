/*
 * bz2_index.c - block points in bzip2 streams (bz2_index.h).
 *
 * Finding blocks. A magic at bit offset 8i+r (r = 0..7) covers bytes
 * i+1..i+4 whole, and their 32 bits depend only on r; the scan loads the
 * 32 bits after each byte and a 4096-bit table of the 16 values (8 shifts
 * of the block and end magics) turns away almost every position with one
 * lookup. What passes is compared in full.
 *
 * Why a decoded re-wrapped block proves a boundary. The decoder reads a
 * block's bits one code at a time and ends it where its last code ends, so
 * two inputs that agree up to bit c decode alike up to c. The block from
 * bit s is cut at the first magic found after it, c, and wrapped (the
 * header, bits [s, c), the end magic, the block's CRC, padding). When the
 * real block ends at c, the wrapped stream ends cleanly. When c is a magic
 * found inside the compressed bits (the real block ends after c), the
 * wrapped block cannot end at c either, and cannot end after it: the end
 * magic would then have to start 1..39 bits into the 87 bits appended,
 * and 0x177245385090 overlaps a shift of itself only by 45 bits or more.
 * So a clean end (libbz2 also checks the block's CRC on the way) means
 * bits [s, c) are exactly the block, decoding to exactly what libbz2
 * decodes from it inside the whole stream. A failure means c was no
 * boundary, or the block is bad: the next magic is tried, MAX_TRIES
 * times, then the stream goes to plain decoding (bz2_index.h).
 *
 * What plain decoding hands over. Its 1 MiB window goes to emit when the
 * next piece of output is asked for; libbz2 fills it and then goes on to
 * the next block's header and codes in the same call, so a window ending
 * exactly at a block's end is handed over only if what follows decodes.
 * The block path therefore hands over a piece only once verified output
 * goes past its end, and all of it once every stream ended cleanly; on a
 * fallback, what plain decoding hands over again is skipped.
 */
#include "bz2_index.h"

#include <limits.h>
#include <string.h>
#ifdef HAVE_BZ2
#include <bzlib.h>
#endif

#define ULL(x) ((unsigned long long)(x))
#define PIECE JL_LAZY_CHUNK
#define SCRATCH ((uint64_t)64 << 10)
#define MAX_TRIES 8                        /* magics tried as one block's end */
#define MAX_BLOCK_BITS ((uint64_t)64 << 20) /* 8 MiB: bzip2 writes under 3 MiB */
#define STEP ((uint64_t)1 << 30)           /* libbz2 counts in unsigned ints */

/* One block of the stream. */
typedef struct blk {
    uint64_t bit, end; /* bit offsets: its magic, the magic after it */
    uint64_t out;      /* its first output byte */
    uint32_t crc;      /* its stored CRC */
    uint8_t level;     /* its stream's header digit, '1'..'9' */
} blk;

struct jl_bz2_index {
    const jl_alloc *a;
    blk *b; /* owned: jl_free(a) */
    uint64_t n, cap;
    uint64_t total; /* output of all blocks */
};

void jl_bz2_index_free(jl_bz2_index *ix) {
    if (!ix) return;
    jl_free(ix->a, ix->b);
    jl_free(ix->a, ix);
}

uint64_t jl_bz2_index_points(const jl_bz2_index *ix) { return ix ? ix->n : 0; }
uint64_t jl_bz2_index_total(const jl_bz2_index *ix) { return ix ? ix->total : 0; }
uint64_t jl_bz2_index_bytes(const jl_bz2_index *ix) { return ix ? sizeof *ix + ix->cap * sizeof(blk) : 0; }

#ifdef HAVE_BZ2

static const uint64_t BLOCK_MAGIC = 0x314159265359ull, END_MAGIC = 0x177245385090ull;

/* ---- bits ---------------------------------------------------------------- */

/* k <= 57 bits of in[0..n) from bit offset `bit`, first bit highest; the
 * caller checks bit + k <= 8n. */
static uint64_t bits_at(const uint8_t *in, uint64_t n, uint64_t bit, unsigned k) {
    uint64_t i = bit >> 3, v = 0;
    for (unsigned j = 0; j < 8; j++) v = v << 8 | (i + j < n ? in[i + j] : 0);
    return (v << (bit & 7)) >> (64 - k);
}

/* ORs the k low bits of v into o from bit offset `bit`, first bit highest. */
static void put_bits(uint8_t *o, uint64_t bit, uint64_t v, unsigned k) {
    for (unsigned j = 0; j < k; j++, bit++)
        if (v >> (k - 1 - j) & 1) o[bit >> 3] |= (uint8_t)(0x80u >> (bit & 7));
}

/* ---- the scan for magics ------------------------------------------------- */

typedef struct scan {
    uint8_t seen[512]; /* bit hash(w): some key may be w */
    uint32_t key[16];  /* [m * 8 + r]: bytes i+1..i+4 of magic m at bit 8i+r */
} scan;

static unsigned hash32(uint32_t w) { return (w * 0x9E3779B1u) >> 20; }

static void scan_init(scan *s) {
    memset(s, 0, sizeof *s);
    const uint64_t magic[2] = { BLOCK_MAGIC, END_MAGIC };
    for (unsigned m = 0; m < 2; m++)
        for (unsigned r = 0; r < 8; r++) {
            uint32_t k = (uint32_t)(magic[m] >> (8 + r));
            s->key[m * 8 + r] = k;
            s->seen[hash32(k) >> 3] |= (uint8_t)(1u << (hash32(k) & 7));
        }
}

/* The first block or end magic starting at bit `from` or later: 1 and
 * *at, or 0 when in[0..n) has none. */
static int next_magic(const scan *s, const uint8_t *in, uint64_t n, uint64_t from, uint64_t *at) {
    for (uint64_t i = from >> 3; i + 6 <= n; i++) {
        const uint8_t *p = in + i + 1;
        uint32_t w = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        unsigned h = hash32(w);
        if (!(s->seen[h >> 3] >> (h & 7) & 1)) continue;
        for (unsigned r = 0; r < 8; r++) {
            uint64_t bit = i * 8 + r;
            if (bit < from || bit + 48 > n * 8) continue;
            if ((w == s->key[r] && bits_at(in, n, bit, 48) == BLOCK_MAGIC) ||
                (w == s->key[8 + r] && bits_at(in, n, bit, 48) == END_MAGIC)) {
                *at = bit;
                return 1;
            }
        }
    }
    return 0;
}

/* ---- one block as a stream of its own ------------------------------------ */

/* Writes the one-block stream of bits [from, to) of in into *buf (grown;
 * the caller's, freed with jl_free(a)): "BZh" + level, the bits, the end
 * magic, crc as the combined CRC, zero padding. JL_E_NOMEM or JL_OK. */
static int wrap(const jl_alloc *a, uint8_t **buf, uint64_t *cap, const uint8_t *in, uint64_t n, uint64_t from,
                uint64_t to, uint8_t level, uint32_t crc, uint64_t *len) {
    uint64_t nbits = to - from, nb = (nbits + 7) / 8, need = 4 + (nbits + 80 + 7) / 8;
    if (need > *cap) {
        uint8_t *q = jl_realloc(a, *buf, (size_t)need);
        if (!q) return JL_E_NOMEM;
        *buf = q;
        *cap = need;
    }
    uint8_t *o = *buf;
    o[0] = 'B', o[1] = 'Z', o[2] = 'h', o[3] = level;
    const uint8_t *src = in + (from >> 3);
    uint64_t avail = n - (from >> 3);
    unsigned r = (unsigned)(from & 7);
    if (r == 0) memcpy(o + 4, src, (size_t)nb);
    else
        for (uint64_t j = 0; j < nb; j++)
            o[4 + j] = (uint8_t)(src[j] << r | (j + 1 < avail ? src[j + 1] >> (8 - r) : 0));
    if (nbits & 7) o[4 + nb - 1] &= (uint8_t)(0xFFu << (8 - (nbits & 7)));
    memset(o + 4 + nb, 0, (size_t)(need - 4 - nb));
    put_bits(o, 32 + nbits, END_MAGIC, 48);
    put_bits(o, 32 + nbits + 48, crc, 32);
    *len = need;
    return JL_OK;
}

static void *bz_alloc(void *opaque, int items, int size) {
    if (items < 0 || size < 0) return NULL;
    return jl_malloc(opaque, (size_t)items * (size_t)size);
}
static void bz_free(void *opaque, void *p) { jl_free(opaque, p); }

/* Where decoded bytes go: room gives the next window (nonzero: stop),
 * commit says how much of it was filled. */
typedef struct outlet {
    int (*room)(void *ctx, uint8_t **dst, uint64_t *room);
    void (*commit)(void *ctx, uint64_t got);
    void *ctx;
} outlet;

enum { DEC_END, DEC_BAD, DEC_STOP, DEC_NOMEM };

/* Decodes the one-block stream w[0..wn): DEC_END when it ends cleanly
 * having used all of w, DEC_BAD when libbz2 rejects it or wants more,
 * DEC_STOP when room said stop, DEC_NOMEM. */
static int decode_one(const jl_alloc *a, const uint8_t *w, uint64_t wn, const outlet *o) {
    bz_stream b;
    memset(&b, 0, sizeof b);
    b.bzalloc = bz_alloc;
    b.bzfree = bz_free;
    b.opaque = (void *)a;
    if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK) return DEC_NOMEM;
    b.next_in = (char *)(uintptr_t)w;
    b.avail_in = (unsigned)wn; /* wn <= MAX_BLOCK_BITS / 8 + 15 */
    int rc;
    for (;;) {
        uint8_t *dst;
        uint64_t room;
        if (o->room(o->ctx, &dst, &room)) {
            rc = DEC_STOP;
            break;
        }
        if (room > STEP) room = STEP;
        b.next_out = (char *)dst;
        b.avail_out = (unsigned)room;
        unsigned in_before = b.avail_in;
        int br = BZ2_bzDecompress(&b);
        o->commit(o->ctx, room - b.avail_out);
        if (br == BZ_STREAM_END) {
            rc = b.avail_in ? DEC_BAD : DEC_END;
            break;
        }
        if (br == BZ_OK && b.avail_out == 0) continue;
        if (br == BZ_OK && b.avail_in && b.avail_in < in_before) continue;
        rc = br == BZ_MEM_ERROR ? DEC_NOMEM : DEC_BAD; /* an error, or waiting for input */
        break;
    }
    BZ2_bzDecompressEnd(&b);
    return rc;
}

/* ---- building ------------------------------------------------------------ */

typedef struct builder {
    const jl_alloc *a;
    const uint8_t *in;
    uint64_t n, max_out;
    jl_emit_fn emit;
    void *ctx;
    jl_bz2_index *ix; /* owned until handed out */
    int lost;         /* 1: a point could not be kept; the index is dropped */
    uint8_t *buf;     /* owned: output not handed over yet, then the block's */
    uint64_t cap;
    uint64_t emitted; /* output handed over */
    uint64_t keep;    /* buf[0, keep): verified, not handed over */
    uint64_t made;    /* buf[keep, keep + made): the block being decoded */
    uint8_t *wrapped; /* owned: the block as a stream of its own */
    uint64_t wcap;
} builder;

static int build_room(void *ctx, uint8_t **dst, uint64_t *room) {
    builder *B = ctx;
    uint64_t budget = B->max_out - (B->emitted + B->keep); /* bytes the block may have */
    if (B->made > budget) return 1;                         /* plain decoding says "limit" */
    uint64_t used = B->keep + B->made;
    if (used == B->cap) {
        uint64_t ncap = B->cap < 2 * PIECE ? 2 * PIECE : B->cap * 2;
        if (ncap > SIZE_MAX) return 1;
        uint8_t *q = jl_realloc(B->a, B->buf, (size_t)ncap);
        if (!q) return 1;
        B->buf = q;
        B->cap = ncap;
    }
    uint64_t r = B->cap - used;
    if (budget - B->made < r) r = budget - B->made + 1; /* one byte past the limit shows it */
    *dst = B->buf + used;
    *room = r;
    return 0;
}

static void build_commit(void *ctx, uint64_t got) { ((builder *)ctx)->made += got; }

/* Hands over whole pieces of the verified output; with `all`, the rest
 * too (the stream ended cleanly). */
static int hand_over(builder *B, int all, jl_error *err) {
    uint64_t h = 0;
    int rc = JL_OK;
    while (!rc && (B->keep - h > PIECE || (all && B->keep > h))) {
        uint64_t k = B->keep - h < PIECE ? B->keep - h : PIECE;
        rc = B->emit(B->ctx, B->buf + h, k, err);
        h += k;
    }
    if (h) memmove(B->buf, B->buf + h, (size_t)(B->keep - h));
    B->keep -= h;
    B->emitted += h;
    return rc;
}

static void add_point(builder *B, const blk *b) {
    jl_bz2_index *ix = B->ix;
    if (B->lost) return;
    if (ix->n == ix->cap) {
        uint64_t cap = ix->cap ? ix->cap * 2 : 64;
        blk *p = jl_realloc(B->a, ix->b, (size_t)(cap * sizeof *p));
        if (!p) {
            B->lost = 1;
            return;
        }
        ix->b = p;
        ix->cap = cap;
    }
    ix->b[ix->n++] = *b;
}

/* Decodes the block whose magic is at bit `bit` and sets *next to the bit
 * after it; *plain = 1 when it is left to plain decoding. Errors: emit's. */
static int one_block(builder *B, const scan *S, uint64_t bit, uint8_t level, uint32_t crc, uint64_t *next,
                     int *plain, jl_error *err) {
    const outlet o = { build_room, build_commit, B };
    uint64_t c;
    if (!next_magic(S, B->in, B->n, bit + 80, &c)) return *plain = 1, JL_OK;
    for (int tries = 1;; tries++) {
        uint64_t wn;
        if (c - bit > MAX_BLOCK_BITS || wrap(B->a, &B->wrapped, &B->wcap, B->in, B->n, bit, c, level, crc, &wn))
            return *plain = 1, JL_OK;
        B->made = 0;
        int d = decode_one(B->a, B->wrapped, wn, &o);
        if (d == DEC_END && B->made > B->max_out - (B->emitted + B->keep)) return *plain = 1, JL_OK; /* the limit */
        if (d == DEC_END) break;
        if (d != DEC_BAD || tries == MAX_TRIES || !next_magic(S, B->in, B->n, c + 1, &c))
            return *plain = 1, JL_OK;
    }
    add_point(B, &(blk){ bit, c, B->emitted + B->keep, crc, level });
    B->keep += B->made;
    B->made = 0;
    *next = c;
    return hand_over(B, 0, err);
}

/* Every stream, block by block. JL_OK with *plain = 0: all ended cleanly. */
static int walk(builder *B, const scan *S, int *plain, jl_error *err) {
    const uint8_t *in = B->in;
    uint64_t n = B->n, pos = 0, nbits = n * 8;
    if (n > UINT64_MAX / 16) return *plain = 1, JL_OK;
    for (;;) {
        if (n - pos < 4 || memcmp(in + pos, "BZh", 3) != 0 || in[pos + 3] < '1' || in[pos + 3] > '9')
            return *plain = 1, JL_OK;
        uint8_t level = in[pos + 3];
        uint64_t bit = (pos + 4) * 8;
        uint32_t combined = 0;
        for (;;) {
            if (bit + 80 > nbits) return *plain = 1, JL_OK;
            uint64_t m = bits_at(in, n, bit, 48);
            uint32_t crc = (uint32_t)bits_at(in, n, bit + 48, 32);
            if (m == END_MAGIC) {
                if (crc != combined) return *plain = 1, JL_OK;
                pos = (bit + 80 + 7) / 8;
                break;
            }
            if (m != BLOCK_MAGIC) return *plain = 1, JL_OK;
            int rc = one_block(B, S, bit, level, crc, &bit, plain, err);
            if (rc || *plain) return rc;
            combined = (combined << 1 | combined >> 31) ^ crc;
        }
        while (pos < n && in[pos] == 0) pos++; /* the next stream, as container.c finds it */
        if (pos >= n || jl_detect(in + pos, n - pos) != JL_COMP_BZ2) return JL_OK;
    }
}

/* Plain decoding's pieces, less the first `skip` bytes (handed over). */
typedef struct skipper {
    jl_emit_fn emit;
    void *ctx;
    uint64_t skip;
} skipper;

static int skip_emit(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    skipper *s = ctx;
    if (s->skip >= n) {
        s->skip -= n;
        return JL_OK;
    }
    p += s->skip;
    n -= s->skip;
    s->skip = 0;
    return s->emit(s->ctx, p, n, err);
}

int jl_bz2_index_build(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t max_out, jl_emit_fn emit,
                       void *ctx, jl_bz2_index **out, jl_error *err) {
    *out = NULL;
    if (!a) a = jl_alloc_default();
    static const uint8_t empty[1];
    if (!in) {
        in = empty;
        n = 0;
    }
    builder B = { a, in, n, max_out, emit, ctx, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0 };
    int rc = JL_OK, plain = 0;
    scan S;
    scan_init(&S);
    B.ix = jl_malloc(a, sizeof *B.ix);
    if (!B.ix) plain = 1; /* no index: plain decoding still reads the stream */
    else {
        memset(B.ix, 0, sizeof *B.ix);
        B.ix->a = a;
        rc = walk(&B, &S, &plain, err);
        if (!rc && !plain) rc = hand_over(&B, 1, err);
    }
    if (!rc && plain) {
        skipper s = { emit, ctx, B.emitted };
        uint64_t total;
        rc = jl_decompress_each(JL_COMP_BZ2, in, n, a, max_out, skip_emit, &s, &total, err);
    }
    jl_free(a, B.buf);
    jl_free(a, B.wrapped);
    if (rc || plain || B.lost || !B.ix->n) {
        jl_bz2_index_free(B.ix);
        return rc;
    }
    B.ix->total = B.emitted;
    *out = B.ix;
    return JL_OK;
}

/* ---- reading ------------------------------------------------------------- */

/* A read of [off, off+len) from a block starting at output byte pos:
 * bytes before off go to scratch, the rest to dst. */
typedef struct reader {
    uint8_t *scratch, *dst;
    uint64_t off, len, pos, done;
    uint64_t made; /* bytes the block has given */
} reader;

static int read_room(void *ctx, uint8_t **dst, uint64_t *room) {
    reader *r = ctx;
    if (r->pos < r->off) {
        *dst = r->scratch;
        *room = r->off - r->pos < SCRATCH ? r->off - r->pos : SCRATCH;
    } else if (r->done < r->len) {
        *dst = r->dst + r->done;
        *room = r->len - r->done;
    } else {
        return 1;
    }
    return 0;
}

static void read_commit(void *ctx, uint64_t got) {
    reader *r = ctx;
    if (r->pos < r->off) r->pos += got;
    else r->done += got;
    r->made += got;
}

int jl_bz2_index_read(const jl_bz2_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                      uint64_t len, jl_error *err) {
    if (len == 0) return JL_OK;
    if (off > ix->total || len > ix->total - off)
        return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                       "file is truncated: the bz2 stream ends after %llu bytes, before byte %llu",
                       ULL(ix->total), ULL(len > UINT64_MAX - off ? UINT64_MAX : off + len));
    uint64_t lo = 0, hi = ix->n; /* the last block starting at or before off */
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (ix->b[mid].out <= off) lo = mid + 1;
        else hi = mid;
    }
    reader r = { NULL, dst, off, len, 0, 0, 0 };
    const outlet o = { read_room, read_commit, &r };
    uint8_t *w = NULL;
    uint64_t wcap = 0, wn;
    int rc = JL_OK;
    if (!(r.scratch = jl_malloc(ix->a, (size_t)SCRATCH))) {
        rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the bz2 decoder");
        goto done;
    }
    for (uint64_t k = lo ? lo - 1 : 0; k < ix->n && r.done < len; k++) {
        const blk *b = &ix->b[k];
        uint64_t next = k + 1 < ix->n ? ix->b[k + 1].out : ix->total;
        if (n > UINT64_MAX / 16 || b->end > n * 8) {
            rc = jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the bz2 stream is not the one its index was built from");
            break;
        }
        if (wrap(ix->a, &w, &wcap, in, n, b->bit, b->end, b->level, b->crc, &wn)) {
            rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the bz2 decoder");
            break;
        }
        if (r.pos < b->out) r.pos = b->out;
        r.made = 0;
        int d = decode_one(ix->a, w, wn, &o);
        if (d == DEC_STOP) break; /* dst is full */
        if (d == DEC_NOMEM) rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the bz2 decoder");
        else if (d == DEC_BAD)
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "bz2 data is corrupt at compressed byte %llu: %s",
                         ULL(b->bit >> 3), "checksum or block error");
        else if (b->out + r.made != next)
            rc = jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the bz2 stream is not the one its index was built from");
        if (rc) break;
    }
    if (!rc && r.done < len)
        rc = jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the bz2 stream is not the one its index was built from");
done:
    jl_free(ix->a, r.scratch);
    jl_free(ix->a, w);
    return rc;
}

#else /* no libbz2: the container's own "no bz2 support" */

int jl_bz2_index_build(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t max_out, jl_emit_fn emit,
                       void *ctx, jl_bz2_index **out, jl_error *err) {
    uint64_t total;
    *out = NULL;
    return jl_decompress_each(JL_COMP_BZ2, in, n, a, max_out, emit, ctx, &total, err);
}

int jl_bz2_index_read(const jl_bz2_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                      uint64_t len, jl_error *err) {
    (void)ix, (void)in, (void)n, (void)off, (void)dst, (void)len;
    return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no bz2 support");
}

#endif
