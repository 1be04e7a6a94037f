/*
 * zipload.c - libzip loaded on first use (zipload.h): dlopen of the soname
 * the build found (JL_LIBZIP_SONAME), then dlsym of each function into its
 * slot of the table, by a name -> slot table made from JL_ZIP_FUNCTIONS.
 * pthread_once makes the load happen once; its outcome (the table, or the
 * message of why it failed) is kept for the life of the process.
 */
#include "zipload.h"

#ifdef HAVE_LIBZIP

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef JL_LIBZIP_SONAME
#define JL_LIBZIP_SONAME "libzip.so.4"
#endif
#ifndef JL_LIBZIP_PACKAGE
#define JL_LIBZIP_PACKAGE "libzip4"
#endif

/* Each slot's type is the prototype <zip.h> declares (_Generic does not
 * evaluate its operand: this references no libzip symbol). */
#define JL_ZIP_CHECK(name, ret, params)                                                                      \
    _Static_assert(_Generic(&name, ret(*) params : 1, default : 0),                                          \
                   "zipload.h: the prototype of " #name " differs from <zip.h>");
JL_ZIP_FUNCTIONS(JL_ZIP_CHECK)
#undef JL_ZIP_CHECK

/* a function pointer is stored from dlsym's void * by memcpy (POSIX) */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are not the size of void *");

typedef struct jl_zipsym {
    const char *name;
    size_t slot; /* offset in jl_zipfn */
} jl_zipsym;

#define JL_ZIP_ROW(name, ret, params) {#name, offsetof(jl_zipfn, name)},
static const jl_zipsym jl_zipsyms[] = {JL_ZIP_FUNCTIONS(JL_ZIP_ROW)};
#undef JL_ZIP_ROW

static pthread_once_t jl_zipload_once = PTHREAD_ONCE_INIT;
static jl_zipfn jl_zipfn_table;
static int jl_zipload_ok;
static char jl_zipload_why[200];

static void jl_zipload_run(void) {
    void *h = dlopen(JL_LIBZIP_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(jl_zipload_why, sizeof jl_zipload_why, "%s", why ? why : JL_LIBZIP_SONAME ": dlopen failed");
        return;
    }
    for (size_t i = 0; i < sizeof jl_zipsyms / sizeof jl_zipsyms[0]; i++) {
        dlerror();
        void *p = dlsym(h, jl_zipsyms[i].name);
        if (!p) {
            const char *why = dlerror();
            snprintf(jl_zipload_why, sizeof jl_zipload_why, "%s", why ? why : jl_zipsyms[i].name);
            dlclose(h);
            return;
        }
        memcpy((char *)&jl_zipfn_table + jl_zipsyms[i].slot, &p, sizeof p);
    }
    jl_zipload_ok = 1; /* h stays open: the table points into it */
}

int jl_zipload(const jl_zipfn **out, jl_error *err) {
    *out = NULL;
    if (pthread_once(&jl_zipload_once, jl_zipload_run) != 0 || !jl_zipload_ok)
        return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET,
                       "this build's zip support needs libzip (" JL_LIBZIP_PACKAGE
                       "), which could not be loaded: %s",
                       jl_zipload_why[0] ? jl_zipload_why : "pthread_once failed");
    *out = &jl_zipfn_table;
    return JL_OK;
}

#else /* no libzip in this build: nothing to load (ISO C wants a declaration) */

typedef int jl_zipload_unused;

#endif
