"""The one request pipeline behind every method of every resource, and behind the generic ``client.request``.

The generated resources (``imagineo_api.resources``: one method per operation of the spec) hand each call to a
caller, `SyncCaller` or `AsyncCaller` here, which runs it the same way whatever the operation:

    arguments (path, query and header parameters; the body's fields as keywords, one mapping or a generated model)
      -> _models: aliases, the spec's defaults, validation against the generated models (`prepare_body`); the
         parameters against their schemas (`check_params`)
      -> the generated endpoint's request (``imagineo_api.api.<tag>.<operation>.build_request``: method, path with
         its parameters quoted, query, headers, JSON)
      -> `_Settings.request`: the client's URL prefix, auth and User-Agent headers, an Idempotency-Key for every
         operation that declares that header (the same one on each retry), extra headers / query / body
      -> _send.send / send_async: timeouts, retries, backoff, bounded reads, redaction
      -> _response.parse: a 2xx the operation documents -> its generated result (``imagineo_api.results``, checked
         against the spec as it is built, with ``_request_id``), or None for an answer without a body; any other
         status -> the typed error of _exceptions.

Nothing here knows a particular operation: what an operation takes and answers is read from
``imagineo_api.catalog.OPERATIONS``, which generator/catalog.py writes from the spec.
"""

from __future__ import annotations

import functools
import importlib
import os
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from imagineo_api import catalog

from . import _models, _response, _send
from ._checks import (
    check_attempt_timeout,
    check_extra_body,
    check_extra_query,
    check_headers,
    check_idempotency_key,
    check_max_response_bytes,
    check_retries,
    check_timeout,
    plain_fields,
)
from ._exceptions import FieldError, ImagineoError, ImagineoValidationError
from ._version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from imagineo_api.call_signatures import TimeoutTypes

__all__ = [
    "API_KEY_ENV",
    "API_URL_ENV",
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENCY_HEADER",
    "NOT_GIVEN",
    "USER_AGENT",
    "AsyncCaller",
    "Settings",
    "SyncCaller",
    "is_loopback",
]

#: The spec's x-imagineo-timeout: 300 s to read (a run is slow to answer), 10 s to connect.
DEFAULT_TIMEOUT = httpx.Timeout(catalog.TIMEOUT_READ, connect=catalog.TIMEOUT_CONNECT)
DEFAULT_ATTEMPT_TIMEOUT = 600.0
DEFAULT_MAX_RESPONSE_BYTES = _send.DEFAULT_MAX_RESPONSE_BYTES
DEFAULT_MAX_RETRIES = 2
API_URL_ENV = "IMAGINEO_API_URL"
API_KEY_ENV = "IMAGINEO_API_KEY"
#: The header (draft-ietf-httpapi-idempotency-key-header) the SDK fills with a UUID4 on every operation that
#: declares it, unless the caller gives one; every retry of the call carries the same value.
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: The SDK's version and the API version (the spec's info.version) it was generated from.
USER_AGENT = f"imagineo-python/{__version__} imagineo-api/{catalog.SPEC_VERSION}"
#: The default of an option left out (None means "no limit" for some options, so it cannot stand for it).
NOT_GIVEN: Any = object()
_MAX_TARGETS = 64
_RESERVED = {"authorization": "api_key", "host": "api_url", "content-length": None, "transfer-encoding": None}

R = TypeVar("R")


def is_loopback(host: str) -> bool:
    """Plain http is allowed without opting in only to these: the name ``localhost`` itself, and IP literals in
    127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. Other ``*.localhost`` names are not: RFC 6761 says they should resolve
    to loopback, but the system resolver httpx uses (glibc's, for one) may pass them on to DNS, which can answer
    anything, and the key would then travel in clear."""
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    import ipaddress

    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _api_url(api_url: str, allow_insecure_http: bool) -> httpx.URL:
    """The parsed base URL, refusing what would silently change where or how a request goes (see README)."""
    try:
        parsed = httpx.URL(api_url)
    except httpx.InvalidURL:
        parsed = httpx.URL()
    if parsed.scheme not in ("http", "https") or not parsed.host:
        # Not echoed: a key passed by mistake as the first argument would otherwise end up in the message.
        raise ImagineoError("api_url must be an absolute http(s) URL, such as https://api.example.com")
    shown = str(parsed.copy_with(username=None, password=None, query=None, fragment=None))
    if parsed.userinfo:
        # httpx would send it as Basic auth in place of the API key: every call a 401 with no explanation.
        raise ImagineoValidationError(
            None,
            [FieldError(field="api_url", message=f"must not hold a user name or password (user info); got {shown!r}")],
        )
    for part, present in (("a query (?...)", parsed.query), ("a fragment (#...)", parsed.fragment)):
        if present:
            raise ImagineoValidationError(
                None,
                [
                    FieldError(
                        field="api_url",
                        message=f"must not have {part}: paths are appended to it, so the request would go "
                        f"elsewhere; got {shown!r}",
                    )
                ],
            )
    if parsed.scheme == "http" and not is_loopback(parsed.host) and not allow_insecure_http:
        raise ImagineoError(
            f"api_url {shown!r} is plain http to a non-loopback host (only localhost and loopback addresses "
            "count), so the API key would travel unencrypted; use https, or pass allow_insecure_http=True if you "
            "really mean it"
        )
    return parsed


def _merge_headers(into: dict[str, str], extra: Mapping[str, str], field: str) -> None:
    """Add `extra` to `into` with one header per name, whatever its case: a name already there is replaced.

    ``Authorization`` and ``Host`` are refused (they are the client's api_key and api_url: a second copy would be
    sent, and redaction would not know the caller's key)."""
    lowered = {name.lower(): name for name in into}
    for name, value in extra.items():
        low = name.lower()
        if low in _RESERVED:
            owner = _RESERVED[low]
            hint = f"pass {owner}=... to the client instead" if owner else "httpx sets it from the body"
            raise ImagineoValidationError(
                None, [FieldError(field=f"{field}[{name!r}]", message=f"cannot be set per header: {hint}")]
            )
        old = lowered.pop(low, None)
        if old is not None:
            del into[old]
        into[name] = value
        lowered[low] = name


class Settings:
    """What one client sends with every request: URL, headers, timeout, retries. Built once, shared by copies."""

    __slots__ = ("allow_insecure_http", "api_url", "base", "headers", "limits", "max_retries", "targets", "timeout")

    def __init__(
        self,
        api_url: str | None,
        api_key: str | None,
        timeout: TimeoutTypes,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        allow_insecure_http: bool,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        api_url = api_url if api_url is not None else os.environ.get(API_URL_ENV)
        api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not api_url:
            raise ImagineoError(f"No API URL: pass api_url=... or set the {API_URL_ENV} environment variable")
        if not api_key:
            raise ImagineoError(f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable")
        if not all("!" <= c <= "~" for c in api_key):
            # The key goes into a header: httpx would refuse it at send time with a message quoting it.
            raise ImagineoError(
                "api_key contains a line break, a space, a control or a non-ASCII character; check how it was read "
                "(the key is not shown)"
            )
        _api_url(api_url, allow_insecure_http)
        check_retries(max_retries)
        check_timeout(timeout)
        self.limits = _send.Limits(check_max_response_bytes(max_response_bytes), check_attempt_timeout(attempt_timeout))
        self.api_url = api_url  # what repr() shows
        self.allow_insecure_http = allow_insecure_http
        self.timeout = timeout
        self.max_retries = max_retries
        # The prefix of api_url is kept: https://gateway.example.com/imagineo -> .../imagineo/api/v1/runs/generate
        self.base = api_url.rstrip("/")
        self.targets: dict[str, httpx.URL] = {}  # path -> parsed URL: httpx would parse it again on every request
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            # The encodings the transport inflates itself, in bounded steps (not br or zstd, even when installed).
            "Accept-Encoding": "gzip, deflate",
        }
        _merge_headers(self.headers, check_headers(default_headers, "default_headers"), "default_headers")

    def copy(
        self,
        timeout: Any,
        max_retries: Any,
        default_headers: Mapping[str, str] | None,
        attempt_timeout: Any = NOT_GIVEN,
        max_response_bytes: Any = NOT_GIVEN,
    ) -> Settings:
        new = object.__new__(Settings)
        new.api_url, new.base, new.targets = self.api_url, self.base, self.targets
        new.allow_insecure_http = self.allow_insecure_http
        new.timeout = self.timeout if timeout is NOT_GIVEN else check_timeout(timeout)
        new.max_retries = self.max_retries if max_retries is NOT_GIVEN else check_retries(max_retries)
        new.limits = _send.Limits(
            self.limits.max_response_bytes
            if max_response_bytes is NOT_GIVEN
            else check_max_response_bytes(max_response_bytes),
            self.limits.attempt_timeout if attempt_timeout is NOT_GIVEN else check_attempt_timeout(attempt_timeout),
        )
        new.headers = dict(self.headers)
        _merge_headers(new.headers, check_headers(default_headers, "default_headers"), "default_headers")
        return new

    def target(self, path: str, query: Mapping[str, Any] | None) -> httpx.URL:
        """The URL of `path` under api_url. Parsed URLs are kept for the first `_MAX_TARGETS` paths only: a path
        that carries an id (``/runs/{run_id}``) differs on every call and must not grow the cache without end."""
        url = self.targets.get(path)
        if url is None:
            url = httpx.URL(self.base + path)
            if len(self.targets) < _MAX_TARGETS:
                self.targets[path] = url
        return url.copy_merge_params(query) if query else url

    def request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        body: Any,
        options: tuple[Any, Any, Any, Any, Any],
        idempotency_key: str | None,
    ) -> httpx.Request:
        """The httpx request the transport sends (and re-sends): the client's settings around one call.

        `idempotency_key` is the one the caller gave as a keyword (None if none): an ``Idempotency-Key`` in
        `extra_headers`, in any case, must not differ from it, and otherwise replaces the generated one."""
        timeout, _, extra_headers, extra_query, extra_body = options
        timeout = self.timeout if timeout is None else check_timeout(timeout)
        all_headers = dict(self.headers)
        _merge_headers(all_headers, headers, "headers")
        if extra_headers:
            extra = check_headers(extra_headers, "extra_headers")
            given = next((v for k, v in extra.items() if k.lower() == IDEMPOTENCY_HEADER.lower()), None)
            if given is not None and idempotency_key is not None and given != idempotency_key:
                raise ImagineoValidationError(
                    None,
                    [
                        FieldError(
                            field="extra_headers",
                            message=f"its {IDEMPOTENCY_HEADER} differs from idempotency_key: give the key once",
                        )
                    ],
                )
            if given is not None:
                check_idempotency_key(given)
            _merge_headers(all_headers, extra, "extra_headers")
        if extra_query:
            query = {**(query or {}), **check_extra_query(extra_query)}
        if extra_body:
            if not isinstance(body, dict):
                raise ImagineoValidationError(
                    None,
                    [FieldError(field="extra_body", message="this call sends no JSON object body to merge it into")],
                )
            body = {**body, **check_extra_body(extra_body)}
        return _new_request(http, method, self.target(path, query), body, all_headers, timeout)


def _new_idempotency_key() -> str:
    import uuid  # here rather than at the top: uuid imports platform, a tenth of what ``import imagineo`` adds

    return str(uuid.uuid4())


_STOCK_BUILD_REQUEST = httpx.Client.build_request  # httpx.AsyncClient inherits the same function
_NO_BODY: Any = object()


def _new_request(
    http: httpx.Client | httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    body: Any,
    headers: Mapping[str, str],
    timeout: Any,
) -> httpx.Request:
    """The request ``http.build_request(method, url, json=body, headers=headers, timeout=timeout)`` builds.

    build_request turns `headers` into an httpx.Headers and then merges it into a copy of the client's, one
    case-insensitive lookup and removal at a time (about a tenth of a call's CPU, more than all of the SDK's
    validation). Here the client's headers that `headers` does not override are kept, in order, with their original
    names, and `headers` follows, which is the list build_request ends up with. A client with cookies or query
    params to merge, or whose build_request is overridden, gets its own build_request.
    """
    json_body = None if body is _NO_BODY else body
    if type(http).build_request is not _STOCK_BUILD_REQUEST or http.cookies or http.params:
        return http.build_request(method, url, json=json_body, headers=headers, timeout=timeout)
    overridden = {name.lower().encode() for name in headers}
    merged: list[tuple[Any, Any]] = [(k, v) for k, v in http.headers.raw if k.lower() not in overridden]
    merged.extend(headers.items())
    return httpx.Request(
        method, url, json=json_body, headers=merged, extensions={"timeout": httpx.Timeout(timeout).as_dict()}
    )


@functools.cache
def _endpoint(module: str) -> Any:
    """The generated endpoint module of an operation (with it, the attrs models it imports)."""
    return importlib.import_module(module)


def _build(
    settings: Settings,
    http: httpx.Client | httpx.AsyncClient,
    operation_id: str,
    params: dict[str, Any],
    input: object,
    fields: dict[str, Any],
    options: tuple[Any, Any, Any, Any, Any],
) -> tuple[httpx.Request, int]:
    """Validate one call of `operation_id` and build its request; returns it with the call's max_retries."""
    op = catalog.OPERATIONS[operation_id]
    if op["deprecated"]:
        warnings.warn(
            f"{op['resource']}.{op['name']} ({operation_id}) is deprecated in the API's spec",
            DeprecationWarning,
            stacklevel=_models.user_stacklevel(),
        )
    declared = {p["python_name"]: p for p in op["parameters"]}
    # The operation's Idempotency-Key parameter, if it declares one: the caller's key, else a fresh UUID4; the request
    # object is re-sent as is, so every retry carries it.
    key_param = next(
        (n for n, p in declared.items() if p["location"] == "header" and p["name"] == IDEMPOTENCY_HEADER), None
    )
    values = {name: value for name, value in params.items() if name != key_param}
    kwargs_in = _models.check_params(operation_id, values)
    for name, value in values.items():
        if value is not None and declared[name].get("deprecated"):
            warnings.warn(f"{name} is deprecated", DeprecationWarning, stacklevel=_models.user_stacklevel())
    given = params.get(key_param) if key_param is not None else None
    key = check_idempotency_key(given) if given is not None else None
    if key_param is not None:
        # An Idempotency-Key in extra_headers (any case) replaces this one when the request is built (Settings.request).
        kwargs_in[key_param] = key if key is not None else _new_idempotency_key()
    body = op["body"]
    if body is not None:
        kwargs_in["body"] = _models.prepare_body(body, _collect(op, input, fields))
    elif input is not None or fields:
        raise TypeError(f"{op['resource']}.{op['name']}() takes no body; got {', '.join(sorted(fields)) or 'an input'}")
    kwargs = _endpoint(op["module"]).build_request(**kwargs_in)
    json_body = kwargs.get("json", _NO_BODY)
    query = {k: v for k, v in (kwargs.get("params") or {}).items() if v is not None}
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
    request = settings.request(
        http,
        kwargs["method"].upper(),
        kwargs["url"],
        query,
        headers,
        json_body,
        options,
        key,
    )
    retries = settings.max_retries if options[1] is None else check_retries(options[1])
    return request, retries


def _collect(op: Mapping[str, Any], input: object, fields: dict[str, Any]) -> Mapping[str, Any]:
    """The call's body fields, from keyword arguments, one mapping, or a generated input model."""
    name = f"{op['resource']}.{op['name']}()"
    if input is None:
        return plain_fields(fields)
    if fields:
        raise TypeError(
            f"{name} takes the fields either as keyword arguments or as one input, not both; "
            f"got an input and {', '.join(sorted(fields))}"
        )
    if isinstance(input, Mapping):
        return plain_fields(input)
    to_dict = getattr(input, "to_dict", None)
    if callable(to_dict) and type(input).__module__.startswith("imagineo_api.models"):
        return to_dict()  # type: ignore[no-any-return]
    raise TypeError(f"{name} input must be a mapping or an imagineo_api.models input model, got {type(input).__name__}")


class SyncCaller:
    """The sync client's pipeline, as ``imagineo_api.resources.SyncCaller`` (the generated methods) calls it.

    `pool` gives the httpx client to send through, asked at each call: the client's pool for the current process
    (a forked child gets its own)."""

    __slots__ = ("pool", "settings")

    def __init__(self, settings: Settings, pool: Callable[[], httpx.Client]) -> None:
        self.settings = settings
        self.pool = pool

    def call(
        self,
        operation_id: str,
        params: dict[str, Any],
        input: object,
        fields: dict[str, Any],
        options: tuple[Any, Any, Any, Any, Any],
        raw: bool,
    ) -> Any:
        http = self.pool()
        request, retries = _build(self.settings, http, operation_id, params, input, fields, options)
        response = _send.send(http, request, retries, self.settings.limits)
        return _response.respond(operation_id, response, raw, False)

    def download(self, result: object, dest: str | os.PathLike[str], options: Mapping[str, Any]) -> list[Path]:
        from . import _download

        given = options.get("http_client")
        return _download.download(result, dest, **{**options, "http_client": given or self.pool()})  # type: ignore[arg-type]

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
        options: tuple[Any, Any, Any, Any, Any],
        idempotency_key: str | None,
        cast_to: Any,
        raw: bool,
    ) -> Any:
        http = self.pool()
        request, retries = _generic(self.settings, http, method, path, params, body, headers, options, idempotency_key)
        response = _send.send(http, request, retries, self.settings.limits)
        return _response.respond_generic(cast_to, response, raw, False)


class AsyncCaller:
    """The async client's pipeline (``imagineo_api.resources.AsyncCaller``); `pool` gives the httpx client of the
    running event loop and process."""

    __slots__ = ("pool", "settings")

    def __init__(self, settings: Settings, pool: Callable[[], httpx.AsyncClient]) -> None:
        self.settings = settings
        self.pool = pool

    async def call(
        self,
        operation_id: str,
        params: dict[str, Any],
        input: object,
        fields: dict[str, Any],
        options: tuple[Any, Any, Any, Any, Any],
        raw: bool,
    ) -> Any:
        http = self.pool()
        request, retries = _build(self.settings, http, operation_id, params, input, fields, options)
        response = await _send.send_async(http, request, retries, self.settings.limits)
        return _response.respond(operation_id, response, raw, True)

    async def download(self, result: object, dest: str | os.PathLike[str], options: Mapping[str, Any]) -> list[Path]:
        from . import _download

        given = options.get("http_client")
        return await _download.download_async(result, dest, **{**options, "http_client": given or self.pool()})  # type: ignore[arg-type]

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
        options: tuple[Any, Any, Any, Any, Any],
        idempotency_key: str | None,
        cast_to: Any,
        raw: bool,
    ) -> Any:
        http = self.pool()
        request, retries = _generic(self.settings, http, method, path, params, body, headers, options, idempotency_key)
        response = await _send.send_async(http, request, retries, self.settings.limits)
        return _response.respond_generic(cast_to, response, raw, True)


_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _generic(
    settings: Settings,
    http: httpx.Client | httpx.AsyncClient,
    method: str,
    path: str,
    params: Mapping[str, Any] | None,
    body: Any,
    headers: Mapping[str, str] | None,
    options: tuple[Any, Any, Any, Any, Any],
    idempotency_key: str | None,
) -> tuple[httpx.Request, int]:
    """A call the spec does not describe (yet), through the same settings and transport."""
    method = str(method).upper()
    if method not in _METHODS:
        raise ImagineoValidationError(
            None, [FieldError(field="method", message=f"must be one of {sorted(_METHODS)}; got {method!r}")]
        )
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//") or "#" in path or "?" in path:
        raise ImagineoValidationError(
            None,
            [
                FieldError(
                    field="path",
                    message="must be a path relative to api_url, starting with one '/', without '?' or '#' "
                    f"(give query parameters as params=); got {path!r:.80}",
                )
            ],
        )
    query = check_extra_query(params) if params else None
    extra = check_headers(headers, "headers") if headers else {}
    if method in ("POST", "PATCH"):
        key = check_idempotency_key(idempotency_key) if idempotency_key is not None else None
        if key is None:
            key = next((v for k, v in extra.items() if k.lower() == IDEMPOTENCY_HEADER.lower()), None)
        extra = {k: v for k, v in extra.items() if k.lower() != IDEMPOTENCY_HEADER.lower()}
        extra[IDEMPOTENCY_HEADER] = key if key is not None else _new_idempotency_key()
    json_body = _NO_BODY if body is None else check_extra_body(body) if isinstance(body, Mapping) else body
    if json_body is not _NO_BODY and not isinstance(json_body, dict):
        import json

        try:
            json.dumps(json_body, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ImagineoValidationError(
                None, [FieldError(field="body", message=f"must be JSON: {exc}"[:200])]
            ) from None
    request = settings.request(http, method, path, query, extra, json_body, options, None)
    retries = settings.max_retries if options[1] is None else check_retries(options[1])
    return request, retries
