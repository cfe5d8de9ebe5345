"""Scale benchmark (``make bench-scale``): the ingest flow on Dask workers and on PostgreSQL,
and ``run`` against a running Prefect server, each as a ratio measured side by side in one run.

1. 20,000 synthetic documents (scripts/synth.py, written to a folder source) through the
   ingest flow with the thread runner and with Dask on a local cluster of 2 workers, each
   into a fresh SQLite database: time ratio (target >= 1.6x faster with 2 workers), and
   the same articles and stories in both.
2. The same ingest (thread runner) into PostgreSQL against SQLite (target <= 1.3x).
3. ``newsdigest run --dry-run`` on the seeds against a running Prefect server, against a
   trivial flow run the same way (a fresh process each, target <= 1.5x).

Every measured run is a fresh process; configurations alternate within a round (these
machines are shared and noisy) and the figures are medians over ``--rounds``. The script
starts its own Prefect server and PostgreSQL server (from the ``postgresql`` package).

    make bench-scale
    .venv/bin/python scripts/bench_scale.py --docs 2000 --rounds 1     # a quick look
    .venv/bin/python scripts/bench_scale.py --only run --run-rounds 5  # only 3. (about a minute)
    .venv/bin/python scripts/bench_scale.py --only dask --docs 5000    # only 1.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))

import synth  # noqa: E402

TARGETS = {"thread/dask": 1.6, "postgres/sqlite": 1.3, "run/trivial": 1.5}
BIN = Path(sys.executable).parent
TRIVIAL = (
    "from prefect import flow\n\n@flow\ndef trivial():\n    return 1\n\nif __name__ == '__main__':\n    trivial()\n"
)


# ---- one ingest in a fresh process ----------------------------------------------------------


def ingest_worker(conf: str, state: str) -> None:
    """Run the ingest flow once and print its wall time and the stored stories as JSON."""
    from newsdigest import config, store
    from newsdigest.flows.ingest import ingest_flow

    start = time.perf_counter()
    summary = ingest_flow(config_file=conf, state_dir=state)
    seconds = time.perf_counter() - start
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    engine = store.connect(config.load(Path(conf), Path(state)).store_url)
    groups: dict[str, list[str]] = {}
    for a in store.load_articles(engine):
        groups.setdefault(a.story, []).append(f"{Path(a.origin).name}#{a.part}")
    stories = sorted(sorted(g) for g in groups.values())
    # CPU seconds of this process (imports included) and of its children (local Dask workers):
    # on a shared machine they show where the time goes when wall times are noisy.
    cpu = {"flow process": own.ru_utime + own.ru_stime, "workers": children.ru_utime + children.ru_stime}
    out = {"seconds": seconds, "articles": summary["articles_new"], "stories": stories, "cpu": cpu}
    print(json.dumps(out | {"steps": summary["timings"]["seconds"]}))


def _config(base: Path, name: str, folder: Path, store_url: str = "", runner: str = "thread") -> Path:
    text = (ROOT / "newsdigest.toml").read_text(encoding="utf-8")
    text = text.replace('path = "seeds"', f'path = "{folder}"', 1).replace('url = ""', f'url = "{store_url}"', 1)
    text = text.replace('kind = "thread"', f'kind = "{runner}"', 1)
    path = base / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _ingest(env: dict[str, str], conf: Path, state: Path) -> dict[str, Any]:
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_scale\n"
    code += f"if __name__ == '__main__':\n    bench_scale.ingest_worker({str(conf)!r}, {str(state)!r})\n"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ingest with {conf.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _measured_ingest(env: dict[str, str], conf: Path, state: Path, label: str) -> dict[str, Any]:
    """One ingest in a fresh process, reported with its CPU and the machine's load average."""
    load = os.getloadavg()[0]
    result = _ingest(env, conf, state)
    cpu = result["cpu"]
    print(
        f"{label} {result['seconds']:7.1f} s  {result['articles']} articles  CPU: flow process "
        f"{cpu['flow process']:.1f} s, workers {cpu['workers']:.1f} s  (load average {load:.1f})",
        flush=True,
    )
    return result


def _timed_process(args: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds


# ---- servers ---------------------------------------------------------------------------------


def _prefect_server(home: Path) -> tuple[subprocess.Popen, str]:
    import httpx
    from pgserver import free_port

    port = free_port()
    env = os.environ | {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return proc, api
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the Prefect server did not start")


# ---- the benchmark ---------------------------------------------------------------------------


def _write_corpus(folder: Path, n: int, seed: int) -> None:
    folder.mkdir(parents=True)
    for doc in synth.corpus(n, seed):
        (folder / f"{doc.name}.txt").write_text(doc.text(), encoding="utf-8")


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1, help="ingest rounds (each runs every configuration)")
    parser.add_argument("--run-rounds", type=int, default=3, help="rounds of run vs trivial flow")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--only",
        choices=["run", "dask"],
        help="only this part: run = run --dry-run vs a trivial flow; dask = the thread runner vs Dask",
    )
    args = parser.parse_args()
    if args.only == "run":
        _only_run(args)
        return
    if args.only == "dask":
        _only_dask(args)
        return

    from pgserver import PostgresServer, find_bindir

    work = Path(tempfile.mkdtemp(prefix="nd-bench-scale-"))
    folder = work / "docs"
    _write_corpus(folder, args.docs, args.seed)
    server, api = _prefect_server(work / "prefect-home")
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
    env = _bench_env(work, api)
    times: dict[str, list[float]] = {"thread": [], "dask": [], "postgres": []}
    stories: dict[str, Any] = {}
    try:
        with PostgresServer(bindir) as pg:
            for r in range(args.rounds):
                runs = {
                    "thread": _config(work, f"thread{r}", folder),
                    "dask": _config(work, f"dask{r}", folder, runner="dask"),
                    "postgres": _config(work, f"pg{r}", folder, pg.create_database(f"bench{r}")),
                }
                for name, conf in runs.items():
                    result = _measured_ingest(env, conf, work / f"state-{name}{r}", f"round {r + 1}: {name:8s}")
                    times[name].append(result["seconds"])
                    stories[name] = result["stories"]
            run_times, trivial_times = _run_vs_trivial(env, work, args.run_rounds)
    finally:
        server.terminate()
    figures = {
        "documents": args.docs,
        "thread_s": _median(times["thread"]),
        "dask_s": _median(times["dask"]),
        "postgres_s": _median(times["postgres"]),
        "same_stories_thread_dask": stories["thread"] == stories["dask"],
        "same_stories_sqlite_postgres": stories["thread"] == stories["postgres"],
        "run_s": _median(run_times),
        "trivial_s": _median(trivial_times),
    }
    figures["thread/dask"] = figures["thread_s"] / figures["dask_s"]
    figures["postgres/sqlite"] = figures["postgres_s"] / figures["thread_s"]
    figures["run/trivial"] = figures["run_s"] / figures["trivial_s"]
    _print(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def _bench_env(work: Path, api: str) -> dict[str, str]:
    """The environment of every measured process: our Prefect server, quiet, no NEWSDIGEST_* of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    env |= {"PREFECT_API_URL": api, "PREFECT_HOME": str(work / "prefect-home"), "PREFECT_LOGGING_LEVEL": "WARNING"}
    env |= {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DASK_LOGGING__DISTRIBUTED": "error"}
    return env


def _only_dask(args: argparse.Namespace) -> None:
    """Part 1 alone: the thread runner against Dask, no PostgreSQL, no ``run``."""
    work = Path(tempfile.mkdtemp(prefix="nd-bench-dask-"))
    folder = work / "docs"
    _write_corpus(folder, args.docs, args.seed)
    server, api = _prefect_server(work / "prefect-home")
    env = _bench_env(work, api)
    times: dict[str, list[float]] = {"thread": [], "dask": []}
    stories: dict[str, Any] = {}
    try:
        for r in range(args.rounds):
            for name in times:
                conf = _config(work, f"{name}{r}", folder, runner=name)
                result = _measured_ingest(env, conf, work / f"state-{name}{r}", f"round {r + 1}: {name:8s}")
                times[name].append(result["seconds"])
                stories[name] = result["stories"]
    finally:
        server.terminate()
    figures = {"documents": args.docs, "thread_s": _median(times["thread"]), "dask_s": _median(times["dask"])}
    figures["same_stories_thread_dask"] = stories["thread"] == stories["dask"]
    figures["thread/dask"] = figures["thread_s"] / figures["dask_s"]
    print(f"\n{args.docs:,} synthetic documents through the ingest flow; medians of fresh processes\n")
    print("| figure | value | target |\n|---|---|---|")
    _print_dask(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def _only_run(args: argparse.Namespace) -> None:
    """Part 3 alone: no corpus, no PostgreSQL."""
    work = Path(tempfile.mkdtemp(prefix="nd-bench-run-"))
    server, api = _prefect_server(work / "prefect-home")
    try:
        run_times, trivial_times = _run_vs_trivial(_bench_env(work, api), work, args.run_rounds)
    finally:
        server.terminate()
    figures = {"run_s": _median(run_times), "trivial_s": _median(trivial_times)}
    figures["run/trivial"] = figures["run_s"] / figures["trivial_s"]
    print(f"\nmedians of {args.run_rounds} alternating rounds, fresh processes\n")
    print("| figure | value | target |\n|---|---|---|")
    _print_run(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def _run_vs_trivial(env: dict[str, str], work: Path, rounds: int) -> tuple[list[float], list[float]]:
    """``newsdigest run --dry-run`` on the seeds and a trivial flow, alternating, fresh processes."""
    (work / "trivial.py").write_text(TRIVIAL, encoding="utf-8")
    run_times, trivial_times = [], []
    for r in range(rounds):
        state = work / f"run-state{r}"  # a fresh state each time: the seeds are ingested for real
        args = [str(BIN / "newsdigest"), "--config", str(ROOT / "newsdigest.toml"), "--state", str(state), "run"]
        run_times.append(_timed_process([*args, "--dry-run"], env, ROOT))
        trivial_times.append(_timed_process([sys.executable, str(work / "trivial.py")], env, work))
        print(f"run round {r + 1}: run {run_times[-1]:.1f} s, trivial flow {trivial_times[-1]:.1f} s", flush=True)
    return run_times, trivial_times


def _print(f: dict[str, Any]) -> None:
    print(f"\n{f['documents']:,} synthetic documents through the ingest flow; medians of fresh processes\n")
    print("| figure | value | target |\n|---|---|---|")
    _print_dask(f)
    print(f"| PostgreSQL (thread runner) | {f['postgres_s']:.1f} s | |")
    print(f"| PostgreSQL / SQLite | {f['postgres/sqlite']:.2f} | <= {TARGETS['postgres/sqlite']} |")
    print(f"| same stories (SQLite, PostgreSQL) | {f['same_stories_sqlite_postgres']} | True |")
    _print_run(f)


def _print_dask(f: dict[str, Any]) -> None:
    print(f"| thread runner | {f['thread_s']:.1f} s | |")
    print(f"| Dask, 2 local workers | {f['dask_s']:.1f} s | |")
    print(f"| speed-up with 2 workers | {f['thread/dask']:.2f}x | >= {TARGETS['thread/dask']}x |")
    print(f"| same articles and stories (thread, Dask) | {f['same_stories_thread_dask']} | True |")


def _print_run(f: dict[str, Any]) -> None:
    print(f"| `run --dry-run` on the seeds | {f['run_s']:.1f} s | |")
    print(f"| trivial flow | {f['trivial_s']:.1f} s | |")
    print(f"| run / trivial flow | {f['run/trivial']:.2f} | <= {TARGETS['run/trivial']} |")


if __name__ == "__main__":
    main()
