"""Rich errors: e4t.v1.Status and its details decode as google.rpc types and travel over gRPC."""

import hashlib
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2

from e4t.v1 import (
    common_pb2,
    domain_pb2,
    domain_service_pb2,
    domain_service_pb2_grpc,
    operation_pb2,
    operation_service_pb2,
    operation_service_pb2_grpc,
)

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def not_found_status(resource: str) -> common_pb2.Status:
    info = any_pb2.Any()
    info.Pack(
        common_pb2.ErrorInfo(
            reason=common_pb2.ErrorReason.Name(common_pb2.RESOURCE_NOT_FOUND),
            domain="e4t",
            metadata={"resource": resource, "request_id": "req-1"},
        )
    )
    return common_pb2.Status(
        code=grpc.StatusCode.NOT_FOUND.value[0], message=f"{resource} not found", details=[info]
    )


def test_status_and_details_decode_as_google_rpc_types() -> None:
    status_pb2 = pytest.importorskip("google.rpc.status_pb2")
    error_details_pb2 = pytest.importorskip("google.rpc.error_details_pb2")
    status = not_found_status("tenants/acme/concepts/ann")
    retry, bad_request = any_pb2.Any(), any_pb2.Any()
    retry.Pack(common_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=3)))
    violation = common_pb2.BadRequest.FieldViolation(
        field="image", description="too large", reason="IMAGE_TOO_LARGE"
    )
    bad_request.Pack(common_pb2.BadRequest(field_violations=[violation]))
    status.details.extend([retry, bad_request])

    decoded = status_pb2.Status.FromString(status.SerializeToString())
    info = error_details_pb2.ErrorInfo.FromString(decoded.details[0].value)
    retry_info = error_details_pb2.RetryInfo.FromString(decoded.details[1].value)
    field = error_details_pb2.BadRequest.FromString(decoded.details[2].value).field_violations[0]

    assert (decoded.code, decoded.message) == (5, "tenants/acme/concepts/ann not found")
    assert decoded.details[0].type_url == "type.googleapis.com/e4t.v1.ErrorInfo"
    assert (info.reason, info.domain) == ("RESOURCE_NOT_FOUND", "e4t")
    assert dict(info.metadata) == {"resource": "tenants/acme/concepts/ann", "request_id": "req-1"}
    assert retry_info.retry_delay.seconds == 3
    assert (field.field, field.description, field.reason) == (
        "image",
        "too large",
        "IMAGE_TOO_LARGE",
    )


class MissingOperations(operation_service_pb2_grpc.OperationServiceServicer):
    """Knows no operation: answers every Get with a rich NOT_FOUND error."""

    def GetOperation(
        self, request: operation_service_pb2.GetOperationRequest, context: grpc.ServicerContext
    ) -> operation_pb2.Operation:
        status = not_found_status(request.name)
        context.set_trailing_metadata(((STATUS_DETAILS_KEY, status.SerializeToString()),))
        context.abort(grpc.StatusCode.NOT_FOUND, status.message)
        raise AssertionError("context.abort returned")  # abort raises; this satisfies typing


class ChecksummingUploads(domain_service_pb2_grpc.DomainServiceServicer):
    """Assembles a version upload from its header and chunks and checks the declared sha256."""

    def RegisterDomainModelVersion(
        self,
        request_iterator: Iterator[domain_service_pb2.RegisterDomainModelVersionRequest],
        context: grpc.ServicerContext,
    ) -> domain_pb2.DomainModelVersion:
        header = next(request_iterator).header
        archive = b"".join(message.chunk for message in request_iterator)
        if hashlib.sha256(archive).hexdigest() != header.archive_sha256:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "CHECKSUM_MISMATCH")
        return domain_pb2.DomainModelVersion(
            name=f"{header.parent}/versions/1",
            base_model=header.domain_model_version.base_model,
            artifact_sha256=header.archive_sha256,
            artifact_size_bytes=len(archive),
        )


@pytest.fixture(scope="module")
def channel() -> Iterator[grpc.Channel]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    operation_service_pb2_grpc.add_OperationServiceServicer_to_server(MissingOperations(), server)
    domain_service_pb2_grpc.add_DomainServiceServicer_to_server(ChecksummingUploads(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as client_channel:
        yield client_channel
    server.stop(grace=None)


def test_rich_error_arrives_in_trailing_metadata(channel: grpc.Channel) -> None:
    stub = operation_service_pb2_grpc.OperationServiceStub(channel)
    name = "tenants/acme/operations/missing"

    with pytest.raises(grpc.RpcError) as raised:
        stub.GetOperation(operation_service_pb2.GetOperationRequest(name=name), timeout=10)

    error = raised.value
    assert isinstance(error, grpc.Call)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    details = dict(error.trailing_metadata() or ())[STATUS_DETAILS_KEY]
    status = common_pb2.Status.FromString(details)
    info = common_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "RESOURCE_NOT_FOUND"
    assert info.metadata["resource"] == name


def upload_messages(
    archive: bytes, declared_sha256: str
) -> Iterator[domain_service_pb2.RegisterDomainModelVersionRequest]:
    header = domain_service_pb2.DomainModelVersionUpload(
        parent="tenants/acme/domains/faces",
        domain_model_version=domain_pb2.DomainModelVersion(base_model="tiny-sd"),
        archive_format=domain_service_pb2.DomainModelVersionUpload.TAR,
        archive_sha256=declared_sha256,
        archive_size_bytes=len(archive),
        request_id="upload-1",
    )
    yield domain_service_pb2.RegisterDomainModelVersionRequest(header=header)
    for start in range(0, len(archive), 1000):
        yield domain_service_pb2.RegisterDomainModelVersionRequest(
            chunk=archive[start : start + 1000]
        )


def test_version_upload_streams_header_then_chunks(channel: grpc.Channel) -> None:
    stub = domain_service_pb2_grpc.DomainServiceStub(channel)
    archive = bytes(range(256)) * 20
    digest = hashlib.sha256(archive).hexdigest()

    version = stub.RegisterDomainModelVersion(upload_messages(archive, digest), timeout=10)

    assert version.name == "tenants/acme/domains/faces/versions/1"
    assert (version.artifact_sha256, version.artifact_size_bytes) == (digest, len(archive))
    with pytest.raises(grpc.RpcError) as raised:
        stub.RegisterDomainModelVersion(upload_messages(archive, "0" * 64), timeout=10)
    assert isinstance(raised.value, grpc.Call)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_operation_result_is_one_of_error_or_typed_resource() -> None:
    operation = operation_pb2.Operation(kind=operation_pb2.Operation.CREATE_CONCEPT, done=True)
    operation.concept.name = "tenants/acme/concepts/ann"
    assert operation.WhichOneof("result") == "concept"

    operation.error.CopyFrom(not_found_status(operation.concept.name))

    assert operation.WhichOneof("result") == "error"
    assert not operation.HasField("concept")
