"""Archives in S3-compatible object storage through boto3 (AWS S3, MinIO, Ceph, Cloudflare R2,
GCS's S3 API): the store several hosts share.

An archive is a multipart upload written as the job writes it: a part goes out (in a thread of
its own, while the next one fills) each time STORAGE_PART_SIZE bytes have been written, so
memory holds about two parts whatever the archive's size and nothing is copied to local disk.
Only ``CompleteMultipartUpload`` at the very end makes the object exist; a failed attempt
aborts its upload, and the sweep aborts those of killed attempts. Reads are ranged GETs, opened
lazily at the position asked for (HTTP Range needs no bytes before it).
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from .base import ArchiveStore, StorageUnavailable, Stored, StoredFile, Upload, is_archive_name
from .base import started as upload_started

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

logger = logging.getLogger(__name__)

#: error codes of a store with no room left (MinIO, Ceph, and quotas on either)
FULL_CODES = frozenset({"XMinioStorageFull", "XMinioAdminBucketQuotaExceeded", "QuotaExceeded",
                        "InsufficientCapacity", "EntityTooLarge"})
#: error codes of a store that is there but busy or failing: try again later
BUSY_CODES = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout",
                        "Throttling", "ThrottlingException", "RequestTimeTooSkewed"})
#: parts of one upload before the part size doubles (S3 allows 10,000 parts an upload)
PARTS_PER_SIZE = 2000


@dataclass(frozen=True)
class S3Options:
    bucket: str
    #: "" or ends with "/"
    prefix: str
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    #: None, AES256 (SSE-S3), aws:kms or aws:kms:dsse (SSE-KMS)
    sse: str | None = None
    sse_kms_key_id: str | None = None
    addressing_style: str = "auto"
    part_size: int = 8 * 1024 * 1024
    timeout: float = 10.0


def unavailable(exc: BaseException, doing: str) -> StorageUnavailable:
    """A boto3 error as the store's: full, unreachable (down, busy, timing out) or refused
    (no such bucket, wrong credentials, no permission); the log gets the store's error code."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        kind = ("full" if code in FULL_CODES
                else "unreachable" if code in BUSY_CODES or status >= 500 else "refused")
        return StorageUnavailable(kind, f"{doing}: {code or status}")
    if isinstance(exc, NoCredentialsError):
        return StorageUnavailable("refused", f"{doing}: no credentials")
    return StorageUnavailable("unreachable", f"{doing}: {type(exc).__name__}")


@contextmanager
def calling(doing: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise unavailable(exc, doing) from exc


def make_client(options: S3Options) -> S3Client:
    """A client of its own session (sessions are not thread-safe; clients are), with short
    timeouts and few retries: an export waits for a store that answers, not for one that
    does not (the job's own attempts retry later)."""
    extra: dict[str, Any] = {}
    if options.endpoint_url:  # other S3 implementations: no newer AWS-only checksum headers
        extra = {"request_checksum_calculation": "when_required",
                 "response_checksum_validation": "when_required"}
    config = Config(connect_timeout=options.timeout, read_timeout=options.timeout,
                    retries={"max_attempts": 3, "mode": "standard"},
                    s3=cast(Any, {"addressing_style": options.addressing_style}),
                    **extra)
    return boto3.session.Session().client(
        "s3", endpoint_url=options.endpoint_url, region_name=options.region,
        aws_access_key_id=options.access_key_id,
        aws_secret_access_key=options.secret_access_key, config=config)


class S3Upload(Upload):
    def __init__(self, client: S3Client, options: S3Options, name: str) -> None:
        self.name = name
        self._client, self._options = client, options
        self._key = options.prefix + name
        encryption: dict[str, Any] = {}
        if options.sse:
            encryption["ServerSideEncryption"] = options.sse
        if options.sse_kms_key_id:
            encryption["SSEKMSKeyId"] = options.sse_kms_key_id
        with calling("CreateMultipartUpload"):
            self._id = client.create_multipart_upload(
                Bucket=options.bucket, Key=self._key, ContentType="application/zip",
                **encryption)["UploadId"]
        self._chunks: list[bytes] = []
        self._buffered = self._size = self._number = 0
        self._digest = hashlib.sha256()
        self._parts: list[CompletedPartTypeDef] = []
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="archive-upload")
        self._pending: Future[None] | None = None
        self._finished = False

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._digest.update(data)
        self._size += len(data)
        self._buffered += len(data)
        if self._buffered >= self._options.part_size << (self._number // PARTS_PER_SIZE):
            self._send()
        return len(data)

    def tell(self) -> int:
        return self._size

    def _send(self) -> None:
        body = b"".join(self._chunks)
        self._chunks, self._buffered = [], 0
        self._wait()  # one part in flight at a time: memory stays at about two parts
        self._number += 1
        self._pending = self._pool.submit(self._put, self._number, body)

    def _put(self, number: int, body: bytes) -> None:
        with calling("UploadPart"):
            answer = self._client.upload_part(
                Bucket=self._options.bucket, Key=self._key, UploadId=self._id,
                PartNumber=number, Body=body)
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def commit(self) -> Stored:
        try:
            if self._chunks or not self._number:
                self._send()
            self._wait()
            with calling("CompleteMultipartUpload"):
                self._client.complete_multipart_upload(
                    Bucket=self._options.bucket, Key=self._key, UploadId=self._id,
                    MultipartUpload={"Parts": sorted(self._parts,
                                                     key=lambda p: p["PartNumber"])})
        except BaseException:
            self.abort()
            raise
        self._finished = True
        self._pool.shutdown()
        return Stored(self.name, self._size, self._digest.hexdigest())

    def abort(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._chunks = []
        with suppress(Exception):  # a part's error: the one already raised
            self._wait()
        self._pool.shutdown()
        try:
            with calling("AbortMultipartUpload"):
                self._client.abort_multipart_upload(Bucket=self._options.bucket,
                                                    Key=self._key, UploadId=self._id)
        except StorageUnavailable as exc:  # the sweep aborts it once the store answers
            logger.warning("could not abort an archive upload: %s", exc.detail)


class S3Reader(io.RawIOBase):
    """An object as a seekable stream: a ranged GET from the position of the first read after
    each seek."""

    def __init__(self, client: S3Client, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self._client, self._bucket, self._key, self.size = client, bucket, key, size
        self._position = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        if base + offset != self._position:
            self._drop()
            self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self.size:
            return 0
        with calling("GetObject"):
            if self._body is None:
                self._body = self._client.get_object(
                    Bucket=self._bucket, Key=self._key,
                    Range=f"bytes={self._position}-")["Body"]
            data = self._body.read(len(buffer))
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()


class S3Store(ArchiveStore):
    kind = "s3"

    def __init__(self, options: S3Options) -> None:
        self.options = options
        self.client = make_client(options)

    def _key(self, name: str) -> str:
        if not is_archive_name(name):
            raise ValueError("not an archive name")
        return self.options.prefix + name

    def create(self, name: str) -> Upload:
        self._key(name)
        return S3Upload(self.client, self.options, name)

    def open(self, name: str) -> StoredFile | None:
        key = self._key(name)
        try:  # the first byte: size and date, and "no such key" told apart from "no bucket"
            answer = self.client.get_object(Bucket=self.options.bucket, Key=key,
                                            Range="bytes=0-0")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise unavailable(exc, "GetObject") from exc
        except BotoCoreError as exc:
            raise unavailable(exc, "GetObject") from exc
        answer["Body"].close()
        size = int(answer["ContentRange"].rpartition("/")[2])
        reader = S3Reader(self.client, self.options.bucket, key, size)
        return StoredFile(io.BufferedReader(reader, 64 * 1024), size,
                          answer["LastModified"].timestamp())

    def delete(self, name: str) -> bool:
        key = self._key(name)
        with calling("DeleteObject"):
            try:
                self.client.head_object(Bucket=self.options.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return False
                raise
            self.client.delete_object(Bucket=self.options.bucket, Key=key)
        return True

    def archives(self) -> Iterator[tuple[str, float]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.options.bucket, Prefix=self.options.prefix)
        with calling("ListObjectsV2"):
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.options.prefix):]
                    if is_archive_name(name):
                        yield name, item["LastModified"].timestamp()

    def abort_abandoned(self, older_than: float) -> int:
        """Abort the multipart uploads under the prefix that killed attempts left, judged by
        the time in their name (some S3 implementations report no true start time)."""
        aborted = 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.options.bucket, Prefix=self.options.prefix)
        with calling("ListMultipartUploads"):
            for page in pages:
                for upload in page.get("Uploads", []):
                    name = upload["Key"][len(self.options.prefix):]
                    began = upload_started(name, upload["Initiated"].timestamp())
                    if is_archive_name(name) and began < older_than:
                        self.client.abort_multipart_upload(
                            Bucket=self.options.bucket, Key=upload["Key"],
                            UploadId=upload["UploadId"])
                        aborted += 1
        return aborted

    def check(self) -> dict[str, Any]:
        began = time.perf_counter()
        try:
            with calling("HeadBucket"):
                self.client.head_bucket(Bucket=self.options.bucket)
        except StorageUnavailable as exc:
            return {"ok": False, "kind": self.kind, "error": exc.kind, "detail": exc.detail}
        return {"ok": True, "kind": self.kind,
                "ms": round((time.perf_counter() - began) * 1000, 1)}
