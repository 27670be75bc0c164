"""The staff of a busy morning, for ``python -m bench.loadtest`` (locust, headless).

Not run on its own: the orchestrator writes a plan (JSON, path in ``LOADTEST_PLAN``) holding one
"slot" per locust user — the demo account it signs in as and, for promoters, the leads that this
user alone works on (so two simulated people never race for the same lead and every refusal is a
real fault) — and reads back what happened from ``LOADTEST_OUT`` when locust stops.

Each locust user signs in once through the real login form (CSRF token parsed from the page),
then sends one request per task, at random intervals (Poisson arrivals, see ``poisson_pacing``)
that average the plan's rate. The request mix is held at the plan's
shares (80 % page reads, 15 % writes, 5 % imports and PDFs) by choosing, among what the user's
role may do, the kind of request furthest below its share so far:

- reads: the pages of the role (dashboard, buildings, a building, company search, leads, the
  board, follow-ups, tax, reports; managers their own buildings);
- writes (promoters): open one of their leads, then record a follow-up tagged with a unique id;
  or open their board, then drag a card to the next stage (the board's htmx POST);
- heavy (admin, leader): the candidate-list PDF, the latest monthly briefing PDF, and (admin) the
  preview of a small tax file uploaded on /imports.

A response counts as failed when its status is not 2xx/3xx, when its body says "database is
locked", or when it is not what the user wanted (a page that bounced to the login, a write the
server refused, a "PDF" that is not one). Every accepted follow-up tag and every lead's last
accepted stage go to the output so the orchestrator can check that no write was lost.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, events, task
from locust.exception import StopUser

PLAN = json.loads(Path(os.environ["LOADTEST_PLAN"]).read_text(encoding="utf-8"))
OUT = Path(os.environ["LOADTEST_OUT"])

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
BOARD_CARD = re.compile(r'data-lead="(\d+)" data-version="(\d+)"')
LOCKED = b"database is locked"
# Moves stay among the working stages so a lead can always take another follow-up and move.
NEXT_STAGE = {"lead": "contact", "contact": "visit", "visit": "negotiation", "negotiation": "contact"}
STAGE_ORDER = ["lead", "contact", "visit", "negotiation"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

SHARES = PLAN["mix"]  # {"read": .80, "write": .15, "heavy": .05}
CAN = {"admin": ("read", "heavy"), "leader": ("read", "heavy"), "promoter": ("read", "write"), "manager": ("read",)}

# Shared by every user of this (single, gevent) process.
counts: Counter = Counter()  # requests sent per category, sign-ins excluded
samples: list[list] = []  # [start, category, name, ms, status, failure or ""]
accepted_followups: list[str] = []  # tags the server answered with success
final_stages: dict[int, str] = {}  # lead id -> stage of the last accepted move
next_slot = iter(range(len(PLAN["slots"])))


@events.request.add_listener
def record(request_type, name, response_time, response, context, exception, start_time, **_):
    category = context.get("category", "read")
    status = getattr(response, "status_code", 0) or 0
    samples.append(
        [
            round(start_time, 3),
            category,
            name,
            round(response_time, 1),
            status,
            "" if exception is None else str(exception)[:200],
        ]
    )


@events.quitting.add_listener
def write_results(environment, **_):
    OUT.write_text(
        json.dumps(
            {
                "samples": samples,
                "accepted_followups": accepted_followups,
                "final_stages": {str(k): v for k, v in final_stages.items()},
            }
        ),
        encoding="utf-8",
    )


def poisson_pacing(rate: float):
    """Locust wait time for one person starting requests as a Poisson process of ``rate`` per second.

    Each start is due an exponentially distributed time after the previous one was due; when a
    slow answer has made it late, it starts at once and the next one is counted from then (no
    catch-up burst). Fixed pacing (locust's ``constant_throughput``) let the 60 people fall into
    step after the first busy seconds: measured, 90-98 % of all starts fell in the same 50 ms of
    every half second, i.e. sixty clicks at once twice a second, which no office produces.
    """

    def wait_time(user) -> float:
        now = time.monotonic()
        due = getattr(user, "next_due", now) + random.expovariate(rate)
        user.next_due = max(due, now)
        return user.next_due - now

    return wait_time


def wanted_category(role: str) -> str:
    """The category this user may send that lags its share the most (reads when none lags)."""
    total = sum(counts.values()) + 1
    lags = {c: SHARES[c] * total - counts[c] for c in CAN[role] if c != "read"}
    if lags:
        category, lag = max(lags.items(), key=lambda item: item[1])
        if lag > 0:
            return category
    return "read"


class Staff(FastHttpUser):
    """One member of staff signed in as the account of their plan slot."""

    wait_time = poisson_pacing(PLAN["requests_per_user_per_second"])
    # Connection errors and timeouts are failures to report, not crashes of the user.
    network_timeout = PLAN.get("request_timeout", 60.0)
    connection_timeout = 10.0

    def on_start(self):
        slot_index = next(next_slot, None)
        if slot_index is None:
            raise StopUser()
        self.slot = PLAN["slots"][slot_index]
        self.index = slot_index
        self.role = self.slot["role"]
        self.leads = {int(k): v for k, v in self.slot.get("leads", {}).items()}  # id -> current stage
        self.sequence = 0
        self.next_step = None  # the second half of a write: (callable, args)
        self.sign_in()

    # ------------------------------------------------------------------ plumbing

    def send(self, method, url, category, name=None, expect=(200,), data=None, headers=None, check=None):
        """One request; returns its body (bytes) when it succeeded as the user wanted, else None."""
        if category != "signin":
            counts[category] += 1
        with self.client.request(
            method,
            url,
            name=name or url,
            data=data,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
            context={"category": category},
        ) as response:
            body = response.content or b""
            status = response.status_code or 0
            if not 200 <= status < 400:
                response.failure(f"HTTP {status}" + (" database is locked" if LOCKED in body else ""))
                return None
            if LOCKED in body:
                response.failure("database is locked")
                return None
            if status not in expect:
                where = response.headers.get("Location", "") if response.headers else ""
                response.failure(f"HTTP {status} (wanted {'/'.join(map(str, expect))}) {where}".strip())
                return None
            problem = check(response, body) if check else None
            if problem:
                response.failure(problem)
                return None
            response.success()
            return body

    def sign_in(self):
        page = self.send("GET", "/login", "signin")
        token = CSRF.search(page.decode()) if page else None
        if token is None:
            raise StopUser()
        form = {"csrf_token": token.group(1), "username": self.slot["username"], "password": PLAN["password"]}

        def landed(response, body):
            target = response.headers.get("Location", "")
            return None if "/login" not in target else f"sign-in refused for {self.slot['username']}"

        if (
            self.send("POST", "/login", "signin", data=urlencode(form), headers=FORM, expect=(302,), check=landed)
            is None
        ):
            raise StopUser()

    def page(self, url, name=None, category="read"):
        return self.send("GET", url, category, name=name)

    # ------------------------------------------------------------------ what a user does

    @task
    def step(self):
        if self.next_step is not None:
            action, args = self.next_step
            self.next_step = None
            action(*args)
            return
        category = wanted_category(self.role)
        if category == "write" and self.leads:
            (self.open_lead if random.random() < 0.6 else self.open_board)()
        elif category == "heavy":
            self.heavy()
        else:
            self.read()

    def read(self):
        url, name = random.choice(self.slot["pages"])
        if "{code}" in url:
            url = url.replace("{code}", random.choice(self.slot["buildings"]))
        if "{q}" in url:
            url = url.replace("{q}", random.choice(PLAN["queries"]))
        self.page(url, name)

    # writes: a read of the page the person acts on, then the POST as the next task

    def open_lead(self):
        lead_id = random.choice(list(self.leads))
        body = self.page(f"/leads/{lead_id}", "/leads/<id>")
        token = CSRF.search(body.decode()) if body else None
        if token:
            self.next_step = (self.post_followup, (lead_id, token.group(1)))

    def post_followup(self, lead_id, token):
        self.sequence += 1
        tag = f"LT-{PLAN['run_id']}-{self.index}-{self.sequence}"
        form = {
            "csrf_token": token,
            "method": "电话",
            "notes": f"压测跟进 {tag}：电话沟通意向面积与入驻时间",
            "on": "",
            "next_on": "",
        }

        def back_to_lead(response, body):
            target = response.headers.get("Location", "")
            return (
                None if target.endswith(f"/leads/{lead_id}") else f"follow-up not saved (went to {target or 'nowhere'})"
            )

        if (
            self.send(
                "POST",
                f"/leads/{lead_id}/followups",
                "write",
                name="/leads/<id>/followups",
                data=urlencode(form),
                headers=FORM,
                expect=(302,),
                check=back_to_lead,
            )
            is not None
        ):
            accepted_followups.append(tag)

    def open_board(self):
        body = self.page("/leads/board?owner=me", "/leads/board?owner=me")
        if not body:
            return
        html = body.decode()
        token = META_CSRF.search(html)
        versions = {int(lead): int(version) for lead, version in BOARD_CARD.findall(html)}
        mine = [lead for lead in self.leads if lead in versions]
        if token and mine:
            lead_id = random.choice(mine)
            self.next_step = (self.move_card, (lead_id, versions[lead_id], token.group(1)))

    def move_card(self, lead_id, version, token):
        stage = NEXT_STAGE[self.leads[lead_id]]
        headers = {"HX-Request": "true", "X-CSRFToken": token, **FORM}
        form = {"stage": stage, "version": version, "owner": "me"}
        if STAGE_ORDER.index(stage) < STAGE_ORDER.index(self.leads[lead_id]):
            form["reason"] = "压测：企业重新比较方案，退回接洽"  # a backward move states why, as on the board
        if (
            self.send(
                "POST",
                f"/leads/{lead_id}/stage",
                "write",
                name="/leads/<id>/stage",
                data=urlencode(form),
                headers=headers,
                expect=(200,),
            )
            is not None
        ):
            self.leads[lead_id] = stage
            final_stages[lead_id] = stage

    # heavy: PDFs for leadership, an import preview for the admin

    def heavy(self):
        if self.role == "admin" and PLAN.get("import_csv") and random.random() < 0.5:
            body = self.page("/imports?kind=tax", "/imports")
            token = CSRF.search(body.decode()) if body else None
            if token:
                self.next_step = (self.upload_tax, (token.group(1),))
            return
        pdfs = PLAN["pdfs"]
        url, name = random.choice(pdfs)

        def is_pdf(response, body):
            kind = response.headers.get("Content-Type", "")
            return None if kind.startswith("application/pdf") and body.startswith(b"%PDF") else f"not a PDF ({kind})"

        self.send("GET", url, "heavy", name=name, check=is_pdf)

    def upload_tax(self, token):
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntax\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="税收-{self.index}-{int(time.time())}.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n",
        ]
        body = "".join(parts).encode() + PLAN["import_csv"].encode("utf-8") + f"\r\n--{boundary}--\r\n".encode()

        def previewed(response, page):
            target = response.headers.get("Location", "")
            return (
                None if re.search(r"/imports/\d+$", target) else f"import not previewed (went to {target or 'nowhere'})"
            )

        self.send(
            "POST",
            "/imports",
            "heavy",
            name="/imports (upload)",
            data=body,
            expect=(302,),
            check=previewed,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
