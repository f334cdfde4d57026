"""How ``execute()`` reaches a cluster: the client-side execution context.

``flink-py run`` installs a :class:`ClientContext` (target JobManager,
``-p``, ``-d``, ``-D`` flags) before it runs the job file; a job started with
plain ``python job.py`` gets the default context: configuration from
``$FLINK_PY_CONF_DIR`` and, unless ``jobmanager.rpc.address`` is set
there, the embedded local cluster.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flink_py.common.runtime.config import FlinkConfig, load_config

__all__ = ["ClientContext", "current_context", "set_context"]


@dataclasses.dataclass
class ClientContext:
    """Settings of the client that runs a job program."""

    config: FlinkConfig
    jobmanager: str | None = None  # host:port; None = embedded local cluster
    parallelism: int | None = None  # flink-py run -p
    detached: bool = False
    from_cli: bool = False
    submitted: list[str] = dataclasses.field(default_factory=list)
    on_submit: Any = None  # callback(job_id) used by the CLI to print the JobID
    #: A program run directly (``python job.py``), as PyFlink's local environment: with
    #: no ``parallelism.default`` configured, local jobs use one subtask per CPU core.
    local_parallelism_is_cores: bool = False

    @staticmethod
    def default() -> ClientContext:
        """Configuration from the environment; remote only if configured."""
        config = load_config()
        address = None
        if config.is_set("jobmanager.rpc.address"):
            address = f"{config.get('jobmanager.rpc.address')}:{config.get('jobmanager.rpc.port')}"
        return ClientContext(config=config, jobmanager=address,
                             local_parallelism_is_cores=True)


_current: ClientContext | None = None


def current_context() -> ClientContext:
    """The active context (created from the environment on first use)."""
    global _current  # noqa: PLW0603
    if _current is None:
        _current = ClientContext.default()
    return _current


def set_context(ctx: ClientContext | None) -> None:
    """Install (or clear) the context for the programs run next."""
    global _current  # noqa: PLW0603
    _current = ctx
