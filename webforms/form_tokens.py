"""Flask-WTF's CSRF protection, with the token serializer made once per secret key.

Flask-WTF builds an itsdangerous serializer for every token it signs or checks, which makes a signer
and derives its key from the secret again each time (some 180 Python calls on every form POST). Here
the serializer, its signer and the derived key are kept per secret key (webforms.signing); everything
else is Flask-WTF's: the same salt and token format, the raw token kept in the session, the time limit,
the exemptions, the referrer check over HTTPS and the refusals (CSRFError, 400) with their reasons.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, csrf_meta_tag, same_origin
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from wtforms import ValidationError

from webforms.signing import SignerKeptSerializer

log = logging.getLogger("flask_wtf.csrf")
SALT = "wtf-csrf-token"  # Flask-WTF's: tokens signed before and after this module are the same


@lru_cache(maxsize=8)
def token_serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return SignerKeptSerializer(secret_key, salt=SALT)


def _secret_key() -> str | bytes:
    key = current_app.config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    if key is None:
        raise RuntimeError("A secret key is required to use CSRF.")
    return key  # type: ignore[no-any-return]


def generate_csrf() -> str:
    """The signed token for the page's forms (flask_wtf.csrf.generate_csrf): one per request, its raw
    value made once per session and kept there."""
    field_name = current_app.config["WTF_CSRF_FIELD_NAME"]
    if field_name not in g:
        if not isinstance(session.get(field_name), str):
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        setattr(g, field_name, token_serializer(_secret_key()).dumps(session[field_name]))
    token: str = g.get(field_name)
    return token


def validate_csrf(data: str | None) -> None:
    """flask_wtf.csrf.validate_csrf on the app's configuration: ValidationError says what is wrong."""
    field_name = current_app.config["WTF_CSRF_FIELD_NAME"]
    if not data:
        raise ValidationError("The CSRF token is missing.")
    if field_name not in session:
        raise ValidationError("The CSRF session token is missing.")
    time_limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    try:
        token = token_serializer(_secret_key()).loads(data, max_age=time_limit)
    except SignatureExpired as e:
        raise ValidationError("The CSRF token has expired.") from e
    except BadData as e:
        raise ValidationError("The CSRF token is invalid.") from e
    if not isinstance(token, str) or not hmac.compare_digest(session[field_name], token):
        raise ValidationError("The CSRF tokens do not match.")


class KeptKeyCSRFProtect(CSRFProtect):
    """CSRFProtect signing and checking through `generate_csrf` and `validate_csrf` above."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.jinja_env.globals["csrf_token"] = generate_csrf
        # Flask-WTF's context processor hands templates its own generate_csrf: ours takes its place.
        processors = app.template_context_processors[None]
        for i, processor in enumerate(processors):
            if processor.__module__ == "flask_wtf.csrf":
                processors[i] = _csrf_in_templates

    def protect(self, apply_exemptions: bool = False) -> None:
        """CSRFProtect.protect with our check."""
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        try:
            validate_csrf(self._get_csrf_token())
        except ValidationError as e:
            log.info(e.args[0])
            self._error_response(e.args[0])
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True


def _csrf_in_templates() -> dict[str, Any]:
    return {"csrf_token": generate_csrf, "csrf_meta_tag": csrf_meta_tag}
