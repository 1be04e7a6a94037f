/*
 * deflate_parallel.c - parallel deflate into one zlib / gzip / raw stream
 * (pigz's method) and the optional ISA-L engine (HAVE_ISAL): block deflate,
 * one-member inflate and SIMD checksums. See deflate_parallel.h.
 *
 * Stream layout written:
 *
 *   header        zlib: 78 01|5E|9C|DA     gzip: 1F 8B 08 00 00000000 XFL 03
 *   block 0       deflate of in[0..B), ends with a sync flush (00 00 FF FF)
 *   block i       deflate of in[iB..(i+1)B) with in[iB-32K..iB) as preset
 *                 dictionary, sync flush
 *   block last    as above, ends with a final block (BFINAL = 1)
 *   trailer       zlib: Adler-32 (big-endian)   gzip: CRC-32, ISIZE (little-endian)
 *
 * Threads: T workers take block numbers from a counter; block i is written
 * into slot i % W (W = 2T slots, so at most W blocks are in memory); the
 * calling thread appends finished slots to the output in order and
 * combines the checksums. With T = 1 the calling thread does everything.
 */
#include "deflate_parallel.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#endif

#define ULL(x) ((unsigned long long)(x))
#define DICT ((uint64_t)32768) /* deflate's window */
#define MIN_BLOCK ((uint64_t)65536)
#define MAX_BLOCK ((uint64_t)1 << 30) /* zlib and ISA-L count in 32 bits */

int jl_deflate_have_isal(void) {
#ifdef HAVE_ISAL
    return 1;
#else
    return 0;
#endif
}

/* ---- checksums ----------------------------------------------------------- */

uint32_t jl_adler32(uint32_t init, const uint8_t *p, uint64_t n) {
#ifdef HAVE_ISAL
    return n ? isal_adler32(init, p, n) : init;
#else
    uLong c = init;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = adler32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
#endif
}

uint32_t jl_crc32(uint32_t init, const uint8_t *p, uint64_t n) {
#ifdef HAVE_ISAL
    return n ? crc32_gzip_refl(init, p, n) : init;
#else
    uLong c = init;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
#endif
}

/* ---- one block ------------------------------------------------------------ */

/* What one worker owns: its engine state and nothing shared. */
typedef struct engine {
    int isal; /* 1: ISA-L, 0: zlib */
    int level;
    int ready;
    z_stream z;
#ifdef HAVE_ISAL
    struct isal_zstream is;
    uint8_t *lvlbuf; /* malloc'd, ISA-L level buffer */
#endif
} engine;

/* A block's output: a malloc'd buffer reused from block to block. */
typedef struct slot {
    uint8_t *buf; /* owned (malloc) */
    uint64_t cap, len;
    uint64_t in_len;
    uint32_t check; /* Adler-32 or CRC-32 of the block's input */
    int done;       /* 1: buf/len/check hold block `index` */
    uint64_t index;
    int rc;         /* JL_OK or the failure of this block */
    char msg[160];
} slot;

#ifdef HAVE_ISAL
static int isal_level(int zlevel) { return zlevel <= 2 ? 1 : zlevel <= 6 ? 2 : 3; }
#endif

static int engine_init(engine *e, int isal, int level, char *msg, size_t msgn) {
    memset(e, 0, sizeof *e);
    e->isal = isal;
    e->level = level;
#ifdef HAVE_ISAL
    if (isal) {
        static const uint32_t lvlsize[4] = { ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                             ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT };
        int il = isal_level(level);
        e->lvlbuf = lvlsize[il] ? malloc(lvlsize[il]) : NULL;
        if (lvlsize[il] && !e->lvlbuf) {
            snprintf(msg, msgn, "out of memory for the ISA-L deflate state");
            return JL_E_NOMEM;
        }
        e->level = il;
        e->ready = 1;
        return JL_OK;
    }
#else
    (void)isal;
#endif
    /* zalloc/zfree NULL: the C library, thread-safe */
    int zr = deflateInit2(&e->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    if (zr != Z_OK) {
        snprintf(msg, msgn, zr == Z_MEM_ERROR ? "out of memory for the zlib encoder"
                                              : "the zlib encoder cannot start (%d)", zr);
        return zr == Z_MEM_ERROR ? JL_E_NOMEM : JL_E_FORMAT;
    }
    e->ready = 1;
    return JL_OK;
}

static void engine_end(engine *e) {
    if (!e->ready) return;
#ifdef HAVE_ISAL
    if (e->isal) {
        free(e->lvlbuf);
        e->ready = 0;
        return;
    }
#endif
    deflateEnd(&e->z);
    e->ready = 0;
}

/* Makes room for `need` more bytes in s->buf. */
static int slot_grow(slot *s, uint64_t need) {
    if (s->cap - s->len >= need) return JL_OK;
    uint64_t ncap = s->cap ? s->cap : need;
    while (ncap - s->len < need) ncap *= 2;
    if (ncap > SIZE_MAX) return JL_E_NOMEM;
    void *q = realloc(s->buf, (size_t)ncap);
    if (!q) return JL_E_NOMEM;
    s->buf = q;
    s->cap = ncap;
    return JL_OK;
}

/* Deflates in[start..start+len) into s (raw), primed with up to 32 KiB
 * before start (in[-before..] is readable); `last` ends the stream, otherwise a sync flush ends the
 * block on a byte boundary. */
static int block_deflate(engine *e, const uint8_t *in, uint64_t before, uint64_t start, uint64_t len,
                         int last, int want_crc, slot *s) {
    /* the dictionary may reach `before` bytes in front of in (a part of a
     * longer stream, jl_deflate_parallel_part) */
    uint64_t dlen = start + before < DICT ? start + before : DICT;
    s->len = 0;
    s->in_len = len;
    s->check = want_crc ? jl_crc32(0, in + start, len) : jl_adler32(1, in + start, len);
    /* a block's raw output stays under len + 5 bytes per 16 KiB + flush markers */
    uint64_t guess = len + (len >> 12) + 64;
    if (slot_grow(s, guess)) goto nomem;
#ifdef HAVE_ISAL
    if (e->isal) {
        struct isal_zstream *z = &e->is;
        isal_deflate_init(z);
        z->level = (uint32_t)e->level;
        z->level_buf = e->lvlbuf;
        z->level_buf_size = e->level ? (uint32_t)(e->level == 1   ? ISAL_DEF_LVL1_DEFAULT
                                                  : e->level == 2 ? ISAL_DEF_LVL2_DEFAULT
                                                                  : ISAL_DEF_LVL3_DEFAULT)
                                     : 0;
        z->gzip_flag = 0; /* raw deflate */
        if (dlen && isal_deflate_set_dict(z, (uint8_t *)(uintptr_t)(in + start - dlen),
                                          (uint32_t)dlen) != COMP_OK) {
            snprintf(s->msg, sizeof s->msg, "ISA-L refused the preset dictionary");
            return JL_E_FORMAT;
        }
        z->next_in = (uint8_t *)(uintptr_t)(in + start);
        z->avail_in = (uint32_t)len;
        z->end_of_stream = (uint16_t)(last ? 1 : 0);
        z->flush = last ? NO_FLUSH : SYNC_FLUSH;
        for (;;) {
            if (s->cap - s->len < 64 && slot_grow(s, s->cap)) goto nomem;
            uint64_t room = s->cap - s->len;
            if (room > UINT32_MAX) room = UINT32_MAX;
            z->next_out = s->buf + s->len;
            z->avail_out = (uint32_t)room;
            int r = isal_deflate(z);
            if (r != COMP_OK) {
                snprintf(s->msg, sizeof s->msg, "ISA-L deflate failed (%d)", r);
                return JL_E_FORMAT;
            }
            s->len += room - z->avail_out;
            if (last ? z->internal_state.state == ZSTATE_END
                     : (z->avail_in == 0 && z->avail_out > 0))
                break;
            if (z->avail_in == 0 && z->avail_out == room) { /* no progress: never expected */
                snprintf(s->msg, sizeof s->msg, "ISA-L deflate stopped before the end");
                return JL_E_FORMAT;
            }
        }
        return JL_OK;
    }
#endif
    z_stream *z = &e->z;
    if (deflateReset(z) != Z_OK) {
        snprintf(s->msg, sizeof s->msg, "the zlib encoder cannot be reset");
        return JL_E_FORMAT;
    }
    if (dlen && deflateSetDictionary(z, in + start - dlen, (uInt)dlen) != Z_OK) {
        snprintf(s->msg, sizeof s->msg, "zlib refused the preset dictionary");
        return JL_E_FORMAT;
    }
    z->next_in = (Bytef *)(uintptr_t)(in + start);
    z->avail_in = (uInt)len;
    int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
        if (s->cap - s->len < 64 && slot_grow(s, s->cap)) goto nomem;
        uint64_t room = s->cap - s->len;
        if (room > UINT32_MAX) room = UINT32_MAX;
        z->next_out = s->buf + s->len;
        z->avail_out = (uInt)room;
        int zr = deflate(z, flush);
        s->len += room - z->avail_out;
        if (zr == Z_STREAM_END) break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            snprintf(s->msg, sizeof s->msg, "zlib encoder failed: %s",
                     z->msg ? z->msg : "internal error");
            return JL_E_FORMAT;
        }
        if (!last && z->avail_in == 0 && z->avail_out > 0) break; /* sync flush complete */
    }
    return JL_OK;
nomem:
    snprintf(s->msg, sizeof s->msg, "out of memory for a %llu-byte deflate block", ULL(len));
    return JL_E_NOMEM;
}

/* ---- the job shared by the threads ---------------------------------------------- */

typedef struct job {
    const uint8_t *in;
    uint64_t before; /* readable bytes in front of in, for the first block's dictionary */
    uint64_t n, block, nblocks;
    int isal, level, want_crc, last;
    pthread_mutex_t mu;
    pthread_cond_t can_take; /* a slot was freed, or stop */
    pthread_cond_t finished; /* a block is done */
    uint64_t next_take;      /* next block a worker takes */
    uint64_t next_out;       /* next block the writer appends */
    int stop;
    slot *slots;
    uint64_t nslots;
    int init_rc; /* first engine_init failure of a worker */
    char init_msg[160];
} job;

static void *worker(void *arg) {
    job *j = arg;
    engine e;
    char msg[160];
    int rc = engine_init(&e, j->isal, j->level, msg, sizeof msg);
    pthread_mutex_lock(&j->mu);
    if (rc && !j->init_rc) {
        j->init_rc = rc;
        memcpy(j->init_msg, msg, sizeof msg);
    }
    if (rc) {
        j->stop = 1;
        pthread_cond_broadcast(&j->finished);
        pthread_cond_broadcast(&j->can_take);
    }
    for (;;) {
        while (!j->stop && j->next_take < j->nblocks && j->next_take - j->next_out >= j->nslots)
            pthread_cond_wait(&j->can_take, &j->mu);
        if (j->stop || j->next_take >= j->nblocks) break;
        uint64_t i = j->next_take++;
        slot *s = &j->slots[i % j->nslots];
        pthread_mutex_unlock(&j->mu);
        uint64_t start = i * j->block;
        uint64_t len = j->n - start < j->block ? j->n - start : j->block;
        int brc = block_deflate(&e, j->in, j->before, start, len, j->last && i + 1 == j->nblocks,
                                j->want_crc, s);
        pthread_mutex_lock(&j->mu);
        s->rc = brc;
        s->index = i;
        s->done = 1;
        pthread_cond_broadcast(&j->finished);
    }
    pthread_mutex_unlock(&j->mu);
    engine_end(&e);
    return NULL;
}

/* ---- output ---------------------------------------------------------------------- */

typedef struct outbuf {
    const jl_alloc *a;
    uint8_t *p; /* owned: jl_free(a) unless handed to the caller */
    uint64_t len, cap;
} outbuf;

static int out_append(outbuf *o, const void *p, uint64_t n, jl_error *err) {
    if (o->cap - o->len < n) {
        uint64_t ncap = o->cap ? o->cap : 4096;
        while (ncap - o->len < n) {
            if (ncap > UINT64_MAX / 2) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "compressed stream too large");
            ncap *= 2;
        }
        void *q = ncap <= SIZE_MAX ? jl_realloc(o->a, o->p, (size_t)ncap) : NULL;
        if (!q)
            return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET,
                           "cannot allocate %llu bytes for the compressed stream", ULL(ncap));
        o->p = q;
        o->cap = ncap;
    }
    if (n) memcpy(o->p + o->len, p, (size_t)n);
    o->len += n;
    return JL_OK;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Hands slot s on to `put` and folds its checksum into *check (assigned
 * for the stream's first block, combined after). */
static int take_slot(jl_deflate_put put, void *ctx, slot *s, int first, int want_crc, uint32_t *check,
                     jl_error *err) {
    if (s->rc) return jl_fail(err, (jl_code)s->rc, JL_NO_OFFSET, "%s", s->msg);
    int rc = put(ctx, s->buf, s->len, err);
    if (rc) return rc;
    if (first)
        *check = s->check;
    else if (want_crc)
        *check = (uint32_t)crc32_combine(*check, s->check, (z_off_t)s->in_len);
    else
        *check = (uint32_t)adler32_combine(*check, s->check, (z_off_t)s->in_len);
    return JL_OK;
}

static int put_outbuf(void *ctx, const void *p, uint64_t n, jl_error *err) {
    return out_append(ctx, p, n, err);
}

static int online_cpus(void) {
    long k = sysconf(_SC_NPROCESSORS_ONLN);
    return k < 1 ? 1 : k > JL_PDEFLATE_MAX_THREADS ? JL_PDEFLATE_MAX_THREADS : (int)k;
}

/* The engine o asks for: 1 ISA-L, 0 zlib, -1 (err set) ISA-L asked of a
 * build without it. */
static int choose_isal(const jl_pdeflate_opts *o, jl_error *err) {
    jl_deflate_engine eng = o ? o->engine : JL_ENGINE_AUTO;
    int isal = 0;
    if (eng == JL_ENGINE_ISAL || eng == JL_ENGINE_AUTO) isal = jl_deflate_have_isal();
    if (eng == JL_ENGINE_ISAL && !isal) {
        jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no ISA-L support");
        return -1;
    }
    return isal;
}

static uint64_t block_size(const jl_pdeflate_opts *o) {
    uint64_t block = o && o->block ? o->block : JL_PDEFLATE_BLOCK;
    if (block < MIN_BLOCK) block = MIN_BLOCK;
    if (block > MAX_BLOCK) block = MAX_BLOCK;
    return block;
}

/* Deflates in[0..n) as blocks of `block` bytes, the last one ending the
 * stream when `last`, on up to `threads` threads; each block's raw output
 * goes to put in order. `first` when in starts the stream. */
static int deflate_blocks(int isal, int level, int want_crc, const uint8_t *in, uint64_t before,
                          uint64_t n, int last, uint64_t block, int threads, int first,
                          jl_deflate_put put, void *ctx, uint32_t *check, jl_error *err) {
    uint64_t nblocks = n ? (n - 1) / block + 1 : 1; /* an empty input is one empty final block */
    if ((uint64_t)threads > nblocks) threads = (int)nblocks;
    int rc = JL_OK;
    if (threads <= 1) {
        engine e;
        slot s;
        memset(&s, 0, sizeof s);
        rc = engine_init(&e, isal, level, s.msg, sizeof s.msg);
        if (rc) return jl_fail(err, (jl_code)rc, JL_NO_OFFSET, "%s", s.msg);
        for (uint64_t i = 0; i < nblocks && !rc; i++) {
            uint64_t start = i * block;
            uint64_t len = n - start < block ? n - start : block;
            s.rc = block_deflate(&e, in, before, start, len, last && i + 1 == nblocks, want_crc, &s);
            rc = take_slot(put, ctx, &s, first && i == 0, want_crc, check, err);
        }
        engine_end(&e);
        free(s.buf);
        return rc;
    }
    job j;
    memset(&j, 0, sizeof j);
    j.in = in;
    j.before = before;
    j.n = n;
    j.block = block;
    j.nblocks = nblocks;
    j.isal = isal;
    j.level = level;
    j.want_crc = want_crc;
    j.last = last;
    j.nslots = (uint64_t)threads * 2;
    j.slots = calloc((size_t)j.nslots, sizeof(slot));
    pthread_t tid[JL_PDEFLATE_MAX_THREADS];
    int started = 0;
    if (!j.slots) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for deflate threads");
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.can_take, NULL);
    pthread_cond_init(&j.finished, NULL);
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&tid[started], NULL, worker, &j) != 0) break;
        started++;
    }
    if (!started) {
        rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "cannot start a deflate thread");
    } else {
        pthread_mutex_lock(&j.mu);
        for (uint64_t i = 0; i < nblocks; i++) {
            slot *s = &j.slots[i % j.nslots];
            while (!(s->done && s->index == i) && !(j.stop && j.init_rc))
                pthread_cond_wait(&j.finished, &j.mu);
            if (!(s->done && s->index == i)) {
                rc = jl_fail(err, (jl_code)j.init_rc, JL_NO_OFFSET, "%s", j.init_msg);
                break;
            }
            pthread_mutex_unlock(&j.mu); /* the slot is ours until next_out moves */
            rc = take_slot(put, ctx, s, first && i == 0, want_crc, check, err);
            pthread_mutex_lock(&j.mu);
            s->done = 0;
            j.next_out = i + 1;
            if (rc) j.stop = 1;
            pthread_cond_broadcast(&j.can_take);
            if (rc) break;
        }
        j.stop = 1;
        pthread_cond_broadcast(&j.can_take);
        pthread_mutex_unlock(&j.mu);
    }
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    for (uint64_t k = 0; k < j.nslots; k++) free(j.slots[k].buf);
    free(j.slots);
    pthread_cond_destroy(&j.finished);
    pthread_cond_destroy(&j.can_take);
    pthread_mutex_destroy(&j.mu);
    return rc;
}

static int thread_count(const jl_pdeflate_opts *o) {
    int threads = o && o->threads > 0 ? o->threads : online_cpus();
    return threads > JL_PDEFLATE_MAX_THREADS ? JL_PDEFLATE_MAX_THREADS : threads;
}

uint64_t jl_deflate_parallel_block(const jl_pdeflate_opts *o) { return block_size(o); }

int jl_deflate_parallel_header(jl_deflate_wrap wrap, int level, uint8_t out[10]) {
    if (wrap == JL_WRAP_ZLIB) {
        static const uint8_t flg[4] = { 0x01, 0x5E, 0x9C, 0xDA };
        int lf = level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;
        out[0] = 0x78;
        out[1] = flg[lf];
        return 2;
    }
    if (wrap == JL_WRAP_GZIP) {
        static const uint8_t h[10] = { 0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03 };
        memcpy(out, h, sizeof h);
        out[8] = level == 9 ? 2 : level < 2 ? 4 : 0;
        return 10;
    }
    return 0;
}

int jl_deflate_parallel_trailer(jl_deflate_wrap wrap, uint32_t check, uint64_t total, uint8_t out[8]) {
    if (wrap == JL_WRAP_ZLIB) {
        put_be32(out, check);
        return 4;
    }
    if (wrap == JL_WRAP_GZIP) {
        put_le32(out, check);
        put_le32(out + 4, (uint32_t)total); /* ISIZE: the length modulo 2^32 */
        return 8;
    }
    return 0;
}

int jl_deflate_parallel_part(jl_deflate_wrap wrap, int level, const uint8_t *in, uint64_t before,
                             uint64_t n, int last, const jl_pdeflate_opts *o, jl_deflate_put put,
                             void *ctx, uint32_t *check, uint64_t *total, jl_error *err) {
    if (level < 1 || level > 9)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "deflate level must be 1..9, not %d", level);
    int isal = choose_isal(o, err);
    if (isal < 0) return err->code;
    uint64_t block = block_size(o);
    if (!last && n % block)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "a part of %llu bytes that does not end the stream "
                       "must be whole blocks of %llu", ULL(n), ULL(block));
    static const uint8_t empty[1];
    int rc = deflate_blocks(isal, level, wrap == JL_WRAP_GZIP, in ? in : empty, before, in ? n : 0, last,
                            block, thread_count(o), *total == 0, put, ctx, check, err);
    if (rc == JL_OK) *total += in ? n : 0;
    return rc;
}

int jl_deflate_parallel(jl_deflate_wrap wrap, int level, const uint8_t *in, uint64_t n,
                        const jl_pdeflate_opts *o, const jl_alloc *a, uint8_t **out,
                        uint64_t *out_len, jl_error *err) {
    *out = NULL;
    *out_len = 0;
    if (!a) a = jl_alloc_default();
    if (level < 1 || level > 9)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "deflate level must be 1..9, not %d", level);
    if (wrap != JL_WRAP_RAW && wrap != JL_WRAP_ZLIB && wrap != JL_WRAP_GZIP)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "unknown deflate wrapper %d", (int)wrap);
    int isal = choose_isal(o, err);
    if (isal < 0) return err->code;
    static const uint8_t empty[1];
    if (!in) {
        in = empty;
        n = 0;
    }
    uint64_t block = block_size(o);
    uint64_t nblocks = n ? (n - 1) / block + 1 : 1;
    int want_crc = wrap == JL_WRAP_GZIP;

    outbuf ob = { a, NULL, 0, 0 };
    int rc = JL_OK;
    /* the whole output, at once: untouched pages of a large reservation cost nothing */
    uint64_t guess = n + (n >> 10) + nblocks * 16 + 64;
    if (guess <= SIZE_MAX) {
        ob.p = jl_malloc(a, (size_t)guess);
        if (ob.p) ob.cap = guess;
    }
    uint8_t h[10];
    int hn = jl_deflate_parallel_header(wrap, level, h);
    if ((rc = out_append(&ob, h, (uint64_t)hn, err))) goto fail;
    uint32_t check = want_crc ? 0 : 1;
    rc = deflate_blocks(isal, level, want_crc, in, 0, n, 1, block, thread_count(o), 1, put_outbuf, &ob,
                        &check, err);
    if (rc) goto fail;
    uint8_t t[8];
    int tn = jl_deflate_parallel_trailer(wrap, check, n, t);
    if ((rc = out_append(&ob, t, (uint64_t)tn, err))) goto fail;
    if (ob.cap - ob.len > ob.len / 8 + 4096) {
        void *q = jl_realloc(a, ob.p, (size_t)(ob.len ? ob.len : 1));
        if (q) ob.p = q; /* a failed shrink keeps the larger buffer */
    }
    *out = ob.p;
    *out_len = ob.len;
    return JL_OK;
fail:
    jl_free(a, ob.p);
    return rc;
}

/* ---- ISA-L inflate ------------------------------------------------------------------ */

#ifdef HAVE_ISAL
/* isal_inflate's failures in zlib's words (its msg strings). */
static const struct {
    int r;
    const char *why;
} isal_why[] = {
    { ISAL_INVALID_BLOCK, "invalid block type" },
    { ISAL_INVALID_SYMBOL, "invalid code" },
    { ISAL_INVALID_LOOKBACK, "invalid distance too far back" },
    { ISAL_INVALID_WRAPPER, "incorrect header" },
    { ISAL_INCORRECT_CHECKSUM, "incorrect data check" },
    { ISAL_NEED_DICT, "needs a preset dictionary" },
    { ISAL_UNSUPPORTED_METHOD, "unknown compression method" },
    { ISAL_DECOMP_OK, "no progress" }, /* returned with nothing read or written */
};

int jl_isal_fail(int r, const char *name, uint64_t at, jl_error *err) {
    const char *why = "invalid data";
    for (size_t i = 0; i < sizeof isal_why / sizeof *isal_why; i++)
        if (isal_why[i].r == r) why = isal_why[i].why;
    return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "%s data is corrupt at compressed byte %llu: %s", name, ULL(at), why);
}

uint64_t jl_isal_in_pos(const struct inflate_state *st, uint64_t fed) {
    return fed - st->avail_in - (st->read_in_length > 0 ? (uint64_t)st->read_in_length / 8 : 0);
}
#endif

int jl_inflate_isal(jl_deflate_wrap wrap, const uint8_t *in, uint64_t n, uint64_t base,
                    const jl_alloc *a, jl_out_room_fn room, jl_out_commit_fn commit, void *ctx,
                    uint64_t *used, jl_error *err) {
    *used = 0;
#ifndef HAVE_ISAL
    (void)wrap; (void)in; (void)n; (void)base; (void)a; (void)room; (void)commit; (void)ctx;
    return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no ISA-L support");
#else
    const char *name = wrap == JL_WRAP_GZIP ? "gzip" : wrap == JL_WRAP_ZLIB ? "zlib" : "deflate";
    if (!a) a = jl_alloc_default();
    struct inflate_state *st = jl_malloc(a, sizeof *st); /* ~40 KiB: not on the stack */
    if (!st) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", name);
    isal_inflate_init(st);
    st->crc_flag = wrap == JL_WRAP_GZIP ? ISAL_GZIP : wrap == JL_WRAP_ZLIB ? ISAL_ZLIB : 0;
    int rc = JL_OK;
    uint64_t fed = 0, total = 0;
    for (;;) {
        if (st->avail_in == 0 && fed < n) {
            uint64_t k = n - fed < ((uint64_t)1 << 30) ? n - fed : ((uint64_t)1 << 30);
            st->next_in = (uint8_t *)(uintptr_t)(in + fed);
            st->avail_in = (uint32_t)k;
            fed += k;
        }
        uint8_t *dst;
        uint64_t win;
        if ((rc = room(ctx, &dst, &win, err))) break;
        if (win > ((uint64_t)1 << 30)) win = (uint64_t)1 << 30;
        st->next_out = dst;
        st->avail_out = (uint32_t)win;
        uint64_t in_before = fed - st->avail_in;
        int r = isal_inflate(st);
        uint64_t produced = win - st->avail_out;
        total += produced;
        if ((rc = commit(ctx, produced, err))) break;
        uint64_t at = base + jl_isal_in_pos(st, fed);
        if (r < 0 || r == ISAL_NEED_DICT) {
            rc = jl_isal_fail(r, name, at, err);
            break;
        }
        if (st->block_state == ISAL_BLOCK_FINISH) break;
        /* all input given, room left, nothing more came out: the stream is cut short */
        if (st->avail_in == 0 && fed == n && st->avail_out > 0) {
            rc = jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                         "file is truncated: the %s stream stops after %llu compressed bytes, "
                         "before its end (%llu bytes decompressed)",
                         name, ULL(base + n), ULL(total));
            break;
        }
        if (produced == 0 && fed - st->avail_in == in_before && st->avail_out > 0) {
            rc = jl_isal_fail(ISAL_DECOMP_OK, name, at, err);
            break;
        }
    }
    /* ISA-L hands back the bytes it had read ahead when the member ends */
    *used = fed - st->avail_in;
    jl_free(a, st);
    return rc;
#endif
}
