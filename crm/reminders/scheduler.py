"""``crm scheduler run``: the one process that runs the jobs of ``crm.reminders.jobs`` on their schedules.

APScheduler 3 ``BlockingScheduler`` in Asia/Shanghai. coalesce (a backlog of missed fires runs
once), max one instance of each job, a misfire grace time, and a single worker thread so jobs
run one after another and never fight over the database. Nothing imports this module but the
CLI: the web app never starts a scheduler (DESIGN.md rule 4), and running two of these by
mistake still sends nothing twice (job runs and deliveries are claimed in the database).
"""

from __future__ import annotations

import logging

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crm.reminders.jobs import BUSINESS_TZ, JOBS, Schedule, run_scheduled

log = logging.getLogger("crm.reminders.scheduler")

MISFIRE_GRACE_SECONDS = 3600  # a fire missed by less than an hour (restart, sleep) still runs


def trigger_for(schedule: Schedule):
    if schedule.kind == "interval":
        return IntervalTrigger(minutes=schedule.minutes, timezone=BUSINESS_TZ)
    hour, minute = (int(x) for x in schedule.time.split(":"))
    if schedule.kind == "daily":
        return CronTrigger(hour=hour, minute=minute, timezone=BUSINESS_TZ)
    return CronTrigger(day=schedule.day, hour=hour, minute=minute, timezone=BUSINESS_TZ)


def build_scheduler(app) -> BlockingScheduler:
    """A scheduler with one entry per distinct schedule, running its jobs in list order."""
    scheduler = BlockingScheduler(
        timezone=BUSINESS_TZ,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    groups: dict[Schedule, list[str]] = {}
    for job in JOBS:
        groups.setdefault(job.schedule(app.config), []).append(job.name)
    monthly = tuple(job.name for job in JOBS if job.schedule(app.config).kind == "monthly")
    for schedule, names in groups.items():
        catch_up = monthly if schedule.kind == "daily" else ()
        scheduler.add_job(
            run_scheduled,
            trigger_for(schedule),
            args=(app, names, catch_up),
            id="+".join(names),
            name=schedule.describe(),
        )
    return scheduler


def run(app) -> None:
    scheduler = build_scheduler(app)
    for job in scheduler.get_jobs():
        log.info("scheduled %s: %s", job.id, job.name)
    scheduler.start()
