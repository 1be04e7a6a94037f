/*
 * test_container_source.c - the file source (codec/source.c): mapping
 * regular files, the read() fallback for empty files, /proc files and
 * pipes, the size limit, errors that name the path and errno's text, and
 * allocation failures in the fallback.
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_regular), cmocka_unit_test(test_map_empty),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_proc),
        cmocka_unit_test(test_pipe),
    };
    return cmocka_run_group_tests_name("source", tests, setup, teardown);
}
