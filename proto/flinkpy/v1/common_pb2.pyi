from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class JobId(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ExecutionId(_message.Message):
    __slots__ = ("job_id", "vertex_id", "subtask_index", "attempt")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    VERTEX_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_INDEX_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    vertex_id: str
    subtask_index: int
    attempt: int
    def __init__(self, job_id: _Optional[str] = ..., vertex_id: _Optional[str] = ..., subtask_index: _Optional[int] = ..., attempt: _Optional[int] = ...) -> None: ...

class SlotInfo(_message.Message):
    __slots__ = ("slot_index", "data_address")
    SLOT_INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    slot_index: int
    data_address: str
    def __init__(self, slot_index: _Optional[int] = ..., data_address: _Optional[str] = ...) -> None: ...
