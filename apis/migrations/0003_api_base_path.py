from django.db import migrations, models


def colors_base_path(apps, schema_editor):
    ApiResource = apps.get_model("apis", "ApiResource")
    ApiResource.objects.filter(identifier="https://api.example.test/colors", base_path="").update(
        base_path="/api/colors/"
    )


class Migration(migrations.Migration):
    dependencies = [("apis", "0002_register_openid_and_colors")]

    operations = [
        migrations.AddField(
            model_name="apiresource",
            name="base_path",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Where this server serves the API, e.g. /api/colors/. A token minted "
                "for another API's audience is refused here (RFC 8707).",
                max_length=200,
            ),
        ),
        migrations.RunPython(colors_base_path, migrations.RunPython.noop),
    ]
