#!/usr/bin/env bash
# Integration: with the master down a mount fails fast (no hang); after a restart on the same port it works again.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

RPC_TIMEOUT=3
dfs_init
start_cluster 3
MNT=$DFS_ROOT/mnt
MOUNT_OPTS="rpc_timeout=$RPC_TIMEOUT"
mount_volume "$MNT" "attr_timeout=0,entry_timeout=0"
echo before >"$MNT/x"
assert_eq "before" "$(cat "$MNT/x")" "content before master stop"

# --- master frozen (SIGSTOP): calls must time out after rpc_timeout, not hang ---
kill -STOP "$MASTER_PID"
log "master $MASTER_PID frozen (SIGSTOP)"
t0=$(now_ms)
rc=0
timeout 30 stat "$MNT/x" >/dev/null 2>"$DFS_ROOT/stat.err" || rc=$?
ms=$(( $(now_ms) - t0 ))
kill -CONT "$MASTER_PID"
log "stat with master frozen: exit $rc after $ms ms ($(tr '\n' ' ' <"$DFS_ROOT/stat.err"))"
(( rc != 124 )) || fail "stat hung for 30 s with the master frozen"
(( rc != 0 )) || fail "stat succeeded with the master frozen (stale cache? attr_timeout=0 was set)"
(( ms <= RPC_TIMEOUT * 3 * 1000 )) || fail "stat took $ms ms with the master frozen, more than 3 x rpc_timeout"
deadline=$(( $(now_ms) + 20000 ))
until [[ "$(timeout 10 cat "$MNT/x" 2>/dev/null)" == before ]]; do
  (( $(now_ms) < deadline )) || fail "mount did not recover within 20 s of the master resuming (SIGCONT)"
  sleep 0.5
done
log "mount works again after SIGCONT"

# --- master stopped (SIGTERM): calls fail fast; restart on the same port recovers ---
stop_master
t0=$(now_ms)
rc=0
timeout 30 stat "$MNT/x" >/dev/null 2>"$DFS_ROOT/stat.err" || rc=$?
ms=$(( $(now_ms) - t0 ))
log "stat with master down: exit $rc after $ms ms ($(tr '\n' ' ' <"$DFS_ROOT/stat.err"))"
(( rc != 124 )) || fail "stat hung for 30 s with the master down"
(( rc != 0 )) || fail "stat succeeded with the master down (stale cache? attr_timeout=0 was set)"
(( ms <= RPC_TIMEOUT * 3 * 1000 )) || fail "stat took $ms ms, more than 3 x rpc_timeout"

rc=0
t0=$(now_ms)
timeout 30 sh -c "echo y >'$MNT/y'" 2>/dev/null || rc=$?
ms=$(( $(now_ms) - t0 ))
log "create with master down: exit $rc after $ms ms"
(( rc != 124 )) || fail "create hung for 30 s with the master down"
(( rc != 0 )) || fail "create succeeded with the master down"

restart_master
wait_nodes_healthy 3
deadline=$(( $(now_ms) + 20000 ))
ok=0
while (( $(now_ms) < deadline )); do
  if [[ "$(timeout 10 cat "$MNT/x" 2>/dev/null)" == before ]]; then ok=1; break; fi
  sleep 0.5
done
(( ok )) || fail "mount did not recover within 20 s of the master restarting on port $MASTER_PORT"
log "mount recovered after $(( $(now_ms) - deadline + 20000 )) ms"
echo after >"$MNT/z" || fail "write after recovery failed"
assert_eq "after" "$(cat "$MNT/z")" "content written after recovery"
log "PASS"
