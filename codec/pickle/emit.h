/*
 * emit.h - the opcode emitter under the writer (writer.c): one
 * pickle stream being written, with CPython's framing (protocol >= 4), the
 * memo (keyed by node id, dtype id, or content for interned strings and
 * globals), the width choices of CPython's pickler for ints, str and bytes,
 * and the Python 2 <-> 3 global name mapping of fix_imports.
 *
 * Internal to the codec: only writer.c uses it.
 */
#ifndef JL_PICKLE_EMIT_H
#define JL_PICKLE_EMIT_H

#include "base.h"

/* Memo keys by identity: a node id or a dtype id, tagged. */
#define JL_EMIT_KEY_NODE(id) ((uint64_t)(id))
#define JL_EMIT_KEY_DTYPE(id) (((uint64_t)1 << 32) | (uint64_t)(id))

/* CPython's frame target and batch size. */
#define JL_EMIT_FRAME_TARGET ((uint64_t)64 << 10)
#define JL_EMIT_BATCH 1000

typedef struct jl_emit_ckey jl_emit_ckey; /* content-keyed memo entry (emit.c) */

typedef struct jl_emit {
    jl_buf *out;           /* the destination stream: not owned, appended to */
    jl_buf frame;          /* the open frame (protocol >= 4); owned */
    const jl_alloc *alloc; /* for everything owned here */
    jl_error *err;
    int proto;             /* 2..5 */
    int framing;           /* proto >= 4 */
    uint64_t memo_len;     /* entries stored so far (the next MEMOIZE index) */

    /* identity memo: open addressing, key UINT64_MAX = empty; owned */
    uint64_t *id_keys;
    uint32_t *id_vals;
    uint64_t id_cap, id_len;

    /* content memo: open addressing over entries; key bytes in ck_bytes; owned */
    jl_emit_ckey *ck;
    uint64_t ck_cap, ck_len;
    jl_buf ck_bytes;
} jl_emit;

/* Starts a stream into `out` (PROTO written at once, then a frame opened
 * when proto >= 4). Frees nothing on failure; call jl_emit_free always. */
int jl_emit_begin(jl_emit *e, jl_buf *out, int proto, const jl_alloc *a, jl_error *err);
/* Writes STOP and closes the last frame. */
int jl_emit_end(jl_emit *e);
void jl_emit_free(jl_emit *e);

/* Called at the start of every object saved, like CPython's save():
 * commits the frame once it holds 64 KiB. */
int jl_emit_save(jl_emit *e);
/* Commits the open frame now (before an array payload). */
int jl_emit_flush(jl_emit *e);
/* Bytes outside any opcode, straight to the destination (after a flush). */
int jl_emit_direct(jl_emit *e, const void *p, uint64_t n);
/* Current absolute position in the destination (valid after a flush). */
static inline uint64_t jl_emit_tell(const jl_emit *e) { return e->out->sunk + e->out->len; }

int jl_emit_raw(jl_emit *e, const void *p, uint64_t n);
int jl_emit_op(jl_emit *e, uint8_t op);

/* ---- memo ------------------------------------------------------------ */

/* Stores the top of the stack at the next index (MEMOIZE, BINPUT or
 * LONG_BINPUT); *idx (may be NULL) receives the index. */
int jl_emit_memoize(jl_emit *e, uint32_t *idx);
/* BINGET / LONG_BINGET. */
int jl_emit_get(jl_emit *e, uint32_t idx);
/* Identity memo: JL_NONE when absent. */
uint32_t jl_emit_memo_find(const jl_emit *e, uint64_t key);
int jl_emit_memo_set(jl_emit *e, uint64_t key, uint32_t idx);
/* Content memo over (tag, bytes): JL_NONE when absent. */
uint32_t jl_emit_cmemo_find(const jl_emit *e, char tag, const void *p, uint64_t n);
int jl_emit_cmemo_set(jl_emit *e, char tag, const void *p, uint64_t n, uint32_t idx);

/* ---- atoms (opcodes only: no memo, no save check) ---------------------- */

int jl_emit_int(jl_emit *e, int64_t v);
/* An int from two's complement little-endian bytes of any length. */
int jl_emit_long(jl_emit *e, const uint8_t *le, uint64_t n);
int jl_emit_float(jl_emit *e, double v);
/* str from UTF-8 (WTF-8) bytes: SHORT_BINUNICODE / BINUNICODE / BINUNICODE8. */
int jl_emit_str(jl_emit *e, const uint8_t *p, uint64_t n);
/* str whose code points are the bytes p[0..n) (latin-1 decoded), as
 * Python 3 writes bytes at protocol < 3. */
int jl_emit_str_latin1(jl_emit *e, const uint8_t *p, uint64_t n);
/* bytes (protocol >= 3): SHORT_BINBYTES / BINBYTES / BINBYTES8. */
int jl_emit_bytes(jl_emit *e, const uint8_t *p, uint64_t n);
/* bytearray (protocol 5): BYTEARRAY8. */
int jl_emit_bytearray8(jl_emit *e, const uint8_t *p, uint64_t n);
/* GLOBAL "module\nname\n" (protocol < 4; names already mapped). */
int jl_emit_global_text(jl_emit *e, const char *m, uint64_t mn, const char *n, uint64_t nn);

/* ---- names ----------------------------------------------------------- */

/* Maps a global's (module, name) for writing at `proto`: Python 2 names
 * (as kept from old streams) become Python 3 names, then at proto < 3 the
 * Python 3 names become what CPython's fix_imports writes. Results point
 * to static strings or to the inputs. */
void jl_emit_map_name(int proto, const char **m, uint64_t *mn, const char **n, uint64_t *nn);

#endif
