/*
 * inflate_alone.c - a bench baseline (tests/bench/bench.py builds it with
 * cc at run time): inflates one zlib or gzip member from a file with
 * ISA-L or zlib into a 1 MiB buffer, output dropped, and prints the bytes
 * out. The time of this is what the structure questions on a compressed
 * bundle are compared with (issue 14: at most 1.1x, same engine).
 *
 *   inflate_alone isal|zlib zlib|gzip FILE
 *
 * Built with -DNO_ISAL where ISA-L's headers are missing (then "isal"
 * exits 2).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifndef NO_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define OUT ((size_t)1 << 20)

static long long with_zlib(const uint8_t *in, size_t n, int gzip, uint8_t *out) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, gzip ? 31 : 15) != Z_OK) return -1;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = n > (1u << 30) ? 1u << 30 : (uInt)n;
    size_t fed = z.avail_in;
    long long total = 0;
    int zr;
    do {
        if (z.avail_in == 0 && fed < n) {
            z.avail_in = n - fed > (1u << 30) ? 1u << 30 : (uInt)(n - fed);
            fed += z.avail_in;
        }
        z.next_out = out;
        z.avail_out = (uInt)OUT;
        zr = inflate(&z, Z_NO_FLUSH);
        total += (long long)(OUT - z.avail_out);
    } while (zr == Z_OK);
    inflateEnd(&z);
    return zr == Z_STREAM_END ? total : -1;
}

static long long with_isal(const uint8_t *in, size_t n, int gzip, uint8_t *out) {
#ifdef NO_ISAL
    (void)in, (void)n, (void)gzip, (void)out;
    return -2;
#else
    struct inflate_state *st = malloc(sizeof *st);
    if (!st) return -1;
    isal_inflate_init(st);
    st->crc_flag = gzip ? ISAL_GZIP : ISAL_ZLIB;
    size_t fed = 0;
    long long total = 0;
    for (;;) {
        if (st->avail_in == 0 && fed < n) {
            st->next_in = (uint8_t *)(uintptr_t)(in + fed);
            st->avail_in = n - fed > (1u << 30) ? 1u << 30 : (uint32_t)(n - fed);
            fed += st->avail_in;
        }
        st->next_out = out;
        st->avail_out = (uint32_t)OUT;
        int r = isal_inflate(st);
        total += (long long)(OUT - st->avail_out);
        if (r < 0) break;
        if (st->block_state == ISAL_BLOCK_FINISH) break;
        if (st->avail_in == 0 && fed == n && st->avail_out > 0) {
            total = -1;
            break;
        }
    }
    int done = st->block_state == ISAL_BLOCK_FINISH;
    free(st);
    return done ? total : -1;
#endif
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: inflate_alone isal|zlib zlib|gzip FILE\n");
        return 2;
    }
    int fd = open(argv[3], O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size == 0) {
        perror(argv[3]);
        return 1;
    }
    const uint8_t *in = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    uint8_t *out = malloc(OUT);
    if (in == MAP_FAILED || !out) {
        perror("inflate_alone");
        return 1;
    }
    int gzip = strcmp(argv[2], "gzip") == 0;
    long long total = strcmp(argv[1], "isal") == 0 ? with_isal(in, (size_t)sb.st_size, gzip, out)
                                                   : with_zlib(in, (size_t)sb.st_size, gzip, out);
    if (total == -2) {
        fprintf(stderr, "inflate_alone: built without ISA-L\n");
        return 2;
    }
    if (total < 0) {
        fprintf(stderr, "inflate_alone: %s: not a whole %s stream\n", argv[3], argv[2]);
        return 1;
    }
    printf("%lld\n", total);
    return 0;
}
