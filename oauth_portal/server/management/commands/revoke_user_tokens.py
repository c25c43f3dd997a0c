from oauth_portal.server import account_actions
from oauth_portal.server.management.user_command import UserCommand


class Command(UserCommand):
    help = (
        "Revoke every access, refresh and ID token and pending authorization code a user holds, "
        "in every app, without deactivating the account: apps must send the user through "
        "sign-in and consent again. Recorded in the audit log."
    )

    def act(self, *, user, username, reason):
        revoked = account_actions.user_tokens_revoke_all(user=user, reason=reason)
        return (
            f"Revoked {revoked} access token(s) of {username} with their refresh tokens, "
            "ID tokens and pending codes. The account stays active."
        )
