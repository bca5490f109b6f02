#!/usr/bin/env bash
# Integration (issue 6): asynchronous creates and unlinks under directory leases. A mount
# that makes a directory holds its lease: creates and unlinks there are answered without
# waiting for the master, which applies them in the order sent. Another mount that looks
# in the directory first recalls the lease, so it sees every one of them at once
# (close-to-open holds; nothing waits for a cache time). A holder that cannot answer the
# recall (SIGSTOP) loses the lease after the recall timeout; its operations sent before
# the stop still apply, and it goes on synchronously afterwards.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

DFS_METRICS=1
dfs_init
MASTER_ARGS=(--lease-recall-timeout-ms 1000)
start_cluster 2
A=$DFS_ROOT/a
B=$DFS_ROOT/b
mount_volume "$A" "consistency=quorum,metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/a.metrics"
mount_volume "$B" "consistency=quorum"
wait_for_file "$DFS_ROOT/a.metrics" 30
APORT=$(_read_port "$DFS_ROOT/a.metrics")
a_metric() { metric_at "$APORT" "$1"; }

# 1. Creates in a new directory are asynchronous; another mount sees all of them at once.
mkdir "$A/d"
for i in $(seq 1 300); do : >"$A/d/e$i"; done
for i in $(seq 1 20); do echo "data $i" >"$A/d/f$i"; done
creates=$(a_metric dfs_client_async_creates_total)
log "asynchronous creates: $creates of 320"
(( creates >= 300 )) || fail "creates in a new directory did not go asynchronously ($creates)"
assert_eq 320 "$(ls "$B/d" | wc -l)" "names another mount lists right after the creates"
assert_eq "data 17" "$(cat "$B/d/f17")" "a file written and closed on the lease holder"
recalls=$(master_metric dfs_master_dir_lease_recalls_total)
(( recalls >= 1 )) || fail "the other mount's listing did not recall the lease"
# B listed d: it caches d now, so A gets no lease on it again; A still sees B's changes.
echo from-b >"$B/d/g"
assert_eq from-b "$(cat "$A/d/g")" "a file the other mount made after the recall"

# 2. Unlinks: answered at once, seen by the other mount at its next lookup.
mkdir "$A/u"
for i in $(seq 1 200); do : >"$A/u/x$i"; done
for i in $(seq 1 150); do rm "$A/u/x$i"; done
unlinks=$(a_metric dfs_client_async_unlinks_total)
log "asynchronous unlinks: $unlinks of 150"
(( unlinks >= 140 )) || fail "unlinks in a leased directory did not go asynchronously ($unlinks)"
assert_eq 50 "$(ls "$B/u" | wc -l)" "names left after the unlinks, seen by the other mount"
[[ -e "$B/u/x150" ]] && fail "an unlinked name is still there for the other mount"
[[ -e "$B/u/x151" ]] || fail "a name that was not unlinked is gone"

# 3. fsync of the directory: every operation sent before it has been applied.
mkdir "$A/s"
for i in $(seq 1 100); do : >"$A/s/y$i"; done
python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$A/s"
assert_eq 100 "$(ls "$B/s" | wc -l)" "names after fsync of the directory"

# 4. A stopped holder: the recall times out and the lease is revoked; what the holder
#    sent before the stop was applied, and the other mount is not held up for longer.
mkdir "$A/t"
for i in $(seq 1 50); do : >"$A/t/z$i"; done
sleep 0.1  # the mount holds asynchronous calls for up to 2 ms before it sends them
pid=$(_find_mount_pid "$A")
kill -STOP "$pid"
t0=$(now_ms)
n=$(timeout 20 ls "$B/t" | wc -l)
t1=$(now_ms)
kill -CONT "$pid"
log "listing a directory whose holder is stopped took $((t1 - t0)) ms"
assert_eq 50 "$n" "names the stopped holder created before it stopped"
revoked=$(master_metric dfs_master_dir_lease_revocations_total)
assert_eq 1 "$revoked" "leases revoked (holder did not answer)"
# The holder goes on (synchronously: the lease is gone) and nothing was lost.
for i in $(seq 51 60); do : >"$A/t/z$i"; done
assert_eq 60 "$(ls "$B/t" | wc -l)" "names after the holder went on"
assert_eq 0 "$(a_metric dfs_client_async_failures_total)" "asynchronous operations that failed"

# 5. An eventual mount keeps a leased directory's listing past its cache time (nobody
#    else can change the directory unseen), so its creates there stay asynchronous.
E=$DFS_ROOT/e
mount_volume "$E" "consistency=eventual,metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/e.metrics"
wait_for_file "$DFS_ROOT/e.metrics" 30
EPORT=$(_read_port "$DFS_ROOT/e.metrics")
mkdir "$E/ev"
sleep 1.5  # past the eventual mount's entry_timeout (1 s)
for i in $(seq 1 40); do : >"$E/ev/v$i"; done
ev=$(metric_at "$EPORT" dfs_client_async_creates_total)
log "asynchronous creates on the eventual mount: $ev of 40"
(( ev >= 35 )) || fail "an eventual mount's creates in its leased directory were not asynchronous ($ev)"
assert_eq 40 "$(ls "$B/ev" | wc -l)" "names the eventual mount created, seen by another mount"

# 6. A holder killed with operations in flight: the master ends its session and lease;
#    the other mount sees a consistent directory (every name it lists can be opened).
mkdir "$A/k"
for i in $(seq 1 100); do : >"$A/k/w$i"; done
kill -KILL "$pid"
_forget_pid "$pid"
fusermount3 -uz "$A" 2>/dev/null || true
n=$(ls "$B/k" | wc -l)
log "names of a killed holder's directory: $n of 100"
(( n <= 100 )) || fail "more names than created"
for f in "$B"/k/*; do [[ -e "$f" ]] || continue; : <"$f" || fail "listed but cannot be opened: $f"; done
log "directory leases OK"
