"""The bench server's query counter: an ``X-Bench-Queries`` header on every response."""

from django.db import connection

QUERY_COUNT_HEADER = "X-Bench-Queries"


class QueryCountMiddleware:
    """Count the SQL statements a request runs, without DEBUG's ``connection.queries``.

    ``execute_wrapper`` sees every statement the ORM sends (an ``executemany`` counts once);
    transaction control and connection set-up do not pass through it. DEBUG stays off, so the
    server measured is the one production runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[QUERY_COUNT_HEADER] = str(count)
        return response
