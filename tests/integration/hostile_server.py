"""A tiny HTTP server on 127.0.0.1 for hostile-chain tests: token answers, then a behaviour.

It answers the token endpoint normally and hands every other request to a behaviour
function written for one misbehaviour (trickling, flooding, nesting, echoing).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable

ACCESS_TOKEN = "tok-3f9a1c"
TOKEN_ANSWER = json.dumps({"access": ACCESS_TOKEN, "refresh": "ref-77"}).encode()

Behaviour = Callable[[socket.socket, str], None]


def _read_request(conn: socket.socket) -> str | None:
    """The request line of the next request on ``conn`` (its body is read and dropped)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return head.split(b"\r\n", 1)[0].decode()


def answer(conn: socket.socket, body: bytes, status: str = "200 OK") -> None:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    conn.sendall(head.encode() + body)


class HostileServer:
    """Answers the token endpoint, then hands every other request to ``behaviour``."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.requests: list[str] = []
        self.sent = 0
        self.token_answer = TOKEN_ANSWER
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        with conn:
            try:
                while not self.stop.is_set():
                    line = _read_request(conn)
                    if line is None:
                        return
                    self.requests.append(line)
                    if "/auth/jwt-token" in line:
                        answer(conn, self.token_answer)
                    else:
                        self.behaviour(conn, line)
            except OSError:
                return

    def trickle(self, conn: socket.socket, data: bytes, every: float) -> None:
        """Send ``data`` one byte at a time, ``every`` seconds apart."""
        for byte in data:
            if self.stop.is_set():
                return
            conn.sendall(bytes([byte]))
            self.sent += 1
            time.sleep(every)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()
