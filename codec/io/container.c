/*
 * container.c - the compression layer around a bundle's stream
 * (docs/FORMAT.md section 2), for every joblib version from 0.8.4 on:
 *
 *   zlib        RFC 1950 (joblib >= 0.10, compress=True / '.z')
 *   gzip        RFC 1952, any header fields, concatenated members
 *   bz2         bzip2 streams (BZh1..BZh9), concatenated streams
 *   lzma        "lzma-alone" (13-byte header, known or unknown size)
 *   xz          .xz streams, concatenated streams
 *   lz4         LZ4 frames (joblib >= 0.12, python-lz4 LZ4FrameFile)
 *   zf          joblib <= 0.9.4: "ZF" + hex length field (19 or 20 wide)
 *               + zlib stream; also the framing of .npy.z sidecars
 *
 * Detection checks a full magic, never a file name. Decompression runs
 * the whole stream into one buffer that grows geometrically up to max_out
 * and stops with JL_E_LIMIT as soon as the stream has one byte more (the
 * extra byte lands in a one-byte probe, never in a larger allocation).
 * For jl_decompress_block, a buffer that grows past JL_SHARED_MIN moves to
 * a shared block (shared.h: huge pages, grown by mremap without a copy).
 * Compression writes the exact framing joblib writes (docs/FORMAT.md 2.2).
 *
 * Every library allocates through the caller's jl_alloc (zalloc, bzalloc,
 * lzma_allocator, LZ4F_CustomMem), so a failing allocator reaches all
 * error paths and ext/ can account the memory to SQLite.
 */
#include "container.h"
#include "deflate_parallel.h"
#include "shared.h"
#include "text.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#ifdef HAVE_BZ2
#include <bzlib.h>
#endif
#ifdef HAVE_LZMA
#include <lzma.h>
#endif
#ifdef HAVE_LZ4
#define LZ4F_STATIC_LINKING_ONLY /* LZ4F_create*_advanced (custom allocator), lz4 >= 1.9.4 */
#include <lz4.h>
#include <lz4frame.h>
#if LZ4_VERSION_NUMBER >= 10904
#define JL_LZ4_CUSTOM_MEM 1
#endif
#endif

/* Largest piece handed to a library in one call (zlib and bzip2 count in
 * 32-bit unsigned ints). */
#define CHUNK ((uint64_t)1 << 30)

#define ULL(x) ((unsigned long long)(x))

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* ---- output sink ------------------------------------------------------ */

/* The growing output of one (de)compression. */
typedef struct sink {
    const jl_alloc *a;
    uint8_t *p;       /* owned: jl_free(a) (or jl_shared_unref) unless sink_take took it */
    uint64_t len, cap;
    int can_share;    /* 1: past JL_SHARED_MIN, p becomes a shared block */
    int shared;       /* 1: p is a shared block's data, not from a */
    uint64_t max;     /* bytes the output may have */
    uint64_t first;   /* capacity of the first allocation */
    int zf;           /* 1: max is the size a ZF header announces */
    int probing;      /* 1: the last window handed out was `probe` */
    uint8_t probe;    /* receives the byte after max, if the stream has one */
    const char *what; /* "decompressed" or "compressed", for messages */
    /* streaming (jl_decompress_each): p is a window of cap bytes handed to
     * emit each time it is full; total counts the bytes emitted before it */
    jl_emit_fn emit;
    void *ectx;
    uint64_t total;
} sink;

static void sink_init(sink *s, const jl_alloc *a, uint64_t max, uint64_t first, const char *what) {
    memset(s, 0, sizeof *s);
    s->a = a;
    s->max = max;
    s->first = first ? min64(first, max) : min64(1, max);
    s->what = what;
}

/* Ensures cap - len >= need without passing max. */
static int sink_reserve(sink *s, uint64_t need, jl_error *err) {
    if (s->cap - s->len >= need) return JL_OK;
    uint64_t want = s->len + need; /* need <= max - len, checked by callers */
    uint64_t ncap = s->cap ? (s->cap > UINT64_MAX / 2 ? UINT64_MAX : s->cap * 2) : s->first;
    if (ncap < want) ncap = want;
    if (ncap > s->max) ncap = s->max;
    if (ncap > SIZE_MAX)
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET,
                       "cannot allocate %llu bytes for the %s stream", ULL(ncap), s->what);
    if (s->shared || (s->can_share && ncap >= JL_SHARED_MIN)) {
        uint64_t got = 0;
        uint8_t *q = s->shared ? jl_shared_resize(s->p, ncap, &got) : jl_shared_new(ncap, &got);
        if (q && !s->shared) { /* from the allocator's buffer: one copy of < JL_SHARED_MIN */
            if (s->len) memcpy(q, s->p, (size_t)s->len);
            jl_free(s->a, s->p);
            s->shared = 1;
            jl_shared_prefault(q); /* fresh pages get zeroed on another core */
        }
        if (q) {
            s->p = q;
            s->cap = min64(got, s->max);
            return JL_OK;
        }
        if (s->shared)
            return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET,
                           "cannot map %llu bytes for the %s stream", ULL(ncap), s->what);
        /* no mapping to be had: the allocator may still do */
    }
    void *q = jl_realloc(s->a, s->p, (size_t)ncap);
    if (!q)
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET,
                       "cannot allocate %llu bytes for the %s stream", ULL(ncap), s->what);
    s->p = q;
    s->cap = ncap;
    return JL_OK;
}

/* The next window to write into: free room in the buffer (growing it when
 * full), or the one-byte probe once the buffer holds max bytes. */
static int sink_flush(sink *s, jl_error *err);

static int sink_room(sink *s, uint8_t **dst, uint64_t *room, jl_error *err) {
    if (s->emit) { /* a full window goes to the consumer; the limit counts every byte */
        if (s->len == s->cap) {
            int rc = sink_flush(s, err);
            if (rc) return rc;
        }
        if (s->total == s->max) {
            *dst = &s->probe;
            *room = 1;
            s->probing = 1;
            return JL_OK;
        }
        *dst = s->p + s->len;
        *room = min64(s->cap - s->len, s->max - s->total);
        s->probing = 0;
        return JL_OK;
    }
    if (s->len == s->cap && s->cap < s->max) {
        int rc = sink_reserve(s, 1, err);
        if (rc) return rc;
    }
    if (s->len < s->cap) {
        *dst = s->p + s->len;
        *room = min64(s->cap - s->len, s->shared ? JL_SHARED_WRITE_STEP : CHUNK);
        s->probing = 0;
    } else {
        *dst = &s->probe;
        *room = 1;
        s->probing = 1;
    }
    return JL_OK;
}

/* Accounts `produced` bytes written into the last window. */
static int sink_commit(sink *s, uint64_t produced, jl_error *err) {
    if (!produced) return JL_OK;
    if (s->probing) {
        if (s->zf)
            return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                           "ZF stream inflates to more than the %llu bytes its header announces",
                           ULL(s->max));
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET,
                       "decompressed size exceeds the limit of %llu bytes", ULL(s->max));
    }
    s->len += produced;
    if (s->emit) s->total += produced;
    if (s->shared) jl_shared_written(s->p, s->len);
    return JL_OK;
}

/* Streaming: hands the window's bytes to the consumer. */
static int sink_flush(sink *s, jl_error *err) {
    if (!s->len) return JL_OK;
    int rc = s->emit(s->ectx, s->p, s->len, err);
    s->len = 0;
    return rc;
}

/* Bytes decompressed so far, for messages. */
static uint64_t sink_count(const sink *s) { return s->emit ? s->total : s->len; }

static int sink_append(sink *s, const void *p, uint64_t n, jl_error *err) {
    int rc = sink_reserve(s, n, err);
    if (rc) return rc;
    if (n) memcpy(s->p + s->len, p, (size_t)n);
    s->len += n;
    return JL_OK;
}

/* Hands the bytes to the caller (never NULL), trimming a loose buffer;
 * *shared (when not NULL) tells a shared block from an allocation. */
static int sink_take(sink *s, uint8_t **out, uint64_t *out_len, int *shared, jl_error *err) {
    if (shared) *shared = s->shared;
    if (s->shared) {
        uint64_t got;
        jl_shared_prefault_end(s->p);
        uint8_t *q = jl_shared_resize(s->p, s->len, &got); /* cuts unused huge pages */
        if (q) s->p = q;
    } else if (!s->p) {
        s->p = jl_malloc(s->a, 1);
        if (!s->p)
            return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET,
                           "cannot allocate 1 byte for the %s stream", s->what);
        s->cap = 1;
    } else if (s->cap - s->len > s->len / 8 + 4096) {
        void *q = jl_realloc(s->a, s->p, (size_t)(s->len ? s->len : 1));
        if (q) s->p = q; /* a failed shrink keeps the larger buffer */
    }
    *out = s->p;
    *out_len = s->len;
    s->p = NULL;
    s->len = s->cap = 0;
    s->shared = 0;
    return JL_OK;
}

static void sink_free(sink *s) {
    if (s->shared) jl_shared_unref(s->p);
    else jl_free(s->a, s->p);
    s->p = NULL;
}

/* The input ends before the stream does: `at` compressed bytes were read
 * (the whole input) and s holds what they decoded to. */
static int fail_truncated(jl_error *err, const char *name, uint64_t at, const sink *s) {
    return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                   "file is truncated: the %s stream stops after %llu compressed bytes, "
                   "before its end (%llu bytes decompressed)",
                   name, ULL(at), ULL(sink_count(s)));
}

static int fail_corrupt(jl_error *err, const char *name, uint64_t at, const char *why) {
    return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "%s data is corrupt at compressed byte %llu: %s",
                   name, ULL(at), why ? why : "invalid data");
}

static int fail_nomem(jl_error *err, const char *name, const char *what) {
    return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s %s", name, what);
}

/* ---- magic detection -------------------------------------------------- */

static uint32_t rd32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A zlib header (CMF, FLG) and, if present, a first deflate block type
 * other than the reserved 3. */
static int zlib_header_ok(const uint8_t *p, uint64_t n) {
    if (n < 2 || (p[0] & 0x0F) != 8 || (p[0] >> 4) > 7 || ((p[0] << 8) | p[1]) % 31 != 0) return 0;
    if (n >= 3 && !(p[1] & 0x20) && ((p[2] >> 1) & 3) == 3) return 0;
    return 1;
}

/* The ZF header: "ZF", then a 19-byte field "0x" + hex digits + spaces,
 * then an optional 0x20 (the 20-wide field of joblib <= 0.8.4 on Python 2)
 * and the zlib stream. With n short, checks what is there. Sets *len
 * (UINT64_MAX when the digits overflow) and *start (21 or 22). */
#define ZF_FIELD_END 21
static int zf_header(const uint8_t *p, uint64_t n, uint64_t *len, uint64_t *start) {
    if (n < 5 || p[0] != 'Z' || p[1] != 'F' || p[2] != '0' || p[3] != 'x' || jl_hex_digit(p[4]) < 0)
        return 0;
    uint64_t end = min64(n, ZF_FIELD_END), i = 4, v = 0;
    int overflow = 0;
    for (; i < end && jl_hex_digit(p[i]) >= 0; i++) {
        if (v > (UINT64_MAX >> 4)) overflow = 1;
        v = (v << 4) | (uint64_t)jl_hex_digit(p[i]);
    }
    while (i < end && p[i] == ' ') i++;
    if (i < end) return 0;
    *len = overflow ? UINT64_MAX : v;
    *start = (n > ZF_FIELD_END && p[ZF_FIELD_END] == ' ') ? ZF_FIELD_END + 1 : ZF_FIELD_END;
    return 1;
}

static int more_zlib(const uint8_t *p, uint64_t n) { return zlib_header_ok(p, n); }

static int more_gzip(const uint8_t *p, uint64_t n) {
    return n < 4 || (p[3] & 0xE0) == 0; /* reserved FLG bits */
}

static int more_bz2(const uint8_t *p, uint64_t n) {
    static const uint8_t block[6] = { 0x31, 0x41, 0x59, 0x26, 0x53, 0x59 }; /* BCD pi */
    static const uint8_t eos[6] = { 0x17, 0x72, 0x45, 0x38, 0x50, 0x90 };   /* BCD sqrt(pi) */
    if (n < 4 || p[3] < '1' || p[3] > '9') return 0;
    uint64_t k = min64(n - 4, 6);
    return memcmp(p + 4, block, (size_t)k) == 0 || memcmp(p + 4, eos, (size_t)k) == 0;
}

/* Dictionary size 2^k or 2^k + 2^(k-1) (what every lzma encoder writes) or
 * UINT32_MAX, and a size that is unknown or below 2^38 (liblzma's rules). */
static int more_lzma(const uint8_t *p, uint64_t n) {
    if (n >= 5) {
        uint32_t d = rd32le(p + 1);
        uint32_t low = d & (~d + 1), rest = d - low;
        if (d == 0 || (d != UINT32_MAX && rest != 0 && rest != 2 * low)) return 0;
    }
    if (n >= 13) {
        uint64_t size = (uint64_t)rd32le(p + 5) | (uint64_t)rd32le(p + 9) << 32;
        if (size != UINT64_MAX && size >= ((uint64_t)1 << 38)) return 0;
    }
    return 1;
}

static int more_lz4(const uint8_t *p, uint64_t n) {
    if (n >= 5 && ((p[4] & 0xC0) != 0x40 || (p[4] & 0x02))) return 0; /* version 01, reserved bit */
    if (n >= 6 && ((p[5] & 0x8F) || ((p[5] >> 4) & 7) < 4)) return 0; /* BD: block max 4..7 */
    return 1;
}

static int more_zf(const uint8_t *p, uint64_t n) {
    uint64_t len, start;
    if (!zf_header(p, n, &len, &start)) return 0;
    return n <= start || zlib_header_ok(p + start, n - start);
}

static const struct {
    jl_compression kind;
    uint8_t len;
    uint8_t magic[6];
    int (*more)(const uint8_t *p, uint64_t n); /* checks past the magic; n >= len */
} magics[] = {
    { JL_COMP_ZLIB, 1, { 0x78 }, more_zlib },
    { JL_COMP_GZIP, 3, { 0x1F, 0x8B, 0x08 }, more_gzip },
    { JL_COMP_BZ2, 3, { 'B', 'Z', 'h' }, more_bz2 },
    { JL_COMP_LZMA, 2, { 0x5D, 0x00 }, more_lzma },
    { JL_COMP_XZ, 6, { 0xFD, '7', 'z', 'X', 'Z', 0x00 }, NULL },
    { JL_COMP_LZ4, 4, { 0x04, 0x22, 0x4D, 0x18 }, more_lz4 },
    { JL_COMP_ZF, 2, { 'Z', 'F' }, more_zf },
};

jl_compression jl_detect(const uint8_t *p, uint64_t n) {
    if (!p) return JL_COMP_NONE;
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        if (n < magics[i].len || memcmp(p, magics[i].magic, magics[i].len) != 0) continue;
        if (!magics[i].more || magics[i].more(p, n)) return magics[i].kind;
    }
    return JL_COMP_NONE;
}

/* ---- zlib, gzip and the inner stream of ZF ---------------------------- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    return jl_malloc(opaque, (size_t)items * size); /* 32 x 32 bits fits size_t */
}
static void z_free(voidpf opaque, voidpf p) { jl_free(opaque, p); }

/* Inflates one zlib (wbits 15) or gzip (wbits 31) member from in[0..n);
 * `base` is the offset of `in` in the container, for messages. */
#ifdef HAVE_ISAL
static int isal_room(void *ctx, uint8_t **dst, uint64_t *room, jl_error *err) {
    return sink_room(ctx, dst, room, err);
}
static int isal_commit(void *ctx, uint64_t produced, jl_error *err) {
    return sink_commit(ctx, produced, err);
}
#endif

static int inflate_member(const uint8_t *in, uint64_t n, uint64_t base, int wbits, const char *name,
                          sink *s, uint64_t *used, jl_error *err) {
#ifdef HAVE_ISAL
    if (!s->emit) { /* streaming: what was emitted cannot be taken back */
    /* ISA-L inflates the same streams 2-4x faster than zlib; a stream cut
     * short is inflated again by zlib, whose prefix is the one Python's
     * reader hands the unpickler (ISA-L may stop a few bytes before). */
    uint64_t len0 = s->len;
    int irc = jl_inflate_isal(wbits == 31 ? JL_WRAP_GZIP : JL_WRAP_ZLIB, in, n, base, s->a,
                              isal_room, isal_commit, s, used, err);
    if (irc != JL_E_TRUNCATED) return irc;
    s->len = len0;
    jl_error_clear(err);
    }
#endif
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    z.opaque = (voidpf)s->a;
    int zr = inflateInit2(&z, wbits);
    if (zr == Z_MEM_ERROR) return fail_nomem(err, name, "decoder");
    if (zr != Z_OK)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "the %s decoder cannot start (%d)", name,
                       zr);
    int rc = JL_OK;
    uint64_t fed = 0;
    for (;;) {
        if (z.avail_in == 0 && fed < n) {
            uint64_t k = min64(n - fed, CHUNK);
            z.next_in = (Bytef *)(uintptr_t)(in + fed);
            z.avail_in = (uInt)k;
            fed += k;
        }
        uint8_t *dst;
        uint64_t room;
        if ((rc = sink_room(s, &dst, &room, err))) break;
        z.next_out = dst;
        z.avail_out = (uInt)room;
        zr = inflate(&z, Z_NO_FLUSH);
        if ((rc = sink_commit(s, room - z.avail_out, err))) break;
        uint64_t at = base + fed - z.avail_in;
        if (zr == Z_STREAM_END) break;
        if (zr == Z_OK) continue;
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && fed == n)
            rc = fail_truncated(err, name, base + n, s);
        else if (zr == Z_MEM_ERROR)
            rc = fail_nomem(err, name, "decoder");
        else if (zr == Z_NEED_DICT)
            rc = fail_corrupt(err, name, at, "needs a preset dictionary");
        else
            rc = fail_corrupt(err, name, at, z.msg);
        break;
    }
    *used = fed - z.avail_in;
    inflateEnd(&z);
    return rc;
}

static int dec_zlib(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                    jl_error *err) {
    return inflate_member(in, n, base, 15, "zlib", s, used, err);
}

static int dec_gzip(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                    jl_error *err) {
    return inflate_member(in, n, base, 31, "gzip", s, used, err);
}

/* Deflates in[0..n) after what s already holds. */
static int deflate_into(sink *s, int level, int wbits, const char *name, const uint8_t *in,
                        uint64_t n, jl_error *err) {
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    z.opaque = (voidpf)s->a;
    int zr = deflateInit2(&z, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
    if (zr == Z_MEM_ERROR) return fail_nomem(err, name, "encoder");
    if (zr != Z_OK)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "the %s encoder cannot start (%d)", name,
                       zr);
    int rc = JL_OK;
    uint64_t fed = 0;
    if (n < (uint64_t)ULONG_MAX / 2) {
        uLong bound = deflateBound(&z, (uLong)n);
        if ((rc = sink_reserve(s, bound, err))) goto done;
    }
    for (;;) {
        if (z.avail_in == 0 && fed < n) {
            uint64_t k = min64(n - fed, CHUNK);
            z.next_in = (Bytef *)(uintptr_t)(in + fed);
            z.avail_in = (uInt)k;
            fed += k;
        }
        uint8_t *dst;
        uint64_t room;
        if ((rc = sink_room(s, &dst, &room, err))) break;
        z.next_out = dst;
        z.avail_out = (uInt)room;
        zr = deflate(&z, fed == n ? Z_FINISH : Z_NO_FLUSH);
        s->len += room - z.avail_out;
        if (zr == Z_STREAM_END) break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "%s encoder failed: %s", name,
                         z.msg ? z.msg : "internal error");
            break;
        }
    }
done:
    deflateEnd(&z);
    return rc;
}

/* Large inputs: deflated in blocks on every core into one stream
 * (deflate_parallel.h); small ones keep zlib's single stream, the exact
 * bytes joblib writes. */
static int deflate_big(jl_deflate_wrap wrap, int level, const uint8_t *in, uint64_t n, sink *s,
                       jl_error *err) {
    uint8_t *buf;
    uint64_t len;
    int rc = jl_deflate_parallel(wrap, level, in, n, NULL, s->a, &buf, &len, err);
    if (rc) return rc;
    if (!s->p) { /* take the buffer as the sink's */
        s->p = buf;
        s->len = s->cap = len;
        return JL_OK;
    }
    rc = sink_append(s, buf, len, err);
    jl_free(s->a, buf);
    return rc;
}

static int enc_zlib(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err) {
    if (n >= JL_PDEFLATE_MIN) return deflate_big(JL_WRAP_ZLIB, level, in, n, s, err);
    return deflate_into(s, level, 15, "zlib", in, n, err);
}

/* joblib's BinaryGzipFile is zlib with wbits 31: header 1F 8B 08, FLG 0,
 * MTIME 0, XFL as zlib sets it (00; 04 at level 1, 02 at level 9), OS 03. */
static int enc_gzip(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err) {
    static const uint8_t head[8] = { 0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00 };
    if (n >= JL_PDEFLATE_MIN) return deflate_big(JL_WRAP_GZIP, level, in, n, s, err);
    int rc = deflate_into(s, level, 31, "gzip", in, n, err);
    if (rc) return rc;
    if (s->len < 18 || memcmp(s->p, head, sizeof head) != 0)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "zlib wrote an unexpected gzip header");
    s->p[9] = 0x03; /* OS = Unix whatever this zlib says (no FHCRC covers it) */
    return JL_OK;
}

/* ---- ZF (joblib <= 0.9.4) --------------------------------------------- */

static int dec_zf(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                  jl_error *err) {
    uint64_t len, start;
    if (!zf_header(in, n, &len, &start))
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "not a ZF header at compressed byte %llu",
                       ULL(base));
    if (n < ZF_FIELD_END)
        return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                       "file is truncated: the ZF header needs %d bytes but the file has %llu",
                       ZF_FIELD_END, ULL(base + n));
    if (len == UINT64_MAX)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                       "ZF header announces a length beyond 64 bits");
    if (len > s->max)
        return jl_fail(
            err, JL_E_LIMIT, JL_NO_OFFSET,
            "decompressed size exceeds the limit of %llu bytes (ZF header announces %llu)",
            ULL(s->max), ULL(len));
    /* deflate cannot expand more than 1032:1; do not allocate on the header's word alone */
    uint64_t room = n - start;
    s->max = len;
    s->zf = 1;
    s->first = min64(len, room > (UINT64_MAX - 64) / 1032 ? UINT64_MAX : room * 1032 + 64);
    int rc = inflate_member(in + start, n - start, base + start, 15, "zlib", s, used, err);
    if (rc == JL_E_TRUNCATED) /* joblib inflates it whole: no prefix is of use */
        return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                       "file is truncated: the ZF header announces %llu bytes but its zlib "
                       "stream stops after %llu compressed bytes, with %llu decompressed",
                       ULL(len), ULL(base + n), ULL(s->len));
    if (rc) return rc;
    *used += start;
    if (s->len != len)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                       "ZF header announces %llu bytes but the zlib stream holds %llu", ULL(len),
                       ULL(s->len));
    return JL_OK;
}

static int enc_zf(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err) {
    char head[ZF_FIELD_END + 1];
    int k = snprintf(head, sizeof head, "ZF0x%llx", ULL(n));
    memset(head + k, ' ', (size_t)(ZF_FIELD_END - k)); /* k <= 20 */
    int rc = sink_append(s, head, ZF_FIELD_END, err);
    if (rc) return rc;
    return deflate_into(s, level, 15, "zlib", in, n, err);
}

/* ---- bzip2 ------------------------------------------------------------- */

#ifdef HAVE_BZ2
static void *bz_alloc(void *opaque, int items, int size) {
    if (items < 0 || size < 0) return NULL;
    return jl_malloc(opaque, (size_t)items * (size_t)size);
}
static void bz_free(void *opaque, void *p) { jl_free(opaque, p); }

static int dec_bz2(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                   jl_error *err) {
    bz_stream b;
    memset(&b, 0, sizeof b);
    b.bzalloc = bz_alloc;
    b.bzfree = bz_free;
    b.opaque = (void *)s->a;
    int br = BZ2_bzDecompressInit(&b, 0, 0);
    if (br != BZ_OK) return fail_nomem(err, "bz2", "decoder");
    int rc = JL_OK;
    uint64_t fed = 0;
    for (;;) {
        if (b.avail_in == 0 && fed < n) {
            uint64_t k = min64(n - fed, CHUNK);
            b.next_in = (char *)(uintptr_t)(in + fed);
            b.avail_in = (unsigned)k;
            fed += k;
        }
        uint8_t *dst;
        uint64_t room;
        if ((rc = sink_room(s, &dst, &room, err))) break;
        b.next_out = (char *)dst;
        b.avail_out = (unsigned)room;
        br = BZ2_bzDecompress(&b);
        if ((rc = sink_commit(s, room - b.avail_out, err))) break;
        if (br == BZ_STREAM_END) break;
        if (br == BZ_OK) {
            /* room left and input gone: bzip2 is waiting for more */
            if (b.avail_in == 0 && fed == n && b.avail_out > 0)
                rc = fail_truncated(err, "bz2", base + n, s);
            if (rc) break;
            continue;
        }
        if (br == BZ_MEM_ERROR)
            rc = fail_nomem(err, "bz2", "decoder");
        else
            rc = fail_corrupt(err, "bz2", base + fed - b.avail_in,
                              br == BZ_DATA_ERROR_MAGIC ? "bad magic" : "checksum or block error");
        break;
    }
    *used = fed - b.avail_in;
    BZ2_bzDecompressEnd(&b);
    return rc;
}

static int enc_bz2(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err) {
    bz_stream b;
    memset(&b, 0, sizeof b);
    b.bzalloc = bz_alloc;
    b.bzfree = bz_free;
    b.opaque = (void *)s->a;
    int br = BZ2_bzCompressInit(&b, level, 0, 0);
    if (br != BZ_OK) return fail_nomem(err, "bz2", "encoder");
    int rc = JL_OK;
    uint64_t fed = 0;
    if (n < UINT64_MAX / 2 && (rc = sink_reserve(s, n + n / 100 + 600, err))) goto done;
    for (;;) {
        if (b.avail_in == 0 && fed < n) {
            uint64_t k = min64(n - fed, CHUNK);
            b.next_in = (char *)(uintptr_t)(in + fed);
            b.avail_in = (unsigned)k;
            fed += k;
        }
        uint8_t *dst;
        uint64_t room;
        if ((rc = sink_room(s, &dst, &room, err))) break;
        b.next_out = (char *)dst;
        b.avail_out = (unsigned)room;
        br = BZ2_bzCompress(&b, fed == n ? BZ_FINISH : BZ_RUN);
        s->len += room - b.avail_out;
        if (br == BZ_STREAM_END) break;
        if (br != BZ_RUN_OK && br != BZ_FINISH_OK) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "bz2 encoder failed (%d)", br);
            break;
        }
    }
done:
    BZ2_bzCompressEnd(&b);
    return rc;
}
#endif

/* ---- xz and lzma-alone ------------------------------------------------- */

#ifdef HAVE_LZMA
static void *lz_alloc(void *opaque, size_t nmemb, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(nmemb, size, &bytes)) return NULL;
    return jl_malloc(opaque, bytes);
}
static void lz_free(void *opaque, void *p) { jl_free(opaque, p); }

int jl_lzma_fail(int r, uint64_t memusage, const char *name, uint64_t at, jl_error *err) {
    switch ((lzma_ret)r) {
    case LZMA_MEM_ERROR:
        return fail_nomem(err, name, "decoder");
    case LZMA_MEMLIMIT_ERROR:
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET,
                       "%s stream needs %llu bytes of decoder memory, more than the limit of %llu",
                       name, ULL(memusage), ULL(JL_LZMA_MEMLIMIT));
    case LZMA_FORMAT_ERROR:
        return fail_corrupt(err, name, at, "not a valid header");
    case LZMA_OPTIONS_ERROR:
        return fail_corrupt(err, name, at, "unsupported options");
    case LZMA_DATA_ERROR:
        return fail_corrupt(err, name, at, "invalid data or checksum");
    default:
        return fail_corrupt(err, name, at, "decoder error");
    }
}

static int lzma_fail(lzma_ret r, const lzma_stream *z, const char *name, uint64_t at,
                     jl_error *err) {
    return jl_lzma_fail((int)r, lzma_memusage(z), name, at, err);
}

static int lzma_member(const uint8_t *in, uint64_t n, uint64_t base, int alone, sink *s,
                       uint64_t *used, jl_error *err) {
    const char *name = alone ? "lzma" : "xz";
    lzma_allocator la = { lz_alloc, lz_free, (void *)s->a };
    lzma_stream z = LZMA_STREAM_INIT;
    z.allocator = &la;
    lzma_ret r = alone ? lzma_alone_decoder(&z, JL_LZMA_MEMLIMIT)
                       : lzma_stream_decoder(&z, JL_LZMA_MEMLIMIT, 0);
    int rc = JL_OK;
    if (r != LZMA_OK) {
        rc = lzma_fail(r, &z, name, base, err);
        goto done;
    }
    z.next_in = in;
    z.avail_in = (size_t)min64(n, SIZE_MAX);
    for (;;) {
        uint8_t *dst;
        uint64_t room;
        if ((rc = sink_room(s, &dst, &room, err))) break;
        z.next_out = dst;
        z.avail_out = (size_t)room;
        r = lzma_code(&z, LZMA_FINISH);
        if ((rc = sink_commit(s, room - z.avail_out, err))) break;
        if (r == LZMA_STREAM_END) break;
        if (r == LZMA_OK) continue;
        if (r == LZMA_BUF_ERROR && z.avail_in == 0)
            rc = fail_truncated(err, name, base + n, s);
        else
            rc = lzma_fail(r, &z, name, base + z.total_in, err);
        break;
    }
done:
    *used = z.total_in;
    lzma_end(&z);
    return rc;
}

static int dec_xz(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                  jl_error *err) {
    return lzma_member(in, n, base, 0, s, used, err);
}
static int dec_lzma(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                    jl_error *err) {
    return lzma_member(in, n, base, 1, s, used, err);
}

/* Python's lzma: FORMAT_ALONE = lzma_alone_encoder with the preset's
 * options (size field FF x 8, end marker); FORMAT_XZ = easy encoder with
 * CRC64. */
static int lzma_encode(int level, int alone, const uint8_t *in, uint64_t n, sink *s,
                       jl_error *err) {
    const char *name = alone ? "lzma" : "xz";
    lzma_allocator la = { lz_alloc, lz_free, (void *)s->a };
    lzma_stream z = LZMA_STREAM_INIT;
    z.allocator = &la;
    lzma_options_lzma opt;
    lzma_ret r;
    int rc = JL_OK;
    if (alone) {
        if (lzma_lzma_preset(&opt, (uint32_t)level)) {
            rc = jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "lzma preset %d is not supported", level);
            goto done;
        }
        r = lzma_alone_encoder(&z, &opt);
    } else {
        r = lzma_easy_encoder(&z, (uint32_t)level, LZMA_CHECK_CRC64);
    }
    if (r != LZMA_OK) {
        rc = r == LZMA_MEM_ERROR ? fail_nomem(err, name, "encoder")
                                 : jl_fail(err, JL_E_ARG, JL_NO_OFFSET,
                                           "%s encoder rejects preset %d", name, level);
        goto done;
    }
    if (n < SIZE_MAX / 2 && (rc = sink_reserve(s, lzma_stream_buffer_bound((size_t)n), err)))
        goto done;
    z.next_in = in;
    z.avail_in = (size_t)min64(n, SIZE_MAX);
    for (;;) {
        uint8_t *dst;
        uint64_t room;
        if ((rc = sink_room(s, &dst, &room, err))) break;
        z.next_out = dst;
        z.avail_out = (size_t)room;
        r = lzma_code(&z, LZMA_FINISH);
        s->len += room - z.avail_out;
        if (r == LZMA_STREAM_END) break;
        if (r != LZMA_OK) {
            rc = r == LZMA_MEM_ERROR ? fail_nomem(err, name, "encoder")
                                     : jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                                               "%s encoder failed (%d)", name, (int)r);
            break;
        }
    }
done:
    lzma_end(&z);
    return rc;
}

static int enc_lzma(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err) {
    return lzma_encode(level, 1, in, n, s, err);
}
static int enc_xz(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err) {
    return lzma_encode(level, 0, in, n, s, err);
}
#endif

/* ---- lz4 frame --------------------------------------------------------- */

#ifdef HAVE_LZ4
#ifdef JL_LZ4_CUSTOM_MEM
static void *l4_alloc(void *opaque, size_t n) { return jl_malloc(opaque, n); }
static void l4_free(void *opaque, void *p) { jl_free(opaque, p); }
#define L4_MEM(a) ((LZ4F_CustomMem){ l4_alloc, NULL, l4_free, (void *)(a) })
#endif

static LZ4F_dctx *l4_dctx(const jl_alloc *a) {
#ifdef JL_LZ4_CUSTOM_MEM
    return LZ4F_createDecompressionContext_advanced(L4_MEM(a), LZ4F_VERSION);
#else
    LZ4F_dctx *d = NULL;
    (void)a;
    return LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)) ? NULL : d;
#endif
}

static LZ4F_cctx *l4_cctx(const jl_alloc *a) {
#ifdef JL_LZ4_CUSTOM_MEM
    return LZ4F_createCompressionContext_advanced(L4_MEM(a), LZ4F_VERSION);
#else
    LZ4F_cctx *c = NULL;
    (void)a;
    return LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION)) ? NULL : c;
#endif
}

static int dec_lz4(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                   jl_error *err) {
    LZ4F_dctx *d = l4_dctx(s->a);
    if (!d) return fail_nomem(err, "lz4", "decoder");
    int rc = JL_OK;
    uint64_t pos = 0;
    for (;;) {
        uint8_t *dst;
        uint64_t room;
        if ((rc = sink_room(s, &dst, &room, err))) break;
        size_t dsz = (size_t)room, ssz = (size_t)min64(n - pos, CHUNK);
        size_t r = LZ4F_decompress(d, dst, &dsz, in + pos, &ssz, NULL);
        pos += ssz;
        if (LZ4F_isError(r)) {
            if (LZ4F_getErrorCode(r) == LZ4F_ERROR_allocation_failed)
                rc = fail_nomem(err, "lz4", "decoder");
            else
                rc = fail_corrupt(err, "lz4", base + pos, LZ4F_getErrorName(r));
            break;
        }
        if ((rc = sink_commit(s, dsz, err))) break;
        if (r == 0) break; /* end of frame */
        if (pos == n && dsz < room) {
            rc = fail_truncated(err, "lz4", base + n, s);
            break;
        }
        if (ssz == 0 && dsz == 0) { /* no progress with input left: never loop forever */
            rc = fail_corrupt(err, "lz4", base + pos, "the decoder made no progress");
            break;
        }
    }
    *used = pos;
    LZ4F_freeDecompressionContext(d);
    return rc;
}

/* python-lz4 LZ4FrameFile defaults: 64 KiB linked blocks, no checksums,
 * no content size, no auto flush: header 04 22 4D 18 40 40 C0. */
static int enc_lz4(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err) {
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockLinked;
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs.frameInfo.frameType = LZ4F_frame;
    prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    prefs.compressionLevel = level;
    LZ4F_cctx *c = l4_cctx(s->a);
    if (!c) return fail_nomem(err, "lz4", "encoder");
    const uint64_t piece = (uint64_t)1 << 22;
    int rc = sink_reserve(s, LZ4F_HEADER_SIZE_MAX, err);
    size_t r = 0;
    if (rc) goto done;
    r = LZ4F_compressBegin(c, s->p + s->len, (size_t)(s->cap - s->len), &prefs);
    if (LZ4F_isError(r)) goto lzerr;
    s->len += r;
    for (uint64_t pos = 0; pos < n; pos += piece) {
        size_t k = (size_t)min64(n - pos, piece);
        if ((rc = sink_reserve(s, LZ4F_compressBound(k, &prefs), err))) goto done;
        r = LZ4F_compressUpdate(c, s->p + s->len, (size_t)(s->cap - s->len), in + pos, k, NULL);
        if (LZ4F_isError(r)) goto lzerr;
        s->len += r;
    }
    if ((rc = sink_reserve(s, LZ4F_compressBound(0, &prefs), err))) goto done;
    r = LZ4F_compressEnd(c, s->p + s->len, (size_t)(s->cap - s->len), NULL);
    if (LZ4F_isError(r)) goto lzerr;
    s->len += r;
    goto done;
lzerr:
    if (LZ4F_getErrorCode(r) == LZ4F_ERROR_allocation_failed)
        rc = fail_nomem(err, "lz4", "encoder");
    else
        rc =
            jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "lz4 encoder failed: %s", LZ4F_getErrorName(r));
done:
    LZ4F_freeCompressionContext(c);
    return rc;
}
#endif

/* ---- none --------------------------------------------------------------- */

static int dec_none(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                    jl_error *err) {
    (void)base;
    if (n > s->max)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET,
                       "decompressed size exceeds the limit of %llu bytes", ULL(s->max));
    *used = n;
    return sink_append(s, in, n, err);
}

static int enc_none(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err) {
    (void)level;
    return sink_append(s, in, n, err);
}

/* ---- the table ------------------------------------------------------------ */

typedef int (*decode_fn)(const uint8_t *in, uint64_t n, uint64_t base, sink *s, uint64_t *used,
                         jl_error *err);
typedef int (*encode_fn)(int level, const uint8_t *in, uint64_t n, sink *s, jl_error *err);

#ifdef HAVE_BZ2
#define BZ2_FNS dec_bz2, enc_bz2
#else
#define BZ2_FNS NULL, NULL
#endif
#ifdef HAVE_LZMA
#define LZMA_FNS dec_lzma, enc_lzma
#define XZ_FNS dec_xz, enc_xz
#else
#define LZMA_FNS NULL, NULL
#define XZ_FNS NULL, NULL
#endif
#ifdef HAVE_LZ4
#define LZ4_FNS dec_lz4, enc_lz4
#else
#define LZ4_FNS NULL, NULL
#endif

/* members: after one member ends, further ones (after zero padding) are
 * decoded when they start with the same magic, as Python's readers do;
 * other trailing bytes are ignored. */
static const struct codec {
    const char *name;
    decode_fn decode; /* NULL: not in this build */
    encode_fn encode;
    int members;
    int min_level, max_level;
} codecs[JL_COMP_COUNT] = {
    [JL_COMP_NONE] = { "none", dec_none, enc_none, 0, INT_MIN, INT_MAX },
    [JL_COMP_ZLIB] = { "zlib", dec_zlib, enc_zlib, 0, 1, 9 },
    [JL_COMP_GZIP] = { "gzip", dec_gzip, enc_gzip, 1, 1, 9 },
    [JL_COMP_BZ2] = { "bz2", BZ2_FNS, 1, 1, 9 },
    [JL_COMP_LZMA] = { "lzma", LZMA_FNS, 1, 1, 9 },
    [JL_COMP_XZ] = { "xz", XZ_FNS, 1, 1, 9 },
    [JL_COMP_LZ4] = { "lz4", LZ4_FNS, 1, 0, 16 },
    [JL_COMP_ZF] = { "zf", dec_zf, enc_zf, 0, 1, 9 },
};

const char *jl_compression_name(jl_compression c) {
    return (unsigned)c < JL_COMP_COUNT ? codecs[c].name : "unknown";
}

int jl_compression_available(jl_compression c) {
    return (unsigned)c < JL_COMP_COUNT && codecs[c].decode != NULL;
}

static int check_kind(jl_compression c, jl_error *err) {
    if ((unsigned)c >= JL_COMP_COUNT)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "unknown compression %d", (int)c);
    if (!codecs[c].decode)
        return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no %s support",
                       codecs[c].name);
    return JL_OK;
}

/* lazy: on JL_E_TRUNCATED (not ZF), hand back what was decoded too, as
 * far as joblib's readers get (container.h). */
static int decompress(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                      uint64_t max_out, int can_share, int lazy, uint8_t **out,
                      uint64_t *out_len, int *shared, jl_error *err) {
    *out = NULL;
    *out_len = 0;
    if (shared) *shared = 0;
    int rc = check_kind(c, err);
    if (rc) return rc;
    if (!in) n = 0;
    static const uint8_t empty[1];
    if (!in) in = empty;
    /* a first guess from the input size; the buffer doubles from there */
    uint64_t first = n > UINT64_MAX / 4 ? UINT64_MAX : n * 4;
    if (first < ((uint64_t)64 << 10)) first = (uint64_t)64 << 10;
    if (first > ((uint64_t)64 << 20)) first = (uint64_t)64 << 20;
    if (c == JL_COMP_NONE) first = n;
    sink s;
    sink_init(&s, a ? a : jl_alloc_default(), max_out, first, "decompressed");
    s.can_share = can_share;
    uint64_t pos = 0;
    for (;;) {
        uint64_t used = 0;
        if ((rc = codecs[c].decode(in + pos, n - pos, pos, &s, &used, err))) {
            if (!lazy || rc != JL_E_TRUNCATED || c == JL_COMP_ZF) goto fail;
            jl_error cut = *err;
            if (sink_take(&s, out, out_len, shared, err)) goto fail;
            if (c != JL_COMP_ZLIB && c != JL_COMP_GZIP) *out_len -= *out_len % JL_LAZY_CHUNK;
            *err = cut;
            return rc;
        }
        pos += used;
        if (!codecs[c].members) break;
        while (pos < n && in[pos] == 0) pos++;
        if (pos >= n || jl_detect(in + pos, n - pos) != c) break;
    }
    if ((rc = sink_take(&s, out, out_len, shared, err))) goto fail;
    return JL_OK;
fail:
    sink_free(&s);
    return rc;
}

int jl_decompress(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                  uint64_t max_out, uint8_t **out, uint64_t *out_len, jl_error *err) {
    return decompress(c, in, n, a, max_out, 0, 0, out, out_len, NULL, err);
}

int jl_decompress_block(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                        uint64_t max_out, uint8_t **out, uint64_t *out_len, uint8_t *owner,
                        jl_error *err) {
    int shared = 0;
    int rc = decompress(c, in, n, a, max_out, 1, 0, out, out_len, &shared, err);
    *owner = shared ? JL_BLOCK_SHARED : JL_BLOCK_HEAP;
    return rc;
}

int jl_decompress_lazy(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                       uint64_t max_out, uint8_t **out, uint64_t *out_len, uint8_t *owner,
                       jl_error *err) {
    int shared = 0;
    int rc = decompress(c, in, n, a, max_out, 1, 1, out, out_len, &shared, err);
    *owner = shared ? JL_BLOCK_SHARED : JL_BLOCK_HEAP;
    return rc;
}

int jl_decompress_each(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                       uint64_t max_out, jl_emit_fn emit, void *ctx, uint64_t *total,
                       jl_error *err) {
    return jl_decompress_members(c, in, n, a, max_out, emit, ctx, NULL, NULL, total, err);
}

int jl_decompress_members(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                          uint64_t max_out, jl_emit_fn emit, void *ctx, jl_member_fn member,
                          void *mctx, uint64_t *total, jl_error *err) {
    *total = 0;
    int rc = check_kind(c, err);
    if (rc) return rc;
    if (c == JL_COMP_ZF || c == JL_COMP_NONE)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "%s streams are not decoded piece by piece",
                       codecs[c].name);
    static const uint8_t empty[1];
    if (!in) {
        in = empty;
        n = 0;
    }
    sink s;
    sink_init(&s, a ? a : jl_alloc_default(), max_out, 0, "decompressed");
    s.emit = emit;
    s.ectx = ctx;
    s.cap = JL_LAZY_CHUNK;
    s.p = jl_malloc(s.a, (size_t)s.cap);
    if (!s.p) return fail_nomem(err, codecs[c].name, "output window");
    uint64_t pos = 0;
    for (;;) {
        uint64_t used = 0, out0 = s.total;
        if ((rc = codecs[c].decode(in + pos, n - pos, pos, &s, &used, err))) break;
        if (member) member(mctx, pos, pos + used, s.total - out0);
        pos += used;
        while (pos < n && in[pos] == 0) pos++;
        if (pos >= n || jl_detect(in + pos, n - pos) != c) break;
    }
    /* zlib and gzip readers hand over all they decoded before a cut; the
     * others whole JL_LAZY_CHUNKs only (the window is one such chunk) */
    if (rc == JL_OK || (rc == JL_E_TRUNCATED && (c == JL_COMP_ZLIB || c == JL_COMP_GZIP))) {
        jl_error cut = *err;
        int frc = sink_flush(&s, err);
        if (frc) rc = frc;
        else *err = cut;
    }
    *total = s.total - s.len;
    jl_free(s.a, s.p);
    return rc;
}

void jl_decompressed_free(const jl_alloc *a, uint8_t *p, uint8_t owner) {
    if (owner == JL_BLOCK_SHARED) jl_shared_unref(p);
    else jl_free(a ? a : jl_alloc_default(), p);
}

int jl_compress(jl_compression c, int level, const uint8_t *in, uint64_t n, const jl_alloc *a,
                uint8_t **out, uint64_t *out_len, jl_error *err) {
    *out = NULL;
    *out_len = 0;
    int rc = check_kind(c, err);
    if (rc) return rc;
    if (level < codecs[c].min_level || level > codecs[c].max_level)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "%s level must be %d..%d, not %d",
                       codecs[c].name, codecs[c].min_level, codecs[c].max_level, level);
    static const uint8_t empty[1];
    if (!in) {
        in = empty;
        n = 0;
    }
    sink s;
    sink_init(&s, a ? a : jl_alloc_default(), UINT64_MAX, 4096, "compressed");
    if ((rc = codecs[c].encode(level, in, n, &s, err))) goto fail;
    if ((rc = sink_take(&s, out, out_len, NULL, err))) goto fail;
    return JL_OK;
fail:
    sink_free(&s);
    return rc;
}
