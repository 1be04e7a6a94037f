"""Pickles shaped like those of pandas 2.0-2.2, written without that pandas
(the test machine has 1.5.3): stand-in classes named as pandas 2.x names
them, pickled by Python's pure-Python pickler at protocol 5 (what
DataFrame.to_pickle uses), so that the opcodes are the ones such a file
holds: STACK_GLOBAL, NEWOBJ + BUILD for plain objects, REDUCE for the
__reduce__ of pandas' Cython classes, numpy arrays as
numpy.core.numeric._frombuffer(BYTEARRAY8, dtype, shape, order).

What pandas 2.x writes, from its source (read for this script):

  DataFrame / Series  NDFrame.__getstate__ (pandas/core/generic.py): NEWOBJ
                      + BUILD {'_mgr', '_typ', '_metadata', 'attrs',
                      '_flags', **meta}; a Series's _metadata is ['_name']
                      (pandas/core/series.py, 2.0 on; 1.x: ['name']), so
                      its name is under '_name'
  BlockManager        pandas/_libs/internals.pyx BlockManager.__reduce__:
                      (type(self), (blocks, axes)), SingleBlockManager
                      (type(self), (block, axis))
  blocks              SharedBlock.__reduce__: (_unpickle_block,
                      (values, mgr_locs.indexer, ndim)); the indexer is a
                      slice or an intp array (BlockPlacement)
  Index               pandas/core/indexes/base.py Index.__reduce__:
                      _new_Index(cls, {'data': self._data, 'name': ...});
                      no Int64Index any more (an Index of int64 data);
                      RangeIndex {'name', 'start', 'stop', 'step'};
                      DatetimeIndex _new_DatetimeIndex(cls, {'data':
                      DatetimeArray, 'name', 'freq'})
  NDArrayBacked       pandas/_libs/arrays.pyx: no __reduce__, so Cython's
  arrays              __pyx_unpickle_NDArrayBacked(cls, checksum, None) +
                      BUILD (dtype, ndarray, __dict__) (its __setstate__
                      takes that tuple, also with dtype and data swapped);
                      DatetimeArray, Categorical, StringArray, PeriodArray,
                      NumpyExtensionArray (2.1's name for PandasArray)
  dtypes              PeriodDtype.__reduce__ (pandas/core/dtypes/dtypes.py):
                      (PeriodDtype, (self.name,)): 'period[M]', not 1.x's
                      offset object; DatetimeTZDtype and CategoricalDtype
                      PandasExtensionDtype.__getstate__ {'unit', 'tz'} /
                      {'categories', 'ordered'}; StringDtype (2.0-2.2, a
                      StorageExtensionDtype) NEWOBJ + {'storage'}
  masked arrays       IntegerArray and the others: NEWOBJ + BUILD
                      {'_data', '_mask'}

Files new_frame.pkl, new_series.pkl and new_tz_index.pkl use numpy 1.x's
names and load in pandas 1.5.3 too (test_pandas_frames.py checks that it
reads the same frame); new_numpy2.pkl has numpy 2's
numpy._core.numeric._frombuffer and a NumpyExtensionArray, which 1.5.3
cannot load: it is checked against the expectation only.

Used by test_pandas_frames.py (imported, or run: `new_pandas_pickles.py
DIR` writes the files into DIR).
"""
import pickle
import sys

import numpy as np

import old_pandas_pickles as old


class Reduced:
    """func(*args) with a BUILD state, as Cython's auto-pickle writes."""

    def __init__(self, func, args, state):
        self.func, self.args, self.state = func, args, state

    def __reduce__(self):
        return (self.func, self.args, self.state)


NUMPY2 = {"_frombuffer": "numpy._core.numeric"}


class Pickler(pickle._Pickler):
    """Protocol 5; stand-ins as STACK_GLOBALs of their pandas names; with
    numpy2, numpy's functions under numpy 2's module names."""

    def __init__(self, f, numpy2=False):
        super().__init__(f, protocol=5)
        self.numpy2 = numpy2

    def save_global(self, obj, name=None):
        module = None
        if isinstance(obj, type) and issubclass(obj, old.Old):
            module, qual = obj.__module__, obj.__qualname__
        elif self.numpy2 and getattr(obj, "__name__", None) in NUMPY2:
            module, qual = NUMPY2[obj.__name__], obj.__name__
        if module is None:
            return super().save_global(obj, name)
        self.save(module)
        self.save(qual)
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)


C = old.old_class
DataFrame = C("pandas.core.frame", "DataFrame")
Series = C("pandas.core.series", "Series")
BlockManager = C("pandas.core.internals.managers", "BlockManager")
SingleBlockManager = C("pandas.core.internals.managers", "SingleBlockManager")
_unpickle_block = C("pandas._libs.internals", "_unpickle_block")
_new_Index = C("pandas.core.indexes.base", "_new_Index")
_new_DatetimeIndex = C("pandas.core.indexes.datetimes", "_new_DatetimeIndex")
Index = C("pandas.core.indexes.base", "Index")
RangeIndex = C("pandas.core.indexes.range", "RangeIndex")
MultiIndex = C("pandas.core.indexes.multi", "MultiIndex")
DatetimeIndex = C("pandas.core.indexes.datetimes", "DatetimeIndex")
unpickle_backed = C("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked")
DatetimeArray = C("pandas.core.arrays.datetimes", "DatetimeArray")
Categorical = C("pandas.core.arrays.categorical", "Categorical")
StringArray = C("pandas.core.arrays.string_", "StringArray")
PeriodArray = C("pandas.core.arrays.period", "PeriodArray")
NumpyExtensionArray = C("pandas.core.arrays.numpy_", "NumpyExtensionArray")
IntegerArray = C("pandas.core.arrays.integer", "IntegerArray")
DatetimeTZDtype = C("pandas.core.dtypes.dtypes", "DatetimeTZDtype")
CategoricalDtype = C("pandas.core.dtypes.dtypes", "CategoricalDtype")
PeriodDtype = C("pandas.core.dtypes.dtypes", "PeriodDtype")
NumpyEADtype = C("pandas.core.dtypes.dtypes", "NumpyEADtype")
StringDtype = C("pandas.core.arrays.string_", "StringDtype")
_UTC = C("pytz", "_UTC")
_p = C("pytz", "_p")

CHECKSUM = 223698104  # what pandas' Cython writes for NDArrayBacked's layout
FLAGS = {"allows_duplicate_labels": True}


def backed(cls, dtype, data, attrs=None, swap=False):
    state = (data, dtype, attrs or {}) if swap else (dtype, data, attrs or {})
    return Reduced(unpickle_backed, (cls, CHECKSUM, None), state)


def index(data, name=None, cls=Index):
    return old.Call(_new_Index, cls, {"data": data, "name": name})


def range_index(start, stop, step=1, name=None):
    return old.Call(_new_Index, RangeIndex, {"name": name, "start": start, "stop": stop, "step": step})


def block(values, locs, ndim=2):
    return old.Call(_unpickle_block, values, locs, ndim)


def frame(blocks, columns, rows):
    mgr = old.Call(BlockManager, tuple(blocks), [columns, rows])
    return DataFrame({"_mgr": mgr, "_typ": "dataframe", "_metadata": [], "attrs": {}, "_flags": FLAGS})


def objects(*vals):
    a = np.empty(len(vals), dtype=object)
    a[:] = vals
    return a


def files():
    """name -> (object to pickle, what the joblib table should hold, numpy2)."""
    out = {}
    ns = np.array(["2024-03-01T10:00", "NaT", "2024-03-03T00:00:00.5"], dtype="<M8[ns]")
    paris = DatetimeTZDtype({"unit": "ns", "tz": Reduced(_p, ("Europe/Paris", 3600, 0, "CET"), None)})
    cats = CategoricalDtype({"categories": index(objects("lo", "hi")), "ordered": False})
    blocks = [
        block(np.array([[1, 2, 3], [40, 50, 60]], dtype="<i8"), slice(0, 4, 3)),        # a, d
        block(np.array([[0.5, np.nan, 2.5]], dtype="<f8"), np.array([1], dtype="<i8")),  # f
        block(np.array([["x", None, "zé"]], dtype=object), slice(2, 3, 1)),            # s
        block(backed(DatetimeArray, np.dtype("<M8[ns]"), ns.reshape(1, 3), {"_freq": None}), slice(4, 5, 1)),
        block(backed(DatetimeArray, paris, ns.reshape(1, 3), {"_freq": None}), slice(5, 6, 1)),
        block(backed(Categorical, cats, np.array([1, -1, 0], dtype="i1")), slice(6, 7, 1)),
        block(IntegerArray({"_data": np.array([7, 0, -9], dtype="<i8"),
                            "_mask": np.array([False, True, False])}), slice(7, 8, 1)),
        block(backed(StringArray, StringDtype({"storage": "python"}), objects("p", None, "r")), slice(8, 9, 1)),
        block(backed(PeriodArray, old.Call(PeriodDtype, "period[M]"),
                     np.array([[648, -9223372036854775808, 650]], dtype="<i8"), swap=True), slice(9, 10, 1)),
    ]
    cols = index(objects("a", "f", "s", "d", "t", "tz", "c", "m", "str", "per"))
    rows = index(np.array([10, 20, 30], dtype="<i8"), name="id")
    want = (["id", "a", "f", "s", "d", "t", "tz", "c", "m", "str", "per"],
            [(10, 1, 0.5, "x", 40, "2024-03-01T10:00:00.000000000", "2024-03-01T10:00:00.000000000Z", "hi", 7,
              "p", "2024-01"),
             (20, 2, None, None, 50, None, None, None, None, None, None),
             (30, 3, 2.5, "zé", 60, "2024-03-03T00:00:00.500000000", "2024-03-03T00:00:00.500000000Z", "lo", -9,
              "r", "2024-03")])
    out["new_frame.pkl"] = (frame(blocks, cols, rows), want, False)
    # a Series: its name under '_name'
    ser = Series({"_mgr": old.Call(SingleBlockManager, block(np.array([1.5, np.nan], dtype="<f8"), slice(0, 2, 1), 1),
                                   range_index(0, 2)),
                  "_typ": "series", "_metadata": ["_name"], "attrs": {}, "_flags": FLAGS, "_name": "amount"})
    out["new_series.pkl"] = (ser, (["index", "amount"], [(0, 1.5), (1, None)]), False)
    # a DatetimeIndex with a tz (UTC) and a MultiIndex of columns
    utc = DatetimeTZDtype({"unit": "ns", "tz": Reduced(_UTC, (), None)})
    when = old.Call(_new_DatetimeIndex, DatetimeIndex,
                    {"data": backed(DatetimeArray, utc, ns[[0, 2]], {"_freq": None}), "name": "when", "freq": None})
    mcols = old.Call(_new_Index, MultiIndex, {"levels": [index(objects("x", "y")), index(objects("a", "b"))],
                                             "codes": [np.array([0, 1], dtype="i1"), np.array([1, 1], dtype="i1")],
                                             "sortorder": None, "names": [None, None]})
    out["new_tz_index.pkl"] = (
        frame([block(np.array([[1.0, 2.0], [3.0, 4.0]], dtype="<f8"), slice(0, 2, 1))], mcols, when),
        (["when", "x|b", "y|b"], [("2024-03-01T10:00:00.000000000Z", 1.0, 3.0),
                                 ("2024-03-03T00:00:00.500000000Z", 2.0, 4.0)]), False)
    # numpy 2's module names and a NumpyExtensionArray (pandas 2.1+): not for pandas 1.5.3
    npea = backed(NumpyExtensionArray, NumpyEADtype({"_dtype": np.dtype("<i4")}), np.array([5, 6], dtype="<i4"))
    out["new_numpy2.pkl"] = (
        frame([block(np.array([[0.25, 0.5]], dtype="<f8"), slice(0, 1, 1)), block(npea, slice(1, 2, 1))],
              index(objects("v", "n")), range_index(0, 2)),
        (["index", "v", "n"], [(0, 0.25, 5), (1, 0.5, 6)]), True)
    return out


def write(directory):
    """Writes every file; returns {path: (expected (names, rows), loadable by pandas 1.5.3)}."""
    import os
    got = {}
    for name, (obj, want, numpy2) in files().items():
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            Pickler(f, numpy2).dump(obj)
        got[path] = (want, not numpy2)
    return got


if __name__ == "__main__":
    for p in write(sys.argv[1] if len(sys.argv) > 1 else "."):
        print(p)
