"""Typed keyword arguments for ``images.generate``, re-exported from the generated ``imagineo_api.call_signatures``.

Every name here is generated from the spec by generator/catalog.py (one ``*Params`` TypedDict per model type, with
the per-call options of `RequestOptions`; `DefaultModelParams` for calls that leave ``model_type`` out), so a model
type added to the spec gets its typed overload after ``make generate``. This module only gives them a stable home in
the ``imagineo`` package; import it for annotations (it loads the generated models).
"""

from imagineo_api.call_signatures import *  # noqa: F403 - the generated names, whatever the spec's model types are
from imagineo_api.call_signatures import __all__ as __all__
