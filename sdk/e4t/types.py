"""The typed objects the SDK returns, and the one place they are built from protobufs.

Every object is a frozen dataclass with plain Python values: enums are `StrEnum`s, timestamps
are timezone-aware `datetime`s (None when unset), resource references are full names
(`tenants/acme/concepts/ann`); `.id` gives a resource's last name segment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from e4t.errors import APIError, code_from_number, error_from_status

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

UNSPECIFIED = "UNSPECIFIED"

E = TypeVar("E", bound=StrEnum)


def _enum(enum_class: type[E], proto_enum: Any, number: int) -> E:
    """Maps a proto enum number to `enum_class`; unknown or `*_UNSPECIFIED` → UNSPECIFIED."""
    try:
        name = proto_enum.Name(number)
    except ValueError:
        return enum_class(UNSPECIFIED)
    return enum_class(UNSPECIFIED if name.endswith("_UNSPECIFIED") else name)


def _time(message: Any, field_name: str) -> datetime | None:
    if not message.HasField(field_name):
        return None
    stamp: datetime = getattr(message, field_name).ToDatetime(tzinfo=UTC)
    return stamp


def _struct(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message)


class _Named:
    """Gives resources an `id`: the last segment of `name`."""

    name: str

    @property
    def id(self) -> str:
        """The resource ID, the last segment of `name`."""
        return self.name.rsplit("/", 1)[-1]


class TenantState(StrEnum):
    UNSPECIFIED = UNSPECIFIED
    ACTIVE = "ACTIVE"
    DELETED = "DELETED"


class Scope(StrEnum):
    """What an API key may do (docs/api.md "Services and methods")."""

    UNSPECIFIED = UNSPECIFIED
    PLATFORM_ADMIN = "PLATFORM_ADMIN"
    TENANT_ADMIN = "TENANT_ADMIN"
    MLOPS = "MLOPS"
    APP = "APP"


class ApiKeyState(StrEnum):
    UNSPECIFIED = UNSPECIFIED
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


class SubjectState(StrEnum):
    UNSPECIFIED = UNSPECIFIED
    ACTIVE = "ACTIVE"
    ERASED = "ERASED"


class ConsentMethod(StrEnum):
    """How a subject gave consent."""

    UNSPECIFIED = UNSPECIFIED
    ELECTRONIC = "ELECTRONIC"
    SIGNED_DOCUMENT = "SIGNED_DOCUMENT"
    VERBAL_RECORDED = "VERBAL_RECORDED"
    OTHER = "OTHER"


class ConsentState(StrEnum):
    UNSPECIFIED = UNSPECIFIED
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


class ConceptState(StrEnum):
    UNSPECIFIED = UNSPECIFIED
    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"
    DISABLED = "DISABLED"


class ConceptVersionState(StrEnum):
    UNSPECIFIED = UNSPECIFIED
    CREATING = "CREATING"
    READY = "READY"
    FAILED = "FAILED"
    ERASED = "ERASED"


class OperationKind(StrEnum):
    UNSPECIFIED = UNSPECIFIED
    CREATE_CONCEPT = "CREATE_CONCEPT"
    REPERSONALIZE_CONCEPT = "REPERSONALIZE_CONCEPT"


class OperationState(StrEnum):
    UNSPECIFIED = UNSPECIFIED
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ArchiveFormat(StrEnum):
    """Archive formats for domain model uploads."""

    UNSPECIFIED = UNSPECIFIED
    TAR = "TAR"
    TAR_GZIP = "TAR_GZIP"
    ZIP = "ZIP"


class BreakReason(StrEnum):
    """How an audit chain can break."""

    UNSPECIFIED = UNSPECIFIED
    HASH_MISMATCH = "HASH_MISMATCH"
    PREVIOUS_HASH_MISMATCH = "PREVIOUS_HASH_MISMATCH"
    SEQUENCE_GAP = "SEQUENCE_GAP"


@dataclass(frozen=True)
class Tenant(_Named):
    """A tenant: one business using e4t."""

    name: str
    display_name: str
    state: TenantState
    create_time: datetime | None
    update_time: datetime | None
    delete_time: datetime | None

    @classmethod
    def from_proto(cls, m: Any) -> Tenant:
        return cls(
            name=m.name,
            display_name=m.display_name,
            state=_enum(TenantState, type(m).State, m.state),
            create_time=_time(m, "create_time"),
            update_time=_time(m, "update_time"),
            delete_time=_time(m, "delete_time"),
        )


@dataclass(frozen=True)
class ApiKey(_Named):
    """An API key (never its secret)."""

    name: str
    display_name: str
    scopes: tuple[Scope, ...]
    secret_prefix: str
    state: ApiKeyState
    expire_time: datetime | None
    create_time: datetime | None
    revoke_time: datetime | None
    creator: str

    @classmethod
    def from_proto(cls, m: Any) -> ApiKey:
        return cls(
            name=m.name,
            display_name=m.display_name,
            scopes=tuple(_enum(Scope, type(m).Scope, s) for s in m.scopes),
            secret_prefix=m.secret_prefix,
            state=_enum(ApiKeyState, type(m).State, m.state),
            expire_time=_time(m, "expire_time"),
            create_time=_time(m, "create_time"),
            revoke_time=_time(m, "revoke_time"),
            creator=m.creator,
        )


@dataclass(frozen=True)
class CreatedApiKey:
    """A new API key and its secret. The secret is shown only this once: store it now."""

    api_key: ApiKey
    secret: str = field(repr=False)

    @classmethod
    def from_proto(cls, m: Any) -> CreatedApiKey:
        return cls(api_key=ApiKey.from_proto(m.api_key), secret=m.secret)


@dataclass(frozen=True)
class Domain(_Named):
    """A domain (faces, pets, ...) with its own domain-tuned model."""

    name: str
    display_name: str
    class_word: str
    description: str
    create_time: datetime | None
    update_time: datetime | None

    @classmethod
    def from_proto(cls, m: Any) -> Domain:
        return cls(
            name=m.name,
            display_name=m.display_name,
            class_word=m.class_word,
            description=m.description,
            create_time=_time(m, "create_time"),
            update_time=_time(m, "update_time"),
        )


@dataclass(frozen=True)
class DomainModelVersion(_Named):
    """One registered, immutable version of a domain's domain-tuned model."""

    name: str
    description: str
    base_model: str
    config: dict[str, Any]
    metrics: dict[str, float]
    artifact_sha256: str
    artifact_size_bytes: int
    creator: str
    create_time: datetime | None

    @classmethod
    def from_proto(cls, m: Any) -> DomainModelVersion:
        return cls(
            name=m.name,
            description=m.description,
            base_model=m.base_model,
            config=_struct(m.config),
            metrics=dict(m.metrics),
            artifact_sha256=m.artifact_sha256,
            artifact_size_bytes=m.artifact_size_bytes,
            creator=m.creator,
            create_time=_time(m, "create_time"),
        )


@dataclass(frozen=True)
class DomainAlias(_Named):
    """`production` or `canary`: which version serves which share of traffic."""

    name: str
    version: str
    traffic_percent: int
    previous_version: str
    update_time: datetime | None

    @classmethod
    def from_proto(cls, m: Any) -> DomainAlias:
        return cls(
            name=m.name,
            version=m.version,
            traffic_percent=m.traffic_percent,
            previous_version=m.previous_version,
            update_time=_time(m, "update_time"),
        )


@dataclass(frozen=True)
class RolloutStatus:
    """Which versions of a domain serve. Pass `etag` back for optimistic concurrency."""

    domain: str
    production: DomainAlias | None
    canary: DomainAlias | None
    etag: str

    @classmethod
    def from_proto(cls, m: Any) -> RolloutStatus:
        return cls(
            domain=m.domain,
            production=DomainAlias.from_proto(m.production) if m.HasField("production") else None,
            canary=DomainAlias.from_proto(m.canary) if m.HasField("canary") else None,
            etag=m.etag,
        )


@dataclass(frozen=True)
class Subject(_Named):
    """A tenant's end user, known only by the tenant's opaque ID."""

    name: str
    state: SubjectState
    create_time: datetime | None
    update_time: datetime | None
    erase_time: datetime | None

    @classmethod
    def from_proto(cls, m: Any) -> Subject:
        return cls(
            name=m.name,
            state=_enum(SubjectState, type(m).State, m.state),
            create_time=_time(m, "create_time"),
            update_time=_time(m, "update_time"),
            erase_time=_time(m, "erase_time"),
        )


@dataclass(frozen=True)
class Consent(_Named):
    """A subject's consent to personalization for one purpose."""

    name: str
    purpose: str
    notice_version: str
    method: ConsentMethod
    evidence: str
    grant_time: datetime | None
    expire_time: datetime | None
    state: ConsentState
    revoke_time: datetime | None
    revoke_reason: str
    create_time: datetime | None

    @property
    def subject(self) -> str:
        """The subject's name, `tenants/{tenant}/subjects/{subject}`."""
        return self.name.split("/consents/", 1)[0]

    @classmethod
    def from_proto(cls, m: Any) -> Consent:
        return cls(
            name=m.name,
            purpose=m.purpose,
            notice_version=m.notice_version,
            method=_enum(ConsentMethod, type(m).Method, m.method),
            evidence=m.evidence,
            grant_time=_time(m, "grant_time"),
            expire_time=_time(m, "expire_time"),
            state=_enum(ConsentState, type(m).State, m.state),
            revoke_time=_time(m, "revoke_time"),
            revoke_reason=m.revoke_reason,
            create_time=_time(m, "create_time"),
        )


@dataclass(frozen=True)
class ErasureRecord:
    """What erasing a subject removed."""

    subject: str
    erase_time: datetime | None
    consents_revoked: int
    concepts_erased: int
    concept_versions_erased: int
    blobs_deleted: int
    audit_event: str

    @classmethod
    def from_proto(cls, m: Any) -> ErasureRecord:
        return cls(
            subject=m.subject,
            erase_time=_time(m, "erase_time"),
            consents_revoked=m.consents_revoked,
            concepts_erased=m.concepts_erased,
            concept_versions_erased=m.concept_versions_erased,
            blobs_deleted=m.blobs_deleted,
            audit_event=m.audit_event,
        )


@dataclass(frozen=True)
class Concept(_Named):
    """A personalized identity: what `{concept}` in a prompt stands for."""

    name: str
    display_name: str
    domain: str
    consent: str
    subject: str
    state: ConceptState
    latest_version: str
    create_time: datetime | None
    update_time: datetime | None

    @classmethod
    def from_proto(cls, m: Any) -> Concept:
        return cls(
            name=m.name,
            display_name=m.display_name,
            domain=m.domain,
            consent=m.consent,
            subject=m.subject,
            state=_enum(ConceptState, type(m).State, m.state),
            latest_version=m.latest_version,
            create_time=_time(m, "create_time"),
            update_time=_time(m, "update_time"),
        )


@dataclass(frozen=True)
class ConceptVersion(_Named):
    """One personalization of a concept against one domain model version."""

    name: str
    domain_model_version: str
    state: ConceptVersionState
    tuning_steps: int
    seed: int
    class_word: str
    embedding_timestep: int
    loss_curve: tuple[float, ...]
    artifact_sha256: str
    artifact_size_bytes: int
    create_time: datetime | None

    @classmethod
    def from_proto(cls, m: Any) -> ConceptVersion:
        return cls(
            name=m.name,
            domain_model_version=m.domain_model_version,
            state=_enum(ConceptVersionState, type(m).State, m.state),
            tuning_steps=m.tuning_steps,
            seed=m.seed,
            class_word=m.class_word,
            embedding_timestep=m.embedding_timestep,
            loss_curve=tuple(m.loss_curve),
            artifact_sha256=m.artifact_sha256,
            artifact_size_bytes=m.artifact_size_bytes,
            create_time=_time(m, "create_time"),
        )


@dataclass(frozen=True)
class OperationProgress:
    """How far a running operation has come."""

    steps_done: int
    steps_total: int
    message: str

    @property
    def fraction(self) -> float | None:
        """`steps_done / steps_total`, or None while the total is unknown."""
        return self.steps_done / self.steps_total if self.steps_total else None


@dataclass(frozen=True)
class OperationSnapshot(_Named):
    """The state of a long-running operation at one moment.

    `result` is the `Concept` (CREATE_CONCEPT) or `ConceptVersion` (REPERSONALIZE_CONCEPT) once
    it succeeded; `error` is the `APIError` once it failed or was cancelled.
    """

    name: str
    kind: OperationKind
    target: str
    state: OperationState
    done: bool
    progress: OperationProgress
    cancel_requested: bool
    request_id: str
    creator: str
    create_time: datetime | None
    update_time: datetime | None
    end_time: datetime | None
    result: Concept | ConceptVersion | None
    error: APIError | None = field(compare=False)

    @classmethod
    def from_proto(cls, m: Any) -> OperationSnapshot:
        outcome = m.WhichOneof("result")
        result: Concept | ConceptVersion | None = None
        error: APIError | None = None
        if outcome == "concept":
            result = Concept.from_proto(m.concept)
        elif outcome == "concept_version":
            result = ConceptVersion.from_proto(m.concept_version)
        elif outcome == "error":
            error = error_from_status(
                code_from_number(m.error.code), m.error, request_id=m.request_id
            )
        return cls(
            name=m.name,
            kind=_enum(OperationKind, type(m).Kind, m.kind),
            target=m.target,
            state=_enum(OperationState, type(m).State, m.state),
            done=m.done,
            progress=OperationProgress(
                steps_done=m.progress.steps_done,
                steps_total=m.progress.steps_total,
                message=m.progress.message,
            ),
            cancel_requested=m.cancel_requested,
            request_id=m.request_id,
            creator=m.creator,
            create_time=_time(m, "create_time"),
            update_time=_time(m, "update_time"),
            end_time=_time(m, "end_time"),
            result=result,
            error=error,
        )


@dataclass(frozen=True)
class GeneratedImage:
    """One generated PNG image and the seed that reproduces it."""

    data: bytes = field(repr=False)
    seed: int
    width: int
    height: int

    def save(self, path: str | Path) -> Path:
        """Writes the PNG bytes to `path` and returns it as a `Path`."""
        target = Path(path)
        target.write_bytes(self.data)
        return target

    def to_pil(self) -> PILImage:
        """The image as a `PIL.Image.Image` (needs Pillow: `pip install e4t-sdk[pil]`)."""
        import io

        try:
            from PIL import Image
        except ImportError as exc:  # Pillow is an optional extra
            raise ImportError("to_pil() needs Pillow: pip install 'e4t-sdk[pil]'") from exc
        image = Image.open(io.BytesIO(self.data))
        image.load()
        return image

    @classmethod
    def from_proto(cls, m: Any) -> GeneratedImage:
        return cls(data=m.png, seed=m.seed, width=m.width, height=m.height)


@dataclass(frozen=True)
class ImageGeneration:
    """The images of one `images.generate` call and the versions that served it.

    Iterate over it, index it or take `len()` of it like a tuple of `GeneratedImage`s.
    """

    images: tuple[GeneratedImage, ...]
    concept_version: str
    domain_model_version: str

    def __iter__(self) -> Iterator[GeneratedImage]:
        return iter(self.images)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> GeneratedImage:
        return self.images[index]

    @classmethod
    def from_proto(cls, m: Any) -> ImageGeneration:
        return cls(
            images=tuple(GeneratedImage.from_proto(image) for image in m.images),
            concept_version=m.concept_version,
            domain_model_version=m.domain_model_version,
        )


@dataclass(frozen=True)
class AuditEvent(_Named):
    """One audited action in a tenant's (or the platform's) hash chain."""

    name: str
    sequence: int
    event_time: datetime | None
    actor: str
    action: str
    resource: str
    request_id: str
    details: dict[str, Any]
    previous_hash: str
    hash: str

    @classmethod
    def from_proto(cls, m: Any) -> AuditEvent:
        return cls(
            name=m.name,
            sequence=m.sequence,
            event_time=_time(m, "event_time"),
            actor=m.actor,
            action=m.action,
            resource=m.resource,
            request_id=m.request_id,
            details=_struct(m.details),
            previous_hash=m.previous_hash,
            hash=m.hash,
        )


@dataclass(frozen=True)
class AuditVerification:
    """The result of recomputing an audit chain."""

    ok: bool
    events_checked: int
    first_broken_event: str
    break_reason: BreakReason
    message: str
    head_hash: str

    @classmethod
    def from_proto(cls, m: Any) -> AuditVerification:
        return cls(
            ok=m.ok,
            events_checked=m.events_checked,
            first_broken_event=m.first_broken_event,
            break_reason=_enum(BreakReason, type(m).BreakReason, m.break_reason),
            message=m.message,
            head_hash=m.head_hash,
        )
