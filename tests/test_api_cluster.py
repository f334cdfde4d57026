"""The DataStream API on a real cluster: a JobManager and two TaskManagers (one slot each)."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flink_py.common import Row, Types
from flink_py.datastream import StreamExecutionEnvironment
from tests import test_api_connected as connected
from tests import test_api_keyed as keyed
from tests import test_api_process as process
from tests.api_support import by_value, remote_environment, sequenced, two_taskmanagers_cluster
from tests.conftest import ProcessCluster, wait_until

by_value(__name__)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_taskmanagers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessCluster]:
    with two_taskmanagers_cluster(tmp_path_factory.mktemp("api-cluster")) as cluster:
        yield cluster


@pytest.fixture
def env(two_taskmanagers: ProcessCluster) -> Iterator[StreamExecutionEnvironment]:
    with remote_environment(two_taskmanagers.address) as environment:
        yield environment


def _last_job_used_both_taskmanagers(cluster: ProcessCluster) -> bool:
    client = cluster.client
    assert client is not None
    job = max(client.list_jobs(), key=lambda j: j.start_time_ms)
    details = client.get_job(job.job_id)
    return details.info.state == "FINISHED" and len({t.tm_id for t in details.tasks}) == 2


def test_keyed_state_and_timers_across_taskmanagers(two_taskmanagers: ProcessCluster,
                                                    env: StreamExecutionEnvironment) -> None:
    data = [(f"u{i % 5}", f"x{i % 3}") for i in range(40)]
    results = list(env.from_collection(data).key_by(lambda v: v[0])
                   .process(keyed.Sessionize()).execute_and_collect())
    ends = {r[1]: r[3] for r in results if r[0] == "end"}
    assert ends == {f"u{i}": 8 for i in range(5)}
    running = collections.defaultdict(list)
    for r in results:
        if r[0] != "end":
            running[r[0]].append(r[1])
    assert all(counts == list(range(1, 9)) for counts in running.values())
    wait_until(lambda: _last_job_used_both_taskmanagers(two_taskmanagers))


def test_typed_side_outputs_cross_taskmanagers(env: StreamExecutionEnvironment) -> None:
    main = env.from_collection(list(range(1, 21)), type_info=Types.INT()).rebalance().process(
        process.Splitter(), output_type=Types.INT())
    odd = main.get_side_output(process.ODD).rebalance().map(lambda v: ("odd", v))
    names = main.get_side_output(process.NAMES).rebalance().map(lambda v: ("names", v))
    out = sorted(main.rebalance().map(lambda v: ("main", v)).union(odd, names)
                 .execute_and_collect())
    assert [v for k, v in out if k == "main"] == [v * 10 for v in range(2, 21, 2)]
    assert [v for k, v in out if k == "odd"] == list(range(1, 21, 2))
    assert sorted(v for k, v in out if k == "names") == sorted(
        f"n{v}" for v in range(3, 21, 4))


def test_named_row_aggregations_across_taskmanagers(env: StreamExecutionEnvironment) -> None:
    row_type = Types.ROW_NAMED(["name", "score"], [Types.STRING(), Types.INT()])
    rows = [Row(name=f"k{i % 4}", score=i) for i in range(40)]
    ds = env.from_collection(rows, type_info=row_type)
    out = list(ds.key_by(lambda r: r["name"]).sum("score")
               .union(ds.key_by(lambda r: r["name"]).min_by("score"))
               .execute_and_collect())
    final_sum: dict[str, int] = {}
    final_min: dict[str, int] = {}
    for row in out:
        assert isinstance(row, Row)
        final_sum[row.name] = max(final_sum.get(row.name, 0), row.score)
        final_min[row.name] = min(final_min.get(row.name, 10**9), row.score)
    assert final_sum == {f"k{k}": sum(range(k, 40, 4)) for k in range(4)}
    assert final_min == {f"k{k}": k for k in range(4)}


def test_at12_keyed_join_across_taskmanagers(env: StreamExecutionEnvironment,
                                             tmp_path: Path) -> None:
    items = [(0, ("u1", "A")), (1, ("u1", "B")), (0, ("u1", "C")), (1, ("u2", "D"))]
    s1, s2 = sequenced(env, str(tmp_path), items, [1, 1, 1, 1])
    joined = s1.connect(s2).key_by(lambda v: v[1][0], lambda v: v[1][0]).process(
        connected.PairUp(str(tmp_path)))
    assert list(joined.execute_and_collect()) == [("A", "B"), ("C", "B")]


def test_at11_broadcast_reaches_every_subtask_on_both_taskmanagers(
        two_taskmanagers: ProcessCluster, env: StreamExecutionEnvironment,
        tmp_path: Path) -> None:
    items: list[tuple[int, Any]] = [
        (1, connected.Config("threshold", "10", 0)),
        (0, connected.Event(1000, "u1", "a")),
        (1, connected.Config("threshold", "20", 2000)),
        (0, connected.Event(3000, "u2", "b"))]
    events, configs = sequenced(env, str(tmp_path), items, [2, 1, 2, 1])
    results = list(events.connect(configs.broadcast(connected.CONFIG_STATE))
                   .process(connected.Enrich(str(tmp_path))).execute_and_collect())
    processed = sorted((r[1:] for r in results if r[0] == "ProcessedEvent"),
                       key=lambda r: r[0].timestamp)
    assert [(e.timestamp, c.value) for e, c in processed] == [(1000, "10"), (3000, "20")]
    assert sorted(r[1:] for r in results if r[0] == "stored") == [
        ("10", 0), ("10", 1), ("20", 0), ("20", 1)]
    wait_until(lambda: _last_job_used_both_taskmanagers(two_taskmanagers))


def test_every_listed_type_round_trips_across_taskmanagers(
        two_taskmanagers: ProcessCluster, env: StreamExecutionEnvironment) -> None:
    from tests import test_api_parity as parity

    parity.check_types_output(list(parity.build_types_job(env).execute_and_collect()))
    assert _last_job_used_both_taskmanagers(two_taskmanagers)


def test_wrong_output_type_fails_on_the_cluster_naming_operator_value_and_type(
        env: StreamExecutionEnvironment) -> None:
    from flink_py.client.cluster_client import JobExecutionException

    ds = (env.from_collection(["1", "x"]).rebalance()
          .map(lambda v: v, output_type=Types.INT()).name("Caster"))
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Caster': TypeMismatchError: Value '(1|x)' \(str\) "
                             r"does not match the declared type INT"):
        list(ds.execute_and_collect())
