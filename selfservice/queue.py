"""The one module that talks to RQ. Everything else asks it for a queue, a worker or health."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.job import JobStatus as RQJobStatus

logger = logging.getLogger(__name__)

#: what RQ runs for every plugin job; the function re-loads the job row by id
RUNNER = "selfservice.jobs.runner.run"


class QueueUnavailable(RuntimeError):
    """Redis could not be reached; the job stays in the SQL outbox."""


class JobQueue:
    def __init__(self, redis_url: str, name: str, key_prefix: str, socket_timeout: float,
                 job_timeout: int, heartbeat_ttl: int) -> None:
        self.redis_url = redis_url
        self.name = name
        self.key_prefix = key_prefix
        self.socket_timeout = socket_timeout
        self.job_timeout = job_timeout
        self.heartbeat_ttl = heartbeat_ttl
        self._redis: Redis | None = None
        self._lock = threading.Lock()

    @property
    def redis(self) -> Redis:
        with self._lock:
            if self._redis is None:
                self._redis = Redis.from_url(
                    self.redis_url, socket_timeout=self.socket_timeout,
                    socket_connect_timeout=self.socket_timeout, health_check_interval=30,
                )
            return self._redis

    def queue(self) -> Queue:
        return Queue(self.name, connection=self.redis)

    def enqueue(self, job_id: str, description: str) -> None:
        """Hand one job to RQ. The RQ job id is the SQL row's id, so a re-send replaces it."""
        try:
            self.queue().enqueue(
                RUNNER, job_id, job_id=job_id, job_timeout=self.job_timeout,
                result_ttl=3600, failure_ttl=7 * 86400, description=description,
            )
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc

    def is_waiting_or_running(self, job_id: str) -> bool:
        """Whether Redis still carries the job (queued, started, deferred or scheduled)."""
        try:
            job = Job.fetch(job_id, connection=self.redis)
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        except Exception:  # rq.exceptions.NoSuchJobError and a corrupt hash alike
            return False
        status = job.get_status(refresh=False)
        return status in (RQJobStatus.QUEUED, RQJobStatus.STARTED, RQJobStatus.DEFERRED,
                          RQJobStatus.SCHEDULED)

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except (RedisError, OSError):
            return False

    # -- workers ------------------------------------------------------------------------------

    def _heartbeat_key(self, name: str) -> str:
        return f"{self.key_prefix}:worker:{name}"

    def beat(self, name: str, *, role: str = "worker", dispatches: bool = True) -> None:
        """Say that ``name`` is alive for ``heartbeat_ttl`` seconds: a worker (which may also
        sweep the outbox) or a dispatcher alone (``flask selfservice dispatch --loop``)."""
        payload = json.dumps({"name": name, "host": socket.gethostname(), "pid": os.getpid(),
                              "role": role, "dispatches": dispatches, "at": time.time()})
        self.redis.set(self._heartbeat_key(name), payload, ex=self.heartbeat_ttl)

    def forget_worker(self, name: str) -> None:
        with contextlib.suppress(RedisError, OSError):
            self.redis.delete(self._heartbeat_key(name))

    def live_workers(self) -> list[dict[str, Any]]:
        """Workers whose heartbeat has not expired."""
        try:
            keys = list(self.redis.scan_iter(match=self._heartbeat_key("*"), count=100))
            # redis-py types its commands alike for the blocking and the asyncio client
            values = cast("list[bytes | None]", self.redis.mget(keys)) if keys else []
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        return [json.loads(v) for v in values if v]

    def heartbeat_of(self, name: str) -> dict[str, Any] | None:
        """The live heartbeat of one worker or dispatcher, None once it has expired."""
        try:
            value = self.redis.get(self._heartbeat_key(name))
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        return json.loads(cast("bytes", value)) if value else None

    def run_worker(self, *, burst: bool, name: str | None = None,
                   on_idle: Callable[[], None] | None = None,
                   logging_level: str = "INFO", fork: bool = True) -> bool:
        """Run an RQ worker (with its scheduler) on the plugin's queue in this process.

        The worker gets a connection of its own without a read timeout: it blocks on the queue
        for minutes at a time, and RQ gives up on a read timeout (it retries a lost connection,
        so a Redis restart does not stop the worker). With ``fork`` each job runs in a work
        horse forked for it, without it in this process.
        """
        connection = Redis.from_url(self.redis_url, socket_connect_timeout=self.socket_timeout,
                                    socket_keepalive=True, health_check_interval=30)
        worker_class = Worker if fork else SimpleWorker
        worker = worker_class([Queue(self.name, connection=connection)], connection=connection,
                              name=name or default_worker_name())
        return worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)


def default_worker_name() -> str:
    return f"selfservice.{socket.gethostname()}.{os.getpid()}"
