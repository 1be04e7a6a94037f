#!/usr/bin/env bash
# test_npm_package.sh - the npm package sqlite-joblib (npm/) as a user
# installs it, with no registry access for the package itself:
#   - `npm pack` of a copy of npm/ with SQLITE_JOBLIB_MODULE=$JL_MODULE (the
#     prepack script puts this build's joblib0.so into the tarball); the
#     tarball's file list;
#   - `npm install --offline` of the tarball into an empty project, and of
#     the folder (its install script copies the module);
#   - load(db) and getLoadablePath() with better-sqlite3 12 and with libsql,
#     each writing and reading a bundle (tests/clients/npm/use.js).
#
# better-sqlite3 and libsql come from the npm registry once, then from a
# cache keyed by tests/clients/npm/package.json and the node version (as
# test_node.sh): $JL_NODE_CACHE, default ~/.cache/sqlite-joblib/node.
#
# Exit status: 0 passed, 1 failed, 77 skipped (no node or npm, or the
# registry cannot provide better-sqlite3 or libsql).
set -uo pipefail

module=${JL_MODULE:?JL_MODULE must name joblib0.so}
version=${JL_VERSION:?JL_VERSION must be the project version}
src=${JL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
deps_dir="$src/tests/clients/npm"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skip: $tool is not installed"
    exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_loglevel=error

# ---- better-sqlite3 and libsql, from the cache or the registry ---------------------
key=$( (cat "$deps_dir/package.json"; node --version) | sha256sum | cut -c1-16)
cache_root=${JL_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sqlite-joblib/node}
cache="$cache_root/$key"
if [[ ! -f "$cache/node_modules/better-sqlite3/package.json" || ! -d "$cache/node_modules/libsql" ]]; then
  for pkg in better-sqlite3@12 libsql@0.5; do
    if ! npm view "$pkg" version >/dev/null 2>&1; then
      echo "skip: the npm registry cannot provide $pkg"
      exit 77
    fi
  done
  mkdir -p "$tmp/deps"
  cp "$deps_dir/package.json" "$tmp/deps/"
  echo "npm install better-sqlite3 libsql (first run: may build better-sqlite3 from source) ..."
  if ! (cd "$tmp/deps" && npm install >"$tmp/npm.log" 2>&1); then
    if grep -qiE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|E404|network' "$tmp/npm.log"; then
      echo "skip: the npm registry failed during install"
      tail -5 "$tmp/npm.log"
      exit 77
    fi
    echo "FAIL npm install of better-sqlite3 and libsql"
    tail -30 "$tmp/npm.log"
    exit 1
  fi
  mkdir -p "$cache_root"
  mv -T "$tmp/deps" "$cache.$$" && { mv -T "$cache.$$" "$cache" 2>/dev/null || rm -rf "$cache.$$"; }
fi

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

# ---- npm pack ------------------------------------------------------------------------
cp -r "$src/npm" "$tmp/pkg"
rm -rf "$tmp/pkg/build" "$tmp/pkg/node_modules" "$tmp/pkg/joblib0.so" "$tmp/pkg"/*.tgz
check "package.json version" "$version" "$(node -p "require('$tmp/pkg/package.json').version")"
if ! (cd "$tmp/pkg" && SQLITE_JOBLIB_MODULE="$module" npm pack --offline --pack-destination "$tmp" >"$tmp/pack.log" 2>&1); then
  echo "FAIL npm pack"
  cat "$tmp/pack.log"
  exit 1
fi
tgz="$tmp/sqlite-joblib-$version.tgz"
check "npm pack made the tarball" "yes" "$([[ -f $tgz ]] && echo yes || echo no)"
check "tarball contents" "package/README.md
package/index.d.ts
package/index.js
package/install.js
package/joblib0.so
package/package.json" "$(tar tzf "$tgz" 2>&1 | sort)"
check "tarball module is this build's" "$(sha256sum <"$module")" "$(tar xzOf "$tgz" package/joblib0.so | sha256sum)"

# ---- npm install of the tarball and of the folder, offline --------------------------
expected() {
  printf '%s\n' "$1: node_modules/sqlite-joblib/joblib0.so" "version $version" \
    '$: dict len=2' '├── .coef: ndarray <f8 (2,) = [0.5, -1.25]' "└── .name: str = 'demo'" 'coef 0.5 -1.25'
}
run_use() {  # DIR DRIVER
  if [[ -n "${JL_PRELOAD:-}" ]]; then
    (cd "$1" && NODE_PATH="$cache/node_modules" LD_PRELOAD="$JL_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}" \
      ASAN_OPTIONS=detect_leaks=0 node use.js "$2" 2>&1)
  else
    (cd "$1" && NODE_PATH="$cache/node_modules" node use.js "$2" 2>&1)
  fi
}

for how in tarball folder; do
  app="$tmp/app-$how"
  mkdir -p "$app"
  echo '{"name": "app", "version": "1.0.0", "private": true}' >"$app/package.json"
  cp "$deps_dir/use.js" "$app/"
  if [[ $how == tarball ]]; then
    what=$tgz
    env=()
  else
    cp -r "$src/npm" "$tmp/folder"
    rm -rf "$tmp/folder/build" "$tmp/folder/node_modules" "$tmp/folder/joblib0.so" "$tmp/folder"/*.tgz
    what="$tmp/folder"
    env=(SQLITE_JOBLIB_MODULE="$module")
  fi
  if ! (cd "$app" && env "${env[@]}" npm install --offline "$what" >"$tmp/install-$how.log" 2>&1); then
    echo "FAIL npm install --offline of the $how"
    cat "$tmp/install-$how.log"
    failed=1
    continue
  fi
  echo "ok   npm install --offline of the $how"
  for driver in better-sqlite3 libsql; do
    if [[ $how == folder ]]; then
      # npm links a folder: the module is in the folder itself
      want=$(expected "$driver" | sed "s|node_modules/sqlite-joblib/joblib0.so|../folder/joblib0.so|")
    else
      want=$(expected "$driver")
    fi
    check "$how: $driver" "$want" "$(run_use "$app" "$driver")"
  done
done

major=$(NODE_PATH="$cache/node_modules" node -p "require('better-sqlite3/package.json').version.split('.')[0]")
check "better-sqlite3 major version" "12" "$major"
exit $failed
