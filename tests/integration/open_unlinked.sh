#!/usr/bin/env bash
# Integration: a file unlinked (or renamed over) while open stays readable and writable
# through its descriptor, in this mount and while another mount holds it, and its inode
# is gone from the master after the last close.
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
deadline=$(( $(now_ms) + 10000 ))
while (( $(inodes) != before - 2 )); do
  (( $(now_ms) < deadline )) || fail "unlinked inodes not freed: before=$before now=$(inodes)"
  sleep 0.2
done
log "inodes freed after last close ($before -> $(inodes))"
