"""The Python load generator: threads with keep-alive sessions, for machines without wrk.

    python -m bench.loadgen SPEC.json      (prints the result as JSON)

A spec (written by bench.run) names the URL, method, items, checks, duration and concurrency.
It runs in its own process so the orchestrator's work never competes with it; each thread owns
a ``requests.Session`` (connections are reused when the server keeps them alive) and takes the
next item from a shared counter, so a single-use item is sent exactly once.
"""

import itertools
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from bench.report import percentile

QUERY_COUNT_HEADER = "X-Bench-Queries"
REQUEST_TIMEOUT = 30.0
FORM = "application/x-www-form-urlencoded"


@dataclass
class Tally:
    """One thread's counts; merged after the run, so threads never share a lock."""

    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter = field(default_factory=Counter)
    queries: int = 0
    counted: int = 0


@dataclass
class Run:
    spec: dict
    deadline: float
    next_index: itertools.count = field(default_factory=itertools.count)
    exhausted: threading.Event = field(default_factory=threading.Event)


def _next_item(run: Run) -> list[str] | None:
    """The next item; None once a single-use pool is spent (and the run marked exhausted)."""
    items = run.spec["items"]
    index = next(run.next_index)  # atomic under the GIL: no two threads get the same index
    if index < len(items):
        return items[index]
    if run.spec["single_use"]:
        run.exhausted.set()
        return None
    return items[index % len(items)]


def _headers(item: list[str]) -> dict[str, str]:
    authorization, body = item
    headers = {"Authorization": authorization} if authorization else {}
    if body:
        headers["Content-Type"] = FORM
    return headers


def _record(spec: dict, response: requests.Response, tally: Tally) -> None:
    queries = response.headers.get(QUERY_COUNT_HEADER)
    if queries is not None:
        tally.queries += int(queries)
        tally.counted += 1
    good_body = not spec["expect_body"] or spec["expect_body"] in response.text
    if response.status_code == spec["expect_status"] and good_body:
        tally.ok += 1
    else:
        tally.errors[str(response.status_code)] += 1


def _worker(run: Run, tally: Tally) -> None:
    spec = run.spec
    url = spec["base_url"] + spec["path"]
    with requests.Session() as session:
        while time.monotonic() < run.deadline:
            item = _next_item(run)
            if item is None:
                return
            started = time.perf_counter()
            try:
                response = session.request(
                    spec["method"],
                    url,
                    headers=_headers(item),
                    data=item[1].encode("ascii") or None,
                    timeout=REQUEST_TIMEOUT,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                tally.errors[type(exc).__name__] += 1
                continue
            tally.latencies.append(time.perf_counter() - started)
            _record(spec, response, tally)


def summarise(tallies: list[Tally], *, seconds: float, exhausted: bool) -> dict:
    """One result from every thread's tally: the shape bench.run reads from either generator."""
    latencies = sorted(itertools.chain.from_iterable(t.latencies for t in tallies))
    errors = sum((t.errors for t in tallies), Counter())
    counted = sum(t.counted for t in tallies)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return {
        "ok": sum(t.ok for t in tallies),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "seconds": seconds,
        "p50_ms": None if p50 is None else p50 * 1000,
        "p99_ms": None if p99 is None else p99 * 1000,
        "queries_per_request": sum(t.queries for t in tallies) / counted if counted else None,
        "exhausted": exhausted,
    }


def run_load(spec: dict) -> dict:
    """Drive ``spec['concurrency']`` connections for ``spec['seconds']`` and summarise."""
    started = time.monotonic()
    run = Run(spec=spec, deadline=started + spec["seconds"])
    tallies = [Tally() for _ in range(spec["concurrency"])]
    threads = [
        threading.Thread(target=_worker, args=(run, tally), daemon=True) for tally in tallies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A thread stops at the deadline once its request in flight ends, at worst a timeout on.
        thread.join(timeout=max(0.0, run.deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
    seconds = time.monotonic() - started
    return summarise(tallies, seconds=seconds, exhausted=run.exhausted.is_set())


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    json.dump(run_load(spec), sys.stdout)


if __name__ == "__main__":
    main()
