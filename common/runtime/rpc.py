"""gRPC settings shared by every flink-py endpoint."""

from __future__ import annotations

__all__ = ["MAX_MESSAGE_BYTES", "channel_options", "server_options"]

#: Job graphs and result batches may exceed gRPC's 4 MiB default.
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


def _common() -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]


def channel_options() -> list[tuple[str, int]]:
    """Options for client channels."""
    return [*_common(), ("grpc.enable_retries", 1), ("grpc.keepalive_time_ms", 30000)]


def server_options() -> list[tuple[str, int]]:
    """Options for servers."""
    return [*_common(), ("grpc.so_reuseport", 0)]
