"""The registry of import kinds: every module in this package registers one.

A new kind (the pipeline's ``leads``) is a new module here that subclasses ``ImportKind`` and
decorates it with ``@register``; nothing else needs to know about it. Which roles may import a
kind is the permission action ``imports.<name>`` in ``crm/permissions.py``.
"""

from __future__ import annotations

import importlib
import pkgutil

from crm.services.errors import DomainError

_KINDS: dict = {}
_discovered = False


def register(cls):
    kind = cls()
    _KINDS[kind.name] = kind
    return cls


def _discover() -> None:
    global _discovered
    if not _discovered:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _discovered = True


def all_kinds() -> list:
    _discover()
    return sorted(_KINDS.values(), key=lambda kind: (kind.order, kind.name))


def get_kind(name: str):
    _discover()
    kind = _KINDS.get(name)
    if kind is None:
        names = "、".join(k.name for k in all_kinds())
        raise DomainError(f"没有“{name}”这种导入类型，可选：{names}", field="kind")
    return kind
