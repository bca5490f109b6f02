#!/usr/bin/env python3
"""Reads `dfsctl --json status` on stdin and prints how many chunk servers are healthy:
state "healthy" (joined: block report reconciled, heartbeats on time, not draining)
(0 when the input is not a status document). Used by scripts/cluster.sh and the tests."""
import json
import sys

try:
    nodes = json.load(sys.stdin).get("nodes", [])
except Exception:
    nodes = []
print(sum(1 for n in nodes if isinstance(n, dict) and n.get("state") == "healthy"))
