#!/usr/bin/env bash
# Integration: a file unlinked (or renamed over) while open stays readable and writable
# through its descriptor, in this mount and while another mount holds it, and its inode
# is gone from the master after the last close; also when the master restarted while the
# file was open, or the mount lost its connection (the mount registers its open files
# again on its new session).
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
start_cluster 2
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
mount_volume "$A"
mount_volume "$B"

head -c 5000000 /dev/urandom >"$DFS_ROOT/ref"
cp "$DFS_ROOT/ref" "$A/victim"
cp "$DFS_ROOT/ref" "$A/other"

inodes() { "$DFSCTL" --master "$MASTER_ADDR" --json volume list |
  python3 -c 'import json,sys; print([v for v in json.load(sys.stdin)["volumes"] if v["name"]=="default"][0]["inodes"])'; }
before=$(inodes)

python3 - "$A/victim" "$B/other" "$A/other" "$DFS_ROOT/ref" <<'PY' || fail "open-unlinked file checks failed"
import os, sys
victim, other_b, other_a, ref = sys.argv[1:]
want = open(ref, 'rb').read()
# 1. Unlink in the same mount while open; read and write through the descriptor.
fd = os.open(victim, os.O_RDWR)
os.unlink(victim)
assert not os.path.exists(victim), "name still visible after unlink"
assert os.pread(fd, len(want), 0) == want, "data changed after unlink"
os.pwrite(fd, b"after-unlink", 100)
os.fsync(fd)
assert os.pread(fd, 12, 100) == b"after-unlink", "write after unlink lost"
assert os.fstat(fd).st_nlink == 0, "nlink of an unlinked open file should be 0"
os.close(fd)
# 2. Another mount holds the file open while this mount unlinks it.
fd = os.open(other_b, os.O_RDONLY)
os.unlink(other_a)
data = b""
while True:
    chunk = os.read(fd, 1 << 20)
    if not chunk:
        break
    data += chunk
assert data == want, "reader in the other mount lost the data after unlink"
os.close(fd)
print("open-unlinked OK")
PY

# Both inodes are gone once closed (the release reaches the master asynchronously).
wait_until 10 "unlinked inodes freed (before: $before)" '(( $(inodes) == before - 2 ))'
log "inodes freed after last close ($before -> $(inodes))"

# Files held open across a master restart: one unlinked by another mount before the
# restart, one right after it (before this mount is back). The master counts every file
# as open for a grace after its start, this mount registers its open files again on its
# new session, and both keep their data until closed.
head -c 3000000 /dev/urandom >"$DFS_ROOT/ref2"
cp "$DFS_ROOT/ref2" "$A/held1"
cp "$DFS_ROOT/ref2" "$A/held2"
GO=$DFS_ROOT/held.go
python3 - "$A/held1" "$A/held2" "$DFS_ROOT/ref2" "$DFS_ROOT/held.ready" "$GO" <<'PY' &
import os, sys, time
p1, p2, ref, ready, go = sys.argv[1:]
fds = [os.open(p1, os.O_RDONLY), os.open(p2, os.O_RDONLY)]
open(ready, "w").write("1")
deadline = time.time() + 120
while not os.path.exists(go):  # until the test says go
    if time.time() > deadline: sys.exit("no go within 120 s")
    time.sleep(0.05)
want = open(ref, "rb").read()
for fd in fds:
    got = os.pread(fd, len(want) + 1, 0)
    os.close(fd)
    if got != want: sys.exit(f"held file: read {len(got)} bytes, not the {len(want)} written")
PY
HOLDER=$!
DFS_PIDS+=("$HOLDER")  # stopped by the cleanup should a check fail
wait_for_file "$DFS_ROOT/held.ready" 10 "$HOLDER"
before=$(inodes)
rm "$B/held1"
restart_master
rm "$B/held2"
# A reconnects at once since it holds files open, and registers them again.
wait_until 15 "mount A registering its open files again" \
  'grep -q "registering open files again" "$DFS_LOGS/mount-mnt-a.log"'
sleep 6  # past the master's grace (the lock grace, 5 s): unregistered orphans are gone
assert_eq "$before" "$(inodes)" "inodes of files held open across a master restart"
drop_caches
touch "$GO"
wait "$HOLDER" || fail "a file held open across a master restart lost its data"
_forget_pid "$HOLDER"
wait_until 10 "held files freed after their close (before: $before)" '(( $(inodes) == before - 2 ))'
log "files held open across a master restart kept their data until closed"

# A mount that lost its connection while the master ran on: the master keeps the files
# the ended session held open for the same grace, so the mount, back on a new session,
# registers them again before another mount's unlink can delete them. Mount C reaches
# the master through a TCP proxy; killing the proxy cuts C's connection.
mounts() { status_query mounts-consistency | wc -w; }
start_proxy
C=$DFS_ROOT/mnt-c
MASTER_ADDR=$PROXY_ADDR mount_volume "$C"
cp "$DFS_ROOT/ref2" "$C/held3"
GO=$DFS_ROOT/held3.go
python3 - "$C/held3" "$DFS_ROOT/ref2" "$DFS_ROOT/held3.ready" "$GO" <<'PY' &
import os, sys, time
path, ref, ready, go = sys.argv[1:]
fd = os.open(path, os.O_RDONLY)
open(ready, "w").write("1")
deadline = time.time() + 120
while not os.path.exists(go):
    if time.time() > deadline: sys.exit("no go within 120 s")
    time.sleep(0.05)
want = open(ref, "rb").read()
got = os.pread(fd, len(want) + 1, 0)
os.close(fd)
if got != want: sys.exit(f"held file: read {len(got)} bytes, not the {len(want)} written")
PY
HOLDER=$!
DFS_PIDS+=("$HOLDER")
wait_for_file "$DFS_ROOT/held3.ready" 10 "$HOLDER"
before=$(inodes) sessions=$(mounts)
cut_proxy
wait_until 10 "the master to end mount C's session" '(( $(mounts) == sessions - 1 ))'
rm "$B/held3"
start_proxy "$PROXY_PORT"
wait_until 15 "mount C registering its open files again" \
  'grep -q "registering open files again" "$DFS_LOGS/mount-mnt-c.log"'
sleep 6  # past the grace: a file nobody registered again would be gone
assert_eq "$before" "$(inodes)" "inodes of a file held open across a lost connection"
drop_caches
touch "$GO"
wait "$HOLDER" || fail "a file held open across a lost connection lost its data"
_forget_pid "$HOLDER"
wait_until 10 "the held file freed after its close (before: $before)" '(( $(inodes) == before - 1 ))'
log "a file held open across a lost connection kept its data until closed"
