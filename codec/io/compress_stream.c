/*
 * compress_stream.c - the writers' compressors fed piece by piece
 * (compress_stream.h says what each container does and why its bytes are
 * jl_compress's). Same libraries and parameters as container.c's encoders:
 * bz2 BZ2_bzCompressInit(level, 0, 0); xz lzma_easy_encoder(level,
 * CRC64); lzma-alone lzma_alone_encoder(preset level); lz4 frames of
 * linked 64 KiB blocks without checksums, 4 MiB per LZ4F_compressUpdate.
 */
#include "compress_stream.h"

#include <string.h>
#include <zlib.h>
#ifdef HAVE_BZ2
#include <bzlib.h>
#endif
#ifdef HAVE_LZMA
#include <lzma.h>
#endif
#ifdef HAVE_LZ4
#define LZ4F_STATIC_LINKING_ONLY /* LZ4F_createCompressionContext_advanced, lz4 >= 1.9.4 */
#include <lz4.h>
#include <lz4frame.h>
#if LZ4_VERSION_NUMBER >= 10904
#define JL_LZ4_CUSTOM_MEM 1
#endif
#endif

#define DICT ((uint64_t)32768)          /* deflate's window: a part's dictionary */
#define WINDOW ((uint64_t)1 << 20)      /* output window of the library encoders */
#define LZ4_PIECE ((uint64_t)1 << 22)   /* container.c's enc_lz4 piece */

typedef enum mode {
    M_HOLD,     /* zlib/gzip under 4 MiB so far, ZF: held, jl_compress at the end */
    M_PDEFLATE, /* zlib/gzip past 4 MiB: parts through jl_deflate_parallel_part */
    M_BZ2,
    M_LZMA,     /* xz and lzma-alone */
    M_LZ4,
    M_NONE
} mode;

struct jl_zstream {
    jl_compression c;
    int level;
    const jl_alloc *a;
    jl_deflate_put out;
    void *ctx;
    mode m;
    int failed;     /* the first failure's code: later calls return it */
    uint64_t total; /* input taken */
    /* M_HOLD, M_PDEFLATE, M_LZ4: held input (owned, jl_free). M_PDEFLATE:
     * buf[0..keep) is the dictionary, buf[keep..len) the pending input */
    uint8_t *buf;
    uint64_t len, cap, keep;
    /* M_PDEFLATE */
    uint64_t block, pd_total;
    uint32_t check;
    /* library encoders: output window (owned, jl_free) */
    uint8_t *win;
    uint64_t wcap;
#ifdef HAVE_BZ2
    bz_stream bz;
    int bz_ready;
#endif
#ifdef HAVE_LZMA
    lzma_allocator la;
    lzma_stream lz;
    int lz_ready;
#endif
#ifdef HAVE_LZ4
    LZ4F_cctx *l4;
    LZ4F_preferences_t prefs;
#endif
};

static int fail(jl_zstream *z, int rc) {
    if (!z->failed) z->failed = rc;
    return rc;
}

static int nomem(jl_zstream *z, jl_error *err, const char *what) {
    return fail(z, jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for the %s %s",
                           jl_compression_name(z->c), what));
}

/* Grows buf to hold `need` bytes. */
static int buf_reserve(jl_zstream *z, uint64_t need, jl_error *err) {
    if (need <= z->cap) return JL_OK;
    uint64_t ncap = z->cap ? z->cap : 65536;
    while (ncap < need) ncap *= 2;
    void *q = ncap <= SIZE_MAX ? jl_realloc(z->a, z->buf, (size_t)ncap) : NULL;
    if (!q)
        return fail(z, jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET,
                               "cannot allocate %llu bytes to compress the stream",
                               (unsigned long long)ncap));
    z->buf = q;
    z->cap = ncap;
    return JL_OK;
}

static int hold(jl_zstream *z, const uint8_t *p, uint64_t n, jl_error *err) {
    int rc = buf_reserve(z, z->len + n, err);
    if (rc) return rc;
    if (n) memcpy(z->buf + z->len, p, (size_t)n);
    z->len += n;
    return JL_OK;
}

static int emit(jl_zstream *z, const void *p, uint64_t n, jl_error *err) {
    if (!n) return JL_OK;
    int rc = z->out(z->ctx, p, n, err);
    return rc ? fail(z, rc) : JL_OK;
}

/* ---- zlib and gzip ---------------------------------------------------------- */

static jl_deflate_wrap wrap_of(const jl_zstream *z) {
    return z->c == JL_COMP_GZIP ? JL_WRAP_GZIP : JL_WRAP_ZLIB;
}

/* Held input reached JL_PDEFLATE_MIN: the stream will be jl_compress's
 * parallel one. Writes its header. */
static int pdeflate_start(jl_zstream *z, jl_error *err) {
    uint8_t h[10];
    int hn = jl_deflate_parallel_header(wrap_of(z), z->level, h);
    z->m = M_PDEFLATE;
    z->block = jl_deflate_parallel_block(NULL);
    z->check = z->c == JL_COMP_GZIP ? 0 : 1;
    z->keep = 0;
    return emit(z, h, (uint64_t)hn, err);
}

/* Deflates the first n pending bytes (whole blocks unless last), then keeps
 * their last 32 KiB as the next part's dictionary. */
static int pdeflate_part(jl_zstream *z, uint64_t n, int last, jl_error *err) {
    int rc = jl_deflate_parallel_part(wrap_of(z), z->level, z->buf + z->keep, z->keep, n, last, NULL,
                                      z->out, z->ctx, &z->check, &z->pd_total, err);
    if (rc) return fail(z, rc);
    uint64_t end = z->keep + n;
    uint64_t dict = end < DICT ? end : DICT;
    memmove(z->buf, z->buf + end - dict, (size_t)(z->len - end + dict));
    z->len -= end - dict;
    z->keep = dict;
    return JL_OK;
}

static int pdeflate_write(jl_zstream *z, const uint8_t *p, uint64_t n, jl_error *err) {
    /* copied in pieces: a part needs its dictionary just before it */
    int rc = buf_reserve(z, DICT + JL_ZSTREAM_BATCH + z->block, err);
    if (rc) return rc;
    while (n) {
        uint64_t take = z->cap - z->len < n ? z->cap - z->len : n;
        memcpy(z->buf + z->len, p, (size_t)take);
        z->len += take;
        p += take;
        n -= take;
        /* a batch goes once a byte after it is known: it does not end the stream */
        while (z->len - z->keep > JL_ZSTREAM_BATCH)
            if ((rc = pdeflate_part(z, JL_ZSTREAM_BATCH, 0, err))) return rc;
    }
    return JL_OK;
}

static int pdeflate_finish(jl_zstream *z, jl_error *err) {
    int rc = pdeflate_part(z, z->len - z->keep, 1, err);
    if (rc) return rc;
    uint8_t t[8];
    int tn = jl_deflate_parallel_trailer(wrap_of(z), z->check, z->pd_total, t);
    return emit(z, t, (uint64_t)tn, err);
}

/* ---- held whole: jl_compress at the end ---------------------------------------- */

static int hold_finish(jl_zstream *z, jl_error *err) {
    uint8_t *out = NULL;
    uint64_t n = 0;
    int rc = jl_compress(z->c, z->level, z->buf, z->len, z->a, &out, &n, err);
    if (rc) return fail(z, rc);
    jl_free(z->a, z->buf);
    z->buf = NULL;
    z->len = z->cap = 0;
    rc = emit(z, out, n, err);
    jl_free(z->a, out);
    return rc;
}

/* ---- bzip2 ------------------------------------------------------------------------ */

#ifdef HAVE_BZ2
static void *bz_alloc(void *opaque, int items, int size) {
    if (items < 0 || size < 0) return NULL;
    return jl_malloc(opaque, (size_t)items * (size_t)size);
}
static void bz_free(void *opaque, void *p) { jl_free(opaque, p); }

static int bz2_run(jl_zstream *z, const uint8_t *p, uint64_t n, int finish, jl_error *err) {
    bz_stream *b = &z->bz;
    for (;;) {
        if (b->avail_in == 0 && n) {
            unsigned k = n > (1u << 30) ? 1u << 30 : (unsigned)n;
            b->next_in = (char *)(uintptr_t)p;
            b->avail_in = k;
            p += k;
            n -= k;
        }
        b->next_out = (char *)z->win;
        b->avail_out = (unsigned)z->wcap;
        int br = BZ2_bzCompress(b, finish && !n ? BZ_FINISH : BZ_RUN);
        int rc = emit(z, z->win, z->wcap - b->avail_out, err);
        if (rc) return rc;
        if (br == BZ_STREAM_END) return JL_OK;
        if (br != BZ_RUN_OK && br != BZ_FINISH_OK)
            return fail(z, jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "bz2 encoder failed (%d)", br));
        if (!finish && b->avail_in == 0 && !n) return JL_OK;
    }
}
#endif

/* ---- xz and lzma-alone ---------------------------------------------------------------- */

#ifdef HAVE_LZMA
static void *lz_alloc(void *opaque, size_t nmemb, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(nmemb, size, &bytes)) return NULL;
    return jl_malloc(opaque, bytes);
}
static void lz_free(void *opaque, void *p) { jl_free(opaque, p); }

static int lzma_run(jl_zstream *z, const uint8_t *p, uint64_t n, int finish, jl_error *err) {
    lzma_stream *s = &z->lz;
    s->next_in = p;
    s->avail_in = (size_t)n;
    for (;;) {
        s->next_out = z->win;
        s->avail_out = (size_t)z->wcap;
        lzma_ret r = lzma_code(s, finish ? LZMA_FINISH : LZMA_RUN);
        int rc = emit(z, z->win, z->wcap - s->avail_out, err);
        if (rc) return rc;
        if (r == LZMA_STREAM_END) return JL_OK;
        if (r != LZMA_OK)
            return r == LZMA_MEM_ERROR ? nomem(z, err, "encoder")
                                       : fail(z, jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "%s encoder failed (%d)",
                                                         jl_compression_name(z->c), (int)r));
        if (!finish && s->avail_in == 0) return JL_OK;
    }
}
#endif

/* ---- lz4 frame ------------------------------------------------------------------------ */

#ifdef HAVE_LZ4
#ifdef JL_LZ4_CUSTOM_MEM
static void *l4_alloc(void *opaque, size_t n) { return jl_malloc(opaque, n); }
static void l4_free(void *opaque, void *p) { jl_free(opaque, p); }
#endif

static int lz4_fail(jl_zstream *z, size_t r, jl_error *err) {
    if (LZ4F_getErrorCode(r) == LZ4F_ERROR_allocation_failed) return nomem(z, err, "encoder");
    return fail(z, jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "lz4 encoder failed: %s", LZ4F_getErrorName(r)));
}

/* Compresses the held piece (LZ4_PIECE bytes, or the rest at the end). */
static int lz4_piece(jl_zstream *z, jl_error *err) {
    if (!z->len) return JL_OK;
    size_t r = LZ4F_compressUpdate(z->l4, z->win, (size_t)z->wcap, z->buf, (size_t)z->len, NULL);
    if (LZ4F_isError(r)) return lz4_fail(z, r, err);
    z->len = 0;
    return emit(z, z->win, r, err);
}

static int lz4_write(jl_zstream *z, const uint8_t *p, uint64_t n, jl_error *err) {
    while (n) {
        uint64_t take = LZ4_PIECE - z->len < n ? LZ4_PIECE - z->len : n;
        memcpy(z->buf + z->len, p, (size_t)take);
        z->len += take;
        p += take;
        n -= take;
        if (z->len == LZ4_PIECE) {
            int rc = lz4_piece(z, err);
            if (rc) return rc;
        }
    }
    return JL_OK;
}
#endif

/* ---- the stream ------------------------------------------------------------------------- */

static int start_library(jl_zstream *z, jl_error *err) {
    switch (z->c) {
#ifdef HAVE_BZ2
    case JL_COMP_BZ2:
        z->m = M_BZ2;
        z->bz.bzalloc = bz_alloc;
        z->bz.bzfree = bz_free;
        z->bz.opaque = (void *)z->a;
        if (BZ2_bzCompressInit(&z->bz, z->level, 0, 0) != BZ_OK) return nomem(z, err, "encoder");
        z->bz_ready = 1;
        return JL_OK;
#endif
#ifdef HAVE_LZMA
    case JL_COMP_XZ:
    case JL_COMP_LZMA: {
        z->m = M_LZMA;
        z->la = (lzma_allocator){ lz_alloc, lz_free, (void *)z->a };
        lzma_stream init = LZMA_STREAM_INIT;
        z->lz = init;
        z->lz.allocator = &z->la;
        lzma_ret r;
        if (z->c == JL_COMP_LZMA) {
            lzma_options_lzma opt;
            if (lzma_lzma_preset(&opt, (uint32_t)z->level))
                return fail(z, jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "lzma preset %d is not supported", z->level));
            r = lzma_alone_encoder(&z->lz, &opt);
        } else {
            r = lzma_easy_encoder(&z->lz, (uint32_t)z->level, LZMA_CHECK_CRC64);
        }
        if (r != LZMA_OK)
            return r == LZMA_MEM_ERROR ? nomem(z, err, "encoder")
                                       : fail(z, jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "%s encoder rejects preset %d",
                                                         jl_compression_name(z->c), z->level));
        z->lz_ready = 1;
        return JL_OK;
    }
#endif
#ifdef HAVE_LZ4
    case JL_COMP_LZ4: {
        z->m = M_LZ4;
        memset(&z->prefs, 0, sizeof z->prefs);
        z->prefs.frameInfo.blockSizeID = LZ4F_max64KB;
        z->prefs.frameInfo.blockMode = LZ4F_blockLinked;
        z->prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
        z->prefs.frameInfo.frameType = LZ4F_frame;
        z->prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
        z->prefs.compressionLevel = z->level;
#ifdef JL_LZ4_CUSTOM_MEM
        z->l4 = LZ4F_createCompressionContext_advanced((LZ4F_CustomMem){ l4_alloc, NULL, l4_free, (void *)z->a },
                                                       LZ4F_VERSION);
#else
        if (LZ4F_isError(LZ4F_createCompressionContext(&z->l4, LZ4F_VERSION))) z->l4 = NULL;
#endif
        if (!z->l4) return nomem(z, err, "encoder");
        size_t bound = LZ4F_compressBound((size_t)LZ4_PIECE, &z->prefs);
        if (bound < LZ4F_HEADER_SIZE_MAX) bound = LZ4F_HEADER_SIZE_MAX;
        z->wcap = bound;
        z->win = jl_malloc(z->a, bound);
        if (!z->win || buf_reserve(z, LZ4_PIECE, err)) return nomem(z, err, "encoder");
        size_t r = LZ4F_compressBegin(z->l4, z->win, (size_t)z->wcap, &z->prefs);
        if (LZ4F_isError(r)) return lz4_fail(z, r, err);
        return emit(z, z->win, r, err);
    }
#endif
    default:
        return fail(z, jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no %s support",
                               jl_compression_name(z->c)));
    }
}

int jl_zstream_open(jl_compression c, int level, const jl_alloc *a, jl_deflate_put out, void *ctx,
                    jl_zstream **zs, jl_error *err) {
    *zs = NULL;
    if (!a) a = jl_alloc_default();
    if ((unsigned)c >= JL_COMP_COUNT) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "unknown compression %d", (int)c);
    /* the level ranges and availability are jl_compress's: ask it with no input */
    uint8_t *probe = NULL;
    uint64_t pn = 0;
    int rc = jl_compress(c, level, NULL, 0, a, &probe, &pn, err);
    jl_free(a, probe);
    if (rc) return rc;
    jl_zstream *z = jl_malloc(a, sizeof *z);
    if (!z) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for the %s encoder", jl_compression_name(c));
    memset(z, 0, sizeof *z);
    z->c = c;
    z->level = level;
    z->a = a;
    z->out = out;
    z->ctx = ctx;
    *zs = z;
    switch (c) {
    case JL_COMP_NONE: z->m = M_NONE; return JL_OK;
    case JL_COMP_ZLIB:
    case JL_COMP_GZIP:
    case JL_COMP_ZF: z->m = M_HOLD; return JL_OK;
    default: break;
    }
    if (c != JL_COMP_LZ4) {
        z->wcap = WINDOW;
        z->win = jl_malloc(a, (size_t)WINDOW);
        if (!z->win) return nomem(z, err, "encoder");
    }
    return start_library(z, err);
}

int jl_zstream_write(jl_zstream *z, const void *p, uint64_t n, jl_error *err) {
    if (z->failed) return z->failed;
    if (n == 0) return JL_OK;
    const uint8_t *q = p;
    int rc = JL_OK;
    switch (z->m) {
    case M_NONE: rc = emit(z, q, n, err); break;
    case M_HOLD:
        if (z->c == JL_COMP_ZF || z->len + n < JL_PDEFLATE_MIN) {
            rc = hold(z, q, n, err);
        } else { /* the stream reaches 4 MiB: from now on the parallel one */
            if ((rc = pdeflate_start(z, err))) break;
            rc = pdeflate_write(z, q, n, err);
        }
        break;
    case M_PDEFLATE: rc = pdeflate_write(z, q, n, err); break;
#ifdef HAVE_BZ2
    case M_BZ2: rc = bz2_run(z, q, n, 0, err); break;
#endif
#ifdef HAVE_LZMA
    case M_LZMA: rc = lzma_run(z, q, n, 0, err); break;
#endif
#ifdef HAVE_LZ4
    case M_LZ4: rc = lz4_write(z, q, n, err); break;
#endif
    default: rc = fail(z, jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "no encoder")); break;
    }
    if (rc == JL_OK) z->total += n;
    return rc;
}

int jl_zstream_finish(jl_zstream *z, jl_error *err) {
    if (z->failed) return z->failed;
    switch (z->m) {
    case M_NONE: return JL_OK;
    case M_HOLD: return hold_finish(z, err);
    case M_PDEFLATE: return pdeflate_finish(z, err);
#ifdef HAVE_BZ2
    case M_BZ2: return bz2_run(z, NULL, 0, 1, err);
#endif
#ifdef HAVE_LZMA
    case M_LZMA: return lzma_run(z, NULL, 0, 1, err);
#endif
#ifdef HAVE_LZ4
    case M_LZ4: {
        int rc = lz4_piece(z, err);
        if (rc) return rc;
        size_t r = LZ4F_compressEnd(z->l4, z->win, (size_t)z->wcap, NULL);
        if (LZ4F_isError(r)) return lz4_fail(z, r, err);
        return emit(z, z->win, r, err);
    }
#endif
    default: return fail(z, jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "no encoder"));
    }
}

uint64_t jl_zstream_total(const jl_zstream *z) { return z->total; }

void jl_zstream_free(jl_zstream *z) {
    if (!z) return;
#ifdef HAVE_BZ2
    if (z->bz_ready) BZ2_bzCompressEnd(&z->bz);
#endif
#ifdef HAVE_LZMA
    if (z->lz_ready) lzma_end(&z->lz);
#endif
#ifdef HAVE_LZ4
    if (z->l4) LZ4F_freeCompressionContext(z->l4);
#endif
    jl_free(z->a, z->buf);
    jl_free(z->a, z->win);
    jl_free(z->a, z);
}
