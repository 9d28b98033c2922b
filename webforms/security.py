"""Security headers on every response (pages, error pages, static files, downloads).

The Content-Security-Policy allows scripts only from this site (`script-src 'self'`): the templates
carry no inline script or `on…=` handler; their `<script type="application/json">` data blocks are
data, not script, and run under no policy. Styles allow 'unsafe-inline' because bpmn-js and its
properties panel set style attributes and insert style elements while drawing; images allow data: and
blob: (the signature pad's PNG, the modeler's icons and exported SVG). Nothing may frame the pages.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Sent only when the site is served over HTTPS (browsers ignore it over plain HTTP anyway).
HSTS = "max-age=31536000"


def init_app(app: Flask, tls: bool) -> None:
    wanted = {**HEADERS, "Strict-Transport-Security": HSTS} if tls else HEADERS

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # Those a view set itself are kept; the headers are looked through once, not once per name.
        present = {name.lower() for name, _value in response.headers}
        for name, value in wanted.items():
            if name.lower() not in present:
                response.headers.add(name, value)
        return response
