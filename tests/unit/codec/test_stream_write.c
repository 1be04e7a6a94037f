/*
 * test_stream_write.c - streams that never stand whole in memory: a jl_buf
 * with a sink (chunks, large appends handed on without a copy, failures),
 * the pickle writer into such a buffer (the same bytes as into memory,
 * alignment counted from the stream's start), and files written in pieces
 * with jl_atomic_open / append / commit / abort (complete or absent,
 * RLIMIT_FSIZE mid-stream).
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "decode.h"
#include "seed_bytes.h"
#include "testutil.h"
#include "writer.h"

typedef struct collect {
    jl_buf all;    /* what the sink took, in order */
    int calls;
    uint64_t biggest;
    int fail_at;   /* fail on this call (1-based), 0 = never */
} collect;

static int collect_sink(void *ctx, const void *p, uint64_t n) {
    collect *c = ctx;
    c->calls++;
    if (c->fail_at && c->calls == c->fail_at) return 1;
    if (n > c->biggest) c->biggest = n;
    return jl_buf_append(&c->all, p, n);
}

static void test_buf_sink_chunks(void **state) {
    (void)state;
    collect c = { .fail_at = 0 };
    jl_buf_init(&c.all, NULL, 0);
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    b.sink = collect_sink;
    b.sink_ctx = &c;
    /* small appends gather in the buffer; a large one goes straight on */
    uint8_t *big = malloc(3 * JL_BUF_SINK_CHUNK);
    for (uint64_t i = 0; i < 3 * JL_BUF_SINK_CHUNK; i++) big[i] = (uint8_t)(i * 7);
    for (int i = 0; i < 1000; i++) assert_int_equal(jl_buf_printf(&b, "%04d", i), JL_OK);
    assert_int_equal(c.calls, 0);
    assert_int_equal(b.len, 4000);
    assert_int_equal(jl_buf_append(&b, big, 3 * JL_BUF_SINK_CHUNK), JL_OK);
    assert_int_equal(c.calls, 2); /* the 4000 bytes, then the large block as it is */
    assert_int_equal(c.biggest, 3 * JL_BUF_SINK_CHUNK);
    assert_int_equal(b.len, 0);
    assert_int_equal(jl_buf_puts(&b, "tail"), JL_OK);
    assert_int_equal(jl_buf_flush(&b), JL_OK);
    assert_int_equal(b.sunk, 4000 + 3 * JL_BUF_SINK_CHUNK + 4);
    assert_int_equal(c.all.len, b.sunk);
    assert_memory_equal(c.all.p, "00000001", 8);
    assert_memory_equal(c.all.p + 4000, big, 3 * JL_BUF_SINK_CHUNK);
    assert_memory_equal(c.all.p + 4000 + 3 * JL_BUF_SINK_CHUNK, "tail", 4);
    /* a sink that fails stops the buffer */
    collect f = { .fail_at = 1 };
    jl_buf_init(&f.all, NULL, 0);
    jl_buf fb;
    jl_buf_init(&fb, NULL, 0);
    fb.sink = collect_sink;
    fb.sink_ctx = &f;
    assert_int_equal(jl_buf_append(&fb, big, 2 * JL_BUF_SINK_CHUNK), JL_E_IO);
    assert_int_equal(jl_buf_puts(&fb, "more"), JL_E_IO);
    assert_int_equal(jl_buf_flush(&fb), JL_E_IO);
    free(big);
    jl_buf_free(&b);
    jl_buf_free(&fb);
    jl_buf_free(&c.all);
    jl_buf_free(&f.all);
}

/* The writer through a sink gives the bytes it gives in memory: the seed
 * (333 bytes, 16-aligned data) and a bundle whose array is larger than a
 * sink chunk, after a prefix that shifts the alignment. */
static void test_writer_through_sink(void **state) {
    (void)state;
    jl_doc *doc;
    jl_error err;
    assert_int_equal(jl_open_memory(seed_p4, sizeof seed_p4, 1, NULL, &doc, &err), JL_OK);
    collect c = { .fail_at = 0 };
    jl_buf_init(&c.all, NULL, 0);
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    b.sink = collect_sink;
    b.sink_ctx = &c;
    assert_int_equal(jl_write_stream(doc, doc->root, 4, &b, &err), JL_OK);
    assert_int_equal(jl_buf_flush(&b), JL_OK);
    assert_int_equal(c.all.len, sizeof seed_p4);
    assert_memory_equal(c.all.p, seed_p4, sizeof seed_p4);
    jl_buf_free(&b);
    jl_buf_free(&c.all);
    jl_doc_free(doc);

    /* a 3 MiB int8 array: the payload leaves as one piece */
    jl_doc *big = jl_doc_new(NULL, NULL);
    uint32_t dt = jl_dtype_new(big, &err);
    big->dtypes[dt].kind = 'i';
    big->dtypes[dt].byteorder = '|';
    big->dtypes[dt].itemsize = 1;
    jl_ref ref;
    uint64_t n = 3 * JL_BUF_SINK_CHUNK + 5;
    uint8_t *data = jl_heap_alloc(big, n, &ref, &err);
    for (uint64_t i = 0; i < n; i++) data[i] = (uint8_t)i;
    uint32_t ai = jl_array_new(big, &err);
    uint32_t at = jl_dims_new(big, 1, &err);
    big->dims[at] = n;
    jl_array *a = &big->arrays[ai];
    a->dtype = dt;
    a->ndim = 1;
    a->dims_at = at;
    a->data = ref;
    uint32_t arr = jl_node_new(big, JL_NDARRAY, &err);
    big->nodes[arr].u.ext = ai;
    uint32_t list = jl_node_new(big, JL_LIST, &err);
    uint32_t s = jl_new_bytes(big, JL_STR, "shift", 5, &err);
    uint32_t items[2] = { s, arr };
    assert_int_equal(jl_kids_append(big, list, items, 2, &err), JL_OK);
    jl_buf mem;
    jl_buf_init(&mem, NULL, 0);
    assert_int_equal(jl_write_stream(big, list, 4, &mem, &err), JL_OK);
    collect c2 = { .fail_at = 0 };
    jl_buf_init(&c2.all, NULL, 0);
    jl_buf_init(&b, NULL, 0);
    b.sink = collect_sink;
    b.sink_ctx = &c2;
    assert_int_equal(jl_write_stream(big, list, 4, &b, &err), JL_OK);
    assert_int_equal(jl_buf_flush(&b), JL_OK);
    assert_int_equal(c2.all.len, mem.len);
    assert_memory_equal(c2.all.p, mem.p, mem.len);
    assert_int_equal(c2.biggest, n);
    /* and it reads back */
    jl_doc *back;
    assert_int_equal(jl_open_memory((uint8_t *)c2.all.p, c2.all.len, 1, NULL, &back, &err), JL_OK);
    const jl_array *ba = jl_array_of(back, jl_kids_of(back, back->root)[1]);
    assert_int_equal(ba->data.len, n);
    assert_int_equal(ba->data.off % 16, 0);
    assert_memory_equal(jl_ref_ptr(back, ba->data), data, n);
    jl_doc_free(back);
    jl_buf_free(&b);
    jl_buf_free(&mem);
    jl_buf_free(&c2.all);
    jl_doc_free(big);
}

static char dir[64];

static int entries(void) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_atomic_pieces(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/jl_stream_%d", (int)getpid());
    assert_int_equal(mkdir(dir, 0755), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/out.pkl", dir);
    jl_error err;
    /* commit: the pieces, in order, and nothing else in the directory */
    jl_atomic_file *f = jl_atomic_open(path, &err);
    assert_non_null(f);
    assert_int_equal(access(path, F_OK), -1); /* not there until the commit */
    assert_int_equal(jl_atomic_append(f, "abc", 3, &err), JL_OK);
    assert_int_equal(jl_atomic_append(f, "defg", 4, &err), JL_OK);
    assert_int_equal(jl_atomic_commit(f, &err), JL_OK);
    uint64_t n;
    uint8_t *got = jl_test_read_file(path, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(got, "abcdefg", 7);
    free(got);
    assert_int_equal(entries(), 1);
    /* abort: the old file stays, the temporary goes */
    f = jl_atomic_open(path, &err);
    assert_int_equal(jl_atomic_append(f, "zzz", 3, &err), JL_OK);
    assert_int_equal(entries(), 2);
    jl_atomic_abort(f);
    assert_int_equal(entries(), 1);
    got = jl_test_read_file(path, &n);
    assert_memory_equal(got, "abcdefg", 7);
    free(got);
    /* the file size limit hit in the middle: an error naming it, the old file kept */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 10;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    f = jl_atomic_open(path, &err);
    assert_int_equal(jl_atomic_append(f, "12345678", 8, &err), JL_OK);
    assert_int_equal(jl_atomic_append(f, "12345678", 8, &err), JL_E_IO);
    assert_non_null(strstr(err.message, "16 bytes exceed the file size limit (RLIMIT_FSIZE 10 bytes)"));
    jl_atomic_abort(f);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(entries(), 1);
    /* a directory that does not exist */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/nope/x.pkl", dir);
    assert_null(jl_atomic_open(missing, &err));
    assert_non_null(strstr(err.message, "nope"));
    unlink(path);
    rmdir(dir);
}

int main(void) {
    signal(SIGXFSZ, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_sink_chunks),
        cmocka_unit_test(test_writer_through_sink),
        cmocka_unit_test(test_atomic_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
