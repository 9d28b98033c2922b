"""The public outage notices as feeds other systems pull (O1-O3): Atom for feed readers and the hotline's
WeChat platform, JSON Feed 1.1 with the notices' facts for the city's portals. One entry per outage,
updated by each new estimate and by the restoration; nothing personal, only what /notices shows.

`?lang=en` gives the English feed; Chinese otherwise. Responses carry a validator (ETag, Last-Modified)
and a short public max-age, so pollers every minute cost a 304 while nothing changed."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Response, request, url_for
from flask_babel import force_locale, gettext

from engine.cases import Outage, recent_outages
from webforms.database import reading_session, reads_only, runtime
from webforms.public import bp
from webforms.shown_values import local_time

MAX_AGE_SECONDS = 60
FEED_LANGUAGES = {"zh_CN": "zh-CN", "en": "en"}


def _language() -> str:
    asked = request.args.get("lang", "")
    return asked if asked in FEED_LANGUAGES else "zh_CN"


def _service(outage: Outage) -> str:
    service = outage.latest.service
    return gettext("Heating") if service == "heating" else gettext("Water") if service == "water" else service


def _area(outage: Outage) -> str:
    n = outage.latest
    return " ".join(part for part in (n.district, n.building, n.unit) if part)


def _title(outage: Outage) -> str:
    kind = gettext("planned outage") if outage.latest.outage_type == "planned" else gettext("fault outage")
    state = gettext("In progress") if outage.is_current else gettext("Restored")
    return f"{_service(outage)} · {kind} · {_area(outage)} · {state}"


def _text(outage: Outage, now: datetime) -> str:
    n = outage.latest
    lines = [f"{gettext('From')} {local_time(n.starts_at)}"]
    if outage.restoration is not None:
        lines.append(f"{gettext('Restored')} {local_time(outage.restoration.restored_at)}")
    else:
        lines.append(f"{gettext('Expected back')} {local_time(n.estimated_restore_at)}")
        if outage.estimate_passed(now):
            lines.append(gettext("Not restored by the expected time yet; a new estimate will be published."))
    if n.cause:
        lines.append(f"{gettext('Cause')}: {n.cause}")
    return "\n".join(lines)


def outage_summary(outage: Outage) -> tuple[str, str]:
    """An outage as one headline and a few lines, in the page's language (the intake's suggestions)."""
    return _title(outage), _text(outage, runtime().clock.now())


def _first_published(outage: Outage) -> datetime:
    return min(n.published_at for n in outage.notices)


def _last_published(outage: Outage) -> datetime:
    return max(n.published_at for n in outage.notices)


def _entry_url(outage: Outage) -> str:
    return url_for("public.notices", _external=True, _anchor=f"outage-{outage.case_number}")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _facts(outage: Outage, now: datetime) -> dict[str, Any]:
    """The notice's facts for machines: the same as the page shows, typed."""
    n = outage.latest
    return {
        "case_number": outage.case_number,
        "status": "current" if outage.is_current else "restored",
        "service": n.service,
        "outage_type": n.outage_type,
        "district": n.district,
        "building": n.building,
        "unit": n.unit,
        "cause": n.cause,
        "starts_at": _iso(n.starts_at),
        "estimated_restore_at": _iso(n.estimated_restore_at),
        "restored_at": _iso(outage.restoration.restored_at if outage.restoration else None),
        "estimate_passed": outage.estimate_passed(now),
        "notices_published": len(outage.notices),
    }


def _conditional(body: bytes, mimetype: str, outages: list[Outage]) -> Response:
    response = Response(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    if outages:
        response.last_modified = max(_last_published(o) for o in outages)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    response.vary.add("Accept-Encoding")
    return response.make_conditional(request)


def _atom(outages: list[Outage], language: str, now: datetime) -> bytes:
    feed = FeedGenerator()
    feed.id(url_for("public.notices", _external=True))
    feed.title(gettext("Outage notices"))
    feed.subtitle(gettext("Heating and water outages in progress or announced, and restorations."))
    feed.link(href=url_for("public.notices", _external=True), rel="alternate")
    feed.link(href=request.url, rel="self")
    feed.language(FEED_LANGUAGES[language])
    feed.updated(max((_last_published(o) for o in outages), default=now))
    # feedgen writes entries in the reverse of the order they were added: add oldest first.
    for outage in reversed(outages):
        entry = feed.add_entry()
        entry.id(_entry_url(outage))
        entry.title(_title(outage))
        entry.link(href=_entry_url(outage))
        entry.published(_first_published(outage))
        entry.updated(_last_published(outage))
        entry.content(_text(outage, now), type="text")
        entry.category(term=outage.latest.service, label=_service(outage))
    return bytes(feed.atom_str(pretty=True))


def _json_feed(outages: list[Outage], language: str, now: datetime) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": gettext("Outage notices"),
        "home_page_url": url_for("public.notices", _external=True),
        "feed_url": request.url,
        "language": FEED_LANGUAGES[language],
        "items": [
            {
                "id": _entry_url(outage),
                "url": _entry_url(outage),
                "title": _title(outage),
                "content_text": _text(outage, now),
                "date_published": _iso(_first_published(outage)),
                "date_modified": _iso(_last_published(outage)),
                "tags": [outage.latest.service, "current" if outage.is_current else "restored"],
                "_hotline": _facts(outage, now),
            }
            for outage in outages
        ],
    }
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")


@bp.route("/notices.atom")
@reads_only
def notices_atom() -> Response:
    language = _language()
    outages = recent_outages(reading_session())
    with force_locale(language):
        body = _atom(outages, language, runtime().clock.now())
    return _conditional(body, "application/atom+xml", outages)


@bp.route("/notices.json")
@reads_only
def notices_json() -> Response:
    language = _language()
    outages = recent_outages(reading_session())
    with force_locale(language):
        body = _json_feed(outages, language, runtime().clock.now())
    return _conditional(body, "application/feed+json", outages)
