"""Keyed operators: rolling reduce and the built-in aggregations.

The current value per key is keyed state. In STREAMING mode every input
emits the updated value; in BATCH mode only the final value per key is
emitted at end of input (Flink's batch execution of keyed reduce).
"""

from __future__ import annotations

from typing import Any

from flink_py.datastream.functions import resolve
from flink_py.taskmanager.operators.base import StreamOperator

__all__ = ["ReduceOperator"]

_MISSING = object()


class ReduceOperator(StreamOperator):
    """``KeyedStream.reduce`` (also ``sum``/``min``/``max``/``min_by``/``max_by``)."""

    def __init__(self, key_selector: Any, func: Any, batch_mode: bool = False) -> None:
        super().__init__()
        self.key_selector, _ = resolve(key_selector, "get_key")
        self.func, self.user_function = resolve(func, "reduce")
        self.batch_mode = batch_mode
        self.state: dict[Any, Any] = {}

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        key_of = self.key_selector
        reduce = self.func
        state = self.state
        get = state.get
        out: list[Any] = []
        append = out.append
        for v in values:
            k = key_of(v)
            cur = get(k, _MISSING)
            cur = v if cur is _MISSING else reduce(cur, v)
            state[k] = cur
            append(cur)
        if not self.batch_mode:
            self.output.emit(out, timestamps)

    def end_input(self) -> None:  # noqa: D102
        if self.batch_mode and self.state:
            self.output.emit(list(self.state.values()), None)
