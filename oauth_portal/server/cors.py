"""Which browser origins may call the token, userinfo and revocation endpoints and /api/.

django-cors-headers asks ``check_request_enabled`` receivers per request (for paths matching
``CORS_URLS_REGEX``); we answer from the origins registered on active public clients, plus the
operator's ``PORTAL_CORS_ALLOWED_ORIGINS``. Plain-http origins are honoured only for loopback
hosts with debug on.
"""

from corsheaders.signals import check_request_enabled
from django.conf import settings

from oauth_portal.server import app_settings
from oauth_portal.server.models import is_acceptable_origin


def origin_is_acceptable(origin: str) -> bool:
    if not (origin.isascii() and origin.isprintable()):
        return False  # an Origin is printable ASCII (RFC 6454); PostgreSQL refuses NUL lookups
    return is_acceptable_origin(origin, http_loopback=settings.DEBUG)


def origin_registered(origin: str) -> bool:
    from oauth_portal.server.clients import public_client_origin_registered

    if not origin or not origin_is_acceptable(origin):
        return False
    return origin in app_settings.PORTAL_CORS_EXTRA_ORIGINS or public_client_origin_registered(
        origin=origin
    )


def cors_allow_registered_origins(sender, request, **kwargs) -> bool:
    return origin_registered(request.headers.get("Origin", ""))


def connect() -> None:
    check_request_enabled.connect(cors_allow_registered_origins, dispatch_uid="portal-cors")
