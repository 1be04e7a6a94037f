/*
 * source.c - input sources: the whole of a file as read-only bytes.
 *
 * A regular, non-empty file is mapped (PROT_READ, MAP_PRIVATE) and its
 * descriptor stays open in m->fd (for private re-mappings of parts of it,
 * see jl_block.fd); jl_unmap closes it unless the caller took it. Anything
 * else - an empty regular file (which may still yield bytes, like those in
 * /proc), a pipe, a character device, or a file the kernel refuses to map -
 * is read with read() into a buffer from the caller's allocator that grows
 * up to max_len bytes (a mapped file is not bounded: mapping allocates nothing). Every error names the path and errno's text.
 *
 * A mapped file that another process truncates while it is mapped makes
 * reads past the new end fault (SIGBUS); joblib bundles are not written in
 * place, so this is left to the caller's file discipline.
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ULL(x) ((unsigned long long)(x))

static int fail_errno(jl_error *err, int e, const char *verb, const char *path) {
    char why[128];
    if (strerror_r(e, why, sizeof why) != 0) why[0] = 0;
    return jl_fail(err, JL_E_IO, JL_NO_OFFSET, "cannot %s '%s': %s", verb, path,
                   why[0] ? why : "unknown error");
}

static int fail_too_big(jl_error *err, const char *path, uint64_t max_len) {
    return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "'%s' is larger than the limit of %llu bytes",
                   path, ULL(max_len));
}

/* Reads fd to its end into a buffer of at most max_len bytes. */
static int read_all(int fd, const char *path, const jl_alloc *a, uint64_t max_len, jl_mapped *m,
                    jl_error *err) {
    uint8_t *p = NULL; /* owned: jl_free(a) unless handed to m */
    uint64_t len = 0, cap = 0;
    int rc = JL_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= max_len) {
                /* full: one more byte means the file is too big */
                uint8_t probe;
                ssize_t k;
                do k = read(fd, &probe, 1);
                while (k < 0 && errno == EINTR);
                if (k < 0)
                    rc = fail_errno(err, errno, "read", path);
                else if (k > 0)
                    rc = fail_too_big(err, path, max_len);
                break;
            }
            uint64_t ncap = cap ? (cap > max_len / 2 ? max_len : cap * 2) : ((uint64_t)64 << 10);
            if (ncap > max_len) ncap = max_len;
            void *q = ncap <= SIZE_MAX ? jl_realloc(a, p, (size_t)ncap) : NULL;
            if (!q) {
                rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET,
                             "cannot allocate %llu bytes to read '%s'", ULL(ncap), path);
                break;
            }
            p = q;
            cap = ncap;
        }
        size_t want = (size_t)(cap - len > ((uint64_t)1 << 30) ? (uint64_t)1 << 30 : cap - len);
        ssize_t k = read(fd, p + len, want);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            rc = fail_errno(err, errno, "read", path);
            break;
        }
        if (k == 0) break;
        len += (uint64_t)k;
    }
    if (rc || len == 0) {
        jl_free(a, p);
        p = NULL;
    }
    if (rc) return rc;
    m->p = p;
    m->len = len;
    m->is_mmap = 0;
    return JL_OK;
}

int jl_map_file(const char *path, const jl_alloc *a, uint64_t max_len, jl_mapped *m,
                jl_error *err) {
    if (!a) a = jl_alloc_default();
    m->p = NULL;
    m->len = 0;
    m->is_mmap = 0;
    m->fd = -1;
    m->alloc = a;
    if (max_len == 0) max_len = UINT64_MAX; /* 0 = no limit */
    int fd;
    do fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return fail_errno(err, errno, "open", path);
    int rc = JL_OK;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = fail_errno(err, errno, "stat", path);
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = fail_errno(err, EISDIR, "read", path);
        goto done;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        /* a mapping costs no memory: max_len bounds only what is read */
        uint64_t size = (uint64_t)st.st_size;
        if (size <= SIZE_MAX) {
            void *q = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (q != MAP_FAILED) {
                m->p = q;
                m->len = size;
                m->is_mmap = 1;
                m->fd = fd; /* kept open */
                return JL_OK;
            }
        }
        /* not mappable (some file systems): read it instead */
        if (size > max_len) {
            rc = fail_too_big(err, path, max_len);
            goto done;
        }
    }
    rc = read_all(fd, path, a, max_len, m, err);
done:
    close(fd);
    return rc;
}

void jl_unmap(jl_mapped *m) {
    if (!m) return;
    if (m->p) {
        if (m->is_mmap)
            munmap((void *)(uintptr_t)m->p, (size_t)m->len);
        else
            jl_free(m->alloc ? m->alloc : jl_alloc_default(), (void *)(uintptr_t)m->p);
    }
    if (m->fd >= 0) close(m->fd);
    m->p = NULL;
    m->len = 0;
    m->is_mmap = 0;
    m->fd = -1;
}

int jl_mapped_take_fd(jl_mapped *m, uint64_t min_len) {
    int fd = m->fd;
    m->fd = -1;
    if (fd >= 0 && m->len < min_len) {
        close(fd);
        fd = -1;
    }
    return fd;
}
