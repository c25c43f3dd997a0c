"""Settings of the bench server only: production settings, plus a query counter and the ceiling.

``make bench`` serves the project with these so the measured code is exactly what production
runs; the two additions are an outermost middleware that reports how many SQL statements each
request ran, and a URL module that adds the Colors view without authentication (the ceiling).
"""

from oauth_portal.environment import env_int
from oauth_portal.settings import *  # noqa: F403
from oauth_portal.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"

# Outermost, so it counts the queries of every other middleware too.
MIDDLEWARE = ["bench.query_count.QueryCountMiddleware", *MIDDLEWARE]

# The user whose colors the unauthenticated ceiling view lists: the bearer tokens' user, so both
# views return the same rows. Set by bench.run once bench.prepare has created the user.
BENCH_CEILING_USER_ID = env_int("BENCH_CEILING_USER_ID", 0)
