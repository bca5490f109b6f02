#!/usr/bin/env bash
# Integration: readdir stable under concurrent creates/deletes, telldir/seekdir, set-ID bits
# cleared by a non-owner's write and by chown, shared writable mmap + msync seen by a second
# mount (tests/support/posix_checks.py), first on a local directory to prove the checks.
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
log "posix_more: OK"
