#!/usr/bin/env bash
# Integration: readdir stable under concurrent creates/deletes, telldir/seekdir, set-ID bits
# cleared by a non-owner's write and by chown, shared writable mmap + msync seen by a second
# mount, atime by relatime (tests/support/posix_checks.py), first on a local directory to
# prove the checks; then noatime mounts never move atime.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

CHECKS="$(dirname "$0")/../support/posix_checks.py"
dfs_init
chmod 711 "$DFS_ROOT"   # the set-ID check writes as another user
mkdir -p "$DFS_ROOT/local"
python3 "$CHECKS" "$DFS_ROOT/local" || fail "the checks fail on a local directory"

start_cluster 3
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
mount_volume "$A"
mount_volume "$B"
mkdir "$A/t"
python3 "$CHECKS" "$A/t" "$B/t" || fail "posix checks failed on dfs"
# noatime: reads never move atime.
C=$DFS_ROOT/mnt-c
mount_volume "$C" noatime
echo data >"$A/t/na"
touch -a -d '2001-01-01 00:00:00' "$A/t/na"
before=$(stat -c %X "$A/t/na")
cat "$C/t/na" >/dev/null
sleep 0.5
assert_eq "$before" "$(stat -c %X "$A/t/na")" "atime after a read through a noatime mount"
cat "$B/t/na" >/dev/null   # the same read through a relatime mount moves it
sleep 0.5
[[ "$(stat -c %X "$A/t/na")" -gt "$before" ]] || fail "a read through a relatime mount kept an atime older than mtime"
log "posix_more: OK"
