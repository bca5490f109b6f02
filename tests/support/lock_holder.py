#!/usr/bin/env python3
"""A process that holds locks on one file and obeys commands (lock_reclaim.sh).

Usage: lock_holder.py PATH CONTROL_FIFO

Takes an fcntl write lock on bytes [0, 100) through one descriptor and a flock
exclusive lock through another, prints "locked", then reads commands, one a line, from
CONTROL_FIFO and prints one answer line for each:
  write    pwrite 1 byte at offset 0 through the fcntl descriptor -> "write ok" / "write EIO"
  relock   take the fcntl lock again (non-blocking)              -> "relock ok" / "relock EIO"
  exit     exit (the kernel drops both locks)
End of file on the FIFO also exits.
"""
import errno
import fcntl
import os
import sys


def attempt(what, fn):
    try:
        fn()
        print(f"{what} ok", flush=True)
    except OSError as e:
        print(f"{what} {errno.errorcode.get(e.errno, e.errno)}", flush=True)


def main():
    path, control = sys.argv[1], sys.argv[2]
    fd = os.open(path, os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 0)
    fl = os.open(path, os.O_RDWR)
    fcntl.flock(fl, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("locked", flush=True)
    with open(control) as commands:
        for line in commands:
            cmd = line.strip()
            if cmd == "write":
                attempt("write", lambda: os.pwrite(fd, b"x", 0))
            elif cmd == "relock":
                attempt("relock", lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 0))
            elif cmd == "exit":
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
