"""WindowedStream and AllWindowedStream (``pyflink.datastream.data_stream``).

``key_by(...).window(assigner)`` gives a :class:`WindowedStream`,
``window_all(assigner)`` an :class:`AllWindowedStream` (one parallel
instance). Configure it with ``trigger``, ``evictor``, ``allowed_lateness``
and ``side_output_late_data``, then end it with ``reduce``, ``aggregate``,
``process`` or ``apply``. ``reduce`` and ``aggregate`` keep one accumulator
per key and window (unless an evictor needs the elements); their optional
``window_function`` then receives that single pre-aggregated value. On
tumbling and sliding time windows with the default trigger they run on panes
(each element added once, see ``taskmanager.operators.window.panes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flink_py.datastream.output_tag import OutputTag
from flink_py.datastream.window import Evictor, Trigger, WindowAssigner
from flink_py.taskmanager.operators.window import (
    AggregateContents,
    ListContents,
    ReduceContents,
    WindowContents,
    window_operator,
)

if TYPE_CHECKING:
    from flink_py.datastream.data_stream import DataStream, KeyedStream

__all__ = ["AllWindowedStream", "WindowedStream"]


def _null_key(value: Any) -> int:
    """The single key of ``window_all`` (Flink's NullByteKeySelector)."""
    return 0


def _name(obj: Any) -> str:
    return type(obj).__name__ if obj is not None else "PassThroughWindowFunction"


class _Windowed:
    """What WindowedStream and AllWindowedStream share."""

    _keyed = True
    _where = "WindowedStream"

    def __init__(self, keyed_stream: KeyedStream, window_assigner: WindowAssigner) -> None:
        if not isinstance(window_assigner, WindowAssigner):
            raise TypeError(f"{self._where}: window() needs a WindowAssigner "
                            f"(e.g. TumblingEventTimeWindows.of(...)), got {window_assigner!r}")
        self._keyed_stream = keyed_stream
        self._assigner = window_assigner
        self._trigger: Trigger | None = None
        self._evictor: Evictor | None = None
        self._allowed_lateness = 0
        self._late_tag: OutputTag | None = None

    def get_execution_environment(self) -> Any:
        """The StreamExecutionEnvironment of the stream."""
        return self._keyed_stream._env  # noqa: SLF001

    def get_input_type(self) -> Any:
        """The type of the windowed elements."""
        return self._keyed_stream.get_type()

    def trigger(self, trigger: Trigger) -> Any:
        """Replace the assigner's default trigger."""
        if not isinstance(trigger, Trigger):
            raise TypeError(f"{self._where}.trigger() needs a Trigger, got {trigger!r}")
        self._trigger = trigger
        return self

    def evictor(self, evictor: Evictor) -> Any:
        """Evict elements before/after the window function (keeps all elements in state)."""
        if not isinstance(evictor, Evictor):
            raise TypeError(f"{self._where}.evictor() needs an Evictor, got {evictor!r}")
        self._evictor = evictor
        return self

    def allowed_lateness(self, time_ms: Any) -> Any:
        """Keep event-time windows ``time_ms`` past their end; late elements re-fire them."""
        from flink_py.datastream.window import _millis

        ms = _millis(time_ms, f"{self._where}.allowed_lateness")
        if ms < 0:
            raise ValueError(f"{self._where}.allowed_lateness must not be negative, got {ms}")
        self._allowed_lateness = ms
        return self

    def side_output_late_data(self, output_tag: OutputTag) -> Any:
        """Send elements too late for all their windows to the side output ``output_tag``."""
        if not isinstance(output_tag, OutputTag):
            raise TypeError(f"{self._where}.side_output_late_data() needs an OutputTag, "
                            f"got {output_tag!r}")
        self._late_tag = output_tag
        return self

    # -- functions -----------------------------------------------------------------
    def _window_function(self, function: Any) -> tuple[Any, str]:
        if function is None:
            return None, "pass"
        if callable(getattr(function, "process", None)):
            return function, "process"
        if callable(getattr(function, "apply", None)):
            return function, "apply"
        kind = "ProcessWindowFunction or WindowFunction" if self._keyed else \
            "ProcessAllWindowFunction or AllWindowFunction"
        raise TypeError(f"{self._where}: window_function must be a {kind}, got {function!r}")

    def _build(self, contents: WindowContents, function: Any, kind: str, output_type: Any,
               what: str) -> DataStream:
        from flink_py.datastream.data_stream import _output_type

        stream = self._keyed_stream
        trigger = self._trigger if self._trigger is not None else \
            self._assigner.get_default_trigger(self.get_execution_environment())
        sliding_panes = bool(stream._env._config.get(  # noqa: SLF001
            "execution.window.sliding-panes"))
        op = window_operator(stream._key_selector, self._assigner, trigger,  # noqa: SLF001
                            contents, function, kind, self._keyed, self._evictor,
                            self._allowed_lateness, self._late_tag, sliding_panes)
        name = f"Window({self._assigner!r}, {type(trigger).__name__}, {what})"
        if not self._keyed:
            name = "All" + name
        result = stream._one_input(name, op, _output_type(output_type))  # noqa: SLF001
        if not self._keyed:
            result._t.non_parallel = True  # noqa: SLF001
            result._t.parallelism = 1  # noqa: SLF001
        return result

    def reduce(self, reduce_function: Any, window_function: Any = None,
               output_type: Any = None) -> DataStream:
        """Reduce each window incrementally (one value per key and window)."""
        contents = ReduceContents(reduce_function)
        function, kind = self._window_function(window_function)
        if output_type is None and function is None:
            output_type = self.get_input_type()
        return self._build(contents, function, kind, output_type,
                           f"{_name(contents.function or reduce_function)}, {_name(function)}")

    def aggregate(self, aggregate_function: Any, window_function: Any = None,
                  accumulator_type: Any = None, output_type: Any = None) -> DataStream:
        """Aggregate each window incrementally with an AggregateFunction."""
        contents = AggregateContents(aggregate_function)
        function, kind = self._window_function(window_function)
        return self._build(contents, function, kind, output_type,
                           f"{_name(aggregate_function)}, {_name(function)}")

    def process(self, process_window_function: Any, output_type: Any = None) -> DataStream:
        """Evaluate each window with all its elements (ProcessWindowFunction)."""
        function, kind = self._window_function(process_window_function)
        if kind != "process":
            raise TypeError(f"{self._where}.process() needs a Process{'' if self._keyed else 'All'}"
                            f"WindowFunction, got {process_window_function!r}")
        return self._build(ListContents(), function, kind, output_type, _name(function))

    def apply(self, window_function: Any, output_type: Any = None) -> DataStream:
        """Evaluate each window with all its elements (the legacy WindowFunction)."""
        if callable(window_function) and not hasattr(window_function, "apply"):
            function, kind = _CallableApply(window_function), "apply"
        else:
            function, kind = self._window_function(window_function)
        if kind != "apply":
            raise TypeError(f"{self._where}.apply() needs a {'' if self._keyed else 'All'}"
                            f"WindowFunction, got {window_function!r}")
        return self._build(ListContents(), function, kind, output_type, _name(window_function))


class _CallableApply:
    """A plain callable used as a WindowFunction."""

    def __init__(self, func: Any) -> None:
        self.apply = func


class WindowedStream(_Windowed):
    """A keyed stream split into windows per key."""


class AllWindowedStream(_Windowed):
    """A whole (non-keyed) stream split into windows; runs with parallelism 1."""

    _keyed = False
    _where = "AllWindowedStream"

    def __init__(self, data_stream: DataStream, window_assigner: WindowAssigner) -> None:
        super().__init__(data_stream.key_by(_null_key), window_assigner)
