#!/usr/bin/env python3
"""Extended attribute checks on a directory: values, errno cases, list, ctime, namespaces.

Usage: xattr_checks.py DIR [--large]   (run as root; DIR must be empty and world-readable)
--large also checks values up to 64 KiB (ext4 without ea_inode refuses those: ENOSPC).
Prints one line per check; exits non-zero at the first failure.
"""
import ctypes
import ctypes.util
import errno
import os
import subprocess
import sys
import time

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.getxattr.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.getxattr.restype = ctypes.c_ssize_t
libc.listxattr.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.listxattr.restype = ctypes.c_ssize_t


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr)
    sys.exit(1)


def expect_errno(code, what, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except OSError as e:
        if e.errno != code:
            fail(f"{what}: expected {errno.errorcode[code]}, got {errno.errorcode.get(e.errno, e.errno)}")
        print(f"ok {what}: {errno.errorcode[code]}")
        return
    fail(f"{what}: expected {errno.errorcode[code]}, succeeded")


def expect_eq(want, got, what):
    if want != got:
        fail(f"{what}: expected {want!r}, got {got!r}")
    print(f"ok {what}")


def raw_getxattr(path, name, size):
    """getxattr(2) with a buffer of `size` bytes: (result, errno)."""
    buf = ctypes.create_string_buffer(max(size, 1))
    n = libc.getxattr(path.encode(), name.encode(), buf if size else None, size)
    return (n, ctypes.get_errno() if n < 0 else 0, buf.raw[:max(n, 0)])


def raw_listxattr(path, size):
    buf = ctypes.create_string_buffer(max(size, 1))
    n = libc.listxattr(path.encode(), buf if size else None, size)
    return (n, ctypes.get_errno() if n < 0 else 0, buf.raw[:max(n, 0)])


def ctime_ns(path):
    return os.stat(path, follow_symlinks=False).st_ctime_ns


def as_user(uid, code):
    """Runs python `code` as uid/gid `uid` with no groups; returns its stdout (stripped)."""
    out = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                          sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"as uid {uid}: {code!r}: {out.stderr.strip()}")
    return out.stdout.strip()


USER_PROBE = """
import errno, os, sys
def r(fn, *a):
    try:
        v = fn(*a)
        return 'ok' if v is None else repr(v)
    except OSError as e:
        return errno.errorcode[e.errno]
"""


def main():
    d = sys.argv[1]
    large = "--large" in sys.argv[2:]
    f = os.path.join(d, "f")
    open(f, "w").close()
    os.chmod(f, 0o644)

    # --- values and errnos ---
    expect_errno(errno.ENODATA, "get missing", os.getxattr, f, "user.missing")
    os.setxattr(f, "user.a", b"value-a")
    expect_eq(b"value-a", os.getxattr(f, "user.a"), "set/get user.a")
    os.setxattr(f, "user.empty", b"")
    expect_eq(b"", os.getxattr(f, "user.empty"), "empty value")
    binary = bytes(range(256)) * 3
    os.setxattr(f, "user.bin", binary)
    expect_eq(binary, os.getxattr(f, "user.bin"), "binary value with NULs")
    n, err, _ = raw_getxattr(f, "user.a", 0)
    expect_eq((7, 0), (n, err), "getxattr size 0 returns the size")
    n, err, _ = raw_getxattr(f, "user.a", 3)
    expect_eq((-1, errno.ERANGE), (n, err), "getxattr small buffer -> ERANGE")
    n, err, v = raw_getxattr(f, "user.a", 7)
    expect_eq((7, b"value-a"), (n, v), "getxattr exact buffer")
    expect_errno(errno.EEXIST, "XATTR_CREATE on existing", os.setxattr, f, "user.a", b"x",
                 os.XATTR_CREATE)
    expect_errno(errno.ENODATA, "XATTR_REPLACE on missing", os.setxattr, f, "user.nope", b"x",
                 os.XATTR_REPLACE)
    os.setxattr(f, "user.a", b"replaced", os.XATTR_REPLACE)
    expect_eq(b"replaced", os.getxattr(f, "user.a"), "XATTR_REPLACE on existing")
    os.setxattr(f, "user.c", b"c", os.XATTR_CREATE)
    expect_eq(b"c", os.getxattr(f, "user.c"), "XATTR_CREATE on missing")
    expect_errno(errno.E2BIG, "value > 64 KiB", os.setxattr, f, "user.big", b"x" * 65537)
    expect_errno(errno.ERANGE, "name > 255 bytes", os.setxattr, f, "user." + "n" * 251, b"x")
    os.setxattr(f, "user." + "n" * 250, b"x")
    expect_eq(b"x", os.getxattr(f, "user." + "n" * 250), "name of 255 bytes")
    os.removexattr(f, "user." + "n" * 250)
    expect_errno(errno.EINVAL, "user. without suffix", os.setxattr, f, "user.", b"x")
    expect_errno(errno.EOPNOTSUPP, "unknown namespace", os.setxattr, f, "foo.bar", b"x")
    expect_errno(errno.EOPNOTSUPP, "unknown system.* name", os.setxattr, f, "system.foo", b"x")
    medium = os.urandom(1000)
    os.setxattr(f, "user.medium", medium)
    expect_eq(medium, os.getxattr(f, "user.medium"), "1000-byte value")
    os.removexattr(f, "user.medium")
    if large:
        big = os.urandom(65536)
        os.setxattr(f, "user.big", big)
        expect_eq(big, os.getxattr(f, "user.big"), "64 KiB value")
        os.removexattr(f, "user.big")

    # --- list ---
    names = sorted(os.listxattr(f))
    expect_eq(["user.a", "user.bin", "user.c", "user.empty"], names, "listxattr names")
    n, err, _ = raw_listxattr(f, 0)
    want = sum(len(x) + 1 for x in names)
    expect_eq((want, 0), (n, err), "listxattr size 0 returns the size")
    n, err, raw = raw_listxattr(f, want)
    expect_eq(sorted(raw.split(b"\0")[:-1]), [x.encode() for x in names],
              "listxattr NUL-separated")
    expect_eq(b"\0", raw[-1:], "listxattr ends in NUL")
    n, err, _ = raw_listxattr(f, 5)
    expect_eq((-1, errno.ERANGE), (n, err), "listxattr small buffer -> ERANGE")

    # --- remove ---
    os.removexattr(f, "user.c")
    expect_errno(errno.ENODATA, "get after remove", os.getxattr, f, "user.c")
    expect_errno(errno.ENODATA, "remove missing", os.removexattr, f, "user.c")

    # --- ctime ---
    before = ctime_ns(f)
    time.sleep(0.05)
    os.setxattr(f, "user.t", b"1")
    after_set = ctime_ns(f)
    if not after_set > before:
        fail(f"setxattr did not change ctime ({before} -> {after_set})")
    print("ok setxattr changes ctime")
    time.sleep(0.05)
    os.removexattr(f, "user.t")
    if not ctime_ns(f) > after_set:
        fail("removexattr did not change ctime")
    print("ok removexattr changes ctime")

    # --- directories, symlinks, special files ---
    sub = os.path.join(d, "sub")
    os.mkdir(sub)
    os.setxattr(sub, "user.dir", b"on a dir")
    expect_eq(b"on a dir", os.getxattr(sub, "user.dir"), "user.* on a directory")
    link = os.path.join(d, "link")
    os.symlink("f", link)
    expect_errno(errno.EPERM, "user.* on a symlink", os.setxattr, link, "user.x", b"x",
                 follow_symlinks=False)
    expect_errno(errno.ENODATA, "get user.* on a symlink", os.getxattr, link, "user.x",
                 follow_symlinks=False)
    expect_eq(b"replaced", os.getxattr(link, "user.a"), "symlink followed to target")
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    expect_errno(errno.EPERM, "user.* on a fifo", os.setxattr, fifo, "user.x", b"x")
    os.setxattr(fifo, "trusted.x", b"t")
    expect_eq(b"t", os.getxattr(fifo, "trusted.x"), "trusted.* on a fifo")

    # --- trusted.* and security.* ---
    os.setxattr(f, "trusted.t", b"root only")
    expect_eq(b"root only", os.getxattr(f, "trusted.t"), "trusted.* as root")
    os.setxattr(f, "security.s", b"sec")
    expect_eq(b"sec", os.getxattr(f, "security.s"), "security.* as root")
    expect_eq(True, "trusted.t" in os.listxattr(f), "root lists trusted.*")
    probe = USER_PROBE + f"""
p = {f!r}
print(r(os.getxattr, p, 'trusted.t'), r(os.setxattr, p, 'trusted.u', b'x'),
      'trusted.t' in os.listxattr(p), 'user.a' in os.listxattr(p),
      r(os.getxattr, p, 'user.a'), r(os.setxattr, p, 'user.z', b'x'),
      r(os.getxattr, p, 'security.s'))
"""
    expect_eq("ENODATA EPERM False True b'replaced' EACCES b'sec'", as_user(1000, probe),
              "uid 1000: trusted.* hidden/denied, user.* read-only by mode")
    os.chmod(f, 0o666)
    expect_eq("b'mine' b'mine'", as_user(1000, USER_PROBE + f"""
p = {f!r}
os.setxattr(p, 'user.mine', b'mine')
print(os.getxattr(p, 'user.mine'), os.getxattr(p, 'user.mine'))
"""), "uid 1000 writes user.* when the mode allows")
    os.chmod(f, 0o644)

    # --- unlinked while open ---
    g = os.path.join(d, "g")
    fd = os.open(g, os.O_CREAT | os.O_RDWR, 0o644)
    os.setxattr(g, "user.g", b"gone soon")
    os.unlink(g)
    expect_eq(b"gone soon", os.getxattr(fd, "user.g"), "fgetxattr after unlink")
    os.close(fd)
    open(g, "w").close()
    expect_eq([], os.listxattr(g), "a new file of the same name has no xattrs")
    print("all xattr checks passed")


main()
