"""Group-chat robots: the JSON text message that 企业微信 and 钉钉 group robots both accept.

``{"msgtype": "text", "text": {"content": "…"}}`` posted with a timeout; an HTTP error, a
timeout, or a robot answering ``errcode`` ≠ 0 is a failed delivery (retried with backoff).
"""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from crm.delivery.email import SUBJECT_PREFIX, DeliveryError

MAX_CONTENT_BYTES = 2000  # 企业微信 caps a text message at 2,048 bytes


def payload(title: str, text: str) -> dict:
    content = f"{SUBJECT_PREFIX}{title}\n\n{text}"
    encoded = content.encode("utf-8")
    if len(encoded) > MAX_CONTENT_BYTES:
        cut = encoded[: MAX_CONTENT_BYTES - len("…（请登录系统查看全文）".encode())].decode("utf-8", "ignore")
        content = cut + "…（请登录系统查看全文）"
    return {"msgtype": "text", "text": {"content": content}}


def post(url: str, title: str, text: str, timeout: float) -> None:
    body = json.dumps(payload(title, text), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(4096)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"群机器人返回 HTTP {error.code}") from error
    except (socket.timeout, TimeoutError) as error:
        raise DeliveryError(f"群机器人 {timeout:g} 秒内没有响应") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise DeliveryError(f"群机器人 {timeout:g} 秒内没有响应") from error
        raise DeliveryError(f"无法连接群机器人：{reason}") from error
    try:
        result = json.loads(answer or b"{}")
    except ValueError:
        return  # a robot that answers 2xx without JSON took the message
    if isinstance(result, dict) and result.get("errcode", 0) not in (0, "0"):
        raise DeliveryError(f"群机器人拒绝：errcode {result.get('errcode')} {result.get('errmsg', '')}".strip())
