/*
 * seed_show.h - the joblib_show text of the seed bundles of seed_bytes.h,
 * checked by the codec's show test and again through SQL.
 */
#ifndef JL_SEED_SHOW_H
#define JL_SEED_SHOW_H

/* The seed [('a', [1, 2, 3]), ('b', np.arange(10))] at either protocol. */
static const char SEED_TEXT[] =
    "$: list len=2\n"
    "├── [0]: tuple len=2\n"
    "│   ├── [0]: str = 'a'\n"
    "│   └── [1]: list len=3\n"
    "│       ├── [0]: int = 1\n"
    "│       ├── [1]: int = 2\n"
    "│       └── [2]: int = 3\n"
    "└── [1]: tuple len=2\n"
    "    ├── [0]: str = 'b'\n"
    "    └── [1]: ndarray <i8 (10,) = [0, 1, 2, …, 7, 8, 9]";

#endif
