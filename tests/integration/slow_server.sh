#!/usr/bin/env bash
# Integration (issue 6): a stalled chunk server (SIGSTOP: it neither answers nor fails)
# does not hold writes up to the RPC deadline. With 3 replicas a quorum upload needs 2
# copies: once they are in, the third gets a short grace, then the upload goes on without
# it (its write finishes in the background) and new blocks avoid that server for a while.
# With 2 replicas a quorum needs both: after the grace the block goes to the third server
# instead. The master completes the missing copies once the server runs again.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

DFS_METRICS=1
dfs_init
# The stopped server stays "healthy" to the master (no suspect state for 10 minutes), so
# placements keep naming it: only the mount can notice that it does not answer.
MASTER_ARGS=(--default-replicas 3 --suspect-timeout-ms 600000 --dead-timeout-ms 1200000
             --replication-scan-ms 1000 --report-grace-ms 1000)
start_cluster 3
A=$DFS_ROOT/a
B=$DFS_ROOT/b
# A deadline far longer than this test waits: without the grace, every block written to
# the stopped server would wait a minute.
mount_volume "$A" "consistency=quorum,rpc_timeout=60,metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/a.metrics"
wait_for_file "$DFS_ROOT/a.metrics" 30
APORT=$(_read_port "$DFS_ROOT/a.metrics")
a_metric() { metric_at "$APORT" "$1"; }

head -c $((20 * 1024 * 1024 + 5)) /dev/urandom >"$DFS_ROOT/big"
mkdir -p "$DFS_ROOT/small"
for i in $(seq 1 20); do head -c $((i * 7919)) /dev/urandom >"$DFS_ROOT/small/f$i"; done

kill -STOP "${CS_PIDS[2]}"
log "chunkserver 2 stopped (SIGSTOP)"
timeout 50 cp "$DFS_ROOT/big" "$A/big" || fail "a write with one of three servers stopped hung or failed"
avoided=$(a_metric dfs_client_avoided_servers)  # within the 5 s a server stays avoided
assert_eq 1 "$avoided" "servers left out of new placements"
mkdir "$A/small"
for i in $(seq 1 20); do
  timeout 50 cp "$DFS_ROOT/small/f$i" "$A/small/f$i" || fail "small file $i: write hung or failed"
done
late=$(a_metric dfs_client_late_copies_total)
log "25 blocks written with server 2 stopped: $late late copies"
(( late >= 1 )) || fail "no copy was left late although server 2 cannot answer"
# Without avoiding the server, each of the 25 blocks would leave a copy late.
(( late <= 8 )) || fail "$late late copies: new blocks kept going to the stopped server"
assert_eq 0 "$(a_metric dfs_client_late_copies_landed_total)" "late copies landed on a stopped server"

mount_volume "$B" consistency=quorum
cmp "$DFS_ROOT/big" "$B/big" || fail "the big file reads back wrong"
for i in $(seq 1 20); do
  cmp "$DFS_ROOT/small/f$i" "$B/small/f$i" || fail "small file $i reads back wrong"
done
log "every file reads back from the other mount while server 2 is stopped"

kill -CONT "${CS_PIDS[2]}"
log "chunkserver 2 continued"
wait_until 90 "every late copy ended" \
  'test $(( $(a_metric dfs_client_late_copies_landed_total) + $(a_metric dfs_client_late_copies_failed_total) )) -eq "$late"'
landed=$(a_metric dfs_client_late_copies_landed_total)
(( landed >= 1 )) || fail "no late copy landed once server 2 ran again"
wait_until 30 "landed late copies reported to the master" \
  'test "$(a_metric dfs_client_late_copies_reported_total)" -eq "$landed"'
wait_replication_settled 120
wait_until 60 "3 copies of every block" \
  'test $(( $(status_query repl blocks) * 3 )) -eq "$(status_query copies)"'
wait_until 60 "stored blocks == listed blocks on every node" 'test "$(status_query all-listed-match)" == 1'
unmount_volume "$B"
drop_caches
mount_volume "$B" consistency=quorum
cmp "$DFS_ROOT/big" "$B/big" || fail "the big file reads back wrong after the copies were completed"
log "$landed late copies landed once server 2 ran again; the master completed every block to 3 copies"

# Two replicas: a quorum needs both, so a silent one is replaced by one more server.
dfsctl volume set default --replicas 2 >/dev/null
wait_replication_settled 120
late0=$(a_metric dfs_client_late_copies_total)
head -c $((12 * 1024 * 1024 + 7)) /dev/urandom >"$DFS_ROOT/big2"
kill -STOP "${CS_PIDS[1]}"
log "chunkserver 1 stopped (SIGSTOP), 2 replicas"
timeout 50 cp "$DFS_ROOT/big2" "$A/big2" || fail "a 2-replica write with a server stopped hung or failed"
mkdir "$A/small2"
for i in $(seq 1 20); do
  timeout 50 cp "$DFS_ROOT/small/f$i" "$A/small2/f$i" || fail "small file $i (2 replicas): write hung or failed"
done
late=$(( $(a_metric dfs_client_late_copies_total) - late0 ))
log "23 blocks written with server 1 stopped: $late late copies"
(( late >= 1 )) || fail "no copy was left late although server 1 cannot answer"
(( late <= 8 )) || fail "$late late copies: new blocks kept going to the stopped server"
cmp "$DFS_ROOT/big2" "$B/big2" || fail "the 2-replica big file reads back wrong"
for i in $(seq 1 20); do
  cmp "$DFS_ROOT/small/f$i" "$B/small2/f$i" || fail "small file $i (2 replicas) reads back wrong"
done
kill -CONT "${CS_PIDS[1]}"
log "chunkserver 1 continued"
total=$(a_metric dfs_client_late_copies_total)
wait_until 90 "every late copy ended" \
  'test $(( $(a_metric dfs_client_late_copies_landed_total) + $(a_metric dfs_client_late_copies_failed_total) )) -eq "$total"'
wait_replication_settled 120
wait_until 60 "2 copies of every block" \
  'test $(( $(status_query repl blocks) * 2 )) -eq "$(status_query copies)"'
wait_until 60 "stored blocks == listed blocks on every node" 'test "$(status_query all-listed-match)" == 1'
log "2 replicas: a stopped server's copies went to the third server; every block has 2 copies"
log "PASS"
