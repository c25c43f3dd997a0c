"""Hot-path queries compiled to SQL once per process, then only executed.

A token request reads a few rows by key: the client by its ``client_id``, the code or refresh
token being redeemed with what comes with it, the scopes the client may still ask for. The
database answers each in a fraction of a millisecond, but Django's ORM spent one to two
milliseconds of CPU compiling each query (a client row has some forty columns; the code's read
joins its user, its sign-in record and a subquery), on every request. Their SQL never changes,
only the keys they are asked about, so each process compiles each query once with marker values
in place of the keys and afterwards executes that SQL with the real keys as parameters.

The data is read fresh every time (nothing here caches an answer), and every value still goes to
the database as a bound parameter. A query whose markers do not come out as parameters of their
own (the ORM inlined or transformed one), or asked with a key that is neither an id nor a string
(``None`` must become ``IS NULL``: only the ORM knows), runs through the ORM every time.

``rows`` hands back what the driver returns; ``values`` also applies the ORM's converters (a
date-time from SQLite's text, JSON from a database without a JSON type), as ``values_list``
would; ``instances`` answers model querysets (``select_related``, annotations,
``select_for_update``) with model instances built the way Django's ``ModelIterable`` builds them.
``run_together`` sends reads that do not depend on each other in one round trip.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

from oauth_portal.db import model_instances, prepared

_MARK_BASE = -7_391_000_000  # ids no row has: negative, and far from any real one
_TEXT_MARK = "\x1ecompiled-query-mark-"  # a string no caller passes: a control character
_UNCACHEABLE = object()
_compiled: dict[tuple, object] = {}

Key = int | str


@dataclass(frozen=True)
class _Building:
    """What ``ModelIterable`` derives from a compiled query to turn its rows into instances."""

    model: type
    init_list: list[str]
    start: int
    end: int
    populators: list
    annotations: dict[str, int]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: list[tuple[bool, object]]  # (is a marker, the parameter's name or its fixed value)
    using: str
    locks: bool
    compiler: object
    converters: dict  # the compiler's for every selected column: position -> (converters, expr)
    building: _Building | None = None


def rows(name: str, build: Callable[..., QuerySet], **ids: Key) -> list[tuple]:
    """The rows of ``build(**ids)`` (a ``values_list`` query), compiled once per process for
    ``name`` and the database it runs on, as the driver returns them."""
    return run(Read("rows", name, build, ids))


def values(name: str, build: Callable[..., QuerySet], **params: Key) -> list[list]:
    """Like ``rows``, with each column converted as the ORM converts it."""
    return run(Read("values", name, build, params))


def instances(name: str, build: Callable[..., QuerySet], **params: Key) -> list:
    """The model instances of ``build(**params)``, compiled once per process for ``name``."""
    return run(Read("instances", name, build, params))


@dataclass(frozen=True)
class Read:
    """One compiled read, to run alone (``run``) or with others in one round trip
    (``run_together``): ``kind`` is what it answers, as ``rows``, ``values`` or ``instances``."""

    kind: Literal["rows", "values", "instances"]
    name: str
    build: Callable[..., QuerySet]
    params: dict[str, Key]


def run(read: Read) -> list:
    """``read``'s answer, on its own round trip."""
    compiled = _compiled_for((read.kind, read.name), read.build, read.params)
    if compiled is _UNCACHEABLE:
        return _through_the_orm(read)
    return _answer(read.kind, compiled, _execute(compiled, read.params))


def run_together(*reads: Read) -> list[list]:
    """Each read's answer, as ``run`` gives it, the reads sent together: one round trip on
    PostgreSQL (``prepared.run_all``). For reads that do not depend on each other's answers,
    such as a client and the token it asks about. A read the ORM must run (see the module
    docstring), one that locks rows, or reads on different databases run one by one."""
    compiled = [_compiled_for((read.kind, read.name), read.build, read.params) for read in reads]
    if not _batchable(compiled):
        return [run(read) for read in reads]
    answers = prepared.run_all(
        compiled[0].using,
        [(each.sql, _bound(each, read.params)) for each, read in zip(compiled, reads, strict=True)],
    )
    return [
        _answer(read.kind, each, rows)
        for read, each, rows in zip(reads, compiled, answers, strict=True)
    ]


def sent_together(*reads: Read) -> bool:
    """Whether ``run_together`` costs these reads one round trip, rather than one each (as on
    SQLite, where a read nobody turns out to need is better not run)."""
    compiled = [_compiled_for((read.kind, read.name), read.build, read.params) for read in reads]
    return _batchable(compiled) and prepared.sends_together(compiled[0].using)


def _batchable(compiled: list) -> bool:
    return (
        len(compiled) > 1
        and not any(each is _UNCACHEABLE or each.locks for each in compiled)
        and len({each.using for each in compiled}) == 1
    )


def _through_the_orm(read: Read) -> list:
    queryset = read.build(**read.params)
    if read.kind == "values":
        return [list(row) for row in queryset]
    return list(queryset)


def _answer(kind: str, compiled: _Compiled, rows: list[tuple]) -> list:
    if kind == "rows":
        return rows
    if kind == "values":
        return list(_converted(compiled, rows))
    built = compiled.building
    objects = []
    for row in _converted(compiled, rows):
        obj = model_instances.loaded(
            built.model, compiled.using, built.init_list, row[built.start : built.end]
        )
        for populator in built.populators:
            populator.populate(row, obj)
        for attribute, position in built.annotations.items():
            setattr(obj, attribute, row[position])
        objects.append(obj)
    return objects


def _converted(compiled: _Compiled, rows: list[tuple]):
    """Rows as lists, each column converted as the ORM converts it (converters derived once)."""
    if not compiled.converters:
        return map(list, rows)
    return compiled.compiler.apply_converters(rows, compiled.converters)


def _compiled_for(kind: tuple[str, str], build, params: dict):
    if any(type(value) not in (int, str) for value in params.values()):
        return _UNCACHEABLE
    key = (*kind, tuple(sorted((param, type(value)) for param, value in params.items())))
    compiled = _compiled.get(key)
    if compiled is None:
        types = {param: type(value) for param, value in params.items()}
        compiled = _compiled[key] = _compile(build, types, models=kind[0] == "instances")
    return compiled


def _execute(compiled: _Compiled, params: dict) -> list[tuple]:
    connection = connections[compiled.using]
    if compiled.locks and connection.get_autocommit():
        # What the ORM says when it compiles such a query: a lock outside a transaction is
        # released at once, which no caller ever means.
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    with prepared.cursor(compiled.using) as cursor:
        cursor.execute(compiled.sql, _bound(compiled, params))
        return cursor.fetchall()


def _bound(compiled: _Compiled, params: dict) -> list:
    return [params[value] if is_mark else value for is_mark, value in compiled.slots]


def _compile(build, types: dict[str, type], *, models: bool):
    marks = {
        name: f"{_TEXT_MARK}{index}" if kind is str else _MARK_BASE - index
        for index, (name, kind) in enumerate(sorted(types.items()))
    }
    queryset = build(**marks)
    if models and queryset._known_related_objects:
        return _UNCACHEABLE
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
    return _Compiled(
        sql=sql,
        slots=slots,
        using=queryset.db,
        locks=bool(queryset.query.select_for_update),
        compiler=compiler,
        converters=compiler.get_converters([column for column, _, _ in compiler.select]),
        building=_building(compiler, queryset.db) if models else None,
    )


def _building(compiler, using: str) -> _Building:
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Building(
        model=klass_info["model"],
        init_list=[column[0].target.attname for column in select[start:end]],
        start=start,
        end=end,
        populators=get_related_populators(klass_info, select, using),
        annotations=dict(compiler.annotation_col_map or {}),
    )


def forget() -> None:
    """Compile again on next use (a test that swaps the database or the models)."""
    _compiled.clear()
