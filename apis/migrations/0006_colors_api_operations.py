"""Register the Colors API's operations and the scope each requires, so `migrate` leaves the
API enforcing them (``apis.permissions.TokenHasOperationScope``). Idempotent: operations that
exist are left as the admin edited them."""

from django.db import migrations

COLORS_IDENTIFIER = "https://api.example.test/colors"
# Paths relative to the API's base path, /api/colors/.
COLORS_OPERATIONS = [
    ("GET", "/", "colors:read", "List your saved colors"),
    ("POST", "/", "colors:write", "Save a new color"),
    ("GET", "/palettes/", "colors:read", "List the shared palettes"),
]


def register(apps, schema_editor):
    ApiResource = apps.get_model("portal_server", "ApiResource")
    ApiOperation = apps.get_model("portal_server", "ApiOperation")
    Scope = apps.get_model("portal_server", "Scope")
    colors = ApiResource.objects.filter(identifier=COLORS_IDENTIFIER).first()
    if colors is None:
        return
    for method, path, scope_name, summary in COLORS_OPERATIONS:
        scope = Scope.objects.filter(name=scope_name, api=colors).first()
        if scope is not None:
            ApiOperation.objects.get_or_create(
                api=colors,
                method=method,
                path=path,
                defaults={"scope": scope, "summary": summary},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("apis", "0002_register_colors_api"),
        ("portal_server", "0006_api_publishing"),
    ]

    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
