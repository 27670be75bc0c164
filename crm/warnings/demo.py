"""Warnings for the demo: the rules evaluated over the demo data, and a few of them handled.

The demo's taxpayers fall less steeply than the default 30 % threshold, so the demo lowers the
tax-drop threshold to 20 % (a setting, as an admin would) to show that rule; every demo building
keeps last year's tier on its projection, so 楼宇档次不保 has no demo warning (the tests cover it).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from crm.models import EarlyWarning, Setting, User
from crm.models.warning import PENDING
from crm.warnings.evaluate import evaluate
from crm.warnings.handling import resolve, start_handling

DEMO_SETTINGS = {"warn_tax_drop_pct": "20"}
# Per rule: (notes of the ones taken in hand, (reason, note) of the ones resolved).
HANDLING = {
    "tax_drop": (["已联系企业财务，了解到回款延迟"], [("stabilised", "企业确认四季度回款，经营正常")]),
    "lease_expiry": (["已与企业行政约谈续租意向"], [("renewed", "已签续租意向书，正式合同下月签署")]),
    "outflow": (["已走访企业，核实迁出原因"], [("accepted", "企业集团整体迁往外地，已登记留存联系人")]),
    "occupancy_drop": (["已联系业主梳理空置单元，推送给招商专员"], []),
    "unconfirmed": (["已电话提醒楼宇负责人"], [("data_error", "楼宇已补录并确认")]),
}


def seed_warnings(session, today: date) -> dict[str, int]:
    """Evaluate the rules on ``today`` and handle a few warnings of each rule; flushes, the caller
    commits. Returns the number of warnings per rule."""
    for key, value in DEMO_SETTINGS.items():
        if session.get(Setting, key) is None:
            session.add(Setting(key=key, value=value))
    session.flush()
    outcome = evaluate(session, today)
    users = {u.id: u for u in session.scalars(select(User))}
    for rule, (started, resolved) in HANDLING.items():
        pending = list(
            session.scalars(
                select(EarlyWarning)
                .where(EarlyWarning.rule == rule, EarlyWarning.state == PENDING)
                .order_by(EarlyWarning.tax_at_stake.desc(), EarlyWarning.id)
            )
        )
        for warning, note in zip(pending, started):
            start_handling(session, warning, users.get(warning.owner_id), note)
        for warning, (reason, note) in zip(pending[len(started) :], resolved):
            owner = users.get(warning.owner_id)
            start_handling(session, warning, owner, "")
            resolve(session, warning, owner, reason, note, today)
    session.flush()
    return outcome.created
