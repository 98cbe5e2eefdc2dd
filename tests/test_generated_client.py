"""The generated package, imagineo_api, used on its own (no overlay): its models against the spec's named examples, and
its client and endpoint functions against a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
from http import HTTPStatus
from typing import Any

import imagineo_api.models
import pytest
import yaml
from imagineo_api import AuthenticatedClient, errors
from imagineo_api.api.runs import generate_run
from imagineo_api.models import Error, ErrorDetail, FluxDevInput, GenerateImageOutput

from tests.conftest import SPEC_PATH
from tests.loopback import LoopbackServer

SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
OPERATION = SPEC["paths"]["/api/v1/runs/generate"]["post"]
EXAMPLES: dict[str, dict[str, Any]] = {
    name: ex["value"] for name, ex in OPERATION["requestBody"]["content"]["application/json"]["examples"].items()
}
GENERATE_IMAGE_INPUT = SPEC["components"]["schemas"]["GenerateImageInput"]
MAPPING: dict[str, str] = GENERATE_IMAGE_INPUT["discriminator"]["mapping"]
# The oneOf's branches in the spec's order: the order a generated union parser would try them in.
BRANCHES: list[str] = [branch["$ref"].rsplit("/", 1)[1] for branch in GENERATE_IMAGE_INPUT["oneOf"]]
# What openapi-python-client's generated union parsers catch when a branch does not fit.
BRANCH_MISMATCH = (TypeError, ValueError, AttributeError, KeyError)


def _model_class(schema_name: str) -> type[Any]:
    cls = getattr(imagineo_api.models, schema_name, None)
    assert cls is not None, f"imagineo_api.models has no class {schema_name} (named by the discriminator mapping)"
    return cls  # type: ignore[no-any-return]


def _class_for(model_type: str) -> type[Any]:
    return _model_class(MAPPING[model_type].rsplit("/", 1)[1])


def _dispatch(data: dict[str, Any]) -> list[Any]:
    """Every branch of the generated union that accepts `data`, tried in the oneOf's order.

    openapi-python-client generates no parser for a request-body union (the endpoint only serialises whichever model
    it is given), and its response-union parsers take the first branch whose from_dict does not raise. Either way, a
    dict lands in the right class only because each model's from_dict rejects a model_type other than its `const`.
    """
    accepted = []
    for name in BRANCHES:
        try:
            accepted.append(_model_class(name).from_dict(data))
        except BRANCH_MISMATCH:
            continue
    return accepted


# --- models ------------------------------------------------------------------------------------------------------


def test_every_oneof_branch_has_a_generated_model() -> None:
    """Breaks if a variant of the spec's oneOf gets no generated model (or loses to_dict/from_dict)."""
    assert BRANCHES
    for name in BRANCHES:
        cls = _model_class(name)
        assert callable(cls.from_dict)
        assert callable(cls.to_dict)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_round_trips_through_its_model(name: str) -> None:
    example = EXAMPLES[name]
    original = copy.deepcopy(example)
    cls = _class_for(example["model_type"])
    model = cls.from_dict(example)
    assert type(model) is cls
    assert model.model_type == example["model_type"]
    assert model.to_dict() == example
    # from_dict works on a copy: the caller's dict is left as it was.
    assert example == original


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_dispatches_to_exactly_the_class_the_mapping_names(name: str) -> None:
    example = EXAMPLES[name]
    accepted = _dispatch(example)
    assert [type(m).__name__ for m in accepted] == [MAPPING[example["model_type"]].rsplit("/", 1)[1]]
    assert accepted[0].to_dict() == example


def test_from_dict_rejects_another_model_types_const() -> None:
    with pytest.raises(ValueError, match="model_type must match const 'flux-dev'"):
        FluxDevInput.from_dict({**EXAMPLES["openai"], "model_type": "openai"})
    assert _dispatch({**EXAMPLES["flux-dev"], "model_type": "flux-devv"}) == []


def test_unknown_aspect_ratio_is_rejected_by_the_literal_enum_check() -> None:
    cls = _class_for("flux-kontext-max")
    with pytest.raises(TypeError, match="Unexpected value '17:9'"):
        cls.from_dict({**EXAMPLES["flux-kontext-max"], "aspect_ratio": "17:9"})


def test_response_examples_round_trip() -> None:
    examples = OPERATION["responses"]["200"]["content"]["application/json"]["examples"]
    for example in examples.values():
        parsed = GenerateImageOutput.from_dict(example["value"])
        assert parsed.to_dict() == example["value"]
        assert parsed.additional_properties == {}
    error_example = SPEC["components"]["responses"]["UnprocessableEntity"]["content"]["application/json"]["example"]
    error = Error.from_dict(error_example)
    assert error.code == "validation_error"
    assert isinstance(error.details, list)
    assert [(d.field, d.message) for d in error.details] == [("model_id", "is required")]
    assert error.to_dict() == error_example


# --- the client against a real HTTP server ----------------------------------------------------------------------


def _client(loopback: LoopbackServer, **kwargs: Any) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=loopback.url, token="sk-test", **kwargs)


def test_sync_detailed_sends_the_request_and_parses_200(loopback: LoopbackServer) -> None:
    image_url = "https://cdn.imagineo.example.com/runs/r_1/0.png"
    loopback.enqueue(200, {"image_url": image_url, "run_id": "r_1", "seed_used": 5}, headers={"x-request-id": "req_1"})
    body = FluxDevInput(prompt="A cat in a spacesuit", model_type="flux-dev", width=512, height=768)
    with _client(loopback) as client:
        response = generate_run.sync_detailed(client=client, body=body)

    assert len(loopback.requests) == 1
    sent = loopback.requests[0]
    assert sent.method == "POST"
    assert sent.path == "/api/v1/runs/generate"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.headers["content-type"] == "application/json"
    assert "idempotency-key" not in sent.headers  # UNSET parameters are not sent
    assert sent.json() == {"prompt": "A cat in a spacesuit", "model_type": "flux-dev", "width": 512, "height": 768}

    assert response.status_code == HTTPStatus.OK
    assert response.headers["x-request-id"] == "req_1"
    assert json.loads(response.content)["image_url"] == image_url
    parsed = response.parsed
    assert isinstance(parsed, GenerateImageOutput)
    assert parsed.image_url == image_url
    assert parsed.run_id == "r_1"
    assert parsed.additional_properties == {"seed_used": 5}  # fields the server adds later are kept
    assert parsed["seed_used"] == 5


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_model_type_goes_on_the_wire_as_its_example(loopback: LoopbackServer, name: str) -> None:
    body = _class_for(EXAMPLES[name]["model_type"]).from_dict(EXAMPLES[name])
    with _client(loopback) as client:
        response = generate_run.sync_detailed(client=client, body=body, idempotency_key="key-1")
    assert response.status_code == HTTPStatus.OK
    assert loopback.requests[0].json() == EXAMPLES[name]
    assert loopback.requests[0].headers["idempotency-key"] == "key-1"


def test_204_parses_to_none(loopback: LoopbackServer) -> None:
    loopback.enqueue(204)
    with _client(loopback) as client:
        response = generate_run.sync_detailed(client=client, body=FluxDevInput(prompt="p", model_type="flux-dev"))
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.parsed is None
    assert response.content == b""


def test_422_parses_to_error_with_details(loopback: LoopbackServer) -> None:
    error_body = {
        "error": 'Invalid input for model_type "flux-dev"',
        "code": "validation_error",
        "details": [{"field": "width", "message": "must be <= 2048"}],
        "trace": "t_1",
    }
    loopback.enqueue(422, error_body)
    with _client(loopback) as client:
        parsed = generate_run.sync(client=client, body=FluxDevInput(prompt="p", model_type="flux-dev", width=4096))
    # The generated model does not check ranges: width=4096 went out as given, and the server's answer is parsed.
    assert loopback.requests[0].json()["width"] == 4096
    assert isinstance(parsed, Error)
    assert parsed.error == 'Invalid input for model_type "flux-dev"'
    assert parsed.code == "validation_error"
    assert isinstance(parsed.details, list)
    assert len(parsed.details) == 1
    assert isinstance(parsed.details[0], ErrorDetail)
    assert (parsed.details[0].field, parsed.details[0].message) == ("width", "must be <= 2048")
    assert parsed.additional_properties == {"trace": "t_1"}


def test_undocumented_status_raises_when_asked_to(loopback: LoopbackServer) -> None:
    loopback.enqueue(418, {"error": "teapot"})
    body = FluxDevInput(prompt="p", model_type="flux-dev")
    with _client(loopback, raise_on_unexpected_status=True) as client, pytest.raises(errors.UnexpectedStatus) as info:
        generate_run.sync_detailed(client=client, body=body)
    assert info.value.status_code == 418
    assert json.loads(info.value.content) == {"error": "teapot"}


async def test_asyncio_detailed_against_the_server(loopback: LoopbackServer) -> None:
    loopback.enqueue(200, {"image_url": "https://cdn.imagineo.example.com/runs/r_2/0.png", "model_type": "nanobanana"})
    loopback.enqueue(503, {"error": "maintenance", "code": "unavailable"}, headers={"Retry-After": "2"})
    body = _class_for("nanobanana").from_dict(EXAMPLES["nanobanana"])
    async with _client(loopback) as client:
        ok = await generate_run.asyncio_detailed(client=client, body=body)
        unavailable = await generate_run.asyncio_detailed(client=client, body=body)

    assert [r.path for r in loopback.requests] == ["/api/v1/runs/generate"] * 2
    assert all(r.headers["authorization"] == "Bearer sk-test" for r in loopback.requests)
    assert loopback.requests[0].json() == EXAMPLES["nanobanana"]
    assert ok.status_code == HTTPStatus.OK
    assert isinstance(ok.parsed, GenerateImageOutput)
    assert ok.parsed.image_url == "https://cdn.imagineo.example.com/runs/r_2/0.png"
    assert ok.parsed.model_type == "nanobanana"
    assert unavailable.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert unavailable.headers["retry-after"] == "2"
    assert isinstance(unavailable.parsed, Error)
    assert (unavailable.parsed.error, unavailable.parsed.code) == ("maintenance", "unavailable")
