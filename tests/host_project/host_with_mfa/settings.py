"""The host site plus exactly what docs/mfa.md tells a host to add for two-step verification."""

from host.settings import *  # noqa: F403

from oauth_portal.mfa.defaults import *  # noqa: F403

INSTALLED_APPS += MFA_INSTALLED_APPS  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE, *MFA_MIDDLEWARE]  # noqa: F405
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, *MFA_AUTHENTICATION_BACKENDS]  # noqa: F405
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, *MFA_SILENCED_SYSTEM_CHECKS]  # noqa: F405
ROOT_URLCONF = "host_with_mfa.urls"
