"""wrk as the load generator, when installed: it costs the shared CPU far less than Python does.

On a 2-core box the load generator competes with the server's workers; a lighter generator
leaves them more of the machine, which matters most for the cheapest scenario (the ceiling).
``run_wrk`` takes the same spec as bench.loadgen and returns the same result shape.
"""

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk_scenario.lua")
THREADS = 1  # one event-loop thread drives 8 connections easily and leaves the rest to the server
TIMEOUT_SECONDS = 30


def wrk_path() -> str | None:
    return shutil.which("wrk")


def write_items(items: list[list[str]], path: Path) -> None:
    """One "Authorization<TAB>body" line per item (tokens and form bodies hold no tab)."""
    with path.open("w", encoding="ascii") as handle:
        for authorization, body in items:
            handle.write(f"{authorization}\t{body}\n")


def parse_output(text: str) -> dict:
    """The result bench.run expects, from the ``BENCH key value`` lines our script prints."""
    values: dict[str, int] = {}
    errors: Counter = Counter()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[0] != "BENCH":
            continue
        _, key, value = parts
        if key == "statuses":
            for pair in value.split(","):
                status, count = pair.split("=")
                errors[status] += int(count)
        elif key.startswith("socket_") and int(value):
            errors[key.removeprefix("socket_")] += int(value)
        else:
            values[key] = int(value)
    if "duration_us" not in values:
        raise RuntimeError(f"wrk printed no result:\n{text[-2000:]}")
    counted = values.get("counted", 0)
    answered = values.get("ok", 0) + values.get("errors", 0) > 0
    return {
        "ok": values.get("ok", 0),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "seconds": values["duration_us"] / 1e6,
        "p50_ms": values["p50_us"] / 1000 if answered else None,
        "p99_ms": values["p99_us"] / 1000 if answered else None,
        "queries_per_request": values.get("queries", 0) / counted if counted else None,
        "exhausted": bool(values.get("exhausted")),
    }


def run_wrk(spec: dict, workdir: Path) -> dict:
    """Run one scenario under wrk for ``spec['seconds']`` and parse what it reports."""
    items_file = workdir / "wrk-items.txt"
    write_items(spec["items"], items_file)
    env = {
        **os.environ,
        "BENCH_ITEMS": str(items_file),
        "BENCH_METHOD": spec["method"],
        "BENCH_PATH": spec["path"],
        "BENCH_SINGLE_USE": "1" if spec["single_use"] else "0",
        "BENCH_EXPECT_STATUS": str(spec["expect_status"]),
        "BENCH_EXPECT_BODY": spec["expect_body"],
        "BENCH_THREADS": str(THREADS),
    }
    command = [
        wrk_path() or "wrk",
        f"--threads={THREADS}",
        f"--connections={spec['concurrency']}",
        f"--duration={max(1, round(spec['seconds']))}s",
        f"--timeout={TIMEOUT_SECONDS}s",
        f"--script={SCRIPT}",
        spec["base_url"] + spec["path"],
    ]
    completed = subprocess.run(  # noqa: S603 - our own command line, no shell
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=spec["seconds"] + TIMEOUT_SECONDS + 30,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return parse_output(completed.stdout)
