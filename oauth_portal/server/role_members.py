"""Finding the user an API publisher names when giving them one of the API's roles.

A publisher is not an administrator: they must not be able to search the user base or learn
whether an account exists. So a user is found only by an exact handle the publisher already
knows (their exact username, or an e-mail address its owner has verified), never by a partial
match, and the portal answers the same whether or not one was found. An unverified address
matches nobody: anyone can type any address into a sign-up form, so it proves nothing about
who holds the account. Inactive accounts match nobody either.
"""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from oauth_portal.server.models import ApiResource, RoleAssignment


def user_for_role_assignment(handle: str):
    """The active user whose username is exactly ``handle`` or whose verified e-mail address it
    is (case-insensitive, as addresses are); ``None`` when none, or when the address is not
    one account's alone."""
    handle = handle.strip()
    if not handle:
        return None
    users = get_user_model()._default_manager.filter(is_active=True)
    username_field = get_user_model().USERNAME_FIELD
    by_username = users.filter(**{username_field: handle}).first()
    if by_username is not None or "@" not in handle:
        return by_username
    if not hasattr(get_user_model(), "email_verified"):
        # A host's user model that does not record verification: addresses prove nothing.
        return None
    by_address = list(users.filter(email__iexact=handle, email_verified=True)[:2])
    return by_address[0] if len(by_address) == 1 else None


def role_members(*, api: ApiResource) -> dict[int, list[RoleAssignment]]:
    """Each role of ``api`` (by id) with its assignments, oldest first; one query."""
    members: dict[int, list[RoleAssignment]] = {}
    assignments: QuerySet = (
        RoleAssignment.objects.filter(role__api=api).select_related("user").order_by("created")
    )
    for assignment in assignments:
        members.setdefault(assignment.role_id, []).append(assignment)
    return members
