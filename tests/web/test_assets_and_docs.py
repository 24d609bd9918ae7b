"""Assets come from pinned npm tarballs whose hashes are checked; /docs needs no CDN."""

import httpx
import pytest

from api.web import assets


def test_a_tarball_whose_hash_differs_is_refused_and_nothing_is_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "VENDOR", tmp_path)
    package = assets.Package("left-pad", "1.0.0", "https://example.invalid/left-pad.tgz",
                             assets.integrity_of(b"the real tarball"))
    with pytest.raises(assets.IntegrityMismatch):
        assets.unpack(package, b"a tampered tarball")
    assert not (tmp_path / "left-pad").exists()


def test_every_pinned_package_carries_an_npm_sha512_integrity():
    for package in assets.packages():
        assert package.integrity.startswith("sha512-"), package.name
        assert package.tarball.startswith("https://registry.npmjs.org/"), package.name
        assert package.version in package.tarball, package.name


def test_docs_and_redoc_load_only_the_services_own_files(site, people):
    if not assets.all_fetched():
        pytest.skip("assets not fetched (make assets)")
    for page in ("/docs", "/redoc"):
        html = httpx.get(site + page).text
        assert "cdn" not in html.lower() and "googleapis" not in html, page
    swagger = httpx.get(site + "/vendor/swagger-ui-dist/swagger-ui-bundle.js")
    redoc = httpx.get(site + "/vendor/redoc/bundles/redoc.standalone.js")
    css = httpx.get(site + "/vendor/govuk-frontend/dist/govuk/govuk-frontend.min.css")
    font = httpx.get(site + "/assets/fonts/bold-b542beb274-v2.woff2")
    assert [r.status_code for r in (swagger, redoc, css, font)] == [200, 200, 200, 200]
