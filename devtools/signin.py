"""Sign in to a console through its real OpenID provider, as a person would, with ``requests``:
follow the redirects and fill the development provider's one-form pages. What ``make bench``
uses to get a real session (the same path as a browser: login, consent, callback, a session
opened on the server); tests/helpers.py's Person does the same step by step, reading forms
with :func:`forms_of`."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method":
                               (a.get("method") or "get").lower(), "fields": {}})
        elif tag in ("input", "button") and self.forms and a.get("name"):
            if a.get("type") in ("submit", "button") and tag == "button":
                return
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


def forms_of(html: str) -> list[dict[str, Any]]:
    """Every form of a page: {action, method, fields: {name: value}} (buttons that submit
    or do nothing left out)."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def sign_in(console: str, issuer: str, email: str, next_path: str = "/privacy/",
            max_steps: int = 20) -> requests.Session:
    """A session signed in as ``email`` (any password: the development provider's rule)."""
    http = requests.Session()
    hosts = {urlsplit(console).netloc, urlsplit(issuer).netloc}
    response = http.get(f"{console}/auth/login?next={next_path}", allow_redirects=False,
                        timeout=10)
    for _ in range(max_steps):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if urlsplit(target).netloc not in hosts:
                raise RuntimeError(f"sign-in went off-site to {target}")
            response = http.get(target, allow_redirects=False, timeout=10)
            continue
        if not response.url.startswith(issuer):
            break
        forms = forms_of(response.text)
        if len(forms) != 1:
            raise RuntimeError(f"unexpected page at the provider: {response.url}")
        form = forms[0]
        fields = dict(form["fields"])
        if "login" in fields:
            fields.update(login=email, password="any-password")  # noqa: S106
        response = http.post(urljoin(response.url, form["action"] or response.url),
                             data=fields, allow_redirects=False, timeout=10)
    if response.status_code != 200 or not response.url.startswith(console + next_path):
        raise RuntimeError(f"sign-in of {email} ended at {response.url} "
                           f"({response.status_code})")
    return http
