from oauth_portal.server import account_actions
from oauth_portal.server.management.user_command import UserCommand


class Command(UserCommand):
    help = (
        "Incident response for a compromised account: deactivate it, revoke every token and "
        "pending authorization code it holds in every app, and end its sign-in sessions. "
        "Recorded in the audit log. Reactivate in the admin (the user then signs in again)."
    )

    def act(self, *, user, username, reason):
        result = account_actions.user_suspend(user=user, reason=reason)
        state = "Suspended" if result.was_active else "Already inactive:"
        if result.sessions_ended is None:
            sessions = "sessions end on their next request (the account is inactive)"
        else:
            sessions = f"ended {result.sessions_ended} session(s)"
        return (
            f"{state} {username}. Revoked {result.access_tokens_revoked} access token(s) "
            f"with their refresh tokens, ID tokens and pending codes; {sessions}."
        )
