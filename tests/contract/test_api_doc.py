"""docs/api.md keeps up with the contract: every method, resource pattern and error reason."""

from e4t.v1 import common_pb2, resource_pb2
from tests.contract.contract_files import API_DOC, all_messages, file_descriptors


def test_doc_names_every_service_and_method() -> None:
    doc = API_DOC.read_text()
    names = [
        name
        for file in file_descriptors()
        for service in file.services_by_name.values()
        for name in (service.name, *(method.name for method in service.methods))
    ]
    assert [name for name in names if f"`{name}`" not in doc] == []


def test_doc_names_every_resource_pattern() -> None:
    doc = API_DOC.read_text()
    patterns = [
        pattern
        for message in all_messages()
        if message.GetOptions().HasExtension(resource_pb2.resource)
        for pattern in message.GetOptions().Extensions[resource_pb2.resource].pattern
    ]
    assert [pattern for pattern in patterns if f"`{pattern}`" not in doc] == []


def test_doc_names_every_error_reason() -> None:
    doc = API_DOC.read_text()
    values = common_pb2.DESCRIPTOR.enum_types_by_name["ErrorReason"].values
    reasons = [value.name for value in values if value.number != 0]
    assert reasons
    assert [reason for reason in reasons if f"`{reason}`" not in doc] == []
