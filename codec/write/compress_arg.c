/*
 * compress_arg.c - joblib.dump's compression choice (compress_arg.h): the
 * table of methods, extensions and default levels, and the rules that
 * combine the compress argument with dest's extension.
 */
#include "compress_arg.h"

#include <string.h>

const jl_compress_method jl_compress_methods[] = {
    { "zlib", JL_COMP_ZLIB, ".z", 3 },  { "gzip", JL_COMP_GZIP, ".gz", 3 },
    { "bz2", JL_COMP_BZ2, ".bz2", 9 },  { "lzma", JL_COMP_LZMA, ".lzma", 6 },
    { "xz", JL_COMP_XZ, ".xz", 6 },     { "lz4", JL_COMP_LZ4, ".lz4", 0 },
};
const size_t jl_compress_nmethods = sizeof jl_compress_methods / sizeof jl_compress_methods[0];

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* A decimal level in s[0..n); -1 when it is not one. */
static int parse_level(const char *s, size_t n) {
    if (n != 1 || s[0] < '0' + JL_COMPRESS_MIN_LEVEL || s[0] > '0' + JL_COMPRESS_MAX_LEVEL) return -1;
    return s[0] - '0';
}

const jl_compress_method *jl_compress_by_extension(const char *dest) {
    const jl_compress_method *m = NULL;
    for (size_t i = 0; dest && i < jl_compress_nmethods; i++) /* the last match, as joblib loops */
        if (ends_with(dest, jl_compress_methods[i].ext)) m = &jl_compress_methods[i];
    return m;
}

/* The choice once method and level are known. */
static int finish(jl_compression method, int level, jl_compress_choice *out, jl_error *err) {
    if (method != JL_COMP_NONE && !jl_compression_available(method))
        return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET, "this build has no %s support",
                       jl_compression_name(method));
    out->c = method;
    out->level = level;
    out->npy = 0;
    return JL_OK;
}

int jl_compress_from_level(int64_t level, const char *dest, jl_compress_choice *out, jl_error *err) {
    if (level < JL_COMPRESS_MIN_LEVEL || level > JL_COMPRESS_MAX_LEVEL)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "compress level must be %d-%d, not %lld",
                       JL_COMPRESS_MIN_LEVEL, JL_COMPRESS_MAX_LEVEL, (long long)level);
    /* the extension of dest decides the method; a level without one means zlib */
    const jl_compress_method *m = jl_compress_by_extension(dest);
    if (m) return finish(m->c, level ? (int)level : m->ext_level, out, err); /* lz4's 0 stays lz4 */
    return finish(level ? JL_COMP_ZLIB : JL_COMP_NONE, (int)level, out, err);
}

int jl_compress_from_text(const char *s, const char *dest, int allow_npy, jl_compress_choice *out,
                          jl_error *err) {
    size_t n = strlen(s);
    int level = parse_level(s, n);
    if (level >= 0) return jl_compress_from_level(level, dest, out, err); /* '3' as 3 */
    const char *colon = strchr(s, ':');
    size_t mn = colon ? (size_t)(colon - s) : n;
    if (mn == 3 && memcmp(s, "npy", 3) == 0) {
        if (colon) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "compress 'npy' takes no level");
        if (!allow_npy)
            return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "compress 'npy' (the legacy layout with .npy sidecar "
                           "files) is supported by joblib_dump only");
        out->c = JL_COMP_NONE;
        out->level = 0;
        out->npy = 1;
        return JL_OK;
    }
    const jl_compress_method *m = NULL;
    for (size_t i = 0; i < jl_compress_nmethods && !m; i++)
        if (strlen(jl_compress_methods[i].name) == mn && memcmp(s, jl_compress_methods[i].name, mn) == 0)
            m = &jl_compress_methods[i];
    if (!m)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "unknown compressor '%.*s' (expected zlib, gzip, bz2, lzma, "
                       "xz, lz4 or a level 0-9, optionally as 'method:level')", (int)mn, s);
    level = JL_COMPRESS_NAME_LEVEL;
    if (colon && (level = parse_level(colon + 1, n - mn - 1)) < 0)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "compress level in '%s' must be 0-9", s);
    /* a named method at level 0 writes uncompressed */
    return finish(level ? m->c : JL_COMP_NONE, level, out, err);
}
