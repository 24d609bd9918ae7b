"""The README stays a front door, and every page of docs/ is built and reachable.

A newcomer reads the README first, so it stays short and its links lead
somewhere; the rest lives in docs/, which MkDocs builds strictly (make test), so
that a page left out of the nav, a broken link or anchor, or an absolute link
fails the build instead of shipping. These tests prove the strictness holds:
they break a copy of the documentation in each of those ways and expect the
build to refuse it.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MOST_README_LINES = 200
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


class _Loader(yaml.SafeLoader):
    """mkdocs.yml names Python functions (`!!python/name:...`); reading the nav needs none."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", lambda loader, suffix, node: suffix)


def nav_pages() -> list[str]:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)
    found: list[str] = []

    def walk(entry: Any) -> None:
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, dict):
            for value in entry.values():
                walk(value)
        elif isinstance(entry, list):
            for item in entry:
                walk(item)

    walk(config["nav"])
    return found


def build(config_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
         str(config_dir / "site")],
        cwd=config_dir, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def test_the_readme_is_at_most_200_lines():
    lines = len(README.read_text().splitlines())
    assert lines <= MOST_README_LINES, (
        f"README.md has {lines} lines; move detail into a page of docs/ and link it")


def test_every_link_in_the_readme_leads_to_a_file_that_exists():
    targets = [t for t in _LINK.findall(README.read_text()) if "://" not in t]
    assert targets, "the README links its screenshots and the pages of docs/"
    missing = [t for t in targets if not (ROOT / t.split("#", 1)[0]).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_the_readme_links_every_page_in_the_nav():
    linked = {t.split("#", 1)[0] for t in _LINK.findall(README.read_text())}
    unlinked = [page for page in nav_pages() if page != "index.md"
                and f"docs/{page}" not in linked]
    assert not unlinked, f"the README's map of docs/ leaves out {unlinked}"


def test_every_page_in_docs_is_in_the_nav_and_every_nav_entry_is_a_page():
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert pages == sorted(nav_pages())


def copy_of_docs(tmp_path: Path) -> Path:
    """mkdocs.yml and docs/ as they are, in a place a test may break them."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    shutil.copytree(DOCS, copy / "docs")
    return copy


def test_the_documentation_builds_strictly(tmp_path):
    done = build(copy_of_docs(tmp_path))
    assert done.returncode == 0, done.stderr


FAULTS = {  # what is broken: (the page, the text added to it, what the build says)
    "a page missing from the nav": ("stray.md", "# Stray\n", 'not included in the "nav"'),
    "a link to no page": ("index.md", "[gone](no-such-page.md)", "'no-such-page.md'"),
    "a link to no anchor": ("index.md", "[gone](architecture.md#no-such-heading)",
                            "anchor '#no-such-heading'"),
    "an absolute link": ("index.md", "[absolute](/architecture.md)",
                         "absolute link '/architecture.md'"),
    "a link MkDocs cannot place": ("index.md", "[folder](architecture/)",
                                   "unrecognized relative link 'architecture/'"),
}


def test_each_fault_in_the_documentation_is_a_warning_and_fails_the_strict_build(tmp_path):
    """One build with every fault: strict mode reports each warning before it aborts."""
    copy = copy_of_docs(tmp_path)
    for page, text, _ in FAULTS.values():
        target = copy / "docs" / page
        target.write_text((target.read_text() if target.exists() else "") + "\n" + text + "\n")
    done = build(copy)
    assert done.returncode != 0
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    for fault, (_, _, reported) in FAULTS.items():
        assert any(reported in line for line in warnings), f"{fault}: {done.stderr}"


def test_an_included_file_that_is_not_there_fails_the_build(tmp_path):
    """The reminders page includes the webhook schemas; a missing one must not render blank."""
    copy = copy_of_docs(tmp_path)
    index = copy / "docs" / "index.md"
    index.write_text(index.read_text() + '\n```json\n--8<-- "webhooks/gone.json"\n```\n')
    done = build(copy)
    assert done.returncode != 0
    assert "gone.json" in done.stderr
