#!/usr/bin/env python3
"""Lock semantics checks between two directories that show the same files.

Usage: lock_checks.py DIR_A DIR_B          run every check (exit 1 on the first failure)
       lock_checks.py hold PATH KIND ...    (internal) a lock holder process

Locally DIR_A == DIR_B (proves the checks against the kernel's own locks); on dfs they are
two mounts of one volume. The holder is a separate process (fcntl locks belong to a
process) that takes a lock on DIR_A's file and then obeys commands read from stdin.
"""
import errno
import fcntl
import os
import signal
import struct
import subprocess
import sys
import time

F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
FLOCK_FMT = "hhqqi4x"  # struct flock on x86_64/aarch64 Linux: type, whence, start, len, pid
CONFLICT = (errno.EAGAIN, errno.EACCES)


def pack(ltype, start=0, length=0, pid=0):
    return struct.pack(FLOCK_FMT, ltype, os.SEEK_SET, start, length, pid)


def unpack(buf):
    ltype, _whence, start, length, pid = struct.unpack(FLOCK_FMT, buf)
    return ltype, start, length, pid


def setlk(fd, ltype, start=0, length=0, cmd=fcntl.F_SETLK):
    """Returns 0 or the errno of a conflict."""
    try:
        fcntl.fcntl(fd, cmd, pack(ltype, start, length))
        return 0
    except OSError as e:
        return e.errno


def getlk(fd, ltype, start=0, length=0, cmd=fcntl.F_GETLK):
    return unpack(fcntl.fcntl(fd, cmd, pack(ltype, start, length)))


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


# ---------- the holder process ----------

def hold(path, kind, args):
    """Takes a lock, prints 'locked', then runs stdin commands: unlock, close, sleep S, exit."""
    fd = os.open(path, os.O_RDWR)
    if kind == "posix":
        ltype = fcntl.F_WRLCK if args[0] == "w" else fcntl.F_RDLCK
        fcntl.fcntl(fd, fcntl.F_SETLK, pack(ltype, int(args[1]), int(args[2])))
    elif kind == "ofd":
        fcntl.fcntl(fd, F_OFD_SETLK, pack(fcntl.F_WRLCK, int(args[0]), int(args[1])))
    elif kind == "flock":
        fcntl.flock(fd, fcntl.LOCK_EX if args[0] == "w" else fcntl.LOCK_SH)
    print("locked", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if cmd[0] == "unlock":
            if kind == "flock":
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                fcntl.fcntl(fd, F_OFD_SETLK if kind == "ofd" else fcntl.F_SETLK,
                            pack(fcntl.F_UNLCK))
        elif cmd[0] == "close":
            os.close(fd)
        elif cmd[0] == "sleep":
            time.sleep(float(cmd[1]))
        elif cmd[0] == "lockw":  # blocking lock of a range: "lockw START LEN"
            fcntl.fcntl(fd, fcntl.F_SETLKW, pack(fcntl.F_WRLCK, int(cmd[1]), int(cmd[2])))
        elif cmd[0] == "exit":
            return
        print("done", flush=True)


class Holder:
    def __init__(self, path, kind, *args):
        self.p = subprocess.Popen([sys.executable, __file__, "hold", path, kind, *map(str, args)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if line != "locked":
            raise RuntimeError(f"holder could not lock {path} ({kind} {args}): {line!r}")

    def send(self, cmd, wait=True):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        if wait:
            assert self.p.stdout.readline().strip() == "done", cmd

    def stop(self):
        try:
            self.p.stdin.write("exit\n")
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        self.p.wait(timeout=30)


def wait_blocked_in_fcntl(pid, timeout=5.0):
    """Waits until process `pid` sleeps in fcntl() (x86_64: 72, aarch64: 25)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/syscall") as f:
                if f.read().split()[0] in ("72", "25"):
                    return
        except (OSError, IndexError):
            pass
        time.sleep(0.05)


class Interrupted(Exception):
    pass


def on_alarm(signum, frame):
    raise Interrupted()  # a plain return would make Python retry the syscall (PEP 475)


# ---------- the checks ----------

def fresh(dir_a, dir_b, name):
    a = os.path.join(dir_a, name)
    with open(a, "wb") as f:
        f.write(b"x" * 1000)
    b = os.path.join(dir_b, name)
    for _ in range(50):  # the other mount may need a moment to see the new name
        if os.path.exists(b):
            break
        time.sleep(0.1)
    return a, b


def run_checks(dir_a, dir_b):
    a, b = fresh(dir_a, dir_b, "lockfile")
    fd = os.open(b, os.O_RDWR)

    h = Holder(a, "posix", "w", 0, 100)
    check(setlk(fd, fcntl.F_WRLCK, 0, 100) in CONFLICT, "write lock held by A blocks B's write")
    check(setlk(fd, fcntl.F_RDLCK, 50, 1) in CONFLICT, "write lock held by A blocks B's read")
    ltype, start, length, pid = getlk(fd, fcntl.F_WRLCK)
    check((ltype, start, length) == (fcntl.F_WRLCK, 0, 100),
          f"F_GETLK on B reports A's lock (type {ltype}, start {start}, len {length})")
    print(f"info: F_GETLK pid {pid} (holder pid {h.p.pid})", flush=True)
    check(getlk(fd, fcntl.F_WRLCK, 100, 10)[0] == fcntl.F_UNLCK,
          "F_GETLK beyond A's range finds no conflict")
    check(setlk(fd, fcntl.F_WRLCK, 100, 50) == 0, "a range that does not overlap is granted")
    check(setlk(fd, fcntl.F_UNLCK) == 0, "unlock")

    # A blocking lock waits until A unlocks.
    h.send("sleep 1", wait=False)
    h.send("unlock", wait=False)
    t0 = time.monotonic()
    check(setlk(fd, fcntl.F_WRLCK, 0, 100, fcntl.F_SETLKW) == 0, "F_SETLKW is granted")
    waited = time.monotonic() - t0
    check(waited > 0.7, f"F_SETLKW waited for the unlock ({waited:.2f} s)")
    h.p.stdout.readline()
    h.p.stdout.readline()
    check(setlk(fd, fcntl.F_UNLCK) == 0, "unlock")
    h.stop()

    # Read locks share; a write lock then waits for both.
    h = Holder(a, "posix", "r", 0, 0)
    check(setlk(fd, fcntl.F_RDLCK, 10, 10) == 0, "read locks share")
    check(setlk(fd, fcntl.F_WRLCK, 10, 10) in CONFLICT, "upgrade blocked by the other reader")
    h.stop()  # the holder exits: its locks go away with its close
    check(setlk(fd, fcntl.F_WRLCK, 10, 10) == 0, "upgrade once the other reader is gone")
    check(setlk(fd, fcntl.F_UNLCK) == 0, "unlock")

    # close() of any fd of the file drops the process's locks.
    h = Holder(a, "posix", "w", 0, 0)
    check(setlk(fd, fcntl.F_WRLCK) in CONFLICT, "locked before the holder's close")
    h.send("close")
    check(setlk(fd, fcntl.F_WRLCK) == 0, "closing the fd released A's lock")
    check(setlk(fd, fcntl.F_UNLCK) == 0, "unlock")
    h.stop()

    # A waiter interrupted by a signal gets EINTR and never gets the lock.
    h = Holder(a, "posix", "w", 0, 0)
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(1)
    t0 = time.monotonic()
    try:
        fcntl.fcntl(fd, fcntl.F_SETLKW, pack(fcntl.F_WRLCK))
        interrupted = False
    except Interrupted:
        interrupted = True
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
    check(interrupted and time.monotonic() - t0 < 5, "a signal interrupts F_SETLKW")
    h.send("unlock")
    time.sleep(0.3)
    h2 = Holder(b, "posix", "w", 0, 0)  # fails if the interrupted wait was granted after all
    check(True, "the interrupted waiter did not get the lock")
    h2.stop()
    h.stop()

    # Deadlock: A holds 0-9 and waits for B's 10-19; B asking for 0-9 gets EDEADLK.
    check(setlk(fd, fcntl.F_WRLCK, 10, 10) == 0, "B locks 10-19")
    h = Holder(a, "posix", "w", 0, 10)
    h.send("lockw 10 10", wait=False)
    wait_blocked_in_fcntl(h.p.pid)
    time.sleep(0.2)
    check(setlk(fd, fcntl.F_WRLCK, 0, 10, fcntl.F_SETLKW) == errno.EDEADLK,
          "a wait that closes a cycle fails with EDEADLK")
    check(setlk(fd, fcntl.F_UNLCK) == 0, "unlock")
    check(h.p.stdout.readline().strip() == "done", "A's wait is granted after B's unlock")
    h.stop()

    # OFD locks: owned by the open file description, so two opens in one process conflict.
    fd_a = os.open(a, os.O_RDWR)
    check(setlk(fd_a, fcntl.F_WRLCK, 0, 10, F_OFD_SETLK) == 0, "OFD lock via A")
    check(setlk(fd, fcntl.F_WRLCK, 5, 1, F_OFD_SETLK) in CONFLICT,
          "OFD lock of another open file description conflicts (same process)")
    ltype, start, length, pid = getlk(fd, fcntl.F_WRLCK, 0, 0, F_OFD_GETLK)
    check((ltype, start, length) == (fcntl.F_WRLCK, 0, 10), "F_OFD_GETLK reports it")
    print(f"info: F_OFD_GETLK pid {pid}", flush=True)
    os.close(fd_a)  # the last close of the description drops its OFD lock
    ok = False
    for _ in range(50):  # the release after close is asynchronous on FUSE
        if setlk(fd, fcntl.F_WRLCK, 5, 1, F_OFD_SETLK) == 0:
            ok = True
            break
        time.sleep(0.1)
    check(ok, "closing the description released its OFD lock")
    check(setlk(fd, fcntl.F_UNLCK, 0, 0, F_OFD_SETLK) == 0, "OFD unlock")

    # flock: whole-file, per open file description, independent of fcntl locks.
    h = Holder(a, "flock", "w")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        res = 0
    except OSError as e:
        res = e.errno
    check(res == errno.EWOULDBLOCK, "flock LOCK_EX|LOCK_NB on B fails while A holds it")
    check(setlk(fd, fcntl.F_WRLCK) == 0, "fcntl locks do not conflict with flock locks")
    check(setlk(fd, fcntl.F_UNLCK) == 0, "unlock")
    h.send("sleep 1", wait=False)
    h.send("unlock", wait=False)
    t0 = time.monotonic()
    fcntl.flock(fd, fcntl.LOCK_EX)
    waited = time.monotonic() - t0
    check(waited > 0.7, f"blocking flock waited for A's unlock ({waited:.2f} s)")
    fcntl.flock(fd, fcntl.LOCK_UN)
    h.stop()
    fcntl.flock(fd, fcntl.LOCK_SH)
    h = Holder(a, "flock", "r")
    check(True, "shared flocks share")
    h.stop()
    fcntl.flock(fd, fcntl.LOCK_UN)

    os.close(fd)
    print("all lock checks passed", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "hold":
        hold(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        run_checks(sys.argv[1], sys.argv[2])
