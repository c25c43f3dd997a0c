"""What a bench run records besides its numbers, so two runs can be compared fairly."""

import json
import os
import platform
import subprocess
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bench.server import ROOT
from bench.wrk import wrk_path

if TYPE_CHECKING:
    from bench.run import Config

RESULTS_DIR = ROOT / "bench" / "results"


def git(*args: str) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed git command line, no shell
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def loadgen_name(config: "Config") -> str:
    if config.loadgen != "wrk":
        return "python (bench.loadgen: threads + requests.Session)"
    version = subprocess.run(  # noqa: S603 - fixed command line, no shell
        [wrk_path() or "wrk", "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    return (version.stdout or version.stderr).split("Copyright")[0].strip() or "wrk"


def run_context(config: "Config", state: dict, started: datetime, load_before: float) -> dict:
    """Everything needed to compare two runs fairly: code, database, machine, load shape.

    The load average before the run tells whether something else was using the CPU: on a
    shared 2-core box a test suite running beside the bench halves its numbers.
    """
    return {
        "timestamp": started.isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "database": state["database"],
        "cache": state["cache"],
        "machine": {
            "cores": os.cpu_count(),
            "cpu": cpu_model(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": round(load_before, 2),
        },
        "server": {"gunicorn_workers": config.workers, "worker_class": "sync"},
        "load": {
            "generator": loadgen_name(config),
            "concurrency": config.concurrency,
            "seconds": config.seconds,
            "warmup_seconds": config.warmup_seconds,
        },
    }


def write_results(record: dict, started: datetime) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    engine = record["database"]["engine"]
    path = RESULTS_DIR / f"{started:%Y%m%dT%H%M%SZ}-{engine}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def headline(context: dict) -> str:
    db, load_, machine = context["database"], context["load"], context["machine"]
    commit = (context["git_commit"] or "unknown")[:10]
    if context["git_dirty"]:
        commit += " (uncommitted changes)"
    return (
        f"{db['engine']} {db['version']}, cache {context['cache']}, "
        f"{context['server']['gunicorn_workers']} gunicorn workers, {machine['cores']} cores, "
        f"{load_['generator']}, {load_['concurrency']} connections, "
        f"{load_['seconds']} s per scenario, commit {commit}, "
        f"load average {machine['load_average_before']} before"
    )
