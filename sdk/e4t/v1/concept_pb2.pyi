import datetime

from e4t.v1 import resource_pb2 as _resource_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Concept(_message.Message):
    __slots__ = ("name", "display_name", "domain", "consent", "subject", "state", "latest_version", "create_time", "update_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Concept.State]
        CREATING: _ClassVar[Concept.State]
        ACTIVE: _ClassVar[Concept.State]
        FAILED: _ClassVar[Concept.State]
        DISABLED: _ClassVar[Concept.State]
    STATE_UNSPECIFIED: Concept.State
    CREATING: Concept.State
    ACTIVE: Concept.State
    FAILED: Concept.State
    DISABLED: Concept.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    domain: str
    consent: str
    subject: str
    state: Concept.State
    latest_version: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., domain: _Optional[str] = ..., consent: _Optional[str] = ..., subject: _Optional[str] = ..., state: _Optional[_Union[Concept.State, str]] = ..., latest_version: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ConceptVersion(_message.Message):
    __slots__ = ("name", "domain_model_version", "state", "tuning_steps", "seed", "class_word", "embedding_timestep", "loss_curve", "artifact_sha256", "artifact_size_bytes", "create_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[ConceptVersion.State]
        CREATING: _ClassVar[ConceptVersion.State]
        READY: _ClassVar[ConceptVersion.State]
        FAILED: _ClassVar[ConceptVersion.State]
        ERASED: _ClassVar[ConceptVersion.State]
    STATE_UNSPECIFIED: ConceptVersion.State
    CREATING: ConceptVersion.State
    READY: ConceptVersion.State
    FAILED: ConceptVersion.State
    ERASED: ConceptVersion.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TUNING_STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    CLASS_WORD_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_TIMESTEP_FIELD_NUMBER: _ClassVar[int]
    LOSS_CURVE_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_SHA256_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    domain_model_version: str
    state: ConceptVersion.State
    tuning_steps: int
    seed: int
    class_word: str
    embedding_timestep: int
    loss_curve: _containers.RepeatedScalarFieldContainer[float]
    artifact_sha256: str
    artifact_size_bytes: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., domain_model_version: _Optional[str] = ..., state: _Optional[_Union[ConceptVersion.State, str]] = ..., tuning_steps: _Optional[int] = ..., seed: _Optional[int] = ..., class_word: _Optional[str] = ..., embedding_timestep: _Optional[int] = ..., loss_curve: _Optional[_Iterable[float]] = ..., artifact_sha256: _Optional[str] = ..., artifact_size_bytes: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
