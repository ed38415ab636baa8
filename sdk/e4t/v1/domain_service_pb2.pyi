from e4t.v1 import domain_pb2 as _domain_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateDomainRequest(_message.Message):
    __slots__ = ("parent", "domain", "domain_id", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    domain: _domain_pb2.Domain
    domain_id: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., domain: _Optional[_Union[_domain_pb2.Domain, _Mapping]] = ..., domain_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetDomainRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDomainsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDomainsResponse(_message.Message):
    __slots__ = ("domains", "next_page_token")
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    domains: _containers.RepeatedCompositeFieldContainer[_domain_pb2.Domain]
    next_page_token: str
    def __init__(self, domains: _Optional[_Iterable[_Union[_domain_pb2.Domain, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RegisterDomainModelVersionRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: DomainModelVersionUpload
    chunk: bytes
    def __init__(self, header: _Optional[_Union[DomainModelVersionUpload, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class DomainModelVersionUpload(_message.Message):
    __slots__ = ("parent", "domain_model_version", "archive_format", "archive_sha256", "archive_size_bytes", "request_id")
    class ArchiveFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ARCHIVE_FORMAT_UNSPECIFIED: _ClassVar[DomainModelVersionUpload.ArchiveFormat]
        TAR: _ClassVar[DomainModelVersionUpload.ArchiveFormat]
        TAR_GZIP: _ClassVar[DomainModelVersionUpload.ArchiveFormat]
        ZIP: _ClassVar[DomainModelVersionUpload.ArchiveFormat]
    ARCHIVE_FORMAT_UNSPECIFIED: DomainModelVersionUpload.ArchiveFormat
    TAR: DomainModelVersionUpload.ArchiveFormat
    TAR_GZIP: DomainModelVersionUpload.ArchiveFormat
    ZIP: DomainModelVersionUpload.ArchiveFormat
    PARENT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_SHA256_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    domain_model_version: _domain_pb2.DomainModelVersion
    archive_format: DomainModelVersionUpload.ArchiveFormat
    archive_sha256: str
    archive_size_bytes: int
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., domain_model_version: _Optional[_Union[_domain_pb2.DomainModelVersion, _Mapping]] = ..., archive_format: _Optional[_Union[DomainModelVersionUpload.ArchiveFormat, str]] = ..., archive_sha256: _Optional[str] = ..., archive_size_bytes: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetDomainModelVersionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDomainModelVersionsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDomainModelVersionsResponse(_message.Message):
    __slots__ = ("domain_model_versions", "next_page_token")
    DOMAIN_MODEL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    domain_model_versions: _containers.RepeatedCompositeFieldContainer[_domain_pb2.DomainModelVersion]
    next_page_token: str
    def __init__(self, domain_model_versions: _Optional[_Iterable[_Union[_domain_pb2.DomainModelVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetDomainAliasRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDomainAliasesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDomainAliasesResponse(_message.Message):
    __slots__ = ("domain_aliases", "next_page_token")
    DOMAIN_ALIASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    domain_aliases: _containers.RepeatedCompositeFieldContainer[_domain_pb2.DomainAlias]
    next_page_token: str
    def __init__(self, domain_aliases: _Optional[_Iterable[_Union[_domain_pb2.DomainAlias, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetRolloutStatusRequest(_message.Message):
    __slots__ = ("domain",)
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    domain: str
    def __init__(self, domain: _Optional[str] = ...) -> None: ...

class RolloutStatus(_message.Message):
    __slots__ = ("domain", "production", "canary", "etag")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    PRODUCTION_FIELD_NUMBER: _ClassVar[int]
    CANARY_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    domain: str
    production: _domain_pb2.DomainAlias
    canary: _domain_pb2.DomainAlias
    etag: str
    def __init__(self, domain: _Optional[str] = ..., production: _Optional[_Union[_domain_pb2.DomainAlias, _Mapping]] = ..., canary: _Optional[_Union[_domain_pb2.DomainAlias, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class RolloutDomainModelVersionRequest(_message.Message):
    __slots__ = ("domain", "version", "traffic_percent", "etag", "request_id")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_PERCENT_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    domain: str
    version: str
    traffic_percent: int
    etag: str
    request_id: str
    def __init__(self, domain: _Optional[str] = ..., version: _Optional[str] = ..., traffic_percent: _Optional[int] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PromoteDomainModelVersionRequest(_message.Message):
    __slots__ = ("domain", "version", "etag", "request_id")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    domain: str
    version: str
    etag: str
    request_id: str
    def __init__(self, domain: _Optional[str] = ..., version: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RollbackDomainModelVersionRequest(_message.Message):
    __slots__ = ("domain", "etag", "request_id")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    domain: str
    etag: str
    request_id: str
    def __init__(self, domain: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...
