"""The deployment files are valid and run only what the project has.

No container engine runs here, so the checks are static: every Kubernetes
manifest against the Kubernetes schemas (kubernetes-validate, offline), the
Compose file against the compose-spec schema (vendored in deploy/schemas), and
every command, module, factory, probe path and CASEWORK_ variable they name
against the code.
"""

import importlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from api.main import create_app
from api.routes import metrics as metrics_routes
from deploy.cli import parser
from services.platform.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))
KUBERNETES_VERSION = "1.33.0"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _dockerfile_json_lists(keyword: str) -> list[list[str]]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    return [json.loads(m.group(1)) for m in re.finditer(rf"^\s*{keyword}\b.*?(\[.*\])\s*$",
                                                          text, re.MULTILINE)]


def _k8s_containers() -> list[dict[str, Any]]:
    return [c for path in MANIFESTS for doc in _documents(path) if doc["kind"] == "Deployment"
            for c in doc["spec"]["template"]["spec"]["containers"]]


def _commands() -> list[list[str]]:
    """Every command line the image, the Compose file and the manifests run."""
    compose = [s["command"] for s in _compose()["services"].values()
               if isinstance(s.get("command"), list)]
    return (_dockerfile_json_lists("CMD") + compose
            + [c["command"] for c in _k8s_containers()])


def check_command(argv: list[str]) -> None:
    """The subcommand, module or ASGI factory the command starts exists in the project."""
    if argv[0] == "casework":
        assert parser().parse_args(argv[1:]).handler, argv
        return
    if argv[:2] == ["python", "-m"]:
        assert importlib.util.find_spec(argv[2]) is not None, argv
        assert hasattr(importlib.import_module(argv[2]), "main"), argv
        return
    assert argv[0] == "uvicorn" and "--factory" in argv, argv
    module, attribute = argv[argv.index("--factory") + 1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute)), argv


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_valid_kubernetes(path: Path):
    documents = _documents(path)
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_compose_file_is_valid_against_the_compose_spec():
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    compose = _compose()
    jsonschema.Draft7Validator(schema).validate(compose)
    services = compose["services"]
    assert {"postgres", "temporal", "api", "worker"} <= services.keys()
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2


def test_an_invalid_compose_file_is_caught():
    """The schema check is not vacuous: a misspelt key fails it."""
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    broken = _compose()
    broken["services"]["api"]["replicaz"] = 2
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_every_command_they_run_exists_in_the_project():
    commands = _commands()
    assert len(commands) >= 5
    for argv in commands:
        check_command(argv)
    built = re.findall(r"python -m ([\w.]+)", (DEPLOY / "Dockerfile").read_text())
    assert "api.web.assets" in built
    for module in built:
        assert hasattr(importlib.import_module(module), "main"), module


def test_probes_and_health_checks_use_endpoints_the_api_has():
    paths = set(create_app(Settings()).openapi()["paths"])
    paths |= {route.path for route in metrics_routes.router.routes}
    containers = {c["name"]: c for c in _k8s_containers()}
    api = containers["api"]
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {"/health", "/health/ready", "/metrics"} <= paths
    assert "/no-such-probe" not in paths
    [healthcheck] = _dockerfile_json_lists("HEALTHCHECK.*CMD")
    assert "/health'" in " ".join(healthcheck)


def test_every_casework_variable_they_set_is_a_setting():
    known = {f"CASEWORK_{name.upper()}" for name in Settings.model_fields}
    named = set(re.findall(r"\bCASEWORK_[A-Z_]+\b", (DEPLOY / "Dockerfile").read_text()))
    named |= set(_compose()["x-casework-env"])
    for path in MANIFESTS:
        named |= set(re.findall(r"\bCASEWORK_[A-Z_]+\b", path.read_text()))
    named -= {"CASEWORK_DB_PASSWORD"}  # Compose's own interpolation variable
    assert {n for n in named if n.startswith("CASEWORK_")} <= known


def test_the_image_runs_as_a_non_root_user_without_build_tools():
    text = (DEPLOY / "Dockerfile").read_text()
    final = text[text.rindex("\nFROM "):]
    assert re.search(r"^USER casework$", final, re.MULTILINE)
    assert "build-essential" not in final and "apt-get install" not in final
    assert "HEALTHCHECK" in final
    for container in _k8s_containers():
        resources = container["resources"]
        assert resources["requests"] and resources["limits"]
        secret_refs = [e for e in container["env"] if "valueFrom" in e]
        assert any("secretKeyRef" in e["valueFrom"] for e in secret_refs)


def test_each_deployment_has_a_disruption_budget():
    kinds = [(d["kind"], d["metadata"]["name"]) for p in MANIFESTS for d in _documents(p)]
    for name in ("casework-api", "casework-worker"):
        assert ("Deployment", name) in kinds and ("PodDisruptionBudget", name) in kinds
    assert ("Service", "casework-api") in kinds


def test_a_command_that_does_not_exist_is_caught():
    with pytest.raises(AssertionError):
        check_command(["python", "-m", "workflows.no_such_worker"])
    with pytest.raises((AssertionError, AttributeError)):
        check_command(["uvicorn", "--factory", "api.main:no_such_app"])
    with pytest.raises(SystemExit):
        check_command(["casework", "no-such-command"])


def test_an_invalid_manifest_is_caught():
    deployment = next(d for d in _documents(DEPLOY / "k8s" / "api.yaml")
                      if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
