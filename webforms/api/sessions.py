"""The API reads no cookie and sets none: its calls carry a token. An API address gets an empty
session that is never saved, holding only the language the client asked for (Accept-Language), so
messages come in Chinese unless English is asked for, like the pages."""

from __future__ import annotations

import copy
import time
from functools import lru_cache
from typing import Any

from flask import Flask, Request, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, Signer, TimestampSigner, URLSafeTimedSerializer

from webforms.api.problems import API_PREFIX

# Values no tag of Flask's applies to (a str subclass such as Markup is not among them).
_PLAIN = frozenset({str, int, float, bool, type(None)})
# How many cookies a web process remembers having verified (one per browser that is active, roughly).
_VERIFIED_KEPT = 1024


class _SessionSerializer(TaggedJSONSerializer):
    """Flask's session serializer, writing the same JSON: a plain value is taken as it is instead of
    being offered to each of the eight tags in turn (every response that sets the cookie tags each
    value of the session: the CSRF token, the sign-in, the language, the flash messages)."""

    def tag(self, value: Any) -> Any:
        if type(value) in _PLAIN:
            return value
        return super().tag(value)


class _KeyKeptSigner(TimestampSigner):
    """itsdangerous' signer, deriving the key from each secret once instead of for every signature."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[str | bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        derived = self._derived.get(secret_key)
        if derived is None:
            derived = self._derived.setdefault(secret_key, super().derive_key(secret_key))
        return derived


class _SignerKeptSerializer(URLSafeTimedSerializer):
    """itsdangerous' serializer keeping its signer (one per salt) instead of making one per cookie."""

    default_signer = _KeyKeptSigner

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._made: dict[str | bytes | None, Signer] = {}

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        made = self._made.get(salt)
        if made is None:
            made = self._made.setdefault(salt, super().make_signer(salt))
        return made


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
            serializer = _SignerKeptSerializer(
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
        # Called while the request is still current (Flask's process_response).
        if request.path.startswith(API_PREFIX):
            return
        super().save_session(app, session, response)
