import datetime

from e4t.v1 import resource_pb2 as _resource_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Subject(_message.Message):
    __slots__ = ("name", "state", "create_time", "update_time", "erase_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Subject.State]
        ACTIVE: _ClassVar[Subject.State]
        ERASED: _ClassVar[Subject.State]
    STATE_UNSPECIFIED: Subject.State
    ACTIVE: Subject.State
    ERASED: Subject.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ERASE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: Subject.State
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    erase_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[Subject.State, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., erase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Consent(_message.Message):
    __slots__ = ("name", "purpose", "notice_version", "method", "evidence", "grant_time", "expire_time", "state", "revoke_time", "revoke_reason", "create_time")
    class Method(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        METHOD_UNSPECIFIED: _ClassVar[Consent.Method]
        ELECTRONIC: _ClassVar[Consent.Method]
        SIGNED_DOCUMENT: _ClassVar[Consent.Method]
        VERBAL_RECORDED: _ClassVar[Consent.Method]
        OTHER: _ClassVar[Consent.Method]
    METHOD_UNSPECIFIED: Consent.Method
    ELECTRONIC: Consent.Method
    SIGNED_DOCUMENT: Consent.Method
    VERBAL_RECORDED: Consent.Method
    OTHER: Consent.Method
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Consent.State]
        ACTIVE: _ClassVar[Consent.State]
        EXPIRED: _ClassVar[Consent.State]
        REVOKED: _ClassVar[Consent.State]
    STATE_UNSPECIFIED: Consent.State
    ACTIVE: Consent.State
    EXPIRED: Consent.State
    REVOKED: Consent.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    NOTICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    GRANT_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    purpose: str
    notice_version: str
    method: Consent.Method
    evidence: str
    grant_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    state: Consent.State
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., purpose: _Optional[str] = ..., notice_version: _Optional[str] = ..., method: _Optional[_Union[Consent.Method, str]] = ..., evidence: _Optional[str] = ..., grant_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[Consent.State, str]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ErasureRecord(_message.Message):
    __slots__ = ("subject", "erase_time", "consents_revoked", "concepts_erased", "concept_versions_erased", "blobs_deleted", "audit_event")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ERASE_TIME_FIELD_NUMBER: _ClassVar[int]
    CONSENTS_REVOKED_FIELD_NUMBER: _ClassVar[int]
    CONCEPTS_ERASED_FIELD_NUMBER: _ClassVar[int]
    CONCEPT_VERSIONS_ERASED_FIELD_NUMBER: _ClassVar[int]
    BLOBS_DELETED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_EVENT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    erase_time: _timestamp_pb2.Timestamp
    consents_revoked: int
    concepts_erased: int
    concept_versions_erased: int
    blobs_deleted: int
    audit_event: str
    def __init__(self, subject: _Optional[str] = ..., erase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., consents_revoked: _Optional[int] = ..., concepts_erased: _Optional[int] = ..., concept_versions_erased: _Optional[int] = ..., blobs_deleted: _Optional[int] = ..., audit_event: _Optional[str] = ...) -> None: ...
