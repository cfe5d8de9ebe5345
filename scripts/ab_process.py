"""Processing CPU of two source trees side by side: ``pipeline.process_many`` over the same
synthetic documents, in fresh processes that alternate (ABAB...) so that machine noise hits
both alike; medians of CPU seconds, and whether both trees produced the same articles.

    git worktree add /tmp/before HEAD~1
    .venv/bin/python scripts/ab_process.py /tmp/before/src src --docs 2000 --rounds 3
    .venv/bin/python scripts/ab_process.py /tmp/before/src src --stages --docs 1000 --rounds 7

Whole runs in fresh processes are at the mercy of this machine's drift (the same tree took
10.3 to 16.1 s of CPU from round to round). ``--stages`` times ``clean.clean`` and
``entities.extract`` of both trees in one process instead, alternating on the same texts,
and reports the median of the rounds' paired ratios: the steadier figure for a change there.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

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


def _load(src: Path, module: str, alias: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(alias, src / "newsdigest" / f"{module}.py")
    assert spec and spec.loader
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[alias] = loaded  # dataclasses look their module up by name
    spec.loader.exec_module(loaded)
    return loaded


def _calls(src: Path, tag: str, texts: list[tuple[str, str, list[str]]]) -> dict[str, Callable[[], list]]:
    clean, entities = _load(src, "clean", f"clean_{tag}"), _load(src, "entities", f"entities_{tag}")
    return {
        "clean.clean": lambda: [repr(clean.clean(body)) for _, body, _ in texts],
        "entities.extract": lambda: [
            repr(entities.extract(title, body, tokens)).replace(f"entities_{tag}", "") for title, body, tokens in texts
        ],
    }


def stages(a: Path, b: Path, docs: int, rounds: int) -> None:
    """Each stage of both trees in this process, alternating on the same texts."""
    sys.path[:0] = [str(ROOT / "scripts"), str(b.resolve())]  # the shared modules (tag, meta) from b
    import synth

    from newsdigest import tag

    pairs = [(d.text().split("\n", 1)[0], d.text()) for d in synth.corpus(docs, 7)]
    texts = [(title, body, tag.tokenize(f"{title}\n{body}")) for title, body in pairs]
    before, after = _calls(a, "a", texts), _calls(b, "b", texts)
    for name in before:
        same = before[name]() == after[name]()
        ratios = []
        for _ in range(rounds):
            took = []
            for call in (before[name], after[name]):
                start = time.process_time()
                call()
                took.append(time.process_time() - start)
            ratios.append(took[1] / took[0])
        print(
            f"{name}: median of paired ratios {statistics.median(ratios):.3f}; same output: {'yes' if same else 'NO'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="the first tree's src folder (before)")
    parser.add_argument("b", type=Path, help="the second tree's src folder (after)")
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="clean and entities alone, in this process")
    args = parser.parse_args()
    if args.stages:
        stages(args.a, args.b, args.docs, args.rounds)
        return
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
