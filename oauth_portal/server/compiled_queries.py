"""Hot-path queries compiled to SQL once per process, then only executed.

A token request re-reads which scopes the client may still ask for (``api_access``): a query
of a few ``Exists`` and ``Subquery`` annotations whose rows PostgreSQL returns in about 0.2 ms,
but which Django's ORM took about 2 ms of CPU to compile, on every token request. Its SQL
never changes, only the ids it is asked about, so each process compiles it once with marker ids
in place of the real ones and afterwards executes that SQL with the real ids as parameters.

The data is read fresh every time (nothing here caches an answer), and every value still goes to
the database as a bound parameter. A query whose marker ids do not come out as parameters of
their own (the ORM inlined or transformed one) is never cached: it runs through the ORM.

``rows`` hands back what the driver returns; ``values`` also applies the ORM's converters (a
date-time from SQLite's text, JSON from a database without a JSON type), as ``values_list``
would. Parameters may be ids or strings (a token's checksum).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

_MARK_BASE = -7_391_000_000  # ids no row has: negative, and far from any real one
_TEXT_MARK = "\x1ecompiled-query-mark-"  # a string no caller passes: a control character
_UNCACHEABLE = object()
_compiled: dict[tuple, object] = {}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: list[tuple[bool, object]]  # (is a marker, the parameter's name or its fixed value)
    using: str
    converters: dict  # the compiler's: position -> (converters, expression)


def rows(name: str, build: Callable[..., QuerySet], **ids: int | str) -> list[tuple]:
    """The rows of ``build(**ids)`` (a ``values_list`` query), compiled once per process for
    ``name`` and the database it runs on, as the driver returns them."""
    compiled = _compiled_for(name, build, ids)
    if compiled is _UNCACHEABLE:
        return list(build(**ids))
    return _execute(compiled, ids)


def values(name: str, build: Callable[..., QuerySet], **params: int | str) -> list[list]:
    """Like ``rows``, with each column converted as the ORM converts it."""
    compiled = _compiled_for(name, build, params)
    if compiled is _UNCACHEABLE:
        return [list(row) for row in build(**params)]
    connection = connections[compiled.using]
    converted = []
    for row in _execute(compiled, params):
        row = list(row)
        for position, (converters, expression) in compiled.converters.items():
            for converter in converters:
                row[position] = converter(row[position], expression, connection)
        converted.append(row)
    return converted


def _compiled_for(name: str, build, params: dict):
    if any(type(value) not in (int, str) for value in params.values()):
        return _UNCACHEABLE  # None, say, must become IS NULL: only the ORM knows
    key = (name, tuple(sorted((param, type(value)) for param, value in params.items())))
    compiled = _compiled.get(key)
    if compiled is None:
        types = {param: type(value) for param, value in params.items()}
        compiled = _compiled[key] = _compile(build, types)
    return compiled


def _execute(compiled: _Compiled, params: dict) -> list[tuple]:
    bound = [params[value] if is_mark else value for is_mark, value in compiled.slots]
    with connections[compiled.using].cursor() as cursor:
        cursor.execute(compiled.sql, bound)
        return cursor.fetchall()


def _compile(build, types: dict[str, type]):
    marks = {
        name: f"{_TEXT_MARK}{index}" if kind is str else _MARK_BASE - index
        for index, (name, kind) in enumerate(sorted(types.items()))
    }
    queryset = build(**marks)
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    name_of = {(type(mark), mark): name for name, mark in marks.items()}
    slots = [
        (True, name_of[type(param), param])
        if type(param) in (int, str) and (type(param), param) in name_of
        else (False, param)
        for param in params
    ]
    placed = {value for is_mark, value in slots if is_mark}
    if placed != set(types) or str(_MARK_BASE)[:6] in sql or _TEXT_MARK in sql:
        return _UNCACHEABLE
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    return _Compiled(sql=sql, slots=slots, using=queryset.db, converters=converters)


def forget() -> None:
    """Compile again on next use (a test that swaps the database or the models)."""
    _compiled.clear()
