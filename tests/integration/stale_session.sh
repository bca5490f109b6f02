#!/usr/bin/env bash
# Integration: requests a mount sent on a connection it gave up on (the deadline passed)
# change nothing when they reach the master late, after the mount's newer requests on its
# next session: the new session fences the one it replaces. Here a commit held in a TCP
# proxy past its deadline must not undo the newer data committed meanwhile.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
start_cluster 2
start_proxy
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
MASTER_ADDR=$PROXY_ADDR mount_volume "$A" "rpc_timeout=2"
mount_volume "$B"

# A small file (its data goes inline with the commit, so the commit is the only request
# the write needs) and a larger one (blocks on the chunk servers, committed by reference).
head -c 1000 /dev/zero | tr '\0' a >"$A/small"
head -c 3000000 /dev/zero | tr '\0' a >"$A/large"

GO=$DFS_ROOT/go
python3 - "$A/small" "$A/large" "$DFS_ROOT/ready" "$GO" "$DFS_ROOT/done" <<'PY' &
import errno, os, sys, threading, time
small, large, ready, go, done = sys.argv[1:]
fds = [os.open(small, os.O_RDWR), os.open(large, os.O_RDWR)]
for fd in fds:
    os.pwrite(fd, b"b" * 100, 0)  # the version that will be late
time.sleep(1)  # the large file's block is uploaded; only the commit is left
open(ready, "w").write("1")
deadline = time.time() + 60
while not os.path.exists(go):
    if time.time() > deadline: sys.exit("no go within 60 s")
    time.sleep(0.05)
# Both commits go out together on the held connection, and both pass their deadline.
results = {}
def commit(fd):
    try:
        os.fsync(fd)
        results[fd] = "fsync succeeded while the connection was held"
    except OSError as e:
        results[fd] = None if e.errno == errno.EIO else f"fsync: {e}"
threads = [threading.Thread(target=commit, args=(fd,)) for fd in fds]
for t in threads: t.start()
for t in threads: t.join()
for fd in fds:
    if results[fd]: sys.exit(results[fd])
for fd in fds:
    os.pwrite(fd, b"c" * 100, 0)  # the newer version, on the mount's next session
    os.fsync(fd)
    os.close(fd)
open(done, "w").write("1")
PY
WRITER=$!
DFS_PIDS+=("$WRITER")
wait_for_file "$DFS_ROOT/ready" 10 "$WRITER"
hold_proxy
touch "$GO"
wait_for_file "$DFS_ROOT/done" 30 "$WRITER"
wait "$WRITER" || fail "writer failed"
_forget_pid "$WRITER"
log "the newer writes are committed; the late commits go through now"
release_proxy
sleep 2  # the late requests reach the master and are answered (or refused)

want=$(printf 'c%.0s' $(seq 100))
for f in small large; do
  got=$(head -c 100 "$B/$f")
  assert_eq "$want" "$got" "first 100 bytes of $f in the other mount after the late commit"
  assert_eq "$want" "$(head -c 100 "$A/$f")" "first 100 bytes of $f in the writer's mount"
done
drop_caches
for f in small large; do
  assert_eq "$want" "$(head -c 100 "$B/$f")" "first 100 bytes of $f after dropping caches"
done
assert_eq 1000 "$(stat -c %s "$B/small")" "size of small"
assert_eq 3000000 "$(stat -c %s "$B/large")" "size of large"
# The writer's mount works on: a new file written and read back through the proxy.
echo after >"$A/after"
assert_eq after "$(cat "$B/after")" "a file written after the late requests"
log "stale session: late requests changed nothing"
