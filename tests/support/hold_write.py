#!/usr/bin/env python3
"""hold_write.py PATH SIZE SEED READY RELEASE: writes SIZE pseudo-random bytes (from SEED)
to PATH (created or truncated) with write() calls of 64 KiB, then creates the file READY
and keeps PATH open (no fsync, no close) until the file RELEASE exists, then closes it.
Exit status 5 and the errno name on stdout if a write fails (e.g. EIO).
`hold_write.py --bytes SIZE SEED OUT` writes the same bytes to OUT (the reference)."""
import errno
import os
import random
import sys
import time


def data(size, seed):
    return random.Random(int(seed)).randbytes(int(size))


if sys.argv[1] == "--bytes":
    with open(sys.argv[4], "wb") as f:
        f.write(data(sys.argv[2], sys.argv[3]))
    sys.exit(0)

path, size, seed, ready, release = sys.argv[1:6]
buf = data(size, seed)
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
try:
    for off in range(0, len(buf), 65536):
        os.write(fd, buf[off:off + 65536])
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    open(ready, "w").write("failed\n")
    sys.exit(5)
open(ready, "w").write("ready\n")
while not os.path.exists(release):
    time.sleep(0.05)
os.close(fd)
