"""Forms the admin and the developer portal share."""

from datetime import timedelta

from django import forms

# How long a rotated-out secret keeps working beside the new one, in seconds.
GRACE_CHOICES = [
    ("0", "None: the old secret stops working now"),
    ("3600", "1 hour"),
    ("86400", "1 day"),
    ("604800", "7 days"),
]


class SecretRotateForm(forms.Form):
    """How long the old secret keeps working after the new one is made (``client_secret_rotate``
    takes the ``timedelta``)."""

    grace = forms.TypedChoiceField(
        label="Keep the old secret working for",
        choices=GRACE_CHOICES,
        coerce=lambda seconds: timedelta(seconds=int(seconds)),
        initial="0",
        help_text="Until then both secrets work, so the app can switch without an outage.",
    )
