"""Drives the `-g python` client that OpenAPI Generator makes from the spec, as a Python team would use it.

    python openapi_generator_python.py <client dir> <calls.json> <sandbox URL>

`calls.json` (written by tests/test_other_generators.py) lists the calls: ``id``, ``kind`` and ``call``, the dict a
team's code passes to the client (wire names, `model_type` set, defaults left to the client). For each one the
runner builds the request model (``GenerateImageInput.from_dict``: the client's own checks run here) and sends it
with ``RunsApi.generate_run``; a call with ``"fault": "204"`` also sends the sandbox's ``X-Sandbox-Fault`` header.
It prints one JSON line per call: ``outcome`` ``refused`` (the client raised before sending; ``message``),
``answered`` (``status``; ``run_id`` on a 200, ``fields`` named by a 422's ``details``, ``empty_result`` on a 204).
It judges nothing: the test does, with tools/conformance.py's rule.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any


def main(client_dir: str, calls_path: str, url: str) -> int:
    sys.path.insert(0, client_dir)
    import imagineo_client
    from imagineo_client.exceptions import ApiException
    from imagineo_client.models import GenerateImageInput

    with open(calls_path) as f:
        calls: list[dict[str, Any]] = json.load(f)
    config = imagineo_client.Configuration(host=url, access_token="sk-other-generators")
    with imagineo_client.ApiClient(config) as api:
        runs = imagineo_client.RunsApi(api)
        for call in calls:
            record: dict[str, Any] = {"id": call["id"], "kind": call["kind"]}
            headers = {"X-Sandbox-Fault": call["fault"]} if "fault" in call else None
            try:
                model = GenerateImageInput.from_dict(call["call"])
            except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
                record.update(outcome="refused", message=str(error))
            else:
                try:
                    result = runs.generate_run(model, idempotency_key=str(uuid.uuid4()), _headers=headers)
                except ApiException as error:
                    body = json.loads(error.body) if error.body else {}
                    fields = [d.get("field") for d in body.get("details", [])]
                    record.update(outcome="answered", status=error.status, fields=fields)
                except (ValueError, TypeError) as error:
                    record.update(outcome="refused", message=str(error))
                else:
                    if result is None:
                        record.update(outcome="answered", status=204, empty_result=None)
                    else:
                        record.update(outcome="answered", status=200, run_id=result.run_id)
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
