"""BATCH execution of a keyed operator: its input sorted by key (Flink's SortingDataInput).

In BATCH mode Flink sorts the input of a keyed one-input operator by key and
timestamp and processes it key by key. After each key the operator's time
service jumps to the end of time for that key -- its event-time timers fire,
then its processing-time timers -- and starts over for the next key
(``BatchExecutionInternalTimeService``). A key's records therefore arrive in
timestamp order, its timers fire right after them, and results come key by key.

:class:`SortedKeyedInput` keeps every record of the input (in memory, where
Flink spills to disk) and hands them to the operator that way once the input
ends: keys in ascending order when they are comparable (else in the order
they were first seen), a key's records by timestamp (stable: records without
a timestamp count as the earliest), the operator's ``end_of_key()`` after each.
The task uses it for every keyed one-input operator but a reduce (which keeps one
value per key and emits the final values in key order by itself).
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["SortedKeyedInput"]

_LONG_MIN = -(1 << 63)


class SortedKeyedInput:
    """The sorted input of one keyed operator in BATCH mode.

    Args:
        operator: the keyed operator (``process_batch`` and ``end_of_key``).
        key_of: its key selector.
    """

    def __init__(self, operator: Any, key_of: Any) -> None:
        self._op = operator
        self._key_of = key_of
        #: key -> (records, their timestamps: None where a record has none)
        self._groups: dict[Any, tuple[list[Any], list[int | None]]] = {}
        self._timestamped = False
        self.drained = False

    def add(self, values: list[Any], timestamps: list[int | None] | None) -> None:
        """Keep a batch of input records until the input ends."""
        key_of, groups = self._key_of, self._groups
        if timestamps is None:
            timestamps = [None] * len(values)
        else:
            self._timestamped = True
        for v, ts in zip(values, timestamps):
            k = key_of(v)
            group = groups.get(k)
            if group is None:
                groups[k] = group = ([], [])
            group[0].append(v)
            group[1].append(ts)

    def drain(self, cancelled: threading.Event) -> None:
        """The input ended: hand the operator every key's records, key by key.

        Raises:
            InterruptedError: the task was cancelled meanwhile (checked between keys).
        """
        if self.drained:
            return
        self.drained = True
        groups, self._groups = self._groups, {}
        keys = list(groups)
        try:
            keys.sort()
        except TypeError:  # keys of mixed or unordered types: first seen first
            pass
        op = self._op
        for k in keys:
            if cancelled.is_set():
                raise InterruptedError
            values, stamps = groups.pop(k)
            if self._timestamped:
                order = sorted(range(len(values)),
                               key=lambda i: _LONG_MIN if stamps[i] is None else stamps[i])
                op.process_batch([values[i] for i in order], [stamps[i] for i in order])
            else:
                op.process_batch(values, None)
            op.end_of_key()
