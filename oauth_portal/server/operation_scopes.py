"""Which scope a request needs: its API's registered operation for the method and path.

Read from the registry snapshot (``registry.snapshot().operations``), so a bearer check costs no
query. The rules, as Azure API Management and Mashery apply per-operation scopes:

- the path is taken relative to the API's ``base_path`` (``/api/colors/5/`` under
  ``/api/colors/`` is ``/5/``) and matched against each operation's template, where
  ``{name}`` matches one path segment; the most literal template wins;
- ``HEAD`` and ``OPTIONS`` need what ``GET`` needs (as DRF's own scope permissions treat them);
- a request no operation matches is refused (deny by default): an endpoint nobody declared
  must not become reachable with any token by accident.
"""

import re
from dataclasses import dataclass

from oauth_portal.server import registry

_PARAMETER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_READ_ALIASES = ("HEAD", "OPTIONS")


@dataclass(frozen=True)
class OperationRule:
    method: str
    path: str
    scope: str
    pattern: re.Pattern

    @property
    def parameters(self) -> int:
        return len(_PARAMETER.findall(self.path))


def template_pattern(template: str) -> re.Pattern:
    """``/colors/{id}/`` as a regular expression matching a whole path."""
    parts = _PARAMETER.split(template)
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "$")


def rules_from_rows(rows) -> dict[str, tuple[OperationRule, ...]]:
    """``(api identifier, method, path, scope name)`` rows as each API's rules, most literal
    first (``/colors/mine/`` before ``/colors/{id}/``)."""
    by_api: dict[str, list[OperationRule]] = {}
    for identifier, method, path, scope in rows:
        rule = OperationRule(method, path, scope, template_pattern(path))
        by_api.setdefault(identifier, []).append(rule)
    return {
        identifier: tuple(sorted(rules, key=lambda r: (r.parameters, -len(r.path))))
        for identifier, rules in by_api.items()
    }


def relative_path(path: str, base_path: str) -> str:
    """``path`` below ``base_path``, starting with ``/`` (``/`` for the base path itself)."""
    rest = path[len(base_path.rstrip("/")) :]
    return rest or "/"


def scope_required(*, path: str, method: str) -> str | None:
    """The scope a token needs for ``method path``; None when no registered operation of the
    API serving ``path`` matches (or no API does), which callers refuse."""
    api = registry.api_serving(path)
    if api is None:
        return None
    rules = registry.snapshot().operations.get(api.identifier, ())
    relative = relative_path(path, api.base_path)
    matching = [rule for rule in rules if rule.pattern.match(relative)]
    wanted = "GET" if method in _READ_ALIASES else method
    return next((rule.scope for rule in matching if rule.method == wanted), None)
