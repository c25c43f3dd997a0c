"""Rate-limit counters kept in the database when there is no Redis."""

from django.db import models


class RateCounter(models.Model):
    """One rate-limit counter for the current fixed window (oauth_portal/server/ratecounters.py).

    Used instead of the database cache when there is no Redis: one ``INSERT ... ON CONFLICT``
    counts atomically in a single statement, where the cache needs several per increment.
    ``expires`` is the end of the window ``count`` belongs to; an older row restarts on its next
    increment. No index on ``expires``: every window restart would update it, and only the rare
    purge of stale rows reads by it.
    """

    key = models.CharField(max_length=250, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires = models.DateTimeField()

    def __str__(self):
        return f"{self.key}: {self.count} until {self.expires:%Y-%m-%d %H:%M:%S}"
