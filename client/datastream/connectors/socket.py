"""``SocketTextSource``: the source behind ``env.socket_text_stream``.

Flink's ``SocketTextStreamFunction`` on the Source API: a single reader
(parallelism 1) connects to ``host:port`` and emits the text between
delimiters; with the ``\\n`` delimiter a trailing ``\\r`` is dropped. When
the peer closes the connection the reader counts an attempt and, as Flink
does, reconnects after 500 ms while ``attempt < max_retry`` (``-1``: forever);
otherwise the source ends, emitting what is left after the last delimiter.
A failing connection fails the task. A socket cannot be rewound: its split
carries no position.
"""

from __future__ import annotations

import codecs
import dataclasses
import select
import socket
import time
from typing import Any

from flink_py.datastream.connectors.reader_base import SourceReaderBase
from flink_py.datastream.connectors.source import (
    Boundedness,
    Source,
    SourceReaderContext,
    SourceSplit,
    SplitEnumeratorContext,
)
from flink_py.datastream.connectors.static_enumerator import StaticSplitEnumerator

__all__ = ["SocketSplit", "SocketTextSource"]

#: Pause between reconnection attempts (Flink: 500 ms).
RETRY_DELAY_S = 0.5
_CONNECT_TIMEOUT_S = 10.0
_RECV_SIZE = 1 << 16


@dataclasses.dataclass
class SocketSplit(SourceSplit):
    """The one split of a socket source."""

    host: str
    port: int

    def split_id(self) -> str:  # noqa: D102
        return f"{self.host}:{self.port}"


class _SocketReader(SourceReaderBase[SocketSplit]):
    def __init__(self, context: SourceReaderContext, delimiter: str, max_retry: int) -> None:
        super().__init__(context)
        self.delimiter = delimiter
        self.max_retry = max_retry
        self._sock: socket.socket | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer = ""
        self._attempt = 0
        self._reconnect_at: float | None = None

    def open_split(self, split: SocketSplit) -> None:
        self._connect(split)

    def _connect(self, split: SocketSplit) -> None:
        try:
            sock = socket.create_connection((split.host, split.port), timeout=_CONNECT_TIMEOUT_S)
        except OSError as exc:
            msg = f"socket_text_stream: cannot connect to {split.host}:{split.port}: {exc}"
            raise ConnectionError(msg) from exc
        sock.setblocking(False)
        self._sock = sock
        self._decoder.reset()

    def _lines(self, text: str, final: bool) -> list[str]:
        self._buffer += text
        parts = self._buffer.split(self.delimiter)
        self._buffer = parts.pop()
        if final and self._buffer:
            parts.append(self._buffer)
            self._buffer = ""
        if self.delimiter == "\n":
            parts = [p[:-1] if p.endswith("\r") else p for p in parts]
        return parts

    def fetch(self, split: SocketSplit, max_records: int) -> tuple[list[Any], bool]:
        if self._sock is None:
            if self._reconnect_at is None or time.monotonic() < self._reconnect_at:
                return [], False
            self._reconnect_at = None
            self._connect(split)
        sock = self._sock
        assert sock is not None
        chunks = []
        eof = False
        while sum(map(len, chunks)) < (1 << 20):
            try:
                data = sock.recv(_RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                data = b""
            if not data:
                eof = True
                break
            chunks.append(data)
        text = self._decoder.decode(b"".join(chunks), final=eof)
        if not eof:
            return self._lines(text, final=False), False
        sock.close()
        self._sock = None
        self._attempt += 1
        if self.max_retry == -1 or self._attempt < self.max_retry:  # Flink's rule
            self._reconnect_at = time.monotonic() + RETRY_DELAY_S
            return self._lines(text, final=False), False
        return self._lines(text, final=True), True

    def wait_available(self, timeout_s: float) -> None:
        if self._sock is not None:
            select.select([self._sock], [], [], timeout_s)
        else:
            time.sleep(timeout_s)

    def close_split(self, split: SocketSplit) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class SocketTextSource(Source[SocketSplit, dict[int, list[SocketSplit]]]):
    """Text records from a TCP socket (see the module docs)."""

    def __init__(self, hostname: str, port: int, delimiter: str = "\n",
                 max_retry: int = 0) -> None:
        if not 0 < int(port) < 65536:
            raise ValueError(f"socket_text_stream: port must be within 1..65535, got {port}")
        if not delimiter:
            raise ValueError("socket_text_stream: the delimiter must not be empty")
        self.hostname = hostname
        self.port = int(port)
        self.delimiter = delimiter
        self.max_retry = int(max_retry)

    def get_boundedness(self) -> Boundedness:  # noqa: D102
        return Boundedness.CONTINUOUS_UNBOUNDED

    def get_produced_type(self) -> Any:  # noqa: D102
        from flink_py.common.typeinfo import Types

        return Types.STRING()

    def is_parallel(self) -> bool:  # noqa: D102
        return False

    def create_enumerator(self, enum_context: SplitEnumeratorContext[SocketSplit]
                          ) -> StaticSplitEnumerator[SocketSplit]:  # noqa: D102
        return StaticSplitEnumerator(enum_context, [SocketSplit(self.hostname, self.port)])

    def restore_enumerator(self, enum_context: SplitEnumeratorContext[SocketSplit],
                           checkpoint: dict[int, list[SocketSplit]]
                           ) -> StaticSplitEnumerator[SocketSplit]:  # noqa: D102
        return StaticSplitEnumerator(enum_context, [], restored=checkpoint)

    def create_reader(self, reader_context: SourceReaderContext) -> _SocketReader:  # noqa: D102
        return _SocketReader(reader_context, self.delimiter, self.max_retry)
