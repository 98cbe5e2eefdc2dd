"""What ``help()`` shows of the public surface (issue 23): the generated methods' signatures and docstrings, read
the way a user reads them (pydoc's plain text), checked against the spec (tests/spec_cases.py).

An IDE hover shows the same docstring (the implementation's, since the overloads have none) beside the overloads'
signatures; tests/test_overlay_typing.py checks those signatures.
"""

from __future__ import annotations

import asyncio
import pydoc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import imagineo
import pytest

from tests import spec_cases as sc

RESOURCE: str = sc.OPERATION["x-imagineo-resource"]
METHOD: str = sc.OPERATION["x-imagineo-method"]
#: The SDK's own per-call options (not the spec's): every generated method takes them.
SDK_OPTIONS = ("timeout", "max_retries", "extra_headers", "extra_query", "extra_body")


def header_parameters() -> list[str]:
    """The keyword each header parameter of the operation becomes (``Idempotency-Key`` -> ``idempotency_key``)."""
    names = []
    for parameter in sc.OPERATION.get("parameters", []):
        if "$ref" in parameter:
            parameter = sc.SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        names.append(parameter["name"].lower().replace("-", "_"))
    return names


@contextmanager
def clients() -> Iterator[tuple[imagineo.ImagineoAIClient, imagineo.AsyncImagineoAIClient]]:
    sync = imagineo.ImagineoAIClient("https://api.example.com", api_key="sk-help")
    aclient = imagineo.AsyncImagineoAIClient("https://api.example.com", api_key="sk-help")
    try:
        yield sync, aclient
    finally:
        sync.close()
        asyncio.run(aclient.close())


SURFACES: dict[str, Callable[[Any, Any], Any]] = {
    "client": lambda sync, _: getattr(getattr(sync, RESOURCE), METHOD),
    "client.with_raw_response": lambda sync, _: getattr(getattr(sync, RESOURCE).with_raw_response, METHOD),
    "async client": lambda _, aclient: getattr(getattr(aclient, RESOURCE), METHOD),
    "async client.with_raw_response": lambda _, aclient: getattr(getattr(aclient, RESOURCE).with_raw_response, METHOD),
}


def help_text(obj: object) -> str:
    return pydoc.render_doc(obj, renderer=pydoc.plaintext)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_help_of_generate_names_every_model_type_with_its_required_fields(surface: str) -> None:
    """Breaks if ``help(client.images.generate)`` (sync, async, with_raw_response) stops showing what a call takes:
    a model type of the spec missing from the docstring, one of its required fields not listed as required (or
    listed as optional), the default model type not marked, or a per-call option or header parameter missing from
    the signature (it was ``**params: Any`` before issue 17)."""
    with clients() as (sync, aclient):
        text = help_text(SURFACES[surface](sync, aclient))
    signature = text.split("\n\n", 2)[1]  # pydoc: title, blank line, the signature
    for option in (*header_parameters(), *SDK_OPTIONS):
        assert f"{option}: " in signature, (option, signature)
    assert sc.OPERATION["summary"] in text
    assert f"default ``{sc.DEFAULT_MODEL_TYPE}``" in text
    lines = {line.strip().partition(":")[0]: line.strip().partition(":")[2] for line in text.splitlines()}
    for model_type in sc.MODEL_TYPES:
        assert model_type in lines, f"{model_type} has no line of its own in help():\n{text}"
        required_part = lines[model_type].partition("optional")[0]
        assert "requires" in required_part, (model_type, lines[model_type])
        named = required_part.replace(",", " ").replace(";", " ").split()
        for field in sc.required(model_type):
            if field != sc.TAG_FIELD:
                assert field in named, (model_type, field, lines[model_type])
        for field in sc.optional(model_type):
            assert field not in named, (model_type, field, lines[model_type])


@pytest.mark.parametrize("client_class", [imagineo.ImagineoAIClient, imagineo.AsyncImagineoAIClient])
def test_help_of_the_client_leads_to_each_method(client_class: type) -> None:
    """Breaks if ``help(ImagineoAIClient)`` stops showing the constructor's parameters, or the resource attribute
    of the spec's operation without the method it holds and its summary (the way to find ``images.generate``)."""
    text = help_text(client_class)
    for parameter in ("api_url", "api_key", "timeout", "max_retries", "http_client", "max_response_bytes"):
        assert f"{parameter}: " in text, parameter
    resource_doc = text.partition(f"{RESOURCE} = ")[2]
    assert resource_doc, f"help() does not show the {RESOURCE!r} attribute:\n{text}"
    block = "\n".join(resource_doc.splitlines()[:6])
    assert f"``{METHOD}`` ({sc.OPERATION['summary']})" in block, block
