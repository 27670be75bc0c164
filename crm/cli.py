"""The ``crm`` command group (also ``flask --app crm …``).

Each command is one transaction: it commits at the end or, on a domain error, rolls back and exits
non-zero with a Chinese message.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.services.bounds import FIRST_DAY, LAST_DAY, check_day, clean_text


def register(app) -> None:
    app.cli.add_command(demo_group)
    app.cli.add_command(users_group)
    app.cli.add_command(check_deploy)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(scheduler_group)
    app.cli.add_command(report_group)
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
    app.cli.add_command(warnings_group)
    app.cli.add_command(cache_group)


@click.group("demo", help="演示数据")
def demo_group():
    pass


@demo_group.command("load", help="载入确定性的演示数据（仅用于演示与基准测试）")
@click.option("--scale", default=1, type=click.IntRange(1, 100), show_default=True, help="规模倍数")
@click.option("--as-of", "as_of", default=None, help="演示数据的“当前月份” YYYY-MM，默认本月")
@click.option("--if-empty", is_flag=True, help="数据库已有楼宇时什么也不做")
@with_appcontext
def demo_load(scale, as_of, if_empty):
    from crm.demo import load_demo
    from crm.models import Building
    from crm.services.errors import DomainError
    from crm.services.periods import business_today, parse_period, period_of

    if if_empty and db.session.scalar(select(Building.id).limit(1)) is not None:
        click.echo("数据库中已有数据，跳过演示数据载入。")
        return
    try:
        today = business_today(current_app.config["TODAY"])
        as_of = parse_period(as_of, "--as-of") if as_of else period_of(today)
        stats = load_demo(
            db.session, scale=scale, as_of=as_of, password=current_app.config["DEMO_PASSWORD"], today=today
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    click.echo("演示数据已载入：" + "，".join(f"{k} {v:,}" for k, v in stats.items()))


@demo_group.command("logins", help="显示演示账号")
@with_appcontext
def demo_logins():
    from crm.models import User

    if db.session.scalar(select(User.id).where(User.username == "admin")) is None:
        click.echo("尚未创建演示账号（数据库中没有演示数据）。")
        return
    print_demo_logins()


def print_demo_logins() -> None:
    from crm.demo import DEMO_USERS

    password = current_app.config["DEMO_PASSWORD"]
    click.echo(f"演示账号（密码均为 {password}）：")
    for username, role_label, note in DEMO_USERS:
        click.echo(f"  {username:<12} {role_label}{'  ' + note if note else ''}")


@click.group("users", help="用户管理")
def users_group():
    pass


class CleanText(click.ParamType):
    """A text argument that is stored: control characters are dropped, as on every input path."""

    name = "text"

    def convert(self, value, param, ctx):
        return clean_text(value)


TEXT = CleanText()


@users_group.command("create", help="创建用户")
@click.argument("username", type=TEXT)
@click.option("--role", required=True, type=click.Choice(["admin", "leader", "promoter", "manager"]))
@click.option("--building", "buildings", multiple=True, help="楼宇编码（楼宇管理员负责的楼宇，可多次给出）")
@click.option("--name", "display_name", default=None, type=TEXT, help="显示姓名")
@click.option("--email", default=None, type=TEXT)
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码")
@with_appcontext
def users_create(username, role, buildings, display_name, email, password):
    from crm.services.errors import DomainError
    from crm.accounts.users import create_user

    try:
        user = create_user(db.session, username, role, password, list(buildings), display_name, email)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    click.echo(f"已创建用户 {user.username}（{user.role_label}）")


@users_group.command("list", help="列出用户")
@with_appcontext
def users_list():
    from crm.models import User

    for user in db.session.scalars(select(User).order_by(User.username)):
        codes = ",".join(b.code for b in user.buildings)
        state = "" if user.active else "（已停用）"
        click.echo(f"{user.username:<14} {user.role:<9} {user.display_name}{state} {codes}".rstrip())


@click.command("check-deploy", help="检查生产部署配置，有问题时以非零状态退出")
@with_appcontext
def check_deploy():
    import os

    from crm.deploy_check import deployment_problems

    problems = deployment_problems(current_app.config, dict(os.environ))
    for problem in problems:
        click.echo(f"✗ {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("✓ 部署配置检查通过")


@click.command("backup", help="在线备份数据库（SQLite 备份 API / pg_dump 自定义格式）")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(out_path):
    from crm.backup import backup
    from crm.services.errors import DomainError

    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], out_path)
    except DomainError as error:
        raise click.ClickException(error.message)
    click.echo(f"已备份到 {out_path}")


@click.command("restore", help="把备份恢复到一个空数据库")
@click.argument("backup_file", type=click.Path(dir_okay=False))
@with_appcontext
def restore_command(backup_file):
    from crm.backup import restore
    from crm.services.errors import DomainError

    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], backup_file, db.engine)
    except DomainError as error:
        raise click.ClickException(error.message)
    click.echo(f"已从 {backup_file} 恢复")


@click.group("scheduler", help="定时任务：提醒、月度简报与投递（独立进程运行，勿在 Web 进程中启动）")
def scheduler_group():
    pass


@scheduler_group.command("run", help="作为独立进程按计划运行全部定时任务（阻塞运行，Ctrl+C 退出）")
@click.option(
    "--catch-up",
    "catch_up",
    is_flag=True,
    help="启动时先把今天到期的任务各运行一次（已运行过的跳过），如今天的晨间提醒；make run 使用",
)
@with_appcontext
def scheduler_run(catch_up):
    import logging

    from crm.reminders import scheduler
    from crm.reminders.jobs import JOBS, JOBS_BY_NAME, tick
    from crm.services.periods import business_today

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for job in JOBS:
        click.echo(f"  {job.label}：{job.schedule(current_app.config).describe()}")
    if not current_app.config.get("SMTP_HOST"):
        click.echo("提示：未设置 CRM_SMTP_HOST，只发送站内通知和群机器人消息，不发送邮件。")
    if catch_up:
        # A demo started after 08:30 would otherwise wait until tomorrow for its first reminders;
        # each job runs at most once per day, so this never repeats what was already sent.
        db.session.info["actor_id"] = None
        try:
            results = tick(db.session, business_today(current_app.config["TODAY"]), current_app.config)
        except SQLAlchemyError as error:  # e.g. a database not migrated yet: the schedule still starts
            db.session.rollback()
            click.echo(f"今天的任务未能补运行（数据库尚未就绪？）：{type(error).__name__}", err=True)
            results = []
        for result in results:
            if result.outcome in ("ok", "failed"):
                click.echo(
                    f"  已补运行 {JOBS_BY_NAME[result.job].label}："
                    + ("完成" if result.outcome == "ok" else "失败")
                    + (f" — {result.detail}" if result.detail else "")
                )
        db.session.remove()
    click.echo("定时任务进程已启动（时区 Asia/Shanghai），按 Ctrl+C 退出。")
    try:
        scheduler.run(current_app._get_current_object())
    except (KeyboardInterrupt, SystemExit):
        click.echo("定时任务进程已退出。")


@scheduler_group.command("tick", help="把某一天到期的任务各运行一次（已完成的不会重复），然后退出")
@click.option("--date", "day", default=None, help="日期 YYYY-MM-DD，默认今天（Asia/Shanghai）")
@with_appcontext
def scheduler_tick(day):
    from datetime import date as date_type

    from crm.reminders.jobs import JOBS_BY_NAME, tick
    from crm.services.periods import business_today

    from crm.services.errors import DomainError

    try:
        on = (
            check_day(date_type.fromisoformat(day), "日期", "date")
            if day
            else business_today(current_app.config["TODAY"])
        )
    except ValueError:
        raise click.BadParameter(f"日期格式不正确：{day!r}，应为 YYYY-MM-DD", param_hint="--date")
    except DomainError as error:
        raise click.BadParameter(error.message, param_hint="--date")
    db.session.info["actor_id"] = None
    outcomes = {"ok": "完成", "failed": "失败", "done-before": "已运行过，跳过", "not-due": "今天无需运行"}
    failed = False
    for result in tick(db.session, on, current_app.config):
        label = JOBS_BY_NAME[result.job].label
        line = f"{label}：{outcomes.get(result.outcome, result.outcome)}"
        click.echo(line + (f" — {result.detail}" if result.detail else ""))
        failed = failed or result.outcome == "failed"
    db.session.remove()
    if failed:
        sys.exit(1)


@click.group("warnings", help="预警")
def warnings_group():
    pass


@warnings_group.command("evaluate", help="按当日数据评估全部预警规则一次（新预警只产生一次，条件消失的自动解除）")
@click.option("--date", "day", default=None, help="日期 YYYY-MM-DD，默认今天（Asia/Shanghai）")
@with_appcontext
def warnings_evaluate(day):
    from datetime import date as date_type

    from crm.services.errors import DomainError
    from crm.services.periods import business_today
    from crm.warnings.evaluate import evaluate

    try:
        on = (
            check_day(date_type.fromisoformat(day), "日期", "date")
            if day
            else business_today(current_app.config["TODAY"])
        )
    except ValueError:
        raise click.BadParameter(f"日期格式不正确：{day!r}，应为 YYYY-MM-DD", param_hint="--date")
    except DomainError as error:
        raise click.BadParameter(error.message, param_hint="--date")
    db.session.info["actor_id"] = None
    outcome = evaluate(
        db.session,
        on,
        email_configured=bool(current_app.config.get("SMTP_HOST")),
        base_url=current_app.config.get("BASE_URL") or "",
    )
    db.session.commit()
    click.echo(outcome.summary())
    db.session.remove()


@click.group("report", help="报表（PDF 或 JSON）")
def report_group():
    pass


@report_group.command("candidates", help="亿元楼候选名单：--out 以 .pdf 或 .json 结尾")
@click.option("--year", required=True, type=click.IntRange(FIRST_DAY.year, LAST_DAY.year), help="年度 YYYY")
@click.option("--as-of", "as_of", default=None, help="截至月份 YYYY-MM，默认该年度最新有税收数据的月份")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出文件 .pdf 或 .json"
)
@with_appcontext
def report_candidates(year, as_of, out):
    import json
    from datetime import datetime

    from crm.reports.fonts import FontNotFound
    from crm.services.candidates import as_json, candidate_report, holds_demo_data
    from crm.services.errors import DomainError
    from crm.services.periods import BUSINESS_TZ, business_today

    kind = out.rsplit(".", 1)[-1].lower() if "." in out else ""
    if kind not in ("pdf", "json"):
        raise click.ClickException(f"输出文件须以 .pdf 或 .json 结尾：{out}")
    try:
        data = as_json(candidate_report(db.session, year, as_of, today=business_today(current_app.config["TODAY"])))
        if kind == "pdf":
            from crm.reports.candidates import build_candidates_pdf

            content = build_candidates_pdf(data, datetime.now(BUSINESS_TZ), demo=holds_demo_data(db.session))
        else:
            content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    except FontNotFound as error:
        raise click.ClickException(str(error))
    with open(out, "wb") as handle:
        handle.write(content)
    click.echo(
        f"已写入 {out}：{data['year']}年（截至 {data['as_of']}），本年亿元楼 {len(data['yi_buildings'])} 栋，"
        f"候选 {len(data['candidates'])} 栋"
    )


@report_group.command("briefing", help="月度简报：--out 以 .pdf（生成并归档为新版本）或 .json（全部数字）结尾")
@click.option("--month", required=True, help="简报月份 YYYY-MM（须已结束）")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出文件 .pdf 或 .json"
)
@with_appcontext
def report_briefing(month, out):
    import json

    from crm.formats import percent
    from crm.reports.fonts import FontNotFound
    from crm.monthly_briefing import generate_briefing
    from crm.services.briefing import briefing_data
    from crm.services.errors import DomainError
    from crm.services.periods import business_today

    kind = out.rsplit(".", 1)[-1].lower() if "." in out else ""
    if kind not in ("pdf", "json"):
        raise click.ClickException(f"输出文件须以 .pdf 或 .json 结尾：{out}")
    db.session.info["actor_id"] = None
    today = business_today(current_app.config["TODAY"])
    try:
        if kind == "pdf":
            briefing = generate_briefing(db.session, month, today=today, source="cli")
            content, data = bytes(briefing.pdf), briefing.data
        else:
            data = briefing_data(db.session, month, today=today, source="cli")
            content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    except FontNotFound as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    with open(out, "wb") as handle:
        handle.write(content)
    occupancy = data["headline"]["occupancy"]["value"]
    archived = f"，已归档为第 {briefing.version} 版（{briefing.pages} 页）" if kind == "pdf" else ""
    click.echo(f"已写入 {out}：{data['month_label']}，全区入驻率 {percent(occupancy)}{archived}")


@report_group.command("profile", help="楼宇画像 PDF：--edition internal（内部版）或 external（对外招商版）")
@click.option("--building", "code", required=True, help="楼宇编码，如 XG01")
@click.option(
    "--edition", type=click.Choice(["internal", "external"]), default="internal", show_default=True, help="版本"
)
@click.option("--month", default=None, help="内部版的数据截至月份 YYYY-MM，默认上一个完整月份")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出文件 .pdf")
@with_appcontext
def report_profile(code, edition, month, out):
    import os
    from datetime import datetime

    from crm.models import Building
    from crm.reports.fonts import FontNotFound
    from crm.reports.profile import build_external_pdf, build_internal_pdf
    from crm.services.errors import DomainError
    from crm.services.periods import BUSINESS_TZ, business_today, last_complete_month, parse_period
    from crm.space import profiles

    building = db.session.scalar(select(Building).where(Building.code == code.strip()))
    if building is None:
        raise click.ClickException(f"楼宇编码不存在：{code}")
    today = business_today(current_app.config["TODAY"])
    folder = current_app.config.get("PHOTO_DIR") or os.path.join(current_app.instance_path, "photos")
    try:
        if edition == "internal":
            period = parse_period(month) if month else last_complete_month(today)
            content = build_internal_pdf(
                profiles.internal_data(db.session, building, period, today, folder), datetime.now(BUSINESS_TZ)
            )
        else:
            contact = {"org": "西岗区商务局投资促进科"}
            content = build_external_pdf(
                profiles.external_data(db.session, building, today, folder, contact), datetime.now(BUSINESS_TZ)
            )
    except DomainError as error:
        raise click.ClickException(error.message)
    except FontNotFound as error:
        raise click.ClickException(str(error))
    with open(out, "wb") as handle:
        handle.write(content)
    label = "内部版" if edition == "internal" else "对外招商版"
    click.echo(f"已写入 {out}：{building.name} 楼宇画像（{label}）")


@report_group.command("booklet", help="全区楼宇招商手册：每栋楼的对外招商版，带目录")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出文件 .pdf")
@with_appcontext
def report_booklet(out):
    import os
    from datetime import datetime

    from crm.reports.fonts import FontNotFound
    from crm.reports.profile import build_booklet_pdf
    from crm.services.periods import BUSINESS_TZ, business_today
    from crm.space import profiles

    today = business_today(current_app.config["TODAY"])
    folder = current_app.config.get("PHOTO_DIR") or os.path.join(current_app.instance_path, "photos")
    data = profiles.booklet_data(db.session, today, folder, {"org": "西岗区商务局投资促进科"})
    try:
        content = build_booklet_pdf(data, datetime.now(BUSINESS_TZ))
    except FontNotFound as error:
        raise click.ClickException(str(error))
    with open(out, "wb") as handle:
        handle.write(content)
    click.echo(f"已写入 {out}：{len(data)} 栋楼宇")


@click.command(
    "import",
    help="导入 .xlsx 或 .csv：KIND 为 buildings、units、companies、leases、tax 等。"
    "全部写入时退出码为 0；有错误时打印带行号的报告、什么也不写入，退出码为 1",
)
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只预览，不写入任何数据")
@click.option("--create-unmatched", is_flag=True, help="税收：为系统中没有的统一社会信用代码新建企业")
@click.option("--user", "username", default=None, help="以该用户的身份和权限导入（默认：命令行，拥有全部权限）")
@click.option(
    "--correction",
    "correction",
    default=None,
    metavar="原因",
    help="更正原因：文件中改动已确认月份（月度填报）的行作为更正导入；不填则这些行被拒绝",
)
@with_appcontext
def import_command(kind, file, dry_run, create_unmatched, username, correction):
    from pathlib import Path

    from crm.io.extent import ReadLimits
    from crm.io.imports import import_now
    from crm.io.retention import Retention, prune_originals
    from crm.models import User
    from crm.services.errors import DomainError
    from crm.services.periods import business_today

    user = None
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"用户 {username} 不存在")
    db.session.info["actor_id"] = user.id if user else None
    path = Path(file)
    try:
        plan, batch = import_now(
            db.session,
            user,
            kind,
            path.name,
            path.read_bytes(),
            business_today(current_app.config["TODAY"]),
            dry_run,
            create_unmatched,
            correction,
            limits=ReadLimits.from_config(current_app.config),
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    counts = plan.counts()
    click.echo(
        f"{path.name}：新增 {counts['create']:,} 行，更新 {counts['update']:,} 行，不变 {counts['unchanged']:,} 行"
        + (f"，未匹配 {counts['unmatched']:,} 行" if counts["unmatched"] else "")
    )
    for issue in plan.warnings:
        click.echo(f"提示：{issue}")
    for row in sorted(plan.corrections):
        click.echo(f"更正：第 {row} 行，{plan.correction_labels[row]}")
    if batch is None:
        db.session.rollback()
        refused = bool(plan.errors) or (bool(plan.unmatched) and not create_unmatched)
        for issue in plan.errors:
            click.echo(f"错误：{issue}", err=True)
        if plan.unmatched and not create_unmatched:
            for row in plan.unmatched[:100]:
                click.echo(f"未匹配：第 {row.row} 行，统一社会信用代码 {row.key}", err=True)
            click.echo(
                "系统中没有这些统一社会信用代码对应的企业：加 --create-unmatched 新建它们，或修改文件。", err=True
            )
        if refused:
            click.echo(f"没有写入任何数据（{len(plan.errors)} 处错误）。", err=True)
            sys.exit(1)
        click.echo("试运行：没有写入任何数据。")
        return
    # An applied import keeps its file: the originals stay within their bounds, as after an upload.
    prune_originals(db.session, Retention.from_config(current_app.config))
    db.session.commit()
    corrected = f"，其中 {len(plan.corrections):,} 行作为更正（{correction.strip()}）" if plan.corrections else ""
    click.echo(f"已导入，导入记录 #{batch.id}{corrected}。")


@click.command("export", help="导出列表为 .xlsx 或 .csv：KIND 为 buildings、units、companies、leases、tax 等")
@click.argument("kind")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出文件 .xlsx 或 .csv"
)
@click.option("--building", default=None, help="楼宇编码（单元、租约、税收可按楼宇筛选）")
@click.option("--month", default=None, help="数据月份 YYYY-MM（楼宇、单元），默认上一个完整月份")
@click.option("--first", default=None, help="税收：起始所属期 YYYY-MM，默认截止月份所在年度的 1 月")
@click.option("--last", default=None, help="税收：截止所属期 YYYY-MM，默认上一个完整月份")
@with_appcontext
def export_command(kind, out, building, month, first, last):
    from pathlib import Path

    from crm.io.exports import export
    from crm.io.kinds import get_kind
    from crm.access import EVERYWHERE
    from crm.services.errors import DomainError
    from crm.services.periods import business_today

    fmt = Path(out).suffix.lower().lstrip(".")
    args = {k: v for k, v in dict(building=building, month=month, first=first, last=last).items() if v}
    try:
        chosen = get_kind(kind)
        items = chosen.export_items(db.session, EVERYWHERE, args, business_today(current_app.config["TODAY"]))
        data = export(chosen, items, fmt)
    except DomainError as error:
        raise click.ClickException(error.message)
    Path(out).write_bytes(data)
    click.echo(f"已导出到 {out}（{len(data):,} 字节）")


@click.group("cache", help="共享缓存")
def cache_group():
    pass


@cache_group.command("warm", help="在启动 Web 服务前填充本机共享缓存：以领导身份打开首页、楼宇列表、每栋楼及其税收页等")
def cache_warm():
    from crm.warmup import warm_host_store

    done = warm_host_store(current_app._get_current_object())
    if done.skipped:
        click.echo(f"未预热：{done.skipped}")
        return
    click.echo(
        f"已预热 {done.pages} 个页面，用时 {done.seconds:.1f} 秒"
        + (f"；{done.failed} 个页面未能打开" if done.failed else "")
    )
    if done.failed:
        sys.exit(1)
