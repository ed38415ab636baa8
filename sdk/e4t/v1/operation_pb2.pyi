import datetime

from e4t.v1 import common_pb2 as _common_pb2
from e4t.v1 import concept_pb2 as _concept_pb2
from e4t.v1 import resource_pb2 as _resource_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Operation(_message.Message):
    __slots__ = ("name", "kind", "target", "state", "done", "progress", "cancel_requested", "request_id", "creator", "create_time", "update_time", "end_time", "error", "concept", "concept_version")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Operation.Kind]
        CREATE_CONCEPT: _ClassVar[Operation.Kind]
        REPERSONALIZE_CONCEPT: _ClassVar[Operation.Kind]
    KIND_UNSPECIFIED: Operation.Kind
    CREATE_CONCEPT: Operation.Kind
    REPERSONALIZE_CONCEPT: Operation.Kind
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Operation.State]
        PENDING: _ClassVar[Operation.State]
        RUNNING: _ClassVar[Operation.State]
        SUCCEEDED: _ClassVar[Operation.State]
        FAILED: _ClassVar[Operation.State]
        CANCELLED: _ClassVar[Operation.State]
    STATE_UNSPECIFIED: Operation.State
    PENDING: Operation.State
    RUNNING: Operation.State
    SUCCEEDED: Operation.State
    FAILED: Operation.State
    CANCELLED: Operation.State
    class Progress(_message.Message):
        __slots__ = ("steps_done", "steps_total", "message")
        STEPS_DONE_FIELD_NUMBER: _ClassVar[int]
        STEPS_TOTAL_FIELD_NUMBER: _ClassVar[int]
        MESSAGE_FIELD_NUMBER: _ClassVar[int]
        steps_done: int
        steps_total: int
        message: str
        def __init__(self, steps_done: _Optional[int] = ..., steps_total: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CONCEPT_FIELD_NUMBER: _ClassVar[int]
    CONCEPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: Operation.Kind
    target: str
    state: Operation.State
    done: bool
    progress: Operation.Progress
    cancel_requested: bool
    request_id: str
    creator: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    error: _common_pb2.Status
    concept: _concept_pb2.Concept
    concept_version: _concept_pb2.ConceptVersion
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[Operation.Kind, str]] = ..., target: _Optional[str] = ..., state: _Optional[_Union[Operation.State, str]] = ..., done: _Optional[bool] = ..., progress: _Optional[_Union[Operation.Progress, _Mapping]] = ..., cancel_requested: _Optional[bool] = ..., request_id: _Optional[str] = ..., creator: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.Status, _Mapping]] = ..., concept: _Optional[_Union[_concept_pb2.Concept, _Mapping]] = ..., concept_version: _Optional[_Union[_concept_pb2.ConceptVersion, _Mapping]] = ...) -> None: ...
