"""Private PostgreSQL and Redis servers the resilience tests may stop and start, and a load
generator that records every answer.

The machine's shared PostgreSQL and Redis serve other test runs at the same time: these tests
never touch them. Each server here lives in a temporary directory on a free port and is killed
when its fixture ends.
"""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.gunicorn_servers import free_port

REDIS_SERVER = shutil.which("redis-server")
POSTGRES_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)
if POSTGRES_BIN is None and shutil.which("pg_ctl"):
    POSTGRES_BIN = str(Path(shutil.which("pg_ctl")).parent)
HTTP_TIMEOUT = 10


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} within {timeout}s"
        time.sleep(0.05)


class PrivateRedis:
    """``redis-server`` without persistence on one port, stopped and started again on it."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.exceptions.ConnectionError:
            return False

    def start(self) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            cwd=self.directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self.answers, 10, "redis-server answers")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class PrivatePostgres:
    """A throwaway cluster (trust authentication, no fsync) run by the ``postgres`` OS user when
    the tests run as root, since PostgreSQL refuses to run as root."""

    def __init__(self):
        self.port = free_port()
        # Not pytest's tmp_path: it is private to root, and the postgres user must reach it.
        self.directory = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data = self.directory / "data"
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=60, cwd=self.directory
        )
        assert result.returncode == 0, f"{args[0]} failed: {result.stdout}{result.stderr}"

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c fsync=off -c listen_addresses=127.0.0.1"
        self._run(
            f"{POSTGRES_BIN}/pg_ctl", "-D", str(self.data), "-o", options, "-w", "-t", "30",
            "-l", str(self.directory / "log"), *args,
        )  # fmt: skip

    def create(self) -> None:
        self._run(f"{POSTGRES_BIN}/initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.pg_ctl("start")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(f"{POSTGRES_BIN}/pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class Answer:
    at: float
    kind: str
    status: int
    content_type: str = ""
    retry_after: str | None = None
    body: str = ""


@dataclass
class Recorder:
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def between(self, start: float, end: float, kind: str | None = None) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if start <= a.at < end and kind in (None, a.kind)]


class Load:
    """A few threads sending client-credentials token requests, introspection of the tokens,
    calls to the Colors API with them (``/api/colors/palettes/``) and with a user's token
    (``/api/colors/``), and the sign-in page; and a poller of ``/health/ready``; until stopped."""

    def __init__(self, url: str, client_id: str, secret: str, user_token: str, threads: int = 4):
        self.url = url
        self.auth = (client_id, secret)
        self.user_token = user_token
        self.requests = Recorder()
        self.readiness = Recorder()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._send, daemon=True) for _ in range(threads)]
        self.threads.append(threading.Thread(target=self._poll_readiness, daemon=True))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=HTTP_TIMEOUT + 5)

    def _call(self, kind: str, method: str, path: str, recorder: Recorder, **kwargs) -> Answer:
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        try:
            response = requests.request(
                method, f"{self.url}{path}", headers=headers, timeout=HTTP_TIMEOUT, **kwargs
            )
            answer = Answer(
                at=time.monotonic(),
                kind=kind,
                status=response.status_code,
                content_type=response.headers.get("Content-Type", ""),
                retry_after=response.headers.get("Retry-After"),
                body=response.text[:2000],
            )
        except requests.RequestException as exc:
            answer = Answer(at=time.monotonic(), kind=kind, status=0, body=repr(exc))
        recorder.add(answer)
        return answer

    def _token(self) -> Answer:
        return self._call(
            "token",
            "POST",
            "/o/token/",
            self.requests,
            data={"grant_type": "client_credentials", "scope": "colors:read"},
            auth=self.auth,
        )

    def _send(self) -> None:
        access_token = None
        while not self.stopping.is_set():
            answer = self._token()
            if answer.status == 200:
                access_token = json.loads(answer.body)["access_token"]
            if access_token is None:
                time.sleep(0.05)
                continue
            self._call(
                "introspect",
                "POST",
                "/o/introspect/",
                self.requests,
                data={"token": access_token},
                auth=self.auth,
            )
            self._call(
                "palettes",
                "GET",
                "/api/colors/palettes/",
                self.requests,
                headers={"Authorization": f"Bearer {access_token}"},
            )
            self._call(
                "colors",
                "GET",
                "/api/colors/",
                self.requests,
                headers={"Authorization": f"Bearer {self.user_token}"},
            )
            self._call(
                "page", "GET", "/accounts/login/", self.requests, headers={"Accept": "text/html"}
            )

    def _poll_readiness(self) -> None:
        while not self.stopping.is_set():
            self._call("ready", "GET", "/health/ready", self.readiness)
            time.sleep(0.1)
