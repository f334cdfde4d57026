"""Framing of the TaskManager-to-TaskManager data plane.

All logical channels between two slot-worker processes share one TCP
connection. Every frame is a 13-byte header followed by a payload::

    u32 payload length | u8 kind | u32 channel id | i32 argument | payload

``channel id`` is chosen by the consumer when it requests a subpartition.
``argument`` is the sender's backlog for DATA frames and the credit for
CREDIT frames.
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import Final

__all__ = [
    "CLOSE",
    "CREDIT",
    "DATA",
    "DATA_TS",
    "ERROR",
    "EVENT",
    "REQUEST",
    "ConnectionClosed",
    "FrameConnection",
]

REQUEST: Final = 1  # consumer -> producer: pickled (partition key, subpartition, credit)
DATA: Final = 2     # producer -> consumer: one Arrow IPC record batch; arg = backlog
EVENT: Final = 3    # producer -> consumer: pickled in-band event (needs no credit)
CREDIT: Final = 4   # consumer -> producer: AddCredit; arg = credit
CLOSE: Final = 5    # consumer -> producer: release the subpartition view
ERROR: Final = 6    # producer -> consumer: the request failed; payload = message
DATA_TS: Final = 7  # as DATA, with the record-timestamp column (network.record_timestamps)

_HEADER = struct.Struct("<IBIi")


class ConnectionClosed(ConnectionError):
    """The peer closed the connection."""


class FrameConnection:
    """A socket that sends and receives frames; sends are thread-safe."""

    def __init__(self, sock: socket.socket, peer: str) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.peer = peer
        self._send_lock = threading.Lock()
        self._header = bytearray(_HEADER.size)
        self.closed = False

    def send(self, kind: int, channel: int, arg: int = 0, payload: bytes | memoryview = b"") -> None:
        """Send one frame (header and payload without copying the payload)."""
        header = _HEADER.pack(len(payload), kind, channel, arg)
        with self._send_lock:
            if payload:
                sent = self.sock.sendmsg([header, payload])
                total = len(header) + len(payload)
                if sent < total:
                    rest = memoryview(header + bytes(payload) if sent < len(header) else payload)
                    offset = sent if sent < len(header) else sent - len(header)
                    self.sock.sendall(rest[offset:])
            else:
                self.sock.sendall(header)

    def _recv_exact(self, buf: bytearray | memoryview) -> None:
        view = memoryview(buf)
        while view:
            n = self.sock.recv_into(view)
            if n == 0:
                raise ConnectionClosed(f"connection to {self.peer} closed")
            view = view[n:]

    def recv(self) -> tuple[int, int, int, bytearray]:
        """Receive one frame: ``(kind, channel, arg, payload)``."""
        self._recv_exact(self._header)
        length, kind, channel, arg = _HEADER.unpack(self._header)
        payload = bytearray(length)
        if length:
            self._recv_exact(payload)
        return kind, channel, arg, payload

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
