"""Failures in user functions: the job fails naming the operator, the subtask and the cause."""

from __future__ import annotations

from typing import Any

import pytest
from flink_py.client.cluster_client import JobExecutionException
from flink_py.common import Types
from flink_py.datastream import (
    CoMapFunction,
    KeyedProcessFunction,
    ProcessFunction,
    StreamExecutionEnvironment,
)

from tests.api_support import (
    by_value,
    cluster_env,  # noqa: F401 - fixture
    session_cluster,  # noqa: F401 - fixture
)

by_value(__name__)

pytestmark = pytest.mark.usefixtures("cluster_env")


def _env(parallelism: int) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


class Explode(ProcessFunction):
    def process_element(self, value: int, ctx: Any) -> Any:
        if value == 13:
            raise ValueError(f"unlucky record {value}")
        yield value


def test_exception_in_a_process_function_names_operator_subtask_and_user_code() -> None:
    env = _env(2)
    ds = env.from_collection(list(range(20))).rebalance().process(Explode()).name("Exploder")
    with pytest.raises(JobExecutionException) as err:
        list(ds.execute_and_collect())
    exc = err.value
    assert exc.state == "FAILED"
    assert "in operator 'Exploder'" in exc.cause and "ValueError: unlucky record 13" in exc.cause
    assert "subtask 1/2" in exc.cause or "subtask 2/2" in exc.cause
    # The traceback shows the user's frame, not flink-py's internals.
    assert "test_api_errors.py" in exc.user_traceback
    assert "in process_element" in exc.user_traceback
    assert "taskmanager/task.py" not in exc.user_traceback


class FailingTimer(KeyedProcessFunction):
    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Any:
        ctx.timer_service().register_event_time_timer(5)
        yield value

    def on_timer(self, timestamp: int, ctx: Any) -> Any:
        raise RuntimeError(f"timer of {ctx.get_current_key()} broke")


def test_exception_in_on_timer_names_the_operator() -> None:
    env = _env(1)
    ds = env.from_collection(["k"]).key_by(lambda v: v).process(FailingTimer()).name("Alarms")
    with pytest.raises(JobExecutionException,
                       match=r"subtask 1/1 failed in operator 'Alarms': "
                             r"RuntimeError: timer of k broke"):
        list(ds.execute_and_collect())


class BadSecondInput(CoMapFunction):
    def map1(self, value: Any) -> Any:
        return value

    def map2(self, value: Any) -> Any:
        return value / 0


def test_exception_in_the_second_input_of_a_co_function() -> None:
    env = _env(1)
    ds = env.from_collection([1]).connect(env.from_collection([2])).map(BadSecondInput())
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Co-Map': ZeroDivisionError") as err:
        list(ds.execute_and_collect())
    assert "in map2" in err.value.user_traceback


def test_wrong_output_type_names_operator_value_and_declared_type() -> None:
    env = _env(2)
    # Typed records crossing a process boundary are encoded as Arrow columns: a value that
    # does not fit the declared type fails the producing operator.
    # Every record is bad, so whichever channels the rebalance picks, some cross processes.
    ds = (env.from_collection(["x"] * 8).rebalance()
          .process(lambda v, ctx: [int(v) if v.isdigit() else v], output_type=Types.INT())
          .name("Parser").rebalance().map(lambda v: v))
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Parser': TypeMismatchError: Value 'x' \(str\) does "
                             r"not match the declared type INT"):
        list(ds.execute_and_collect())


def test_a_failing_inlined_lambda_shows_the_users_line() -> None:
    env = _env(1)
    ds = env.from_collection([(1, 2), (3,)]).map(lambda t: t[1]).name("Second")  # THE LINE
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Second': IndexError: tuple index out of range") as err:
        list(ds.execute_and_collect())
    tb = err.value.user_traceback
    assert "test_api_errors.py" in tb and "<lambda> (inlined)" in tb
    assert "# THE LINE" in tb  # the user's source line, read from the file
    assert "<flink-py" not in tb


def test_inlined_map_output_is_still_checked_at_a_local_channel() -> None:
    # (x, 1) is known to be a 2-tuple with an INT second field; the first field
    # still has to be checked against STRING.
    env = _env(1)
    ds = (env.from_collection([1, 2, 3])
          .map(lambda x: (x, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
          .name("Pair")
          .key_by(lambda t: t[0]).reduce(lambda a, b: (a[0], a[1] + b[1])))
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Pair': TypeMismatchError: Value 1 \(int\)"):
        list(ds.execute_and_collect())


def test_an_inlined_reduce_leaving_the_int_range_fails() -> None:
    # The sum of two INTs is an int but may not fit INT: the range is still checked
    # where the reduce's output ends the chain.
    env = _env(1)
    pairs = Types.TUPLE([Types.STRING(), Types.INT()])
    ds = (env.from_collection([("k", 2**30)] * 3, type_info=pairs)
          .key_by(lambda t: t[0]).reduce(lambda a, b: (a[0], a[1] + b[1])).name("Adder"))
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Adder': TypeMismatchError: Value 2147483648"):
        list(ds.execute_and_collect())


@pytest.mark.parametrize("keyed", [False, True])
def test_flat_map_returning_none_fails_as_pyflinks_yield_from_does(keyed: bool) -> None:
    env = _env(1)
    ds = env.from_collection([1, 2])
    if keyed:
        ds = ds.key_by(lambda v: v)
    out = ds.flat_map(lambda v: None if v == 2 else [v]).name("Maybe")
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Maybe': TypeError: 'NoneType' object is not iterable"):
        list(out.execute_and_collect())
