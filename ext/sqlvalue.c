/*
 * sqlvalue.c - the SQL value of a node (README "Paths, types and values"):
 *
 *   null                     NULL
 *   bool                     INTEGER 0 / 1
 *   int                      INTEGER; TEXT decimal digits beyond 64 bits
 *   float                    REAL (NaN becomes NULL, as SQLite stores it)
 *   str                      TEXT; a Python 2 str is TEXT when ASCII, else BLOB
 *   bytes, bytearray         BLOB
 *   ndarray, fixed dtype     BLOB: elements in C order, native byte order
 *   scalar                   bool/int/uint as INTEGER (uint64 beyond int64 as
 *                            TEXT digits), float as REAL, numpy.str_ as TEXT,
 *                            numpy.bytes_ as BLOB (trailing NULs stripped, as
 *                            numpy does), datetime64/timedelta64 as the text
 *                            of their JSON rendering ('2020-01-01T00:00:00',
 *                            NULL for NaT); complex and records as JSON
 *   well-known objects       their natural value (wellknown.h): datetimes ISO
 *                            TEXT, timedeltas seconds, Decimal and UUID TEXT,
 *                            NaT / pandas.NA NULL
 *   everything else          TEXT holding JSON with the JSON subtype (74),
 *                            so that json_*() take it as JSON
 *
 * Results never depend on the doc staying alive: a cached doc can be freed
 * (by sqlite3_set_auxdata) before SQLite reads the value, so bytes inside
 * the doc go out with SQLITE_TRANSIENT, and buffers built for the result
 * (converted array bytes, JSON text) are handed over with sqlite3_free
 * instead of being copied. A big array that lies as it is in a mapped file
 * goes out as its own private mapping of that file range instead (no copy,
 * no second resident copy; the destructor unmaps it). A big array inside a
 * shared block (a decompressed stream, shared.h) goes out as a pointer into
 * the block with one more reference on it, dropped by the destructor.
 */
#include "ext.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "atomtext.h"
#include "dtype.h"
#include "half.h"
#include "lazy.h"
#include "ndarray.h"
#include "render.h"
#include "shared.h"
#include "wellknown.h"

/* ---- result helpers -------------------------------------------------------- */

uint64_t jl_ext_max_result(sqlite3_context *ctx, const jl_doc *doc) {
    int lim = sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
    uint64_t max = lim > 0 ? (uint64_t)lim : 1000000000u;
    if (doc && doc->limits.max_alloc && doc->limits.max_alloc < max) max = doc->limits.max_alloc;
    return max;
}

void jl_ext_result_buf(sqlite3_context *ctx, jl_buf *b, int json) {
    if (b->failed) {
        int failed = b->failed;
        uint64_t max = b->max;
        jl_buf_free(b);
        char size[32];
        if (failed == JL_E_LIMIT)
            jl_ext_result_errorf(ctx, "the result is larger than %s, the smaller of max_alloc and "
                                      "SQLITE_LIMIT_LENGTH: raise it with joblib_config('max_alloc', N) "
                                      "or sqlite3_limit()", jl_ext_size_text(max, size));
        else jl_ext_result_nomem(ctx, "building the result");
        return;
    }
    uint64_t n = 0;
    const jl_alloc *a = b->alloc;
    char *p = jl_buf_take(b, &n);
    if (!p) {
        jl_ext_result_nomem(ctx, "taking the result");
        return;
    }
    if (jl_ext_is_sqlite_alloc(a)) {
        sqlite3_result_text64(ctx, p, n, sqlite3_free, SQLITE_UTF8);
    } else {
        sqlite3_result_text64(ctx, p, n, SQLITE_TRANSIENT, SQLITE_UTF8);
        jl_free(a, p);
    }
    if (json) sqlite3_result_subtype(ctx, JL_JSON_SUBTYPE);
}

/* 1, with a joblib: error set, when n bytes are more than SQLite takes
 * (SQLITE_LIMIT_LENGTH); SQLite's own "string or blob too big" would not
 * say what or where. */
static int over_limit(sqlite3_context *ctx, uint64_t n) {
    int lim = sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
    if (lim < 0 || n <= (uint64_t)lim) return 0;
    jl_ext_result_errorf(ctx, "a result of %llu bytes is larger than SQLITE_LIMIT_LENGTH (%d bytes)",
                         (unsigned long long)n, lim);
    return 1;
}

/* Bytes inside the doc, copied: into a buffer of our own (handed over
 * with sqlite3_free) so that a copy that cannot be had is a joblib: error
 * saying how much, where SQLITE_TRANSIENT would give a bare SQLITE_NOMEM. */
static void result_doc_blob(sqlite3_context *ctx, const uint8_t *p, uint64_t n) {
    if (n == 0) {
        sqlite3_result_zeroblob(ctx, 0); /* a NULL pointer would make NULL */
        return;
    }
    if (over_limit(ctx, n)) return;
    uint8_t *q = sqlite3_malloc64(n);
    if (!q) {
        char size[32];
        jl_ext_result_errorf(ctx, "out of memory copying %s of array data: the process could not "
                                  "allocate it", jl_ext_size_text(n, size));
        return;
    }
    memcpy(q, p, (size_t)n);
    sqlite3_result_blob64(ctx, q, n, sqlite3_free);
}

static void result_doc_text(sqlite3_context *ctx, const uint8_t *p, uint64_t n) {
    if (n == 0) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        return;
    }
    if (over_limit(ctx, n)) return;
    char *q = n < UINT64_MAX ? sqlite3_malloc64(n + 1) : NULL; /* as result_doc_blob, NUL-terminated */
    if (!q) {
        char size[32];
        jl_ext_result_errorf(ctx, "out of memory copying %s of text: the process could not allocate it",
                             jl_ext_size_text(n, size));
        return;
    }
    memcpy(q, p, (size_t)n);
    q[n] = 0;
    sqlite3_result_text64(ctx, q, n, sqlite3_free, SQLITE_UTF8);
}

void jl_ext_result_owned_blob(sqlite3_context *ctx, const jl_alloc *a, uint8_t *owned, uint64_t n) {
    if (n && over_limit(ctx, n)) {
        jl_free(a, owned);
        return;
    }
    if (n == 0) {
        jl_free(a, owned);
        sqlite3_result_zeroblob(ctx, 0);
    } else if (jl_ext_is_sqlite_alloc(a)) {
        sqlite3_result_blob64(ctx, owned, n, sqlite3_free);
    } else {
        sqlite3_result_blob64(ctx, owned, n, SQLITE_TRANSIENT);
        jl_free(a, owned);
    }
}

static const uint8_t *node_bytes(const jl_doc *doc, uint32_t id, uint64_t *n) {
    jl_ref r = jl_node_ref(doc, id);
    *n = r.len;
    return r.len ? jl_ref_ptr(doc, r) : NULL;
}

int jl_ext_too_long(sqlite3_context *ctx, const jl_doc *doc, const char *what, jl_error *err) {
    int lim = sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
    uint64_t max = jl_ext_max_result(ctx, doc);
    char size[32];
    if (doc && doc->limits.max_alloc == max && (lim < 0 || max < (uint64_t)lim))
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "%s is longer than max_alloc (%s)", what,
                       jl_ext_size_text(max, size));
    return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "%s is longer than SQLITE_LIMIT_LENGTH (%s)", what,
                   jl_ext_size_text(max, size));
}

int jl_ext_result_json(sqlite3_context *ctx, const jl_doc *doc, uint32_t id, jl_error *err) {
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, doc));
    if (jl_render_json(doc, id, &b, err) != JL_OK) {
        int failed = b.failed;
        jl_buf_free(&b);
        if (failed == JL_E_NOMEM && err->code == JL_OK)
            return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory rendering JSON");
        if (failed == JL_E_LIMIT) return jl_ext_too_long(ctx, doc, "the JSON text", err);
        return err->code != JL_OK ? (int)err->code : JL_E_FORMAT;
    }
    jl_ext_result_buf(ctx, &b, 1);
    return JL_OK;
}

/* ---- descr ------------------------------------------------------------------ */

int jl_ext_native_descr(jl_doc *doc, uint32_t dt, jl_buf *b, jl_error *err) {
    uint32_t native = dt;
    if (jl_dtype_native(doc, dt, &native, err) != JL_OK) return err->code;
    if (jl_dtype_descr(doc, native, b) != JL_OK)
        return jl_fail(err, b->failed == JL_E_LIMIT ? JL_E_LIMIT : JL_E_NOMEM, JL_NO_OFFSET,
                       "cannot write the descr of a dtype");
    return JL_OK;
}

/* ---- scalars --------------------------------------------------------------- */

/* Each takes the scalar's bytes in native order (n = itemsize). Returns
 * JL_OK with the result set, -1 to fall back to JSON, or an error. */
typedef int (*scalar_fn)(sqlite3_context *, const uint8_t *, uint64_t, jl_error *);

static int s_bool(sqlite3_context *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    if (n != 1) return -1;
    sqlite3_result_int(ctx, p[0] != 0);
    return JL_OK;
}

static int s_int(sqlite3_context *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    int8_t i1; int16_t i2; int32_t i4; int64_t i8;
    switch (n) {
    case 1: memcpy(&i1, p, 1); i8 = i1; break;
    case 2: memcpy(&i2, p, 2); i8 = i2; break;
    case 4: memcpy(&i4, p, 4); i8 = i4; break;
    case 8: memcpy(&i8, p, 8); break;
    default: return -1;
    }
    sqlite3_result_int64(ctx, i8);
    return JL_OK;
}

static int s_uint(sqlite3_context *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    uint8_t u1; uint16_t u2; uint32_t u4; uint64_t u8;
    switch (n) {
    case 1: memcpy(&u1, p, 1); u8 = u1; break;
    case 2: memcpy(&u2, p, 2); u8 = u2; break;
    case 4: memcpy(&u4, p, 4); u8 = u4; break;
    case 8: memcpy(&u8, p, 8); break;
    default: return -1;
    }
    if (u8 > (uint64_t)INT64_MAX) {
        char digits[24];
        int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)u8);
        sqlite3_result_text(ctx, digits, len, SQLITE_TRANSIENT);
    } else {
        sqlite3_result_int64(ctx, (int64_t)u8);
    }
    return JL_OK;
}

static int s_float(sqlite3_context *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    uint16_t h; float f; double d; long double ld;
    if (n == 2) { memcpy(&h, p, 2); d = jl_half_to_double(h); }
    else if (n == 4) { memcpy(&f, p, 4); d = f; }
    else if (n == 8) memcpy(&d, p, 8);
    else if (n == sizeof(long double) && n > 8) { memcpy(&ld, p, (size_t)n); d = (double)ld; }
    else return -1;
    sqlite3_result_double(ctx, d);
    return JL_OK;
}

/* numpy.str_: UCS-4 code points, trailing NULs stripped, to UTF-8 (lone
 * surrogates kept as WTF-8, like the codec's str nodes). */
static int s_unicode(sqlite3_context *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    uint64_t count = n / 4;
    while (count > 0) {
        uint32_t last;
        memcpy(&last, p + 4 * (count - 1), 4);
        if (last) break;
        count--;
    }
    uint64_t cap;
    if (jl_mul_overflow(count, 4, &cap) || cap > (uint64_t)SIZE_MAX - 1)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "numpy.str_ scalar too long");
    char *out = sqlite3_malloc64(cap + 1);
    if (!out) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    uint64_t len = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t c;
        memcpy(&c, p + 4 * i, 4);
        if (c > 0x10FFFF) {
            sqlite3_free(out);
            return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                           "numpy.str_ scalar holds an invalid code point 0x%lx", (unsigned long)c);
        }
        len += jl_utf8_encode(c, (uint8_t *)out + len);
    }
    sqlite3_result_text64(ctx, out, len, sqlite3_free, SQLITE_UTF8);
    return JL_OK;
}

/* numpy.bytes_: trailing NULs stripped. */
static int s_bytes(sqlite3_context *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    while (n > 0 && p[n - 1] == 0) n--;
    result_doc_blob(ctx, p, n);
    return JL_OK;
}

/* numpy.timedelta64: its count of units (the unit is in the dtype); NaT NULL. */
static int s_timedelta(sqlite3_context *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    int64_t v;
    if (n != 8) return -1;
    memcpy(&v, p, 8);
    if (v == INT64_MIN) {
        sqlite3_result_null(ctx);
        return JL_OK;
    }
    return s_int(ctx, p, n, err);
}

/* numpy.void (no fields): its bytes, as they are. */
static int s_void(sqlite3_context *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    result_doc_blob(ctx, p, n);
    return JL_OK;
}

static const struct {
    char kind;
    scalar_fn fn;
} scalar_kinds[] = {
    { 'b', s_bool }, { 'i', s_int }, { 'u', s_uint }, { 'f', s_float },
    { 'U', s_unicode }, { 'S', s_bytes }, { 'm', s_timedelta }, { 'V', s_void },
};

/* datetime64 scalars: the JSON rendering is a string (or null for NaT);
 * give the plain text. Anything else stays JSON. */
static int result_json_unquoted(sqlite3_context *ctx, const jl_doc *doc, uint32_t id,
                                jl_error *err) {
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, doc));
    if (jl_render_json(doc, id, &b, err) != JL_OK || b.failed) {
        jl_buf_free(&b);
        return jl_ext_result_json(ctx, doc, id, err); /* reports the error the same way */
    }
    if (b.len == 4 && memcmp(b.p, "null", 4) == 0) {
        jl_buf_free(&b);
        sqlite3_result_null(ctx);
        return JL_OK;
    }
    if (b.len >= 2 && b.p[0] == '"' && b.p[b.len - 1] == '"' &&
        !memchr(b.p + 1, '\\', (size_t)b.len - 2)) {
        sqlite3_result_text64(ctx, b.p + 1, b.len - 2, SQLITE_TRANSIENT, SQLITE_UTF8);
        jl_buf_free(&b);
        return JL_OK;
    }
    jl_ext_result_buf(ctx, &b, 1);
    return JL_OK;
}

/* The array's bytes as SQLite gets them must fit max_alloc: JL_E_LIMIT
 * naming both sizes, else JL_OK. */
static int check_max_alloc(const jl_doc *doc, const jl_array *a, jl_error *err) {
    uint64_t need = 0;
    if (jl_mul_overflow(jl_array_count(doc, a), doc->dtypes[a->dtype].itemsize, &need)) need = UINT64_MAX;
    if (need <= doc->limits.max_alloc) return JL_OK;
    char size[32], max[32];
    return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "the array needs %s, more than max_alloc (%s)",
                   jl_ext_size_text(need, size), jl_ext_size_text(doc->limits.max_alloc, max));
}

static int r_scalar(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    const jl_array *a = jl_array_of(doc, id);
    if (a->dtype >= doc->ndtypes) return jl_ext_result_json(ctx, doc, id, err);
    const jl_dtype *dt = &doc->dtypes[a->dtype];
    if (dt->kind == 'M') return result_json_unquoted(ctx, doc, id, err);
    scalar_fn fn = NULL;
    for (size_t i = 0; i < sizeof scalar_kinds / sizeof scalar_kinds[0]; i++)
        if (scalar_kinds[i].kind == dt->kind && dt->nfields == 0 && dt->sub_ndim == 0)
            fn = scalar_kinds[i].fn;
    if (!fn) return jl_ext_result_json(ctx, doc, id, err);
    const uint8_t *p = NULL;
    uint64_t n = 0;
    uint8_t *owned = NULL;
    if (check_max_alloc(doc, a, err) != JL_OK) return err->code;
    if (jl_array_native_bytes(doc, id, &p, &n, &owned, err) != JL_OK) return err->code;
    int rc = n == dt->itemsize ? fn(ctx, p, n, err) : -1;
    jl_free(&doc->alloc, owned);
    return rc < 0 ? jl_ext_result_json(ctx, doc, id, err) : rc;
}

/* ---- nodes ------------------------------------------------------------------- */

typedef int (*result_fn)(sqlite3_context *, jl_doc *, uint32_t, jl_error *);

static int r_null(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    (void)doc, (void)id, (void)err;
    sqlite3_result_null(ctx);
    return JL_OK;
}

static int r_bool(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    (void)err;
    sqlite3_result_int(ctx, jl_node_at(doc, id)->u.i != 0);
    return JL_OK;
}

static int r_int(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    (void)err;
    const jl_node *n = jl_node_at(doc, id);
    if (!(n->flags & JL_F_BIG)) {
        sqlite3_result_int64(ctx, n->u.i);
        return JL_OK;
    }
    jl_buf b;
    jl_buf_init(&b, jl_ext_alloc(), jl_ext_max_result(ctx, doc));
    jl_render_int(doc, id, &b);
    jl_ext_result_buf(ctx, &b, 0);
    return JL_OK;
}

static int r_float(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    (void)err;
    sqlite3_result_double(ctx, jl_node_at(doc, id)->u.f);
    return JL_OK;
}

static int r_str(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    (void)err;
    uint64_t n;
    const uint8_t *p = node_bytes(doc, id, &n);
    if (jl_node_at(doc, id)->flags & JL_F_PY2) {
        /* a Python 2 str has no encoding: TEXT only when it is ASCII */
        for (uint64_t i = 0; i < n; i++)
            if (p[i] >= 0x80) {
                result_doc_blob(ctx, p, n);
                return JL_OK;
            }
    }
    result_doc_text(ctx, p, n);
    return JL_OK;
}

static int r_bytes(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    (void)err;
    uint64_t n;
    const uint8_t *p = node_bytes(doc, id, &n);
    result_doc_blob(ctx, p, n);
    return JL_OK;
}

/* ---- big arrays as private mappings ------------------------------------------ */

/* Where a BLOB's mapping starts and how long it is, stored in the mapping
 * just before the BLOB's first byte (a private page, so the file and the
 * doc's own mapping are untouched). */
typedef struct blob_map {
    void *base;
    size_t len;
} blob_map;

static void unmap_blob(void *p) {
    blob_map h;
    memcpy(&h, (uint8_t *)p - sizeof h, sizeof h);
    munmap(h.base, h.len);
}

/* Array bytes [p, p+n) inside block `b` (a file mapped from offset 0 whose
 * fd the block kept) as the result: a fresh MAP_PRIVATE mapping of the same
 * file range, writable because SQLite owns a result with a destructor.
 * Returns 0 when the result is set, -1 to fall back to a copy. */
static int result_mapped_blob(sqlite3_context *ctx, const jl_block *b, const uint8_t *p, uint64_t n) {
    int lim = sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
    if (b->owner != JL_BLOCK_MMAP || b->fd < 0 || p < b->p || n > b->len ||
        (uint64_t)(p - b->p) > b->len - n || (lim >= 0 && n > (uint64_t)lim))
        return -1; /* the copying path reports an oversized result */
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0) return -1;
    uint64_t off = (uint64_t)(p - b->p);
    uint64_t start = off - off % (uint64_t)ps;
    if (off - start < sizeof(blob_map)) { /* no room for the header: one page earlier */
        if (start < (uint64_t)ps) return -1;
        start -= (uint64_t)ps;
    }
    uint64_t len = off + n - start;
    if (len > SIZE_MAX || start > (uint64_t)INT64_MAX) return -1;
    void *base = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE, b->fd, (off_t)start);
    if (base == MAP_FAILED) return -1;
    uint8_t *q = (uint8_t *)base + (off - start);
    blob_map h = { base, (size_t)len };
    memcpy(q - sizeof h, &h, sizeof h);
    madvise(base, (size_t)len, MADV_SEQUENTIAL);
    sqlite3_result_blob64(ctx, q, n, unmap_blob); /* SQLite calls unmap_blob even on TOOBIG */
    return 0;
}

static void unref_blob(void *p) { jl_shared_unref_at(p); }

/* Array bytes [p, p+n) inside shared block `b` as the result, without a
 * copy: the result holds a reference on the block. Returns 0 when the
 * result is set, -1 to fall back to a copy. */
static int result_shared_blob(sqlite3_context *ctx, const jl_block *b, const uint8_t *p, uint64_t n) {
    int lim = sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
    if (b->owner != JL_BLOCK_SHARED || p < b->p || n > b->len || (uint64_t)(p - b->p) > b->len - n ||
        (lim >= 0 && n > (uint64_t)lim))
        return -1; /* the copying path reports an oversized result */
    jl_shared_ref(b->p);
    sqlite3_result_blob64(ctx, p, n, unref_blob); /* SQLite calls unref_blob even on TOOBIG */
    return 0;
}

static int r_ndarray(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    if (jl_lazy_load(doc, id, err) != JL_OK) return err->code; /* data still in a compressed stream */
    const jl_array *a = jl_array_of(doc, id);
    if (a->dtype >= doc->ndtypes || doc->dtypes[a->dtype].has_object || a->items != JL_NONE)
        return jl_ext_result_json(ctx, doc, id, err); /* object arrays have no fixed-size bytes */
    const uint8_t *p = NULL;
    uint64_t n = 0;
    uint8_t *owned = NULL;
    if (check_max_alloc(doc, a, err) != JL_OK) return err->code;
    if (jl_array_native_bytes(doc, id, &p, &n, &owned, err) != JL_OK) return err->code;
    if (owned) jl_ext_result_owned_blob(ctx, &doc->alloc, owned, n);
    else if (n < JL_BLOCK_FD_MIN || a->data.block >= doc->nblocks ||
             (result_mapped_blob(ctx, &doc->blocks[a->data.block], p, n) != 0 &&
              result_shared_blob(ctx, &doc->blocks[a->data.block], p, n) != 0))
        result_doc_blob(ctx, p, n);
    return JL_OK;
}

/* Kinds without an entry are rendered as JSON. */
static const result_fn by_kind[JL_KIND_COUNT] = {
    [JL_NULL] = r_null,       [JL_BOOL] = r_bool,   [JL_INT] = r_int,
    [JL_FLOAT] = r_float,     [JL_STR] = r_str,     [JL_BYTES] = r_bytes,
    [JL_BYTEARRAY] = r_bytes, [JL_NDARRAY] = r_ndarray, [JL_SCALAR] = r_scalar,
};

/* A well-known value (wellknown.h): its natural SQL value. */
static int r_wellknown(sqlite3_context *ctx, const jl_wk *v) {
    switch (v->type) {
    case JL_WK_TEXT: result_doc_text(ctx, v->p, v->n); break;
    case JL_WK_INT: sqlite3_result_int64(ctx, v->i); break;
    case JL_WK_REAL: sqlite3_result_double(ctx, v->f); break;
    default: sqlite3_result_null(ctx); break;
    }
    return JL_OK;
}

int jl_ext_result_node(sqlite3_context *ctx, jl_doc *doc, uint32_t id, jl_error *err) {
    if (id >= doc->nnodes)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "node %lu does not exist", (unsigned long)id);
    uint8_t kind = jl_node_at(doc, id)->kind;
    jl_wk wk;
    if ((kind == JL_OBJECT || kind == JL_GLOBAL) && jl_wellknown(doc, id, &wk)) return r_wellknown(ctx, &wk);
    result_fn fn = kind < JL_KIND_COUNT ? by_kind[kind] : NULL;
    return fn ? fn(ctx, doc, id, err) : jl_ext_result_json(ctx, doc, id, err);
}
