"""Response headers (a strict Content-Security-Policy with a per-request nonce, no caching),
the trusted reverse proxies, and a guard against bytes no field can hold."""

from __future__ import annotations

import secrets

from flask import Flask, Response, abort, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

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


def register_request_guards(app: Flask) -> None:
    """A NUL byte is no character of any text; PostgreSQL refuses it in a query (400)."""

    @app.before_request
    def refuse_nul_bytes() -> None:
        if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
            abort(400)


def trust_reverse_proxies(app: Flask) -> None:
    """Take the client's address from ``X-Forwarded-*`` of ``KIM_TRUSTED_PROXIES`` proxies.

    Without it, behind a proxy every request comes from the proxy's address, and the login
    throttle per address would lock out everyone at once; with too many, a client could
    claim any address. So the number is a setting, 0 (no proxy) by default.
    """
    proxies = int(app.config["KIM_TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
