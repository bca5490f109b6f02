#!/usr/bin/env python3
"""Answers one question about `dfsctl --json status` (read on stdin) for the bash tests.

  count-state STATE          nodes whose state is STATE (healthy, joining, dead, ...)
  repl KEY                   replication[KEY] (underReplicated, missing, scanCycles, ...)
  node ADDRESS KEY           KEY of the node listening at ADDRESS (host:port)
  skew                       max - min of usedBytes/capacityBytes over healthy nodes
  mounts-consistency         the mounts' consistency levels, space-separated, in session order
  copies                     total copies the master places on live nodes
  all-listed-match           1 if every live node's stored block count equals the
                             number of blocks the master places there, else 0
Prints nothing and exits 1 when the input is not a status document.
"""
import json
import sys


def main():
    try:
        doc = json.load(sys.stdin)
        nodes = doc["nodes"]
    except Exception:
        sys.exit(1)
    q = sys.argv[1:]
    if q[0] == "count-state":
        print(sum(1 for n in nodes if n.get("state") == q[1]))
    elif q[0] == "repl":
        print(doc.get("replication", {}).get(q[1], ""))
    elif q[0] == "node":
        for n in nodes:
            if n.get("address") == q[1]:
                v = n.get(q[2], "")
                print(json.dumps(v) if isinstance(v, (dict, list)) else v)
                return
        sys.exit(1)
    elif q[0] == "skew":
        ratios = [n["usedBytes"] / n["capacityBytes"] for n in nodes
                  if n.get("state") == "healthy" and n.get("capacityBytes", 0) > 0]
        print("%.4f" % (max(ratios) - min(ratios) if ratios else 0.0))
    elif q[0] == "mounts-consistency":
        print(" ".join(m.get("consistency", "") for m in doc.get("mounts", [])))
    elif q[0] == "copies":
        print(sum(n.get("listedBlocks", 0) for n in nodes
                  if n.get("state") not in ("dead", "removed")))
    elif q[0] == "all-listed-match":
        live = [n for n in nodes if n.get("state") not in ("dead", "removed")]
        bad = [n for n in live if n.get("blocks") != n.get("listedBlocks")]
        for n in bad:
            print("node %s stores %s blocks, master lists %s" % (
                n.get("address"), n.get("blocks"), n.get("listedBlocks")), file=sys.stderr)
        print(0 if bad else 1)
    else:
        sys.exit("unknown query: " + " ".join(q))


main()
