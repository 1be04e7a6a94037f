/*
 * pynames.c - Python 3's names for what a pickle names (pynames.h): the
 * part of Lib/_compat_pickle.py that data pickles meet, as two tables,
 * and cloudpickle's classes built in the pickle.
 */
#include "pynames.h"

#include <string.h>

/* NAME_MAPPING: (module, name) -> (module, name), tried first. */
static const struct { const char *from_module, *from_name, *module, *name; } name_map[] = {
    { "__builtin__", "xrange", "builtins", "range" },
    { "__builtin__", "reduce", "functools", "reduce" },
    { "__builtin__", "intern", "sys", "intern" },
    { "__builtin__", "unichr", "builtins", "chr" },
    { "__builtin__", "unicode", "builtins", "str" },
    { "__builtin__", "long", "builtins", "int" },
    { "__builtin__", "basestring", "builtins", "str" },
    { "itertools", "izip", "builtins", "zip" },
    { "itertools", "imap", "builtins", "map" },
    { "itertools", "ifilter", "builtins", "filter" },
    { "itertools", "ifilterfalse", "itertools", "filterfalse" },
    { "itertools", "izip_longest", "itertools", "zip_longest" },
    { "UserDict", "IterableUserDict", "collections", "UserDict" },
    { "UserDict", "UserDict", "collections", "UserDict" },
    { "UserList", "UserList", "collections", "UserList" },
    { "UserString", "UserString", "collections", "UserString" },
    { "exceptions", "StandardError", "builtins", "Exception" },
};

/* IMPORT_MAPPING: module -> module, the name kept. ("exceptions" stands
 * for NAME_MAPPING's entries of every Python 2 exception, all builtins.) */
static const struct { const char *from, *to; } module_map[] = {
    { "__builtin__", "builtins" }, { "copy_reg", "copyreg" },   { "exceptions", "builtins" },
    { "Queue", "queue" },          { "cPickle", "pickle" },     { "StringIO", "io" },
    { "cStringIO", "io" },         { "UserDict", "collections" }, { "UserList", "collections" },
    { "UserString", "collections" }, { "repr", "reprlib" },     { "thread", "_thread" },
    { "ConfigParser", "configparser" }, { "SocketServer", "socketserver" },
    { "httplib", "http.client" },  { "urlparse", "urllib.parse" }, { "_elementtree", "xml.etree.ElementTree" },
    { "whichdb", "dbm" },          { "anydbm", "dbm" },         { "cookielib", "http.cookiejar" },
};

int jl_py3_name(const jl_doc *doc, const jl_global *g, const char **module, const char **name) {
    if (doc->protocol >= 3) return 0;
    for (size_t i = 0; i < sizeof name_map / sizeof *name_map; i++)
        if (jl_ref_eq(doc, g->module, name_map[i].from_module) && jl_ref_eq(doc, g->name, name_map[i].from_name)) {
            *module = name_map[i].module;
            *name = name_map[i].name;
            return 1;
        }
    for (size_t i = 0; i < sizeof module_map / sizeof *module_map; i++)
        if (jl_ref_eq(doc, g->module, module_map[i].from)) {
            *module = module_map[i].to;
            *name = NULL;
            return 1;
        }
    return 0;
}

/* cloudpickle's builders, by the modules each version pickled them under
 * (1.x and 2.x: _class_setstate in cloudpickle_fast; 3.x: all in
 * cloudpickle), and joblib's vendored copy (what loky sends). */
static const struct { const char *module, *name; int which; } cloudpickle_fns[] = {
    { "cloudpickle.cloudpickle", "_make_skeleton_class", 0 },
    { "cloudpickle.cloudpickle_fast", "_make_skeleton_class", 0 },
    { "joblib.externals.cloudpickle.cloudpickle", "_make_skeleton_class", 0 },
    { "cloudpickle.cloudpickle", "_class_setstate", 1 },
    { "cloudpickle.cloudpickle_fast", "_class_setstate", 1 },
    { "joblib.externals.cloudpickle.cloudpickle", "_class_setstate", 1 },
    { "joblib.externals.cloudpickle.cloudpickle_fast", "_class_setstate", 1 },
};

int jl_is_cloudpickle_fn(const jl_doc *doc, uint32_t fn, int which) {
    if (fn >= doc->nnodes || doc->nodes[fn].kind != JL_GLOBAL) return 0;
    const jl_global *g = jl_global_of(doc, fn);
    for (size_t i = 0; i < sizeof cloudpickle_fns / sizeof *cloudpickle_fns; i++)
        if (cloudpickle_fns[i].which == which && jl_ref_eq(doc, g->module, cloudpickle_fns[i].module) &&
            jl_ref_eq(doc, g->name, cloudpickle_fns[i].name))
            return 1;
    return 0;
}

/* The str under key "__module__" of dict node d, if any. */
static int module_of_dict(const jl_doc *doc, uint32_t d, jl_ref *module) {
    if (d >= doc->nnodes || doc->nodes[d].kind != JL_DICT) return 0;
    uint32_t v = jl_dict_get(doc, d, "__module__", strlen("__module__"));
    if (v == JL_NONE || doc->nodes[v].kind != JL_STR) return 0;
    *module = jl_node_ref(doc, v);
    return 1;
}

int jl_skeleton_class(const jl_doc *doc, uint32_t cls, jl_ref *module, jl_ref *name) {
    if (cls >= doc->nnodes || doc->nodes[cls].kind != JL_OBJECT) return 0;
    const jl_object *o = jl_object_of(doc, cls);
    if (o->how != JL_HOW_REDUCE || !jl_is_cloudpickle_fn(doc, o->cls, 0)) return 0;
    if (o->args == JL_NONE || doc->nodes[o->args].kind != JL_TUPLE || doc->nodes[o->args].len < 2) return 0;
    const uint32_t *a = jl_kids_of(doc, o->args);
    if (doc->nodes[a[1]].kind != JL_STR) return 0;
    *name = jl_node_ref(doc, a[1]);
    module->len = 0;
    if (doc->nodes[o->args].len >= 4 && module_of_dict(doc, a[3], module)) return 1;
    /* _class_setstate's state: (class dict, slot state) */
    if (o->state != JL_NONE && doc->nodes[o->state].kind == JL_TUPLE && doc->nodes[o->state].len >= 1)
        module_of_dict(doc, jl_kids_of(doc, o->state)[0], module);
    return 1;
}
