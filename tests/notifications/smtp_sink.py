"""A local SMTP server that accepts every message (and refuses, with 550,
any recipient with "refused" in the address) and counts messages and
connections: the sink for the outbox benchmark (tests/bench/bench_outbox.py)
and for tests that send through Django's real SMTP backend. Test-only.

Run on its own: `python -m tests.notifications.smtp_sink PORT`.
"""

import socketserver
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Session(socketserver.StreamRequestHandler):
    server: "SmtpSink"

    def handle(self) -> None:
        write = self.wfile.write
        self.server.opened()
        write(b"220 sink ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in {b"EHLO", b"HELO"}:
                write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                lines = []
                while (data := self.rfile.readline()) and data != b".\r\n":
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.received(b"".join(lines))
                write(b"250 OK\r\n")
            elif verb == b"QUIT":
                write(b"221 Bye\r\n")
                return
            elif verb == b"RCPT" and b"refused" in line.lower():
                write(b"550 5.1.1 No such user\r\n")
            else:  # MAIL, RCPT, RSET, NOOP
                write(b"250 OK\r\n")


class SmtpSink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int = 0, *, keep: bool = False) -> None:
        super().__init__(("127.0.0.1", port), _Session)
        self.keep = keep
        self.messages: list[bytes] = []
        self.count = 0
        self.sessions = 0
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def opened(self) -> None:
        with self._lock:
            self.sessions += 1

    def received(self, message: bytes) -> None:
        with self._lock:
            self.count += 1
            if self.keep:
                self.messages.append(message)


@contextmanager
def running(*, keep: bool = True) -> Iterator[SmtpSink]:
    """A sink on a free port in a thread of this process."""
    sink = SmtpSink(keep=keep)
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()


if __name__ == "__main__":
    SmtpSink(int(sys.argv[1])).serve_forever()
