"""A real SMTP server that keeps what it receives (aiosmtpd): for tests and the demo.

Tests read the messages from memory; the demo also writes each one as an .eml file and prints
a one-line summary, so a developer can read what a customer would get.
"""

from __future__ import annotations

import email
import email.policy
import os
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, capture: MailCapture) -> None:
        self.capture = capture

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.capture.refusing:
            return self.capture.refusing  # nothing kept
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.capture.received(message, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class MailCapture:
    def __init__(self, port: int, host: str = "127.0.0.1", folder: str | None = None,
                 echo: bool = False) -> None:
        self.host, self.port, self.folder, self.echo = host, port, folder, echo
        self.messages: list[EmailMessage] = []
        #: an answer such as "451 4.3.0 Try again later" to every message, none kept (tests)
        self.refusing: str | None = None
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> MailCapture:
        """Listen on the port; after ``stop`` again on the same one (an outage is over)."""
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: a connection is refused until ``start``. The messages stay."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self, message: EmailMessage, recipients: list[str]) -> None:
        with self._lock:
            self.messages.append(message)
            count = len(self.messages)
        if self.folder:
            os.makedirs(self.folder, exist_ok=True)
            path = os.path.join(self.folder, f"{time.strftime('%Y%m%d-%H%M%S')}-{count}.eml")
            with open(path, "wb") as handle:
                handle.write(bytes(message))
        if self.echo:
            print(f"[mail] to {', '.join(recipients)}: {message['Subject']}", flush=True)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]
