/*
 * archive.c - the one pickle of a zip or tar archive (archive.h).
 */
#include "archive.h"

#include <string.h>

#include "start.h"
#include "tarread.h"
#include "zipread.h"

/* The member of a one-file zip, when it can start a pickle (else *out
 * stays NULL). */
static int zip_member(jl_doc *doc, const uint8_t *p, uint64_t n, uint8_t **out, uint64_t *out_len, jl_error *err) {
    jl_zip *z;
    jl_error ignored;
    jl_error_clear(&ignored);
    if (!jl_zip_available() || jl_zip_open(p, n, &doc->alloc, &z, &ignored) != JL_OK) return JL_OK;
    jl_zip_member m;
    int rc = JL_OK;
    if (jl_zip_count(z) == 1 && jl_zip_member_at(z, 0, &m, &ignored) == JL_OK) {
        size_t len = strlen(m.name);
        if (!(len >= 4 && memcmp(m.name + len - 4, ".npy", 4) == 0)) {
            uint64_t budget = doc->limits.max_decompressed;
            rc = jl_zip_read(z, 0, doc->limits.max_alloc, &budget, out, out_len, err);
            if (rc == JL_OK && !jl_pickle_can_start(*out, *out_len)) {
                jl_free(&doc->alloc, *out);
                *out = NULL;
            }
        }
    }
    jl_zip_close(z);
    return rc;
}

int jl_archive_member(jl_doc *doc, const uint8_t *p, uint64_t n, uint8_t **out, uint64_t *out_len, jl_error *err) {
    *out = NULL;
    *out_len = 0;
    if (jl_zip_magic(p, n)) return zip_member(doc, p, n, out, out_len, err);
    uint64_t off, len;
    char name[128];
    if (!jl_tar_single(p, n, &off, &len, name, sizeof name) || !jl_pickle_can_start(p + off, len)) return JL_OK;
    if (len > doc->limits.max_alloc)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "the tar member '%s' holds %llu bytes, above max_alloc", name,
                       (unsigned long long)len);
    *out = jl_malloc(&doc->alloc, (size_t)(len ? len : 1));
    if (!*out) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory reading tar member '%s'", name);
    if (len) memcpy(*out, p + off, (size_t)len);
    *out_len = len;
    return JL_OK;
}
