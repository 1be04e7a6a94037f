/*
 * value.h - the value tree: one decoded bundle as a graph of compact nodes
 * in an arena (jl_doc).
 *
 * Every node is 16 bytes. Atoms (None, bool, small int, float) are inline;
 * strings, bytes and array data are byte references (jl_ref) into blocks:
 * block 0 is the input stream (an mmap'd file or the decompressed buffer),
 * further blocks are sidecar files and the doc's own heap. Containers hold
 * a run of child ids in doc->kids. Shared references are the same node id
 * reached twice; cycles are allowed. Larger records (arrays, objects,
 * globals, dtypes) live in side tables indexed by node.u.ext.
 *
 * A node id is a uint32_t index into doc->nodes; JL_NONE means none.
 */
#ifndef JL_VALUE_H
#define JL_VALUE_H

#include "base.h"
#include "container.h" /* jl_compression */

typedef enum jl_kind {
    JL_NULL = 0,
    JL_BOOL,       /* u.i = 0/1 */
    JL_INT,        /* u.i, or JL_F_BIG: u.off/len/block = two's complement LE bytes */
    JL_FLOAT,      /* u.f */
    JL_COMPLEX,    /* ref to 16 bytes: real, imag as native doubles */
    JL_STR,        /* ref to UTF-8 (WTF-8: lone surrogates kept) */
    JL_BYTES,      /* ref */
    JL_BYTEARRAY,  /* ref */
    JL_LIST,       /* kids */
    JL_TUPLE,      /* kids */
    JL_DICT,       /* kids: k0 v0 k1 v1 ... (len = 2 * pairs) */
    JL_SET,        /* kids */
    JL_FROZENSET,  /* kids */
    JL_NDARRAY,    /* u.ext = index in doc->arrays */
    JL_SCALAR,     /* u.ext = index in doc->arrays (a 0-d record: dtype + data) */
    JL_OBJECT,     /* u.ext = index in doc->objects */
    JL_GLOBAL,     /* u.ext = index in doc->globals */
    JL_KIND_COUNT
} jl_kind;

/* node flags */
#define JL_F_BIG 0x01   /* JL_INT held as bytes (does not fit int64) */
#define JL_F_PY2 0x02   /* a Python 2 str (STRING/BINSTRING/SHORT_BINSTRING) */

/* A byte range inside a block. */
typedef struct jl_ref {
    uint64_t off;
    uint64_t len;
    uint32_t block;
} jl_ref;

typedef struct jl_node {
    uint8_t kind;   /* jl_kind */
    uint8_t flags;  /* JL_F_* */
    uint16_t block; /* byte-carrying kinds: the block of the bytes */
    uint32_t len;   /* byte-carrying kinds: byte length; containers: child count */
    union {
        int64_t i;
        double f;
        uint64_t off;                   /* byte-carrying kinds: offset in block */
        struct { uint32_t first, cap; } kids; /* containers: run in doc->kids */
        uint64_t ext;                   /* side-table index */
    } u;
} jl_node;

/* Where an array came from: decides nothing about its value, only how
 * joblib_info describes it. */
typedef enum jl_array_origin {
    JL_ORIGIN_WRAPPER = 0, /* joblib NumpyArrayWrapper, data inline */
    JL_ORIGIN_NPY,         /* legacy NDArrayWrapper + .npy sidecar */
    JL_ORIGIN_ZNPY,        /* legacy ZNDArrayWrapper + .npy.z sidecar */
    JL_ORIGIN_RECONSTRUCT, /* numpy's own _reconstruct + BUILD */
    JL_ORIGIN_FROMBUFFER,  /* numpy's _frombuffer (protocol 5) */
    JL_ORIGIN_VIEW,        /* a row of another array, made by a path or each */
    JL_ORIGIN_BUILT        /* made by a constructor (writer side) */
} jl_array_origin;

typedef struct jl_array {
    uint32_t dtype;     /* index in doc->dtypes (as stored: may be big-endian) */
    uint32_t cls;       /* global node of the class (ndarray, matrix, memmap), or JL_NONE */
    uint32_t items;     /* object dtype: list node with the elements in C order; else JL_NONE */
    uint32_t dims_at;   /* index in doc->dims of the first dimension */
    uint8_t ndim;
    char order;         /* 'C' or 'F': layout of the bytes in data */
    uint8_t origin;     /* jl_array_origin */
    uint8_t is_scalar;  /* 1 for JL_SCALAR records */
    uint32_t file;      /* index in doc->files for sidecars, else JL_NONE */
    jl_ref data;        /* element bytes (non-object dtypes) */
    uint64_t stream_off;/* offset of data in its stream (main stream or sidecar); JL_NO_OFFSET
                         * when the bytes were decoded (text, _codecs.encode) */
} jl_array;

typedef enum jl_how {
    JL_HOW_REDUCE = 0, /* callable(*args) */
    JL_HOW_NEWOBJ,     /* cls.__new__(cls, *args) */
    JL_HOW_NEWOBJ_EX,  /* cls.__new__(cls, *args, **kwargs) */
    JL_HOW_INST,       /* protocol 0 INST */
    JL_HOW_OBJ         /* protocol 1 OBJ */
} jl_how;

typedef struct jl_object {
    uint32_t cls;       /* the callable or class node (usually JL_GLOBAL) */
    uint32_t args;      /* tuple node or JL_NONE */
    uint32_t kwargs;    /* dict node (NEWOBJ_EX) or JL_NONE */
    uint32_t state;     /* BUILD state or JL_NONE */
    uint32_t listitems; /* list node of APPENDed items, or JL_NONE */
    uint32_t dictitems; /* dict node of SETITEM pairs, or JL_NONE */
    uint32_t dtype;     /* for numpy.dtype instances: parsed dtype id, else JL_NONE */
    uint8_t how;        /* jl_how */
} jl_object;

typedef struct jl_global {
    jl_ref module; /* UTF-8, as in the stream (py2 names kept as written) */
    jl_ref name;
} jl_global;

typedef struct jl_field {
    jl_ref name;      /* UTF-8 */
    jl_ref title;     /* len 0 when none */
    uint32_t dtype;
    uint64_t offset;
} jl_field;

/* numpy dtype model */
typedef struct jl_dtype {
    char kind;         /* numpy kind: b i u f c S U V M m O */
    char byteorder;    /* '<', '>' or '|' */
    uint8_t has_object;/* kind O anywhere inside */
    uint8_t sub_ndim;  /* subarray dims (0 = not a subarray) */
    uint32_t sub_base; /* subarray element dtype, or JL_NONE */
    uint32_t sub_dims_at;
    uint64_t itemsize; /* bytes per element (U: 4 * chars) */
    uint32_t alignment;
    uint32_t nfields;  /* structured: fields in order */
    uint32_t fields_at;/* index in doc->fields */
    uint32_t unit_num; /* datetime multiplier, 0 when none */
    char unit[8];      /* datetime unit ("ns", "D", "generic"), "" when none */
    uint8_t depth;     /* nesting: 0 plain, else 1 + deepest field/subarray base
                        * (<= JL_DTYPE_MAX_DEPTH, so walks over dtypes are bounded) */
} jl_dtype;

/* JL_FMT_NPY / JL_FMT_NPZ: numpy.save / numpy.savez files, not pickles */
typedef enum jl_format { JL_FMT_PICKLE = 0, JL_FMT_JOBLIB, JL_FMT_LEGACY, JL_FMT_ZF, JL_FMT_NPY, JL_FMT_NPZ } jl_format;

/* A block of bytes the doc can point into. */
typedef struct jl_block {
    const uint8_t *p;
    uint64_t len;
    uint64_t cap;     /* heap blocks: capacity; others 0 */
    uint8_t owner;    /* JL_BLOCK_BORROWED, JL_BLOCK_HEAP (jl_free), JL_BLOCK_MMAP (munmap),
                       * JL_BLOCK_SHARED (jl_shared_unref) */
    int fd;           /* JL_BLOCK_MMAP: the open file mapped at p from offset 0, kept so
                       * that big arrays can be mapped again privately (never reopened by
                       * path: the file may have been replaced); jl_doc_free closes it.
                       * -1 when none (jl_block_add sets -1). */
} jl_block;
/* owner: one of JL_BLOCK_* (base.h) */
/* Mapped files at least this long keep their fd in the block (smaller ones
 * cannot hold an array worth a private mapping, and a legacy bundle with
 * many sidecars must not run out of descriptors). */
#define JL_BLOCK_FD_MIN ((uint64_t)8 << 20)

typedef struct jl_file {
    char *path;                /* owned (doc allocator) */
    uint8_t compression;       /* jl_compression of that file */
} jl_file;

typedef struct jl_doc {
    jl_alloc alloc;
    jl_limits limits;

    jl_node *nodes;    uint64_t nnodes, cap_nodes;
    uint32_t *kids;    uint64_t nkids, cap_kids;
    jl_block *blocks;  uint64_t nblocks, cap_blocks;
    uint32_t heap_block;             /* current heap block being filled, or JL_NONE */
    jl_array *arrays;  uint64_t narrays, cap_arrays;
    jl_object *objects;uint64_t nobjects, cap_objects;
    jl_global *globals;uint64_t nglobals, cap_globals;
    jl_dtype *dtypes;  uint64_t ndtypes, cap_dtypes;
    jl_field *fields;  uint64_t nfields, cap_fields;
    uint64_t *dims;    uint64_t ndims, cap_dims;
    jl_file *files;    uint64_t nfiles, cap_files;

    uint32_t root;     /* the value STOP returned */

    /* what joblib_info reports */
    uint8_t format;      /* jl_format */
    uint8_t compression; /* jl_compression of the main file */
    uint8_t protocol;    /* highest PROTO seen (0 if none) */
    uint8_t python;      /* 2 or 3 */
    uint64_t size;       /* bytes of the main file as read (compressed size) */
    uint64_t stream_len; /* bytes of the uncompressed main stream */
    /* damage joblib reads past, "" when none (joblib_info's "damaged"):
     * a container cut after the pickle's end, a FRAME claiming more bytes
     * than remain; parts joined by "; " */
    char damaged[512];
    uint8_t cut;         /* 1: the main stream is the prefix a cut container gave */

    /* walk.c's cache: bit x set when node x (< multi_nnodes) has more than
     * one incoming edge; dropped by jl_doc_multi_forget */
    uint64_t *multi;
    uint64_t multi_nnodes, multi_nobjects;

    /* array payloads of a big compressed stream left in it (value/lazy.h):
     * the block of refs into the uncompressed stream (JL_BLOCK_LAZY) or
     * JL_NONE, the block holding the compressed bytes, their container */
    uint32_t lazy_block, lazy_src;
    uint8_t lazy_comp;
    struct jl_seek_index *lazy_index; /* where reads can start (io/seek_index.h) or NULL */
    /* what was read of it: stream ranges and the blocks holding them, so
     * that views made before a read (rows) find their bytes */
    struct jl_lazy_span { uint64_t off, len; uint32_t block; } *lazy_spans;
    uint64_t nlazy_spans, cap_lazy_spans;
    uint64_t *lazy_ranges;  /* pairs: stream offset, length of each payload left in the stream */
    uint64_t nlazy_ranges, cap_lazy_ranges;

    /* 1 when nodes / kids live in a shared block (value.c grow_table) */
    int nodes_shared, kids_shared;
} jl_doc;

/* ---- lifecycle ------------------------------------------------------- */

/* A new empty doc. alloc/limits may be NULL for defaults. */
jl_doc *jl_doc_new(const jl_alloc *alloc, const jl_limits *limits);
void jl_doc_free(jl_doc *doc);
/* Drops walk.c's multi-reference cache: call after changing the children of
 * existing nodes or removing nodes (appending new nodes needs no call). */
void jl_doc_multi_forget(jl_doc *doc);

/* ---- building (used by the decoder and the constructors) -------------- */

/* Appends a node; returns its id or JL_NONE (err set) at max_nodes or OOM. */
uint32_t jl_node_new(jl_doc *doc, jl_kind kind, jl_error *err);
uint32_t jl_new_int(jl_doc *doc, int64_t v, jl_error *err);
/* An int node from decimal digits d[0..nd) negated when neg (text.h's
 * jl_decimal_int64 / jl_decimal_le: digits only, the caller bounds nd):
 * int64 when it fits, else JL_F_BIG bytes in the doc's heap. */
uint32_t jl_new_int_decimal(jl_doc *doc, const uint8_t *d, uint64_t nd, int neg, jl_error *err);
uint32_t jl_new_float(jl_doc *doc, double v, jl_error *err);
uint32_t jl_new_bool(jl_doc *doc, int v, jl_error *err);
/* A str/bytes/bytearray/complex/big-int node referring to existing bytes. */
uint32_t jl_new_ref(jl_doc *doc, jl_kind kind, jl_ref ref, jl_error *err);
/* Same, copying the bytes into the doc's heap first. */
uint32_t jl_new_bytes(jl_doc *doc, jl_kind kind, const void *p, uint64_t n, jl_error *err);

/* Appends a block; returns its index or JL_NONE. */
uint32_t jl_block_add(jl_doc *doc, const uint8_t *p, uint64_t len, uint8_t owner, jl_error *err);
/* Reserves n bytes in the doc's heap: returns a writable pointer and ref. */
uint8_t *jl_heap_alloc(jl_doc *doc, uint64_t n, jl_ref *ref, jl_error *err);

/* Appends n child ids to container `c` (list, tuple, dict, set). */
int jl_kids_append(jl_doc *doc, uint32_t c, const uint32_t *ids, uint64_t n, jl_error *err);

/* Side tables: each returns the new index or JL_NONE (err set). */
uint32_t jl_array_new(jl_doc *doc, jl_error *err);
uint32_t jl_object_new(jl_doc *doc, jl_error *err);
uint32_t jl_global_new(jl_doc *doc, jl_error *err);
uint32_t jl_dtype_new(jl_doc *doc, jl_error *err);
/* Reserves n entries in doc->dims / doc->fields; returns the first index. */
uint32_t jl_dims_new(jl_doc *doc, uint64_t n, jl_error *err);
uint32_t jl_fields_new(jl_doc *doc, uint64_t n, jl_error *err);
uint32_t jl_file_add(jl_doc *doc, const char *path, uint8_t compression, jl_error *err);

/* ---- reading ---------------------------------------------------------- */

static inline jl_node *jl_node_at(const jl_doc *doc, uint32_t id) { return &doc->nodes[id]; }
static inline const uint8_t *jl_ref_ptr(const jl_doc *doc, jl_ref r) {
    return doc->blocks[r.block].p + r.off;
}
static inline jl_ref jl_node_ref(const jl_doc *doc, uint32_t id) {
    const jl_node *n = &doc->nodes[id];
    jl_ref r = { n->u.off, n->len, n->block };
    return r;
}
static inline const uint32_t *jl_kids_of(const jl_doc *doc, uint32_t id) {
    return doc->kids ? doc->kids + doc->nodes[id].u.kids.first : NULL; /* NULL + 0 is UB */
}
static inline int jl_is_container(uint8_t kind) {
    return kind >= JL_LIST && kind <= JL_FROZENSET;
}
static inline int jl_is_compound(uint8_t kind) {
    return jl_is_container(kind) || kind == JL_NDARRAY || kind == JL_OBJECT;
}
static inline jl_array *jl_array_of(const jl_doc *doc, uint32_t id) {
    return &doc->arrays[doc->nodes[id].u.ext];
}
static inline jl_object *jl_object_of(const jl_doc *doc, uint32_t id) {
    return &doc->objects[doc->nodes[id].u.ext];
}
static inline jl_global *jl_global_of(const jl_doc *doc, uint32_t id) {
    return &doc->globals[doc->nodes[id].u.ext];
}

/* The `type` word of a node ("null", "int", ... "global"). */
const char *jl_kind_name(uint8_t kind);

/* Number of elements of an array (product of dims; 1 for 0-d). 0 on overflow is
 * impossible: arrays are only created after jl_shape_nbytes succeeded. */
uint64_t jl_array_count(const jl_doc *doc, const jl_array *a);

/* Compares a ref's bytes with a C string. */
int jl_ref_eq(const jl_doc *doc, jl_ref r, const char *s);

/* Looks up str key `key` (len n) in dict node `d` (last occurrence wins).
 * Returns the value id or JL_NONE. */
uint32_t jl_dict_get(const jl_doc *doc, uint32_t d, const char *key, size_t n);

#endif
