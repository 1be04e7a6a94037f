/*
 * reduce.c - what REDUCE, NEWOBJ and BUILD make, without calling anything.
 *
 * A short whitelist of callables (one table below) becomes natural nodes:
 * set, frozenset, complex, bytes, bytearray, _codecs.encode, OrderedDict,
 * copy_reg._reconstructor, cloudpickle's _class_setstate, and numpy's
 * _reconstruct, scalar, _frombuffer and dtype (numpy.core and
 * numpy._core, Python 2 and 3 names). Every
 * other callable or class becomes an object node that keeps its class,
 * arguments and state as data. joblib's array wrappers are finished at
 * their BUILD by layout.c, before these rules (vm.c).
 */
#include "reduce.h"

#include "text.h"

#include <string.h>

#include "dtype.h"
#include "pynames.h"

/* A reduction returns 0 when it made *out, DECLINE when its arguments
 * are not of the form it knows (the call stays data, an object node), -1
 * or a jl_code when the input is wrong (the error is set). */
typedef int (*reduce_fn)(jl_vm *vm, uint32_t args, uint32_t *out);
#define DECLINE (-2)

/* ---- small node helpers ---------------------------------------------- */

static uint32_t arg_at(const jl_doc *doc, uint32_t tuple, uint32_t i) {
    const jl_node *t = &doc->nodes[tuple];
    return i < t->len ? jl_kids_of(doc, tuple)[i] : JL_NONE;
}

static uint32_t nargs(const jl_doc *doc, uint32_t tuple) { return doc->nodes[tuple].len; }

static int is_kind(const jl_doc *doc, uint32_t id, jl_kind k) {
    return id != JL_NONE && doc->nodes[id].kind == k;
}

static int is_sequence(const jl_doc *doc, uint32_t id) {
    if (id == JL_NONE) return 0;
    uint8_t k = doc->nodes[id].kind;
    return k == JL_LIST || k == JL_TUPLE || k == JL_SET || k == JL_FROZENSET;
}

static int text_is(const jl_doc *doc, uint32_t id, const char *s) {
    const uint8_t *p;
    uint64_t n;
    if (id == JL_NONE || jl_node_text(doc, id, &p, &n)) return 0;
    return n == strlen(s) && memcmp(p, s, (size_t)n) == 0;
}

/* bytes, bytearray, or a Python 2 str (raw bytes whatever they hold) */
static int is_raw_bytes(const jl_doc *doc, uint32_t id) {
    const jl_node *n = &doc->nodes[id];
    return n->kind == JL_BYTES || n->kind == JL_BYTEARRAY || (n->kind == JL_STR && (n->flags & JL_F_PY2));
}

static int number_of(const jl_doc *doc, uint32_t id, double *v) {
    const jl_node *n = &doc->nodes[id];
    if (n->kind == JL_FLOAT) { *v = n->u.f; return 0; }
    if ((n->kind == JL_INT && !(n->flags & JL_F_BIG)) || n->kind == JL_BOOL) { *v = (double)n->u.i; return 0; }
    return -1;
}

/* A new container of `kind` holding the items of sequence `src`. */
static uint32_t copy_items(jl_vm *vm, jl_kind kind, uint32_t src) {
    jl_doc *doc = vm->doc;
    uint32_t id = jl_node_new(doc, kind, vm->err);
    if (id == JL_NONE || src == JL_NONE) return id;
    uint64_t n = doc->nodes[src].len;
    if (n == 0) return id;
    /* the kids array may move while appending: copy through a chunk buffer */
    uint32_t chunk[256];
    for (uint64_t i = 0; i < n; i += 256) {
        uint64_t m = n - i < 256 ? n - i : 256;
        memcpy(chunk, jl_kids_of(doc, src) + i, (size_t)m * sizeof(uint32_t));
        if (jl_kids_append(doc, id, chunk, m, vm->err)) return JL_NONE;
    }
    return id;
}

/* Where bytes lie in the stream being decoded, or JL_NO_OFFSET when they
 * were decoded (text, _codecs.encode, a protocol 0 STRING) into the
 * doc's heap or come from another block: joblib_info's "offset" must
 * point at the bytes as they are. */
static uint64_t stream_off_of(const jl_vm *vm, jl_ref ref) {
    if (ref.block == vm->doc->lazy_block) return ref.off; /* a skipped payload (feed.h) */
    return ref.block == vm->block ? jl_vm_stream_at(vm, ref.off) : JL_NO_OFFSET;
}

/* ---- the known reductions -------------------------------------------------- */

/* set(iterable) / frozenset(iterable) */
static int r_set_kind(jl_vm *vm, uint32_t args, uint32_t *out, jl_kind kind) {
    jl_doc *doc = vm->doc;
    uint32_t n = nargs(doc, args);
    uint32_t src = n ? arg_at(doc, args, 0) : JL_NONE;
    if (n > 1 || (n == 1 && !is_sequence(doc, src))) return DECLINE;
    *out = copy_items(vm, kind, src);
    return *out == JL_NONE ? -1 : 0;
}
static int r_set(jl_vm *vm, uint32_t args, uint32_t *out) { return r_set_kind(vm, args, out, JL_SET); }
static int r_frozenset(jl_vm *vm, uint32_t args, uint32_t *out) { return r_set_kind(vm, args, out, JL_FROZENSET); }

/* complex(real[, imag]) */
static int r_complex(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    double v[2] = { 0, 0 };
    uint32_t n = nargs(doc, args);
    if (n > 2) return DECLINE;
    for (uint32_t i = 0; i < n; i++)
        if (number_of(doc, arg_at(doc, args, i), &v[i])) return DECLINE;
    *out = jl_new_bytes(doc, JL_COMPLEX, v, sizeof v, vm->err);
    return *out == JL_NONE ? -1 : 0;
}

/* The bytes that a latin-1 (code points < 256) UTF-8 text stands for. */
static int latin1_bytes(jl_vm *vm, uint32_t text, jl_kind kind, uint32_t *out) {
    jl_doc *doc = vm->doc;
    const uint8_t *p;
    uint64_t n;
    if (jl_node_text(doc, text, &p, &n)) return DECLINE;
    jl_ref ref;
    uint8_t *b = jl_heap_alloc(doc, n, &ref, vm->err);
    if (!b) return -1;
    p = jl_ref_ptr(doc, jl_node_ref(doc, text)); /* the heap may not move blocks, but be safe */
    uint64_t w = 0;
    for (uint64_t i = 0; i < n;) {
        uint32_t cp;
        unsigned l = jl_utf8_next(p + i, n - i, JL_UTF8_SURROGATES, &cp);
        if (l == 0 || cp > 0xFF)
            return jl_vm_fail(vm, JL_E_FORMAT, "latin-1 text with a code point above U+00FF");
        b[w++] = (uint8_t)cp;
        i += l;
    }
    ref.len = w;
    *out = jl_new_ref(doc, kind, ref, vm->err);
    return *out == JL_NONE ? -1 : 0;
}

/* _codecs.encode(text, 'latin1'): how Python 3 writes bytes at protocol < 3. */
static int r_codecs_encode(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    if (nargs(doc, args) != 2 || !is_kind(doc, arg_at(doc, args, 0), JL_STR)) return DECLINE;
    uint32_t enc = arg_at(doc, args, 1);
    if (text_is(doc, enc, "latin1") || text_is(doc, enc, "latin-1") || text_is(doc, enc, "iso-8859-1"))
        return latin1_bytes(vm, arg_at(doc, args, 0), JL_BYTES, out);
    if (text_is(doc, enc, "utf-8") || text_is(doc, enc, "utf8")) {
        *out = jl_new_ref(doc, JL_BYTES, jl_node_ref(doc, arg_at(doc, args, 0)), vm->err);
        return *out == JL_NONE ? -1 : 0;
    }
    return DECLINE;
}

/* bytes() and bytes(b) */
static int r_bytes(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    uint32_t n = nargs(doc, args);
    if (n == 0) {
        *out = jl_new_bytes(doc, JL_BYTES, "", 0, vm->err);
        return *out == JL_NONE ? -1 : 0;
    }
    if (n == 1 && is_kind(doc, arg_at(doc, args, 0), JL_BYTES)) {
        *out = arg_at(doc, args, 0);
        return 0;
    }
    return DECLINE;
}

/* bytearray(), bytearray(b), bytearray(text, 'latin-1') */
static int r_bytearray(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    uint32_t n = nargs(doc, args);
    uint32_t a0 = n ? arg_at(doc, args, 0) : JL_NONE;
    if (n == 0) {
        *out = jl_new_bytes(doc, JL_BYTEARRAY, "", 0, vm->err);
        return *out == JL_NONE ? -1 : 0;
    }
    if (n == 1 && (is_kind(doc, a0, JL_BYTES) || is_kind(doc, a0, JL_BYTEARRAY))) {
        *out = jl_new_ref(doc, JL_BYTEARRAY, jl_node_ref(doc, a0), vm->err);
        return *out == JL_NONE ? -1 : 0;
    }
    if (n == 2 && is_kind(doc, a0, JL_STR) &&
        (text_is(doc, arg_at(doc, args, 1), "latin-1") || text_is(doc, arg_at(doc, args, 1), "latin1")))
        return latin1_bytes(vm, a0, JL_BYTEARRAY, out);
    return DECLINE;
}

/* OrderedDict() and Python 2's OrderedDict([[k, v], ...]) */
static int r_ordereddict(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    uint32_t n = nargs(doc, args);
    if (n > 1) return DECLINE;
    uint32_t src = n ? arg_at(doc, args, 0) : JL_NONE;
    if (n && !is_sequence(doc, src)) return DECLINE;
    uint32_t d = jl_node_new(doc, JL_DICT, vm->err);
    if (d == JL_NONE) return -1;
    uint64_t count = src == JL_NONE ? 0 : doc->nodes[src].len;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t pair = jl_kids_of(doc, src)[i];
        if (!is_sequence(doc, pair) || doc->nodes[pair].len != 2) return DECLINE;
        uint32_t kv[2] = { jl_kids_of(doc, pair)[0], jl_kids_of(doc, pair)[1] };
        if (jl_kids_append(doc, d, kv, 2, vm->err)) return -1;
    }
    *out = d;
    return 0;
}

/* copy_reg._reconstructor(cls, object, None): protocol 0/1 instances */
static int r_reconstructor(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    if (nargs(doc, args) != 3) return DECLINE;
    uint32_t base = arg_at(doc, args, 1), st = arg_at(doc, args, 2);
    if (!(jl_global_is(doc, base, "__builtin__", "object") || jl_global_is(doc, base, "builtins", "object")) ||
        !is_kind(doc, st, JL_NULL))
        return DECLINE;
    uint32_t empty = jl_node_new(doc, JL_TUPLE, vm->err);
    if (empty == JL_NONE) return -1;
    int rc = jl_vm_newobj(vm, arg_at(doc, args, 0), empty, JL_NONE, JL_HOW_NEWOBJ, out);
    return rc ? -1 : 0;
}

/* The parsed dtype of a node: a numpy.dtype object (parsed at its BUILD,
 * or now when it had none) or a descr string. */
int jl_vm_dtype_of(jl_vm *vm, uint32_t node, uint32_t *dt) {
    jl_doc *doc = vm->doc;
    const uint8_t *p;
    uint64_t n;
    if (node != JL_NONE && doc->nodes[node].kind == JL_OBJECT) {
        jl_object *o = jl_object_of(doc, node);
        if (o->dtype == JL_NONE && jl_global_is(doc, o->cls, "numpy", "dtype") && o->args != JL_NONE) {
            uint32_t d;
            if (jl_dtype_from_pickle(doc, o->args, o->state, &d, vm->err)) return -1;
            jl_object_of(doc, node)->dtype = d;
        }
        if (jl_object_of(doc, node)->dtype != JL_NONE) {
            *dt = jl_object_of(doc, node)->dtype;
            return 0;
        }
    } else if (node != JL_NONE && !jl_node_text(doc, node, &p, &n)) {
        return jl_dtype_parse(doc, (const char *)p, (size_t)n, dt, vm->err) ? -1 : 0;
    }
    return jl_vm_fail(vm, JL_E_FORMAT, "expected a numpy dtype, found a %s",
                      node == JL_NONE ? "nothing" : jl_kind_name(doc->nodes[node].kind));
}

/* numpy.core.multiarray.scalar(dtype, bytes) */
static int r_np_scalar(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    uint32_t n = nargs(doc, args), dt;
    if (n < 1 || n > 2) return DECLINE;
    if (jl_vm_dtype_of(vm, arg_at(doc, args, 0), &dt)) return -1;
    if (doc->dtypes[dt].has_object) {
        /* an object "scalar" is the object itself */
        if (n != 2) return DECLINE;
        *out = arg_at(doc, args, 1);
        return 0;
    }
    uint32_t data = n == 2 ? arg_at(doc, args, 1) : JL_NONE;
    jl_ref ref;
    if (data != JL_NONE && is_raw_bytes(doc, data)) ref = jl_node_ref(doc, data);
    else if (data != JL_NONE && doc->nodes[data].kind == JL_STR) {
        uint32_t b;
        int rc = latin1_bytes(vm, data, JL_BYTES, &b);
        if (rc) return rc;
        ref = jl_node_ref(doc, b);
    } else
        return jl_vm_fail(vm, JL_E_FORMAT, "numpy scalar without its bytes");
    if (ref.len != doc->dtypes[dt].itemsize)
        return jl_vm_fail(vm, JL_E_FORMAT, "numpy scalar of %llu bytes for an itemsize of %llu",
                          (unsigned long long)ref.len, (unsigned long long)doc->dtypes[dt].itemsize);
    uint32_t ai = jl_array_new(doc, vm->err);
    if (ai == JL_NONE) return -1;
    uint32_t id = jl_node_new(doc, JL_SCALAR, vm->err);
    if (id == JL_NONE) return -1;
    jl_array *a = &doc->arrays[ai];
    a->dtype = dt;
    a->is_scalar = 1;
    a->data = ref;
    a->origin = JL_ORIGIN_RECONSTRUCT;
    a->stream_off = stream_off_of(vm, ref);
    doc->nodes[id].u.ext = ai;
    *out = id;
    return 0;
}

int jl_vm_make_array(jl_vm *vm, uint32_t node, uint32_t dt, uint32_t shape, char order, uint32_t cls,
                     uint32_t data, uint8_t origin) {
    jl_doc *doc = vm->doc;
    int64_t dims[JL_MAX_DIMS];
    unsigned ndim;
    if (shape != JL_NONE && (doc->nodes[shape].kind == JL_INT)) {
        /* a bare int is a 1-D shape */
        if (jl_node_int64(doc, shape, &dims[0])) return jl_vm_fail(vm, JL_E_FORMAT, "bad array shape");
        ndim = 1;
    } else {
        if (!is_sequence(doc, shape)) return jl_vm_fail(vm, JL_E_FORMAT, "array shape is not a tuple");
        if (doc->nodes[shape].len > JL_MAX_DIMS)
            return jl_vm_fail(vm, JL_E_FORMAT, "array with more than %d dimensions", JL_MAX_DIMS);
        ndim = doc->nodes[shape].len;
        for (unsigned i = 0; i < ndim; i++)
            if (jl_node_int64(doc, jl_kids_of(doc, shape)[i], &dims[i]))
                return jl_vm_fail(vm, JL_E_FORMAT, "array dimension %u is not an int", i);
    }
    uint64_t count, nbytes;
    const jl_dtype *d = &doc->dtypes[dt];
    if (jl_shape_nbytes(dims, ndim, d->has_object ? 1 : d->itemsize, &count, &nbytes, vm->err)) {
        vm->err->offset = vm->op_off;
        return -1;
    }
    uint32_t ai = jl_array_new(doc, vm->err);
    if (ai == JL_NONE) return -1;
    uint32_t at = jl_dims_new(doc, ndim, vm->err);
    if (at == JL_NONE) return -1;
    for (unsigned i = 0; i < ndim; i++) doc->dims[at + i] = (uint64_t)dims[i];
    jl_array *a = &doc->arrays[ai];
    a->dtype = dt;
    a->ndim = (uint8_t)ndim;
    a->dims_at = at;
    a->order = order == 'F' && ndim > 1 ? 'F' : 'C';
    a->cls = cls;
    a->origin = origin;
    if (doc->dtypes[dt].has_object) {
        if (data == JL_NONE || !is_sequence(doc, data) || doc->nodes[data].len != count)
            return jl_vm_fail(vm, JL_E_FORMAT, "object array of %llu elements without a list of as many items",
                              (unsigned long long)count);
        a->items = data;
    } else {
        jl_ref ref;
        if (data != JL_NONE && is_raw_bytes(doc, data))
            ref = jl_node_ref(doc, data);
        else if (data != JL_NONE && doc->nodes[data].kind == JL_STR) {
            uint32_t b;
            int rc = latin1_bytes(vm, data, JL_BYTES, &b);
            if (rc == DECLINE) return jl_vm_fail(vm, JL_E_FORMAT, "array data is not bytes");
            if (rc) return -1;
            ref = jl_node_ref(doc, b);
            a = &doc->arrays[ai];
        } else
            return jl_vm_fail(vm, JL_E_FORMAT, "array data is a %s, not bytes",
                              data == JL_NONE ? "nothing" : jl_kind_name(doc->nodes[data].kind));
        if (ref.len != nbytes)
            return jl_vm_fail(vm, JL_E_FORMAT, "array data has %llu bytes, its shape and dtype need %llu",
                              (unsigned long long)ref.len, (unsigned long long)nbytes);
        a->data = ref;
        a->stream_off = stream_off_of(vm, ref);
    }
    jl_node *nd = &doc->nodes[node];
    nd->kind = JL_NDARRAY;
    nd->flags = 0;
    nd->u.ext = ai;
    return JL_OK;
}

/* numpy.core.numeric._frombuffer(buf, dtype, shape, order) */
static int r_np_frombuffer(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    if (nargs(doc, args) != 4) return DECLINE;
    uint32_t dt;
    if (jl_vm_dtype_of(vm, arg_at(doc, args, 1), &dt)) return -1;
    char order = text_is(doc, arg_at(doc, args, 3), "F") ? 'F' : 'C';
    uint32_t id = jl_node_new(doc, JL_NULL, vm->err);
    if (id == JL_NONE) return -1;
    if (jl_vm_make_array(vm, id, dt, arg_at(doc, args, 2), order, JL_NONE, arg_at(doc, args, 0),
                         JL_ORIGIN_FROMBUFFER))
        return -1;
    *out = id;
    return 0;
}

/* cloudpickle's _class_setstate(cls, (class_dict, slot_state)) on a class
 * _make_skeleton_class built: the state becomes the class object's, so
 * the class dict is reachable from the class (and from its instances'
 * .__class__); the call's result is the class, as in cloudpickle. */
static int r_class_setstate(jl_vm *vm, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    jl_ref module, name;
    if (nargs(doc, args) != 2) return DECLINE;
    uint32_t cls = arg_at(doc, args, 0);
    if (!jl_skeleton_class(doc, cls, &module, &name) || jl_object_of(doc, cls)->state != JL_NONE) return DECLINE;
    jl_object_of(doc, cls)->state = arg_at(doc, args, 1);
    *out = cls;
    return 0;
}

typedef struct known_callable {
    const char *module;
    const char *name;
    reduce_fn fn; /* NULL: stays an object; BUILD finishes it (see build_rules) */
} known_callable;

static const known_callable known[] = {
    { "builtins", "set", r_set },
    { "__builtin__", "set", r_set },
    { "builtins", "frozenset", r_frozenset },
    { "__builtin__", "frozenset", r_frozenset },
    { "builtins", "complex", r_complex },
    { "__builtin__", "complex", r_complex },
    { "builtins", "bytes", r_bytes },
    { "__builtin__", "bytes", r_bytes },
    { "builtins", "bytearray", r_bytearray },
    { "__builtin__", "bytearray", r_bytearray },
    { "_codecs", "encode", r_codecs_encode },
    { "collections", "OrderedDict", r_ordereddict },
    { "copy_reg", "_reconstructor", r_reconstructor },
    { "copyreg", "_reconstructor", r_reconstructor },
    { "numpy.core.multiarray", "scalar", r_np_scalar },
    { "numpy._core.multiarray", "scalar", r_np_scalar },
    { "cloudpickle.cloudpickle", "_class_setstate", r_class_setstate },
    { "cloudpickle.cloudpickle_fast", "_class_setstate", r_class_setstate },
    { "joblib.externals.cloudpickle.cloudpickle", "_class_setstate", r_class_setstate },
    { "joblib.externals.cloudpickle.cloudpickle_fast", "_class_setstate", r_class_setstate },
    { "numpy.core.numeric", "_frombuffer", r_np_frombuffer },
    { "numpy._core.numeric", "_frombuffer", r_np_frombuffer },
};

static uint32_t generic_object(jl_vm *vm, uint32_t cls, uint32_t args, uint32_t kwargs, jl_how how) {
    jl_doc *doc = vm->doc;
    uint32_t oi = jl_object_new(doc, vm->err);
    if (oi == JL_NONE) return JL_NONE;
    uint32_t id = jl_node_new(doc, JL_OBJECT, vm->err);
    if (id == JL_NONE) return JL_NONE;
    jl_object *o = &doc->objects[oi];
    o->cls = cls;
    o->args = args;
    o->kwargs = kwargs;
    o->how = (uint8_t)how;
    doc->nodes[id].u.ext = oi;
    return id;
}

int jl_vm_reduce(jl_vm *vm, uint32_t callable, uint32_t args, uint32_t *out) {
    jl_doc *doc = vm->doc;
    if (doc->nodes[args].kind != JL_TUPLE)
        return jl_vm_fail(vm, JL_E_FORMAT, "REDUCE arguments are a %s, not a tuple",
                          jl_kind_name(doc->nodes[args].kind));
    if (doc->nodes[callable].kind == JL_GLOBAL) {
        const jl_global *g = jl_global_of(doc, callable);
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            if (!jl_ref_eq(doc, g->module, known[i].module) || !jl_ref_eq(doc, g->name, known[i].name)) continue;
            int rc = known[i].fn(vm, args, out);
            if (rc == 0) return JL_OK;
            if (rc != DECLINE) return vm->err->code ? (int)vm->err->code : JL_E_FORMAT;
            break; /* arguments of an unexpected form: keep it as data */
        }
    }
    *out = generic_object(vm, callable, args, JL_NONE, JL_HOW_REDUCE);
    return *out == JL_NONE ? (int)vm->err->code : JL_OK;
}

int jl_vm_newobj(jl_vm *vm, uint32_t cls, uint32_t args, uint32_t kwargs, jl_how how, uint32_t *out) {
    jl_doc *doc = vm->doc;
    if (doc->nodes[args].kind != JL_TUPLE)
        return jl_vm_fail(vm, JL_E_FORMAT, "class arguments are a %s, not a tuple",
                          jl_kind_name(doc->nodes[args].kind));
    if (kwargs != JL_NONE && doc->nodes[kwargs].kind != JL_DICT)
        return jl_vm_fail(vm, JL_E_FORMAT, "NEWOBJ_EX keyword arguments are not a dict");
    *out = generic_object(vm, cls, args, kwargs, how);
    return *out == JL_NONE ? (int)vm->err->code : JL_OK;
}

/* An ndarray state: ([version,] shape, dtype, is_fortran, data). */
static int is_ndarray_state(const jl_doc *doc, uint32_t state) {
    return is_kind(doc, state, JL_TUPLE) && (nargs(doc, state) == 4 || nargs(doc, state) == 5);
}

static int build_reconstruct(jl_vm *vm, uint32_t obj, uint32_t state);

/* A subclass that extends ndarray's state (old pandas Index and Series:
 * (ndarray_state, name)) stays an object of the subclass whose state is
 * the tuple (the array, extra state...): the array is an ordinary ndarray
 * node, the rest is data (README "Paths, types and values"). */
static int build_subclass_state(jl_vm *vm, uint32_t obj, uint32_t state) {
    jl_doc *doc = vm->doc;
    uint32_t n = nargs(doc, state);
    uint32_t args = jl_object_of(doc, obj)->args;
    uint32_t cls = nargs(doc, args) ? arg_at(doc, args, 0) : JL_NONE;
    /* a new object node that _reconstruct made, to become the array */
    uint32_t arr = generic_object(vm, jl_object_of(doc, obj)->cls, args, JL_NONE, JL_HOW_REDUCE);
    if (arr == JL_NONE) return -1;
    int rc = build_reconstruct(vm, arr, arg_at(doc, state, 0));
    if (rc) return rc;
    uint32_t st = jl_node_new(doc, JL_TUPLE, vm->err);
    if (st == JL_NONE || jl_kids_append(doc, st, &arr, 1, vm->err)) return -1;
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = arg_at(doc, state, i);
        if (jl_kids_append(doc, st, &x, 1, vm->err)) return -1;
    }
    uint32_t empty = jl_node_new(doc, JL_TUPLE, vm->err);
    if (empty == JL_NONE) return -1;
    jl_object *o = jl_object_of(doc, obj);
    o->cls = cls;
    o->args = empty;
    o->how = JL_HOW_NEWOBJ;
    o->state = st;
    return 0;
}

/* BUILD on numpy's _reconstruct result: the ndarray state, or a
 * subclass's state that starts with it. */
static int build_reconstruct(jl_vm *vm, uint32_t obj, uint32_t state) {
    jl_doc *doc = vm->doc;
    if (!is_kind(doc, state, JL_TUPLE))
        return jl_vm_fail(vm, JL_E_FORMAT, "ndarray state is not a tuple");
    uint32_t n = nargs(doc, state), base = 0;
    const jl_object *ro = jl_object_of(doc, obj);
    uint32_t sub = nargs(doc, ro->args) ? arg_at(doc, ro->args, 0) : JL_NONE;
    if (n >= 2 && n != 4 && n != 5 && is_ndarray_state(doc, arg_at(doc, state, 0)) && is_kind(doc, sub, JL_GLOBAL))
        return build_subclass_state(vm, obj, state);
    if (n == 5) {
        int64_t version;
        if (jl_node_int64(doc, arg_at(doc, state, 0), &version) || version != 1)
            return jl_vm_fail(vm, JL_E_FORMAT, "unsupported ndarray state version");
        base = 1;
    } else if (n != 4)
        return jl_vm_fail(vm, JL_E_FORMAT, "ndarray state has %u items, not 4 or 5", n);
    uint32_t dt;
    if (jl_vm_dtype_of(vm, arg_at(doc, state, base + 1), &dt)) return -1;
    int64_t fortran = 0;
    jl_node_int64(doc, arg_at(doc, state, base + 2), &fortran);
    const jl_object *o = jl_object_of(doc, obj);
    uint32_t cls = nargs(doc, o->args) ? arg_at(doc, o->args, 0) : JL_NONE;
    return jl_vm_make_array(vm, obj, dt, arg_at(doc, state, base), fortran ? 'F' : 'C', cls,
                            arg_at(doc, state, base + 3), JL_ORIGIN_RECONSTRUCT);
}

static int is_reconstruct(const jl_doc *doc, uint32_t cls) {
    return jl_global_is(doc, cls, "numpy.core.multiarray", "_reconstruct") ||
           jl_global_is(doc, cls, "numpy._core.multiarray", "_reconstruct");
}

int jl_vm_build(jl_vm *vm, uint32_t obj, uint32_t state) {
    jl_doc *doc = vm->doc;
    if (doc->nodes[obj].kind != JL_OBJECT) {
        if (doc->nodes[state].kind == JL_NULL) return JL_OK;
        return jl_vm_fail(vm, JL_E_FORMAT, "BUILD on a %s", jl_kind_name(doc->nodes[obj].kind));
    }
    uint32_t cls = jl_object_of(doc, obj)->cls;
    if (jl_global_is(doc, cls, "numpy", "dtype")) {
        jl_object *o = jl_object_of(doc, obj);
        o->state = state;
        uint32_t dt;
        if (jl_dtype_from_pickle(doc, o->args, state, &dt, vm->err)) {
            if (vm->err->offset == JL_NO_OFFSET) vm->err->offset = vm->op_off;
            return vm->err->code;
        }
        jl_object_of(doc, obj)->dtype = dt;
        return JL_OK;
    }
    if (is_reconstruct(doc, cls)) {
        int rc = build_reconstruct(vm, obj, state);
        return rc < 0 ? (int)vm->err->code : rc;
    }
    /* a plain instance: keep the state; dict states merge like Python's */
    jl_object *o = jl_object_of(doc, obj);
    if (o->state != JL_NONE && is_kind(doc, o->state, JL_DICT) && is_kind(doc, state, JL_DICT)) {
        uint32_t merged = copy_items(vm, JL_DICT, o->state);
        if (merged == JL_NONE) return vm->err->code;
        uint64_t n = doc->nodes[state].len;
        for (uint64_t i = 0; i < n; i += 2) {
            uint32_t kv[2] = { jl_kids_of(doc, state)[i], jl_kids_of(doc, state)[i + 1] };
            if (jl_kids_append(doc, merged, kv, 2, vm->err)) return vm->err->code;
        }
        jl_object_of(doc, obj)->state = merged;
    } else
        o->state = state;
    return JL_OK;
}
