"""The scheduled jobs, as a list, and how one of them runs exactly once for a date or period.

Each job has a schedule (read by ``crm.reminders.scheduler`` for ``crm scheduler run``), a run key for a
day (its date, or for the monthly briefing the month it reports; None when not due that day) and
its work: record what is due through ``crm.reminders.notify``. A job run is a row unique on
(job, run key): inserted before the work, marked ``ok`` in the same transaction as the work's
rows, so a second process or a second tick finds it done and does nothing. A run left
``running`` by a dead process, or that failed, is taken over by the next tick.

The delivery job is the exception: it sends whatever is due (claims make it safe to run anywhere
and often), and its row per day only counts its runs and keeps the last outcome.

Jobs push their own app context (``run_scheduled``): the scheduler is its own process, never
part of ``create_app`` or a web worker.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from crm.models import JobRun
from crm.models.notification import JOB_FAILED, OK, RUNNING
from crm.reminders import agenda, notify
from crm.services import periods as P

log = logging.getLogger("crm.reminders.jobs")

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


class JobError(Exception):
    """A job cannot do its work; the message (Chinese) is its recorded outcome."""


@dataclass(frozen=True)
class Schedule:
    kind: str  # daily | monthly | interval
    time: str = "00:00"  # HH:MM, Asia/Shanghai
    day: int = 1  # day of the month (monthly)
    minutes: int = 0  # interval

    def describe(self) -> str:
        if self.kind == "daily":
            return f"每天 {self.time}"
        if self.kind == "monthly":
            return f"每月 {self.day} 日 {self.time}"
        return f"每 {self.minutes} 分钟"

    def next_after(self, now: datetime) -> datetime:
        """The next fire time after ``now`` (aware), in Asia/Shanghai."""
        local = now.astimezone(BUSINESS_TZ)
        if self.kind == "interval":
            return local + timedelta(minutes=self.minutes)
        hour, minute = (int(x) for x in self.time.split(":"))
        candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if self.kind == "daily":
            return candidate if candidate > local else candidate + timedelta(days=1)
        year, month = local.year, local.month
        for _ in range(13):
            try:
                candidate = candidate.replace(year=year, month=month, day=self.day)
            except ValueError:  # the 31st in a short month
                candidate = None
            if candidate is not None and candidate > local:
                return candidate
            candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        raise ValueError(f"no day {self.day} in a year")


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    schedule: Callable[[dict], Schedule]
    run_key: Callable[[date, dict], str | None]
    work: Callable[..., str]
    gated: bool = True


# --------------------------------------------------------------------------------------------
# The work of each job: record what is due on ``day``; return a one-line Chinese summary.


def _record(session, dues, config) -> list[int]:
    return notify.record(
        session, dues, email_configured=bool(config.get("SMTP_HOST")), base_url=config.get("BASE_URL") or ""
    )


def followup_digest_work(session, day: date, key: str, config) -> str:
    dues = agenda.followup_digests(session, day)
    return f"跟进提醒 {len(_record(session, dues, config))} 份（应发 {len(dues)} 份）"


def localisation_followup_work(session, day: date, key: str, config) -> str:
    dues = agenda.localisation_followups(session, day)
    return f"属地化跟进提醒 {len(_record(session, dues, config))} 条（应发 {len(dues)} 条）"


def lease_expiry_work(session, day: date, key: str, config) -> str:
    everyone = agenda.people(session)
    expiring = agenda.lease_expiry_items(session, day, everyone)
    lapsed = agenda.lease_lapsed_items(session, day, everyone)
    digests = notify.record_items_in_digests(
        session,
        expiring + lapsed,
        day,
        everyone,
        email_configured=bool(config.get("SMTP_HOST")),
        base_url=config.get("BASE_URL") or "",
    )
    return f"到期租约 {len(expiring)} 条、到期未处置 {len(lapsed)} 条提醒项，新发出汇总 {len(digests)} 份"


def escalation_work(session, day: date, key: str, config) -> str:
    dues = agenda.escalations(session, day)
    return f"督办汇总 {len(_record(session, dues, config))} 份"


def confirmation_work(session, day: date, key: str, config) -> str:
    dues = agenda.confirmation_reminders(session, day)
    kinds = {d.kind for d in dues}
    who = "管理员（逾期通报）" if "confirm_late" in kinds else "楼宇管理员"
    return f"月度填报提醒 {len(_record(session, dues, config))} 份" + (f"，发给{who}" if dues else "，无需提醒")


def briefing_work(session, day: date, period: str, config) -> str:
    try:
        from crm.monthly_briefing import generate_briefing  # the PDF builders load only when due
    except ModuleNotFoundError as error:
        if error.name not in ("crm.monthly_briefing",):
            raise
        raise JobError("月度简报功能尚未安装（缺少 crm.monthly_briefing），未生成简报") from error
    briefing = generate_briefing(session, period, generated_by=None)
    pdf = briefing.pdf
    if not pdf:
        raise JobError(f"{P.label(period)}简报生成后没有 PDF 内容")
    dues = agenda.briefing_reminders(period, bytes(pdf), agenda.people(session))
    sent = _record(session, dues, config)
    return f"{P.label(period)}简报已生成归档（{len(pdf) / 1024:.0f} KB），发送给 {len(sent)} 位领导和管理员"


def warnings_work(session, day: date, key: str, config) -> str:
    from crm.warnings.evaluate import evaluate

    return evaluate(
        session, day, email_configured=bool(config.get("SMTP_HOST")), base_url=config.get("BASE_URL") or ""
    ).summary()


def import_originals_work(session, day: date, key: str, config) -> str:
    from crm.io.retention import Retention, prune_originals

    return prune_originals(session, Retention.from_config(config)).summary()


def deliver_work(session, day: date, key: str, config) -> str:
    from crm.reminders.outbox import deliver_due

    return deliver_due(session, config).summary()


# --------------------------------------------------------------------------------------------
# The list


def _daily(config) -> Schedule:
    return Schedule("daily", time=config.get("DIGEST_TIME") or "08:30")


def _every_day(day: date, config) -> str:
    return day.isoformat()


def _briefing_schedule(config) -> Schedule:
    return Schedule("monthly", time=config.get("BRIEFING_TIME") or "09:00", day=int(config.get("BRIEFING_DAY") or 6))


def briefing_key(day: date, config) -> str | None:
    """The month to report once the briefing day has come (later days catch up a missed one)."""
    return P.last_complete_month(day) if day.day >= int(config.get("BRIEFING_DAY") or 6) else None


def _retry_schedule(config) -> Schedule:
    return Schedule("interval", minutes=int(config.get("DELIVERY_RETRY_MINUTES") or 5))


JOBS: list[Job] = [
    Job("followup_digest", "每日跟进提醒（招商专员）", _daily, _every_day, followup_digest_work),
    Job("lease_expiry", "租约到期与到期未处置提醒（楼宇管理员）", _daily, _every_day, lease_expiry_work),
    Job("escalation", "逾期督办（管理员）", _daily, _every_day, escalation_work),
    Job("localisation_followup", "属地化跟进提醒", _daily, _every_day, localisation_followup_work),
    Job("monthly_confirmation", "月度填报提醒", _daily, _every_day, confirmation_work),
    Job("monthly_briefing", "月度简报生成与发送", _briefing_schedule, briefing_key, briefing_work),
    Job("warnings", "预警规则评估（新预警通知责任人，条件消失自动解除）", _daily, _every_day, warnings_work),
    Job("import_originals", "清理过期的导入原始文件", _daily, _every_day, import_originals_work),
    Job("deliver", "邮件与群机器人投递（含失败重试）", _retry_schedule, _every_day, deliver_work, gated=False),
]
JOBS_BY_NAME = {job.name: job for job in JOBS}


# --------------------------------------------------------------------------------------------
# Running a job exactly once


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _insert_run(session, job: str, key: str) -> int | None:
    """Insert the (job, key) row unless it exists; its id when this call inserted it."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = (
        insert(JobRun)
        .values(job=job, run_key=key, outcome=RUNNING, runner=runner_id(), attempts=1, started_at=utcnow())
        .on_conflict_do_nothing(index_elements=["job", "run_key"])
        .returning(JobRun.id)
    )
    return session.execute(stmt).scalar()


def _run_abandoned(run: JobRun) -> bool:
    from crm.reminders.outbox import claim_abandoned

    if run.outcome == JOB_FAILED:
        return True
    started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=timezone.utc)
    if run.runner == runner_id():
        return True  # this process runs one job at a time: a "running" row of ours is a leftover
    return claim_abandoned(run.runner, started, utcnow())


def claim_run(session, job: str, key: str) -> int | None:
    """Claim the run of ``job`` for ``key``: its id, or None when done or running elsewhere."""
    run_id = _insert_run(session, job, key)
    session.commit()
    if run_id is not None:
        return run_id
    run = session.scalar(select(JobRun).where(JobRun.job == job, JobRun.run_key == key))
    if run.outcome == OK or not _run_abandoned(run):
        session.commit()
        return None
    taken = session.execute(
        update(JobRun)
        .where(JobRun.id == run.id, JobRun.outcome == run.outcome, JobRun.attempts == run.attempts)
        .values(
            outcome=RUNNING,
            runner=runner_id(),
            attempts=run.attempts + 1,
            started_at=utcnow(),
            finished_at=None,
            detail=None,
        )
    ).rowcount
    session.commit()
    return run.id if taken == 1 else None


def _count_run(session, job: str, key: str) -> int:
    """For the ungated job: the day's row, created or counted up."""
    run_id = _insert_run(session, job, key)
    if run_id is None:
        run = session.scalar(select(JobRun).where(JobRun.job == job, JobRun.run_key == key))
        run.attempts += 1
        run.outcome, run.runner, run.started_at, run.finished_at = RUNNING, runner_id(), utcnow(), None
        run_id = run.id
    session.commit()
    return run_id


@dataclass
class RunResult:
    job: str
    key: str | None
    outcome: str  # ok | failed | done-before | not-due
    detail: str = ""


def run_job(session, job: Job, day: date, config) -> RunResult:
    """Run ``job`` for ``day`` unless it is not due, already done, or running elsewhere."""
    key = job.run_key(day, config)
    if key is None:
        return RunResult(job.name, None, "not-due")
    run_id = claim_run(session, job.name, key) if job.gated else _count_run(session, job.name, key)
    if run_id is None:
        return RunResult(job.name, key, "done-before")
    try:
        detail = job.work(session, day, key, config)
        outcome = OK
    except Exception as error:  # recorded for the admin page; the other jobs still run
        session.rollback()
        detail = error.args[0] if isinstance(error, JobError) else f"{type(error).__name__}: {error}"
        if not isinstance(error, JobError):
            log.exception("job %s for %s failed", job.name, key)
        outcome = JOB_FAILED
    session.execute(
        update(JobRun).where(JobRun.id == run_id).values(outcome=outcome, detail=detail[:2000], finished_at=utcnow())
    )
    session.commit()
    return RunResult(job.name, key, outcome, detail)


def tick(session, day: date, config) -> list[RunResult]:
    """Every job due on ``day``, once, then the deliveries (``crm scheduler tick``)."""
    results = [run_job(session, job, day, config) for job in JOBS if job.gated]
    results.append(run_job(session, JOBS_BY_NAME["deliver"], day, config))
    return results


def run_scheduled(app, names: list[str], catch_up: tuple[str, ...] = ()) -> list[RunResult]:
    """What ``crm scheduler run`` calls on a trigger: the jobs, then deliveries, in an app context.

    ``catch_up`` names monthly jobs to run as well once their day has passed (a scheduler that
    was down on the 6th sends the briefing with the next morning's digests; done is done).
    """
    from crm.extensions import db

    with app.app_context():
        db.session.info["actor_id"] = None
        try:
            day = P.business_today(app.config.get("TODAY"))
            due = list(names) + [name for name in catch_up if day.day > JOBS_BY_NAME[name].schedule(app.config).day]
            results = [run_job(db.session, JOBS_BY_NAME[name], day, app.config) for name in due]
            if "deliver" not in names:
                results.append(run_job(db.session, JOBS_BY_NAME["deliver"], day, app.config))
            for r in results:
                log.info("job %s [%s]: %s %s", r.job, r.key, r.outcome, r.detail)
            return results
        finally:
            db.session.remove()


def last_runs(session) -> dict[str, JobRun]:
    """The latest run row of each job (one query)."""
    from sqlalchemy import func

    latest = select(JobRun.job, func.max(JobRun.started_at).label("started")).group_by(JobRun.job).subquery()
    rows = session.scalars(
        select(JobRun).join(latest, (latest.c.job == JobRun.job) & (latest.c.started == JobRun.started_at))
    )
    return {run.job: run for run in rows}


def recent_runs(session, limit: int = 50) -> list[JobRun]:
    return list(session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)))
