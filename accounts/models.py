from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The person who signs in: an end user, a developer, an admin, or all three.

    A custom user model from the first migration, as Django recommends; ``email_verified``
    feeds the OpenID ``email_verified`` claim.
    """

    email_verified = models.BooleanField(default=False)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
