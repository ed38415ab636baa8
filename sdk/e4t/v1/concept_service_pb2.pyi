from e4t.v1 import concept_pb2 as _concept_pb2
from e4t.v1 import operation_pb2 as _operation_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateConceptRequest(_message.Message):
    __slots__ = ("parent", "concept", "concept_id", "image", "tuning_steps", "seed", "domain_model_version", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CONCEPT_FIELD_NUMBER: _ClassVar[int]
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TUNING_STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    concept: _concept_pb2.Concept
    concept_id: str
    image: bytes
    tuning_steps: int
    seed: int
    domain_model_version: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., concept: _Optional[_Union[_concept_pb2.Concept, _Mapping]] = ..., concept_id: _Optional[str] = ..., image: _Optional[bytes] = ..., tuning_steps: _Optional[int] = ..., seed: _Optional[int] = ..., domain_model_version: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetConceptRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListConceptsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "domain", "subject", "state")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    domain: str
    subject: str
    state: _concept_pb2.Concept.State
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., domain: _Optional[str] = ..., subject: _Optional[str] = ..., state: _Optional[_Union[_concept_pb2.Concept.State, str]] = ...) -> None: ...

class ListConceptsResponse(_message.Message):
    __slots__ = ("concepts", "next_page_token")
    CONCEPTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    concepts: _containers.RepeatedCompositeFieldContainer[_concept_pb2.Concept]
    next_page_token: str
    def __init__(self, concepts: _Optional[_Iterable[_Union[_concept_pb2.Concept, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteConceptRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetConceptVersionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListConceptVersionsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConceptVersionsResponse(_message.Message):
    __slots__ = ("concept_versions", "next_page_token")
    CONCEPT_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    concept_versions: _containers.RepeatedCompositeFieldContainer[_concept_pb2.ConceptVersion]
    next_page_token: str
    def __init__(self, concept_versions: _Optional[_Iterable[_Union[_concept_pb2.ConceptVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RepersonalizeConceptRequest(_message.Message):
    __slots__ = ("name", "domain_model_version", "tuning_steps", "seed", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    TUNING_STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    domain_model_version: str
    tuning_steps: int
    seed: int
    request_id: str
    def __init__(self, name: _Optional[str] = ..., domain_model_version: _Optional[str] = ..., tuning_steps: _Optional[int] = ..., seed: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...
