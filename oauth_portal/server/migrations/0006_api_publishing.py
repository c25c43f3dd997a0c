"""APIs get a publication status and an owner, and operations with the scope each requires;
the "API publishers" group holds the right to register APIs in the developer portal."""

import django.db.models.deletion
import oauth_portal.server.models.operations
from django.conf import settings
from django.db import migrations, models


PUBLISHERS_GROUP = "API publishers"


def create_publishers_group(apps, schema_editor):
    """The group an admin adds publishers to. Django creates permissions after ``migrate``;
    this one is made here so the group holds it from the start (the same row Django would make).
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="portal_server", model="apioperation"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="publish_api",
        defaults={"name": "Can register and manage own APIs in the portal"},
    )
    group, _ = Group.objects.get_or_create(name=PUBLISHERS_GROUP)
    group.permissions.add(permission)


class Migration(migrations.Migration):

    dependencies = [
        ('portal_server', '0005_roles_and_custom_claims'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name='apiresource',
            name='owner',
            field=models.ForeignKey(blank=True, help_text='The publisher who manages this API in the developer portal.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='published_apis', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='apiresource',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending approval'), ('published', 'Published')], db_index=True, default='published', max_length=10),
        ),
        migrations.CreateModel(
            name='ApiOperation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('method', models.CharField(choices=[('GET', 'GET'), ('POST', 'POST'), ('PUT', 'PUT'), ('PATCH', 'PATCH'), ('DELETE', 'DELETE')], max_length=7)),
                ('path', models.CharField(help_text="Relative to the API's base path, e.g. / or /{id}/ ({name} matches one path segment).", max_length=200, validators=[oauth_portal.server.models.operations.validate_path_template])),
                ('summary', models.CharField(blank=True, default='', max_length=200)),
                ('api', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='operations', to='portal_server.apiresource')),
                ('scope', models.ForeignKey(help_text="One of this API's own scopes.", on_delete=django.db.models.deletion.PROTECT, related_name='operations', to='portal_server.scope')),
            ],
            options={
                'verbose_name': 'operation',
                'ordering': ['api__name', 'path', 'method'],
                'permissions': [('publish_api', 'Can register and manage own APIs in the portal')],
                'constraints': [models.UniqueConstraint(fields=('api', 'method', 'path'), name='unique_operation_per_api')],
            },
        ),
        migrations.RunPython(create_publishers_group, migrations.RunPython.noop),
    ]
