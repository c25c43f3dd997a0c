"""Register the OpenID Connect scopes and create the database cache table, so that `migrate`
alone leaves a working server. Idempotent: rows that exist are left as the admin edited them."""

from django.core.management import call_command
from django.db import migrations

OPENID_SCOPES = [
    ("openid", "Sign you in and know who you are"),
    ("profile", "See your name and username"),
    ("email", "See your e-mail address"),
]


def register_openid_scopes(apps, schema_editor):
    Scope = apps.get_model("portal_server", "Scope")
    for name, description in OPENID_SCOPES:
        Scope.objects.get_or_create(name=name, defaults={"description": description})


def create_cache_table(apps, schema_editor):
    # Without REDIS_URL the default cache is the database cache.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("portal_server", "0002_jwt_access_token")]

    operations = [
        migrations.RunPython(register_openid_scopes, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
