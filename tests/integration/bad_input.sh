#!/usr/bin/env bash
# Integration: unreachable master, garbage on the RPC ports and bad CLI arguments fail cleanly.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init

# --- dfs-mount against a closed port ---
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
MNT=$DFS_ROOT/mnt-bad
mkdir -p "$MNT"
t0=$(now_ms)
rc=0
timeout 30 "$DFS_MOUNT" "127.0.0.1:$closed/default" "$MNT" -o rpc_timeout=3 >"$DFS_ROOT/out" 2>"$DFS_ROOT/err" || rc=$?
ms=$(( $(now_ms) - t0 ))
if mountpoint -q "$MNT"; then
  DFS_MOUNTS+=("$MNT")
  fail "mountpoint left mounted after mounting an unreachable master"
fi
log "dfs-mount to closed port $closed: exit $rc after $ms ms; stderr: $(head -c 300 "$DFS_ROOT/err" | tr '\n' ' ')"
(( rc != 124 )) || fail "dfs-mount against an unreachable master hung for 30 s"
(( rc != 0 )) || fail "dfs-mount against an unreachable master exited 0"
[[ -s "$DFS_ROOT/err" ]] || fail "dfs-mount against an unreachable master printed nothing on stderr"

# --- garbage on the master's and a chunk server's port ---
start_cluster 2
garbage() {  # garbage PORT: send 1 MB of random bytes, ignore how the peer reacts
  python3 - "$1" <<'PY'
import os, socket, sys
data = os.urandom(1000000)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
try:
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    while s.recv(65536):
        pass
except OSError:
    pass
s.close()
PY
}
for round in 1 2 3; do
  garbage "$MASTER_PORT"
  garbage "${CS_PORTS[0]}"
  # A well-formed but truncated Cap'n Proto frame header claiming a huge segment.
  python3 -c 'import socket,struct,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])))
s.sendall(struct.pack("<II",0,0x7fffffff)+b"\0"*64); s.close()' "$MASTER_PORT" || true
  log "garbage round $round sent"
done
sleep 1
is_alive "$MASTER_PID" || fail "master died after receiving garbage"
is_alive "${CS_PIDS[0]}" || fail "chunk server 0 died after receiving garbage"
"$DFSCTL" --master "$MASTER_ADDR" status >"$DFS_ROOT/status" || fail "dfsctl status fails after garbage"
wait_nodes_healthy 2 10
# And the cluster still stores data.
MNT=$DFS_ROOT/mnt
mount_volume "$MNT"
head -c 1000000 /dev/urandom >"$DFS_ROOT/ref"
cp "$DFS_ROOT/ref" "$MNT/f"
cmp "$DFS_ROOT/ref" "$MNT/f" || fail "cluster does not store data after garbage input"
unmount_volume "$MNT"

# --- dfsctl / daemons with bad arguments ---
expect_fail() {  # expect_fail WHAT CMD...: CMD must exit non-zero within 30 s
  local what=$1 rc=0
  shift
  timeout 30 "$@" >/dev/null 2>&1 || rc=$?
  (( rc != 124 )) || fail "$what: hung"
  (( rc != 0 )) || fail "$what: exited 0"
  log "$what: exit $rc"
}
expect_fail "dfsctl no args" "$DFSCTL"
expect_fail "dfsctl unknown command" "$DFSCTL" --master "$MASTER_ADDR" frobnicate
expect_fail "dfsctl unknown flag" "$DFSCTL" --no-such-flag --master "$MASTER_ADDR" status
expect_fail "dfsctl bad address" "$DFSCTL" --master "not an address" status
expect_fail "dfsctl closed port" "$DFSCTL" --master "127.0.0.1:$closed" status
expect_fail "dfs-master bad flag" "$DFS_MASTER" --no-such-flag
expect_fail "dfs-chunkserver bad flag" "$DFS_CHUNKSERVER" --no-such-flag
expect_fail "dfs-mount no args" "$DFS_MOUNT"
is_alive "$MASTER_PID" || fail "master died during the bad-argument checks"
log "PASS"
