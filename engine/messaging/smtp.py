"""E-mail over SMTP (smtplib, email.message.EmailMessage): plain text and HTML bodies, an attachment.

A 4xx reply, a time-out or a dropped connection is transient (tried again later); a 5xx reply is a
refusal that no retry changes. The idempotency key goes out as the Message-ID, so a receiving system
that keeps them can drop a repeat; SMTP as such cannot, so `accepts_idempotency_key` is False.
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from engine.messaging.gateways import Outgoing, SendFailed


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    # "tls": TLS from the first byte (port 465); "starttls": upgrade a plain connection; "": neither.
    security: str = ""
    username: str = ""
    password: str = ""
    sender: str = "hotline@localhost"
    timeout: float = 30.0
    # Accept the server's certificate without checking it (a test server's own); never in production.
    verify_certificate: bool = True


def compose_email(settings: SmtpSettings, message: Outgoing) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    domain = settings.sender.rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(idstring=message.idempotency_key.replace(":", "."), domain=domain)
    email["Content-Language"] = message.language.replace("_", "-")
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    if message.attachment:
        path = Path(message.attachment)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, _sep, subtype = kind.partition("/")
        email.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return email


class SmtpGateway:
    accepts_idempotency_key = False

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if not s.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            client.starttls(context=context)
        return client

    def send(self, message: Outgoing) -> str:
        try:
            email = compose_email(self.settings, message)
        except OSError as err:
            raise SendFailed(f"attachment unreadable: {err}", transient=False) from err
        try:
            with self._connect() as client:
                if self.settings.username:
                    client.login(self.settings.username, self.settings.password)
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as err:
            code, reply = next(iter(err.recipients.values()))
            raise SendFailed(_reply("recipient refused", code, reply), transient=400 <= code < 500) from err
        except smtplib.SMTPResponseException as err:
            raise SendFailed(
                _reply("refused", err.smtp_code, err.smtp_error), transient=400 <= err.smtp_code < 500
            ) from err
        except (smtplib.SMTPServerDisconnected, TimeoutError, ConnectionError) as err:
            raise SendFailed(f"connection: {type(err).__name__}: {err}", transient=True) from err
        except (smtplib.SMTPException, OSError) as err:
            raise SendFailed(f"{type(err).__name__}: {err}", transient=True) from err
        return str(email["Message-ID"])


def _reply(what: str, code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{what}: {code} {text}"
