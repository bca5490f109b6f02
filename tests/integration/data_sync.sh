#!/usr/bin/env bash
# Integration (issue 6): deferred block fsync on the chunk servers. A quorum mount's blocks
# are acknowledged before their fsync (they wait under DATA_DIR/tmp), readable at once by
# another mount; fsync() on the file makes every copy durable under its real name; a
# chunk server killed with blocks still waiting recovers them at restart; a strong mount's
# writes are durable before write() returns. The servers run with a 10 minute
# --data-sync interval, so only the calls under test sync.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
MASTER_ARGS=(--default-replicas 2)
CS_ARGS=(--data-sync 600000 --heartbeat-ms 300)
DFS_METRICS=1
start_cluster 3
A=$DFS_ROOT/a
B=$DFS_ROOT/b
# A writes even its small file as a block (not inline in the master: inline_data.sh).
mount_volume "$A" consistency=quorum,inline_data=0
mount_volume "$B" consistency=quorum

tmp_files() { cs_files tmp; }        # block files waiting for their fsync, all servers
block_files() { cs_files blocks; }   # durable block files, all servers

# 1. Write and close: acknowledged, visible to the other mount, not yet durable.
head -c $((6 * 1024 * 1024 + 1234)) /dev/urandom >"$DFS_ROOT/ref1"
printf 'small file\n' >"$DFS_ROOT/ref2"
cp "$DFS_ROOT/ref1" "$A/one"
cp "$DFS_ROOT/ref2" "$A/two"
waiting=$(tmp_files)
durable=$(block_files)
log "after close: $waiting copies wait for fsync, $durable durable"
assert_eq 6 "$waiting" "copies waiting after close (3 blocks x 2 replicas)"
assert_eq 0 "$durable" "durable copies before any fsync"
pending=$(( $(cs_metric 0 dfs_chunk_pending_sync_blocks) + $(cs_metric 1 dfs_chunk_pending_sync_blocks) + $(cs_metric 2 dfs_chunk_pending_sync_blocks) ))
assert_eq 6 "$pending" "dfs_chunk_pending_sync_blocks summed"
cmp "$DFS_ROOT/ref1" "$B/one" || fail "the other mount read wrong bytes of a block waiting for fsync"
cmp "$DFS_ROOT/ref2" "$B/two" || fail "small file wrong on the other mount"

# 2. fsync() of one file (on a fresh descriptor) makes every waiting copy durable.
python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.close(fd)' "$A/two"
assert_eq 0 "$(tmp_files)" "copies waiting after fsync"
assert_eq 6 "$(block_files)" "durable copies after fsync"
passes=$(( $(cs_metric 0 dfs_chunk_sync_passes_total) + $(cs_metric 1 dfs_chunk_sync_passes_total) + $(cs_metric 2 dfs_chunk_sync_passes_total) ))
[[ "$passes" -ge 2 && "$passes" -le 3 ]] || fail "expected one sync pass per server holding copies, got $passes"
cmp "$DFS_ROOT/ref1" "$B/one" || fail "bytes changed by the fsync"

# 3. A server killed with copies waiting keeps them: the restart syncs complete temp files.
head -c $((3 * 1024 * 1024)) /dev/urandom >"$DFS_ROOT/ref3"
cp "$DFS_ROOT/ref3" "$A/three"
before=$(tmp_files)
assert_eq 2 "$before" "copies of the new file waiting"
for i in 0 1 2; do kill_chunkserver "$i"; done
# A torn temp file (a crash in the middle of a write) must not become a block.
torn_id=0123456789abcdef0123456789abcdef
head -c 1000 /dev/urandom >"$DFS_ROOT/cs0/tmp/$torn_id.1.1"
for i in 0 1 2; do start_chunkserver "$i"; done
wait_nodes_healthy 3
assert_eq 0 "$(tmp_files)" "temp files left after restart"
assert_eq 8 "$(block_files)" "durable copies after restart (6 + the 2 recovered)"
[[ ! -e "$DFS_ROOT/cs0/blocks/01/23/$torn_id" ]] || fail "a torn temp file became a block"
unmount_volume "$B"
drop_caches
mount_volume "$B" consistency=quorum
cmp "$DFS_ROOT/ref3" "$B/three" || fail "a block recovered at restart reads wrong"
cmp "$DFS_ROOT/ref1" "$B/one" || fail "an older block reads wrong after restart"

# 4. A strong mount: every write is durable when write() returns.
S=$DFS_ROOT/s
mount_volume "$S" consistency=strong
head -c $((1024 * 1024)) /dev/urandom >"$DFS_ROOT/ref4"
dd if="$DFS_ROOT/ref4" of="$S/four" bs=1M count=1 status=none
assert_eq 0 "$(tmp_files)" "copies waiting after a strong write"
cmp "$DFS_ROOT/ref4" "$A/four" || fail "strong write read back wrong"

log "PASS"
