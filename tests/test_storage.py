"""The archive stores behind one interface, each against the real thing (a folder; moto's S3 API
server over HTTP on loopback): an archive is visible only once complete, an aborted one leaves
nothing, reads seek (HTTP Range), the sweep aborts only abandoned uploads, memory stays at about
two parts whatever the size; and the settings refuse a bad store at start-up."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import subprocess
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError, EndpointConnectionError
from flask import Flask

from devtools.services import MotoServer
from selfservice import ConfigError, Subject, archive
from selfservice.config import apply_defaults
from selfservice.models import PrivacyRequest
from selfservice.services import deletion, exports
from selfservice.storage import ArchiveStore, StorageUnavailable, new_name
from selfservice.storage.base import is_archive_name, started_at
from selfservice.storage.local import LocalStore
from selfservice.storage.local import unavailable as local_unavailable
from selfservice.storage.s3 import S3Options, S3Store
from selfservice.storage.s3 import unavailable as s3_unavailable

from .conftest import BUCKET
from .helpers import Person
from .storage_helpers import archives, leftovers
from .test_requests import exported, run_jobs

MIB = 1024 * 1024
WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArchiveStore]:
    if request.param == "local":
        yield LocalStore(str(tmp_path / "exports"))
        return
    server: MotoServer = request.getfixturevalue("moto_server")
    yield S3Store(S3Options(bucket=BUCKET, prefix=f"c-{uuid.uuid4().hex[:10]}/",
                            endpoint_url=server.url, region=server.REGION,
                            access_key_id=server.ACCESS_KEY,
                            secret_access_key=server.SECRET_KEY, part_size=5 * MIB))


def unfinished(store: ArchiveStore) -> int:
    if isinstance(store, LocalStore):
        folder = Path(store.folder)
        return len(list(folder.glob(".export-*"))) if folder.exists() else 0
    assert isinstance(store, S3Store)
    answer = store.client.list_multipart_uploads(Bucket=store.options.bucket,
                                                 Prefix=store.options.prefix)
    return len(answer.get("Uploads", []))


def test_an_archive_is_visible_only_once_complete_and_reads_back_by_range(
        store: ArchiveStore) -> None:
    data = os.urandom(11 * MIB + 12345)  # three parts of an S3 upload
    name = new_name()
    upload = store.create(name)
    for start in range(0, len(data), 300_000):
        upload.write(data[start:start + 300_000])
    assert upload.tell() == len(data)
    assert store.open(name) is None and list(store.archives()) == []  # not before the end
    assert unfinished(store) == 1
    stored = upload.commit()
    assert (stored.name, stored.bytes) == (name, len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert unfinished(store) == 0
    assert [n for n, _ in store.archives()] == [name]
    opened = store.open(name)
    assert opened is not None and opened.size == len(data)
    assert abs(opened.modified - time.time()) < 120
    with opened.stream as stream:
        assert stream.read() == data
        stream.seek(7 * MIB + 3)  # a resumed download: only from there
        assert stream.read(1000) == data[7 * MIB + 3:7 * MIB + 1003]
        stream.seek(-64, io.SEEK_END)
        assert stream.read() == data[-64:]
    assert store.delete(name) is True
    assert store.open(name) is None and store.delete(name) is False


def test_an_aborted_upload_leaves_nothing(store: ArchiveStore) -> None:
    upload = store.create(new_name())
    upload.write(os.urandom(6 * MIB))  # one part already sent to S3
    upload.abort()
    upload.abort()  # twice is harmless (a failing commit aborts, then the caller does)
    assert list(store.archives()) == [] and unfinished(store) == 0


def test_the_sweep_aborts_only_uploads_older_than_its_threshold(store: ArchiveStore) -> None:
    now = time.time()
    old = store.create(new_name(now - 7200))  # a killed attempt's, two hours ago
    old.write(b"x" * 1000)
    fresh = store.create(new_name(now))  # an export running right now
    fresh.write(b"y" * 1000)
    if isinstance(store, LocalStore):  # a part file's age is its modification time
        os.utime(Path(store.folder) / os.path.basename(old.part),  # type: ignore[attr-defined]
                 (now - 7200, now - 7200))
    assert store.abort_abandoned(now - 3600) == 1
    assert unfinished(store) == 1
    assert fresh.commit().bytes == 1000  # the running one was left alone
    assert store.abort_abandoned(now + 60) == 0  # complete archives are not uploads


def test_names_are_unguessable_and_never_a_path(store: ArchiveStore) -> None:
    name = new_name(1764547200)
    assert is_archive_name(name) and started_at(name) == 1764547200
    assert len(name) <= 80 and name != new_name(1764547200)
    assert is_archive_name("A" * 43 + ".zip") and started_at("A" * 43 + ".zip") is None
    for bad in ("../" + name, "x/" + name, name + "/", "alice@example.com.zip", ""):
        assert not is_archive_name(bad)
        with pytest.raises(ValueError):
            store.create(bad)


def test_an_upload_to_s3_holds_about_two_parts_in_memory(moto_server: MotoServer) -> None:
    s3 = S3Store(S3Options(bucket=BUCKET, prefix="memory/", endpoint_url=moto_server.url,
                           region=moto_server.REGION, access_key_id=moto_server.ACCESS_KEY,
                           secret_access_key=moto_server.SECRET_KEY, part_size=5 * MIB))
    block = os.urandom(256 * 1024)
    tracemalloc.start()
    try:
        upload = s3.create(new_name())
        for _ in range(160):  # 40 MiB, eight parts
            upload.write(block)
        stored = upload.commit()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.bytes == 40 * MIB
    assert peak < 4 * 5 * MIB, f"peak {peak / MIB:.1f} MiB for a 40 MiB archive"


@pytest.mark.backends("sqlite")
def test_an_archive_streamed_to_s3_is_a_zip_that_checks_out(
        app: Flask, moto_server: MotoServer, tmp_path: Path) -> None:
    """Written straight through (no seeking back: each entry's sizes follow its data), the
    archive still opens everywhere and passes its own SHA256SUMS."""
    s3 = S3Store(S3Options(bucket=BUCKET, prefix="zip/", endpoint_url=moto_server.url,
                           region=moto_server.REGION, access_key_id=moto_server.ACCESS_KEY,
                           secret_access_key=moto_server.SECRET_KEY))
    with app.app_context():
        result = archive.build(s3.create(new_name()), Subject("acct-alice"),
                               app.extensions["selfservice"].extension.sources,
                               reference="DR-S3", generated_at=WHEN, csv_files=True)
    opened = s3.open(result.name)
    assert opened is not None
    content = opened.stream.read()
    assert hashlib.sha256(content).hexdigest() == result.sha256
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert zf.testzip() is None
        zf.extractall(tmp_path / "x")
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "x",
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


# -- errors: what the customer is told, what the log gets -------------------------------------

def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "a message quoting a key"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "UploadPart")


@pytest.mark.parametrize("error, kind", [
    (client_error("XMinioStorageFull", 507), "full"),
    (client_error("QuotaExceeded", 403), "full"),
    (client_error("NoSuchBucket", 404), "refused"),
    (client_error("AccessDenied", 403), "refused"),
    (client_error("InvalidAccessKeyId", 403), "refused"),
    (client_error("SlowDown", 503), "unreachable"),
    (client_error("InternalError", 500), "unreachable"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "unreachable"),
])
def test_an_s3_error_becomes_plain_words_and_a_code_for_the_log(error: Exception,
                                                               kind: str) -> None:
    found = s3_unavailable(error, "UploadPart")
    assert found.kind == kind
    assert found.plain.startswith("the storage where we keep archives")
    assert "quoting" not in found.detail and found.detail.startswith("UploadPart: ")


@pytest.mark.parametrize("code, kind", [(errno.ENOSPC, "full"), (errno.EDQUOT, "full"),
                                        (errno.EACCES, "refused"), (errno.EROFS, "refused"),
                                        (errno.EIO, "unreachable")])
def test_a_disk_error_becomes_plain_words(code: int, kind: str) -> None:
    found = local_unavailable(OSError(code, os.strerror(code), "/exports/secret-name"), "write")
    assert found.kind == kind and "secret-name" not in str(found)
    assert isinstance(found, StorageUnavailable)


# -- settings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, message", [
    ({"STORAGE_URL": "https://bucket/prefix"}, "start with s3://"),
    ({"STORAGE_URL": "s3://Bucket_Name/x"}, "valid bucket"),
    ({"STORAGE_URL": "s3://bucket/../x"}, "prefix"),
    ({"STORAGE_URL": "s3://key:secret@bucket/x"}, "settings of their own"),
    ({"STORAGE_URL": "s3://bucket/x?region=eu"}, "settings of their own"),
    ({"STORAGE_SSE": "aes"}, "STORAGE_SSE must be None, AES256"),
    ({"STORAGE_SSE_KMS_KEY_ID": "alias/exports"}, "needs SELFSERVICE_STORAGE_SSE aws:kms"),
    ({"STORAGE_ADDRESSING_STYLE": "dns"}, "auto, path or virtual"),
    ({"STORAGE_ENDPOINT_URL": "minio:9000"}, "http:// or https:// URL"),
    ({"STORAGE_PART_SIZE": 1024 * 1024}, "from 5 MiB to 5 GiB"),
    ({"STORAGE_TIMEOUT": 0}, "positive number"),
    ({"EXPORT_ABANDONED_AFTER": 600}, "longer than SELFSERVICE_JOB_TIMEOUT"),
])
def test_a_bad_store_setting_stops_the_app_and_says_what_to_fix(settings: dict[str, Any],
                                                                message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_defaults({f"SELFSERVICE_{k}": v for k, v in settings.items()})


def test_good_store_settings_pass_without_contacting_the_store() -> None:
    config = {"SELFSERVICE_STORAGE_URL": "s3://exports.example-bucket/privacy/archives",
              "SELFSERVICE_STORAGE_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens
              "SELFSERVICE_STORAGE_SSE": "aws:kms",
              "SELFSERVICE_STORAGE_SSE_KMS_KEY_ID": "alias/exports"}
    apply_defaults(config)
    assert config["SELFSERVICE_STORAGE_PART_SIZE"] == 8 * MIB


# -- the sweep: expiry, and what killed attempts left ------------------------------------------

@pytest.mark.usefixtures("storage")
def test_the_daily_sweep_deletes_expired_and_orphaned_archives_and_keeps_the_rest(
        app: Flask, person: Person) -> None:
    person.login("alice@example.com")
    body = exported(app, person)
    with app.app_context():
        named = exports.store().archives()
        [kept] = [name for name, _ in named]
        orphan = exports.store().create(new_name())  # an attempt killed after its upload
        orphan.write(b"PK nobody names me")
        orphan_name = orphan.commit().name
        lost = exports.store().create(new_name(time.time() - 7200))  # killed mid-upload
        lost.write(b"PK half")
        if isinstance(exports.store(), LocalStore):
            part = lost.part  # type: ignore[attr-defined]
            os.utime(part, (time.time() - 7200, time.time() - 7200))
        assert exports.sweep() == 0  # younger than EXPORT_ABANDONED_AFTER: could be running
        assert exports.sweep(abandoned_after=3600) == 1  # the upload begun two hours ago
        assert exports.sweep(abandoned_after=0) == 1  # the archive no request names
    assert leftovers(app) == ([kept], 0)
    with app.app_context(), app.extensions["selfservice"].db.transaction() as session:
        session.execute(sa.update(PrivacyRequest).where(PrivacyRequest.id == body["id"])
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with app.app_context():
        assert exports.sweep() == 1
        assert exports.sweep() == 0  # an expired row is swept once
    assert leftovers(app) == ([], 0)
    assert orphan_name not in archives(app)
    late = person.http.get(person.app_url + body["download"]["url"], timeout=10)
    assert late.status_code == 410  # the row keeps the name: expired, not unknown


@pytest.mark.usefixtures("storage")
@pytest.mark.settings(SELFSERVICE_DELETION_GRACE_DAYS=0)
def test_erasing_an_account_deletes_its_archives_from_the_store(app: Flask,
                                                                person: Person) -> None:
    person.login("carol@example.com")
    exported(app, person)
    assert len(archives(app)) == 1
    with app.app_context():
        who = app.extensions["selfservice"].extension.load_identity("acct-carol")
        started, _ = deletion.start(who)
        assert deletion.confirm(who, started.id, who.email) is not None
    run_jobs(app)
    with app.app_context(), app.extensions["selfservice"].db.read() as session:
        erased = session.get(PrivacyRequest, started.id)
        assert erased is not None and erased.status == "completed", erased.step
    assert leftovers(app) == ([], 0)
