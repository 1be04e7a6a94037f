/*
 * test_container.c - the compression layer (codec/io/container.c): detection
 * by full magic, decompression of every file of the upstream corpus,
 * byte-exact agreement with what Python/joblib write, round trips, the
 * output limit, truncated and corrupt input, concatenated members, and
 * every allocation failure.
 *
 * The corpus tests run only when the corpus is found; the rest always
 * runs. Exit 77 (skip) when the corpus is absent and the rest passed.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"

#define MiB ((uint64_t)1 << 20)

/* ---- helpers --------------------------------------------------------- */

static uint8_t *unhex(const char *hex, uint64_t *n) {
    size_t k = strlen(hex) / 2;
    uint8_t *p = malloc(k ? k : 1);
    assert_non_null(p);
    for (size_t i = 0; i < k; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        p[i] = (uint8_t)v;
    }
    *n = k;
    return p;
}

/* Half text, half noise: compressible but not trivially. */
static uint8_t *make_data(uint64_t n, uint32_t seed) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    static const char words[] = "joblib numpy array pickle frame ";
    for (uint64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (i / 64) % 2 ? (uint8_t)(seed >> 16) : (uint8_t)words[i % (sizeof words - 1)];
    }
    return p;
}

static const jl_compression all_kinds[] = {
    JL_COMP_ZLIB, JL_COMP_GZIP, JL_COMP_BZ2, JL_COMP_LZMA, JL_COMP_XZ, JL_COMP_LZ4, JL_COMP_ZF,
};
#define NKINDS (sizeof all_kinds / sizeof all_kinds[0])

/* Level for the tests that are not about levels (lzma/xz preset 1: a 1 MiB
 * dictionary keeps the many decodes cheap). */
static int default_level(jl_compression c) {
    return c == JL_COMP_LZ4 ? 0 : (c == JL_COMP_LZMA || c == JL_COMP_XZ) ? 1 : 3;
}

static void compress_ok(jl_compression c, int level, const uint8_t *in, uint64_t n, uint8_t **out,
                        uint64_t *out_len) {
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_compress(c, level, in, n, NULL, out, out_len, &err);
    if (rc) fail_msg("compress %s level %d: %s", jl_compression_name(c), level, err.message);
    assert_non_null(*out);
}

/* ---- names ------------------------------------------------------------- */

static void test_names(void **state) {
    (void)state;
    static const char *names[] = { "none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zf" };
    for (int i = 0; i < JL_COMP_COUNT; i++) {
        assert_string_equal(jl_compression_name((jl_compression)i), names[i]);
        assert_int_equal(jl_compression_available((jl_compression)i), 1);
    }
    assert_int_equal(jl_compression_available(JL_COMP_COUNT), 0);
    assert_string_equal(jl_compression_name(JL_COMP_COUNT), "unknown");
}

/* ---- detection ----------------------------------------------------------- */

typedef struct {
    const char *hex;
    jl_compression kind;
} detect_case;

static void test_detect(void **state) {
    (void)state;
    static const detect_case cases[] = {
        /* pickles and junk */
        { "80025d7100", JL_COMP_NONE },   /* protocol 2 pickle */
        { "80035d710028", JL_COMP_NONE }, /* protocol 3 */
        { "286c70300a", JL_COMP_NONE },   /* protocol 0 "(lp0\n" */
        { "5d7100", JL_COMP_NONE },       /* "]q\0" protocol 1 */
        { "", JL_COMP_NONE },
        /* zlib: 78 + valid FLG */
        { "785e", JL_COMP_ZLIB },
        { "7801", JL_COMP_ZLIB },
        { "789c", JL_COMP_ZLIB },
        { "78da", JL_COMP_ZLIB },
        { "78", JL_COMP_NONE },   /* FLG missing */
        { "7800", JL_COMP_NONE }, /* 0x7800 % 31 != 0 */
        { "785f", JL_COMP_NONE },
        { "789d", JL_COMP_NONE },
        { "785e07", JL_COMP_NONE }, /* first block type 3 (reserved) */
        { "685e", JL_COMP_NONE },   /* CMF 0x68: joblib only writes 0x78 */
        /* gzip */
        { "1f8b08000000000000", JL_COMP_GZIP },
        { "1f8b08", JL_COMP_GZIP },
        { "1f8b0808", JL_COMP_GZIP }, /* FNAME (0.10.0 .gzip files) */
        { "1f8b07", JL_COMP_NONE },   /* not deflate */
        { "1f8b", JL_COMP_NONE },
        { "1f8b0820", JL_COMP_NONE }, /* reserved flag bit */
        /* bz2 */
        { "425a6839314159265359", JL_COMP_BZ2 }, /* BZh9 + block magic */
        { "425a6831177245385090", JL_COMP_BZ2 }, /* BZh1 + end of stream (empty input) */
        { "425a6833", JL_COMP_BZ2 },
        { "425a683331", JL_COMP_BZ2 },
        { "425a", JL_COMP_NONE },
        { "425a68", JL_COMP_NONE },
        { "425a6830", JL_COMP_NONE },             /* level 0 */
        { "425a683a", JL_COMP_NONE },             /* ':' */
        { "425a4a554e4b", JL_COMP_NONE },         /* "BZJUNK" */
        { "425a683931415926535a", JL_COMP_NONE }, /* block magic off by one */
        { "425a683978787878", JL_COMP_NONE },
        /* lzma-alone */
        { "5d00008000ffffffffffffffff00", JL_COMP_LZMA }, /* preset 6, unknown size */
        { "5d00004000da0300000000000000", JL_COMP_LZMA }, /* 4 MiB, size 986 */
        { "5d00000c00", JL_COMP_LZMA },                   /* 768 KiB = 2^19 + 2^18 */
        { "5d00", JL_COMP_LZMA },                         /* as much as there is */
        { "5d00563412", JL_COMP_NONE },                   /* implausible dictionary */
        { "5d00000000", JL_COMP_NONE },                   /* dictionary 0 */
        { "5d00008000ffffffffffffff00", JL_COMP_NONE },   /* size >= 2^38 */
        { "5d01", JL_COMP_NONE },
        /* xz */
        { "fd377a585a000004", JL_COMP_XZ },
        { "fd377a585a00", JL_COMP_XZ },
        { "fd377a585a", JL_COMP_NONE },
        { "fd377a585a01", JL_COMP_NONE },
        /* lz4 frame */
        { "04224d184040c0", JL_COMP_LZ4 },
        { "04224d18", JL_COMP_LZ4 },
        { "04224d186470", JL_COMP_LZ4 },  /* v01, indep, content checksum, 4 MiB */
        { "04224d180040", JL_COMP_NONE }, /* version 00 */
        { "04224d184030", JL_COMP_NONE }, /* block size id 3 */
        { "04224d", JL_COMP_NONE },
        /* ZF: 19-wide field, then zlib */
        { "5a4630783331662020202020202020202020202020785e", JL_COMP_ZF },
        /* 20-wide field (joblib 0.8.4 under Python 2) */
        { "5a463078333166202020202020202020202020202020785e", JL_COMP_ZF },
        { "5a463078333166", JL_COMP_ZF }, /* short prefix: consistent so far */
        { "5a46307833", JL_COMP_ZF },
        { "5a463078", JL_COMP_NONE },                                 /* no digit */
        { "5a46307a333166", JL_COMP_NONE },                           /* "ZF0z" */
        { "5a46307833316620202078202020202020202020", JL_COMP_NONE }, /* junk in the field */
        { "5a4630783331662020202020202020202020202020", JL_COMP_ZF },
        { "5a4630783331662020202020202020202020202020785f", JL_COMP_NONE }, /* bad FLG */
        { "5a46307833316620202020202020202020202020204142", JL_COMP_NONE }, /* no zlib */
        { "5a46", JL_COMP_NONE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t n;
        uint8_t *p = unhex(cases[i].hex, &n);
        jl_compression got = jl_detect(p, n);
        if (got != cases[i].kind)
            fail_msg("detect %s: got %s, want %s", cases[i].hex, jl_compression_name(got),
                     jl_compression_name(cases[i].kind));
        free(p);
    }
    assert_int_equal(jl_detect(NULL, 10), JL_COMP_NONE);
}

/* ---- byte-exact agreement with Python ----------------------------------- */

/* data = b"joblib " * 8 + bytes(range(16)), compressed by CPython 3.11 /
 * joblib 1.2 / python-lz4 4.0.2 (BinaryZlibFile, BinaryGzipFile,
 * bz2.compress, lzma.compress, LZ4FrameFile, joblib 0.9's ZF writer). */
static void test_python_bytes(void **state) {
    (void)state;
    static const struct {
        jl_compression kind;
        int level;
        const char *hex;
    } cases[] = {
        { JL_COMP_ZLIB, 3, "785ecbca4fcac94c52c822956260646266616563e7e0e4e2e6e1e5e307009dad1509" },
        { JL_COMP_GZIP, 3,
          "1f8b0800000000000003cbca4fcac94c52c822956260646266616563e7e0e4e2e6e1e5e307005b0a2e97"
          "48000000" },
        { JL_COMP_BZ2, 9,
          "425a6839314159265359a84f3c4400001bd1007fffc0001034a00020aa906203207a851a32068d3234eb"
          "0c72ce74ae9aedbf1cdafd8f04081eca5f4c40fc5dc914e14242a13cf110" },
        { JL_COMP_LZMA, 6,
          "5d00008000ffffffffffffffff00351bc86ad229233fc2eec638334d84bdfce0bd4532afc0946f479084"
          "8c6dffe9f30000" },
        { JL_COMP_XZ, 6,
          "fd377a585a000004e6d6b4460200210116000000742fe5a3e00047001e5d00351bc86ad229233fc2eec6"
          "38334d84bdfce0bd4532afc0946f4753d75560000000e2001d89ae5e159c00013a48f0a2287d1fb6f37d"
          "010000000004595a" },
        { JL_COMP_LZ4, 0,
          "04224d184040c01d0000007f6a6f626c69622007001ef001000102030405060708090a0b0c0d0e0f0000"
          "0000" },
        { JL_COMP_LZ4, 9,
          "04224d184040c01d0000007f6a6f626c69622007001ef001000102030405060708090a0b0c0d0e0f0000"
          "0000" },
        { JL_COMP_ZF, 3,
          "5a4630783438202020202020202020202020202020785ecbca4fcac94c52c822956260646266616563e7"
          "e0e4e2e6e1e5e307009dad1509" },
    };
    uint8_t data[72];
    for (int i = 0; i < 8; i++) memcpy(data + 7 * i, "joblib ", 7);
    for (int i = 0; i < 16; i++) data[56 + i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t n, out_len, back_len;
        uint8_t *want = unhex(cases[i].hex, &n), *out, *back;
        compress_ok(cases[i].kind, cases[i].level, data, sizeof data, &out, &out_len);
        assert_int_equal(out_len, n);
        assert_memory_equal(out, want, n);
        /* and Python's bytes decode to the data */
        jl_error err;
        assert_int_equal(jl_decompress(cases[i].kind, want, n, NULL, 1000, &back, &back_len, &err),
                         JL_OK);
        assert_int_equal(back_len, sizeof data);
        assert_memory_equal(back, data, sizeof data);
        free(want);
        free(out);
        free(back);
    }
}

/* ---- exact headers -------------------------------------------------------- */

static void test_headers(void **state) {
    (void)state;
    static const struct {
        jl_compression kind;
        int level;
        const char *hex; /* first bytes */
    } cases[] = {
        { JL_COMP_ZLIB, 1, "7801" },
        { JL_COMP_ZLIB, 3, "785e" },
        { JL_COMP_ZLIB, 5, "785e" },
        { JL_COMP_ZLIB, 6, "789c" },
        { JL_COMP_ZLIB, 9, "78da" },
        { JL_COMP_GZIP, 3, "1f8b0800000000000003" },
        { JL_COMP_GZIP, 6, "1f8b0800000000000003" },
        { JL_COMP_GZIP, 1, "1f8b0800000000000403" }, /* XFL as zlib (and joblib) write it */
        { JL_COMP_GZIP, 9, "1f8b0800000000000203" },
        { JL_COMP_BZ2, 1, "425a6831" },
        { JL_COMP_BZ2, 3, "425a6833" },
        { JL_COMP_BZ2, 9, "425a6839" },
        { JL_COMP_LZMA, 1, "5d00001000ffffffffffffffff" },
        { JL_COMP_LZMA, 3, "5d00004000ffffffffffffffff" },
        { JL_COMP_LZMA, 6, "5d00008000ffffffffffffffff" },
        { JL_COMP_XZ, 1, "fd377a585a000004" },
        { JL_COMP_XZ, 6, "fd377a585a000004" },
        { JL_COMP_LZ4, 0, "04224d184040c0" },
        { JL_COMP_LZ4, 3, "04224d184040c0" },
        { JL_COMP_LZ4, 16, "04224d184040c0" },
        { JL_COMP_ZF, 3, "5a4630783331662020202020202020202020202020785e" }, /* 799 bytes */
    };
    uint8_t *data = make_data(799, 7);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t n, out_len;
        uint8_t *want = unhex(cases[i].hex, &n), *out;
        compress_ok(cases[i].kind, cases[i].level, data, 799, &out, &out_len);
        assert_true(out_len > n);
        if (memcmp(out, want, n) != 0)
            fail_msg("%s level %d: header differs", jl_compression_name(cases[i].kind),
                     cases[i].level);
        free(want);
        free(out);
    }
    /* ZF field: 19 bytes "0x" + lowercase hex, left-justified, for large sizes too */
    uint8_t *big = calloc(1, 0xabcdef);
    uint64_t out_len;
    uint8_t *out;
    compress_ok(JL_COMP_ZF, 1, big, 0xabcdef, &out, &out_len);
    assert_memory_equal(out, "ZF0xabcdef           \x78\x01", 23);
    free(out);
    /* gzip trailer: CRC-32 and ISIZE little-endian; lz4 end mark */
    compress_ok(JL_COMP_GZIP, 3, big, 0xabcdef, &out, &out_len);
    assert_memory_equal(out + out_len - 4, "\xef\xcd\xab\x00", 4);
    free(out);
    compress_ok(JL_COMP_LZ4, 0, big, 0xabcdef, &out, &out_len);
    assert_memory_equal(out + out_len - 4, "\0\0\0\0", 4);
    free(out);
    free(big);
    free(data);
}

/* ---- round trips ------------------------------------------------------------ */

static void roundtrip(jl_compression c, int level, const uint8_t *data, uint64_t n) {
    uint64_t clen, dlen;
    uint8_t *comp, *back;
    jl_error err;
    compress_ok(c, level, data, n, &comp, &clen);
    if (c != JL_COMP_NONE) assert_int_equal(jl_detect(comp, clen), c);
    int rc = jl_decompress(c, comp, clen, NULL, n, &back, &dlen, &err);
    if (rc)
        fail_msg("%s level %d n %llu: %s", jl_compression_name(c), level, (unsigned long long)n,
                 err.message);
    assert_non_null(back);
    assert_int_equal(dlen, n);
    if (n) assert_memory_equal(back, data, n);
    free(comp);
    free(back);
}

static void test_roundtrip(void **state) {
    (void)state;
    static const uint64_t sizes[] = { 0, 1, 5, 300, 70000, MiB };
    static const int levels[] = { 1, 3, 6, 9 };
    static const int lz4_levels[] = { 0, 1, 3, 9, 16 };
    uint8_t *data = make_data(MiB, 42);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t k = 0; k < NKINDS; k++) {
            jl_compression c = all_kinds[k];
            if (c == JL_COMP_LZ4) {
                for (size_t l = 0; l < sizeof lz4_levels / sizeof lz4_levels[0]; l++)
                    roundtrip(c, lz4_levels[l], data, sizes[s]);
                continue;
            }
            for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
                /* presets 9 of lzma/xz need ~700 MiB to encode: keep to 1..6 */
                if ((c == JL_COMP_LZMA || c == JL_COMP_XZ) && levels[l] > 6) continue;
                if (sizes[s] == MiB && levels[l] != 1 && levels[l] != 6) continue;
                roundtrip(c, levels[l], data, sizes[s]);
            }
        }
        roundtrip(JL_COMP_NONE, 0, data, sizes[s]);
    }
    free(data);
}

/* ---- limits ----------------------------------------------------------------- */

static void test_limit(void **state) {
    (void)state;
    uint8_t *zeros = calloc(1, MiB);
    assert_non_null(zeros);
    for (size_t k = 0; k < NKINDS; k++) {
        jl_compression c = all_kinds[k];
        uint64_t clen, dlen;
        uint8_t *comp, *back = (uint8_t *)1;
        jl_error err;
        compress_ok(c, default_level(c), zeros, MiB, &comp, &clen);
        assert_true(clen < 20000);
        assert_int_equal(jl_decompress(c, comp, clen, NULL, 1000, &back, &dlen, &err), JL_E_LIMIT);
        assert_null(back);
        assert_int_equal(err.code, JL_E_LIMIT);
        if (c == JL_COMP_ZF)
            assert_string_equal(err.message, "decompressed size exceeds the limit of 1000 bytes "
                                             "(ZF header announces 1048576)");
        else
            assert_string_equal(err.message, "decompressed size exceeds the limit of 1000 bytes");
        assert_int_equal(jl_decompress(c, comp, clen, NULL, MiB - 1, &back, &dlen, &err),
                         JL_E_LIMIT);
        assert_int_equal(jl_decompress(c, comp, clen, NULL, 0, &back, &dlen, &err), JL_E_LIMIT);
        assert_int_equal(strncmp(err.message, "decompressed size exceeds the limit of 0 bytes", 46),
                         0);
        assert_int_equal(jl_decompress(c, comp, clen, NULL, MiB, &back, &dlen, &err), JL_OK);
        assert_int_equal(dlen, MiB);
        assert_memory_equal(back, zeros, MiB);
        free(back);
        free(comp);
    }
    uint8_t *back;
    uint64_t dlen;
    jl_error err;
    assert_int_equal(jl_decompress(JL_COMP_NONE, zeros, 1001, NULL, 1000, &back, &dlen, &err),
                     JL_E_LIMIT);
    assert_string_equal(err.message, "decompressed size exceeds the limit of 1000 bytes");
    assert_int_equal(jl_decompress(JL_COMP_NONE, zeros, 1000, NULL, 1000, &back, &dlen, &err),
                     JL_OK);
    assert_int_equal(dlen, 1000);
    free(back);
    /* an empty stream fits a limit of 0 and still gives a buffer */
    uint8_t *comp;
    uint64_t clen;
    compress_ok(JL_COMP_GZIP, 3, NULL, 0, &comp, &clen);
    assert_int_equal(jl_decompress(JL_COMP_GZIP, comp, clen, NULL, 0, &back, &dlen, &err), JL_OK);
    assert_non_null(back);
    assert_int_equal(dlen, 0);
    free(back);
    free(comp);
    free(zeros);
}

/* ---- ZF header checks --------------------------------------------------------- */

static void test_zf_header(void **state) {
    (void)state;
    uint8_t data[48];
    memset(data, 'a', sizeof data);
    uint8_t *comp, *back;
    uint64_t clen, dlen;
    jl_error err;
    compress_ok(JL_COMP_ZF, 3, data, sizeof data, &comp, &clen);
    assert_memory_equal(comp, "ZF0x30               ", 21);

    /* 20-wide field: one more space before the zlib stream */
    uint8_t *wide = malloc(clen + 1);
    memcpy(wide, comp, 21);
    wide[21] = ' ';
    memcpy(wide + 22, comp + 21, clen - 21);
    assert_int_equal(jl_detect(wide, clen + 1), JL_COMP_ZF);
    assert_int_equal(jl_decompress(JL_COMP_ZF, wide, clen + 1, NULL, 100, &back, &dlen, &err),
                     JL_OK);
    assert_int_equal(dlen, 48);
    assert_memory_equal(back, data, 48);
    free(back);
    free(wide);

    /* announces one byte more than the stream holds */
    comp[5] = '1';
    assert_int_equal(jl_decompress(JL_COMP_ZF, comp, clen, NULL, 100, &back, &dlen, &err),
                     JL_E_FORMAT);
    assert_string_equal(err.message, "ZF header announces 49 bytes but the zlib stream holds 48");
    /* announces fewer */
    comp[4] = '2';
    comp[5] = 'f';
    assert_int_equal(jl_decompress(JL_COMP_ZF, comp, clen, NULL, 100, &back, &dlen, &err),
                     JL_E_FORMAT);
    assert_string_equal(err.message,
                        "ZF stream inflates to more than the 47 bytes its header announces");
    comp[4] = '2';
    comp[5] = '0';
    assert_int_equal(jl_decompress(JL_COMP_ZF, comp, clen, NULL, 100, &back, &dlen, &err),
                     JL_E_FORMAT);
    assert_string_equal(err.message,
                        "ZF stream inflates to more than the 32 bytes its header announces");
    /* 17 digits do not fit 64 bits */
    memcpy(comp + 2, "0x10000000000000000", 19);
    assert_int_equal(jl_detect(comp, clen), JL_COMP_ZF);
    assert_int_equal(jl_decompress(JL_COMP_ZF, comp, clen, NULL, 100, &back, &dlen, &err),
                     JL_E_FORMAT);
    assert_string_equal(err.message, "ZF header announces a length beyond 64 bits");
    /* huge claim, small stream: refused by the limit before any allocation */
    memcpy(comp + 2, "0xffffffffffffff   ", 19);
    assert_int_equal(jl_decompress(JL_COMP_ZF, comp, clen, NULL, 1u << 30, &back, &dlen, &err),
                     JL_E_LIMIT);
    assert_string_equal(err.message, "decompressed size exceeds the limit of 1073741824 bytes "
                                     "(ZF header announces 72057594037927935)");
    /* ... and with no limit: the stream is too short for it */
    assert_int_equal(jl_decompress(JL_COMP_ZF, comp, clen, NULL, UINT64_MAX, &back, &dlen, &err),
                     JL_E_FORMAT);
    assert_string_equal(err.message,
                        "ZF header announces 72057594037927935 bytes but the zlib stream holds 48");
    /* not a ZF header at all */
    assert_int_equal(
        jl_decompress(JL_COMP_ZF, (const uint8_t *)"ZFxx", 4, NULL, 100, &back, &dlen, &err),
        JL_E_FORMAT);
    assert_string_equal(err.message, "not a ZF header at compressed byte 0");
    free(comp);
}

/* ---- truncation and corruption ------------------------------------------------ */

static void test_truncation(void **state) {
    (void)state;
    uint8_t *data = make_data(300, 3);
    for (size_t k = 0; k < NKINDS; k++) {
        jl_compression c = all_kinds[k];
        uint64_t clen, dlen;
        uint8_t *comp, *back;
        compress_ok(c, default_level(c), data, 300, &comp, &clen);
        int truncated = 0;
        for (uint64_t cut = 0; cut < clen; cut++) {
            jl_error err;
            jl_error_clear(&err);
            back = (uint8_t *)1;
            int rc = jl_decompress(c, comp, cut, NULL, 1 << 20, &back, &dlen, &err);
            if (rc == JL_OK)
                fail_msg("%s: prefix of %llu of %llu bytes decoded", jl_compression_name(c),
                         (unsigned long long)cut, (unsigned long long)clen);
            assert_null(back);
            assert_int_equal(err.code, rc);
            assert_true(rc == JL_E_TRUNCATED || rc == JL_E_FORMAT);
            if (rc == JL_E_TRUNCATED) {
                char want[160];
                if (c == JL_COMP_ZF && cut < 21)
                    snprintf(want, sizeof want,
                             "file is truncated: the ZF header needs 21 bytes but the file has %llu",
                             (unsigned long long)cut);
                else if (c == JL_COMP_ZF)
                    snprintf(want, sizeof want,
                             "file is truncated: the ZF header announces %llu bytes but its zlib "
                             "stream stops after %llu compressed bytes, with ",
                             (unsigned long long)300, (unsigned long long)cut);
                else
                    snprintf(want, sizeof want,
                             "file is truncated: the %s stream stops after %llu compressed bytes, "
                             "before its end (",
                             jl_compression_name(c), (unsigned long long)cut);
                if (strncmp(err.message, want, strlen(want)) != 0)
                    fail_msg("%s cut at %llu: '%s', want '%s...'", jl_compression_name(c),
                             (unsigned long long)cut, err.message, want);
                truncated++;
            }
        }
        /* all but the prefixes too short to hold a magic are "ends early" */
        if (truncated < (int)clen - 5)
            fail_msg("%s: only %d of %llu prefixes reported as truncated", jl_compression_name(c),
                     truncated, (unsigned long long)clen);
        free(comp);
    }
    free(data);
}

/* One byte changed at each position: never a crash; formats with a
 * checksum (zlib/gzip/bz2/xz/ZF) never return different data. */
static void test_corruption(void **state) {
    (void)state;
    uint8_t *data = make_data(2000, 11);
    for (size_t k = 0; k < NKINDS; k++) {
        jl_compression c = all_kinds[k];
        int checked = c != JL_COMP_LZMA && c != JL_COMP_LZ4;
        uint64_t clen, dlen;
        uint8_t *comp, *back;
        compress_ok(c, default_level(c), data, 2000, &comp, &clen);
        for (uint64_t i = 0; i < clen; i++) {
            for (int x = 0; x < 2; x++) {
                uint8_t keep = comp[i];
                comp[i] ^= x ? 0x01 : 0xA5;
                jl_error err;
                int rc = jl_decompress(c, comp, clen, NULL, 1 << 20, &back, &dlen, &err);
                comp[i] = keep;
                if (rc) {
                    assert_null(back);
                    assert_true(rc == JL_E_FORMAT || rc == JL_E_TRUNCATED || rc == JL_E_LIMIT);
                    continue;
                }
                if (checked && (dlen != 2000 || memcmp(back, data, 2000) != 0))
                    fail_msg("%s: byte %llu changed, wrong data accepted", jl_compression_name(c),
                             (unsigned long long)i);
                free(back);
            }
        }
        free(comp);
    }
    free(data);
}

/* ---- concatenated members and trailing bytes ----------------------------------- */

static void test_members(void **state) {
    (void)state;
    uint8_t *a = make_data(5000, 1), *b = make_data(3000, 2);
    uint8_t *ab = malloc(8000);
    memcpy(ab, a, 5000);
    memcpy(ab + 5000, b, 3000);
    for (size_t k = 0; k < NKINDS; k++) {
        jl_compression c = all_kinds[k];
        uint64_t alen, blen, dlen;
        uint8_t *ca, *cb, *back;
        jl_error err;
        compress_ok(c, default_level(c), a, 5000, &ca, &alen);
        compress_ok(c, default_level(c), b, 3000, &cb, &blen);
        uint8_t *cat = malloc(alen + 4 + blen + 3);
        memcpy(cat, ca, alen);
        memset(cat + alen, 0, 4); /* xz stream padding; gzip tolerates zeros too */
        memcpy(cat + alen + 4, cb, blen);
        memcpy(cat + alen + 4 + blen, "\x01\x02\x03", 3); /* trailing junk: ignored */
        uint64_t n = alen + 4 + blen + 3;
        int members = c != JL_COMP_ZLIB && c != JL_COMP_ZF;
        assert_int_equal(jl_decompress(c, cat, n, NULL, 1 << 20, &back, &dlen, &err), JL_OK);
        if (members) {
            assert_int_equal(dlen, 8000);
            assert_memory_equal(back, ab, 8000);
        } else {
            assert_int_equal(dlen, 5000); /* zlib/ZF: bytes after the stream are ignored */
            assert_memory_equal(back, a, 5000);
        }
        free(back);
        /* the limit counts all members */
        if (members) {
            assert_int_equal(jl_decompress(c, cat, n, NULL, 7999, &back, &dlen, &err), JL_E_LIMIT);
            /* a second member cut short is an error */
            int rc = jl_decompress(c, cat, alen + 4 + blen - 1, NULL, 1 << 20, &back, &dlen, &err);
            assert_int_equal(rc, JL_E_TRUNCATED);
        }
        free(cat);
        free(ca);
        free(cb);
    }
    free(a);
    free(b);
    free(ab);
}

/* ---- arguments ------------------------------------------------------------------ */

static void test_args(void **state) {
    (void)state;
    uint8_t *out = (uint8_t *)1;
    uint64_t len = 7;
    jl_error err;
    assert_int_equal(jl_compress(JL_COMP_ZLIB, 12, (const uint8_t *)"x", 1, NULL, &out, &len, &err),
                     JL_E_ARG);
    assert_string_equal(err.message, "zlib level must be 1..9, not 12");
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(jl_compress(JL_COMP_BZ2, 0, (const uint8_t *)"x", 1, NULL, &out, &len, &err),
                     JL_E_ARG);
    assert_string_equal(err.message, "bz2 level must be 1..9, not 0");
    assert_int_equal(jl_compress(JL_COMP_LZ4, 17, (const uint8_t *)"x", 1, NULL, &out, &len, &err),
                     JL_E_ARG);
    assert_string_equal(err.message, "lz4 level must be 0..16, not 17");
    assert_int_equal(jl_compress(JL_COMP_COUNT, 3, (const uint8_t *)"x", 1, NULL, &out, &len, &err),
                     JL_E_ARG);
    assert_string_equal(err.message, "unknown compression 8");
    assert_int_equal(
        jl_decompress(JL_COMP_COUNT, (const uint8_t *)"x", 1, NULL, 10, &out, &len, &err),
        JL_E_ARG);
    /* empty and NULL input */
    assert_int_equal(jl_decompress(JL_COMP_ZLIB, NULL, 0, NULL, 10, &out, &len, &err),
                     JL_E_TRUNCATED);
    assert_string_equal(err.message, "file is truncated: the zlib stream stops after 0 compressed "
                                     "bytes, before its end (0 bytes decompressed)");
    assert_int_equal(jl_decompress(JL_COMP_NONE, NULL, 0, NULL, 10, &out, &len, &err), JL_OK);
    assert_non_null(out);
    assert_int_equal(len, 0);
    free(out);
    /* corrupt data names the compressor and the position */
    assert_int_equal(
        jl_decompress(JL_COMP_GZIP,
                      (const uint8_t *)"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff", 12, NULL,
                      10, &out, &len, &err),
        JL_E_FORMAT);
    assert_string_equal(err.message,
                        "gzip data is corrupt at compressed byte 11: invalid block type");
    assert_int_equal(jl_decompress(JL_COMP_XZ,
                                   (const uint8_t *)"\xfd"
                                                    "7zXZ\x00\x00\x05xxxx",
                                   12, NULL, 10, &out, &len, &err),
                     JL_E_FORMAT);
    assert_int_equal(strncmp(err.message, "xz data is corrupt at compressed byte", 37), 0);
    assert_int_equal(jl_decompress(JL_COMP_BZ2, (const uint8_t *)"BZh9xxxxxxxxxxxx", 16, NULL, 10,
                                   &out, &len, &err),
                     JL_E_FORMAT);
    assert_int_equal(strncmp(err.message, "bz2 data is corrupt at compressed byte", 38), 0);
    assert_int_equal(jl_decompress(JL_COMP_LZ4, (const uint8_t *)"\x04\x22\x4d\x18\x40\x40\xc1\x00",
                                   8, NULL, 10, &out, &len, &err),
                     JL_E_FORMAT);
    assert_string_equal(err.message,
                        "lz4 data is corrupt at compressed byte 0: ERROR_headerChecksum_invalid");
}

/* ---- allocation failures ----------------------------------------------------------- */

static void test_alloc_failures(void **state) {
    (void)state;
    const uint64_t n = 200000;
    uint8_t *data = make_data(n, 5);
    for (size_t k = 0; k < NKINDS + 1; k++) {
        jl_compression c = k < NKINDS ? all_kinds[k] : JL_COMP_NONE;
        int level = c == JL_COMP_NONE ? 0 : (c == JL_COMP_LZ4 ? 9 : 1);
        uint8_t *comp = NULL, *back = NULL;
        uint64_t clen = 0, dlen = 0;
        long fail;
        for (fail = 0; fail < 200; fail++) {
            jl_test_alloc t;
            jl_test_alloc_init(&t, fail);
            jl_error err;
            int rc = jl_compress(c, level, data, n, &t.alloc, &comp, &clen, &err);
            if (rc == JL_OK) {
                assert_int_equal(t.live, 1);
                t.alloc.free(t.alloc.ctx, comp);
                assert_int_equal(t.live, 0);
                break;
            }
            if (rc != JL_E_NOMEM)
                fail_msg("%s compress, fail after %ld: %s", jl_compression_name(c), fail,
                         err.message);
            assert_null(comp);
            assert_int_equal(t.live, 0);
        }
        assert_true(fail > 0 || c == JL_COMP_NONE);
        assert_true(fail < 200);
        compress_ok(c, level, data, n, &comp, &clen);
        for (fail = 0; fail < 200; fail++) {
            jl_test_alloc t;
            jl_test_alloc_init(&t, fail);
            jl_error err;
            int rc = jl_decompress(c, comp, clen, &t.alloc, n, &back, &dlen, &err);
            if (rc == JL_OK) {
                assert_int_equal(dlen, n);
                assert_memory_equal(back, data, n);
                assert_int_equal(t.live, 1);
                t.alloc.free(t.alloc.ctx, back);
                assert_int_equal(t.live, 0);
                break;
            }
            if (rc != JL_E_NOMEM)
                fail_msg("%s decompress, fail after %ld: %s", jl_compression_name(c), fail,
                         err.message);
            assert_null(back);
            assert_int_equal(t.live, 0);
        }
        assert_true(fail > (c == JL_COMP_NONE ? 0 : 1)); /* decoder state and output buffer */
        assert_true(fail < 200);
        free(comp);
    }
    free(data);
}

/* ---- the corpus ---------------------------------------------------------------------- */

static const struct corpus_file {
    const char *name;
    jl_compression kind;
    uint64_t out_len; /* decompressed bytes */
    int proto;        /* PROTO of the pickle, 0 for raw .npy.z payloads */
} corpus[] = {
    { "joblib_0.10.0_compressed_pickle_py27_np16.gz", JL_COMP_GZIP, 986, 2 },
    { "joblib_0.10.0_compressed_pickle_py27_np17.gz", JL_COMP_ZLIB, 986, 2 },
    { "joblib_0.10.0_compressed_pickle_py33_np18.gz", JL_COMP_ZLIB, 1068, 3 },
    { "joblib_0.10.0_compressed_pickle_py34_np19.gz", JL_COMP_ZLIB, 1068, 3 },
    { "joblib_0.10.0_compressed_pickle_py35_np19.gz", JL_COMP_ZLIB, 1068, 3 },
    { "joblib_0.10.0_pickle_py27_np17.pkl", JL_COMP_NONE, 986, 2 },
    { "joblib_0.10.0_pickle_py27_np17.pkl.bz2", JL_COMP_BZ2, 986, 2 },
    { "joblib_0.10.0_pickle_py27_np17.pkl.gzip", JL_COMP_GZIP, 986, 2 },
    { "joblib_0.10.0_pickle_py27_np17.pkl.lzma", JL_COMP_LZMA, 986, 2 },
    { "joblib_0.10.0_pickle_py27_np17.pkl.xz", JL_COMP_XZ, 986, 2 },
    { "joblib_0.10.0_pickle_py33_np18.pkl", JL_COMP_NONE, 1068, 3 },
    { "joblib_0.10.0_pickle_py33_np18.pkl.bz2", JL_COMP_BZ2, 1068, 3 },
    { "joblib_0.10.0_pickle_py33_np18.pkl.gzip", JL_COMP_GZIP, 1068, 3 },
    { "joblib_0.10.0_pickle_py33_np18.pkl.lzma", JL_COMP_LZMA, 1068, 3 },
    { "joblib_0.10.0_pickle_py33_np18.pkl.xz", JL_COMP_XZ, 1068, 3 },
    { "joblib_0.10.0_pickle_py34_np19.pkl", JL_COMP_NONE, 1068, 3 },
    { "joblib_0.10.0_pickle_py34_np19.pkl.bz2", JL_COMP_BZ2, 1068, 3 },
    { "joblib_0.10.0_pickle_py34_np19.pkl.gzip", JL_COMP_GZIP, 1068, 3 },
    { "joblib_0.10.0_pickle_py34_np19.pkl.lzma", JL_COMP_LZMA, 1068, 3 },
    { "joblib_0.10.0_pickle_py34_np19.pkl.xz", JL_COMP_XZ, 1068, 3 },
    { "joblib_0.10.0_pickle_py35_np19.pkl", JL_COMP_NONE, 1068, 3 },
    { "joblib_0.10.0_pickle_py35_np19.pkl.bz2", JL_COMP_BZ2, 1068, 3 },
    { "joblib_0.10.0_pickle_py35_np19.pkl.gzip", JL_COMP_GZIP, 1068, 3 },
    { "joblib_0.10.0_pickle_py35_np19.pkl.lzma", JL_COMP_LZMA, 1068, 3 },
    { "joblib_0.10.0_pickle_py35_np19.pkl.xz", JL_COMP_XZ, 1068, 3 },
    { "joblib_0.11.0_compressed_pickle_py36_np111.gz", JL_COMP_GZIP, 1068, 3 },
    { "joblib_0.11.0_pickle_py36_np111.pkl", JL_COMP_NONE, 1068, 3 },
    { "joblib_0.11.0_pickle_py36_np111.pkl.bz2", JL_COMP_BZ2, 1068, 3 },
    { "joblib_0.11.0_pickle_py36_np111.pkl.gzip", JL_COMP_GZIP, 1068, 3 },
    { "joblib_0.11.0_pickle_py36_np111.pkl.lzma", JL_COMP_LZMA, 1068, 3 },
    { "joblib_0.11.0_pickle_py36_np111.pkl.xz", JL_COMP_XZ, 1068, 3 },
    { "joblib_0.12.2_pickle_py36_np114.pkl.lz4", JL_COMP_LZ4, 1068, 3 },
    { "joblib_0.8.4_compressed_pickle_py27_np17.gz", JL_COMP_ZF, 799, 2 }, /* 20-wide field */
    { "joblib_0.9.2_compressed_pickle_py27_np16.gz", JL_COMP_ZF, 799, 2 },
    { "joblib_0.9.2_compressed_pickle_py27_np17.gz", JL_COMP_ZF, 799, 2 },
    { "joblib_0.9.2_compressed_pickle_py34_np19.gz", JL_COMP_ZF, 823, 3 },
    { "joblib_0.9.2_compressed_pickle_py35_np19.gz", JL_COMP_ZF, 823, 3 },
    { "joblib_0.9.2_pickle_py27_np16.pkl", JL_COMP_NONE, 670, 2 },
    { "joblib_0.9.2_pickle_py27_np17.pkl", JL_COMP_NONE, 670, 2 },
    { "joblib_0.9.2_pickle_py33_np18.pkl", JL_COMP_NONE, 691, 3 },
    { "joblib_0.9.2_pickle_py34_np19.pkl", JL_COMP_NONE, 691, 3 },
    { "joblib_0.9.2_pickle_py35_np19.pkl", JL_COMP_NONE, 691, 3 },
    { "joblib_0.9.2_pickle_py27_np16.pkl_01.npy", JL_COMP_NONE, 120, 0 },
    { "joblib_0.9.2_pickle_py35_np19.pkl_03.npy", JL_COMP_NONE, 307, 0 },
    { "joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz", JL_COMP_ZF, 1042, 3 },
    { "joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz_01.npy.z", JL_COMP_ZF, 40, 0 },
    { "joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz_02.npy.z", JL_COMP_ZF, 40, 0 },
    { "joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz_03.npy.z", JL_COMP_ZF, 24, 0 },
};

static uint8_t *read_corpus(const char *name, uint64_t *len) {
    uint8_t *p = jl_test_read_file(jl_test_path(jl_test_corpus_dir(), name), len);
    if (!p) fail_msg("cannot read corpus file %s", name);
    return p;
}

static void test_corpus(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        const struct corpus_file *f = &corpus[i];
        uint64_t n, dlen;
        uint8_t *p = read_corpus(f->name, &n), *out;
        jl_compression got = jl_detect(p, n);
        if (got != f->kind)
            fail_msg("%s: detected %s, want %s", f->name, jl_compression_name(got),
                     jl_compression_name(f->kind));
        jl_error err;
        if (jl_decompress(got, p, n, NULL, JL_DEFAULT_MAX_DECOMPRESSED, &out, &dlen, &err) != JL_OK)
            fail_msg("%s: %s", f->name, err.message);
        assert_int_equal(dlen, f->out_len);
        if (f->proto) {
            assert_int_equal(out[0], 0x80);
            assert_int_equal(out[1], f->proto);
            assert_int_equal(out[dlen - 1], '.'); /* STOP */
        } else if (f->kind == JL_COMP_NONE) {
            assert_memory_equal(out, "\x93NUMPY", 6);
        }
        /* one byte less room than needed: the limit */
        free(out);
        assert_int_equal(jl_decompress(got, p, n, NULL, f->out_len - 1, &out, &dlen, &err),
                         JL_E_LIMIT);
        free(p);
    }
}

/* Proper prefixes of every compressed corpus file are errors. */
static void test_corpus_prefixes(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        const struct corpus_file *f = &corpus[i];
        if (f->kind == JL_COMP_NONE) continue;
        uint64_t n, dlen;
        uint8_t *p = read_corpus(f->name, &n), *out;
        for (uint64_t cut = 0; cut < n; cut++) {
            if (cut > 64 && cut + 64 < n && cut % 16) continue; /* both ends, and a stride */
            jl_error err;
            int rc = jl_decompress(f->kind, p, cut, NULL, 1 << 20, &out, &dlen, &err);
            if (rc == JL_OK)
                fail_msg("%s: prefix of %llu bytes decoded", f->name, (unsigned long long)cut);
            if (cut >= 22) assert_int_equal(rc, JL_E_TRUNCATED);
        }
        free(p);
    }
}

/* The 0.10.0 py27 and 0.11.0 py36 dumps hold one stream in five containers.
 * (Python 3.3-3.5 randomised dict order per run, so the py33-35 groups
 * differ in key order; test_corpus checks their lengths.) */
static void test_corpus_same_stream(void **state) {
    (void)state;
    static const char *groups[] = {
        "joblib_0.10.0_pickle_py27_np17.pkl",
        "joblib_0.11.0_pickle_py36_np111.pkl",
    };
    static const char *exts[] = { ".bz2", ".gzip", ".lzma", ".xz" };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        uint64_t plen;
        uint8_t *pkl = read_corpus(groups[g], &plen);
        assert_int_equal(plen, g == 0 ? 986 : 1068);
        for (size_t e = 0; e < sizeof exts / sizeof exts[0]; e++) {
            char name[128];
            snprintf(name, sizeof name, "%s%s", groups[g], exts[e]);
            uint64_t n, dlen;
            uint8_t *p = read_corpus(name, &n), *out;
            jl_error err;
            assert_int_equal(jl_decompress(jl_detect(p, n), p, n, NULL, 1 << 20, &out, &dlen, &err),
                             JL_OK);
            assert_int_equal(dlen, plen);
            assert_memory_equal(out, pkl, plen);
            free(out);
            free(p);
        }
        free(pkl);
    }
    /* 0.10.0 py27: the gzip and zlib "compressed_pickle" dumps hold the same 986 bytes */
    uint64_t n1, n2, d1, d2;
    uint8_t *a = read_corpus("joblib_0.10.0_compressed_pickle_py27_np16.gz", &n1);
    uint8_t *b = read_corpus("joblib_0.10.0_compressed_pickle_py27_np17.gz", &n2);
    uint8_t *oa, *ob;
    jl_error err;
    assert_int_equal(jl_decompress(JL_COMP_GZIP, a, n1, NULL, 1 << 20, &oa, &d1, &err), JL_OK);
    assert_int_equal(jl_decompress(JL_COMP_ZLIB, b, n2, NULL, 1 << 20, &ob, &d2, &err), JL_OK);
    assert_int_equal(d1, 986);
    assert_int_equal(d2, 986);
    free(oa);
    free(ob);
    free(a);
    free(b);
}

/* The corpus files' headers, byte for byte (docs/FORMAT.md 2.2 deviations). */
static void test_corpus_headers(void **state) {
    (void)state;
    uint64_t n;
    uint8_t *p = read_corpus("joblib_0.10.0_pickle_py27_np17.pkl.lzma", &n);
    assert_memory_equal(p, "\x5d\x00\x00\x80\x00\xda\x03\x00\x00\x00\x00\x00\x00",
                        13); /* known size 986 */
    free(p);
    p = read_corpus("joblib_0.10.0_pickle_py27_np17.pkl.gzip", &n);
    assert_int_equal(p[3], 0x08); /* FNAME */
    free(p);
    p = read_corpus("joblib_0.8.4_compressed_pickle_py27_np17.gz", &n);
    assert_memory_equal(p, "ZF0x31f               \x78\x5e", 24); /* 20-wide: zlib at 22 */
    free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_python_bytes), cmocka_unit_test(test_headers),
        cmocka_unit_test(test_roundtrip),    cmocka_unit_test(test_limit),
        cmocka_unit_test(test_zf_header),    cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_corruption),   cmocka_unit_test(test_members),
        cmocka_unit_test(test_args),         cmocka_unit_test(test_alloc_failures),
    };
    const struct CMUnitTest corpus_tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_corpus_same_stream),
        cmocka_unit_test(test_corpus_prefixes),
        cmocka_unit_test(test_corpus_headers),
    };
    int failed = cmocka_run_group_tests_name("container", tests, NULL, NULL);
    if (!jl_test_corpus_dir()) {
        printf("skip: corpus not found (set JL_CORPUS_DIR); corpus tests not run\n");
        return failed ? 1 : 77;
    }
    failed += cmocka_run_group_tests_name("container_corpus", corpus_tests, NULL, NULL);
    return failed ? 1 : 0;
}
