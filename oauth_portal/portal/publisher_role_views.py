"""An API's roles, their members and its custom claims, managed by the API's own publisher
(Auth0's RBAC, run by the API's team rather than the server's administrators).

The API is looked up through ``OwnedApiMixin`` (another publisher's API is a 404, a
non-publisher gets a 403) and every role, assignment and claim through that API, so nothing of
another API can be reached by changing an id in the URL. The services in
``oauth_portal.server.roles`` and ``custom_claims`` do the work and write the audit events.

Giving a role names its holder by exact username or verified e-mail address only, and the
answer is the same whether or not an account matched (``role_members``'s docstring says why):
the publisher learns that an account exists only when it appears among the role's members.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from oauth_portal.portal.forms import roles as forms
from oauth_portal.portal.publisher_views import OwnedApiMixin
from oauth_portal.server import custom_claims, role_members, roles
from oauth_portal.server.models import Role


def role_prefix(role: Role) -> str:
    """Each role's forms have their own field names and ids: the page holds one per role."""
    return f"role-{role.pk}"


class PublisherRolesView(OwnedApiMixin, View):
    """The API's roles with their permissions and members, and its custom claims."""

    def get(self, request, *args, **kwargs):
        return self.render_page()

    def render_page(self, *, role_form=None, claim_form=None, role_forms=None, status=200):
        """The page; ``role_forms`` maps a role's id to its bound form that failed."""
        api = self.api
        members = role_members.role_members(api=api)
        role_forms = role_forms or {}
        role_rows = []
        for role in api.roles.prefetch_related("scopes").order_by("name"):
            permissions = [scope.name for scope in role.scopes.all()]
            failed = role_forms.get(role.pk)
            role_rows.append(
                {
                    "role": role,
                    "permissions": permissions,
                    "members": members.get(role.pk, []),
                    "assign_form": failed
                    if isinstance(failed, forms.RoleAssignForm)
                    else forms.RoleAssignForm(prefix=role_prefix(role)),
                    "permissions_form": failed
                    if isinstance(failed, forms.RolePermissionsForm)
                    else forms.RolePermissionsForm(
                        api=api, prefix=role_prefix(role), initial={"scopes": permissions}
                    ),
                    "permissions_open": isinstance(failed, forms.RolePermissionsForm),
                }
            )
        context = {
            "api": api,
            "role_rows": role_rows,
            "role_form": role_form or forms.RoleAddForm(api=api),
            "claims": api.custom_claims.order_by("key"),
            "claim_form": claim_form or forms.CustomClaimAddForm(api=api),
        }
        return render(self.request, "portal/publisher/api_roles.html", context, status=status)

    def roles_redirect(self):
        return redirect("portal:publisher-roles", pk=self.api.pk)


class PublisherRoleAddView(PublisherRolesView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = forms.RoleAddForm(request.POST, api=self.api)
        if not form.is_valid():
            return self.render_page(role_form=form, status=400)
        role = Role(
            api=self.api,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
        )
        try:
            roles.role_save(
                role=role, scopes=form.cleaned_data["scopes"], actor=request.user, request=request
            )
        except ValidationError as error:  # the service's backstop, e.g. a name taken meanwhile
            form.add_error(None, error.messages)
            return self.render_page(role_form=form, status=400)
        messages.success(request, f"Added the role {role.name}.")
        return self.roles_redirect()


class PublisherRolePermissionsView(PublisherRolesView):
    """Change what a role permits; new tokens for the API carry the new permissions."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        role = get_object_or_404(self.api.roles, pk=kwargs["role_id"])
        form = forms.RolePermissionsForm(request.POST, api=self.api, prefix=role_prefix(role))
        if not form.is_valid():
            return self.render_page(role_forms={role.pk: form}, status=400)
        roles.role_save(
            role=role, scopes=form.cleaned_data["scopes"], actor=request.user, request=request
        )
        messages.success(request, f"Saved the permissions of {role.name}.")
        return self.roles_redirect()


class PublisherRoleDeleteView(PublisherRolesView):
    """Delete a role: its holders lose it, and new tokens stop carrying it."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        role = get_object_or_404(self.api.roles, pk=kwargs["role_id"])
        roles.role_delete(role=role, actor=request.user, request=request)
        messages.success(request, f"Deleted the role {role.name}.")
        return self.roles_redirect()


class PublisherRoleAssignView(PublisherRolesView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        role = get_object_or_404(self.api.roles, pk=kwargs["role_id"])
        form = forms.RoleAssignForm(request.POST, prefix=role_prefix(role))
        if not form.is_valid():
            return self.render_page(role_forms={role.pk: form}, status=400)
        handle = form.cleaned_data["user"]
        user = role_members.user_for_role_assignment(handle)
        if user is not None:
            roles.role_assign(role=role, user=user, actor=request.user, request=request)
        # The same words either way: whether an account exists is not the publisher's to learn.
        messages.success(
            request,
            f"If an account has the username or verified address {handle}, it holds "
            f"{role.name} now and is listed among its members.",
        )
        return self.roles_redirect()


class PublisherRoleUnassignView(PublisherRolesView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        role = get_object_or_404(self.api.roles, pk=kwargs["role_id"])
        assignment = get_object_or_404(
            role.assignments.select_related("user"), pk=kwargs["member_id"]
        )
        roles.role_unassign(role=role, user=assignment.user, actor=request.user, request=request)
        messages.success(request, f"{assignment.user.get_username()} no longer holds {role.name}.")
        return self.roles_redirect()


class PublisherClaimAddView(PublisherRolesView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = forms.CustomClaimAddForm(request.POST, api=self.api)
        if not form.is_valid():
            return self.render_page(claim_form=form, status=400)
        try:
            claim = custom_claims.custom_claim_save(
                claim=form.instance, actor=request.user, request=request
            )
        except ValidationError as error:  # the model's constraints, e.g. a key taken meanwhile
            form.add_error(None, error.messages)
            return self.render_page(claim_form=form, status=400)
        messages.success(request, f"Tokens for {self.api.name} now carry {claim.key}.")
        return self.roles_redirect()


class PublisherClaimDeleteView(PublisherRolesView):
    """Remove a claim from the API's access tokens. A claim an administrator also put in ID
    tokens is theirs to remove: ID tokens reach every client, not only this API's."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        claim = get_object_or_404(
            self.api.custom_claims.filter(in_id_token=False), pk=kwargs["claim_id"]
        )
        custom_claims.custom_claim_delete(claim=claim, actor=request.user, request=request)
        messages.success(request, f"Tokens for {self.api.name} no longer carry {claim.key}.")
        return self.roles_redirect()
