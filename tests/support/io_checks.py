#!/usr/bin/env python3
"""File I/O checks run on a directory (a local ext4 one first, to prove the checks, then a dfs
mount): mtime/ctime move at write() (not at close) and keep the write's time after close,
concurrent O_APPEND writers of one view never interleave or lose lines, appends from two views
alternating with close between keep every line, O_DIRECT reads and writes of aligned buffers.
Usage: [IO_CHECK_LINES=N] io_checks.py DIR [OTHER_VIEW_OF_DIR] (N lines per appending writer)"""
import errno, mmap, os, sys, time

d = sys.argv[1]
other = sys.argv[2] if len(sys.argv) > 2 else d
SLACK_NS = 50_000_000  # kernel timestamps are coarse (jiffies); python's clock is not


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)


# --- mtime/ctime: moved by write() itself, and the write's time survives close ---
mt = os.path.join(d, "mt")
with open(mt, "wb") as f:
    f.write(b"x" * 100)
past = time.time_ns() - 3600 * 10**9
os.utime(mt, ns=(past, past))
before = os.stat(mt)
fd = os.open(mt, os.O_WRONLY)
t0 = time.time_ns()
os.pwrite(fd, b"new data", 10)
t1 = time.time_ns()
st = os.fstat(fd)
check(st.st_mtime_ns > before.st_mtime_ns, "fstat after write(): mtime did not move (%d)" % st.st_mtime_ns)
check(st.st_ctime_ns > before.st_ctime_ns, "fstat after write(): ctime did not move")
check(t0 - SLACK_NS <= st.st_mtime_ns <= t1 + SLACK_NS,
      "fstat after write(): mtime %d is not the write's time [%d, %d]" % (st.st_mtime_ns, t0, t1))
check(os.stat(mt).st_mtime_ns == st.st_mtime_ns, "stat(path) and fstat disagree on mtime while dirty")
time.sleep(1.1)
os.close(fd)
t_close = time.time_ns()
for view in (d, other):
    after = os.stat(os.path.join(view, "mt"))
    check(after.st_mtime_ns == st.st_mtime_ns,
          "after close, mtime %d (seen from %s) is not the write's %d (close at %d)"
          % (after.st_mtime_ns, view, st.st_mtime_ns, t_close))
    check(after.st_ctime_ns == st.st_ctime_ns, "after close, ctime (seen from %s) is not the write's" % view)
    check(after.st_size == 100, "size after an overwrite within the file: %d" % after.st_size)
# A second write later moves it again; the last write's time is what stays.
fd = os.open(mt, os.O_WRONLY | os.O_APPEND)
os.write(fd, b"1")
m1 = os.fstat(fd).st_mtime_ns
time.sleep(0.3)
t2 = time.time_ns()
os.write(fd, b"2")
m2 = os.fstat(fd)
check(m2.st_mtime_ns > m1 and m2.st_mtime_ns >= t2 - SLACK_NS, "a later write did not move mtime again")
check(m2.st_size == 102, "size while dirty: %d" % m2.st_size)
time.sleep(0.3)
os.close(fd)
check(os.stat(os.path.join(other, "mt")).st_mtime_ns == m2.st_mtime_ns,
      "after close, mtime is not the last write's")

# --- O_APPEND: concurrent writers in one view, every line one write() ---
ap = os.path.join(d, "append")
open(ap, "wb").close()
WRITERS, LINES = 4, int(os.environ.get("IO_CHECK_LINES", "2000"))


def line(p, i):
    # distinct per writer and line, and of a different length per writer
    return ("w%d line %05d %s\n" % (p, i, chr(ord("a") + p) * (7 + 13 * p))).encode()


r, w = os.pipe()
pids = []
for p in range(WRITERS):
    pid = os.fork()
    if pid == 0:
        os.close(w)
        os.read(r, 1)  # start together
        fd = os.open(ap, os.O_WRONLY | os.O_APPEND)
        for i in range(LINES):
            b = line(p, i)
            if os.write(fd, b) != len(b):
                os._exit(2)
        os.close(fd)
        os._exit(0)
    pids.append(pid)
os.close(r)
os.write(w, b"g" * WRITERS)
os.close(w)
for pid in pids:
    _, status = os.waitpid(pid, 0)
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "an appending writer failed")
for view in (d, other):
    with open(os.path.join(view, "append"), "rb") as f:
        got = f.read().split(b"\n")
    check(got[-1] == b"", "the appended file (seen from %s) does not end with a whole line" % view)
    got = got[:-1]
    want = {line(p, i)[:-1] for p in range(WRITERS) for i in range(LINES)}
    bad = [x for x in got if x not in want]
    check(not bad, "%d torn or interleaved lines (seen from %s), first %r" % (len(bad), view, bad[:1]))
    check(len(got) == len(set(got)) == len(want),
          "%d lines (seen from %s), %d distinct, want %d" % (len(got), view, len(set(got)), len(want)))
    for p in range(WRITERS):  # each writer's own lines stay in its order
        mine = [x for x in got if x.startswith(b"w%d " % p)]
        check(mine == [line(p, i)[:-1] for i in range(LINES)], "writer %d's lines out of order" % p)

# --- O_APPEND from two views, alternating, closing between (close-to-open) ---
alt = os.path.join(d, "alt")
open(alt, "wb").close()
for i in range(20):
    view = d if i % 2 == 0 else other
    fd = os.open(os.path.join(view, "alt"), os.O_WRONLY | os.O_APPEND)
    os.write(fd, b"alternate line %02d\n" % i)
    os.close(fd)
for view in (d, other):
    with open(os.path.join(view, "alt"), "rb") as f:
        got = f.read()
    check(got == b"".join(b"alternate line %02d\n" % i for i in range(20)),
          "alternating appends (seen from %s): %r" % (view, got[:200]))

# --- O_DIRECT: aligned buffers, offsets and lengths ---
PAGE = 4096


def aligned(n, fill=None):
    m = mmap.mmap(-1, n)  # page aligned
    if fill is not None:
        m[:] = fill
    return m


def pattern(seed, n):
    return bytes((seed * 131 + i * 7 + i // 4096) & 0xFF for i in range(n))


dp = os.path.join(d, "direct")
expect = bytearray()


def put(off, data):
    global expect
    if len(expect) < off + len(data):
        expect += b"\0" * (off + len(data) - len(expect))
    expect[off:off + len(data)] = data


fd = os.open(dp, os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
for seed, off, n in ((1, 0, 256 * 1024), (2, 8192, PAGE), (3, 1 << 20, 2 * PAGE), (4, 64 * 1024, 16 * PAGE)):
    data = pattern(seed, n)
    check(os.pwrite(fd, aligned(n, data), off) == n, "O_DIRECT write of %d at %d was short" % (n, off))
    put(off, data)
check(os.fstat(fd).st_size == len(expect), "size after O_DIRECT writes: %d" % os.fstat(fd).st_size)
buf = aligned(len(expect) + PAGE)  # room past EOF: the read must be short
got = os.preadv(fd, [buf], 0)
check(got == len(expect), "O_DIRECT read of the whole file returned %d, want %d" % (got, len(expect)))
check(buf[:got] == bytes(expect), "O_DIRECT read-after-write returned other bytes")
buf = aligned(3 * PAGE)
check(os.preadv(fd, [buf], 7 * PAGE) == 3 * PAGE and buf[:] == bytes(expect[7 * PAGE:10 * PAGE]),
      "O_DIRECT read of an inner aligned range returned other bytes")
with open(dp, "rb") as f:  # a normal fd of the same view agrees
    check(f.read() == bytes(expect), "a buffered read after O_DIRECT writes returned other bytes")
# a buffered write (not yet closed) is seen by an O_DIRECT read
nf = os.open(dp, os.O_WRONLY)
os.pwrite(nf, b"buffered!", 5 * PAGE + 3)
put(5 * PAGE + 3, b"buffered!")
buf = aligned(2 * PAGE)
check(os.preadv(fd, [buf], 5 * PAGE) == 2 * PAGE and buf[:] == bytes(expect[5 * PAGE:7 * PAGE]),
      "an O_DIRECT read misses a buffered write of another fd")
os.close(nf)
# Unaligned O_DIRECT: ext4 refuses it (EINVAL); FUSE passes it to the file system, which
# serves it like any other I/O. Either way no wrong bytes.
unaligned = {}
for what, fn in (("write at an odd offset", lambda: os.pwrite(fd, aligned(PAGE, pattern(5, PAGE)), 100)),
                 ("write of an odd length", lambda: os.pwrite(fd, memoryview(aligned(PAGE))[:1000], 0)),
                 ("read at an odd offset", lambda: os.preadv(fd, [aligned(PAGE)], 100))):
    try:
        fn()
        unaligned[what] = "ok"
    except OSError as e:
        check(e.errno == errno.EINVAL, "unaligned O_DIRECT %s: %s (want EINVAL or success)" % (what, e))
        unaligned[what] = "EINVAL"
if unaligned["write at an odd offset"] == "ok":
    put(100, pattern(5, PAGE))
if unaligned["write of an odd length"] == "ok":
    put(0, b"\0" * 1000)
os.close(fd)
print("unaligned O_DIRECT on %s: %s" % (d, unaligned))
time.sleep(0.1)
for view in (d, other):
    with open(os.path.join(view, "direct"), "rb") as f:
        check(f.read() == bytes(expect), "after close, %s reads other bytes than were written" % view)
    fd = os.open(os.path.join(view, "direct"), os.O_RDONLY | os.O_DIRECT)
    buf = aligned(len(expect) + PAGE)
    got = os.preadv(fd, [buf], 0)
    os.close(fd)
    check(buf[:got] == bytes(expect), "after close, an O_DIRECT read from %s returns other bytes" % view)

print("io checks OK:", d)
