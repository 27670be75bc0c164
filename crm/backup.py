"""Backups and restores that are consistent while the app keeps writing.

SQLite: the online backup API copies a consistent snapshot page by page (a plain file copy of a
live WAL database can be torn). PostgreSQL: ``pg_dump --format=custom``, restored with
``pg_restore`` into an empty database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from crm.services.errors import DomainError


def _pg_env_and_args(url):
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = [
        "--host",
        url.host or "127.0.0.1",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "postgres",
        "--dbname",
        url.database,
    ]
    return env, args


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise DomainError(f"找不到 {tool}：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client）")
    return path


def backup(database_url: str, out_path: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(out_path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    env, args = _pg_env_and_args(url)
    result = subprocess.run(
        [_require("pg_dump"), "--format=custom", "--no-owner", "--file", out_path, *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise DomainError(f"pg_dump 失败：{result.stderr.strip()}")


def _ensure_empty(engine) -> None:
    tables = inspect(engine).get_table_names()
    if tables:
        raise DomainError(f"目标数据库不是空的（已有 {len(tables)} 张表）：请恢复到一个新建的空数据库")


def restore(database_url: str, backup_path: str, engine) -> None:
    if not os.path.exists(backup_path):
        raise DomainError(f"备份文件不存在：{backup_path}")
    _ensure_empty(engine)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        try:
            source = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
            source.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError as error:
            raise DomainError(f"备份文件不是有效的 SQLite 数据库：{error}") from None
        target = sqlite3.connect(url.database)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    env, args = _pg_env_and_args(url)
    result = subprocess.run(
        [_require("pg_restore"), "--no-owner", "--exit-on-error", *args, backup_path],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise DomainError(f"pg_restore 失败：{result.stderr.strip()}")
