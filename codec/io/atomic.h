/*
 * atomic.h - writing files so that they appear complete or not at all.
 *
 * Each file is written to a new temporary file in the destination's
 * directory (".<name>.<random>.jltmp", created with O_EXCL and mode 0666
 * less the umask, or the mode of the file it replaces), flushed with
 * fsync, then renamed over the destination; the directory is fsync'ed
 * after the renames. On any error the temporary files are removed and the
 * destinations are left as they were. A destination that is a symbolic
 * link is replaced at the link's target, as open(2) would write it.
 *
 * Writes that would exceed RLIMIT_FSIZE fail before writing (instead of
 * raising SIGXFSZ); EFBIG, ENOSPC and EDQUOT from write or fsync fail
 * cleanly too.
 */
#ifndef JL_ATOMIC_H
#define JL_ATOMIC_H

#include "base.h"

/* One file to write: path and its bytes (p may be NULL when n is 0). */
typedef struct jl_atomic_part {
    const char *path;
    const void *p;
    uint64_t n;
} jl_atomic_part;

/* Writes p[0..n) to path atomically. Errors are JL_E_IO (or JL_E_ARG for
 * an empty path or one that names a directory) and name the path and the
 * system's reason. */
int jl_atomic_write(const char *path, const void *p, uint64_t n, jl_error *err);

/* Writes several files: every temporary file is written and synced
 * before the first rename, so an error while writing leaves every
 * destination untouched. (The renames themselves are one after the
 * other; a failure between two renames, which needs the directory to
 * change under us, leaves the earlier ones done.) */
int jl_atomic_write_many(const jl_atomic_part *parts, size_t nparts, jl_error *err);

/* One file written in pieces (a stream that is never whole in memory):
 * open creates the temporary file, append adds bytes at its end, commit
 * flushes it and renames it over path, abort removes it. Commit and abort
 * free the handle, whatever happens. */
typedef struct jl_atomic_file jl_atomic_file;
jl_atomic_file *jl_atomic_open(const char *path, jl_error *err);
int jl_atomic_append(jl_atomic_file *f, const void *p, uint64_t n, jl_error *err);
int jl_atomic_commit(jl_atomic_file *f, jl_error *err);
void jl_atomic_abort(jl_atomic_file *f);

#endif
