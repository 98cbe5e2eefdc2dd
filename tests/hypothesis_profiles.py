"""Hypothesis settings and shared strategies for tests/test_differential.py and tests/test_response_parsing.py.

Two profiles, chosen with the HYPOTHESIS_PROFILE environment variable:

* ``default`` (what ``make test`` and CI run): every property test below gets ``max_examples`` examples, which adds up
  to more than 2,000 examples across the model types in about a minute; derandomized, so a run is reproducible and an
  ``xfail(strict=True)`` that documents a known disagreement fails (or passes) the same way every time.
* ``ci-deep`` (``HYPOTHESIS_PROFILE=ci-deep make test``): ten times the examples, random seeds, for a nightly hunt.

The profiles are registered as ``imagineo-default`` / ``imagineo-ci-deep`` and applied per test (``@PROFILE``), never
loaded globally, so they do not change the settings of any other Hypothesis test in the suite. ``database=None``:
nothing is written to .hypothesis/; a failure is reproduced from the falsifying example Hypothesis prints.
"""

from __future__ import annotations

import os
import string
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    # hypothesis-jsonschema's object strategies and our filters are slow by Hypothesis' standards, by design.
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
}

settings.register_profile("imagineo-default", max_examples=100, derandomize=True, **_COMMON)
settings.register_profile("imagineo-ci-deep", max_examples=1000, derandomize=False, **_COMMON)

PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "default")
if PROFILE_NAME not in ("default", "ci-deep"):
    # Another suite's profile name: ours keep their defaults rather than failing the import.
    PROFILE_NAME = "default"

#: The settings every property test in the differential modules runs with (``@PROFILE``).
PROFILE: settings = settings.get_profile(f"imagineo-{PROFILE_NAME}")


def scaled(factor: float) -> settings:
    """PROFILE with ``factor`` times its max_examples (for tests that need more, or fewer, than the base count)."""
    return settings(PROFILE, max_examples=max(1, round(PROFILE.max_examples * factor)))


# -- strategies shared by the property tests ---------------------------------------------------------------------------
#
# hypothesis-jsonschema has no strategy for `format: uuid` (it falls back to the `pattern`, which is fine), and for
# `format: uri` it uses its own ``https://<domain>`` strings and applies the `pattern` only as a filter: never http,
# never a port, path, query or fragment. So both formats get strategies of our own (passed as ``custom_formats``;
# hypothesis-jsonschema still checks each drawn string against jsonschema's format checker and the schema's pattern).

_ALNUM = string.ascii_letters + string.digits
#: RFC 3986 pchar without pct-encoded: unreserved, sub-delims, ":" and "@".
_PCHAR = _ALNUM + "-._~" + "!$&'()*+,;=" + ":@"
_HEX = string.hexdigits


def _pct_encoded() -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(_HEX), st.sampled_from(_HEX)).map(lambda t: "%" + t[0] + t[1])


def _chars(extra: str, pct: bool) -> st.SearchStrategy[str]:
    piece: st.SearchStrategy[str] = st.sampled_from(_PCHAR + extra)
    if pct:
        piece = piece | _pct_encoded()
    return st.lists(piece, max_size=10).map("".join)


def _url(scheme: str, host: str, port: int | None, path: list[str], query: str | None, fragment: str | None) -> str:
    return (
        f"{scheme}://{host}"
        + (f":{port}" if port is not None else "")
        + "".join("/" + segment for segment in path)
        + (f"?{query}" if query is not None else "")
        + (f"#{fragment}" if fragment is not None else "")
    )


def http_urls(pct: bool = True) -> st.SearchStrategy[str]:
    """Absolute http(s) URLs that are RFC 3986 URIs AND match the spec's HttpUrl pattern: host, port, path, query,
    fragment, percent-encoding (``pct=False``: none, so inserting one character can never make a bad ``%`` escape)."""
    return st.builds(
        _url,
        st.sampled_from(["http", "https"]),
        st.text(_ALNUM + ".-", min_size=1, max_size=24),
        st.none() | st.integers(0, 99999),
        st.lists(_chars("", pct), max_size=4),
        st.none() | _chars("/?", pct),
        st.none() | _chars("/?", pct),
    )


#: The spec's ModelId pattern, as a strategy (mixed case, any version and variant bits: the spec constrains none).
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
uuids: st.SearchStrategy[str] = st.from_regex(UUID_PATTERN, fullmatch=True)

#: ``custom_formats`` for hypothesis_jsonschema.from_schema.
CUSTOM_FORMATS: dict[str, st.SearchStrategy[str]] = {"uri": http_urls(), "uuid": uuids}

#: JSON values of every type, for type swaps and unknown fields (no NaN or infinity: they are not JSON).
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
