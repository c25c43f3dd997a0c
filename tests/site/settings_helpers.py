"""Helpers the settings tests share: a production-like environment for a fresh process."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRET_KEY = "k7Qf2Rz9Lw4Xp8Tn1Vb6Hs3Jd5Gc0YeMa7Pq2Wr9Ux4Zt8Ky1Nv6Bj3Fh5Dl0Sg2"
PRODUCTION_HOST = "auth.example.com"
# What an interpreter needs to run; nothing the settings module reads.
_KEPT_VARIABLES = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT"}


def clean_env(**variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key in _KEPT_VARIABLES}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(variables)
    return env


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    variables = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": STRONG_SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": PRODUCTION_HOST,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # What check --deploy asks of a production authorization server (deploy_checks.py).
        "DJANGO_EMAIL_URL": "smtp+tls://mailer:mail-password@smtp.example.com:587",
        "PORTAL_ISSUER": f"https://{PRODUCTION_HOST}/o",
        "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS": "q6Xo1u0bV8o3sJ0r2wqI6cQm1mE9oQ7b8dY3Yg2QGxQ=",
    }
    variables.update(overrides)
    return clean_env(**{name: value for name, value in variables.items() if value is not None})
