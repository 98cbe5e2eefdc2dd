"""Shared by the examples: the client comes from IMAGINEO_API_URL and IMAGINEO_API_KEY (e.g. `imagineo sandbox`)."""

from imagineo import ImagineoAIClient


def client() -> ImagineoAIClient:
    return ImagineoAIClient()  # api_url and api_key from the environment
