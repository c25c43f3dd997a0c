"""Queries the authorization server needs, in one place."""

from django.db.models import QuerySet
from django.utils import timezone

from oauth_portal.models import SigningKey


def signing_keys_retired_but_published() -> QuerySet[SigningKey]:
    """Retired keys whose tokens may still be alive, so the JWKS must keep publishing them."""
    return SigningKey.objects.filter(is_current=False, published_until__gt=timezone.now()).order_by(
        "-created"
    )


def public_client_origin_registered(*, origin: str) -> bool:
    """Whether an active public client lists ``origin`` among its allowed origins."""
    from oauth_portal.models import Application

    candidates = Application.objects.filter(
        client_type=Application.CLIENT_PUBLIC,
        status=Application.Status.ACTIVE,
        allowed_origins__contains=origin,
    ).values_list("allowed_origins", flat=True)
    return any(origin in registered.split() for registered in candidates)
