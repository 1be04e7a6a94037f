/*
 * frame_write.h - builds, in a value tree, the pickle shape of a
 * pandas.DataFrame that pandas 1.5.3 itself writes, so that the bundle
 * writer (writer.h) produces a file joblib.load returns as a DataFrame.
 *
 *   DataFrame.__new__(DataFrame) + BUILD {'_mgr': BlockManager(blocks, axes),
 *     '_typ': 'dataframe', '_metadata': [], 'attrs': {},
 *     '_flags': {'allows_duplicate_labels': True}}
 *   blocks: (pandas._libs.internals._unpickle_block(values, slice(j, j+1, 1), 2), ...)
 *   axes:   [_new_Index(Index, {'data': names, 'name': None}),
 *            _new_Index(RangeIndex, {'name': None, 'start': 0, 'stop': n, 'step': 1})]
 *
 * One block per column (values of shape (1, nrows)); pandas consolidates
 * blocks of one dtype itself when it needs to. This is the shape of every
 * pickle pandas 1.x writes, and pandas 2.x loads those (its own test suite
 * keeps 1.x pickles as legacy data).
 */
#ifndef JL_FRAME_WRITE_H
#define JL_FRAME_WRITE_H

#include "value.h"

/* The DataFrame node of ncols columns: names[j] a str node, values[j] an
 * ndarray node of shape (1, nrows). With nrows 0 the row index is an
 * empty object Index (what pandas.read_sql gives), else a RangeIndex.
 * Returns the node or JL_NONE with err set. */
uint32_t jl_frame_write_build(jl_doc *doc, const uint32_t *names, const uint32_t *values, uint32_t ncols,
                              uint64_t nrows, jl_error *err);

#endif
