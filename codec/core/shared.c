/*
 * shared.c - reference-counted anonymous mappings (shared.h): 2 MiB
 * aligned mappings advised for huge pages, growth by mremap, the atomic
 * count in the header page, the registry that finds a block from any byte
 * inside it, and the helper thread that faults pages in ahead of a writer.
 */
#define _GNU_SOURCE /* mremap */
#include "shared.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__linux__) && defined(MREMAP_MAYMOVE)

#define ALIGN_2M ((uint64_t)2 << 20) /* a huge page: mappings start and end on one */

/* The prefault helper of one block (malloc'd: the mapping may move). It
 * faults in [done, want) from base in steps, the lock released during a
 * step (busy); base is NULL while the block moves or shrinks. */
typedef struct prefault {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* wakes the helper (work, stop) and the writer (step over) */
    uint8_t *base;
    uint64_t done, want;
    int busy, stop;
} prefault;

typedef struct head {
    atomic_uint_fast64_t refs;
    uint64_t map_len;         /* the whole mapping, this page included */
    struct head *prev, *next; /* registry of live blocks */
    prefault *pf;             /* the helper, or NULL */
} head;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static head *reg_first;
static uint64_t reg_count;

static uint64_t page_size(void) {
    long ps = sysconf(_SC_PAGESIZE);
    return ps > 0 ? (uint64_t)ps : 4096;
}

static head *head_of(const uint8_t *p) { return (head *)(uintptr_t)(p - page_size()); }
static uint8_t *data_of(head *h) { return (uint8_t *)h + page_size(); }
static uint64_t cap_of(const head *h) { return h->map_len - page_size(); }

/* Mapping length for cap bytes after the header: whole huge pages; 0 when
 * too big. */
static uint64_t map_len_for(uint64_t cap) {
    uint64_t n;
    if (__builtin_add_overflow(cap, (uint64_t)(page_size() + ALIGN_2M - 1), &n)) return 0;
    n -= n % ALIGN_2M;
    return n > SIZE_MAX / 2 ? 0 : n;
}

/* A 2 MiB aligned mapping of len bytes (len + 2 MiB mapped, the ends cut). */
static uint8_t *map_aligned(uint64_t len) {
    size_t total = (size_t)(len + ALIGN_2M);
    uint8_t *r = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) return NULL;
    uint8_t *a = (uint8_t *)(((uintptr_t)r + ALIGN_2M - 1) & ~(uintptr_t)(ALIGN_2M - 1));
    if (a > r) munmap(r, (size_t)(a - r));
    if (r + total > a + len) munmap(a + len, (size_t)(r + total - (a + len)));
    return a;
}

static void advise_huge(void *p, uint64_t len) {
#ifdef MADV_HUGEPAGE
    madvise(p, (size_t)len, MADV_HUGEPAGE); /* advice: a refusal changes nothing */
#else
    (void)p, (void)len;
#endif
}

static void reg_link(head *h) {
    pthread_mutex_lock(&reg_lock);
    h->prev = NULL;
    h->next = reg_first;
    if (reg_first) reg_first->prev = h;
    reg_first = h;
    reg_count++;
    pthread_mutex_unlock(&reg_lock);
}

static void reg_unlink(head *h) {
    pthread_mutex_lock(&reg_lock);
    if (h->prev) h->prev->next = h->next;
    else reg_first = h->next;
    if (h->next) h->next->prev = h->prev;
    reg_count--;
    pthread_mutex_unlock(&reg_lock);
}

/* ---- prefaulting ------------------------------------------------------------ */

#ifdef MADV_POPULATE_WRITE
#define PF_STEP ((size_t)2 << 20)     /* one huge page per call */
#define PF_AHEAD ((uint64_t)32 << 20) /* how far ahead of the writer */

static void *pf_main(void *arg) {
    prefault *pf = arg;
    pthread_mutex_lock(&pf->mu);
    while (!pf->stop) {
        if (!pf->base || pf->done >= pf->want) {
            pthread_cond_wait(&pf->cv, &pf->mu);
            continue;
        }
        uint8_t *at = pf->base + pf->done;
        size_t k = pf->want - pf->done < PF_STEP ? (size_t)(pf->want - pf->done) : PF_STEP;
        pf->busy = 1;
        pthread_mutex_unlock(&pf->mu);
        int rc = madvise(at, k, MADV_POPULATE_WRITE);
        pthread_mutex_lock(&pf->mu);
        pf->busy = 0;
        pf->done += k;
        if (rc != 0) pf->stop = 1; /* kernel < 5.14 (EINVAL) or no memory: the writer faults */
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

void jl_shared_prefault(uint8_t *p) {
    head *h = head_of(p);
    if (h->pf) return;
    prefault *pf = calloc(1, sizeof *pf); /* not the caller's allocator: any thread frees it */
    if (!pf) return;
    pf->base = p;
    if (pthread_mutex_init(&pf->mu, NULL) != 0) goto no_mutex;
    if (pthread_cond_init(&pf->cv, NULL) != 0) goto no_cond;
    if (pthread_create(&pf->thread, NULL, pf_main, pf) != 0) goto no_thread;
    h->pf = pf;
    return;
no_thread:
    pthread_cond_destroy(&pf->cv);
no_cond:
    pthread_mutex_destroy(&pf->mu);
no_mutex:
    free(pf);
}

void jl_shared_written(const uint8_t *p, uint64_t n) {
    head *h = head_of(p);
    prefault *pf = h->pf;
    if (!pf) return;
    uint64_t cap = cap_of(h), want = n >= cap || cap - n < PF_AHEAD ? cap : n + PF_AHEAD;
    pthread_mutex_lock(&pf->mu);
    if (want > pf->want) {
        pf->want = want;
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
}
#else
void jl_shared_prefault(uint8_t *p) { (void)p; }
void jl_shared_written(const uint8_t *p, uint64_t n) { (void)p, (void)n; }
#endif

/* Waits out the helper's step in flight and points it at base (NULL:
 * pause), keeping it within cap bytes. */
static void pf_rebase(prefault *pf, uint8_t *base, uint64_t cap) {
    pthread_mutex_lock(&pf->mu);
    while (pf->busy) pthread_cond_wait(&pf->cv, &pf->mu);
    pf->base = base;
    if (pf->want > cap) pf->want = cap;
    if (pf->done > cap) pf->done = cap;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

void jl_shared_prefault_end(const uint8_t *p) {
    head *h = head_of(p);
    prefault *pf = h->pf;
    if (!pf) return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->thread, NULL);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf);
    h->pf = NULL;
}

/* ---- blocks ------------------------------------------------------------------ */

uint8_t *jl_shared_new(uint64_t cap, uint64_t *got) {
    uint64_t len = map_len_for(cap);
    uint8_t *base = len ? map_aligned(len) : NULL;
    if (!base) return NULL;
    advise_huge(base, len);
    head *h = (head *)base;
    atomic_init(&h->refs, 1);
    h->map_len = len;
    h->pf = NULL;
    reg_link(h);
    *got = cap_of(h);
    return data_of(h);
}

uint8_t *jl_shared_resize(uint8_t *p, uint64_t cap, uint64_t *got) {
    head *h = head_of(p);
    uint64_t len = map_len_for(cap), old = h->map_len;
    if (!len) return NULL;
    if (h->pf) pf_rebase(h->pf, NULL, cap_of(h)); /* no step in flight while it changes */
    if (len <= old) { /* shrinking never moves; a failed cut keeps the tail */
        pthread_mutex_lock(&reg_lock); /* lookups read map_len */
        if (len < old && munmap((uint8_t *)h + len, (size_t)(old - len)) == 0) h->map_len = len;
        pthread_mutex_unlock(&reg_lock);
        if (h->pf) pf_rebase(h->pf, p, cap_of(h));
        *got = cap_of(h);
        return p;
    }
    /* out of the registry while it moves: only its one owner can look for it */
    reg_unlink(h);
    /* in place when the space after is free, else moved: page tables move,
     * not bytes (recent kernels pick a 2 MiB aligned spot, so huge pages
     * move whole) */
    void *q = mremap(h, (size_t)old, (size_t)len, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) {
        reg_link(h);
        if (h->pf) pf_rebase(h->pf, p, cap_of(h));
        return NULL;
    }
    h = q;
    h->map_len = len;
    advise_huge(h, len);
    reg_link(h);
    if (h->pf) pf_rebase(h->pf, data_of(h), cap_of(h)); /* faulted pages moved along */
    *got = cap_of(h);
    return data_of(h);
}

void jl_shared_ref(const uint8_t *p) {
    atomic_fetch_add_explicit(&head_of(p)->refs, 1, memory_order_relaxed);
}

void jl_shared_unref(const uint8_t *p) {
    if (!p) return;
    head *h = head_of(p);
    if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1) return;
    jl_shared_prefault_end(p);
    reg_unlink(h);
    munmap(h, (size_t)h->map_len);
}

const uint8_t *jl_shared_find(const void *q) {
    uintptr_t at = (uintptr_t)q;
    const uint8_t *found = NULL;
    pthread_mutex_lock(&reg_lock);
    for (head *h = reg_first; h; h = h->next)
        if (at >= (uintptr_t)data_of(h) && at < (uintptr_t)h + h->map_len) {
            found = data_of(h);
            break;
        }
    pthread_mutex_unlock(&reg_lock);
    return found;
}

uint64_t jl_shared_refs(const uint8_t *p) {
    return (uint64_t)atomic_load_explicit(&head_of(p)->refs, memory_order_relaxed);
}

uint64_t jl_shared_live(void) {
    pthread_mutex_lock(&reg_lock);
    uint64_t n = reg_count;
    pthread_mutex_unlock(&reg_lock);
    return n;
}

#else /* no mremap: no shared blocks, callers keep their allocator */

uint8_t *jl_shared_new(uint64_t cap, uint64_t *got) {
    (void)cap, (void)got;
    return NULL;
}
uint8_t *jl_shared_resize(uint8_t *p, uint64_t cap, uint64_t *got) {
    (void)p, (void)cap, (void)got;
    return NULL;
}
void jl_shared_ref(const uint8_t *p) { (void)p; }
void jl_shared_unref(const uint8_t *p) { (void)p; }
void jl_shared_prefault(uint8_t *p) { (void)p; }
void jl_shared_written(const uint8_t *p, uint64_t n) { (void)p, (void)n; }
void jl_shared_prefault_end(const uint8_t *p) { (void)p; }
const uint8_t *jl_shared_find(const void *q) {
    (void)q;
    return NULL;
}
uint64_t jl_shared_refs(const uint8_t *p) {
    (void)p;
    return 0;
}
uint64_t jl_shared_live(void) { return 0; }

#endif

void jl_shared_unref_at(const void *q) { jl_shared_unref(jl_shared_find(q)); }
