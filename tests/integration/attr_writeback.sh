#!/usr/bin/env bash
# Integration: chmod, chown, utimes and mode-only ACLs a quorum mount makes to a file it
# is writing wait for the file's commit and go with it (write-back, as NFSv4 under a write
# delegation) while the mount made the file under a lease on its directory. The writer sees
# them at once; another mount sees them as soon as it looks (its lookup recalls the lease,
# which sends them first), exactly as made; a strong mount sends them at once; and
# an untar-like loop costs one commit per file, no separate attribute calls, and fewer
# release calls than closes (ReleaseQueue batches them).
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
DFS_METRICS=1
start_cluster 3
A=$DFS_ROOT/mnt-a
B=$DFS_ROOT/mnt-b
S=$DFS_ROOT/mnt-s
mount_volume "$A"
mount_volume "$B"
mount_volume "$S" consistency=strong
rpcs() { master_metric "dfs_master_rpc_total{method=\"$1\"}"; }

# Prints "mode uid gid size atime_ns mtime_ns ctime_ns" of each path (one line each).
stats() {
  python3 - "$@" <<'PY'
import os, sys
for p in sys.argv[1:]:
    s = os.stat(p)
    print(f"{s.st_mode & 0o7777:o} {s.st_uid} {s.st_gid} {s.st_size} {s.st_atime_ns} {s.st_mtime_ns} {s.st_ctime_ns}")
PY
}

# --- the writer sees its changes at once; the other mount as soon as it looks, identical;
# they cost no call of their own (they go with the commit) ---
mkdir "$A/c1"
s0=$(rpcs setAttr)
python3 - "$A/c1" "$B/c1" <<'PY' || fail "writer's view of its own changes"
import os, sys
A, B = sys.argv[1], sys.argv[2]
fd = os.open(f"{A}/f", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"x" * 5000)
os.fchmod(fd, 0o640)
os.fchown(fd, 1234, 5678)
os.utime(fd, ns=(111_000_000_007, 222_000_000_009))
s = os.fstat(fd)
got = (oct(s.st_mode & 0o7777), s.st_uid, s.st_gid, s.st_size, s.st_atime_ns, s.st_mtime_ns)
want = (oct(0o640), 1234, 5678, 5000, 111_000_000_007, 222_000_000_009)
if got != want: sys.exit(f"fstat before close: {got} != {want}")
s2 = os.stat(f"{A}/f")
if (s2.st_mode, s2.st_uid, s2.st_mtime_ns) != (s.st_mode, s.st_uid, s.st_mtime_ns):
    sys.exit("stat by path differs from fstat in the writing mount")
os.close(fd)
PY
assert_eq "$s0" "$(rpcs setAttr)" "setAttr calls for changes made while writing"
assert_eq "640 1234 5678 5000 111000000007 222000000009" "$(stats "$B/c1/f" | cut -d' ' -f1-6)" \
  "the other mount after close"
assert_eq "$(stats "$B/c1/f")" "$(stats "$A/c1/f")" "both mounts (ctime included) after close"
assert_eq "$(head -c 5000 /dev/zero | tr '\0' x | md5sum)" "$(md5sum <"$B/c1/f")" "data"

# --- a write after utimes: the write's time is the mtime again (as on ext4) ---
t0=$(date +%s%N)
mkdir "$A/c2"
python3 - "$A/c2" <<'PY'
import os, sys
fd = os.open(f"{sys.argv[1]}/g", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.write(fd, b"a" * 100)
os.utime(fd, ns=(1_000_000_000, 1_000_000_000))
os.write(fd, b"b" * 100)
os.close(fd)
PY
read -r _ _ _ size _ mtime _ <<<"$(stats "$B/c2/g")"
assert_eq 200 "$size" "size after write, utimes, write"
(( mtime >= t0 )) || fail "mtime $mtime: a utimes before the last write won over it"
assert_eq "$(stats "$B/c2/g")" "$(stats "$A/c2/g")" "both mounts after write, utimes, write"

# --- an ACL that only restates a mode is a chmod; a real ACL goes to the master at once ---
mkdir "$A/c3"
python3 - "$A/c3" "$B/c3" <<'PY' || fail "ACLs on a file being written"
import errno, os, struct, sys
A, B = sys.argv[1], sys.argv[2]
def acl(*entries):
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)
NONE = 0xFFFFFFFF
fd = os.open(f"{A}/h", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"h")
os.setxattr(fd, "system.posix_acl_access", acl((1, 6, NONE), (4, 0, NONE), (0x20, 4, NONE)))
mode = os.fstat(fd).st_mode & 0o7777
if mode != 0o604: sys.exit(f"mode after a mode-only ACL: {oct(mode)}")
try:
    os.getxattr(fd, "system.posix_acl_access"); sys.exit("a mode-only ACL was stored")
except OSError as e:
    if e.errno != errno.ENODATA: raise
os.close(fd)
fd = os.open(f"{A}/i", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"i")
os.fchmod(fd, 0o640)
real = acl((1, 6, NONE), (2, 7, 1234), (4, 4, NONE), (0x10, 7, NONE), (0x20, 4, NONE))
os.setxattr(fd, "system.posix_acl_access", real)
# Before the writer closes: the other mount already has the ACL (and the chmod before it).
got = os.getxattr(f"{B}/i", "system.posix_acl_access")
if got != real: sys.exit(f"the other mount does not see the ACL before close: {got!r}")
os.close(fd)
PY
assert_eq 604 "$(stat -c %a "$B/c3/h")" "mode-only ACL in the other mount"
getfattr -n system.posix_acl_access "$B/c3/h" >/dev/null 2>&1 && fail "a mode-only ACL was stored"
assert_eq 674 "$(stat -c %a "$B/c3/i")" "mode of a file with a real ACL (group bits = mask)"

# --- fsync sends the changes (before close); a truncate keeps both in order ---
mkdir "$A/c4"
python3 - "$A/c4" "$B/c4" <<'PY' || fail "fsync and truncate with changes pending"
import os, sys
A, B = sys.argv[1], sys.argv[2]
fd = os.open(f"{A}/j", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"j" * 1000)
os.fchmod(fd, 0o611)
os.fsync(fd)
mode = os.stat(f"{B}/j").st_mode & 0o7777
if mode != 0o611: sys.exit(f"the other mount after fsync: mode {oct(mode)}")
os.fchmod(fd, 0o612)
os.ftruncate(fd, 10)
os.close(fd)
s = os.stat(f"{B}/j")
if (s.st_mode & 0o7777, s.st_size) != (0o612, 10): sys.exit(f"after chmod, truncate: {oct(s.st_mode)} {s.st_size}")
PY

# --- chown of a set-user-ID file being written drops the bit, as on ext4 ---
mkdir "$A/c5"
python3 - "$A/c5" "$B/c5" <<'PY' || fail "chown of a set-user-ID file being written"
import os, sys
A, B = sys.argv[1], sys.argv[2]
fd = os.open(f"{A}/suid", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"s")
os.fchmod(fd, 0o4755)
os.fchown(fd, 1000, 1000)
mode = os.fstat(fd).st_mode & 0o7777
if mode != 0o755: sys.exit(f"fstat after chown: {oct(mode)}")
os.close(fd)
mode = os.stat(f"{B}/suid").st_mode & 0o7777
if mode != 0o755: sys.exit(f"the other mount after close: {oct(mode)}")
PY

# --- changes right after close (rsync: write a temp file, close, then set its times and
# mode by path) go to the master: the file is no longer being written ---
python3 - "$A" "$B" <<'PY' || fail "changes right after close"
import os, sys
A, B = sys.argv[1], sys.argv[2]
for i in range(20):
    p = f"{A}/closed{i}"
    with open(p, "xb") as f:
        f.write(b"c" * 100)
    os.chmod(p, 0o604)
    os.utime(p, ns=(3_000_000_000, 4_000_000_000 + i))
    s = os.stat(f"{B}/closed{i}")
    if (s.st_mode & 0o7777, s.st_mtime_ns) != (0o604, 4_000_000_000 + i):
        sys.exit(f"file {i} in the other mount: {oct(s.st_mode)} {s.st_mtime_ns}")
PY

# --- another mount's chmod comes after the changes this mount kept: its lookup recalled
# the lease and they went first, so its change is the later one and wins ---
mkdir "$A/race"
python3 - "$A/race" "$B/race" <<'PY' || fail "a later chmod from another mount"
import os, sys
A, B = sys.argv[1], sys.argv[2]
fd = os.open(f"{A}/f", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
os.write(fd, b"r")
os.fchmod(fd, 0o600)        # kept by A for its commit
os.fchown(fd, 1234, 1234)   # kept too; B leaves the owner alone
os.chmod(f"{B}/f", 0o640)   # later; back to the mode A's change was made over
os.close(fd)
for m in (A, B):
    s = os.stat(f"{m}/f")
    if (s.st_mode & 0o7777, s.st_uid) != (0o640, 1234):
        sys.exit(f"after close, through {m}: mode {oct(s.st_mode & 0o7777)} owner {s.st_uid}")
PY

# --- once the file is no longer open for writing here, a change goes at once, even if a
# read-only descriptor stays open (it used to wait for that one's close) ---
mkdir "$A/ro"
reader='
import os, sys, time
fd = os.open(f"{sys.argv[1]}/f", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.write(fd, b"x" * 10)
ro = os.open(f"{sys.argv[1]}/f", os.O_RDONLY)
os.close(fd)
time.sleep(0.5)  # the kernel releases the writer after close() returned
print("reading", flush=True)
sys.stdin.readline()
os.chmod(f"{sys.argv[1]}/f", 0o600)
print("changed", flush=True)
sys.stdin.readline()
os.close(ro)
'
coproc READER { python3 -c "$reader" "$A/ro"; }
read -r line <&"${READER[0]}" || true
assert_eq reading "$line" "a reader left open"
s0=$(rpcs setAttr)
echo go >&"${READER[1]}"
read -r line <&"${READER[0]}" || true
assert_eq changed "$line" "chmod while a reader is open"
assert_eq $((s0 + 1)) "$(rpcs setAttr)" "setAttr calls for a chmod of a file no longer written"
assert_eq 600 "$(stat -c %a "$B/ro/f")" "mode in the other mount"
reader_pid=$READER_PID
echo end >&"${READER[1]}"
wait "$reader_pid" || fail "the reader failed"

# --- kept changes wait only while no other mount can know the file: one that looks into
# the directory recalls this mount's lease on it, and the changes go before it sees the
# file (with the data written before them), long before the writer's close ---
mkdir "$A/kept"
c0=$(rpcs commit) s0=$(rpcs setAttr)
kept_writer='
import os, sys
A, B = sys.argv[1], sys.argv[2]
fd = os.open(f"{A}/kept/f", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"k" * 3000)
os.fchmod(fd, 0o640)
os.fchown(fd, 1234, 5678)
os.utime(fd, ns=(5_000_000_000, 6_000_000_000))
print("kept", flush=True)
sys.stdin.readline()  # the test counts the calls sent meanwhile
s = os.stat(f"{B}/kept/f")  # recalls the lease on kept/
got = (oct(s.st_mode & 0o7777), s.st_uid, s.st_gid, s.st_mtime_ns, s.st_size)
if got != (oct(0o640), 1234, 5678, 6_000_000_000, 3000):
    print(f"the other mount before close: {got}", flush=True); sys.exit(1)
os.fchmod(fd, 0o604)  # the lease is gone: this goes at once
mode = os.stat(f"{B}/kept/f").st_mode & 0o7777
if mode != 0o604: print(f"a change after the recall, before close: {oct(mode)}", flush=True); sys.exit(1)
os.close(fd)
print("ok", flush=True)
'
coproc KEPT { python3 -c "$kept_writer" "$A" "$B"; }
read -r line <&"${KEPT[0]}" || true
assert_eq kept "$line" "the writer made its changes"
assert_eq "$c0 $s0" "$(rpcs commit) $(rpcs setAttr)" "calls sent for changes kept under the lease"
echo go >&"${KEPT[1]}"
read -r line <&"${KEPT[0]}" || true
kept_pid=$KEPT_PID
wait "$kept_pid" || fail "changes kept for a commit, seen by another mount: $line"
assert_eq ok "$line" "changes kept for a commit, seen by another mount"
(( $(rpcs commit) == c0 + 1 )) || fail "the recall sent the kept changes in $(( $(rpcs commit) - c0 )) commits (want 1)"

# --- ... and before the file shows under a name outside the leased directory ---
mkdir "$A/kept2"
python3 - "$A" "$B" <<'PY' || fail "a file with kept changes renamed or linked elsewhere"
import os, sys
A, B = sys.argv[1], sys.argv[2]
for how in ("rename", "link"):
    fd = os.open(f"{A}/kept2/{how}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"x" * 100)
    os.fchmod(fd, 0o641)
    (os.rename if how == "rename" else os.link)(f"{A}/kept2/{how}", f"{A}/{how}-moved")
    mode = os.stat(f"{B}/{how}-moved").st_mode & 0o7777
    if mode != 0o641: sys.exit(f"{how}: the other mount sees mode {oct(mode)} under the new name")
    os.close(fd)
PY

# --- a strong mount sends every change at once ---
python3 - "$S" "$B" <<'PY' || fail "strong mount"
import os, sys
S, B = sys.argv[1], sys.argv[2]
fd = os.open(f"{S}/k", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"k")
os.fchmod(fd, 0o601)
mode = os.stat(f"{B}/k").st_mode & 0o7777
if mode != 0o601: sys.exit(f"a strong mount's chmod is not seen before close: {oct(mode)}")
os.close(fd)
PY

# --- cost: an untar-like loop sends one commit per file and no attribute calls ---
mkdir "$A/t"
s0=$(rpcs setAttr) c0=$(rpcs commit) r0=$(rpcs release)
python3 - "$A/t" <<'PY'
import os, sys
for i in range(100):
    fd = os.open(f"{sys.argv[1]}/f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"%d" % i * 300)
    os.utime(fd, ns=(0, 1_500_000_000_000_000_000 + i))
    os.fchown(fd, 1000 + i, 2000)
    os.fchmod(fd, 0o644)
    os.close(fd)
PY
sleep 0.2  # the last releases leave the mount at most 5 ms after the close
setattrs=$(( $(rpcs setAttr) - s0 )) commits=$(( $(rpcs commit) - c0 ))
releases=$(( $(rpcs release) - r0 ))
log "100 files written, utimes, chown, chmod, closed: $commits commits, $setattrs setAttr calls, $releases release calls"
assert_eq 100 "$commits" "commits for 100 files"
(( setattrs <= 5 )) || fail "attribute changes of files being written cost $setattrs setAttr calls"
(( releases > 0 && releases <= 60 )) || fail "100 closes made $releases release calls (batched: fewer)"
for i in 0 57 99; do
  assert_eq "644 $((1000 + i)) 2000 $(( 1500000000000000000 + i ))" \
    "$(stats "$B/t/f$i" | cut -d' ' -f1-3,6)" "file $i in the other mount"
done

# cp -a in the mount keeps every attribute, asking the master nothing about xattrs of
# files it knows have none, and sending the copies' modes with their close.
x0=$(( $(rpcs listXattr) + $(rpcs getXattr) + $(rpcs setXattr) ))
cp -a "$A/t" "$A/t2"
xattrs=$(( $(rpcs listXattr) + $(rpcs getXattr) + $(rpcs setXattr) - x0 ))
log "cp -a of 100 files: $xattrs xattr calls (list $(rpcs listXattr), get $(rpcs getXattr), set $(rpcs setXattr), remove $(rpcs removeXattr) so far)"
(( xattrs <= 10 )) || fail "cp -a made $xattrs xattr calls for files without xattrs"
assert_eq "$(cd "$B/t" && stats f* | cut -d' ' -f1-6)" "$(cd "$B/t2" && stats f* | cut -d' ' -f1-6)" \
  "cp -a copies (mode, owner, size, times) in the other mount"

# A copy's kept changes do not hold up its close: copy_file_range committed the data, so
# the chmod, chown and utimes after it are sent by the release, in the background. With
# the master frozen the close still returns (it used to wait for the master: rpc_timeout,
# then EIO); the other mount sees every change once the master is back (its lookup
# recalls the lease, which waits for them).
mkdir "$A/cfr"
: >"$A/cfr/first"  # the directory's lease comes with this create
python3 - "$A/t/f1" "$A/cfr/copy" "$MASTER_PID" <<'PY'
import os, signal, sys, threading
src, dst, master = sys.argv[1], sys.argv[2], int(sys.argv[3])
fin = os.open(src, os.O_RDONLY)
fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
while os.copy_file_range(fin, fout, 1 << 20) > 0:
    pass
os.fchmod(fout, 0o640)
os.fchown(fout, 4321, 8765)
os.utime(fout, ns=(1600000000000000001, 1600000000000000002))
os.kill(master, signal.SIGSTOP)
result = []
def close():
    try:
        os.close(fout)
        result.append("ok")
    except OSError as e:
        result.append(e.strerror)
try:
    closer = threading.Thread(target=close, daemon=True)
    closer.start()
    closer.join(5)
finally:
    os.kill(master, signal.SIGCONT)
os.close(fin)
if result != ["ok"]:
    sys.exit(f"close of a copy with kept attribute changes, master frozen: {result or 'still waiting after 5 s'}")
PY
assert_eq "640 4321 8765 $(stat -c %s "$A/t/f1") 1600000000000000002" \
  "$(stats "$B/cfr/copy" | cut -d' ' -f1-4,6)" "a copy's changes sent after its close, in the other mount"
log "attribute write-back OK"
