/*
 * zipload.h - libzip, loaded on first use: the zip_* functions zipread.c
 * calls, as a table of pointers filled by dlopen/dlsym the first time an
 * archive is opened. The module is not linked with libzip (which pulls in
 * libcrypto and would slow every `.load` of the module, though only .npz
 * input needs it). Compiled against <zip.h> for its types and constants;
 * the library loaded is the soname CMake read from the libzip it found
 * (JL_LIBZIP_SONAME, e.g. "libzip.so.4"). Only in builds with HAVE_LIBZIP.
 */
#ifndef JL_ZIPLOAD_H
#define JL_ZIPLOAD_H

#ifdef HAVE_LIBZIP

#include <zip.h>

#include "base.h"

/* X(name, return type, parameter list): every libzip function zipread.c
 * uses, with the prototype <zip.h> gives it (zipload.c checks each one
 * against <zip.h> at compile time). */
#define JL_ZIP_FUNCTIONS(X)                                                                                  \
    X(zip_error_init, void, (zip_error_t *))                                                                 \
    X(zip_error_fini, void, (zip_error_t *))                                                                 \
    X(zip_error_strerror, const char *, (zip_error_t *))                                                     \
    X(zip_source_buffer_create, zip_source_t *, (const void *, zip_uint64_t, int, zip_error_t *))            \
    X(zip_source_free, void, (zip_source_t *))                                                               \
    X(zip_open_from_source, zip_t *, (zip_source_t *, int, zip_error_t *))                                   \
    X(zip_discard, void, (zip_t *))                                                                          \
    X(zip_strerror, const char *, (zip_t *))                                                                 \
    X(zip_get_num_entries, zip_int64_t, (zip_t *, zip_flags_t))                                              \
    X(zip_stat_init, void, (zip_stat_t *))                                                                   \
    X(zip_stat_index, int, (zip_t *, zip_uint64_t, zip_flags_t, zip_stat_t *))                               \
    X(zip_fopen_index, zip_file_t *, (zip_t *, zip_uint64_t, zip_flags_t))                                   \
    X(zip_fread, zip_int64_t, (zip_file_t *, void *, zip_uint64_t))                                          \
    X(zip_file_strerror, const char *, (zip_file_t *))                                                       \
    X(zip_fclose, int, (zip_file_t *))

/* The loaded functions: fn->zip_fread(...) calls libzip's zip_fread. */
#define JL_ZIP_SLOT(name, ret, params) ret(*name) params;
typedef struct jl_zipfn {
    JL_ZIP_FUNCTIONS(JL_ZIP_SLOT)
} jl_zipfn;
#undef JL_ZIP_SLOT

/* Sets *out to the table, loading libzip on the first call (once per
 * process, safe from any thread; the library stays loaded). When it cannot
 * be loaded, or lacks a function, every call fails with JL_E_UNSUPPORTED:
 * "this build's zip support needs libzip (<package>), which could not be
 * loaded: <dlerror>". */
int jl_zipload(const jl_zipfn **out, jl_error *err);

#endif /* HAVE_LIBZIP */

#endif
