"""A client library for accessing ImagineoAI API"""

# generator/templates/package_init.py.jinja: the clients are imported on first use (PEP 562), so a program that
# reads only imagineo_api.catalog does not load httpx and attrs through this file.
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
