"""Custom claims (``CustomClaim``): admins change them here; tokens read their values here.

A claim's value comes from the user as they are when the token is minted (or introspected):
one of their fields, or the names of their groups. A value that cannot be resolved (a field
the user model no longer has, an empty field, a user model without groups) is left out of
the token, never an error: a token is always issued. Dates become numbers of seconds since
the epoch, as JWT dates are; other values that JSON cannot carry become their text.

Definitions are read from the registry snapshot (``registry.py``): a change reaches other
processes within ``PORTAL_REGISTRY_CACHE_SECONDS``.

Claims are released whatever scopes the client was granted, as Auth0's are: the admin who
adds one decides it is fit for every client of that API (or every client, for ID tokens).
Do not use one to hand out what a scope guards (an e-mail address without ``email``).
"""

import datetime
import logging

from django.contrib.auth import get_user_model
from django.db import transaction

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import registry
from oauth_portal.server.models import CustomClaim
from oauth_portal.server.models.claims import releasable_user_fields

logger = logging.getLogger(__name__)


@transaction.atomic
def custom_claim_save(*, claim: CustomClaim, actor, request=None) -> CustomClaim:
    """Create or change a custom claim (validated: a namespaced key, a releasable field)."""
    created = claim.pk is None
    claim.full_clean()
    claim.save()
    _claim_record(
        claim=claim, actor=actor, request=request, action="created" if created else "changed"
    )
    return claim


@transaction.atomic
def custom_claim_delete(*, claim: CustomClaim, actor, request=None) -> None:
    _claim_record(claim=claim, actor=actor, request=request, action="deleted")
    claim.delete()


def _claim_record(*, claim: CustomClaim, actor, request, action: str) -> None:
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLAIM_CHANGED,
        request=request,
        actor=actor,
        key=claim.key,
        source=claim.source,
        attribute=claim.attribute,
        api=claim.api.identifier if claim.api_id else "",
        in_id_token=claim.in_id_token,
        action=action,
    )


def _json_value(value):
    if isinstance(value, datetime.datetime):
        return int(value.timestamp())
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def _attribute_value(user, attribute: str):
    # Checked again here: the user model may have changed since the claim was saved.
    if attribute not in releasable_user_fields():
        return None
    return _json_value(getattr(user, attribute, None))


def _group_names(user):
    groups = getattr(user, "groups", None)
    if groups is None:
        return None
    return sorted(groups.values_list("name", flat=True))


def claim_values(claims, *, user) -> dict:
    """``{key: value}`` for ``claims`` about ``user``; unresolvable values are left out."""
    values = {}
    for claim in claims:
        try:
            if claim.source == CustomClaim.Source.GROUPS:
                value = _group_names(user)
            else:
                value = _attribute_value(user, claim.attribute)
        except Exception:  # a host's property that fails must not stop the token
            logger.warning("The custom claim %s could not be resolved; left out.", claim.key)
            value = None
        if value is not None:
            values[claim.key] = value
    return values


def _full_user(user_id):
    return get_user_model()._default_manager.filter(pk=user_id).first()


def access_token_claims(*, user_id, audiences: list[str], user=None) -> dict:
    """The custom claims of a token for ``audiences`` about the user ``user_id``.

    For several APIs, each API's claims are added; a key two of them define with different
    values is ambiguous and left out. The definitions come from the registry snapshot (no
    query); the user is loaded only when a claim needs them.
    """
    if user_id is None or not audiences:
        return {}
    claims = [c for c in registry.snapshot().custom_claims if c.api_identifier in audiences]
    if not claims:
        return {}
    user = user if user is not None else _full_user(user_id)
    if user is None:
        return {}
    values, ambiguous = {}, set()
    for api_identifier in audiences:
        for key, value in claim_values(
            [c for c in claims if c.api_identifier == api_identifier], user=user
        ).items():
            if key in values and values[key] != value:
                ambiguous.add(key)
            values[key] = value
    return {key: value for key, value in values.items() if key not in ambiguous}


def id_token_claims(*, user) -> dict:
    """The custom claims of ID tokens (and userinfo) about ``user``."""
    return claim_values([c for c in registry.snapshot().custom_claims if c.in_id_token], user=user)


def id_token_claim_keys() -> list[str]:
    """The names of the custom claims ID tokens carry (for discovery's ``claims_supported``)."""
    return sorted(c.key for c in registry.snapshot().custom_claims if c.in_id_token)
