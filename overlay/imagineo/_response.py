"""Reading an answer: the result of an operation (`parse`), or its raw answer for ``with_raw_response``.

For an operation of the spec (``imagineo_api.catalog.OPERATIONS``):

* a 2xx status the operation documents with a JSON body -> its generated result class (``imagineo_api.results``),
  built by the class's ``from_dict``, which checks every field against the spec; a body that is empty, not JSON, not
  an object or not the schema raises APIResponseValidationError (``.body``: the JSON, else the text);
* a 2xx it documents without a body (204) -> None;
* a 2xx it does not document -> APIResponseValidationError naming the documented ones;
* anything else -> the typed error of `_exceptions.status_error`.

The result carries ``_request_id`` (the ``x-request-id`` header). ``with_raw_response`` returns the answer wrapped
in ``imagineo_api.response.APIResponse`` (re-exported as ``imagineo.APIResponse``), whose ``.parse()`` runs the
same function; an error status raises before the wrapper is made, as the method would.
"""

from __future__ import annotations

import functools
from typing import Any

import httpx
from imagineo_api import catalog

from ._exceptions import APIResponseValidationError, request_id, status_error

__all__ = ["parse", "parse_generic", "respond", "respond_generic"]


@functools.cache
def _result_class(name: str) -> Any:
    from imagineo_api import results

    return getattr(results, name)


@functools.cache
def _wrappers() -> tuple[Any, Any]:
    from imagineo_api.response import APIResponse, AsyncAPIResponse

    return APIResponse, AsyncAPIResponse


def _build(response: httpx.Response, schema: str, cls: Any) -> Any:
    """The JSON body of a success answer, built with ``cls.from_dict`` (just the JSON when `cls` is None), or
    APIResponseValidationError saying what is wrong (empty, not JSON, not an object, not the schema `schema`)."""
    from imagineo_api.errors import PARSE_ERRORS, ResponseValidationError

    try:
        body = response.json()
        if cls is None:
            return body
        if not isinstance(body, dict):
            raise TypeError("body: Input should be an object")
        return cls.from_dict(body)
    except PARSE_ERRORS as exc:
        invalid = ResponseValidationError.from_response(response, schema, exc)
        raise APIResponseValidationError(response, invalid.body, invalid.reason) from None


def parse(operation_id: str, response: httpx.Response) -> Any:
    """The result of `operation_id` for `response` (see the module's docstring)."""
    status = response.status_code
    if not 200 <= status < 300:
        raise status_error(response)
    success = catalog.OPERATIONS[operation_id]["success"]
    key = str(status)
    if key not in success:
        documented = " and ".join(sorted(success))
        raise APIResponseValidationError(
            response, response.text, f"Undocumented success status {status}; the API documents {documented}"
        )
    name = success[key]
    if name is None:
        return None
    result = _build(response, name, _result_class(name))
    result._request_id = request_id(response)
    return result


def _answer(parser: Any, response: httpx.Response, raw: bool, is_async: bool) -> Any:
    """``parser(response)``, or (``raw``) the answer wrapped for ``with_raw_response``: an error status raises
    first, as the method would; ``.parse()`` runs the parser later."""
    if not raw:
        return parser(response)
    if not 200 <= response.status_code < 300:
        raise status_error(response)
    sync_wrapper, async_wrapper = _wrappers()
    return (async_wrapper if is_async else sync_wrapper)(response, parser)


def respond(operation_id: str, response: httpx.Response, raw: bool, is_async: bool) -> Any:
    """What a generated method returns: the parsed result, or (``raw``) the wrapped answer."""
    return _answer(functools.partial(parse, operation_id), response, raw, is_async)


def parse_generic(cast_to: Any, response: httpx.Response) -> Any:
    """The answer of ``client.request``: None without a body, else the JSON (``cast_to.from_dict`` when given)."""
    if not 200 <= response.status_code < 300:
        raise status_error(response)
    if not response.content:
        return None
    plain = cast_to is None or cast_to is object
    result = _build(response, "JSON" if plain else getattr(cast_to, "__name__", "JSON"), None if plain else cast_to)
    if not plain and hasattr(result, "_request_id"):
        result._request_id = request_id(response)
    return result


def respond_generic(cast_to: Any, response: httpx.Response, raw: bool, is_async: bool) -> Any:
    """What ``client.request`` returns (see `parse_generic`)."""
    return _answer(functools.partial(parse_generic, cast_to), response, raw, is_async)
