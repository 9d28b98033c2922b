"""Security headers on every response — pages, error pages, static files, downloads, the public notices
— and the session cookie's flags: HttpOnly and SameSite=Lax always, Secure when the site is served
over TLS (HOTLINE_TLS), with the client's address and scheme taken from a trusted proxy (HOTLINE_PROXIES)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine.db import SignInFailure
from engine.runtime import Runtime
from tests.web.support import DEMO_PASSWORD, build_app, fast_password_hashing, get, login, post


def assert_hardened(response: TestResponse, what: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ") if d}
    assert directives.get("script-src") == ["'self'"], (what, policy)
    assert directives.get("frame-ancestors") == ["'none'"], (what, policy)
    assert directives.get("object-src") == ["'none'"], (what, policy)
    assert "'unsafe-inline'" not in directives.get("default-src", []), (what, policy)
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "same-origin", what


def test_every_kind_of_response_carries_the_security_headers(app: Flask, client: FlaskClient) -> None:
    assert_hardened(client.get("/login"), "the sign-in page")
    assert_hardened(client.get("/tasks"), "a redirect to sign in")
    assert_hardened(client.get("/notices"), "the public notices")
    for static in ("/static/hotline.js", "/static/vendor/hotline-viewer.js"):
        with client.get(static) as answer:
            assert answer.status_code == 200
            assert_hardened(answer, static)
    refused = post(
        client, "/login", {"username": "operator", "password": "wrong"}, get(client, "/login").csrf_token()
    )
    assert_hardened(refused.response, "a refused sign-in (401)")
    login(client, "operator")
    for url in ("/tasks", "/cases", "/notifications", "/handover"):
        assert_hardened(client.get(url), url)
    assert_hardened(client.get("/no/such/page"), "404")
    assert_hardened(client.get("/reports"), "403")
    assert_hardened(client.post("/tasks/1", data={}), "a form without its CSRF token (400)")


def test_an_unexpected_error_page_carries_them_too(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    app = build_app(tmp_path, database_url, runtime, sessions, {"TESTING": False})

    @app.route("/broken")
    def broken() -> str:
        raise RuntimeError("a bug")

    answer = app.test_client().get("/broken")
    assert answer.status_code == 500
    assert_hardened(answer, "500")


def session_cookie(client: FlaskClient) -> str:
    token = get(client, "/login").csrf_token()
    answer = client.post(
        "/login", data={"username": "operator", "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302
    (cookie,) = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_the_session_cookie_is_http_only_and_same_site_lax_but_not_secure_over_plain_http(
    client: FlaskClient,
) -> None:
    flags = [f.strip().lower() for f in session_cookie(client).split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags


@pytest.mark.parametrize("proxied", [False, True], ids=["tls", "tls-behind-a-proxy"])
def test_over_tls_the_cookie_is_secure_and_a_trusted_proxy_gives_the_client_address(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    proxied: bool,
) -> None:
    fast_password_hashing(monkeypatch)
    app = build_app(tmp_path, database_url, runtime, sessions, tls=True, proxies=1 if proxied else 0)
    client = app.test_client()
    flags = [f.strip().lower() for f in session_cookie(client).split(";")]
    assert "secure" in flags and "httponly" in flags
    answer = client.get("/login")
    assert answer.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    if proxied:
        # The proxy says who the client is: the sign-in limits count that address, not the proxy's.
        token = get(client, "/login").csrf_token()
        refused = client.post(
            "/login",
            data={"username": "operator", "password": "wrong", "csrf_token": token},
            # Over HTTPS Flask-WTF checks the Referer, which Referrer-Policy: same-origin keeps sending.
            headers={
                "X-Forwarded-For": "203.0.113.7",
                "X-Forwarded-Proto": "https",
                "Referer": "https://localhost/login",
            },
        )
        assert refused.status_code == 401, refused.get_data(as_text=True)[:3000]
        with sessions() as session:
            assert session.scalars(select(SignInFailure.address)).all() == ["203.0.113.7"]
