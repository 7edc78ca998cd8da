"""gunicorn settings for the demo console, ``make bench`` and, copied, a production console.

    gunicorn -c python:devtools.gunicorn_conf --bind 127.0.0.1:8000 wsgi:app

Each setting below can be overridden by its environment variable (named next to it) or on the
command line (which wins over this file). README's "Production" section explains the choices.
"""

from __future__ import annotations

import os

#: where to listen; a production web process listens on a private address the load balancer
#: reaches, never on one the internet reaches (see ``forwarded_allow_ips``)
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

#: processes x threads. One process per CPU core, each with a few threads: a console's request
#: mostly waits on PostgreSQL and Redis, and threads keep slow clients (a download, a keep-alive
#: connection) from holding a whole process. ``WEB_CONCURRENCY`` is gunicorn's own variable.
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, os.cpu_count() or 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"

#: each process builds the app itself after the fork: its own database pool and Redis
#: connections (a pool made before a fork would be shared by every process)
preload_app = False

#: a process that stops answering gunicorn's heartbeat for this long is killed and replaced;
#: with threads a long request does not count, a stuck process does
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
#: on SIGTERM (a deploy), requests in flight get this long to finish
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
#: seconds an idle keep-alive connection stays open. Behind a load balancer, make it longer than
#: the balancer's own idle timeout (AWS ALB: 60 s, so 65), or the balancer reuses connections
#: gunicorn has just closed and answers 502
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

#: the front end that may tell gunicorn the request came over HTTPS (X-Forwarded-Proto). The
#: client's address is the app's business: wrap it in Werkzeug's ProxyFix with the number of
#: proxies in front (README). gunicorn's own default, also read from FORWARDED_ALLOW_IPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

#: the access log without personal data. gunicorn's default format logs the client's address,
#: the whole request line with its query string (a support search ``?q=alice@example.com``, the
#: identity provider's one-time ``?code=`` on /auth/callback), the Referer (the previous page's
#: query string) and the User-Agent. This one logs the time, method, path without the query
#: string, status, bytes, duration and the worker's pid.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(t)s %(m)s %(U)s %(s)s %(B)s %(M)sms %(p)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

#: gunicorn >= 25.1 opens a control socket at one fixed path per user
#: ($XDG_RUNTIME_DIR/gunicorn.ctl): a second gunicorn on the machine (a test, the benchmark, a
#: second site) would take it over. Nothing here uses ``gunicornc``.
control_socket_disable = True

#: the heartbeat file gunicorn's workers touch: in memory where there is /dev/shm (a container's
#: overlay file system can stall those writes long enough for gunicorn to kill the worker)
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
