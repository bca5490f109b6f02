#!/usr/bin/env python3
"""mdtest.py -- an mdtest-style metadata benchmark (Python 3 standard library only).

For each mode and process count, P client processes each create F empty files
(os.open O_CREAT|O_EXCL|O_WRONLY + close), then stat them all (os.stat), then remove
them (os.unlink). With --dirs D each process first makes D directories (os.mkdir) and
after the file phases removes them (os.rmdir), like mdtest -D.

Modes:
  private  one directory per process (no two processes touch the same directory)
  shared   all processes work in one directory

Every phase starts at a barrier (all processes and the parent) and is timed from the
earliest start to the last finisher (CLOCK_MONOTONIC is system-wide, so the processes'
clocks agree); the figure is ops/s = P*F (or P*D) / that time. Nothing is asserted on
speed; a failing file-system call aborts the run with its error.

Usage: mdtest.py DIR [--label L] [--procs 1,2,4] [--files 2000] [--dirs 0]
                     [--modes private,shared] [--drop-caches] [--json FILE]
All work happens in a scratch directory DIR/mdtest.XXXXXX that is removed at the end.
Prints a table; --json FILE also writes the results for bench/table.py.
"""
import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time

PHASES_FILES = ('create', 'stat', 'remove')
BARRIER_TIMEOUT = 3600.0  # s; a hung file system must not hang the benchmark forever


def now():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def phase_list(ndirs):
    return (['mkdir'] if ndirs else []) + list(PHASES_FILES) + (['rmdir'] if ndirs else [])


def names_for(root, mode, rank, count, prefix):
    """The paths one process works on: DIR/p<rank>/<prefix>.<i> or DIR/<prefix>.<rank>.<i>."""
    if mode == 'private':
        d = os.path.join(root, 'p%d' % rank)
        return [os.path.join(d, '%s.%d' % (prefix, i)) for i in range(count)]
    return [os.path.join(root, '%s.%d.%d' % (prefix, rank, i)) for i in range(count)]


def do_create(paths):
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
    for p in paths:
        os.close(os.open(p, flags, 0o644))


def do_stat(paths):
    for p in paths:
        os.stat(p)


def do_remove(paths):
    for p in paths:
        os.unlink(p)


def do_mkdir(paths):
    for p in paths:
        os.mkdir(p, 0o755)


def do_rmdir(paths):
    for p in paths:
        os.rmdir(p)


OPS = {'create': do_create, 'stat': do_stat, 'remove': do_remove,
       'mkdir': do_mkdir, 'rmdir': do_rmdir}


def worker(rank, root, mode, nfiles, ndirs, phases, barrier, results):
    """Runs every phase between two barrier waits; sends (rank, {phase: (t0, t1)}) or an error."""
    files = names_for(root, mode, rank, nfiles, 'f')
    dirs = names_for(root, mode, rank, ndirs, 'd')
    times = {}
    try:
        for ph in phases:
            paths = dirs if ph in ('mkdir', 'rmdir') else files
            barrier.wait(BARRIER_TIMEOUT)
            t0 = now()
            OPS[ph](paths)
            t1 = now()
            times[ph] = (t0, t1)
            barrier.wait(BARRIER_TIMEOUT)
        results.put((rank, times, None))
    except threading.BrokenBarrierError:
        results.put((rank, times, 'barrier broken (another process failed)'))
    except Exception as e:  # report, then let everyone else stop too
        barrier.abort()
        results.put((rank, times, '%s: %s' % (type(e).__name__, e)))


def drop_caches(cmd):
    os.sync()
    if cmd:
        subprocess.run(cmd, shell=True, check=False)
    try:
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('3\n')
        return True
    except OSError:
        return False


def run_one(scratch, mode, procs, nfiles, ndirs, drop, drop_cmd):
    """One mode x process count. Returns [{phase, ops, seconds, ops_per_s}, ...]."""
    root = tempfile.mkdtemp(prefix='%s.p%d.' % (mode, procs), dir=scratch)
    if mode == 'private':
        for r in range(procs):
            os.mkdir(os.path.join(root, 'p%d' % r))
    phases = phase_list(ndirs)
    ctx = mp.get_context('fork')
    barrier = ctx.Barrier(procs + 1)
    results = ctx.Queue()
    workers = [ctx.Process(target=worker, args=(r, root, mode, nfiles, ndirs, phases,
                                                barrier, results)) for r in range(procs)]
    for w in workers:
        w.start()
    error = None
    try:
        for _ in phases:
            if drop and not drop_caches(drop_cmd):
                print('# WARNING: cannot drop caches (not root?)', file=sys.stderr)
                drop = False
            barrier.wait(BARRIER_TIMEOUT)   # start
            barrier.wait(BARRIER_TIMEOUT)   # everyone done
    except threading.BrokenBarrierError:
        error = 'barrier broken'
    got = [results.get(timeout=BARRIER_TIMEOUT) for _ in workers]
    for w in workers:
        w.join()
    errs = ['process %d: %s' % (r, e) for r, _, e in got if e]
    if errs or error:
        raise RuntimeError('; '.join(errs) or error)
    out = []
    for ph in phases:
        t0 = min(t[ph][0] for _, t, _ in got)
        t1 = max(t[ph][1] for _, t, _ in got)
        ops = procs * (ndirs if ph in ('mkdir', 'rmdir') else nfiles)
        secs = max(t1 - t0, 1e-9)
        out.append({'phase': ph, 'ops': ops, 'seconds': round(secs, 6),
                    'ops_per_s': round(ops / secs, 1)})
    shutil.rmtree(root)
    return out


def fmt(v):
    return '%.0f' % v if v >= 100 else '%.2f' % v


def print_table(label, results):
    rows = [['phase', 'mode', 'procs', 'ops', 'seconds', 'ops/s']]
    for r in results:
        rows.append([r['phase'], r['mode'], str(r['procs']), str(r['ops']),
                     '%.3f' % r['seconds'], fmt(r['ops_per_s'])])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print('# mdtest: %s' % label)
    for r in rows:
        print('  '.join(c.rjust(widths[i]) if i >= 2 else c.ljust(widths[i])
                        for i, c in enumerate(r)).rstrip())


def int_list(text):
    vals = [int(x) for x in text.replace(',', ' ').split()]
    if not vals or min(vals) < 1:
        raise argparse.ArgumentTypeError('need positive integers')
    return vals


def main():
    ap = argparse.ArgumentParser(description='mdtest-style metadata benchmark')
    ap.add_argument('dir', help='directory on the file system under test')
    ap.add_argument('--label', help='name of the target in the output (default: basename of DIR)')
    ap.add_argument('--procs', type=int_list, default=[1, 2, 4],
                    help='process counts, comma-separated (default 1,2,4)')
    ap.add_argument('--files', type=int, default=2000, help='files per process (default 2000)')
    ap.add_argument('--dirs', type=int, default=0,
                    help='also mkdir/rmdir this many directories per process (default 0: no)')
    ap.add_argument('--modes', default='private,shared',
                    help='comma-separated subset of private,shared (default both)')
    ap.add_argument('--drop-caches', action='store_true',
                    help='sync and drop the kernel caches before every phase (needs root)')
    ap.add_argument('--drop-cmd', default=os.environ.get('FSBENCH_DROP_CMD', ''),
                    help='shell command run at every drop too (default $FSBENCH_DROP_CMD)')
    ap.add_argument('--json', metavar='FILE', help='also write the results as JSON to FILE')
    a = ap.parse_args()
    modes = [m for m in a.modes.replace(',', ' ').split()]
    if not modes or any(m not in ('private', 'shared') for m in modes):
        ap.error('--modes: private and/or shared')
    if a.files < 1 or a.dirs < 0:
        ap.error('--files must be >= 1 and --dirs >= 0')
    if not os.path.isdir(a.dir):
        ap.error('%s is not a directory' % a.dir)
    label = a.label or os.path.basename(os.path.abspath(a.dir))
    if not label or any(c.isspace() for c in label):
        ap.error('label must be one word')

    scratch = tempfile.mkdtemp(prefix='mdtest.', dir=a.dir)
    results = []
    t_start = time.time()
    try:
        for mode in modes:
            for p in a.procs:
                print('# mdtest %s: %s, %d procs x %d files%s' % (
                    label, mode, p, a.files, (' + %d dirs' % a.dirs) if a.dirs else ''),
                    file=sys.stderr, flush=True)
                for r in run_one(scratch, mode, p, a.files, a.dirs, a.drop_caches, a.drop_cmd):
                    r.update(mode=mode, procs=p)
                    results.append(r)
                    print('#   %-6s %10s ops/s' % (r['phase'], fmt(r['ops_per_s'])),
                          file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if os.path.exists(scratch):
            print('mdtest: could not fully remove %s' % scratch, file=sys.stderr)
    wall = time.time() - t_start
    # Rows ordered phase x mode x procs, the order of the table.
    order = {ph: i for i, ph in enumerate(phase_list(a.dirs))}
    results.sort(key=lambda r: (order[r['phase']], modes.index(r['mode']), r['procs']))
    print_table(label, results)
    print('# %d files/process, %d dirs/process, caches %s, wall %.1f s' % (
        a.files, a.dirs, 'dropped before each phase' if a.drop_caches else 'kept', wall))
    if a.json:
        doc = {'tool': 'mdtest.py', 'label': label, 'target': os.path.abspath(a.dir),
               'files_per_proc': a.files, 'dirs_per_proc': a.dirs, 'procs': a.procs,
               'modes': modes, 'drop_caches': a.drop_caches, 'wall_seconds': round(wall, 3),
               'host': {'cpus': os.cpu_count(), 'kernel': platform.release(),
                        'python': platform.python_version()},
               'results': results}
        with open(a.json, 'w') as f:
            json.dump(doc, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main()
