"""The API reads no cookie and sets none: its calls carry a token. An API address gets an empty
session that is never saved, holding only the language the client asked for (Accept-Language), so
messages come in Chinese unless English is asked for, like the pages."""

from __future__ import annotations

import copy
import json
import time
from functools import lru_cache
from typing import Any

from flask import Flask, Request, Response, request
from flask.json.provider import DefaultJSONProvider
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from webforms.api.problems import API_PREFIX
from webforms.signing import SignerKeptSerializer

# Values no tag of Flask's applies to (a str subclass such as Markup is not among them).
_PLAIN = frozenset({str, int, float, bool, type(None)})
# How many cookies a web process remembers having verified (one per browser that is active, roughly).
_VERIFIED_KEPT = 1024


# Flask's JSON for the session (DefaultJSONProvider's settings, TaggedJSONSerializer's separators), made
# once: flask.json.dumps goes through the app's provider and builds an encoder for every cookie.
_ENCODER = json.JSONEncoder(
    ensure_ascii=DefaultJSONProvider.ensure_ascii,
    sort_keys=DefaultJSONProvider.sort_keys,
    separators=(",", ":"),
    default=DefaultJSONProvider.default,
)


class _SessionSerializer(TaggedJSONSerializer):
    """Flask's session serializer, writing the same JSON: a plain value is taken as it is instead of
    being offered to each of the eight tags in turn (every response that sets the cookie tags each
    value of the session: the CSRF token, the sign-in, the language, the flash messages), and the JSON
    is written and read by the standard library directly (a signed cookie is the app's own: the checks
    webforms.json_bodies makes on what requests bring are not needed)."""

    def tag(self, value: Any) -> Any:
        if type(value) in _PLAIN:
            return value
        return super().tag(value)

    def dumps(self, value: Any) -> str:
        return _ENCODER.encode(self.tag(value))

    def loads(self, value: str | bytes) -> Any:
        return self._untag_scan(json.loads(value))


class TokenOnlySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions for pages; an unsaved one without the cookie for the API."""

    serializer = _SessionSerializer()

    def __init__(self) -> None:
        self._signers: dict[tuple[str | bytes, ...], URLSafeTimedSerializer] = {}
        # A browser sends the same cookie with every request until its content changes: its signature
        # is checked and its content decoded once per process, not once per request.
        self._verified = lru_cache(maxsize=_VERIFIED_KEPT)(self._read_cookie)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer for the app's keys (the current one last), made once per keys (Flask makes
        one per call), with its signer and derived keys kept."""
        if not app.secret_key:
            return None
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        made = self._signers.get(keys)
        if made is None:
            serializer = SignerKeptSerializer(
                list(keys),  # type: ignore[arg-type]
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            made = self._signers.setdefault(keys, serializer)
        return made

    def _read_cookie(
        self, serializer: URLSafeTimedSerializer, cookie: str
    ) -> tuple[int, dict[str, Any]] | None:
        """When the cookie was signed and what it holds; None where the signature is not the app's."""
        try:
            data, signed_at = serializer.loads(cookie, return_timestamp=True)
        except BadSignature:
            return None
        return int(signed_at.timestamp()), data

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith(API_PREFIX):
            return self._cookie_session(app, request)
        session = self.session_class()
        if request.accept_languages.best_match(["zh", "zh-CN", "en"]) == "en":
            session["lang"] = "en"
        session.modified = False
        return session

    def _cookie_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """What Flask's open_session gives, with a cookie verified before taken from `_verified`."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        verified = self._verified(serializer, cookie)
        if verified is None:
            return self.session_class()
        signed_at, data = verified
        # The cookie's own age, in wall time as itsdangerous counts it (the sign-in session's end is
        # the server's, on the engine's clock: webforms.people.sessions).
        age = int(time.time()) - signed_at
        if age < 0 or age > int(app.permanent_session_lifetime.total_seconds()):
            return self.session_class()
        if all(type(value) in _PLAIN for value in data.values()):
            return self.session_class(data)
        # Pending messages are a list a request appends to: the remembered content stays as it came.
        return self.session_class(copy.deepcopy(data))

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        """Flask's save_session: the same cookie and headers, with "Vary: Cookie" added once, without
        werkzeug's header set where the response varies on nothing yet (the set parses the header and
        raises and catches a KeyError when there is none: some 40 calls, twice when the cookie is set,
        on nearly every page)."""
        # Called while the request is still current (Flask's process_response).
        if request.path.startswith(API_PREFIX):
            return
        if self._write_cookie(app, session, response) or session.accessed:
            vary_on_cookie(response)

    def _write_cookie(self, app: Flask, session: Any, response: Response) -> bool:
        """Set the cookie, or delete it when the session was emptied; whether it did either."""
        if not session:
            if session.modified:
                response.delete_cookie(self.get_cookie_name(app), **self._cookie_attributes(app))
                return True
            return False
        if not self.should_set_cookie(app, session):
            return False
        serializer = self.get_signing_serializer(app)
        assert serializer is not None  # a session was opened: the app has a secret key
        response.set_cookie(
            self.get_cookie_name(app),
            serializer.dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            **self._cookie_attributes(app),
        )
        return True

    def _cookie_attributes(self, app: Flask) -> dict[str, Any]:
        return {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "partitioned": self.get_cookie_partitioned(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }


def vary_on_cookie(response: Response) -> None:
    """`response.vary.add("Cookie")`, set directly where the response varies on nothing yet."""
    if response.headers.getlist("Vary"):
        response.vary.add("Cookie")
    else:
        response.headers["Vary"] = "Cookie"
