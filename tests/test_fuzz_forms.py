"""Random Unicode and markup in every form field of every write route: never a 5xx.

Field names come from the route's own page (its GET form) where there is one; each POST is
sent as the admin, who may use every route, with values drawn from nasty strings and random
Unicode (seeded, so a failure reproduces).
"""

from __future__ import annotations

import random
import re

from tests.authz_table import ROUTES
from tests.test_authz_matrix import build_world, sign_in_as

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "NaN",
    "９９",
    "２０２６-１３",
    "2026-02-30",
    "99999999999999999999",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<font color=red>红</font>",
    "&amp;&lt;",
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    '=HYPERLINK("http://x")',
    "\u0000",
    "\u202e反转",
    "🏢" * 50,
    "A" * 5000,
    "西岗区" * 400,
    "\r\n\t",
    "%s%s%n",
    "{{7*7}}",
    "../../etc/passwd",
    "null",
    "true",
]
FIELD_RE = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
GENERIC = ["name", "q", "on", "reason", "area", "note", "notes", "month", "password", "version", "stage"]


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(NASTY)
    return "".join(
        chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0x4E00, 0x9FFF), rng.randint(0x80, 0x2FFF)]))
        for _ in range(rng.randint(1, 40))
    )


def field_names(client, path: str) -> list[str]:
    page = client.get(path)
    names = FIELD_RE.findall(page.get_data(as_text=True)) if page.status_code == 200 else []
    return sorted({n for n in names if n != "csrf_token"}) or GENERIC


def test_no_form_answers_random_input_with_a_server_error(app, session):
    world = build_world(session)
    rng = random.Random(20261128)
    failures = []
    posts = [row for row in ROUTES if row[0] == "POST" and row[1] not in ("/logout",)]
    for _method, rule, template, *_ in posts:
        path = template.format(**world["values"])
        client = app.test_client()
        sign_in_as(client, world["users"]["admin"])
        names = field_names(client, path)
        for _ in range(4):
            data = {name: random_text(rng) for name in names}
            try:
                status = client.post(path, data=data).status_code
            except Exception as error:  # the test app propagates what would be a 500
                status = f"{type(error).__name__}: {error}"[:300]
            if not isinstance(status, int) or status >= 500:
                failures.append(f"POST {path} → {status}")
        session.rollback()
    assert not failures, "\n".join(sorted(set(failures)))
