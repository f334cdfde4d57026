"""The data-plane endpoints of one slot-worker process.

* :class:`DataServer` accepts connections from consumers in other processes
  and serves their subpartition requests from the process's
  :class:`~.partition.PartitionRegistry`.
* :class:`ConnectionManager` keeps one outgoing connection per producer
  process and routes incoming frames to the right input channel.
"""

from __future__ import annotations

import logging
import pickle
import socket
import threading
from typing import Any

from flink_py.taskmanager.network.frames import (
    CLOSE,
    CREDIT,
    DATA,
    DATA_TS,
    ERROR,
    EVENT,
    REQUEST,
    ConnectionClosed,
    FrameConnection,
)
from flink_py.taskmanager.network.partition import PartitionRegistry, RemoteView
from flink_py.taskmanager.network.record_timestamps import TimestampedBuffer

__all__ = ["ConnectionManager", "DataServer"]

log = logging.getLogger(__name__)


class DataServer:
    """Serves this process's result partitions to remote consumers."""

    def __init__(self, registry: PartitionRegistry, host: str = "127.0.0.1", port: int = 0,
                 advertised_host: str | None = None) -> None:
        self.registry = registry
        self._sock = socket.create_server((host, port))
        bound = self._sock.getsockname()
        self.address = f"{advertised_host or bound[0]}:{bound[1]}"
        self._conns: list[FrameConnection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, name="data-server",
                                        daemon=True)

    def start(self) -> None:
        """Start accepting connections."""
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                sock, peer = self._sock.accept()
            except OSError:
                return
            conn = FrameConnection(sock, f"{peer[0]}:{peer[1]}")
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), name=f"data-in-{peer[1]}",
                             daemon=True).start()

    def _serve(self, conn: FrameConnection) -> None:
        views: dict[int, RemoteView] = {}
        try:
            while True:
                kind, channel, arg, payload = conn.recv()
                if kind == REQUEST:
                    key, index, credit = pickle.loads(payload)
                    view = RemoteView(conn, channel)
                    views[channel] = view
                    self.registry.request(tuple(key), index, view, credit)
                elif kind == CREDIT:
                    view = views.get(channel)
                    if view is not None and view.subpartition is not None:
                        view.subpartition.add_credit(arg)
                elif kind == CLOSE:
                    view = views.pop(channel, None)
                    if view is not None:
                        self._drop(view)
        except (ConnectionClosed, OSError):
            pass
        except Exception:  # pragma: no cover - protocol bug
            log.exception("data connection from %s failed", conn.peer)
        finally:
            for view in views.values():
                self._drop(view)
            conn.close()

    def _drop(self, view: RemoteView) -> None:
        if view.subpartition is not None:
            view.subpartition.release()
        else:
            self.registry.cancel_pending(view)

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()


class ConnectionManager:
    """Outgoing connections of one process, one per producer address."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: dict[str, FrameConnection] = {}
        self._channels: dict[str, dict[int, Any]] = {}
        self._next_id = 1

    def open_channel(self, address: str, channel: Any) -> tuple[FrameConnection, int]:
        """Register ``channel`` for frames from ``address``; connect if needed."""
        with self._lock:
            conn = self._conns.get(address)
            if conn is None or conn.closed:
                host, port = address.rsplit(":", 1)
                sock = socket.create_connection((host, int(port)), timeout=30)
                sock.settimeout(None)
                conn = FrameConnection(sock, address)
                self._conns[address] = conn
                self._channels[address] = {}
                threading.Thread(target=self._read_loop, args=(address, conn),
                                 name=f"data-out-{address}", daemon=True).start()
            channel_id = self._next_id
            self._next_id += 1
            self._channels[address][channel_id] = channel
            return conn, channel_id

    def close_channel(self, address: str, channel_id: int) -> None:
        """Forget a channel; close the connection when it was the last one."""
        with self._lock:
            chans = self._channels.get(address)
            if chans is None:
                return
            chans.pop(channel_id, None)
            if not chans:
                conn = self._conns.pop(address, None)
                del self._channels[address]
                if conn is not None:
                    conn.close()

    def _read_loop(self, address: str, conn: FrameConnection) -> None:
        try:
            while True:
                kind, channel_id, arg, payload = conn.recv()
                with self._lock:
                    channel = self._channels.get(address, {}).get(channel_id)
                if channel is None:
                    continue
                if kind == DATA:
                    channel.on_data(payload, arg)
                elif kind == DATA_TS:
                    channel.on_data(TimestampedBuffer(payload), arg)
                elif kind == EVENT:
                    channel.on_event(pickle.loads(payload))
                elif kind == ERROR:
                    channel.on_error(bytes(payload).decode())
        except (ConnectionClosed, OSError) as exc:
            if conn.closed:
                return
            with self._lock:
                chans = list(self._channels.get(address, {}).values())
            for channel in chans:
                channel.on_error(f"Connection to producer {address} lost: {exc}")

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            conns = list(self._conns.values())
            self._conns.clear()
            self._channels.clear()
        for conn in conns:
            conn.close()
