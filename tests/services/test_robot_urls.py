"""Which group-robot URLs and addresses the app accepts: only https URLs on the allowlisted robot
hosts (by name, never an IP in any notation), and at send time only public addresses."""

from __future__ import annotations

import socket

import pytest

from crm.reminders.robot_urls import (
    DEFAULT_HOSTS,
    RobotTarget,
    RobotUrlRefused,
    address_problem,
    check_url,
    parse_hosts,
    resolve,
)

ACCEPTED = [
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
    "https://oapi.dingtalk.com/robot/send?access_token=abc123",
    "HTTPS://QYAPI.WEIXIN.QQ.COM/cgi-bin/webhook/send?key=1",
    "https://qyapi.weixin.qq.com./cgi-bin/webhook/send?key=1",
]

REFUSED = [
    ("http://127.0.0.1:5432", "IP 地址"),
    ("https://169.254.169.254/latest/meta-data/", "IP 地址"),
    ("https://[::1]/", "IP 地址"),
    ("https://[::ffff:127.0.0.1]/", "IP 地址"),
    ("https://0x7f000001/", "IP 地址"),
    ("https://2130706433/", "IP 地址"),
    ("https://0177.0.0.1/", "IP 地址"),
    ("https://127.1/", "IP 地址"),
    ("https://10.0.0.1/", "IP 地址"),
    ("https://qyapi.0x7f/", "IP 地址"),
    ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "必须以 https:// 开头"),
    ("https://localhost/", "不在允许列表"),
    ("https://qyapi.weixin.qq.com.evil.example/", "不在允许列表"),
    ("https://evilqyapi.weixin.qq.com/", "不在允许列表"),
    ("https://evil.example/?u=https://qyapi.weixin.qq.com/", "不在允许列表"),
    ("https://qyapi.weixin.qq.com@evil.example/", "用户名或密码"),
    ("https://user:pw@qyapi.weixin.qq.com/", "用户名或密码"),
    ("https://qyapi.weixin.qq.com\\@evil.example/", "反斜杠"),
    ("https://qyapi.weixin.qq.com:99999/", "端口无效"),
    ("ftp://qyapi.weixin.qq.com/", "https:// 开头的完整网址"),
    ("file:///etc/passwd", "https:// 开头的完整网址"),
    ("gopher://127.0.0.1:6379/_INFO", "https:// 开头的完整网址"),
    ("qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "https:// 开头的完整网址"),
    ("https://qyapi.weixin.qq.com/\x00", "控制字符"),
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_robot_urls_on_the_default_hosts_are_accepted(url):
    target = check_url(url, DEFAULT_HOSTS)
    assert target.scheme == "https" and target.port == 443 and target.host in DEFAULT_HOSTS


@pytest.mark.parametrize("url, reason", REFUSED)
def test_urls_that_could_reach_anything_but_a_robot_are_refused(url, reason):
    with pytest.raises(RobotUrlRefused) as refused:
        check_url(url, DEFAULT_HOSTS)
    assert reason in refused.value.message


def test_an_allowlisted_host_is_matched_exactly_and_the_test_hosts_alone_may_use_http():
    assert check_url("https://robot.example.gov.cn/send", ("robot.example.gov.cn",)).host == "robot.example.gov.cn"
    with pytest.raises(RobotUrlRefused):
        check_url("https://sub.robot.example.gov.cn/send", ("robot.example.gov.cn",))
    target = check_url("http://localhost:8080/x?key=1", DEFAULT_HOSTS, test_hosts=("localhost",))
    assert target == RobotTarget("http", "localhost", 8080, "/x?key=1", local_test=True)
    with pytest.raises(RobotUrlRefused, match="https://"):
        check_url("http://robot.example.gov.cn/", ("robot.example.gov.cn",), test_hosts=("localhost",))


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1",
        "0x7f000001",
        "[::1]",
        "2130706433",
        "*.qq.com",
        "https://qyapi.weixin.qq.com/",
        "a..b",
        "qyapi.weixin.qq.com:443",
    ],
)
def test_the_allowlist_takes_host_names_only(text):
    with pytest.raises(RobotUrlRefused) as refused:
        parse_hosts(f"qyapi.weixin.qq.com\n{text}")
    assert text[:20] in refused.value.message and refused.value.field == "webhook_hosts"


def test_the_allowlist_is_normalised_and_empty_means_the_defaults():
    assert parse_hosts(" QYAPI.weixin.qq.com.\n\noapi.dingtalk.com, qyapi.weixin.qq.com ") == DEFAULT_HOSTS
    assert parse_hosts("") == DEFAULT_HOSTS == ("qyapi.weixin.qq.com", "oapi.dingtalk.com")
    assert parse_hosts("机器人.中国") == ("xn--gmqz0qc7o.xn--fiqs8s",)


@pytest.mark.parametrize(
    "address, kind",
    [
        ("127.0.0.1", "本机地址"),
        ("127.8.9.10", "本机地址"),
        ("::1", "本机地址"),
        ("0.0.0.0", "未指定地址"),
        ("::", "未指定地址"),
        ("169.254.169.254", "链路本地地址"),
        ("fe80::1%eth0", "链路本地地址"),
        ("224.0.0.1", "组播地址"),
        ("239.255.255.250", "组播地址"),
        ("ff02::1", "组播地址"),
        ("ff0e::1", "组播地址"),
        ("10.1.2.3", "内网地址"),
        ("172.16.0.1", "内网地址"),
        ("192.168.1.1", "内网地址"),
        ("fc00::1", "内网地址"),
        ("198.18.0.1", "内网地址"),
        ("2001:db8::1", "内网地址"),
        ("240.0.0.1", "内网地址"),
        ("255.255.255.255", "内网地址"),
        ("100.64.0.1", "非公网地址"),
        ("::ffff:127.0.0.1", "本机地址"),
        ("::ffff:10.0.0.1", "内网地址"),
        ("::ffff:169.254.169.254", "链路本地地址"),
        ("64:ff9b::7f00:1", "本机地址"),
        ("2002:7f00:1::", "本机地址"),
        ("2002:a00:1::1", "内网地址"),
        ("::127.0.0.1", "保留地址"),
    ],
)
def test_non_public_addresses_are_refused_in_every_notation(address, kind):
    assert address_problem(address) == kind


@pytest.mark.parametrize(
    "address", ["101.91.22.57", "203.119.129.1", "2408:8000::1", "::ffff:101.91.22.57", "64:ff9b::651b:1639"]
)
def test_public_addresses_pass(address):
    assert address_problem(address) is None


def test_loopback_is_let_through_only_for_a_test_robot():
    assert address_problem("127.0.0.1", allow_loopback=True) is None
    assert address_problem("10.0.0.1", allow_loopback=True) == "内网地址"


def fake_resolver(*addresses):
    def resolver(host, port, type=0):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return resolver


def test_one_non_public_address_among_public_ones_refuses_the_name():
    target = check_url("https://qyapi.weixin.qq.com/x", DEFAULT_HOSTS)
    assert resolve(target, fake_resolver("101.91.22.57")) == ["101.91.22.57"]
    with pytest.raises(RobotUrlRefused, match=r"解析到内网地址（10\.0\.0\.7），已拒绝发送"):
        resolve(target, fake_resolver("101.91.22.57", "10.0.0.7"))


def test_a_name_that_does_not_resolve_is_said_so():
    target = check_url("https://qyapi.weixin.qq.com/x", DEFAULT_HOSTS)

    def failing(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(RobotUrlRefused, match="无法解析群机器人域名 qyapi.weixin.qq.com"):
        resolve(target, failing)
