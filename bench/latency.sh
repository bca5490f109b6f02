#!/usr/bin/env bash
# bench/latency.sh -- where the time of one small file goes on a dfs mount: starts a local
# cluster (1 master, 3 chunk servers, replicas 2; tests/support/cluster.sh, temp dirs,
# loopback ports), mounts it, creates N files of SIZE bytes (open O_CREAT|O_EXCL, write,
# fchmod, close: like tar), and prints files/s, each RPC kind's round trip as the mount
# sees it, and the servers' own time for the same calls (from the daemons' /metrics).
# The difference between the two is transport and scheduling (wakeups) on this machine.
# With async_dirops (the default) the mount does not wait for a create: its master call's
# "round trip" then includes the master's batching of such replies (up to 5 ms), so run
# with DFS_BENCH_MOUNT_OPTS=async_dirops=0 to read the transport figures.
# Benchmarks print figures; nothing here passes or fails on speed.
#
# Usage: bench/latency.sh [--files N] [--size BYTES] [--consistency LEVEL]
# Binaries from DFS_BUILD_DIR (default build-release); DFS_BENCH_MOUNT_OPTS: more -o options.
# Needs root (FUSE mounts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${DFS_BUILD_DIR:-$repo/build-release}
files=2000
size=100
level=quorum
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files=$2; shift 2;;
    --size) size=$2; shift 2;;
    --consistency) level=$2; shift 2;;
    -h|--help) sed -n '2,12p' "$0"; exit 0;;
    *) echo "bench/latency.sh: unknown argument: $1" >&2; exit 2;;
  esac
done
export DFS_MASTER=$build/server/master/dfs-master DFS_CHUNKSERVER=$build/server/chunkserver/dfs-chunkserver
export DFS_MOUNT=$build/client/dfs-mount DFSCTL=$build/client/ctl/dfsctl
for b in "$DFS_MASTER" "$DFS_CHUNKSERVER" "$DFS_MOUNT" "$DFSCTL"; do
  [ -x "$b" ] || { echo "bench/latency.sh: $b not built (ninja -C $build)" >&2; exit 1; }
done
# shellcheck source=../tests/support/cluster.sh
source "$repo/tests/support/cluster.sh"
DFS_METRICS=1
dfs_init
MASTER_ARGS=(--default-replicas 2)
start_cluster 3 2>/dev/null
M=$DFS_ROOT/m
mount_volume "$M" "consistency=$level${DFS_BENCH_MOUNT_OPTS:+,$DFS_BENCH_MOUNT_OPTS},metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/m.port" 2>/dev/null
wait_for_file "$DFS_ROOT/m.port" 30
MPORT=$(_read_port "$DFS_ROOT/m.port")

# Every series of the mount, the master and the chunk servers, one "name value" per line.
snapshot() {
  { curl -s "http://127.0.0.1:$MPORT/metrics"
    curl -s "http://127.0.0.1:$MASTER_METRICS_PORT/metrics"
    for p in "${CS_METRICS_PORTS[@]}"; do curl -s "http://127.0.0.1:$p/metrics"; done
  } | grep -v '^#' | awk '{s[$1] += $2} END {for (k in s) print k, s[k]}' | sort
}
make_files() {  # make_files DIR COUNT SIZE
  python3 - "$@" <<'PY'
import os, sys, time
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = os.urandom(size)
t0 = time.monotonic()
for i in range(n):
    fd = os.open(f"{d}/f{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.write(fd, data)
    os.fchmod(fd, 0o644)
    os.close(fd)
print(f"{n / (time.monotonic() - t0):.0f}")
PY
}
mkdir "$M/warm" "$M/run"
make_files "$M/warm" 200 "$size" >/dev/null
snapshot >"$DFS_ROOT/before"
rate=$(make_files "$M/run" "$files" "$size")
snapshot >"$DFS_ROOT/after"
python3 - "$DFS_ROOT/before" "$DFS_ROOT/after" "$files" "$size" "$level" "$rate" <<'PY'
import sys
def load(p):
    return {k: float(v) for k, v in (l.split() for l in open(p))}
a, b = load(sys.argv[1]), load(sys.argv[2])
n, size, level, rate = int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
d = lambda k: b.get(k, 0.0) - a.get(k, 0.0)
def avg(total, count):
    c = d(count)
    return (d(total) / c * 1e6, c) if c > 0 else (0.0, 0)
print(f"# {n} files of {size} bytes (create, write, fchmod, close), consistency={level}: {rate} files/s")
print(f"{'what':44s} {'calls/file':>10s} {'us/call':>8s}")
for peer in ("master", "chunk"):
    us, c = avg(f'dfs_client_rpc_seconds_sum{{peer="{peer}"}}', f'dfs_client_rpc_seconds_count{{peer="{peer}"}}')
    print(f"{'mount: ' + peer + ' RPC round trip':44s} {c / n:10.2f} {us:8.0f}")
for method in ("mknod", "commit", "setAttr", "release", "allocateBlocks"):
    us, c = avg(f'dfs_master_rpc_seconds_sum{{method="{method}"}}', f'dfs_master_rpc_seconds_count{{method="{method}"}}')
    if c: print(f"{'master: ' + method + ' (its own time)':44s} {c / n:10.2f} {us:8.0f}")
us, c = avg('dfs_chunk_write_block_finish_seconds_sum', 'dfs_chunk_write_block_finish_seconds_count')
print(f"{'chunk servers: block write finish (own time)':44s} {c / n:10.2f} {us:8.0f}")
PY
