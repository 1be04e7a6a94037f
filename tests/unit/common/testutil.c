/*
 * testutil.c - helpers for the cmocka unit tests (see testutil.h).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode.h"
#include "writer.h"

#include "container.h"
#ifdef HAVE_LZMA
#include <lzma.h>
#endif

uint8_t *jl_test_read_file(const char *path, uint64_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) *len = (uint64_t)n;
    return p;
}

const char *jl_test_corpus_dir(void) {
    static char dir[4096];
    struct stat st;
    const char *env = getenv("JL_CORPUS_DIR");
    if (env && *env) snprintf(dir, sizeof dir, "%s", env);
    else {
        const char *src = getenv("JL_SOURCE_DIR");
        snprintf(dir, sizeof dir, "%s/../shared/corpus/joblib-upstream", src ? src : ".");
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return dir;
}

const char *jl_test_path(const char *dir, const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

/* Each block carries its size in front so that realloc can be counted. */
/* 1 when this call is to fail */
static int t_fails(jl_test_alloc *t) {
    if (t->fail_after < 0 || t->calls < t->fail_after) return 0;
    if (t->once) t->fail_after = -1;
    return 1;
}

static void *t_malloc(void *ctx, size_t n) {
    jl_test_alloc *t = ctx;
    if (t_fails(t)) return NULL;
    t->calls++;
    void *p = malloc(n);
    if (p) t->live++;
    return p;
}
static void *t_realloc(void *ctx, void *p, size_t n) {
    jl_test_alloc *t = ctx;
    if (t_fails(t)) return NULL;
    t->calls++;
    void *q = realloc(p, n);
    if (q && !p) t->live++;
    return q;
}
static void t_free(void *ctx, void *p) {
    jl_test_alloc *t = ctx;
    if (p) t->live--;
    free(p);
}

void jl_test_alloc_init(jl_test_alloc *t, long fail_after) {
    t->alloc.malloc = t_malloc;
    t->alloc.realloc = t_realloc;
    t->alloc.free = t_free;
    t->alloc.ctx = t;
    t->fail_after = fail_after;
    t->calls = 0;
    t->live = 0;
    t->once = 0;
}

int jl_test_have_shared(void) {
    uint64_t got;
    uint8_t *p = jl_shared_new(1, &got);
    jl_shared_unref(p);
    return p != NULL;
}

uint8_t *jl_test_pattern(uint64_t n, unsigned seed) {
    uint8_t *p = malloc(n ? (size_t)n : 1);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)((i / 97) * 31 + (i % 7 == 0 ? seed : 0));
    return p;
}

uint8_t *jl_test_text_noise(uint64_t n, uint32_t seed) {
    static const char words[] = "joblib numpy array pickle frame ";
    uint8_t *p = malloc(n ? (size_t)n : 1);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (i / 64) % 3 == 0 ? (uint8_t)(seed >> 16) : (uint8_t)words[(i + (seed >> 28)) % (sizeof words - 1)];
    }
    return p;
}

void jl_test_random_reads(jl_test_read_fn read, const void *ix, const uint8_t *z, uint64_t zn, const uint8_t *raw,
                          uint64_t n, int count, uint64_t big) {
    uint8_t *dst = malloc((size_t)n);
    assert_non_null(dst);
    uint32_t seed = 7;
    for (int i = 0; i < count + 2; i++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t off = i == count ? 0 : i == count + 1 ? n - 1 : ((uint64_t)seed << 8 ^ seed >> 8) % n;
        seed = seed * 1103515245u + 12345u;
        uint64_t len = i >= count ? 1 : 1 + seed % (i % 4 == 0 ? big : 4096);
        if (len > n - off) len = n - off;
        jl_error err;
        jl_error_clear(&err);
        memset(dst, 0xA5, (size_t)len);
        if (read(ix, z, zn, off, dst, len, &err))
            fail_msg("read %llu+%llu: %s", (unsigned long long)off, (unsigned long long)len, err.message);
        if (memcmp(dst, raw + off, (size_t)len) != 0)
            fail_msg("read %llu+%llu: bytes differ", (unsigned long long)off, (unsigned long long)len);
    }
    free(dst);
}

int jl_test_collect(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    jl_test_sink *s = ctx;
    if (s->pieces < 512) s->sizes[s->pieces] = n;
    if (n != JL_LAZY_CHUNK) s->short_pieces++;
    if (++s->pieces == s->fail_at)
        return jl_fail(err, JL_E_IO, JL_NO_OFFSET, "consumer refused piece %llu", (unsigned long long)s->pieces);
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, (size_t)s->cap);
        assert_non_null(s->p);
    }
    memcpy(s->p + s->len, p, (size_t)n);
    s->len += n;
    return JL_OK;
}

#ifdef HAVE_LZMA
uint8_t *jl_test_xz_blocks(const uint8_t *raw, uint64_t n, uint64_t block, uint64_t *zn) {
    lzma_mt mt;
    memset(&mt, 0, sizeof mt);
    mt.threads = 2;
    mt.block_size = block;
    mt.preset = 1;
    mt.check = LZMA_CHECK_CRC64;
    lzma_stream z = LZMA_STREAM_INIT;
    assert_int_equal(lzma_stream_encoder_mt(&z, &mt), LZMA_OK);
    size_t cap = lzma_stream_buffer_bound((size_t)n) + (size_t)(n / block + 1) * 64;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    z.next_in = raw;
    z.avail_in = (size_t)n;
    z.next_out = out;
    z.avail_out = cap;
    lzma_ret r;
    while ((r = lzma_code(&z, LZMA_FINISH)) == LZMA_OK) {}
    assert_int_equal(r, LZMA_STREAM_END);
    *zn = z.total_out;
    lzma_end(&z);
    return out;
}
#endif
void jl_test_write_file(const char *path, const void *p, uint64_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, (size_t)n, f), (size_t)n);
    assert_int_equal(fclose(f), 0);
}

void jl_test_pair_open(jl_test_pair *p, struct jl_doc *src, uint32_t root, int c, const char *tag,
                       const jl_limits *lim) {
    jl_open_opts o = { NULL, lim };
    jl_error err;
    jl_error_clear(&err);
    uint8_t *z;
    uint64_t zn;
    jl_write_opts none = { 4, JL_COMP_NONE, 0 }, comp = { 4, (jl_compression)c, 1 };
    memset(p, 0, sizeof *p);
    assert_int_equal(jl_write_bundle(src, root, &none, &p->plain, &p->pn, &err), JL_OK);
    assert_int_equal(jl_write_bundle(src, root, &comp, &z, &zn, &err), JL_OK);
    snprintf(p->path, sizeof p->path, "/tmp/jl-%s-%d-%d.pkl", tag, (int)getpid(), c);
    snprintf(p->ppath, sizeof p->ppath, "/tmp/jl-%s-%d-plain.pkl", tag, (int)getpid());
    jl_test_write_file(p->path, z, zn);
    jl_test_write_file(p->ppath, p->plain, p->pn);
    jl_free(&src->alloc, z);
    assert_int_equal(jl_open_file(p->ppath, &o, &p->ref, &err), JL_OK);
    assert_int_equal(jl_open_file(p->path, &o, &p->d, &err), JL_OK);
}

void jl_test_pair_close(jl_test_pair *p, struct jl_doc *src) {
    jl_doc_free(p->d);
    jl_doc_free(p->ref);
    unlink(p->path);
    unlink(p->ppath);
    jl_free(&src->alloc, p->plain);
}
