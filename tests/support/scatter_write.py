#!/usr/bin/env python3
"""scatter_write.py PATH SIZE WRITES SEED MODEL [--pause-after N --pause-file F --resume-file R]

Writes SIZE pseudo-random bytes to PATH (created), then WRITES pwrite()s of 4 KiB at
pseudo-random 4 KiB-aligned offsets (from SEED) through the same descriptor, each with
its own bytes. Every 1500 writes it reads back the 4 KiB just written (a read makes the
mount commit what it holds first) and checks it. Writes that fail (EIO) are counted and
left out of the model: the file must end up holding exactly the writes that returned
success. With --pause-after N it creates F after N writes and waits for R to exist before
going on (the test freezes the master meanwhile). Then fsyncs and closes the file and
writes the expected bytes to MODEL and prints "ok=<n> failed=<m> <first error>"; exit
status 3 if a read-back differed or the final fsync (retried on EIO for a minute) or
close failed."""
import errno
import os
import random
import sys
import time


def main():
    path, size, writes, seed, model = sys.argv[1:6]
    size, writes = int(size), int(writes)
    opts = dict(zip(sys.argv[6::2], sys.argv[7::2]))
    pause_after = int(opts.get("--pause-after", -1))
    rng = random.Random(int(seed))
    image = bytearray(rng.randbytes(size))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, image)
    ok = failed = 0
    first_error = "-"
    for i in range(writes):
        if i == pause_after:
            with open(opts["--pause-file"], "w") as f:
                f.write(f"{i}\n")
            deadline = time.monotonic() + 300
            while not os.path.exists(opts["--resume-file"]):
                if time.monotonic() > deadline:
                    print("never told to resume")
                    sys.exit(4)
                time.sleep(0.05)
        off = rng.randrange(size // 4096) * 4096
        data = rng.randbytes(4096)
        try:
            os.pwrite(fd, data, off)
        except OSError as e:
            failed += 1
            if first_error == "-":
                first_error = errno.errorcode.get(e.errno, str(e.errno))
            continue
        ok += 1
        image[off:off + 4096] = data
        if i % 1500 == 1499:
            try:
                back = os.pread(fd, 4096, off)
            except OSError as e:
                failed += 1
                if first_error == "-":
                    first_error = "read:" + errno.errorcode.get(e.errno, str(e.errno))
                continue
            if back != data:
                print(f"read-back at {off} after write {i} differs")
                sys.exit(3)
    # fsync fails while the master is unreachable (the data stays buffered): retry it for
    # up to a minute, as a careful program would.
    for attempt in range(30):
        try:
            os.fsync(fd)
            break
        except OSError as e:
            if attempt == 29 or e.errno != errno.EIO:
                print(f"final fsync failed: {e}")
                sys.exit(3)
            time.sleep(2)
    try:
        os.close(fd)
    except OSError as e:
        print(f"close failed: {e}")
        sys.exit(3)
    with open(model, "wb") as f:
        f.write(image)
    print(f"ok={ok} failed={failed} {first_error}")


main()
