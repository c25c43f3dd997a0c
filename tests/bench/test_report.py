"""The bench's pure helpers: percentiles, pool sizing, the table, wrk's output, rate limits.

Nothing here starts a server or times anything; `make bench` is the harness's real test.
"""

import os

import pytest

from bench.report import ScenarioResult, format_table, percentile, pool_size
from bench.run import rate_limit_env
from bench.server import ROOT
from bench.wrk import parse_output


def test_percentile_is_a_latency_some_request_really_had():
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 0)


def test_pool_size_doubles_the_warm_up_rate_within_bounds():
    assert pool_size(100, 10) == 2200
    assert pool_size(0, 10) == 200
    assert pool_size(1e9, 10, cap=5000) == 5000


def test_table_shows_rates_errors_and_the_api_ceiling_ratio():
    results = [
        ScenarioResult(
            "api",
            "api",
            ok=600,
            seconds=10,
            p50_ms=5,
            p99_ms=9.25,
            queries_per_request=3,
            cpu_ms_per_request=2.54,
            database_cpu_ms_per_request=0.314,
        ),
        ScenarioResult("ceiling", "ceiling", ok=1000, seconds=10, p50_ms=2, p99_ms=4),
        ScenarioResult(
            "code", "code", ok=10, errors=3, error_kinds={"401": 2, "timeout": 1}, seconds=10
        ),
        ScenarioResult("refresh", "refresh", ok=5, seconds=10, exhausted=True),
        ScenarioResult("introspect", "introspect", failed="HTTP 403"),
        ScenarioResult("open", "open", ok=2000, seconds=10, p50_ms=1, p99_ms=2),
    ]

    lines = format_table(results).splitlines()

    assert [cell.strip() for cell in lines[0].split("|")[1:-1]] == [
        "scenario",
        "requests/s",
        "% of open view",
        "p50 ms",
        "p99 ms",
        "errors",
        "SQL/request",
        "CPU ms/req",
        "DB CPU ms/req",
    ]
    assert "|       60.0 |          30.0% |    5.0 |    9.2 | 0" in lines[2]
    assert lines[2].endswith("|         3.0 |        2.5 |          0.31 |")
    assert lines[3].endswith("|          - |             - |")  # not measured: not invented
    assert "3 (401: 2, timeout: 1)" in lines[4]
    assert "exhausted" in lines[5]
    assert "failed: HTTP 403" in lines[6] and "|          - |              - |" in lines[6]
    assert "|      200.0 |         100.0% |" in lines[7]
    assert lines[-1].endswith("60.0% of the requests/s")


def test_wrk_output_becomes_the_common_result():
    output = "\n".join(
        [
            "Running 10s test @ http://127.0.0.1:1/o/token/",
            "BENCH statuses 400=2,500=1",
            "BENCH ok 997",
            "BENCH errors 3",
            "BENCH queries 9000",
            "BENCH counted 1000",
            "BENCH exhausted 0",
            "BENCH duration_us 10000000",
            "BENCH p50_us 7500",
            "BENCH p99_us 21000",
            "BENCH socket_timeout 2",
            "BENCH socket_connect 0",
        ]
    )

    result = parse_output(output)

    assert result["ok"] == 997
    assert result["error_kinds"] == {"400": 2, "500": 1, "timeout": 2}
    assert result["errors"] == 5
    assert result["seconds"] == 10.0
    assert (result["p50_ms"], result["p99_ms"]) == (7.5, 21.0)
    assert result["queries_per_request"] == 9.0
    assert result["exhausted"] is False


def test_rate_limits_read_from_the_environment_are_raised_out_of_reach(monkeypatch):
    monkeypatch.setenv("PORTAL_RATELIMIT_B", "5/s")
    source = (
        'A = env.str("PORTAL_RATELIMIT_A", default="1200/m")\n'
        'B = env.str("PORTAL_RATELIMIT_B", default="30/m")\n'
    )

    assert rate_limit_env(source) == {"PORTAL_RATELIMIT_A": "1000000000/m"}


def test_rate_limits_in_a_table_of_defaults_are_raised_with_their_period():
    source = (
        "_RATE_DEFAULTS = {\n"
        '    "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT": "1200/m",\n'
        '    "PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_IP": "100/10m",\n'
        "}\n"
    )

    assert rate_limit_env(source) == {
        "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT": "1000000000/m",
        "PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_IP": "1000000000/10m",
    }


def test_every_endpoint_rate_of_the_real_settings_is_raised(monkeypatch):
    """A refactor of settings.py must not leave the bench to be refused by its own limits."""
    for name in list(os.environ):
        if name.startswith("PORTAL_RATELIMIT_"):
            monkeypatch.delenv(name)
    source = (ROOT / "oauth_portal" / "settings.py").read_text(encoding="utf-8")

    raised = rate_limit_env(source)

    for limit in (
        "CLIENT_ENDPOINTS_PER_CLIENT",
        "CLIENT_ENDPOINTS_PER_IP",
        "AUTH_FAILURES",
        "AUTH_FAILURES_PER_IP",
        "AUTHORIZE_PER_IP",
        "REGISTRATION_PER_IP",
    ):
        assert f"PORTAL_RATELIMIT_{limit}" in raised


def test_the_database_cpu_counts_what_each_server_process_spent_meanwhile():
    from bench.server import cpu_spent

    before = {10: 5.0, 11: 1.0, 12: 3.0}  # 12 ends during the run
    after = {10: 5.5, 11: 1.25, 13: 0.5}  # 13 starts during it

    assert cpu_spent(before, after) == 0.5 + 0.25 + 0.5


def test_the_database_cpu_is_read_only_for_postgresql_on_this_machine():
    from bench.run import database_runs_here

    assert database_runs_here("postgres://postgres@127.0.0.1:5432/bench")
    assert database_runs_here("postgresql://localhost/bench")
    assert not database_runs_here("postgres://db.example.test/bench")
    assert not database_runs_here("sqlite:////tmp/bench.sqlite3")
