"""The OpenAPI document: bearer scheme, every route with its bodies and error answers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.http.support import memory_container, serve
from todo_adapters.memory import InMemoryStore

ERRORS_BY_OPERATION = {
    ("get", "/tasks"): {"401", "403", "422", "503"},
    ("post", "/tasks"): {"401", "403", "409", "413", "415", "422", "503"},
    ("get", "/tasks/changes"): {"401", "403", "410", "422", "503"},
    ("get", "/tasks/stats"): {"401", "403", "503"},
    ("get", "/tasks/{task_id}"): {"304", "401", "403", "404", "422", "503"},
    ("put", "/tasks/{task_id}"): {"401", "403", "404", "412", "413", "415", "422", "503"},
    ("patch", "/tasks/{task_id}"): {"401", "403", "404", "412", "413", "415", "422", "503"},
    ("patch", "/tasks/{task_id}/complete"): {
        "401",
        "403",
        "404",
        "409",
        "412",
        "413",
        "415",
        "422",
        "503",
    },
    ("delete", "/tasks/{task_id}"): {"401", "403", "404", "412", "422", "503"},
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with serve(memory_container(InMemoryStore())) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_the_bearer_scheme_is_declared_for_the_docs_authorize_button(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]

    assert schemes == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": schemes["bearer"]["description"],
        }
    }


def test_the_bearer_scheme_names_every_accepted_algorithm(document: dict[str, Any]) -> None:
    description = document["components"]["securitySchemes"]["bearer"]["description"]

    for alg in ("HS256", "EdDSA", "ES256", "ES512", "RS256", "PS256"):
        assert alg in description


def test_every_api_operation_requires_the_bearer_token_and_health_does_not(
    document: dict[str, Any],
) -> None:
    for method, path, operation in _operations(document):
        if path.startswith("/api/"):
            assert operation["security"] == [{"bearer": []}], (method, path)
        else:
            assert "security" not in operation, (method, path)


@pytest.mark.parametrize("prefix", ["/api", "/api/{user_id}"])
@pytest.mark.parametrize(("key", "statuses"), list(ERRORS_BY_OPERATION.items()))
def test_every_route_documents_its_success_and_error_answers(
    document: dict[str, Any], prefix: str, key: tuple[str, str], statuses: set[str]
) -> None:
    method, path = key

    responses = document["paths"][prefix + path][method]["responses"]

    errors = {code for code in responses if not code.startswith("2")}
    assert errors == statuses | {"429"}  # every authenticated request is counted
    for code in errors - {"304", "422"}:
        schema = responses[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    if "422" in responses:
        assert responses["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ValidationErrorBody"
        }
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert "Retry-After" in responses["503"]["headers"]


def test_the_422_body_is_a_list_of_loc_msg_type_items(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    item = schemas["ValidationErrorItem"]
    assert set(item["properties"]) == {"loc", "msg", "type"}
    assert set(item["required"]) == {"loc", "msg", "type"}
    assert "HTTPValidationError" not in schemas


def test_every_path_parameter_is_declared(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}

        assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_request_bodies_are_declared_with_their_components(document: dict[str, Any]) -> None:
    paths = document["paths"]
    schemas = document["components"]["schemas"]

    create = paths["/api/tasks"]["post"]["requestBody"]
    update = paths["/api/tasks/{task_id}"]["put"]["requestBody"]
    complete = paths["/api/tasks/{task_id}/complete"]["patch"]["requestBody"]

    assert (create["required"], update["required"], complete["required"]) == (True, True, False)
    assert schemas["TaskCreate"]["required"] == ["title"]
    assert "required" not in schemas["TaskUpdate"]
    assert set(schemas["TaskCompletion"]["properties"]) == {"completed"}
    for name in ("TaskCreate", "TaskUpdate"):
        properties = schemas[name]["properties"]
        assert properties["title"]["maxLength"] == 255
        assert {"type": "null"} not in properties["title"].get("anyOf", [])
        assert properties["status"] == {"$ref": "#/components/schemas/TaskStatus"}
        assert {"type": "null"} in properties["due_date"]["anyOf"]
        assert {"type": "null"} in properties["description"]["anyOf"]


def test_the_task_schema_lists_every_field_as_required(document: dict[str, Any]) -> None:
    task = document["components"]["schemas"]["Task"]

    assert set(task["required"]) == {
        "id",
        "user_id",
        "title",
        "description",
        "status",
        "priority",
        "due_date",
        "completed",
        "completed_at",
        "created_at",
        "updated_at",
        "version",
        "tags",
        "recurrence",
        "next_occurrence_id",
        "remind_at",
    }


def test_the_listing_declares_its_parameters_and_headers(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/tasks"]["get"]

    names = {p["name"] for p in operation["parameters"]}
    headers = operation["responses"]["200"]["headers"]
    assert names == {
        "status",
        "priority",
        "completed",
        "search",
        "q",
        "due_after",
        "due_before",
        "tag",
        "remind_after",
        "remind_before",
        "overdue",
        "sort",
        "sort_by",
        "order",
        "sort_order",
        "limit",
        "offset",
    }
    assert {"X-Total-Count", "Link"} <= set(headers)


def test_the_description_documents_the_choices(document: dict[str, Any]) -> None:
    description = document["info"]["description"]

    assert "Order of checks" in description
    assert "cursor" in description


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]

    assert len(ids) == len(set(ids))
