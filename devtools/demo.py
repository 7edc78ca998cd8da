"""`make demo`: the demo console with the plugin, served by gunicorn, with the development
OpenID provider, an embedded Redis and a worker, on the ports README lists. Ctrl-C stops
everything.

Environment: ``DEMO_PORT`` (8000) and ``DEMO_OIDC_PORT`` (8001), ``DEMO_REDIS_PORT`` (8379),
``DEMO_MAIL_PORT`` (8025), ``DEMO_INSTANCE_PATH`` (the console's files: ``instance/``),
``DEMO_INFERENCE_LOGS`` (the size of Alice's sample request log, 150,000).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from devtools.services import ROOT, OidcProvider, RedisServer, wait_for_port

CONSOLE_PORT = int(os.environ.get("DEMO_PORT", "8000"))
OIDC_PORT = int(os.environ.get("DEMO_OIDC_PORT", "8001"))
REDIS_PORT = int(os.environ.get("DEMO_REDIS_PORT", "8379"))
MAIL_PORT = int(os.environ.get("DEMO_MAIL_PORT", "8025"))
INSTANCE = os.path.abspath(os.environ.get("DEMO_INSTANCE_PATH") or str(ROOT / "instance"))
#: the demo's OpenID client (the provider's default one, for the console's port)
CLIENT = {"client_id": "selfservice-demo", "client_secret": "selfservice-demo-secret"}
#: what serves the console: the production settings, on the demo's port
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "python:devtools.gunicorn_conf"]
#: seconds the web server and the worker get to stop before they are killed (gunicorn's
#: graceful timeout is 30 s; requests in flight on a demo finish well before)
STOP_WAIT = 35

ACCOUNTS = """\
  alice@example.com  individual customer with months of sample usage
  bob@example.com    owner/admin of the enterprise organisation "Acme AI"
  carol@example.com  member of "Acme AI"
  sam@example.com    support agent
  pat@example.com    privacy officer
  (any password)"""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def console_environment(env: dict[str, str], console: str, issuer: str) -> dict[str, str]:
    """The console's URLs for its port (any of them set by hand stays)."""
    env = dict(env)
    env.setdefault("FLASK_APP", "wsgi")
    env.setdefault("DEMO_INSTANCE_PATH", INSTANCE)
    env.setdefault("SELFSERVICE_OIDC_ISSUER", issuer)
    env.setdefault("SELFSERVICE_PUBLIC_URL", console)
    env.setdefault("SELFSERVICE_POLICY_URL", f"{console}/legal/privacy-policy")
    env.setdefault("SELFSERVICE_OIDC_POST_LOGOUT_REDIRECT_URI", f"{console}/")
    return env


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to all at once (a warm shutdown for each), then wait; kill what is left."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()  # gunicorn's workers leave when their master is gone
            process.wait()


def main() -> int:
    os.chdir(ROOT)
    console = f"http://127.0.0.1:{CONSOLE_PORT}"
    started: list[object] = []
    processes: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background
    try:
        env = dict(os.environ)
        if "SELFSERVICE_REDIS_URL" not in env:
            redis = RedisServer(port=REDIS_PORT, folder=os.path.join(INSTANCE, "redis"))
            os.makedirs(redis.folder, exist_ok=True)
            redis.start()
            started.append(redis)
            env["SELFSERVICE_REDIS_URL"] = redis.url
        if "SELFSERVICE_SMTP_HOST" not in env:
            from devtools.mailcapture import MailCapture

            mail_folder = os.path.join(INSTANCE, "mail")
            started.append(MailCapture(MAIL_PORT, folder=mail_folder, echo=True).start())
            env["SELFSERVICE_SMTP_HOST"] = "127.0.0.1"
            env["SELFSERVICE_SMTP_PORT"] = str(MAIL_PORT)
        provider = OidcProvider(port=OIDC_PORT, clients=[{
            **CLIENT, "redirect_uris": [f"{console}/auth/callback"],
            "post_logout_redirect_uris": [f"{console}/"]}]).start()
        started.append(provider)
        env = console_environment(env, console, provider.issuer)

        flask = [sys.executable, "-m", "flask"]
        seed = ["--inference-logs", env["DEMO_INFERENCE_LOGS"]] if env.get(
            "DEMO_INFERENCE_LOGS") else []
        subprocess.run([*flask, "selfservice", "db", "upgrade"], env=env, check=True)
        subprocess.run([*flask, "demo", "seed", *seed], env=env, check=True)
        processes.append(subprocess.Popen([*flask, "selfservice", "worker"], env=env))

        print(f"\n  Console:          {console}/  (gunicorn)")
        print(f"  OpenID provider:  {provider.issuer}/")
        print(f"  Redis:            {env['SELFSERVICE_REDIS_URL']}")
        print(f"  E-mail:           smtp://{env['SELFSERVICE_SMTP_HOST']}:"
              f"{env['SELFSERVICE_SMTP_PORT']} (the demo keeps it in {INSTANCE}/mail/)")
        print(f"  Sign in as:\n{ACCOUNTS}\n")
        server = subprocess.Popen([*GUNICORN, "--bind", f"127.0.0.1:{CONSOLE_PORT}", "wsgi:app"],
                                  env=env)
        processes.insert(0, server)
        wait_for_port(CONSOLE_PORT, timeout=30, process=server)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)
        for service in reversed(started):
            service.stop()  # type: ignore[attr-defined]
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
