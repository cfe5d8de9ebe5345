"""Processing CPU of two source trees side by side: ``pipeline.process_many`` over the same
synthetic documents, in fresh processes that alternate (ABAB...) so that machine noise hits
both alike; medians of CPU seconds, and whether both trees produced the same articles.

    git worktree add /tmp/before HEAD~1
    .venv/bin/python scripts/ab_process.py /tmp/before/src src --docs 2000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter with one tree on PYTHONPATH: warm up on a few documents (jieba's
# tables, the gazetteer), then time the whole batch; a hash of the results compares the trees.
CHILD = r"""
import hashlib, json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import synth
from newsdigest import config, pipeline
from newsdigest.models import Document

cfg = config.load(Path(sys.argv[3]), Path(tempfile.mkdtemp()), env={})
settings = pipeline.Settings.from_config(cfg)
docs = [Document(origin=f"s/{d.name}.txt", data=d.text().encode()) for d in synth.corpus(int(sys.argv[1]), 5)]
pipeline.prepare(settings)
pipeline.process_many(docs[:30], settings)
start = time.process_time()
out = pipeline.process_many(docs, settings)
cpu = time.process_time() - start
digest = hashlib.sha256("\n".join(repr(getattr(p, "article", p)) for p in out).encode()).hexdigest()
print(json.dumps({"cpu": cpu, "output": digest[:16], "module": pipeline.__file__}))
"""


def one(src: Path, docs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    cmd = [sys.executable, "-c", CHILD, str(docs), str(ROOT / "scripts"), str(ROOT / "newsdigest.toml")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="the first tree's src folder (before)")
    parser.add_argument("b", type=Path, help="the second tree's src folder (after)")
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[Path, list[dict]] = {args.a: [], args.b: []}
    for r in range(1, args.rounds + 1):
        for src in (args.a, args.b):
            got = one(src, args.docs)
            runs[src].append(got)
            print(f"round {r}: {src}  {got['cpu']:.2f} s CPU  ({got['module']})", flush=True)
    a, b = (statistics.median(x["cpu"] for x in runs[s]) for s in (args.a, args.b))
    # Each round's two runs are next to each other in time: their ratio sees the least noise.
    paired = statistics.median(y["cpu"] / x["cpu"] for x, y in zip(runs[args.a], runs[args.b], strict=True))
    same = {x["output"] for x in runs[args.a]} == {x["output"] for x in runs[args.b]}
    print(f"median CPU: {a:.2f} s → {b:.2f} s = {b / a:.3f}; median of the rounds' ratios {paired:.3f}")
    print(f"same articles: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
