#!/usr/bin/env bash
# Integration: what the mount's memory block cache keeps of the data it reads.
# - quorum mount, sequential read: drop-behind. Each segment leaves the cache once the
#   reader is past it (the kernel's page cache holds the data), so a 24 MiB stream leaves
#   only its readahead window cached, and a read after the kernel dropped its cache fetches
#   the bytes again, correctly.
# - quorum mount, random reads: segments stay cached (served again without a fetch).
# - strong mount (no kernel page cache), or -o drop_behind=0: a sequential read keeps
#   everything it read.
# - -o max_read=64K: the kernel sends reads of at most 64 KiB (and the mount starts).
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
start_cluster 2
Q=$DFS_ROOT/mnt-q
S=$DFS_ROOT/mnt-s
K=$DFS_ROOT/mnt-k
mount_volume "$Q" "metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/q.metrics"
mount_volume "$S" "consistency=strong,metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/s.metrics"
mount_volume "$K" "drop_behind=0,max_read=64K,metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/k.metrics"
for m in q s k; do wait_for_file "$DFS_ROOT/$m.metrics" 30; done
QPORT=$(_read_port "$DFS_ROOT/q.metrics")
SPORT=$(_read_port "$DFS_ROOT/s.metrics")
KPORT=$(_read_port "$DFS_ROOT/k.metrics")
cached() { metric_at "$1" dfs_client_cache_bytes; }
MiB=$((1024 * 1024))

head -c $((24 * MiB)) /dev/urandom >"$DFS_ROOT/big.src"
want=$(sha256sum <"$DFS_ROOT/big.src" | cut -d' ' -f1)
cp "$DFS_ROOT/big.src" "$Q/big"
head -c $((8 * MiB)) /dev/urandom >"$Q/rand"

# Sequential, quorum: right bytes, and no more than the readahead window (16 MiB at most,
# usually far less once the reader is past it) left in the memory cache.
drop_caches
assert_eq "$want" "$(dd if="$Q/big" bs=1M status=none | sha256sum | cut -d' ' -f1)" \
  "bytes of a sequential read (quorum)"
c=$(cached "$QPORT")
log "quorum mount: $c bytes cached after a 24 MiB sequential read"
(( c <= 16 * MiB )) || fail "a sequential read left $c bytes in the memory cache (drop-behind)"
chunk_before=$(metric_at "$QPORT" 'dfs_client_rpc_total{peer="chunk"}')
drop_caches
assert_eq "$want" "$(dd if="$Q/big" bs=1M status=none | sha256sum | cut -d' ' -f1)" \
  "bytes of a second sequential read after the kernel dropped its cache"
chunk_after=$(metric_at "$QPORT" 'dfs_client_rpc_total{peer="chunk"}')
(( chunk_after - chunk_before >= 32 )) ||
  fail "a re-read after drop-behind fetched only $((chunk_after - chunk_before)) segments"

# Random, quorum: 4 KiB reads at offsets spread over the file keep their segments.
before=$(cached "$QPORT")
drop_caches
for i in 29 3 17 11 23 5 31 7 19 13; do
  dd if="$Q/rand" bs=4k skip=$((i * 64)) count=1 iflag=direct status=none | cmp -s - \
    <(dd if="$Q/rand" bs=4k skip=$((i * 64)) count=1 iflag=direct status=none) ||
    fail "random read at block $i differs between two reads"
done
grown=$(( $(cached "$QPORT") - before ))
log "quorum mount: random reads added $grown bytes to the memory cache"
(( grown >= 10 * 256 * 1024 )) || fail "random reads kept only $grown bytes in the memory cache"

# Sequential, strong: no kernel page cache behind the mount, so its cache keeps the data.
assert_eq "$want" "$(dd if="$S/big" bs=1M status=none | sha256sum | cut -d' ' -f1)" \
  "bytes of a sequential read (strong)"
c=$(cached "$SPORT")
log "strong mount: $c bytes cached after a 24 MiB sequential read"
(( c >= 24 * MiB )) || fail "a strong mount's sequential read kept only $c bytes"
reads_before=$(metric_at "$KPORT" 'dfs_client_fuse_requests_total{op="read"}')
assert_eq "$want" "$(dd if="$K/big" bs=1M status=none | sha256sum | cut -d' ' -f1)" \
  "bytes of a sequential read (drop_behind=0)"
reads=$(( $(metric_at "$KPORT" 'dfs_client_fuse_requests_total{op="read"}') - reads_before ))
log "max_read=64K mount: $reads read requests for 24 MiB"
(( reads >= 384 )) || fail "24 MiB came in $reads reads: max_read=64K was not applied"
c=$(cached "$KPORT")
log "drop_behind=0 mount: $c bytes cached after a 24 MiB sequential read"
(( c >= 24 * MiB )) || fail "a drop_behind=0 mount's sequential read kept only $c bytes"
log "read cache test passed"
