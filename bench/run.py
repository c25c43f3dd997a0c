"""`make bench`: serve the project as production does, load it, and print one table.

    python -m bench.run        (configured by BENCH_* environment variables, see Config)

Steps: a fresh SQLite file in a temp dir (or the PostgreSQL database DATABASE_URL names),
``migrate``, ``bench.prepare setup``, gunicorn with debug off and a random secret key, then for
each scenario: one checked request (a broken scenario is reported, not measured), a warm-up,
the measured run from a separate load-generator process, and for single-use scenarios a fresh
batch of codes or tokens minted between the two, sized from the warm-up's rate. The table goes
to stdout and, with the run's context, to bench/results/<time>-<engine>.json.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench import checks, report
from bench.context import headline, run_context, write_results
from bench.scenarios import Scenario, items_for, select
from bench.server import ROOT, Server, cpu_spent, database_cpu_seconds
from bench.wrk import run_wrk, wrk_path

SUBPROCESS_TIMEOUT = 600  # migrate, prepare and cleanup on a slow disk; never forever


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def env_number(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class Config:
    """What a run measures and how hard; every knob is a BENCH_* environment variable."""

    seconds: int  # BENCH_SECONDS: measured time per scenario
    warmup_seconds: int  # BENCH_WARMUP_SECONDS
    concurrency: int  # BENCH_CONCURRENCY: connections kept busy by the load generator
    workers: int  # BENCH_WORKERS: gunicorn sync workers
    scenarios: list[Scenario]  # BENCH_SCENARIOS: comma-separated keys, all by default
    loadgen: str  # BENCH_LOADGEN: wrk, python or auto (wrk when installed)
    users: int  # BENCH_USERS: users the codes and tokens are spread over
    tokens: int  # BENCH_TOKENS: reusable access tokens for the API and introspection
    warmup_pool: int  # BENCH_WARMUP_POOL: single-use items minted for each warm-up
    pool_max: int  # BENCH_POOL_MAX: most single-use items minted for one measured run
    keep: bool  # BENCH_KEEP=1 keeps the temp dir (SQLite file, server log)

    @classmethod
    def from_env(cls) -> "Config":
        loadgen = os.environ.get("BENCH_LOADGEN", "auto").strip() or "auto"
        if loadgen not in {"auto", "wrk", "python"}:
            raise SystemExit("BENCH_LOADGEN must be auto, wrk or python")
        if loadgen == "auto":
            loadgen = "wrk" if wrk_path() else "python"
        try:
            scenarios = select(os.environ.get("BENCH_SCENARIOS", ""))
        except ValueError as exc:
            raise SystemExit(f"BENCH_SCENARIOS: {exc}") from None
        return cls(
            seconds=env_number("BENCH_SECONDS", 10),
            warmup_seconds=env_number("BENCH_WARMUP_SECONDS", 2),
            concurrency=env_number("BENCH_CONCURRENCY", 4),
            workers=env_number("BENCH_WORKERS", 2),
            scenarios=scenarios,
            loadgen=loadgen,
            users=env_number("BENCH_USERS", 50),
            tokens=env_number("BENCH_TOKENS", 100),
            warmup_pool=env_number("BENCH_WARMUP_POOL", 1000, minimum=10),
            pool_max=env_number("BENCH_POOL_MAX", 50_000),
            keep=os.environ.get("BENCH_KEEP", "") == "1",
        )


def database_url(workdir: Path) -> str:
    """PostgreSQL when DATABASE_URL names it; otherwise a fresh SQLite file (never db.sqlite3)."""
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://", "pgsql://")):
        return configured
    return f"sqlite:///{workdir / 'bench.sqlite3'}"


# The rates oauth_portal/settings.py reads from the environment, written either as a call,
# `env_rate("PORTAL_RATELIMIT_X", default="60/h")`, or as an entry of its table of defaults,
# `"PORTAL_RATELIMIT_X": "1200/m",`.
RATE_SETTING = re.compile(
    r"""["'](PORTAL_RATELIMIT_\w+)["'](?:,\s*default=|:\s*)["']\d+/(\d*[smhd])["']"""
)
GENEROUS_RATE = 1_000_000_000


def rate_limit_env(settings_source: str) -> dict[str, str]:
    """Raise every endpoint rate limit the settings read from the environment out of reach.

    The bench sends hundreds of good requests a second from one client and one address, which
    limits meant to slow down guessing would rightly refuse. The limiter stays switched on, so
    its cost (counting every request in the shared cache) is measured as production pays it.
    A value already in the environment wins.
    """
    return {
        name: f"{GENEROUS_RATE}/{unit}"
        for name, unit in RATE_SETTING.findall(settings_source)
        if name not in os.environ
    }


def server_env(workdir: Path) -> dict[str, str]:
    """Production settings from the environment: debug off, a random strong key, loopback."""
    env = dict(os.environ)  # REDIS_URL, PORTAL_* and the like pass through
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain http on loopback; TLS is a proxy's job
        DATABASE_URL=database_url(workdir),
        PYTHONUNBUFFERED="1",
    )
    # As in production: a fixed issuer, which bench.prepare also signs its JWT access tokens with.
    env.setdefault("PORTAL_ISSUER", "http://127.0.0.1/o")
    settings_source = (ROOT / "oauth_portal" / "settings.py").read_text(encoding="utf-8")
    env.update(rate_limit_env(settings_source))
    return env


def python_step(env: dict, *args: str) -> None:
    """Run ``python <args>`` in the project with the server's environment; fail loudly."""
    completed = subprocess.run(  # noqa: S603 - our own command line, no shell
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{completed.stderr[-3000:]}")


def mint(env: dict, workdir: Path, kind: str, count: int) -> list[dict]:
    out = workdir / f"minted-{kind}.json"
    log(f"minting {count} single-use items ({kind})")
    state = f"--state={workdir / 'state.json'}"
    python_step(
        env,
        "-m",
        "bench.prepare",
        "mint",
        state,
        f"--kind={kind}",
        f"--count={count}",
        f"--out={out}",
    )
    return json.loads(out.read_text(encoding="utf-8"))


def load(config: Config, workdir: Path, spec: dict) -> dict:
    """One timed run from a separate process: wrk, or ``python -m bench.loadgen``."""
    if config.loadgen == "wrk":
        return run_wrk(spec, workdir)
    spec_file = workdir / "loadgen-spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    completed = subprocess.run(  # noqa: S603 - our own command line, no shell
        [sys.executable, "-m", "bench.loadgen", str(spec_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=spec["seconds"] + 120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout)


def load_spec(scenario: Scenario, base_url: str, items, *, seconds: int, concurrency: int):
    return {
        "base_url": base_url,
        "method": scenario.method,
        "path": scenario.path,
        "items": [[item.authorization, item.body] for item in items],
        "single_use": scenario.pool is not None,
        "expect_status": scenario.expect_status,
        "expect_body": scenario.expect_body,
        "seconds": seconds,
        "concurrency": concurrency,
    }


@dataclass
class Bench:
    config: Config
    workdir: Path
    env: dict
    state: dict
    server: Server

    def items(self, scenario: Scenario, count: int):
        minted = mint(self.env, self.workdir, scenario.pool, count) if scenario.pool else []
        return items_for(scenario, self.state, minted)

    def load(self, scenario: Scenario, items, *, seconds: int) -> dict:
        spec = load_spec(
            scenario,
            self.server.base_url,
            items,
            seconds=seconds,
            concurrency=self.config.concurrency,
        )
        return load(self.config, self.workdir, spec)

    def measure(self, scenario: Scenario) -> report.ScenarioResult:
        """Check one request, warm up, (re)fill a single-use pool, then run the timed load."""
        config = self.config
        items = self.items(scenario, config.warmup_pool)
        problem = checks.preflight(
            scenario, items[0], state=self.state, base_url=self.server.base_url
        )
        if problem:
            log(f"{scenario.key}: preflight failed: {problem}\n{self.server.log_tail(15)}")
            return report.ScenarioResult(scenario.key, scenario.label, failed=problem)
        log(f"{scenario.key}: warming up for {config.warmup_seconds} s")
        # The preflight spent the first item of a single-use pool.
        warm = self.load(
            scenario, items[1:] if scenario.pool else items, seconds=config.warmup_seconds
        )
        if scenario.pool:
            # A pool the warm-up emptied says only "at least this fast": allow for much more.
            rate = warm["ok"] / max(warm["seconds"], 0.001) * (3 if warm["exhausted"] else 1)
            items = self.items(
                scenario, report.pool_size(rate, config.seconds, cap=config.pool_max)
            )
        log(f"{scenario.key}: measuring for {config.seconds} s")
        local_database = database_runs_here(self.env["DATABASE_URL"])
        cpu_before = self.server.cpu_seconds()
        database_before = database_cpu_seconds() if local_database else {}
        measured = self.load(scenario, items, seconds=config.seconds)
        cpu_after = self.server.cpu_seconds()
        database_after = database_cpu_seconds() if local_database else {}
        answered = measured["ok"] + measured["errors"]
        if cpu_before is not None and cpu_after is not None and answered:
            measured["cpu_ms_per_request"] = (cpu_after - cpu_before) * 1000 / answered
        if database_after and answered:
            spent = cpu_spent(database_before, database_after)
            measured["database_cpu_ms_per_request"] = spent * 1000 / answered
        return report.ScenarioResult(key=scenario.key, label=scenario.label, **measured)


def database_runs_here(url: str) -> bool:
    """PostgreSQL on this machine, whose server processes ``/proc`` shows (not SQLite, which
    runs inside the workers, nor a database on another host)."""
    parsed = urlsplit(url)
    return parsed.scheme in ("postgres", "postgresql") and parsed.hostname in (
        None,
        "localhost",
        "127.0.0.1",
        "::1",
    )


def prepare_data(env: dict, config: Config, state_file: Path) -> dict:
    """Migrate, then create the run's clients, users and tokens; returns bench.prepare's state."""
    log(f"database: {env['DATABASE_URL'].split('@')[-1]}; migrating")
    python_step(env, "manage.py", "migrate", "--noinput")
    log("preparing clients, users and tokens")
    python_step(
        env,
        "-m",
        "bench.prepare",
        "setup",
        f"--state={state_file}",
        f"--users={config.users}",
        f"--tokens={config.tokens}",
    )
    state = json.loads(state_file.read_text(encoding="utf-8"))
    env["BENCH_CEILING_USER_ID"] = str(state["ceiling_user_id"])
    return state


def measure_all(config: Config, workdir: Path, env: dict, state: dict):
    """Serve with gunicorn for as long as the scenarios run, and never a moment longer."""
    log(f"starting gunicorn ({config.workers} workers); load generator: {config.loadgen}")
    server = Server.start(env=env, workers=config.workers, log_path=workdir / "server.log")
    try:
        bench = Bench(config=config, workdir=workdir, env=env, state=state, server=server)
        return [bench.measure(scenario) for scenario in config.scenarios]
    finally:
        server.stop()


def run(config: Config, workdir: Path) -> int:
    started, load_before = datetime.now(UTC), os.getloadavg()[0]
    if load_before > 0.5:
        log(f"the machine is busy (load average {load_before:.2f}): expect lower numbers")
    env = server_env(workdir)
    state_file = workdir / "state.json"
    state = prepare_data(env, config, state_file)
    try:
        results = measure_all(config, workdir, env, state)
    finally:
        if not env["DATABASE_URL"].startswith("sqlite"):
            log("deleting this run's clients, users and tokens")
            python_step(env, "-m", "bench.prepare", "cleanup", f"--state={state_file}")
    context = run_context(config, state, started, load_before)
    print(f"\noauth-portal bench: {headline(context)}\n")
    print(report.format_table(results))
    path = write_results(report.results_record(results, context=context), started)
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 1 if any(result.failed for result in results) else 0


def main() -> None:
    config = Config.from_env()
    workdir = Path(tempfile.mkdtemp(prefix="oauth-portal-bench-"))
    try:
        code = run(config, workdir)
    finally:
        if config.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
