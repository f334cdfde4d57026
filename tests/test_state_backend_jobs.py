"""``state.backend.type`` reaches keyed operators: jobs on the embedded cluster per backend."""

from __future__ import annotations

from typing import Any

import pytest

from flink_py.common import Configuration, Types
from flink_py.datastream import (
    KeyedProcessFunction,
    MapStateDescriptor,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from tests.api_support import (
    by_value,
    cluster_env,  # noqa: F401 - fixture
    session_cluster,  # noqa: F401 - fixture
)

by_value(__name__)

pytestmark = pytest.mark.usefixtures("cluster_env")


class _Count(KeyedProcessFunction):
    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.INT()))
        self.seen = runtime_context.get_map_state(
            MapStateDescriptor("seen", Types.INT(), Types.BOOLEAN()))

    def process_element(self, value: Any, ctx: Any) -> Any:
        n = (self.count.value() or 0) + 1
        self.count.update(n)
        self.seen.put(value[1], True)
        yield ctx.get_current_key(), n, len(list(self.seen.keys())), type(self.count).__name__


@pytest.mark.parametrize(("kind", "handle"), [("hashmap", "HeapValueState"),
                                              ("rocksdb", "RocksDBValueState")])
def test_keyed_state_job_on_each_backend(kind: str, handle: str) -> None:
    config = Configuration().set_string("state.backend.type", kind)
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(2)
    records = [(f"k{i % 5}", i % 3) for i in range(30)]
    out = list(env.from_collection(records).key_by(lambda r: r[0])
               .process(_Count()).execute_and_collect())
    assert {r[3] for r in out} == {handle}
    final = {}
    for key, n, distinct, _ in out:
        final[key] = max(final.get(key, (0, 0)), (n, distinct))
    assert final == {f"k{i}": (6, 3) for i in range(5)}
