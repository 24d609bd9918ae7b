"""An inspector downloads the evidence bundle from the case page, in Chromium, and
`casework verify` accepts it: the history with the documents they may see."""

import subprocess
import sys
import zipfile

from tests.helpers import OPEN_CASE
from tests.web.browser import sign_in, visit
from tests.web.conftest import BOTH_STORES

CORA = dict(actor_id="cora", actor_role="coordinator")
MINUTES = b"Minutes of the joint local meeting, 3 March\n"


@BOTH_STORES
def test_an_inspector_downloads_the_evidence_bundle_and_it_verifies(
        browser, site, web_cases, web_services, people, tmp_path):
    case_id = web_cases.open_case(**OPEN_CASE, **CORA)
    blob = web_services.documents.put(case_id, [MINUTES])
    web_cases.attach_document(
        case_id, title="Minutes of the joint local meeting", kind="minutes",
        step="the case as a whole", step_ref="", confidentiality="normal",
        stored=dict(sha256=blob.sha256, size=blob.size, media_type="text/plain",
                    filename="minutes.txt"), **CORA)

    ines = browser.new_context(accept_downloads=True).new_page()
    sign_in(ines, site, people["inspector"])
    visit(ines, f"{site}/case/{case_id}")
    with ines.expect_download() as downloading:
        ines.get_by_role("link", name="Download the evidence bundle (zip)").click()
    reference = web_cases.get_case(case_id)["reference"]
    assert downloading.value.suggested_filename == f"{reference}-evidence.zip"
    saved = tmp_path / "evidence.zip"
    downloading.value.save_as(saved)
    assert zipfile.ZipFile(saved).read("documents/document-1-minutes.txt") == MINUTES
    check = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(saved)],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
