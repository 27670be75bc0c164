"""E-mail over SMTP (``CRM_SMTP_*``): a digest as plain text and HTML, attachments for the briefing.

One connection is kept for a run of deliveries and re-opened after a disconnect; a recipient the
server refuses fails only that delivery.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

SUBJECT_PREFIX = "【楼宇招商通】"


class DeliveryError(Exception):
    """A channel could not deliver; the message says why (shown to admins)."""


def build_message(
    sender: str,
    to: str,
    title: str,
    text: str,
    html: str | None,
    delivery_id: int,
    attachment_name: str | None = None,
    attachment: bytes | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = SUBJECT_PREFIX + title
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    # Stable per delivery: a retried message that did get through the first time can be
    # recognised as the same message by the receiving side.
    message["Message-ID"] = make_msgid(idstring=f"crm-delivery-{delivery_id}", domain="louyu-crm")
    message["X-CRM-Delivery"] = str(delivery_id)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename=attachment_name or "附件.pdf"
        )
    return message


class SmtpSender:
    """Sends messages over one SMTP connection per run, configured from the app config."""

    def __init__(self, config):
        self.host = config["SMTP_HOST"]
        self.port = int(config.get("SMTP_PORT") or 25)
        self.user = config.get("SMTP_USER")
        self.password = config.get("SMTP_PASSWORD")
        self.tls = (config.get("SMTP_TLS") or "none").lower()
        self.timeout = float(config.get("SMTP_TIMEOUT") or 20)
        self.sender = config.get("SMTP_FROM") or "crm@localhost"
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.tls == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if self.user:
            connection.login(self.user, self.password or "")
        return connection

    def send(self, message: EmailMessage) -> None:
        for attempt in (1, 2):
            try:
                if self.connection is None:
                    self.connection = self._connect()
                refused = self.connection.send_message(message)
                if refused:
                    raise DeliveryError(f"邮件服务器拒收：{refused}")
                return
            except smtplib.SMTPServerDisconnected as error:
                # A connection idle since the last run may have been dropped: reconnect once.
                self.connection = None
                if attempt == 2:
                    raise DeliveryError(f"邮件服务器断开连接：{error}") from error
            except smtplib.SMTPRecipientsRefused as error:
                raise DeliveryError(f"邮件服务器拒收收件人：{_describe(error.recipients)}") from error
            except smtplib.SMTPResponseException as error:
                self._reset()
                raise DeliveryError(f"邮件服务器拒绝：{error.smtp_code} {_text(error.smtp_error)}") from error
            except (OSError, smtplib.SMTPException) as error:
                self.close()
                raise DeliveryError(f"无法连接邮件服务器 {self.host}:{self.port}：{error}") from error

    def _reset(self) -> None:
        try:
            if self.connection is not None:
                self.connection.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(recipients: dict) -> str:
    return "；".join(f"{address} {code} {_text(reason)}" for address, (code, reason) in recipients.items())
