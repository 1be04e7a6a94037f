/*
 * compress_arg.h - joblib.dump's choice of compression: the `compress`
 * argument (a level 0-9, 'method', 'method:level', 'npy') and the
 * destination file's extension (.z .gz .bz2 .lzma .xz .lz4) into a method
 * and a level, as joblib.dump decides them (docs/FORMAT.md 2.4).
 *
 *   no argument, 0     none, unless dest's extension picks a method at its
 *                      default level (zlib 3, gzip 3, bz2 9, lzma 6, xz 6, lz4 0)
 *   a level 1-9        that level with the method of dest's extension, or zlib
 *   'method'           that method at level 3 (joblib's compress=True)
 *   'method:N'         that method at level N (0: no compression)
 *   'npy'              the legacy sidecar layout (when the caller allows it)
 */
#ifndef JL_COMPRESS_ARG_H
#define JL_COMPRESS_ARG_H

#include "base.h"
#include "container.h" /* jl_compression */

/* One of joblib's compressors. */
typedef struct jl_compress_method {
    const char *name;  /* as the compress argument names it */
    jl_compression c;
    const char *ext;   /* the file extension that selects it */
    int ext_level;     /* the level joblib uses when the extension picks it */
} jl_compress_method;

/* The table, in joblib's order (the last extension match wins). */
extern const jl_compress_method jl_compress_methods[];
extern const size_t jl_compress_nmethods;

#define JL_COMPRESS_MIN_LEVEL 0
#define JL_COMPRESS_MAX_LEVEL 9
#define JL_COMPRESS_NAME_LEVEL 3 /* 'gzip' alone = joblib's compress=True */

/* What to write. */
typedef struct jl_compress_choice {
    jl_compression c; /* JL_COMP_NONE: no compression */
    int level;        /* the exact level (lz4's default is 0, which the writer reads as 3) */
    int npy;          /* 1: compress='npy', the legacy sidecar layout */
} jl_compress_choice;

/* The method of dest's extension (dest may be NULL): its entry in
 * jl_compress_methods, or NULL when no extension matches. */
const jl_compress_method *jl_compress_by_extension(const char *dest);

/* From an integer level (also for an absent / NULL argument: level 0).
 * Errors (JL_E_ARG) "compress level must be 0-9, not N", JL_E_UNSUPPORTED
 * "this build has no M support". */
int jl_compress_from_level(int64_t level, const char *dest, jl_compress_choice *out, jl_error *err);

/* From a text argument ('3', 'zlib', 'gzip:5', 'npy'; 'npy' only when
 * allow_npy). Errors name the argument as the SQL functions report it,
 * without the function's name. */
int jl_compress_from_text(const char *s, const char *dest, int allow_npy, jl_compress_choice *out,
                          jl_error *err);

#endif
