"""gunicorn settings for production: ``gunicorn -c deploy/gunicorn.conf.py oauth_portal.wsgi``.

Each variable below can be changed from the environment. The access log is off: the
application writes one JSON line per request itself, with the request id the proxy sent.
"""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Synchronous workers: the token endpoint is CPU and database work; 2 per core keeps the cores
# busy while a worker waits on PostgreSQL.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Behind nginx with keep-alive upstream connections (deploy/nginx/nginx.conf).
keepalive = 75
# A worker is replaced now and then, so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
accesslog = None
errorlog = "-"
# Django decides what to trust from the proxy (DJANGO_BEHIND_TLS_PROXY,
# PORTAL_TRUSTED_PROXY_COUNT); gunicorn passes the headers through untouched.
forwarded_allow_ips = "*"
proxy_allow_ips = "*"

# Prometheus multi-process mode: every worker writes its metrics to files in this directory
# and /metrics sums them. It must be empty when the server starts (stale files of dead workers
# would be summed too), so it is made fresh unless the operator names one.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            os.unlink(path)
        else:
            shutil.rmtree(path, ignore_errors=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    # OpenTelemetry tracing (the otel extra), when OTEL_EXPORTER_OTLP_ENDPOINT names a collector:
    # started in each worker, since a batch exporter's thread does not survive the fork.
    from oauth_portal.observability.tracing import tracing_start

    tracing_start()
