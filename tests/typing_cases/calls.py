"""Calls both type checkers must accept, or flag: a comment line "# E: <mypy's words> | <pyright's words>" marks the
line after it, and an empty side means that checker accepts the line.

tests/test_overlay_typing.py runs mypy --strict and pyright (strict, as this file's first comment asks) on this file
and compares each checker's errors with the markers, so the typed surface of images.generate and
images.with_raw_response.generate cannot drift from the spec unnoticed.

The common mistakes on a call (a missing or misspelled field, a wrong model_type, a wrong type) are in mistakes.py,
with the words each checker prints for them; README "Typing" has the table of what each checker says.
"""
# pyright: strict

from imagineo import APIResponse, AsyncAPIResponse, AsyncImagineoAIClient, GenerateImageOutput, ImagineoAIClient
from imagineo_api.models import GoogleImagen4Input

client = ImagineoAIClient("https://api.example.com", api_key="sk-...")
result: GenerateImageOutput | None = client.images.generate(prompt="A cat", width=512, height=512)
urls: list[str] = (result.image_urls or []) if result is not None else []
if result is not None:  # an absent optional field is None, typed X | None: never the generated package's Unset
    maybe_urls: list[str] | None = result.image_urls
    run_id: str | None = result.run_id
    for url in result.image_urls or []:
        print(url.upper(), run_id, maybe_urls)
client.images.generate(prompt="A cat", model_type="flux-dev", width=512, timeout=30.0, max_retries=0)
client.images.generate(prompt="City", model_type="google-imagen4", aspect_ratio="16:9")
client.images.generate(
    prompt="p", model_type="wan-image-2.1", model_id="3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b", width=64, height=64
)
client.images.generate({"prompt": "p", "model_type": "nanobanana"}, idempotency_key="k")
client.images.generate(GoogleImagen4Input(prompt="p", model_type="google-imagen4", aspect_ratio="1:1"))

# E: No overload variant | "Literal['7:3']" cannot be assigned to parameter "aspect_ratio"
client.images.generate(prompt="p", model_type="flux-kontext-max", aspect_ratio="7:3")

# The request id, under openai-python's name: pyright's strict mode reports the underscore (mypy does not).
if result is not None:
    # E:  | "_request_id" is protected
    request_id: str | None = result._request_id

# with_raw_response.generate: the same overloads, returning the raw answer around the result.
raw: APIResponse[GenerateImageOutput | None] = client.images.with_raw_response.generate(prompt="p", width=512)
remaining: str | None = raw.headers.get("x-ratelimit-remaining-requests")
raw_request_id: str | None = raw.request_id
status: int = raw.status_code
parsed: GenerateImageOutput | None = raw.parse()
client.images.with_raw_response.generate({"prompt": "p"}, extra_headers={"X-Trace": "t"})
# E: No overload variant | No overloads for "generate"
client.images.with_raw_response.generate(prompt="City", model_type="google-imagen4")
# E: Incompatible types in assignment | is not assignable to declared type "str"
wrong: str = raw.status_code


async def main() -> None:
    async with AsyncImagineoAIClient("https://api.example.com", api_key="sk-...") as aclient:
        out = await aclient.images.generate(prompt="p", model_type="nanobanana")
        if out is not None:
            url: str = out.image_url
            print(url)
        # E: No overload variant | No overloads for "generate"
        await aclient.images.generate(prompt="p", model_type="qwen-image-edit")
        araw: AsyncAPIResponse[GenerateImageOutput | None] = await aclient.images.with_raw_response.generate(
            prompt="p", model_type="nanobanana"
        )
        aparsed: GenerateImageOutput | None = await araw.parse()
        print(araw.headers.get("x-request-id"), aparsed)
        # E: No overload variant | No overloads for "generate"
        await aclient.images.with_raw_response.generate(prompt="p", model_type="qwen-image-edit")
