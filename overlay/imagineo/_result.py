"""What ``images.generate`` returns on a 200: the generated ``GenerateImageOutput`` plus ``_request_id``.

openai-python users read ``result._request_id`` (the ``x-request-id`` header of the answer) on a success. The
generated ``imagineo_api.models.GenerateImageOutput`` is a slotted attrs class (no attribute can be added to its
instances) and is never edited by hand, so the overlay subclasses it here, as an attrs class with one more attribute:

* ``_request_id`` (``str | None``, None when the answer had no ``x-request-id``) is not an ``__init__`` argument,
  and is left out of ``repr()``, ``==`` and ``to_dict()``: it describes the answer, not the run.
* Everything else (``image_url``, ``run_id``, ``additional_properties``, ``result["extra"]``, ``to_dict()``,
  ``from_dict()``) is the generated class's, and ``isinstance(result, imagineo_api.models.GenerateImageOutput)``
  holds. One difference: attrs' ``==`` compares classes, so a result equals another result, not a generated
  ``GenerateImageOutput`` built by hand with the same fields (compare ``to_dict()`` for that).

Like openai-python's, the name starts with an underscore although it is public; pyright's strict mode reports that
access (reportPrivateUsage), so strict-pyright code may prefer ``images.with_raw_response.generate(...)`` and its
``.request_id``. A 204 returns None, which carries nothing: its request id is on the raw response too.

This module imports the generated models, so it is imported on first use (by parsing, or by reading
``imagineo.GenerateImageOutput``), not by ``import imagineo``.
"""

from __future__ import annotations

import attrs
from imagineo_api.models import GenerateImageOutput as _GeneratedOutput

__all__ = ["GenerateImageOutput", "with_request_id"]


@attrs.define
class GenerateImageOutput(_GeneratedOutput):
    """The result of a run (the spec's GenerateImageOutput), with ``_request_id``: the answer's ``x-request-id``."""

    _request_id: str | None = attrs.field(default=None, init=False, repr=False, eq=False)
    """The ``x-request-id`` header of the answer this result came from (None when there was none)."""


_FIELDS = tuple(field.name for field in attrs.fields(_GeneratedOutput))


def with_request_id(parsed: _GeneratedOutput, request_id: str | None) -> GenerateImageOutput:
    """`parsed` (what the generated parser built) as the overlay's class, carrying `request_id`.

    The generated class's attributes are copied by name from ``attrs.fields``, so a field the spec adds is carried
    over with no change here; the objects they hold (``additional_properties``, lists) are shared, not copied."""
    result = object.__new__(GenerateImageOutput)
    for name in _FIELDS:
        object.__setattr__(result, name, getattr(parsed, name))
    result._request_id = request_id
    return result
