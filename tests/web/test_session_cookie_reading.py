"""The session cookie is verified once per web process and then remembered (issue 15): what a request
opens is what Flask's own session interface opens from the same cookie, a cookie past its lifetime or
with another signature still opens an empty session, and a remembered cookie's pending messages are not
changed by the request that read them."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from webforms.api.sessions import TokenOnlySessions

SIGNED_IN = {"_user_id": "t" * 43, "_fresh": True, "csrf_token": "c" * 40, "lang": "en"}


def page_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "a-secret-key-for-the-cookie-test"
    app.permanent_session_lifetime = timedelta(hours=12)
    return app


def opened(interface: SecureCookieSessionInterface, app: Flask, cookie: str) -> dict[str, object]:
    with app.test_request_context("/tasks", headers={"Cookie": f"session={cookie}"}):
        session = interface.open_session(app, request)
        assert session is not None
        return dict(session)


def cookie_of(app: Flask, content: dict[str, object]) -> str:
    serializer = TokenOnlySessions().get_signing_serializer(app)
    assert serializer is not None
    return serializer.dumps(content)


def test_a_cookie_opens_what_flask_opens_the_first_time_and_every_time_after() -> None:
    app, ours, flasks = page_app(), TokenOnlySessions(), SecureCookieSessionInterface()
    flasks.serializer = ours.serializer
    cookie = cookie_of(app, SIGNED_IN)

    assert opened(ours, app, cookie) == opened(flasks, app, cookie) == SIGNED_IN
    assert opened(ours, app, cookie) == SIGNED_IN
    assert ours._verified.cache_info().hits == 1  # the second request did not verify it again


def test_a_remembered_cookie_past_its_lifetime_opens_an_empty_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, ours = page_app(), TokenOnlySessions()
    cookie = cookie_of(app, SIGNED_IN)
    assert opened(ours, app, cookie) == SIGNED_IN
    signed_at = time.time()

    monkeypatch.setattr(time, "time", lambda: signed_at + 12 * 3600 + 5)

    assert opened(ours, app, cookie) == {}
    flasks = SecureCookieSessionInterface()
    flasks.serializer = ours.serializer
    assert opened(flasks, app, cookie) == {}, "as Flask's own interface decides"


def test_a_cookie_with_another_signature_opens_an_empty_session_every_time() -> None:
    app, ours = page_app(), TokenOnlySessions()
    other = page_app()
    other.secret_key = "another-key"
    forged = cookie_of(other, SIGNED_IN)

    assert opened(ours, app, forged) == {}
    assert opened(ours, app, forged) == {}
    assert opened(ours, app, cookie_of(app, SIGNED_IN)) == SIGNED_IN


def test_pending_messages_of_a_remembered_cookie_stay_as_the_cookie_says() -> None:
    app, ours = page_app(), TokenOnlySessions()
    cookie = cookie_of(app, {**SIGNED_IN, "_flashes": [("success", "任务已完成。")]})
    with app.test_request_context("/tasks", headers={"Cookie": f"session={cookie}"}):
        session = ours.open_session(app, request)
        assert session is not None
        session["_flashes"].append(("info", "又一条。"))  # as flask.flash appends

    assert opened(ours, app, cookie)["_flashes"] == [("success", "任务已完成。")]


def test_the_kept_signer_signs_as_flask_does_with_the_current_key_and_reads_a_fallback_keys_cookie() -> None:
    """The serializer, its signer and the keys it derives are kept between cookies: what it writes
    Flask's own interface opens, every time, and a cookie of a key being rotated out still opens."""
    app = page_app()
    app.config["SECRET_KEY_FALLBACKS"] = ["the-key-before-the-rotation"]
    ours, flasks = TokenOnlySessions(), SecureCookieSessionInterface()
    serializer = ours.get_signing_serializer(app)
    assert serializer is not None and ours.get_signing_serializer(app) is serializer
    for n in range(3):
        assert opened(flasks, app, serializer.dumps({**SIGNED_IN, "n": n})) == {**SIGNED_IN, "n": n}
    before = page_app()
    before.secret_key = "the-key-before-the-rotation"
    assert opened(ours, app, cookie_of(before, SIGNED_IN)) == SIGNED_IN
    stranger = page_app()
    stranger.secret_key = "a-key-this-app-never-had"
    assert opened(ours, app, cookie_of(stranger, SIGNED_IN)) == {}
    without_the_fallback = page_app()
    assert opened(flasks, without_the_fallback, serializer.dumps(SIGNED_IN)) == SIGNED_IN
