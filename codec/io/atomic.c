/*
 * atomic.c - files that appear complete or not at all (see atomic.h):
 * temporary file in the same directory, write, fsync, rename over the
 * destination, fsync the directory. POSIX only. A successful write also
 * removes what writers killed mid-write left behind (clean_stale).
 *
 * The few small strings kept here (names of temporary files) come from
 * the C library's malloc: they never leave this file.
 */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Longest part of the destination's name kept in the temporary name, so
 * that the temporary name stays within NAME_MAX. */
#define TMP_BASE_MAX 200
/* Temporary names tried (each with fresh random bits) before giving up. */
#define TMP_ATTEMPTS 100
/* Largest single write(2). */
#define WRITE_CHUNK ((uint64_t)1 << 30)

/* A file being written: owned strings (malloc). */
typedef struct tmpfile_t {
    char *target; /* where it goes (symlinks resolved) */
    char *tmp;    /* the temporary file, NULL when not created */
    char *dir;    /* the target's directory */
    int fd;
} tmpfile_t;

static int io_fail(jl_error *err, int e, const char *what, const char *path) {
    char why[128];
    if (strerror_r(e, why, sizeof why) != 0) snprintf(why, sizeof why, "error %d", e);
    return jl_fail(err, JL_E_IO, JL_NO_OFFSET, "cannot %s '%.160s': %s", what, path, why);
}

static char *dup_n(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t random64(void) {
    static uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    return mix(((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16) ^ mix(c) ^
               (uint64_t)(uintptr_t)&ts);
}

/* Fills t->target and t->dir for destination path. */
static int resolve(tmpfile_t *t, const char *path, jl_error *err) {
    size_t n = strlen(path);
    if (n == 0) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "empty file name");
    if (path[n - 1] == '/') return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "'%.200s' names a directory", path);
    struct stat st;
    char *target = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) target = realpath(path, NULL); /* NULL if dangling */
    if (!target) target = dup_n(path, n);
    if (!target) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
        free(target);
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "'%.200s' is a directory", path);
    }
    const char *slash = strrchr(target, '/');
    char *dir = !slash ? dup_n(".", 1) : slash == target ? dup_n("/", 1) : dup_n(target, (size_t)(slash - target));
    if (!dir) {
        free(target);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    }
    t->target = target;
    t->dir = dir;
    return JL_OK;
}

/* Creates the temporary file next to t->target. */
static int create_tmp(tmpfile_t *t, jl_error *err) {
    const char *slash = strrchr(t->target, '/');
    const char *base = slash ? slash + 1 : t->target;
    size_t bn = strlen(base);
    if (bn > TMP_BASE_MAX) bn = TMP_BASE_MAX;
    size_t dn = slash ? (size_t)(slash - t->target) + 1 : 0; /* keeps the '/' */
    size_t cap = dn + 1 + bn + 1 + 20 + 1 + 16 + 7 + 1;
    char *name = malloc(cap);
    if (!name) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    for (int attempt = 0; attempt < TMP_ATTEMPTS; attempt++) {
        /* the writer's pid is in the name, so that a later write can tell
         * the leftovers of a killed writer (clean_stale) */
        snprintf(name, cap, "%.*s.%.*s.%ld-%016llx.jltmp", (int)dn, t->target, (int)bn, base, (long)getpid(),
                 (unsigned long long)random64());
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            t->fd = fd;
            t->tmp = name;
            /* keep the mode of the file being replaced */
            struct stat st;
            if (stat(t->target, &st) == 0 && S_ISREG(st.st_mode)) (void)fchmod(fd, st.st_mode & 07777);
            return JL_OK;
        }
        if (errno == EEXIST || errno == EINTR) continue;
        int e = errno;
        free(name);
        if (e == ENOENT) return io_fail(err, e, "write to directory", t->dir);
        return io_fail(err, e, "create a file in", t->dir);
    }
    free(name);
    return jl_fail(err, JL_E_IO, JL_NO_OFFSET, "cannot create a temporary file in '%.200s'", t->dir);
}

/* Writes p[0..n) at the file's end; `before` bytes are already there
 * (for the RLIMIT_FSIZE check). */
static int write_bytes(tmpfile_t *t, const uint8_t *p, uint64_t n, uint64_t before, const char *path,
                       jl_error *err) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && before + n > (uint64_t)rl.rlim_cur)
        return jl_fail(err, JL_E_IO, JL_NO_OFFSET,
                       "cannot write '%.160s': %llu bytes exceed the file size limit (RLIMIT_FSIZE %llu bytes)",
                       path, (unsigned long long)(before + n), (unsigned long long)rl.rlim_cur);
    while (n) {
        size_t chunk = (size_t)(n < WRITE_CHUNK ? n : WRITE_CHUNK);
        ssize_t w = write(t->fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            return io_fail(err, errno, "write", path);
        }
        if (w == 0) return io_fail(err, EIO, "write", path);
        p += w;
        n -= (uint64_t)w;
    }
    return JL_OK;
}

/* Flushes the temporary file to the disk and closes it. */
static int finish(tmpfile_t *t, const char *path, jl_error *err) {
    if (fsync(t->fd) != 0) return io_fail(err, errno, "write", path);
    int rc = close(t->fd);
    t->fd = -1;
    if (rc != 0) return io_fail(err, errno, "write", path);
    return JL_OK;
}

static int write_all(tmpfile_t *t, const uint8_t *p, uint64_t n, const char *path, jl_error *err) {
    int rc = write_bytes(t, p, n, 0, path, err);
    return rc ? rc : finish(t, path, err);
}

static void discard(tmpfile_t *t) {
    if (t->fd >= 0) close(t->fd);
    if (t->tmp) unlink(t->tmp);
    free(t->tmp);
    free(t->target);
    free(t->dir);
    t->fd = -1;
    t->tmp = t->target = t->dir = NULL;
}

/* Removes the temporary files that writers killed before their rename
 * (SIGKILL, power loss) left next to t->target: ".<name>.<pid>-<hex>.jltmp"
 * whose pid no longer runs. A live writer's file is never touched. */
static void clean_stale(const tmpfile_t *t) {
    const char *slash = strrchr(t->target, '/');
    const char *base = slash ? slash + 1 : t->target;
    size_t bn = strlen(base);
    if (bn > TMP_BASE_MAX) bn = TMP_BASE_MAX;
    DIR *d = opendir(t->dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        if (len < bn + 2 + 6 || n[0] != '.' || strncmp(n + 1, base, bn) != 0 || n[bn + 1] != '.' ||
            strcmp(n + len - 6, ".jltmp") != 0)
            continue;
        char *end;
        long pid = strtol(n + bn + 2, &end, 10);
        if (end == n + bn + 2 || *end != '-' || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to judge */
        size_t dl = strlen(t->dir);
        char *path = malloc(dl + 1 + len + 1);
        if (!path) break;
        snprintf(path, dl + 1 + len + 1, "%s/%s", t->dir, n);
        (void)unlink(path);
        free(path);
    }
    closedir(d);
}

static void sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    (void)fsync(fd); /* best effort: some file systems refuse directory fsync */
    close(fd);
}

int jl_atomic_write_many(const jl_atomic_part *parts, size_t nparts, jl_error *err) {
    jl_error local;
    if (!err) err = &local;
    if (nparts == 0) return JL_OK;
    tmpfile_t *t = calloc(nparts, sizeof *t);
    if (!t) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    for (size_t i = 0; i < nparts; i++) t[i].fd = -1;
    int rc = JL_OK;
    size_t i;
    for (i = 0; i < nparts && rc == JL_OK; i++) {
        if (!parts[i].path) {
            rc = jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "no file name");
            break;
        }
        if ((rc = resolve(&t[i], parts[i].path, err)) || (rc = create_tmp(&t[i], err))) break;
        rc = write_all(&t[i], parts[i].p, parts[i].p ? parts[i].n : 0, parts[i].path, err);
    }
    for (i = 0; i < nparts && rc == JL_OK; i++) {
        if (rename(t[i].tmp, t[i].target) != 0) {
            rc = io_fail(err, errno, "write", parts[i].path);
            break;
        }
        free(t[i].tmp); /* renamed: nothing to remove any more */
        t[i].tmp = NULL;
    }
    if (rc == JL_OK) {
        for (i = 0; i < nparts; i++) clean_stale(&t[i]);
        for (i = 0; i < nparts; i++) {
            size_t k;
            for (k = 0; k < i && strcmp(t[k].dir, t[i].dir) != 0; k++) {}
            if (k == i) sync_dir(t[i].dir);
        }
    }
    for (i = 0; i < nparts; i++) discard(&t[i]);
    free(t);
    return rc;
}

int jl_atomic_write(const char *path, const void *p, uint64_t n, jl_error *err) {
    jl_atomic_part part = { path, p, n };
    return jl_atomic_write_many(&part, 1, err);
}

/* ---- one file written in pieces ------------------------------------------- */

struct jl_atomic_file {
    tmpfile_t t;
    char *path;       /* as the caller named it, for messages */
    uint64_t written;
};

jl_atomic_file *jl_atomic_open(const char *path, jl_error *err) {
    if (!path) {
        jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "no file name");
        return NULL;
    }
    jl_atomic_file *f = calloc(1, sizeof *f);
    char *copy = f ? dup_n(path, strlen(path)) : NULL;
    if (!f || !copy) {
        free(f);
        jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
        return NULL;
    }
    f->path = copy;
    f->t.fd = -1;
    int rc = resolve(&f->t, path, err);
    if (!rc) rc = create_tmp(&f->t, err);
    if (rc) {
        jl_atomic_abort(f);
        return NULL;
    }
    return f;
}

int jl_atomic_append(jl_atomic_file *f, const void *p, uint64_t n, jl_error *err) {
    int rc = write_bytes(&f->t, p, n, f->written, f->path, err);
    if (!rc) f->written += n;
    return rc;
}

int jl_atomic_commit(jl_atomic_file *f, jl_error *err) {
    int rc = finish(&f->t, f->path, err);
    if (!rc && rename(f->t.tmp, f->t.target) != 0) rc = io_fail(err, errno, "write", f->path);
    if (!rc) {
        free(f->t.tmp); /* renamed: nothing to remove any more */
        f->t.tmp = NULL;
        clean_stale(&f->t);
        sync_dir(f->t.dir);
    }
    jl_atomic_abort(f);
    return rc;
}

void jl_atomic_abort(jl_atomic_file *f) {
    if (!f) return;
    discard(&f->t);
    free(f->path);
    free(f);
}
