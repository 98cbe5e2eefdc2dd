"""Saving a result's images: `download` and `download_async`, behind ``client.images.download``.

One path for every download of the SDK (the CLI's ``--output`` and ``batch --download-dir`` call it too):

* **Which images.** Every URL of the result: ``image_urls`` when the run made several, else ``image_url``.
* **Where.** `dest` is a file name: one image is saved as `dest`; several as ``<stem>-1<suffix>``,
  ``<stem>-2<suffix>``... beside it (``cat.png`` -> ``cat-1.png``, ``cat-2.png``). When `dest` is an existing
  directory, the images go inside it as ``image<suffix>`` (``image-1<suffix>``...). When the name has no suffix,
  it is the one of the format the image's bytes are (``.png``, ``.jpg``, ``.gif``, ``.webp``, ``.avif``). Its
  directory must exist. The paths written are returned, in the result's order.
* **Only images.** A body is accepted only when its first bytes are the signature of a PNG, JPEG, GIF, WebP or
  AVIF image (`image_format`), whatever its Content-Type says: a missing Content-Type, ``application/octet-stream``
  or a lying ``image/png`` on an HTML page, JSON or an SVG is a `DownloadError`. An explicit non-image
  Content-Type (``text/html``) is refused as soon as the answer's head arrives.
* **All or nothing, atomically.** Each image goes to a temporary file beside its final name
  (``.imagineo-<random>.part``, so the rename stays on one file system), is checked (status 200, an image
  signature, every byte Content-Length announced, the size cap), flushed and fsynced; only when *every* image of
  the result has arrived whole are they renamed over their final names with `os.replace`. On any failure, Ctrl-C
  and cancellation included, every temporary file is removed: a final name holds either the whole new image or
  whatever it held before. (Should the rename step itself fail, say a final name is a directory, the error names
  the files already renamed.)
* **Through the caller's transport, never with the API key.** ``client.images.download`` sends the image requests
  through the transport the client's httpx client would use for the image URL (`RoutedTransport`): the
  ``http_client`` given to the client (its proxy, mTLS, custom or mock transport, ``imagineo.testing``'s
  ``sandbox_transport()``), else the SDK's own pool, which honours the environment's proxies (``HTTPS_PROXY``...,
  httpx's ``trust_env``); ``download(..., http_client=...)`` names another httpx client to route through. Only the
  transport is borrowed: none of that client's headers, auth, cookies or event hooks, and none of the SDK's headers
  (no ``Authorization``) go with an image request, and no ``.netrc`` is read, so nothing of the caller's
  credentials reaches an image host, which is often a third party's CDN. An image URL that needs the API key is
  therefore not supported. To bypass environment proxies, give the client (or ``download``) an
  ``httpx.Client(trust_env=False)``.
* **Redirects** are followed (CDNs redirect to signed or regional URLs), at most `MAX_REDIRECTS` hops, to http(s)
  only; since no credential is sent, none can leak along the way. Plain ``http`` image URLs are accepted for the
  same reason (no key travels; the sandbox serves its images over loopback http).
* **Bounded.** `max_bytes` (default `DEFAULT_MAX_IMAGE_BYTES`, 64 MiB) caps each image, as received and once
  decompressed; the SDK asks for ``identity`` and inflates a gzip/deflate body itself in bounded steps, so a small
  compressed bomb is refused after `max_bytes`. `timeout` is httpx's per-operation timeout (default 60 s, 10 s to
  connect) and `attempt_timeout` (default 600 s, None for none) bounds each image from the request to its last
  byte, so a host dripping one byte at a time cannot hold a call. Images are fetched one after the other, once each
  (no retries: call again).
* **Errors.** Whatever the image host does (an error status, a redirect loop, an HTML page, a truncated or huge or
  undecodable body, a body that is not an image, a stall) and whatever the disk does (no space, no permission)
  ends in `DownloadError`; an argument the SDK cannot use (`max_bytes` of 0, a `dest` that is not a path, an
  `http_client` that is not an httpx client) is an ImagineoValidationError. An exception raised by the caller's
  own `progress` callback propagates unchanged (after the clean-up).
* **Progress.** ``progress(index, bytes_done, bytes_total)`` is called once when an image's answer starts
  (``bytes_done`` 0) and after every chunk written, with ``index`` the image's position in the result (0-based),
  ``bytes_done`` the bytes written so far for that image and ``bytes_total`` its Content-Length, or None when the
  host does not announce one (or compresses the body).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from . import _deadline
from ._bounded import Inflater
from ._checks import _invalid, check_attempt_timeout, check_timeout
from ._exceptions import APIError, DownloadError, safe_repr
from ._version import __version__

if TYPE_CHECKING:
    from imagineo_api.models import GenerateImageOutput
    from imagineo_api.results import GenerateImageOutput as Result

__all__ = [
    "DEFAULT_DOWNLOAD_ATTEMPT_TIMEOUT",
    "DEFAULT_DOWNLOAD_TIMEOUT",
    "DEFAULT_MAX_IMAGE_BYTES",
    "MAX_REDIRECTS",
    "Progress",
    "download",
    "download_async",
]

DEFAULT_MAX_IMAGE_BYTES = 64 << 20  # 64 MiB: a 4096x4096 PNG is some 20-50 MiB
DEFAULT_DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_DOWNLOAD_ATTEMPT_TIMEOUT = 600.0
MAX_REDIRECTS = 5
_BINARY_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})
#: How many first bytes of a body `image_format` looks at.
SIGNATURE_BYTES = 16


def image_format(head: bytes) -> tuple[str, str] | None:
    """(name, suffix) of the image format whose signature `head` (a body's first bytes) starts with, else None.

    PNG, JPEG, GIF, WebP and AVIF: the formats image APIs and CDNs serve. Anything else (an HTML error page, JSON,
    an SVG, which is text that can carry script) is not accepted as an image, whatever its Content-Type says."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG", ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG", ".jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF", ".gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP", ".webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "AVIF", ".avif"
    return None


#: ``progress(index, bytes_done, bytes_total)``: see the module docstring.
Progress = Callable[[int, int, "int | None"], object]


def _shown(url: str) -> str:
    """The URL for a message: without its query (a signed URL's signature) or user info, and never long."""
    try:
        parsed = httpx.URL(url)
        text = str(parsed.copy_with(query=None, fragment=None, username=None, password=None))
    except Exception:
        return safe_repr(url, 120)
    return text if len(text) <= 120 else text[:117] + "..."


def _urls(result: object) -> list[str]:
    from imagineo_api.models import GenerateImageOutput
    from imagineo_api.results import GenerateImageOutput as Result

    if result is None:
        raise DownloadError("nothing to download: the result is None (the API answered 204 No Content)")
    if not isinstance(result, GenerateImageOutput | Result):
        raise _invalid("result", f"must be the GenerateImageOutput that generate returned; got {safe_repr(result)}")
    many = result.image_urls
    urls: list[Any] = list(many) if isinstance(many, list) and many else [result.image_url]  # Unset or None: one
    for index, url in enumerate(urls):
        problem = "is not a string" if not isinstance(url, str) else _url_problem(url)
        if problem:
            raise DownloadError(
                f"cannot download image {index + 1} of the result: its URL {safe_repr(url, 120)} {problem}",
                url=url if isinstance(url, str) else None,
                index=index,
            )
    return urls


def _url_problem(url: str) -> str | None:
    try:
        parsed = httpx.URL(url)
    except Exception:
        return "is not a valid URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "is not an absolute http(s) URL"
    return None


def _check_options(dest: object, max_bytes: object, progress: object, timeout: object, attempt_timeout: object) -> Any:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise _invalid("max_bytes", f"must be an integer number of bytes >= 1; got {safe_repr(max_bytes)}")
    if progress is not None and not callable(progress):
        raise _invalid("progress", f"must be a callable or None; got {safe_repr(progress)}")
    check_timeout(timeout)
    check_attempt_timeout(attempt_timeout)
    if not isinstance(dest, str | os.PathLike):
        raise _invalid("dest", f"must be a path (str or os.PathLike); got {safe_repr(dest)}")
    try:
        return Path(os.fspath(dest))
    except Exception:
        raise _invalid("dest", f"must be a path (str or os.PathLike); got {safe_repr(dest)}") from None


class _Part:
    """One image on its way to disk: a temporary file beside its final name, filled chunk by chunk."""

    def __init__(self, plan: _Plan, index: int, url: str) -> None:
        import tempfile

        self.plan, self.index, self.url = plan, index, url
        self.final: Path | None = None
        fd, name = tempfile.mkstemp(dir=plan.folder, prefix=".imagineo-", suffix=".part")
        self.tmp = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.raw = 0
        self.done = 0
        self.length: int | None = None
        self.inflater: Any = None
        self.media = ""
        self.head = b""  # the body's first bytes (decoded), until its signature is checked
        self.suffix: str | None = None  # the checked image format's suffix
        self.deadline = None if plan.attempt_timeout is None else time.monotonic() + plan.attempt_timeout

    def error(self, why: str, status_code: int | None = None) -> DownloadError:
        count = len(self.plan.urls)
        which = "the image" if count == 1 else f"image {self.index + 1} of {count}"
        return DownloadError(
            f"downloading {which} ({_shown(self.url)}) failed: {why}",
            url=self.url,
            index=self.index,
            status_code=status_code,
        )

    def start(self, response: httpx.Response) -> None:
        """Check the answer's head; name the final file; tell `progress` the total."""
        if response.status_code != 200:
            raise self.error(f"the image host answered HTTP {response.status_code}", response.status_code)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media and not media.startswith("image/") and media not in _BINARY_TYPES:
            raise self.error(f"the image host sent {safe_repr(media, 60)}, not an image")
        length = response.headers.get("content-length", "").strip()
        limit = self.plan.max_bytes
        if length.isdigit():
            self.length = int(length)
            if self.length > limit:
                raise self.error(f"it announces {self.length} bytes, more than max_bytes={limit}")
        encodings = [e.strip().lower() for e in response.headers.get_list("content-encoding", split_commas=True)]
        if response.is_stream_consumed:  # built with content= (an httpx.MockTransport's answer): already decoded
            encodings = []
        try:
            self.inflater = Inflater(response.request, encodings, limit)
        except APIError as exc:
            raise self.error(exc.message) from None
        self.media = media
        self._report(self.length if not self.inflater.stages else None)

    def add(self, chunk: bytes) -> None:
        limit = self.plan.max_bytes
        self.raw += len(chunk)
        if self.raw > limit:
            raise self.error(f"it is larger than max_bytes={limit}")
        try:
            data = self.inflater.feed(chunk)
        except APIError as exc:
            raise self.error(exc.message) from None
        if self.inflater.total > limit:
            raise self.error(f"it is larger than max_bytes={limit} once decompressed")
        if self.suffix is None and data:
            self.head += data[: SIGNATURE_BYTES - len(self.head)]
            if len(self.head) >= SIGNATURE_BYTES:
                self._check_signature()
        self.file.write(data)
        self.done += len(data)
        self._report(self.length if not self.inflater.stages else None)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise self.error(f"it took longer than attempt_timeout={self.plan.attempt_timeout:g} s")

    def _report(self, total: int | None) -> None:
        if self.plan.progress is not None:
            self.plan.progress(self.index, self.done, total)

    def _check_signature(self) -> None:
        """Accept the body only if its first bytes are an image's signature, whatever the Content-Type said."""
        found = image_format(self.head)
        if found is None:
            said = f"Content-Type {safe_repr(self.media, 60)}" if self.media else "no Content-Type"
            raise self.error(
                f"the body is not an image ({said}; it starts with {safe_repr(self.head[:12])}, which is not the "
                "signature of a PNG, JPEG, GIF, WebP or AVIF image)"
            )
        self.suffix = found[1]

    def finish(self) -> None:
        if self.length is not None and self.raw != self.length:
            raise self.error(f"the body was cut off: got {self.raw} of the {self.length} bytes announced")
        if self.done == 0:
            raise self.error("the body was empty")
        if self.suffix is None:
            self._check_signature()  # a body shorter than SIGNATURE_BYTES
        assert self.suffix is not None
        self.final = self.plan.final_name(self.index, self.suffix)
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.tmp, 0o666 & ~_umask())

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Plan:
    """One call: the checked arguments, the URLs, the final names, and the temporary files made so far."""

    def __init__(
        self, result: object, dest: object, max_bytes: object, progress: object, timeout: Any, attempt_timeout: Any
    ) -> None:
        path = _check_options(dest, max_bytes, progress, timeout, attempt_timeout)
        self.max_bytes: int = max_bytes  # type: ignore[assignment]
        self.progress: Progress | None = progress  # type: ignore[assignment]
        self.timeout = timeout
        self.attempt_timeout: float | None = attempt_timeout
        self.urls = _urls(result)
        self.folder: Path
        if path.is_dir():
            self.folder, self.stem, self.suffix = path, "image", ""
        else:
            self.folder = path.parent
            self.stem, self.suffix = (path.stem, path.suffix) if path.suffix else (path.name, "")
        if not self.folder.is_dir():
            raise DownloadError(f"cannot save to {path}: the directory {self.folder} does not exist")
        self.parts: list[_Part] = []

    def final_name(self, index: int, format_suffix: str) -> Path:
        """The image's final name: `dest`'s suffix when it has one, else the suffix of the format its bytes are."""
        number = f"-{index + 1}" if len(self.urls) > 1 else ""
        return self.folder / f"{self.stem}{number}{self.suffix or format_suffix}"

    def new_part(self, index: int, url: str) -> _Part:
        try:
            part = _Part(self, index, url)
        except OSError as exc:
            raise DownloadError(f"cannot write to {self.folder}: {exc.strerror or exc}", url=url, index=index) from None
        self.parts.append(part)
        return part

    @contextlib.contextmanager
    def fetching(self, part: _Part) -> Iterator[None]:
        """Turn whatever the image host, httpx or the disk raises into the part's DownloadError."""
        try:
            yield
        except DownloadError:
            raise
        except (httpx.TimeoutException, TimeoutError):
            raise part.error("timed out") from None
        except httpx.TooManyRedirects:
            raise part.error(f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.RemoteProtocolError as exc:
            if part.length is not None and part.raw < part.length:
                why = f"the body was cut off: got {part.raw} of the {part.length} bytes announced"
            else:
                why = f"the image host broke the HTTP protocol ({exc})"
            raise part.error(why) from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise part.error(f"{type(exc).__name__}: {exc}") from None
        except OSError as exc:
            raise part.error(f"cannot write {part.tmp}: {exc.strerror or exc}") from None

    def commit(self) -> list[Path]:
        """Rename every finished temporary file over its final name; the paths, in the result's order."""
        written: list[Path] = []
        for part in self.parts:
            assert part.final is not None
            try:
                os.replace(part.tmp, part.final)
            except OSError as exc:
                done = ", ".join(map(str, written)) or "none"
                raise DownloadError(
                    f"cannot save {part.final}: {exc.strerror or exc} (already saved: {done})",
                    url=part.url,
                    index=part.index,
                ) from None
            written.append(part.final)
        self.parts = []
        return written

    def discard(self) -> None:
        for part in self.parts:
            part.discard()


class RoutedTransport(httpx.BaseTransport):
    """Sends each request through the transport `client` would use for its URL (its proxy mounts, environment
    proxies when it trusts the environment, mTLS, a custom or mock transport), and nothing else of `client`: not
    its headers, auth, cookies or event hooks. Closing it leaves `client` open (it is the caller's)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport: httpx.BaseTransport = _transport_for(self._client, request.url)
        return transport.handle_request(request)

    def close(self) -> None:
        pass


class AsyncRoutedTransport(httpx.AsyncBaseTransport):
    """The async twin of `RoutedTransport`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport: httpx.AsyncBaseTransport = _transport_for(self._client, request.url)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        pass


def _transport_for(client: Any, url: httpx.URL) -> Any:
    """httpx's own choice of transport for `url` (a mounted proxy, or the client's transport)."""
    choose = getattr(client, "_transport_for_url", None)
    return choose(url) if callable(choose) else client._transport


def _check_http_client(http_client: object, cls: type[Any]) -> None:
    if http_client is not None and not isinstance(http_client, cls):
        raise _invalid("http_client", f"must be an httpx.{cls.__name__} (or None); got {safe_repr(http_client)}")


def _http_options(timeout: Any) -> dict[str, Any]:
    return {
        "timeout": timeout,
        "follow_redirects": True,
        "max_redirects": MAX_REDIRECTS,
        "trust_env": False,  # proxies come from the client whose transport is used; no .netrc credentials
        "headers": {
            "User-Agent": f"imagineo-python/{__version__}",
            "Accept": "image/*",
            "Accept-Encoding": "identity",
        },
    }


def download(
    result: GenerateImageOutput | Result | None,
    dest: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    progress: Progress | None = None,
    timeout: float | httpx.Timeout | None = DEFAULT_DOWNLOAD_TIMEOUT,
    attempt_timeout: float | None = DEFAULT_DOWNLOAD_ATTEMPT_TIMEOUT,
    http_client: httpx.Client | None = None,
) -> list[Path]:
    """Save every image of `result` under `dest` (see the module docstring); returns the paths written.

    The images travel through `http_client`'s transport (`RoutedTransport`); None: a new httpx client's, which
    honours the environment's proxies."""
    _check_http_client(http_client, httpx.Client)
    plan = _Plan(result, dest, max_bytes, progress, timeout, attempt_timeout)
    route = http_client if http_client is not None else httpx.Client()
    if http_client is None:
        _deadline.watch_deadlines(route)  # every socket operation waits no longer than the image has left
    try:
        with httpx.Client(transport=RoutedTransport(route), **_http_options(timeout)) as http:
            for index, url in enumerate(plan.urls):
                part = plan.new_part(index, url)
                with plan.fetching(part), _deadline.deadline(part.deadline):
                    with http.stream("GET", url) as response:
                        part.start(response)
                        for chunk in response.iter_raw() if not response.is_stream_consumed else [response.content]:
                            part.add(chunk)
                    part.finish()
        return plan.commit()
    finally:
        plan.discard()
        if http_client is None:
            route.close()


async def download_async(
    result: GenerateImageOutput | Result | None,
    dest: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    progress: Progress | None = None,
    timeout: float | httpx.Timeout | None = DEFAULT_DOWNLOAD_TIMEOUT,
    attempt_timeout: float | None = DEFAULT_DOWNLOAD_ATTEMPT_TIMEOUT,
    http_client: httpx.AsyncClient | None = None,
) -> list[Path]:
    """The async twin of `download` (each image is cancelled at its `attempt_timeout`)."""
    import anyio

    _check_http_client(http_client, httpx.AsyncClient)
    plan = _Plan(result, dest, max_bytes, progress, timeout, attempt_timeout)
    route = http_client if http_client is not None else httpx.AsyncClient()
    try:
        async with httpx.AsyncClient(transport=AsyncRoutedTransport(route), **_http_options(timeout)) as http:
            for index, url in enumerate(plan.urls):
                part = plan.new_part(index, url)
                with plan.fetching(part):
                    limit = anyio.fail_after(attempt_timeout) if attempt_timeout is not None else None
                    with limit if limit is not None else contextlib.nullcontext():
                        async with http.stream("GET", url) as response:
                            part.start(response)
                            if response.is_stream_consumed:  # built with content= by a mock transport
                                part.add(response.content)
                            else:
                                async for chunk in response.aiter_raw():
                                    part.add(chunk)
                    part.finish()
        return plan.commit()
    finally:
        plan.discard()
        if http_client is None:
            await route.aclose()
