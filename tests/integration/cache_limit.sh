#!/usr/bin/env bash
# Integration: the master records at most --cache-watch-limit inodes and directories per
# quorum mount for invalidation. A mount that goes past it is forgotten and told so, and
# drops what it cached on the master's word (directory listings, attributes): after that
# it still sees another mount's changes, and what it fetches afterwards is invalidated as
# before.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
DFS_METRICS=1
MASTER_ARGS=(--cache-watch-limit 400)
start_cluster 2
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
# A makes every change: a strong mount, which caches nothing and so is not watched.
mount_volume "$A" consistency=strong
mount_volume "$B"
resets() { master_metric dfs_master_cache_watch_resets_total; }

mkdir "$A/many" "$A/other"
for i in $(seq 300); do : >"$A/many/f$i"; : >"$A/other/f$i"; done

# B looks up every name in "many": it keeps the directory's listing (some 300 records).
for i in $(seq 300); do stat -c %i "$B/many/f$i"; done >/dev/null
assert_eq 0 "$(resets)" "resets below the limit"
# B walks "other" too: past 400 records, B's next call makes the master forget them and
# tell B (a statfs here; it always asks the master).
for i in $(seq 300); do stat -c %i "$B/other/f$i"; done >/dev/null
stat -f "$B" >/dev/null
r=$(resets)
log "records of mount B forgotten $r time(s)"
(( r >= 1 )) || fail "a mount past --cache-watch-limit was not reset"

# A name A creates in "many" shows in B, although the master no longer knows B listed it.
echo new >"$A/many/new"
assert_eq new "$(cat "$B/many/new")" "a name created elsewhere after B was forgotten"
# What B fetches after the reset is recorded again: A's chmod reaches B at once. (What
# B's kernel cached before it may show old attributes for up to their cache time.)
: >"$A/other/g"
assert_eq 644 "$(stat -c %a "$B/other/g")" "a file B looks up after the reset"
chmod 600 "$A/other/g"
assert_eq 600 "$(stat -c %a "$B/other/g")" "mode after chmod elsewhere, after the reset"
log "cache watch limit OK"
