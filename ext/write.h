/*
 * write.h - declarations of the write surface (README "Writing"):
 * joblib_dump / joblib_dumps / joblib (write_funcs.c), the constructors
 * joblib_ndarray / joblib_list / joblib_tuple / joblib_dict
 * (constructors.c), the aggregates joblib_group_array / _list / _dict
 * (aggregates.c), and SQL values into nodes of a doc being built
 * (sqlin.c).
 *
 * Bundle BLOBs and nesting. Every bundle BLOB a write function returns
 * carries the subtype JL_BUNDLE_SUBTYPE ('j' = 106) and so does the result
 * of joblib(blob). A BLOB argument with that subtype is a bundle: it nests
 * as the value it holds. A BLOB without it is plain bytes. SQLite (3.40)
 * keeps a subtype only while a value passes directly from one function to
 * another: a bundle stored in a table and read back is plain bytes again
 * until joblib() marks it, as json() marks stored JSON text.
 */
#ifndef JL_WRITE_H
#define JL_WRITE_H

#include "ext.h"
#include "value.h"
#include "compress_arg.h"
#include "writer.h"

/* The subtype of bundle BLOBs: 'j'. (JSON text uses 'J' = 74.) */
#define JL_BUNDLE_SUBTYPE 106

/* The function table of the write surface (ends with a NULL name), for the
 * registration loop (joblib.c). */
extern const jl_sql_func jl_write_funcs[];
/* joblib_copy (copy.c). */
extern const jl_sql_func jl_copy_funcs[];

/* ---- SQL values into nodes (sqlin.c) ------------------------------------ */

/* Turns SQL arguments into nodes of one doc being built. */
typedef struct jl_sqlin {
    jl_doc *doc;        /* destination: not owned */
    const jl_ext *ext;  /* limits for nested bundles: not owned */
    int borrow;         /* 1: argument bytes outlive doc (a scalar call that
                         * writes doc before returning): nested bundles are
                         * not copied and their docs kept in keep[] */
    jl_doc **keep;      /* source docs doc borrows from; owned (freed by jl_sqlin_free) */
    uint64_t nkeep, cap_keep;
} jl_sqlin;

void jl_sqlin_init(jl_sqlin *s, jl_doc *doc, const jl_ext *ext, int borrow);
/* Frees the kept source docs (after doc is no longer read). */
void jl_sqlin_free(jl_sqlin *s);

/* The node for SQL value v: NULL -> None, INTEGER -> int, REAL -> float,
 * TEXT -> str (must be UTF-8), TEXT with the JSON subtype -> parsed JSON,
 * BLOB -> bytes, BLOB with JL_BUNDLE_SUBTYPE -> the value the bundle holds. */
int jl_sqlin_value(jl_sqlin *s, sqlite3_value *v, uint32_t *out, jl_error *err);

/* ---- writing a built doc (write_funcs.c) -------------------------------- */

/* The compression joblib.dump would use for the `compress` argument arg
 * (NULL when absent) and the file name dest (NULL when there is none):
 * INTEGER 0-9, TEXT 'method' / 'method:level', or dest's extension
 * (codec/write/compress_arg.h tells the rules). Sets o->compression and o->level
 * (the exact level: lz4's default is 0, which jl_write_bundle reads as
 * "default 3"); leaves o->protocol. Returns 0, or -1 with the SQL error
 * set on ctx, naming fname. */
int jl_write_choose_compression(sqlite3_context *ctx, const char *fname, sqlite3_value *arg, const char *dest,
                                jl_write_opts *o);

/* Where and how a bundle file is written: joblib_dump's dest, compress
 * and protocol arguments (joblib_copy takes the same). */
typedef struct jl_write_target {
    const char *dest;       /* the file name (the argument's text), NULL for a BLOB result */
    jl_compress_choice c;   /* method and level, or the legacy 'npy' layout */
    int protocol;           /* 2-5, default 4 */
} jl_write_target;

/* Reads those arguments (each NULL when absent; dest NULL for joblib_dumps,
 * which then refuses 'npy'). Returns 1, or 0 with the result set: NULL
 * for a NULL dest, else an error naming fname. */
int jl_write_target_args(sqlite3_context *ctx, const char *fname, sqlite3_value *dest, sqlite3_value *compress,
                         sqlite3_value *protocol, jl_write_target *t);

/* Writes node `id` of doc to t->dest as joblib_dump does (streamed, or the
 * legacy layout's files written together; atomic either way) and sets the
 * result to the JSON array of the files written. On failure nothing is
 * left, the result is not set and err says why. */
int jl_write_target_file(sqlite3_context *ctx, jl_doc *doc, uint32_t id, const jl_write_target *t, jl_error *err);

/* Writes node `id` of doc as a bundle file at path, compressed with comp at
 * level unless JL_COMP_NONE: the stream goes to a temporary file as it is
 * made (array payloads straight from where they lie, through the
 * compressor when there is one: compress_stream.h) and the file is renamed
 * over path at the end; neither the stream nor the file stands whole in
 * memory. On failure nothing is left and err says why. */
int jl_write_file_streamed(const jl_doc *doc, uint32_t id, int protocol, jl_compression comp, int level,
                           const char *path, jl_error *err);

/* Writes node `id` of doc as an uncompressed protocol-4 bundle and sets it
 * as the result BLOB with JL_BUNDLE_SUBTYPE (or the error). Used by the
 * constructors and aggregates. */
void jl_write_result_bundle(sqlite3_context *ctx, jl_doc *doc, uint32_t id);
/* The same, an error naming the source file and path (either may be NULL). */
void jl_write_result_bundle_at(sqlite3_context *ctx, jl_doc *doc, uint32_t id, const char *file,
                               const char *path);

/* A new empty doc for building, with SQLite's allocator and the
 * connection's limits (user data of ctx). NULL on OOM. */
jl_doc *jl_write_new_doc(sqlite3_context *ctx);

/* The constructors (constructors.c) and aggregates (aggregates.c),
 * registered by write_funcs.c. */
void jl_fn_ndarray(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void jl_fn_list(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void jl_fn_tuple(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void jl_fn_dict(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void jl_agg_array_step(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void jl_agg_list_step(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void jl_agg_dict_step(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void jl_agg_final(sqlite3_context *ctx);

#endif
