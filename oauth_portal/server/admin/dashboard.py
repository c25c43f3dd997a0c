"""The admin dashboard: the last 30 days of activity, as server-rendered SVG bar charts.

The queries live in ``oauth_portal.selectors`` (``dashboard_*``); this module turns their counts
into display-ready geometry (bar positions and heights, axis labels), so the template only
draws. No JavaScript and nothing fetched from elsewhere.
"""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse

from oauth_portal.audit import charts
from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.admin import dashboard_data
from oauth_portal.server.models import Application

DAYS = 30
WIDTH, HEIGHT = 600, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 10, 22
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
PLOT = charts.Plot(left=LEFT, top=TOP, width=PLOT_WIDTH, height=PLOT_HEIGHT)


@dataclass(frozen=True)
class Series:
    event_type: str
    label: str
    color: str


TOKEN_SERIES = [
    Series(AuditEvent.Type.TOKEN_ISSUED, "issued", "#417690"),
    Series(AuditEvent.Type.TOKEN_REFRESHED, "refreshed", "#79aec8"),
]
SIGN_IN_SERIES = [
    Series(AuditEvent.Type.SIGN_IN_FAILED, "failed", "#d49a1f"),
    Series(AuditEvent.Type.SIGN_IN_LOCKED_OUT, "locked out", "#ba2121"),
]
REUSE_SERIES = [
    Series(AuditEvent.Type.CODE_REUSED, "code reused", "#ba2121"),
    Series(AuditEvent.Type.REFRESH_REUSED, "refresh token reused", "#7a1a1a"),
]


def audit_log_url(**filters: str) -> str:
    return reverse("admin:portal_audit_auditevent_changelist") + "?" + urlencode(filters)


def series_bar(day: date, bar: dict, series: list[Series]) -> dict:
    """``bar`` with its series' colours on the segments drawn and a tooltip naming each count."""
    segments = list(zip(series, bar["segments"], strict=True))
    parts = ", ".join(f"{segment['count']} {s.label}" for s, segment in segments)
    return {
        **bar,
        "title": f"{day:%a %d %b}: {parts}",
        "segments": [{**segment, **vars(s)} for s, segment in segments if segment["count"]],
    }


def bar_chart(
    *, title: str, days: list[date], series: list[Series], counts: dict, link: str
) -> dict:
    """Stacked daily bars for ``series`` over ``days``, with gridlines, date labels and legend."""
    stacks = [[counts[s.event_type].get(day, 0) for s in series] for day in days]
    totals = [sum(stack) for stack in stacks]
    top, day_bars = charts.daily_bars(stacks, PLOT)
    bars = [series_bar(day, bar, series) for day, bar in zip(days, day_bars, strict=True)]
    slot = PLOT_WIDTH / len(days)
    return {
        "title": title,
        "link": link,
        "width": WIDTH,
        "height": HEIGHT,
        "plot_left": LEFT,
        "plot_right": WIDTH - RIGHT,
        "plot_top": TOP,
        "plot_height": PLOT_HEIGHT,
        "plot_middle": TOP + PLOT_HEIGHT / 2,
        "axis_label_x": LEFT - 5,
        "center_x": LEFT + PLOT_WIDTH / 2,
        "bars": bars,
        "gridlines": [
            {"y": round(TOP + PLOT_HEIGHT * (1 - fraction), 1), "label": round(top * fraction)}
            for fraction in (0, 0.5, 1)
            if fraction == 0 or top * fraction == int(top * fraction)
        ],
        "date_labels": [
            {"x": round(x, 1), "label": f"{days[i]:%d %b}", "anchor": anchor}
            for i, x, anchor in (
                (0, LEFT, "start"),
                (len(days) // 2, LEFT + (len(days) // 2 + 0.5) * slot, "middle"),
                (len(days) - 1, WIDTH - RIGHT, "end"),
            )
        ],
        "date_label_y": HEIGHT - 6,
        "legend": [
            {"label": s.label, "color": s.color, "total": sum(counts[s.event_type].values())}
            for s in series
        ],
        "total": sum(totals),
        "summary": f"{title}: {sum(totals)} in the last {len(days)} days",
    }


def most_active_clients() -> list[dict]:
    """The busiest clients, each with a bar as wide as its share of the busiest one."""
    rows = dashboard_data.dashboard_most_active_clients(days=DAYS)
    busiest = max((row["count"] for row in rows), default=1)
    return [
        {
            "name": row["application__name"] or row["application__client_id"],
            "client_id": row["application__client_id"],
            "count": row["count"],
            "bar_percent": max(1, round(row["count"] / busiest * 100)),
            "url": reverse("admin:portal_server_application_change", args=[row["application"]]),
            "audit_url": audit_log_url(application__id__exact=str(row["application"])),
        }
        for row in rows
    ]


STATUS_WORDS = {
    Application.Status.ACTIVE: "active clients",
    Application.Status.PENDING: "awaiting approval",
    Application.Status.SUSPENDED: "suspended",
}


def client_statuses() -> list[dict]:
    counts = dashboard_data.dashboard_client_status_counts()
    changelist = reverse("admin:portal_server_application_changelist")
    return [
        {
            "label": STATUS_WORDS[status],
            "status": status.value,
            "count": counts[status.value],
            "url": f"{changelist}?{urlencode({'status__exact': status.value})}",
        }
        for status in Application.Status
    ]


def recent_reuse_detections() -> list[dict]:
    return [
        {
            "when": event.created,
            "type": event.get_type_display(),
            "application": event.application.name if event.application else "(deleted client)",
            "user": event.user.get_username() if event.user else "",
            "url": reverse("admin:portal_audit_auditevent_change", args=[event.pk]),
        }
        for event in dashboard_data.dashboard_recent_reuse_detections()
    ]


def dashboard_context() -> dict:
    """Everything the admin index shows above the app list, ready to draw."""
    days = dashboard_data.dashboard_days(days=DAYS)
    reuse_types = ",".join(s.event_type for s in REUSE_SERIES)
    return {
        "days": DAYS,
        "client_statuses": client_statuses(),
        "charts": [
            bar_chart(
                title="Tokens issued per day",
                days=days,
                series=TOKEN_SERIES,
                counts=dashboard_data.dashboard_tokens_per_day(days=DAYS),
                link=audit_log_url(type__exact=AuditEvent.Type.TOKEN_ISSUED),
            ),
            bar_chart(
                title="Failed sign-ins per day",
                days=days,
                series=SIGN_IN_SERIES,
                counts=dashboard_data.dashboard_failed_sign_ins_per_day(days=DAYS),
                link=audit_log_url(type__exact=AuditEvent.Type.SIGN_IN_FAILED),
            ),
            bar_chart(
                title="Reuse detections per day",
                days=days,
                series=REUSE_SERIES,
                counts=dashboard_data.dashboard_reuse_detections_per_day(days=DAYS),
                link=audit_log_url(type__in=reuse_types),
            ),
        ],
        "most_active_clients": most_active_clients(),
        "recent_reuse_detections": recent_reuse_detections(),
    }
