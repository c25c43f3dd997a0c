"""Register the OpenID Connect scopes and the sample Colors API, so `migrate` leaves a working
server. Idempotent: rows that already exist are left as the admin edited them."""

from django.db import migrations

OPENID_SCOPES = [
    ("openid", "Sign you in and know who you are"),
    ("profile", "See your name and username"),
    ("email", "See your e-mail address"),
]
COLORS_API = {
    "name": "Colors API",
    "identifier": "https://api.example.test/colors",
    "description": "A sample API that keeps a list of named colors for each user.",
}
COLORS_SCOPES = [
    ("colors:read", "See your saved colors"),
    ("colors:write", "Save new colors to your list"),
]


def register(apps, schema_editor):
    ApiResource = apps.get_model("apis", "ApiResource")
    Scope = apps.get_model("apis", "Scope")
    for name, description in OPENID_SCOPES:
        Scope.objects.get_or_create(name=name, defaults={"description": description})
    colors, _ = ApiResource.objects.get_or_create(
        identifier=COLORS_API["identifier"], defaults=COLORS_API
    )
    for name, description in COLORS_SCOPES:
        Scope.objects.get_or_create(name=name, defaults={"description": description, "api": colors})


class Migration(migrations.Migration):
    dependencies = [("apis", "0001_initial")]

    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
