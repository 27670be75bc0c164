"""``make run`` serves the whole product: ``run.py`` starts the web app and the scheduler process
together, and stopping it (Ctrl-C or ``kill``) stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_run_py_starts_web_and_scheduler_and_stops_both(tmp_path):
    port = free_port()
    env = os.environ | {
        "CRM_INSTANCE_PATH": str(tmp_path),
        "CRM_DATABASE_URL": f"sqlite:///{tmp_path}/crm.db",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }  # an empty database: the server still answers static files, the scheduler still starts
    env.pop("CRM_NO_SCHEDULER", None)
    log = open(tmp_path / "run.log", "w+")
    process = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        status = scheduler = None
        while time.monotonic() < deadline and (status is None or scheduler is None):
            if status is None:
                try:
                    status = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/app.css", timeout=2).status
                except urllib.error.HTTPError as error:
                    status = error.code
                except OSError:
                    pass
            log.seek(0)
            if "定时任务进程已启动" in log.read():
                scheduler = children_of(process.pid)
            time.sleep(0.2)  # polling a starting server, not waiting for time to pass
        log.seek(0)
        assert status == 200, log.read()
        assert scheduler and all(alive(pid) for pid in scheduler), log.read()

        process.send_signal(signal.SIGTERM)
        assert process.wait(DEADLINE_SECONDS) == 0
        assert not any(alive(pid) for pid in scheduler)
    finally:  # a failed assertion leaves no server or scheduler behind
        for pid in children_of(process.pid) if process.poll() is None else []:
            os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
