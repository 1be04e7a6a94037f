/*
 * half.h - IEEE 754 half precision (numpy's float16) to and from double,
 * as numpy converts: rounding to nearest, ties to even.
 */
#ifndef JL_HALF_H
#define JL_HALF_H

#include <stdint.h>

/* The exact double of half h (bits). */
double jl_half_to_double(uint16_t h);
/* The nearest half of d (bits), ties to even; too large is infinity, NaN
 * stays a (quiet) NaN. */
uint16_t jl_half_from_double(double d);

#endif
