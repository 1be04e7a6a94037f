#!/usr/bin/env bash
# test_install.sh - `cmake --install` into a temporary prefix, then the
# installed tree used as a user would:
#   - the files are where the README says (module, static library, header,
#     pkg-config file, CMake package);
#   - examples/c built with its Makefile (pkg-config) and with its
#     CMakeLists.txt (find_package), each run and its output checked;
#   - the installed joblib0.so loaded by the sqlite3 shell.
#
# Environment (ctest, tests/clients/CMakeLists.txt): JL_BUILD_DIR,
# JL_SOURCE_DIR, JL_VERSION, JL_CMAKE, JL_CC, JL_SQLITE3, JL_PRELOAD (set
# for sanitizer builds, whose static library needs the sanitizer runtime
# linked in). Exit status: 0 passed, 1 failed, 77 skipped (no make or
# pkg-config).
set -uo pipefail

build=${JL_BUILD_DIR:?JL_BUILD_DIR must be the build tree}
src=${JL_SOURCE_DIR:?JL_SOURCE_DIR must be the source tree}
version=${JL_VERSION:?JL_VERSION must be the project version}
cmake=${JL_CMAKE:-cmake}
cc=${JL_CC:-cc}
shell=${JL_SQLITE3:-sqlite3}

for tool in make pkg-config; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skip: $tool is not installed"
    exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
failed=0

check() {
  if [[ "$2" == "$3" ]]; then
    echo "ok   $1"
  else
    echo "FAIL $1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/     /'
    failed=1
  fi
}

# ---- install ---------------------------------------------------------------------
if ! "$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
  echo "FAIL cmake --install"
  cat "$tmp/install.log"
  exit 1
fi
echo "ok   cmake --install"

pc=$(find "$prefix" -name sqlite_joblib.pc | head -n 1)
config=$(find "$prefix" -name sqlite_joblibConfig.cmake | head -n 1)
for f in "$pc" "$config" "$prefix/include/sqlite_joblib.h"; do
  if [[ -z "$f" || ! -f "$f" ]]; then
    echo "FAIL installed file missing: ${f:-(pc or cmake config)}"
    find "$prefix" -type f | sed 's/^/     /'
    exit 1
  fi
done
export PKG_CONFIG_PATH="$(dirname "$pc")"
check "pkg-config version" "$version" "$(pkg-config --modversion sqlite_joblib)"
libdir=$(pkg-config --variable=libdir sqlite_joblib)
moduledir=$(pkg-config --variable=moduledir sqlite_joblib)
check "static library installed" "yes" "$([[ -f "$libdir/libjoblib.a" ]] && echo yes || echo no)"
check "module installed" "yes" "$([[ -f "$moduledir/joblib0.so" ]] && echo yes || echo no)"

# ---- examples/c, as a user builds it ---------------------------------------------------
# A sanitizer build installs an instrumented static library: link the runtime.
san=""
if [[ -n "${JL_PRELOAD:-}" ]]; then
  san="-fsanitize=address,undefined"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
fi

expected="\$: dict len=3
├── .coef: ndarray <f8 (3,) = [0.5, -1.25, 2.0]
├── .name: str = 'demo'
└── .classes: list len=2
    ├── [0]: str = 'no'
    └── [1]: str = 'yes'
yes
0.5 -1.25 2.0"

cp -r "$src/examples/c" "$tmp/make"
if make -C "$tmp/make" CC="$cc" CFLAGS="-O1 -Wall -Werror $san" LDFLAGS="$san" >"$tmp/make.log" 2>&1; then
  check "example (make + pkg-config)" "$expected" "$("$tmp/make/example" 2>&1)"
else
  echo "FAIL make examples/c"
  cat "$tmp/make.log"
  failed=1
fi

cp -r "$src/examples/c" "$tmp/cm"
if "$cmake" -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
     -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" >"$tmp/cmake.log" 2>&1 &&
   "$cmake" --build "$tmp/cm/build" >>"$tmp/cmake.log" 2>&1; then
  check "example (cmake + find_package)" "$expected" "$("$tmp/cm/build/example" 2>&1)"
else
  echo "FAIL cmake examples/c"
  cat "$tmp/cmake.log"
  failed=1
fi

# ---- the installed module --------------------------------------------------------------
if [[ -n "${JL_PRELOAD:-}" ]]; then
  export LD_PRELOAD="$JL_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}"
fi
out=$("$shell" -batch -init /dev/null :memory: -cmd ".load $moduledir/joblib0" \
        "SELECT json_extract(joblib_version(), '\$.version');" 2>&1)
check "installed module loads" "$version" "$out"

exit $failed
