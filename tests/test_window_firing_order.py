"""Windows ending at the same time fire key by key in Flink's timer-heap order.

The expected lines were printed by real PyFlink 2.3 at parallelism 1 for the same job
(``/tmp``-free: the data and strategy are below). Flink orders the timers of one
timestamp by its binary heap, not by registration: here the third window fires b
before a although a's timer was registered first.
"""

from __future__ import annotations

from typing import Any

from flink_py.common import Duration, Types, WatermarkStrategy
from flink_py.common.watermark_strategy import TimestampAssigner
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.functions import ProcessWindowFunction
from flink_py.datastream.window import TumblingEventTimeWindows

from tests.api_support import by_value, cluster_env, session_cluster  # noqa: F401 - fixtures

by_value(__name__)

DATA = [("a", 1000, 1), ("b", 1500, 2), ("a", 2000, 3), ("a", 4999, 4), ("b", 5000, 5),
        ("a", 6000, 6), ("b", 3000, 7), ("a", 12000, 8), ("b", 11000, 9), ("a", 500, 10)]
TT = Types.TUPLE([Types.STRING(), Types.LONG(), Types.INT()])


class _Ts(TimestampAssigner):
    def extract_timestamp(self, value: Any, record_timestamp: int) -> int:
        return value[1]


class _Contents(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        yield key, context.window().start, [e[2] for e in elements]


def _keyed(env: StreamExecutionEnvironment) -> Any:
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(
        Duration.of_seconds(2)).with_timestamp_assigner(_Ts())
    return (env.from_collection(DATA, type_info=TT).assign_timestamps_and_watermarks(strategy)
            .key_by(lambda x: x[0]).window(TumblingEventTimeWindows.of(Duration.of_seconds(5))))


def test_window_results_come_in_pyflink_order(cluster_env: Any) -> None:  # noqa: F811
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    reduced = list(_keyed(env).reduce(lambda a, b: (a[0], a[1], a[2] + b[2]),
                                      output_type=TT).execute_and_collect())
    assert reduced == [("a", 1000, 18), ("b", 1500, 9), ("a", 6000, 6), ("b", 5000, 5),
                       ("b", 11000, 9), ("a", 12000, 8)]
    processed = list(_keyed(env).process(_Contents()).execute_and_collect())
    assert processed == [("a", 0, [1, 3, 4, 10]), ("b", 0, [2, 7]), ("a", 5000, [6]),
                         ("b", 5000, [5]), ("b", 10000, [9]), ("a", 10000, [8])]
