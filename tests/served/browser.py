"""A browser over real HTTP, from the standard library: cookies, the login form, edit forms.

Cookies are kept by name without expiry checks: the test process runs under the frozen
clock of ``tests/conftest.py`` while the served app runs on the real one, so
``http.cookiejar`` would judge the app's expiry dates against the wrong day.
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from seeds.demo import DEFAULT_PASSWORD

TIMEOUT_SECONDS = 30
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Errors of the connection itself: no answer, or an answer cut off.
CONNECTION_ERRORS = (http.client.HTTPException, OSError)


@dataclass
class Answer:
    """What came back: a status and a body, or ``error`` when the connection failed."""

    method: str
    path: str
    status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    abandoned: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def __str__(self) -> str:
        outcome = self.error or f"{self.status}"
        return f"{self.method} {self.path} -> {outcome}"


class Browser:
    """One user's browser: a cookie store of its own, one connection per request."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        form: list[tuple[str, str]] | None = None,
        *,
        first_chunk_only: bool = False,
    ) -> Answer:
        """Send one request; with ``first_chunk_only`` hang up after the first chunk read."""
        headers = {"Accept-Language": "de"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = Answer(method, path, None)
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer.status, answer.headers = response.status, dict(response.headers)
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
            if first_chunk_only:
                answer.body = response.read1(4096)
                answer.abandoned = True
            else:
                answer.body = response.read()
        except CONNECTION_ERRORS as error:
            # No answer at all (status None), or a body cut off after its status line.
            answer.error = f"{type(error).__name__}: {error}"
        finally:
            connection.close()  # hangs up a download that was not read to its end
        return answer

    def get(self, path: str, *, first_chunk_only: bool = False) -> Answer:
        return self.request("GET", path, first_chunk_only=first_chunk_only)

    def post(self, path: str, form: list[tuple[str, str]]) -> Answer:
        return self.request("POST", path, form)

    def _keep_cookies(self, set_cookie_headers: list[str]) -> None:
        for header in set_cookie_headers:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def login(self, email: str, password: str = DEFAULT_PASSWORD) -> list[Answer]:
        """The login form as a person fills it in: the page, then the form with its token."""
        page = self.get("/login")
        token = csrf_token(page)
        sent = self.post(
            "/login", [("csrf_token", token), ("email", email), ("password", password)]
        )
        if sent.status != 302:
            said = re.findall(r'role="alert">([^<]*)<|invalid-feedback">([^<]*)<', sent.text)
            raise AssertionError(f"login as {email} failed: {sent} {said}")
        return [page, sent]


def csrf_token(answer: Answer) -> str:
    match = CSRF_TOKEN.search(answer.text)
    if match is None:
        raise AssertionError(f"no csrf_token in {answer}: {answer.text[:300]}")
    return match.group(1)


class _AdminForm(HTMLParser):
    """The fields the admin form (``class="admin-form"``) would send, as a browser sends them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: tuple[str, bool] | None = None
        self._select_values: list[str] = []
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and "admin-form" in attributes.get("class", "").split():
            self._in_form = True
        if not self._in_form or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self.fields.append((name, attributes.get("value", "on")))
        elif tag == "select" and name:
            self._select = (name, "multiple" in attributes)
            self._select_values, self._select_first = [], None
        elif tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attributes:
                self._select_values.append(value)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            values = self._select_values
            if not values and not multiple and self._select_first is not None:
                values = [self._select_first]
            self.fields.extend((name, value) for value in values)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the one line break that follows <textarea>.
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None


def admin_form_fields(answer: Answer) -> list[tuple[str, str]]:
    """The fields of the edit page's form, with their current values."""
    parser = _AdminForm()
    parser.feed(answer.text)
    parser.close()
    names = {name for name, _value in parser.fields}
    if not {"csrf_token", "row_version"} <= names:
        raise AssertionError(f"no edit form with csrf_token and row_version in {answer}")
    return parser.fields


def with_value(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(key, value if key == name else old) for key, old in fields]
