"""Frames survive any split of the byte stream, including payloads larger than the buffer."""

from __future__ import annotations

import random
import socket
import threading

import pytest

from flink_py.taskmanager.network.frames import (
    _HEADER,
    DATA,
    ConnectionClosed,
    FrameConnection,
)


def test_frames_round_trip_through_arbitrary_chunking() -> None:
    rng = random.Random(7)
    sizes = [0, 1, 13, 4096, 65_537, (1 << 20) - 13, 1 << 20, (1 << 20) + 1, 3 << 20]
    sizes += [rng.randrange(0, 200_000) for _ in range(60)]
    rng.shuffle(sizes)
    frames = [(DATA, i, -i, rng.randbytes(n)) for i, n in enumerate(sizes)]
    wire = b"".join(_HEADER.pack(len(p), k, c, a) + p for k, c, a, p in frames)
    server = socket.create_server(("127.0.0.1", 0))
    a = socket.create_connection(server.getsockname())
    b, _ = server.accept()
    server.close()

    def send() -> None:
        pos = 0
        while pos < len(wire):
            step = rng.choice([1, 7, 13, 4096, 100_000, 2_000_000])
            a.sendall(wire[pos:pos + step])
            pos += step
        a.close()

    sender = threading.Thread(target=send)
    sender.start()
    conn = FrameConnection(b, "peer")
    try:
        for kind, channel, arg, payload in frames:
            assert conn.recv() == (kind, channel, arg, payload)
        with pytest.raises(ConnectionClosed):
            conn.recv()
    finally:
        sender.join()
        conn.close()
