"""Hostile query strings on every GET route of ``app.url_map``, as every role: never a 5xx.

The routes and their paths come from the authorization matrix (``tests/authz_table.py``), which
a test already holds complete against ``app.url_map``; every export kind is added in both
formats. Each route is first asked plainly while the parameters it reads are recorded; then
each of those parameters (and ``page``/``per_page``) gets, one at a time, a number too large for
any column, 1e400 and control characters — one at a time, because a route that refuses one bad
parameter would otherwise hide what another does — and the paging a negative page and size. Names that ``url_for``
takes for itself (``endpoint``, ``kind_name``, ``_external`` …) are sent to every route.
"""

from __future__ import annotations

import pytest

from crm.io.kinds import all_kinds
from crm.web.clean_input import CleanParameters
from tests.authz_table import ROUTES
from tests.test_authz_matrix import build_world, sign_in_as

ROLES = ("admin", "leader", "promoter", "manager")
HOSTILE_VALUES = ("99999999999999999999", "1e400", "\x00\x1b\u202e\ufffe")
# Names url_for takes for itself: a page that passes its query string on must not choke on them.
COLLIDING = ("endpoint", "kind_name", "_external", "_anchor", "_method", "_scheme", "values", "code", "lead_id")


class RecordingDict(dict):
    def __init__(self, data, seen):
        super().__init__(data)
        self.seen = seen

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)


@pytest.fixture()
def read_parameters(monkeypatch):
    """The set that collects every query or form parameter a request reads."""
    seen: set[str] = set()
    for name in ("get", "getlist", "__getitem__", "__contains__"):
        original = getattr(CleanParameters, name)

        def recording(self, key, *args, _original=original, **kwargs):
            seen.add(key)
            return _original(self, key, *args, **kwargs)

        monkeypatch.setattr(CleanParameters, name, recording)
    monkeypatch.setattr(
        CleanParameters,
        "to_dict",
        lambda self, flat=True: RecordingDict(
            {key: self.getlist(key) if not flat else dict.__getitem__(self, key)[0] for key in dict.keys(self)}, seen
        ),
    )
    return seen


def get_paths(values: dict) -> list[str]:
    paths = [
        template.format(**values)
        for method, rule, template, *_ in ROUTES
        if method == "GET" and rule not in ("/logout", "/static/<path:filename>")
    ]
    paths += [f"/exports/{kind.name}?format={fmt}" for kind in all_kinds() for fmt in ("xlsx", "csv")]
    return sorted(set(paths))


def status_of(client, path: str, pairs: list[tuple[str, str]]):
    base, _, fixed = path.partition("?")
    fixed_pairs = [tuple(p.split("=", 1)) for p in fixed.split("&")] if fixed else []
    try:
        return client.get(base, query_string=fixed_pairs + pairs).status_code
    except Exception as error:  # the test app propagates what would be a 500
        return f"{type(error).__name__}: {error}"[:200]


@pytest.mark.parametrize("role", ROLES)
def test_no_get_route_answers_a_hostile_query_with_a_server_error(app, session, read_parameters, role):
    world = build_world(session)
    client = app.test_client()
    sign_in_as(client, world["users"][role])
    failures = []
    for path in get_paths(world["values"]):
        read_parameters.clear()
        cases = {
            "plain": [],
            "colliding names": [(name, "x") for name in COLLIDING],
            "negative paging": [("page", "-3"), ("per_page", "-1")],
        }
        first = status_of(client, path, [])
        for name in sorted((read_parameters - {"format"}) | {"page", "per_page"}):
            for value in HOSTILE_VALUES:
                cases[f"{name}={value!r}"] = [(name, value)]
        cases["plain"] = first
        for case, pairs in cases.items():
            status = pairs if case == "plain" else status_of(client, path, pairs)
            if not isinstance(status, int) or status >= 500:
                failures.append(f"GET {path} [{case}] → {status}")
        session.rollback()
    assert not failures, "\n".join(failures)
