"""``imagineo batch INPUT.jsonl --out RESULTS.jsonl``: many generations that never pay twice.

Input: one JSON object per line, the generate fields plus an ``id`` (a non-empty string or an integer, unique in
the file). Blank lines are ignored.

Output: one JSON object per input line, appended to RESULTS as soon as that line is finished, flushed and fsynced,
so a kill loses nothing that finished: ``{"id", "line", "status", ...}`` where status is

* ``ok``: ``image_url`` (and ``image_urls`` when the run made several), ``run_id``, ``model_type``;
* ``no_content``: the API answered 204 (accepted, nothing to return);
* ``invalid``: the line's fields break the spec (the overlay's validation; nothing was sent): ``error``, ``errors``;
* ``error``: the API refused the request for good (400, 404, 409, 422): ``error``, ``status_code``, ``request_id``.

Every line also carries the ``idempotency_key`` it was (or would have been) sent with.

**Exactly once.** Each request's Idempotency-Key is derived from the input line, never random:

    key = "batch-" + uuid5(BATCH_KEY_NAMESPACE, canonical JSON of {"id": <id>, "input": <the line minus id>})

where canonical JSON is ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)``. A request
cut off mid-flight (Ctrl-C, kill, network loss) and sent again by a re-run carries the same key with the same body,
so the API returns the original run instead of starting a second paid one. The derivation is a compatibility
promise: changing it would make a resumed batch pay again, and tests pin it. Two lines (or two batch files) with
the same id and content share a key and so one run; give a new id to generate again on purpose.

**Resuming.** A re-run reads RESULTS first and skips every id that has a line there (the last line for an id
wins). A trailing half-written line (the process was killed mid-write) is cut off first. If a done id's content has
changed since, it is skipped with a warning when it succeeded (give it a new id to run it again) and run again when
it had failed (the line was fixed). Failures that may pass on a later attempt (connection errors, timeouts, 401,
403, 408, 429, 5xx, a malformed answer, after the SDK's own retries) are reported on stderr and *not* written, so
re-running the same command retries them, with the same keys.

Lines that are not JSON objects, have no usable ``id`` or repeat an earlier line's id are reported on stderr with
their line number and skipped; the batch goes on. Exit status: 0 when every line is done with status ok (or
no_content), 1 when any request failed at the API or network, otherwise 2 when any line was invalid; 130 on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import _models
from .._client import AsyncImagineoAIClient
from .._exceptions import APIError, APIStatusError, ImagineoValidationError
from .ui import EXIT_API, EXIT_OK, EXIT_USAGE, UI, describe_api_error

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["BATCH_KEY_NAMESPACE", "FINAL_STATUSES", "idempotency_key", "run_batch"]

#: Fixed forever: the namespace of batch Idempotency-Keys (see the module docstring).
BATCH_KEY_NAMESPACE = uuid.UUID("6f1d8a52-3c47-5e0b-9a1e-7b2c4d8e9f30")

#: API statuses that will not change on a later attempt: written to RESULTS as final.
FINAL_STATUSES = frozenset({400, 404, 409, 422})


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def idempotency_key(item_id: object, fields: Mapping[str, Any]) -> str:
    """The Idempotency-Key of one batch line: a function of its id and content only."""
    return "batch-" + str(uuid.uuid5(BATCH_KEY_NAMESPACE, canonical_json({"id": item_id, "input": dict(fields)})))


@dataclass
class Job:
    line: int
    item_id: str | int
    fields: dict[str, Any]
    key: str

    @property
    def id_key(self) -> str:
        return json.dumps(self.item_id)


@dataclass
class Summary:
    total: int = 0
    skipped: int = 0
    ok: int = 0
    invalid: int = 0
    final_errors: int = 0
    retryable: int = 0
    warnings: list[str] = field(default_factory=list)


class ResultLog:
    """RESULTS.jsonl: read the done ids, then append one fsynced line per finished input."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    def load(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """(id -> last record, warnings); cuts off a trailing half-written line."""
        done: dict[str, dict[str, Any]] = {}
        warnings: list[str] = []
        if not self.path.exists():
            return done, warnings
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            warnings.append(f"{self.path}: removed a half-written last line (the previous run was interrupted)")
            with self.path.open("r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
            data = data[:end]
        for number, raw in enumerate(data.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                warnings.append(f"{self.path} line {number}: not JSON; ignored")
                continue
            if isinstance(record, dict) and "id" in record:
                done[json.dumps(record["id"])] = record
        return done, warnings

    def open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)

    def append(self, record: Mapping[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read_jobs(path: Path, done: Mapping[str, Mapping[str, Any]], ui: UI, log: ResultLog, summary: Summary) -> list[Job]:
    """The lines still to run. Invalid lines are reported; lines failing validation are recorded as invalid."""
    jobs: list[Job] = []
    first_line: dict[str, int] = {}
    with path.open("rb") as fh:
        for number, raw_bytes in enumerate(fh, 1):
            if not raw_bytes.strip():
                continue
            summary.total += 1
            try:
                raw = raw_bytes.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem, job = f"not UTF-8 ({exc.reason} at byte {exc.start})", None
            else:
                problem, job = _parse_line(number, raw)
            if job is not None and job.id_key in first_line:
                problem, job = f"duplicate id {job.item_id!r} (first on line {first_line[job.id_key]})", None
            if job is None:
                summary.invalid += 1
                ui.error(f"{path} line {number}: {problem}; skipped")
                continue
            first_line[job.id_key] = number
            previous = done.get(job.id_key)
            if previous is not None:
                status = previous.get("status")
                changed = previous.get("idempotency_key") not in (None, job.key)
                if not changed or status in ("ok", "no_content"):
                    summary.skipped += 1
                    if status == "invalid":
                        summary.invalid += 1
                    elif status == "error":
                        summary.final_errors += 1
                    if changed:
                        summary.warnings.append(
                            f"{path} line {number}: id {job.item_id!r} is already done but its input has changed "
                            "since; skipped (give it a new id to generate it again)"
                        )
                    continue
            try:
                _models.prepare(job.fields)
            except ImagineoValidationError as exc:
                summary.invalid += 1
                ui.error(f"{path} line {number} (id {job.item_id!r}): {exc}")
                log.append(
                    {
                        "id": job.item_id,
                        "line": number,
                        "status": "invalid",
                        "error": str(exc),
                        "errors": [dict(e) for e in exc.errors],
                        "idempotency_key": job.key,
                    }
                )
                continue
            jobs.append(job)
    return jobs


def _parse_line(number: int, raw: str) -> tuple[str, Job | None]:
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        return f"not JSON ({exc})", None
    if not isinstance(obj, dict):
        return f"must be a JSON object, got {type(obj).__name__}", None
    if "id" not in obj:
        return "has no id", None
    item_id = obj.pop("id")
    if isinstance(item_id, bool) or not isinstance(item_id, str | int) or item_id == "":
        return f"id must be a non-empty string or an integer, got {item_id!r}", None
    try:
        key = idempotency_key(item_id, obj)
    except ValueError as exc:  # NaN or Infinity in the line
        return f"cannot be sent as JSON ({exc})", None
    return "", Job(number, item_id, obj, key)


async def _run_jobs(
    jobs: list[Job], client: AsyncImagineoAIClient, concurrency: int, log: ResultLog, ui: UI, summary: Summary
) -> None:
    pending: Iterator[Job] = iter(jobs)
    with ui.counter("Generating", len(jobs)) as progress:

        def tick() -> None:
            if progress is not None:
                status = f"ok {summary.ok}  failed {summary.final_errors + summary.retryable}"
                progress.update(progress.task_ids[0], advance=1, status=status)

        async def worker() -> None:
            for job in pending:  # one shared iterator: each job is taken by exactly one worker
                await _run_one(job, client, log, ui, summary, progress)
                tick()

        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(jobs))):
                group.create_task(worker())


async def _run_one(
    job: Job, client: AsyncImagineoAIClient, log: ResultLog, ui: UI, summary: Summary, progress: Progress | None
) -> None:
    base: dict[str, Any] = {"id": job.item_id, "line": job.line}
    try:
        result = await client.images.generate(job.fields, idempotency_key=job.key)
    except APIStatusError as exc:
        if exc.status_code not in FINAL_STATUSES:
            _retryable(job, exc, ui, summary, progress)
            return
        message = describe_api_error(exc)
        summary.final_errors += 1
        ui.error(f"line {job.line} (id {job.item_id!r}): {message}", progress=progress)
        log.append(
            {
                **base,
                "status": "error",
                "error": message,
                "status_code": exc.status_code,
                "request_id": exc.request_id,
                "idempotency_key": job.key,
            }
        )
        return
    except APIError as exc:
        _retryable(job, exc, ui, summary, progress)
        return
    summary.ok += 1
    if result is None:
        log.append({**base, "status": "no_content", "image_url": None, "idempotency_key": job.key})
        return
    output = result.to_dict()
    record = {**base, "status": "ok", "image_url": output.get("image_url")}
    for name in ("image_urls", "run_id", "model_type"):
        if name in output:
            record[name] = output[name]
    record["idempotency_key"] = job.key
    log.append(record)


def _retryable(job: Job, exc: APIError, ui: UI, summary: Summary, progress: Progress | None) -> None:
    """A failure a later attempt may not have: reported, not recorded, so a re-run retries it with the same key."""
    summary.retryable += 1
    ui.error(
        f"line {job.line} (id {job.item_id!r}): {describe_api_error(exc)} (not recorded: re-run to retry it)",
        progress=progress,
    )


def run_batch(
    input_path: Path,
    out_path: Path,
    *,
    concurrency: int,
    client_options: Mapping[str, Any],
    ui: UI,
) -> int:
    """The ``batch`` command; returns the exit status."""
    if not input_path.is_file():
        ui.error(f"{input_path}: no such file")
        return EXIT_USAGE
    if out_path.exists() and out_path.resolve() == input_path.resolve():
        ui.error("--out must not be the input file")
        return EXIT_USAGE
    if not out_path.parent.is_dir():
        ui.error(f"--out {out_path}: the directory {out_path.parent} does not exist")
        return EXIT_USAGE
    if out_path.is_dir():
        ui.error(f"--out {out_path}: is a directory; give a file name")
        return EXIT_USAGE
    log = ResultLog(out_path)
    summary = Summary()
    done, warnings = log.load()
    for warning in warnings:
        ui.message(f"imagineo: warning: {warning}")
    client = AsyncImagineoAIClient(**client_options)  # raises ImagineoError for a missing URL or key
    log.open()
    try:
        jobs = read_jobs(input_path, done, ui, log, summary)
        for warning in summary.warnings:
            ui.message(f"imagineo: warning: {warning}")
        if jobs:

            async def main() -> None:
                async with client:
                    await _run_jobs(jobs, client, concurrency, log, ui, summary)

            try:
                asyncio.run(main())
            except KeyboardInterrupt:
                ui.message(
                    f"imagineo: interrupted: {summary.ok} done in this run; every finished line is in {out_path}; "
                    "re-run the same command to continue (same Idempotency-Keys: nothing is paid twice)"
                )
                raise
    finally:
        log.close()
    failed = summary.final_errors + summary.retryable
    ui.message(
        f"imagineo: batch: {summary.total} lines: {summary.ok} done now, {summary.skipped} already done, "
        f"{summary.invalid} invalid, {failed} failed"
        + (f" ({summary.retryable} not recorded: re-run to retry)" if summary.retryable else "")
        + f"; results in {out_path}"
    )
    if failed:
        return EXIT_API
    if summary.invalid:
        return EXIT_USAGE
    return EXIT_OK
