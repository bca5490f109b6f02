#!/usr/bin/env bash
# Integration: set-user-ID and set-group-ID bits under FUSE_HANDLE_KILLPRIV_V2, which the
# mount negotiates through its own /dev/fuse io (libfuse 3.14 cannot): the kernel then
# stops asking for security.capability before every write (counted here), and the mount
# and master clear the bits themselves. Every operation that may clear them (write,
# append, truncate, O_TRUNC, fallocate, copy_file_range by a user; chown by root, also to
# the same owner) must
# leave the same modes as the kernel's own clearing (a mount with handle_killpriv=0), on
# quorum and strong mounts, seen by the writer and by another mount; root's writes keep
# the bits, and a chmod made after a write wins over the write's clearing.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
start_cluster 2
chmod 755 "$DFS_ROOT"  # the unprivileged user must reach the mounts
A=$DFS_ROOT/a
B=$DFS_ROOT/b
S=$DFS_ROOT/s
mount_volume "$A" "metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/a.metrics"
mount_volume "$B" "handle_killpriv=0,metrics_listen=127.0.0.1:0,metrics_port_file=$DFS_ROOT/b.metrics"
mount_volume "$S" "consistency=strong"
wait_for_file "$DFS_ROOT/a.metrics" 30
wait_for_file "$DFS_ROOT/b.metrics" 30
APORT=$(_read_port "$DFS_ROOT/a.metrics")
BPORT=$(_read_port "$DFS_ROOT/b.metrics")
PY=/usr/bin/python3
[[ -x $PY ]] || fail "$PY is needed (run as another user)"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${AS_USER[@]}" true || fail "cannot run as uid 65534"

# --- the kernel took the flag: one security.capability lookup for 200 writes, where
# the kernel's own clearing asks before each write ---
getxattrs() { metric_at "$1" 'dfs_client_fuse_requests_total{op="getxattr"}'; }
writes200() {
  $PY - "$1" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
for i in range(200): os.pwrite(fd, b"x" * 4096, i * 4096)
os.close(fd)
PY
}
a0=$(getxattrs "$APORT"); writes200 "$A/w"; a1=$(getxattrs "$APORT")
b0=$(getxattrs "$BPORT"); writes200 "$B/w"; b1=$(getxattrs "$BPORT")
log "getxattr requests for 200 writes: handle_killpriv=1 $((a1 - a0)), =0 $((b1 - b0))"
(( a1 - a0 <= 5 )) || fail "the kernel still asks for security.capability per write ($((a1 - a0)))"
(( b1 - b0 >= 200 )) || fail "without the flag the kernel should ask per write ($((b1 - b0)))"

# --- every clearing operation, by a user and by root, on each mount ---
OPS=$DFS_ROOT/op.py
cat >"$OPS" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
def statx_mode(path):
    # statx asking for the mode alone: answered from the kernel's cache while it is valid.
    buf = ctypes.create_string_buffer(256)
    if libc.statx(-100, path.encode(), 0, 0x2, buf) != 0:  # AT_FDCWD, STATX_MODE
        sys.exit("statx: " + os.strerror(ctypes.get_errno()))
    return int.from_bytes(buf.raw[28:30], "little") & 0o7777
nosec = sys.argv[1] == "--nosec"
op, f = sys.argv[-2], sys.argv[-1]
flags = {"append": os.O_WRONLY | os.O_APPEND, "otrunc": os.O_WRONLY | os.O_TRUNC}
if nosec:
    # Root writes through the descriptor first: the kernel marks the inode S_NOSEC (no
    # set-group-ID with group-execute, no capability) and stops checking it. Then the
    # process drops to uid 65534 and goes on with the same descriptor: no setattr comes
    # before its change, only the write's flag (or the caller's uid) says to clear.
    fd = os.open(f, os.O_RDWR); os.pwrite(fd, b"h", 0)
    os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
elif op in ("write", "falloc", "fallock", "cfr"):
    fd = os.open(f, os.O_WRONLY)
if op == "write":
    os.pwrite(fd, b"x", 2)
    st = os.fstat(fd).st_mode & 0o7777  # the writer's view before close
elif op in flags:
    fd = os.open(f, flags[op])
    if op == "append": os.write(fd, b"more\n")
elif op == "trunc":
    if nosec: os.ftruncate(fd, 1)
    else: os.truncate(f, 1)
elif op == "falloc":
    os.posix_fallocate(fd, 0, 1 << 20)
elif op == "fallock":  # KEEP_SIZE
    if libc.fallocate(fd, 1, 0, 1 << 20) != 0: sys.exit(os.strerror(ctypes.get_errno()))
elif op == "cfr":
    src = os.open(f + ".src", os.O_RDONLY)
    if os.copy_file_range(src, fd, 3, 0, 0) != 3: sys.exit("short copy")
    os.close(src)
elif op == "chown":
    os.chown(f, 1, 1)
elif op == "chownsame":
    os.chown(f, -1, -1)  # still clears (the kernel sends no kill flag for it)
if "fd" in globals(): os.close(fd)
cached = statx_mode(f)
now = os.stat(f).st_mode & 0o7777
if op == "write" and st != now: sys.exit(f"fstat {st:o} before close != stat {now:o} after")
if cached != now: sys.exit(f"the kernel's cached mode {cached:o} != {now:o}")
PY
chmod 644 "$OPS"
# Modes as the Linux FUSE client clears them (fuse_setattr): S_ISUID always, S_ISGID only
# with group-execute.
declare -A WANT=([6777]=777 [2767]=2767 [4777]=777 [2777]=777)
check_ops() {  # check_ops DIR OTHER: DIR a directory on the mount under test
  local dir=$1 other=$2 who op m f got seen want
  # nosec: the same descriptor written by root first (see op.py)
  for who in user nosec root; do
    for op in write append trunc otrunc falloc fallock cfr chown chownsame; do
      [[ $who != root && $op == chown* ]] && continue  # EPERM (not the owner)
      [[ $who == nosec && ($op == append || $op == otrunc) ]] && continue
      [[ $who == root && $op != chown* && $op != write ]] && continue
      for m in 6777 2767 4777 2777; do
        f=$dir/$who.$op.$m
        echo hello >"$f"; echo abc >"$f.src"; chmod 644 "$f.src"; chmod "$m" "$f"
        want=${WANT[$m]}
        case $who in
          user) "${AS_USER[@]}" $PY "$OPS" "$op" "$f" || fail "$who $op $f" ;;
          nosec) $PY "$OPS" --nosec "$op" "$f" || fail "$who $op $f" ;;
          root)
            $PY "$OPS" "$op" "$f" || fail "$who $op $f"
            [[ $op == write ]] && want=$m ;;
        esac
        got=$(stat -c %a "$f")
        seen=$(stat -c %a "$other/${f#"$dir/"}")
        assert_eq "$want" "$got" "mode after $who $op of a $m file ($dir)"
        assert_eq "$want" "$seen" "mode after $who $op of a $m file, seen by another mount"
      done
    done
  done
}
for m in "$A" "$B" "$S"; do
  d=$(basename "$m")
  mkdir "$m/$d"; chmod 777 "$m/$d"
  other=$B/$d; [[ $m == "$B" ]] && other=$A/$d
  check_ops "$m/$d" "$other"
  log "clearing operations on $d: as the kernel does"
done

# --- order with chmod/chown made while writing (kept for the commit on a quorum mount) ---
SEQ=$DFS_ROOT/seq.py
cat >"$SEQ" <<'PY'
import os, sys
d, who = sys.argv[1], sys.argv[2]
def make(name):
    return os.open(f"{d}/{name}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
def mode(name):
    return "%o" % (os.stat(f"{d}/{name}").st_mode & 0o7777)
out = []
if who == "root":
    fd = make("tarlike")  # tar: create, write, fchown, fchmod (set-id bits back), close
    os.write(fd, b"x" * 100); os.fchown(fd, 1, 1); os.fchmod(fd, 0o6755); os.write(fd, b"y")
    os.close(fd)
    fd = make("chmodchown")  # a chown after the chmod clears
    os.write(fd, b"x"); os.fchmod(fd, 0o6755); os.fchown(fd, 2, 2); os.close(fd)
    out += [mode("tarlike"), mode("chmodchown")]
else:
    fd = make("u1")  # a write after the chmod clears
    os.write(fd, b"x"); os.fchmod(fd, 0o4755); os.write(fd, b"y"); os.close(fd)
    fd = make("u2")  # a chmod after the write wins
    os.fchmod(fd, 0o4755); os.write(fd, b"y"); os.fchmod(fd, 0o4755); os.close(fd)
    out += [mode("u1"), mode("u2")]
print(" ".join(out))
PY
chmod 644 "$SEQ"
for m in "$A" "$S"; do
  d=$m/seq-$(basename "$m"); mkdir "$d"; chmod 777 "$d"
  assert_eq "6755 755" "$($PY "$SEQ" "$d" root)" "root's chown/chmod order while writing ($m)"
  assert_eq "755 4755" "$("${AS_USER[@]}" $PY "$SEQ" "$d" user)" "user's write/chmod order ($m)"
  seen=$B/${d#"$m/"}
  assert_eq "6755 755 755 4755" \
    "$(stat -c %a "$seen/tarlike" "$seen/chmodchown" "$seen/u1" "$seen/u2" | paste -sd' ')" \
    "the same modes seen by another mount ($m)"
done
log "kill_priv: all checks passed"
