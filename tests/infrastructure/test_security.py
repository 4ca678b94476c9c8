"""Least privilege and secure defaults, checked over every .tf file and the Python code.

checkov covers many single-resource rules; these checks state the project's own: no IAM grant on
every resource unless AWS offers nothing narrower, no policy open to anyone, every store of data
encrypted, and bandit clean over the code that ships or runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cartprovider.authorization import LOG_DELIVERY
from tests.helpers.paths import ROOT
from tests.helpers.terraform import load_hcl

TERRAFORM_FILES = sorted((ROOT / "terraform").rglob("*.tf"))

# Actions whose Service Authorization Reference entry lists no resource type: "*" is the narrowest.
NO_RESOURCE_LEVEL = {
    "xray:PutTraceSegments": "lists no resource type",
    "xray:PutTelemetryRecords": "lists no resource type",
    "kms:CreateKey": "the key does not exist yet; narrowed by request tag and region",
    "kms:ListAliases": "lists no resource type; narrowed by region",
    "lambda:CreateEventSourceMapping": "the mapping does not exist yet; narrowed by lambda:FunctionArn",
    "kms:TagResource": "needed with CreateKey's Tags; narrowed by request and resource tag",
    "cognito-idp:CreateUserPool": "the pool does not exist yet; narrowed by region",
    # An HTTP API stage's access logging (CloudWatch Logs log delivery, as the caller).
    **dict.fromkeys(LOG_DELIVERY, "lists no resource type; narrowed by region"),
}
NEEDS_CONDITION = {
    "kms:CreateKey",
    "kms:ListAliases",
    "lambda:CreateEventSourceMapping",
    "kms:TagResource",
    "cognito-idp:CreateUserPool",
    *LOG_DELIVERY,
}


@dataclass(frozen=True)
class Statement:
    """One IAM statement found in a .tf file, in either jsonencode() or policy-document form."""

    where: str
    owner: str
    effect: str
    actions: tuple[str, ...]
    resources: str
    principal_anyone: bool
    conditioned: bool


def _blocks(text: str) -> list[tuple[int, int]]:
    """(open, close) offsets of every brace pair outside strings and comments."""
    spans, stack, index, in_string = [], [], 0, False
    while index < len(text):
        char = text[index]
        if char == '"' and text[index - 1] != "\\":
            in_string = not in_string
        elif not in_string and char == "#":
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            continue
        elif not in_string and char == "{":
            stack.append(index)
        elif not in_string and char == "}" and stack:
            spans.append((stack.pop(), index))
        index += 1
    return spans


def _top_level(body: str) -> str:
    depth, kept = 0, []
    for char in body:
        depth += char == "{"
        if depth == 0:
            kept.append(char)
        depth -= char == "}"
    return "".join(kept)


def _assigned(name: str, text: str) -> str:
    match = re.search(rf"\b{name}\s*=\s*(\[[^\]]*\]|\"[^\"]*\")", text)
    return match.group(1) if match else ""


# A statement belongs to the resource or data block around it; the contract module computes the key
# policy as a local named kms_key_policy, which is a key policy all the same.
_OWNER = re.compile(r"(?:resource|data)\s+\"(\w+)\"|\s*kms_key_policy\s*=")


def statements(path: Path, root: Path = ROOT) -> list[Statement]:
    text = path.read_text()
    spans = _blocks(text)
    found = []
    for start, end in spans:
        body = text[start + 1 : end]
        flat = _top_level(body)
        header = text[text.rfind("\n", 0, start) + 1 : start].strip()
        is_statement = header == "statement" or re.search(r"\bEffect\s*=", flat)
        is_statement = is_statement or (re.search(r"\bsid\s*=", flat) and re.search(r"\bactions\s*=", flat))
        if not is_statement:
            continue
        owners = [
            match.group(1) or "aws_kms_key"
            for outer_start, outer_end in spans
            if outer_start < start < outer_end
            and (match := re.match(_OWNER, text[text.rfind("\n", 0, outer_start) + 1 :]))
        ]
        effect = re.search(r"\b[Ee]ffect\s*=\s*\"(\w+)\"", flat)
        anyone = re.search(r"Principal\s*=\s*\{[^}]*\"\*\"", body)
        principal = _assigned("Principal", flat) + _assigned("identifiers", body) + (anyone.group(0) if anyone else "")
        found.append(
            Statement(
                where=f"{path.relative_to(root)}:{text.count(chr(10), 0, start) + 1}",
                owner=owners[-1] if owners else "",
                effect=effect.group(1) if effect else "Allow",
                actions=tuple(re.findall(r"\"([a-z0-9-]+:[A-Za-z0-9*]+)\"", _assigned("(?:Action|actions)", flat))),
                resources=_assigned("(?:Resource|resources)", flat),
                principal_anyone='"*"' in principal,
                conditioned="condition {" in body or re.search(r"\b[Cc]ondition\s*=\s*\{\s*\w", body) is not None,
            )
        )
    return found


ALL_STATEMENTS = [statement for path in TERRAFORM_FILES for statement in statements(path)]


def test_the_scanner_sees_wildcards_and_open_principals(tmp_path: Path) -> None:
    probe = tmp_path / "probe.tf"
    probe.write_text(
        'data "aws_iam_policy_document" "p" {\n'
        "  statement {\n"
        '    actions   = ["s3:GetObject"]\n'
        '    resources = ["*"]\n'
        "    principals {\n"
        '      type        = "AWS"\n'
        '      identifiers = ["*"]\n'
        "    }\n"
        "  }\n"
        "}\n"
    )
    [statement] = statements(probe, root=tmp_path)
    assert (statement.effect, statement.actions, statement.resources) == ("Allow", ("s3:GetObject",), '["*"]')
    assert statement.principal_anyone
    assert not statement.conditioned


def test_the_scanner_finds_the_policies() -> None:
    owners = {statement.owner for statement in ALL_STATEMENTS}
    assert {"aws_kms_key", "aws_iam_policy_document"} <= owners
    assert len(ALL_STATEMENTS) > 40


@pytest.mark.parametrize("statement", [s for s in ALL_STATEMENTS if '"*"' in s.resources], ids=lambda s: s.where)
def test_no_allow_on_every_resource_unless_nothing_narrower_exists(statement: Statement) -> None:
    if statement.effect == "Deny" or statement.owner == "aws_kms_key":
        return  # a Deny narrows nothing; in a key policy "*" means this key only
    assert statement.actions
    unexplained = [action for action in statement.actions if action not in NO_RESOURCE_LEVEL]
    assert unexplained == [], f"{statement.where}: {unexplained} granted on every resource"
    if NEEDS_CONDITION & set(statement.actions):
        assert statement.conditioned, f"{statement.where}: {statement.actions} on '*' without a condition"


@pytest.mark.parametrize("statement", [s for s in ALL_STATEMENTS if s.principal_anyone], ids=lambda s: s.where)
def test_no_policy_lets_anyone_in(statement: Statement) -> None:
    assert statement.effect == "Deny", f"{statement.where}: allows any principal"


def resources_of(kind: str) -> list[tuple[str, dict[str, object]]]:
    found = []
    for path in TERRAFORM_FILES:
        for block in load_hcl(path).get("resource", []):
            for name, body in block.get(kind, {}).items():
                found.append((f"{path.relative_to(ROOT)}:{kind}.{name}", body))
    return found


def test_every_queue_table_log_group_and_topic_is_encrypted() -> None:
    queues, tables = resources_of("aws_sqs_queue"), resources_of("aws_dynamodb_table")
    logs, topics = resources_of("aws_cloudwatch_log_group"), resources_of("aws_sns_topic")
    for found in (queues, tables, logs, topics):
        assert found, "a resource kind disappeared: the scan would pass vacuously"
    for where, body in queues:
        assert body.get("kms_master_key_id") or body.get("sqs_managed_sse_enabled") is True, where
    for where, body in tables:
        encryption: list[dict[str, object]] = body.get("server_side_encryption") or []  # type: ignore[assignment]
        assert encryption, where
        assert all(block.get("enabled") is True for block in encryption), where
    for where, body in logs:
        assert body.get("kms_key_id"), where
    for where, body in topics:
        assert body.get("kms_master_key_id"), where


def test_every_bucket_is_encrypted_and_closed_to_the_public() -> None:
    buckets = [where.rsplit(".", 1)[1] for where, _ in resources_of("aws_s3_bucket")]
    assert buckets
    encrypted = json.dumps([body for _, body in resources_of("aws_s3_bucket_server_side_encryption_configuration")])
    blocked = resources_of("aws_s3_bucket_public_access_block")
    for bucket in buckets:
        # Referenced directly (bucket = aws_s3_bucket.x.id) or iterated (for_each = aws_s3_bucket.x).
        reference = re.compile(rf"aws_s3_bucket\.{bucket}\b")
        assert reference.search(encrypted), f"bucket {bucket} has no encryption configuration"
        matching = [body for _, body in blocked if reference.search(json.dumps(body))]
        assert matching, f"bucket {bucket} has no public access block"
        for body in matching:
            flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
            assert all(body.get(flag) is True for flag in flags), bucket


@pytest.mark.parametrize(
    ("targets", "skips"),
    [
        # What Lambda runs: every bandit check.
        (["cartflow", "functions"], ""),
        # Developer tooling: asserts narrow types for mypy, and subprocess calls take argument
        # lists, never a shell (ruff's S603 makes each call carry a reviewed noqa).
        (["cartlocal", "cartship", "tools", "build.py"], "B101,B404,B603"),
    ],
    ids=["lambda-code", "tooling"],
)
def test_bandit_finds_nothing(targets: list[str], skips: str) -> None:
    command = [sys.executable, "-m", "bandit", "-q", "-r", *targets, "-f", "json"]
    skip = ["-s", skips] if skips else []
    report = subprocess.run([*command, *skip], cwd=ROOT, capture_output=True, text=True, check=False)
    results = json.loads(report.stdout)["results"]
    assert [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in results] == []
    assert report.returncode == 0, report.stderr
