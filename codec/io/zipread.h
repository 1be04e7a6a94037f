/*
 * zipread.h - reading zip archives from memory (the container of numpy's .npz):
 * members in archive order by name and size, and one member's contents,
 * stored or deflated, read into a new buffer. Built on libzip when this
 * build has it (HAVE_LIBZIP), loaded at the first open (zipload.h: an open
 * fails with "this build's zip support needs libzip ..." when it cannot
 * be loaded); otherwise every open fails with "this build has no zip
 * support".
 */
#ifndef JL_ZIPREAD_H
#define JL_ZIPREAD_H

#include "base.h"

typedef struct jl_zip jl_zip;

/* One member as the central directory describes it. */
typedef struct jl_zip_member {
    const char *name; /* NUL-terminated, valid until jl_zip_close */
    uint64_t size;    /* uncompressed size the archive claims */
    uint64_t csize;   /* stored (compressed) size */
    int deflated;     /* 1 deflate, 0 stored */
} jl_zip_member;

/* 1 when p[0..n) starts with a zip signature (local header "PK\3\4" or
 * the end record "PK\5\6" of an empty archive). */
int jl_zip_magic(const uint8_t *p, uint64_t n);
/* 1 when this build reads zip archives (libzip may still fail to load at
 * the first jl_zip_open). */
int jl_zip_available(void);

/* Opens the archive in p[0..n) (borrowed: the bytes must outlive it). */
int jl_zip_open(const uint8_t *p, uint64_t n, const jl_alloc *a, jl_zip **out, jl_error *err);
void jl_zip_close(jl_zip *z);
uint64_t jl_zip_count(const jl_zip *z);
int jl_zip_member_at(jl_zip *z, uint64_t i, jl_zip_member *m, jl_error *err);

/* Reads member i into a new buffer from `a` (free with jl_free). Its
 * claimed size is checked against max_alloc and against *budget (bytes
 * still allowed to be decompressed, lowered by what is read) before
 * anything is allocated; a member whose contents are not the size it
 * claims, or that fails its CRC, is an error naming it. Only stored and
 * deflated members are read. */
int jl_zip_read(jl_zip *z, uint64_t i, uint64_t max_alloc, uint64_t *budget, uint8_t **out, uint64_t *len,
                jl_error *err);

#endif
