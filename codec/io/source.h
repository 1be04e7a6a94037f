/*
 * source.h - input sources: a read-only memory map of a file (with a
 * read() fallback for files that cannot be mapped, such as pipes or empty
 * files).
 */
#ifndef JL_SOURCE_H
#define JL_SOURCE_H

#include "base.h"

typedef struct jl_mapped {
    const uint8_t *p; /* the bytes (NULL when len == 0) */
    uint64_t len;
    int is_mmap;      /* 1: munmap on close; 0: jl_free with alloc */
    int fd;           /* mapped files: the file still open (O_RDONLY), else -1; jl_unmap
                       * closes it unless the caller took it (and set it to -1) */
    const jl_alloc *alloc;
} jl_mapped;

/* Maps the whole file read-only. Errors name the path and errno text. */
int jl_map_file(const char *path, const jl_alloc *a, uint64_t max_len, jl_mapped *m, jl_error *err);
void jl_unmap(jl_mapped *m);
/* Takes m's descriptor for a caller that keeps the mapping (m->fd becomes
 * -1): returns it when the mapping is at least min_len bytes, else closes
 * it and returns -1. */
int jl_mapped_take_fd(jl_mapped *m, uint64_t min_len);

#endif
