from django.apps import AppConfig


class ApisConfig(AppConfig):
    name = "apis"
    verbose_name = "APIs and scopes"

    def ready(self):
        from apis import registry

        registry.connect()
