#!/usr/bin/env python3
"""Model-based random file system exerciser (Python 3 standard library only).

Applies one random sequence of POSIX operations to a reference directory (a local file
system) and to a target directory (e.g. a dfs mount) side by side, and after every step
compares what must match: return values and errno, directory listings, file types,
modes, uid/gid, sizes, link counts, symlink targets, which names share an inode,
file-descriptor positions, file contents, and mtime/ctime *changes* (whether a step
changed them, never their absolute values; explicit times set by utimensat must match
exactly).

  fs_exerciser.py [--seed S] [--ops N] REF TARGET [TARGET2]

REF and TARGET must be empty directories. With TARGET2 (the same directory seen through
a second mount of the same volume), operations alternate between the two mounts and each
step is checked through the other mount than the one that ran it (close-to-open: data
written through a descriptor is compared once that mount has flushed it, i.e. at close
or fsync). Every run prints its seed; rerun with --seed to reproduce. Exit status 0 =
no difference, 1 = a difference (printed with the last operations), 2 = usage error.

Operations: open (O_CREAT/O_EXCL/O_TRUNC/O_APPEND, read/write modes, also on
directories), close, read, pread, write, pwrite (random offsets and sizes, some across
4 MiB), lseek, ftruncate, truncate, fsync, fstat, mmap read/write, posix_fallocate,
rename (over files and directories, into its own subtree, ...), renameat2
(RENAME_NOREPLACE/RENAME_EXCHANGE), link, unlink, mkdir, rmdir, chmod (incl. setuid,
setgid, sticky), chown, symlink, readlink, stat, lstat, utimensat, mkfifo, listdir,
xattr set/get/list/remove and fallocate(2) (both only when REF and TARGET support them:
otherwise they are skipped and reported as such).
"""

import argparse
import collections
import ctypes
import errno
import mmap
import os
import random
import stat
import sys
import time

AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
FALLOC_FL_KEEP_SIZE = 1
FALLOC_FL_PUNCH_HOLE = 2

NAMES = ["a", "b", "c", "d", "e", "f"]
MAX_DEPTH = 3
MAX_ENTRIES = 40
MAX_FDS = 6
BIG = 4 * 1024 * 1024
TICK_NS = 100 * 1000 * 1000  # longest timestamp tick of a coarse file system  # the dfs block size: some writes cross it

_libc = ctypes.CDLL(None, use_errno=True)


def _check_libc(rc):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def renameat2(old, new, flags):
    f = _libc.renameat2
    f.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    _check_libc(f(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), flags))


def fallocate(fd, mode, off, length):
    f = _libc.fallocate
    f.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    _check_libc(f(fd, mode, off, length))


class Mismatch(Exception):
    pass


def ename(e):
    return errno.errorcode.get(e, str(e))


def attempt(fn, *args, **kw):
    """('ok', value) or ('err', 'ENAME')."""
    try:
        return ("ok", fn(*args, **kw))
    except OSError as e:
        return ("err", ename(e.errno))


class Entry:
    __slots__ = ("type", "mode", "nlink", "uid", "gid", "size", "target", "ino", "mtime", "ctime")

    def __init__(self, path, st, target=None):
        self.type = stat.S_IFMT(st.st_mode)
        self.mode = stat.S_IMODE(st.st_mode)
        self.nlink = st.st_nlink
        self.uid = st.st_uid
        self.gid = st.st_gid
        # Directory sizes are file-system specific.
        self.size = None if self.type == stat.S_IFDIR else st.st_size
        self.target = target
        self.ino = st.st_ino
        self.mtime = st.st_mtime_ns
        self.ctime = st.st_ctime_ns

    def key(self):
        return (self.type, self.mode, self.nlink, self.uid, self.gid, self.size, self.target,
                self.ino, self.mtime, self.ctime)

    def fields(self, masked, top=False):
        f = {"type": self.type, "nlink": self.nlink, "target": self.target}
        if not top:  # the top directory was made by the caller
            f.update(mode=oct(self.mode), uid=self.uid, gid=self.gid)
        if not masked:
            f["size"] = self.size
        return f


def snapshot(root):
    """rel path -> Entry for everything under root (root itself is '.'). Walks with
    directory descriptors: one lookup per entry (a path walk would revalidate every
    component of every path, which costs a round trip each on a network file system)."""
    out = {}
    top = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        out["."] = Entry(root, os.fstat(top))
        walk(top, ".", out)
    finally:
        os.close(top)
    return out


def walk(dfd, rel, out):
    for name in sorted(os.listdir(dfd)):
        sub = name if rel == "." else rel + "/" + name
        st = os.lstat(name, dir_fd=dfd)
        target = os.readlink(name, dir_fd=dfd) if stat.S_ISLNK(st.st_mode) else None
        out[sub] = Entry(None, st, target)
        if stat.S_ISDIR(st.st_mode):
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd)
            try:
                walk(fd, sub, out)
            finally:
                os.close(fd)


def parent(rel):
    return rel.rsplit("/", 1)[0] if "/" in rel else "."


def read_all(path):
    with open(path, "rb") as f:
        return f.read()


def stat_result(st, masked=False):
    t = stat.S_IFMT(st.st_mode)
    r = (t, oct(stat.S_IMODE(st.st_mode)), st.st_nlink, st.st_uid, st.st_gid)
    if t != stat.S_IFDIR and not masked:
        r += (st.st_size,)
    return r


class Fd:
    def __init__(self, ref, tgt, mount, flags, ino, rel):
        self.ref, self.tgt, self.mount, self.flags, self.ino, self.rel = ref, tgt, mount, flags, ino, rel
        self.isdir = stat.S_ISDIR(os.fstat(ref).st_mode)

    @property
    def writable(self):
        return (self.flags & os.O_ACCMODE) in (os.O_WRONLY, os.O_RDWR)

    @property
    def readable(self):
        return (self.flags & os.O_ACCMODE) in (os.O_RDONLY, os.O_RDWR)


class Exerciser:
    def __init__(self, args):
        self.seed = args.seed
        self.rng = random.Random(args.seed)
        self.ref = os.path.abspath(args.ref)
        self.tgts = [os.path.abspath(t) for t in args.targets]
        self.full_every = args.full_every
        self.verbose = args.verbose
        self.skip = set(args.skip or [])
        self.no_removed_dirs = args.no_removed_dir_fstat
        self.history = collections.deque(maxlen=args.history)
        self.fds = []
        self.dirty = set()           # (ref ino, mount): written through a descriptor, not flushed
        # ref ino -> mount that last changed its link count (unlink, link, rename over): a
        # descriptor in another mount may see the old count while its kernel caches the
        # attributes (quorum mounts: 1 s after a path lookup there).
        self.links_changed = {}
        self.pending_content = set()  # ref inos whose content could not be compared yet
        self.prev_times = {}         # ref ino -> ((ref mtime, ctime), (tgt mtime, ctime)) when stable
        self.step = 0
        self.counts = collections.Counter()
        self.ref_snap = {}
        self.cwd = None              # index of the target the process is in
        self.touched = set()         # paths named by this step's operation
        self.touched_inos = set()    # inodes of the descriptors this step used

    # ---------- setup ----------

    def log(self, msg):
        print(msg, flush=True)

    def probe(self):
        for d in [self.ref] + self.tgts:
            if not os.path.isdir(d):
                raise SystemExit("not a directory: %s" % d)
            if os.listdir(d):
                raise SystemExit("not empty: %s" % d)
        if len(self.tgts) == 2:
            marker = os.path.join(self.tgts[0], ".fsx-probe")
            with open(marker, "w") as f:
                f.write("x")
            seen = os.path.exists(os.path.join(self.tgts[1], ".fsx-probe"))
            os.unlink(marker)
            if not seen:
                raise SystemExit("%s and %s are not the same directory" % tuple(self.tgts))
        self.features = {}
        for feat, fn in (("xattr", self._probe_xattr), ("fallocate", self._probe_fallocate),
                         ("renameat2", self._probe_renameat2)):
            results = [(d, fn(d)) for d in [self.ref, self.tgts[0]]]
            bad = [(d, r) for d, r in results if r is not None]
            self.features[feat] = not bad and feat not in self.skip
            if bad:
                self.log("fsx: skipping %s: %s" % (feat, "; ".join("%s on %s" % (r, d) for d, r in bad)))
            elif feat in self.skip:
                self.log("fsx: skipping %s (--skip)" % feat)
        # Timestamp granularity: a side whose ctime does not move on every chmod of a rapid
        # series has coarse (tick) timestamps; there "unchanged" may mean "changed in the
        # same tick as the previous change" and is tolerated within TICK_NS of it.
        self.coarse = [self._probe_coarse(d) for d in [self.ref, self.tgts[0]]]
        for d, c in zip([self.ref, self.tgts[0]], self.coarse):
            if c:
                self.log("fsx: %s has coarse timestamps" % d)
        # Work one level down, so that symlinks to "../x" resolve alike on both sides.
        for d in [self.ref, self.tgts[0]]:
            os.mkdir(os.path.join(d, "w"), 0o755)
            os.chmod(os.path.join(d, "w"), 0o755)
        self.ref = os.path.join(self.ref, "w")
        self.tgts = [os.path.join(t, "w") for t in self.tgts]

    def _probe_coarse(self, d):
        p = os.path.join(d, ".fsx-probe")
        open(p, "w").close()
        try:
            last = os.lstat(p).st_ctime_ns
            for i in range(20):
                os.chmod(p, 0o600 if i % 2 else 0o644)
                now = os.lstat(p).st_ctime_ns
                if now == last:
                    return True
                last = now
            # tmpfs (Linux 6.18) takes a directory's new mtime at unlink from the child's
            # ctime clock: removing a second entry in the same tick leaves it unchanged.
            return fstype(d) == "tmpfs"
        finally:
            os.unlink(p)

    def _probe_xattr(self, d):
        p = os.path.join(d, ".fsx-probe")
        open(p, "w").close()
        try:
            os.setxattr(p, "user.fsx", b"1")
            os.getxattr(p, "user.fsx")
            return None
        except OSError as e:
            return ename(e.errno)
        finally:
            os.unlink(p)

    def _probe_fallocate(self, d):
        p = os.path.join(d, ".fsx-probe")
        fd = os.open(p, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fallocate(fd, 0, 0, 4096)
            fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 4096)
            return None
        except OSError as e:
            return ename(e.errno)
        finally:
            os.close(fd)
            os.unlink(p)

    def _probe_renameat2(self, d):
        a, b = os.path.join(d, ".fsx-probe"), os.path.join(d, ".fsx-probe2")
        open(a, "w").close()
        open(b, "w").close()
        try:
            renameat2(a, b, RENAME_EXCHANGE)
            try:
                renameat2(a, b, RENAME_NOREPLACE)
                return "RENAME_NOREPLACE replaced a file"
            except OSError as e:
                if e.errno != errno.EEXIST:
                    return ename(e.errno)
            return None
        except OSError as e:
            return ename(e.errno)
        finally:
            os.unlink(a)
            os.unlink(b)

    # ---------- helpers ----------

    def mount_for_op(self):
        return self.step % len(self.tgts)

    def view_mount(self, op_mount):
        return (op_mount + 1) % len(self.tgts)

    def rp(self, rel):
        self.touched.add(rel.rstrip("/") or ".")
        return self.ref if rel == "." else os.path.join(self.ref, rel)

    def tp(self, rel, mount):
        # Relative to the target's work directory, entered once: a path walk from the
        # mount's root would revalidate every component (one round trip each).
        if self.cwd != mount:
            os.chdir(self.tgts[mount])
            self.cwd = mount
        return rel

    def same_size(self, path_or_fd, size):
        """POSIX updates times at truncate only "if the file size is changed": the next
        time comparison of the inode is skipped when it is not."""
        try:
            st = os.stat(path_or_fd)
        except OSError:
            return
        if st.st_size == size:
            self.lax_times.add(st.st_ino)

    def is_fifo(self, rel):
        try:
            return stat.S_ISFIFO(os.stat(self.rp(rel)).st_mode)
        except OSError:
            return False

    def ref_ino(self, rel, follow=False):
        try:
            return os.stat(self.rp(rel), follow_symlinks=follow).st_ino
        except OSError:
            return None

    def open_mounts(self, ino):
        return {f.mount for f in self.fds if f.ino == ino}

    def owner_mount(self, rels, default):
        """Mount whose descriptors hold one of these paths' inodes (data ops must go there)."""
        for rel in rels:
            for ino in (self.ref_ino(rel), self.ref_ino(rel, follow=True)):
                for m in self.open_mounts(ino):
                    return m
        return default

    def note_links(self, rels, mount):
        for rel in rels:
            ino = self.ref_ino(rel)
            if ino is not None:
                self.links_changed[ino] = mount

    def masked(self, ino, view):
        """Size/content/times of `ino` cannot be compared through mount `view` yet."""
        return any(m != view for (i, m) in self.dirty if i == ino)

    def unstable(self, ino):
        return any(f.ino == ino and f.writable for f in self.fds) or any(i == ino for (i, _) in self.dirty)

    def fail(self, what, ref, tgt):
        if (isinstance(ref, tuple) and isinstance(tgt, tuple) and len(ref) == 2 == len(tgt)
                and isinstance(ref[1], bytes) and isinstance(tgt[1], bytes)):
            ref, tgt = describe(ref[1], tgt[1]), describe(tgt[1], ref[1])
        ref, tgt = repr(ref), repr(tgt)
        raise Mismatch("%s\n  ref: %s\n  tgt: %s" % (what, ref[:400], tgt[:400]))

    # ---------- path choice ----------

    def entries(self, types=None):
        out = [r for r, e in self.ref_snap.items() if r != "." and (types is None or e.type in types)]
        out.sort()
        return out

    def dirs(self):
        return ["."] + self.entries({stat.S_IFDIR})

    def new_path(self):
        parents = [d for d in self.dirs() if d.count("/") < MAX_DEPTH - 1] or ["."]
        parent = self.rng.choice(parents)
        name = self.rng.choice(NAMES)
        return name if parent == "." else parent + "/" + name

    def weird_path(self):
        files = self.entries({stat.S_IFREG})
        choices = ["nodir/x", "nodir/x/y"]
        if files:
            f = self.rng.choice(files)
            choices += [f + "/x", f + "/"]
        return self.rng.choice(choices)

    def any_path(self, types=None, existing=0.6):
        r = self.rng.random()
        cands = self.entries(types)
        if r < existing and cands:
            return self.rng.choice(cands)
        if r < 0.96:
            return self.new_path()
        return self.weird_path()

    # ---------- running one operation on both sides ----------

    def both(self, what, fn_ref, fn_tgt, normalize=None):
        r = attempt(fn_ref)
        t = attempt(fn_tgt)
        if normalize:
            r = normalize(r)
            t = normalize(t)
        if r != t:
            self.fail(what, r, t)
        return r

    def record(self, desc):
        self.history.append("#%d %s" % (self.step, desc))
        if self.verbose:
            self.log("#%d %s" % (self.step, desc))

    def data(self, n):
        if self.rng.random() < 0.5:
            return bytes([self.rng.randrange(256)]) * n
        return self.rng.randbytes(n)

    def size_choice(self):
        r = self.rng.random()
        if r < 0.1:
            return 0
        if r < 0.6:
            return self.rng.randrange(1, 4096)
        if r < 0.97:
            return self.rng.randrange(4096, 200000)
        return self.rng.randrange(200000, 1 << 21)

    def offset_choice(self, size_hint):
        r = self.rng.random()
        if r < 0.3:
            return 0
        if r < 0.75:
            return self.rng.randrange(0, max(1, size_hint + 1))
        if r < 0.95:
            return self.rng.randrange(0, 300000)
        return BIG - self.rng.randrange(0, 100000)  # across the block boundary

    def fd_size(self, fd):
        try:
            return os.fstat(fd.ref).st_size
        except OSError:
            return 0

    # ---------- operations ----------

    def op_open(self):
        if len(self.fds) >= MAX_FDS:
            return self.op_close()
        rel = self.any_path(existing=0.7)
        if self.is_fifo(rel):
            return  # opening a FIFO would block
        acc = self.rng.choice([os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_RDWR])
        flags = acc
        for f, p in ((os.O_CREAT, 0.5), (os.O_EXCL, 0.15), (os.O_TRUNC, 0.15), (os.O_APPEND, 0.15)):
            if self.rng.random() < p:
                flags |= f
        mode = self.rng.choice([0o644, 0o600, 0o755, 0o777, 0o2755, 0o444])
        mount = self.owner_mount([rel], self.mount_for_op())
        if flags & os.O_TRUNC:
            self.same_size(self.rp(rel), 0)
        self.record("open(%r, %s, %o) [mount %d]" % (rel, flagstr(flags), mode, mount))
        r = attempt(os.open, self.rp(rel), flags, mode)
        t = attempt(os.open, self.tp(rel, mount), flags, mode)
        if r[0] != t[0] or (r[0] == "err" and r != t):
            for side, fdres in (("ref", r), ("tgt", t)):
                if fdres[0] == "ok":
                    os.close(fdres[1])
            self.fail("open(%r, %s)" % (rel, flagstr(flags)), r, t)
        if r[0] == "ok":
            ino = os.fstat(r[1]).st_ino
            others = self.open_mounts(ino) - {mount}
            assert not others, "exerciser bug: inode open in two mounts"
            self.fds.append(Fd(r[1], t[1], mount, flags, ino, rel))
            if flags & os.O_TRUNC:
                pass  # a truncate is a setattr in dfs: visible at once

    def pick_fd(self):
        if not self.fds:
            return None
        fd = self.rng.choice(self.fds)
        self.touched_inos.add(fd.ino)
        return fd

    def close_fd(self, fd):
        self.touched_inos.add(fd.ino)
        r = attempt(os.close, fd.ref)
        t = attempt(os.close, fd.tgt)
        self.fds.remove(fd)
        # Closing any descriptor flushes (commits) the inode's data in that mount.
        self.dirty.discard((fd.ino, fd.mount))
        if r != t:
            self.fail("close(%s)" % fd.rel, r, t)

    def op_close(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        self.record("close(%r) [mount %d]" % (fd.rel, fd.mount))
        self.close_fd(fd)

    def op_pwrite(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        n = self.size_choice()
        off = self.offset_choice(self.fd_size(fd))
        data = self.data(n)
        self.record("pwrite(%r, %d bytes, off %d)" % (fd.rel, n, off))
        self.both("pwrite", lambda: os.pwrite(fd.ref, data, off), lambda: os.pwrite(fd.tgt, data, off))
        if fd.writable:
            self.dirty.add((fd.ino, fd.mount))

    def op_write(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        n = self.size_choice()
        data = self.data(n)
        self.record("write(%r, %d bytes)" % (fd.rel, n))
        self.both("write", lambda: os.write(fd.ref, data), lambda: os.write(fd.tgt, data))
        if fd.writable:
            self.dirty.add((fd.ino, fd.mount))

    def op_pread(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        n = self.size_choice()
        off = self.offset_choice(self.fd_size(fd))
        self.record("pread(%r, %d, off %d)" % (fd.rel, n, off))
        self.both("pread", lambda: os.pread(fd.ref, n, off), lambda: os.pread(fd.tgt, n, off), short)

    def op_read(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        n = self.size_choice()
        self.record("read(%r, %d)" % (fd.rel, n))
        self.both("read", lambda: os.read(fd.ref, n), lambda: os.read(fd.tgt, n), short)

    def op_lseek(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        if fd.isdir:
            return self.op_fstat()  # directory offsets are file-system specific cookies
        whence = self.rng.choice([os.SEEK_SET, os.SEEK_CUR, os.SEEK_END])
        off = self.rng.choice([0, 0, self.rng.randrange(-5000, 300000)])
        if whence == os.SEEK_SET:
            off = abs(off)
        self.record("lseek(%r, %d, %d)" % (fd.rel, off, whence))
        if self.masked(fd.ino, fd.mount) and whence == os.SEEK_END:
            return
        self.both("lseek", lambda: os.lseek(fd.ref, off, whence), lambda: os.lseek(fd.tgt, off, whence))

    def op_ftruncate(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        size = self.rng.choice([0, self.rng.randrange(0, 300000), self.fd_size(fd),
                                self.offset_choice(self.fd_size(fd))])
        self.same_size(fd.ref, size)
        self.record("ftruncate(%r, %d)" % (fd.rel, size))
        self.both("ftruncate", lambda: os.ftruncate(fd.ref, size), lambda: os.ftruncate(fd.tgt, size))

    def op_truncate(self):
        rel = self.any_path({stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK}, existing=0.85)
        size = self.rng.choice([0, self.rng.randrange(0, 300000), BIG + 10])
        mount = self.owner_mount([rel], self.mount_for_op())
        self.same_size(self.rp(rel), size)
        self.record("truncate(%r, %d) [mount %d]" % (rel, size, mount))
        self.both("truncate", lambda: os.truncate(self.rp(rel), size),
                  lambda: os.truncate(self.tp(rel, mount), size))

    def op_fsync(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        self.record("fsync(%r)" % fd.rel)
        self.both("fsync", lambda: os.fsync(fd.ref), lambda: os.fsync(fd.tgt))
        self.dirty.discard((fd.ino, fd.mount))

    def op_fstat(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        if fd.isdir and self.no_removed_dirs and os.fstat(fd.ref).st_nlink == 0:
            return  # --no-removed-dir-fstat
        self.record("fstat(%r)" % fd.rel)
        m = self.masked(fd.ino, fd.mount)
        links = self.links_changed.get(fd.ino, fd.mount) == fd.mount

        def res(st):
            r = stat_result(st, m)
            return r if links else r[:2] + (None,) + r[3:]
        self.both("fstat", lambda: res(os.fstat(fd.ref)), lambda: res(os.fstat(fd.tgt)))

    def op_mmap_read(self):
        fd = self.pick_fd()
        if fd is None or not fd.readable:
            return self.op_pread()
        size = self.fd_size(fd)
        if size == 0 or not stat.S_ISREG(os.fstat(fd.ref).st_mode):
            return self.op_pread()
        off = self.rng.randrange(0, size)
        n = self.rng.randrange(1, size - off + 1)
        self.record("mmap_read(%r, off %d, %d)" % (fd.rel, off, n))

        def rd(f):
            with mmap.mmap(f, size, mmap.MAP_SHARED, mmap.PROT_READ) as m:
                return m[off:off + n]
        self.both("mmap read", lambda: rd(fd.ref), lambda: rd(fd.tgt), short)

    def op_mmap_write(self):
        fd = self.pick_fd()
        if fd is None or (fd.flags & os.O_ACCMODE) != os.O_RDWR:
            return self.op_pwrite()
        size = self.fd_size(fd)
        if size == 0 or not stat.S_ISREG(os.fstat(fd.ref).st_mode):
            return self.op_pwrite()
        off = self.rng.randrange(0, size)
        data = self.data(self.rng.randrange(1, min(size - off, 100000) + 1))
        self.record("mmap_write(%r, off %d, %d bytes)" % (fd.rel, off, len(data)))

        def wr(f):
            with mmap.mmap(f, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE) as m:
                m[off:off + len(data)] = data
                m.flush()
        self.both("mmap write", lambda: wr(fd.ref), lambda: wr(fd.tgt))
        self.dirty.add((fd.ino, fd.mount))

    def op_posix_fallocate(self):
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        if not self.features["fallocate"] and (fd.flags & os.O_APPEND or not fd.readable):
            # glibc emulates posix_fallocate where fallocate(2) is missing: with pread and
            # pwrite, so not on O_APPEND or write-only descriptors.
            return self.op_pwrite()
        off = self.offset_choice(self.fd_size(fd))
        n = self.rng.randrange(1, 200000)
        self.record("posix_fallocate(%r, off %d, %d)" % (fd.rel, off, n))
        self.lax_times.add(fd.ino)  # unspecified, and glibc's emulation writes only where needed
        self.both("posix_fallocate", lambda: os.posix_fallocate(fd.ref, off, n),
                  lambda: os.posix_fallocate(fd.tgt, off, n))
        if fd.writable:
            self.dirty.add((fd.ino, fd.mount))

    def op_fallocate(self):
        if not self.features["fallocate"]:
            return self.op_posix_fallocate()
        fd = self.pick_fd()
        if fd is None:
            return self.op_open()
        mode = self.rng.choice([0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE])
        off = self.offset_choice(self.fd_size(fd))
        n = self.rng.randrange(1, 200000)
        self.record("fallocate(%r, mode %d, off %d, %d)" % (fd.rel, mode, off, n))
        self.lax_times.add(fd.ino)  # file-system specific
        self.both("fallocate", lambda: fallocate(fd.ref, mode, off, n), lambda: fallocate(fd.tgt, mode, off, n))
        if fd.writable:
            self.dirty.add((fd.ino, fd.mount))

    def op_rename(self):
        src = self.any_path(existing=0.85)
        dst = self.any_path(existing=0.5)
        if self.rng.random() < 0.1 and self.entries({stat.S_IFDIR}):
            d = self.rng.choice(self.entries({stat.S_IFDIR}))
            src, dst = d, d + "/" + self.rng.choice(NAMES)  # into its own subtree: EINVAL
        mount = self.mount_for_op()
        self.note_links([dst], mount)
        self.record("rename(%r, %r) [mount %d]" % (src, dst, mount))
        self.both("rename(%r, %r)" % (src, dst), lambda: os.rename(self.rp(src), self.rp(dst)),
                  lambda: os.rename(self.tp(src, mount), self.tp(dst, mount)))

    def op_renameat2(self):
        if not self.features["renameat2"]:
            return self.op_rename()
        src = self.any_path(existing=0.85)
        dst = self.any_path(existing=0.7)
        flags = self.rng.choice([RENAME_NOREPLACE, RENAME_EXCHANGE])
        mount = self.mount_for_op()
        self.note_links([dst], mount)
        self.record("renameat2(%r, %r, %s) [mount %d]" % (src, dst, {1: "NOREPLACE", 2: "EXCHANGE"}[flags], mount))
        self.both("renameat2", lambda: renameat2(self.rp(src), self.rp(dst), flags),
                  lambda: renameat2(self.tp(src, mount), self.tp(dst, mount), flags))

    def op_link(self):
        src = self.any_path(existing=0.9)
        dst = self.any_path(existing=0.3)
        mount = self.mount_for_op()
        self.note_links([src], mount)
        self.record("link(%r, %r) [mount %d]" % (src, dst, mount))
        self.both("link", lambda: os.link(self.rp(src), self.rp(dst), follow_symlinks=False),
                  lambda: os.link(self.tp(src, mount), self.tp(dst, mount), follow_symlinks=False))

    def op_unlink(self):
        rel = self.any_path(existing=0.85)
        mount = self.mount_for_op()
        self.note_links([rel], mount)
        self.record("unlink(%r) [mount %d]" % (rel, mount))
        self.both("unlink", lambda: os.unlink(self.rp(rel)), lambda: os.unlink(self.tp(rel, mount)))

    def op_mkdir(self):
        rel = self.any_path(existing=0.2)
        mode = self.rng.choice([0o755, 0o700, 0o777, 0o2775, 0o1777])
        mount = self.mount_for_op()
        self.record("mkdir(%r, %o) [mount %d]" % (rel, mode, mount))
        self.both("mkdir", lambda: os.mkdir(self.rp(rel), mode), lambda: os.mkdir(self.tp(rel, mount), mode))

    def op_rmdir(self):
        rel = self.any_path({stat.S_IFDIR}, existing=0.85)
        mount = self.mount_for_op()
        self.record("rmdir(%r) [mount %d]" % (rel, mount))
        self.both("rmdir", lambda: os.rmdir(self.rp(rel)), lambda: os.rmdir(self.tp(rel, mount)))

    def op_chmod(self):
        rel = self.any_path(existing=0.9)
        mode = self.rng.choice([0o644, 0o600, 0o755, 0o700, 0o4755, 0o2755, 0o2775, 0o1777, 0o000, 0o7777])
        mount = self.mount_for_op()
        self.record("chmod(%r, %o) [mount %d]" % (rel, mode, mount))
        self.both("chmod", lambda: os.chmod(self.rp(rel), mode), lambda: os.chmod(self.tp(rel, mount), mode))

    def op_chown(self):
        rel = self.any_path(existing=0.9)
        uid = self.rng.choice([-1, 0, 1000, 1234])
        gid = self.rng.choice([-1, 0, 1000, 5678])
        follow = self.rng.random() < 0.5
        mount = self.mount_for_op()
        self.record("%s(%r, %d, %d) [mount %d]" % ("chown" if follow else "lchown", rel, uid, gid, mount))
        self.both("chown", lambda: os.chown(self.rp(rel), uid, gid, follow_symlinks=follow),
                  lambda: os.chown(self.tp(rel, mount), uid, gid, follow_symlinks=follow))

    def op_symlink(self):
        rel = self.any_path(existing=0.2)
        target = self.rng.choice([self.rng.choice(NAMES), "../" + self.rng.choice(NAMES),
                                  "/nonexistent/" + self.rng.choice(NAMES), "a/b/c", "x" * self.rng.randrange(1, 300)])
        mount = self.mount_for_op()
        self.record("symlink(%r -> %r) [mount %d]" % (rel, target[:40], mount))
        self.both("symlink", lambda: os.symlink(target, self.rp(rel)), lambda: os.symlink(target, self.tp(rel, mount)))

    def op_readlink(self):
        rel = self.any_path(existing=0.9)
        mount = self.mount_for_op()
        self.record("readlink(%r)" % rel)
        self.both("readlink", lambda: os.readlink(self.rp(rel)), lambda: os.readlink(self.tp(rel, mount)))

    def op_stat(self):
        rel = self.any_path(existing=0.9)
        follow = self.rng.random() < 0.5
        mount = self.mount_for_op()
        self.record("%s(%r) [mount %d]" % ("stat" if follow else "lstat", rel, mount))
        fn = os.stat if follow else os.lstat

        def norm(r):
            return r

        r = attempt(fn, self.rp(rel))
        t = attempt(fn, self.tp(rel, mount))
        m = r[0] == "ok" and self.masked(r[1].st_ino, mount)
        r = (r[0], stat_result(r[1], m)) if r[0] == "ok" else r
        t = (t[0], stat_result(t[1], m)) if t[0] == "ok" else t
        if r != t:
            self.fail("stat(%r)" % rel, r, t)

    def op_utime(self):
        rel = self.any_path(existing=0.9)
        ns = None
        if self.rng.random() < 0.7:
            ns = (self.rng.randrange(0, 2 ** 33) * 10 ** 9 + self.rng.randrange(10 ** 9),
                  self.rng.randrange(0, 2 ** 33) * 10 ** 9 + self.rng.randrange(10 ** 9))
        follow = self.rng.random() < 0.7
        mount = self.owner_mount([rel], self.mount_for_op())
        self.record("utime(%r, %r, follow=%s) [mount %d]" % (rel, ns, follow, mount))

        def go(p):
            if ns is None:
                os.utime(p, follow_symlinks=follow)
                return None
            os.utime(p, ns=ns, follow_symlinks=follow)
            st = os.stat(p) if follow else os.lstat(p)
            return (st.st_atime_ns, st.st_mtime_ns)  # explicit times must match exactly
        self.both("utime", lambda: go(self.rp(rel)), lambda: go(self.tp(rel, mount)))

    def op_mkfifo(self):
        rel = self.any_path(existing=0.2)
        mount = self.mount_for_op()
        self.record("mkfifo(%r) [mount %d]" % (rel, mount))
        self.both("mkfifo", lambda: os.mkfifo(self.rp(rel), 0o644), lambda: os.mkfifo(self.tp(rel, mount), 0o644))

    def op_listdir(self):
        rel = self.any_path({stat.S_IFDIR}, existing=0.9)
        mount = self.mount_for_op()
        self.record("listdir(%r) [mount %d]" % (rel, mount))
        self.both("listdir", lambda: sorted(os.listdir(self.rp(rel))), lambda: sorted(os.listdir(self.tp(rel, mount))))

    def xattr_name(self):
        return "user." + self.rng.choice(["x", "y", "z", "long" * 20])

    def op_xattr(self):
        if not self.features["xattr"]:
            return self.op_stat()
        rel = self.any_path({stat.S_IFREG, stat.S_IFDIR}, existing=0.9)
        mount = self.owner_mount([rel], self.mount_for_op())
        kind = self.rng.choice(["set", "set", "get", "list", "remove"])
        name = self.xattr_name()
        if kind == "set":
            value = self.data(self.rng.randrange(0, 300))
            flags = self.rng.choice([0, 0, os.XATTR_CREATE, os.XATTR_REPLACE])
            self.record("setxattr(%r, %s, %d bytes, %d)" % (rel, name, len(value), flags))
            self.both("setxattr", lambda: os.setxattr(self.rp(rel), name, value, flags),
                      lambda: os.setxattr(self.tp(rel, mount), name, value, flags))
        elif kind == "get":
            self.record("getxattr(%r, %s)" % (rel, name))
            self.both("getxattr", lambda: os.getxattr(self.rp(rel), name), lambda: os.getxattr(self.tp(rel, mount), name))
        elif kind == "list":
            self.record("listxattr(%r)" % rel)
            user = lambda r: (r[0], sorted(x for x in r[1] if x.startswith("user."))) if r[0] == "ok" else r
            self.both("listxattr", lambda: os.listxattr(self.rp(rel)), lambda: os.listxattr(self.tp(rel, mount)), user)
        else:
            self.record("removexattr(%r, %s)" % (rel, name))
            self.both("removexattr", lambda: os.removexattr(self.rp(rel), name),
                      lambda: os.removexattr(self.tp(rel, mount), name))

    OPS = [
        ("open", 10), ("close", 8), ("pwrite", 10), ("write", 6), ("pread", 6), ("read", 4),
        ("lseek", 3), ("ftruncate", 3), ("truncate", 3), ("fsync", 2), ("fstat", 3),
        ("mmap_read", 1), ("mmap_write", 1), ("posix_fallocate", 1), ("fallocate", 2),
        ("rename", 8), ("renameat2", 3), ("link", 4), ("unlink", 6), ("mkdir", 5), ("rmdir", 4),
        ("chmod", 3), ("chown", 2), ("symlink", 4), ("readlink", 2), ("stat", 3), ("utime", 3),
        ("mkfifo", 1), ("listdir", 1), ("xattr", 6),
    ]

    def choose_op(self):
        ops = [(n, w) for n, w in self.OPS if n not in self.skip]
        if len(self.ref_snap) > MAX_ENTRIES:  # keep the tree small: prefer removals
            ops = [(n, w * (6 if n in ("unlink", "rmdir", "rename") else 1)) for n, w in ops]
        total = sum(w for _, w in ops)
        x = self.rng.randrange(total)
        for n, w in ops:
            if x < w:
                return n
            x -= w
        raise AssertionError

    # ---------- comparison ----------

    def looked_at(self, ref, full):
        """Paths of `ref` whose target side is compared this step, and directories whose
        listings are: everything on a full check; otherwise what the reference says
        changed, what the operation named, every name of those inodes, and their parents."""
        if full:
            return set(ref), {r for r, e in ref.items() if e.type == stat.S_IFDIR}
        old = self.ref_snap
        look = {rel for rel, e in ref.items() if old.get(rel) is None or old[rel].key() != e.key()}
        look |= self.touched & set(ref)
        inos = {ref[r].ino for r in look} | self.touched_inos | self.pending_content
        look |= {rel for rel, e in ref.items() if e.ino in inos}
        dirs = {parent(r) for r in look | self.touched | (set(old) - set(ref))}
        dirs |= {r for r in look if ref[r].type == stat.S_IFDIR}
        dirs = {d for d in dirs if d in ref and ref[d].type == stat.S_IFDIR}
        return look, dirs

    def check(self, view, full):
        ref = snapshot(self.ref)
        look, dirs = self.looked_at(ref, full)
        if full:
            tgt = snapshot(self.tp(".", view))
            if sorted(ref) != sorted(tgt):
                missing = sorted(set(ref) - set(tgt))
                extra = sorted(set(tgt) - set(ref))
                self.fail("directory tree differs (missing in target: %s; extra in target: %s)" % (missing, extra),
                          sorted(ref), sorted(tgt))
        else:
            for d in sorted(dirs):
                want = sorted(r.rsplit("/", 1)[-1] for r in ref if r != "." and parent(r) == d)
                got = attempt(os.listdir, self.tp(d, view))
                got = ("ok", sorted(got[1])) if got[0] == "ok" else got
                if got != ("ok", want):
                    self.fail("listing of %r (through mount %d)" % (d, view), ("ok", want), got)
            tgt = {}
            for rel in look:
                p = self.tp(rel, view)
                st = attempt(os.lstat, p)
                if st[0] != "ok":
                    self.fail("lstat(%r) (through mount %d)" % (rel, view), "ok", st)
                tgt[rel] = Entry(None, st[1], os.readlink(p) if stat.S_ISLNK(st[1].st_mode) else None)
        inomap = {}
        back = {}
        for rel in sorted(look):
            r, t = ref[rel], tgt[rel]
            m = self.masked(r.ino, view)
            top = rel == "."
            if r.fields(m, top) != t.fields(m, top):
                self.fail("attributes of %r (through mount %d)" % (rel, view), r.fields(m, top), t.fields(m, top))
            if inomap.setdefault(r.ino, t.ino) != t.ino or back.setdefault(t.ino, r.ino) != r.ino:
                self.fail("hard links of %r: names sharing an inode differ" % rel, r.ino, t.ino)
        # Times: for inodes not being written, mtime (ctime) changed on the target since it
        # was last looked at exactly when it changed on the reference.
        seen = set()
        for rel in sorted(look):
            r, t = ref[rel], tgt[rel]
            if r.ino in seen:
                continue
            seen.add(r.ino)
            if self.unstable(r.ino) or self.masked(r.ino, view):
                continue
            now = ((r.mtime, r.ctime), (t.mtime, t.ctime))
            prev = self.prev_times.get(r.ino)
            if r.ino in self.lax_times:
                self.lax_times.discard(r.ino)
            elif prev is not None:
                for k, what in ((0, "mtime"), (1, "ctime")):
                    rc = now[0][k] != prev[0][k]
                    tc = now[1][k] != prev[1][k]
                    if rc != tc and self.coarse[0 if tc else 1] and self.op_start_ns - prev[0 if tc else 1][k] < TICK_NS:
                        continue  # the unchanged side may have changed within one tick
                    if rc != tc:
                        self.fail("%s of %r %s on the reference but %s on the target" %
                                  (what, rel, "changed" if rc else "did not change",
                                   "changed" if tc else "did not change"),
                                  (prev[0][k], now[0][k]), (prev[1][k], now[1][k]))
            self.prev_times[r.ino] = now
        # Contents: of every file on a full check, else of the files looked at.
        done = set()
        for rel in sorted(look):
            r = ref[rel]
            if r.type != stat.S_IFREG or r.ino in done:
                continue
            if self.masked(r.ino, view):
                self.pending_content.add(r.ino)
                continue
            done.add(r.ino)
            self.pending_content.discard(r.ino)
            a = read_all(self.rp(rel))
            b = read_all(self.tp(rel, view))
            if a != b:
                self.fail("content of %r (through mount %d)" % (rel, view), describe(a, b), describe(b, a))
        # Descriptors: positions.
        for fd in self.fds:
            if not fd.isdir and not self.masked(fd.ino, fd.mount):
                a = attempt(os.lseek, fd.ref, 0, os.SEEK_CUR)
                b = attempt(os.lseek, fd.tgt, 0, os.SEEK_CUR)
                if a != b:
                    self.fail("offset of descriptor for %r" % fd.rel, a, b)
        # Drop records of inodes that are gone.
        live = set(r.ino for r in ref.values()) | set(f.ino for f in self.fds)
        for ino in list(self.prev_times):
            if ino not in live:
                del self.prev_times[ino]
        self.pending_content &= live
        self.lax_times &= live
        self.ref_snap = ref
        self.touched = set()
        self.touched_inos = set()

    # ---------- main loop ----------

    def run(self, nops):
        self.probe()
        self.ref_snap = snapshot(self.ref)
        self.prev_times = {}
        start = time.time()
        self.op_start_ns = time.time_ns()
        self.lax_times = set()
        self.check(0, True)
        try:
            for self.step in range(1, nops + 1):
                op = self.choose_op()
                self.op_start_ns = time.time_ns()
                self.counts[op] += 1
                getattr(self, "op_" + op)()
                view = self.view_mount(self.mount_for_op())
                self.check(view, self.full_every > 0 and self.step % self.full_every == 0)
                if self.step % 10000 == 0:
                    self.log("fsx: %d ops, %.0f s" % (self.step, time.time() - start))
            # Close everything and compare all of it through every mount.
            self.step += 1
            while self.fds:
                self.record("close(%r) [final]" % self.fds[0].rel)
                self.close_fd(self.fds[0])
            for view in range(len(self.tgts)):
                self.check(view, True)
        except Mismatch as e:
            self.report(e)
            return 1
        except Exception as e:
            self.report(e)
            raise
        ops = ", ".join("%s %d" % kv for kv in sorted(self.counts.items()))
        self.log("fsx: PASS seed=%d ops=%d mounts=%d time=%.1fs (%s)" %
                 (self.seed, nops, len(self.tgts), time.time() - start, ops))
        return 0

    def report(self, e):
        print("fsx: FAIL at op #%d (seed %d): %s" % (self.step, self.seed, e), file=sys.stderr)
        print("fsx: last operations:", file=sys.stderr)
        for h in self.history:
            print("   " + h, file=sys.stderr)
        print("fsx: reproduce with --seed %d --ops %d (add -v to trace)" % (self.seed, self.step), file=sys.stderr)

    def cleanup(self):
        for fd in self.fds:
            for f in (fd.ref, fd.tgt):
                try:
                    os.close(f)
                except OSError:
                    pass
        self.fds = []


def fstype(path):
    """File system type of the mount holding `path` (from /proc/self/mounts)."""
    path = os.path.realpath(path)
    best, kind = "", "?"
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            mnt = parts[1].replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, parts[2]
    return kind


def short(r):
    """Read results compared as (length, bytes) with a short summary on mismatch."""
    return r


def describe(a, b):
    n = min(len(a), len(b))
    first = next((i for i in range(n) if a[i] != b[i]), n)
    return "len %d, first difference at %d: %r" % (len(a), first, a[first:first + 16])


def flagstr(flags):
    acc = {os.O_RDONLY: "O_RDONLY", os.O_WRONLY: "O_WRONLY", os.O_RDWR: "O_RDWR"}[flags & os.O_ACCMODE]
    parts = [acc] + [n for f, n in ((os.O_CREAT, "O_CREAT"), (os.O_EXCL, "O_EXCL"), (os.O_TRUNC, "O_TRUNC"),
                                    (os.O_APPEND, "O_APPEND")) if flags & f]
    return "|".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ref", help="reference directory (empty, on a local file system)")
    ap.add_argument("targets", nargs="+", metavar="TARGET", help="target directory (empty); a second one = "
                    "the same directory through another mount")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    ap.add_argument("--ops", type=int, default=3000, help="number of operations (default 3000)")
    ap.add_argument("--full-every", type=int, default=20,
                    help="compare every file's content every N steps (changed files are compared after every step)")
    ap.add_argument("--skip", action="append", choices=["xattr", "fallocate", "renameat2"] + [n for n, _ in Exerciser.OPS],
                    help="never run this operation (repeatable)")
    ap.add_argument("--no-removed-dir-fstat", action="store_true",
                    help="no fstat of a descriptor of a removed directory (dfs: ENOENT, not nlink 0)")
    ap.add_argument("--history", type=int, default=40, help="operations shown on failure")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every operation")
    args = ap.parse_args()
    if len(args.targets) > 2:
        ap.error("at most two targets")
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "little")
    print("fsx: seed=%d ops=%d ref=%s targets=%s" % (args.seed, args.ops, args.ref, " ".join(args.targets)), flush=True)
    ex = Exerciser(args)
    try:
        return ex.run(args.ops)
    finally:
        ex.cleanup()


if __name__ == "__main__":
    sys.exit(main())
