/*
 * zipread.c - zip archives from memory (zipread.h; not "zip.h", which
 * would shadow libzip's <zip.h> on the include path) through libzip: a
 * buffer source, the central directory for names and sizes, zip_fread.
 * libzip is not linked: its functions are called through the table
 * zipload.c fills on the first open (so only .npz input loads it).
 * Sizes an archive claims are checked against the caller's limits before
 * a buffer is allocated, and the bytes read must match them.
 */
#include "zipread.h"

#include <string.h>

int jl_zip_magic(const uint8_t *p, uint64_t n) {
    return n >= 4 && p[0] == 'P' && p[1] == 'K' && ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

#ifdef HAVE_LIBZIP

#include "zipload.h"

struct jl_zip {
    zip_t *za;
    const jl_zipfn *fn; /* libzip, loaded */
    const jl_alloc *a;
};

int jl_zip_available(void) { return 1; }

int jl_zip_open(const uint8_t *p, uint64_t n, const jl_alloc *a, jl_zip **out, jl_error *err) {
    *out = NULL;
    const jl_zipfn *fn;
    int lrc = jl_zipload(&fn, err);
    if (lrc) return lrc;
    zip_error_t ze;
    fn->zip_error_init(&ze);
    zip_source_t *src = fn->zip_source_buffer_create(p, n, 0, &ze);
    zip_t *za = src ? fn->zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    if (!za) {
        int rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "not a readable zip archive: %s",
                         fn->zip_error_strerror(&ze));
        if (src) fn->zip_source_free(src);
        fn->zip_error_fini(&ze);
        return rc;
    }
    fn->zip_error_fini(&ze);
    jl_zip *z = jl_malloc(a, sizeof *z);
    if (!z) {
        fn->zip_discard(za);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory opening a zip archive");
    }
    z->za = za;
    z->fn = fn;
    z->a = a;
    *out = z;
    return JL_OK;
}

void jl_zip_close(jl_zip *z) {
    if (!z) return;
    z->fn->zip_discard(z->za);
    jl_free(z->a, z);
}

uint64_t jl_zip_count(const jl_zip *z) {
    zip_int64_t n = z->fn->zip_get_num_entries(z->za, 0);
    return n > 0 ? (uint64_t)n : 0;
}

int jl_zip_member_at(jl_zip *z, uint64_t i, jl_zip_member *m, jl_error *err) {
    zip_stat_t st;
    z->fn->zip_stat_init(&st);
    if (z->fn->zip_stat_index(z->za, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
        !(st.valid & ZIP_STAT_SIZE))
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "zip member %llu cannot be read: %s",
                       (unsigned long long)i, z->fn->zip_strerror(z->za));
    m->name = st.name;
    m->size = st.size;
    m->csize = st.valid & ZIP_STAT_COMP_SIZE ? st.comp_size : 0;
    m->deflated = (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_DEFLATE;
    if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE &&
        st.comp_method != ZIP_CM_DEFLATE)
        return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET,
                       "zip member '%s' uses compression method %d (only stored and deflated are read)",
                       st.name, (int)st.comp_method);
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "zip member '%s' is encrypted", st.name);
    return JL_OK;
}

int jl_zip_read(jl_zip *z, uint64_t i, uint64_t max_alloc, uint64_t *budget, uint8_t **out, uint64_t *len,
                jl_error *err) {
    *out = NULL;
    *len = 0;
    jl_zip_member m;
    int rc = jl_zip_member_at(z, i, &m, err);
    if (rc) return rc;
    if (m.size > max_alloc)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET,
                       "zip member '%s' claims %llu bytes, more than max_alloc (%llu)", m.name,
                       (unsigned long long)m.size, (unsigned long long)max_alloc);
    if (m.size > *budget)
        return jl_fail(
            err, JL_E_LIMIT, JL_NO_OFFSET,
            "decompressed size exceeds the limit of max_decompressed: zip member '%s' claims %llu bytes",
            m.name, (unsigned long long)m.size);
    zip_file_t *f = z->fn->zip_fopen_index(z->za, i, 0);
    if (!f)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "zip member '%s' cannot be opened: %s", m.name,
                       z->fn->zip_strerror(z->za));
    uint8_t *buf = jl_malloc(z->a, (size_t)(m.size ? m.size : 1));
    if (!buf) {
        z->fn->zip_fclose(f);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory reading zip member '%s' (%llu bytes)",
                       m.name, (unsigned long long)m.size);
    }
    uint64_t got = 0;
    for (;;) {
        uint8_t extra;
        /* read up to the claimed size, then one byte more to catch a member that is longer */
        uint8_t *at = got < m.size ? buf + got : &extra;
        uint64_t want = got < m.size ? m.size - got : 1;
        zip_int64_t r = z->fn->zip_fread(f, at, want);
        if (r < 0) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "zip member '%s' is damaged: %s", m.name,
                         z->fn->zip_file_strerror(f));
            break;
        }
        if (r == 0) {
            if (got < m.size)
                rc = jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                             "zip member '%s' is truncated: %llu bytes expected, %llu present", m.name,
                             (unsigned long long)m.size, (unsigned long long)got);
            break;
        }
        if (got >= m.size) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                         "zip member '%s' holds more than the %llu bytes it claims", m.name,
                         (unsigned long long)m.size);
            break;
        }
        got += (uint64_t)r;
    }
    z->fn->zip_fclose(f);
    if (rc) {
        jl_free(z->a, buf);
        return rc;
    }
    *budget -= m.size;
    *out = buf;
    *len = m.size;
    return JL_OK;
}

#else /* no libzip in this build */

struct jl_zip {
    int unused;
};

int jl_zip_available(void) { return 0; }

int jl_zip_open(const uint8_t *p, uint64_t n, const jl_alloc *a, jl_zip **out, jl_error *err) {
    (void)p, (void)n, (void)a;
    *out = NULL;
    return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no zip support");
}

void jl_zip_close(jl_zip *z) { (void)z; }

uint64_t jl_zip_count(const jl_zip *z) {
    (void)z;
    return 0;
}

int jl_zip_member_at(jl_zip *z, uint64_t i, jl_zip_member *m, jl_error *err) {
    (void)z, (void)i, (void)m;
    return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no zip support");
}

int jl_zip_read(jl_zip *z, uint64_t i, uint64_t max_alloc, uint64_t *budget, uint8_t **out, uint64_t *len,
                jl_error *err) {
    (void)z, (void)i, (void)max_alloc, (void)budget;
    *out = NULL;
    *len = 0;
    return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no zip support");
}

#endif
