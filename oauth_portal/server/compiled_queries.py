"""Hot-path queries compiled to SQL once per process, then only executed.

A token request re-reads which scopes the client may still ask for (``api_access``): a query
of a few ``Exists`` and ``Subquery`` annotations whose rows PostgreSQL returns in about 0.2 ms,
but which Django's ORM took about 2 ms of CPU to compile, on every token request. Its SQL
never changes, only the ids it is asked about, so each process compiles it once with marker ids
in place of the real ones and afterwards executes that SQL with the real ids as parameters.

The data is read fresh every time (nothing here caches an answer), and every value still goes to
the database as a bound parameter. A query whose marker ids do not come out as parameters of
their own (the ORM inlined or transformed one) is never cached: it runs through the ORM.
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

_MARK_BASE = -7_391_000_000  # ids no row has: negative, and far from any real one
_UNCACHEABLE = object()
_compiled: dict[tuple, object] = {}


def rows(name: str, build: Callable[..., QuerySet], **ids: int) -> list[tuple]:
    """The rows of ``build(**ids)`` (a ``values_list`` query), compiled once per process for
    ``name`` and the database it runs on."""
    key = (name, tuple(sorted(ids)))
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = _compile(build, sorted(ids))
    if compiled is _UNCACHEABLE:
        return list(build(**ids))
    sql, slots, using = compiled
    params = [ids[value] if is_mark else value for is_mark, value in slots]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _compile(build, names: list[str]):
    marks = {name: _MARK_BASE - index for index, name in enumerate(names)}
    queryset = build(**marks)
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    name_of = {mark: name for name, mark in marks.items()}
    slots = [
        (True, name_of[param]) if type(param) is int and param in name_of else (False, param)
        for param in params
    ]
    placed = {value for is_mark, value in slots if is_mark}
    if placed != set(names) or str(_MARK_BASE)[:6] in sql:
        return _UNCACHEABLE
    return sql, slots, queryset.db


def forget() -> None:
    """Compile again on next use (a test that swaps the database or the models)."""
    _compiled.clear()
