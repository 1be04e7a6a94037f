/*
 * frameshow.h - the summary of a pandas frame that joblib_show prints
 * above its tree, in the spirit of DataFrame.info() and repr:
 *
 *   DataFrame: 4 rows × 5 columns
 *   index: order int64
 *   columns: region object, amount float64, units Int64, day datetime64[ns], kind category
 *   order  region  amount  units  day                            kind
 *   101    north   12.5    3      2024-01-02T00:00:00.000000000  a
 *   102    south   NULL    NULL   2024-01-03T00:00:00.000000000  b
 *   …
 *
 * Rows are the table's (frame.h): the index columns then the data
 * columns, cells as text (missing ones NULL, long ones cut with "…"),
 * aligned by character; the first and last `edge_rows` rows when there
 * are more than 2 * edge_rows, with a "… N more rows" line between. A
 * frame that cannot be read as a table gives one line saying why.
 */
#ifndef JL_FRAMESHOW_H
#define JL_FRAMESHOW_H

#include "value.h"

/* Appends the summary of frame node `id` (jl_frame_kind != 0, at path
 * at[0..atn), NULL for "$") to b, each line ending in "\n". Errors:
 * JL_E_NOMEM / JL_E_LIMIT (b failed). */
int jl_frame_show(const jl_doc *doc, uint32_t id, const char *at, size_t atn, uint64_t edge_rows, jl_buf *b,
                  jl_error *err);

#endif
