"""What ``DataStream.print()`` and ``SimpleStringEncoder`` show for each type.

Java's ``toString`` for typed values (``Double.toString``/``Float.toString`` with
JDK 19+'s shortest digits, ``java.sql.Timestamp``, ``java.time``, ``HashMap``
order), and PyFlink's own formatting where ``print()`` maps records in Python
first: pickled records through ``str`` and rows as ``+I[f0,f1]``.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flink_py.common import Instant, Row, Types
from flink_py.taskmanager.operators.formatting import java_string, print_string

from tests.conftest import REPO


@pytest.mark.parametrize(("value", "expected"), [
    (4.35e-7, "4.35E-7"), (12345678.9, "1.23456789E7"), (1e23, "1.0E23"),
    (5e-324, "4.9E-324"), (1e10, "1.0E10"), (1e7, "1.0E7"), (9999999.0, "9999999.0"),
    (0.001, "0.001"), (0.00099, "9.9E-4"), (100.0, "100.0"), (-0.0, "-0.0"),
    (0.1 + 0.2, "0.30000000000000004"), (1.7976931348623157e308, "1.7976931348623157E308"),
    (float("nan"), "NaN"), (float("-inf"), "-Infinity"),
])
def test_double_prints_like_java(value: float, expected: str) -> None:
    assert java_string(value, Types.DOUBLE()) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0.1 + 0.2, "0.3"), (0.1, "0.1"), (1e10, "1.0E10"), (3.4028234663852886e38, "3.4028235E38"),
    (1.4e-45, "1.4E-45"), (16777216.0, "1.6777216E7"),
])
def test_float_prints_the_float32_value_like_java(value: float, expected: str) -> None:
    assert java_string(value, Types.FLOAT()) == expected


def test_time_types_print_like_their_java_classes() -> None:
    ts = datetime.datetime(2023, 1, 2, 3, 4, 5)
    assert java_string(ts, Types.SQL_TIMESTAMP()) == "2023-01-02 03:04:05.0"
    assert java_string(ts.replace(microsecond=120000), Types.SQL_TIMESTAMP()) \
        == "2023-01-02 03:04:05.12"
    assert java_string(ts.date(), Types.SQL_DATE()) == "2023-01-02"
    assert java_string(ts.time(), Types.SQL_TIME()) == "03:04:05"
    assert java_string(ts.replace(second=0), Types.LOCAL_DATE_TIME()) == "2023-01-02T03:04"
    assert java_string(ts.replace(microsecond=5000), Types.LOCAL_DATE_TIME()) \
        == "2023-01-02T03:04:05.005"


def test_instant_prints_like_java_instant_to_string() -> None:
    # Real PyFlink 2.3: Instant(1, 0) -> 1970-01-01T00:00:01Z; the fraction in 3-digit groups
    assert java_string(Instant(1, 0), Types.INSTANT()) == "1970-01-01T00:00:01Z"
    assert java_string(Instant(1609459200, 123000000), Types.INSTANT()) \
        == "2021-01-01T00:00:00.123Z"
    assert java_string(Instant(1700000000, 123456789), Types.INSTANT()) \
        == "2023-11-14T22:13:20.123456789Z"
    assert java_string(Instant(-1, 5), Types.INSTANT()) == "1969-12-31T23:59:59.000000005Z"
    utc2 = datetime.timezone(datetime.timedelta(hours=2))
    assert java_string(datetime.datetime(2020, 1, 1, 2, 0, 0, 1000, tzinfo=utc2),
                       Types.INSTANT()) == "2020-01-01T00:00:00.001Z"


def test_values_print_as_pyflink_hands_them_to_java() -> None:
    # Real PyFlink 2.3: an int declared DOUBLE/FLOAT prints as a Java Double/Float
    assert java_string(1, Types.DOUBLE()) == "1.0"
    assert java_string(1, Types.FLOAT()) == "1.0"
    assert java_string(("a", 1), Types.TUPLE([Types.STRING(), Types.DOUBLE()])) == "(a,1.0)"
    # lists of rows and tuples print their elements as Java does
    assert java_string([Row(1, "a"), Row(2, "b")],
                       Types.LIST(Types.ROW([Types.INT(), Types.STRING()]))) \
        == "[+I[1, a], +I[2, b]]"
    assert java_string([(1, "a")], Types.LIST(Types.TUPLE([Types.INT(), Types.STRING()]))) \
        == "[(1,a)]"
    # PyFlink hands Java a Timestamp of whole milliseconds
    assert java_string(datetime.datetime(2023, 1, 2, 3, 4, 5, 123456), Types.SQL_TIMESTAMP()) \
        == "2023-01-02 03:04:05.123"


def test_map_prints_in_java_hash_map_order() -> None:
    assert java_string({"b": 1, "a": 2, "c": 3}, Types.MAP(Types.STRING(), Types.INT())) \
        == "{a=2, b=1, c=3}"
    # Integer keys hash to themselves: buckets of a 4-slot table
    assert java_string({6: "x", 1: "y", 4: "z"}, Types.MAP(Types.INT(), Types.STRING())) \
        == "{4=z, 1=y, 6=x}"


def test_print_formats_rows_and_pickled_records_in_python_as_pyflink_does() -> None:
    rt = Types.ROW_NAMED(["a", "b", "c", "d"],
                         [Types.STRING(), Types.BOOLEAN(), Types.DOUBLE(), Types.STRING()])
    row = Row(a="x", b=True, c=1e10, d=None)
    assert print_string(row, rt) == "+I[x,True,10000000000.0,None]"
    assert java_string(row, rt) == "+I[x, true, 1.0E10, null]"  # SimpleStringEncoder
    assert print_string((1, "a"), Types.PICKLED_BYTE_ARRAY()) == "(1, 'a')"
    assert print_string({"k": 1}, None) == "{'k': 1}"
    assert print_string(2.5e-7, Types.DOUBLE()) == "2.5E-7"


@pytest.mark.slow
def test_print_sink_output_of_a_job(tmp_path: Path) -> None:
    job = tmp_path / "job.py"
    job.write_text(textwrap.dedent("""
        from flink_py.common import Instant, Row, Types
        from flink_py.datastream import StreamExecutionEnvironment

        env = StreamExecutionEnvironment.get_execution_environment()
        print("default parallelism", env.get_parallelism())
        env.set_parallelism(1)
        rt = Types.ROW_NAMED(["name", "score"], [Types.STRING(), Types.DOUBLE()])
        env.from_collection([Row(name="ann", score=5e-324)], type_info=rt).print()
        env.from_collection([(1, "a")], type_info=Types.PICKLED_BYTE_ARRAY()).print("p")
        env.from_collection([4.35e-7], type_info=Types.DOUBLE()).print()
        env.execute("formats")
    """))
    res = subprocess.run([sys.executable, str(job)], cwd=REPO, capture_output=True, text=True,
                         timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    lines = set(res.stdout.splitlines())
    assert {"+I[ann,5e-324]", "p> (1, 'a')", "4.35E-7"} <= lines, res.stdout
    # run directly, like PyFlink's local environment: one subtask per CPU core by default
    assert f"default parallelism {os.cpu_count()}" in lines, res.stdout
