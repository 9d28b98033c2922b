"""Signing with what depends only on the secret made once (issue 15): the session cookie's signatures are
the bytes itsdangerous makes and its headers are Flask's; a form POST without its token or with a wrong
one is refused (Flask-WTF's protection, as the app sets it up)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Flask, Response, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from flask_wtf.csrf import generate_csrf as flask_wtf_generate_csrf
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from webforms.api.sessions import TokenOnlySessions, vary_on_cookie
from webforms.signing import KeyKeptSigner, OneCallHMAC, SignerKeptSerializer

SECRET = "a-secret-key-for-the-signing-test"


def form_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = SECRET
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    CSRFProtect(app)

    @app.get("/form")
    def form() -> str:
        from flask import render_template_string

        return render_template_string("{{ csrf_token() }}")

    @app.post("/form")
    def post() -> str:
        return "kept"

    return app


def test_a_signature_is_the_one_itsdangerous_makes() -> None:
    for digest in (hashlib.sha1, hashlib.sha256):
        plain = TimestampSigner(SECRET, salt="s", digest_method=digest, key_derivation="hmac")
        ours = KeyKeptSigner(SECRET, salt="s", digest_method=digest, key_derivation="hmac")
        assert isinstance(ours.algorithm, OneCallHMAC)
        key = ours.derive_key()
        assert ours.algorithm.get_signature(key, b"value") == plain.algorithm.get_signature(key, b"value")
        assert plain.unsign(ours.sign(b"value")) == b"value"
        assert ours.unsign(plain.sign(b"value")) == b"value"
    serializer = SignerKeptSerializer(SECRET, salt="wtf-csrf-token")
    assert URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").loads(serializer.dumps("raw")) == "raw"


def test_a_form_posts_with_its_token_and_is_refused_without_it_or_with_a_wrong_one() -> None:
    client = form_app().test_client()
    token = client.get("/form").text

    assert client.post("/form", data={"csrf_token": token}).status_code == 200
    assert client.post("/form", data={}).status_code == 400
    assert client.post("/form", data={"csrf_token": token + "x"}).status_code == 400
    other = URLSafeTimedSerializer("another-secret-key", salt="wtf-csrf-token").dumps("c" * 40)
    assert client.post("/form", data={"csrf_token": other}).status_code == 400
    assert client.post("/form", headers={"X-CSRFToken": token}).status_code == 200


def test_a_token_flask_wtf_signed_is_accepted_and_a_token_of_another_session_is_not() -> None:
    app = form_app()
    client = app.test_client()
    with app.test_request_context("/form"):
        session["csrf_token"] = "c" * 40
        theirs = flask_wtf_generate_csrf()
    with client.session_transaction() as kept:
        kept["csrf_token"] = "c" * 40
    assert client.post("/form", data={"csrf_token": theirs}).status_code == 200
    with client.session_transaction() as kept:
        kept["csrf_token"] = "d" * 40
    assert client.post("/form", data={"csrf_token": theirs}).status_code == 400


def test_the_session_cookie_and_its_headers_are_flasks() -> None:
    app = Flask(__name__)
    app.secret_key = SECRET
    app.permanent_session_lifetime = timedelta(hours=12)
    ours, flasks = TokenOnlySessions(), SecureCookieSessionInterface()
    flasks.serializer = ours.serializer
    for vary in (None, "Accept-Language", "Accept-Language, Cookie"):
        answers = []
        for interface in (ours, flasks):
            with app.test_request_context("/tasks"):
                opened = interface.open_session(app, request)
                assert opened is not None
                opened["_flashes"] = [("success", "任务已完成。")]
                response = Response("", headers={"Vary": vary} if vary else {})
                interface.save_session(app, opened, response)
                answers.append(response.headers)
        ours_headers, flasks_headers = answers
        assert ours_headers.get("Vary") == flasks_headers.get("Vary")
        ours_cookie, flasks_cookie = (h["Set-Cookie"] for h in answers)
        # the same attributes; the values differ only by their signing time
        assert ours_cookie.split(";")[1:] == flasks_cookie.split(";")[1:]


def test_vary_on_cookie_adds_cookie_once() -> None:
    response = Response("")
    vary_on_cookie(response)
    vary_on_cookie(response)
    assert response.headers.getlist("Vary") == ["Cookie"]
    response = Response("", headers={"Vary": "Accept-Language"})
    vary_on_cookie(response)
    assert response.headers["Vary"] == "Accept-Language, Cookie"
