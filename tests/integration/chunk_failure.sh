#!/usr/bin/env bash
# Integration: with 2 replicas on 3 chunk servers, SIGKILL of one server loses no data.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
MASTER_ARGS=(--default-replicas 2 --suspect-timeout-ms 2000 --dead-timeout-ms 5000)
CS_ARGS=(--heartbeat-ms 500)
start_cluster 3
MNT=$DFS_ROOT/mnt
mount_volume "$MNT"

mkdir -p "$MNT/data"
for i in $(seq 1 30); do
  head -c $(( (i * 131071) % 2000000 + 1 )) /dev/urandom >"$MNT/data/small$i"
done
head -c $((20 * 1024 * 1024 + 3)) /dev/urandom >"$MNT/data/large"
sync
(cd "$MNT" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$DFS_ROOT/sums"

# A frozen chunk server (SIGSTOP) must not hang reads: the client times out and uses another replica.
kill -STOP "${CS_PIDS[1]}"
log "chunkserver 1 frozen (SIGSTOP)"
unmount_volume "$MNT"
drop_caches
mount_volume "$MNT"
t0=$(now_ms)
(cd "$MNT" && timeout 300 sha256sum -c --quiet "$DFS_ROOT/sums") ||
  fail "files unreadable, wrong or hanging with one chunk server frozen"
log "all files verified with one chunk server frozen ($(( $(now_ms) - t0 )) ms)"
kill -CONT "${CS_PIDS[1]}"
wait_nodes_healthy 3

kill_chunkserver 1
unmount_volume "$MNT"
drop_caches
mount_volume "$MNT"
t0=$(now_ms)
(cd "$MNT" && sha256sum -c --quiet "$DFS_ROOT/sums") || fail "files unreadable or wrong after killing one chunk server"
log "all files verified with one chunk server down ($(( $(now_ms) - t0 )) ms)"

# New writes must still succeed with 2 of 3 servers alive, once the master has noticed the loss.
deadline=$(( $(now_ms) + 20000 ))
until (( $(healthy_node_count) == 2 )); do
  (( $(now_ms) < deadline )) || fail "master still reports $(healthy_node_count) healthy nodes 20 s after a SIGKILL"
  sleep 0.5
done
log "master reports 2 healthy nodes"
head -c 5000000 /dev/urandom >"$DFS_ROOT/new-ref"
cp "$DFS_ROOT/new-ref" "$MNT/data/new" || fail "write with one chunk server down failed"
unmount_volume "$MNT"
mount_volume "$MNT"
cmp "$DFS_ROOT/new-ref" "$MNT/data/new" || fail "file written with one server down reads back wrong"
log "PASS"
