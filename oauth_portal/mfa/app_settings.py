"""The MFA app's settings, each with its default: a host site sets only what it changes.

Read at call time (``app_settings.NAME``), so ``override_settings`` works.
"""

from oauth_portal.audit.app_settings import settings_reader

DEFAULTS = {
    # Staff must have signed in with a second factor before /admin/ opens (staff without one
    # are sent to set one up first).
    "PORTAL_MFA_REQUIRED_FOR_STAFF": False,
    # Adding or removing a factor, or new recovery codes, need a sign-in (or a re-entered
    # password) at most this many seconds old.
    "PORTAL_MFA_REAUTHENTICATE_SECONDS": 600,
    # Wrong codes (authenticator app or recovery code), as sign-in failures are counted: per
    # (account, address), a higher ceiling per address, and one per account that only someone
    # who already knows the password can reach. Successes never count.
    "PORTAL_MFA_CODE_FAILURES": "5/15m",
    "PORTAL_MFA_CODE_FAILURES_PER_IP": "100/15m",
    "PORTAL_MFA_CODE_FAILURES_PER_ACCOUNT": "30/h",
    # The name authenticator apps and passkey prompts show for this site.
    "PORTAL_MFA_ISSUER_NAME": "Portal ID",
    "PORTAL_MFA_RECOVERY_CODE_COUNT": 10,
    # WebAuthn relying party: empty means the host the site is reached on (and its origin).
    "PORTAL_MFA_WEBAUTHN_RP_ID": "",
    "PORTAL_MFA_WEBAUTHN_ORIGINS": [],
}


__getattr__ = settings_reader(DEFAULTS)
