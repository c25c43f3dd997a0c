"""Writes of the token endpoint's hot path: SQL compiled once per process, sent together.

Issuing a token writes a handful of rows (the audit event, the redeemed code's record, the
consent's last use, the code's session link) and deletes the code. Through the ORM each write
cost some 0.2-0.4 ms of CPU to build and compile, and each was a round trip of its own (about
0.1 ms of CPU in the driver and the kernel). Their SQL never changes, only the values.

``insert`` saves a new instance as ``Model.save`` does (``pre_save``/``post_save`` sent, the
returned id set, converters applied) with its ``INSERT`` compiled once per model. ``update``,
``save_fields`` and ``delete`` write by plain equality on columns. Inside
``batched()`` (the token endpoint's transaction) these, and an ``insert(obj, hold=True)`` (the
audit event), are held back and sent at the end in one round trip on PostgreSQL
(``prepared.run_all``: prepared, in psycopg's pipeline mode; each statement's result is read
in turn, so a held insert still gets its id) and one after the other elsewhere; without a batch
they run at once, prepared too.

Only writes that nothing in the same request reads back may be held back; a held-back write
reports no row count, and a held insert gets its id and its ``post_save`` when the batch is
sent. Writes made at once inside the block (an ``insert`` not held) may reach the database
before held ones (a write the ORM makes sends what was held first): hold only writes whose order
against the others does not matter, none that frees or takes a unique key another one needs.

Every value is still a bound parameter. Whatever the fast path cannot do exactly as the ORM
would (a model with parents, an expression, a ``None`` key, a database that cannot return the
new id, a receiver of delete signals) goes through the ORM.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.db.models.sql import InsertQuery

from oauth_portal.db import prepared

_UNSUPPORTED = object()
_inserts: dict[tuple, object] = {}
_statements: dict[tuple, str] = {}

# The writes held back by the innermost ``batched()`` of this thread or task, by database.
_held: ContextVar[dict[str, list] | None] = ContextVar("compiled_writes_held", default=None)


@dataclass(frozen=True)
class _Write:
    """One held-back statement, and what to do with the rows it returns once sent (an insert's
    new id, a delete's signals)."""

    sql: str
    params: list
    done: Callable[[list[tuple]], None] | None = None


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: list
    returning: list
    compiler: object
    converters: dict


def insert(obj: Model, *, hold: bool = False) -> None:
    """Save the new instance ``obj`` as ``obj.save()`` would: at once, or with ``hold`` inside
    a batch, with the batch (its id set and ``post_save`` sent then; ``pre_save`` now)."""
    model = obj.__class__
    using = router.db_for_write(model, instance=obj)
    plan = _insert_plan(model, using)
    if plan is _UNSUPPORTED or not obj._state.adding or obj.pk is not None:
        send_held(using)
        obj.save(using=using)
        return
    obj._prepare_related_fields_for_save(operation_name="save")
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    held = _held.get() if hold else None
    with transaction.mark_for_rollback_on_error(using=using):
        values = [field.pre_save(obj, add=True) for field in plan.fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            send_held(using)
            manager, fields, returning = model._base_manager, plan.fields, plan.returning
            returned = obj._do_insert(manager, using, fields, returning, False)[0]
        elif held is not None:
            params = _insert_params(plan, using, values)
            done = partial(_inserted_with_rows, obj, plan, using)
            held.setdefault(using, []).append(_Write(plan.sql, params, done))
            return
        else:
            returned = _run_insert(plan, using, values)
    _inserted(obj, plan, using, returned)


def _inserted_with_rows(obj: Model, plan: "_Insert", using: str, rows: list[tuple]) -> None:
    _inserted(obj, plan, using, _converted(plan, rows[0]))


def _inserted(obj: Model, plan: "_Insert", using: str, returned) -> None:
    for value, field in zip(returned, plan.returning, strict=True):
        setattr(obj, field.attname, value)
    obj._state.db = using
    obj._state.adding = False
    post_save.send(
        sender=type(obj), instance=obj, created=True, update_fields=None, raw=False, using=using
    )


def update(model: type[Model], where: dict, **values) -> int | None:
    """``model.objects.filter(**where).update(**values)`` for equality filters on columns.

    Returns the number of rows changed, or None when the write is held back in a batch.
    """
    using = router.db_for_write(model)
    connection = connections[using]
    statement = _statement("update", model, using, tuple(where), tuple(values))
    if statement is _UNSUPPORTED or None in where.values() or _has_expression(values):
        send_held(using)
        return model._base_manager.using(using).filter(**where).update(**values)
    params = []
    for name, value in values.items():
        field = model._meta.get_field(name)
        if isinstance(value, Model):  # a related row: its key, as QuerySet.update stores it
            value = value.prepare_database_save(field)
        params.append(field.get_db_prep_save(value, connection=connection))
    params += _where_params(model, where, connection)
    return _write(using, statement, params)


def save_fields(obj: Model, *names: str) -> None:
    """``obj.save(update_fields=names)`` for a row already stored: one compiled ``UPDATE`` by its
    key (held back in a batch), or the ORM's save when someone listens to the model's saves.

    For a row this transaction has locked: a held-back write cannot report that no row matched.
    """
    model = type(obj)
    if _save_receivers(model):
        send_held(router.db_for_write(model, instance=obj))
        obj.save(update_fields=names)
        return
    fields = [model._meta.get_field(name) for name in names]
    update(model, {"pk": obj.pk}, **{field.name: field.pre_save(obj, False) for field in fields})


def delete(model: type[Model], where: dict, *, cleared: tuple = ()) -> int | None:
    """Delete rows of a model nothing references, by equality on columns, without collecting.

    Django's deletion collector looks for related rows and sends delete signals; a model that
    no other model points at and that nobody listens to needs neither. ``cleared`` names the
    foreign keys (fields of other models) whose rows pointing at these the caller has deleted
    just before. Anything else (and a ``None`` key) is deleted by the ORM. Returns the number
    of rows, or None when held back.
    """
    using = router.db_for_write(model)
    statement = _statement("delete", model, using, tuple(where), ())
    referenced = any(relation.field not in cleared for relation in model._meta.related_objects)
    listened = pre_delete.has_listeners(model) or post_delete.has_listeners(model)
    if statement is _UNSUPPORTED or referenced or listened or None in where.values():
        send_held(using)
        _, deleted = model._base_manager.using(using).filter(**where).delete()
        return deleted.get(model._meta.label, 0)
    return _write(using, statement, _where_params(model, where, connections[using]))


@contextmanager
def batched() -> Iterator[None]:
    """Hold back ``update``, ``save_fields``, ``delete`` and ``insert(hold=True)`` until the block
    ends, then send them.

    Use inside the transaction the writes belong to; if the block raises, they are dropped with
    the rest of the transaction's work.
    """
    held: dict[str, list] = {}
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    for using, writes in held.items():
        _send(using, writes)


def send_held(using: str) -> None:
    """Before a write the ORM makes at once in a batch: what was held back goes first, in order."""
    held = _held.get()
    if held and held.get(using):
        _send(using, held.pop(using))


def _write(using: str, sql: str, params: list) -> int | None:
    held = _held.get()
    if held is not None:
        held.setdefault(using, []).append(_Write(sql, params))
        return None
    with transaction.mark_for_rollback_on_error(using=using):
        with prepared.cursor(using) as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount


def _send(using: str, writes: list[_Write]) -> None:
    """Run ``writes`` in order, in one round trip where the database allows it
    (``prepared.run_all``), then finish each with the rows it returned (a held insert's id and
    ``post_save``, a held delete's ``post_delete``)."""
    with transaction.mark_for_rollback_on_error(using=using):
        results = prepared.run_all(using, [(write.sql, write.params) for write in writes])
    for write, rows in zip(writes, results, strict=True):
        if write.done is not None:
            write.done(rows)


def run_or_hold(using: str, statements: list[tuple[str, list, Callable | None]], *, hold: bool):
    """Run ``statements`` (SQL, parameters, and what to call with the rows each returns) in one
    round trip where the database allows it, or, with ``hold`` inside a batch, with the batch.

    What was held back before goes first either way.
    """
    held = _held.get() if hold else None
    writes = [_Write(sql, params, done) for sql, params, done in statements]
    if held is not None:
        held.setdefault(using, []).extend(writes)
        return
    send_held(using)
    _send(using, writes)


def _insert_params(plan: _Insert, using: str, values: list) -> list:
    connection = connections[using]
    return [
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(plan.fields, values, strict=True)
    ]


def _run_insert(plan: _Insert, using: str, values: list) -> list:
    with prepared.cursor(using) as cursor:
        cursor.execute(plan.sql, _insert_params(plan, using, values))
        return _converted(plan, cursor.fetchone())


def _converted(plan: _Insert, row) -> list:
    """The returned columns as the ORM hands them back (``SQLInsertCompiler.execute_sql``)."""
    if not plan.converters:
        return list(row)
    return next(iter(plan.compiler.apply_converters([row], plan.converters)))


def _insert_plan(model: type[Model], using: str):
    key = (model, using)
    plan = _inserts.get(key)
    if plan is None:
        plan = _inserts[key] = _compile_insert(model, using)
    return plan


def _compile_insert(model: type[Model], using: str):
    """The ``INSERT ... RETURNING`` that ``Model._save_table`` would send for a new instance.

    Only for the plain case: an auto-increment primary key, no parents, no ordering by a parent
    row, and every column a bound parameter of the field's own (no database defaults, generated
    columns or custom placeholders), on a database that returns the new id from the insert.
    """
    meta = model._meta
    connection = connections[using]
    plain = (
        not meta.proxy
        and not meta.parents
        and not meta.order_with_respect_to
        and meta.auto_field is not None
        and meta.pk is meta.auto_field
        and connection.features.can_return_columns_from_insert
    )
    fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
    if not plain or any(
        field.generated or field.has_db_default() or hasattr(field, "get_placeholder")
        for field in fields
    ):
        return _UNSUPPORTED
    returning = list(meta.db_returning_fields)
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = returning
    statements = compiler.as_sql()
    if len(statements) != 1 or compiler.returning_params:
        return _UNSUPPORTED
    sql, params = statements[0]
    if len(params) != len(fields) or sql.count("%s") != len(fields):
        return _UNSUPPORTED
    columns = [field.get_col(meta.db_table) for field in returning]
    return _Insert(
        sql=sql,
        fields=fields,
        returning=returning,
        compiler=compiler,
        converters=compiler.get_converters(columns),
    )


def _statement(kind: str, model: type[Model], using: str, where: tuple, assigned: tuple):
    key = (kind, model, using, where, assigned)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _compile_statement(kind, model, using, where, assigned)
    return statement


def _compile_statement(kind: str, model, using: str, where: tuple, assigned: tuple):
    meta = model._meta
    quote = connections[using].ops.quote_name
    names = [*where, *assigned]
    if not where or meta.proxy or meta.parents:
        return _UNSUPPORTED
    try:
        fields = {name: meta.pk if name == "pk" else meta.get_field(name) for name in names}
    except FieldDoesNotExist:  # a lookup, a relation's query name: the ORM knows them
        return _UNSUPPORTED
    if any(
        not field.concrete or field.many_to_many or hasattr(field, "get_placeholder")
        for field in fields.values()
    ):
        return _UNSUPPORTED
    condition = " AND ".join(f"{quote(fields[name].column)} = %s" for name in where)
    table = quote(meta.db_table)
    if kind == "delete":
        return f"DELETE FROM {table} WHERE {condition}"  # noqa: S608 - quoted names only
    settings = ", ".join(f"{quote(fields[name].column)} = %s" for name in assigned)
    return f"UPDATE {table} SET {settings} WHERE {condition}"  # noqa: S608 - quoted names only


def _where_params(model, where: dict, connection) -> list:
    meta = model._meta
    return [
        (meta.pk if name == "pk" else meta.get_field(name)).get_db_prep_value(
            value.pk if isinstance(value, Model) else value, connection, prepared=False
        )
        for name, value in where.items()
    ]


def _has_expression(values: dict) -> bool:
    return any(hasattr(value, "resolve_expression") for value in values.values())


def _save_receivers(model) -> bool:
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


def forget() -> None:
    """Compile again on next use (a test that swaps the database or the models)."""
    _inserts.clear()
    _statements.clear()
