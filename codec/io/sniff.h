/*
 * sniff.h - what a file that is not a bundle looks like, for messages:
 * a table of magic bytes (SQLite, zip, HDF5, Parquet, PNG, PDF, ...) and,
 * failing those, a look at the text (JSON, CSV, plain text).
 */
#ifndef JL_SNIFF_H
#define JL_SNIFF_H

#include "base.h"

/* A phrase for "it looks like ..." ("a SQLite database", "JSON", "CSV
 * text"), or NULL when the bytes are none of the kinds known. Reads at
 * most the first few KiB. */
const char *jl_sniff(const uint8_t *p, uint64_t n);

/* Sets err to the message for input that cannot be a pickle:
 * "not a joblib bundle or pickle: it looks like <kind>", or, when the kind
 * is unknown, "... it starts with bytes xx xx xx xx". Returns JL_E_FORMAT. */
int jl_sniff_fail(const uint8_t *p, uint64_t n, jl_error *err);

#endif
