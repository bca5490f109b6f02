#!/usr/bin/env bash
# Integration: dfsctl node list/show/drain/undrain/remove, volume set, status summary, bad arguments.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
start_cluster 3

jq_py() {  # jq_py EXPR < JSON: prints the Python expression EXPR evaluated on the document `d`
  python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
node_field() {  # node_field ID FIELD: FIELD of node ID in `node list --json` (Python repr)
  dfsctl node list --json | jq_py "[n['$2'] for n in d['nodes'] if n['nodeId'] == $1][0]"
}
expect_fail() {  # expect_fail WHAT CMD...: CMD must exit non-zero within 30 s and say why on stderr
  local what=$1 rc=0
  shift
  timeout 30 "$@" >"$DFS_ROOT/out" 2>"$DFS_ROOT/err" || rc=$?
  (( rc != 124 )) || fail "$what: hung"
  (( rc != 0 )) || fail "$what: exited 0"
  [[ -s "$DFS_ROOT/err" ]] || fail "$what: exit $rc without a message on stderr"
  log "$what: exit $rc: $(head -n 1 "$DFS_ROOT/err")"
}

# --- node list / show ---
dfsctl node list --json >"$DFS_ROOT/nodes.json"
assert_eq 3 "$(jq_py 'len(d["nodes"])' <"$DFS_ROOT/nodes.json")" "nodes in node list --json"
for key in nodeId address health state draining load dataDirs listedBlocks checksumErrors \
           lastHeartbeatAgeMs capacityBytes usedBytes freeBytes; do
  assert_eq True "$(jq_py "all('$key' in n for n in d['nodes'])" <"$DFS_ROOT/nodes.json")" \
    "every node has '$key'"
done
assert_eq True "$(jq_py "all('avgLatencyUs' in n['load'] for n in d['nodes'])" <"$DFS_ROOT/nodes.json")" \
  "every node has load.avgLatencyUs"
read -r ID1 ID2 ID3 < <(jq_py "' '.join(str(n['nodeId']) for n in d['nodes'])" <"$DFS_ROOT/nodes.json")
log "node ids: $ID1 $ID2 $ID3"

dfsctl node list >"$DFS_ROOT/list.txt"
head -n 1 "$DFS_ROOT/list.txt" | grep -q 'STATE' || fail "node list has no STATE column"
head -n 1 "$DFS_ROOT/list.txt" | grep -q 'HEARTBEAT AGE' || fail "node list has no HEARTBEAT AGE column"
assert_eq 4 "$(wc -l <"$DFS_ROOT/list.txt")" "node list lines (header + 3)"

dfsctl node show "$ID2" >"$DFS_ROOT/show.txt"
grep -q "^Node $ID2\$" "$DFS_ROOT/show.txt" || fail "node show $ID2: no 'Node $ID2' line"
addr=$(node_field "$ID2" address)
grep -q "$addr" "$DFS_ROOT/show.txt" || fail "node show $ID2 does not show its address $addr"
assert_eq "$ID2" "$(dfsctl node show "$ID2" --json | jq_py 'd["node"]["nodeId"]')" "node show --json id"

rc=0
dfsctl node show 999 >"$DFS_ROOT/out" 2>"$DFS_ROOT/err" || rc=$?
assert_eq 1 "$rc" "exit code of node show 999"
grep -q "no node 999" "$DFS_ROOT/err" || fail "node show 999: unclear message: $(cat "$DFS_ROOT/err")"

# --- drain / undrain ---
dfsctl node drain "$ID1" >"$DFS_ROOT/out"
grep -q "node $ID1: draining" "$DFS_ROOT/out" || fail "node drain: unexpected output: $(cat "$DFS_ROOT/out")"
assert_eq True "$(node_field "$ID1" draining)" "node $ID1 draining after drain"
assert_eq False "$(node_field "$ID2" draining)" "node $ID2 draining after draining $ID1"
dfsctl node list >"$DFS_ROOT/list.txt"
grep -E "^$ID1 " "$DFS_ROOT/list.txt" | grep -q draining || fail "node list does not show $ID1 draining"
dfsctl node undrain "$ID1" >"$DFS_ROOT/out"
grep -q "node $ID1: no longer draining" "$DFS_ROOT/out" || fail "node undrain: unexpected output"
assert_eq False "$(node_field "$ID1" draining)" "node $ID1 draining after undrain"

rc=0
dfsctl node drain 999 >"$DFS_ROOT/out" 2>"$DFS_ROOT/err" || rc=$?
assert_eq 1 "$rc" "exit code of node drain 999"
grep -q "999" "$DFS_ROOT/err" || fail "node drain 999: unclear message: $(cat "$DFS_ROOT/err")"

# --- volume set ---
dfsctl volume set default --replicas 3 >"$DFS_ROOT/out"
grep -q "3 replicas" "$DFS_ROOT/out" || fail "volume set: unexpected output: $(cat "$DFS_ROOT/out")"
assert_eq 3 "$(dfsctl volume list --json | jq_py "[v['replicas'] for v in d['volumes'] if v['name'] == 'default'][0]")" \
  "default volume replicas after volume set"
rc=0
dfsctl volume set no-such-volume --replicas 2 >"$DFS_ROOT/out" 2>"$DFS_ROOT/err" || rc=$?
assert_eq 1 "$rc" "exit code of volume set on a missing volume"
grep -q "no such volume" "$DFS_ROOT/err" || fail "volume set missing volume: unclear message"

# --- status summary ---
dfsctl status >"$DFS_ROOT/status.txt"
head -n 1 "$DFS_ROOT/status.txt" | grep -Eq '^Cluster: (HEALTHY|DEGRADED|CRITICAL)' ||
  fail "status does not start with the cluster verdict: $(head -n 1 "$DFS_ROOT/status.txt")"
grep -q '^Replication: ' "$DFS_ROOT/status.txt" || fail "status has no replication line"
dfsctl --json status >"$DFS_ROOT/status.json"
assert_eq True "$(jq_py "'underReplicated' in d['replication'] and 'lastScanMs' in d['replication']" <"$DFS_ROOT/status.json")" \
  "status --json replication"
assert_eq 3 "$(jq_py "sum(1 for n in d['nodes'] if n['health'] == 'healthy')" <"$DFS_ROOT/status.json")" \
  "nodes with heartbeat health 'healthy' in status --json"

# --- bad arguments ---
expect_fail "node drain abc" "$DFSCTL" --master "$MASTER_ADDR" node drain abc
grep -q "bad node id" "$DFS_ROOT/err" || fail "node drain abc: unclear message"
expect_fail "node drain 0" "$DFSCTL" --master "$MASTER_ADDR" node drain 0
expect_fail "node remove without id" "$DFSCTL" --master "$MASTER_ADDR" node remove
expect_fail "node show without id" "$DFSCTL" --master "$MASTER_ADDR" node show
expect_fail "node frobnicate" "$DFSCTL" --master "$MASTER_ADDR" node frobnicate 1
expect_fail "volume set without --replicas" "$DFSCTL" --master "$MASTER_ADDR" volume set default
grep -q -- "--replicas" "$DFS_ROOT/err" || fail "volume set without --replicas: unclear message"
expect_fail "volume set --replicas 0" "$DFSCTL" --master "$MASTER_ADDR" volume set default --replicas 0
expect_fail "node list without --master" "$DFSCTL" node list

# --- remove ---
dfsctl node remove "$ID3" --force >"$DFS_ROOT/out"
grep -q "node $ID3: removed" "$DFS_ROOT/out" || fail "node remove: unexpected output: $(cat "$DFS_ROOT/out")"
assert_eq removed "$(node_field "$ID3" state)" "state of node $ID3 after remove --force"
rc=0
dfsctl node remove "$ID3" --force >"$DFS_ROOT/out" 2>"$DFS_ROOT/err" || rc=$?
assert_eq 1 "$rc" "exit code of removing a removed node"
log "remove again: $(cat "$DFS_ROOT/err")"
assert_eq False "$(node_field "$ID1" draining)" "node $ID1 untouched by removing $ID3"
is_alive "$MASTER_PID" || fail "master died"
log "PASS"
