#!/usr/bin/env bash
# bench/run.sh -- runs ../shared/bench/fsbench.sh against dfs and its peers on this machine
# and prints one table: each workload's figure per target, and the ratios dfs/MooseFS and
# dfs/passthrough. Benchmarks print figures; nothing here passes or fails on speed.
#
# Usage: bench/run.sh [--targets "local passthrough dfs moosefs"] [--out DIR] [--servers N]
#   local        a directory on the local disk (the ceiling without FUSE)
#   passthrough  libfuse's passthrough_ll example over a local directory (the FUSE ceiling)
#   dfs          a local dfs cluster: 1 master + N chunk servers (default 3), replicas 2
#   moosefs      MooseFS from Debian packages via ../shared/bench/moosefs-up.sh (goal 2)
# FSBENCH_* variables are passed to fsbench.sh (e.g. FSBENCH_SIZE=256M for a quick run).
# Needs root (cache drops, FUSE mounts, MooseFS's network namespace).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=${DFS_SHARED:-$repo/../shared}
fsbench=$shared/bench/fsbench.sh
targets="local passthrough dfs moosefs"
out=""
servers=3

while [ $# -gt 0 ]; do
  case "$1" in
    --targets) targets=$2; shift 2;;
    --out) out=$2; shift 2;;
    --servers) servers=$2; shift 2;;
    -h|--help) sed -n '2,14p' "$0"; exit 0;;
    *) echo "bench/run.sh: unknown argument: $1" >&2; exit 2;;
  esac
done
[ -x "$fsbench" ] || [ -f "$fsbench" ] || { echo "bench/run.sh: $fsbench not found (set DFS_SHARED)" >&2; exit 2; }
command -v fio >/dev/null || apt-get install -y -qq fio >/dev/null

work=$(mktemp -d /var/tmp/dfs-bench.XXXXXX)
chmod 755 "$work"  # MooseFS daemons run as user mfs and need to enter it
out=${out:-$work/results}
mkdir -p "$out"
cleanups=()
cleanup() {
  local i
  for (( i=${#cleanups[@]}-1; i>=0; i-- )); do eval "${cleanups[$i]}" || true; done
  # Keep only the results (when they live under $work); everything else goes.
  local f
  for f in "$work"/*; do
    [ "$f" = "$out" ] || rm -rf "$f" 2>/dev/null || true
  done
  [ "$out" = "$work/results" ] || rmdir "$work" 2>/dev/null || true
}
trap cleanup EXIT

run_fsbench() {  # run_fsbench DIR LABEL
  echo "# ---- $2 ($1)" >&2
  bash "$fsbench" "$1" "$2" | tee "$out/$2.txt" | grep '^#' | tail -3 >&2 || true
}

bench_local() {
  mkdir -p "$work/local"
  run_fsbench "$work/local" local
}

bench_passthrough() {
  local src=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
  [ -f "$src" ] || { echo "# passthrough_ll.c not found; skipped" >&2; return; }
  gcc -O2 -Wall "$src" -o "$work/passthrough_ll" $(pkg-config --cflags --libs fuse3) -lpthread
  mkdir -p "$work/pt-src" "$work/pt-mnt"
  "$work/passthrough_ll" -o source="$work/pt-src" "$work/pt-mnt"
  cleanups+=("fusermount3 -u '$work/pt-mnt' || fusermount3 -uz '$work/pt-mnt'")
  run_fsbench "$work/pt-mnt" passthrough
  fusermount3 -u "$work/pt-mnt" || fusermount3 -uz "$work/pt-mnt"
  unset 'cleanups[${#cleanups[@]}-1]'
}

bench_dfs() {
  local state=$work/dfs
  "$repo/scripts/cluster.sh" up --state "$state" --servers "$servers" --port-base 19700 \
    --mount "$state/mnt" >&2
  cleanups+=("'$repo/scripts/cluster.sh' down --state '$state' >&2")
  run_fsbench "$state/mnt" dfs
  "$repo/scripts/cluster.sh" down --state "$state" >&2
  unset 'cleanups[${#cleanups[@]}-1]'
}

bench_moosefs() {
  [ -x "$shared/bench/moosefs-up.sh" ] || [ -f "$shared/bench/moosefs-up.sh" ] || {
    echo "# moosefs-up.sh not found; skipped" >&2; return; }
  if ! command -v mfsmaster >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq moosefs-master moosefs-chunkserver \
      moosefs-client moosefs-cli >/dev/null
  fi
  export MFS_BASE=$work/mfsroot MFS_MNT=$work/mfs
  bash "$shared/bench/moosefs-up.sh" >&2
  cleanups+=("bash '$shared/bench/moosefs-down.sh' >&2")
  run_fsbench "$MFS_MNT" moosefs
  bash "$shared/bench/moosefs-down.sh" >&2
  unset 'cleanups[${#cleanups[@]}-1]'
}

for t in $targets; do
  case "$t" in
    local|passthrough|dfs|moosefs) "bench_$t";;
    *) echo "bench/run.sh: unknown target: $t" >&2; exit 2;;
  esac
done

python3 "$here/table.py" "$out"/*.txt
echo "# raw results: $out"
