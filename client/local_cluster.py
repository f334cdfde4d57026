"""The embedded local cluster: a JobManager and a TaskManager for one job.

Started by the client when no JobManager is configured. The JobManager and
the TaskManager run as components of the client process (on 127.0.0.1,
ephemeral ports); the TaskManager's slots are real worker processes, so a
local job uses as many cores as it has slots.
"""

from __future__ import annotations

import logging
from typing import Any

from flink_py.common.runtime.config import FlinkConfig
from flink_py.jobmanager.server import JobManager
from flink_py.taskmanager.server import TaskManager

__all__ = ["LocalCluster"]

log = logging.getLogger(__name__)


class LocalCluster:
    """One JobManager plus ``taskmanagers`` TaskManagers of ``slots`` slots each."""

    def __init__(self, config: FlinkConfig, slots: int, taskmanagers: int = 1) -> None:
        self.config = config.with_overrides({"jobmanager.rpc.port": 0,
                                             "jobmanager.bind-host": "127.0.0.1",
                                             "taskmanager.bind-host": "127.0.0.1",
                                             "taskmanager.rpc.port": 0})
        self.slots = slots
        self.num_taskmanagers = taskmanagers
        self.jobmanager: JobManager | None = None
        self.taskmanagers: list[TaskManager] = []

    @property
    def address(self) -> str:
        """The JobManager's ``host:port``."""
        assert self.jobmanager is not None
        return self.jobmanager.address

    def start(self) -> LocalCluster:
        """Start the JobManager, then the TaskManagers."""
        try:
            self.jobmanager = JobManager(self.config).start()
            for _ in range(self.num_taskmanagers):
                tm = TaskManager(self.config, self.jobmanager.address, slots=self.slots)
                self.taskmanagers.append(tm)
                tm.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the TaskManagers, then the JobManager."""
        for tm in self.taskmanagers:
            tm.stop()
        self.taskmanagers = []
        if self.jobmanager is not None:
            self.jobmanager.stop()
            self.jobmanager = None

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
