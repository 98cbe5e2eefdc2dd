"""``imagineo batch INPUT.jsonl --out RESULTS.jsonl``: many generations that never pay twice.

Input: one JSON object per line, the generate fields plus an ``id`` (a non-empty string or an integer, unique in
the file). Blank lines are ignored.

INPUT may start with a UTF-8 BOM, and may be ``-`` (standard input), a FIFO or a process substitution: it is read
once, from start to end.

Output: one JSON object per input line, appended to RESULTS as soon as that line is finished, flushed and fsynced,
so a kill loses nothing that finished: ``{"id", "line", "status", ...}`` where status is

* ``ok``: every field of the result (``result.to_dict()``: ``image_url``, ``image_urls`` when the run made
  several, ``run_id``, ``model_type``, and any field the spec adds or the server sends beyond it); a result field
  named like one of the line's own keys (`RECORD_KEYS`) is written as ``result_<name>``;
* ``no_content``: the API answered 204 (accepted, nothing to return);
* ``invalid``: the line's fields break the spec (the overlay's validation; nothing was sent): ``error``, ``errors``;
* ``error``: the API refused the request for good (400, 404, 409, 413, 422): ``error``, ``status_code``,
  ``request_id``; or the SDK could not handle the line at all (it raised something else, a RecursionError say):
  ``error`` and ``status_code: null``.

Every line also carries the ``idempotency_key`` it was (or would have been) sent with.

**Downloading** (``--download-dir DIR``): each ``ok`` line's images are saved in DIR by
``client.images.download`` before its result line is written, named from the id (`file_stem`, one-to-one):
``<stem>.png``, or ``<stem>-1.png``... when the run made several, and the result line gets ``files`` (the paths
written). Ids whose files could still meet (``Cat`` and ``cat`` on a case-insensitive disk, or a name RESULTS
records for another id) are refused before anything is sent (`check_file_names`): no file is written by two lines.
A download that fails is reported and the line is *not* recorded, like any failure a later attempt may not have: a
re-run sends the same Idempotency-Key, so the API returns the same paid run, and downloads it again. Lines already done
by an earlier run are not downloaded again.

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

**Exactly the same body on resume.** Each request's body is journaled in ``RESULTS.requests`` before it is first
sent, and a resumed key is sent with that body again, never one rebuilt by a newer SDK whose defaults changed
(`imagineo._cli.results`). **One batch per RESULTS**: a batch locks RESULTS while it runs; a second one is refused.

Lines that are not JSON objects, have no usable ``id`` or repeat an earlier line's id are reported on stderr with
their line number and skipped; so is any line the SDK cannot process (nested too deep to parse, a lone surrogate):
every line is handled inside its own boundary and the batch goes on. The summary counts each line once: done now,
already done, invalid, failed; they add up to the lines read. Exit status: 0 when every line is done with status ok (or
no_content), 1 when any request failed at the API or network, otherwise 3 when any line was invalid (every valid one
is done); 2 is a usage error (no input file, an unusable --out or --download-dir, RESULTS locked, no URL or key),
found before anything is read or sent; 130 on Ctrl-C, 128 + the signal's number on SIGTERM (143) or SIGHUP (129),
which stop the batch the same way (`signals`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import stat
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import httpx

from .. import _models
from .._client import AsyncImagineoAIClient
from .._download import AsyncRoutedTransport
from .._exceptions import APIError, APIStatusError, DownloadError, ImagineoValidationError
from . import signals
from .results import JournalTransport, RequestJournal, ResultLog, ResultsLockedError
from .text import printable
from .ui import EXIT_API, EXIT_INVALID_LINES, EXIT_OK, EXIT_USAGE, UI, describe_api_error

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = [
    "BATCH_KEY_NAMESPACE",
    "FINAL_STATUSES",
    "HASH_MARK",
    "RECORD_KEYS",
    "check_file_names",
    "file_stem",
    "idempotency_key",
    "run_batch",
]

#: Fixed forever: the namespace of batch Idempotency-Keys (see the module docstring).
BATCH_KEY_NAMESPACE = uuid.UUID("6f1d8a52-3c47-5e0b-9a1e-7b2c4d8e9f30")

#: API statuses that will not change on a later attempt: written to RESULTS as final.
FINAL_STATUSES = frozenset({400, 404, 409, 413, 422})

#: The keys a result line has of its own: a result field of the same name is written as ``result_<name>``.
RECORD_KEYS = frozenset(
    {"id", "line", "status", "error", "errors", "status_code", "request_id", "files", "idempotency_key"}
)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def idempotency_key(item_id: object, fields: Mapping[str, Any]) -> str:
    """The Idempotency-Key of one batch line: a function of its id and content only."""
    return "batch-" + str(uuid.uuid5(BATCH_KEY_NAMESPACE, canonical_json({"id": item_id, "input": dict(fields)})))


_PLAIN_STEM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,99}")
_NUMBERED = re.compile(r".*-[0-9]+")
_INTEGER_STEM = re.compile(r"-?[0-9]+")
#: Names Windows reserves whatever the suffix (``CON.png`` cannot be created there).
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
)
#: The one character of a hashed stem that no other stem has.
HASH_MARK = "~"


def file_stem(item_id: str | int) -> str:
    """The file name (without suffix) of a line's images: ``<stem>.png``, or ``<stem>-1.png``... for several.

    * an integer id is its decimal digits (``5`` -> ``5``, ``-3`` -> ``-3``);
    * a string id made only of letters, digits, ``_`` and ``-`` (at most 100, not starting with ``-``) is itself,
      unless it is all digits (``"5"`` would be the integer 5's name), ends in ``-<digits>`` (``"a-1"`` would be
      image 1 of ``"a"``) or is a name Windows reserves (``CON``);
    * any other string id is its letters, digits, ``_`` and ``-`` (others become ``_``; at most 60; no leading
      ``-``; ``id`` when nothing is left), then ``~`` and 16 hex digits of the SHA-256 of its JSON (``../a/b`` ->
      ``___a_b~<hash>``, ``"5"`` -> ``5~<hash>``).

    So no id names a path outside the directory, and the names of two ids never meet: the three kinds cannot share
    a stem (only hashed ones hold ``~``, only integers are all digits), no stem is another's followed by
    ``-<number>``, and `check_file_names` refuses, before any run, the rest (two hashes alike, or stems differing
    only in letter case, which are one file on macOS and Windows)."""
    if isinstance(item_id, int):
        return str(item_id)
    if (
        _PLAIN_STEM.fullmatch(item_id)
        and not _INTEGER_STEM.fullmatch(item_id)
        and not _NUMBERED.fullmatch(item_id)
        and item_id.upper() not in _RESERVED_NAMES
    ):
        return item_id
    digest = hashlib.sha256(json.dumps(item_id, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()
    prefix = re.sub(r"[^A-Za-z0-9_-]", "_", item_id)[:60].lstrip("-") or "id"
    return prefix + HASH_MARK + digest[:16]


def _stem_of_file(name: str) -> str:
    """The stem a saved file belongs to: its name without suffix and without a trailing ``-<number>``."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    numbered = re.fullmatch(r"(.+)-[0-9]+", stem)
    return numbered.group(1) if numbered and not _INTEGER_STEM.fullmatch(stem) else stem


def check_file_names(jobs: list[Job], done: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why `jobs` cannot all save into one directory (two ids whose files would share a name, compared without
    letter case), or None. The files earlier runs recorded (``files`` in RESULTS) count as taken by their id."""
    owner: dict[str, tuple[str, str]] = {}  # casefolded stem -> (id key, how to name it)
    for id_key, record in done.items():
        files = record.get("files")
        for path in files if isinstance(files, list) else []:
            if isinstance(path, str):
                stem = _stem_of_file(Path(path).name).casefold()
                owner.setdefault(stem, (id_key, f"id {record.get('id')!r} (recorded in RESULTS)"))
    for job in jobs:
        stem = file_stem(job.item_id)
        taken = owner.get(stem.casefold())
        if taken is not None and taken[0] != job.id_key:
            return (
                f"line {job.line} (id {job.item_id!r}) would save its images as {stem}..., as does {taken[1]} "
                "(file names are compared without letter case, as on macOS and Windows); give one of them another "
                "id. Nothing was sent."
            )
        owner[stem.casefold()] = (job.id_key, f"line {job.line} (id {job.item_id!r})")
    return None


@dataclass
class Job:
    line: int
    item_id: str | int
    fields: dict[str, Any]
    key: str
    journaled: bytes | None = None  # the body this key was first sent with, by an earlier run

    @property
    def id_key(self) -> str:
        return json.dumps(self.item_id)


@dataclass
class Summary:
    """Each line read is counted once, in one of: done now, already done, invalid, failed (or cut off by Ctrl-C)."""

    total: int = 0
    ok: int = 0
    already_done: int = 0
    invalid: int = 0
    invalid_before: int = 0  # of `invalid`: recorded so by an earlier run
    final_errors: int = 0
    errors_before: int = 0  # of `final_errors`: recorded so by an earlier run
    retryable: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.final_errors + self.retryable

    def line(self, out_path: Path) -> str:
        invalid = f"{self.invalid} invalid" + (
            f" ({self.invalid_before} recorded by an earlier run)" if self.invalid_before else ""
        )
        notes = []
        if self.errors_before:
            notes.append(f"{self.errors_before} recorded by an earlier run")
        if self.retryable:
            notes.append(f"{self.retryable} not recorded: re-run to retry")
        failed = f"{self.failed} failed" + (f" ({'; '.join(notes)})" if notes else "")
        return (
            f"imagineo: batch: {self.total} lines: {self.ok} done now, {self.already_done} already done, "
            f"{invalid}, {failed}; results in {out_path}"
        )


UTF8_BOM = b"\xef\xbb\xbf"
#: The INPUT that means standard input.
STDIN = "-"


def input_problem(path: Path) -> str | None:
    """Why INPUT cannot be read, or None: a regular file, ``-`` (standard input), a FIFO or a process
    substitution's ``/dev/fd/N`` all can; the input is read once, from start to end, so a pipe works as a file."""
    if str(path) == STDIN:
        return None
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return f"{path}: no such file"
    except OSError as exc:
        return f"{path}: cannot read it: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return f"{path}: is a directory; give the input file"
    return None


@contextlib.contextmanager
def open_input(path: Path) -> Iterator[BinaryIO]:
    """The input's bytes: standard input for ``-`` (not closed after), else the file, FIFO or pipe opened."""
    if str(path) == STDIN:
        yield sys.stdin.buffer
        return
    with path.open("rb") as fh:
        yield fh


def read_jobs(
    path: Path,
    done: Mapping[str, Mapping[str, Any]],
    ui: UI,
    log: ResultLog,
    summary: Summary,
    journal: RequestJournal | None = None,
) -> list[Job]:
    """The lines still to run. Invalid lines are reported; lines failing validation are recorded as invalid.

    Each line is handled inside its own boundary: whatever one line makes the SDK raise (RecursionError included)
    is that line's problem, reported with its number, and the next line is read.
    """
    jobs: list[Job] = []
    first_line: dict[str, int] = {}
    label = "<stdin>" if str(path) == STDIN else str(path)
    with open_input(path) as fh:
        for number, raw_bytes in enumerate(fh, 1):
            if number == 1 and raw_bytes.startswith(UTF8_BOM):  # a BOM (Windows editors, Excel's "UTF-8" export)
                raw_bytes = raw_bytes[len(UTF8_BOM) :]
            if not raw_bytes.strip():
                continue
            summary.total += 1
            try:
                job = _read_line(label, number, raw_bytes, first_line, done, ui, log, summary, journal)
            except Exception as exc:  # the per-line boundary: nothing a line holds stops the batch
                summary.invalid += 1
                ui.error(f"{label} line {number}: could not be processed ({_exception_text(exc)}); skipped")
                continue
            if job is not None:
                jobs.append(job)
    return jobs


def _read_line(
    label: str,
    number: int,
    raw_bytes: bytes,
    first_line: dict[str, int],
    done: Mapping[str, Mapping[str, Any]],
    ui: UI,
    log: ResultLog,
    summary: Summary,
    journal: RequestJournal | None,
) -> Job | None:
    """One input line: the job to run, or None (reported, counted, and recorded when it has an id)."""
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
        ui.error(f"{label} line {number}: {problem}; skipped")
        return None
    first_line[job.id_key] = number
    previous = done.get(job.id_key)
    if previous is not None:
        status = previous.get("status")
        changed = previous.get("idempotency_key") not in (None, job.key)
        if not changed or status in ("ok", "no_content"):
            if status == "invalid":
                summary.invalid += 1
                summary.invalid_before += 1
            elif status == "error":
                summary.final_errors += 1
                summary.errors_before += 1
            else:
                summary.already_done += 1
            if changed:
                summary.warnings.append(
                    f"{label} line {number}: id {job.item_id!r} is already done but its input has changed "
                    "since; skipped (give it a new id to generate it again)"
                )
            return None
    job.journaled = journal.body(job.key) if journal is not None else None
    if job.journaled is not None:
        return job  # sent before, when it was valid: it is resent as it was, not judged by this SDK's rules
    try:
        _models.prepare(job.fields)
    except ImagineoValidationError as exc:
        summary.invalid += 1
        ui.error(f"{label} line {number} (id {job.item_id!r}): {exc}")
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
        return None
    return job


def _exception_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _parse_line(number: int, raw: str) -> tuple[str, Job | None]:
    try:
        obj = json.loads(raw)
    except RecursionError:
        return "nested too deeply to parse", None
    except ValueError as exc:
        if type(exc) is ValueError and "integer string conversion" in str(exc):
            return (
                f"holds an integer of more than {sys.get_int_max_str_digits()} digits, which Python does not read "
                "(its int max str digits limit)",
                None,
            )
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
    except UnicodeEncodeError as exc:  # "\ud800": valid JSON syntax, but not Unicode text
        bad = exc.object[exc.start : exc.end].encode("unicode_escape").decode()
        return f"holds a lone surrogate ({bad}), which is not Unicode text and cannot be sent", None
    except RecursionError:
        return "nested too deeply to send", None
    except ValueError as exc:  # NaN or Infinity in the line
        return f"cannot be sent as JSON ({exc})", None
    return "", Job(number, item_id, obj, key)


async def _run_jobs(
    jobs: list[Job],
    client: AsyncImagineoAIClient,
    concurrency: int,
    log: ResultLog,
    ui: UI,
    summary: Summary,
    download_dir: Path | None = None,
) -> None:
    pending: Iterator[Job] = iter(jobs)
    with ui.counter("Generating", len(jobs)) as progress:

        def tick() -> None:
            if progress is not None:
                status = f"ok {summary.ok}  failed {summary.failed}"
                progress.update(progress.task_ids[0], advance=1, status=status)

        async def worker() -> None:
            for job in pending:  # one shared iterator: each job is taken by exactly one worker
                try:
                    await _run_one(job, client, log, ui, summary, progress, download_dir)
                except Exception as exc:  # the per-line boundary: record it as this line's error, go on
                    _unexpected(job, exc, log, ui, summary, progress)
                tick()

        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(jobs))):
                group.create_task(worker())


async def _run_one(
    job: Job,
    client: AsyncImagineoAIClient,
    log: ResultLog,
    ui: UI,
    summary: Summary,
    progress: Progress | None,
    download_dir: Path | None = None,
) -> None:
    base: dict[str, Any] = {"id": job.item_id, "line": job.line}
    # A journaled line is sent with its journaled body (JournalTransport swaps it in); its fields are given to the
    # SDK too, so that the SDK's checks see the body that will be sent.
    fields = json.loads(job.journaled) if job.journaled is not None else job.fields
    try:
        result = await client.images.generate(fields, idempotency_key=job.key)
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
    if result is None:
        log.append({**base, "status": "no_content", "image_url": None, "idempotency_key": job.key})
        summary.ok += 1
        return
    files: list[Path] | None = None
    if download_dir is not None:
        try:
            files = await client.images.download(result, download_dir / file_stem(job.item_id))
        except DownloadError as exc:
            summary.retryable += 1
            ui.error(
                f"line {job.line} (id {job.item_id!r}): {exc} (not recorded: re-run to retry it; the same run is "
                "returned, not paid again)",
                progress=progress,
            )
            return
    record: dict[str, Any] = {**base, "status": "ok"}
    for name, value in result.to_dict().items():  # every field, those the spec added since included
        while name in RECORD_KEYS or name in record:
            name = "result_" + name
        record[name] = value
    if files is not None:
        record["files"] = [str(path) for path in files]
    record["idempotency_key"] = job.key
    log.append(record)  # the server's text as it came, lone surrogates kept as JSON escapes
    summary.ok += 1


def _unexpected(job: Job, exc: Exception, log: ResultLog, ui: UI, summary: Summary, progress: Progress | None) -> None:
    """The SDK raised something that is not an API error for this line: the line's final error."""
    if isinstance(exc, OSError):  # the journal or RESULTS could not be written: nothing final about the line
        summary.retryable += 1
        ui.error(
            f"line {job.line} (id {job.item_id!r}): {_exception_text(exc)} (not recorded: re-run to retry it)",
            progress=progress,
        )
        return
    message = f"the SDK could not process this line: {_exception_text(exc)}"
    summary.final_errors += 1
    ui.error(f"line {job.line} (id {job.item_id!r}): {message}", progress=progress)
    log.append(
        {
            "id": job.item_id,
            "line": job.line,
            "status": "error",
            "error": printable(message, newlines=False),
            "status_code": None,
            "idempotency_key": job.key,
        }
    )


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
    download_dir: Path | None = None,
) -> int:
    """The ``batch`` command; returns the exit status."""
    problem = input_problem(input_path)
    if problem:
        ui.error(problem)
        return EXIT_USAGE
    if str(input_path) != STDIN and out_path.exists() and out_path.resolve() == input_path.resolve():
        ui.error("--out must not be the input file")
        return EXIT_USAGE
    if not out_path.parent.is_dir():
        ui.error(f"--out {out_path}: the directory {out_path.parent} does not exist")
        return EXIT_USAGE
    if out_path.is_dir():
        ui.error(f"--out {out_path}: is a directory; give a file name")
        return EXIT_USAGE
    if download_dir is not None:
        from .download import check_directory

        problem = check_directory(download_dir, "--download-dir")
        if problem:
            ui.error(problem)
            return EXIT_USAGE
    log = ResultLog(out_path)
    journal = RequestJournal(out_path)
    # The API requests (and the downloads, which borrow the same transport) go where a default httpx client would
    # send them: through the environment's proxies (HTTPS_PROXY...), as the SDK's own client does.
    route = httpx.AsyncClient()
    http = httpx.AsyncClient(transport=JournalTransport(journal, AsyncRoutedTransport(route)))
    client = AsyncImagineoAIClient(**client_options, http_client=http)  # ImagineoError for a missing URL or key
    try:
        log.open()
    except ResultsLockedError:
        ui.error(
            f"--out {out_path} is in use by another imagineo batch (it holds the lock on the file); wait for it to "
            "finish, or give another --out. Nothing was read or sent."
        )
        return EXIT_USAGE
    except OSError as exc:
        ui.error(f"--out {out_path}: cannot open it for writing: {exc.strerror or exc}")
        return EXIT_USAGE
    summary = Summary()
    try:
        done, warnings = log.load()
        try:
            warnings += journal.open()
        except OSError as exc:
            ui.error(f"{journal.path}: cannot open the request journal: {exc.strerror or exc}")
            return EXIT_USAGE
        for warning in warnings:
            ui.message(f"imagineo: warning: {warning}")
        jobs = read_jobs(input_path, done, ui, log, summary, journal)
        for warning in summary.warnings:
            ui.message(f"imagineo: warning: {warning}")
        if download_dir is not None:
            clash = check_file_names(jobs, done)
            if clash:
                ui.error(f"--download-dir: {clash}")
                return EXIT_USAGE
        for job in jobs:
            journal.expect(job.key, job.item_id)

        async def main() -> None:
            task = asyncio.current_task()
            assert task is not None
            with signals.cancelling(task):  # SIGTERM / SIGHUP cancel the batch as Ctrl-C does
                async with client:
                    try:
                        if jobs:
                            await _run_jobs(jobs, client, concurrency, log, ui, summary, download_dir)
                    finally:
                        await http.aclose()
                        await route.aclose()

        try:
            try:
                asyncio.run(main())
            except asyncio.CancelledError:
                signals.raise_if_signalled()
                raise
        except KeyboardInterrupt:
            with contextlib.suppress(OSError):  # after a SIGHUP the terminal may be gone
                ui.message(
                    f"imagineo: interrupted: {summary.ok} done in this run; every finished line is in {out_path}; "
                    "re-run the same command to continue (same Idempotency-Keys: nothing is paid twice)"
                )
            raise
    finally:
        journal.close()
        log.close()
    ui.message(summary.line(out_path))
    if summary.failed:
        return EXIT_API
    if summary.invalid:
        return EXIT_INVALID_LINES
    return EXIT_OK
