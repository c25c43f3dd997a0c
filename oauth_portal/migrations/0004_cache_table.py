"""Create the database cache table, so that `migrate` alone leaves a working server.

Without REDIS_URL the default cache (rate-limit counters) is the database cache.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("oauth_portal", "0003_application_client_secret_created_at_and_more")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
