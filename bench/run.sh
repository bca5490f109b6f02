#!/usr/bin/env bash
# bench/run.sh -- runs ../shared/bench/fsbench.sh (and optionally bench/mdtest.py) against dfs
# and its peers on this machine and prints the tables: each workload's figure per target, and
# the ratios dfs-quorum/MooseFS and dfs-quorum/passthrough. Benchmarks print figures; nothing
# here passes or fails on speed.
#
# Usage: bench/run.sh [--targets "local passthrough dfs moosefs"] [--out DIR] [--servers N]
#                     [--mdtest] [--no-fsbench]
#   local        a directory on the local disk (the ceiling without FUSE)
#   passthrough  libfuse's passthrough_ll example over a local directory (the FUSE ceiling)
#   dfs          shorthand for "dfs-quorum dfs-eventual dfs-strong"
#   dfs-LEVEL    a local dfs cluster (1 master + N chunk servers, default 3, replicas 2) mounted
#                afresh with -o consistency=LEVEL (strong|quorum|eventual); all dfs-LEVEL
#                targets share one cluster. dfs-quorum is the one the ratios use.
#   moosefs      MooseFS from Debian packages via ../shared/bench/moosefs-up.sh (goal 2)
#   --mdtest     also run bench/mdtest.py on every target (a second table)
#   --no-fsbench skip fsbench.sh (with --mdtest: a metadata-only run)
# FSBENCH_* variables are passed to fsbench.sh (e.g. FSBENCH_SIZE=256M for a quick run).
# FSBENCH_ONLY_<TARGET> (upper case, - as _, e.g. FSBENCH_ONLY_DFS_STRONG="meta small")
# restricts fsbench's workloads for that target only; the table footer says so.
# MDTEST_PROCS [1,2,4], MDTEST_FILES [1000 per process], MDTEST_DIRS [0; N = also mkdir/rmdir
# N dirs per process], MDTEST_DROP=1 (drop caches before every phase) configure mdtest.py.
# DFS_BENCH_MOUNT_OPTS: more dfs-mount -o options for every dfs target (e.g. async_dirops=0).
# Needs root (cache drops, FUSE mounts, MooseFS's network namespace).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=${DFS_SHARED:-$repo/../shared}
fsbench=$shared/bench/fsbench.sh
build=${DFS_BUILD_DIR:-$repo/build-release}
targets="local passthrough dfs moosefs"
out=""
servers=3
port_base=19700
do_fsbench=1
do_mdtest=0
mdtest_procs=${MDTEST_PROCS:-1,2,4}
mdtest_files=${MDTEST_FILES:-1000}
mdtest_dirs=${MDTEST_DIRS:-0}

while [ $# -gt 0 ]; do
  case "$1" in
    --targets) targets=$2; shift 2;;
    --out) out=$2; shift 2;;
    --servers) servers=$2; shift 2;;
    --mdtest) do_mdtest=1; shift;;
    --no-fsbench) do_fsbench=0; shift;;
    -h|--help) sed -n '2,24p' "$0"; exit 0;;
    *) echo "bench/run.sh: unknown argument: $1" >&2; exit 2;;
  esac
done
# "dfs" expands to every consistency level, quorum (the headline) first.
expanded=""
for t in $targets; do
  case "$t" in
    dfs) expanded="$expanded dfs-quorum dfs-eventual dfs-strong";;
    local|passthrough|moosefs|dfs-strong|dfs-quorum|dfs-eventual) expanded="$expanded $t";;
    *) echo "bench/run.sh: unknown target: $t" >&2; exit 2;;
  esac
done
targets=$expanded
[ "$do_fsbench$do_mdtest" != 00 ] || { echo "bench/run.sh: --no-fsbench without --mdtest runs nothing" >&2; exit 2; }
if [ "$do_fsbench" = 1 ]; then
  [ -f "$fsbench" ] || { echo "bench/run.sh: $fsbench not found (set DFS_SHARED)" >&2; exit 2; }
  command -v fio >/dev/null || apt-get install -y -qq fio >/dev/null
fi

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
pop_cleanup() { unset 'cleanups[${#cleanups[@]}-1]'; }

result_files=()
run_benches() {  # run_benches DIR LABEL: fsbench and/or mdtest on DIR
  local dir=$1 label=$2 var only t0
  t0=$(date +%s)
  if [ "$do_fsbench" = 1 ]; then
    var=FSBENCH_ONLY_$(echo "$label" | tr 'a-z-' 'A-Z_')
    only=${!var:-${FSBENCH_ONLY:-}}
    echo "# ---- fsbench $label ($dir)${only:+ only '$only'}" >&2
    FSBENCH_ONLY=$only bash "$fsbench" "$dir" "$label" | tee "$out/$label.txt" | grep '^#' | tail -3 >&2 || true
    result_files+=("$out/$label.txt")
  fi
  if [ "$do_mdtest" = 1 ]; then
    echo "# ---- mdtest $label ($dir)" >&2
    local drop=()
    [ "${MDTEST_DROP:-0}" = 1 ] && drop=(--drop-caches)
    python3 "$here/mdtest.py" "$dir" --label "$label" --procs "$mdtest_procs" \
      --files "$mdtest_files" --dirs "$mdtest_dirs" "${drop[@]}" \
      --json "$out/$label.mdtest.json" >"$out/$label.mdtest.txt"
    result_files+=("$out/$label.mdtest.json")
  fi
  echo "# ---- $label took $(( $(date +%s) - t0 )) s" >&2
}

bench_local() {
  mkdir -p "$work/local"
  run_benches "$work/local" local
}

bench_passthrough() {
  local src=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
  [ -f "$src" ] || { echo "# passthrough_ll.c not found; skipped" >&2; return; }
  gcc -O2 -Wall "$src" -o "$work/passthrough_ll" $(pkg-config --cflags --libs fuse3) -lpthread
  mkdir -p "$work/pt-src" "$work/pt-mnt"
  "$work/passthrough_ll" -o source="$work/pt-src" "$work/pt-mnt"
  cleanups+=("fusermount3 -u '$work/pt-mnt' || fusermount3 -uz '$work/pt-mnt'")
  run_benches "$work/pt-mnt" passthrough
  fusermount3 -u "$work/pt-mnt" || fusermount3 -uz "$work/pt-mnt"
  pop_cleanup
}

# ---- dfs: one cluster, one fresh mount per consistency level
dfs_state=$work/dfs
dfs_up=0
dfs_cluster_up() {
  [ "$dfs_up" = 1 ] && return
  "$repo/scripts/cluster.sh" up --state "$dfs_state" --servers "$servers" --port-base "$port_base" \
    --mount "$dfs_state/mnt" >&2
  cleanups+=("'$repo/scripts/cluster.sh' down --state '$dfs_state' >&2")
  dfs_up=1
  # cluster.sh mounts without options; each level gets its own mount instead.
  fusermount3 -u "$dfs_state/mnt"
}
dfs_cluster_down() {
  [ "$dfs_up" = 1 ] || return 0
  "$repo/scripts/cluster.sh" down --state "$dfs_state" >&2
  pop_cleanup
  dfs_up=0
}
mount_pid() {  # mount_pid MNT: pid of the dfs-mount serving MNT (empty if none)
  local d a
  local -a args
  for d in /proc/[0-9]*; do
    mapfile -d '' -t args <"$d/cmdline" 2>/dev/null || continue
    ((${#args[@]} > 1)) && [[ "${args[0]##*/}" == dfs-mount ]] || continue
    for a in "${args[@]:1}"; do [[ "$a" == "$1" ]] && { echo "${d#/proc/}"; return; }; done
  done
}
dfs_umount() {  # dfs_umount MNT PID: unmount, then wait for (or stop) that dfs-mount
  local i
  fusermount3 -u "$1" 2>/dev/null || { sleep 1; fusermount3 -u "$1" 2>/dev/null; } || fusermount3 -uz "$1" || true
  [ -n "$2" ] || return 0
  for ((i = 0; i < 100; i++)); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.1; done
  kill -TERM "$2" 2>/dev/null || true
}
bench_dfs_level() {  # bench_dfs_level LEVEL
  local level=$1 mnt=$dfs_state/mnt-$1 pid
  dfs_cluster_up
  mkdir -p "$mnt"
  "$build/client/dfs-mount" "127.0.0.1:$port_base/default" "$mnt" -o "consistency=$level${DFS_BENCH_MOUNT_OPTS:+,$DFS_BENCH_MOUNT_OPTS}" \
    >>"$dfs_state/logs/mount-$level.log" 2>&1 || {
    tail -n 20 "$dfs_state/logs/mount-$level.log" >&2; echo "bench/run.sh: dfs-mount -o consistency=$level failed" >&2; exit 1; }
  pid=$(mount_pid "$mnt")
  cleanups+=("dfs_umount '$mnt' '$pid'")
  run_benches "$mnt" "dfs-$level"
  dfs_umount "$mnt" "$pid"
  pop_cleanup
}

bench_moosefs() {
  [ -f "$shared/bench/moosefs-up.sh" ] || { echo "# moosefs-up.sh not found; skipped" >&2; return; }
  if ! command -v mfsmaster >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq moosefs-master moosefs-chunkserver \
      moosefs-client moosefs-cli >/dev/null
  fi
  export MFS_BASE=$work/mfsroot MFS_MNT=$work/mfs
  cleanups+=("bash '$shared/bench/moosefs-down.sh' >&2")
  bash "$shared/bench/moosefs-up.sh" >&2
  run_benches "$MFS_MNT" moosefs
  bash "$shared/bench/moosefs-down.sh" >&2
  pop_cleanup
}

t_start=$(date +%s)
for t in $targets; do
  case "$t" in
    dfs-*) bench_dfs_level "${t#dfs-}";;
    *) dfs_cluster_down; "bench_$t";;
  esac
done
dfs_cluster_down

python3 "$here/table.py" "${result_files[@]}"
echo "# bench/run.sh: targets$targets; $(( $(date +%s) - t_start )) s; raw results: $out"
