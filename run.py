"""Development entry point: ``python run.py`` (what ``make run`` ends with) serves the whole
product on one terminal — the web app, and in a child process the scheduler that sends the
reminders and generates the monthly briefing, as production runs them side by side (never inside
the web process). The scheduler starts with ``--catch-up``, so a demo started in the afternoon
still gets today's morning reminders in the bell. Ctrl-C stops both.

``CRM_NO_SCHEDULER=1`` serves the web app alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from crm import create_server_app
from crm.config import ConfigError

SCHEDULER_COMMAND = [sys.executable, "-c", "from crm.console import main; main()", "scheduler", "run", "--catch-up"]
STOP_SECONDS = 15  # a job in progress finishes its transaction; past this the child is killed


def start_scheduler() -> subprocess.Popen:
    return subprocess.Popen(SCHEDULER_COMMAND)


def stop_scheduler(process: subprocess.Popen) -> None:
    """Ctrl-C reaches the child too (same process group); otherwise interrupt it ourselves."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wants_scheduler() -> bool:
    # Flask's reloader (CRM_DEBUG) runs this file again in a child with WERKZEUG_RUN_MAIN set:
    # only the outer process starts a scheduler, so there is one.
    return not os.environ.get("CRM_NO_SCHEDULER") and not os.environ.get("WERKZEUG_RUN_MAIN")


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C and a plain ``kill`` both end the server and then the scheduler (a shell that started
    # us in the background may have left SIGINT ignored, which the child would inherit).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        app = create_server_app()
    except ConfigError as error:
        sys.exit(f"配置错误：{error}")
    scheduler = start_scheduler() if wants_scheduler() else None
    try:
        app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            stop_scheduler(scheduler)


if __name__ == "__main__":
    main()
