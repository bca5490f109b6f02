#!/usr/bin/env bash
# Runs a local dfs cluster (1 master, N chunk servers, 1 FUSE mount) on 127.0.0.1.
# Usage:
#   scripts/cluster.sh up     [--mount DIR] [--state DIR] [--servers N] [--port-base P]
#   scripts/cluster.sh down   [--state DIR]
#   scripts/cluster.sh status [--state DIR]
# Defaults: --state ${XDG_STATE_HOME:-~/.local/state}/dfs, --servers 3, --port-base 9400,
# --mount STATE/mnt. The master listens on P, chunk servers on P+1..P+N. Data persists across down/up.
# DFS_BUILD_DIR=DIR builds and uses DIR instead of build-release/. DFS_CHUNKSERVER_OPTS: more
# dfs-chunkserver options (e.g. "--read-cache yes"), split at spaces.
# shellcheck disable=SC2015  # "A && B || die" is intended: die unless both checks pass
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DFS_BUILD_DIR:-$REPO/build-release}
MASTER_BIN=$BUILD/server/master/dfs-master
CS_BIN=$BUILD/server/chunkserver/dfs-chunkserver
MOUNT_BIN=$BUILD/client/dfs-mount
CTL_BIN=$BUILD/client/ctl/dfsctl

usage() {
  sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}
die() { echo "cluster.sh: $*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

cmd=${1:-}
[[ -n "$cmd" ]] || usage 2
shift
STATE=${XDG_STATE_HOME:-$HOME/.local/state}/dfs
MNT=""
SERVERS=3
PORT_BASE=9400
while (($#)); do
  case "$1" in
    --mount) MNT=${2:?--mount needs a directory}; shift ;;
    --state) STATE=${2:?--state needs a directory}; shift ;;
    --servers) SERVERS=${2:?--servers needs a number}; shift ;;
    --port-base) PORT_BASE=${2:?--port-base needs a port}; shift ;;
    -h|--help) usage 0 ;;
    *) echo "cluster.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
  shift
done
[[ "$SERVERS" =~ ^[0-9]+$ ]] && (( SERVERS >= 1 )) || die "--servers must be a positive number"
[[ "$PORT_BASE" =~ ^[0-9]+$ ]] && (( PORT_BASE > 0 && PORT_BASE + SERVERS < 65536 )) || die "bad --port-base"
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
RUN=$STATE/run
LOGS=$STATE/logs
CONFIG=$RUN/config

# pid_alive PIDFILE NAME: true if the pid in PIDFILE is alive and is the program NAME.
pid_alive() {
  local pidfile=$1 name=$2 pid argv0
  [[ -s "$pidfile" ]] || return 1
  pid=$(<"$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)
  [[ "${argv0##*/}" == "$name" ]]
}

healthy_count() {
  local out
  out=$("$CTL_BIN" --master "127.0.0.1:$1" --json status 2>/dev/null) || { echo 0; return 0; }
  python3 "$(dirname "${BASH_SOURCE[0]}")/lib/healthy_nodes.py" <<<"$out"
}

wait_port_file() {  # wait_port_file FILE PIDFILE LOG
  local deadline=$(( $(now_ms) + 30000 ))
  until [[ -s "$1" ]]; do
    if ! kill -0 "$(<"$2")" 2>/dev/null; then
      tail -n 20 "$3" >&2 || true
      die "process $(<"$2") exited during start-up (log: $3)"
    fi
    (( $(now_ms) < deadline )) || die "timed out waiting for $1 (log: $3)"
    sleep 0.1
  done
}

start_daemon() {  # start_daemon NAME LOG BIN ARGS...: starts detached, writes RUN/NAME.pid
  local name=$1 logf=$2
  shift 2
  nohup "$@" </dev/null >>"$logf" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

load_config() {
  [[ -f "$CONFIG" ]] || return 1
  # shellcheck disable=SC1090
  source "$CONFIG"
}

cmd_up() {
  if load_config && pid_alive "$RUN/master.pid" dfs-master; then
    die "a cluster is already up in $STATE (run: $0 down --state $STATE)"
  fi
  MNT=${MNT:-$STATE/mnt}
  mkdir -p "$MNT"
  MNT=$(cd "$MNT" && pwd)
  if mountpoint -q "$MNT"; then die "$MNT is already a mountpoint"; fi

  "$REPO/scripts/install-deps.sh"
  if [[ ! -f "$BUILD/build.ninja" ]]; then
    meson setup "$BUILD" "$REPO" --buildtype=release
  fi
  ninja -C "$BUILD" -j2 server/master/dfs-master server/chunkserver/dfs-chunkserver \
        client/dfs-mount client/ctl/dfsctl

  mkdir -p "$RUN" "$LOGS" "$STATE/master"
  rm -f "$RUN"/*.pid "$RUN"/*.port
  cat >"$CONFIG" <<CFG
SERVERS=$SERVERS
PORT_BASE=$PORT_BASE
MNT='$MNT'
CFG

  start_daemon master "$LOGS/master.log" "$MASTER_BIN" --listen "127.0.0.1:$PORT_BASE" \
      --data-dir "$STATE/master" --port-file "$RUN/master.port"
  wait_port_file "$RUN/master.port" "$RUN/master.pid" "$LOGS/master.log"
  local i
  for ((i = 1; i <= SERVERS; i++)); do
    mkdir -p "$STATE/cs$i"
    # shellcheck disable=SC2086  # the options are split at spaces on purpose
    start_daemon "cs$i" "$LOGS/cs$i.log" "$CS_BIN" --master "127.0.0.1:$PORT_BASE" \
        --listen "127.0.0.1:$((PORT_BASE + i))" --data-dir "$STATE/cs$i" --port-file "$RUN/cs$i.port" \
        ${DFS_CHUNKSERVER_OPTS:-}
  done
  for ((i = 1; i <= SERVERS; i++)); do
    wait_port_file "$RUN/cs$i.port" "$RUN/cs$i.pid" "$LOGS/cs$i.log"
  done
  local deadline=$(( $(now_ms) + 60000 )) n=0
  until (( (n = $(healthy_count "$PORT_BASE")) >= SERVERS )); do
    (( $(now_ms) < deadline )) || die "only $n of $SERVERS chunk servers registered after 60 s (logs: $LOGS)"
    sleep 0.3
  done

  if ! "$MOUNT_BIN" "127.0.0.1:$PORT_BASE/default" "$MNT" >>"$LOGS/mount.log" 2>&1; then
    tail -n 20 "$LOGS/mount.log" >&2 || true
    die "dfs-mount failed (log: $LOGS/mount.log); daemons are still up, run: $0 down --state $STATE"
  fi
  local d a pid=""
  local -a args
  for d in /proc/[0-9]*; do
    mapfile -d '' -t args <"$d/cmdline" 2>/dev/null || continue
    ((${#args[@]} > 1)) && [[ "${args[0]##*/}" == dfs-mount ]] || continue
    for a in "${args[@]:1}"; do [[ "$a" == "$MNT" ]] && pid=${d#/proc/}; done
  done
  [[ -n "$pid" ]] && echo "$pid" >"$RUN/mount.pid"

  cat <<MSG
dfs cluster is up
  master        127.0.0.1:$PORT_BASE   pid $(<"$RUN/master.pid")   data $STATE/master
  chunk servers 127.0.0.1:$((PORT_BASE + 1))..$((PORT_BASE + SERVERS)) ($SERVERS)   data $STATE/cs1..cs$SERVERS
  mount         $MNT  (volume 'default')${pid:+   pid $pid}
  logs          $LOGS
  admin         $CTL_BIN --master 127.0.0.1:$PORT_BASE status
  stop          $0 down --state $STATE
MSG
}

stop_pidfiles() {  # stop_pidfiles NAME:PIDFILE...: TERM, wait up to 10 s, then KILL
  local spec name file pids=() pid deadline alive
  for spec in "$@"; do
    name=${spec%%:*}
    file=${spec#*:}
    if pid_alive "$file" "$name"; then
      pid=$(<"$file")
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  ((${#pids[@]})) || return 0
  deadline=$(( $(now_ms) + 10000 ))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    ((${#alive[@]})) || return 0
    if (( $(now_ms) > deadline )); then
      echo "cluster.sh: SIGKILL ${alive[*]} (did not exit within 10 s of SIGTERM)" >&2
      for pid in "${alive[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
      return 0
    fi
    sleep 0.1
  done
}

cmd_down() {
  load_config || die "no cluster state in $STATE"
  if [[ -n "${MNT:-}" ]] && mountpoint -q "$MNT"; then
    local i
    for i in 1 2 3; do
      fusermount3 -u "$MNT" 2>/dev/null && break
      sleep 1
    done
    if mountpoint -q "$MNT"; then
      echo "cluster.sh: $MNT is busy; unmounting lazily" >&2
      fusermount3 -uz "$MNT" || true
    fi
  fi
  # Give dfs-mount time to exit on its own after the unmount, then stop it.
  local deadline=$(( $(now_ms) + 5000 ))
  while pid_alive "$RUN/mount.pid" dfs-mount && (( $(now_ms) < deadline )); do sleep 0.1; done
  stop_pidfiles "dfs-mount:$RUN/mount.pid"
  local specs=() f
  for f in "$RUN"/cs*.pid; do [[ -e "$f" ]] && specs+=("dfs-chunkserver:$f"); done
  ((${#specs[@]})) && stop_pidfiles "${specs[@]}"
  stop_pidfiles "dfs-master:$RUN/master.pid"
  rm -f "$RUN"/*.pid "$RUN"/*.port
  echo "dfs cluster in $STATE is down (data kept)"
}

cmd_status() {
  load_config || die "no cluster state in $STATE"
  printf '%-10s %-8s %-7s %s\n' PROCESS PID STATE ADDRESS
  local f name prog pid addr st
  local names=(master) i
  for ((i = 1; i <= SERVERS; i++)); do names+=("cs$i"); done
  names+=(mount)
  for name in "${names[@]}"; do
    f=$RUN/$name.pid
    case "$name" in
      master) prog=dfs-master; addr="127.0.0.1:$PORT_BASE" ;;
      mount) prog=dfs-mount; addr=$MNT ;;
      *) prog=dfs-chunkserver; addr="127.0.0.1:$((PORT_BASE + ${name#cs}))" ;;
    esac
    pid=-; st=down
    if [[ -s "$f" ]]; then
      pid=$(<"$f")
      pid_alive "$f" "$prog" && st=up
    fi
    printf '%-10s %-8s %-7s %s\n' "$name" "$pid" "$st" "$addr"
  done
  if mountpoint -q "$MNT" 2>/dev/null; then echo "mount: $MNT is mounted"; else echo "mount: $MNT is not mounted"; fi
  echo
  if [[ -x "$CTL_BIN" ]]; then
    "$CTL_BIN" --master "127.0.0.1:$PORT_BASE" status || echo "(dfsctl status failed: master unreachable?)"
  fi
}

case "$cmd" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  -h|--help|help) usage 0 ;;
  *) echo "cluster.sh: unknown command '$cmd'" >&2; usage 2 ;;
esac
