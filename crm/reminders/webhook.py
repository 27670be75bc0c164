"""Group-chat robots: the JSON text message that 企业微信 and 钉钉 group robots both accept.

``{"msgtype": "text", "text": {"content": "…"}}`` posted with a timeout; an HTTP error, a
timeout, or a robot answering ``errcode`` ≠ 0 is a failed delivery (retried with backoff).

The URL is checked against the robot allowlist and its host resolved and checked by
``crm.reminders.robot_urls`` right before sending; the connection goes to the very address that
was checked (the TLS certificate is still verified for the host name), redirects are not
followed, and what the admin sees of a failure is a status and a short reason — never the
robot's answer itself, which is how a misused URL would read out another server.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl

from crm.reminders.email import SUBJECT_PREFIX, DeliveryError
from crm.reminders import robot_urls
from crm.reminders.robot_urls import RobotTarget, RobotUrlRefused

MAX_CONTENT_BYTES = 2000  # 企业微信 caps a text message at 2,048 bytes
MAX_ANSWER_BYTES = 4096

# The robots' documented refusals worth a plain explanation; any other code is shown as a number.
KNOWN_ERRCODES = {
    93000: "Webhook 地址无效或已失效",
    45009: "发送过于频繁",
    310000: "消息未通过机器人的安全设置（关键词、加签或 IP 白名单）",
    130101: "发送过于频繁",
}


def payload(title: str, text: str) -> dict:
    content = f"{SUBJECT_PREFIX}{title}\n\n{text}"
    encoded = content.encode("utf-8")
    if len(encoded) > MAX_CONTENT_BYTES:
        cut = encoded[: MAX_CONTENT_BYTES - len("…（请登录系统查看全文）".encode())].decode("utf-8", "ignore")
        content = cut + "…（请登录系统查看全文）"
    return {"msgtype": "text", "text": {"content": content}}


def post(url: str, title: str, text: str, timeout: float, hosts, test_hosts=()) -> None:
    """Post the message to the robot at ``url``; DeliveryError with a short Chinese reason."""
    try:
        target = robot_urls.check_url(url, hosts, test_hosts)
        addresses = robot_urls.resolve(target)
    except RobotUrlRefused as refused:
        raise DeliveryError(refused.message) from None
    body = json.dumps(payload(title, text), ensure_ascii=False).encode("utf-8")
    connection = _connect(target, addresses, timeout)
    try:
        connection.request("POST", target.path, body=body, headers={"Content-Type": "application/json; charset=utf-8"})
        response = connection.getresponse()
        status = response.status
        answer = response.read(MAX_ANSWER_BYTES) if 200 <= status < 300 else b""
    except (socket.timeout, TimeoutError):
        raise DeliveryError(f"群机器人 {timeout:g} 秒内没有响应") from None
    except (http.client.HTTPException, OSError):
        raise DeliveryError("群机器人的应答无法识别，连接已断开") from None
    finally:
        connection.close()
    _judge(status, answer)


def _connect(target: RobotTarget, addresses: list[str], timeout: float) -> http.client.HTTPConnection:
    """A connection to the first of the checked ``addresses`` that answers — never a new lookup."""
    reason = "连接失败"
    for address in addresses:
        try:
            raw = socket.create_connection((address, target.port), timeout=timeout)
        except (socket.timeout, TimeoutError):
            reason = f"{timeout:g} 秒内没有响应"
            continue
        except ConnectionRefusedError:
            reason = "连接被拒绝"
            continue
        except OSError:
            reason = "网络不可达"
            continue
        return _wrap(target, raw, timeout)
    raise DeliveryError(f"无法连接群机器人（{reason}）")


def _wrap(target: RobotTarget, raw: socket.socket, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "http":
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        connection.sock = raw
        return connection
    context = ssl.create_default_context()
    try:
        sock = context.wrap_socket(raw, server_hostname=target.host)
    except ssl.SSLCertVerificationError:
        raw.close()
        raise DeliveryError("群机器人的 HTTPS 证书校验失败") from None
    except (ssl.SSLError, OSError):
        raw.close()
        raise DeliveryError("与群机器人建立加密连接失败") from None
    connection = http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=context)
    connection.sock = sock
    return connection


def _judge(status: int, answer: bytes) -> None:
    if 300 <= status < 400:
        raise DeliveryError(f"群机器人返回 HTTP {status}（重定向，未跟随；请检查地址）")
    if not 200 <= status < 300:
        raise DeliveryError(f"群机器人返回 HTTP {status}")
    try:
        result = json.loads(answer or b"{}")
    except ValueError:
        return  # a robot that answers 2xx without JSON took the message
    code = result.get("errcode", 0) if isinstance(result, dict) else 0
    if code in (0, "0", None):
        return
    number = code if isinstance(code, int) and not isinstance(code, bool) and abs(code) < 10**9 else None
    if number is None:
        raise DeliveryError("群机器人拒绝了消息")
    explained = KNOWN_ERRCODES.get(number)
    raise DeliveryError(f"群机器人拒绝了消息（错误码 {number}{'：' + explained if explained else ''}）")
