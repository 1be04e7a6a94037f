/*
 * frame.h - pickled pandas DataFrames and Series read as what they are: a
 * column plan (table.h) with the index first and the columns in the
 * frame's order, made from the object nodes the decoder keeps (nothing
 * of pandas runs).
 *
 * A frame is an object whose state dict has `_typ` 'dataframe' or 'series'
 * and a block manager under `_mgr` (pandas >= 1.1) or `_data` (older):
 *
 *   BlockManager(blocks, axes)          a REDUCE (pandas >= 1.3); each block
 *                                       _unpickle_block(values, mgr_locs, ndim)
 *   SingleBlockManager(block, axis)     the same for a Series
 *   BUILD state (axes, values, items,   pandas' __getstate__ (every pandas
 *     {"0.14.1": {"axes", "blocks"}})   since 0.14.1): blocks are dicts of
 *                                       values and mgr_locs
 *
 *   ArrayManager: (arrays, [index,      pandas 1.x's mode.data_manager='array':
 *     columns]) state                   one 1-D array per column
 *
 * pandas 2.x pickles blocks and managers as 1.x does (its
 * _libs/internals.pyx: _unpickle_block, BlockManager.__reduce__); a
 * Series's name is under '_name' there, a PeriodDtype is pickled by its
 * name. Tested: pandas 1.5.3 files, 0.2x shapes
 * (tests/interop/old_pandas_pickles.py) and 2.x shapes
 * (tests/interop/new_pandas_pickles.py).
 *
 * axes are [columns, index] for a frame, [index] for a series. mgr_locs is
 * a slice(start, stop, step) or an int array of column positions; a block's
 * values hold one row per position (shape (k, n), C or F order; 1-D for
 * extension arrays and series).
 *
 * Values: numpy arrays (bool, ints, floats, datetime64, timedelta64,
 * object); pandas' NDArrayBacked arrays (DatetimeArray with or without a
 * tz, TimedeltaArray, Categorical, StringArray, PandasArray /
 * NumpyExtensionArray, PeriodArray: pdscalar.h's text); IntervalArray of
 * int or float bounds; SparseArray (IntIndex or BlockIndex rows, the
 * fill value elsewhere); masked arrays
 * (IntegerArray, FloatingArray, BooleanArray: data + mask); objects whose
 * state dict holds `_data` / `_ndarray` (older pickles) or `_codes` with
 * `_dtype` or (pandas < 0.21) `_categories` (older Categoricals); an Index
 * (the DatetimeIndex of a tz-aware block before pandas 0.24).
 *
 * Indexes: _new_Index(cls, dict) with RangeIndex (start, stop, step),
 * MultiIndex (levels, codes, names: one column per level) or any other
 * class with `data` (Index, Int64Index, Float64Index, DatetimeIndex by
 * _new_DatetimeIndex, CategoricalIndex ...), and `name`.
 *
 * Names: the index columns are named by the index's names, else `index`
 * (one level) or `level_0`, `level_1`, ... (a MultiIndex), as
 * DataFrame.reset_index names them; data columns by their labels: a str
 * as is, ints and floats in decimal, a MultiIndex label as its levels
 * joined by "|" ("x|a"); a series's one column by its name, else `value`.
 * A name seen before (without ASCII case) gets ":1", ":2" (table.h), so
 * duplicate labels stay separate columns in frame order.
 *
 * Cells: NaN, NaT, pandas' NA, None, masked entries and category code -1
 * are missing (SQL NULL); tz-aware datetimes are UTC ISO-8601 text with a
 * "Z"; timedelta64 the count of its unit (INTEGER); a category its
 * category's value.
 */
#ifndef JL_FRAME_H
#define JL_FRAME_H

#include "table.h"

/* MultiIndex levels accepted in one index. */
#define JL_FRAME_MAX_LEVELS 32

/* What a frame node is: 0 not a frame, 1 a DataFrame, 2 a Series. */
int jl_frame_kind(const jl_doc *doc, uint32_t id);

/* The plan of node id: a frame's columns (index first) when it is a frame,
 * else jl_table_plan_make's. Errors name what is wrong: "frame: block 1
 * places a column at position 5 of 4", "frame: column 'a': 3 values
 * where the index has 4"; values of a kind not read here name the
 * column's dtype and the path of its raw values, after `at` (the frame's
 * own path at[0..atn); NULL for "$"): "frame: column 'x' (dtype ArrowDtype): values
 * of class pandas.core.arrays.arrow.array.ArrowExtensionArray are not
 * supported; raw values at $._mgr.__args__[0][2].__args__[0]". *nindex,
 * when not NULL, is set to the number of index columns (0 for
 * non-frames). */
int jl_frame_plan_make(const jl_doc *doc, uint32_t id, const char *at, size_t atn, const jl_alloc *alloc,
                       jl_table_plan *p, uint32_t *nindex, jl_error *err);

#endif
