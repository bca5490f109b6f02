#!/usr/bin/env bash
# Integration: 1 GiB round trip (also after remount), sparse file holes, random unaligned overwrites.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

BIG_MIB=${BIG_MIB:-1024}
dfs_init
start_cluster 3
MNT=$DFS_ROOT/mnt
mount_volume "$MNT"
LOCAL=$DFS_ROOT/local
mkdir -p "$LOCAL"

# --- 1 GiB file ---
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$LOCAL/big"
want=$(sha256sum <"$LOCAL/big" | cut -d' ' -f1)
t0=$(now_ms)
cp "$LOCAL/big" "$MNT/big" || fail "writing the big file failed"
ms=$(( $(now_ms) - t0 ))
log "wrote ${BIG_MIB} MiB in $ms ms ($(( BIG_MIB * 1000 / (ms + 1) )) MiB/s)"
assert_eq "$((BIG_MIB * 1024 * 1024))" "$(stat -c %s "$MNT/big")" "big file size"
t0=$(now_ms)
got=$(sha256sum <"$MNT/big" | cut -d' ' -f1)
log "read back in $(( $(now_ms) - t0 )) ms"
assert_eq "$want" "$got" "sha256 of big file"
unmount_volume "$MNT"
mount_volume "$MNT"
drop_caches
got=$(sha256sum <"$MNT/big" | cut -d' ' -f1)
assert_eq "$want" "$got" "sha256 of big file after remount"
rm -f "$LOCAL/big" "$MNT/big"
log "big file OK"

# --- sparse file ---
python3 - "$MNT/sparse" "$LOCAL/sparse" <<'PY' || fail "sparse write failed"
import os, sys
for path in sys.argv[1:]:
    with open(path, "wb") as f:
        f.truncate(100 * 1024 * 1024)
        for off, data in [(0, b"head"), (4096 * 3 + 7, b"abc"), (5 * 1024 * 1024 - 1, b"straddle"),
                          (64 * 1024 * 1024 + 12345, b"x" * 70000), (100 * 1024 * 1024 - 3, b"end")]:
            f.seek(off)
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
PY
assert_eq "$(stat -c %s "$LOCAL/sparse")" "$(stat -c %s "$MNT/sparse")" "sparse file size"
cmp "$LOCAL/sparse" "$MNT/sparse" || fail "sparse file differs from the local reference"
unmount_volume "$MNT"
mount_volume "$MNT"
cmp "$LOCAL/sparse" "$MNT/sparse" || fail "sparse file differs after remount"
# truncate -s on an empty file, then a read of pure hole
truncate -s 10M "$MNT/hole"
cmp <(head -c 10485760 /dev/zero) "$MNT/hole" || fail "truncated-up file does not read as zeros"
log "sparse file OK"

# --- random unaligned overwrites ---
SEED=${SEED:-424242}
log "random overwrite seed: $SEED (rerun with SEED=$SEED)"
python3 - "$SEED" "$MNT/rand" "$LOCAL/rand" <<'PY' || fail "random overwrite script failed"
import os, random, sys
seed = int(sys.argv[1])
size = 20 * 1024 * 1024
fds = [os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644) for p in sys.argv[2:]]
rng = random.Random(seed)
base = rng.randbytes(size)
for fd in fds:
    os.pwrite(fd, base, 0)
for i in range(500):
    n = rng.randint(1, 200000)
    off = rng.randint(0, size + 100000)
    data = rng.randbytes(n)
    for fd in fds:
        if os.pwrite(fd, data, off) != n:
            sys.exit("short write at op %d" % i)
for fd in fds:
    os.fsync(fd)
    os.close(fd)
PY
assert_eq "$(stat -c %s "$LOCAL/rand")" "$(stat -c %s "$MNT/rand")" "random-overwrite file size"
cmp "$LOCAL/rand" "$MNT/rand" || fail "random overwrites: mount differs from local reference (seed $SEED)"
unmount_volume "$MNT"
mount_volume "$MNT"
drop_caches
cmp "$LOCAL/rand" "$MNT/rand" || fail "random overwrites differ after remount (seed $SEED)"
log "random overwrites OK"
log "PASS"
