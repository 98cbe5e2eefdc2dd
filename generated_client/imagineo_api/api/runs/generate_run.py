from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.flux_dev_input import FluxDevInput
from ...models.flux_kontext_max_input import FluxKontextMaxInput
from ...models.flux_kontext_multi_input import FluxKontextMultiInput
from ...models.generate_image_output import GenerateImageOutput
from ...models.google_imagen_4_input import GoogleImagen4Input
from ...models.nanobanana_input import NanobananaInput
from ...models.open_ai_input import OpenAIInput
from ...models.qwen_image_edit_input import QwenImageEditInput
from ...models.wan_image_21_input import WanImage21Input
from ...models.wan_image_22_input import WanImage22Input
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: FluxDevInput
    | FluxKontextMaxInput
    | FluxKontextMultiInput
    | GoogleImagen4Input
    | NanobananaInput
    | OpenAIInput
    | QwenImageEditInput
    | WanImage21Input
    | WanImage22Input,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/runs/generate",
    }

    if (
        isinstance(body, FluxDevInput)
        or isinstance(body, OpenAIInput)
        or isinstance(body, GoogleImagen4Input)
        or isinstance(body, FluxKontextMaxInput)
        or isinstance(body, FluxKontextMultiInput)
        or isinstance(body, WanImage21Input)
        or isinstance(body, WanImage22Input)
        or isinstance(body, NanobananaInput)
    ):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Error | GenerateImageOutput | None:
    if response.status_code == 200:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_200 = GenerateImageOutput.from_dict(_body)

        except errors.PARSE_ERRORS as exc:
            raise errors.ResponseValidationError.from_response(
                response, "GenerateImageOutput", exc
            ) from None
        return response_200

    if response.status_code == 204:
        response_204 = None

        return response_204

    if response.status_code == 400:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_400 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_400

    if response.status_code == 401:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_401 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_401

    if response.status_code == 403:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_403 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_403

    if response.status_code == 404:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_404 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_404

    if response.status_code == 409:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_409 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_409

    if response.status_code == 413:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_413 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_413

    if response.status_code == 422:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_422 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_422

    if response.status_code == 429:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_429 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_429

    if response.status_code == 500:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_500 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_500

    if response.status_code == 502:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_502 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_502

    if response.status_code == 503:
        try:
            _body = response.json()
            if not isinstance(_body, dict):
                raise TypeError("body: Input should be an object")
            response_503 = Error.from_dict(_body)

        except errors.PARSE_ERRORS:
            return None
        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Error | GenerateImageOutput]:
    try:
        status_code = HTTPStatus(response.status_code)
    except ValueError:
        raise errors.UnexpectedStatus(response.status_code, response.content) from None
    return Response(
        status_code=status_code,
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: FluxDevInput
    | FluxKontextMaxInput
    | FluxKontextMultiInput
    | GoogleImagen4Input
    | NanobananaInput
    | OpenAIInput
    | QwenImageEditInput
    | WanImage21Input
    | WanImage22Input,
    idempotency_key: str | Unset = UNSET,
) -> Response[Any | Error | GenerateImageOutput]:
    """Start an image generation or edit run

     Validates the input for the chosen `model_type` and runs the model. Answers 200 with the generated
    image's URL,
    or 204 when the run was accepted but produced no content to return.

    Send an `Idempotency-Key` to make the call safe to retry: a repeated request with the same key and
    body returns
    the original run instead of starting (and charging for) a second one; the same key with a different
    body is
    answered 409.

    Args:
        idempotency_key (str | Unset):
        body (FluxDevInput | FluxKontextMaxInput | FluxKontextMultiInput | GoogleImagen4Input |
            NanobananaInput | OpenAIInput | QwenImageEditInput | WanImage21Input | WanImage22Input):
            The input of one generation run: one schema per model type, selected by `model_type`. To
            edit an image, give its
            URL as `reference_image_url` on a model that takes one (openai, qwen-image-edit); flux-
            kontext-multi combines
            the images listed in `image_urls`.

    Raises:
        errors.UnexpectedStatus: If the server returns a status outside http.HTTPStatus, or an undocumented status
            code and Client.raise_on_unexpected_status is True.
        errors.ResponseValidationError: If a success status's body is empty, not JSON, or does not match its schema.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error | GenerateImageOutput]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: FluxDevInput
    | FluxKontextMaxInput
    | FluxKontextMultiInput
    | GoogleImagen4Input
    | NanobananaInput
    | OpenAIInput
    | QwenImageEditInput
    | WanImage21Input
    | WanImage22Input,
    idempotency_key: str | Unset = UNSET,
) -> Any | Error | GenerateImageOutput | None:
    """Start an image generation or edit run

     Validates the input for the chosen `model_type` and runs the model. Answers 200 with the generated
    image's URL,
    or 204 when the run was accepted but produced no content to return.

    Send an `Idempotency-Key` to make the call safe to retry: a repeated request with the same key and
    body returns
    the original run instead of starting (and charging for) a second one; the same key with a different
    body is
    answered 409.

    Args:
        idempotency_key (str | Unset):
        body (FluxDevInput | FluxKontextMaxInput | FluxKontextMultiInput | GoogleImagen4Input |
            NanobananaInput | OpenAIInput | QwenImageEditInput | WanImage21Input | WanImage22Input):
            The input of one generation run: one schema per model type, selected by `model_type`. To
            edit an image, give its
            URL as `reference_image_url` on a model that takes one (openai, qwen-image-edit); flux-
            kontext-multi combines
            the images listed in `image_urls`.

    Raises:
        errors.UnexpectedStatus: If the server returns a status outside http.HTTPStatus, or an undocumented status
            code and Client.raise_on_unexpected_status is True.
        errors.ResponseValidationError: If a success status's body is empty, not JSON, or does not match its schema.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error | GenerateImageOutput
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: FluxDevInput
    | FluxKontextMaxInput
    | FluxKontextMultiInput
    | GoogleImagen4Input
    | NanobananaInput
    | OpenAIInput
    | QwenImageEditInput
    | WanImage21Input
    | WanImage22Input,
    idempotency_key: str | Unset = UNSET,
) -> Response[Any | Error | GenerateImageOutput]:
    """Start an image generation or edit run

     Validates the input for the chosen `model_type` and runs the model. Answers 200 with the generated
    image's URL,
    or 204 when the run was accepted but produced no content to return.

    Send an `Idempotency-Key` to make the call safe to retry: a repeated request with the same key and
    body returns
    the original run instead of starting (and charging for) a second one; the same key with a different
    body is
    answered 409.

    Args:
        idempotency_key (str | Unset):
        body (FluxDevInput | FluxKontextMaxInput | FluxKontextMultiInput | GoogleImagen4Input |
            NanobananaInput | OpenAIInput | QwenImageEditInput | WanImage21Input | WanImage22Input):
            The input of one generation run: one schema per model type, selected by `model_type`. To
            edit an image, give its
            URL as `reference_image_url` on a model that takes one (openai, qwen-image-edit); flux-
            kontext-multi combines
            the images listed in `image_urls`.

    Raises:
        errors.UnexpectedStatus: If the server returns a status outside http.HTTPStatus, or an undocumented status
            code and Client.raise_on_unexpected_status is True.
        errors.ResponseValidationError: If a success status's body is empty, not JSON, or does not match its schema.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error | GenerateImageOutput]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: FluxDevInput
    | FluxKontextMaxInput
    | FluxKontextMultiInput
    | GoogleImagen4Input
    | NanobananaInput
    | OpenAIInput
    | QwenImageEditInput
    | WanImage21Input
    | WanImage22Input,
    idempotency_key: str | Unset = UNSET,
) -> Any | Error | GenerateImageOutput | None:
    """Start an image generation or edit run

     Validates the input for the chosen `model_type` and runs the model. Answers 200 with the generated
    image's URL,
    or 204 when the run was accepted but produced no content to return.

    Send an `Idempotency-Key` to make the call safe to retry: a repeated request with the same key and
    body returns
    the original run instead of starting (and charging for) a second one; the same key with a different
    body is
    answered 409.

    Args:
        idempotency_key (str | Unset):
        body (FluxDevInput | FluxKontextMaxInput | FluxKontextMultiInput | GoogleImagen4Input |
            NanobananaInput | OpenAIInput | QwenImageEditInput | WanImage21Input | WanImage22Input):
            The input of one generation run: one schema per model type, selected by `model_type`. To
            edit an image, give its
            URL as `reference_image_url` on a model that takes one (openai, qwen-image-edit); flux-
            kontext-multi combines
            the images listed in `image_urls`.

    Raises:
        errors.UnexpectedStatus: If the server returns a status outside http.HTTPStatus, or an undocumented status
            code and Client.raise_on_unexpected_status is True.
        errors.ResponseValidationError: If a success status's body is empty, not JSON, or does not match its schema.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error | GenerateImageOutput
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed


#: This operation's request (method, url with its path parameters quoted, params, headers, json), as httpx's
#: ``Client.request(**kwargs)`` takes it; the SDK sends it through its own pipeline.
build_request = _get_kwargs
