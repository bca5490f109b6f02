#!/usr/bin/env bash
# Integration: a file unlinked (or renamed over) while open stays readable and writable
# through its descriptor, in this mount and while another mount holds it, and its inode
# is gone from the master after the last close; also when the master restarted while the
# file was open (the mount registers its open files again on its new session).
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

# A file held open across a master restart: the mount registers its open files again on
# its new session, so another mount's unlink afterwards keeps the data until the close.
head -c 3000000 /dev/urandom >"$DFS_ROOT/ref2"
cp "$DFS_ROOT/ref2" "$A/held"
GO=$DFS_ROOT/held.go
python3 - "$A/held" "$DFS_ROOT/ref2" "$DFS_ROOT/held.ready" "$GO" <<'PY' &
import os, sys, time
path, ref, ready, go = sys.argv[1:]
fd = os.open(path, os.O_RDONLY)
open(ready, "w").write("1")
deadline = time.time() + 120
while not os.path.exists(go):  # until the test says go
    if time.time() > deadline: sys.exit("no go within 120 s")
    time.sleep(0.05)
want = open(ref, "rb").read()
got = os.pread(fd, len(want) + 1, 0)
os.close(fd)
sys.exit(0 if got == want else f"held file: read {len(got)} bytes, not the {len(want)} written")
PY
HOLDER=$!
DFS_PIDS+=("$HOLDER")  # stopped by the cleanup should a check fail
wait_for_file "$DFS_ROOT/held.ready" 10 "$HOLDER"
before=$(inodes)
restart_master
# A reconnects at once since it holds a file open, and registers the open again.
wait_until 15 "mount A registering its open file again" \
  'grep -q "registering open files again" "$DFS_LOGS/mount-mnt-a.log"'
rm "$B/held"
sleep 0.5
assert_eq "$before" "$(inodes)" "inodes after another mount unlinked a file held open across a master restart"
drop_caches
touch "$GO"
wait "$HOLDER" || fail "the file held open across a master restart lost its data"
_forget_pid "$HOLDER"
wait_until 10 "held file freed after its close (before: $before)" '(( $(inodes) == before - 1 ))'
log "a file held open across a master restart kept its data until closed"
