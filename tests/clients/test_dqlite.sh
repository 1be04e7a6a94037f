#!/usr/bin/env bash
# test_dqlite.sh - the extension in a three-node dqlite cluster on 127.0.0.1.
#
# Starts three joblib-dqlite-node processes (examples/dqlite/node.c: the
# static library registered with sqlite3_auto_extension) in a temporary
# directory; node 1 bootstraps, nodes 2 and 3 join through the client
# protocol. Through go-dqlite's `dqlite` client it stores bundles made by
# joblib.dump (a scikit-learn model, a compressed array, a pandas DataFrame)
# as BLOBs (X'..' literals) and runs joblib_load, joblib_info and joblib_each
# queries, compared with the sqlite3 shell (.load joblib0) on the same rows.
# Then: the leader is stopped, a new leader answers the same (a row is
# added meanwhile); the old leader restarts, the third node is stopped, so a
# write commits only with the restarted node; at last the restarted node's
# data directory alone (`.reconfigure` to a one-node cluster) answers
# everything, the row added while it was down included.
#
# Every process it starts is stopped by pid (trap); every wait is bounded.
# Environment (ctest): JL_DQLITE_NODE, JL_MODULE, JL_SQLITE3, JL_PYTHON.
# Exit status: 0 passed, 1 failed, 77 skipped (libdqlite-dev or go-dqlite
# missing: scripts/install-deps test installs them; then re-run cmake).
set -uo pipefail

node_bin=${JL_DQLITE_NODE:-}
module=${JL_MODULE:?JL_MODULE must name joblib0.so}
shell=${JL_SQLITE3:-sqlite3}
python=${JL_PYTHON:-/usr/bin/python3}
if [[ -z "$node_bin" || ! -x "$node_bin" ]]; then
  echo "skip: joblib-dqlite-node not built (libdqlite-dev missing at configure time)"
  exit 77
fi
if ! command -v dqlite >/dev/null; then
  echo "skip: the dqlite client is missing (Debian go-dqlite)"
  exit 77
fi
if [[ -n "${JL_PRELOAD:-}" ]]; then
  echo "skip: not under sanitizers (the Go client is not instrumented)"
  exit 77
fi

tmp=$(mktemp -d)
declare -A pid=()
cleanup() {
  for i in "${!pid[@]}"; do
    kill -KILL "${pid[$i]}" 2>/dev/null
    wait "${pid[$i]}" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' TERM INT HUP # (ctest's timeout) so that cleanup runs
failed=0
started=$SECONDS

# three ports from the pid, below the ephemeral range, on loopback only
base=$((20000 + ($$ % 4000) * 3))
addr=([1]="127.0.0.1:$base" [2]="127.0.0.1:$((base + 1))" [3]="127.0.0.1:$((base + 2))")
servers="${addr[1]},${addr[2]},${addr[3]}"

check() {
  if [[ "$2" == "$3" ]]; then
    echo "ok   $1"
  else
    echo "FAIL $1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/     /'
    failed=1
  fi
}

# start_node ID [JOIN_ADDRESS]
start_node() {
  mkdir -p "$tmp/n$1"
  "$node_bin" "$1" "${addr[$1]}" "$tmp/n$1" ${2:+"$2"} 2>>"$tmp/node$1.log" &
  pid[$1]=$!
}
# stop_node ID: SIGTERM, then at most 10 s before SIGKILL
stop_node() {
  local p=${pid[$1]} i
  kill -TERM "$p" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  unset "pid[$1]"
}
# dq SQL-or-dot-command [SERVERS]: the dqlite client, bounded
dq() { timeout 20 dqlite -s "${2:-$servers}" jl "$1" 2>&1; }
# single SQL: the sqlite3 shell with the module on the same rows
single() {
  "$shell" -batch -bail -init /dev/null "$tmp/single.db" -cmd ".load ${module%.so}" "$1" 2>&1
}
# wait_for DESCRIPTION COMMAND...: retries COMMAND for at most 30 s
wait_for() {
  local what=$1 i
  shift
  for ((i = 0; i < 150; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "FAIL timed out waiting for $what"
  failed=1
  return 1
}
voters() { [[ $(dq .cluster | grep -c '|voter$') == "$1" ]]; }
leader_is_not() { local l; l=$(dq .leader) && [[ -n "$l" && "$l" != "$1" && "$l" == 127.0.0.1:* ]]; }

# ---- the bundles, made by joblib.dump ----
"$python" - "$tmp" <<'EOF' || { echo "FAIL joblib.dump"; exit 1; }
import sys, joblib, numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
d = sys.argv[1]
X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [3.0, 1.5], [4.0, 3.0], [5.0, 2.0]])
y = np.array([0, 0, 0, 1, 1, 1])
joblib.dump(LogisticRegression(C=2.0).fit(X, y), f"{d}/model.pkl")
joblib.dump(np.arange(6, dtype="<f8").reshape(2, 3) / 4, f"{d}/arr.pkl.z", compress=3)
joblib.dump(pd.DataFrame({"x": [1.5, 2.5, 3.25], "label": ["a", "b", "c"]}), f"{d}/df.pkl")
joblib.dump({"late": np.array([7, 8, 9], dtype="<i4")}, f"{d}/late.pkl")
for name in ("model", "arr", "df", "late"):
    path = {"model": "model.pkl", "arr": "arr.pkl.z", "df": "df.pkl", "late": "late.pkl"}[name]
    with open(f"{d}/{name}.sql", "w") as f:
        f.write(f"INSERT INTO bundles VALUES ('{name}', X'{open(f'{d}/{path}', 'rb').read().hex()}')")
EOF

queries=(
  "SELECT name, length(b), joblib_info(b) ->> '\$.arrays[0].dtype', json_array_length(joblib_info(b), '\$.arrays') FROM bundles ORDER BY name"
  "SELECT hex(joblib_load(b, '\$.coef_')), hex(joblib_load(b, '\$.classes_')), CAST(joblib_load(b, '\$.C') AS TEXT) FROM bundles WHERE name = 'model'"
  "SELECT e.key, hex(e.value), e.dtype, e.shape FROM bundles, joblib_each(bundles.b) AS e WHERE bundles.name = 'arr'"
  "SELECT e.key, CAST(e.value AS TEXT) FROM bundles, joblib_each(bundles.b) AS e WHERE bundles.name = 'df'"
  "SELECT CAST(joblib_load(b, '\$.x[2]') AS TEXT), joblib_load(b, '\$.label'), joblib_info(b) ->> '\$.frames[0].columns[1].name' FROM bundles WHERE name = 'df'"
  "SELECT name, hex(joblib_load(b, '\$.late')) FROM bundles WHERE name = 'late'"
  "SELECT count(*), sum(joblib_info(b) ->> '\$.arrays[0].nbytes') FROM bundles"
)
# compare STAGE: every query through the cluster against the sqlite3 shell
compare() {
  local q i=0
  for q in "${queries[@]}"; do
    i=$((i + 1))
    check "$1: query $i" "$(single "$q")" "$(dq "$q")"
  done
}

# ---- form the cluster ----
start_node 1
wait_for "node 1 to lead" voters 1
start_node 2 "${addr[1]}"
wait_for "node 2 to join" voters 2
start_node 3 "${addr[1]}"
wait_for "node 3 to join" voters 3
check "three voters" "3" "$(dq .cluster | grep -c '|voter$')"

create="CREATE TABLE bundles(name TEXT PRIMARY KEY, b BLOB)"
check "create table" "" "$(dq "$create")"
single "$create"
for name in model arr df; do
  check "insert $name" "" "$(dq "$(cat "$tmp/$name.sql")")"
  single "$(cat "$tmp/$name.sql")"
done
check "the extension runs on the leader" "0.1" "$(dq "SELECT substr(joblib_version() ->> '\$.version', 1, 3)")"
# the error reaches the client as an error (go-dqlite 1.11 shows the column,
# not SQLite's message)
check "an extension error through the client" "Error: query:" "$(dq "SELECT joblib_load(X'00')" | head -1 | cut -c1-13)"
compare "cluster"

# ---- the leader stops; a new one answers with nothing lost ----
old=$(dq .leader)
old_id=0
for i in 1 2 3; do [[ "${addr[$i]}" == "$old" ]] && old_id=$i; done
if ((old_id == 0)); then
  echo "FAIL no leader: $old"
  exit 1
fi
echo "     leader $old (node $old_id) stops"
stop_node "$old_id"
wait_for "a new leader" leader_is_not "$old"
echo "     new leader $(dq .leader)"
check "insert late (old leader down)" "" "$(dq "$(cat "$tmp/late.sql")")"
single "$(cat "$tmp/late.sql")"
compare "new leader"

# ---- the old leader restarts and catches up ----
start_node "$old_id"
new=$(dq .leader)
other=0
for i in 1 2 3; do [[ $i != "$old_id" && "${addr[$i]}" != "$new" ]] && other=$i; done
# with the third node down, a write commits only when the restarted node
# holds the whole log (raft: it accepts an entry only after all before it)
echo "     node $other stops: the leader needs node $old_id for a quorum"
stop_node "$other"
mark="INSERT INTO bundles VALUES ('mark', joblib_dumps(joblib_dict('m', joblib_ndarray(x'0100000002000000', '<i4'))))"
check "write committed with the restarted node" "" "$(dq "$mark")"
single "$mark"
compare "restarted node in the quorum"

# ---- the restarted node's own data, alone ----
for i in "${!pid[@]}"; do stop_node "$i"; done
printf -- '- ID: %s\n  Address: %s\n  Role: 0\n' "$old_id" "${addr[$old_id]}" >"$tmp/alone.yaml"
check "reconfigure node $old_id alone" "OK" "$(dq ".reconfigure $tmp/n$old_id $tmp/alone.yaml" "${addr[$old_id]}")"
start_node "$old_id"
wait_for "node $old_id to lead alone" voters 1
compare "node $old_id alone"
stop_node "$old_id"

echo "     $((SECONDS - started)) s"
if ((failed)); then
  for i in 1 2 3; do sed "s/^/     node$i: /" "$tmp/node$i.log" 2>/dev/null; done
fi
exit "$failed"
