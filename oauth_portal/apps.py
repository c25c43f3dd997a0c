from django.apps import AppConfig


class OAuthPortalConfig(AppConfig):
    name = "oauth_portal"
    verbose_name = "OAuth portal"

    def ready(self):
        from oauth_portal import bearer, cors

        cors.connect()
        bearer.connect()
