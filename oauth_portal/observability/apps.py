from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Metrics, request logs and the audit stream: what an operations team watches.

    It sits on the audit app (every audit event is counted and logged as it is written) and
    under the authorization server, which reports what only it knows (token errors, bearer-cache
    hits, the client a request is for).
    """

    name = "oauth_portal.observability"
    label = "portal_observability"
    verbose_name = "Observability"

    def ready(self):
        from oauth_portal.observability import audit_stream

        audit_stream.connect()
