#!/usr/bin/env bash
# Integration: scattered small writes keep flowing while what they filled is committed.
# A writer that buffered kMaxPiecesPerCommit (2048) pieces commits them in the background
# and goes on writing; a read of the file, fsync and close wait for that commit. Checked:
# - 12000 random 4 KiB pwrites over a 24 MiB file (several background commits while the
#   file stays open; read-backs in between) leave exactly the writer's bytes, seen by the
#   writer and by another mount;
# - the master had those commits before the close (more than 3 of them);
# - with the master frozen (SIGSTOP) for 2 s mid-stream, under the RPC deadline, the
#   commits wait and nothing fails or is lost;
# - frozen for 12 s, past the writer's 3 s deadline, writes or read-backs fail with EIO
#   instead of hanging, nothing that was acknowledged is dropped, and once the master
#   runs again the file holds exactly the writes that returned success.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
DFS_METRICS=1
start_cluster 3
A=$DFS_ROOT/a
B=$DFS_ROOT/b
mount_volume "$A" "rpc_timeout=3"
mount_volume "$B"
SCATTER=$(dirname "$0")/../support/scatter_write.py
commits() { metric_at "$MASTER_METRICS_PORT" 'dfs_master_rpc_total{method="commit"}'; }

# 1. Scattered writes, master running.
before=$(commits)
out=$(timeout 240 python3 "$SCATTER" "$A/s1" $((24 << 20)) 12000 7 "$DFS_ROOT/model1") ||
  fail "scattered writer failed: $out"
log "scattered writer: $out"
[[ "$out" == "ok=12000 failed=0 -" ]] || fail "writes failed with the master running: $out"
made=$(( $(commits) - before ))
log "master commits for the file: $made"
(( made > 3 )) || fail "only $made commits: the pieces were not committed while writing"
want=$(sha256sum <"$DFS_ROOT/model1" | cut -d' ' -f1)
assert_eq "$want" "$(sha256sum <"$A/s1" | cut -d' ' -f1)" "writer's bytes after close"
drop_caches
assert_eq "$want" "$(sha256sum <"$B/s1" | cut -d' ' -f1)" "other mount's bytes"

# 2. The master frozen for 2 s (under the RPC deadline) while the writer goes on: the
#    commits wait and go through; nothing fails, nothing is lost.
run_paused() {  # run_paused MNT FILE SEED FREEZE_S: the writer, the master frozen meanwhile
  rm -f "$DFS_ROOT/paused" "$DFS_ROOT/resume"
  python3 "$SCATTER" "$1/$2" $((24 << 20)) 9000 "$3" "$DFS_ROOT/model-$2" --pause-after 2500 \
    --pause-file "$DFS_ROOT/paused" --resume-file "$DFS_ROOT/resume" >"$DFS_ROOT/out-$2" 2>&1 &
  local writer=$!
  DFS_PIDS+=("$writer")  # stopped by the cleanup if anything below fails
  wait_for_file "$DFS_ROOT/paused" 120 "$writer"
  kill -STOP "$MASTER_PID"
  log "master frozen for $4 s after 2500 writes"
  touch "$DFS_ROOT/resume"
  sleep "$4"
  kill -CONT "$MASTER_PID"
  if ! timeout 120 tail --pid="$writer" -f /dev/null; then
    kill "$writer" 2>/dev/null
    fail "the writer hung with the master frozen"
  fi
  local rc=0
  wait "$writer" || rc=$?
  _forget_pid "$writer"
  (( rc == 0 )) || fail "scattered writer failed: $(cat "$DFS_ROOT/out-$2")"
  OUT=$(cat "$DFS_ROOT/out-$2")
  log "writer with the master frozen for $4 s: $OUT"
}
run_paused "$B" s2 11 2
[[ "$OUT" == "ok=9000 failed=0 -" ]] || fail "writes failed while the master paused briefly: $OUT"
want=$(sha256sum <"$DFS_ROOT/model-s2" | cut -d' ' -f1)
drop_caches
assert_eq "$want" "$(sha256sum <"$A/s2" | cut -d' ' -f1)" "bytes after a brief freeze"

# 3. Frozen for 12 s (past A's 3 s deadline): writes or read-backs fail with EIO instead of
#    hanging; blocks that could not be uploaded or committed stay buffered, so once the
#    master runs again the writer's fsync succeeds and the file holds exactly the writes
#    that returned success.
run_paused "$A" s3 13 12
[[ "$OUT" =~ failed=[1-9][0-9]*\ (read:)?EIO$ ]] ||
  fail "no write or read-back failed (EIO) while the master was frozen: $OUT"
want=$(sha256sum <"$DFS_ROOT/model-s3" | cut -d' ' -f1)
drop_caches
assert_eq "$want" "$(sha256sum <"$B/s3" | cut -d' ' -f1)" \
  "bytes after a long freeze: exactly the writes that returned success"
log "scattered writes test passed"
