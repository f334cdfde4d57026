"""Smoke runs of bench/checkpoints.py at tiny sizes, so the benchmark cannot rot.

They check that the script runs end to end and reports what it promises; the
numbers themselves are only meaningful at full size (``make bench``).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "bench" / "checkpoints.py"


def _run(*args: str, timeout: float) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPO, capture_output=True,
                          check=False, text=True, timeout=timeout)
    assert proc.returncode == 0, f"bench/checkpoints.py failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.mark.slow
def test_checkpoint_overhead_bench_runs_on_both_backends() -> None:
    out = _run("--lines", "2000", "--repeat", "1", "--skip-recovery", timeout=120)
    summary = out.split("== summary", 1)[1]
    for backend in ("hashmap", "rocksdb"):
        m = re.search(rf"^{backend}\s.*ratio (\d+\.\d+) \(bar 0\.85\), (\d+) periodic", summary,
                      re.MULTILINE)
        assert m is not None, out
        assert float(m.group(1)) > 0
    # Every checkpointed run completed at least its final checkpoint; unchecked ones none.
    runs = re.findall(r"^  run 1 (\w+)\s+(checkpoints 1 s|no checkpoints).*in all (\d+)\)",
                      out, re.MULTILINE)
    assert len(runs) == 4, out
    for _, kind, total in runs:
        assert (int(total) >= 1) if kind == "checkpoints 1 s" else (int(total) == 0), out


@pytest.mark.slow
def test_taskmanager_loss_recovery_bench_reports_its_timings() -> None:
    out = _run("--skip-overhead", "--heartbeat-interval", "0.2", "--heartbeat-timeout", "2",
               "--restart-delay", "100 ms", timeout=180)
    summary = out.split("== summary", 1)[1]
    assert "heartbeat.timeout 2.0 s" in summary, out
    times = {label: float(t) for label, t in
             re.findall(r"^\((\w'?)\)\s.*?(\d+\.\d+) s after SIGKILL", summary, re.MULTILINE)}
    assert set(times) == {"a", "a'", "b", "c"}, out
    assert 0 <= times["a"] <= times["b"] <= times["c"], out
    assert times["b"] < 2 + 5, out  # the target: under heartbeat.timeout + 5 s


@pytest.mark.slow
def test_wordcount_bench_reports_ratios_and_scaling() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "wordcount.py"), "--lines", "2000",
                           "--repeat", "1"], cwd=REPO, capture_output=True, check=False,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert len(re.findall(r"M words/s\s+plain loop\s+[\d.]+ M words/s\s+ratio \d+\.\d+", out)) == 3
    assert re.search(r"medians over 1 rounds: p1 ratio \d\.\d+ \(bar 0\.25\); p2 on 2 TMs "
                     r"\d+\.\d+x p1 \(bar 1\.6\); p2 on 1 TM \d+\.\d+x p1 \(bar 1\.6\)", out), out
    assert re.search(r"without the shuffle .*: p1 [\d.]+ M words/s; p=2, 2 TMs x 1 slot "
                     r"[\d.]+x; p=2, 1 TM x 2 slots [\d.]+x", out), out
