"""Response headers: a strict Content-Security-Policy with a per-request nonce, no caching."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

# Inline scripts run only with this request's nonce; Flask-Admin puts it on its own
# script tags (csp_nonce_generator). Inline style attributes of its templates stay allowed.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# Pages and downloads may carry personal data: never stored by browsers or proxies.
NO_STORE_TYPES = frozenset({"text/html", "text/csv", "application/json", "application/zip"})


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if response.mimetype in NO_STORE_TYPES:
            response.headers["Cache-Control"] = "no-store"
        return response
