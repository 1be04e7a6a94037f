#!/usr/bin/env bash
# test_shell.sh - the extension in the sqlite3 shell, loaded the way the
# README says: `.load ./joblib0` from the module's directory (the shell adds
# the .so and finds sqlite3_joblib_init from the file name).
#
# Checks the exact output of: joblib_version, a bundle written and read in
# one session (joblib_dump, joblib_show, joblib_load, joblib_tree), an error
# message, and joblib_show of a bundle from joblib's own test corpus (when
# $JL_CORPUS_DIR exists).
#
# Environment (set by ctest, tests/clients/CMakeLists.txt): JL_MODULE,
# JL_SQLITE3, JL_VERSION, JL_CORPUS_DIR, JL_PRELOAD (the ASan runtime, for
# sanitizer builds). Exit status: 0 passed, 1 failed.
set -uo pipefail

module=${JL_MODULE:?JL_MODULE must name joblib0.so}
shell=${JL_SQLITE3:-sqlite3}
version=${JL_VERSION:?JL_VERSION must be the project version}
if [[ -n "${JL_PRELOAD:-}" ]]; then
  export LD_PRELOAD="$JL_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# check NAME EXPECTED ACTUAL
check() {
  if [[ "$2" == "$3" ]]; then
    echo "ok   $1"
  else
    echo "FAIL $1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/     /'
    failed=1
  fi
}

# run_shell SQL: runs SQL in a fresh in-memory database with the module
# loaded from its directory; stdout and stderr together.
run_shell() {
  (cd "$(dirname "$module")" && "$shell" -batch -bail -init /dev/null :memory: \
      -cmd ".load ./$(basename "$module" .so)" "$1" 2>&1)
}

out=$(run_shell "SELECT json_extract(joblib_version(), '\$.version');")
check "version" "$version" "$out"

out=$(run_shell "SELECT count(*) FROM json_each(joblib_version(), '\$.compressors') WHERE value IN ('zlib', 'gzip', 'zf');")
check "compressors" "3" "$out"

bundle="$tmp/model.pkl.gz"
out=$(run_shell "
SELECT json_array_length(joblib_dump(joblib_dict(
         'coef', joblib_ndarray(x'000000000000e03f000000000000f4bf0000000000000040', '<f8', '[1, 3]'),
         'classes', joblib_list('no', 'yes'), 'params', json('{\"C\": 1.5, \"fit\": true}')),
       '$bundle'));
SELECT joblib_show('$bundle');
SELECT joblib_show('$bundle', '\$.params', 0);
SELECT joblib_load('$bundle', '\$.classes[#-1]');
SELECT group_concat(fullkey, ' ') FROM joblib_tree('$bundle');
SELECT json_extract(joblib_info('$bundle'), '\$.compression');
")
check "write and read" "1
$: dict len=3
├── .coef: ndarray <f8 (1, 3) = [0.5, -1.25, 2.0]
├── .classes: list len=2
│   ├── [0]: str = 'no'
│   └── [1]: str = 'yes'
└── .params: dict len=2
    ├── .C: float = 1.5
    └── .fit: bool = True
\$.params: dict len=2
yes
\$ \$.coef \$.classes \$.classes[0] \$.classes[1] \$.params \$.params.C \$.params.fit
gzip" "$out"

out=$(run_shell "SELECT joblib_show('$tmp/missing.pkl');")
status=$?
check "error exit status" "1" "$status"
case "$out" in
  *"joblib: "*"$tmp/missing.pkl"*) echo "ok   error message" ;;
  *) echo "FAIL error message: $out"; failed=1 ;;
esac

corpus=${JL_CORPUS_DIR:-}
if [[ -n "$corpus" && -f "$corpus/joblib_0.11.0_pickle_py36_np111.pkl.xz" ]]; then
  out=$(run_shell "SELECT joblib_show('$corpus/joblib_0.11.0_pickle_py36_np111.pkl.xz');")
  check "corpus bundle" "$(cat <<'TEXT'
$: list len=6
├── [0]: ndarray <i8 (5,) = [0, 1, 2, 3, 4]
├── [1]: ndarray <f8 (5,) = [0.0, 1.0, 2.0, 3.0, 4.0]
├── [2]: ndarray |O (3,) = [1, 'abc', {…}]
├── [3]: bytes = b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f !"#$%&\''… (256 bytes)
├── [4]: ndarray numpy.matrixlib.defmatrix.matrix <i8 (1, 3) = [0, 1, 2]
└── [5]: str = "C'est l'été !"
TEXT
)" "$out"
else
  echo "skip corpus bundle (no \$JL_CORPUS_DIR)"
fi

exit $failed
