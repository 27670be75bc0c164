"""Which group-robot URLs the app may post reminders to, and which addresses it may connect to.

A robot URL is an admin-typed address the server itself calls, so it must not become a way to
reach the bureau's own network (database ports, cloud metadata, routers). Two gates:

- When a URL is saved and again when it is used: ``https`` only, no user info, a host name (never
  an IP address in any notation — dotted, integer, hex, octal, short, bracketed IPv6) that is on
  the admin's allowlist of robot hosts (by default 企业微信 and 钉钉).
- When a message is sent: the host is resolved once, every address it resolves to must be public
  (no loopback, private, link-local, multicast, reserved, unspecified or shared addresses, also
  when wrapped in IPv6: IPv4-mapped, NAT64, 6to4, Teredo), and the sender connects to exactly the
  address checked, so a name that resolves differently a moment later (DNS rebinding) gains nothing.

Tests run their robot on this machine: hosts named in the ``WEBHOOK_TEST_HOSTS`` config (never set
from the environment) may be reached over plain ``http`` at loopback addresses, and nothing else.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import urlsplit

from crm.services.errors import DomainError

DEFAULT_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")
SETTING_KEY = "webhook_hosts"
MAX_URL_LENGTH = 500

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_NUMBER_LABEL = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")  # what URL parsers read as part of an IPv4 address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RobotUrlRefused(DomainError):
    """A robot URL or address the app will not use; the message says why, in Chinese."""


@dataclass(frozen=True)
class RobotTarget:
    """A checked robot URL, split into what a connection needs."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    local_test: bool = False  # a test's robot on this machine (``WEBHOOK_TEST_HOSTS``)


# --------------------------------------------------------------------------------------------
# Host names


def normalise_host(text: str) -> str:
    """A host name in the form it is compared in: lower case, ASCII (IDNA), no trailing dot."""
    host = text.strip().rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def looks_like_ip(host: str) -> bool:
    """Whether a URL parser or the C resolver would take ``host`` as an IP address rather than
    a name: ``127.0.0.1``, ``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``[::1]``."""
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(host)
        return True
    except OSError:
        pass
    last = host.rstrip(".").rsplit(".", 1)[-1].lower()
    return bool(_NUMBER_LABEL.match(last)) or ":" in host


def host_problem(host: str) -> str | None:
    """Why ``host`` (normalised) is not an acceptable robot host name, or None."""
    if not host:
        return "域名为空"
    if looks_like_ip(host):
        return "不能使用 IP 地址，请填写域名"
    if len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
        return "不是有效的域名"
    return None


def parse_hosts(text: str | None) -> tuple[str, ...]:
    """The allowlist an admin typed (one host per line, or separated by spaces or commas);
    empty means the default hosts. Raises RobotUrlRefused naming the first bad entry."""
    entries = [e for e in re.split(r"[\s,，;；]+", text or "") if e]
    if not entries:
        return DEFAULT_HOSTS
    hosts: list[str] = []
    for entry in entries:
        host = normalise_host(entry)
        problem = host_problem(host)
        if problem:
            raise RobotUrlRefused(
                f"允许的机器人域名“{entry[:60]}”{problem}（只填域名，如 qyapi.weixin.qq.com）", field=SETTING_KEY
            )
        if host not in hosts:
            hosts.append(host)
    return tuple(hosts)


def stored_hosts(value: str | None) -> tuple[str, ...]:
    """The allowlist as stored in the settings; a stored value that no longer parses counts as
    the default hosts rather than opening anything up."""
    try:
        return parse_hosts(value)
    except RobotUrlRefused:
        return DEFAULT_HOSTS


def hosts_text(hosts: Iterable[str]) -> str:
    return "\n".join(hosts)


# --------------------------------------------------------------------------------------------
# URLs


def check_url(url: str, hosts: Iterable[str], test_hosts: Iterable[str] = ()) -> RobotTarget:
    """The robot URL ``url`` split into a target, or RobotUrlRefused saying why it may not be used."""
    url = (url or "").strip()
    hosts, test_hosts = set(hosts), set(test_hosts)
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        raise RobotUrlRefused("群机器人地址不能包含空格、反斜杠或控制字符，最长 500 个字符")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.netloc:
        raise RobotUrlRefused("群机器人地址应为 https:// 开头的完整网址（企业微信或钉钉机器人的 Webhook 地址）")
    if "@" in parts.netloc:
        raise RobotUrlRefused("群机器人地址不能包含用户名或密码（@）")
    host = normalise_host(parts.hostname or "")
    problem = host_problem(host)
    if problem:
        raise RobotUrlRefused(f"群机器人地址的主机{problem}")
    if host not in hosts | test_hosts:
        raise RobotUrlRefused(f"群机器人地址的域名 {host} 不在允许列表中（允许：{'、'.join(sorted(hosts))}）")
    if scheme != "https" and host not in test_hosts:
        raise RobotUrlRefused("群机器人地址必须以 https:// 开头（加密传输）")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise RobotUrlRefused("群机器人地址的端口无效") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return RobotTarget(scheme, host, port, path, local_test=host in test_hosts)


# --------------------------------------------------------------------------------------------
# Addresses, at send time


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries and that a gateway would end up connecting to."""
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _kind_of_non_public(address) -> str | None:
    if address.is_loopback:
        return "本机地址"
    if address.is_unspecified:
        return "未指定地址"
    if address.is_link_local:
        return "链路本地地址"
    if address.is_multicast:
        return "组播地址"
    if address.is_private:
        return "内网地址"
    if address.is_reserved:
        return "保留地址"
    if not address.is_global:
        return "非公网地址"
    return None


def address_problem(text: str, allow_loopback: bool = False) -> str | None:
    """Why the app must not connect to the address ``text`` (e.g. "内网地址"), or None."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return "无效地址"
    judged = [address]
    if address.version == 6:
        embedded = _embedded_ipv4(address)
        if address.ipv4_mapped is not None or address in _NAT64:
            judged = embedded  # the wrapper itself is only a notation for the IPv4 address
        else:
            judged += embedded
    for one in judged:
        kind = _kind_of_non_public(one)
        if kind and not (allow_loopback and one.is_loopback):
            return kind
    return None


Resolver = Callable[..., list]


def resolve(target: RobotTarget, resolver: Resolver | None = None) -> list[str]:
    """The addresses of ``target``'s host, all checked; RobotUrlRefused when it does not resolve
    or any address is not public (one bad address is reason enough to distrust the name)."""
    try:
        infos = (resolver or socket.getaddrinfo)(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise RobotUrlRefused(f"无法解析群机器人域名 {target.host}") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise RobotUrlRefused(f"无法解析群机器人域名 {target.host}")
    for address in addresses:
        kind = address_problem(address, allow_loopback=target.local_test)
        if kind:
            raise RobotUrlRefused(f"群机器人域名 {target.host} 解析到{kind}（{address}），已拒绝发送")
    return addresses
