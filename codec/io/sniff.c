/*
 * sniff.c - naming the kind of a file that is not a bundle (sniff.h).
 * Magic bytes come from one table; text is told apart by its first
 * non-space byte (JSON) and its first line (CSV). Nothing here decides
 * whether bytes are a pickle: the decoder asks only after the pickle
 * start check failed, so a real pickle is never named something else.
 */
#include "sniff.h"

#include "text.h"

#include <stdio.h>
#include <string.h>

#define SNIFF_TEXT_BYTES 4096 /* bytes looked at to call something text */

typedef struct magic {
    uint32_t offset; /* where the magic sits */
    uint8_t len;
    const char *bytes;
    const char *kind; /* "it looks like <kind>" */
} magic;

/* clang-format off */
#define M(off, s, kind) { off, sizeof s - 1, s, kind }
/* clang-format on */

static const magic magics[] = {
    M(0, "SQLite format 3\0", "a SQLite database"),
    M(0, "PK\3\4", "a zip archive"),
    M(0, "PK\5\6", "a zip archive"),
    M(0, "\x89HDF\r\n\x1a\n", "an HDF5 file"),
    M(0, "PAR1", "a Parquet file"),
    M(0, "ARROW1", "an Arrow IPC file"),
    M(0, "\x89PNG\r\n\x1a\n", "a PNG image"),
    M(0, "\xff\xd8\xff", "a JPEG image"),
    M(0, "GIF87a", "a GIF image"),
    M(0, "GIF89a", "a GIF image"),
    M(0, "%PDF-", "a PDF"),
    M(0, "\177ELF", "an ELF executable"),
    M(0, "7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    M(0, "Rar!\x1a\x07", "a RAR archive"),
    M(0, "\x28\xb5\x2f\xfd", "a zstd-compressed file"),
    M(0, "CDF\1", "a NetCDF file"),
    M(0, "CDF\2", "a NetCDF file"),
    M(257, "ustar", "a tar archive"),
};

/* 1 when p[0..n) is printable UTF-8 text (tabs and line ends allowed);
 * when `cut` (the sample stops before the file does), a sequence cut by
 * the end of the sample is fine. */
static int is_text(const uint8_t *p, uint64_t n, int cut) {
    for (uint64_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return 0;
        if (c == 0x7F) return 0;
        uint32_t cp;
        unsigned k = jl_utf8_next(p + i, n - i, JL_UTF8_SURROGATES, &cp);
        if (!k) return cut && n - i < 4 && c >= 0xC0; /* cut at the end of the sample */
        i += k;
    }
    return 1;
}

static const char *sniff_text(const uint8_t *p, uint64_t n) {
    int cut = n > SNIFF_TEXT_BYTES;
    if (cut) n = SNIFF_TEXT_BYTES;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) p += 3, n -= 3; /* BOM */
    if (n == 0 || !is_text(p, n, cut)) return NULL;
    uint64_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    if (i == n) return "text";
    if (p[i] == '{' || p[i] == '[') return "JSON";
    /* CSV: a first line with a separator, and more than one line or fields */
    const uint8_t *nl = memchr(p + i, '\n', (size_t)(n - i));
    uint64_t line_end = nl ? (uint64_t)(nl - p) : n;
    int commas = 0;
    for (uint64_t k = i; k < line_end; k++) commas += p[k] == ',' || p[k] == ';' || p[k] == '\t';
    return commas ? "CSV text" : "text";
}

const char *jl_sniff(const uint8_t *p, uint64_t n) {
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        const magic *m = &magics[i];
        if (n >= (uint64_t)m->offset + m->len && memcmp(p + m->offset, m->bytes, m->len) == 0) return m->kind;
    }
    return sniff_text(p, n);
}

int jl_sniff_fail(const uint8_t *p, uint64_t n, jl_error *err) {
    const char *kind = jl_sniff(p, n);
    if (kind)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "not a joblib bundle or pickle: it looks like %s",
                       kind);
    char hex[3 * 8 + 1] = "";
    uint64_t k = n < 8 ? n : 8;
    for (uint64_t i = 0; i < k; i++) snprintf(hex + 3 * i, sizeof hex - 3 * i, "%02x ", p[i]);
    if (k) hex[3 * k - 1] = 0;
    return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "not a joblib bundle or pickle: it starts with bytes %s",
                   hex);
}
