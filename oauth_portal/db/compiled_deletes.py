"""Deleting one row as ``obj.delete()`` does, with compiled statements in one round trip.

Django's deletion collector finds what refers to the row, reads the rows it must cascade to
when someone listens to their deletion, nulls the links that say ``SET_NULL`` and deletes,
each a statement of its own compiled afresh. Rotating a refresh token deletes the access token
it replaces this way on every request: three statements (reading the token's JWT record,
nulling the refresh token's link to it, deleting it) and, measured in the worker, about a
quarter of a rotation's CPU, most of it the collector's own Python.

``delete_instance`` does the same for a row whose relations are all of the simple kinds: rows
that refer to it are deleted with it (``CASCADE``) when nothing refers to them in turn, or have
their link nulled (``SET_NULL``), or are left alone (``DO_NOTHING``). Each of these is one
statement compiled once per model, all are sent together (in one round trip, or with the
token request's other held-back writes), and the signals go out as the collector sends them:
``pre_delete`` for the row, then ``post_delete`` for each cascaded row (read back with
``RETURNING``) and for the row. Anything else (another ``on_delete``, a cascade that would go
further, a listener to a cascaded row's ``pre_delete``, a database that cannot return deleted
rows) is ``obj.delete()``.
"""

from dataclasses import dataclass
from functools import partial

from django.db import connections, models, router, transaction
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.signals import post_delete, pre_delete
from django.db.models.sql import Query

from oauth_portal.db import compiled_writes

_UNSUPPORTED = object()
_plans: dict[tuple, object] = {}


@dataclass(frozen=True)
class _Cascade:
    model: type[models.Model]
    sql: str
    columns: list[str]  # the attnames ``RETURNING`` reads back, in order
    compiler: object  # converts them as the ORM would (SQLite's date-times come back as text)
    converters: dict

    def instances(self, using: str, rows: list[tuple]):
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [self.model.from_db(using, self.columns, row) for row in rows]


@dataclass(frozen=True)
class _Deletion:
    cascades: list[_Cascade]
    nulled: list[tuple[models.Field, str]]  # the link, and the UPDATE that nulls it
    sql: str


def delete_instance(obj: models.Model, *, cleared: tuple = (), hold: bool = False) -> None:
    """Delete the stored row ``obj`` as ``obj.delete()`` would (signals, cascades, nulled links;
    its primary key set to None once the row is gone).

    ``cleared`` names links (fields of other models, ``SET_NULL``) that the caller nulls itself
    in the same transaction: the rows it names are not updated here. With ``hold`` inside a
    ``compiled_writes.batched()`` block the statements go with the batch's, and the
    ``post_delete`` signals when it is sent (``pre_delete`` now): only for a row nothing in the
    request reads again.
    """
    model = type(obj)
    using = router.db_for_write(model, instance=obj)
    plan = _plan(model, using)
    if plan is _UNSUPPORTED or obj.pk is None or _listened_before(plan):
        compiled_writes.send_held(using)
        obj.delete(using=using)
        return
    connection = connections[using]
    key = model._meta.pk.get_db_prep_value(obj.pk, connection, prepared=False)
    statements = [
        (cascade.sql, [key], partial(_cascaded, cascade, using, obj)) for cascade in plan.cascades
    ]
    statements += [(sql, [key], None) for field, sql in plan.nulled if field not in cleared]
    statements.append((plan.sql, [key], partial(_deleted, obj, using)))
    with transaction.atomic(using=using, savepoint=False):
        if not model._meta.auto_created:
            pre_delete.send(sender=model, instance=obj, using=using, origin=obj)
        compiled_writes.run_or_hold(using, statements, hold=hold)


def _cascaded(cascade: _Cascade, using: str, origin: models.Model, rows: list[tuple]) -> None:
    for deleted in cascade.instances(using, rows):
        post_delete.send(sender=cascade.model, instance=deleted, using=using, origin=origin)


def _deleted(obj: models.Model, using: str, rows: list[tuple]) -> None:
    model = type(obj)
    if not model._meta.auto_created:
        post_delete.send(sender=model, instance=obj, using=using, origin=obj)
    setattr(obj, model._meta.pk.attname, None)


def _listened_before(plan: _Deletion) -> bool:
    """Whether someone wants to hear of a cascaded row before it goes (the rows are not read)."""
    return any(pre_delete.has_listeners(cascade.model) for cascade in plan.cascades)


def _plan(model: type[models.Model], using: str):
    key = (model, using)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _compile(model, using)
    return plan


def _compile(model: type[models.Model], using: str):
    meta = model._meta
    connection = connections[using]
    quote = connection.ops.quote_name
    if meta.proxy or meta.parents or not connection.features.can_return_columns_from_insert:
        return _UNSUPPORTED
    cascades, nulled = [], []
    for relation in get_candidate_relations_to_delete(meta):
        on_delete, field = relation.on_delete, relation.field
        if on_delete is models.DO_NOTHING:
            continue
        if not isinstance(field, models.ForeignKey) or field.target_field != meta.pk:
            return _UNSUPPORTED
        related = relation.related_model._meta
        table, column = quote(related.db_table), quote(field.column)
        if on_delete is models.SET_NULL:
            update = f"UPDATE {table} SET {column} = NULL WHERE {column} = %s"  # noqa: S608
            nulled.append((field, update))
        elif on_delete is models.CASCADE and _is_leaf(related):
            cascades.append(_cascade(relation.related_model, table, column, using))
        else:
            return _UNSUPPORTED
    own = f"DELETE FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    return _Deletion(cascades=cascades, nulled=nulled, sql=own)


def _cascade(model: type[models.Model], table: str, column: str, using: str) -> _Cascade:
    fields = model._meta.concrete_fields
    quote = connections[using].ops.quote_name
    returned = ", ".join(quote(field.column) for field in fields)
    sql = f"DELETE FROM {table} WHERE {column} = %s RETURNING {returned}"  # noqa: S608
    compiler = Query(model).get_compiler(using=using)
    converters = compiler.get_converters([field.get_col(model._meta.db_table) for field in fields])
    columns = [field.attname for field in fields]
    return _Cascade(model, sql, columns, compiler, converters)


def _is_leaf(meta) -> bool:
    """A model whose rows nothing refers to, so deleting them cascades no further."""
    referred_to = any(True for _ in get_candidate_relations_to_delete(meta))
    return not meta.proxy and not meta.parents and not referred_to


def forget() -> None:
    """Compile again on next use (a test that swaps the database or the models)."""
    _plans.clear()
