"""Helpers the admin tests share: posting actions and forms as the admin pages do, and running
the protocol flows whose effects the admin changes."""

from django import forms
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from oauth_portal.server.models import Consent
from tests.factories import CLIENT_SECRET, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    get_code,
    pkce_pair,
    query_of,
    redeem,
    token_request,
)

CHANGELIST = "admin:portal_server_application_changelist"


def run_action(admin_client, action: str, *objects, url_name: str = CHANGELIST, **fields):
    """Post an admin action for ``objects`` as the changelist (or its intermediate page) does."""
    data = {"action": action, "_selected_action": [obj.pk for obj in objects], **fields}
    return admin_client.post(reverse(url_name), data)


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def admin_form_data(response) -> dict:
    """The admin form of a change or add page, as the browser would post it unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            data[name] = [str(getattr(item, "pk", item)) for item in value or []]
        else:
            data[name] = "" if value is None else value
    return data


def offered_actions(response) -> list[str]:
    action_form = response.context.get("action_form")
    return [name for name, _label in action_form.fields["action"].choices] if action_form else []


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_status(client, access_token: str) -> int:
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


def tokens_for(user, app) -> dict:
    """A whole authorization-code flow for ``user`` and ``app``: the token response.

    The consent page is answered when shown; with a stored consent there is none.
    """
    client = signed_in_client(user)
    if Consent.objects.filter(user=user, application=app).exists():
        verifier, challenge = pkce_pair()
        location = client.get(authorize_url(authorize_params(app, challenge=challenge)))
        code = query_of(location["Location"])["code"]
    else:
        code, verifier = get_code(client, app)
    response = redeem(client, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def refresh(app, refresh_token: str, secret: str = CLIENT_SECRET):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token_request(Client(), app, data, secret=secret)


def staff_with(*codenames: str):
    staff = UserFactory(username="helpdesk", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return staff


def form_and_inline_data(response) -> dict:
    """The change page's form and its inline formsets, as the browser would post them."""
    data = admin_form_data(response)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for form in formset.forms:
            for name, field in form.fields.items():
                value = form[name].value()
                if isinstance(field, forms.BooleanField):
                    if value:
                        data[form.add_prefix(name)] = "on"
                else:
                    data[form.add_prefix(name)] = "" if value is None else value
    return data
