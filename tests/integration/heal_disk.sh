#!/usr/bin/env bash
# Integration (issue 5): corrupt copies are never served and get repaired; a new empty server
# is filled by the rebalancer until usage skew is under the threshold; a drained server ends
# up holding no needed block, every file still reads back, and it can then be removed.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
CAPACITY=$((256 * 1024 * 1024))
MASTER_ARGS=(--default-replicas 2 --suspect-timeout-ms 1500 --dead-timeout-ms 3000
             --gc-grace-ms 500 --report-grace-ms 1000 --replication-scan-ms 1000
             --rebalance-threshold-pct 10)
CS_ARGS=(--heartbeat-ms 300 --block-report-interval-ms 4000 --capacity "$CAPACITY" --scrub-rate-mib 64 --scrub-interval-s 1)
start_cluster 3
wait_until 30 "3 healthy nodes" 'test "$(status_query count-state healthy)" -eq 3'
MNT=$DFS_ROOT/mnt
mount_volume "$MNT"

mkdir -p "$DFS_ROOT/ref"
for i in $(seq 1 40); do
  head -c $(( 2500000 + i * 1000 )) /dev/urandom >"$DFS_ROOT/ref/f$i"
done
cp -r "$DFS_ROOT/ref" "$MNT/data"
sync
wait_replication_settled 60

verify_all() {  # verify_all WHAT: fresh mount, every file compared with its reference
  unmount_volume "$MNT"
  drop_caches
  mount_volume "$MNT"
  diff -r "$DFS_ROOT/ref" "$MNT/data" >/dev/null || fail "file contents differ: $1"
  log "all 40 files verified: $1"
}

# --- corrupt every copy on server 0: reads stay correct, the copies are repaired ---
mapfile -t files < <(find "$DFS_ROOT/cs0/blocks" -type f)
(( ${#files[@]} > 0 )) || fail "server 0 holds no block files"
for f in "${files[@]}"; do
  python3 - "$f" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-1, 2)
    b = f.read(1)
    f.seek(-1, 2)
    f.write(bytes([b[0] ^ 0xFF]))
PY
done
log "corrupted ${#files[@]} block files on server 0"
verify_all "with server 0's copies corrupt"
wait_until 120 "server 0 to report all ${#files[@]} corrupt copies" 'test "$(status_query node "$(cs_addr 0)" checksumErrors)" -ge "${#files[@]}"'
wait_replication_settled 120
verify_all "after repair"

# --- a fourth, empty server: the rebalancer evens out usage ---
start_chunkserver 3
wait_until 30 "server 3 healthy" 'test "$(status_query node "$(cs_addr 3)" state)" == healthy'
skew_below() {  # skew_below LIMIT: usage skew of healthy nodes is under LIMIT
  local s
  s=$(status_query skew)
  [[ -n "$s" ]] && python3 -c "import sys; sys.exit(0 if $s < $1 else 1)"
}
wait_until 180 "usage skew under 10 points" 'skew_below 0.10'
log "skew $(status_query skew) after $(status_query repl movedBlocks) moves"
(( $(status_query node "$(cs_addr 3)" listedBlocks) > 0 )) || fail "nothing moved to server 3"
wait_replication_settled 60
verify_all "after rebalancing"

# --- drain server 1: every copy leaves it; then it can be removed ---
id1=$(status_query node "$(cs_addr 1)" nodeId)
dfsctl node drain "$id1" || fail "node drain failed"
wait_until 180 "server 1 to be empty" 'test "$(status_query node "$(cs_addr 1)" listedBlocks)" == 0'
wait_until 60 "server 1 to delete its copies" 'test "$(status_query node "$(cs_addr 1)" blocks)" == 0'
wait_replication_settled 60
stop_chunkserver 1
verify_all "with the drained server stopped"
dfsctl node remove "$id1" || fail "removing a drained node was refused"
assert_eq removed "$(status_query node "$(cs_addr 1)" state)" "state after remove"
log "PASS"
