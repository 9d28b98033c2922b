"""The outbox's settings from the environment (docs/operations.md) make the gateways, rates and policy
the worker's outbox job uses; a worker without any gateway has no outbox job."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from engine.clock import SettableClock
from engine.messaging import HttpSmsGateway, SmtpGateway, TencentSmsGateway
from engine.runtime import Runtime
from engine.supervision import ShiftSettings, parse_shift_changes
from hotline.outbox_settings import OutboxSettings
from hotline.scheduling import OutboxJob, add_jobs
from tests.conftest import START_TIME


def test_nothing_configured_sends_nothing() -> None:
    settings = OutboxSettings.from_env({})
    assert settings.gateways() == {}
    assert (settings.quiet_from, settings.quiet_until, settings.announcement_lead) == (
        time(22),
        time(7),
        timedelta(hours=24),
    )


def test_smtp_and_a_generic_sms_gateway_from_the_environment() -> None:
    settings = OutboxSettings.from_env(
        {
            "HOTLINE_SMTP_HOST": "mail.example",
            "HOTLINE_SMTP_PORT": "587",
            "HOTLINE_SMTP_SECURITY": "STARTTLS",
            "HOTLINE_SMS_GATEWAY": "http",
            "HOTLINE_SMS_URL": "http://sms.example/send",
            "HOTLINE_SMS_IDEMPOTENT": "yes",
            "HOTLINE_SMS_RATE": "5",
            "HOTLINE_QUIET_HOURS": "21:30-06:45",
        }
    )
    gateways = settings.gateways()
    assert isinstance(gateways["email"], SmtpGateway) and gateways["email"].settings.security == "starttls"
    assert isinstance(gateways["sms"], HttpSmsGateway) and gateways["sms"].accepts_idempotency_key
    assert settings.throttles()["sms"].gap == pytest.approx(0.2)
    assert (settings.quiet_from, settings.quiet_until) == (time(21, 30), time(6, 45))


def test_tencent_templates_by_kind() -> None:
    settings = OutboxSettings.from_env(
        {
            "HOTLINE_SMS_GATEWAY": "tencent",
            "HOTLINE_TENCENT_SECRET_ID": "id",
            "HOTLINE_TENCENT_SECRET_KEY": "key",
            "HOTLINE_TENCENT_SDK_APP_ID": "1400000000",
            "HOTLINE_TENCENT_SIGN_NAME": "热线",
            "HOTLINE_TENCENT_TEMPLATES": "outage=1, restoration=2",
        }
    )
    gateway = settings.gateways()["sms"]
    assert isinstance(gateway, TencentSmsGateway)
    assert dict(gateway.settings.template_ids) == {"outage": "1", "restoration": "2"}


def test_an_unknown_sms_gateway_is_refused() -> None:
    with pytest.raises(ValueError, match="http or tencent"):
        OutboxSettings.from_env({"HOTLINE_SMS_GATEWAY": "pigeon"})


def test_the_worker_sends_the_outbox_even_without_an_sms_or_mail_gateway() -> None:
    """Webhooks need no setting: the outbox job runs with or without an SMS or mail gateway."""
    runtime = Runtime(clock=SettableClock(START_TIME))
    shifts = ShiftSettings(parse_shift_changes("08:00"), ZoneInfo("UTC"))
    gateways = OutboxSettings.from_env({"HOTLINE_SMTP_HOST": "mail.example"}).gateways()
    with_outbox, without = BackgroundScheduler(timezone="UTC"), BackgroundScheduler(timezone="UTC")
    add_jobs(with_outbox, runtime, None, 5.0, shifts, outbox=OutboxJob(gateways, interval=3.0))  # type: ignore[arg-type]
    add_jobs(without, runtime, None, 5.0, shifts, outbox=OutboxJob({}))  # type: ignore[arg-type]
    job = with_outbox.get_job("send_messages")
    assert job is not None and job.trigger.interval.total_seconds() == 3.0
    assert job.args[2] is gateways and without.get_job("send_messages") is not None


def test_the_monthly_report_hour_and_the_channels_with_a_gateway_come_from_the_settings() -> None:
    default = OutboxSettings.from_env({})
    assert default.monthly_report_at == time(16, 0) and default.channels == frozenset()
    settings = OutboxSettings.from_env(
        {"HOTLINE_MONTHLY_REPORT_AT": "09:30", "HOTLINE_SMTP_HOST": "127.0.0.1"}
    )
    policy = settings.policy({})
    assert policy.monthly_report_at == time(9, 30) and policy.channels == frozenset({"email"})
