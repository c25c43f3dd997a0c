"""Register the sample Colors API and its scopes in the server's registry, so `migrate` leaves a
working server. Idempotent: rows that exist are left as the admin edited them."""

from django.db import migrations

COLORS_API = {
    "name": "Colors API",
    "identifier": "https://api.example.test/colors",
    "description": "A sample API that keeps a list of named colors for each user.",
    "base_path": "/api/colors/",
}
COLORS_SCOPES = [
    ("colors:read", "See your saved colors"),
    ("colors:write", "Save new colors to your list"),
]


def register(apps, schema_editor):
    ApiResource = apps.get_model("portal_server", "ApiResource")
    Scope = apps.get_model("portal_server", "Scope")
    colors, _ = ApiResource.objects.get_or_create(
        identifier=COLORS_API["identifier"], defaults=COLORS_API
    )
    for name, description in COLORS_SCOPES:
        Scope.objects.get_or_create(name=name, defaults={"description": description, "api": colors})


class Migration(migrations.Migration):
    dependencies = [("apis", "0001_initial"), ("portal_server", "0003_openid_scopes_and_cache_table")]

    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
