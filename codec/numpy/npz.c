/*
 * npz.c - .npz archives (npz.h): the zip is opened with codec/io/zipread.h,
 * every member read whole into a heap block of the doc (a member is
 * compressed or not, and small next to the arrays it holds: no mapping),
 * then passed on with its key.
 */
#include "npz.h"

#include <stdio.h>
#include <string.h>

#include "sniff.h"
#include "zipread.h"

static int ends_with_npy(const char *name, size_t len) {
    return len >= 4 && memcmp(name + len - 4, ".npy", 4) == 0;
}

int jl_npz_read(jl_doc *doc, const uint8_t *p, uint64_t n, jl_npz_each each, void *ctx, jl_error *err) {
    jl_zip *z;
    int rc = jl_zip_open(p, n, &doc->alloc, &z, err);
    if (rc) {
        if (rc == JL_E_FORMAT) {
            char msg[sizeof err->message];
            memcpy(msg, err->message, sizeof msg);
            rc = jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET, "truncated or damaged zip archive (.npz): %.200s",
                         msg);
        }
        return rc;
    }
    uint64_t count = jl_zip_count(z), npy = 0;
    jl_zip_member m;
    for (uint64_t i = 0; i < count && !rc; i++)
        if (!(rc = jl_zip_member_at(z, i, &m, err)) && ends_with_npy(m.name, strlen(m.name))) npy++;
    if (!rc && count && !npy) rc = jl_sniff_fail(p, n, err);
    uint64_t budget = doc->limits.max_decompressed;
    for (uint64_t i = 0; i < count && !rc; i++) {
        uint8_t *buf;
        uint64_t len;
        if ((rc = jl_zip_read(z, i, doc->limits.max_alloc, &budget, &buf, &len, err))) break;
        jl_npz_member e;
        if ((rc = jl_zip_member_at(z, i, &m, err))) {
            jl_free(&doc->alloc, buf);
            break;
        }
        e.block = jl_block_add(doc, buf, len, JL_BLOCK_HEAP, err);
        if (e.block == JL_NONE) {
            jl_free(&doc->alloc, buf);
            rc = err->code;
            break;
        }
        size_t name_len = strlen(m.name);
        e.name = m.name;
        e.is_npy = ends_with_npy(m.name, name_len);
        e.key = m.name;
        e.key_len = e.is_npy ? name_len - 4 : name_len;
        rc = each(ctx, &e, err);
    }
    jl_zip_close(z);
    return rc;
}
