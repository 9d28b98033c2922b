"""The words of each kind of message, one module per kind, in the recipient's language (the catalogs of
webforms/translations, through engine.messages). Each composer takes plain values and gives a
`Composed`; an administrator's editable templates can take a composer's place later."""

from engine.messaging.texts.chase import compose_chase
from engine.messaging.texts.composed import Composed
from engine.messaging.texts.group_alert import compose_group_alert
from engine.messaging.texts.liaison import compose_urgent_report
from engine.messaging.texts.outage import OutageFacts, compose_outage

__all__ = [
    "Composed",
    "OutageFacts",
    "compose_outage",
    "compose_urgent_report",
    "compose_chase",
    "compose_group_alert",
]
