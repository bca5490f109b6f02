# Bash fixture library for integration tests: temp root, daemons, FUSE mounts, cleanup, assertions.
# Usage: source "$(dirname "$0")/../support/cluster.sh"; dfs_init; start_master; start_chunkservers 3; ...
# Binaries come from env vars set by meson: DFS_MASTER, DFS_CHUNKSERVER, DFS_MOUNT, DFSCTL.
# shellcheck shell=bash

set -euo pipefail

DFS_ROOT=""            # temp root of this test (mktemp -d)
DFS_LOGS=""            # $DFS_ROOT/logs
DFS_PIDS=()            # every daemon pid this test started (never reused for anything else)
DFS_MOUNTS=()          # every mountpoint this test mounted
DFS_MOUNT_PIDS=()      # dfs-mount daemon pids, found after each mount
MASTER_PID=""
MASTER_PORT=""
MASTER_ADDR=""
MASTER_ARGS=()         # extra args for dfs-master (set before start_master)
CS_PIDS=()             # indexed by chunk server number (0-based)
CS_PORTS=()
CS_ARGS=()             # extra args for every dfs-chunkserver
MOUNT_OPTS="${DFS_TEST_MOUNT_OPTS:-rpc_timeout=3}"  # every mount's options (DFS_TEST_MOUNT_OPTS: run a test with others)
DFS_METRICS=0          # 1: daemons also serve /metrics on an ephemeral port (set before starting)
MASTER_METRICS_PORT="" # set by start_master when DFS_METRICS=1
CS_METRICS_PORTS=()    # indexed like CS_PORTS, set by start_chunkserver when DFS_METRICS=1

# ---------- messages and assertions ----------

log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

assert_eq() {  # assert_eq EXPECTED ACTUAL [WHAT]
  if [[ "$1" != "$2" ]]; then
    fail "${3:-value}: expected '$1', got '$2'"
  fi
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

skip() {  # meson treats exit code 77 as SKIP
  printf 'SKIP: %s\n' "$*" >&2
  exit 77
}

# ---------- setup / cleanup ----------

dfs_init() {
  local v
  for v in DFS_MASTER DFS_CHUNKSERVER DFS_MOUNT DFSCTL; do
    [[ -n "${!v:-}" ]] || fail "env var $v not set (run through meson test)"
    [[ -x "${!v}" ]] || fail "$v=${!v} is not an executable"
  done
  [[ -c /dev/fuse ]] || skip "/dev/fuse not available"
  command -v fusermount3 >/dev/null || skip "fusermount3 not installed"
  DFS_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/dfs-it.XXXXXX")
  DFS_LOGS="$DFS_ROOT/logs"
  mkdir -p "$DFS_LOGS"
  trap dfs_cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  log "test root: $DFS_ROOT"
}

# From the mount table, not mountpoint(1): a mount whose daemon died (ENOTCONN) must still
# count, or cleanup would leave it behind.
_is_mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/self/mounts; }

_force_unmount() {  # unmount, retrying, then lazily
  local mnt=$1 i
  for i in 1 2 3 4 5; do
    _is_mounted "$mnt" || return 0
    fusermount3 -u "$mnt" 2>/dev/null && return 0
    sleep 0.5
  done
  fusermount3 -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
}

_stop_pids() {  # TERM the given pids, wait up to 5 s, then KILL
  local pid deadline alive
  for pid in "$@"; do
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true  # in case a test left it stopped
  done
  deadline=$(( $(now_ms) + 5000 ))
  while :; do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive == 0 )) && break
    if (( $(now_ms) > deadline )); then
      for pid in "$@"; do
        if kill -0 "$pid" 2>/dev/null; then
          log "pid $pid did not exit on SIGTERM within 5 s; SIGKILL"
          kill -KILL "$pid" 2>/dev/null || true
        fi
      done
      break
    fi
    sleep 0.1
  done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

dfs_cleanup() {
  local rc=$? mnt f
  set +e
  trap - EXIT TERM INT
  cd / || true
  for mnt in "${DFS_MOUNTS[@]}"; do _force_unmount "$mnt"; done
  if ((${#DFS_MOUNT_PIDS[@]})); then _stop_pids "${DFS_MOUNT_PIDS[@]}"; fi
  if ((${#DFS_PIDS[@]})); then _stop_pids "${DFS_PIDS[@]}"; fi
  if [[ $rc -ne 0 && $rc -ne 77 && -n "$DFS_LOGS" && -d "$DFS_LOGS" ]]; then
    for f in "$DFS_LOGS"/*.log; do
      [[ -s "$f" ]] || continue
      echo "----- last 40 lines of $(basename "$f") -----" >&2
      tail -n 40 "$f" >&2
    done
  fi
  if [[ -n "$DFS_ROOT" && -d "$DFS_ROOT" ]]; then
    local still=0
    for mnt in "${DFS_MOUNTS[@]}"; do _is_mounted "$mnt" && still=1; done
    if (( still )); then
      echo "cleanup: a mount is still active; leaving $DFS_ROOT" >&2
    else
      rm -rf "$DFS_ROOT"
    fi
  fi
  exit "$rc"
}

# ---------- waiting ----------

wait_for_file() {  # wait_for_file FILE TIMEOUT_S [PID]: waits until FILE is non-empty
  local file=$1 timeout=$2 pid=${3:-} deadline
  deadline=$(( $(now_ms) + timeout * 1000 ))
  until [[ -s "$file" ]]; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      fail "process $pid exited before writing $file"
    fi
    (( $(now_ms) < deadline )) || fail "timed out after ${timeout}s waiting for $file"
    sleep 0.05
  done
}

_read_port() {  # port file -> port number (waits for the trailing newline)
  local file=$1 p
  p=$(tr -dc '0-9' <"$file")
  [[ -n "$p" ]] || fail "bad port file $file"
  echo "$p"
}

is_alive() { kill -0 "$1" 2>/dev/null; }

_forget_pid() {  # drop a reaped pid from DFS_PIDS so cleanup never signals a reused pid
  local keep=() p
  for p in "${DFS_PIDS[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
  DFS_PIDS=("${keep[@]}")
}

# ---------- master ----------

start_master() {  # start_master [PORT]: PORT 0 (default) picks an ephemeral port
  local port=${1:-0}
  local dir="$DFS_ROOT/master" pf="$DFS_ROOT/master.port" mpf="$DFS_ROOT/master.metrics.port"
  local margs=()
  mkdir -p "$dir"
  rm -f "$pf" "$mpf"
  if [[ "$DFS_METRICS" == 1 ]]; then
    margs=(--metrics-listen 127.0.0.1:0 --metrics-port-file "$mpf")
  fi
  "$DFS_MASTER" --listen "127.0.0.1:$port" --data-dir "$dir" --port-file "$pf" \
      "${margs[@]}" "${MASTER_ARGS[@]}" >>"$DFS_LOGS/master.log" 2>&1 &
  MASTER_PID=$!
  DFS_PIDS+=("$MASTER_PID")
  wait_for_file "$pf" 30 "$MASTER_PID"
  if [[ "$DFS_METRICS" == 1 ]]; then
    wait_for_file "$mpf" 30 "$MASTER_PID"
    MASTER_METRICS_PORT=$(_read_port "$mpf")
  fi
  MASTER_PORT=$(_read_port "$pf")
  MASTER_ADDR="127.0.0.1:$MASTER_PORT"
  log "master pid $MASTER_PID listening on $MASTER_ADDR"
}

restart_master() {  # restarts on the same port and data dir (stopping it first if it runs)
  # Only the master this test started and has not stopped yet (never a reused pid).
  if [[ " ${DFS_PIDS[*]} " == *" $MASTER_PID "* ]] &&
     tr '\0' ' ' <"/proc/$MASTER_PID/cmdline" 2>/dev/null | grep -q dfs-master; then
    stop_master
  fi
  start_master "$MASTER_PORT"
}

stop_master() { _stop_pids "$MASTER_PID"; _forget_pid "$MASTER_PID"; log "master $MASTER_PID stopped (SIGTERM)"; }

kill_master() {
  kill -KILL "$MASTER_PID" 2>/dev/null || true
  wait "$MASTER_PID" 2>/dev/null || true
  _forget_pid "$MASTER_PID"
  log "master $MASTER_PID killed (SIGKILL)"
}

# ---------- chunk servers ----------

start_chunkserver() {  # start_chunkserver I: (re)starts server I; reuses its port on restart
  local i=$1
  local dir="$DFS_ROOT/cs$i" pf="$DFS_ROOT/cs$i.port" port=${CS_PORTS[$i]:-0}
  local mpf="$DFS_ROOT/cs$i.metrics.port" margs=()
  mkdir -p "$dir"
  rm -f "$pf" "$mpf"
  if [[ "$DFS_METRICS" == 1 ]]; then
    margs=(--metrics-listen 127.0.0.1:0 --metrics-port-file "$mpf")
  fi
  "$DFS_CHUNKSERVER" --master "$MASTER_ADDR" --listen "127.0.0.1:$port" --data-dir "$dir" \
      --port-file "$pf" "${margs[@]}" "${CS_ARGS[@]}" >>"$DFS_LOGS/cs$i.log" 2>&1 &
  CS_PIDS[i]=$!
  DFS_PIDS+=("${CS_PIDS[$i]}")
  wait_for_file "$pf" 30 "${CS_PIDS[$i]}"
  if [[ "$DFS_METRICS" == 1 ]]; then
    wait_for_file "$mpf" 30 "${CS_PIDS[$i]}"
    CS_METRICS_PORTS[i]=$(_read_port "$mpf")
  fi
  CS_PORTS[i]=$(_read_port "$pf")
  log "chunkserver $i pid ${CS_PIDS[$i]} listening on 127.0.0.1:${CS_PORTS[$i]}"
}

start_chunkservers() {  # start_chunkservers N: starts servers 0..N-1 and waits until N are healthy
  local n=$1 i
  for ((i = 0; i < n; i++)); do start_chunkserver "$i"; done
  wait_nodes_healthy "$n"
}

stop_chunkserver() { _stop_pids "${CS_PIDS[$1]}"; _forget_pid "${CS_PIDS[$1]}"; log "chunkserver $1 stopped (SIGTERM)"; }

kill_chunkserver() {
  kill -KILL "${CS_PIDS[$1]}" 2>/dev/null || true
  wait "${CS_PIDS[$1]}" 2>/dev/null || true
  _forget_pid "${CS_PIDS[$1]}"
  log "chunkserver $1 (pid ${CS_PIDS[$1]}) killed (SIGKILL)"
}

stop_all_daemons() {  # SIGTERM every chunk server, then the master
  local i
  for i in "${!CS_PIDS[@]}"; do stop_chunkserver "$i"; done
  stop_master
}

# ---------- status ----------

dfsctl() { "$DFSCTL" --master "$MASTER_ADDR" "$@"; }

healthy_node_count() {  # prints the number of nodes reported healthy (0 on any error)
  local out
  out=$("$DFSCTL" --master "$MASTER_ADDR" --json status 2>/dev/null) || { echo 0; return 0; }
  python3 "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/healthy_nodes.py" <<<"$out"
}

wait_nodes_healthy() {  # wait_nodes_healthy N [TIMEOUT_S]
  local n=$1 timeout=${2:-30} deadline c=0
  deadline=$(( $(now_ms) + timeout * 1000 ))
  while :; do
    c=$(healthy_node_count)
    (( c >= n )) && { log "$c node(s) healthy"; return 0; }
    (( $(now_ms) < deadline )) || {
      "$DFSCTL" --master "$MASTER_ADDR" --json status >&2 || true
      fail "only $c of $n nodes healthy after ${timeout}s"
    }
    sleep 0.2
  done
}

# ---------- mounts ----------

_find_mount_pid() {  # pid of the dfs-mount process serving MNT (matched on its exact argv)
  local mnt=$1 d a
  local -a args
  for d in /proc/[0-9]*; do
    mapfile -d '' -t args <"$d/cmdline" 2>/dev/null || continue
    ((${#args[@]} > 1)) || continue
    [[ "${args[0]##*/}" == dfs-mount ]] || continue
    for a in "${args[@]:1}"; do
      if [[ "$a" == "$mnt" ]]; then echo "${d#/proc/}"; break; fi
    done
  done
}

mount_volume() {  # mount_volume MNT [EXTRA_OPTS] [VOLUME]
  local mnt=$1 extra=${2:-} vol=${3:-default} opts=$MOUNT_OPTS pid
  [[ -n "$extra" ]] && opts="$opts,$extra"
  mkdir -p "$mnt"
  local tag
  tag=$(basename "$mnt")
  # shellcheck disable=SC2153  # DFS_MOUNT comes from the environment
  if ! "$DFS_MOUNT" "$MASTER_ADDR/$vol" "$mnt" -o "$opts" >>"$DFS_LOGS/mount-$tag.log" 2>&1; then
    fail "dfs-mount $MASTER_ADDR/$vol $mnt -o $opts failed (see mount-$tag.log)"
  fi
  DFS_MOUNTS+=("$mnt")
  _is_mounted "$mnt" || fail "dfs-mount returned 0 but $mnt is not a mountpoint"
  for pid in $(_find_mount_pid "$mnt"); do DFS_MOUNT_PIDS+=("$pid"); done
  log "mounted $MASTER_ADDR/$vol at $mnt"
}

unmount_volume() {  # unmount_volume MNT: unmounts and waits for the dfs-mount process to exit
  local mnt=$1 pids=() m
  read -r -a pids <<<"$(_find_mount_pid "$mnt" | tr '\n' ' ')"
  sync
  _force_unmount "$mnt"
  _is_mounted "$mnt" && fail "could not unmount $mnt"
  if ((${#pids[@]})); then
    local deadline=$(( $(now_ms) + 10000 )) p alive
    while :; do
      alive=0
      for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      (( alive == 0 )) && break
      if (( $(now_ms) > deadline )); then
        log "dfs-mount for $mnt still running 10 s after unmount; stopping it"
        _stop_pids "${pids[@]}"
        break
      fi
      sleep 0.1
    done
  fi
  local keep=()
  for m in "${DFS_MOUNTS[@]}"; do [[ "$m" == "$mnt" ]] || keep+=("$m"); done
  DFS_MOUNTS=("${keep[@]}")
  log "unmounted $mnt"
}

drop_caches() {  # best effort: drop the kernel page cache (needs root)
  sync
  echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
}

# ---------- standard cluster ----------

start_cluster() {  # start_cluster [N]: master + N chunk servers (default 3), all healthy
  start_master
  start_chunkservers "${1:-3}"
}

# ---------- cluster health (replication) ----------

status_query() {  # status_query QUERY...: see status_query.py (prints nothing on error)
  local out
  out=$("$DFSCTL" --master "$MASTER_ADDR" --json status 2>/dev/null) || return 0
  python3 "$(dirname "${BASH_SOURCE[0]}")/status_query.py" "$@" <<<"$out" || true
}

cs_addr() { echo "127.0.0.1:${CS_PORTS[$1]}"; }

# A TCP proxy to the master (tcp_proxy.py): a mount given PROXY_ADDR as its master address
# loses its connection when cut_proxy kills the proxy, while the master runs on.
PROXY_PID="" PROXY_PORT=""
start_proxy() {  # start_proxy [PORT]: PORT 0 (default) picks one; sets PROXY_PORT, PROXY_ADDR
  local pf=$DFS_ROOT/proxy.port
  rm -f "$pf"
  python3 "$(dirname "${BASH_SOURCE[0]}")/tcp_proxy.py" "${1:-0}" "$MASTER_PORT" "$pf" &
  PROXY_PID=$!
  DFS_PIDS+=("$PROXY_PID")
  wait_for_file "$pf" 10 "$PROXY_PID"
  PROXY_PORT=$(_read_port "$pf")
  PROXY_ADDR=127.0.0.1:$PROXY_PORT
}
hold_proxy() {  # what mounts send on the proxy's connections open now is held there
  kill -USR1 "$PROXY_PID"
}
release_proxy() {  # ... and passes on to the master now, late
  kill -USR2 "$PROXY_PID"
}
cut_proxy() {  # kills the proxy: every connection through it closes at once
  kill -KILL "$PROXY_PID"
  wait "$PROXY_PID" 2>/dev/null || true
  _forget_pid "$PROXY_PID"
}

wait_until() {  # wait_until TIMEOUT_S WHAT 'COMMAND': evals COMMAND every 0.3 s until it succeeds
  local timeout=$1 what=$2 cond=$3 deadline
  deadline=$(( $(now_ms) + timeout * 1000 ))
  until eval "$cond"; do
    if (( $(now_ms) > deadline )); then
      "$DFSCTL" --master "$MASTER_ADDR" status >&2 || true
      fail "timed out after ${timeout}s waiting for: $what"
    fi
    sleep 0.3
  done
}

_replication_settled_since() {  # true when a scan begun after cycle $1 found nothing to do
  local cycles
  cycles=$(status_query repl scanCycles)
  [[ -n "$cycles" ]] && (( cycles >= $1 + 2 )) || return 1
  [[ "$(status_query repl underReplicated)" == 0 && "$(status_query repl missing)" == 0 &&
     "$(status_query repl overReplicated)" == 0 && "$(status_query repl repairsInFlight)" == 0 &&
     "$(status_query repl repairQueue)" == 0 ]]
}

wait_replication_settled() {  # wait_replication_settled TIMEOUT_S: every block at its target
  local start
  start=$(status_query repl scanCycles)
  wait_until "$1" "every block back at its replica count" "_replication_settled_since ${start:-0}"
  log "replication settled: $(status_query repl repairedBlocks) copies made so far"
}

metric_at() {  # metric_at PORT 'NAME{labels}': value of one series served on PORT (0 if absent)
  python3 - "$1" "$2" <<'PY'
import sys, urllib.request
port, series = sys.argv[1], sys.argv[2]
body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
for line in body.splitlines():
    if line.startswith(series + " "):
        print(int(float(line.split()[-1])))
        break
else:
    print(0)
PY
}

master_metric() { metric_at "$MASTER_METRICS_PORT" "$1"; }  # needs DFS_METRICS=1
cs_metric() { metric_at "${CS_METRICS_PORTS[$1]}" "$2"; }   # cs_metric I NAME (DFS_METRICS=1)
cs_files() {  # cs_files SUBDIR: files under DATA_DIR/SUBDIR of every chunk server (blocks, tmp)
  find "$DFS_ROOT"/cs*/"$1" -type f 2>/dev/null | wc -l
}
