import factory
from django.contrib.auth import get_user_model

from oauth_portal.server.models import ApiResource, Application, Scope

CLIENT_SECRET = "test-client-secret-that-is-long-enough-0123456789"
REDIRECT_URI = "https://client.example.test/callback"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = "Ada"
    last_name = "Lovelace"
    password = factory.django.Password("correct-horse-battery")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"Test app {n}")
    user = factory.SubFactory(UserFactory)
    client_type = Application.CLIENT_CONFIDENTIAL
    authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    redirect_uris = REDIRECT_URI
    client_secret = CLIENT_SECRET
    algorithm = Application.RS256_ALGORITHM
    homepage_url = "https://client.example.test/"
    # What Application.clean() records for an app made outside the portal.
    kind = factory.LazyAttribute(
        lambda app: Application(
            client_type=app.client_type,
            authorization_grant_type=app.authorization_grant_type,
            allowed_origins=getattr(app, "allowed_origins", ""),
        ).derived_kind()
    )


class PublicApplicationFactory(ApplicationFactory):
    client_type = Application.CLIENT_PUBLIC
    redirect_uris = "http://127.0.0.1:8765/callback"


class ApiResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiResource

    name = factory.Sequence(lambda n: f"API {n}")
    identifier = factory.Sequence(lambda n: f"https://api.example.test/api{n}")


class ScopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scope

    name = factory.Sequence(lambda n: f"thing{n}:read")
    description = "See your things"
    api = factory.SubFactory(ApiResourceFactory)
