"""`make demo`: the demo console with the plugin, the development OpenID provider, an embedded
Redis and a worker, on the ports README lists. Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from devtools.services import ROOT, OidcProvider, RedisServer, wait_for_port

CONSOLE_PORT = 8000
OIDC_PORT = 8001
REDIS_PORT = int(os.environ.get("DEMO_REDIS_PORT", "8379"))
MAIL_PORT = int(os.environ.get("DEMO_MAIL_PORT", "8025"))

ACCOUNTS = """\
  alice@example.com  individual customer with months of sample usage
  bob@example.com    owner/admin of the enterprise organisation "Acme AI"
  carol@example.com  member of "Acme AI"
  sam@example.com    support agent
  pat@example.com    privacy officer
  (any password)"""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ)
    started: list[object] = []
    worker: subprocess.Popen | None = None
    server: subprocess.Popen | None = None
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background
    try:
        if "SELFSERVICE_REDIS_URL" not in env:
            redis = RedisServer(port=REDIS_PORT, folder=str(ROOT / "instance" / "redis"))
            os.makedirs(redis.folder, exist_ok=True)
            redis.start()
            started.append(redis)
            env["SELFSERVICE_REDIS_URL"] = redis.url
        if "SELFSERVICE_SMTP_HOST" not in env:
            from devtools.mailcapture import MailCapture

            mail_folder = str(ROOT / "instance" / "mail")
            started.append(MailCapture(MAIL_PORT, folder=mail_folder, echo=True).start())
            env["SELFSERVICE_SMTP_HOST"] = "127.0.0.1"
            env["SELFSERVICE_SMTP_PORT"] = str(MAIL_PORT)
        provider = OidcProvider(port=OIDC_PORT).start()
        started.append(provider)
        env.setdefault("FLASK_APP", "wsgi")

        flask = [sys.executable, "-m", "flask"]
        subprocess.run([*flask, "selfservice", "db", "upgrade"], env=env, check=True)
        subprocess.run([*flask, "demo", "seed"], env=env, check=True)
        worker = subprocess.Popen([*flask, "selfservice", "worker"], env=env)

        print(f"\n  Console:          http://127.0.0.1:{CONSOLE_PORT}/")
        print(f"  OpenID provider:  http://127.0.0.1:{OIDC_PORT}/")
        print(f"  Redis:            {env['SELFSERVICE_REDIS_URL']}")
        print(f"  E-mail:           smtp://{env['SELFSERVICE_SMTP_HOST']}:"
              f"{env['SELFSERVICE_SMTP_PORT']} (the demo keeps it in instance/mail/)")
        print(f"  Sign in as:\n{ACCOUNTS}\n")
        server = subprocess.Popen([*flask, "run", "--host", "127.0.0.1", "--port",
                                   str(CONSOLE_PORT), "--with-threads"], env=env)
        wait_for_port(CONSOLE_PORT, timeout=30, process=server)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (server, worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
        for service in reversed(started):
            service.stop()  # type: ignore[attr-defined]
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
