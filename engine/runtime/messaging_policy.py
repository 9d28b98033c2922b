"""How messages leaving the building are written and held back: the catalogs that say them in each
language, customers' quiet hours, and when a late announcement of a long planned outage is flagged."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta

from engine.messages import Translate, english

DEFAULT_LANGUAGE = "zh_CN"


@dataclass(frozen=True)
class MessagingPolicy:
    # language code → catalog lookup (hotline.bootstrap loads them); a language without one: English.
    languages: Mapping[str, Translate] = field(default_factory=dict)
    # No SMS to customers in these hours (local time), except an outage or restoration: held until the end.
    quiet_from: time = time(22, 0)
    quiet_until: time = time(7, 0)
    # O1: a planned outage this long or longer is announced at least `announcement_lead` before its start.
    long_outage: timedelta = timedelta(hours=8)
    announcement_lead: timedelta = timedelta(hours=24)
    # M2/M3: who gets each report by e-mail when it is made (weekly, monthly → addresses), from settings.
    report_recipients: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The channels (sms, email) this installation has a gateway for; messages of another wait in the
    # outbox, which the case page says (hotline.outbox_settings fills it from the settings).
    channels: frozenset[str] = frozenset()
    # M3 (003 art.18, 22): the monthly 12345 summary is made and mailed on the 25th at this local time.
    monthly_report_at: time = time(16, 0)

    def translate(self, language: str) -> Translate:
        return self.languages.get(language) or self.languages.get(language.split("_")[0]) or english
