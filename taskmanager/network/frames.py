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
_RECV_BUFFER: Final = 1 << 20


class ConnectionClosed(ConnectionError):
    """The peer closed the connection."""


class FrameConnection:
    """A socket that sends and receives frames; sends are thread-safe."""

    def __init__(self, sock: socket.socket, peer: str) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.peer = peer
        self._send_lock = threading.Lock()
        # Receive buffer: one recv() call usually brings several frames, and
        # every recv() releases and re-takes the GIL -- a wait of up to the
        # switch interval while a task thread computes.
        self._rbuf = bytearray(_RECV_BUFFER)
        self._rview = memoryview(self._rbuf)
        self._rstart = 0
        self._rend = 0
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

    def _fill(self, need: int) -> None:
        """Read until at least ``need`` (<= buffer size) bytes are buffered."""
        if self._rstart and self._rend + (need - (self._rend - self._rstart)) > len(self._rbuf):
            # Move the unread bytes to the front.
            n = self._rend - self._rstart
            self._rbuf[:n] = self._rview[self._rstart:self._rend]
            self._rstart, self._rend = 0, n
        while self._rend - self._rstart < need:
            got = self.sock.recv_into(self._rview[self._rend:])
            if got == 0:
                raise ConnectionClosed(f"connection to {self.peer} closed")
            self._rend += got

    def recv(self) -> tuple[int, int, int, bytearray]:
        """Receive one frame: ``(kind, channel, arg, payload)``."""
        size = _HEADER.size
        if self._rend - self._rstart < size:
            self._fill(size)
        length, kind, channel, arg = _HEADER.unpack_from(self._rbuf, self._rstart)
        self._rstart += size
        available = self._rend - self._rstart
        if length <= available:
            payload = self._rbuf[self._rstart:self._rstart + length]
            self._rstart += length
        elif length <= len(self._rbuf):
            self._fill(length)
            payload = self._rbuf[self._rstart:self._rstart + length]
            self._rstart += length
        else:
            # Larger than the buffer: take what is buffered, read the rest in place.
            payload = bytearray(length)
            payload[:available] = self._rview[self._rstart:self._rend]
            self._rstart = self._rend = 0
            view = memoryview(payload)[available:]
            while view:
                got = self.sock.recv_into(view)
                if got == 0:
                    raise ConnectionClosed(f"connection to {self.peer} closed")
                view = view[got:]
        if self._rstart == self._rend:
            self._rstart = self._rend = 0
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
