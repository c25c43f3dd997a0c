"""Signing keys are encrypted at rest: move each stored PEM into ``private_key_encrypted``,
encrypted under the first key of PORTAL_SIGNING_KEY_ENCRYPTION_KEYS (or the key derived from
DJANGO_SECRET_KEY), and drop the clear-text column."""

from django.db import migrations, models


def encrypt_keys(apps, schema_editor):
    from oauth_portal.signing_keys import private_key_encrypt

    SigningKey = apps.get_model("oauth_portal", "SigningKey")
    for key in SigningKey.objects.using(schema_editor.connection.alias).order_by("pk"):
        key.private_key_encrypted = private_key_encrypt(key.private_key_pem)
        key.save(update_fields=["private_key_encrypted"])


def decrypt_keys(apps, schema_editor):
    from oauth_portal.signing_keys import private_key_decrypt

    SigningKey = apps.get_model("oauth_portal", "SigningKey")
    for key in SigningKey.objects.using(schema_editor.connection.alias).order_by("pk"):
        key.private_key_pem = private_key_decrypt(key.private_key_encrypted, kid=key.kid)
        key.save(update_fields=["private_key_pem"])


class Migration(migrations.Migration):
    dependencies = [
        ("oauth_portal", "0006_application_token_requests_per_minute"),
    ]

    operations = [
        migrations.AddField(
            model_name="signingkey",
            name="private_key_encrypted",
            field=models.TextField(
                default="",
                help_text="The RSA private key (PEM), Fernet-encrypted under "
                "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS.",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="signingkey",
            name="private_key_pem",
            field=models.TextField(default=""),
        ),
        migrations.RunPython(encrypt_keys, decrypt_keys),
        migrations.RemoveField(
            model_name="signingkey",
            name="private_key_pem",
        ),
    ]
