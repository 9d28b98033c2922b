"""What the sender needs of a way out (an SMTP server, an SMS gateway): send one message, say what the
provider called it, and tell a failure worth retrying from one that is not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from engine.errors import HotlineError


@dataclass(frozen=True)
class Outgoing:
    """One message as a gateway sends it."""

    channel: str
    recipient: str
    subject: str
    text: str
    idempotency_key: str
    kind: str = ""
    html: str = ""
    language: str = "zh_CN"
    attachment: str = ""
    template_params: tuple[str, ...] = field(default_factory=tuple)


class SendFailed(HotlineError):
    """The gateway did not take the message. `transient`: worth trying again later (a 4xx SMTP reply, a
    rate limit, a timeout, a dropped connection); otherwise the message can never go (a 5xx refusal)."""

    code = "send-failed"

    def __init__(self, reason: str, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class Gateway(Protocol):
    # Whether the gateway drops a second message with the same idempotency key: only then may a message
    # a stopped sender may have sent be sent again without asking anyone.
    accepts_idempotency_key: bool

    def send(self, message: Outgoing) -> str:
        """Send; return the provider's id for the message ("" if none). Raises SendFailed."""
        ...
