"""Queries the authorization server needs, in one place."""

from datetime import date, datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import (
    Application,
    Consent,
    SigningKey,
)


def signing_keys_retired_but_published() -> QuerySet[SigningKey]:
    """Retired keys whose tokens may still be alive, so the JWKS must keep publishing them."""
    return SigningKey.objects.filter(is_current=False, published_until__gt=timezone.now()).order_by(
        "-created"
    )


def public_client_origin_registered(*, origin: str) -> bool:
    """Whether an active public client lists ``origin`` among its allowed origins."""
    from oauth_portal.server.models import Application

    candidates = Application.objects.filter(
        client_type=Application.CLIENT_PUBLIC,
        status=Application.Status.ACTIVE,
        allowed_origins__contains=origin,
    ).values_list("allowed_origins", flat=True)
    return any(origin in registered.split() for registered in candidates)


def apis_served_by(*, application) -> dict[str, set[str]]:
    """The APIs an admin recorded ``application`` as a resource server of: each identifier
    with the names of its scopes (disabled ones too: tokens may still carry them). One query."""
    from oauth_portal.server.models import ApiResource

    served: dict[str, set[str]] = {}
    rows = ApiResource.objects.filter(resource_servers=application).values_list(
        "identifier", "scopes__name"
    )
    for identifier, scope_name in rows:
        served.setdefault(identifier, set())
        if scope_name:
            served[identifier].add(scope_name)
    return served


# --- Admin: dashboard, client list and scope usage (issue 5) --------------------------------------
# Imported here rather than at the top so that this section stands on its own.


TOKEN_EVENTS = [AuditEvent.Type.TOKEN_ISSUED, AuditEvent.Type.TOKEN_REFRESHED]
REUSE_EVENTS = [AuditEvent.Type.CODE_REUSED, AuditEvent.Type.REFRESH_REUSED]


def dashboard_days(*, days: int = 30) -> list[date]:
    """The last ``days`` calendar days (today included, in the current time zone), oldest first."""
    today = timezone.localdate()
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def dashboard_events_per_day(*, types: list[str], days: int = 30) -> dict[str, dict[date, int]]:
    """How many audit events of each type happened on each of the last ``days`` days.

    Counted in SQL (one GROUP BY day, type); returns ``{type: {day: count}}`` holding only the
    days that had events.
    """
    since = _start_of(dashboard_days(days=days)[0])
    rows = (
        AuditEvent.objects.filter(type__in=types, created__gte=since)
        .annotate(day=TruncDate("created"))
        .values("day", "type")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[date, int]] = {event_type: {} for event_type in types}
    for row in rows:
        counts[row["type"]][row["day"]] = row["count"]
    return counts


def dashboard_tokens_per_day(*, days: int = 30) -> dict[str, dict[date, int]]:
    """Tokens issued (code or client credentials grant) and refreshed, per day."""
    return dashboard_events_per_day(types=TOKEN_EVENTS, days=days)


def dashboard_failed_sign_ins_per_day(*, days: int = 30) -> dict[str, dict[date, int]]:
    """Failed sign-ins and lockouts per day: a rise means someone is guessing passwords."""
    return dashboard_events_per_day(
        types=[AuditEvent.Type.SIGN_IN_FAILED, AuditEvent.Type.SIGN_IN_LOCKED_OUT], days=days
    )


def dashboard_reuse_detections_per_day(*, days: int = 30) -> dict[str, dict[date, int]]:
    """Authorization-code and refresh-token replays per day: each one means a stolen credential."""
    return dashboard_events_per_day(types=REUSE_EVENTS, days=days)


def dashboard_recent_reuse_detections(*, limit: int = 5) -> QuerySet[AuditEvent]:
    """The latest replay detections with their client and user, newest first."""
    return AuditEvent.objects.filter(type__in=REUSE_EVENTS).select_related("application", "user")[
        :limit
    ]


def dashboard_most_active_clients(*, days: int = 30, limit: int = 8) -> list[dict]:
    """The clients that got the most tokens (issued or refreshed) in the last ``days`` days."""
    since = _start_of(dashboard_days(days=days)[0])
    return list(
        AuditEvent.objects.filter(
            type__in=TOKEN_EVENTS, created__gte=since, application__isnull=False
        )
        .values("application", "application__name", "application__client_id")
        .annotate(count=Count("id"))
        .order_by("-count", "application__name")[:limit]
    )


def dashboard_client_status_counts() -> dict[str, int]:
    """How many clients are active, pending approval and suspended."""
    counts = dict.fromkeys(Application.Status.values, 0)
    for row in Application.objects.values("status").annotate(count=Count("id")).order_by():
        counts[row["status"]] = row["count"]
    return counts


def _count_per_application(queryset) -> Coalesce:
    counted = queryset.order_by().values("application").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def applications_with_usage() -> QuerySet[Application]:
    """Clients with their owner, number of authorized users and number of live access tokens.

    Counted in correlated subqueries rather than joins: two joined counts would multiply each
    other, and the admin list would otherwise query once per row.
    """
    live_tokens = get_access_token_model().objects.filter(
        application=OuterRef("pk"), expires__gt=timezone.now()
    )
    return Application.objects.select_related("user").annotate(
        authorized_users=_count_per_application(Consent.objects.filter(application=OuterRef("pk"))),
        live_tokens=_count_per_application(live_tokens),
    )


def scope_usage(*, scope) -> dict[str, int]:
    """Where a scope is in use: consents granting it, live tokens or pending codes carrying it,
    clients allowed or required to ask for it. Empty when nothing depends on it.

    Scopes are stored space-separated in text columns, so a ``contains`` match is confirmed
    word by word (``colors:read`` must not match ``colors:readwrite``).
    """

    def carrying(queryset) -> int:
        values = queryset.filter(scope__contains=scope.name).values_list("scope", flat=True)
        return sum(1 for value in values.iterator() if scope.name in value.split())

    now = timezone.now()
    access_tokens = get_access_token_model().objects
    # An expired access token still carries its scope to the refresh token that renews it.
    renewable = (
        get_refresh_token_model().objects.filter(revoked__isnull=True).values("access_token")
    )
    usage = {
        "consents": carrying(Consent.objects.all()),
        "live tokens": carrying(
            access_tokens.filter(expires__gt=now) | access_tokens.filter(pk__in=renewable)
        ),
        "pending authorization codes": carrying(get_grant_model().objects.filter(expires__gt=now)),
        "clients": Application.objects.filter(allowed_scopes=scope).count()
        + Application.objects.filter(required_scopes=scope).count(),
    }
    return {where: count for where, count in usage.items() if count}


# --- Portal ---------------------------------------------------------------------------------------
# What the developer portal reads. Every app is found through ``applications_for_owner``, so
# another developer's app is simply not there (a 404).


def applications_for_owner(*, owner) -> QuerySet:
    """The apps ``owner`` registered, newest first; none for an anonymous user."""
    from oauth_portal.server.models import Application

    if not getattr(owner, "is_authenticated", False):
        return Application.objects.none()
    return Application.objects.filter(user=owner).order_by("-created", "-pk")


def application_consent_count(*, application) -> int:
    """How many users have allowed ``application`` to use their account."""
    from oauth_portal.server.models import Consent

    return Consent.objects.filter(application=application).count()


def application_previous_secrets(*, application) -> QuerySet:
    """The previous secrets of ``application`` that still work (their grace period runs)."""
    from oauth_portal.server.models import ClientSecret

    return ClientSecret.objects.filter(
        application=application, expires_at__gt=timezone.now()
    ).order_by("expires_at")


def application_recent_events(*, application, limit: int = 15) -> list[dict]:
    """The latest audit events about ``application`` as its developer may see them: when, what
    and who, newest first.

    Only the developer is named. The app's users appear under a pseudonym and administrators as
    "an administrator": a developer must not learn who uses the app, who refused it, or who on
    the staff acted on it.
    """
    from oauth_portal.audit.models import AuditEvent

    events = AuditEvent.objects.filter(application=application).select_related("actor", "user")
    return [
        {
            "created": event.created,
            "what": event.get_type_display(),
            "who": _event_who(event, application=application),
        }
        for event in events.order_by("-created", "-id")[:limit]
    ]


def _event_who(event, *, application) -> str:
    person = event.actor or event.user
    if person is None:
        return ""
    if person.pk == application.user_id:
        return person.get_username()
    actor = event.actor
    if actor is not None and (actor.is_staff or actor.is_superuser) and actor != event.user:
        return "an administrator"
    return user_pseudonym(application=application, user=person)


def user_pseudonym(*, application, user) -> str:
    """A name like "User 3f9a2c" for ``user`` in ``application``'s pages: the same every time
    within the app, unrelated from one app to another (an HMAC of both ids with the server's
    secret), so a developer can tell users apart without learning or linking who they are."""
    from django.utils.crypto import salted_hmac

    digest = salted_hmac("oauth_portal.user-pseudonym", f"{application.pk}:{user.pk}")
    return f"User {digest.hexdigest()[:6]}"


def application_tokens_per_day(*, application, days: int = 30) -> list[tuple]:
    """``(day, count)`` of tokens issued or refreshed for ``application`` on each of the last
    ``days`` days (today included), oldest first; days without tokens count 0."""
    from datetime import timedelta

    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from oauth_portal.audit.models import AuditEvent

    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        AuditEvent.objects.filter(
            application=application,
            type__in=[AuditEvent.Type.TOKEN_ISSUED, AuditEvent.Type.TOKEN_REFRESHED],
            created__date__gte=first,
        )
        .annotate(day=TruncDate("created"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by()
    )
    counted = {row["day"]: row["count"] for row in rows}
    every_day = [first + timedelta(days=n) for n in range(days)]
    return [(day, counted.get(day, 0)) for day in every_day]


def scope_catalogue() -> list[dict]:
    """Active scopes grouped for the portal: the OpenID Connect scopes (no API) first, then
    each API (with its audience identifier and description) and its scopes."""
    from oauth_portal.server.models import ApiResource, Scope

    groups = [
        {
            "api": None,
            "title": "Sign-in and profile (OpenID Connect)",
            "scopes": list(Scope.objects.filter(is_active=True, api__isnull=True).order_by("pk")),
        }
    ]
    for api in ApiResource.objects.prefetch_related("scopes").order_by("name"):
        scopes = sorted((s for s in api.scopes.all() if s.is_active), key=lambda s: s.name)
        groups.append({"api": api, "title": api.name, "scopes": scopes})
    return groups
