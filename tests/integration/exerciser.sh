#!/usr/bin/env bash
# Integration: model-based random exerciser (tests/tools/fs_exerciser.py). First against two
# local directories (checks the exerciser itself), then focused regression checks for the
# bugs it found, then a random run against one dfs mount and one against two mounts of the
# same volume (operations alternate between them; close-to-open), each side by side with a
# local reference directory.
# Env: FSX_SEED (default fixed; "random" = a new one, printed), FSX_OPS (one mount, default
# 2500), FSX_OPS2 (two mounts, default 1500).
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

FSX=$(cd "$(dirname "$0")/../tools" && pwd)/fs_exerciser.py
SEED=${FSX_SEED:-4242}
[[ "$SEED" == random ]] && SEED=$(( $(date +%s%N) % 1000000007 ))
OPS=${FSX_OPS:-2500}
OPS2=${FSX_OPS2:-1500}
# What dfs does not implement, for the exerciser to skip: nothing now (fallocate(2) and
# fstat of a descriptor of a removed directory, once skipped here, are implemented).
DFS_GAPS=()

dfs_init

log "exerciser self-check: two local directories, seed $SEED"
mkdir -p "$DFS_ROOT/self-ref" "$DFS_ROOT/self-tgt"
python3 "$FSX" --seed "$SEED" --ops 3000 "$DFS_ROOT/self-ref" "$DFS_ROOT/self-tgt" ||
  fail "the exerciser finds differences between two local directories (exerciser bug?)"

start_cluster 3
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
mount_volume "$A"
mount_volume "$B"

log "focused regression checks"
mkdir "$A/regress"
python3 - "$A/regress" <<'PY' || fail "focused regression checks"
import os, stat, sys
d = sys.argv[1]
os.chdir(d)
# open(O_TRUNC) of an existing file truncates it (was ignored: "echo x > f" kept the tail).
with open("t", "w") as f:
    f.write("hello-long-content\n")
with open("t", "w") as f:
    f.write("x\n")
assert open("t").read() == "x\n", "O_TRUNC did not truncate: %r" % open("t").read()
# ... and moves mtime even when the file was empty already (like ext4).
open("e", "w").close()
m0 = os.stat("e").st_mtime_ns
os.close(os.open("e", os.O_WRONLY | os.O_TRUNC))
assert os.stat("e").st_mtime_ns != m0, "open(O_TRUNC) of an empty file left mtime alone"
# stat after truncate + write reports the new size (was the end of writes before the truncate).
fd = os.open("s", os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b"a" * 103849, 40983)
os.ftruncate(fd, 0)
os.pwrite(fd, b"b" * 448, 0)
assert os.fstat(fd).st_size == 448, "fstat size %d after truncate + write" % os.fstat(fd).st_size
assert os.stat("s").st_size == 448, "stat size %d after truncate + write" % os.stat("s").st_size
os.close(fd)
assert os.stat("s").st_size == 448
# A set-group-ID directory passes on its group, and the bit to subdirectories.
os.mkdir("g", 0o755)
os.chown("g", -1, 4321)
os.chmod("g", 0o2775)
os.mkdir("g/sub", 0o755)
open("g/f", "w").close()
os.symlink("x", "g/l")
st = os.stat("g/sub")
assert st.st_gid == 4321 and st.st_mode & stat.S_ISGID, "g/sub: gid %d mode %o" % (st.st_gid, st.st_mode)
assert os.stat("g/f").st_gid == 4321, "g/f gid %d" % os.stat("g/f").st_gid
assert not os.stat("g/f").st_mode & stat.S_ISGID
assert os.lstat("g/l").st_gid == 4321
# fstat of a descriptor of a removed directory: a directory with nlink 0 (was ENOENT).
os.mkdir("gone")
dfd = os.open("gone", os.O_RDONLY | os.O_DIRECTORY)
os.fstat(dfd)
os.rmdir("gone")
st = os.fstat(dfd)
assert stat.S_ISDIR(st.st_mode) and st.st_nlink == 0, "removed dir: mode %o nlink %d" % (st.st_mode, st.st_nlink)
os.close(dfd)
print("regression checks OK")
PY

log "exerciser: one mount, seed $SEED, $OPS operations"
mkdir -p "$DFS_ROOT/ref1" "$A/fsx1"
python3 "$FSX" --seed "$SEED" --ops "$OPS" "${DFS_GAPS[@]}" "$DFS_ROOT/ref1" "$A/fsx1" ||
  fail "exerciser found a difference with one mount (reproduce: FSX_SEED=$SEED)"

log "exerciser: two mounts, seed $((SEED + 1)), $OPS2 operations"
mkdir -p "$DFS_ROOT/ref2" "$A/fsx2"
python3 "$FSX" --seed "$((SEED + 1))" --ops "$OPS2" "${DFS_GAPS[@]}" "$DFS_ROOT/ref2" "$A/fsx2" "$B/fsx2" ||
  fail "exerciser found a difference with two mounts (reproduce: FSX_SEED=$SEED)"
log "PASS"
