#!/usr/bin/env bash
# test_deb.sh - the Debian package: `cpack -G DEB` of this build tree into a
# temporary directory, then, without installing it system-wide:
#   - its name, control fields (Package, Version, Depends on the compression
#     libraries and on libzip4, which the module dlopens) and file list
#     (`dpkg-deb --contents`): module, static library, header, pkg-config
#     file, CMake package;
#   - `apt-get install --simulate ./sqlite-joblib_*.deb` resolves (when
#     apt-get exists);
#   - `dpkg-deb -x` into a temporary directory: the sqlite3 shell loads
#     <tmp>/usr/lib/<triplet>/joblib0 by path; the extracted pkg-config
#     file points into the extracted tree;
#   - as root, when the package is not installed already: `dpkg -i`, then
#     `.load joblib0` by name in a plain shell (no LD_LIBRARY_PATH: the
#     loader finds /usr/lib/<triplet>/joblib0.so), then `dpkg -P`, which
#     leaves no file of it behind. Otherwise that step says why it skips.
#
# Environment (ctest): JL_BUILD_DIR, JL_VERSION, JL_SQLITE3, JL_CMAKE,
# JL_PRELOAD. Exit status: 0 passed, 1 failed, 77 skipped (no cpack or
# dpkg-deb).
set -uo pipefail

build=${JL_BUILD_DIR:?JL_BUILD_DIR must be the build tree}
version=${JL_VERSION:?JL_VERSION must be the project version}
shell=${JL_SQLITE3:-sqlite3}
cpack=$(dirname "${JL_CMAKE:-cmake}")/cpack
[[ -x $cpack ]] || cpack=$(command -v cpack || true)

for tool in "$cpack" dpkg-deb dpkg; do
  if [[ -z $tool ]] || ! command -v "$tool" >/dev/null 2>&1; then
    echo "skip: ${tool:-cpack} is not installed"
    exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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

# ---- cpack ---------------------------------------------------------------------------
if ! (cd "$build" && "$cpack" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1); then
  echo "FAIL cpack -G DEB"
  cat "$tmp/cpack.log"
  exit 1
fi
arch=$(dpkg --print-architecture)
deb="$tmp/out/sqlite-joblib_${version}_${arch}.deb"
if [[ ! -f $deb ]]; then
  echo "FAIL no $deb"
  ls "$tmp/out"
  exit 1
fi
echo "ok   cpack -G DEB: $(basename "$deb")"

check "Package" "sqlite-joblib" "$(dpkg-deb -f "$deb" Package)"
check "Version" "$version" "$(dpkg-deb -f "$deb" Version)"
depends=$(dpkg-deb -f "$deb" Depends)
case "$depends" in
  *zlib1g*) echo "ok   Depends names zlib1g ($depends)" ;;
  *) echo "FAIL Depends: $depends"; failed=1 ;;
esac
# libzip is dlopened at the first .npz (dpkg-shlibdeps cannot see it): named by CMakeLists.txt
if [[ ${JL_HAVE_LIBZIP:-0} == 1 ]]; then
  zip_pkg=${JL_LIBZIP_PACKAGE:-libzip4}
  case ", $depends" in
    *", $zip_pkg"*) echo "ok   Depends names $zip_pkg, which the module loads at run time" ;;
    *) echo "FAIL Depends lacks $zip_pkg: $depends"; failed=1 ;;
  esac
fi
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null)
lib="usr/lib/${triplet:?no multiarch triplet (dpkg-architecture or gcc -print-multiarch)}"
check "file list" "./usr/include/sqlite_joblib.h
./$lib/cmake/sqlite_joblib/sqlite_joblibConfig.cmake
./$lib/cmake/sqlite_joblib/sqlite_joblibConfigVersion.cmake
./$lib/joblib0.so
./$lib/libjoblib.a
./$lib/pkgconfig/sqlite_joblib.pc" "$(dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ {print $NF}' | sort)"

if command -v apt-get >/dev/null 2>&1; then
  if out=$(apt-get install --simulate "$deb" 2>&1); then
    case "$out" in
      *"Inst sqlite-joblib ($version"*) echo "ok   apt-get install --simulate" ;;
      *) echo "FAIL apt-get install --simulate"; printf '%s\n' "$out" | tail -5; failed=1 ;;
    esac
  else
    echo "FAIL apt-get install --simulate"
    printf '%s\n' "$out" | tail -10
    failed=1
  fi
fi

# ---- the extracted tree ------------------------------------------------------------
root="$tmp/root"
dpkg-deb -x "$deb" "$root"
if [[ -n "${JL_PRELOAD:-}" ]]; then
  export LD_PRELOAD="$JL_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
fi
sql="SELECT json_extract(joblib_version(), '\$.version');"
check "shell: .load <tree>/$lib/joblib0" "$version" \
  "$("$shell" -batch -init /dev/null :memory: -cmd ".load $root/$lib/joblib0" "$sql" 2>&1)"
if command -v pkg-config >/dev/null 2>&1; then
  check "pkg-config moduledir in the tree" "$root/$lib" \
    "$(PKG_CONFIG_PATH="$root/$lib/pkgconfig" pkg-config --variable=moduledir sqlite_joblib | xargs realpath -m)"
fi

# ---- installed for real, then removed ----------------------------------------------
if [[ $(id -u) != 0 ]]; then
  echo "skip dpkg -i: not root"
elif [[ $(env -u LD_PRELOAD dpkg-query -W -f='${Status}' sqlite-joblib 2>/dev/null) == *" installed" ]]; then
  echo "skip dpkg -i: sqlite-joblib is installed on this machine already (left as it is)"
elif ! out=$(env -u LD_PRELOAD dpkg -i "$deb" 2>&1); then
  echo "FAIL dpkg -i"
  printf '%s\n' "$out" | tail -10
  env -u LD_PRELOAD dpkg -P sqlite-joblib >/dev/null 2>&1
  failed=1
else
  echo "ok   dpkg -i $(basename "$deb")"
  check "shell: .load joblib0 by name, installed" "$version" \
    "$(cd "$tmp" && env -u LD_LIBRARY_PATH "$shell" -batch -init /dev/null :memory: -cmd ".load joblib0" "$sql" 2>&1)"
  if command -v pkg-config >/dev/null 2>&1; then
    check "pkg-config finds the installed package" "/$lib" \
      "$(env -u PKG_CONFIG_PATH -u LD_PRELOAD pkg-config --variable=moduledir sqlite_joblib | xargs realpath -m)"
  fi
  if out=$(env -u LD_PRELOAD dpkg -P sqlite-joblib 2>&1); then
    echo "ok   dpkg -P sqlite-joblib"
  else
    echo "FAIL dpkg -P sqlite-joblib"
    printf '%s\n' "$out" | tail -5
    failed=1
  fi
  check "no file left after dpkg -P" "no" "$([[ -e /$lib/joblib0.so ]] && echo yes || echo no)"
fi
exit $failed
