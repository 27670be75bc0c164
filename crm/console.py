"""The ``crm`` console command: the app's Flask command group (``flask`` commands plus those of
``crm.cli``) on an app made from the environment's configuration."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from crm import create_app
from crm.config import ConfigError


def main() -> None:
    """Console entry point: a config error is one line naming the variable, not a traceback."""
    try:
        app = create_app()
    except ConfigError as error:
        click.echo(f"配置错误：{error}", err=True)
        sys.exit(2)
    FlaskGroup(create_app=lambda: app, add_default_commands=True, help="楼宇招商通命令行")()
