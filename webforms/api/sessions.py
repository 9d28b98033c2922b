"""The API reads no cookie and sets none: its calls carry a token. An API address gets an empty
session that is never saved, holding only the language the client asked for (Accept-Language), so
messages come in Chinese unless English is asked for, like the pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from webforms.api.problems import API_PREFIX


class TokenOnlySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions for pages; an unsaved one without the cookie for the API."""

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
