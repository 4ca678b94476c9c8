"""Offline static proof of terraform/: formatting, the AWS provider schema, `terraform test`, checkov.

Each check runs over the real tree (which must pass) and over fixtures under
tests/fixtures/terraform/ that must fail in a known way, so a check that silently stopped
checking would fail here too. Schema fixtures mark each expected finding with a trailing
`# expect: <text>` comment on the line it must be reported at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.paths import ROOT
from tools import check_terraform, provider_schema
from tools.check_terraform import Finding

TERRAFORM = ROOT / "terraform"
FIXTURES = ROOT / "tests" / "fixtures" / "terraform"
SCHEMA_CASES = sorted(path.name for path in (FIXTURES / "schema").iterdir() if path.is_dir())


def _report(findings: list[Finding]) -> str:
    return "\n".join(str(finding) for finding in findings)


# ---------------------------------------------------------------------------- terraform fmt


def test_tree_is_formatted() -> None:
    findings = check_terraform.check_fmt(TERRAFORM)
    assert not findings, "run `python tools/terraform.py fmt -recursive terraform`:\n" + _report(findings)


def test_an_unformatted_file_fails_fmt_with_its_name_and_diff(tmp_path: Path) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform"))
    # Format the copy first so this test depends only on the file broken below, not on the tree's state.
    assert check_terraform.terraform(["fmt", "-recursive", "."], chdir=copy)[0] == 0
    victim = sorted(copy.rglob("*.tf"))[0]
    length = len(victim.read_text(encoding="utf-8").splitlines())
    with victim.open("a", encoding="utf-8") as handle:
        handle.write("\nlocals {\nfmt_probe=1\n}\n")  # unindented, unspaced: as a careless hand edit

    findings = check_terraform.check_fmt(copy)

    assert [(finding.path, finding.line) for finding in findings] == [(victim, length + 3)]
    assert "-fmt_probe=1" in findings[0].message
    assert "+  fmt_probe = 1" in findings[0].message


# -------------------------------------------------------------------------- provider schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return check_terraform.load_schema()


def test_tree_matches_the_aws_provider_schema(schema: dict[str, Any]) -> None:
    findings = check_terraform.check_schema(TERRAFORM, schema)
    assert not findings, _report(findings)


def test_tree_has_aws_blocks_to_check() -> None:
    checked = [
        block
        for path in check_terraform.tf_files(TERRAFORM)
        for block in check_terraform.parse_blocks(path)
        if block.type in {"resource", "data"} and block.labels[0].startswith("aws_")
    ]
    assert len(checked) >= 10, "the schema check would be vacuous: terraform/ declares almost no aws_ blocks"


def test_a_misspelt_argument_in_the_real_tree_fails_at_its_line(tmp_path: Path, schema: dict[str, Any]) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform"))
    before = set(check_terraform.check_schema(copy, schema))  # whatever the tree's own state, only new findings count
    path, name, line = next(
        (path, name, line)
        for path in check_terraform.tf_files(copy)
        for block in check_terraform.parse_blocks(path)
        if block.type == "resource" and block.labels[0].startswith("aws_")
        for name, line in block.attributes.items()
        if name not in check_terraform.META_ATTRIBUTES["resource"]
    )
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace(name, f"{name}x", 1)
    path.write_text("".join(lines), encoding="utf-8")

    findings = sorted(set(check_terraform.check_schema(copy, schema)) - before)

    assert [(f.path, f.line) for f in findings] == [(path, line)]
    assert f"unknown argument '{name}x'" in findings[0].message


def _expected(case: Path) -> set[tuple[Path, int, str]]:
    found = set()
    for path in check_terraform.tf_files(case):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if match := re.search(r"# expect: (.+)$", line):
                found.add((path, number, match.group(1).strip()))
    return found


@pytest.mark.parametrize("case", SCHEMA_CASES)
def test_schema_fixture_fails_exactly_where_marked(case: str, schema: dict[str, Any]) -> None:
    directory = FIXTURES / "schema" / case
    expected = _expected(directory)
    findings = check_terraform.check_schema(directory, schema)

    assert sorted((f.path, f.line) for f in findings) == sorted((path, line) for path, line, _ in expected), _report(
        findings
    )
    for path, line, text in expected:
        message = next(f.message for f in findings if (f.path, f.line) == (path, line))
        assert text in message, f"{path}:{line}: expected {text!r} in {message!r}"


def test_valid_fixture_uses_every_meta_argument() -> None:
    # Guards the no-findings fixture against shrinking into something that proves nothing.
    text = (FIXTURES / "schema" / "valid" / "main.tf").read_text(encoding="utf-8")
    constructs = ("count", "for_each", "depends_on", "provider =", "lifecycle", "dynamic", "provisioner", "connection")
    for construct in constructs:
        assert construct in text


def test_the_schema_cli_exits_non_zero_on_findings(capsys: pytest.CaptureFixture[str]) -> None:
    directory = FIXTURES / "schema" / "misspelt_argument"
    assert check_terraform.main(["schema", str(directory)]) == 1
    assert "misspelt_argument/main.tf:3: " in capsys.readouterr().out
    assert check_terraform.main(["schema", str(FIXTURES / "schema" / "valid")]) == 0


def test_committed_schema_is_small_and_covers_the_tree(schema: dict[str, Any]) -> None:
    assert provider_schema.DEFAULT_OUTPUT.stat().st_size < 2_000_000
    assert schema["provider_version"] == "6.25.0"
    declared = provider_schema.declared_types([TERRAFORM])
    for kind in ("resource", "data"):
        real = declared[kind] & set(schema["all_types"][kind])
        assert real <= set(schema[kind]), f"run `make provider-schema`: {sorted(real - set(schema[kind]))}"
    assert len(schema["all_types"]["resource"]) > 1500  # every type name, not just the extracted ones


@pytest.mark.parametrize(
    ("constraint", "version", "admitted"),
    [
        ("~> 6.25", "6.25.0", True),
        ("~> 6.25", "6.99.1", True),
        ("~> 6.25", "7.0.0", False),
        ("~> 6.25", "6.24.0", False),
        ("~> 6.25.0", "6.26.0", False),
        ("~> 6", "6.99.0", True),
        ("~> 6", "7.0.0", False),
        (">= 6.25, < 7.0", "6.30.0", True),
        ("= 6.25.0", "6.25.1", False),
        ("!= 6.25.0", "6.25.0", False),
    ],
)
def test_version_constraints(constraint: str, version: str, admitted: bool) -> None:
    assert check_terraform.admits(constraint, version) is admitted


# ------------------------------------------------------------- schema derivation (generator)

PREFIX = "@cdktf/provider-aws"
DOCS = "https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs"


def _prop(name: str, anchor: str, type_ref: dict[str, Any], *, optional: bool = True) -> dict[str, Any]:
    link = f"Docs at Terraform Registry: {{@link {DOCS}/resources/widget#{anchor} Widget#{anchor}}}"
    return {"name": name, "optional": optional, "type": type_ref, "docs": {"summary": link}}


def _class(fqn: str, base: str, summary: str) -> dict[str, Any]:
    config = {"name": "config", "type": {"fqn": f"{fqn}Config"}}
    return {
        "kind": "class",
        "fqn": fqn,
        "base": base,
        "docs": {"summary": summary},
        "initializer": {"parameters": [{"name": "scope", "type": {"fqn": "constructs.Construct"}}, config]},
    }


def _struct(*properties: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "interface", "datatype": True, "properties": list(properties)}


def _mini_assembly() -> dict[str, Any]:
    """A jsii assembly shaped like cdktf's, small enough to state the expected schema by hand."""
    resolvable = {"fqn": "cdktf.IResolvable"}
    string = {"primitive": "string"}
    widget, data_widget, provider = f"{PREFIX}.widget.Widget", f"{PREFIX}.dataAwsWidget.DataAwsWidget", f"{PREFIX}.p.P"
    rule = f"{widget}Rule"
    rules = {"union": {"types": [resolvable, {"collection": {"kind": "array", "elementtype": {"fqn": rule}}}]}}
    types = {
        widget: _class(
            widget, "cdktf.TerraformResource", f"Represents a {{@link {DOCS}/resources/widget aws_widget}}."
        ),
        f"{widget}Config": _struct(
            _prop("widgetName", "widget_name", string, optional=False),
            # cdktf renames some properties; the docs anchor keeps the Terraform name.
            _prop("equalTo", "equals", {"union": {"types": [{"primitive": "boolean"}, resolvable]}}),
            _prop("tags", "tags", {"collection": {"kind": "map", "elementtype": string}}),
            _prop("rule", "rule", rules, optional=False),
            _prop("settings", "settings", {"fqn": f"{widget}Settings"}),
            _prop("byName", "by_name", {"collection": {"kind": "map", "elementtype": {"fqn": rule}}}),
        ),
        rule: _struct(_prop("priority", "priority", string)),
        f"{widget}Settings": _struct(),
        data_widget: _class(
            data_widget, "cdktf.TerraformDataSource", f"Represents a {{@link {DOCS}/data-sources/widget aws_widget}}."
        ),
        f"{data_widget}Config": _struct(),
        provider: _class(provider, "cdktf.TerraformProvider", "The aws provider."),
        f"{provider}Config": _struct(
            {"name": "region", "type": string, "optional": True, "docs": {"summary": f"{{@link {DOCS}#region X}}"}}
        ),
    }
    return {"name": PREFIX, "version": "21.22.1", "types": types}


def test_derive_reads_names_nesting_and_requiredness_from_the_assembly() -> None:
    derived = provider_schema.derive(
        _mini_assembly(), {"resource": {"aws_widget", "aws_other"}, "data": set(), "provider": {"aws"}}
    )

    assert derived["all_types"] == {"resource": ["aws_widget"], "data": ["aws_widget"]}
    assert derived["data"] == {}  # not declared in any scanned .tf file
    assert derived["provider"] == {"aws": {"attributes": {"region": "optional"}, "blocks": {}}}
    rule_schema = {"attributes": {"priority": "optional"}, "blocks": {}}
    assert derived["resource"] == {
        "aws_widget": {
            "attributes": {"by_name": "optional", "equals": "optional", "tags": "optional", "widget_name": "required"},
            "blocks": {
                "rule": {"nesting": "list", "required": True, "schema": rule_schema},
                "settings": {"nesting": "single", "required": False, "schema": {"attributes": {}, "blocks": {}}},
            },
        }
    }


def test_derive_refuses_bindings_generated_from_another_provider_version() -> None:
    assembly = _mini_assembly()
    widget = assembly["types"][f"{PREFIX}.widget.Widget"]
    widget["docs"]["summary"] = widget["docs"]["summary"].replace("/6.25.0/", "/6.24.0/")
    with pytest.raises(SystemExit, match=r"hashicorp/aws 6\.24\.0, not 6\.25\.0"):
        provider_schema.derive(assembly, {"resource": {"aws_widget"}, "data": set(), "provider": set()})


def test_declared_types_scans_resource_and_data_headers() -> None:
    declared = provider_schema.declared_types([FIXTURES / "schema" / "valid"])
    assert declared["resource"] == {"aws_sqs_queue", "aws_lambda_function", "aws_cloudwatch_event_target"}
    assert declared["data"] == {"aws_region"}


# --------------------------------------------------------------------------- terraform test


def test_provider_free_modules_are_detected() -> None:
    found = {path.name for path in check_terraform.provider_free_modules(FIXTURES / "modules")}
    # Not needs_aws, nor calls_needs_aws, which needs it through its module call.
    assert found == {"passing", "failing", "untested", "invalid"}


def test_tree_has_a_provider_free_module() -> None:
    modules = check_terraform.provider_free_modules(TERRAFORM)
    assert modules, "terraform/ has no provider-free module, so `terraform test` proves nothing offline"


def test_every_provider_free_module_passes_terraform_test(capsys: pytest.CaptureFixture[str]) -> None:
    runs, findings = check_terraform.check_tests(TERRAFORM)
    with capsys.disabled():
        for run in runs:
            print(f"\nterraform test {run.module.relative_to(TERRAFORM)}: {run.summary}")
    assert not findings, _report(findings)


@pytest.mark.parametrize(
    ("module", "ok", "summary"),
    [
        ("passing", True, "Success! 1 passed, 0 failed."),
        ("failing", False, "Failure! 0 passed, 1 failed."),
        ("untested", False, "Success! 0 passed, 0 failed. No run passed"),
        ("invalid", False, "terraform validate failed"),
    ],
)
def test_module_runner_reports_terraform_test_outcome(module: str, ok: bool, summary: str) -> None:
    run = check_terraform.run_module_tests(FIXTURES / "modules" / module)
    assert (run.ok, run.summary.startswith(summary)) == (ok, True), run.output
    assert not (FIXTURES / "modules" / module / ".terraform").exists()  # TF_DATA_DIR kept the tree clean


def test_no_provider_free_module_is_a_finding(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "modules" / "needs_aws", tmp_path / "needs_aws")
    runs, findings = check_terraform.check_tests(tmp_path)
    assert runs == []
    assert "no provider-free module" in findings[0].message


# ---------------------------------------------------------------------------------- checkov


@pytest.fixture(scope="module")
def tree_checkov() -> dict[str, Any]:
    return check_terraform.run_checkov(TERRAFORM)


def test_checkov_finds_no_failed_check(tree_checkov: dict[str, Any]) -> None:
    findings = check_terraform.checkov_findings(tree_checkov, TERRAFORM)
    assert not findings, _report(findings)


def test_every_checkov_skip_in_the_tree_has_a_reason() -> None:
    findings = check_terraform.check_skip_reasons(TERRAFORM)
    assert not findings, _report(findings)


def test_checkov_fixture_fails_and_a_bare_skip_is_flagged() -> None:
    directory = FIXTURES / "checkov"
    report = check_terraform.run_checkov(directory)
    failed = check_terraform.checkov_findings(report, directory)
    assert [(f.path.name, f.line, f.message.split()[0]) for f in failed] == [("main.tf", 2, "CKV_AWS_27")]
    assert report["summary"]["skipped"] == 2  # checkov honours both skips, with or without a reason...
    bare = check_terraform.check_skip_reasons(directory)
    assert [(f.path.name, f.line) for f in bare] == [("main.tf", 14)]  # ...so only this check catches the bare one


@pytest.mark.parametrize(
    ("comment", "ok"),
    [
        ("# checkov:skip=CKV_AWS_117:Runs outside a VPC by design", True),
        ("# checkov:skip=CKV2_AWS_62:no events to notify", True),
        ("# checkov:skip=CKV_AWS_117", False),
        ("# checkov:skip=CKV_AWS_117: ok", False),
        ("# checkov:skip=:because reasons and more", False),
    ],
)
def test_skip_comment_needs_a_check_id_and_a_reason(comment: str, ok: bool) -> None:
    assert (check_terraform.skip_problems(comment) == []) is ok
