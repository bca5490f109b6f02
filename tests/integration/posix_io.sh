#!/usr/bin/env bash
# Integration: file I/O semantics against ext4 (tests/support/io_checks.py, run on a local
# directory first to prove the checks): mtime/ctime of a write seen before close and kept
# after it, concurrent O_APPEND writers on one mount, appends alternating between two
# mounts, O_DIRECT reads and writes. Then the same on a strong mount (write-through,
# every write committed: fewer appended lines).
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

CHECKS="$(dirname "$0")/../support/io_checks.py"
dfs_init
mkdir -p "$DFS_ROOT/local"
python3 "$CHECKS" "$DFS_ROOT/local" || fail "the checks fail on a local directory"

start_cluster 3
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
mount_volume "$A"
mount_volume "$B"
mkdir "$A/t"
python3 "$CHECKS" "$A/t" "$B/t" || fail "io checks failed on dfs (quorum)"
S=$DFS_ROOT/mnt-s
mount_volume "$S" consistency=strong
mkdir "$S/s"
IO_CHECK_LINES=500 python3 "$CHECKS" "$S/s" "$A/s" || fail "io checks failed on dfs (strong)"
log "posix_io: OK"
