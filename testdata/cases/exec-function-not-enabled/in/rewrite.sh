#!/bin/sh
# A KRM function: rewrites a value and drops the ConfigMap named doomed.
exec python3 -c '
import sys
text = sys.stdin.read().replace("message: hello", "message: bye")
docs = text.split("\n- apiVersion: v1\n")
kept = [d for d in docs if "name: doomed" not in d]
sys.stdout.write("\n- apiVersion: v1\n".join(kept))
'
