"""Front-end assets: fetched from the npm registry at set-up, checked, served by the service.

`assets.json` pins each package's version and its npm `integrity` (sha512);
`python -m api.web.assets fetch` downloads each tarball, refuses one whose hash
differs, and unpacks it under `api/web/static/vendor/` (ignored by git). Nothing
is loaded from a CDN at run time, so the pages and /docs work on a closed network.
"""

import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
MANIFEST = HERE / "assets.json"
VENDOR = HERE / "static" / "vendor"
# What the GOV.UK and MOJ style sheets load from /assets (fonts and images).
SITE_ASSETS = VENDOR / "assets"
_ASSET_SOURCES = (("govuk-frontend", "dist/govuk/assets"),
                  ("@ministryofjustice/frontend", "moj/assets"))


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    tarball: str
    integrity: str

    @property
    def folder(self) -> Path:
        """Where it unpacks: `vendor/<name without scope>`."""
        return VENDOR / self.name.rsplit("/", 1)[-1]

    @property
    def stamp(self) -> Path:
        return self.folder / ".integrity"


class IntegrityMismatch(Exception):
    """A tarball's sha512 is not the one pinned in the manifest: nothing is unpacked."""


def packages() -> list[Package]:
    pinned = json.loads(MANIFEST.read_text())
    return [Package(name, **fields) for name, fields in pinned.items()]


def integrity_of(data: bytes) -> str:
    """The npm `integrity` string of a tarball (Subresource Integrity, sha512)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def is_fetched(package: Package) -> bool:
    return package.stamp.exists() and package.stamp.read_text() == package.integrity


def all_fetched() -> bool:
    return all(is_fetched(p) for p in packages()) and SITE_ASSETS.is_dir()


def unpack(package: Package, data: bytes) -> None:
    """Check the tarball against the pinned hash, then unpack its `package/` folder."""
    found = integrity_of(data)
    if found != package.integrity:
        raise IntegrityMismatch(f"{package.name}@{package.version}: expected "
                                f"{package.integrity}, got {found}")
    if package.folder.exists():
        shutil.rmtree(package.folder)
    package.folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not (member.isfile() and member.name.startswith("package/")):
                continue
            target = package.folder / member.name.removeprefix("package/")
            if package.folder not in target.resolve().parents:
                raise IntegrityMismatch(f"{package.name}: unsafe path {member.name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            target.write_bytes(source.read())
    package.stamp.write_text(package.integrity)


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as answer:  # noqa: S310 - pinned https URL
        return answer.read()


def gather_site_assets() -> None:
    """GOV.UK's fonts and images, and MOJ's images, under one `/assets` folder."""
    if SITE_ASSETS.exists():
        shutil.rmtree(SITE_ASSETS)
    for name, inner in _ASSET_SOURCES:
        folder = next(p for p in packages() if p.name == name).folder / inner
        shutil.copytree(folder, SITE_ASSETS, dirs_exist_ok=True)


def fetch(*, quiet: bool = False) -> None:
    """Fetch whatever is missing or changed; a fetched, matching package is left alone."""
    changed = False
    for package in packages():
        if is_fetched(package):
            continue
        if not quiet:
            print(f"assets: fetching {package.name}@{package.version}", file=sys.stderr)
        unpack(package, _download(package.tarball))
        changed = True
    if changed or not SITE_ASSETS.is_dir():
        gather_site_assets()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["fetch"]:
        print("usage: python -m api.web.assets fetch", file=sys.stderr)
        return 2
    try:
        fetch()
    except IntegrityMismatch as error:
        print(f"assets: refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
