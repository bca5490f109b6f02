#!/usr/bin/env bash
# Integration: two mounts of one volume see each other's writes, creates, renames and unlinks.
# shellcheck source=../support/cluster.sh disable=SC2012
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
start_cluster 3
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
# Short kernel caches so metadata changes show up promptly in the other mount.
mount_volume "$A" "attr_timeout=0,entry_timeout=0"
mount_volume "$B" "attr_timeout=0,entry_timeout=0"

eventually() {  # eventually TIMEOUT_S CMD...: retries CMD until it succeeds
  local timeout=$1 deadline
  shift
  deadline=$(( $(now_ms) + timeout * 1000 ))
  until "$@" 2>/dev/null; do
    (( $(now_ms) < deadline )) || return 1
    sleep 0.2
  done
}

head -c 3000000 /dev/urandom >"$DFS_ROOT/ref"
cp "$DFS_ROOT/ref" "$A/file"          # write + close in A
cmp "$DFS_ROOT/ref" "$B/file" || fail "B does not read what A wrote"

# Overwrite part of the file in A; B must see the new bytes after A closes it.
head -c 100000 /dev/urandom >"$DFS_ROOT/patch"
dd if="$DFS_ROOT/patch" of="$A/file" bs=1000 seek=1234 conv=notrunc status=none
dd if="$DFS_ROOT/patch" of="$DFS_ROOT/ref" bs=1000 seek=1234 conv=notrunc status=none
eventually 5 cmp -s "$DFS_ROOT/ref" "$B/file" || fail "B does not see A's overwrite"

mkdir "$A/dir"
echo hello >"$A/dir/created"
eventually 5 test -f "$B/dir/created" || fail "create in A not visible in B"
assert_eq "hello" "$(cat "$B/dir/created")" "content of created file via B"

mv "$A/dir/created" "$A/renamed"
eventually 5 test -f "$B/renamed" || fail "rename in A not visible in B (new name)"
eventually 5 test ! -e "$B/dir/created" || fail "rename in A not visible in B (old name still there)"

rm "$A/renamed"
eventually 5 test ! -e "$B/renamed" || fail "unlink in A not visible in B"
rmdir "$A/dir"
eventually 5 test ! -e "$B/dir" || fail "rmdir in A not visible in B"

# And the other way round.
echo from-b >"$B/back"
eventually 5 test -f "$A/back" || fail "create in B not visible in A"
assert_eq "from-b" "$(cat "$A/back")" "content written in B read via A"
assert_eq "$(ls "$A" | LC_ALL=C sort | tr '\n' ' ')" "$(ls "$B" | LC_ALL=C sort | tr '\n' ' ')" "listings of A and B"
log "PASS"
