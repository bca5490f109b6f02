#!/usr/bin/env bash
# Integration: quorum mounts cache names and attributes in the kernel, and the master
# invalidates them when another mount changes them, before that change returns: so two
# quorum mounts see each other's metadata changes at once (no sleeps below), while
# repeated stats of unchanged files do not reach the master at all.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
DFS_METRICS=1
MASTER_ARGS=(--invalidate-timeout-ms 1000)
start_cluster 3
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
mount_volume "$A"   # quorum, the default: long kernel caches, invalidated by the master
mount_volume "$B"
assert_eq 2 "$(master_metric dfs_master_cache_watchers)" "mounts registered for invalidation"

lookups() { master_metric 'dfs_master_rpc_total{method="lookup"}'; }
getattrs() { master_metric 'dfs_master_rpc_total{method="getAttr"}'; }

# --- cached: 2000 stats of one path from B cost (almost) no master calls ---
mkdir -p "$A/d/e"
echo hello >"$A/d/e/f"
stat "$B/d/e/f" >/dev/null
l0=$(lookups) g0=$(getattrs)
for _ in $(seq 200); do stat -c %s "$B/d/e/f" "$B/d/e/f" "$B/d/e/f" "$B/d/e/f" "$B/d/e/f" \
  "$B/d/e/f" "$B/d/e/f" "$B/d/e/f" "$B/d/e/f" "$B/d/e/f" >/dev/null; done
calls=$(( $(lookups) - l0 + $(getattrs) - g0 ))
log "2000 stats of a cached path: $calls master lookup/getAttr calls"
(( calls < 50 )) || fail "stats of an unchanged file reached the master $calls times"

# Missing names are cached too (negative entries).
l0=$(lookups)
for _ in $(seq 100); do stat "$B/d/missing" 2>/dev/null && fail "missing name exists"; done
calls=$(( $(lookups) - l0 ))
(( calls < 10 )) || fail "lookups of a missing name reached the master $calls times"

# Lookups of many names in one directory are answered from its listing (one readdir),
# and the listing follows changes made elsewhere.
mkdir "$A/many"
for i in $(seq 300); do : >"$A/many/f$i"; done
l0=$(lookups)
for i in $(seq 300); do stat -c %i "$B/many/f$i"; done >/dev/null
stat "$B/many/nope" 2>/dev/null && fail "a missing name in a listed directory exists"
calls=$(( $(lookups) - l0 ))
log "300 stats of distinct names in one directory: $calls master lookups"
(( calls < 30 )) || fail "lookups in a listed directory reached the master $calls times"
rm "$A/many/f7"
echo new >"$A/many/nope"
[[ ! -e "$B/many/f7" ]] || fail "a name removed elsewhere is still listed"
assert_eq new "$(cat "$B/many/nope")" "a name created elsewhere in a listed directory"
mv "$A/many/f8" "$A/many/f9"
assert_eq "$(stat -c %i "$A/many/f9")" "$(stat -c %i "$B/many/f9")" "inode after rename over"

# A directory A made is listed (empty) by A at once; a name B creates in it shows in A.
mkdir "$A/fresh"
stat "$A/fresh/x" 2>/dev/null && fail "fresh/x exists before it was made"
echo from-b >"$B/fresh/x"
assert_eq from-b "$(cat "$A/fresh/x")" "a name made elsewhere in a directory this mount made"

# --- every change by A shows in B at once ---
chmod 600 "$A/d/e/f"
assert_eq 600 "$(stat -c %a "$B/d/e/f")" "mode after chmod in the other mount"
touch -d '2001-02-03 04:05:06.123456789' "$A/d/e/f"
assert_eq "2001-02-03 04:05:06.123456789" "$(TZ=UTC0 stat -c %y "$B/d/e/f" | cut -c1-29)" \
  "mtime after utimensat in the other mount"
echo made >"$A/d/missing"
assert_eq made "$(cat "$B/d/missing")" "a name that was cached as missing, created elsewhere"
ln "$A/d/missing" "$A/d/e/hard"
assert_eq 2 "$(stat -c %h "$B/d/missing")" "nlink after link in the other mount"
rm "$A/d/missing"
[[ ! -e "$B/d/missing" ]] || fail "a name removed elsewhere is still seen"
assert_eq 1 "$(stat -c %h "$B/d/e/hard")" "nlink after unlink in the other mount"
mv "$A/d/e/hard" "$A/d/moved"
[[ ! -e "$B/d/e/hard" ]] || fail "rename source still seen in the other mount"
assert_eq made "$(cat "$B/d/moved")" "rename target in the other mount"
echo other >"$A/d/other"
cat "$B/d/other" >/dev/null
mv -f "$A/d/moved" "$A/d/other"
assert_eq made "$(cat "$B/d/other")" "rename over a name the other mount had cached"
mkdir "$A/d/sub"
assert_eq 4 "$(stat -c %h "$B/d")" "directory link count after mkdir elsewhere"
rmdir "$A/d/sub"
[[ ! -e "$B/d/sub" ]] || fail "rmdir elsewhere not seen"

# Directory attributes: a mount keeps them (the kernel asks before every create or unlink
# in a directory) and stays right: its own changes return the directory's new attributes,
# the other mount's reach it through the master.
mkdir "$A/dattr"
stat "$B/dattr" >/dev/null
g0=$(getattrs)
for i in $(seq 1 50); do : >"$A/dattr/f$i"; done
for i in $(seq 1 50); do rm "$A/dattr/f$i"; done
g1=$(getattrs)
(( g1 - g0 <= 5 )) || fail "100 creates/unlinks in one directory cost $((g1 - g0)) getattr calls"
m_before=$(stat -c %Y.%y "$B/dattr")
sleep 0.01
mkdir "$A/dattr/sub"
assert_eq 3 "$(stat -c %h "$B/dattr")" "nlink of a directory the other mount had cached, after mkdir"
[[ "$(stat -c %Y.%y "$B/dattr")" != "$m_before" ]] || fail "mtime of a cached directory did not move"
assert_eq "$(stat -c %y.%h "$A/dattr")" "$(stat -c %y.%h "$B/dattr")" "directory attrs agree across mounts"
rmdir "$B/dattr/sub"
assert_eq 2 "$(stat -c %h "$A/dattr")" "nlink after rmdir by the other mount"
assert_eq "$(stat -c %y.%h "$A/dattr")" "$(stat -c %y.%h "$B/dattr")" "directory attrs agree after rmdir"
chmod 700 "$B/dattr"
assert_eq 700 "$(stat -c %a "$A/dattr")" "mode of a cached directory after chmod elsewhere"

# Contents: B has the file's pages cached; A rewrites it; B reads the new bytes after
# A's close, with no wait.
head -c 300000 /dev/urandom >"$DFS_ROOT/v1"
head -c 200000 /dev/urandom >"$DFS_ROOT/v2"
cp "$DFS_ROOT/v1" "$A/data"
cmp "$DFS_ROOT/v1" "$B/data" || fail "first version read in the other mount"
exec 7<"$B/data"   # an open descriptor in B from before the rewrite
cp "$DFS_ROOT/v2" "$A/data"
assert_eq 200000 "$(stat -c %s "$B/data")" "size right after the writer's close"
cmp "$DFS_ROOT/v2" "$B/data" || fail "other mount reads old bytes after the writer's close"
exec 7<&-
truncate -s 1000 "$A/data"
assert_eq 1000 "$(stat -c %s "$B/data")" "size after truncate elsewhere"
cmp -n 1000 "$DFS_ROOT/v2" "$B/data" || fail "bytes after truncate elsewhere"

# The writer's own mount shows the mtime its commit set (not a cached older one).
python3 - "$A/data" <<'PY' || fail "writer's mount kept a stale mtime"
import os, sys, time
path = sys.argv[1]
before = os.stat(path).st_mtime_ns
time.sleep(0.05)
with open(path, "ab") as f:
    f.write(b"x")
after = os.stat(path).st_mtime_ns
assert after > before, (before, after)
PY
assert_eq "$(stat -c %Y.%s "$A/data")" "$(stat -c %Y.%s "$B/data")" "mtime and size agree across mounts"

sent=$(master_metric dfs_master_invalidate_calls_total)
log "invalidate calls sent: $sent"
(( sent > 10 )) || fail "the master sent only $sent invalidate calls"

# --- listings with attributes (readdirplus): `ls -l` of a directory whose listing a
#     mount keeps needs no lookup per name, and still shows another mount's chmod at once ---
D=$DFS_ROOT/mnt-d
mount_volume "$D" "metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/d.metrics"
dport=$(_read_port "$DFS_ROOT/d.metrics")
plus() { metric_at "$dport" dfs_client_readdirplus_attrs_total; }
mkdir "$A/plus"
for i in $(seq 1 40); do echo "$i" >"$A/plus/f$i"; done
ls -l "$D/plus" >/dev/null   # D looks the names up and keeps the listing
drop_caches                  # D's kernel forgets the names and their attributes
p0=$(plus)
ls -l "$D/plus" >/dev/null
listed=$(( $(plus) - p0 ))
(( listed >= 40 )) || fail "ls -l of a listed directory: $listed of 40 entries came with attributes"
chmod 600 "$A/plus/f7"
assert_eq "-rw-------" "$(ls -l "$D/plus" | awk '$NF == "f7" {print $1}')" \
  "mode of f7 listed by another mount right after its chmod"
# Its own writes too: a file appended to here and closed shows its new size in the listing.
echo more >>"$D/plus/f9"
assert_eq 7 "$(ls -l "$D/plus" | awk '$NF == "f9" {print $5}')" "size of f9 listed after an append here"
log "readdirplus: $listed entries listed with attributes; changes here and elsewhere seen at once"
unmount_volume "$D"

# --- a stopped mount delays changes by at most the timeout, once ---
stat "$B/d/other" >/dev/null
pid=$(_find_mount_pid "$B" | head -1)
kill -STOP "$pid"
t0=$(now_ms)
chmod 640 "$A/d/other"
chmod 604 "$A/d/other"
touch "$A/d/other"
took=$(( $(now_ms) - t0 ))
kill -CONT "$pid"
log "three changes with the other mount stopped: $took ms"
(( took < 5000 )) || fail "a stopped mount held up changes for $took ms"
(( $(master_metric dfs_master_invalidate_timeouts_total) >= 1 )) || fail "no invalidation timed out"
assert_eq 604 "$(stat -c %a "$B/d/other")" "mode seen by the resumed mount"

# --- a master restart: listings kept from the old session are dropped at once ---
C=$DFS_ROOT/mnt-c
mount_volume "$C" "attr_timeout=1,entry_timeout=1"
for i in $(seq 20 60); do stat "$C/many/f$i" >/dev/null; done   # C now lists many/
stop_master
restart_master
rm "$A/many/f30"      # A mounts again; the new master knows nothing of C's caches
sleep 1.5             # C's kernel cache times pass
[[ ! -e "$C/many/f30" ]] || fail "a mount answered from a listing kept across a master restart"
assert_eq 2 "$(master_metric dfs_master_cache_watchers)" "mounts registered again after the restart"

# --- unmounting B unregisters it ---
unmount_volume "$B"
wait_until 10 "watcher gone after unmount" 'test "$(master_metric dfs_master_cache_watchers)" == 2'
log "metadata cache: OK"
