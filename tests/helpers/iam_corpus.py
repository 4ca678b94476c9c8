"""The IAM conformance corpus, run through the local authorization plane's evaluator.

``../shared/iamcorpus/cases/`` (beside the project root, as CI has it; never copied here) holds
policy-evaluation cases taken as data from two independently written IAM simulators' test suites
(its README names sources, commits and licences; no code of theirs is used). Each case is one
request with its policies and the decision its authors expect. This adapter sorts each case into
scope or gives the reason it is out of scope, decides the in-scope ones with
:func:`cartlocal.iam.policy.authorize`, and compares.

A policy the evaluator refuses (:class:`PolicyError`: what IAM would not store, or cannot be
decided) grants nothing; such a case agrees when its authors expect a denial of either kind.

``python -m tests.helpers.iam_corpus`` (``make authz-corpus``) prints the tables; the test
``tests/unit/test_iam_corpus.py`` holds the figures.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cartlocal.iam.conditions import Context, PolicyError
from cartlocal.iam.policy import Policy, Principal, Request, authorize
from tests.helpers.paths import ROOT

CASES = ROOT.parent / "shared" / "iamcorpus" / "cases"

# Out-of-scope reasons, in the order they are tested (the first that applies is reported).
ORGANIZATIONS = "organizations policies (SCP/RCP): no organization here"
ENDPOINT = "VPC endpoint policies: no VPC endpoint here"
DISCOVERY = "simulator's discovery mode (unknown context values): not an AWS decision"
SEVERAL_RESOURCE_POLICIES = "several resource policies on one request: not an AWS request shape"
ANONYMOUS = "anonymous principal: every stack request is signed"
CROSS_ACCOUNT = "cross-account request: no multi-account layout here"
WILDCARD_REQUEST = "request on a wildcard resource or wildcard-only action: a simulator notion"
NO_AUTHORIZATION = "sts:GetCallerIdentity: AWS authorizes no policy for it"
VARIABLES = "policy variables: refused at parse time (no policy of the stack uses them)"


@dataclass(frozen=True)
class Outcome:
    """One case: its scope, the plane's decision and whether it agrees with the expectation."""

    case: Mapping[str, Any]
    out_of_scope: str | None
    decided: str  # Allowed | ImplicitlyDenied | ExplicitlyDenied | Refused (PolicyError) | ""

    @property
    def id(self) -> str:
        return str(self.case["id"])

    @property
    def suite(self) -> str:
        return str(self.case["suite"])

    @property
    def expected(self) -> str:
        return str(self.case["expected"])

    @property
    def agrees(self) -> bool:
        if self.decided.startswith("Refused"):
            return self.expected != "Allowed"
        return self.decided == self.expected


def load(folder: Path = CASES) -> list[dict[str, Any]]:
    """Every case of every suite file, in file order."""
    if not folder.is_dir():
        raise FileNotFoundError(f"the IAM conformance corpus is missing: {folder} (CI always has it)")
    cases: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")):
        cases.extend(json.loads(path.read_text(encoding="utf-8"))["cases"])
    return cases


def _principal(raw: object) -> Principal | None:
    if not isinstance(raw, str):
        return None
    if raw.endswith(".amazonaws.com"):
        return Principal.service(raw)
    parts = raw.split(":", 5)
    if len(parts) != len(["arn", "partition", "service", "region", "account", "resource"]):
        return None
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    if service == "iam" and resource.startswith("user/"):
        return Principal.user(raw)
    if service == "iam" and resource.startswith("role/"):
        return Principal.role(raw)
    if service == "sts" and resource.startswith("assumed-role/"):
        _, role, session = resource.split("/", 2)
        return Principal.role(f"arn:{partition}:iam::{account}:role/{role}", session)
    return None


def scope(case: Mapping[str, Any]) -> str | None:
    """Why ``case`` is out of scope, or None when the plane should decide it as AWS does."""
    other, request = case["other"], case["request"]
    if (
        "serviceControlPolicies" in other
        or "resourceControlPolicies" in other
        or other.get("policyType") in {"scp", "rcp"}
    ):
        return ORGANIZATIONS
    if "endpointPolicies" in other or other.get("policyType") == "vpce":
        return ENDPOINT
    if other.get("simulation"):
        return DISCOVERY
    if "resourcePolicies" in other:
        return SEVERAL_RESOURCE_POLICIES
    principal = _principal(request["principal"])
    if principal is None:
        return ANONYMOUS
    if principal.kind != "service" and principal.account != request["resourceAccount"]:
        return CROSS_ACCOUNT
    if request["resource"] == "*" or request["wildcardOnlyAction"]:
        return WILDCARD_REQUEST
    if request["action"].lower() == "sts:getcallerIdentity".lower():
        return NO_AUTHORIZATION
    if "${" in json.dumps([case["identityPolicies"], case["resourcePolicy"], other]):
        return VARIABLES
    return None


def _context(raw: Mapping[str, Any]) -> Context:
    def text(value: object) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    return {
        key: tuple(text(v) for v in value) if isinstance(value, list) else text(value) for key, value in raw.items()
    }


def decide(case: Mapping[str, Any]) -> str:
    """The plane's decision on an in-scope case."""
    request = case["request"]
    principal = _principal(request["principal"])
    assert principal is not None
    other = case["other"]
    try:
        identity = [Policy.parse(f"identity {i}", p) for i, p in enumerate(case["identityPolicies"])]
        resource = Policy.parse("resource", case["resourcePolicy"]) if case["resourcePolicy"] else None
        boundaries = [Policy.parse("boundary", p) for p in other.get("permissionBoundaries", [])]
        session = Policy.parse("session", other["sessionPolicy"]) if other.get("sessionPolicy") else None
    except PolicyError as error:
        return f"Refused ({error})"
    if len(boundaries) > 1:
        # One boundary per entity in IAM; several would be intersected: merge their statements.
        boundaries = [Policy("boundary", tuple(s for b in boundaries for s in b.statements))]
    decision = authorize(
        Request(principal, request["action"], request["resource"], _context(request["context"])),
        identity,
        resource,
        boundary=boundaries[0] if boundaries else None,
        session=session,
    )
    if decision.allowed:
        return "Allowed"
    return "ExplicitlyDenied" if decision.reason.startswith("with an explicit deny") else "ImplicitlyDenied"


def run(cases: list[dict[str, Any]] | None = None) -> list[Outcome]:
    outcomes = []
    for case in load() if cases is None else cases:
        reason = scope(case)
        outcomes.append(Outcome(case, reason, "" if reason else decide(case)))
    return outcomes


def tables(outcomes: list[Outcome]) -> Iterator[str]:
    """Agreement per suite, the out-of-scope reasons, and every disagreement."""
    suites = sorted({o.suite for o in outcomes})
    yield "| suite | cases | in scope | agree | disagree | agreement |"
    yield "| --- | ---: | ---: | ---: | ---: | ---: |"
    for suite in [*suites, "all"]:
        mine = [o for o in outcomes if suite in {"all", o.suite}]
        in_scope = [o for o in mine if o.out_of_scope is None]
        agree = sum(o.agrees for o in in_scope)
        yield f"| {suite} | {len(mine)} | {len(in_scope)} | {agree} | {len(in_scope) - agree} | {_share(in_scope)} |"
    yield ""
    yield "| out of scope because | cases |"
    yield "| --- | ---: |"
    for reason, count in Counter(o.out_of_scope for o in outcomes if o.out_of_scope).most_common():
        yield f"| {reason} | {count} |"
    yield ""
    yield "| disagreement (case id) | expected | plane |"
    yield "| --- | --- | --- |"
    for o in outcomes:
        if o.out_of_scope is None and not o.agrees:
            yield f"| `{o.id}` | {o.expected} | {o.decided} |"


def agreement(outcomes: list[Outcome]) -> float:
    """The share of in-scope cases that agree."""
    counted = [o for o in outcomes if o.out_of_scope is None]
    return sum(o.agrees for o in counted) / len(counted)


def _share(outcomes: list[Outcome]) -> str:
    return f"{100 * sum(o.agrees for o in outcomes) / len(outcomes):.1f} %" if outcomes else "-"


def main() -> int:
    print("\n".join(tables(run())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
