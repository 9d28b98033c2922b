"""The outbox's settings from the environment (docs/operations.md): the SMTP server, the SMS gateway
(a generic HTTP one or Tencent Cloud SMS), sending rates, the delivery-receipt token, customers' quiet
hours and the announcement lead time; and the gateways they make."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta

from engine.messages import Translate
from engine.messaging import (
    Gateway,
    HttpSmsGateway,
    HttpSmsSettings,
    SmtpGateway,
    SmtpSettings,
    TencentSmsGateway,
    TencentSmsSettings,
    Throttle,
)
from engine.runtime import MessagingPolicy


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _pairs(value: str) -> dict[str, str]:
    """'outage=1234,restoration=1235' → {'outage': '1234', 'restoration': '1235'}."""
    found = {}
    for item in value.split(","):
        name, sep, val = item.partition("=")
        if sep and name.strip():
            found[name.strip()] = val.strip()
    return found


def _addresses(value: str) -> tuple[str, ...]:
    """`a@x.cn, b@x.cn` (commas or semicolons) → the addresses; one without an @ is refused."""
    found = tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
    for address in found:
        if "@" not in address:
            raise ValueError(f"a report recipient must be an e-mail address, not {address!r}")
    return found


def _clock_time(value: str) -> time:
    hours, _sep, minutes = value.strip().partition(":")
    return time(int(hours), int(minutes or 0))


@dataclass(frozen=True)
class OutboxSettings:
    smtp: SmtpSettings | None = None
    http_sms: HttpSmsSettings | None = None
    tencent_sms: TencentSmsSettings | None = None
    # Messages per second each sender hands to a channel's gateway (0: no limit).
    rates: Mapping[str, float] = field(default_factory=lambda: {"sms": 20.0, "email": 10.0})
    # Seconds between the sender's rounds on each worker.
    interval: float = 2.0
    # The shared secret a gateway's delivery-receipt callback must carry; empty: receipts refused.
    receipt_token: str = ""
    quiet_from: time = time(22, 0)
    quiet_until: time = time(7, 0)
    announcement_lead: timedelta = timedelta(hours=24)
    # M2/M3: the addresses each report is mailed to (HOTLINE_WEEKLY_REPORT_TO, HOTLINE_MONTHLY_REPORT_TO).
    report_recipients: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # M3: the local time on the 25th the monthly 12345 summary is made and mailed (HOTLINE_MONTHLY_REPORT_AT).
    monthly_report_at: time = time(16, 0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OutboxSettings:
        env = os.environ if env is None else env
        smtp = None
        if env.get("HOTLINE_SMTP_HOST"):
            smtp = SmtpSettings(
                host=env["HOTLINE_SMTP_HOST"],
                port=int(env.get("HOTLINE_SMTP_PORT", "25")),
                security=env.get("HOTLINE_SMTP_SECURITY", "").strip().lower(),
                username=env.get("HOTLINE_SMTP_USER", ""),
                password=env.get("HOTLINE_SMTP_PASSWORD", ""),
                sender=env.get("HOTLINE_SMTP_FROM", "hotline@localhost"),
                timeout=float(env.get("HOTLINE_SMTP_TIMEOUT", "30")),
            )
        gateway = env.get("HOTLINE_SMS_GATEWAY", "").strip().lower()
        http_sms = tencent = None
        if gateway == "http":
            http_sms = HttpSmsSettings(
                url=env["HOTLINE_SMS_URL"],
                method=env.get("HOTLINE_SMS_METHOD", "POST"),
                body_format=env.get("HOTLINE_SMS_BODY_FORMAT", "json"),
                body_template=env.get("HOTLINE_SMS_BODY", HttpSmsSettings.body_template),
                auth_header=env.get("HOTLINE_SMS_AUTH_HEADER", ""),
                success_field=env.get("HOTLINE_SMS_SUCCESS_FIELD", ""),
                success_value=env.get("HOTLINE_SMS_SUCCESS_VALUE", ""),
                id_field=env.get("HOTLINE_SMS_ID_FIELD", ""),
                idempotent=_flag(env.get("HOTLINE_SMS_IDEMPOTENT", "")),
                timeout=float(env.get("HOTLINE_SMS_TIMEOUT", "10")),
            )
        elif gateway == "tencent":
            tencent = TencentSmsSettings(
                secret_id=env["HOTLINE_TENCENT_SECRET_ID"],
                secret_key=env["HOTLINE_TENCENT_SECRET_KEY"],
                sdk_app_id=env["HOTLINE_TENCENT_SDK_APP_ID"],
                sign_name=env["HOTLINE_TENCENT_SIGN_NAME"],
                template_ids=_pairs(env.get("HOTLINE_TENCENT_TEMPLATES", "")),
                region=env.get("HOTLINE_TENCENT_REGION", "ap-guangzhou"),
                endpoint=env.get("HOTLINE_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com"),
            )
        elif gateway:
            raise ValueError(f"HOTLINE_SMS_GATEWAY must be http or tencent, not {gateway!r}")
        quiet_from, _sep, quiet_until = env.get("HOTLINE_QUIET_HOURS", "22:00-07:00").partition("-")
        return cls(
            smtp=smtp,
            http_sms=http_sms,
            tencent_sms=tencent,
            rates={
                "sms": float(env.get("HOTLINE_SMS_RATE", "20")),
                "email": float(env.get("HOTLINE_EMAIL_RATE", "10")),
            },
            interval=float(env.get("HOTLINE_OUTBOX_INTERVAL", "2")),
            receipt_token=env.get("HOTLINE_RECEIPT_TOKEN", ""),
            quiet_from=_clock_time(quiet_from),
            quiet_until=_clock_time(quiet_until or "07:00"),
            announcement_lead=timedelta(hours=float(env.get("HOTLINE_ANNOUNCEMENT_LEAD_HOURS", "24"))),
            report_recipients={
                kind: _addresses(env.get(f"HOTLINE_{kind.upper()}_REPORT_TO", ""))
                for kind in ("weekly", "monthly")
            },
            monthly_report_at=_clock_time(env.get("HOTLINE_MONTHLY_REPORT_AT", "16:00")),
        )

    def gateways(self) -> dict[str, Gateway]:
        """The channels this installation can send through; a channel without one keeps its messages."""
        found: dict[str, Gateway] = {}
        if self.smtp is not None:
            found["email"] = SmtpGateway(self.smtp)
        if self.http_sms is not None:
            found["sms"] = HttpSmsGateway(self.http_sms)
        elif self.tencent_sms is not None:
            found["sms"] = TencentSmsGateway(self.tencent_sms)
        return found

    def throttles(self) -> dict[str, Throttle]:
        return {channel: Throttle(rate) for channel, rate in self.rates.items() if rate > 0}

    def policy(self, languages: Mapping[str, Translate]) -> MessagingPolicy:
        return MessagingPolicy(
            languages=languages,
            quiet_from=self.quiet_from,
            quiet_until=self.quiet_until,
            announcement_lead=self.announcement_lead,
            report_recipients=self.report_recipients,
            monthly_report_at=self.monthly_report_at,
            channels=self.channels,
        )

    @property
    def channels(self) -> frozenset[str]:
        """The channels with a gateway, as `gateways()` makes them (without making them)."""
        found = set()
        if self.smtp is not None:
            found.add("email")
        if self.http_sms is not None or self.tencent_sms is not None:
            found.add("sms")
        return frozenset(found)
