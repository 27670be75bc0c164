"""Cached HTML fragments: the heavy parts of district pages that are the same for every reader.

A stacking plan of 170 units or a table of 350 buildings costs tens of milliseconds to query and
render, and changes only when units, leases, companies or tax do. Such a part is rendered once per
(data-version tokens, what the part depends on) through the figure cache and reused until a
write changes a token. The key must name everything the part shows that is not in the tokens:
month, building, and any permission that changes the markup (e.g. whether the reader manages
the building). Parts hold no CSRF token and nothing else per user or per request.

Behind each worker process's figure cache the parts are also kept in the host's store
(``crm/cache/store.py``), so the worker processes of one host share them: with four gunicorn
workers and 350 buildings most views of a busy hour would otherwise be some worker's first
(measured by ``make loadtest``).

For views only (it renders templates): services import ``crm.cache``, never this module.
"""

from __future__ import annotations

from typing import Callable

from flask import current_app
from markupsafe import Markup

from crm.cache import cached, frozen
from crm.extensions import db


def render_part(template: str, **context) -> str:
    """Render a part without the per-request context processors (the signed-in user, the bell,
    the demo banner): a part shows the same to every reader, and a page that renders three parts
    would otherwise query the bell three times."""
    return current_app.jinja_env.get_template(template).render(**context)


def cached_fragments(
    name: str, depends: tuple[str, ...], key, render: Callable[[], dict[str, str]]
) -> dict[str, Markup]:
    """{part: HTML} from ``render()``, through the figure cache under (``name``, ``key``)."""
    full_key = ("fragment", name, frozen(key))
    parts = cached(db.session, depends, full_key, render, shared=True)
    return {part: Markup(html) for part, html in parts.items()}
