#!/usr/bin/env bash
# Integration (issue 5): SIGKILL a chunk server in the middle of writing a 512 MiB file. The
# file must be complete and correct, the dead server's blocks must be copied back to the
# replica count, and when the server restarts it rejoins, its stale copies (surplus, and
# blocks deleted while it was down) are cleaned, and nothing is lost.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
MASTER_ARGS=(--default-replicas 2 --suspect-timeout-ms 1500 --dead-timeout-ms 3000
             --gc-grace-ms 500 --report-grace-ms 1000 --replication-scan-ms 1000)
CS_ARGS=(--heartbeat-ms 300 --block-report-interval-ms 4000)
start_cluster 3
wait_until 30 "3 healthy nodes" 'test "$(status_query count-state healthy)" -eq 3'
MNT=$DFS_ROOT/mnt
mount_volume "$MNT"

# A small file that will be deleted while server 1 is down (its copies there become stale).
head -c 3000000 /dev/urandom >"$MNT/doomed"
head -c 2000000 /dev/urandom >"$DFS_ROOT/keep-ref"
cp "$DFS_ROOT/keep-ref" "$MNT/keep"

head -c $((512 * 1024 * 1024)) /dev/urandom >"$DFS_ROOT/big-ref"
ref_sum=$(sha256sum <"$DFS_ROOT/big-ref" | cut -d' ' -f1)
(cp "$DFS_ROOT/big-ref" "$MNT/big" && sync) &
writer=$!
# Kill once part of the file is written.
wait_until 60 "the writer to be under way" 'test "$(stat -c %s "$MNT/big" 2>/dev/null || echo 0)" -gt $((96 * 1024 * 1024))'
kill_chunkserver 1
wait "$writer" || fail "writing the 512 MiB file failed after a chunk server was killed"
log "write finished with chunk server 1 dead"

unmount_volume "$MNT"
drop_caches
mount_volume "$MNT"
got=$(sha256sum <"$MNT/big" | cut -d' ' -f1)
assert_eq "$ref_sum" "$got" "sha256 of the 512 MiB file"
cmp "$DFS_ROOT/keep-ref" "$MNT/keep" || fail "small file wrong"

wait_until 30 "server 1 to be seen dead" 'test "$(status_query node "$(cs_addr 1)" state)" == dead'
t0=$(now_ms)
wait_replication_settled 180
log "re-replicated in $(( $(now_ms) - t0 )) ms: $(status_query repl repairedBytes) bytes copied"
(( $(status_query repl repairedBlocks) > 0 )) || fail "nothing was re-replicated"

rm "$MNT/doomed"
sleep 2  # past the GC grace: the blocks of 'doomed' are forgotten by the master

start_chunkserver 1
wait_until 60 "server 1 to rejoin" 'test "$(status_query node "$(cs_addr 1)" state)" == healthy'
wait_replication_settled 120
# Stale copies leave server 1 (surplus copies trimmed, deleted blocks reported as unknown),
# and copies abandoned by the interrupted write go at the next periodic block report:
# every live node stores exactly the blocks the master places there.
wait_until 60 "stored blocks == listed blocks on every node" 'test "$(status_query all-listed-match)" == 1'
log "trimmed $(status_query repl trimmedCopies) surplus copies"

unmount_volume "$MNT"
drop_caches
mount_volume "$MNT"
got=$(sha256sum <"$MNT/big" | cut -d' ' -f1)
assert_eq "$ref_sum" "$got" "sha256 after rejoin"
cmp "$DFS_ROOT/keep-ref" "$MNT/keep" || fail "small file wrong after rejoin"
[[ ! -e "$MNT/doomed" ]] || fail "deleted file is back"

# Raising the volume's replica count applies to the blocks already written.
dfsctl volume set default --replicas 3 >/dev/null || fail "volume set --replicas 3 failed"
wait_replication_settled 180
wait_until 60 "3 copies of every block after raising replicas" \
  'test $(( $(status_query repl blocks) * 3 )) -eq "$(status_query copies)"'
log "$(status_query repl blocks) blocks, $(status_query copies) copies"
log "PASS"
