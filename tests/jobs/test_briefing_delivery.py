"""`crm scheduler tick --date 2026-12-06` on the demo: the real briefing of November is generated,
archived and mailed — PDF attached — to every leader and admin, once."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import func, select

from crm.models import Briefing, Delivery, JobRun

SUBJECT = "【楼宇招商通】西岗区商务楼宇经济月度简报（2026年11月）"


def briefings_to(smtp, address):
    return [m for m in smtp.to(address) if m["Subject"] == SUBJECT]


def test_the_briefing_day_tick_archives_and_mails_the_real_briefing(app, session, smtp):
    from crm.demo import load_demo

    load_demo(session, scale=1, as_of="2026-11", password="pw-for-tests-123")
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scheduler", "tick", "--date", "2026-12-06"])
    assert result.exit_code == 0, result.output
    assert "月度简报生成与发送：完成 — 2026年11月简报已生成归档" in result.output

    sent = session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.channel == "email", Delivery.status == "sent")
    )
    smtp.wait_for(sent)
    [message] = briefings_to(smtp, "leader@xigang.example")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "西岗区商务楼宇经济月度简报-2026年11月.pdf"
    pdf = attachment.get_content()
    text = "".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "西岗区商务楼宇经济月度简报" in text and "2026年11月" in text and "生成：定时任务" in text
    assert len(briefings_to(smtp, "admin@xigang.example")) == 1  # admins also get their morning digests

    session.expire_all()
    [briefing] = session.scalars(select(Briefing)).all()
    assert (briefing.period, briefing.version, briefing.source, briefing.generated_by_id) == (
        "2026-11",
        1,
        "schedule",
        None,
    )
    assert briefing.pdf == pdf
    # November's tax is not imported yet in the demo: the briefing says so rather than printing zero.
    assert briefing.data["tax_imported"] is False and briefing.data["as_of"]["tax_latest_period"] == "2026-10"

    # A second tick the same day generates and sends nothing more.
    again = runner.invoke(args=["scheduler", "tick", "--date", "2026-12-06"])
    assert "月度简报生成与发送：已运行过，跳过" in again.output
    assert session.scalar(select(JobRun.outcome).where(JobRun.job == "monthly_briefing")) == "ok"
    assert (
        len(session.scalars(select(Briefing.id)).all()) == 1 and len(briefings_to(smtp, "leader@xigang.example")) == 1
    )
