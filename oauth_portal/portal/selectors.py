"""What the developer portal shows: an app's recent events (users as pseudonyms), its
tokens per day, the API catalogue."""

from datetime import timedelta

from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import ApiResource, Scope


def application_recent_events(*, application, limit: int = 15) -> list[dict]:
    """The latest audit events about ``application`` as its developer may see them: when, what
    and who, newest first.

    Only the developer is named. The app's users appear under a pseudonym and administrators as
    "an administrator": a developer must not learn who uses the app, who refused it, or who on
    the staff acted on it.
    """

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
    types = [AuditEvent.Type.TOKEN_ISSUED, AuditEvent.Type.TOKEN_REFRESHED]
    counts = AuditEvent.objects.counts_per_day(types=types, days=days, application=application)
    first = timezone.localdate() - timedelta(days=days - 1)
    every_day = [first + timedelta(days=n) for n in range(days)]
    return [(day, sum(counts[t].get(day, 0) for t in types)) for day in every_day]


def scope_catalogue() -> list[dict]:
    """Active scopes grouped for the portal: the OpenID Connect scopes (no API) first, then
    each published API (with its audience identifier and description) and its scopes."""

    groups = [
        {
            "api": None,
            "title": "Sign-in and profile (OpenID Connect)",
            "scopes": list(Scope.objects.filter(is_active=True, api__isnull=True).order_by("pk")),
        }
    ]
    published = ApiResource.objects.filter(status=ApiResource.Status.PUBLISHED)
    for api in published.prefetch_related("scopes").order_by("name"):
        scopes = sorted((s for s in api.scopes.all() if s.is_active), key=lambda s: s.name)
        groups.append({"api": api, "title": api.name, "scopes": scopes})
    return groups
