"""Two hosts, proven: two web processes and two workers, each with an instance folder of its own,
sharing PostgreSQL, Redis and the object store (moto's S3 server) but no folder. An export built
by either worker downloads through either web process; a worker killed with SIGKILL mid-upload
leaves, once the other has finished the job and the sweep has run, one complete archive and no
multipart upload."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from devtools.services import ROOT, MotoServer, OidcProvider, RedisServer, free_port
from selfservice.models import BackgroundJob, PrivacyRequest
from selfservice.services import exports

from .conftest import BUCKET, TEST_CLIENT
from .helpers import Person, WebProcess, Worker
from .storage_helpers import leftovers

API = "/privacy/api/v1/requests"
LOGS = 250_000  # alice's archive: about 7 MB, two parts of an upload


@pytest.fixture
def app_config(app_config: dict[str, Any], moto_server: MotoServer) -> dict[str, Any]:
    return dict(app_config, **moto_server.settings(BUCKET, f"hosts-{uuid.uuid4().hex[:8]}"),
                SELFSERVICE_STORAGE_PART_SIZE=5 * 1024 * 1024)


class Hosts:
    """The processes of the deployment, started and stopped by the test."""

    def __init__(self, app: Flask, redis: RedisServer, folder: Path) -> None:
        self.folder = folder
        self.ports = (free_port(), free_port())
        callbacks = [f"http://127.0.0.1:{p}/auth/callback" for p in self.ports]
        self.oidc = OidcProvider(clients=[{**TEST_CLIENT, "redirect_uris": callbacks,
                                           "post_logout_redirect_uris": []}]).start()
        config = app.config
        self.env = dict(
            os.environ, FLASK_APP="tests.host_app", PYTHONPATH=str(ROOT),
            DEMO_DATABASE_URL=config["DEMO_DATABASE_URL"], DEMO_SECRET_KEY=config["SECRET_KEY"],
            SELFSERVICE_OIDC_ISSUER=self.oidc.issuer,
            SELFSERVICE_OIDC_CLIENT_ID=TEST_CLIENT["client_id"],
            SELFSERVICE_OIDC_CLIENT_SECRET=TEST_CLIENT["client_secret"],
            SELFSERVICE_DISPATCH_INTERVAL="1", SELFSERVICE_RETENTION_SWEEPS="false",
            SELFSERVICE_JOB_HEARTBEAT="1", SELFSERVICE_JOB_STALE_AFTER="3")
        for key in ("REDIS_URL", "QUEUE_NAME", "QUEUE_PREFIX", "RECEIPT_KEY", "STORAGE_URL",
                    "STORAGE_ENDPOINT_URL", "STORAGE_REGION", "STORAGE_ACCESS_KEY_ID",
                    "STORAGE_SECRET_ACCESS_KEY", "STORAGE_PART_SIZE"):
            self.env[f"SELFSERVICE_{key}"] = str(config[f"SELFSERVICE_{key}"])
        self.webs = [self._web(name, port) for name, port in zip("ab", self.ports, strict=True)]
        self.workers: dict[str, Worker] = {}

    def _web(self, name: str, port: int) -> WebProcess:
        env = dict(self.env, TEST_INSTANCE_PATH=str(self.folder / f"web-{name}"))
        return WebProcess(env, port, self.folder / f"web-{name}.log")

    def start_worker(self, name: str) -> Worker:
        env = dict(self.env, TEST_INSTANCE_PATH=str(self.folder / f"worker-{name}"))
        self.workers[name] = Worker(env, self.folder / f"worker-{name}.log")
        return self.workers[name]

    def ran(self, job_id: str) -> list[str]:
        """The workers whose log says they began the job."""
        return sorted(n for n, w in self.workers.items() if f"export.build {job_id}" in
                      w.output())

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        for web in self.webs:
            web.stop()
        self.oidc.stop()


@pytest.fixture
def hosts(app: Flask, redis_server: RedisServer, tmp_path: Path) -> Iterator[Hosts]:
    started = Hosts(app, redis_server, tmp_path)
    yield started
    started.stop()


def row(app: Flask, request_id: str) -> PrivacyRequest:
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        found = session.get(PrivacyRequest, request_id)
        assert found is not None
        return found


def completed(app: Flask, request_id: str) -> Callable[[], bool]:
    return lambda: row(app, request_id).status == "completed"


def wait_until(test: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def export_through(web: WebProcess, person: Person) -> str:
    person.app_url = web.url
    answer = person.api("POST", API, json={"type": "export"})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def download_everywhere(hosts: Hosts, person: Person, app: Flask, request_id: str) -> bytes:
    """The archive through each web process: the same bytes, the recorded SHA-256."""
    got = []
    for web in hosts.webs:
        person.app_url = web.url
        body = person.api("GET", f"{API}/{request_id}", csrf=False).json()
        answer = person.http.get(web.url + body["download"]["url"], timeout=60)
        assert answer.status_code == 200, (web.url, answer.status_code)
        got.append(answer.content)
    assert got[0] == got[1]
    assert hashlib.sha256(got[0]).hexdigest() == row(app, request_id).archive_sha256
    return got[0]


@pytest.mark.backends("postgresql")
@pytest.mark.seed(inference_logs=LOGS)
def test_two_web_processes_and_two_workers_share_nothing_but_the_services(
        app: Flask, hosts: Hosts, moto_server: MotoServer) -> None:
    web_a, web_b = hosts.webs
    people = {}
    done: list[str] = []
    for email in ("bob@example.com", "carol@example.com", "alice@example.com"):
        people[email] = Person(web_a.url, hosts.oidc.issuer)
        people[email].login(email)

    # worker 1 builds bob's export, asked through web B; worker 2 carol's, asked through A
    for worker, email, web in (("1", "bob@example.com", web_b), ("2", "carol@example.com",
                                                                    web_a)):
        hosts.start_worker(worker)
        request_id = export_through(web, people[email])
        wait_until(completed(app, request_id), f"{email}'s export")
        assert hosts.ran(row(app, request_id).job_id or "") == [worker]
        download_everywhere(hosts, people[email], app, request_id)
        hosts.workers[worker].stop()
        done.append(request_id)
    assert not any(Path(hosts.folder, f"{kind}/exports").exists()
                   for kind in ("web-a", "web-b", "worker-1", "worker-2"))  # no folder used

    # both workers run; the one building alice's big export dies mid-upload
    hosts.start_worker("1")
    hosts.start_worker("2")
    request_id = export_through(web_b, people["alice@example.com"])
    s3 = moto_server.client()
    prefix = app.config["SELFSERVICE_STORAGE_URL"].split("/", 3)[3] + "/"

    def mid_upload() -> bool:
        uploads = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
        return any(s3.list_parts(Bucket=BUCKET, Key=u["Key"], UploadId=u["UploadId"])
                   .get("Parts") for u in uploads)

    wait_until(mid_upload, "a part of alice's archive is uploaded")
    job_id = row(app, request_id).job_id or ""
    [victim] = hosts.ran(job_id)
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        job = session.get(BackgroundJob, job_id)
        assert job is not None and job.worker
        horse = int(job.worker.rsplit(":", 1)[1])
    os.kill(horse, signal.SIGKILL)  # the host goes down: its worker and the job's work horse
    hosts.workers[victim].kill()
    assert row(app, request_id).status == "in_progress"
    wait_until(completed(app, request_id), "the other worker's retry", timeout=180)
    survivor = "2" if victim == "1" else "1"
    assert hosts.ran(job_id) == sorted([victim, survivor])
    assert leftovers(app)[1] == 1  # the killed attempt's upload, until the sweep
    with app.app_context():
        assert exports.sweep(abandoned_after=0) == 1
    # one archive per export (the killed attempt's never completed), no upload left
    assert leftovers(app) == (sorted(row(app, r).archive_name or "" for r in
                                     [*done, request_id]), 0)
    content = download_everywhere(hosts, people["alice@example.com"], app, request_id)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert sum(1 for _ in zf.open("data/inference_logs.jsonl")) == LOGS
    for worker in hosts.workers.values():
        assert "alice" not in worker.output().lower()  # no personal data in the logs
