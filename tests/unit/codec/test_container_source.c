/*
 * test_container_source.c - the file source (codec/io/source.c): mapping
 * regular files, the read() fallback for empty files, /proc files and
 * pipes, the size limit, errors that name the path and errno's text, and
 * allocation failures in the fallback; the descriptor a mapped file keeps
 * (jl_mapped.fd) and the blocks of an opened doc that take it (jl_block.fd).
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "decode.h"
#include "source.h"

static char tmpdir[256];

static uint8_t *pattern(size_t n) {
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 7 + i / 251);
    return p;
}

static const char *write_temp(const char *name, const uint8_t *p, size_t n) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

static int setup(void **state) {
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/jl_source_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_map_regular(void **state) {
    (void)state;
    uint8_t *data = pattern(100000);
    char path[512];
    snprintf(path, sizeof path, "%s", write_temp("a.pkl", data, 100000));
    jl_test_alloc t;
    jl_test_alloc_init(&t, 0); /* mapping allocates nothing */
    jl_mapped m;
    jl_error err;
    assert_int_equal(jl_map_file(path, &t.alloc, 0, &m, &err), JL_OK);
    assert_int_equal(m.is_mmap, 1);
    assert_int_equal(m.len, 100000);
    assert_memory_equal(m.p, data, 100000);
    jl_unmap(&m);
    assert_null(m.p);
    assert_int_equal(m.len, 0);
    assert_int_equal(t.live, 0);
    /* the limit bounds what is read, not what is mapped */
    assert_int_equal(jl_map_file(path, NULL, 99999, &m, &err), JL_OK);
    assert_int_equal(m.is_mmap, 1);
    assert_int_equal(m.len, 100000);
    jl_unmap(&m);
    free(data);
}

static void test_map_empty(void **state) {
    (void)state;
    const char *path = write_temp("empty.pkl", NULL, 0);
    jl_test_alloc t;
    jl_test_alloc_init(&t, -1);
    jl_mapped m;
    jl_error err;
    assert_int_equal(jl_map_file(path, &t.alloc, 0, &m, &err), JL_OK);
    assert_null(m.p);
    assert_int_equal(m.len, 0);
    assert_int_equal(m.is_mmap, 0);
    assert_int_equal(t.live, 0);
    jl_unmap(&m);
}

static void test_errors(void **state) {
    (void)state;
    jl_mapped m;
    jl_error err;
    assert_int_equal(jl_map_file("/nonexistent-jl-dir/x.pkl", NULL, 0, &m, &err), JL_E_IO);
    assert_int_equal(err.code, JL_E_IO);
    assert_string_equal(err.message,
                        "cannot open '/nonexistent-jl-dir/x.pkl': No such file or directory");
    assert_null(m.p);
    assert_int_equal(jl_map_file(tmpdir, NULL, 0, &m, &err), JL_E_IO);
    char want[700];
    snprintf(want, sizeof want, "cannot read '%s': Is a directory", tmpdir);
    assert_string_equal(err.message, want);
    if (geteuid() != 0) { /* root opens anything */
        const char *path = write_temp("secret.pkl", (const uint8_t *)"x", 1);
        assert_int_equal(chmod(path, 0), 0);
        assert_int_equal(jl_map_file(path, NULL, 0, &m, &err), JL_E_IO);
        snprintf(want, sizeof want, "cannot open '%s': Permission denied", path);
        assert_string_equal(err.message, want);
    }
}

/* /proc files are regular files of size 0 that still hold bytes. */
static void test_proc(void **state) {
    (void)state;
    jl_mapped m;
    jl_error err;
    if (access("/proc/self/status", R_OK) != 0) skip();
    assert_int_equal(jl_map_file("/proc/self/status", NULL, 0, &m, &err), JL_OK);
    assert_int_equal(m.is_mmap, 0);
    assert_true(m.len > 5);
    assert_memory_equal(m.p, "Name:", 5);
    jl_unmap(&m);
}

/* A child writes n bytes into a pipe; returns the read end's /dev/fd path. */
static pid_t pipe_writer(const uint8_t *p, size_t n, int *rfd, char *path, size_t cap) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        size_t off = 0;
        while (off < n) {
            ssize_t k = write(fds[1], p + off, n - off);
            if (k <= 0) _exit(1);
            off += (size_t)k;
        }
        _exit(0);
    }
    close(fds[1]);
    *rfd = fds[0];
    snprintf(path, cap, "/dev/fd/%d", fds[0]);
    return pid;
}

static void test_pipe(void **state) {
    (void)state;
    const size_t n = 300000; /* several growths of the 64 KiB first buffer */
    uint8_t *data = pattern(n);
    char path[64];
    int rfd, status;
    jl_mapped m;
    jl_error err;

    pid_t pid = pipe_writer(data, n, &rfd, path, sizeof path);
    jl_test_alloc t;
    jl_test_alloc_init(&t, -1);
    assert_int_equal(jl_map_file(path, &t.alloc, 0, &m, &err), JL_OK);
    assert_int_equal(m.is_mmap, 0);
    assert_int_equal(m.len, n);
    assert_memory_equal(m.p, data, n);
    assert_int_equal(t.live, 1);
    jl_unmap(&m);
    assert_int_equal(t.live, 0);
    close(rfd);
    waitpid(pid, &status, 0);

    /* limit: exactly n is fine, n - 1 is not */
    pid = pipe_writer(data, n, &rfd, path, sizeof path);
    assert_int_equal(jl_map_file(path, NULL, n, &m, &err), JL_OK);
    assert_int_equal(m.len, n);
    jl_unmap(&m);
    close(rfd);
    waitpid(pid, &status, 0);
    pid = pipe_writer(data, n, &rfd, path, sizeof path);
    jl_test_alloc_init(&t, -1);
    assert_int_equal(jl_map_file(path, &t.alloc, n - 1, &m, &err), JL_E_LIMIT);
    char want[128];
    snprintf(want, sizeof want, "'%s' is larger than the limit of %zu bytes", path, n - 1);
    assert_string_equal(err.message, want);
    assert_int_equal(t.live, 0);
    close(rfd);
    waitpid(pid, &status, 0);

    /* allocation failures at each growth */
    for (long fail = 0; fail < 4; fail++) {
        pid = pipe_writer(data, n, &rfd, path, sizeof path);
        jl_test_alloc_init(&t, fail);
        assert_int_equal(jl_map_file(path, &t.alloc, 0, &m, &err), JL_E_NOMEM);
        snprintf(want, sizeof want, "cannot allocate %llu bytes to read '%s'",
                 (unsigned long long)(65536ull << fail), path);
        assert_string_equal(err.message, want);
        assert_null(m.p);
        assert_int_equal(t.live, 0);
        close(rfd);
        waitpid(pid, &status, 0);
    }
    free(data);
}

static int fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static int same_file(int fd, const char *path) {
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A mapped file keeps its descriptor (close-on-exec) on the file that was
 * opened, even once another file replaces it; jl_unmap closes it unless it
 * was taken. Read files have none. */
static void test_fd(void **state) {
    (void)state;
    uint8_t *data = pattern(100000);
    char path[512], other[512];
    snprintf(path, sizeof path, "%s", write_temp("fd.pkl", data, 100000));
    snprintf(other, sizeof other, "%s", write_temp("fd2.pkl", data + 1, 5000));
    jl_mapped m;
    jl_error err;
    assert_int_equal(jl_map_file(path, NULL, 0, &m, &err), JL_OK);
    int fd = m.fd;
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_true(same_file(fd, path));
    assert_int_equal(rename(other, path), 0); /* replaced: the fd still reads the old file */
    assert_false(same_file(fd, path));
    uint8_t head[8];
    assert_int_equal(pread(fd, head, 8, 1000), 8);
    assert_memory_equal(head, data + 1000, 8);
    jl_unmap(&m);
    assert_int_equal(m.fd, -1);
    assert_false(fd_open(fd));

    /* taken: jl_unmap leaves it open; too short for min_len: closed */
    assert_int_equal(jl_map_file(path, NULL, 0, &m, &err), JL_OK);
    fd = m.fd;
    assert_int_equal(jl_mapped_take_fd(&m, 5000), fd);
    assert_int_equal(m.fd, -1);
    jl_unmap(&m);
    assert_true(fd_open(fd));
    close(fd);
    assert_int_equal(jl_map_file(path, NULL, 0, &m, &err), JL_OK);
    fd = m.fd;
    assert_int_equal(jl_mapped_take_fd(&m, 5001), -1);
    assert_false(fd_open(fd));
    assert_non_null(m.p); /* the mapping itself is still the caller's */
    jl_unmap(&m);

    /* read, not mapped: no descriptor; failed: none either */
    const char *empty = write_temp("fd_empty.pkl", NULL, 0);
    assert_int_equal(jl_map_file(empty, NULL, 0, &m, &err), JL_OK);
    assert_int_equal(m.is_mmap, 0);
    assert_int_equal(m.fd, -1);
    jl_unmap(&m);
    assert_int_equal(jl_map_file("/nonexistent-jl-dir/x.pkl", NULL, 0, &m, &err), JL_E_IO);
    assert_int_equal(m.fd, -1);
    free(data);
}

/* jl_open_file: an uncompressed file of at least JL_BLOCK_FD_MIN bytes
 * keeps its descriptor in block 0 (and a legacy .npy sidecar in its own
 * block) until jl_doc_free; smaller files keep none. */
static void test_block_fd(void **state) {
    (void)state;
    size_t n = (size_t)JL_BLOCK_FD_MIN;
    uint8_t *big = malloc(n + 16);
    assert_non_null(big);
    /* BINBYTES8 of n - 12 bytes, STOP: a file of exactly n bytes */
    memcpy(big, "\x80\x04\x8e", 3);
    uint64_t k = n - 12;
    for (int i = 0; i < 8; i++) big[3 + i] = (uint8_t)(k >> (8 * i));
    memset(big + 11, 0x5a, (size_t)k);
    big[n - 1] = '.';
    char path[512];
    snprintf(path, sizeof path, "%s", write_temp("big.pkl", big, n));
    jl_doc *doc = NULL;
    jl_error err;
    assert_int_equal(jl_open_file(path, NULL, &doc, &err), JL_OK);
    assert_int_equal(doc->blocks[0].owner, JL_BLOCK_MMAP);
    int fd = doc->blocks[0].fd;
    assert_true(fd >= 0 && same_file(fd, path));
    jl_doc_free(doc);
    assert_false(fd_open(fd));
    /* one byte shorter: no descriptor kept */
    k--;
    for (int i = 0; i < 8; i++) big[3 + i] = (uint8_t)(k >> (8 * i));
    big[n - 2] = '.';
    snprintf(path, sizeof path, "%s", write_temp("small.pkl", big, n - 1));
    assert_int_equal(jl_open_file(path, NULL, &doc, &err), JL_OK);
    assert_int_equal(doc->blocks[0].owner, JL_BLOCK_MMAP);
    assert_int_equal(doc->blocks[0].fd, -1);
    jl_doc_free(doc);

    /* legacy: main.pkl = NDArrayWrapper('s.npy') and an 8 MiB+ int8 .npy */
    static const char npy_head[] = "\x93NUMPY\x01\x00\x76\x00"
                                   "{'descr': '|i1', 'fortran_order': False, 'shape': (8388608,), }";
    uint8_t *npy = big;
    size_t h = sizeof npy_head - 1;
    memcpy(npy, npy_head, h);
    memset(npy + h, ' ', 128 - 1 - h);
    npy[127] = '\n';
    memset(npy + 128, 0x33, n - 128);
    FILE *f = fopen(jl_test_path(tmpdir, "s.npy"), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(npy, 1, 128, f), 128);
    assert_int_equal(fwrite(npy + 128, 1, n - 128, f), n - 128);
    memset(npy, 0x33, 128);
    assert_int_equal(fwrite(npy, 1, 128, f), 128);
    assert_int_equal(fclose(f), 0);
    static const char main_pkl[] = "\x80\x02\x63joblib.numpy_pickle\nNDArrayWrapper\n)\x81}(U\x08" "filename"
                                   "U\x05s.npyU\x08subclass\x63numpy\nndarray\nU\x0a" "allow_mmap\x88ub.";
    snprintf(path, sizeof path, "%s", write_temp("main.pkl", (const uint8_t *)main_pkl, sizeof main_pkl - 1));
    int rc = jl_open_file(path, NULL, &doc, &err);
    if (rc) print_message("open: %s\n", err.message);
    assert_int_equal(rc, JL_OK);
    assert_int_equal(doc->blocks[0].fd, -1);
    const jl_array *a = jl_array_of(doc, doc->root);
    assert_int_equal(a->data.len, n);
    const jl_block *b = &doc->blocks[a->data.block];
    assert_int_equal(b->owner, JL_BLOCK_MMAP);
    fd = b->fd;
    assert_true(fd >= 0 && same_file(fd, jl_test_path(tmpdir, "s.npy")));
    jl_doc_free(doc);
    assert_false(fd_open(fd));
    free(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_regular), cmocka_unit_test(test_map_empty),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_proc),
        cmocka_unit_test(test_pipe),        cmocka_unit_test(test_fd),
        cmocka_unit_test(test_block_fd),
    };
    return cmocka_run_group_tests_name("source", tests, setup, teardown);
}
