"""Test helpers: a live server for the current test's app, a person signing in through the
real OpenID provider's forms with ``requests``, and the ``flask selfservice worker`` process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from flask import Flask
from werkzeug.serving import make_server

from devtools.services import ROOT, end_process, wait_for_port
from devtools.signin import forms_of
from selfservice.auth import _SESSION_KEY


class LiveServer:
    """One threaded HTTP server for the whole session; each test plugs its own app in."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.app: Flask | None = None
        self._server = make_server("127.0.0.1", port, self._dispatch, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _dispatch(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app"]
        return self.app(environ, start_response)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page that has one."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field on the page"
    return found[1]


#: seconds a test's HTTP call may wait for the app: generous, because a CI machine shared with
#: other work can stall a request for seconds; a request that never answers still fails
HTTP_TIMEOUT = 30


class Person:
    """A browser-less user: follows redirects and fills the provider's one-form pages."""

    def __init__(self, app_url: str, issuer: str) -> None:
        self.app_url = app_url
        self.issuer = issuer
        self.http = requests.Session()
        #: every URL visited, in order (tests assert where a flow went)
        self.visited: list[str] = []
        self.login_forms_seen = 0

    def _local(self, url: str) -> bool:
        host = urlsplit(url).netloc
        return host in (urlsplit(self.app_url).netloc, urlsplit(self.issuer).netloc)

    def follow(self, response: requests.Response, login: str | None = None,
               max_steps: int = 20) -> requests.Response:
        """Follow redirects (never off-site) and submit the provider's forms."""
        for _ in range(max_steps):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if not self._local(target):
                    raise AssertionError(f"redirected off-site to {target}")
                self.visited.append(target)
                response = self.http.get(target, allow_redirects=False, timeout=HTTP_TIMEOUT)
                continue
            if response.url.startswith(self.issuer) and response.status_code == 200:
                forms = forms_of(response.text)
                if len(forms) != 1:
                    return response
                form = forms[0]
                fields = dict(form["fields"])
                if "login" in fields:
                    if login is None:
                        return response  # the caller wanted to see the login form
                    fields["login"], fields["password"] = login, "any-password"
                    self.login_forms_seen += 1
                    login = None  # a second login form means the first was refused
                action = urljoin(response.url, form["action"] or response.url)
                self.visited.append(action)
                response = self.http.post(action, data=fields, allow_redirects=False,
                                          timeout=HTTP_TIMEOUT)
                continue
            return response
        raise AssertionError("too many steps: " + " -> ".join(self.visited[-8:]))

    def get(self, path: str, login: str | None = None, **kwargs: Any) -> requests.Response:
        response = self.http.get(urljoin(self.app_url, path), allow_redirects=False,
                                 timeout=HTTP_TIMEOUT, **kwargs)
        return self.follow(response, login=login)

    def login(self, email: str, next_path: str = "/privacy/") -> requests.Response:
        response = self.get(f"/auth/login?next={next_path}", login=email)
        assert response.status_code == 200, response.text[:500]
        assert response.url.startswith(self.app_url), response.url
        return response

    def me(self) -> dict[str, Any]:
        response = self.http.get(self.app_url + "/privacy/api/v1/me", timeout=HTTP_TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def api(self, method: str, path: str, *, csrf: bool = True, **kwargs: Any
            ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if csrf:
            headers["X-CSRF-Token"] = self.me()["csrf_token"]
        return self.http.request(method, self.app_url + path, headers=headers,
                                 allow_redirects=False, timeout=HTTP_TIMEOUT, **kwargs)

    def ask(self, kind: str = "correction", **body: Any) -> dict[str, Any]:
        """A privacy request of ``kind`` through the API (``body``: its other fields), which
        must be accepted; its JSON."""
        response = self.api("POST", "/privacy/api/v1/requests", json={"type": kind, **body})
        assert response.status_code == 202, response.text
        return response.json()  # type: ignore[no-any-return]

    def submit(self, path: str, fields: dict[str, str]) -> requests.Response:
        """Post ``fields`` to the page at ``path`` with the CSRF token of its form, as a
        browser would (the answer itself, no redirect followed)."""
        token = csrf_token(self.get(path).text)
        return self.http.post(urljoin(self.app_url, path), data={"csrf_token": token, **fields},
                              allow_redirects=False, timeout=HTTP_TIMEOUT)


def make_login_stale(app: Flask, person: Person) -> None:
    """Move the person's last authentication SELFSERVICE_REAUTH_MAX_AGE + 1 s into the past,
    as if that much time had gone by: the plugin keeps it in the signed session cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = next(c for c in person.http.cookies if c.name == name)
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    session = serializer.loads(cookie.value)
    session[_SESSION_KEY]["at"] -= app.extensions["selfservice"].setting("REAUTH_MAX_AGE") + 1
    person.http.cookies.set(name, serializer.dumps(session), domain=cookie.domain,
                            path=cookie.path)


class Worker:
    """``flask selfservice worker`` (or another ``flask selfservice`` command, such as
    ``dispatch --loop``) in a process group of its own (with its scheduler), its output in a
    log file."""

    def __init__(self, env: dict[str, str], log: Path,
                 command: tuple[str, ...] = ("worker",)) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "selfservice", *command], cwd=ROOT, env=env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """The machine dies under the worker and its scheduler (not under a work horse: on
        PostgreSQL RQ runs a job in a process of its own session, which its job row names)."""
        with suppress(ProcessLookupError):  # on SQLite the row named the worker, killed already
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        """A warm shutdown, as a supervisor asks for one; the worker's exit status. A worker
        still running 30 s later is killed, and so is its work horse."""
        if self.process.returncode is None:  # not reaped yet: the process group is still ours
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGSTOP)  # it reaps no child while they are found
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                for child in (task / "children").read_text().split():
                    os.kill(int(child), signal.SIGKILL)
            self.kill()
            raise


class WebProcess:
    """``flask run`` of an app in a process of its own (a web server on another host, as far
    as the app can tell), on ``port``, its output in a log file."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.port, self.log = port, log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port",
                 str(port), "--no-reload", "--no-debugger"], cwd=ROOT, env=env, stdout=out,
                stderr=subprocess.STDOUT)
        wait_for_port(port, timeout=60, process=self.process)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        end_process(self.process)
