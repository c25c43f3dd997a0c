"""An e-mail backend that hands mail to the real one on a small thread pool, so a slow mail
provider never holds a request (a sign-up, a password reset) or its worker.

``EMAIL_BACKEND = "oauth_portal.server.mail_delivery.BackgroundEmailBackend"`` with the real
backend in ``PORTAL_MAIL_DELIVERY_BACKEND`` (our site does this unless
``PORTAL_MAIL_IN_BACKGROUND=0``). A failure is logged, never raised: the action that sent the
mail has happened, and the user can ask for it again. Mail still queued when a worker is
stopped is lost; keep ``EMAIL_TIMEOUT`` short so the queue stays short.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from oauth_portal.server import app_settings

logger = logging.getLogger(__name__)

# Two senders: mail is rare here, and a stuck provider must not pile up threads.
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")


class BackgroundEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        messages = list(email_messages or [])
        if messages:
            _pool.submit(_deliver, messages)
        return len(messages)


def _deliver(messages) -> None:
    try:
        get_connection(app_settings.PORTAL_MAIL_DELIVERY_BACKEND).send_messages(messages)
    except Exception:
        logger.exception("Failed to send %d e-mail(s)", len(messages))
