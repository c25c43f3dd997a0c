"""Real gunicorn servers for the tests that need separate processes (concurrency, shared signing
keys, the host project): ``manage.py`` commands, a free loopback port, a start that waits until
the server answers, and a stop. Every wait is bounded; the fixture that starts a server stops it."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

STARTUP_TIMEOUT = 30
COMMAND_TIMEOUT = 120


def manage(project: Path, env: dict[str, str], *args: str) -> str:
    """``python manage.py ...`` in ``project`` with ``env``; fails the test with its stderr."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_file: Path

    def log_tail(self) -> str:
        return self.log_file.read_text(errors="replace")[-4000:]

    def log_size(self) -> int:
        return self.log_file.stat().st_size

    def log_since(self, offset: int) -> str:
        return self.log_file.read_bytes()[offset:].decode(errors="replace")


def gunicorn_start(
    wsgi_app: str,
    *,
    cwd: Path,
    env: dict[str, str],
    log_file: Path,
    port: int | None = None,
    options: tuple[str, ...] = (),
    health_path: str = "/healthz",
) -> Server:
    """gunicorn serving ``wsgi_app`` on ``port`` (a free one by default), once ``health_path``
    answers 200; stopped again if it never does."""
    port = port or free_port()
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                wsgi_app,
                "--bind",
                f"127.0.0.1:{port}",
                *options,
                # The default control socket is one path per user: it would take over (or
                # remove) that of any other gunicorn running here.
                "--no-control-socket",
            ],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it stops its workers
        )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log_file=log_file)
    try:
        wait_until_healthy(server, health_path)
    except BaseException:
        server_stop(server)
        raise
    return server


def wait_until_healthy(server: Server, health_path: str = "/healthz") -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gunicorn at {server.url} exited:\n{server.log_tail()}")
        try:
            if requests.get(f"{server.url}{health_path}", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(
        f"gunicorn at {server.url} not healthy in {STARTUP_TIMEOUT}s:\n{server.log_tail()}"
    )


def server_stop(server: Server) -> None:
    """Kill the server's process group (master and workers) at once.

    Nothing it holds needs a graceful end: an open transaction rolls back with its connection.
    A graceful or even a quick gunicorn shutdown waits for workers that linger on exit.
    """
    process = server.process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
