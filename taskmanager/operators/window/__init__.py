"""The window operator (``KeyedStream.window``, ``count_window``, ``DataStream.window_all``).

``contents`` says how a window accumulates its elements (one accumulator
for reduce/aggregate, a list otherwise); ``operator`` runs assigners,
triggers, evictors, lateness and merging as Flink's WindowOperator does;
``panes`` is its fast path for tumbling/sliding time windows with reduce or
aggregate (each element added once, to its pane). Build operators with
:func:`window_operator`, which picks the pane operator where it applies.
"""

from flink_py.taskmanager.operators.window.contents import (
    AggregateContents,
    ListContents,
    ReduceContents,
    WindowContents,
)
from flink_py.taskmanager.operators.window.operator import WindowOperator
from flink_py.taskmanager.operators.window.panes import (
    PaneWindowOperator,
    pane_eligible,
    window_operator,
)

__all__ = [
    "AggregateContents",
    "ListContents",
    "PaneWindowOperator",
    "ReduceContents",
    "WindowContents",
    "WindowOperator",
    "pane_eligible",
    "window_operator",
]
