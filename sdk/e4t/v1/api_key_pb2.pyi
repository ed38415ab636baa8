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

class ApiKey(_message.Message):
    __slots__ = ("name", "display_name", "scopes", "secret_prefix", "state", "expire_time", "create_time", "revoke_time", "creator")
    class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SCOPE_UNSPECIFIED: _ClassVar[ApiKey.Scope]
        PLATFORM_ADMIN: _ClassVar[ApiKey.Scope]
        TENANT_ADMIN: _ClassVar[ApiKey.Scope]
        MLOPS: _ClassVar[ApiKey.Scope]
        APP: _ClassVar[ApiKey.Scope]
    SCOPE_UNSPECIFIED: ApiKey.Scope
    PLATFORM_ADMIN: ApiKey.Scope
    TENANT_ADMIN: ApiKey.Scope
    MLOPS: ApiKey.Scope
    APP: ApiKey.Scope
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[ApiKey.State]
        ACTIVE: _ClassVar[ApiKey.State]
        REVOKED: _ClassVar[ApiKey.State]
    STATE_UNSPECIFIED: ApiKey.State
    ACTIVE: ApiKey.State
    REVOKED: ApiKey.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SECRET_PREFIX_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    scopes: _containers.RepeatedScalarFieldContainer[ApiKey.Scope]
    secret_prefix: str
    state: ApiKey.State
    expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    creator: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., scopes: _Optional[_Iterable[_Union[ApiKey.Scope, str]]] = ..., secret_prefix: _Optional[str] = ..., state: _Optional[_Union[ApiKey.State, str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., creator: _Optional[str] = ...) -> None: ...
