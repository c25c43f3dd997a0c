"""offline_access (OpenID Connect Core 11) as a scope every client may ask for, the per-client
"refresh tokens only with offline_access" switch, the tie between refresh tokens and the sign-in
that approved them, and remembered consent ("Remember my choice").

Idempotent data: an existing ``offline_access`` row is left as the admin edited it. Consents
given before "Remember my choice" existed keep ``remembered_scope`` unset: all remembered.
"""

from django.db import migrations, models

OFFLINE_ACCESS_DESCRIPTION = "Stay connected while you're away"


def register_offline_access(apps, schema_editor):
    Scope = apps.get_model("portal_server", "Scope")
    Scope.objects.get_or_create(
        name="offline_access", defaults={"description": OFFLINE_ACCESS_DESCRIPTION}
    )


class Migration(migrations.Migration):

    dependencies = [
        ('portal_server', '0006_api_publishing'),
    ]

    operations = [
        migrations.AddField(
            model_name='application',
            name='refresh_tokens_need_offline_access',
            field=models.BooleanField(default=False, help_text='Issue a refresh token only when the user granted offline_access. Off: refresh tokens without offline_access end when the user signs out.', verbose_name='Refresh tokens only with offline_access'),
        ),
        migrations.AddField(
            model_name='consent',
            name='remembered_scope',
            field=models.TextField(blank=True, default=None, help_text='Scopes that skip the consent page, space-separated (empty: none; unset: all granted scopes).', null=True),
        ),
        migrations.RunPython(register_offline_access, migrations.RunPython.noop),
    ]
