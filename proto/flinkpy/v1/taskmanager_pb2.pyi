from flink_py.proto.flinkpy.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CheckpointMessage(_message.Message):
    __slots__ = ("execution", "checkpoint_id", "timestamp_ms", "stop", "drain")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.ExecutionId
    checkpoint_id: int
    timestamp_ms: int
    stop: bool
    drain: bool
    def __init__(self, execution: _Optional[_Union[_common_pb2.ExecutionId, _Mapping]] = ..., checkpoint_id: _Optional[int] = ..., timestamp_ms: _Optional[int] = ..., stop: _Optional[bool] = ..., drain: _Optional[bool] = ...) -> None: ...

class DeployTaskRequest(_message.Message):
    __slots__ = ("execution", "slot_index", "descriptor")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    SLOT_INDEX_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTOR_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.ExecutionId
    slot_index: int
    descriptor: bytes
    def __init__(self, execution: _Optional[_Union[_common_pb2.ExecutionId, _Mapping]] = ..., slot_index: _Optional[int] = ..., descriptor: _Optional[bytes] = ...) -> None: ...
