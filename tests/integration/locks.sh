#!/usr/bin/env bash
# Integration: fcntl (POSIX, OFD) and flock locks hold across two mounts of one volume
# (the master keeps them), blocking waits, signals, close, and a killed client's locks.
# The same checks run first on a local directory, to prove the checks themselves.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"
CHECKS="$(cd "$(dirname "$0")/../support" && pwd)/lock_checks.py"

dfs_init
LOCAL=$DFS_ROOT/local
mkdir -p "$LOCAL"
log "lock checks on a local directory (both sides the same directory)"
python3 "$CHECKS" "$LOCAL" "$LOCAL" || fail "lock checks fail on a local directory"

start_cluster 3
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
mount_volume "$A" "attr_timeout=0,entry_timeout=0"
mount_volume "$B" "attr_timeout=0,entry_timeout=0"
log "lock checks across two mounts"
python3 "$CHECKS" "$A" "$B" || fail "lock checks fail across two dfs mounts"

# flock(1): a lock held in mount A makes `flock -n` in mount B fail until it ends; `flock -w`
# waits for it longer than the RPC deadline (rpc_timeout=3): waits have none.
echo data >"$A/shell"
flock "$A/shell" -c "touch $DFS_ROOT/shell.locked; sleep 4" &
holder=$!
wait_for_file_exists() {  # wait_for_file_exists FILE: up to 10 s
  local deadline=$(( $(now_ms) + 10000 ))
  until [[ -e $1 ]]; do
    (( $(now_ms) < deadline )) || return 1
    sleep 0.05
  done
}
wait_for_file_exists "$DFS_ROOT/shell.locked" || fail "flock(1) holder did not start"
if flock -n "$B/shell" true; then fail "flock -n in B succeeded while A holds the lock"; fi
start=$(now_ms)
flock -w 20 "$B/shell" true || fail "flock -w in B did not get the lock after A's ended"
waited=$(( $(now_ms) - start ))
log "flock -w in B waited $waited ms"
(( waited > 3000 )) || fail "flock -w in B returned after $waited ms, before A's lock ended"
wait "$holder"
flock -n "$B/shell" true || fail "flock -n in B fails with no holder"

# A client that dies (SIGKILL of its dfs-mount) loses its locks at once: the master sees
# its connection close and ends its session.
C=$DFS_ROOT/mnt-c
mount_volume "$C" "attr_timeout=0,entry_timeout=0"
echo data >"$C/victim"
python3 - "$C/victim" >"$DFS_ROOT/victim.out" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
fl = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fl, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
PY
victim=$!
wait_for_file "$DFS_ROOT/victim.out" 20 "$victim"
try_locks() {  # try_locks PATH: 0 if both an fcntl and a flock lock are free
  python3 - "$1" <<'PY'
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(1)
PY
}
if try_locks "$B/victim"; then fail "B got the locks while C's process holds them"; fi
mount_pid=$(_find_mount_pid "$C")
[[ -n "$mount_pid" ]] || fail "no dfs-mount process for $C"
kill -KILL "$mount_pid"
killed=$(now_ms)
log "killed dfs-mount of C (pid $mount_pid)"
until try_locks "$B/victim"; do
  (( $(now_ms) - killed < 10000 )) || fail "B did not get C's locks within 10 s of C's death"
  sleep 0.1
done
log "B got the dead client's locks $(( $(now_ms) - killed )) ms after the kill"
kill -KILL "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
fusermount3 -uz "$C" || true

# A wait in progress when the master goes away fails with ENOLCK (the mount's session and
# its locks are gone), and the mount works again once the master is back.
echo data >"$A/lost"
python3 - "$A/lost" >"$DFS_ROOT/lost-holder.out" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
PY
lost_holder=$!
wait_for_file "$DFS_ROOT/lost-holder.out" 20 "$lost_holder"
python3 - "$B/lost" >"$DFS_ROOT/lost-waiter.out" 2>&1 <<'PY' &
import errno, fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
print("waiting", flush=True)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX)
    print("granted", flush=True)
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno), flush=True)
PY
lost_waiter=$!
wait_for_file "$DFS_ROOT/lost-waiter.out" 20 "$lost_waiter"
sleep 0.5
kill_master
deadline=$(( $(now_ms) + 10000 ))
while kill -0 "$lost_waiter" 2>/dev/null; do
  (( $(now_ms) < deadline )) || fail "the waiter still waits 10 s after the master died"
  sleep 0.1
done
wait "$lost_waiter" || true
assert_eq "ENOLCK" "$(tail -n 1 "$DFS_ROOT/lost-waiter.out")" "a wait cut off by the master's death"
kill -KILL "$lost_holder" 2>/dev/null || true
wait "$lost_holder" 2>/dev/null || true
restart_master
python3 - "$B/lost" <<'PY' || fail "B cannot lock after the master came back"
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
for _ in range(100):  # the mount reconnects at its next call
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(1)
PY
log "PASS"
