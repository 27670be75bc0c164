"""The scheduler process and job runs: APScheduler built from crm.reminders.jobs with coalesce, one
instance and a misfire grace; never imported by the web app; a job run unique per job and date,
taken over when its process died; the ``crm scheduler tick`` command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date, datetime, timezone
from types import SimpleNamespace

import time_machine
from sqlalchemy import select

from crm.reminders.jobs import JOBS, JOBS_BY_NAME, Schedule, claim_run, run_job, run_scheduled
from crm.models import JobRun
from tests.jobs.conftest import make_lead, make_user

SHANGHAI_0830 = datetime(2026, 12, 2, 0, 30, tzinfo=timezone.utc)


def test_the_scheduler_runs_the_job_list_on_its_schedules(app):
    from crm.reminders.scheduler import build_scheduler

    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "followup_digest+lease_expiry+escalation+localisation_followup+monthly_confirmation+warnings+import_originals",
        "monthly_briefing",
        "deliver",
    }
    # Applied to every job when the scheduler starts (APScheduler keeps them as job defaults).
    assert scheduler._job_defaults == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    assert type(scheduler).__name__ == "BlockingScheduler" and str(scheduler.timezone) == "Asia/Shanghai"
    daily = jobs[
        "followup_digest+lease_expiry+escalation+localisation_followup+monthly_confirmation+warnings+import_originals"
    ]
    assert daily.args[1:] == (
        [
            "followup_digest",
            "lease_expiry",
            "escalation",
            "localisation_followup",
            "monthly_confirmation",
            "warnings",
            "import_originals",
        ],
        ("monthly_briefing",),
    )
    now = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)  # 17:00 in Shanghai
    assert daily.trigger.get_next_fire_time(None, now).isoformat() == "2026-12-03T08:30:00+08:00"
    briefing = jobs["monthly_briefing"].trigger.get_next_fire_time(None, now)
    assert briefing.isoformat() == "2026-12-06T09:00:00+08:00"
    assert str(jobs["deliver"].trigger) == "interval[0:05:00]"


def test_schedules_follow_the_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_TIME", "07:45")
    monkeypatch.setitem(app.config, "BRIEFING_DAY", 10)
    by_name = {job.name: job.schedule(app.config) for job in JOBS}
    assert by_name["followup_digest"] == Schedule("daily", time="07:45")
    assert by_name["monthly_briefing"].describe() == "每月 10 日 09:00"
    now = datetime(2026, 12, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, after today's 09:00
    assert by_name["monthly_briefing"].next_after(now).isoformat() == "2027-01-10T09:00:00+08:00"
    assert by_name["followup_digest"].next_after(now).isoformat() == "2026-12-11T07:45:00+08:00"
    assert Schedule("monthly", "09:00", day=31).next_after(now).isoformat() == "2026-12-31T09:00:00+08:00"


def test_the_web_app_never_imports_a_scheduler(database_url, app, tmp_path):
    code = (
        "import sys; from crm import create_app; app = create_app(); "
        "client = app.test_client(); client.get('/login'); "
        "print(sorted(m for m in sys.modules if m.startswith(('apscheduler', 'crm.reminders.scheduler'))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=database_url, CRM_SECRET_KEY="x", CRM_INSTANCE_PATH=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"  # the job list (crm.reminders.jobs) is read by the admin page; APScheduler is not


def test_a_job_run_is_unique_per_job_and_date(app, session):
    assert claim_run(session, "followup_digest", "2026-12-02") is not None
    assert claim_run(session, "followup_digest", "2026-12-03") is not None
    # Running in this process (a live runner) and finished: a second claim gets nothing.
    run = session.scalar(select(JobRun).where(JobRun.run_key == "2026-12-02"))
    run.outcome = "ok"
    session.commit()
    assert claim_run(session, "followup_digest", "2026-12-02") is None
    assert session.scalar(select(JobRun.attempts).where(JobRun.run_key == "2026-12-02")) == 1


def test_a_run_left_by_a_dead_process_is_taken_over_a_live_one_is_not(app, session):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    now = datetime.now(timezone.utc)
    session.add_all(
        [
            JobRun(
                job="escalation",
                run_key="2026-12-02",
                outcome="running",
                runner=f"{host}:{dead.stdout.strip()}",
                started_at=now,
            ),
            JobRun(
                job="lease_expiry",
                run_key="2026-12-02",
                outcome="running",
                runner=f"{host}:{os.getppid()}",
                started_at=now,
            ),
            JobRun(
                job="monthly_confirmation",
                run_key="2026-12-02",
                outcome="failed",
                runner=f"{host}:{os.getppid()}",
                started_at=now,
            ),
        ]
    )
    session.commit()
    assert claim_run(session, "escalation", "2026-12-02") is not None
    assert claim_run(session, "lease_expiry", "2026-12-02") is None
    assert claim_run(session, "monthly_confirmation", "2026-12-02") is not None  # a failed run is tried again
    attempts = dict(session.execute(select(JobRun.job, JobRun.attempts)).all())
    assert attempts == {"escalation": 2, "lease_expiry": 1, "monthly_confirmation": 2}


def test_a_failing_job_records_its_error_and_is_retried_by_the_next_tick(app, session, monkeypatch):
    calls = []

    def broken(session_, day, key, config):
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("数据库连接中断")
        return "第二次成功"

    job = JOBS_BY_NAME["escalation"]
    flaky = type(job)(job.name, job.label, job.schedule, job.run_key, broken)
    first = run_job(session, flaky, date(2026, 12, 2), app.config)
    assert (first.outcome, first.detail) == ("failed", "RuntimeError: 数据库连接中断")
    second = run_job(session, flaky, date(2026, 12, 2), app.config)
    assert (second.outcome, second.detail) == ("ok", "第二次成功")
    run = session.scalar(select(JobRun).where(JobRun.job == "escalation"))
    assert (run.outcome, run.attempts, run.detail) == ("ok", 2, "第二次成功")


def test_the_scheduled_morning_run_catches_up_a_missed_briefing(app, session, monkeypatch):
    made = []
    monkeypatch.setitem(
        sys.modules,
        "crm.monthly_briefing",
        SimpleNamespace(
            generate_briefing=lambda s, month, generated_by=None: made.append(month) or SimpleNamespace(pdf=b"%PDF")
        ),
    )
    monkeypatch.setitem(app.config, "TODAY", "2026-12-05")
    run_scheduled(app, ["followup_digest"], ("monthly_briefing",))
    assert made == []  # before the briefing day: not due
    monkeypatch.setitem(app.config, "TODAY", "2026-12-07")  # the 6th was missed
    results = run_scheduled(app, ["followup_digest"], ("monthly_briefing",))
    assert made == ["2026-11"]
    assert [r.job for r in results] == ["followup_digest", "monthly_briefing", "deliver"]


def test_tick_command_prints_each_job_and_runs_nothing_twice(app, session):
    zs = make_user(session, "zs", "promoter", email=False)
    make_lead(session, zs, "今日", date(2026, 11, 1), next_on=date(2026, 12, 2), last_on=date(2026, 11, 30))
    session.commit()
    runner = app.test_cli_runner()
    with time_machine.travel(SHANGHAI_0830, tick=False):
        first = runner.invoke(args=["scheduler", "tick", "--date", "2026-12-02"])
        second = runner.invoke(args=["scheduler", "tick", "--date", "2026-12-02"])
    assert first.exit_code == 0, first.output
    assert "每日跟进提醒（招商专员）：完成 — 跟进提醒 1 份（应发 1 份）" in first.output
    assert "月度简报生成与发送：今天无需运行" in first.output
    assert "每日跟进提醒（招商专员）：已运行过，跳过" in second.output
    bad = runner.invoke(args=["scheduler", "tick", "--date", "2026-13-40"])
    assert bad.exit_code == 2 and "日期格式不正确" in bad.output
