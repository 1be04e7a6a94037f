/*
 * tarread.c - the one file of a tar archive (tarread.h): a walk over its
 * 512-byte headers.
 */
#include "tarread.h"

#include <stdio.h>
#include <string.h>

#define TAR_BLOCK 512

/* An octal field (spaces and NULs around the digits), or UINT64_MAX. */
static uint64_t octal(const uint8_t *f, size_t len) {
    uint64_t v = 0;
    size_t i = 0;
    int digits = 0;
    while (i < len && (f[i] == ' ' || f[i] == 0) && !digits) i++;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60) return UINT64_MAX;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    for (; i < len; i++)
        if (f[i] != ' ' && f[i] != 0) return UINT64_MAX;
    return digits ? v : UINT64_MAX;
}

/* The header's checksum: its bytes summed with the checksum field as spaces. */
static int sum_ok(const uint8_t *h) {
    uint64_t want = octal(h + 148, 8), sum = 0;
    for (int i = 0; i < TAR_BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return want == sum;
}

static int zero_block(const uint8_t *h) {
    for (int i = 0; i < TAR_BLOCK; i++)
        if (h[i]) return 0;
    return 1;
}

int jl_tar_magic(const uint8_t *p, uint64_t n) {
    return n >= TAR_BLOCK && memcmp(p + 257, "ustar", 5) == 0 && sum_ok(p);
}

int jl_tar_single(const uint8_t *p, uint64_t n, uint64_t *off, uint64_t *len, char *name, size_t cap) {
    if (!jl_tar_magic(p, n)) return 0;
    uint64_t at = 0, files = 0;
    while (at + TAR_BLOCK <= n) {
        const uint8_t *h = p + at;
        if (zero_block(h)) break;
        if (memcmp(h + 257, "ustar", 5) != 0 || !sum_ok(h)) return 0;
        uint64_t size = octal(h + 124, 12);
        if (size == UINT64_MAX || size > n - at - TAR_BLOCK) return 0;
        uint8_t type = h[156];
        if (type == '0' || type == 0 || type == '7') { /* a regular file */
            if (files++) return 0;
            *off = at + TAR_BLOCK;
            *len = size;
            size_t nl = strnlen((const char *)h, 100);
            snprintf(name, cap, "%.*s", (int)nl, (const char *)h);
        }
        uint64_t data = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
        at += TAR_BLOCK + (data < n - at - TAR_BLOCK ? data : n - at - TAR_BLOCK);
    }
    return files == 1;
}
