#!/usr/bin/env bash
# Integration: locks held through one mount survive a master restart. Mount A's process
# holds an fcntl write lock on a range and a flock lock; the master stops (SIGTERM) and
# comes back; A re-asserts (reclaims) both within the master's grace period, so mount B's
# non-blocking conflicting locks fail with EAGAIN (waiting for the grace period first,
# which ends early once the previous run's lock holders reclaimed everything)
# and succeed once A's process exits; a blocking one started during the grace period is
# granted then. Then the case a reclaim cannot win: A's dfs-mount
# is frozen (SIGSTOP) while the master is killed and restarted with no grace period and
# B takes the locks; when A thaws its reclaims are refused, the locks are lost (counted
# in A's metrics) and I/O and new locks through the holder's descriptors fail with EIO.
# In between, A's connection is cut (A reaches the master through a TCP proxy, killed
# and started again) while the master runs on: A reclaims its locks on the new session
# (which names the old one, whose locks the master drops).
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"
HOLDER="$(cd "$(dirname "$0")/../support" && pwd)/lock_holder.py"

HELPERS=()       # lock holder pids: killed before the mounts go, even on failure
FROZEN_MOUNT=""  # a dfs-mount pid this test SIGSTOPped
kill_helpers() {
  local p
  if [[ -n "$FROZEN_MOUNT" ]]; then kill -CONT "$FROZEN_MOUNT" 2>/dev/null || true; fi
  for p in "${HELPERS[@]}"; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  HELPERS=()
}

dfs_init
trap 'rc=$?; set +e; kill_helpers; (exit $rc); dfs_cleanup' EXIT

start_holder() {  # start_holder NAME PATH FD: a lock_holder.py on PATH, commands on fd FD
  local name=$1 path=$2 fd=$3
  mkfifo "$DFS_ROOT/$name.ctl"
  python3 "$HOLDER" "$path" "$DFS_ROOT/$name.ctl" >"$DFS_ROOT/$name.out" 2>&1 &
  HELPERS+=($!)
  eval "exec $fd<>\"\$DFS_ROOT/$name.ctl\""  # read-write: never blocks on the open
  wait_for_file "$DFS_ROOT/$name.out" 20 "$!"
  assert_eq "locked" "$(head -n 1 "$DFS_ROOT/$name.out")" "$name takes its locks"
}

ask_holder() {  # ask_holder NAME FD COMMAND: prints the holder's answer line
  local name=$1 fd=$2 cmd=$3 lines deadline
  lines=$(wc -l <"$DFS_ROOT/$name.out")
  echo "$cmd" >&"$fd"
  deadline=$(( $(now_ms) + 20000 ))
  until (( $(wc -l <"$DFS_ROOT/$name.out") > lines )); do
    (( $(now_ms) < deadline )) || fail "$name did not answer '$cmd'"
    sleep 0.05
  done
  tail -n 1 "$DFS_ROOT/$name.out"
}

try_lock() {  # try_lock fcntl|flock PATH: non-blocking exclusive lock; prints ok or the errno
  python3 - "$1" "$2" <<'PY'
import errno, fcntl, os, sys
kind, path = sys.argv[1:]
fd = os.open(path, os.O_RDWR)
try:
    if kind == "fcntl":
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 50)  # bytes [50, 60)
    else:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
PY
}

mount_metric() { metric_at "$1" "$2"; }  # mount_metric PORT NAME: one dfs-mount series

DFS_METRICS=1
start_cluster 2
start_proxy
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
MASTER_ADDR=$PROXY_ADDR mount_volume "$A" "attr_timeout=0,entry_timeout=0,metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/a.metrics.port"
mount_volume "$B" "attr_timeout=0,entry_timeout=0"
wait_for_file "$DFS_ROOT/a.metrics.port" 20
A_METRICS=$(_read_port "$DFS_ROOT/a.metrics.port")

# ---------- 1. a master restart: A's locks are reclaimed ----------
echo data >"$A/f"
start_holder h1 "$A/f" 7
assert_eq "EAGAIN" "$(try_lock fcntl "$B/f")" "B's fcntl lock while A holds one"
assert_eq "EAGAIN" "$(try_lock flock "$B/f")" "B's flock while A holds one"
assert_eq 2 "$(mount_metric "$A_METRICS" dfs_client_locks_held)" "locks A holds"

stop_master
sleep 0.5
restart_master
restarted=$(now_ms)
# A blocking wait from B during the grace period waits on, until A's holder lets go
# (bytes [0, 10): it must not hide A's lock from the non-blocking checks on [50, 60)).
python3 - "$B/f" >"$DFS_ROOT/waiter.out" 2>&1 <<'PY' &
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)
print("granted", flush=True)
PY
waiter=$!
HELPERS+=("$waiter")
result=$(try_lock fcntl "$B/f")
waited=$(( $(now_ms) - restarted ))
log "B's non-blocking fcntl lock after the restart answered $result after $waited ms"
assert_eq "EAGAIN" "$result" "B's fcntl lock after the restart (A reclaimed it)"
# The grace period (5 s) ends early once A and B, the previous run's lock holders, are
# back and A reclaimed both its locks.
(( waited < 15000 )) || fail "B's lock waited $waited ms, far past the grace period"
log "master: $(master_metric dfs_master_lock_grace_waits_total) lock calls waited for the grace period, active now: $(master_metric dfs_master_lock_grace_active)"
assert_eq 0 "$(master_metric dfs_master_lock_grace_active)" "the grace period is over"
assert_eq "EAGAIN" "$(try_lock flock "$B/f")" "B's flock after the restart (A reclaimed it)"
assert_eq 2 "$(mount_metric "$A_METRICS" dfs_client_locks_reclaimed_total)" "locks A reclaimed"
assert_eq 0 "$(mount_metric "$A_METRICS" dfs_client_locks_lost_total)" "locks A lost"
assert_eq 2 "$(master_metric dfs_master_lock_reclaims_total)" "reclaims the master granted"
assert_eq "write ok" "$(ask_holder h1 7 write)" "A's holder writes after the restart"

[[ ! -s "$DFS_ROOT/waiter.out" ]] || fail "B's blocking lock was granted while A holds the lock"
echo exit >&7
wait "${HELPERS[0]}" || fail "holder h1 failed"
exec 7>&-
start=$(now_ms)
wait_for_file "$DFS_ROOT/waiter.out" 10
assert_eq "granted" "$(cat "$DFS_ROOT/waiter.out")" "B's blocking lock from the grace period"
log "B's blocking lock was granted $(( $(now_ms) - start )) ms after A's holder exited"
wait "$waiter" || true
until [[ $(try_lock fcntl "$B/f") == ok && $(try_lock flock "$B/f") == ok ]]; do
  (( $(now_ms) - start < 10000 )) || fail "B cannot lock 10 s after A's holder exited"
  sleep 0.1
done
log "B got both locks $(( $(now_ms) - start )) ms after A's holder exited"

# ---------- 2. a lost session (no restart): A's locks are reclaimed on the new one ----------
echo data >"$A/s"
start_holder h4 "$A/s" 6
cut_proxy
cut=$(now_ms)
log "cut A's connection to the master (its proxy killed)"
start_proxy "$PROXY_PORT"
wait_until 20 "A to reclaim its locks on a new session" \
  '[[ $(mount_metric "$A_METRICS" dfs_client_locks_reclaimed_total) == 4 ]]'
log "A reclaimed its locks $(( $(now_ms) - cut )) ms after its connection was cut"
assert_eq "EAGAIN" "$(try_lock fcntl "$B/s")" "B's fcntl lock after A's new session"
assert_eq "EAGAIN" "$(try_lock flock "$B/s")" "B's flock after A's new session"
assert_eq "write ok" "$(ask_holder h4 6 write)" "A's holder writes on the new session"
assert_eq 0 "$(mount_metric "$A_METRICS" dfs_client_locks_lost_total)" "locks A lost"
echo exit >&6
exec 6>&-

# ---------- 3. a reclaim that loses: the lock is lost, I/O fails with EIO ----------
echo data >"$A/g"
start_holder h2 "$A/g" 8
FROZEN_MOUNT=$(_find_mount_pid "$A")
[[ -n "$FROZEN_MOUNT" ]] || fail "no dfs-mount process for $A"
kill -STOP "$FROZEN_MOUNT"
log "froze A's dfs-mount (pid $FROZEN_MOUNT)"
kill_master
MASTER_ARGS=(--lock-grace-ms 0)
restart_master
start_holder h3 "$B/g" 9  # B takes the locks A can no longer defend
kill -CONT "$FROZEN_MOUNT"
FROZEN_MOUNT=""
log "thawed A's dfs-mount"
wait_until 20 "A's reclaims to be refused" \
  '[[ $(mount_metric "$A_METRICS" dfs_client_locks_lost_total) == 2 ]]'
assert_eq "write EIO" "$(ask_holder h2 8 write)" "A's holder writes after losing its locks"
assert_eq "relock EIO" "$(ask_holder h2 8 relock)" "A's holder locks again after losing its locks"
assert_eq "write ok" "$(ask_holder h3 9 write)" "B's holder writes"
assert_eq 2 "$(master_metric dfs_master_lock_reclaims_refused_total)" "reclaims the master refused"
# A new open of the file in A works again (only the old descriptors are poisoned).
echo more >>"$A/g" || fail "a fresh open in A fails after the loss"
echo exit >&8
echo exit >&9
kill_helpers
exec 8>&- 9>&-
log "PASS"
