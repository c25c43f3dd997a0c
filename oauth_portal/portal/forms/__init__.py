"""Developer-portal forms: parse and validate what a developer types about an app.

By subject: ``validation`` (the redirect URI and origin rules), ``settings`` (an app's fields
and the settings form), ``registration`` and ``playground``. The secret-rotation form is the
server's (``oauth_portal.server.forms``), shared with the admin.
"""

from oauth_portal.portal.forms.playground import (
    PlaygroundClientCredentialsForm,
    PlaygroundExchangeForm,
    PlaygroundStartForm,
    PlaygroundToggleForm,
    PlaygroundTokenForm,
)
from oauth_portal.portal.forms.registration import KIND_HELP, ApplicationRegisterForm
from oauth_portal.portal.forms.settings import ApplicationSettingsForm
from oauth_portal.portal.forms.validation import origin_problem, redirect_uri_problem

__all__ = [
    "KIND_HELP",
    "ApplicationRegisterForm",
    "ApplicationSettingsForm",
    "PlaygroundClientCredentialsForm",
    "PlaygroundExchangeForm",
    "PlaygroundStartForm",
    "PlaygroundToggleForm",
    "PlaygroundTokenForm",
    "origin_problem",
    "redirect_uri_problem",
]
