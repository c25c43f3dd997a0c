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
own (the ORM inlined or transformed one) is never cached: it runs through the ORM every time.

``rows`` answers ``values_list`` queries with the database's raw values; ``instances`` answers
model querysets (``select_related``, annotations, ``select_for_update``) with model instances
built the way Django's own ``ModelIterable`` builds them, converters included.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

_MARK_BASE = -7_391_000_000  # ids no row has: negative, and far from any real one
_TEXT_MARK = "compiled-query-mark-7391-"
_UNCACHEABLE = object()
_compiled: dict[tuple, object] = {}

Key = int | str


def rows(name: str, build: Callable[..., QuerySet], **keys: Key) -> list[tuple]:
    """The rows of ``build(**keys)`` (a ``values_list`` query), compiled once per process for
    ``name`` and the database it runs on."""
    compiled = _compiled_for(("rows", name), build, keys)
    if compiled is _UNCACHEABLE:
        return list(build(**keys))
    with connections[compiled.using].cursor() as cursor:
        cursor.execute(compiled.sql, compiled.parameters(keys))
        return cursor.fetchall()


def instances(name: str, build: Callable[..., QuerySet], **keys: Key) -> list:
    """The model instances of ``build(**keys)``, compiled once per process for ``name``."""
    compiled = _compiled_for(("instances", name), build, keys)
    if compiled is _UNCACHEABLE:
        return list(build(**keys))
    connection = connections[compiled.using]
    if compiled.locks and connection.get_autocommit():
        # What the ORM says when it compiles such a query: a lock outside a transaction is
        # released at once, which no caller ever means.
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, compiled.parameters(keys))
        fetched = cursor.fetchall()
    built = compiled.building
    objects = []
    for row in compiled.compiler.results_iter(results=[fetched]):
        obj = built.model.from_db(compiled.using, built.init_list, row[built.start : built.end])
        for populator in built.populators:
            populator.populate(row, obj)
        for attribute, position in built.annotations.items():
            setattr(obj, attribute, row[position])
        objects.append(obj)
    return objects


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
    slots: list[tuple[bool, object]]  # (is a key, the key's name or a fixed parameter)
    using: str
    locks: bool
    compiler: object = None
    building: _Building | None = None

    def parameters(self, keys: dict[str, Key]) -> list:
        return [keys[value] if is_key else value for is_key, value in self.slots]


def _compiled_for(kind: tuple, build, keys: dict[str, Key]):
    cache_key = (*kind, tuple(sorted(keys)))
    compiled = _compiled.get(cache_key)
    if compiled is None:
        compiled = _compiled[cache_key] = _compile(build, keys, models=kind[0] == "instances")
    return compiled


def _mark(index: int, value: Key) -> Key:
    return f"{_TEXT_MARK}{index}" if isinstance(value, str) else _MARK_BASE - index


def _compile(build, keys: dict[str, Key], *, models: bool):
    names = sorted(keys)
    marks = {name: _mark(index, keys[name]) for index, name in enumerate(names)}
    queryset = build(**marks)
    if models and queryset._known_related_objects:
        return _UNCACHEABLE
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    name_of = {(type(mark), mark): name for name, mark in marks.items()}
    slots = [
        (True, name_of[(type(param), param)]) if (type(param), param) in name_of else (False, param)
        for param in params
    ]
    placed = {value for is_key, value in slots if is_key}
    if placed != set(names) or str(_MARK_BASE)[:6] in sql or _TEXT_MARK in sql:
        return _UNCACHEABLE
    locks = bool(queryset.query.select_for_update)
    if not models:
        return _Compiled(sql=sql, slots=slots, using=queryset.db, locks=locks)
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    building = _Building(
        model=klass_info["model"],
        init_list=[column[0].target.attname for column in select[start:end]],
        start=start,
        end=end,
        populators=get_related_populators(klass_info, select, queryset.db),
        annotations=dict(compiler.annotation_col_map or {}),
    )
    return _Compiled(
        sql=sql,
        slots=slots,
        using=queryset.db,
        locks=locks,
        compiler=compiler,
        building=building,
    )


def forget() -> None:
    """Compile again on next use (a test that swaps the database or the models)."""
    _compiled.clear()
