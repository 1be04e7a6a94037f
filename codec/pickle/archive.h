/*
 * archive.h - a pickle inside an archive of one file: what
 * DataFrame.to_pickle writes for compression='zip' (a zip of one member,
 * stored or deflated) and 'tar' (a tar of one member, itself possibly
 * inside gzip, bz2 or xz: `.tar.gz`). decode.c takes the member out
 * before the pickle VM runs, so such a file reads as the pickle it holds.
 *
 * Only an archive of exactly one file whose bytes can start a pickle
 * (start.h) is opened; anything else (an .npz, a zip of CSV, a tar of
 * several files) is left to the usual dispatch, which names it.
 */
#ifndef JL_ARCHIVE_H
#define JL_ARCHIVE_H

#include "value.h"

/* JL_OK with the member's bytes in a new buffer (*out, *out_len; from
 * doc->alloc, free with jl_free) when p[0..n) is such an archive, with
 * *out NULL when it is not; an error code (err set) when the member
 * cannot be read within the doc's limits. */
int jl_archive_member(jl_doc *doc, const uint8_t *p, uint64_t n, uint8_t **out, uint64_t *out_len, jl_error *err);

#endif
