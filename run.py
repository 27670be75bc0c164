"""Development entry point: ``python run.py`` serves the app (``make run`` does more)."""
import os
import sys

from crm import create_server_app
from crm.config import ConfigError

try:
    app = create_server_app()
except ConfigError as error:
    sys.exit(f"配置错误：{error}")

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
