import datetime

from google.protobuf import any_pb2 as _any_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    INVALID_FIELD: _ClassVar[ErrorReason]
    INVALID_RESOURCE_NAME: _ClassVar[ErrorReason]
    INVALID_PAGE_TOKEN: _ClassVar[ErrorReason]
    IMAGE_TOO_LARGE: _ClassVar[ErrorReason]
    IMAGE_UNREADABLE: _ClassVar[ErrorReason]
    PROMPT_MISSING_PLACEHOLDER: _ClassVar[ErrorReason]
    CHECKSUM_MISMATCH: _ClassVar[ErrorReason]
    API_KEY_MISSING: _ClassVar[ErrorReason]
    API_KEY_INVALID: _ClassVar[ErrorReason]
    SCOPE_INSUFFICIENT: _ClassVar[ErrorReason]
    RESOURCE_NOT_FOUND: _ClassVar[ErrorReason]
    RESOURCE_ALREADY_EXISTS: _ClassVar[ErrorReason]
    REQUEST_ID_REUSED: _ClassVar[ErrorReason]
    CONSENT_NOT_ACTIVE: _ClassVar[ErrorReason]
    SUBJECT_ERASED: _ClassVar[ErrorReason]
    CONCEPT_NOT_READY: _ClassVar[ErrorReason]
    NO_PRODUCTION_VERSION: _ClassVar[ErrorReason]
    NO_CANARY: _ClassVar[ErrorReason]
    NO_PREVIOUS_VERSION: _ClassVar[ErrorReason]
    TENANT_NOT_EMPTY: _ClassVar[ErrorReason]
    ETAG_MISMATCH: _ClassVar[ErrorReason]
    RATE_LIMITED: _ClassVar[ErrorReason]
    QUOTA_EXCEEDED: _ClassVar[ErrorReason]
    BACKEND_UNAVAILABLE: _ClassVar[ErrorReason]
    OPERATION_CANCELLED: _ClassVar[ErrorReason]
    TUNING_FAILED: _ClassVar[ErrorReason]
    ARTIFACT_CORRUPT: _ClassVar[ErrorReason]
    INTERNAL_ERROR: _ClassVar[ErrorReason]
    TENANT_DELETED: _ClassVar[ErrorReason]
    SOURCE_IMAGE_MISSING: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
INVALID_FIELD: ErrorReason
INVALID_RESOURCE_NAME: ErrorReason
INVALID_PAGE_TOKEN: ErrorReason
IMAGE_TOO_LARGE: ErrorReason
IMAGE_UNREADABLE: ErrorReason
PROMPT_MISSING_PLACEHOLDER: ErrorReason
CHECKSUM_MISMATCH: ErrorReason
API_KEY_MISSING: ErrorReason
API_KEY_INVALID: ErrorReason
SCOPE_INSUFFICIENT: ErrorReason
RESOURCE_NOT_FOUND: ErrorReason
RESOURCE_ALREADY_EXISTS: ErrorReason
REQUEST_ID_REUSED: ErrorReason
CONSENT_NOT_ACTIVE: ErrorReason
SUBJECT_ERASED: ErrorReason
CONCEPT_NOT_READY: ErrorReason
NO_PRODUCTION_VERSION: ErrorReason
NO_CANARY: ErrorReason
NO_PREVIOUS_VERSION: ErrorReason
TENANT_NOT_EMPTY: ErrorReason
ETAG_MISMATCH: ErrorReason
RATE_LIMITED: ErrorReason
QUOTA_EXCEEDED: ErrorReason
BACKEND_UNAVAILABLE: ErrorReason
OPERATION_CANCELLED: ErrorReason
TUNING_FAILED: ErrorReason
ARTIFACT_CORRUPT: ErrorReason
INTERNAL_ERROR: ErrorReason
TENANT_DELETED: ErrorReason
SOURCE_IMAGE_MISSING: ErrorReason

class Status(_message.Message):
    __slots__ = ("code", "message", "details")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    details: _containers.RepeatedCompositeFieldContainer[_any_pb2.Any]
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., details: _Optional[_Iterable[_Union[_any_pb2.Any, _Mapping]]] = ...) -> None: ...

class ErrorInfo(_message.Message):
    __slots__ = ("reason", "domain", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REASON_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    reason: str
    domain: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, reason: _Optional[str] = ..., domain: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class BadRequest(_message.Message):
    __slots__ = ("field_violations",)
    class FieldViolation(_message.Message):
        __slots__ = ("field", "description", "reason")
        FIELD_FIELD_NUMBER: _ClassVar[int]
        DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
        REASON_FIELD_NUMBER: _ClassVar[int]
        field: str
        description: str
        reason: str
        def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    field_violations: _containers.RepeatedCompositeFieldContainer[BadRequest.FieldViolation]
    def __init__(self, field_violations: _Optional[_Iterable[_Union[BadRequest.FieldViolation, _Mapping]]] = ...) -> None: ...

class RetryInfo(_message.Message):
    __slots__ = ("retry_delay",)
    RETRY_DELAY_FIELD_NUMBER: _ClassVar[int]
    retry_delay: _duration_pb2.Duration
    def __init__(self, retry_delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
