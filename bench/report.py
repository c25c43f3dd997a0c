"""Pure functions that turn load results into the table and the JSON record.

Kept free of I/O and Django so they can be unit-tested and reused by anyone comparing runs.
"""

import math
from dataclasses import asdict, dataclass, field

API_SCENARIO = "api"
JWT_API_SCENARIO = "api_jwt"
CEILING_SCENARIO = "ceiling"
OPEN_SCENARIO = "open"
COLUMNS = (
    "scenario",
    "requests/s",
    "% of open view",
    "p50 ms",
    "p99 ms",
    "errors",
    "SQL/request",
    "CPU ms/req",
    "DB CPU ms/req",
)


@dataclass
class ScenarioResult:
    """What one scenario measured. ``ok`` counts responses that passed the scenario's check."""

    key: str
    label: str
    ok: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    queries_per_request: float | None = None
    # CPU time of gunicorn's processes per response (not the database server's).
    cpu_ms_per_request: float | None = None
    # CPU time of the PostgreSQL server's processes per response, when it runs on this machine.
    database_cpu_ms_per_request: float | None = None
    exhausted: bool = False
    failed: str = ""  # why the scenario could not run (its preflight request failed)

    @property
    def requests_per_second(self) -> float | None:
        if self.failed or self.seconds <= 0:
            return None
        return self.ok / self.seconds

    def as_dict(self) -> dict:
        return {**asdict(self), "requests_per_second": self.requests_per_second}


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """The nearest-rank percentile of already sorted values (None when there are none).

    Nearest rank never invents a value between two samples, so p99 is a latency some request
    really had.
    """
    if not sorted_values:
        return None
    if not 0 < pct <= 100:
        raise ValueError("pct must be in (0, 100]")
    rank = math.ceil(pct / 100 * len(sorted_values))
    return sorted_values[rank - 1]


def pool_size(warm_rate: float, seconds: float, *, floor: int = 200, cap: int = 50_000) -> int:
    """How many single-use items (codes, refresh tokens) to mint for a measured run.

    Twice what the warm-up rate would consume, so a server that speeds up once warm still
    does not run dry; capped so a broken warm-up cannot ask for millions of rows.
    """
    wanted = math.ceil(max(warm_rate, 0.0) * seconds * 2) + floor
    return max(floor, min(cap, wanted))


def api_ceiling_ratio(
    results: list[ScenarioResult], api_scenario: str = API_SCENARIO
) -> float | None:
    """Requests/s of the bearer-protected API as a fraction of the same view without auth."""
    by_key = {result.key: result.requests_per_second for result in results}
    api, ceiling = by_key.get(api_scenario), by_key.get(CEILING_SCENARIO)
    if not api or not ceiling:
        return None
    return api / ceiling


def open_view_shares(results: list[ScenarioResult]) -> dict[str, float]:
    """Each scenario's requests/s as a fraction of the open view's in the same run (none
    without it): the issue's targets are such shares, since absolute rates drift with the
    machine and whatever else runs on it."""
    by_key = {result.key: result.requests_per_second for result in results}
    open_rate = by_key.get(OPEN_SCENARIO)
    if not open_rate:
        return {}
    return {key: rate / open_rate for key, rate in by_key.items() if rate is not None}


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def errors_cell(result: ScenarioResult) -> str:
    """``0``, ``12 (401: 12)``, ``exhausted`` or ``failed: ...``: what went wrong, briefly."""
    if result.failed:
        reason = result.failed if len(result.failed) <= 40 else result.failed[:39] + "…"
        return f"failed: {reason}"
    if result.exhausted:
        return "exhausted"
    if not result.errors:
        return "0"
    kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(result.error_kinds.items()))
    return f"{result.errors} ({kinds})" if kinds else str(result.errors)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def table_rows(results: list[ScenarioResult]) -> list[tuple[str, ...]]:
    shares = open_view_shares(results)
    return [
        (
            result.label,
            _number(result.requests_per_second),
            _share(shares.get(result.key)),
            _number(result.p50_ms),
            _number(result.p99_ms),
            errors_cell(result),
            _number(result.queries_per_request),
            _number(result.cpu_ms_per_request),
            _number(result.database_cpu_ms_per_request, 2),
        )
        for result in results
    ]


def format_table(results: list[ScenarioResult]) -> str:
    """A plain-text table (Markdown pipes, so it pastes into the README) plus the API ratio."""
    rows = [COLUMNS, *table_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.ljust(width) if i in (0, 5) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(cells) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    lines = [line(rows[0]), separator, *(line(row) for row in rows[1:])]
    ratios = [
        (label, api_ceiling_ratio(results, key))
        for key, label in ((API_SCENARIO, "opaque"), (JWT_API_SCENARIO, "JWT"))
    ]
    if any(ratio is not None for _, ratio in ratios):
        lines.append("")
    for label, ratio in ratios:
        if ratio is not None:
            lines.append(
                f"API with bearer check ({label} tokens) / same view without authentication: "
                f"{ratio:.1%} of the requests/s"
            )
    return "\n".join(lines)


def results_record(results: list[ScenarioResult], *, context: dict) -> dict:
    """The JSON written under bench/results/: the run's context and every scenario's numbers."""
    return {
        **context,
        "api_ceiling_ratio": api_ceiling_ratio(results),
        "jwt_api_ceiling_ratio": api_ceiling_ratio(results, JWT_API_SCENARIO),
        "open_view_shares": open_view_shares(results),
        "scenarios": [result.as_dict() for result in results],
    }
