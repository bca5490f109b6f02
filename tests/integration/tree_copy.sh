#!/usr/bin/env bash
# Integration: cp -a /usr/include (thousands of files) into a mount; diff -r, listings and metadata match.
# shellcheck source=../support/cluster.sh disable=SC2012
source "$(dirname "$0")/../support/cluster.sh"

SRC=${TREE_SRC:-/usr/include}
dfs_init
start_cluster 3
MNT=$DFS_ROOT/mnt
mount_volume "$MNT"

nfiles=$(find "$SRC" -type f | wc -l)
log "source $SRC has $nfiles files"
(( nfiles >= 2000 )) || log "warning: fewer than 2000 files in $SRC"

t0=$(now_ms)
cp -a "$SRC" "$MNT/tree" || fail "cp -a $SRC into the mount failed"
log "cp -a took $(( $(now_ms) - t0 )) ms"

listing() {  # relative path, type, mode, size of regular files, symlink target
  # (directory sizes are fs-specific; symlink st_size is checked in posix_basic.sh)
  (cd "$1" && find . -printf '%P\t%y\t%m\t%s\t%l\n' |
     awk -F'\t' 'BEGIN { OFS = "\t" } $2 != "f" { $4 = "-" } { print }' | LC_ALL=C sort)
}
mtimes() {  # mtime in whole seconds of regular files
  (cd "$1" && find . -type f -printf '%P\t%TY%Tm%Td%TH%TM%TS\n' | sed 's/\.[0-9]*$//' | LC_ALL=C sort)
}

verify() {
  local what=$1
  t0=$(now_ms)
  diff -r --no-dereference "$SRC" "$MNT/tree" >"$DFS_ROOT/diff.out" 2>&1 || {
    head -n 20 "$DFS_ROOT/diff.out" >&2
    fail "$what: diff -r found differences"
  }
  log "$what: diff -r clean ($(( $(now_ms) - t0 )) ms)"
  assert_eq "$(cd "$SRC" && ls -R . | wc -l)" "$(cd "$MNT/tree" && ls -R . | wc -l)" "$what: ls -R line count"
  assert_eq "$(find "$SRC" -type f | wc -l)" "$(find "$MNT/tree" -type f | wc -l)" "$what: file count"
  assert_eq "$(find "$SRC" -type d | wc -l)" "$(find "$MNT/tree" -type d | wc -l)" "$what: directory count"
  assert_eq "$(find "$SRC" -type l | wc -l)" "$(find "$MNT/tree" -type l | wc -l)" "$what: symlink count"
  if ! diff <(listing "$SRC") <(listing "$MNT/tree") >"$DFS_ROOT/diff.out"; then
    head -n 20 "$DFS_ROOT/diff.out" >&2
    fail "$what: type/mode/size/symlink listing differs"
  fi
  if ! diff <(mtimes "$SRC") <(mtimes "$MNT/tree") >"$DFS_ROOT/diff.out"; then
    head -n 20 "$DFS_ROOT/diff.out" >&2
    fail "$what: mtimes set by cp -a (utimensat before close) were not preserved"
  fi
}

verify "after copy"
unmount_volume "$MNT"
mount_volume "$MNT"
verify "after remount"

t0=$(now_ms)
rm -rf "$MNT/tree" || fail "rm -rf of the copied tree failed"
[[ ! -e "$MNT/tree" ]] || fail "tree still exists after rm -rf"
assert_eq "0" "$(find "$MNT" -mindepth 1 | wc -l)" "entries left after rm -rf"
log "rm -rf took $(( $(now_ms) - t0 )) ms"
log "PASS"
