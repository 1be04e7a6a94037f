/*
 * xz_index.c - Blocks of .xz files as places to read from (xz_index.h).
 *
 * The .xz format (xz-file-format-1.1.0): a stream is a 12-byte Stream
 * Header, Blocks (each a header, compressed data, padding to 4 bytes and
 * the check), the Index (one record per Block: Unpadded Size and
 * Uncompressed Size) and a 12-byte Stream Footer whose Backward Size is
 * the Index's length. Streams may follow each other, with zero padding
 * between them. The whole-file pass (container.c) tells where each
 * stream begins and ends; its footer, header and Index are then decoded
 * with liblzma's buffer functions and compared with that.
 */
#include "xz_index.h"

#ifdef HAVE_LZMA
#include <lzma.h>
#include <string.h>

#define SCRATCH ((uint64_t)64 << 10) /* output skipped before off goes here */
#define ULL(x) ((unsigned long long)(x))

/* One non-empty Block. */
typedef struct xz_block {
    uint64_t out;      /* its first uncompressed byte, counted over the whole file */
    uint64_t in;       /* its header's offset in the input */
    uint64_t unpadded; /* the Index's Unpadded Size: header + data + check */
    uint64_t size;     /* uncompressed bytes */
    uint32_t check;    /* its stream's lzma_check */
} xz_block;

struct jl_xz_index {
    const jl_alloc *a;
    xz_block *b; /* owned: jl_free(a) */
    uint64_t n, cap;
    uint64_t total; /* uncompressed bytes of the file */
};

/* Where the whole-file pass found each stream. */
typedef struct member {
    uint64_t start, end, out;
} member;

typedef struct members {
    const jl_alloc *a;
    member *m; /* owned: jl_free(a) */
    uint64_t n, cap;
    int lost; /* 1: out of memory noting one: no index */
} members;

static void *lz_alloc(void *opaque, size_t nmemb, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(nmemb, size, &bytes)) return NULL;
    return jl_malloc(opaque, bytes);
}
static void lz_free(void *opaque, void *p) { jl_free(opaque, p); }

static void note_member(void *mctx, uint64_t start, uint64_t end, uint64_t out) {
    members *ms = mctx;
    if (ms->lost) return;
    if (ms->n == ms->cap) {
        uint64_t cap = ms->cap ? ms->cap * 2 : 4;
        member *m = jl_realloc(ms->a, ms->m, (size_t)(cap * sizeof *m));
        if (!m) {
            ms->lost = 1;
            return;
        }
        ms->m = m;
        ms->cap = cap;
    }
    ms->m[ms->n++] = (member){ start, end, out };
}

static int add_block(jl_xz_index *ix, xz_block b) {
    if (ix->n == ix->cap) {
        if (ix->cap >= JL_XZ_INDEX_MAX_BLOCKS) return 0;
        uint64_t cap = ix->cap ? ix->cap * 2 : 16;
        if (cap > JL_XZ_INDEX_MAX_BLOCKS) cap = JL_XZ_INDEX_MAX_BLOCKS;
        xz_block *p = jl_realloc(ix->a, ix->b, (size_t)(cap * sizeof *p));
        if (!p) return 0;
        ix->b = p;
        ix->cap = cap;
    }
    ix->b[ix->n++] = b;
    return 1;
}

/* The Blocks of the stream in[m->start..m->end), whose output begins at
 * byte `base` of the file. 0 when its footer, header or Index is damaged,
 * disagrees with the stream as decoded, or a Block cannot be kept. */
static int add_stream(jl_xz_index *ix, const uint8_t *in, uint64_t n, const member *m, uint64_t base,
                      lzma_allocator *la) {
    const uint64_t hs = LZMA_STREAM_HEADER_SIZE;
    if (m->end > n || m->start > m->end || m->end - m->start < 2 * hs) return 0;
    lzma_stream_flags head, foot;
    if (lzma_stream_header_decode(&head, in + m->start) != LZMA_OK ||
        lzma_stream_footer_decode(&foot, in + m->end - hs) != LZMA_OK ||
        lzma_stream_flags_compare(&head, &foot) != LZMA_OK || !lzma_check_is_supported(foot.check))
        return 0;
    if (foot.backward_size > m->end - m->start - 2 * hs) return 0;
    uint64_t at = m->end - hs - foot.backward_size; /* the Index */
    lzma_index *idx = NULL;
    uint64_t memlimit = JL_LZMA_MEMLIMIT;
    size_t used = 0;
    if (lzma_index_buffer_decode(&idx, &memlimit, la, in + at, &used, (size_t)foot.backward_size) != LZMA_OK)
        return 0;
    int ok = used == foot.backward_size && lzma_index_stream_size(idx) == m->end - m->start &&
             lzma_index_uncompressed_size(idx) == m->out;
    lzma_index_iter it;
    lzma_index_iter_init(&it, idx);
    while (ok && !lzma_index_iter_next(&it, LZMA_INDEX_ITER_NONEMPTY_BLOCK)) {
        uint64_t off = it.block.compressed_stream_offset, pad = it.block.total_size;
        ok = off >= hs && off <= at - m->start && pad <= at - m->start - off &&
             add_block(ix, (xz_block){ base + it.block.uncompressed_stream_offset, m->start + off,
                                       it.block.unpadded_size, it.block.uncompressed_size, (uint32_t)foot.check });
    }
    lzma_index_end(idx, la);
    return ok;
}

void jl_xz_index_free(jl_xz_index *ix) {
    if (!ix) return;
    jl_free(ix->a, ix->b);
    jl_free(ix->a, ix);
}

int jl_xz_index_build(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t max_out, jl_emit_fn emit,
                      void *ctx, jl_xz_index **out, jl_error *err) {
    *out = NULL;
    if (!a) a = jl_alloc_default();
    members ms = { a, NULL, 0, 0, 0 };
    uint64_t total = 0;
    int rc = jl_decompress_members(JL_COMP_XZ, in, n, a, max_out, emit, ctx, note_member, &ms, &total, err);
    jl_xz_index *ix = NULL;
    if (rc != JL_OK || ms.lost || !in) goto done;
    if (!(ix = jl_malloc(a, sizeof *ix))) goto done;
    *ix = (jl_xz_index){ a, NULL, 0, 0, total };
    lzma_allocator la = { lz_alloc, lz_free, (void *)a };
    uint64_t base = 0;
    for (uint64_t i = 0; i < ms.n; i++) {
        if (!add_stream(ix, in, n, &ms.m[i], base, &la)) goto done;
        base += ms.m[i].out;
    }
    if (base != total || ix->n < 2) goto done;
    xz_block *fit = jl_realloc(a, ix->b, (size_t)(ix->n * sizeof *fit)); /* held as long as the doc */
    if (fit) {
        ix->b = fit;
        ix->cap = ix->n;
    }
    *out = ix;
    ix = NULL;
done:
    jl_xz_index_free(ix);
    jl_free(a, ms.m);
    return rc;
}

/* The index was built from other bytes than in[0..n). */
static int fail_other(jl_error *err) {
    return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the xz stream is not the one its index was built from");
}

/* Decodes Block b alone: `skip` bytes to scratch, then `want` bytes into
 * dst (skip + want <= b->size). */
static int read_block(const jl_xz_index *ix, const xz_block *b, const uint8_t *in, uint64_t n, uint64_t skip,
                      uint8_t *dst, uint64_t want, uint8_t *scratch, jl_error *err) {
    uint64_t padded = (b->unpadded + 3) & ~(uint64_t)3;
    if (b->in >= n || padded > n - b->in) return fail_other(err);
    lzma_allocator la = { lz_alloc, lz_free, (void *)ix->a };
    lzma_filter filters[LZMA_FILTERS_MAX + 1];
    lzma_block blk;
    memset(&blk, 0, sizeof blk);
    blk.version = 1;
    blk.check = (lzma_check)b->check;
    blk.filters = filters;
    blk.header_size = lzma_block_header_size_decode(in[b->in]);
    if (blk.header_size >= padded) return fail_other(err);
    lzma_ret r = lzma_block_header_decode(&blk, &la, in + b->in); /* frees filters on failure */
    if (r != LZMA_OK) return jl_lzma_fail((int)r, 0, "xz", b->in, err);
    lzma_stream z = LZMA_STREAM_INIT;
    z.allocator = &la;
    uint64_t need = lzma_raw_decoder_memusage(filters);
    if ((r = lzma_block_compressed_size(&blk, b->unpadded)) != LZMA_OK) goto end;
    if (blk.uncompressed_size == LZMA_VLI_UNKNOWN) blk.uncompressed_size = b->size;
    if (blk.uncompressed_size != b->size) {
        r = LZMA_DATA_ERROR;
        goto end;
    }
    if (need > JL_LZMA_MEMLIMIT) {
        r = LZMA_MEMLIMIT_ERROR;
        goto end;
    }
    if ((r = lzma_block_decoder(&z, &blk)) != LZMA_OK) goto end;
    z.next_in = in + b->in + blk.header_size;
    z.avail_in = (size_t)(padded - blk.header_size);
    int to_end = skip + want == b->size;
    uint64_t done = 0;
    while (done < want) {
        uint8_t *to = skip ? scratch : dst + done;
        uint64_t room = skip ? (skip < SCRATCH ? skip : SCRATCH) : want - done;
        if (room > SIZE_MAX) room = SIZE_MAX;
        z.next_out = to;
        z.avail_out = (size_t)room;
        r = lzma_code(&z, LZMA_RUN);
        uint64_t got = room - z.avail_out;
        if (skip) skip -= got;
        else done += got;
        if (r == LZMA_OK) continue; /* no progress twice gives LZMA_BUF_ERROR */
        if (done == want) break;
        if (r == LZMA_STREAM_END || r == LZMA_BUF_ERROR) r = LZMA_DATA_ERROR; /* ends early */
        break;
    }
    if (done == want && to_end) { /* the Block's end: its padding and check too */
        uint8_t spare;
        while (r == LZMA_OK) {
            z.next_out = &spare;
            z.avail_out = 1;
            r = lzma_code(&z, LZMA_RUN);
            if (z.avail_out == 0 || r == LZMA_BUF_ERROR) r = LZMA_DATA_ERROR; /* more bytes, or no end */
        }
    }
    if (done == want && (r == LZMA_OK || r == LZMA_STREAM_END)) r = LZMA_OK;
end:;
    int rc = JL_OK;
    if (r != LZMA_OK)
        rc = jl_lzma_fail((int)r, r == LZMA_MEMLIMIT_ERROR ? need : lzma_memusage(&z), "xz",
                          b->in + blk.header_size + z.total_in, err);
    lzma_end(&z);
    lzma_filters_free(filters, &la);
    return rc;
}

int jl_xz_index_read(const jl_xz_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                     uint64_t len, jl_error *err) {
    if (len == 0) return JL_OK;
    if (off > ix->total || len > ix->total - off)
        return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                       "file is truncated: the xz stream ends after %llu bytes, before byte %llu", ULL(ix->total),
                       ULL(off + len));
    if (!in) return fail_other(err);
    uint64_t lo = 0, hi = ix->n; /* the last Block starting at or before off */
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (ix->b[mid].out <= off) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return fail_other(err); /* the first Block starts at 0 */
    uint64_t skip = off - ix->b[lo - 1].out;
    uint8_t *scratch = NULL;
    if (skip && !(scratch = jl_malloc(ix->a, (size_t)(skip < SCRATCH ? skip : SCRATCH))))
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the xz decoder");
    int rc = JL_OK;
    uint64_t done = 0;
    for (uint64_t i = lo - 1; rc == JL_OK && done < len; i++) {
        if (i >= ix->n || ix->b[i].out != off + done - skip || skip > ix->b[i].size) {
            rc = fail_other(err); /* Blocks are contiguous and cover total */
            break;
        }
        const xz_block *b = &ix->b[i];
        uint64_t want = b->size - skip < len - done ? b->size - skip : len - done;
        rc = read_block(ix, b, in, n, skip, dst + done, want, scratch, err);
        done += want;
        skip = 0;
    }
    jl_free(ix->a, scratch);
    return rc;
}

uint64_t jl_xz_index_points(const jl_xz_index *ix) { return ix ? ix->n : 0; }
uint64_t jl_xz_index_total(const jl_xz_index *ix) { return ix ? ix->total : 0; }
uint64_t jl_xz_index_bytes(const jl_xz_index *ix) { return ix ? sizeof *ix + ix->cap * sizeof(xz_block) : 0; }

#else /* no liblzma: no xz index (seek_index.c has no row for xz) */
typedef int jl_xz_index_unused;
#endif
