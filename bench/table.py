#!/usr/bin/env python3
"""Prints fsbench results ("LABEL WORKLOAD VALUE UNIT" lines) as one table with ratios.

Ratios are dfs/moosefs and dfs/passthrough; for units where less is better (seconds)
the ratio is inverted so that > 1 always means dfs is faster."""
import sys

order, units, values, labels = [], {}, {}, []
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith('#') or not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4:
            continue
        label, workload, value, unit = parts
        if label not in labels:
            labels.append(label)
        if workload not in units:
            order.append(workload)
            units[workload] = unit
        values[(label, workload)] = float(value)

def ratio(w, peer):
    a, b = values.get(('dfs', w)), values.get((peer, w))
    if a is None or b is None or a == 0 or b == 0:
        return '-'
    r = (b / a) if units[w] == 's' else (a / b)
    return '%.2f' % r

head = ['workload', 'unit'] + labels + ['dfs/moosefs', 'dfs/passthrough']
rows = [head]
for w in order:
    row = [w, units[w]]
    for l in labels:
        v = values.get((l, w))
        row.append('-' if v is None else ('%.0f' % v if v >= 100 else '%.2f' % v))
    row += [ratio(w, 'moosefs'), ratio(w, 'passthrough')]
    rows.append(row)
widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
for r in rows:
    print('  '.join(c.ljust(widths[i]) for i, c in enumerate(r)))
print('(ratios > 1: dfs is faster; for seconds the ratio is peer/dfs)')
