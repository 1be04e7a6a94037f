/*
 * pull.c - a compressed stream decompressed on a helper thread into a
 * ring of JL_PULL_SLOTS pieces of JL_LAZY_CHUNK bytes (pull.h; smaller in
 * the fuzz build, JL_PULL_PIECE_MAX). The thread runs jl_seek_index_build
 * (jl_decompress_each for a compressor without an index); its emit copies
 * each piece into the next free slot, waiting while all are full, unless
 * the decoder inflated it there already (`piece` hands the free slot out:
 * ISA-L's zlib/gzip engine does, saving a copy of the whole stream). The
 * reader holds one slot
 * between calls and frees it on the next. Stopping sets `cancel`, which
 * makes the waiting emit or piece return, and joins the thread.
 */
#include "pull.h"

#include "seek_index.h"
#include "shared.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define JL_PULL_SLOTS 4

struct jl_pull {
    const jl_alloc *a;
    jl_compression c;
    const uint8_t *in;
    uint64_t n, max_out;
    int mapped;            /* in is a file mapping: release its pages as it is read */
    uint64_t out, released_at; /* bytes emitted; at the last release */
    uint64_t in_at;        /* input the decoder has read up to, or UNKNOWN (seek_index.h) */
    uintptr_t in_free;     /* pages of `in` below this address are handed back */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *slot[JL_PULL_SLOTS]; /* in one shared block (huge pages) when ring is set, else each from a */
    uint8_t *ring;
    uint64_t slot_len[JL_PULL_SLOTS];
    unsigned head, count;  /* first full slot, full slots */
    int holding;           /* the reader holds slot[head] */
    int done, cancel;      /* thread finished / asked to stop */
    int rc;                /* the decoder's result once done */
    jl_error err;          /* its error */
    jl_seek_index *index;  /* where reads can start again (until taken) */
};

/* in_at of a builder that does not say where its decoder is */
#define UNKNOWN UINT64_MAX

/* Hands the compressed mapping's pages back: those the decoder has passed
 * since the last time, or the whole mapping when it does not say where it
 * is (madvise then walks all its page tables). The decoder is paused here,
 * and a page it still reads faults back in (clean, file-backed). */
static void release_input(jl_pull *s) {
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || s->n == 0) return;
    uintptr_t mask = ~(uintptr_t)(page - 1);
    uintptr_t end = (uintptr_t)s->in + s->n;
    if (s->in_at != UNKNOWN) end = ((uintptr_t)s->in + (s->in_at < s->n ? s->in_at : s->n)) & mask;
    uintptr_t start = s->in_at != UNKNOWN && s->in_free ? s->in_free : (uintptr_t)s->in & mask;
    if (end <= start) return;
    (void)madvise((void *)start, (size_t)(end - start), MADV_DONTNEED);
    s->in_free = end;
}

/* The largest piece handed to the reader: the decompressor's (JL_LAZY_CHUNK)
 * in the library; the fuzz build defines it small, so that streams of a
 * few KiB cross piece boundaries wherever the reader can meet one. */
#ifndef JL_PULL_PIECE_MAX
#define JL_PULL_PIECE_MAX JL_LAZY_CHUNK
#endif

static int emit_piece(jl_pull *s, const uint8_t *p, uint64_t n, jl_error *err);

static int emit(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    int rc = JL_OK;
    for (; n > JL_PULL_PIECE_MAX && !rc; p += JL_PULL_PIECE_MAX, n -= JL_PULL_PIECE_MAX)
        rc = emit_piece(ctx, p, JL_PULL_PIECE_MAX, err);
    return rc ? rc : emit_piece(ctx, p, n, err);
}

static int emit_piece(jl_pull *s, const uint8_t *p, uint64_t n, jl_error *err) {
    s->out += n; /* only this thread */
    if (s->mapped && s->out - s->released_at >= JL_PULL_RELEASE) {
        release_input(s);
        s->released_at = s->out;
    }
    pthread_mutex_lock(&s->mu);
    while (s->count == JL_PULL_SLOTS && !s->cancel) pthread_cond_wait(&s->cv, &s->mu);
    if (s->cancel) {
        pthread_mutex_unlock(&s->mu);
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "decompression stopped by its reader");
    }
    unsigned i = (s->head + s->count) % JL_PULL_SLOTS;
    pthread_mutex_unlock(&s->mu);
    if (p != s->slot[i]) memcpy(s->slot[i], p, (size_t)n); /* only this thread writes a free slot */
    pthread_mutex_lock(&s->mu);
    s->slot_len[i] = n;
    s->count++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return JL_OK;
}

/* The free slot the next piece goes in, once there is one (jl_piece_fn):
 * it stays free until emit fills it, as only this thread fills slots and
 * the reader's releases leave head + count where it is. */
static int piece(void *ctx, uint8_t **dst, jl_error *err) {
    jl_pull *s = ctx;
    pthread_mutex_lock(&s->mu);
    while (s->count == JL_PULL_SLOTS && !s->cancel) pthread_cond_wait(&s->cv, &s->mu);
    int cancel = s->cancel;
    *dst = s->slot[(s->head + s->count) % JL_PULL_SLOTS];
    pthread_mutex_unlock(&s->mu);
    if (cancel) return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "decompression stopped by its reader");
    return JL_OK;
}

static void *run(void *arg) {
    jl_pull *s = arg;
    jl_error err;
    jl_error_clear(&err);
    /* slots smaller than a decoder's piece (the fuzz build) cannot take one whole */
    jl_piece_fn offer = JL_PULL_PIECE_MAX == JL_LAZY_CHUNK ? piece : NULL;
    int rc = jl_seek_index_build(s->c, s->in, s->n, s->a, 0, s->max_out, emit, offer, &s->in_at, s, &s->index, &err);
    pthread_mutex_lock(&s->mu);
    s->rc = rc;
    s->err = err;
    s->done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void pull_free(jl_pull *s) {
    jl_seek_index_free(s->index);
    if (s->ring) jl_shared_unref(s->ring);
    else
        for (unsigned i = 0; i < JL_PULL_SLOTS; i++) jl_free(s->a, s->slot[i]);
    jl_free(s->a, s);
}

int jl_pull_start(jl_compression c, const uint8_t *in, uint64_t n, int mapped, const jl_alloc *a,
                  uint64_t max_out, jl_pull **out, jl_error *err) {
    *out = NULL;
    if (!a) a = jl_alloc_default();
    jl_pull *s = jl_malloc(a, sizeof *s);
    if (!s) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory starting a %s reader", jl_compression_name(c));
    memset(s, 0, sizeof *s);
    s->a = a;
    s->c = c;
    s->in = in;
    s->n = n;
    s->mapped = mapped;
    s->in_at = UNKNOWN;
    s->max_out = max_out;
    uint64_t got = 0; /* the slots are written whole: huge pages save a fault per 4 KiB */
    if (JL_PULL_PIECE_MAX == JL_LAZY_CHUNK) s->ring = jl_shared_new(JL_PULL_SLOTS * JL_PULL_PIECE_MAX, &got);
    for (unsigned i = 0; i < JL_PULL_SLOTS; i++)
        if (!(s->slot[i] = s->ring ? s->ring + i * JL_PULL_PIECE_MAX : jl_malloc(a, (size_t)JL_PULL_PIECE_MAX))) {
            pull_free(s);
            return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for the %s reader's %d MiB of buffers",
                           jl_compression_name(c), (int)((JL_PULL_SLOTS * JL_PULL_PIECE_MAX) >> 20));
        }
    if (pthread_mutex_init(&s->mu, NULL)) {
        pull_free(s);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "cannot make a lock for the %s reader", jl_compression_name(c));
    }
    if (pthread_cond_init(&s->cv, NULL)) {
        pthread_mutex_destroy(&s->mu);
        pull_free(s);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "cannot make a condition for the %s reader", jl_compression_name(c));
    }
    if (pthread_create(&s->thread, NULL, run, s)) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        pull_free(s);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "cannot start a thread for the %s reader", jl_compression_name(c));
    }
    *out = s;
    return JL_OK;
}

int jl_pull_next(jl_pull *s, const uint8_t **p, uint64_t *n, jl_error *err) {
    pthread_mutex_lock(&s->mu);
    if (s->holding) {
        s->holding = 0;
        s->head = (s->head + 1) % JL_PULL_SLOTS;
        s->count--;
        pthread_cond_broadcast(&s->cv);
    }
    while (s->count == 0 && !s->done) pthread_cond_wait(&s->cv, &s->mu);
    int rc = JL_OK;
    if (s->count) {
        s->holding = 1;
        *p = s->slot[s->head];
        *n = s->slot_len[s->head];
    } else {
        *p = NULL;
        *n = 0;
        rc = s->rc;
        if (rc) *err = s->err;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void jl_pull_stop(jl_pull *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->cancel = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    pull_free(s);
}

jl_seek_index *jl_pull_take_index(jl_pull *s) {
    pthread_mutex_lock(&s->mu);
    jl_seek_index *ix = s->done ? s->index : NULL;
    if (ix) s->index = NULL;
    pthread_mutex_unlock(&s->mu);
    return ix;
}
