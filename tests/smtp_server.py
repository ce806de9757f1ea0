"""A small real SMTP server on 127.0.0.1 (socketserver): EHLO, AUTH PLAIN, MAIL, RCPT, DATA.

It records each message and the credentials it was given, and can refuse recipients, so the
SMTP sender is tested against a real conversation over a socket.
"""

from __future__ import annotations

import base64
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Self


@dataclass
class SmtpServer:
    refuse_recipients: bool = False
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def __enter__(self) -> Self:
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server._converse(self)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def _converse(self, conn: socketserver.StreamRequestHandler) -> None:
        def say(line: str) -> None:
            conn.wfile.write(line.encode() + b"\r\n")

        say("220 localhost test SMTP")
        sender, recipients = "", []
        while line := conn.rfile.readline():
            verb, _, rest = line.decode().strip().partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                say("250-localhost")
                say("250 AUTH PLAIN")
            elif verb == "AUTH":
                _, _, encoded = rest.partition(" ")
                _, user, password = base64.b64decode(encoded).decode().split("\0")
                self.logins.append((user, password))
                say("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = rest.split(":", 1)[1].strip(" <>"), []
                say("250 OK")
            elif verb == "RCPT":
                if self.refuse_recipients:
                    say("550 5.1.1 No such user")
                    continue
                recipients.append(rest.split(":", 1)[1].strip(" <>"))
                say("250 OK")
            elif verb == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while (chunk := conn.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.messages.append(message_from_bytes(data))
                self.envelopes.append((sender, recipients))
                say("250 OK queued")
            elif verb == "QUIT":
                say("221 Bye")
                return
            else:
                say("250 OK")
