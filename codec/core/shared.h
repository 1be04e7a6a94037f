/*
 * shared.h - reference-counted anonymous mappings for big buffers (a
 * decompressed stream): a doc holds one reference as a JL_BLOCK_SHARED
 * block, and every SQL result that points into the bytes holds another, so
 * the bytes go out without a copy and outlive the doc.
 *
 * A block is one mapping: a header page (reference count, mapping length,
 * registry links) and then the bytes. Functions take the data start (what
 * jl_shared_new returns), except jl_shared_unref_at, which takes any byte
 * inside the block and finds it in a process-wide registry (a result's
 * destructor only knows the pointer it was given). Mappings are 2 MiB
 * aligned and madvise(MADV_HUGEPAGE)'d: with THP in "madvise" mode they
 * are faulted in as huge pages, much cheaper than fresh 4 KiB pages.
 *
 * A writer filling a block can have a helper thread fault its pages in
 * ahead of it (MADV_POPULATE_WRITE, Linux >= 5.14; without it nothing
 * happens): zeroing fresh pages then overlaps the writing.
 *
 * Linux only (mremap); elsewhere jl_shared_new returns NULL and callers
 * keep their allocator. Reference counting is atomic and the registry is
 * mutex-protected: blocks may be released from any thread.
 */
#ifndef JL_SHARED_H
#define JL_SHARED_H

#include <stddef.h>
#include <stdint.h>

/* Buffers expected to reach this size go to a shared block. */
#ifndef JL_SHARED_MIN
#define JL_SHARED_MIN ((uint64_t)8 << 20)
#endif
/* A writer with a prefault helper reports progress at least this often. */
#define JL_SHARED_WRITE_STEP ((uint64_t)4 << 20)

/* A new block of at least `cap` bytes (zero-filled), holding one
 * reference. Returns the data start and sets *got to the usable capacity
 * (>= cap); NULL when the mapping fails or shared blocks are unavailable. */
uint8_t *jl_shared_new(uint64_t cap, uint64_t *got);

/* Resizes the block at p to at least `cap` bytes (kept bytes unchanged);
 * it may move. Only while the caller holds the only reference. Returns the
 * new data start and *got, or NULL with the block untouched. */
uint8_t *jl_shared_resize(uint8_t *p, uint64_t cap, uint64_t *got);

/* Starts the prefault helper of the block at p (no-op when running or
 * unavailable); jl_shared_written(p, n) says bytes [0, n) are written (the
 * helper keeps some MiB past n faulted in); jl_shared_prefault_end stops
 * it (the last jl_shared_unref does too). Only the block's one owner, the
 * writer, calls these. */
void jl_shared_prefault(uint8_t *p);
void jl_shared_written(const uint8_t *p, uint64_t n);
void jl_shared_prefault_end(const uint8_t *p);

void jl_shared_ref(const uint8_t *p);
/* Drops a reference; the last one unmaps the block. NULL is a no-op. */
void jl_shared_unref(const uint8_t *p);

/* The data start of the live block holding byte q, or NULL. */
const uint8_t *jl_shared_find(const void *q);
/* jl_shared_unref of the block holding byte q (a result's destructor). */
void jl_shared_unref_at(const void *q);

/* References held on the block at p; live blocks in the process (tests). */
uint64_t jl_shared_refs(const uint8_t *p);
uint64_t jl_shared_live(void);

#endif
