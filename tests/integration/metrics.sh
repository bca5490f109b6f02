#!/usr/bin/env bash
# Integration: /metrics and /healthz of the master and chunk servers; counters move on writes.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
DFS_METRICS=1
start_cluster 3
M=$DFS_ROOT/mnt
mount_volume "$M" "metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/mount.metrics.port"
wait_for_file "$DFS_ROOT/mount.metrics.port" 30
MOUNT_METRICS_PORT=$(_read_port "$DFS_ROOT/mount.metrics.port")

PROM="$DFS_ROOT/prom.py"
cat >"$PROM" <<'PY'
# prom.py fetch PORT OUT | check FILE | get FILE SERIES | status PORT PATH
import re, sys, urllib.request, urllib.error
NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*"'
VALUE = r'(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN)'
SAMPLE = re.compile(r'^(%s)(\{(?:%s(?:,%s)*)?\})? (%s)(?: -?\d+)?$' % (NAME, LABEL, LABEL, VALUE))
HELP = re.compile(r'^# HELP (%s) .*$' % NAME)
TYPE = re.compile(r'^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$' % NAME)

def check(path):
    text = open(path).read()
    assert text.endswith('\n'), 'no final newline'
    types = {}
    n = 0
    last_bucket = {}
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith('#'):
            m = TYPE.match(line) or HELP.match(line)
            assert m or not line.startswith(('# HELP', '# TYPE')), 'bad comment line %d: %r' % (i, line)
            if line.startswith('# TYPE'):
                assert m.group(1) not in types, 'duplicate TYPE %s' % m.group(1)
                types[m.group(1)] = m.group(2)
            continue
        m = SAMPLE.match(line)
        assert m, 'line %d does not parse: %r' % (i, line)
        name = m.group(1)
        base = re.sub(r'_(bucket|sum|count)$', '', name)
        assert name in types or base in types, 'sample before its TYPE: %r' % line
        if name.endswith('_bucket') and types.get(base) == 'histogram':
            labels = re.sub(r',?le="[^"]*"', '', m.group(2) or '')
            v = float(m.group(3))
            assert v >= last_bucket.get((base, labels), 0), 'buckets not cumulative: %r' % line
            last_bucket[(base, labels)] = v
        n += 1
    assert n > 0, 'no samples'
    print('%s: %d samples, %d families ok' % (path, n, len(types)))

def get(path, series):
    for line in open(path).read().splitlines():
        if line.startswith('#'):
            continue
        key, _, value = line.rpartition(' ')
        if key == series:
            print(int(float(value)))
            return
    sys.exit('series %s not found in %s' % (series, path))

def fetch(port, path):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%s%s' % (port, path), timeout=10) as r:
            return r.status, r.headers.get('Content-Type', ''), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, '', ''

cmd = sys.argv[1]
if cmd == 'fetch':
    status, ctype, body = fetch(sys.argv[2], '/metrics')
    assert status == 200, status
    assert ctype.startswith('text/plain; version=0.0.4'), ctype
    open(sys.argv[3], 'w').write(body)
elif cmd == 'check':
    check(sys.argv[2])
elif cmd == 'get':
    get(sys.argv[2], sys.argv[3])
elif cmd == 'status':
    status, _, body = fetch(sys.argv[2], sys.argv[3])
    print(status, body.strip())
PY

prom() { python3 "$PROM" "$@"; }
snapshot() {  # snapshot TAG: fetches and validates every daemon's /metrics
  local i
  prom fetch "$MASTER_METRICS_PORT" "$DFS_ROOT/master.$1.prom"
  prom check "$DFS_ROOT/master.$1.prom"
  prom fetch "$MOUNT_METRICS_PORT" "$DFS_ROOT/mount.$1.prom"
  prom check "$DFS_ROOT/mount.$1.prom"
  for i in 0 1 2; do
    prom fetch "${CS_METRICS_PORTS[$i]}" "$DFS_ROOT/cs$i.$1.prom"
    prom check "$DFS_ROOT/cs$i.$1.prom"
  done
}
cs_sum() {  # cs_sum TAG SERIES: the series summed over the chunk servers
  local i total=0
  for i in 0 1 2; do total=$(( total + $(prom get "$DFS_ROOT/cs$i.$1.prom" "$2") )); done
  echo "$total"
}
mget() { prom get "$DFS_ROOT/master.$1.prom" "$2"; }
cget() { prom get "$DFS_ROOT/mount.$1.prom" "$2"; }

assert_eq "200 ok" "$(prom status "$MASTER_METRICS_PORT" /healthz)" "master /healthz"
assert_eq "200 ok" "$(prom status "${CS_METRICS_PORTS[0]}" /healthz)" "chunkserver /healthz"
assert_eq "404 " "$(prom status "$MASTER_METRICS_PORT" /nope)" "unknown path"
if command -v curl >/dev/null; then
  # Read the whole body first: `grep -q` quitting early would SIGPIPE curl under pipefail.
  body=$(curl -fsS "http://127.0.0.1:$MASTER_METRICS_PORT/metrics") || fail "curl /metrics failed"
  grep -q '^# TYPE dfs_master_rpc_total counter$' <<<"$body" \
    || fail "curl /metrics lacks dfs_master_rpc_total"
fi

snapshot before
assert_eq 3 "$(mget before 'dfs_master_nodes{state="healthy"}')" "healthy nodes"
assert_eq 1 "$(mget before 'dfs_master_sessions')" "sessions"
assert_eq 1 "$(mget before 'dfs_master_volumes')" "volumes"

head -c $((10 * 1024 * 1024)) /dev/urandom >"$DFS_ROOT/ref"
cp "$DFS_ROOT/ref" "$M/file"
drop_caches
cmp "$DFS_ROOT/ref" "$M/file" || fail "read back differs"

snapshot after
commits0=$(mget before 'dfs_master_rpc_total{method="commit"}')
commits1=$(mget after 'dfs_master_rpc_total{method="commit"}')
(( commits1 > commits0 )) || fail "commit counter did not increase ($commits0 -> $commits1)"
alloc0=$(mget before 'dfs_master_rpc_total{method="allocateBlocks"}')
alloc1=$(mget after 'dfs_master_rpc_total{method="allocateBlocks"}')
(( alloc1 > alloc0 )) || fail "allocateBlocks counter did not increase"
c0=$(mget before 'dfs_master_rpc_seconds_count{method="commit"}')
c1=$(mget after 'dfs_master_rpc_seconds_count{method="commit"}')
(( c1 - c0 == commits1 - commits0 )) || fail "commit latency count does not match calls"
assert_eq 0 "$(mget after 'dfs_master_blocks_missing')" "missing blocks"
keys=$(mget after 'dfs_master_store_keys')
(( keys > 0 )) || fail "RocksDB key estimate $keys"
inodes=$(mget after 'dfs_master_volume_inodes{volume="default"}')
(( inodes >= 2 )) || fail "volume inodes $inodes"

w0=$(cs_sum before dfs_chunk_bytes_written_total)
w1=$(cs_sum after dfs_chunk_bytes_written_total)
(( w1 - w0 >= 10 * 1024 * 1024 )) || fail "chunk bytes written grew by only $((w1 - w0))"
b1=$(cs_sum after dfs_chunk_blocks)
(( b1 >= 3 )) || fail "only $b1 blocks stored"
f1=$(cs_sum after dfs_chunk_write_block_finish_seconds_count)
(( f1 >= 3 )) || fail "write finish histogram count $f1"
wb=$(( $(cget after dfs_client_write_bytes_total) - $(cget before dfs_client_write_bytes_total) ))
(( wb == 10 * 1024 * 1024 )) || fail "client write bytes grew by $wb"
rb=$(( $(cget after dfs_client_read_bytes_total) - $(cget before dfs_client_read_bytes_total) ))
(( rb >= 10 * 1024 * 1024 )) || fail "client read bytes grew by $rb"
cr=$(( $(cget after 'dfs_client_rpc_total{peer="chunk"}') - $(cget before 'dfs_client_rpc_total{peer="chunk"}') ))
(( cr > 0 )) || fail "client chunk RPC count did not move"
mr=$(( $(cget after 'dfs_client_rpc_seconds_count{peer="master"}') - $(cget before 'dfs_client_rpc_seconds_count{peer="master"}') ))
(( mr > 0 )) || fail "client master RPC latency count did not move"
cm=$(( $(cget after dfs_client_cache_misses_total) - $(cget before dfs_client_cache_misses_total) ))
(( cm > 0 )) || fail "client cache misses did not move"
log "client: wrote $wb, read $rb bytes; $cr chunk RPCs, $mr master RPCs, $cm cache misses"
log "commits $commits0 -> $commits1, chunk bytes written $w0 -> $w1, blocks $b1," \
    "bytes read $(cs_sum after dfs_chunk_bytes_read_total)"
log "metrics test passed"
