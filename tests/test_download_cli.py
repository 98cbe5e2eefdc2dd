"""The command's downloads go through ``client.images.download``: ``generate --output`` saves every image of a
multi-image run, and ``batch --download-dir`` saves each line's images named from its id."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imagineo._cli.batch import HASH_MARK, Job, check_file_names, file_stem
from imagineo.testing import Sandbox

from tests.loopback import LoopbackServer
from tests.test_cli import call, example_args, no_imagineo_env  # noqa: F401 - the fixture is autouse
from tests.test_download import IMAGE, PNG, sandbox, several_images_body  # noqa: F401 - sandbox is a fixture


@pytest.fixture
def env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:  # noqa: F811
    monkeypatch.setenv("IMAGINEO_API_URL", sandbox.url)
    monkeypatch.setenv("IMAGINEO_API_KEY", sandbox.api_key)
    return sandbox


def test_output_saves_every_image_of_a_multi_image_run(
    env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Catches ``--output`` saving only the first image: a run with two images must leave FILE's stem numbered,
    each file the PNG served at the matching URL, and nothing else in the directory."""
    body = several_images_body(env)
    status, out, err = call(*example_args(body), "--output", str(tmp_path / "w.png"), capsys=capsys)
    assert status == 0, err
    urls = json.loads(out)["image_urls"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-1.png", "w-2.png"]
    assert [(tmp_path / f"w-{i}.png").read_bytes() for i in (1, 2)] == [httpx.get(u).content for u in urls]


def test_batch_download_dir_saves_each_lines_images_named_from_its_id(
    env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Catches ``--download-dir`` not downloading, naming files so that an id can escape the directory or two ids
    collide, or not recording the files in RESULTS."""
    several = several_images_body(env)
    lines = [{"id": "cat", "prompt": "A cat"}, {"id": "../a/b", **several}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    images = tmp_path / "images"
    images.mkdir()
    out = tmp_path / "out.jsonl"
    status, _, err = call(
        "batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--download-dir", str(images), capsys=capsys
    )
    assert status == 0, err
    stem = file_stem("../a/b")
    assert "/" not in stem and not stem.startswith(".") and stem != file_stem("___a_b")
    assert sorted(p.name for p in images.iterdir()) == sorted(["cat.png", f"{stem}-1.png", f"{stem}-2.png"])
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert records["cat"]["files"] == [str(images / "cat.png")]
    assert records["../a/b"]["files"] == [str(images / f"{stem}-{i}.png") for i in (1, 2)]
    assert (images / "cat.png").read_bytes() == httpx.get(records["cat"]["image_url"]).content


def test_batch_download_failure_is_not_recorded_and_a_rerun_fetches_the_same_run(
    loopback: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches recording a line as done when its image could not be saved (a re-run would then never save it), or
    a re-run that sends another Idempotency-Key (a second paid run) instead of the same one."""
    monkeypatch.setenv("IMAGINEO_API_URL", loopback.url)
    monkeypatch.setenv("IMAGINEO_API_KEY", "sk-batch-download")
    answer = {"image_url": f"{loopback.url}/img.png", "run_id": "r1", "model_type": "flux-dev"}
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": 1, "prompt": "A cat"}) + "\n")
    images, out = tmp_path / "images", tmp_path / "out.jsonl"
    images.mkdir()
    argv = ["batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--download-dir", str(images)]
    loopback.enqueue(200, answer)
    loopback.enqueue(404, body=b"not yet", headers={"Content-Type": "text/plain"})
    status, _, err = call(*argv, capsys=capsys)
    assert status == 1
    assert "404" in err and "re-run" in err
    assert out.read_text() == "" and list(images.iterdir()) == []
    loopback.enqueue(200, answer)
    loopback.enqueue(200, body=PNG, headers=IMAGE)
    status, _, err = call(*argv, capsys=capsys)
    assert status == 0, err
    assert (images / "1.png").read_bytes() == PNG
    posts = [r for r in loopback.requests if r.method == "POST"]
    assert len(posts) == 2 and posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    assert all("authorization" not in r.headers for r in loopback.requests if r.method == "GET")


def test_a_missing_download_dir_exits_2_before_anything_is_sent(
    env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Catches finding out about an unusable --download-dir only after the runs were paid for."""
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": 1, "prompt": "A cat"}) + "\n")
    argv = ["batch", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl")]
    status, _, err = call(*argv, "--download-dir", str(tmp_path / "nope"), capsys=capsys)
    assert status == 2
    assert "no such directory" in err
    assert env.stats()["generate_requests"] == 0


# ---------------------------------------------------------------------------------------------------------------
# Issue 18, item 2: one file per (id, image), whatever the ids


def file_names(item_id: str | int, images: int = 3) -> set[str]:
    """Every name (without suffix) a line's images can get: the stem alone (one image) or numbered (several)."""
    stem = file_stem(item_id)
    return {stem.casefold()} | {f"{stem}-{k}".casefold() for k in range(1, images + 1)}


IDS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.text(alphabet="aA5-_~./ é", min_size=1, max_size=8),
    st.builds(lambda base, n: f"{base}-{n}", st.sampled_from(["a", "A", "5", "-5", "a-1"]), st.integers(0, 12)),
)


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(first=IDS, second=IDS)
def test_two_ids_never_share_a_file_name_unless_the_batch_refuses_them(first: str | int, second: str | int) -> None:
    """Catches a naming rule that is not one-to-one across types and suffixes: ``5`` and ``"5"`` both saving to
    ``5.png``, ``"a"`` (two images) and ``"a-1"`` both writing ``a-1.png``, ``"Cat"`` and ``"cat"`` one file on
    macOS. Two ids either get disjoint names (compared without case) or `check_file_names` refuses the pair."""
    if json.dumps(first) == json.dumps(second):
        return
    jobs = [Job(1, first, {}, "k1"), Job(2, second, {}, "k2")]
    if file_names(first) & file_names(second):
        assert check_file_names(jobs, {}) is not None
    else:
        assert check_file_names(jobs, {}) is None
    for item_id in (first, second):
        stem = file_stem(item_id)
        assert "/" not in stem and "\\" not in stem and "." not in stem and stem not in ("", "-")
        assert (HASH_MARK in stem) is (isinstance(item_id, str) and stem != item_id)


def test_batch_download_dir_gives_5_and_quoted_5_and_a_and_a_1_files_of_their_own(
    env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Catches the collisions issue 18 found: ``5`` and ``"5"`` saving to one ``5.png``, and ``"a"`` with two images
    and ``"a-1"`` both writing ``a-1.png``: the later line overwrote a paid image, the batch exited 0 and RESULTS
    listed the one file for both. Each line's files must be its own, holding its own images."""
    several = several_images_body(env)
    lines = [
        {"id": 5, "prompt": "A cat"},
        {"id": "5", "prompt": "A dog"},
        {"id": "a", **several},
        {"id": "a-1", "prompt": "A cow"},
    ]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    images, out = tmp_path / "images", tmp_path / "out.jsonl"
    images.mkdir()
    status, _, err = call(
        "batch", str(tmp_path / "in.jsonl"), "--out", str(out), "--download-dir", str(images), capsys=capsys
    )
    assert status == 0, err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    files = [path for record in records for path in record["files"]]
    assert len(files) == len(set(files)) == 5 == len(list(images.iterdir()))
    for record in records:
        urls = record.get("image_urls") or [record["image_url"]]
        assert [Path(p).read_bytes() for p in record["files"]] == [httpx.get(u).content for u in urls]


def test_batch_download_dir_refuses_ids_whose_files_would_collide_before_any_run(
    env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Catches ``Cat`` and ``cat`` sharing one file on a case-insensitive disk (macOS, Windows), and a new id whose
    files would overwrite those RESULTS records for another id: refused, naming both, before anything is sent."""
    (tmp_path / "in.jsonl").write_text(
        json.dumps({"id": "Cat", "prompt": "A"}) + "\n" + json.dumps({"id": "cat", "prompt": "B"}) + "\n"
    )
    images = tmp_path / "images"
    images.mkdir()
    argv = ["batch", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl"), "--download-dir", str(images)]
    status, _, err = call(*argv, capsys=capsys)
    assert status == 2
    assert "line 2 (id 'cat') would save its images as cat..., as does line 1 (id 'Cat')" in err
    earlier = {"id": "x", "status": "ok", "files": [str(images / "dog.png")], "idempotency_key": "batch-x"}
    (tmp_path / "o.jsonl").write_text(json.dumps(earlier) + "\n")
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "DOG", "prompt": "A"}) + "\n")
    status, _, err = call(*argv, capsys=capsys)
    assert status == 2
    assert "as does id 'x' (recorded in RESULTS)" in err
    assert env.stats()["generate_requests"] == 0
