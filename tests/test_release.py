"""The contract's release loop: a spec change needs a higher `info.version` and a CHANGELOG entry; a breaking one, a
major version (tools/check_breaking.mjs, `make check-breaking`, `make release-spec`; README.md, "Changing the API").

The baseline is `openapi/released.yaml`, the committed copy of the spec as last released: CI checks out main with no
tags, so a tag alone could not be the baseline. The first test checks this checkout against it; the others run the
same tool on temporary copies (a spec edited from the record, a CHANGELOG written for the case), so they show the
rules bite whatever the spec's version is today.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_spec_sharing import CHECK_BREAKING, ROOT, node, run, tool

RECORD = ROOT / "openapi" / "released.yaml"


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def released() -> dict[str, Any]:
    """The released spec, parsed."""
    return yaml.safe_load(RECORD.read_text())  # type: ignore[no-any-return]


def guard(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """tools/check_breaking.mjs run in `folder` (its openapi/ is the one checked)."""
    tool("redocly")  # node_modules present: a missing one says "run `make install`"
    return run([node(), str(CHECK_BREAKING), *args], cwd=folder, check=False)


def changelog(*entries: tuple[str, str]) -> str:
    """A CHANGELOG with these (version, text) entries, newest first."""
    return "# Changelog\n\n" + "".join(f"## {version}\n\n{text}\n\n" for version, text in entries)


class Project:
    """A temporary openapi/ folder: the record, the spec (starting as the record) and a CHANGELOG with the record's
    version as its only entry."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.openapi = root / "openapi"
        self.openapi.mkdir(parents=True)
        self.record = self.openapi / "released.yaml"
        self.record.write_bytes(RECORD.read_bytes())
        self.version = released()["info"]["version"]
        self.write_spec(released())
        self.write_changelog((self.version, "- The released contract."))

    def spec(self) -> dict[str, Any]:
        return yaml.safe_load((self.openapi / "imagineo.yaml").read_text())  # type: ignore[no-any-return]

    def write_spec(self, doc: dict[str, Any]) -> None:
        (self.openapi / "imagineo.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))

    def write_changelog(self, *entries: tuple[str, str]) -> None:
        (self.openapi / "CHANGELOG.md").write_text(changelog(*entries))

    def edit(self, version: str | None = None, *, breaking: bool = False) -> str:
        """Change the spec: a description (compatible), or remove a response status (breaking); optionally set
        info.version. Returns what was removed, for the breaking edit."""
        doc = self.spec()
        doc["info"]["description"] = doc["info"].get("description", "") + "\nEdited by tests/test_release.py."
        removed = ""
        if breaking:
            methods = next(iter(doc["paths"].values()))
            operation = next(op for op in methods.values() if isinstance(op, dict) and "responses" in op)
            removed = list(operation["responses"])[-1]
            operation["responses"].pop(removed)
        if version is not None:
            doc["info"]["version"] = version
        self.write_spec(doc)
        return removed

    def bump(self, part: str) -> str:
        """The record's version with one part bumped (patch, minor or major)."""
        major, minor, patch = (int(n) for n in self.version.split("+")[0].split("-")[0].split("."))
        return {
            "patch": f"{major}.{minor}.{patch + 1}",
            "minor": f"{major}.{minor + 1}.0",
            "major": f"{major + 1}.0.0",
        }[part]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


def checked(project: Project) -> dict[str, Any]:
    """`check_breaking.mjs --base --json` in the project: the default baseline, the verdict as JSON."""
    result = guard(project.root, "--base", "--json")
    assert result.returncode in (0, 1), result.stdout + result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    assert (result.returncode == 1) == bool(out["failures"]), out
    return out


# ---------------------------------------------------------------------------------------------------------------
# This checkout


def test_the_spec_follows_the_version_rule_since_the_last_release() -> None:
    """This checkout's openapi/imagineo.yaml, against the released record: unchanged, or with a higher info.version
    and its CHANGELOG entry; the record's version has its entry too, and a `v<semver>` tag in this clone agrees with
    the record.

    Catches: a spec change merged without a version bump or a CHANGELOG entry (what CI, on a fresh clone without
    tags, would otherwise let through), a record lost or renamed (the guard would fall back to a git ref, which is
    not a release), or a release tagged without being recorded. Breaking changes are `make check-breaking`'s call
    (README.md, "Changing the API", step 6), which CI does not run."""
    out = json.loads(guard(ROOT, "--base", "--json").stdout)
    assert out["baseline"]["kind"] == "record", out["baseline"]
    assert out["baseline"]["release"] is True
    assert out["version"]["problems"] == [], "\n".join(out["version"]["problems"])


# ---------------------------------------------------------------------------------------------------------------
# The rules bite (temporary copies)


def test_an_edit_needs_a_bump_and_a_changelog_entry(project: Project) -> None:
    """Against the record: an unchanged spec passes; an edit without a bump fails, naming the released version; a
    bump without a CHANGELOG entry, or with an empty one, fails naming the entry; a bump with its entry passes.

    Catches: a guard that lets an unbumped change through, accepts a bump with no CHANGELOG entry (or just a
    heading), or compares with something other than the release record."""
    assert checked(project)["failures"] == []

    project.edit()
    out = checked(project)
    assert out["baseline"] == {
        "kind": "record",
        "label": f"release {project.version} (openapi/released.yaml)",
        "version": project.version,
        "release": True,
    }
    assert out["version"]["changed"] is True
    assert out["failures"] == [
        f"the spec changed since release {project.version} but info.version is still {project.version}: bump it "
        f"above {project.version} (patch: descriptions and examples only; minor: compatible additions; major: "
        "breaking changes)"
    ]

    patch = project.bump("patch")
    project.edit(patch)
    (failure,) = checked(project)["failures"]
    assert f"openapi/CHANGELOG.md has no `## {patch}` entry" in failure

    project.write_changelog((patch, ""), (project.version, "- The released contract."))
    (failure,) = checked(project)["failures"]
    assert f"`## {patch}` entry is empty" in failure

    project.write_changelog((patch, "- A clearer description."), (project.version, "- The released contract."))
    assert checked(project)["failures"] == []


#: (released, bumped, passes): the version rule's precedence cases, for one spec change with its CHANGELOG entry.
PRECEDENCE = [
    ("1.9.0", "1.10.0", True),  # numbers, not strings: "1.10.0" < "1.9.0" as text
    ("1.9.0", "1.9.1", True),
    ("1.9.0", "2.0.0-alpha", True),  # a pre-release of a higher version
    ("1.9.0", "1.9.0-rc.1", False),  # a pre-release is below its release
    ("1.9.0", "1.9.0+build.2", False),  # build metadata does not count
    ("1.9.0", "1.8.9", False),
    ("1.9.0", "1.9.0", False),
    ("1.9.0-rc.2", "1.9.0-rc.10", True),  # numeric identifiers compare as numbers
    ("1.9.0-rc.1", "1.9.0", True),
    ("1.9.0-alpha", "1.9.0-alpha.1", True),  # a longer pre-release is higher
    ("1.9.0-alpha.1", "1.9.0-alpha.beta", True),  # numeric identifiers sort below alphanumeric ones
    ("1.9.0", "1.9", False),  # not semver
    ("1.9.0", "v1.9.1", False),
]

_PRECEDENCE = """
import { pathToFileURL } from "node:url";
const [tool, cases] = process.argv.slice(2);
const { versionProblems } = await import(pathToFileURL(tool).href);
console.log(JSON.stringify(JSON.parse(cases).map(([released, current]) => versionProblems({
  released, current, changed: true, changelogPath: "CHANGELOG.md",
  changelog: `## ${current}\n\n- Changed.\n\n## ${released}\n\n- Released.\n`,
}))));
"""


def test_the_version_must_be_higher_by_semver_precedence(tmp_path: Path) -> None:
    """The bumped version must be above the released one by semver precedence (semver.org, item 11), each case with
    its CHANGELOG entry; run through versionProblems, the function the guard applies (one node process for all).

    Catches: versions compared as text (1.10.0 below 1.9.0), a pre-release or a build-metadata variant of the
    released version taken as a bump, a version going down, or a non-semver version let through."""
    tool("redocly")
    script = tmp_path / "precedence.mjs"
    script.write_text(_PRECEDENCE)
    cases = [[released_version, version] for released_version, version, _ in PRECEDENCE]
    problems = json.loads(run([node(), str(script), str(CHECK_BREAKING), json.dumps(cases)]).stdout)
    verdicts = {(r, v): not found for (r, v), found in zip(cases, problems, strict=True)}
    assert verdicts == {(r, v): passes for r, v, passes in PRECEDENCE}, problems


def test_a_breaking_change_needs_a_major_version(project: Project) -> None:
    """A breaking change (a response status removed) with a minor bump and its CHANGELOG entry passes the version
    rule but fails the major rule, naming the change; with a major bump it passes, the change still listed.

    Catches: `make check-breaking` letting a break through under a minor version, failing without saying which
    change breaks, or refusing an intended break released as a major version."""
    minor = project.bump("minor")
    removed = project.edit(minor, breaking=True)
    project.write_changelog((minor, "- Removed a status."), (project.version, "- The released contract."))
    result = guard(project.root, "--base")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAIL: 1 breaking change(s) need a major version, but info.version {minor} keeps the major" in result.stdout
    assert f"      - [Removed] Response {removed} (at paths > " in result.stdout
    assert "allowed by the major version" not in result.stdout
    assert checked(project)["version"]["problems"] == []  # the version rule alone holds

    major = project.bump("major")
    project.edit(major, breaking=True)
    project.write_changelog((major, "- Removed a status."), (project.version, "- The released contract."))
    result = guard(project.root, "--base")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"BREAKING: [Removed] Response {removed}" in result.stdout
    assert f"allowed by the major version {major} (from {project.version})" in result.stdout


def test_release_spec_records_only_a_release_that_passes(project: Project) -> None:
    """`make release-spec` (`--record`): it refuses an edit without a bump and leaves the record as it was; with
    the bump and its entry it copies the spec byte for byte to the record, says how to commit and tag it, and the
    next check compares with the new release; run again, it has nothing to record.

    Catches: a record written for a change that breaks the rules, a record that is not the spec as released (a
    re-serialised copy would not compare with the tag's spec byte for byte), or a release command that is not
    idempotent."""
    before = project.record.read_bytes()
    project.edit()
    result = guard(project.root, "--record")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Nothing recorded: openapi/released.yaml is unchanged." in result.stdout
    assert project.record.read_bytes() == before

    patch = project.bump("patch")
    project.edit(patch)
    project.write_changelog((patch, "- A clearer description."), (project.version, "- The released contract."))
    result = guard(project.root, "--record")
    assert result.returncode == 0, result.stdout + result.stderr
    assert project.record.read_bytes() == (project.openapi / "imagineo.yaml").read_bytes()
    assert f"Recorded release {patch} in openapi/released.yaml." in result.stdout
    assert f"git tag v{patch}" in result.stdout

    out = checked(project)
    assert out["baseline"]["version"] == patch
    assert out["version"]["changed"] is False

    result = guard(project.root, "--record")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"already records release {patch}: nothing to record" in result.stdout


def test_a_record_must_be_self_contained(project: Project) -> None:
    """A record whose `$ref` points at another file is refused (exit 2, naming the record), not resolved against
    today's copy of that file.

    Catches: a release record that silently changes when a file it refers to is edited."""
    doc = released()
    doc["components"]["schemas"]["Elsewhere"] = {"$ref": "./other.yaml#/Thing"}
    (project.openapi / "other.yaml").write_text("Thing:\n  type: string\n")
    project.record.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    result = guard(project.root, "--base")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "openapi/released.yaml is not self-contained" in result.stderr


def test_tags_must_agree_with_the_record(project: Project) -> None:
    """In a clone with tags, the highest `v<semver>` tag reachable from HEAD must be the record's release (the spec
    at the tag is the record) or older than it: a release tagged without `make release-spec`, or a tag on another
    spec, fails naming the tag; recording it (at the tag) makes the check pass again.

    Catches: tags and the record drifting apart, so that a clone with tags and a fresh clone without them (CI) would
    judge the same spec against different releases."""
    repo = project.root
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    run(["git", "init", "-q", str(repo)])
    run([*git, "add", "openapi"], cwd=repo)
    run([*git, "commit", "-q", "-m", "release"], cwd=repo)
    first = run(["git", "rev-parse", "HEAD"], cwd=repo).stdout.strip()
    run(["git", "tag", f"v{project.version}"], cwd=repo)
    assert checked(project)["failures"] == []

    patch = project.bump("patch")
    project.edit(patch)
    project.write_changelog((patch, "- A clearer description."), (project.version, "- The released contract."))
    run([*git, "commit", "-q", "-am", patch], cwd=repo)
    run(["git", "tag", f"v{patch}"], cwd=repo)
    (failure,) = checked(project)["failures"]
    assert failure.startswith(f"tag v{patch} is newer than the release recorded in openapi/released.yaml")

    result = guard(repo, "--record")
    assert result.returncode == 0, result.stdout + result.stderr
    run([*git, "commit", "-q", "-am", f"record {patch}"], cwd=repo)
    assert checked(project)["failures"] == []

    run(["git", "tag", "-f", f"v{patch}", first], cwd=repo)
    (failure,) = checked(project)["failures"]
    assert failure == (
        f"openapi/released.yaml ({patch}) is not the spec at tag v{patch}: the tag or the record names the wrong spec"
    )


def test_other_git_refs_are_not_releases(project: Project) -> None:
    """`BASE=<a branch>` compares with that ref under the major rule only: the version rule is for releases (the
    record, a `v<semver>` tag), since a branch's spec may already carry the unreleased version.

    Catches: `make check-breaking BASE=origin/main` on a feature branch demanding a second bump of a version main
    has not released yet."""
    repo = project.root
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    run(["git", "init", "-q", "-b", "main", str(repo)])
    patch = project.bump("patch")
    project.edit(patch)
    project.write_changelog((patch, "- Unreleased."), (project.version, "- The released contract."))
    run([*git, "add", "openapi"], cwd=repo)
    run([*git, "commit", "-q", "-m", "unreleased"], cwd=repo)
    doc = project.spec()
    doc["info"]["description"] += "\nA second edit under the same unreleased version."
    project.write_spec(doc)
    result = guard(repo, "--base", "main", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["baseline"]["release"] is False
    assert out["version"]["changed"] is True
    assert checked(project)["failures"] == []  # the same edit against the record: bumped, with its entry
