"""The bench server: gunicorn, as production runs it, on a free loopback port.

Every wait is bounded; ``stop`` ends the process group that ``start`` created (gunicorn's master
and its workers) and nothing else.
"""

import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    """A port the kernel says is free now (the bench server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            if int(fields[1]) == parent:  # field 4 of stat(5): the parent's pid
                children.append(int(entry.name))
    return children


def _cpu_seconds(pid: int) -> float | None:
    fields = _stat_fields(pid)
    if fields is None:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of stat(5)
    return ticks / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> dict[int, float]:
    """CPU time (user + system) of every PostgreSQL server process this machine shows, by pid:
    the backends serving the workers and the server's own processes (WAL writer, checkpointer).

    The workers' CPU leaves out what they ask of the database, which on a small machine shares
    the cores with them. Empty when the database runs elsewhere (or is SQLite, in the workers).
    """
    times = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            continue
        if name in ("postgres", "postmaster") and (cpu := _cpu_seconds(int(entry.name))):
            times[int(entry.name)] = cpu
    return times


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """The CPU the processes of ``after`` spent since ``before`` (a process started meanwhile,
    all of it; one that ended meanwhile is not seen, its last moments are lost)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _no_control_socket() -> list[str]:
    """gunicorn 27 opens a control socket in ~/.gunicorn, shared with any other gunicorn there."""
    major = int(importlib.metadata.version("gunicorn").split(".")[0])
    return ["--no-control-socket"] if major >= 27 else []


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    @classmethod
    def start(cls, *, env: dict, workers: int, log_path: Path) -> "Server":
        """Start gunicorn with ``workers`` sync workers and wait until /healthz answers."""
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "oauth_portal.wsgi:application",
            f"--bind={HOST}:{port}",
            f"--workers={workers}",
            "--graceful-timeout=5",
            *_no_control_socket(),
            *os.environ.get("BENCH_GUNICORN_ARGS", "").split(),
        ]
        with log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own command line, no shell
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches the workers
            )
        server = cls(process=process, base_url=f"http://{HOST}:{port}", log_path=log_path)
        try:
            server.wait_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start-up:\n{self.log_tail()}")
            try:
                if requests.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to gunicorn's master (it stops its workers), then SIGKILL what is left of the
        process group (a worker stuck past the graceful timeout)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        try:  # the group is gunicorn's alone (start_new_session): a hung worker goes with it
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=STOP_TIMEOUT)

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) used so far by gunicorn's master and workers; Linux only.

        Unlike requests/s, CPU per request hardly moves when something else shares the machine,
        so it stays comparable between a quiet run and a busy one.
        """
        pids = [self.process.pid, *_children(self.process.pid)]
        times = [_cpu_seconds(pid) for pid in pids]
        if any(value is None for value in times):
            return None
        return sum(times)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
