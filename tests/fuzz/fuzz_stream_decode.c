/*
 * fuzz_stream_decode.c - libFuzzer target for the streaming decode path of
 * big compressed files (pickle/feed.c: the structure decoded while a
 * helper thread inflates, big inline payloads skipped and read lazily,
 * value/lazy.c and value/lazy_read.c), which fuzz_decode never reaches:
 * it opens memory, and only files stream.
 *
 * Input: byte 0 picks the compressor (zlib, gzip, bz2, xz, lz4: those
 * this build has), byte 1 the thresholds, the rest is an uncompressed
 * stream (a pickle, a bundle, anything). The stream is compressed at level
 * 1, written to a file in a private temporary directory and opened with
 * jl_open_file under the fuzz limits, with the thresholds that are 8 MiB
 * and 1 MiB in the library lowered (jl_limits' feed_whole, feed_lazy_min)
 * so that a stream of a few hundred bytes is decoded as it inflates and
 * its payloads are left in the stream; the fuzz build also cuts the
 * reader's pieces small (JL_PULL_PIECE_MAX in CMakeLists.txt). Then:
 *   - the doc is written back (jl_write_stream) before any array is read,
 *     payloads streamed from the compressed file (lazy_read.h);
 *   - every array node is read (jl_lazy_load), the doc's structure checked
 *     (doc_check.h), every array converted to native bytes, the root
 *     rendered as JSON;
 *   - the doc is written again: when both writes succeed they must be the
 *     same bytes.
 * An open or a read fails with a code and a message; never a crash, a
 * leak, a hang or undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "decode.h"
#include "doc_check.h"
#include "fuzz_limits.h"
#include "lazy.h"
#include "ndarray.h"
#include "render.h"
#include "writer.h"

#define CHECK_ERR(rc, err, what) \
    JL_CHECK((err).code == (jl_code)(rc) && (err).message[0], "%s: error %d, code %d, message '%s'", what, rc, \
             (err).code, (err).message)

static char dir[] = "/tmp/jl-fuzz-stream-XXXXXX"; /* this process's, removed at exit */
static char path[256];                           /* the input file in it */

static void remove_dir(void) {
    unlink(path);
    rmdir(dir);
}

static void make_path(void) {
    if (path[0]) return;
    JL_CHECK(mkdtemp(dir) != NULL, "cannot make a temporary directory");
    snprintf(path, sizeof path, "%s/in.pkl", dir);
    atexit(remove_dir);
}

static int write_input(const uint8_t *p, uint64_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(p, 1, (size_t)n, f) == (size_t)n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* The doc's stream (protocol 4) into *out (initialized here, freed by the
 * caller), at most 4 MiB; JL_OK or an error (checked to have a message). */
static int write_back(jl_doc *doc, jl_buf *out) {
    jl_error err;
    jl_error_clear(&err);
    jl_buf_init(out, &doc->alloc, (uint64_t)4 << 20);
    if (doc->root == JL_NONE) return JL_E_ARG;
    int rc = jl_write_stream(doc, doc->root, 4, out, &err);
    if (rc != JL_OK && !out->failed) CHECK_ERR(rc, err, "write");
    return rc == JL_OK && !out->failed ? JL_OK : JL_E_LIMIT;
}

/* Reads every array node's payload; 0 when all could be read. */
static int load_arrays(jl_doc *doc) {
    uint64_t n0 = doc->nnodes;
    for (uint64_t i = 0; i < n0; i++) {
        uint8_t kind = doc->nodes[i].kind;
        if (kind != JL_NDARRAY && kind != JL_SCALAR) continue;
        jl_error err;
        jl_error_clear(&err);
        int rc = jl_lazy_load(doc, (uint32_t)i, &err);
        if (rc != JL_OK) {
            CHECK_ERR(rc, err, "lazy load");
            return -1;
        }
    }
    for (uint64_t i = 0; i < doc->narrays; i++)
        JL_CHECK(doc->arrays[i].data.block != doc->lazy_block || doc->lazy_block == JL_NONE,
                 "array %llu still in the stream after every array node was read", (unsigned long long)i);
    return 0;
}

/* Every array as native bytes of its declared size. */
static void convert_arrays(jl_doc *doc) {
    uint64_t n0 = doc->nnodes;
    for (uint64_t i = 0; i < n0 && i < 4096; i++) {
        if (doc->nodes[i].kind != JL_NDARRAY) continue;
        const jl_array *a = jl_array_of(doc, (uint32_t)i);
        if (doc->dtypes[a->dtype].has_object || a->items != JL_NONE) continue;
        const uint8_t *p;
        uint64_t n;
        uint8_t *owned;
        jl_error err;
        int rc = jl_array_native_bytes(doc, (uint32_t)i, &p, &n, &owned, &err);
        JL_CHECK(rc == JL_OK, "native bytes of array %llu: %s", (unsigned long long)i, err.message);
        JL_CHECK(n == a->data.len, "native bytes %llu of array %llu", (unsigned long long)n, (unsigned long long)i);
        if (n) jl_check_sink ^= p[0] ^ p[n - 1];
        jl_free(&doc->alloc, owned);
    }
}

static void render_root(jl_doc *doc) {
    jl_buf b;
    jl_error err;
    jl_buf_init(&b, &doc->alloc, (uint64_t)4 << 20);
    int rc = jl_render_json(doc, doc->root, &b, &err);
    if (rc != JL_OK) CHECK_ERR(rc, err, "render");
    jl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const jl_compression kinds[] = { JL_COMP_ZLIB, JL_COMP_GZIP, JL_COMP_BZ2, JL_COMP_XZ, JL_COMP_LZ4 };
    if (size < 3) return 0;
    jl_compression c = kinds[data[0] % (sizeof kinds / sizeof *kinds)];
    if (!jl_compression_available(c)) c = JL_COMP_ZLIB;
    jl_limits lim;
    jl_fuzz_limits(&lim);
    lim.feed_whole = 1 + (uint64_t)(data[1] & 0x1f) * 16;   /* 1 .. 497 bytes decoded at once */
    lim.feed_lazy_min = 1 + (uint64_t)(data[1] >> 5) * 24;  /* payloads of 1 .. 169 bytes skipped */
    uint8_t *z = NULL;
    uint64_t zn = 0;
    jl_error err;
    jl_error_clear(&err);
    if (jl_compress(c, 1, data + 2, size - 2, NULL, &z, &zn, &err) != JL_OK) return 0;
    make_path();
    int written = write_input(z, zn);
    jl_free(jl_alloc_default(), z);
    if (written) return 0;

    jl_open_opts o = { NULL, &lim };
    jl_doc *doc = NULL;
    int rc = jl_open_file(path, &o, &doc, &err);
    if (rc != JL_OK) {
        JL_CHECK(doc == NULL, "a failed open returned a doc");
        CHECK_ERR(rc, err, "open");
        return 0;
    }
    jl_buf lazy, loaded;
    int lazy_rc = write_back(doc, &lazy);
    if (load_arrays(doc) == 0) {
        jl_check_doc(doc);
        convert_arrays(doc);
        render_root(doc);
        if (write_back(doc, &loaded) == JL_OK && lazy_rc == JL_OK)
            JL_CHECK(lazy.len == loaded.len && memcmp(lazy.p, loaded.p, lazy.len) == 0,
                     "written from the stream (%llu bytes) and after loading (%llu bytes) differ",
                     (unsigned long long)lazy.len, (unsigned long long)loaded.len);
        jl_buf_free(&loaded);
    }
    jl_buf_free(&lazy);
    jl_doc_free(doc);
    return 0;
}
