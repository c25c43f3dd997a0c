"""The deployment recipe, run: Debian's nginx terminating TLS with ``deploy/nginx/nginx.conf``,
load-balancing two gunicorn servers started with ``deploy/gunicorn.conf.py`` on one database
(PostgreSQL in CI's second pass, SQLite otherwise) and, when it answers, one Redis. The
whole protocol goes through the proxy; client addresses and rate limits must be those of the
real clients (127.0.0.66 and 127.0.0.1), not the proxy's.

Only the addresses differ from the shipped configuration: the upstream servers, the ports, the
certificate paths (a self-signed certificate made here) and the user nginx runs as.
"""

import datetime
import ipaddress
import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests import gunicorn_servers
from tests.e2e.protocol_helpers import (
    approve_consent,
    discovery,
    published_jwks,
    query_of,
    sign_in,
    verified_id_token_claims,
)
from tests.gunicorn_servers import free_port, gunicorn_start, server_stop
from tests.host_project.host_site import drop_postgres_database, fresh_database_url
from tests.source_address import session_from

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_URL = "redis://127.0.0.1:6379/13"
HTTP_TIMEOUT = 10
WEB_CLIENT, WEB_SECRET = "deploy-web", secrets.token_urlsafe(32)
SERVICE_CLIENT, SERVICE_SECRET = "deploy-service", secrets.token_urlsafe(32)
USERNAME, PASSWORD = "dora", "dora-" + secrets.token_urlsafe(12)
OTHER_ADDRESS = "127.0.0.66"

pytestmark = pytest.mark.skipif(
    not os.path.exists(NGINX), reason="nginx is not installed (apt-get install nginx-light)"
)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "portal.crt", directory / "portal.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_config(directory: Path, *, https_port: int, http_port: int, apps: list[int]) -> Path:
    """The shipped configuration with this machine's addresses in it."""
    cert_path, key_path = self_signed_certificate(directory)
    text = (PROJECT_ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    replacements = {
        "server app1:8000": f"server 127.0.0.1:{apps[0]}",
        "server app2:8000": f"server 127.0.0.1:{apps[1]}",
        "listen 443 ssl": f"listen 127.0.0.1:{https_port} ssl",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "/etc/nginx/certs/portal.crt": str(cert_path),
        "/etc/nginx/certs/portal.key": str(key_path),
        "pid /tmp/nginx.pid;": f"pid {directory / 'nginx.pid'};",
        "access_log /dev/stdout portal;": f"access_log {directory / 'access.log'} portal;",
    }
    for shipped, here in replacements.items():
        assert shipped in text, f"deploy/nginx/nginx.conf no longer has {shipped!r}"
        text = text.replace(shipped, here)
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        text = text.replace("http {", f"http {{\n    {temp}_temp_path {directory / temp};", 1)
    if os.geteuid() == 0:
        text = "user root;\n" + text
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


def redis_answers() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.flushdb()
        return True
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """nginx on a free https port in front of two gunicorn servers; yields the public URL."""
    directory = tmp_path_factory.mktemp("deploy")
    database_url, postgres_name = fresh_database_url(directory)
    https_port, http_port, apps = free_port(), free_port(), [free_port(), free_port()]
    public_url = f"https://localhost:{https_port}"
    environment = {
        **{
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("DJANGO_", "PORTAL_", "DATABASE_URL", "REDIS_URL"))
        },
        "DJANGO_SETTINGS_MODULE": "oauth_portal.settings",
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DJANGO_BEHIND_TLS_PROXY": "1",
        "PORTAL_ISSUER": f"{public_url}/o",
        "PORTAL_RATELIMIT_AUTH_FAILURES": "3/h",
        "DJANGO_LOG_FORMAT": "json",
        "GUNICORN_WORKERS": "2",
    }
    if redis_answers():
        environment["REDIS_URL"] = REDIS_URL
    servers, nginx = [], None
    try:
        run = gunicorn_servers.manage
        run(PROJECT_ROOT, environment, "migrate", "--noinput")
        run(PROJECT_ROOT, environment, "collectstatic", "--noinput")
        run(
            PROJECT_ROOT,
            environment,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; get_user_model().objects"
            f".create_user({USERNAME!r}, 'dora@example.test', {PASSWORD!r})",
        )
        for client_id, secret, grant, uris in (
            (WEB_CLIENT, WEB_SECRET, "authorization-code", f"{public_url}/demo/callback"),
            (SERVICE_CLIENT, SERVICE_SECRET, "client-credentials", ""),
        ):
            run(
                PROJECT_ROOT,
                environment,
                "createapplication",
                "confidential",
                grant,
                f"--name={client_id}",
                f"--client-id={client_id}",
                f"--client-secret={secret}",
                f"--redirect-uris={uris}",
                "--algorithm=RS256",
            )
        for number, port in enumerate(apps, start=1):
            servers.append(
                gunicorn_start(
                    "oauth_portal.wsgi:application",
                    cwd=PROJECT_ROOT,
                    env={**environment, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                    log_file=directory / f"app{number}.log",
                    port=port,
                    options=("-c", "deploy/gunicorn.conf.py"),
                    health_path="/health/live",
                )
            )
        config = nginx_config(directory, https_port=https_port, http_port=http_port, apps=apps)
        nginx = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(directory), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(directory / "nginx.err").open("wb"),
            start_new_session=True,
        )
        os.environ["REQUESTS_CA_BUNDLE"] = str(directory / "portal.crt")
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{public_url}/health/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert nginx.poll() is None, (directory / "nginx.err").read_text()
            assert time.monotonic() < deadline, (directory / "nginx.err").read_text()
            time.sleep(0.2)
        yield {"url": public_url, "directory": directory, "servers": servers, "apps": apps}
    finally:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
        if nginx is not None:
            nginx.kill()
            nginx.wait(timeout=10)
        for server in servers:
            server_stop(server)
        if postgres_name:
            drop_postgres_database(postgres_name)


def log_lines(stack, event: str) -> list[dict]:
    lines = []
    for server in stack["servers"]:
        for text in server.log_file.read_text(errors="replace").splitlines():
            if text.startswith("{"):
                line = json.loads(text)
                if line.get("event") == event:
                    lines.append({**line, "log": server.log_file.name})
    return lines


def service_token(session: requests.Session, url: str, secret: str = SERVICE_SECRET):
    return session.post(
        f"{url}/o/token/",
        data={"grant_type": "client_credentials", "scope": "colors:read"},
        auth=(SERVICE_CLIENT, secret),
        timeout=HTTP_TIMEOUT,
    )


def test_the_code_flow_runs_through_the_proxy_with_https_urls(stack):
    url = stack["url"]
    metadata = discovery(url)
    assert metadata["issuer"] == f"{url}/o"
    assert metadata["token_endpoint"] == f"{url}/o/token/"

    browser = sign_in(url, USERNAME, PASSWORD)
    oauth = OAuth2Session(
        client_id=WEB_CLIENT,
        client_secret=WEB_SECRET,
        scope="openid profile colors:read",
        redirect_uri=f"{url}/demo/callback",
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT,
    )
    verifier, nonce = generate_token(48), generate_token(20)
    authorization_url, _ = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    location = approve_consent(browser, authorization_url)
    assert query_of(location)["iss"] == metadata["issuer"]
    token = oauth.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    claims = verified_id_token_claims(
        token["id_token"],
        published_jwks(url),
        issuer=metadata["issuer"],
        client_id=WEB_CLIENT,
        nonce=nonce,
    )
    assert claims["preferred_username"] == USERNAME if "preferred_username" in claims else True

    api = requests.get(
        f"{url}/api/colors/",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=HTTP_TIMEOUT,
    )
    assert api.status_code == 200
    refreshed = oauth.refresh_token(metadata["token_endpoint"])
    assert refreshed["access_token"] != token["access_token"]


def test_both_hosts_serve_and_log_the_proxys_request_id(stack):
    for _ in range(8):
        assert requests.get(f"{stack['url']}/health/ready", timeout=HTTP_TIMEOUT).ok
    response = requests.get(f"{stack['url']}/o/.well-known/openid-configuration", timeout=10)
    request_id = response.headers["X-Request-ID"]

    lines = log_lines(stack, "request")
    assert {line["log"] for line in lines} == {"app1.log", "app2.log"}
    assert request_id in {line["request_id"] for line in lines}
    # nginx writes its access line once the response has gone out: give it a moment.
    access_log = stack["directory"] / "access.log"
    deadline = time.monotonic() + 5
    while f"rid={request_id}" not in access_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert f"rid={request_id}" in access_log.read_text()


def test_the_audit_log_and_rate_limits_see_the_real_client_address(stack):
    url = stack["url"]
    other = session_from(OTHER_ADDRESS)
    spoofing = {"X-Forwarded-For": "198.51.100.1"}  # a client's own claim, which nginx appends to
    other.headers.update(spoofing)

    refused = [service_token(other, url, secret="guess").status_code for _ in range(4)]
    mine = service_token(session_from("127.0.0.1"), url)

    assert refused == [401, 401, 401, 429]
    assert mine.status_code == 200
    audits = log_lines(stack, "audit")
    limited = [line for line in audits if line["audit_type"] == "rate_limited"]
    issued = [line for line in audits if line["audit_type"] == "token.issued"]
    assert limited and {line["ip"] for line in limited} == {OTHER_ADDRESS}
    assert "127.0.0.1" in {line["ip"] for line in issued}
    assert "198.51.100.1" not in json.dumps(audits)


def test_metrics_are_scraped_per_host_and_sum_its_workers_never_through_the_proxy(stack):
    url = stack["url"]
    for _ in range(4):
        assert service_token(requests.Session(), url).status_code == 200

    assert requests.get(f"{url}/metrics", timeout=HTTP_TIMEOUT).status_code == 404
    total = 0.0
    for port in stack["apps"]:
        scrape = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=HTTP_TIMEOUT)
        assert scrape.status_code == 200
        for line in scrape.text.splitlines():
            if line.startswith("oauth_portal_tokens_issued_total{") and SERVICE_CLIENT in line:
                total += float(line.rsplit(" ", 1)[1])
    assert total >= 4
