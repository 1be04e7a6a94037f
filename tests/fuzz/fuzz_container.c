/*
 * fuzz_container.c - libFuzzer target for the compression layer: the
 * input is decompressed with jl_decompress under a 1 MiB max_out, as the
 * container jl_detect finds, or, when it finds none, as the container the
 * first byte selects (so every decoder sees arbitrary bytes, not only
 * inputs with a valid magic). Output never exceeds max_out; what
 * decompresses recompresses and decompresses back to the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "container.h"
#include "doc_check.h"
#include "fuzz_limits.h"

#define ROUND_TRIP_MAX ((uint64_t)256 << 10)

static void round_trip(jl_compression c, const uint8_t *p, uint64_t n) {
    const jl_alloc *a = jl_alloc_default();
    uint8_t *z = NULL, *back = NULL;
    uint64_t zn, bn;
    jl_error err;
    int rc = jl_compress(c, 1, p, n, a, &z, &zn, &err);
    JL_CHECK(rc == JL_OK, "compressing %llu bytes as %s: %s", (unsigned long long)n, jl_compression_name(c),
             err.message);
    JL_CHECK(jl_detect(z, zn) == c, "%s output detected as %s", jl_compression_name(c),
             jl_compression_name(jl_detect(z, zn)));
    rc = jl_decompress(c, z, zn, a, n, &back, &bn, &err);
    JL_CHECK(rc == JL_OK, "decompressing our own %s: %s", jl_compression_name(c), err.message);
    JL_CHECK(bn == n && (n == 0 || memcmp(back, p, (size_t)n) == 0), "%s round trip changed the bytes",
             jl_compression_name(c));
    jl_free(a, z);
    jl_free(a, back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* detection of every short prefix reads only what it is given */
    for (size_t k = 0; k <= size && k < 32; k++) (void)jl_detect(data, k);
    jl_compression c = jl_detect(data, size);
    const uint8_t *in = data;
    uint64_t n = size;
    if (c == JL_COMP_NONE) {
        if (size == 0) return 0;
        c = (jl_compression)(1 + data[0] % (JL_COMP_COUNT - 1));
        in++;
        n--;
    }
    if (!jl_compression_available(c)) return 0;
    const jl_alloc *a = jl_alloc_default();
    uint8_t *out = NULL;
    uint64_t out_len = 0;
    jl_error err;
    int rc = jl_decompress(c, in, n, a, JL_FUZZ_MAX_OUT, &out, &out_len, &err);
    if (rc != JL_OK) {
        JL_CHECK(rc > JL_OK && rc <= JL_E_UNSAFE, "decompress returned %d", rc);
        JL_CHECK(err.code == (jl_code)rc, "error code %d, returned %d", err.code, rc);
        JL_CHECK(err.message[0], "empty error message");
        return 0;
    }
    JL_CHECK(out != NULL, "no output buffer");
    JL_CHECK(out_len <= JL_FUZZ_MAX_OUT, "%llu bytes out under a limit of %llu", (unsigned long long)out_len,
             (unsigned long long)JL_FUZZ_MAX_OUT);
    if (out_len) jl_check_sink ^= out[0] ^ out[out_len - 1];
    if (out_len <= ROUND_TRIP_MAX) round_trip(c, out, out_len);
    jl_free(a, out);
    return 0;
}
