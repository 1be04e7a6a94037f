/*
 * fuzz_npy.c - libFuzzer target for .npy headers (jl_npy_parse_header):
 * the input is a whole .npy file. A header that parses has at most 64
 * dims, a data offset inside the input and a dtype whose descr text
 * parses back to the same descr; byte swapping one element stays inside
 * it.
 */
#include <stdint.h>
#include <string.h>

#include "doc_check.h"
#include "dtype.h"
#include "npy.h"
#include "fuzz_limits.h"

static void descr_round_trip(jl_doc *doc, uint32_t dt) {
    jl_buf b1, b2;
    jl_error err;
    jl_buf_init(&b1, &doc->alloc, 0);
    jl_buf_init(&b2, &doc->alloc, 0);
    int rc = jl_dtype_descr(doc, dt, &b1);
    JL_CHECK(rc == JL_OK && b1.len > 0, "descr of dtype %u failed (%d)", dt, rc);
    uint32_t again;
    rc = b1.p[0] == '[' ? jl_dtype_parse_json(doc, b1.p, (size_t)b1.len, &again, &err)
                        : jl_dtype_parse(doc, b1.p, (size_t)b1.len, &again, &err);
    JL_CHECK(rc == JL_OK, "descr %s does not parse back: %s", b1.p, err.message);
    JL_CHECK(doc->dtypes[again].itemsize == doc->dtypes[dt].itemsize, "descr %s: itemsize %llu became %llu", b1.p,
             (unsigned long long)doc->dtypes[dt].itemsize, (unsigned long long)doc->dtypes[again].itemsize);
    rc = jl_dtype_descr(doc, again, &b2);
    JL_CHECK(rc == JL_OK && b1.len == b2.len && memcmp(b1.p, b2.p, (size_t)b1.len) == 0,
             "descr %s parses back as %s", b1.p, b2.p ? b2.p : "(nothing)");
    jl_buf_free(&b1);
    jl_buf_free(&b2);
}

static void swap_one(jl_doc *doc, uint32_t dt) {
    uint64_t size = doc->dtypes[dt].itemsize;
    if (size == 0 || size > 4096) return;
    uint8_t *elem = jl_malloc(&doc->alloc, (size_t)size); /* exact size: ASan sees any overrun */
    JL_CHECK(elem != NULL, "out of memory");
    memset(elem, 0xA5, (size_t)size);
    if (jl_dtype_needs_swap(doc, dt)) jl_dtype_swap(doc, dt, elem, 1);
    uint32_t native;
    jl_error err;
    JL_CHECK(jl_dtype_native(doc, dt, &native, &err) == JL_OK, "native dtype: %s", err.message);
    JL_CHECK(!jl_dtype_needs_swap(doc, native), "the native dtype still needs a swap");
    JL_CHECK(doc->dtypes[native].itemsize == size, "native dtype changed the itemsize");
    jl_free(&doc->alloc, elem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    jl_limits lim;
    jl_fuzz_limits(&lim);
    jl_doc *doc = jl_doc_new(NULL, &lim);
    if (!doc) return 0;
    jl_npy_header h;
    jl_error err;
    int rc = jl_npy_parse_header(doc, data, size, &h, &err);
    if (rc != JL_OK) {
        JL_CHECK(rc > JL_OK && rc <= JL_E_UNSAFE, "parse returned %d", rc);
        JL_CHECK(err.code == (jl_code)rc && err.message[0], "error %d / %d without a message", err.code, rc);
    } else {
        JL_CHECK(h.ndim <= 64, "%u dims", h.ndim);
        JL_CHECK(h.data_offset <= size, "data offset %llu in %zu bytes", (unsigned long long)h.data_offset, size);
        jl_check_dtype(doc, h.dtype);
        for (unsigned i = 0; i < h.ndim; i++) JL_CHECK(h.dims[i] >= 0, "dim %u is %lld", i, (long long)h.dims[i]);
        JL_CHECK(jl_shape_nbytes(h.dims, h.ndim, doc->dtypes[h.dtype].itemsize, NULL, NULL, &err) == JL_OK,
                 "shape of an accepted header: %s", err.message);
        descr_round_trip(doc, h.dtype);
        swap_one(doc, h.dtype);
    }
    jl_doc_free(doc);
    return 0;
}
