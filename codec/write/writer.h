/*
 * writer.h - the bundle writer: a value tree (value.h) back to the bytes
 * joblib.dump writes, so that Python's joblib.load returns the value.
 *
 * Output follows joblib 1.2 on CPython 3 (docs/FORMAT.md 9): the
 * pure-Python pickler's opcodes, memo and framing; ndarrays as
 * NumpyArrayWrapper + 16-byte-aligned raw data (object arrays: a nested
 * protocol-2 pickle); numpy dtypes and scalars as numpy reduces them.
 * A node reached twice is written once and fetched from the memo after,
 * except ndarrays, which joblib writes again at each occurrence (the memo
 * holds the wrapper, not the array).
 */
#ifndef JL_WRITER_H
#define JL_WRITER_H

#include "value.h"

/* Deepest nesting of containers/objects the writer follows (it recurses on
 * the C stack); doc->limits.max_depth applies too when smaller. */
#ifndef JL_WRITE_MAX_DEPTH
#define JL_WRITE_MAX_DEPTH 5000
#endif

typedef struct jl_write_opts {
    int protocol;               /* 2..5; 0 = default 4 */
    jl_compression compression; /* JL_COMP_NONE .. JL_COMP_LZ4 (JL_COMP_ZF is refused) */
    int level;                  /* compressor level; <= 0 = joblib's default 3 */
} jl_write_opts;

/* Appends the uncompressed joblib stream of node `id` of doc to `out` (an
 * initialized buffer; its max applies). Array padding aligns the data to
 * 16 bytes of out's absolute position, as joblib aligns to the file's.
 * protocol must be 2..5. On error out may hold a partial stream. */
int jl_write_stream(const jl_doc *doc, uint32_t id, int protocol, jl_buf *out, jl_error *err);

/* The legacy sidecar layout of joblib < 0.10 (docs/FORMAT.md 4.1), asked for
 * with compress='npy': jl_write_stream_npy writes each non-object ndarray
 * as joblib.numpy_pickle.NDArrayWrapper whose BUILD state is {'filename':
 * "<base>_NN.npy" (NN = 01, 02, ... 100 in pickling order), 'subclass':
 * class, 'allow_mmap': True} and records the array here; the caller then
 * writes each sidecar with jl_write_npy. Object arrays are pickled inline
 * as numpy reduces them. An array reached twice gets two sidecars (the
 * memo would hold the wrapper, not the array). */
typedef struct jl_write_sidecars {
    const char *base; /* the main file's name without its directory; not owned */
    uint32_t *ids;    /* array nodes, sidecar k = ids[k-1]; owned: jl_free(&doc->alloc, ids) */
    uint64_t n, cap;
} jl_write_sidecars;

/* Appends the name of sidecar k (1-based) of the bundle named base:
 * "<base>_NN.npy", as the pickle stores it (base without its directory)
 * and as the file is written (base the main file's path). */
int jl_write_sidecar_name(jl_buf *b, const char *base, uint64_t k);

/* As jl_write_stream, in the legacy layout; sc->ids grows (free it also
 * on error). */
int jl_write_stream_npy(const jl_doc *doc, uint32_t id, int protocol, jl_write_sidecars *sc, jl_buf *out,
                        jl_error *err);

/* Appends the .npy file of non-object ndarray node `id` to out, as
 * numpy.save writes it: jl_npy_write_header (dtype.h), then the bytes as
 * stored (fortran_order when they are in F order and the shape makes
 * that differ from C order). */
int jl_write_npy(const jl_doc *doc, uint32_t id, jl_buf *out, jl_error *err);

/* A whole bundle: the stream of node `id` (at most doc->limits.max_alloc
 * bytes), compressed with o->compression through jl_compress
 * (container.h). *out is allocated with doc->alloc (free with
 * jl_free(&doc->alloc, *out)); *n is its length; both are NULL/0 on error.
 * o may be NULL (protocol 4, no compression). */
int jl_write_bundle(jl_doc *doc, uint32_t id, const jl_write_opts *o, uint8_t **out, uint64_t *n,
                    jl_error *err);

#endif
