from flink_py.proto.flinkpy.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SavepointRequest(_message.Message):
    __slots__ = ("job_id", "target_directory", "drain", "timeout_ms")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    target_directory: str
    drain: bool
    timeout_ms: int
    def __init__(self, job_id: _Optional[str] = ..., target_directory: _Optional[str] = ..., drain: _Optional[bool] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class SavepointResponse(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class DisposeSavepointRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class CheckpointRequest(_message.Message):
    __slots__ = ("job_id", "full", "timeout_ms")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    full: bool
    timeout_ms: int
    def __init__(self, job_id: _Optional[str] = ..., full: _Optional[bool] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class CheckpointResponse(_message.Message):
    __slots__ = ("checkpoint_id", "path")
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    checkpoint_id: int
    path: str
    def __init__(self, checkpoint_id: _Optional[int] = ..., path: _Optional[str] = ...) -> None: ...

class RegisterTaskManagerRequest(_message.Message):
    __slots__ = ("tm_id", "rpc_address", "slots")
    TM_ID_FIELD_NUMBER: _ClassVar[int]
    RPC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    tm_id: str
    rpc_address: str
    slots: _containers.RepeatedCompositeFieldContainer[_common_pb2.SlotInfo]
    def __init__(self, tm_id: _Optional[str] = ..., rpc_address: _Optional[str] = ..., slots: _Optional[_Iterable[_Union[_common_pb2.SlotInfo, _Mapping]]] = ...) -> None: ...

class RegisterTaskManagerResponse(_message.Message):
    __slots__ = ("heartbeat_interval_ms", "heartbeat_timeout_ms")
    HEARTBEAT_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    heartbeat_interval_ms: int
    heartbeat_timeout_ms: int
    def __init__(self, heartbeat_interval_ms: _Optional[int] = ..., heartbeat_timeout_ms: _Optional[int] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("tm_id",)
    TM_ID_FIELD_NUMBER: _ClassVar[int]
    tm_id: str
    def __init__(self, tm_id: _Optional[str] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("known",)
    KNOWN_FIELD_NUMBER: _ClassVar[int]
    known: bool
    def __init__(self, known: _Optional[bool] = ...) -> None: ...

class TaskStateUpdate(_message.Message):
    __slots__ = ("execution", "state", "error", "traceback", "tm_id", "metrics")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    TM_ID_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.ExecutionId
    state: str
    error: str
    traceback: str
    tm_id: str
    metrics: _containers.ScalarMap[str, float]
    def __init__(self, execution: _Optional[_Union[_common_pb2.ExecutionId, _Mapping]] = ..., state: _Optional[str] = ..., error: _Optional[str] = ..., traceback: _Optional[str] = ..., tm_id: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ...) -> None: ...

class CheckpointAck(_message.Message):
    __slots__ = ("execution", "checkpoint_id", "state_json")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_JSON_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.ExecutionId
    checkpoint_id: int
    state_json: str
    def __init__(self, execution: _Optional[_Union[_common_pb2.ExecutionId, _Mapping]] = ..., checkpoint_id: _Optional[int] = ..., state_json: _Optional[str] = ...) -> None: ...

class CheckpointDecline(_message.Message):
    __slots__ = ("execution", "checkpoint_id", "reason")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.ExecutionId
    checkpoint_id: int
    reason: str
    def __init__(self, execution: _Optional[_Union[_common_pb2.ExecutionId, _Mapping]] = ..., checkpoint_id: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class CollectBatch(_message.Message):
    __slots__ = ("job_id", "collect_id", "payload", "end", "subtask_index", "attempt", "checkpoint_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_INDEX_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    collect_id: str
    payload: bytes
    end: bool
    subtask_index: int
    attempt: int
    checkpoint_id: int
    def __init__(self, job_id: _Optional[str] = ..., collect_id: _Optional[str] = ..., payload: _Optional[bytes] = ..., end: _Optional[bool] = ..., subtask_index: _Optional[int] = ..., attempt: _Optional[int] = ..., checkpoint_id: _Optional[int] = ...) -> None: ...

class PushCollectResponse(_message.Message):
    __slots__ = ("accepted",)
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    def __init__(self, accepted: _Optional[bool] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("job_graph", "python_version", "cloudpickle_version", "job_name")
    JOB_GRAPH_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSION_FIELD_NUMBER: _ClassVar[int]
    CLOUDPICKLE_VERSION_FIELD_NUMBER: _ClassVar[int]
    JOB_NAME_FIELD_NUMBER: _ClassVar[int]
    job_graph: bytes
    python_version: str
    cloudpickle_version: str
    job_name: str
    def __init__(self, job_graph: _Optional[bytes] = ..., python_version: _Optional[str] = ..., cloudpickle_version: _Optional[str] = ..., job_name: _Optional[str] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class JobInfo(_message.Message):
    __slots__ = ("job_id", "name", "state", "start_time_ms", "end_time_ms")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    name: str
    state: str
    start_time_ms: int
    end_time_ms: int
    def __init__(self, job_id: _Optional[str] = ..., name: _Optional[str] = ..., state: _Optional[str] = ..., start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[JobInfo]
    def __init__(self, jobs: _Optional[_Iterable[_Union[JobInfo, _Mapping]]] = ...) -> None: ...

class TaskInfo(_message.Message):
    __slots__ = ("vertex_id", "vertex_name", "subtask_index", "attempt", "state", "tm_id", "metrics")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    VERTEX_ID_FIELD_NUMBER: _ClassVar[int]
    VERTEX_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_INDEX_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TM_ID_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    vertex_id: str
    vertex_name: str
    subtask_index: int
    attempt: int
    state: str
    tm_id: str
    metrics: _containers.ScalarMap[str, float]
    def __init__(self, vertex_id: _Optional[str] = ..., vertex_name: _Optional[str] = ..., subtask_index: _Optional[int] = ..., attempt: _Optional[int] = ..., state: _Optional[str] = ..., tm_id: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ...) -> None: ...

class JobDetails(_message.Message):
    __slots__ = ("info", "failure_cause", "failure_traceback", "tasks", "num_restarts", "completed_checkpoints", "failed_checkpoints", "latest_checkpoint_id", "latest_checkpoint_path")
    INFO_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CAUSE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NUM_RESTARTS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    LATEST_CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    LATEST_CHECKPOINT_PATH_FIELD_NUMBER: _ClassVar[int]
    info: JobInfo
    failure_cause: str
    failure_traceback: str
    tasks: _containers.RepeatedCompositeFieldContainer[TaskInfo]
    num_restarts: int
    completed_checkpoints: int
    failed_checkpoints: int
    latest_checkpoint_id: int
    latest_checkpoint_path: str
    def __init__(self, info: _Optional[_Union[JobInfo, _Mapping]] = ..., failure_cause: _Optional[str] = ..., failure_traceback: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[TaskInfo, _Mapping]]] = ..., num_restarts: _Optional[int] = ..., completed_checkpoints: _Optional[int] = ..., failed_checkpoints: _Optional[int] = ..., latest_checkpoint_id: _Optional[int] = ..., latest_checkpoint_path: _Optional[str] = ...) -> None: ...

class FetchCollectRequest(_message.Message):
    __slots__ = ("job_id", "collect_id", "max_batches", "wait_ms")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECT_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCHES_FIELD_NUMBER: _ClassVar[int]
    WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    collect_id: str
    max_batches: int
    wait_ms: int
    def __init__(self, job_id: _Optional[str] = ..., collect_id: _Optional[str] = ..., max_batches: _Optional[int] = ..., wait_ms: _Optional[int] = ...) -> None: ...

class FetchCollectResponse(_message.Message):
    __slots__ = ("payloads", "finished", "job_state")
    PAYLOADS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    JOB_STATE_FIELD_NUMBER: _ClassVar[int]
    payloads: _containers.RepeatedScalarFieldContainer[bytes]
    finished: bool
    job_state: str
    def __init__(self, payloads: _Optional[_Iterable[bytes]] = ..., finished: _Optional[bool] = ..., job_state: _Optional[str] = ...) -> None: ...

class TaskManagerInfo(_message.Message):
    __slots__ = ("tm_id", "rpc_address", "slots_total", "slots_free", "last_heartbeat_ms")
    TM_ID_FIELD_NUMBER: _ClassVar[int]
    RPC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SLOTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FREE_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_MS_FIELD_NUMBER: _ClassVar[int]
    tm_id: str
    rpc_address: str
    slots_total: int
    slots_free: int
    last_heartbeat_ms: int
    def __init__(self, tm_id: _Optional[str] = ..., rpc_address: _Optional[str] = ..., slots_total: _Optional[int] = ..., slots_free: _Optional[int] = ..., last_heartbeat_ms: _Optional[int] = ...) -> None: ...

class ClusterOverview(_message.Message):
    __slots__ = ("taskmanagers", "slots_total", "slots_available", "jobs_running")
    TASKMANAGERS_FIELD_NUMBER: _ClassVar[int]
    SLOTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SLOTS_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    JOBS_RUNNING_FIELD_NUMBER: _ClassVar[int]
    taskmanagers: _containers.RepeatedCompositeFieldContainer[TaskManagerInfo]
    slots_total: int
    slots_available: int
    jobs_running: int
    def __init__(self, taskmanagers: _Optional[_Iterable[_Union[TaskManagerInfo, _Mapping]]] = ..., slots_total: _Optional[int] = ..., slots_available: _Optional[int] = ..., jobs_running: _Optional[int] = ...) -> None: ...

class WaitJobRequest(_message.Message):
    __slots__ = ("job_id", "timeout_ms")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    timeout_ms: int
    def __init__(self, job_id: _Optional[str] = ..., timeout_ms: _Optional[int] = ...) -> None: ...
