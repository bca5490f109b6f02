#!/usr/bin/env python3
"""Prints benchmark results as tables with ratios.

Usage: table.py [--base LABEL] FILE...
  *.txt   fsbench results ("LABEL WORKLOAD VALUE UNIT" lines): one table, rows = workloads
  *.json  bench/mdtest.py --json output: a second table, rows = phase x mode x processes
Columns are the targets in the order of the files. The ratios are BASE/moosefs and
BASE/passthrough, BASE being dfs-quorum if present, else dfs (older results), else the first
dfs-* target (or --base). For units where less is better (seconds) the ratio is inverted so
that > 1 always means dfs is faster."""
import json
import sys


def fmt(v):
    return '-' if v is None else ('%.0f' % v if v >= 100 else '%.2f' % v)


def ratio(a, b, lower_is_better=False):
    if a is None or b is None or a == 0 or b == 0:
        return '-'
    return '%.2f' % ((b / a) if lower_is_better else (a / b))


def print_rows(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print('  '.join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())


def pick_base(labels, wanted):
    if wanted:
        return wanted
    for cand in ('dfs-quorum', 'dfs'):
        if cand in labels:
            return cand
    return next((l for l in labels if l.startswith('dfs')), 'dfs')


def fsbench_table(paths, wanted_base):
    order, units, values, labels, only = [], {}, {}, [], {}
    for path in paths:
        file_only, file_labels = None, set()
        for line in open(path):
            if line.startswith('# fsbench: size=') and " only='" in line:
                file_only = line.split(" only='", 1)[1].split("'", 1)[0]
                continue
            if line.startswith('#') or not line.strip():
                continue
            parts = line.split()
            if len(parts) != 4:
                continue
            label, workload, value, unit = parts
            file_labels.add(label)
            if label not in labels:
                labels.append(label)
            if workload not in units:
                order.append(workload)
                units[workload] = unit
            values[(label, workload)] = float(value)
        if file_only is not None:
            for label in file_labels:
                only[label] = file_only
    if not labels:
        return
    base = pick_base(labels, wanted_base)
    peers = [p for p in ('moosefs', 'passthrough') if p != base]
    rows = [['workload', 'unit'] + labels + ['%s/%s' % (base, p) for p in peers]]
    for w in order:
        row = [w, units[w]] + [fmt(values.get((l, w))) for l in labels]
        row += [ratio(values.get((base, w)), values.get((p, w)), units[w] == 's') for p in peers]
        rows.append(row)
    print_rows(rows)
    print('(ratios > 1: %s is faster; for seconds the ratio is peer/%s)' % (base, base))
    full = 'seq rand meta small'
    sets = {l: ' '.join(only.get(l, full).split()) for l in labels}
    common = max(set(sets.values()),  # the most frequent set; the full one on a tie
                 key=lambda v: (sum(1 for x in sets.values() if x == v), v == full))
    if common != full:
        print('(fsbench workloads: %s)' % common)
    for l in labels:
        if sets[l] != common:
            print('(%s: fsbench workloads restricted to %r; "-" = not run)' % (l, sets[l]))


def mdtest_table(paths, wanted_base):
    docs = [json.load(open(p)) for p in paths]
    labels, values, keys, params = [], {}, [], {}
    phase_order = ['mkdir', 'create', 'stat', 'remove', 'rmdir']
    for d in docs:
        l = d['label']
        if l not in labels:
            labels.append(l)
        params[l] = (d['files_per_proc'], d['dirs_per_proc'], d['drop_caches'])
        for r in d['results']:
            k = (r['phase'], r['mode'], r['procs'])
            if k not in keys:
                keys.append(k)
            values[(l, k)] = r['ops_per_s']
    keys.sort(key=lambda k: (phase_order.index(k[0]) if k[0] in phase_order else 99,
                             0 if k[1] == 'private' else 1, k[2]))
    base = pick_base(labels, wanted_base)
    peers = [p for p in ('moosefs', 'passthrough') if p != base]
    rows = [['phase', 'mode', 'procs'] + labels + ['%s/%s' % (base, p) for p in peers]]
    for k in keys:
        row = [k[0], k[1], str(k[2])] + [fmt(values.get((l, k))) for l in labels]
        row += [ratio(values.get((base, k)), values.get((p, k))) for p in peers]
        rows.append(row)
    print_rows(rows)
    print('(mdtest.py, ops/s: all processes from a common start to the last finisher; '
          'ratios > 1: %s is faster)' % base)
    distinct = sorted(set(params.values()))
    for files, dirs, drop in distinct:
        who = [l for l in labels if params[l] == (files, dirs, drop)]
        print('(%s%d files/process%s, caches %s)' % (
            '' if len(distinct) == 1 else ', '.join(who) + ': ', files,
            ', %d dirs/process' % dirs if dirs else '',
            'dropped before each phase' if drop else 'kept'))


def main():
    args = sys.argv[1:]
    base = None
    if len(args) >= 2 and args[0] == '--base':
        base, args = args[1], args[2:]
    txt = [a for a in args if not a.endswith('.json')]
    js = [a for a in args if a.endswith('.json')]
    if txt:
        fsbench_table(txt, base)
    if txt and js:
        print()
    if js:
        mdtest_table(js, base)


if __name__ == '__main__':
    main()
