"""Pickles shaped like those of pandas 0.2x (0.20-0.25), written without
that pandas: stand-in classes named as pandas named them, pickled by
Python's pure-Python pickler at protocol 2, so that the opcodes are the
ones such a file holds (GLOBAL, NEWOBJ through copyreg.__newobj__, BUILD
with the state tuples and dicts of pandas' __getstate__).

What pandas 0.2x wrote, from its source (pandas/core/generic.py,
pandas/core/internals/managers.py, pandas/core/arrays/categorical.py,
pandas/core/indexes/base.py, multi.py, datetimes.py at v0.23.4 / v0.25.3):

  DataFrame / Series   NEWOBJ(cls) + BUILD {'_data': manager, '_typ':
                       'dataframe' | 'series', '_metadata': [...],
                       'name': ... (series)}
  BlockManager and     NEWOBJ(cls) + BUILD (axes, block values, block items,
  SingleBlockManager   {'0.14.1': {'axes': [...], 'blocks': [{'values': v,
                       'mgr_locs': slice | int array}]}})
  Index                _new_Index(cls, {'data': ndarray, 'name': ...});
                       RangeIndex {'name', 'start', 'stop', 'step'}
  MultiIndex           _new_Index(MultiIndex, {'levels', 'labels', 'names',
                       'sortorder'}) ('labels' before 0.24's 'codes')
  DatetimeIndex        _new_DatetimeIndex(cls, {'data': M8[ns] ndarray,
                       'name', 'freq', 'tz'}): the values of a tz-aware
                       block before 0.24
  Categorical          NEWOBJ(Categorical) + BUILD {'_codes': int array,
                       '_dtype': CategoricalDtype}; the dtype NEWOBJ + BUILD
                       {'categories': Index, 'ordered': bool}; before 0.21
                       {'_codes', '_categories': Index, '_ordered'}

Used by test_pandas_frames.py (imported, or run: `old_pandas_pickles.py
DIR` writes the files into DIR).
"""
import copyreg
import os
import pickle
import sys

import numpy as np


class Old:
    """An instance of an old pandas class: cls.__new__(cls) + BUILD state."""

    def __init__(self, state):
        self._state = state

    def __reduce_ex__(self, proto):
        return (copyreg.__newobj__, (type(self),), self._state)


def old_class(module, name):
    return type(name, (Old,), {"__module__": module, "__qualname__": name})


class Call:
    """func(*args) as a REDUCE, func an old pandas global."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


class Pickler(pickle._Pickler):
    """Writes the stand-in classes as GLOBALs of their pandas names."""

    def save_global(self, obj, name=None):
        if isinstance(obj, type) and issubclass(obj, Old):
            self.write(pickle.GLOBAL + ("%s\n%s\n" % (obj.__module__, obj.__qualname__)).encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)


DataFrame = old_class("pandas.core.frame", "DataFrame")
Series = old_class("pandas.core.series", "Series")
BlockManager = old_class("pandas.core.internals.managers", "BlockManager")
SingleBlockManager = old_class("pandas.core.internals.managers", "SingleBlockManager")
Categorical = old_class("pandas.core.arrays.categorical", "Categorical")
CategoricalDtype = old_class("pandas.core.dtypes.dtypes", "CategoricalDtype")
_new_Index = old_class("pandas.core.indexes.base", "_new_Index")
_new_DatetimeIndex = old_class("pandas.core.indexes.datetimes", "_new_DatetimeIndex")
Index = old_class("pandas.core.indexes.base", "Index")
Int64Index = old_class("pandas.core.indexes.numeric", "Int64Index")
RangeIndex = old_class("pandas.core.indexes.range", "RangeIndex")
MultiIndex = old_class("pandas.core.indexes.multi", "MultiIndex")
DatetimeIndex = old_class("pandas.core.indexes.datetimes", "DatetimeIndex")


def index(values, name=None, cls=Index):
    return Call(_new_Index, cls, {"data": np.asarray(values, dtype=object if cls is Index else None),
                                  "name": name})


def range_index(start, stop, step=1, name=None):
    return Call(_new_Index, RangeIndex, {"name": name, "start": start, "stop": stop, "step": step})


def manager(cls, axes, blocks):
    items = [None for _ in blocks]
    return cls((axes, [b["values"] for b in blocks], items, {"0.14.1": {"axes": axes, "blocks": blocks}}))


def frame(columns, index_, blocks):
    return DataFrame({"_data": manager(BlockManager, [columns, index_], blocks), "_typ": "dataframe",
                      "_metadata": []})


def files():
    """name -> (object to pickle, what the joblib table should hold)."""
    out = {}
    # int, float and object blocks; the float block's columns by an int array
    ints = np.array([[1, 2, 3], [4, 5, 6]], dtype="<i8")
    flts = np.array([[0.5, np.nan, 2.5]], dtype="<f8")
    objs = np.array([["x", None, "z"]], dtype=object)
    out["old_frame.pkl"] = (
        frame(index(["a", "f", "b", "s"]), range_index(0, 3),
              [{"values": ints, "mgr_locs": slice(0, 4, 2)},
               {"values": flts, "mgr_locs": np.array([1], dtype="<i8")},
               {"values": objs, "mgr_locs": slice(3, 4, 1)}]),
        (["index", "a", "f", "b", "s"],
         [(0, 1, 0.5, 4, "x"), (1, 2, None, 5, None), (2, 3, 2.5, 6, "z")]))
    # a tz-aware block held as a DatetimeIndex, a Categorical, a MultiIndex with 'labels'
    ns = np.array(["2018-03-01T05:00", "NaT", "2018-03-03T05:00"], dtype="M8[ns]")
    tz = Call(_new_DatetimeIndex, DatetimeIndex, {"data": ns, "name": None, "freq": None, "tz": "US/Eastern"})
    cat = Categorical({"_codes": np.array([1, -1, 0], dtype="i1"),
                       "_dtype": CategoricalDtype({"categories": index(["lo", "hi"]), "ordered": False})})
    mi = Call(_new_Index, MultiIndex, {"levels": [index([10, 20], cls=Int64Index), index(["p", "q"])],
                                       "labels": [np.array([0, 1, 1], dtype="i1"), np.array([1, 0, 1], dtype="i1")],
                                       "names": ["k", None], "sortorder": None})
    out["old_kinds.pkl"] = (
        frame(index(["when", "level"]), mi,
              [{"values": tz, "mgr_locs": slice(0, 1, 1)}, {"values": cat, "mgr_locs": slice(1, 2, 1)}]),
        (["k", "level_1", "when", "level"],
         [(10, "q", "2018-03-01T05:00:00.000000000Z", "hi"), (20, "p", None, None),
          (20, "q", "2018-03-03T05:00:00.000000000Z", "lo")]))
    # pandas < 0.21: a Categorical's categories and ordered without a dtype
    cat20 = Categorical({"_codes": np.array([0, 0, 1], dtype="i1"), "_categories": index(["u", "v"]),
                         "_ordered": True})
    out["old_cat020.pkl"] = (
        frame(index(["c"]), range_index(5, 8), [{"values": cat20, "mgr_locs": slice(0, 1, 1)}]),
        (["index", "c"], [(5, "u"), (6, "u"), (7, "v")]))
    # a Series
    vals = np.array([7, 8], dtype="<i4")
    mgr = manager(SingleBlockManager, [index(["r1", "r2"], name="row")],
                  [{"values": vals, "mgr_locs": slice(0, 2, 1)}])
    out["old_series.pkl"] = (
        Series({"_data": mgr, "_typ": "series", "_metadata": ["name"], "name": "qty"}),
        (["row", "qty"], [("r1", 7), ("r2", 8)]))
    return out


def write(directory):
    """Writes every file; returns {path: expected (names, rows)}."""
    got = {}
    for name, (obj, want) in files().items():
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            Pickler(f, protocol=2).dump(obj)
        got[path] = want
    return got


if __name__ == "__main__":
    for p in write(sys.argv[1] if len(sys.argv) > 1 else "."):
        print(p)
