"""Model instances from values already read, the way ``Model.from_db`` makes them, for less.

A bearer check rebuilds its token, the token's application and its user from the token cache
on every API call, and a compiled read builds its rows' instances; ``from_db`` spent more on
that than everything else the check does in Python. It lines the values up against every
concrete field of the model (a list membership test per field), and ``Model.__init__`` then
walks them all again and sends ``pre_init`` and ``post_init``. What an instance ends up with is
only this: the values read, and a ``ModelState`` saying it came from the database. ``loaded``
does exactly that; the fields not read are deferred, as with ``from_db``, and load on first use.
A value goes straight into the instance's ``__dict__`` where Django's own descriptor would put
it there unchanged (a plain field, a foreign key's id: on a new instance there is no cached
related object for it to drop); any other descriptor is called as ``__init__`` calls it.

A model whose class changes how it is built (its own ``__init__`` or ``from_db``) or that has
``pre_init``/``post_init`` receivers (an ``ImageField`` keeping its dimensions, a host site's
signal) still goes through ``from_db``, so nothing that relies on either is skipped.
"""

import functools
from collections.abc import Sequence

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init


def loaded(model: type[Model], using: str, attnames: Sequence[str], values: Sequence):
    """``model.from_db(using, attnames, values)``: ``attnames`` in the model's field order."""
    if not _built_plainly(model) or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(using, attnames, values)
    instance = model.__new__(model)
    state = instance._state = ModelState()
    plain, fields = _plain_attnames(model), instance.__dict__
    for attname, value in zip(attnames, values, strict=True):
        if attname in plain:
            fields[attname] = value
        else:
            setattr(instance, attname, value)
    state.adding = False
    state.db = using
    return instance


@functools.cache
def _built_plainly(model: type[Model]) -> bool:
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and not model._meta.abstract
    )


@functools.cache
def _plain_attnames(model: type[Model]) -> frozenset[str]:
    """The concrete fields whose descriptor stores a value as given."""
    return frozenset(
        field.attname
        for field in model._meta.concrete_fields
        if type(getattr(model, field.attname, None))
        in (DeferredAttribute, ForeignKeyDeferredAttribute)
    )
