"""Adjusted Rand of `herald suggest --json` against truth.tsv (noise and 'in no topic' as one cluster).

usage: .venv/bin/python score.py truth.tsv out.json
"""
import collections
import json
import sys

from sklearn.metrics import adjusted_rand_score

with open(sys.argv[1], encoding="utf-8") as f:
    truth = dict(line.rstrip("\n").split("\t") for line in f)
with open(sys.argv[2], encoding="utf-8") as f:
    out = json.load(f)
pred = {r["id"]: r["topic"] for r in out["requests"]}
ids = sorted(truth)
t = [truth[i] for i in ids]
p = [pred.get(i, -1) for i in ids]
print("ARI", round(adjusted_rand_score(t, p), 3), "missing", sum(i not in pred for i in ids))
conf = collections.Counter(zip(t, p, strict=True))
for name in sorted(set(t)):
    row = sorted(((c, topic) for (a, topic), c in conf.items() if a == name), reverse=True)
    print(f"{name:10}", " ".join(f"{topic}:{c}" for c, topic in row[:6]))
