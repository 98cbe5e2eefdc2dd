"""``client.images.download``: every image of a result saved atomically, never with the API key, bounded.

The image host is a real HTTP server on loopback (`tests.loopback.LoopbackServer`, or a raw socket server for bodies
no well-behaved server sends); the multi-image run comes from the sandbox with a body derived from the spec.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from imagineo import (
    AsyncImagineoAIClient,
    DownloadError,
    GenerateImageOutput,
    ImagineoAIClient,
    ImagineoValidationError,
)
from imagineo.testing import Sandbox, sandbox_server

from tests import spec_cases
from tests.loopback import LoopbackServer

SECRET = "sk-download-secret-0123456789"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
IMAGE = {"Content-Type": "image/png"}


def several_images_body(sandbox: Sandbox) -> dict[str, Any]:
    """A body whose run makes two images: found, not hard-coded, as the first integer field of a model type (in the
    spec's order) whose maximum is above 1 and whose value 2 makes the sandbox answer with two image_urls."""
    with sandbox.client(max_retries=0) as client:
        for model_type, schema in spec_cases.VARIANTS.items():
            for name, prop in schema.get("properties", {}).items():
                if prop.get("type") != "integer" or prop.get("maximum", 0) <= 1 or prop.get("minimum", 1) > 2:
                    continue
                body = {**spec_cases.EXAMPLE_FOR[model_type], name: 2}
                try:
                    result = client.images.generate(body)
                except ImagineoValidationError:
                    continue  # width=2, say: below the field's minimum
                if result is not None and isinstance(result.image_urls, list) and len(result.image_urls) == 2:
                    return body
    raise AssertionError("no model type of the spec makes the sandbox answer with several images")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with sandbox_server() as server:
        yield server


def result_for(*urls: str) -> GenerateImageOutput:
    output = GenerateImageOutput(image_url=urls[0])
    if len(urls) > 1:
        output.image_urls = list(urls)
    return output


class RawServer:
    """Answers each connection with the next of `answers`, raw bytes, then closes it."""

    def __init__(self, *answers: bytes) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/image.png"
        self.answers = list(answers)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        for answer in self.answers:
            conn, _ = self.sock.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

    def close(self) -> None:
        self.sock.close()


def only_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_one_image_is_saved_without_the_api_key_reaching_the_image_host(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Catches a download that goes through the API client's headers: the image host (here the API's own host, the
    worst case) must see no Authorization header and the key in no header at all; and the bytes must be exact."""
    loopback.enqueue(200, {"image_url": f"{loopback.url}/img/0.png", "run_id": "r1"})
    loopback.enqueue(200, body=PNG, headers=IMAGE)
    with ImagineoAIClient(loopback.url, api_key=SECRET) as client:
        result = client.images.generate(prompt="A cat")
        paths = client.images.download(result, tmp_path / "cat.png")
    assert paths == [tmp_path / "cat.png"]
    assert paths[0].read_bytes() == PNG
    api, image = loopback.requests
    assert api.headers["authorization"] == f"Bearer {SECRET}"  # the API call had it...
    assert image.method == "GET" and image.path == "/img/0.png"
    assert "authorization" not in image.headers  # ...the image request does not
    assert not any(SECRET in value for value in image.headers.values())
    assert only_files(tmp_path) == ["cat.png"]


def test_async_saves_every_image_of_a_result_numbered_in_order(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Catches saving only the first image of a multi-image result, or numbering them out of the result's order."""
    urls = [f"{loopback.url}/img/{i}.png" for i in range(3)]
    loopback.enqueue(200, {"image_url": urls[0], "image_urls": urls, "run_id": "r1"})
    for i in range(3):
        loopback.enqueue(200, body=PNG + bytes([i]), headers=IMAGE)

    async def main() -> list[Path]:
        async with AsyncImagineoAIClient(loopback.url, api_key=SECRET) as client:
            result = await client.images.generate(prompt="A cat")
            return await client.images.download(result, tmp_path / "cat.png")

    paths = asyncio.run(main())
    assert paths == [tmp_path / f"cat-{i}.png" for i in (1, 2, 3)]
    assert [p.read_bytes()[-1] for p in paths] == [0, 1, 2]
    assert [r.path for r in loopback.requests[1:]] == ["/img/0.png", "/img/1.png", "/img/2.png"]
    assert all("authorization" not in r.headers for r in loopback.requests[1:])


def test_a_sandbox_run_with_several_images_saves_each_png(sandbox: Sandbox, tmp_path: Path) -> None:
    """Catches a download path that breaks on the sandbox's real multi-image answers (sync and async, into a
    directory): each file must be exactly the PNG the sandbox serves at that URL."""
    body = several_images_body(sandbox)
    with sandbox.client() as client:
        result = client.images.generate(body)
        assert result is not None and isinstance(result.image_urls, list)
        paths = client.images.download(result, tmp_path)  # a directory: image-1.png, image-2.png
        served = [httpx.get(url).content for url in result.image_urls]
    assert paths == [tmp_path / "image-1.png", tmp_path / "image-2.png"]
    assert [p.read_bytes() for p in paths] == served
    assert served[0] != served[1]

    async def again() -> list[Path]:
        async with sandbox.async_client() as client:
            return await client.images.download(result, tmp_path / "async")  # no suffix: from Content-Type

    assert asyncio.run(again()) == [tmp_path / "async-1.png", tmp_path / "async-2.png"]
    assert (tmp_path / "async-2.png").read_bytes() == served[1]


def test_progress_is_called_with_growing_byte_counts(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Catches a progress callback that is never called, called with the chunk size instead of the running total,
    or without the total the host announced."""
    big = PNG * 40  # some 400 KB: several chunks
    loopback.enqueue(200, body=big, headers=IMAGE)
    calls: list[tuple[int, int, int | None]] = []
    paths = ImagineoAIClient(loopback.url, api_key=SECRET).images.download(
        result_for(f"{loopback.url}/big.png"), tmp_path / "big.png", progress=lambda *a: calls.append(a)
    )
    assert paths[0].read_bytes() == big
    assert calls[0] == (0, 0, len(big))
    done = [c[1] for c in calls]
    assert done == sorted(done) and done[-1] == len(big) and len(set(done)) > 2
    assert {c[0] for c in calls} == {0} and {c[2] for c in calls} == {len(big)}


def test_an_existing_file_is_replaced_whole(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Catches writing into the destination in place: the old file must be replaced by the new image, with no
    temporary file left beside it."""
    dest = tmp_path / "cat.png"
    dest.write_bytes(b"old image")
    loopback.enqueue(200, body=PNG, headers=IMAGE)
    ImagineoAIClient(loopback.url, api_key=SECRET).images.download(result_for(f"{loopback.url}/a.png"), dest)
    assert dest.read_bytes() == PNG
    assert only_files(tmp_path) == ["cat.png"]


def test_a_failed_second_image_leaves_every_file_as_it_was(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Catches renaming each image into place as it arrives: when image 2 of 2 fails, image 1's file must still hold
    what it held before (all or nothing), and no temporary file may remain."""
    (tmp_path / "cat-1.png").write_bytes(b"previous 1")
    loopback.enqueue(200, body=PNG, headers=IMAGE)
    loopback.enqueue(503, body=b"busy", headers={"Content-Type": "text/plain"})
    client = ImagineoAIClient(loopback.url, api_key=SECRET)
    with pytest.raises(DownloadError) as caught:
        client.images.download(result_for(f"{loopback.url}/1.png", f"{loopback.url}/2.png"), tmp_path / "cat.png")
    assert caught.value.status_code == 503 and caught.value.index == 1
    assert "image 2 of 2" in str(caught.value)
    assert (tmp_path / "cat-1.png").read_bytes() == b"previous 1"
    assert only_files(tmp_path) == ["cat-1.png"]


def test_past_the_size_cap_is_a_download_error_and_no_file(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Catches a missing size cap: an announced length past max_bytes, and a small gzip body that inflates past it
    (a bomb), must both end in DownloadError with nothing written."""
    client = ImagineoAIClient(loopback.url, api_key=SECRET)
    loopback.enqueue(200, body=PNG, headers=IMAGE)
    with pytest.raises(DownloadError, match="max_bytes=100"):
        client.images.download(result_for(f"{loopback.url}/a.png"), tmp_path / "a.png", max_bytes=100)
    bomb = gzip.compress(PNG[:16] + b"\0" * (4 << 20))  # a bomb that starts like a PNG
    assert len(bomb) < 10_000
    loopback.enqueue(200, body=bomb, headers={**IMAGE, "Content-Encoding": "gzip"})
    with pytest.raises(DownloadError, match="once decompressed"):
        client.images.download(result_for(f"{loopback.url}/b.png"), tmp_path / "b.png", max_bytes=1 << 20)
    assert only_files(tmp_path) == []


def test_a_truncated_body_is_a_download_error_and_the_old_file_stays(tmp_path: Path) -> None:
    """Catches keeping a cut-off image: a body shorter than its Content-Length must fail, leaving the previous file
    untouched and no temporary file."""
    dest = tmp_path / "image.png"
    dest.write_bytes(b"previous")
    server = RawServer(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 10000\r\n\r\n" + PNG[:100])
    try:
        with pytest.raises(DownloadError, match="cut off"):
            ImagineoAIClient("http://127.0.0.1:1", api_key=SECRET).images.download(result_for(server.url), dest)
    finally:
        server.close()
    assert dest.read_bytes() == b"previous"
    assert only_files(tmp_path) == ["image.png"]


def test_redirects_are_followed_a_few_times_and_never_carry_the_key(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Catches not following a CDN's redirect, following one for ever, or adding the key along the way."""
    client = ImagineoAIClient(loopback.url, api_key=SECRET)
    loopback.enqueue(302, body=b"", headers={"Location": f"{loopback.url}/signed.png"})
    loopback.enqueue(200, body=PNG, headers=IMAGE)
    assert client.images.download(result_for(f"{loopback.url}/a.png"), tmp_path / "a.png")[0].read_bytes() == PNG
    assert [r.path for r in loopback.requests] == ["/a.png", "/signed.png"]
    for _ in range(10):
        loopback.enqueue(302, body=b"", headers={"Location": f"{loopback.url}/loop.png"})
    with pytest.raises(DownloadError, match="redirects"):
        client.images.download(result_for(f"{loopback.url}/loop.png"), tmp_path / "b.png")
    assert all("authorization" not in r.headers for r in loopback.requests)
    assert only_files(tmp_path) == ["a.png"]


def test_what_is_not_an_image_is_a_download_error(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Catches saving a CDN's HTML error page (status 200) or an error status as if it were the image, and a result
    that has nothing to download."""
    client = ImagineoAIClient(loopback.url, api_key=SECRET)
    loopback.enqueue(200, body=b"<html>login</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(DownloadError, match="not an image"):
        client.images.download(result_for(f"{loopback.url}/a.png"), tmp_path / "a.png")
    loopback.enqueue(404, body=b"gone", headers=IMAGE)
    with pytest.raises(DownloadError) as caught:
        client.images.download(result_for(f"{loopback.url}/a.png?sig=s3cr3t"), tmp_path / "a.png")
    assert caught.value.status_code == 404
    assert "s3cr3t" not in str(caught.value)  # a signed URL's query is not shown
    with pytest.raises(DownloadError, match="204"):
        client.images.download(None, tmp_path / "a.png")
    with pytest.raises(DownloadError, match="http"):
        client.images.download(result_for("ftp://example.com/a.png"), tmp_path / "a.png")
    with pytest.raises(DownloadError, match="does not exist"):
        client.images.download(result_for(f"{loopback.url}/a.png"), tmp_path / "missing" / "a.png")
    assert only_files(tmp_path) == []


def test_unusable_arguments_are_validation_errors(tmp_path: Path) -> None:
    """Catches a raw TypeError or ValueError from deep inside for arguments the SDK can check up front."""
    client = ImagineoAIClient("http://127.0.0.1:1", api_key=SECRET)
    result = result_for("http://127.0.0.1:1/a.png")
    for kwargs, field in (
        ({"max_bytes": 0}, "max_bytes"),
        ({"max_bytes": True}, "max_bytes"),
        ({"progress": 5}, "progress"),
        ({"timeout": -1}, "timeout"),
        ({"attempt_timeout": float("nan")}, "attempt_timeout"),
    ):
        with pytest.raises(ImagineoValidationError) as caught:
            client.images.download(result, tmp_path / "a.png", **kwargs)
        assert caught.value.errors[0].field == field
    with pytest.raises(ImagineoValidationError):
        client.images.download(result, 42)  # type: ignore[arg-type]
    with pytest.raises(ImagineoValidationError):
        client.images.download({"image_url": "http://x/a.png"}, tmp_path / "a.png")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# Issue 18, item 8: only images are saved, whatever the Content-Type says

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
GIF = b"GIF89a" + bytes(range(200))
HTML = b"<!doctype html><html><body>Please log in</body></html>"


def raw_answer(body: bytes, content_type: str | None) -> bytes:
    head = "HTTP/1.1 200 OK\r\n" + (f"Content-Type: {content_type}\r\n" if content_type else "")
    return (head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def test_a_body_is_saved_only_when_its_bytes_are_an_image_whatever_the_content_type_says(tmp_path: Path) -> None:
    """Catches saving an HTML page answered 200 with no Content-Type (or with a lying ``image/png``, or as
    octet-stream) as ``cat.png``: the body's first bytes must be a PNG, JPEG, GIF, WebP or AVIF signature, else
    DownloadError and no file; a real image under a wrong or missing type is saved, named by what its bytes are."""
    client = ImagineoAIClient("http://127.0.0.1:1", api_key=SECRET)
    refused = [(HTML, None), (HTML, "image/png"), (b'{"error": "expired"}', "application/octet-stream"), (b"GIF", None)]
    for body, content_type in refused:
        server = RawServer(raw_answer(body, content_type))
        try:
            with pytest.raises(DownloadError, match="not an image") as caught:
                client.images.download(result_for(server.url), tmp_path / "cat.png")
        finally:
            server.close()
        assert ("no Content-Type" if content_type is None else content_type) in str(caught.value)
        assert only_files(tmp_path) == []
    accepted = [(JPEG, None, ".jpg"), (GIF, "image/png", ".gif"), (PNG, "application/octet-stream", ".png")]
    for body, content_type, suffix in accepted:
        server = RawServer(raw_answer(body, content_type))
        try:
            [path] = client.images.download(result_for(server.url), tmp_path / "cat")  # no suffix: the bytes' own
        finally:
            server.close()
        assert path == tmp_path / f"cat{suffix}" and path.read_bytes() == body


# ---------------------------------------------------------------------------------------------------------------
# Issue 18, item 10: downloads go through the user's transport, never with the key


def test_downloads_use_the_clients_http_client_transport_but_none_of_its_headers_or_auth(tmp_path: Path) -> None:
    """Catches a download that ignores the ``http_client`` the client was given (its proxy, mTLS, mock transport:
    here an httpx.MockTransport, so a download outside it fails to resolve), or one that sends that client's headers,
    cookies or the API key to the image host; and an explicit ``http_client=`` of download that is not used."""
    seen: list[httpx.Request] = []

    def api_and_images(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(200, json={"image_url": "https://cdn.example.invalid/r/0.png", "run_id": "r1"})
        return httpx.Response(200, content=PNG, headers=IMAGE)

    http = httpx.Client(
        transport=httpx.MockTransport(api_and_images),
        headers={"X-Team-Token": "team-secret"},
        cookies={"session": "team-secret"},
    )
    with ImagineoAIClient("https://api.example.invalid", api_key=SECRET, http_client=http) as client:
        result = client.images.generate(prompt="A cat")
        [path] = client.images.download(result, tmp_path / "cat.png")
        assert path.read_bytes() == PNG
        post, image = seen
        assert post.headers["authorization"] == f"Bearer {SECRET}"
        assert image.method == "GET" and image.url == "https://cdn.example.invalid/r/0.png"
        for name, value in image.headers.items():
            assert name.lower() not in ("authorization", "x-team-token", "cookie"), name
            assert SECRET not in value and "team-secret" not in value
        other: list[httpx.Request] = []

        def images(request: httpx.Request) -> httpx.Response:
            other.append(request)
            return httpx.Response(200, content=PNG, headers=IMAGE)

        images_only = httpx.Client(transport=httpx.MockTransport(images))
        client.images.download(result, tmp_path / "again.png", http_client=images_only)
        assert len(other) == 1 and len(seen) == 2  # the explicit client carried it, the API's did not
    with pytest.raises(ImagineoValidationError) as caught:
        client.images.download(result, tmp_path / "x.png", http_client="proxy")  # type: ignore[arg-type]
    assert caught.value.errors[0].field == "http_client"


def test_an_app_that_generates_and_downloads_runs_offline_on_the_sandbox_transport(tmp_path: Path) -> None:
    """Catches ``images.download`` bypassing ``imagineo.testing.sandbox_transport()``: before, it opened its own
    connection to ``sandbox.imagineo.invalid`` and failed with "Name or service not known", so app code that
    generates *and* downloads could not be tested offline (sync and async)."""
    from imagineo.testing import sandbox_transport

    sandbox = sandbox_transport()
    with sandbox.client() as client:
        result = client.images.generate(prompt="A cat")
        [path] = client.images.download(result, tmp_path / "cat.png")
        assert path.read_bytes() == sandbox.http_client().get(result.image_url).content

    async def main() -> list[Path]:
        async with sandbox.async_client() as client:
            again = await client.images.generate(prompt="A dog")
            explicit = await client.images.download(again, tmp_path / "dog2", http_client=sandbox.async_http_client())
            with pytest.raises(ImagineoValidationError):
                await client.images.download(again, tmp_path / "x", http_client=httpx.Client())  # type: ignore[arg-type]
            return [*await client.images.download(again, tmp_path / "dog"), *explicit]

    dog, dog2 = asyncio.run(main())
    assert dog == tmp_path / "dog.png" and dog.read_bytes().startswith(b"\x89PNG")
    assert dog2.read_bytes() == dog.read_bytes()
    assert sandbox.stats()["images_served"] == 4


def test_environment_proxies_are_honoured_unless_the_client_is_told_not_to(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches downloads that ignore ``HTTP_PROXY``/``HTTPS_PROXY`` (they fail behind a corporate proxy): the image
    request must reach the proxy (here the loopback server, which sees the absolute URL) without the key; with an
    ``httpx.Client(trust_env=False)`` the environment is not used."""
    monkeypatch.setenv("HTTP_PROXY", loopback.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    loopback.enqueue(200, body=PNG, headers=IMAGE)
    result = result_for("http://images.example.invalid/r/0.png")
    with ImagineoAIClient("https://api.example.invalid", api_key=SECRET) as client:
        [path] = client.images.download(result, tmp_path / "cat.png")
    assert path.read_bytes() == PNG
    [through_proxy] = loopback.requests
    assert through_proxy.path == "http://images.example.invalid/r/0.png"
    assert not any(SECRET in value for value in through_proxy.headers.values())
    direct = httpx.Client(trust_env=False)
    client = ImagineoAIClient("https://api.example.invalid", api_key=SECRET, http_client=direct)
    with pytest.raises(DownloadError):
        client.images.download(result, tmp_path / "direct.png")
    assert len(loopback.requests) == 1
