"""A TCP relay in front of DynamoDB Local that a drill can cut: every open connection reset at
once (requests in flight may have been applied, their answers are lost) and new ones refused
until the cut ends. Written here because the drill needs the resets mid-request, which no
fault hook on one boto3 client can give every client in the process."""

from __future__ import annotations

import contextlib
import functools
import socket
import struct
import threading
from dataclasses import dataclass, field

from local.dynamodb import free_port

RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN


def _reset(sock: socket.socket) -> None:
    """Wake a thread blocked reading it, then close with a reset."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
        sock.shutdown(socket.SHUT_RD)
    sock.close()


@dataclass
class Relay:
    upstream_port: int
    port: int = field(default_factory=free_port)
    _open: set[socket.socket] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _up: threading.Event = field(default_factory=threading.Event)
    _listener: socket.socket | None = None
    reset: int = 0  # connections reset by cuts
    refused: int = 0  # connections refused while cut

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Relay:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        self._up.set()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._listener is not None:
            _reset(self._listener)
        self.cut()

    def cut(self) -> None:
        """Reset every open connection; refuse new ones until ``restore``."""
        self._up.clear()
        with self._lock:
            doomed, self._open = self._open, set()
            self.reset += len(doomed) // 2
        for sock in doomed:
            _reset(sock)

    def restore(self) -> None:
        self._up.set()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            if not self._up.is_set():
                self.refused += 1
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._open |= {client, upstream}
            ended = threading.Barrier(2, action=functools.partial(self._close, client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink, ended), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, ended: threading.Barrier) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)  # an orderly end passes on as one
        except OSError:  # cut, or one side went away: reset both, so the other pump ends too
            _reset(source)
            _reset(sink)
        with contextlib.suppress(threading.BrokenBarrierError):
            ended.wait()

    def _close(self, *pair: socket.socket) -> None:
        with self._lock:
            self._open -= set(pair)
        for sock in pair:
            sock.close()
