"""The API reads no cookie and sets none: its calls carry a token. An API address gets an empty
session that is never saved, holding only the language the client asked for (Accept-Language), so
messages come in Chinese unless English is asked for, like the pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from webforms.api.problems import API_PREFIX

# Values no tag of Flask's applies to (a str subclass such as Markup is not among them).
_PLAIN = frozenset({str, int, float, bool, type(None)})


class _SessionSerializer(TaggedJSONSerializer):
    """Flask's session serializer, writing the same JSON: a plain value is taken as it is instead of
    being offered to each of the eight tags in turn (every response that sets the cookie tags each
    value of the session: the CSRF token, the sign-in, the language, the flash messages)."""

    def tag(self, value: Any) -> Any:
        if type(value) in _PLAIN:
            return value
        return super().tag(value)


class TokenOnlySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions for pages; an unsaved one without the cookie for the API."""

    serializer = _SessionSerializer()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith(API_PREFIX):
            return super().open_session(app, request)
        session = self.session_class()
        if request.accept_languages.best_match(["zh", "zh-CN", "en"]) == "en":
            session["lang"] = "en"
        session.modified = False
        return session

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        # Called while the request is still current (Flask's process_response).
        if request.path.startswith(API_PREFIX):
            return
        super().save_session(app, session, response)
