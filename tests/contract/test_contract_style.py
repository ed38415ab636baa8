"""AIP-style rules over the descriptors of the generated e4t.v1 modules."""

import re

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor

from e4t.v1 import resource_pb2
from tests.contract.contract_files import all_enums, all_messages, file_descriptors

# The resource names of the contract (docs/api.md "Resources"); a new resource is added here too.
EXPECTED_PATTERNS = {
    "tenants/{tenant}",
    "tenants/{tenant}/apiKeys/{api_key}",
    "apiKeys/{api_key}",
    "tenants/{tenant}/domains/{domain}",
    "tenants/{tenant}/domains/{domain}/versions/{version}",
    "tenants/{tenant}/domains/{domain}/aliases/{alias}",
    "tenants/{tenant}/subjects/{subject}",
    "tenants/{tenant}/subjects/{subject}/consents/{consent}",
    "tenants/{tenant}/concepts/{concept}",
    "tenants/{tenant}/concepts/{concept}/versions/{version}",
    "tenants/{tenant}/operations/{operation}",
    "tenants/{tenant}/auditEvents/{audit_event}",
    "auditEvents/{audit_event}",
}

# Methods that change state start with one of these verbs and must carry `request_id`.
MUTATING_VERBS = (
    "Create",
    "Delete",
    "Revoke",
    "Grant",
    "Erase",
    "Register",
    "Rollout",
    "Promote",
    "Rollback",
    "Repersonalize",
)

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def all_methods() -> list[MethodDescriptor]:
    return [
        method
        for file in file_descriptors()
        for service in file.services_by_name.values()
        for method in service.methods
    ]


def resource_messages() -> list[Descriptor]:
    return [m for m in all_messages() if m.GetOptions().HasExtension(resource_pb2.resource)]


def request_fields(method: MethodDescriptor) -> dict[str, FieldDescriptor]:
    """The fields a call's (first) request message offers; a client stream's header counts."""
    fields = dict(method.input_type.fields_by_name)
    header = fields.get("header")
    if method.client_streaming and header is not None and header.message_type is not None:
        fields |= header.message_type.fields_by_name
    return fields


def test_the_contract_has_services_and_resources() -> None:
    assert len(all_methods()) >= 40
    assert len(resource_messages()) == 11


def test_every_file_is_in_package_e4t_v1() -> None:
    assert {file.package for file in file_descriptors()} == {"e4t.v1"}


def test_service_names_end_in_service() -> None:
    services = [s.name for f in file_descriptors() for s in f.services_by_name.values()]
    assert services
    assert [name for name in services if not name.endswith("Service")] == []


def test_enum_zero_values_are_unspecified() -> None:
    def expected_zero(enum_name: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper() + "_UNSPECIFIED"

    wrong = [
        f"{enum.full_name}: {enum.values_by_number[0].name if 0 in enum.values_by_number else '-'}"
        for enum in all_enums()
        if 0 not in enum.values_by_number
        or enum.values_by_number[0].name != expected_zero(enum.name)
    ]
    assert wrong == []


def test_request_messages_are_named_after_their_method() -> None:
    wrong = [m.full_name for m in all_methods() if m.input_type.name != f"{m.name}Request"]
    assert wrong == []


def test_mutating_methods_take_a_request_id() -> None:
    mutating = [m for m in all_methods() if m.name.startswith(MUTATING_VERBS)]
    missing = [m.full_name for m in mutating if "request_id" not in request_fields(m)]
    assert {m.name for m in mutating} >= {"CreateConcept", "RevokeConsent", "EraseSubject"}
    assert missing == []


def test_every_create_request_has_a_request_id() -> None:
    creates = [m for m in all_messages() if re.fullmatch(r"Create\w+Request", m.name)]
    assert len(creates) == 4
    assert [m.name for m in creates if "request_id" not in m.fields_by_name] == []


@pytest.mark.parametrize("verb", ["Get", "Delete"])
def test_get_and_delete_requests_take_a_name(verb: str) -> None:
    methods = [m for m in all_methods() if m.name.startswith(verb)]
    assert methods
    wrong = [
        m.full_name
        for m in methods
        if m.name != "GetRolloutStatus" and "name" not in m.input_type.fields_by_name
    ]
    assert wrong == []


def test_list_methods_page() -> None:
    lists = [m for m in all_methods() if m.name.startswith("List")]
    assert len(lists) >= 10
    for method in lists:
        request, response = method.input_type.fields_by_name, method.output_type
        assert request["page_size"].type == FieldDescriptor.TYPE_INT32, method.full_name
        assert request["page_token"].type == FieldDescriptor.TYPE_STRING, method.full_name
        assert response.name == f"{method.name}Response", method.full_name
        assert response.fields_by_name["next_page_token"].type == FieldDescriptor.TYPE_STRING
        repeated = [f for f in response.fields if f.is_repeated and f.message_type]
        assert len(repeated) == 1, f"{response.full_name} must hold exactly one repeated resource"


def test_resources_have_a_name_and_the_documented_patterns() -> None:
    patterns: set[str] = set()
    for message in resource_messages():
        name = message.fields_by_name.get("name")
        assert name is not None, f"{message.full_name} has no `name` field"
        assert name.number == 1 and name.type == FieldDescriptor.TYPE_STRING, message.full_name
        resource = message.GetOptions().Extensions[resource_pb2.resource]
        assert resource.type == f"e4t.v1/{message.name}"
        for pattern in resource.pattern:
            collection = pattern.split("/")[-2]
            assert collection == resource.plural, f"{pattern} does not end in {resource.plural}"
        patterns.update(resource.pattern)
    assert patterns == EXPECTED_PATTERNS


def test_resources_record_when_they_were_created() -> None:
    # Aliases are never created by a client, only moved; an audit event's creation is its event.
    time_field = {"DomainAlias": "update_time", "AuditEvent": "event_time"}
    missing = [
        m.full_name
        for m in resource_messages()
        if time_field.get(m.name, "create_time") not in m.fields_by_name
    ]
    assert missing == []


def test_field_names_are_snake_case() -> None:
    wrong = [f.full_name for m in all_messages() for f in m.fields if not SNAKE_CASE.match(f.name)]
    assert wrong == []
