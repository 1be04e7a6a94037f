/*
 * test_hostile.c - hostile input at the codec level (issue "Hostile input,
 * faults and limits"):
 *
 *   - code-execution payloads (GLOBAL, STACK_GLOBAL, INST, OBJ, NEWOBJ,
 *     NEWOBJ_EX, BUILD, REDUCE of os.system, posix.system, builtins.eval /
 *     exec / __import__, subprocess.Popen), alone and spliced into a real
 *     joblib bundle after its array: inert object/global nodes, and the
 *     marker file they would create never appears;
 *   - decompression bombs in every compressor (64 MiB of zeros under a
 *     1 MiB max_decompressed), lzma/xz headers that claim huge
 *     dictionaries and ZF headers that lie about the length: clean
 *     errors, bounded memory;
 *   - lies about shapes and sizes in array wrappers, numpy's own pickling
 *     and scalars; stack, mark and type errors of the pickle machine;
 *   - 10^6-deep nesting and 10^6 references to one node (the decoder is
 *     iterative); dict keys and state keys no identifier can spell, whose
 *     fullkeys in a tree walk still select their node;
 *   - every prefix of every corpus file and 2000 single-byte mutations of
 *     each: a doc that passes the structural checks, or an error;
 *   - legacy sidecar names that try to leave the bundle's directory.
 *
 * All pickles are written by hand here (no Python at test time).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "container.h"
#include "decode.h"
#include "dtype.h"
#include "ndarray.h"
#include "path.h"
#include "seed_bytes.h"
#include "testutil.h"
#include "walk.h"
#include "../../fuzz/doc_check.h"

/* ---- a pickle byte builder ---------------------------------------------- */

typedef struct pk {
    uint8_t *p;
    size_t n, cap;
} pk;

static void pk_raw(pk *b, const void *s, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
}
/* a string literal, NULs included */
#define PK(b, lit) pk_raw((b), (lit), sizeof(lit) - 1)

static void pk_byte(pk *b, uint8_t c) { pk_raw(b, &c, 1); }

static void pk_u32(pk *b, uint32_t v) {
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    pk_raw(b, le, 4);
}

/* BINUNICODE */
static void pk_strn(pk *b, const char *s, size_t n) {
    pk_byte(b, 'X');
    pk_u32(b, (uint32_t)n);
    pk_raw(b, s, n);
}
static void pk_str(pk *b, const char *s) { pk_strn(b, s, strlen(s)); }

/* GLOBAL 'module\nname\n' */
static void pk_global(pk *b, const char *module, const char *name) {
    pk_byte(b, 'c');
    pk_raw(b, module, strlen(module));
    pk_byte(b, '\n');
    pk_raw(b, name, strlen(name));
    pk_byte(b, '\n');
}

/* BININT for 32-bit values, LONG1 of 8 bytes otherwise */
static void pk_int(pk *b, int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) {
        pk_byte(b, 'J');
        pk_u32(b, (uint32_t)(int32_t)v);
        return;
    }
    PK(b, "\x8a\x08");
    for (int i = 0; i < 8; i++) pk_byte(b, (uint8_t)((uint64_t)v >> (8 * i)));
}

/* numpy.dtype(descr, False, True) with BUILD state (3, order, None, None,
 * None, elsize, alignment, flags), as numpy 1.x pickles it */
static void pk_dtype(pk *b, const char *descr, const char *order, int64_t elsize, int flags) {
    pk_global(b, "numpy", "dtype");
    pk_str(b, descr);
    PK(b, "\x89\x88\x87R(K\x03");
    pk_str(b, order);
    PK(b, "NNN");
    pk_int(b, elsize);
    pk_int(b, elsize < 0 ? -1 : 1);
    pk_int(b, flags);
    PK(b, "tb");
}

/* A joblib NumpyArrayWrapper: PROTO 2, the wrapper with `shape` (raw
 * pickle ops pushing the shape) and `dtype` (ops pushing a dtype), then
 * `data` as the inline payload, then STOP. align >= 0 adds the
 * numpy_array_alignment_bytes key and that padding byte. */
static void pk_wrapper(pk *b, const void *shape, size_t shape_n, const pk *dtype, int align, const void *data,
                       size_t n) {
    PK(b, "\x80\x02");
    pk_global(b, "joblib.numpy_pickle", "NumpyArrayWrapper");
    PK(b, ")\x81}(");
    pk_str(b, "subclass");
    pk_global(b, "numpy", "ndarray");
    pk_str(b, "shape");
    pk_raw(b, shape, shape_n);
    pk_str(b, "order");
    pk_str(b, "C");
    pk_str(b, "dtype");
    pk_raw(b, dtype->p, dtype->n);
    pk_str(b, "allow_mmap");
    PK(b, "\x88");
    if (align >= 0) {
        pk_str(b, "numpy_array_alignment_bytes");
        PK(b, "K\x10");
    }
    PK(b, "ub");
    if (align >= 0) pk_byte(b, (uint8_t)align);
    pk_raw(b, data, n);
    PK(b, ".");
}

static void pk_free(pk *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- assertions ------------------------------------------------------------ */

static jl_doc *open_ok(const void *p, size_t n, const jl_limits *lim) {
    jl_open_opts o = { NULL, lim };
    jl_doc *doc = NULL;
    jl_error err;
    int rc = jl_open_memory(p, n, 0, &o, &doc, &err);
    if (rc) print_message("open failed: %s\n", err.message);
    assert_int_equal(rc, JL_OK);
    jl_check_doc(doc);
    return doc;
}

static void expect_fail_lim(const void *p, size_t n, const jl_limits *lim, jl_code code, const char *fragment) {
    jl_open_opts o = { NULL, lim };
    jl_doc *doc = NULL;
    jl_error err;
    int rc = jl_open_memory(p, n, 0, &o, &doc, &err);
    if (rc == JL_OK) jl_doc_free(doc);
    if (rc != (int)code || !strstr(err.message, fragment))
        print_message("expected %d '%s', got %d '%s'\n", code, fragment, rc, rc ? err.message : "");
    assert_int_equal(rc, code);
    assert_null(doc);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.message, fragment));
}
static void expect_fail(const void *p, size_t n, jl_code code, const char *fragment) {
    expect_fail_lim(p, n, NULL, code, fragment);
}

static uint32_t kid(const jl_doc *doc, uint32_t id, uint32_t i) {
    assert_true(jl_is_container(doc->nodes[id].kind));
    assert_true(i < doc->nodes[id].len);
    return jl_kids_of(doc, id)[i];
}

/* a str (or Python 2 str / bytes) node holding exactly s */
static void assert_text(const jl_doc *doc, uint32_t id, const char *s) {
    uint8_t kind = doc->nodes[id].kind;
    assert_true(kind == JL_STR || kind == JL_BYTES);
    assert_int_equal(doc->nodes[id].len, strlen(s));
    assert_memory_equal(jl_ref_ptr(doc, jl_node_ref(doc, id)), s, strlen(s));
}

static void assert_global(const jl_doc *doc, uint32_t id, const char *module, const char *name) {
    assert_int_equal(doc->nodes[id].kind, JL_GLOBAL);
    const jl_global *g = jl_global_of(doc, id);
    assert_true(jl_ref_eq(doc, g->module, module));
    assert_true(jl_ref_eq(doc, g->name, name));
}

/* An object node made by `how` from global module.name; returns it. */
static const jl_object *assert_object(const jl_doc *doc, uint32_t id, jl_how how, const char *module,
                                      const char *name) {
    assert_int_equal(doc->nodes[id].kind, JL_OBJECT);
    const jl_object *o = jl_object_of(doc, id);
    assert_int_equal(o->how, how);
    if (module) assert_global(doc, o->cls, module, name);
    return o;
}

/* ---- code-execution payloads --------------------------------------------- */

static char marker[64];  /* /tmp/jl_pwned_<pid>: what every payload would create */
static char command[96]; /* touch <marker> */

static void assert_no_marker(void) {
    errno = 0;
    assert_int_equal(access(marker, F_OK), -1);
    assert_int_equal(errno, ENOENT);
}

/* REDUCE of global(module, name) on (command,): GLOBAL or STACK_GLOBAL */
static void reduce_one(const char *module, const char *name, const char *arg, int stack_global) {
    pk b = { 0 };
    if (stack_global) {
        PK(&b, "\x80\x04");
        pk_str(&b, module);
        pk_str(&b, name);
        PK(&b, "\x93");
    } else {
        PK(&b, "\x80\x02");
        pk_global(&b, module, name);
    }
    pk_str(&b, arg);
    PK(&b, "\x85R.");
    jl_doc *doc = open_ok(b.p, b.n, NULL);
    const jl_object *o = assert_object(doc, doc->root, JL_HOW_REDUCE, module, name);
    assert_int_equal(doc->nodes[o->args].len, 1);
    assert_text(doc, kid(doc, o->args, 0), arg);
    assert_int_equal(o->state, JL_NONE);
    jl_doc_free(doc);
    pk_free(&b);
}

static void test_reduce_payloads(void **state) {
    (void)state;
    char expr[160];
    snprintf(expr, sizeof expr, "__import__('os').system('%s')", command);
    reduce_one("os", "system", command, 0);
    reduce_one("os", "system", command, 1);
    reduce_one("posix", "system", command, 0);
    reduce_one("nt", "system", command, 1);
    reduce_one("builtins", "eval", expr, 1);
    reduce_one("builtins", "exec", expr, 1);
    reduce_one("__builtin__", "eval", expr, 0);
    reduce_one("subprocess", "getoutput", command, 0);
    reduce_one("builtins", "__import__", "os", 1);

    /* subprocess.Popen(['touch', marker]) */
    pk b = { 0 };
    PK(&b, "\x80\x02");
    pk_global(&b, "subprocess", "Popen");
    PK(&b, "](");
    pk_str(&b, "touch");
    pk_str(&b, marker);
    PK(&b, "e\x85R.");
    jl_doc *doc = open_ok(b.p, b.n, NULL);
    const jl_object *o = assert_object(doc, doc->root, JL_HOW_REDUCE, "subprocess", "Popen");
    uint32_t argv = kid(doc, o->args, 0);
    assert_int_equal(doc->nodes[argv].kind, JL_LIST);
    assert_text(doc, kid(doc, argv, 0), "touch");
    assert_text(doc, kid(doc, argv, 1), marker);
    jl_doc_free(doc);
    pk_free(&b);

    /* getattr(__import__('os'), 'system')(command): a callable that is itself
     * an object node stays data at every level */
    PK(&b, "\x80\x02");
    pk_global(&b, "builtins", "getattr");
    PK(&b, "(");
    pk_global(&b, "builtins", "__import__");
    pk_str(&b, "os");
    PK(&b, "\x85R");
    pk_str(&b, "system");
    PK(&b, "tR");
    pk_str(&b, command);
    PK(&b, "\x85R.");
    doc = open_ok(b.p, b.n, NULL);
    o = assert_object(doc, doc->root, JL_HOW_REDUCE, NULL, NULL);
    assert_text(doc, kid(doc, o->args, 0), command);
    const jl_object *ga = assert_object(doc, o->cls, JL_HOW_REDUCE, "builtins", "getattr");
    assert_text(doc, kid(doc, ga->args, 1), "system");
    const jl_object *imp = assert_object(doc, kid(doc, ga->args, 0), JL_HOW_REDUCE, "builtins", "__import__");
    assert_text(doc, kid(doc, imp->args, 0), "os");
    jl_doc_free(doc);
    pk_free(&b);
    assert_no_marker();
}

static void test_class_payloads(void **state) {
    (void)state;
    pk b = { 0 };
    jl_doc *doc;
    const jl_object *o;

    /* INST (protocol 0): (S'cmd' i os system */
    PK(&b, "(S'");
    pk_raw(&b, command, strlen(command));
    PK(&b, "'\nios\nsystem\n.");
    doc = open_ok(b.p, b.n, NULL);
    o = assert_object(doc, doc->root, JL_HOW_INST, "os", "system");
    assert_text(doc, kid(doc, o->args, 0), command);
    jl_doc_free(doc);
    pk_free(&b);

    /* OBJ (protocol 1): ( GLOBAL args o */
    PK(&b, "(");
    pk_global(&b, "os", "system");
    PK(&b, "S'");
    pk_raw(&b, command, strlen(command));
    PK(&b, "'\no.");
    doc = open_ok(b.p, b.n, NULL);
    o = assert_object(doc, doc->root, JL_HOW_OBJ, "os", "system");
    assert_int_equal(doc->nodes[o->args].len, 1);
    assert_text(doc, kid(doc, o->args, 0), command);
    jl_doc_free(doc);
    pk_free(&b);

    /* NEWOBJ: subprocess.Popen.__new__(Popen, cmd) */
    PK(&b, "\x80\x02");
    pk_global(&b, "subprocess", "Popen");
    pk_str(&b, command);
    PK(&b, "\x85\x81.");
    doc = open_ok(b.p, b.n, NULL);
    o = assert_object(doc, doc->root, JL_HOW_NEWOBJ, "subprocess", "Popen");
    assert_text(doc, kid(doc, o->args, 0), command);
    jl_doc_free(doc);
    pk_free(&b);

    /* NEWOBJ_EX: Popen(cmd, shell=True) */
    PK(&b, "\x80\x04");
    pk_str(&b, "subprocess");
    pk_str(&b, "Popen");
    PK(&b, "\x93");
    pk_str(&b, command);
    PK(&b, "\x85}");
    pk_str(&b, "shell");
    PK(&b, "\x88s\x92.");
    doc = open_ok(b.p, b.n, NULL);
    o = assert_object(doc, doc->root, JL_HOW_NEWOBJ_EX, "subprocess", "Popen");
    assert_text(doc, kid(doc, o->args, 0), command);
    assert_int_equal(doc->nodes[jl_dict_get(doc, o->kwargs, "shell", 5)].kind, JL_BOOL);
    jl_doc_free(doc);
    pk_free(&b);

    /* BUILD on a global with no state: the global, inert */
    PK(&b, "\x80\x02");
    pk_global(&b, "os", "system");
    PK(&b, "Nb.");
    doc = open_ok(b.p, b.n, NULL);
    assert_global(doc, doc->root, "os", "system");
    jl_doc_free(doc);
    pk_free(&b);

    /* BUILD on a global with a state ({'__setstate__': os.system}): Python
     * would set attributes on the function; refused */
    PK(&b, "\x80\x02");
    pk_global(&b, "os", "system");
    PK(&b, "}");
    pk_str(&b, "__setstate__");
    pk_global(&b, "os", "system");
    PK(&b, "sb.");
    expect_fail(b.p, b.n, JL_E_FORMAT, "BUILD on a global at byte 43 (BUILD)");
    pk_free(&b);

    /* the __setstate__ gadget: BUILD {'__setstate__': os.system}, then
     * BUILD cmd (Python would call os.system(cmd)): the state is data */
    PK(&b, "\x80\x02");
    pk_global(&b, "argparse", "Namespace");
    PK(&b, ")\x81}");
    pk_str(&b, "__setstate__");
    pk_global(&b, "os", "system");
    PK(&b, "sb");
    pk_str(&b, command);
    PK(&b, "b.");
    doc = open_ok(b.p, b.n, NULL);
    o = assert_object(doc, doc->root, JL_HOW_NEWOBJ, "argparse", "Namespace");
    assert_text(doc, o->state, command);
    jl_doc_free(doc);
    pk_free(&b);

    /* STACK_GLOBAL needs two str; a global made of other values is refused */
    expect_fail("\x80\x04K\x01K\x02\x93.", 7, JL_E_FORMAT, "STACK_GLOBAL needs two str at byte 6 (STACK_GLOBAL)");
    /* persistent ids and extension codes could name anything: refused */
    expect_fail("\x80\x02X\x02\x00\x00\x00osQ.", 11, JL_E_UNSUPPORTED, "persistent ids are not supported");
    expect_fail("\x80\x02\x82\x01.", 5, JL_E_UNSUPPORTED, "extension registry codes are not supported");
    assert_no_marker();
}

/* Splices `payload` into a copy of a seed bundle before its APPENDS (the
 * array is then already decoded); for protocol 4 the frame around the
 * tail is lengthened to cover the payload. */
static uint8_t *splice(const uint8_t *seed, size_t n, size_t frame_at, const pk *payload, size_t *out_n) {
    size_t at = n - 2; /* before APPENDS STOP */
    uint8_t *p = malloc(n + payload->n);
    assert_non_null(p);
    memcpy(p, seed, at);
    memcpy(p + at, payload->p, payload->n);
    memcpy(p + at + payload->n, seed + at, n - at);
    if (frame_at) {
        assert_int_equal(p[frame_at], 0x95);
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--) len = len << 8 | p[frame_at + 1 + i];
        len += payload->n;
        for (int i = 0; i < 8; i++) p[frame_at + 1 + i] = (uint8_t)(len >> (8 * i));
    }
    *out_n = n + payload->n;
    return p;
}

/* [('a', [1, 2, 3]), ('b', arange(10))] + the payload's object */
static void check_spliced(const uint8_t *p, size_t n, int stack_global) {
    jl_doc *doc = open_ok(p, n, NULL);
    uint32_t r = doc->root;
    assert_int_equal(doc->nodes[r].len, 3);
    uint32_t b = kid(doc, r, 1);
    assert_text(doc, kid(doc, b, 0), "b");
    uint32_t arr = kid(doc, b, 1);
    assert_int_equal(doc->nodes[arr].kind, JL_NDARRAY);
    assert_int_equal(jl_array_count(doc, jl_array_of(doc, arr)), 10);
    const jl_object *o = assert_object(doc, kid(doc, r, 2), JL_HOW_REDUCE, stack_global ? "posix" : "os", "system");
    assert_text(doc, kid(doc, o->args, 0), command);
    assert_int_equal(doc->format, JL_FMT_JOBLIB);
    jl_doc_free(doc);
}

static void test_payload_after_array(void **state) {
    (void)state;
    /* protocol 4: STACK_GLOBAL posix.system inside the last frame */
    pk pay = { 0 };
    PK(&pay, "\x8c\x05posix\x94\x8c\x06system\x94\x93\x94");
    pk_str(&pay, command);
    PK(&pay, "\x85R\x94");
    size_t n;
    assert_int_equal(seed_p4[320], 0x95);
    uint8_t *p = splice(seed_p4, sizeof seed_p4, 320, &pay, &n);
    check_spliced(p, n, 1);
    free(p);
    pk_free(&pay);

    /* protocol 2: GLOBAL os.system with BINPUT */
    pk_global(&pay, "os", "system");
    PK(&pay, "q\x30");
    pk_str(&pay, command);
    PK(&pay, "\x85Rq\x31");
    p = splice(seed_p2, sizeof seed_p2, 0, &pay, &n);
    check_spliced(p, n, 0);
    free(p);
    pk_free(&pay);
    assert_no_marker();
}

/* An object-dtype array is a nested pickle: its root must be an array, and
 * an element that is a payload stays an object node. */
static void test_payload_in_object_array(void **state) {
    (void)state;
    pk dt = { 0 }, nested = { 0 }, b = { 0 };
    pk_dtype(&dt, "O8", "|", -1, 63);

    /* the nested pickle is a bare REDUCE of os.system */
    PK(&nested, "\x80\x02");
    pk_global(&nested, "os", "system");
    pk_str(&nested, command);
    PK(&nested, "\x85R.");
    pk_wrapper(&b, "K\x01\x85", 3, &dt, -1, nested.p, nested.n);
    expect_fail(b.p, b.n, JL_E_FORMAT, "object array payload is a object, not an array");
    pk_free(&b);
    pk_free(&nested);

    /* numpy's _reconstruct with one element: os.system(cmd) */
    PK(&nested, "\x80\x02");
    pk_global(&nested, "numpy.core.multiarray", "_reconstruct");
    pk_global(&nested, "numpy", "ndarray");
    PK(&nested, "K\x00\x85U\x01" "b\x87R(K\x01K\x01\x85");
    pk_raw(&nested, dt.p, dt.n);
    PK(&nested, "\x89]");
    pk_global(&nested, "os", "system");
    pk_str(&nested, command);
    PK(&nested, "\x85Ratb.");
    pk_wrapper(&b, "K\x01\x85", 3, &dt, -1, nested.p, nested.n);
    jl_doc *doc = open_ok(b.p, b.n, NULL);
    assert_int_equal(doc->nodes[doc->root].kind, JL_NDARRAY);
    const jl_array *a = jl_array_of(doc, doc->root);
    assert_int_equal(doc->dtypes[a->dtype].kind, 'O');
    assert_int_equal(doc->nodes[a->items].len, 1);
    const jl_object *o = assert_object(doc, kid(doc, a->items, 0), JL_HOW_REDUCE, "os", "system");
    assert_text(doc, kid(doc, o->args, 0), command);
    jl_doc_free(doc);
    pk_free(&b);
    pk_free(&nested);
    pk_free(&dt);
    assert_no_marker();
}

/* ---- decompression bombs --------------------------------------------------- */

/* An allocator that tracks the bytes live and their peak. */
typedef struct meter {
    jl_alloc alloc;
    size_t live, peak, largest; /* bytes */
    size_t cap;                 /* requests above this fail (0: none); `largest` still records them */
} meter;

static void *m_malloc(void *ctx, size_t n) {
    meter *m = ctx;
    if (m->cap && n > m->cap) {
        if (n > m->largest) m->largest = n;
        return NULL;
    }
    size_t *p = malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    m->live += n;
    if (m->live > m->peak) m->peak = m->live;
    if (n > m->largest) m->largest = n;
    return (uint8_t *)p + 16;
}
static void *m_realloc(void *ctx, void *q, size_t n) {
    meter *m = ctx;
    if (!q) return m_malloc(ctx, n);
    if (m->cap && n > m->cap) {
        if (n > m->largest) m->largest = n;
        return NULL;
    }
    size_t *p = (size_t *)((uint8_t *)q - 16);
    size_t old = p[0];
    p = realloc(p, n + 16);
    if (!p) return NULL;
    p[0] = n;
    m->live = m->live - old + n;
    if (m->live > m->peak) m->peak = m->live;
    if (n > m->largest) m->largest = n;
    return (uint8_t *)p + 16;
}
static void m_free(void *ctx, void *q) {
    meter *m = ctx;
    if (!q) return;
    size_t *p = (size_t *)((uint8_t *)q - 16);
    m->live -= p[0];
    free(p);
}
static void meter_init(meter *m) {
    memset(m, 0, sizeof *m);
    m->alloc.malloc = m_malloc;
    m->alloc.realloc = m_realloc;
    m->alloc.free = m_free;
    m->alloc.ctx = m;
}

#define BOMB_SIZE ((uint64_t)64 << 20)
#define BOMB_LIMIT ((uint64_t)1 << 20)

/* Opens `p` under max_decompressed = limit with a metered allocator and
 * expects `code` with `fragment`; returns the peak bytes live. */
static size_t open_metered(const uint8_t *p, uint64_t n, uint64_t limit, jl_code code, const char *fragment) {
    meter m;
    meter_init(&m);
    jl_limits lim;
    jl_limits_default(&lim);
    lim.max_decompressed = limit;
    jl_open_opts o = { &m.alloc, &lim };
    jl_doc *doc = NULL;
    jl_error err;
    int rc = jl_open_memory(p, n, 1, &o, &doc, &err);
    if (rc == JL_OK) jl_doc_free(doc);
    if (rc != (int)code || !strstr(err.message, fragment))
        print_message("expected %d '%s', got %d '%s'\n", code, fragment, rc, rc ? err.message : "");
    assert_int_equal(rc, code);
    assert_non_null(strstr(err.message, fragment));
    assert_int_equal(m.live, 0);
    return m.peak;
}

static void test_decompression_bombs(void **state) {
    (void)state;
    uint8_t *zeros = calloc(1, BOMB_SIZE);
    assert_non_null(zeros);
    for (int c = JL_COMP_ZLIB; c < JL_COMP_COUNT; c++) {
        const char *name = jl_compression_name((jl_compression)c);
        if (!jl_compression_available((jl_compression)c)) {
            print_message("%s: not in this build, skipped\n", name);
            continue;
        }
        uint8_t *z;
        uint64_t zn;
        jl_error err;
        assert_int_equal(jl_compress((jl_compression)c, 1, zeros, BOMB_SIZE, jl_alloc_default(), &z, &zn, &err), JL_OK);
        assert_int_equal(jl_detect(z, zn), c);
        size_t peak;
        if (c == JL_COMP_ZF)
            peak = open_metered(z, zn, BOMB_LIMIT, JL_E_LIMIT,
                                "decompressed size exceeds the limit of 1048576 bytes (ZF header announces 67108864)");
        else
            peak = open_metered(z, zn, BOMB_LIMIT, JL_E_LIMIT, "decompressed size exceeds the limit of 1048576 bytes");
        print_message("%s bomb: %llu bytes in, peak %zu bytes allocated\n", name, (unsigned long long)zn, peak);
        /* the output buffer stops at the limit; the rest is the library's own state */
        assert_true(peak < (size_t)16 << 20);

        /* the same limit holds across concatenated members */
        if (c == JL_COMP_GZIP || c == JL_COMP_BZ2 || c == JL_COMP_XZ || c == JL_COMP_LZ4) {
            uint8_t *half;
            uint64_t hn;
            assert_int_equal(jl_compress((jl_compression)c, 1, zeros, 768 << 10, jl_alloc_default(), &half, &hn, &err),
                             JL_OK);
            uint8_t *two = malloc(2 * hn);
            assert_non_null(two);
            memcpy(two, half, hn);
            memcpy(two + hn, half, hn);
            open_metered(two, 2 * hn, BOMB_LIMIT, JL_E_LIMIT, "decompressed size exceeds the limit of 1048576 bytes");
            free(two);
            jl_free(jl_alloc_default(), half);
        }
        jl_free(jl_alloc_default(), z);
    }
    free(zeros);
}

/* A few bytes of lzma or xz header can claim a dictionary of hundreds of
 * MiB, which liblzma allocates before it reads any data. joblib's presets
 * need at most 65 MiB to decode; a claim beyond that is refused as a
 * limit, without the allocation. */
#define DICT_CAP ((size_t)128 << 20)
static void open_dict_claim(const uint8_t *p, size_t n, const char *what) {
    meter m;
    meter_init(&m);
    m.cap = DICT_CAP;
    jl_limits lim;
    jl_limits_default(&lim);
    lim.max_decompressed = BOMB_LIMIT;
    jl_open_opts o = { &m.alloc, &lim };
    jl_doc *doc = NULL;
    jl_error err;
    int rc = jl_open_memory(p, n, 1, &o, &doc, &err);
    if (rc == JL_OK) jl_doc_free(doc);
    print_message("%s claiming a 768 MiB dictionary: %d '%s', largest request %zu bytes\n", what, rc,
                  rc ? err.message : "", m.largest);
    assert_int_equal(m.live, 0);
    assert_int_equal(rc, JL_E_LIMIT);
    assert_non_null(strstr(err.message, "bytes of decoder memory"));
    assert_true(m.largest <= DICT_CAP);
}

static void test_lzma_dictionary_claims(void **state) {
    (void)state;
    if (!jl_compression_available(JL_COMP_LZMA)) skip();
    /* lzma-alone: properties 5D, dictionary 0x30000000 (768 MiB), size unknown */
    uint8_t alone[32] = { 0x5D, 0x00, 0x00, 0x00, 0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x41 };
    assert_int_equal(jl_detect(alone, sizeof alone), JL_COMP_LZMA);
    open_dict_claim(alone, sizeof alone, "lzma");

    /* xz: a real stream whose LZMA2 dictionary byte says 35 (3 << 28 bytes),
     * block header CRC32 fixed */
    uint8_t *z;
    uint64_t zn;
    jl_error err;
    assert_int_equal(jl_compress(JL_COMP_XZ, 1, seed_p2, sizeof seed_p2, jl_alloc_default(), &z, &zn, &err), JL_OK);
    assert_int_equal(z[12], 0x02); /* block header of 12 bytes */
    assert_int_equal(z[14], 0x21); /* filter LZMA2 */
    assert_int_equal(z[15], 0x01); /* one property byte */
    z[16] = 35;
    uint32_t crc = (uint32_t)crc32(0, z + 12, 8);
    for (int i = 0; i < 4; i++) z[20 + i] = (uint8_t)(crc >> (8 * i));
    open_dict_claim(z, zn, "xz");
    jl_free(jl_alloc_default(), z);
}

/* ZF: "ZF" + "0x<hex>" padded to 19 bytes + zlib. */
static uint8_t *zf_with_header(const uint8_t *zf, uint64_t n, const char *field) {
    uint8_t *p = malloc(n);
    assert_non_null(p);
    memcpy(p, zf, n);
    assert_true(strlen(field) <= 19);
    memset(p + 2, ' ', 19);
    memcpy(p + 2, field, strlen(field));
    return p;
}

static void test_zf_lies(void **state) {
    (void)state;
    uint8_t *z;
    uint64_t zn;
    jl_error err;
    /* the real stream: the protocol-2 seed, 373 bytes */
    assert_int_equal(jl_compress(JL_COMP_ZF, 3, seed_p2, sizeof seed_p2, jl_alloc_default(), &z, &zn, &err), JL_OK);
    assert_memory_equal(z, "ZF0x175              ", 21);
    jl_doc *doc = open_ok(z, zn, NULL);
    assert_int_equal(doc->format, JL_FMT_ZF);
    jl_doc_free(doc);

    uint8_t *p = zf_with_header(z, zn, "0x100");
    expect_fail(p, zn, JL_E_FORMAT, "ZF stream inflates to more than the 256 bytes its header announces");
    free(p);
    p = zf_with_header(z, zn, "0x176");
    expect_fail(p, zn, JL_E_FORMAT, "ZF header announces 374 bytes but the zlib stream holds 373");
    free(p);
    p = zf_with_header(z, zn, "0x0");
    expect_fail(p, zn, JL_E_FORMAT, "ZF stream inflates to more than the 0 bytes its header announces");
    free(p);
    /* a header that claims 1 GiB is not believed: no 1 GiB allocation */
    p = zf_with_header(z, zn, "0x40000000");
    size_t peak = open_metered(p, zn, JL_DEFAULT_MAX_DECOMPRESSED, JL_E_FORMAT,
                               "ZF header announces 1073741824 bytes but the zlib stream holds 373");
    assert_true(peak < (size_t)1 << 20);
    free(p);
    p = zf_with_header(z, zn, "0xfffffffffffffffe");
    expect_fail(p, zn, JL_E_LIMIT, "(ZF header announces 18446744073709551614)");
    free(p);
    p = zf_with_header(z, zn, "0x1ffffffffffffffff");
    expect_fail(p, zn, JL_E_FORMAT, "ZF header announces a length beyond 64 bits");
    free(p);
    jl_free(jl_alloc_default(), z);

    /* 64 MiB of zeros under a header that announces 256 bytes: stops at 257 */
    uint8_t *zeros = calloc(1, BOMB_SIZE);
    assert_non_null(zeros);
    assert_int_equal(jl_compress(JL_COMP_ZF, 1, zeros, BOMB_SIZE, jl_alloc_default(), &z, &zn, &err), JL_OK);
    free(zeros);
    p = zf_with_header(z, zn, "0x100");
    peak = open_metered(p, zn, JL_DEFAULT_MAX_DECOMPRESSED, JL_E_FORMAT,
                        "ZF stream inflates to more than the 256 bytes its header announces");
    assert_true(peak < (size_t)1 << 20);
    free(p);
    jl_free(jl_alloc_default(), z);
}

/* ---- shape and size lies ---------------------------------------------------- */

static void wrapper_case(const char *shape, size_t shape_n, const pk *dt, int align, const void *data, size_t n,
                         jl_code code, const char *fragment) {
    pk b = { 0 };
    pk_wrapper(&b, shape, shape_n, dt, align, data, n);
    if (code == JL_OK) {
        jl_doc *doc = open_ok(b.p, b.n, NULL);
        jl_doc_free(doc);
    } else
        expect_fail(b.p, b.n, code, fragment);
    pk_free(&b);
}
#define SHAPE(lit) lit, sizeof(lit) - 1

static void test_wrapper_shape_lies(void **state) {
    (void)state;
    pk i8 = { 0 };
    pk_dtype(&i8, "i8", "<", -1, 0);
    uint8_t data[80];
    for (int i = 0; i < 80; i++) data[i] = (uint8_t)i;

    /* the control: (10,) int64 with its 80 bytes */
    wrapper_case(SHAPE("K\x0a\x85"), &i8, -1, data, 80, JL_OK, "");
    /* product overflow: (2^32, 2^32) elements, (2^61,) x 8 bytes */
    wrapper_case(SHAPE("\x8a\x05\x00\x00\x00\x00\x01\x8a\x05\x00\x00\x00\x00\x01\x86"), &i8, -1, data, 80, JL_E_LIMIT,
                 "the element count of a 2-d shape overflows 64 bits");
    wrapper_case(SHAPE("\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x20\x85"), &i8, -1, data, 80, JL_E_LIMIT,
                 "2305843009213693952 elements of 8 bytes overflow 64 bits");
    /* negative and non-int dims */
    wrapper_case(SHAPE("K\x03J\xff\xff\xff\xff\x86"), &i8, -1, data, 80, JL_E_FORMAT,
                 "negative dimension -1 in axis 1 of a shape");
    wrapper_case(SHAPE("\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x85"), &i8, -1, data, 80, JL_E_FORMAT,
                 "negative dimension -9223372036854775808 in axis 0");
    wrapper_case(SHAPE("G?\xf8\x00\x00\x00\x00\x00\x00\x85"), &i8, -1, data, 80, JL_E_FORMAT,
                 "array dimension 0 is not an int");
    wrapper_case(SHAPE("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x85"), &i8, -1, data, 80, JL_E_FORMAT,
                 "array dimension 0 is not an int");
    wrapper_case(SHAPE("K\x0a"), &i8, -1, data, 80, JL_E_FORMAT, "array wrapper shape");
    /* 65 dimensions */
    char many[2 + 65 * 2 + 1];
    many[0] = '(';
    for (int i = 0; i < 65; i++) {
        many[1 + 2 * i] = 'K';
        many[2 + 2 * i] = 1;
    }
    many[131] = 't';
    wrapper_case(many, 132, &i8, -1, data, 80, JL_E_FORMAT, "array wrapper shape");
    /* data shorter than the shape claims: 40 bytes + STOP for 80 */
    wrapper_case(SHAPE("K\x0a\x85"), &i8, -1, data, 40, JL_E_TRUNCATED, "file is truncated: the array needs 80 bytes but only 41 remain");
    /* alignment padding longer than what remains */
    wrapper_case(SHAPE("K\x0a\x85"), &i8, 0xff, data, 80, JL_E_TRUNCATED, "file is truncated: the array's padding needs 255 bytes but only 81 remain");
    wrapper_case(SHAPE("K\x0a\x85"), &i8, 3, data, 80, JL_E_TRUNCATED, "file is truncated: the array needs 80 bytes but only 78 remain");
    /* a wrapper state that is not a dict, a dtype that is not a dtype */
    static const char list_state[] = "\x80\x02\x63joblib.numpy_pickle\nNumpyArrayWrapper\n)\x81]b.";
    expect_fail(list_state, sizeof list_state - 1, JL_E_FORMAT, "array wrapper state is a list, not a dict");
    pk notdt = { 0 };
    pk_global(&notdt, "os", "system");
    wrapper_case(SHAPE("K\x0a\x85"), &notdt, -1, data, 80, JL_E_FORMAT, "expected a numpy dtype, found a global");
    pk_free(&notdt);
    pk_free(&i8);

    /* itemsize 0 (numpy's V0): 2^62 elements in 0 bytes, and rows that stay
     * inside them */
    pk v0 = { 0 };
    pk_dtype(&v0, "V8", "|", 0, 0);
    pk b = { 0 };
    pk_wrapper(&b, SHAPE("\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x40\x85"), &v0, -1, "", 0);
    jl_doc *doc = open_ok(b.p, b.n, NULL);
    const jl_array *a = jl_array_of(doc, doc->root);
    assert_int_equal(doc->dtypes[a->dtype].itemsize, 0);
    assert_int_equal(doc->dims[a->dims_at], (uint64_t)1 << 62);
    assert_int_equal(a->data.len, 0);
    jl_error err;
    uint32_t row = jl_array_row(doc, doc->root, ((uint64_t)1 << 62) - 1, &err);
    assert_int_not_equal(row, JL_NONE);
    assert_int_equal(jl_array_of(doc, row)->data.len, 0);
    assert_int_equal(jl_array_row(doc, doc->root, (uint64_t)1 << 62, &err), JL_NONE);
    jl_check_doc(doc);
    jl_doc_free(doc);
    pk_free(&b);
    pk_free(&v0);

    /* absurd itemsizes */
    pk vbig = { 0 };
    pk_dtype(&vbig, "V8", "|", (int64_t)1 << 40, 0);
    wrapper_case(SHAPE("K\x01\x85"), &vbig, -1, data, 80, JL_E_LIMIT, "dtype of 1099511627776 bytes is too large");
    pk_free(&vbig);
    pk vmax = { 0 };
    pk_dtype(&vmax, "V8", "|", INT32_MAX, 0);
    wrapper_case(SHAPE("\x8a\x05\x00\x00\x00\x00\x02\x85"), &vmax, -1, data, 80, JL_E_TRUNCATED,
                 "file is truncated: the array needs 18446744065119617024 bytes but only 81 remain");
    wrapper_case(SHAPE("\x8a\x05\x00\x00\x00\x00\x04\x85"), &vmax, -1, data, 80, JL_E_LIMIT,
                 "17179869184 elements of 2147483647 bytes overflow 64 bits");
    pk_free(&vmax);
    pk u6 = { 0 };
    pk_dtype(&u6, "U1", "<", 6, 0);
    wrapper_case(SHAPE("K\x01\x85"), &u6, -1, data, 80, JL_E_FORMAT, "str itemsize 6 is not a multiple of 4");
    pk_free(&u6);
}

/* numpy's own pickling: _reconstruct + BUILD, and scalars */
static void test_reconstruct_lies(void **state) {
    (void)state;
    pk b = { 0 }, i8 = { 0 };
    pk_dtype(&i8, "i8", "<", -1, 0);
    /* (1, shape, dtype, False, data) with `n` data bytes */
    const struct {
        const char *shape;
        size_t shape_n;
        size_t n;
        jl_code code;
        const char *fragment;
    } cases[] = {
        { SHAPE("K\x0a\x85"), 80, JL_OK, "" },
        { SHAPE("K\x0a\x85"), 40, JL_E_FORMAT, "array data has 40 bytes, its shape and dtype need 80" },
        { SHAPE("K\x0a\x85"), 88, JL_E_FORMAT, "array data has 88 bytes, its shape and dtype need 80" },
        { SHAPE("J\xfe\xff\xff\xff\x85"), 0, JL_E_FORMAT, "negative dimension -2 in axis 0" },
        { SHAPE("\x8a\x05\x00\x00\x00\x00\x01\x8a\x05\x00\x00\x00\x00\x01\x86"), 0, JL_E_LIMIT, "overflows 64 bits" },
        { SHAPE("N"), 0, JL_E_FORMAT, "array shape is not a tuple" },
        { SHAPE("K\x05"), 40, JL_OK, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PK(&b, "\x80\x02");
        pk_global(&b, "numpy.core.multiarray", "_reconstruct");
        pk_global(&b, "numpy", "ndarray");
        PK(&b, "K\x00\x85U\x01" "b\x87R(K\x01");
        pk_raw(&b, cases[i].shape, cases[i].shape_n);
        pk_raw(&b, i8.p, i8.n);
        PK(&b, "\x89T");
        pk_u32(&b, (uint32_t)cases[i].n);
        for (size_t k = 0; k < cases[i].n; k++) pk_byte(&b, (uint8_t)k);
        PK(&b, "tb.");
        if (cases[i].code == JL_OK) {
            jl_doc *doc = open_ok(b.p, b.n, NULL);
            assert_int_equal(doc->nodes[doc->root].kind, JL_NDARRAY);
            assert_int_equal(jl_array_of(doc, doc->root)->data.len, cases[i].n);
            jl_doc_free(doc);
        } else
            expect_fail(b.p, b.n, cases[i].code, cases[i].fragment);
        pk_free(&b);
    }
    /* ndim 65 */
    PK(&b, "\x80\x02");
    pk_global(&b, "numpy.core.multiarray", "_reconstruct");
    pk_global(&b, "numpy", "ndarray");
    PK(&b, "K\x00\x85U\x01" "b\x87R(K\x01(");
    for (int k = 0; k < 65; k++) PK(&b, "K\x01");
    PK(&b, "t");
    pk_raw(&b, i8.p, i8.n);
    PK(&b, "\x89T\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00tb.");
    expect_fail(b.p, b.n, JL_E_FORMAT, "array with more than 64 dimensions");
    pk_free(&b);

    /* a dtype state of the wrong shape */
    PK(&b, "\x80\x02");
    pk_global(&b, "numpy", "dtype");
    pk_str(&b, "i8");
    PK(&b, "\x89\x88\x87R(K\x03t");
    PK(&b, "b.");
    expect_fail(b.p, b.n, JL_E_FORMAT, "state tuple must have 5 to 9 items");
    pk_free(&b);
    pk_free(&i8);

    /* a legacy bundle in memory cannot reach its sidecar */
    PK(&b, "\x80\x02");
    pk_global(&b, "joblib.numpy_pickle", "NDArrayWrapper");
    PK(&b, ")\x81}(");
    pk_str(&b, "filename");
    pk_str(&b, "x.npy");
    pk_str(&b, "subclass");
    pk_global(&b, "numpy", "ndarray");
    PK(&b, "ub.");
    expect_fail(b.p, b.n, JL_E_UNSUPPORTED, "sidecar file 'x.npy'; open it by path, not as a BLOB");
    pk_free(&b);
}

/* A known reduction whose arguments are malformed is an error, not a
 * silent fallback to a generic object. */
static void test_reduction_errors(void **state) {
    (void)state;
    pk b = { 0 }, i8 = { 0 };
    pk_dtype(&i8, "i8", "<", -1, 0);
    /* numpy scalar with 4 bytes for an int64 (numpy: ValueError) */
    PK(&b, "\x80\x02");
    pk_global(&b, "numpy.core.multiarray", "scalar");
    pk_raw(&b, i8.p, i8.n);
    PK(&b, "U\x04\x01\x02\x03\x04\x86R.");
    expect_fail(b.p, b.n, JL_E_FORMAT, "numpy scalar of 4 bytes for an itemsize of 8 at byte 92 (REDUCE)");
    pk_free(&b);
    /* _codecs.encode('\u0100', 'latin1') (Python: UnicodeEncodeError) */
    PK(&b, "\x80\x02");
    pk_global(&b, "_codecs", "encode");
    pk_str(&b, "\xc4\x80");
    pk_str(&b, "latin1");
    PK(&b, "\x86R.");
    expect_fail(b.p, b.n, JL_E_FORMAT, "latin-1 text with a code point above U+00FF");
    pk_free(&b);
    pk_free(&i8);
}

/* ---- the machine's own errors ------------------------------------------------ */

static void test_stack_and_type_errors(void **state) {
    (void)state;
    static const struct {
        const char *bytes;
        size_t n;
        jl_code code;
        const char *fragment;
    } cases[] = {
#define C(lit, code, frag) { lit, sizeof(lit) - 1, code, frag }
        C("\x80\x02" "0.", JL_E_FORMAT, "stack underflow at byte 2 (POP)"),
        C("\x80\x02" "1.", JL_E_FORMAT, "no MARK on the stack at byte 2 (POP_MARK)"),
        C("\x80\x02" "2.", JL_E_FORMAT, "stack underflow: needs 1 item at byte 2 (DUP)"),
        C("\x80\x02" "NN\x87.", JL_E_FORMAT, "stack underflow: needs 3 items at byte 4 (TUPLE3)"),
        C("\x80\x02" "N(\x85.", JL_E_FORMAT, "stack underflow: needs 1 item at byte 4 (TUPLE1)"),
        C("\x80\x02" "(.", JL_E_FORMAT, "stack underflow: needs 1 item at byte 3 (STOP)"),
        C("\x80\x02" "N(N0000.", JL_E_FORMAT, "stack underflow at byte 8 (POP)"),
        C("\x80\x02" "\x94.", JL_E_FORMAT, "stack underflow at byte 2 (MEMOIZE)"),
        C("\x80\x02" "q\x00.", JL_E_FORMAT, "stack underflow at byte 2 (BINPUT)"),
        C("\x80\x02" "NR.", JL_E_FORMAT, "stack underflow: needs 2 items at byte 3 (REDUCE)"),
        C("\x80\x02" "N(N\x81.", JL_E_FORMAT, "stack underflow: needs 2 items at byte 5 (NEWOBJ)"),
        C("\x80\x02" "(o.", JL_E_FORMAT, "OBJ without a class at byte 3 (OBJ)"),
        C("\x80\x02" "]NNs.", JL_E_FORMAT, "cannot set items on a list at byte 5 (SETITEM)"),
        C("\x80\x02" "K\x01(NNu.", JL_E_FORMAT, "cannot set items on a int at byte 7 (SETITEMS)"),
        C("\x80\x02" "}(Nu.", JL_E_FORMAT, "odd number of items for a dict at byte 5 (SETITEMS)"),
        C("\x80\x02" "(Nd.", JL_E_FORMAT, "odd number of items for a dict at byte 4 (DICT)"),
        C("\x80\x02" "}Na.", JL_E_FORMAT, "cannot append to a dict at byte 4 (APPEND)"),
        C("\x80\x02" ")(Ne.", JL_E_FORMAT, "cannot append to a tuple at byte 5 (APPENDS)"),
        C("\x80\x04" "](N\x90.", JL_E_FORMAT, "cannot add items to a list at byte 5 (ADDITEMS)"),
        C("\x80\x02" "]}b.", JL_E_FORMAT, "BUILD on a list at byte 4 (BUILD)"),
        C("\x80\x02" "K\x01]b.", JL_E_FORMAT, "BUILD on a int at byte 5 (BUILD)"),
        C("\x80\x02" "cos\nsystem\nNR.", JL_E_FORMAT, "REDUCE arguments are a null, not a tuple"),
        C("\x80\x02" "cos\nsystem\n]\x81.", JL_E_FORMAT, "class arguments are a list, not a tuple"),
        C("\x80\x04" "cos\nsystem\n)]\x92.", JL_E_FORMAT, "NEWOBJ_EX keyword arguments are not a dict"),
        C("\x80\x02" "h\x00.", JL_E_FORMAT, "memo index 0 is not set at byte 2 (BINGET)"),
        C("(Np0\ng99999999999999999999\n.", JL_E_FORMAT, "bad memo index text"),
        C("\x80\x02" "\x95\x00\x00\x00\x00\x00\x00\x01\x00N.", JL_E_TRUNCATED, "file is truncated: FRAME claims 281474976710656 bytes (more than max_decompressed) but only 2 remain at byte 2 (FRAME)"),
        C("\x80\x02" "\x8b\xff\xff\xff\xff.", JL_E_FORMAT, "negative length -1 at byte 2 (LONG4)"),
        C("\x80\x03" "B\xff\xff\xff\xff.", JL_E_TRUNCATED, "file is truncated: BINBYTES at byte 2 needs 4294967295 bytes but only 1 remain"),
#undef C
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_fail(cases[i].bytes, cases[i].n, cases[i].code, cases[i].fragment);

    /* BUILD with None on a non-object is a no-op (Python's setstate(None)) */
    jl_doc *doc = open_ok("\x80\x02K\x05Nb.", 7, NULL);
    assert_int_equal(doc->nodes[doc->root].u.i, 5);
    jl_doc_free(doc);
}

/* 10^6 lists each appended to the one before: depth 10^6 */
static void test_deep_nesting(void **state) {
    (void)state;
    const size_t n = 1000000;
    uint8_t *p = malloc(2 * n + 3);
    assert_non_null(p);
    p[0] = 0x80;
    p[1] = 2;
    memset(p + 2, ']', n);
    memset(p + 2 + n, 'a', n - 1);
    p[2 * n + 1] = '.';
    jl_doc *doc = open_ok(p, 2 * n + 2, NULL);
    uint32_t id = doc->root;
    size_t depth = 1;
    while (doc->nodes[id].len) {
        assert_int_equal(doc->nodes[id].len, 1);
        id = jl_kids_of(doc, id)[0];
        depth++;
    }
    assert_int_equal(depth, n);
    assert_int_equal(doc->nnodes, n);
    jl_doc_free(doc);

    /* 10^6 marks: the limit stops it with the default max_depth */
    memset(p + 2, '(', n);
    p[n + 2] = '.';
    expect_fail(p, n + 3, JL_E_LIMIT, "MARK nesting deeper than max_depth (100000)");
    /* with max_depth raised, 10^6 nested MARK ... LIST decode too */
    memset(p + 2 + n, 'l', n);
    p[2 * n + 2] = '.';
    jl_limits lim;
    jl_limits_default(&lim);
    lim.max_depth = 2 * n;
    doc = open_ok(p, 2 * n + 3, &lim);
    id = doc->root;
    depth = 1;
    while (doc->nodes[id].len) {
        id = jl_kids_of(doc, id)[0];
        depth++;
    }
    assert_int_equal(depth, n);
    jl_doc_free(doc);
    free(p);
}

/* 10^6 BINGETs of one node: one node, referred to 10^6 times */
static void test_million_refs(void **state) {
    (void)state;
    const size_t n = 1000000;
    uint8_t *p = malloc(2 * n + 16);
    assert_non_null(p);
    size_t k = 0;
    memcpy(p, "\x80\x02(]q\x00", 6);
    k = 6;
    for (size_t i = 1; i < n; i++) {
        p[k++] = 'h';
        p[k++] = 0;
    }
    p[k++] = 'l';
    p[k++] = '.';
    jl_doc *doc = open_ok(p, k, NULL);
    uint32_t r = doc->root;
    assert_int_equal(doc->nodes[r].len, n);
    uint32_t first = kid(doc, r, 0);
    assert_int_equal(doc->nodes[first].kind, JL_LIST);
    const uint32_t *kids = jl_kids_of(doc, r);
    for (size_t i = 0; i < n; i++) assert_int_equal(kids[i], first);
    assert_int_equal(doc->nnodes, 2);
    jl_doc_free(doc);

    /* a list holding itself 10^6 times */
    memcpy(p, "\x80\x02]q\x00(", 6);
    k = 6;
    for (size_t i = 0; i < n; i++) {
        p[k++] = 'h';
        p[k++] = 0;
    }
    p[k++] = 'e';
    p[k++] = '.';
    doc = open_ok(p, k, NULL);
    r = doc->root;
    assert_int_equal(doc->nodes[r].len, n);
    assert_int_equal(kid(doc, r, (uint32_t)n - 1), r);
    assert_int_equal(doc->nnodes, 1);
    jl_doc_free(doc);
    free(p);
}

/* Keys no identifier can spell (NUL, quotes, lone surrogates, path syntax,
 * non-str keys, the reserved object slots): every fullkey that the tree
 * walk gives resolves back to its own node (README "Paths, types and values"). */
static void test_walk_hostile_keys(void **state) {
    (void)state;
    static const struct {
        const char *key;
        size_t n;
    } keys[] = {
        { "a\0b", 3 }, { "q\"\\", 3 }, { "\xed\xa0\x80", 3 }, { "__args__", 8 }, { "__state__", 9 },
        { "", 0 }, { "a.b", 3 }, { "[0]", 3 }, { "$", 1 }, { "#-1", 3 }, { "\n\t\x7f", 3 },
        { "\xf0\x9f\x98\x80", 4 },
    };
    pk b = { 0 };
    PK(&b, "\x80\x02}(");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        pk_strn(&b, keys[i].key, keys[i].n);
        pk_int(&b, (int64_t)i);
    }
    /* a py2 str that is not UTF-8, bytes, -1, NaN, None, True, 1, (1, 'a') */
    PK(&b, "U\x01\xeeK\x30" "C\x01\xeeK\x31" "J\xff\xff\xff\xffK\x32" "G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x33");
    PK(&b, "NK\x34" "\x88K\x35" "K\x01K\x36" "(K\x01X\x01\x00\x00\x00" "atK\x37");
    /* an object whose state keys collide with its own slots */
    pk_str(&b, "obj");
    pk_global(&b, "argparse", "Namespace");
    PK(&b, "K\x09\x85\x81}(");
    pk_str(&b, "__args__");
    PK(&b, "K\x0a");
    pk_str(&b, "__state__");
    PK(&b, "K\x0b");
    pk_str(&b, "__class__");
    PK(&b, "K\x0c");
    pk_str(&b, "__items__");
    PK(&b, "K\x0dub");
    PK(&b, "u.");
    jl_doc *doc = open_ok(b.p, b.n, NULL);
    jl_walk *w = NULL;
    jl_error err;
    assert_int_equal(jl_walk_start(doc, doc->root, "$", 1, &w, &err), JL_OK);
    jl_walk_row row;
    int rows = 0, rc;
    while ((rc = jl_walk_next(w, &row, &err)) > 0) {
        assert_int_equal(jl_walk_strings(w, &row, &err), JL_OK);
        uint32_t again;
        jl_error perr;
        int prc = jl_path_resolve(doc, doc->root, row.fullkey, strlen(row.fullkey), &again, &perr);
        if (prc != JL_OK || again != row.node)
            print_message("fullkey %s: rc %d (%s), node %u for %u\n", row.fullkey, prc, prc ? perr.message : "",
                          again, row.node);
        assert_int_equal(prc, JL_OK);
        assert_int_equal(again, row.node);
        rows++;
    }
    assert_int_equal(rc, 0);
    /* the root, 20 entries, the object's args tuple, its 9, and 4 state entries */
    assert_int_equal(rows, 1 + 21 + 1 + 1 + 4);
    jl_walk_free(w);
    jl_doc_free(doc);
    pk_free(&b);
}

/* A pickle may set the same key twice (Python keeps the last value). Each
 * entry the walk shows must be selected by its own fullkey. */
static void test_walk_duplicate_keys(void **state) {
    (void)state;
    static const char dup[] = "\x80\x02}(X\x01\x00\x00\x00" "aK\x01X\x01\x00\x00\x00" "aC\x01\xffu.";
    jl_doc *doc = open_ok(dup, sizeof dup - 1, NULL);
    jl_walk *w = NULL;
    jl_error err;
    assert_int_equal(jl_walk_start(doc, doc->root, "$", 1, &w, &err), JL_OK);
    jl_walk_row row;
    int rc;
    while ((rc = jl_walk_next(w, &row, &err)) > 0) {
        assert_int_equal(jl_walk_strings(w, &row, &err), JL_OK);
        uint32_t again;
        jl_error perr;
        assert_int_equal(jl_path_resolve(doc, doc->root, row.fullkey, strlen(row.fullkey), &again, &perr), JL_OK);
        if (again != row.node)
            print_message("fullkey %s of a %s selects a %s\n", row.fullkey, jl_kind_name(doc->nodes[row.node].kind),
                          again == JL_NONE ? "nothing" : jl_kind_name(doc->nodes[again].kind));
        assert_int_equal(again, row.node);
    }
    assert_int_equal(rc, 0);
    jl_walk_free(w);
    jl_doc_free(doc);
}

/* ---- the corpus, truncated and mutated ---------------------------------------- */

/* An allocator that keeps freed blocks of 256 KiB or more for reuse at
 * the same size: the bz2/lzma/xz decoders take megabytes of state per
 * open, and fresh ones from ASan's allocator cost milliseconds each (the
 * test opens the corpus files some 200000 times). Small blocks, where the
 * codec's own bugs would be, go straight to malloc/free. */
#define CACHE_MIN ((size_t)256 << 10)
#define CACHE_SLOTS 8
typedef struct cache {
    jl_alloc alloc;
    void *slot[CACHE_SLOTS]; /* headers of free big blocks */
} cache;

static void *c_malloc(void *ctx, size_t n) {
    cache *c = ctx;
    if (n >= CACHE_MIN)
        for (int i = 0; i < CACHE_SLOTS; i++)
            if (c->slot[i] && *(size_t *)c->slot[i] == n) {
                void *h = c->slot[i];
                c->slot[i] = NULL;
                return (uint8_t *)h + 16;
            }
    size_t *h = malloc(n + 16);
    if (!h) return NULL;
    h[0] = n;
    return h + 2;
}
static void *c_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    size_t *h = p ? (size_t *)p - 2 : NULL;
    h = realloc(h, n + 16);
    if (!h) return NULL;
    h[0] = n;
    return h + 2;
}
static void c_free(void *ctx, void *p) {
    cache *c = ctx;
    if (!p) return;
    size_t *h = (size_t *)p - 2;
    if (h[0] >= CACHE_MIN)
        for (int i = 0; i < CACHE_SLOTS; i++)
            if (!c->slot[i]) {
                c->slot[i] = h;
                return;
            }
    free(h);
}
static cache open_cache = { { c_malloc, c_realloc, c_free, &open_cache }, { 0 } };
static void cache_drain(void) {
    for (int i = 0; i < CACHE_SLOTS; i++) {
        free(open_cache.slot[i]);
        open_cache.slot[i] = NULL;
    }
}

/* Opens an exact-size copy of p[0..n): a doc that passes the checks, or an
 * error with a code and a message. Returns the code. */
static int open_any(const uint8_t *p, size_t n) {
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n) memcpy(copy, p, n);
    jl_doc *doc = NULL;
    jl_error err;
    jl_open_opts o = { &open_cache.alloc, NULL };
    int rc = jl_open_memory(copy, n, 1, &o, &doc, &err);
    if (rc == JL_OK) {
        assert_non_null(doc);
        jl_check_doc(doc);
        jl_doc_free(doc);
    } else {
        assert_null(doc);
        assert_true(rc > JL_OK && rc <= JL_E_UNSAFE);
        assert_int_equal(err.code, rc);
        assert_true(err.message[0] != 0);
    }
    free(copy);
    return rc;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int is_main_file(const char *name) {
    size_t n = strlen(name);
    if (strncmp(name, "joblib_", 7) != 0) return 0;
    return !(n > 4 && strcmp(name + n - 4, ".npy") == 0) && !(n > 6 && strcmp(name + n - 6, ".npy.z") == 0);
}

static void test_corpus_truncations_and_mutations(void **state) {
    (void)state;
    const char *dir = jl_test_corpus_dir();
    if (!dir) {
        print_message("corpus not found: skipped\n");
        skip();
    }
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    struct dirent *e;
    int files = 0;
    char path[8192];
    const char *vg = getenv("JL_VALGRIND");
    int sampled = vg && *vg == '1';
    while ((e = readdir(dh))) {
        if (strncmp(e->d_name, "joblib_", 7) != 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        uint64_t n;
        uint8_t *p = jl_test_read_file(path, &n);
        assert_non_null(p);
        /* every proper prefix of a bundle is an error, but for zlib/gzip ones
         * cut after the pickle's end, which joblib reads lazily and loads
         * (tests/interop/test_damaged.py checks those against joblib); of a
         * sidecar, whatever it is (under valgrind, JL_VALGRIND=1: both ends
         * and a stride, and fewer mutations; ASan builds run them all) */
        jl_compression comp = jl_detect(p, n);
        int lazy = comp == JL_COMP_ZLIB || comp == JL_COMP_GZIP;
        for (uint64_t k = 0; k < n; k++) {
            if (sampled && k > 32 && k + 32 < n && k % 29) continue;
            int rc = open_any(p, (size_t)k);
            if (is_main_file(e->d_name) && rc == JL_OK && !lazy) {
                print_message("%s: the first %llu of %llu bytes decode\n", e->d_name, (unsigned long long)k,
                              (unsigned long long)n);
                fail();
            }
        }
        (void)open_any(p, (size_t)n);
        uint8_t *m = malloc(n);
        assert_non_null(m);
        for (int i = 0; i < (sampled ? 100 : 2000); i++) {
            memcpy(m, p, n);
            uint64_t r = rng();
            m[r % n] ^= (uint8_t)(1 + (r >> 32) % 255);
            (void)open_any(m, (size_t)n);
        }
        free(m);
        free(p);
        files++;
    }
    closedir(dh);
    cache_drain();
    assert_int_equal(files, 66);
}

/* The saved fuzz_decode crashes (tests/fuzz/regressions/fuzz_decode/)
 * replayed in every build, not only under libFuzzer. */
static void test_fuzz_regressions(void **state) {
    (void)state;
    const char *src = getenv("JL_SOURCE_DIR");
    char dir[4096];
    if (src && *src) snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/fuzz_decode", src);
    else {
        /* __FILE__ is .../tests/unit/codec/test_hostile.c */
        const char *f = __FILE__;
        const char *cut = strstr(f, "tests/unit/");
        if (!cut) skip();
        snprintf(dir, sizeof dir, "%.*stests/fuzz/regressions/fuzz_decode", (int)(cut - f), f);
    }
    DIR *dh = opendir(dir);
    if (!dh) {
        print_message("%s not found: skipped\n", dir);
        skip();
    }
    struct dirent *e;
    char path[8192];
    int count = 0;
    while ((e = readdir(dh))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        uint64_t n;
        uint8_t *p = jl_test_read_file(path, &n);
        assert_non_null(p);
        (void)open_any(p, (size_t)n);
        free(p);
        count++;
    }
    closedir(dh);
    cache_drain();
    assert_true(count > 0);
}

/* ---- sidecar names ----------------------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* a .npy of int64 [7, 8, 9] */
static void write_npy(const char *path) {
    pk b = { 0 };
    const char head[] = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
    char h[118];
    memset(h, ' ', sizeof h);
    memcpy(h, head, sizeof head - 1);
    h[117] = '\n';
    PK(&b, "\x93NUMPY\x01\x00\x76\x00");
    pk_raw(&b, h, sizeof h);
    for (int v = 7; v <= 9; v++) {
        int64_t x = v;
        pk_raw(&b, &x, 8);
    }
    write_file(path, b.p, b.n);
    pk_free(&b);
}

/* main legacy pickle [NDArrayWrapper(filename=name)] at dir/main.pkl;
 * znpy: a ZNDArrayWrapper instead */
static const char *write_main(const char *name, size_t name_n, int znpy) {
    static char path[128];
    pk b = { 0 };
    PK(&b, "\x80\x02]q\x00(");
    pk_global(&b, "joblib.numpy_pickle", znpy ? "ZNDArrayWrapper" : "NDArrayWrapper");
    PK(&b, ")\x81}(");
    pk_str(&b, "filename");
    pk_strn(&b, name, name_n);
    if (znpy) {
        pk_str(&b, "init_args");
        pk_global(&b, "numpy", "ndarray");
        PK(&b, "K\x00\x85U\x01" "b\x87");
        pk_str(&b, "state");
        PK(&b, "(K\x01K\x03\x85");
        pk_dtype(&b, "i8", "<", -1, 0);
        PK(&b, "\x89t");
    } else {
        pk_str(&b, "subclass");
        pk_global(&b, "numpy", "ndarray");
        pk_str(&b, "allow_mmap");
        PK(&b, "\x88");
    }
    PK(&b, "ube.");
    snprintf(path, sizeof path, "%s/main.pkl", tmpdir);
    write_file(path, b.p, b.n);
    pk_free(&b);
    return path;
}

static void expect_file_fail(const char *path, jl_code code, const char *fragment) {
    jl_doc *doc = NULL;
    jl_error err;
    int rc = jl_open_file(path, NULL, &doc, &err);
    if (rc == JL_OK) jl_doc_free(doc);
    if (rc != (int)code || !strstr(err.message, fragment))
        print_message("expected %d '%s', got %d '%s'\n", code, fragment, rc, rc ? err.message : "");
    assert_int_equal(rc, code);
    assert_non_null(strstr(err.message, fragment));
}

static char outside[128];

/* the bundle's directory, and a valid sidecar outside it */
static int sidecar_setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/jl_hostile_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    snprintf(outside, sizeof outside, "/tmp/jl_hostile_outside_%ld.npy", (long)getpid());
    write_npy(outside);
    return 0;
}

static int sidecar_teardown(void **state) {
    (void)state;
    const char *names[] = { "good.npy", "link.npy", "alias.npy", "main.pkl" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(jl_test_path(tmpdir, names[i]));
    unlink(outside);
    return rmdir(tmpdir);
}

static void test_sidecar_names(void **state) {
    (void)state;
    char path[256];
    /* a valid sidecar inside the bundle's directory */
    snprintf(path, sizeof path, "%s/good.npy", tmpdir);
    write_npy(path);

    /* the control: the plain name decodes to [7, 8, 9] */
    jl_doc *doc = NULL;
    jl_error err;
    const char *main_path = write_main("good.npy", 8, 0);
    assert_int_equal(jl_open_file(main_path, NULL, &doc, &err), JL_OK);
    uint32_t arr = kid(doc, doc->root, 0);
    assert_int_equal(doc->nodes[arr].kind, JL_NDARRAY);
    int64_t v[3];
    memcpy(v, jl_ref_ptr(doc, jl_array_of(doc, arr)->data), 24);
    assert_true(v[0] == 7 && v[1] == 8 && v[2] == 9);
    assert_int_equal(doc->format, JL_FMT_LEGACY);
    jl_doc_free(doc);

    /* names that leave the directory: refused before anything is opened */
    static const struct {
        const char *name;
        size_t n;
        const char *quoted;
    } bad[] = {
        { "../x.npy", 8, "refusing sidecar file name '../x.npy'" },
        { "/etc/passwd", 11, "refusing sidecar file name '/etc/passwd'" },
        { "a/b.npy", 7, "refusing sidecar file name 'a/b.npy'" },
        { "x\0y", 3, "refusing sidecar file name 'x?y'" },
        { "a\\b.npy", 7, "refusing sidecar file name 'a\\b.npy'" },
        { "..", 2, "refusing sidecar file name '..'" },
        { "~root", 5, "refusing sidecar file name '~root'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_file_fail(write_main(bad[i].name, bad[i].n, 0), JL_E_UNSAFE, bad[i].quoted);
        expect_file_fail(write_main(bad[i].name, bad[i].n, 1), JL_E_UNSAFE, bad[i].quoted);
    }
    expect_file_fail(write_main("", 0, 0), JL_E_UNSAFE, "sidecar file name of 0 bytes");

    /* a symlink in the directory that points outside it */
    snprintf(path, sizeof path, "%s/link.npy", tmpdir);
    assert_int_equal(symlink(outside, path), 0);
    expect_file_fail(write_main("link.npy", 8, 0), JL_E_UNSAFE,
                     "refusing sidecar 'link.npy': it resolves outside the bundle's directory");
    /* "." is the directory itself */
    expect_file_fail(write_main(".", 1, 0), JL_E_UNSAFE, "refusing sidecar '.': it resolves outside");
    /* a symlink to a sibling inside the directory is fine */
    snprintf(path, sizeof path, "%s/alias.npy", tmpdir);
    assert_int_equal(symlink("good.npy", path), 0);
    assert_int_equal(jl_open_file(write_main("alias.npy", 9, 0), NULL, &doc, &err), JL_OK);
    jl_doc_free(doc);
    /* a sidecar that is missing is an I/O error naming it */
    expect_file_fail(write_main("missing.npy", 11, 0), JL_E_IO, "missing.npy");
}

int main(void) {
    snprintf(marker, sizeof marker, "/tmp/jl_pwned_%ld", (long)getpid());
    snprintf(command, sizeof command, "touch %s", marker);
    unlink(marker);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reduce_payloads),
        cmocka_unit_test(test_class_payloads),
        cmocka_unit_test(test_payload_after_array),
        cmocka_unit_test(test_payload_in_object_array),
        cmocka_unit_test(test_decompression_bombs),
        cmocka_unit_test(test_lzma_dictionary_claims),
        cmocka_unit_test(test_zf_lies),
        cmocka_unit_test(test_wrapper_shape_lies),
        cmocka_unit_test(test_reconstruct_lies),
        cmocka_unit_test(test_reduction_errors),
        cmocka_unit_test(test_stack_and_type_errors),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_million_refs),
        cmocka_unit_test(test_walk_hostile_keys),
        cmocka_unit_test(test_walk_duplicate_keys),
        cmocka_unit_test(test_corpus_truncations_and_mutations),
        cmocka_unit_test(test_fuzz_regressions),
        cmocka_unit_test_setup_teardown(test_sidecar_names, sidecar_setup, sidecar_teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* whatever happened above, nothing may have run a command */
    if (access(marker, F_OK) == 0) {
        fprintf(stderr, "test_hostile: %s exists: a payload was executed\n", marker);
        unlink(marker);
        return 1;
    }
    return failed;
}
