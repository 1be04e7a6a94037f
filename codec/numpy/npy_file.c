/*
 * npy_file.c - a whole .npy image (npy_file.h): header, then the data,
 * whose length must cover shape x itemsize (numpy.save writes exactly
 * that; bytes after it are ignored, as numpy.load does).
 */
#include "npy_file.h"

#include <string.h>

int jl_npy_magic(const uint8_t *p, uint64_t n) { return n >= 6 && memcmp(p, "\x93NUMPY", 6) == 0; }

int jl_npy_locate(jl_doc *doc, const uint8_t *p, uint64_t n, jl_npy_header *h, uint64_t *nbytes,
                  jl_error *err) {
    *nbytes = 0;
    int rc = jl_npy_parse_header(doc, p, n, h, err);
    if (rc) return rc;
    const jl_dtype *d = &doc->dtypes[h->dtype];
    if (d->has_object) return JL_OK;
    uint64_t count;
    if ((rc = jl_shape_nbytes(h->dims, h->ndim, d->itemsize, &count, nbytes, err))) return rc;
    uint64_t present = n - h->data_offset;
    if (*nbytes > present)
        return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                       "truncated .npy: the header needs %llu bytes of data, %llu are present",
                       (unsigned long long)*nbytes, (unsigned long long)present);
    return JL_OK;
}
