"""Several generations at once with the async client."""

import asyncio

from imagineo import AsyncImagineoAIClient


async def main() -> None:
    async with AsyncImagineoAIClient() as client:
        prompts = ["A red fox in snow", "A lighthouse at night", "A bowl of ramen"]
        results = await asyncio.gather(*(client.images.generate(prompt=p, width=512, height=512) for p in prompts))
        for prompt, result in zip(prompts, results, strict=True):
            print(prompt, "->", result.image_url if result else "(no content)")


asyncio.run(main())
