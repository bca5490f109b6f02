#!/usr/bin/env python3
"""POSIX checks run on a directory (a local one first, to prove the checks, then a dfs mount):
readdir stable under concurrent creates/deletes, telldir/seekdir, set-ID bits cleared by
a non-owner's write and by chown, shared writable mmap + msync seen after close/reopen, atime by relatime rules.
Usage: posix_checks.py DIR [OTHER_VIEW_OF_DIR]"""
import ctypes, ctypes.util, mmap, os, stat, subprocess, sys, threading, time

d = sys.argv[1]
other = sys.argv[2] if len(sys.argv) > 2 else d

def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)

# --- readdir stable under concurrent creates and deletes ---
rd = os.path.join(d, "rd")
os.mkdir(rd)
keep = {"keep-%04d" % i for i in range(1500)}
for n in keep:
    open(os.path.join(rd, n), "w").close()
stop = threading.Event()
def churn():
    i = 0
    while not stop.is_set():
        p = os.path.join(rd, "churn-%06d" % i)
        open(p, "w").close()
        if i >= 5:
            os.unlink(os.path.join(rd, "churn-%06d" % (i - 5)))
        i += 1
t = threading.Thread(target=churn)
t.start()
try:
    for rnd in range(15):
        seen = [n for n in os.listdir(rd) if n.startswith("keep-")]
        check(len(seen) == len(set(seen)), "readdir repeated an unchanged name (round %d)" % rnd)
        check(set(seen) == keep, "readdir skipped %d unchanged names (round %d)" % (len(keep - set(seen)), rnd))
finally:
    stop.set()
    t.join()

# --- telldir / seekdir ---
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
class Dirent(ctypes.Structure):
    _fields_ = [("d_ino", ctypes.c_uint64), ("d_off", ctypes.c_int64), ("d_reclen", ctypes.c_ushort),
                ("d_type", ctypes.c_ubyte), ("d_name", ctypes.c_char * 256)]
libc.opendir.restype = ctypes.c_void_p
libc.readdir.restype = ctypes.POINTER(Dirent)
libc.readdir.argtypes = [ctypes.c_void_p]
libc.telldir.restype = ctypes.c_long
libc.telldir.argtypes = [ctypes.c_void_p]
libc.seekdir.argtypes = [ctypes.c_void_p, ctypes.c_long]
libc.closedir.argtypes = [ctypes.c_void_p]
sd = os.path.join(d, "sd")
os.mkdir(sd)
for i in range(700):
    open(os.path.join(sd, "f%03d" % i), "w").close()
h = libc.opendir(sd.encode())
check(h, "opendir")
def nxt():
    e = libc.readdir(h)
    return e.contents.d_name.decode() if e else None
for _ in range(300):
    nxt()
pos = libc.telldir(h)
after = [nxt() for _ in range(200)]
libc.seekdir(h, pos)
again = [nxt() for _ in range(200)]
check(after == again, "seekdir(telldir()) did not return to the same entry")
libc.seekdir(h, 0)
first = nxt()
check(first is not None, "seekdir(0) then readdir gave nothing")
libc.closedir(h)

# --- set-ID bits: cleared by a non-owner's write and by chown ---
sid = os.path.join(d, "sid")
with open(sid, "w") as f:
    f.write("x")
os.chmod(sid, 0o6777)
r = subprocess.run(["setpriv", "--reuid=2000", "--regid=2000", "--clear-groups", "sh", "-c",
                    "printf y >> '%s'" % sid])
check(r.returncode == 0, "non-owner append failed")
m = os.stat(sid).st_mode
check(not m & stat.S_ISUID, "set-user-ID survived a non-owner's write (mode %o)" % m)
check(not m & stat.S_ISGID, "set-group-ID (group-exec) survived a non-owner's write (mode %o)" % m)
os.chmod(sid, 0o6755)
os.chown(sid, 1000, 1000)
m = os.stat(sid).st_mode
check(not m & (stat.S_ISUID | stat.S_ISGID), "set-ID bits survived chown (mode %o)" % m)

# --- shared writable mmap + msync, seen through another view after close ---
mm = os.path.join(d, "mm")
with open(mm, "wb") as f:
    f.write(b"\0" * 65536)
with open(mm, "r+b") as f:
    m = mmap.mmap(f.fileno(), 65536, mmap.MAP_SHARED)
    m[100:105] = b"hello"
    m[60000:60005] = b"world"
    m.flush()
    check(os.pread(f.fileno(), 5, 100) == b"hello", "read() after msync misses the mapped write")
    m.close()
time.sleep(0.1)
with open(os.path.join(other, "mm"), "rb") as f:
    data = f.read()
check(data[100:105] == b"hello" and data[60000:60005] == b"world",
      "the other view does not see the mapped writes after msync and close")
# --- atime, relatime: a read moves an atime not later than mtime; a second read does not ---
at = os.path.join(d, "at")
with open(at, "w") as f:
    f.write("data")
past = time.time_ns() - 3600 * 10**9
os.utime(at, ns=(past - 10**9, past))  # atime older than mtime
with open(os.path.join(other, "at")) as f:
    f.read()
time.sleep(0.5)  # dfs moves atime in the background of the read
a1 = os.stat(at).st_atime_ns
check(a1 > past, "a read did not move an atime older than mtime (relatime)")
with open(os.path.join(other, "at")) as f:
    f.read()
time.sleep(0.5)
check(os.stat(at).st_atime_ns == a1, "a second read moved atime again (relatime)")

print("posix checks OK:", d)
