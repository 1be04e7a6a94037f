#!/usr/bin/env bash
# test_node.sh - the extension in Node.js: better-sqlite3 12 from the npm
# registry, db.loadExtension(), running examples/node/example.js.
#
# npm installs into a temporary copy of examples/node (never into the
# source tree). Building better-sqlite3 can take minutes when no prebuilt
# binary can be downloaded, so the installed node_modules is kept in a
# cache keyed by package.json and the node version, shared by build trees:
# $JL_NODE_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/sqlite-joblib/node.
#
# Exit status: 0 passed, 1 failed, 77 skipped (no node or npm, or the npm
# registry cannot be reached).
set -uo pipefail

module=${JL_MODULE:?JL_MODULE must name joblib0.so}
version=${JL_VERSION:?JL_VERSION must be the project version}
src=${JL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
example_dir="$src/examples/node"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skip: $tool is not installed"
    exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- node_modules, from the cache or a fresh npm install ----------------------
key=$( (cat "$example_dir/package.json"; node --version) | sha256sum | cut -c1-16)
cache_root=${JL_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sqlite-joblib/node}
cache="$cache_root/$key"
if [[ ! -f "$cache/node_modules/better-sqlite3/package.json" ]]; then
  if ! npm view "better-sqlite3@12" version >/dev/null 2>&1; then
    echo "skip: the npm registry cannot be reached"
    exit 77
  fi
  mkdir -p "$tmp/install"
  cp "$example_dir/package.json" "$tmp/install/"
  echo "npm install (first run: may build better-sqlite3 from source) ..."
  if ! (cd "$tmp/install" && npm install --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1); then
    if grep -qiE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network' "$tmp/npm.log"; then
      echo "skip: the npm registry failed during install"
      tail -5 "$tmp/npm.log"
      exit 77
    fi
    echo "FAIL npm install"
    tail -30 "$tmp/npm.log"
    exit 1
  fi
  mkdir -p "$cache_root"
  # publish atomically: a concurrent run may have won the race, which is fine
  mv -T "$tmp/install" "$cache.$$" && { mv -T "$cache.$$" "$cache" 2>/dev/null || rm -rf "$cache.$$"; }
fi

# ---- a temporary copy of the example, with the cached modules ---------------------
work="$tmp/example"
mkdir -p "$work"
cp "$example_dir/package.json" "$example_dir/example.js" "$work/"
ln -s "$cache/node_modules" "$work/node_modules"

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

major=$(cd "$work" && node -p "require('better-sqlite3/package.json').version.split('.')[0]")
check "better-sqlite3 major version" "12" "$major"

run_node() {
  if [[ -n "${JL_PRELOAD:-}" ]]; then
    (cd "$work" && LD_PRELOAD="$JL_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}" ASAN_OPTIONS=detect_leaks=0 \
      node example.js "$@" 2>&1)
  else
    (cd "$work" && node example.js "$@" 2>&1)
  fi
}

out=$(run_node "$module")
check "exit status" "0" "$?"
check "example.js output" "sqlite-joblib $version
wrote 1 file(s)
\$: dict len=3
├── .coef: ndarray <f8 (3,) = [0.5, -1.25, 2.0]
├── .name: str = 'demo'
└── .classes: list len=2
    ├── [0]: str = 'no'
    └── [1]: str = 'yes'
coef = 0.5, -1.25, 2
\$ dict
\$.coef ndarray <f8
\$.name str
\$.classes list
\$.classes[0] str
\$.classes[1] str" "$out"

corpus=${JL_CORPUS_DIR:-}
bundle="$corpus/joblib_0.10.0_pickle_py27_np17.pkl.gzip"
if [[ -n "$corpus" && -f "$bundle" ]]; then
  out=$(run_node "$module" "$bundle" | tail -n 7)
  check "example.js with a corpus bundle" "\$: list len=6
├── [0]: ndarray <i8 (5,) = [0, 1, 2, 3, 4]
├── [1]: ndarray <f8 (5,) = [0.0, 1.0, 2.0, 3.0, 4.0]
├── [2]: ndarray |O (3,) = [1, 'abc', {…}]
├── [3]: bytes = b'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f !\"#\$%&\\''… (256 bytes)
├── [4]: ndarray numpy.matrixlib.defmatrix.matrix <i8 (1, 3) = [0, 1, 2]
└── [5]: str = \"C'est l'été !\"" "$out"
else
  echo "skip corpus bundle (no \$JL_CORPUS_DIR)"
fi

exit $failed
