/*
 * half.c - float16 to and from double (half.h), bit by bit.
 */
#include "half.h"

#include <math.h>
#include <string.h>

double jl_half_to_double(uint16_t h) {
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v;
    if (e == 0) v = ldexp(m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

uint16_t jl_half_from_double(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000);
    int exp = (int)((b >> 52) & 0x7FF);
    uint64_t man = b & 0xFFFFFFFFFFFFFull;
    if (exp == 0x7FF) return (uint16_t)(sign | 0x7C00 | (man ? 0x200 : 0));
    int e = exp - 1023 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7C00);
    if (e <= 0) {
        if (e < -10) return sign;
        uint64_t full = man | ((uint64_t)1 << 52);
        unsigned shift = (unsigned)(43 - e);
        uint64_t m = full >> shift, rem = full & (((uint64_t)1 << shift) - 1), halfway = (uint64_t)1 << (shift - 1);
        if (rem > halfway || (rem == halfway && (m & 1))) m++;
        return (uint16_t)(sign | m);
    }
    uint16_t h = (uint16_t)(sign | (e << 10) | (man >> 42));
    uint64_t rem = man & (((uint64_t)1 << 42) - 1), halfway = (uint64_t)1 << 41;
    if (rem > halfway || (rem == halfway && (h & 1))) h++;
    return h;
}
