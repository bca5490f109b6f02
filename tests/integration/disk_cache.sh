#!/usr/bin/env bash
# Integration: -o cache_dir. A 64 MiB file read through a disk-cached mount is read again
# after a remount with every chunk server frozen (SIGSTOP), from the cache directory alone;
# the directory stays under cache_dir_size; a corrupt cache file is a miss, not bad data.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
start_cluster 3
MNT=$DFS_ROOT/mnt
CACHE=$DFS_ROOT/cache
BOUND=$((80 * 1024 * 1024))

cache_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
cache_files() { find "$1" -type f -name '*.seg' | wc -l; }
thaw() { local p; for p in "${CS_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; done; }

# Written through a mount without a cache dir: the first cached read fetches from servers.
mount_volume "$MNT"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$DFS_ROOT/ref"
cp "$DFS_ROOT/ref" "$MNT/big"
unmount_volume "$MNT"

mount_volume "$MNT" "cache_dir=$CACHE,cache_dir_size=$BOUND"
cmp "$DFS_ROOT/ref" "$MNT/big" || fail "first read through the disk-cached mount is wrong"
unmount_volume "$MNT"  # waits for the queued cache writes
n=$(cache_files "$CACHE")
used=$(cache_bytes "$CACHE")
log "cache dir after one read: $n files, $used bytes"
(( n >= 256 )) || fail "expected the 256 segments of the file in $CACHE, found $n"
(( used <= BOUND )) || fail "cache dir holds $used bytes, over its bound $BOUND"

drop_caches
mount_volume "$MNT" "cache_dir=$CACHE,cache_dir_size=$BOUND,metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/m.port"
for p in "${CS_PIDS[@]}"; do kill -STOP "$p"; done
log "all chunk servers frozen (SIGSTOP)"
if ! timeout 120 cmp "$DFS_ROOT/ref" "$MNT/big"; then
  thaw
  fail "file unreadable or wrong from the disk cache with every chunk server frozen"
fi
log "64 MiB read back from the disk cache alone"
wait_for_file "$DFS_ROOT/m.port" 30
port=$(_read_port "$DFS_ROOT/m.port")
hits=$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "dfs_client_disk_cache_hits_total" {print $2}')
thaw
log "chunk servers resumed (SIGCONT); disk cache hits: ${hits:-none}"
(( ${hits:-0} >= 256 )) || fail "dfs_client_disk_cache_hits_total is '${hits:-}', expected >= 256"
unmount_volume "$MNT"

# A corrupt file is a miss: the data comes from a chunk server and is right.
victim=$(find "$CACHE" -name '*.seg' -print -quit)
printf 'garbage' | dd of="$victim" bs=1 seek=100 conv=notrunc status=none
drop_caches
mount_volume "$MNT" "cache_dir=$CACHE,cache_dir_size=$BOUND"
cmp "$DFS_ROOT/ref" "$MNT/big" || fail "read wrong with a corrupt cache file"
unmount_volume "$MNT"

# A small bound holds: 16 MiB for a 64 MiB file.
SMALL=$DFS_ROOT/small-cache
mount_volume "$MNT" "cache_dir=$SMALL,cache_dir_size=16M"
cmp "$DFS_ROOT/ref" "$MNT/big" || fail "read wrong through a small disk cache"
unmount_volume "$MNT"
used=$(cache_bytes "$SMALL")
log "small cache dir: $(cache_files "$SMALL") files, $used bytes"
(( used > 0 && used <= 16 * 1024 * 1024 )) || fail "small cache dir holds $used bytes (bound 16 MiB)"

# An unusable cache dir is no error to the application.
touch "$DFS_ROOT/not-a-dir"
mount_volume "$MNT" "cache_dir=$DFS_ROOT/not-a-dir/cache"
cmp "$DFS_ROOT/ref" "$MNT/big" || fail "read failed with an unusable cache dir"
unmount_volume "$MNT"
log "PASS"
