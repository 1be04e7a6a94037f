/*
 * decode.c - opening a bundle (decode.h): the file is mapped, its container
 * detected by magic and, when compressed, inflated into one buffer (bounded
 * by max_decompressed; a big one is a shared block, shared.h); then the
 * pickle VM runs over the stream from byte 0 (the one pickle of a zip or
 * tar archive that to_pickle writes is taken out first: archive.h). Two
 * dispatches come first:
 * numpy's .npy and .npz files by magic (numpy_files.h), and input that
 * cannot start a pickle, which fails naming what it looks like (sniff.h).
 * A container cut short is inflated as far as it goes, as joblib's lazy
 * readers do: a pickle complete within that prefix loads (doc->damaged
 * says what was cut), one that is not fails with the truncation.
 * Uncompressed arrays stay in the mapped file: the tree refers to them.
 * A big compressed stream is decoded as it inflates instead (feed.h): its
 * big array payloads stay in the stream (docs/ARCHITECTURE.md 4.1).
 */
#include "decode.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "archive.h"
#include "container.h"
#include "feed.h"
#include "numpy_files.h"
#include "sniff.h"
#include "source.h"
#include "start.h"
#include "vm.h"

/* A truncation message without its "file is truncated: " head. */
static const char *cut_detail(const char *msg) {
    static const char head[] = "file is truncated: ";
    return strncmp(msg, head, sizeof head - 1) == 0 ? msg + sizeof head - 1 : msg;
}

/* The pickle ran out in a stream cut short: say where the container ends. */
static void append_cut(jl_error *err, const char *cut) {
    size_t l = strlen(err->message);
    snprintf(err->message + l, sizeof err->message - l, ": %s", cut);
}

/* The pickle of a one-file zip or tar (archive.h) in p[0..n) as block 0:
 * *done 1 when it was one. */
static int attach_member(jl_doc *doc, const uint8_t *p, uint64_t n, int *done, jl_error *err) {
    uint8_t *m;
    uint64_t len;
    *done = 0;
    int rc = jl_archive_member(doc, p, n, &m, &len, err);
    if (rc || !m) return rc;
    if (jl_block_add(doc, m, len, JL_BLOCK_HEAP, err) == JL_NONE) {
        jl_free(&doc->alloc, m);
        return err->code;
    }
    doc->stream_len = len;
    *done = 1;
    return JL_OK;
}

/* Makes block 0 from the input bytes, inflating when compressed, taking
 * the pickle out of a one-file archive; a container cut short gives the
 * prefix it decoded (doc->cut). *copied is 1 when block 0 does not refer
 * to p (the caller may release it). */
static int attach_stream(jl_doc *doc, const uint8_t *p, uint64_t n, uint8_t owner, int *copied, jl_error *err) {
    jl_compression c = jl_detect(p, n);
    doc->compression = (uint8_t)c;
    doc->size = n;
    *copied = c != JL_COMP_NONE;
    if (c == JL_COMP_NONE) {
        int rc = attach_member(doc, p, n, copied, err);
        if (rc || *copied) return rc;
        if (jl_block_add(doc, p, n, owner, err) == JL_NONE) return err->code;
        doc->stream_len = n;
        return JL_OK;
    }
    uint8_t *out, out_owner;
    uint64_t out_len;
    int rc = jl_decompress_lazy(c, p, n, &doc->alloc, doc->limits.max_decompressed, &out, &out_len,
                                &out_owner, err);
    if (rc == JL_E_TRUNCATED && out) { /* cut short: run() decides, as joblib would */
        snprintf(doc->damaged, sizeof doc->damaged, "%s", cut_detail(err->message));
        doc->cut = 1;
        jl_error_clear(err);
        rc = JL_OK;
    }
    if (rc) return rc;
    int member = 0;
    if (!doc->cut) {
        rc = attach_member(doc, out, out_len, &member, err);
        if (rc || member) {
            jl_decompressed_free(&doc->alloc, out, out_owner);
            return rc;
        }
    }
    if (jl_block_add(doc, out, out_len, out_owner, err) == JL_NONE) {
        jl_decompressed_free(&doc->alloc, out, out_owner);
        return err->code;
    }
    doc->stream_len = out_len;
    if (c == JL_COMP_ZF) doc->format = JL_FMT_ZF;
    return JL_OK;
}

/* A compressed file read as it inflates (feed.h): blocks 0 (kept bytes),
 * 1 (lazy) and 2 (the compressed bytes, taken from m), then the first
 * JL_FEED_WHOLE bytes (or the doc's limits.feed_whole). A stream that ends within them, or a numpy file,
 * is read whole and decoded as today: *feeding says whether the VM still
 * reads as it inflates. A stream that cannot start a pickle (a .tar.gz of
 * to_pickle, or something sniff.h names) sets *whole: the caller opens
 * the file again and inflates it whole (attach_stream). */
static int attach_feed(jl_doc *doc, jl_feed *f, jl_compression c, jl_mapped *m, int *feeding, int *whole,
                       jl_error *err) {
    doc->compression = (uint8_t)c;
    doc->size = m->len;
    *feeding = 0;
    *whole = 0;
    int rc = jl_feed_start(f, doc, c, m->p, m->len, m->is_mmap ? JL_BLOCK_MMAP : JL_BLOCK_HEAP, err);
    if (doc->lazy_src != JL_NONE) { /* the doc owns the bytes now */
        m->p = NULL;
        m->len = 0;
    }
    uint64_t at_once = doc->limits.feed_whole ? doc->limits.feed_whole : JL_FEED_WHOLE;
    if (rc || (rc = jl_feed_more(f, at_once + 1, err))) return rc;
    const jl_block *b = &doc->blocks[f->block];
    int numpy = jl_numpy_file_is(b->p, b->len);
    if (!numpy && !jl_pickle_can_start(b->p, b->len)) {
        *whole = 1;
        return JL_OK;
    }
    if (!f->ended && numpy && (rc = jl_feed_more(f, UINT64_MAX, err))) return rc;
    if (f->ended) {
        doc->stream_len = doc->blocks[f->block].len;
        doc->blocks[doc->lazy_block].len = doc->stream_len;
        jl_feed_end(f);
        return JL_OK;
    }
    doc->stream_len = b->len; /* what is there so far */
    *feeding = 1;
    return JL_OK;
}

static int run(jl_doc *doc, const char *dir, const char *file, jl_feed *feed, jl_error *err) {
    jl_decoder dec = { doc, dir, file, 0, feed };
    uint8_t fmt = doc->format;
    uint32_t root;
    uint64_t end;
    if (doc->stream_len == 0 && doc->cut)
        return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET, "file is truncated: %s", doc->damaged);
    if (doc->stream_len == 0) return jl_fail(err, JL_E_TRUNCATED, 0, "empty input: not a joblib bundle or pickle");
    /* numpy's own files; then anything that cannot start a pickle is named */
    const uint8_t *p = doc->blocks[0].p;
    if (jl_numpy_file_is(p, doc->stream_len)) return jl_numpy_file_decode(&dec, err);
    if (!jl_pickle_can_start(p, doc->stream_len)) return jl_sniff_fail(p, doc->stream_len, err);
    int rc = jl_vm_run(&dec, 0, 0, "", &root, &end, err);
    if (rc && feed && feed->failed) *err = feed->fail; /* the decoder's own words */
    if (!rc && feed) rc = jl_feed_drain(feed, err); /* stream_len, and damage past STOP */
    if (rc && doc->cut && err->code == JL_E_TRUNCATED) /* the pickle needed bytes past the cut */
        append_cut(err, doc->damaged);
    if (rc) return rc;
    if (fmt == JL_FMT_ZF) doc->format = JL_FMT_ZF;
    doc->root = root;
    return JL_OK;
}

static jl_doc *new_doc(const jl_open_opts *o, jl_error *err) {
    jl_doc *doc = jl_doc_new(o ? o->alloc : NULL, o ? o->limits : NULL);
    if (!doc) jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    return doc;
}

/* A file that is not a pickle but is named as a compressed sidecar of
 * the legacy layout ("<main>_01.npy.z" beside an existing "<main>",
 * docs/FORMAT.md 4): the message says which file reads it. */
static void hint_sidecar(const char *path, jl_error *err) {
    static const char tail[] = ".npy.z";
    size_t n = strlen(path), t = sizeof tail - 1;
    if (n <= t || strcmp(path + n - t, tail) != 0) return;
    size_t d = n - t; /* the digits end here */
    size_t k = d;
    while (k > 0 && path[k - 1] >= '0' && path[k - 1] <= '9') k--;
    if (d - k < 2 || k < 2 || path[k - 1] != '_' || path[k - 2] == '/') return;
    char main_file[4096];
    if (k - 1 >= sizeof main_file) return;
    memcpy(main_file, path, k - 1);
    main_file[k - 1] = 0;
    struct stat st;
    if (stat(main_file, &st) != 0 || !S_ISREG(st.st_mode)) return;
    const char *base = strrchr(main_file, '/');
    size_t l = strlen(err->message);
    snprintf(err->message + l, sizeof err->message - l,
             "; it is an array file of the legacy bundle '%s' (joblib < 0.10 writes one per array): open that file",
             base ? base + 1 : main_file);
}

/* Maps path and attaches its stream to doc: as it inflates (*fed set,
 * feed.h) when `stream` and the container allows, else whole. *whole is
 * set when the file must be opened again without streaming. */
static int attach_file(jl_doc *doc, const char *path, int stream, jl_feed *feed, jl_feed **fed, int *whole,
                       jl_error *err) {
    jl_mapped m;
    *fed = NULL;
    *whole = 0;
    int rc = jl_map_file(path, &doc->alloc, doc->limits.max_decompressed, &m, err);
    if (rc) return rc;
    uint8_t owner = m.is_mmap ? JL_BLOCK_MMAP : JL_BLOCK_HEAP;
    jl_compression c = jl_detect(m.p, m.len);
    if (stream && c != JL_COMP_NONE && c != JL_COMP_ZF && jl_compression_available(c)) {
        int feeding;
        rc = attach_feed(doc, feed, c, &m, &feeding, whole, err);
        jl_unmap(&m);
        if (feeding && !*whole) *fed = feed;
        else if (rc || *whole) jl_feed_end(feed);
        return rc;
    }
    int copied = 0;
    rc = attach_stream(doc, m.p, m.len, owner, &copied, err);
    if (rc || copied) jl_unmap(&m);
    else doc->blocks[0].fd = jl_mapped_take_fd(&m, JL_BLOCK_FD_MIN); /* the mapping is block 0's */
    return rc;
}

int jl_open_file(const char *path, const jl_open_opts *o, jl_doc **out, jl_error *err) {
    jl_error_clear(err);
    *out = NULL;
    jl_doc *doc = new_doc(o, err);
    if (!doc) return JL_E_NOMEM;
    jl_feed feed, *fed = NULL;
    int whole = 0;
    int rc = attach_file(doc, path, 1, &feed, &fed, &whole, err);
    if (rc == JL_OK && whole) { /* not a pickle at the start: read it whole, as before streaming */
        jl_doc_free(doc);
        doc = new_doc(o, err);
        if (!doc) return JL_E_NOMEM;
        rc = attach_file(doc, path, 0, &feed, &fed, &whole, err);
    }
    if (rc) goto fail;
    if (jl_file_add(doc, path, doc->compression, err) == JL_NONE) {
        rc = err->code;
        goto fail;
    }
    /* the directory of the main file, for sidecars */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    rc = run(doc, dir, path, fed, err);
    if (fed) jl_feed_end(fed);
    fed = NULL;
    if (rc == JL_E_FORMAT && doc->compression == JL_COMP_ZF) hint_sidecar(path, err);
    if (rc) goto fail;
    *out = doc;
    return JL_OK;
fail:
    if (fed) jl_feed_end(fed);
    jl_doc_free(doc);
    return rc ? rc : JL_E_FORMAT;
}

int jl_open_memory(const uint8_t *p, uint64_t n, int borrow, const jl_open_opts *o, jl_doc **out,
                   jl_error *err) {
    jl_error_clear(err);
    *out = NULL;
    jl_doc *doc = new_doc(o, err);
    if (!doc) return JL_E_NOMEM;
    int rc;
    if (!borrow && jl_detect(p, n) == JL_COMP_NONE) {
        uint8_t *copy = jl_malloc(&doc->alloc, (size_t)(n ? n : 1));
        if (!copy) {
            rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory copying %llu bytes", (unsigned long long)n);
            goto fail;
        }
        if (n) memcpy(copy, p, (size_t)n);
        int copied = 0;
        rc = attach_stream(doc, copy, n, JL_BLOCK_HEAP, &copied, err);
        if ((rc && doc->nblocks == 0) || copied) jl_free(&doc->alloc, copy);
    } else {
        int copied = 0;
        rc = attach_stream(doc, p, n, JL_BLOCK_BORROWED, &copied, err);
    }
    if (rc) goto fail;
    rc = run(doc, NULL, NULL, NULL, err);
    if (rc) goto fail;
    *out = doc;
    return JL_OK;
fail:
    jl_doc_free(doc);
    return rc ? rc : JL_E_FORMAT;
}
