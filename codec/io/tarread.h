/*
 * tarread.h - the one file of a tar archive, found in memory: what
 * pandas' DataFrame.to_pickle(..., compression='tar') writes (Python's
 * tarfile, one member holding the pickle; `.tar.gz` and the like are the
 * same archive inside gzip, bz2 or xz, which container.h takes off
 * first).
 *
 * Read: POSIX ustar and GNU headers of 512 bytes (name, octal size, type
 * flag, "ustar" magic at 257, the header checksum), pax extended headers
 * ('x', 'g') and GNU long names ('L', 'K') skipped as the metadata they
 * are, directories and other non-file members counted as not files; the
 * archive ends at its first zero block or at the end of the input.
 */
#ifndef JL_TARREAD_H
#define JL_TARREAD_H

#include "base.h"

/* 1 when p[0..n) starts with a tar header ("ustar" at byte 257 and a
 * header checksum that adds up). */
int jl_tar_magic(const uint8_t *p, uint64_t n);

/* When p[0..n) is a tar archive holding exactly one regular file: 1, with
 * its data at p[*off .. *off + *len) and its name (cut to cap - 1 bytes)
 * in name. 0 when it holds no file, several, or is damaged (a size that
 * runs past the input, a bad checksum): the caller reports the input as
 * it otherwise would. */
int jl_tar_single(const uint8_t *p, uint64_t n, uint64_t *off, uint64_t *len, char *name, size_t cap);

#endif
