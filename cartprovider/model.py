"""What the stand-in answers: planned values, applied values and data-source reads, as AWS would.

Why this exists: the plugin protocol (cartprovider/plugin.py) only carries values; deciding them is
the provider's job, and it decides what Terraform can know at plan time. The rules, each the real
provider's (docs/aws-fidelity.md, "Terraform plan offline"):

- plan, create: a computed attribute the configuration leaves null is unknown ("known after
  apply"), except `region` (provider 6 plans it from the provider's region) and `tags_all`
  (the provider's default_tags merged with `tags`, planned by the provider's CustomizeDiff);
- plan, update: computed attributes keep their prior values; an argument in FORCE_NEW whose value
  changes makes Terraform replace the resource;
- apply: every unknown is filled deterministically (a digest of the planned values), in the
  service's formats: ARNs per ARN_FORMATS, ids, names generated from `name_prefix`;
- read: state is returned as it is (nothing changes behind Terraform's back here), so a second
  plan after apply is empty exactly when the configuration is stable;
- data sources answer from the plan's context: account ACCOUNT_ID, the provider's region,
  partition `aws`, policy documents rendered as the provider renders them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Final

ACCOUNT_ID: Final = "123456789012"
PARTITION: Final = "aws"


class UnknownValue:
    """A value Terraform does not know yet (msgpack extension 0 on the wire)."""

    _instance: UnknownValue | None = None

    def __new__(cls) -> UnknownValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Unknown"


UNKNOWN: Final = UnknownValue()

Block = dict[str, Any]
Context = dict[str, Any]

# Arguments whose change makes the real provider replace the resource (ForceNew in
# hashicorp/terraform-provider-aws; its docs mark them "Forces new resource"). Only the types and
# arguments this repository sets are listed: a change of any other argument updates in place.
FORCE_NEW: Final[dict[str, frozenset[str]]] = {
    "aws_sqs_queue": frozenset({"name", "name_prefix", "fifo_queue"}),
    "aws_iam_role": frozenset({"name", "name_prefix", "path"}),
    "aws_iam_role_policy": frozenset({"name", "name_prefix", "role"}),
    "aws_iam_role_policy_attachment": frozenset({"role", "policy_arn"}),
    "aws_iam_policy": frozenset({"name", "name_prefix", "path", "description"}),
    "aws_cloudwatch_log_group": frozenset({"name", "name_prefix"}),
    "aws_lambda_function": frozenset({"function_name", "package_type"}),
    "aws_lambda_alias": frozenset({"name", "function_name"}),
    "aws_lambda_permission": frozenset(
        {"statement_id", "action", "function_name", "principal", "qualifier", "source_arn", "source_account"}
    ),
    "aws_lambda_event_source_mapping": frozenset({"event_source_arn"}),
    "aws_lambda_function_event_invoke_config": frozenset({"function_name", "qualifier"}),
    "aws_kms_alias": frozenset({"name", "name_prefix"}),
    "aws_kms_key": frozenset({"customer_master_key_spec", "key_usage"}),
    "aws_dynamodb_table": frozenset({"name", "hash_key", "range_key"}),
    "aws_s3_bucket": frozenset({"bucket", "bucket_prefix"}),
    "aws_cloudwatch_event_bus": frozenset({"name"}),
    "aws_cloudwatch_event_rule": frozenset({"name", "name_prefix", "event_bus_name"}),
    "aws_cloudwatch_event_target": frozenset({"rule", "target_id", "event_bus_name"}),
    "aws_cloudwatch_event_archive": frozenset({"name", "event_source_arn"}),
    "aws_scheduler_schedule_group": frozenset({"name", "name_prefix"}),
    "aws_sns_topic": frozenset({"name", "name_prefix", "fifo_topic"}),
    "aws_sns_topic_subscription": frozenset({"topic_arn", "protocol", "endpoint"}),
    "aws_schemas_registry": frozenset({"name"}),
    "aws_schemas_schema": frozenset({"name", "registry_name"}),
    "aws_sesv2_configuration_set": frozenset({"configuration_set_name"}),
    "aws_sesv2_configuration_set_event_destination": frozenset({"configuration_set_name", "event_destination_name"}),
    "aws_sesv2_email_identity": frozenset({"email_identity"}),
    "aws_apigatewayv2_api": frozenset({"protocol_type"}),
    "aws_apigatewayv2_stage": frozenset({"api_id", "name"}),
    "aws_api_gateway_stage": frozenset({"rest_api_id", "stage_name"}),
    "aws_api_gateway_resource": frozenset({"rest_api_id"}),
    "aws_api_gateway_method": frozenset({"rest_api_id", "resource_id", "http_method"}),
    "aws_api_gateway_integration": frozenset({"rest_api_id", "resource_id", "http_method"}),
    "aws_api_gateway_deployment": frozenset({"rest_api_id"}),
    "aws_cognito_user_pool": frozenset({"alias_attributes", "username_attributes"}),
    "aws_cognito_user_pool_client": frozenset({"user_pool_id", "generate_secret"}),
}


def digest(*parts: Any, length: int = 12) -> str:
    """A deterministic hex digest of the values it is given."""
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _uuid(seed: str) -> str:
    h = digest(seed, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _api_id(seed: str) -> str:
    return "".join(c if c.isalpha() else chr(ord("a") + int(c)) for c in digest(seed, length=10))


def _str(state: Block, key: str, default: str = "") -> str:
    value = state.get(key)
    return value if isinstance(value, str) else default


# ---------------------------------------------------------------- computed values at apply

Filler = Callable[[Block, Context, str], dict[str, Any]]


def _arn(service: str, ctx: Context, resource: str, *, region: bool = True, account: bool = True) -> str:
    return f"arn:{PARTITION}:{service}:{ctx['region'] if region else ''}:{ACCOUNT_ID if account else ''}:{resource}"


def _sqs(s: Block, c: Context, seed: str) -> dict[str, Any]:
    name = _str(s, "name")
    return {
        "arn": _arn("sqs", c, name),
        "url": f"https://sqs.{c['region']}.amazonaws.com/{ACCOUNT_ID}/{name}",
        "id": f"https://sqs.{c['region']}.amazonaws.com/{ACCOUNT_ID}/{name}",
    }


def _iam_role(s: Block, c: Context, seed: str) -> dict[str, Any]:
    name = _str(s, "name")
    return {
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{_str(s, 'path', '/')}{name}",
        "id": name,
        "unique_id": "AROA" + digest(seed, length=17).upper(),
        "create_date": "2026-01-01T00:00:00Z",
    }


def _iam_policy(s: Block, c: Context, seed: str) -> dict[str, Any]:
    arn = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:policy{_str(s, 'path', '/')}{_str(s, 'name')}"
    return {"arn": arn, "id": arn, "policy_id": "ANPA" + digest(seed, length=17).upper(), "attachment_count": 0}


def _kms_key(s: Block, c: Context, seed: str) -> dict[str, Any]:
    key_id = _uuid(seed)
    return {"key_id": key_id, "id": key_id, "arn": _arn("kms", c, f"key/{key_id}")}


def _lambda_function(s: Block, c: Context, seed: str) -> dict[str, Any]:
    name = _str(s, "function_name")
    arn = _arn("lambda", c, f"function:{name}")
    version = "1" if s.get("publish") else "$LATEST"
    invoke = f"arn:{PARTITION}:apigateway:{c['region']}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return {
        "arn": arn,
        "id": name,
        "version": version,
        "qualified_arn": f"{arn}:{version}",
        "invoke_arn": invoke,
        "qualified_invoke_arn": invoke.replace(arn, f"{arn}:{version}"),
        "last_modified": "2026-01-01T00:00:00.000+0000",
        "code_sha256": _str(s, "source_code_hash", digest(seed)),
        "source_code_hash": _str(s, "source_code_hash", digest(seed)),
        "source_code_size": 1024,
    }


def _lambda_alias(s: Block, c: Context, seed: str) -> dict[str, Any]:
    arn = _arn("lambda", c, f"function:{_str(s, 'function_name')}:{_str(s, 'name')}")
    invoke = f"arn:{PARTITION}:apigateway:{c['region']}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return {"arn": arn, "id": arn, "invoke_arn": invoke}


def _event_rule(s: Block, c: Context, seed: str) -> dict[str, Any]:
    bus, name = _str(s, "event_bus_name", "default"), _str(s, "name")
    path = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return {"arn": _arn("events", c, path), "id": name if bus == "default" else f"{bus}/{name}"}


def _rest_api(s: Block, c: Context, seed: str) -> dict[str, Any]:
    api_id = _api_id(seed)
    return {
        "id": api_id,
        "root_resource_id": _api_id(seed + "/")[:10],
        "arn": f"arn:{PARTITION}:apigateway:{c['region']}::/restapis/{api_id}",
        "execution_arn": _arn("execute-api", c, api_id),
        "created_date": "2026-01-01T00:00:00Z",
    }


def _http_api(s: Block, c: Context, seed: str) -> dict[str, Any]:
    api_id = _api_id(seed)
    return {
        "id": api_id,
        "arn": f"arn:{PARTITION}:apigateway:{c['region']}::/apis/{api_id}",
        "execution_arn": _arn("execute-api", c, api_id),
        "api_endpoint": f"https://{api_id}.execute-api.{c['region']}.amazonaws.com",
    }


def _rest_stage(s: Block, c: Context, seed: str) -> dict[str, Any]:
    api, stage = _str(s, "rest_api_id"), _str(s, "stage_name")
    return {
        "id": f"ags-{api}-{stage}",
        "arn": f"arn:{PARTITION}:apigateway:{c['region']}::/restapis/{api}/stages/{stage}",
        "execution_arn": _arn("execute-api", c, f"{api}/{stage}"),
        "invoke_url": f"https://{api}.execute-api.{c['region']}.amazonaws.com/{stage}",
    }


def _http_stage(s: Block, c: Context, seed: str) -> dict[str, Any]:
    api, stage = _str(s, "api_id"), _str(s, "name")
    return {
        "id": stage,
        "arn": f"arn:{PARTITION}:apigateway:{c['region']}::/apis/{api}/stages/{stage}",
        "execution_arn": _arn("execute-api", c, f"{api}/{stage}"),
        "invoke_url": f"https://{api}.execute-api.{c['region']}.amazonaws.com/{stage}",
    }


def _user_pool(s: Block, c: Context, seed: str) -> dict[str, Any]:
    pool = f"{c['region']}_{digest(seed, length=9)}"
    return {
        "id": pool,
        "arn": _arn("cognito-idp", c, f"userpool/{pool}"),
        "endpoint": f"cognito-idp.{c['region']}.amazonaws.com/{pool}",
    }


def _simple(
    service: str,
    resource: Callable[[Block], str],
    id_of: Callable[[Block, str], str],
    *,
    region: bool = True,
    account: bool = True,
) -> Filler:
    def fill(s: Block, c: Context, seed: str) -> dict[str, Any]:
        arn = _arn(service, c, resource(s), region=region, account=account)
        return {"arn": arn, "id": id_of(s, arn)}

    return fill


def _name(s: Block, arn: str) -> str:
    return _str(s, "name")


def _arn_id(s: Block, arn: str) -> str:
    return arn


# ARN formats: the service authorization reference's "resource types" table of each service.
ARN_FORMATS: Final[dict[str, Filler]] = {
    "aws_sqs_queue": _sqs,
    "aws_iam_role": _iam_role,
    "aws_iam_policy": _iam_policy,
    "aws_kms_key": _kms_key,
    "aws_lambda_function": _lambda_function,
    "aws_lambda_alias": _lambda_alias,
    "aws_cloudwatch_event_rule": _event_rule,
    "aws_api_gateway_rest_api": _rest_api,
    "aws_apigatewayv2_api": _http_api,
    "aws_api_gateway_stage": _rest_stage,
    "aws_apigatewayv2_stage": _http_stage,
    "aws_cognito_user_pool": _user_pool,
    "aws_kms_alias": _simple("kms", lambda s: _str(s, "name"), _name),
    "aws_cloudwatch_log_group": _simple("logs", lambda s: f"log-group:{_str(s, 'name')}", _name),
    "aws_cloudwatch_event_bus": _simple("events", lambda s: f"event-bus/{_str(s, 'name')}", _name),
    "aws_cloudwatch_event_archive": _simple("events", lambda s: f"archive/{_str(s, 'name')}", _name),
    "aws_cloudwatch_metric_alarm": _simple(
        "cloudwatch", lambda s: f"alarm:{_str(s, 'alarm_name')}", lambda s, a: _str(s, "alarm_name")
    ),
    "aws_sns_topic": _simple("sns", lambda s: _str(s, "name"), _arn_id),
    "aws_dynamodb_table": _simple("dynamodb", lambda s: f"table/{_str(s, 'name')}", _name),
    "aws_scheduler_schedule_group": _simple("scheduler", lambda s: f"schedule-group/{_str(s, 'name')}", _name),
    "aws_schemas_registry": _simple("schemas", lambda s: f"registry/{_str(s, 'name')}", _name),
    "aws_schemas_schema": _simple(
        "schemas",
        lambda s: f"schema/{_str(s, 'registry_name')}/{_str(s, 'name')}",
        lambda s, a: f"{_str(s, 'name')}/{_str(s, 'registry_name')}",
    ),
    "aws_sesv2_configuration_set": _simple(
        "ses",
        lambda s: f"configuration-set/{_str(s, 'configuration_set_name')}",
        lambda s, a: _str(s, "configuration_set_name"),
    ),
    "aws_sesv2_email_identity": _simple(
        "ses", lambda s: f"identity/{_str(s, 'email_identity')}", lambda s, a: _str(s, "email_identity")
    ),
    # A bucket's ARN names neither region nor account: bucket names are global (SAR, S3 resource types).
    "aws_s3_bucket": _simple(
        "s3", lambda s: _str(s, "bucket"), lambda s, a: _str(s, "bucket"), region=False, account=False
    ),
    "aws_iam_openid_connect_provider": lambda s, c, seed: {
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{_str(s, 'url').removeprefix('https://')}",
        "id": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{_str(s, 'url').removeprefix('https://')}",
    },
    "aws_sns_topic_subscription": lambda s, c, seed: {
        "arn": f"{_str(s, 'topic_arn')}:{_uuid(seed)}",
        "id": f"{_str(s, 'topic_arn')}:{_uuid(seed)}",
    },
    "aws_lambda_event_source_mapping": lambda s, c, seed: {
        "uuid": _uuid(seed),
        "id": _uuid(seed),
        "arn": _arn("lambda", c, f"event-source-mapping:{_uuid(seed)}"),
    },
    "aws_cloudwatch_dashboard": lambda s, c, seed: {
        "dashboard_arn": f"arn:{PARTITION}:cloudwatch::{ACCOUNT_ID}:dashboard/{_str(s, 'dashboard_name')}",
        "id": _str(s, "dashboard_name"),
    },
    "aws_iam_role_policy": lambda s, c, seed: {"id": f"{_str(s, 'role')}:{_str(s, 'name')}"},
    "aws_lambda_permission": lambda s, c, seed: {"id": _str(s, "statement_id")},
    "aws_lambda_function_event_invoke_config": lambda s, c, seed: {
        "id": f"{_str(s, 'function_name')}:{_str(s, 'qualifier')}" if s.get("qualifier") else _str(s, "function_name")
    },
    "aws_cloudwatch_event_target": lambda s, c, seed: {
        "id": f"{_str(s, 'event_bus_name', 'default')}-{_str(s, 'rule')}-{_str(s, 'target_id')}"
    },
}

# Arguments named after others (the bucket-scoped S3 resources are identified by their bucket).
_ID_FROM: Final = {"bucket", "rest_api_id", "api_id", "function_name", "name", "role"}


def _generated_name(prefix: str, seed: str) -> str:
    """What create.Name generates from a prefix: the prefix and a 26-digit timestamp-like suffix."""
    return prefix + str(int(digest(seed, length=20), 16))[:26].rjust(26, "0")


def _default_of(value_type: Any, name: str, seed: str) -> Any:
    """A deterministic value for a computed attribute no format above covers."""
    if value_type == "string":
        return f"{name}-{digest(seed, name)}"
    if value_type == "number":
        return 0
    if value_type == "bool":
        return False
    if isinstance(value_type, list) and value_type[0] in {"list", "set"}:
        return []
    if isinstance(value_type, list) and value_type[0] == "map":
        return {}
    return None


def _fill_unknowns(value: Any, value_type: Any, name: str, seed: str) -> Any:
    if value is UNKNOWN:
        return _default_of(value_type, name, seed)
    if isinstance(value, dict) and isinstance(value_type, list) and value_type[0] == "object":
        return {k: _fill_unknowns(v, value_type[1].get(k, "dynamic"), k, seed) for k, v in value.items()}
    if isinstance(value, dict) and isinstance(value_type, list) and value_type[0] == "map":
        return {k: _fill_unknowns(v, value_type[1], name, seed) for k, v in value.items()}
    if isinstance(value, list) and isinstance(value_type, list) and value_type[0] in {"list", "set"}:
        return [_fill_unknowns(v, value_type[1], name, seed) for v in value]
    return value


def fill_block(state: Block, block: Block, seed: str) -> Block:
    """Every unknown left in a nested block (no format applies there): deterministic defaults."""
    result = dict(state)
    for name, spec in block["attributes"].items():
        result[name] = _fill_unknowns(state.get(name), spec["type"], name, seed)
    for name, spec in block["blocks"].items():
        value = state.get(name)
        if isinstance(value, list):
            result[name] = [fill_block(v, spec["block"], seed) for v in value]
        elif isinstance(value, dict):
            result[name] = fill_block(value, spec["block"], seed)
    return result


def _nothing(state: Block, ctx: Context, seed: str) -> dict[str, Any]:
    return {}


def apply_create(type_name: str, planned: Block, block: Block, ctx: Context) -> Block:
    """The state after creating (or updating) a resource: every unknown filled."""
    seed = digest(type_name, {k: v for k, v in planned.items() if v is not UNKNOWN})
    state = dict(planned)
    for prefix_arg, name_arg in (
        ("name_prefix", "name"),
        ("bucket_prefix", "bucket"),
        ("statement_id_prefix", "statement_id"),
    ):
        if state.get(name_arg) is UNKNOWN:
            prefix = state.get(prefix_arg)
            state[name_arg] = _generated_name(prefix if isinstance(prefix, str) else "terraform-", seed)
            if prefix_arg in block["attributes"] and state.get(prefix_arg) is UNKNOWN:
                state[prefix_arg] = prefix if isinstance(prefix, str) else "terraform-"
    if state.get("region") is UNKNOWN:
        state["region"] = ctx["region"]
    computed = ARN_FORMATS.get(type_name, _nothing)(state, ctx, seed)
    for key, value in computed.items():
        if key in block["attributes"] and state.get(key) is UNKNOWN:
            state[key] = value
    if state.get("id") is UNKNOWN:
        state["id"] = next((state[k] for k in _ID_FROM if isinstance(state.get(k), str)), digest(seed, length=20))
    if state.get("tags_all") is UNKNOWN:
        state["tags_all"] = tags_all(state.get("tags"), ctx)
    return fill_block(state, block, seed)


# ---------------------------------------------------------------- plan


def tags_all(tags: Any, ctx: Context) -> Any:
    """default_tags merged with the resource's tags (the resource's win), as the provider plans it."""
    if tags is UNKNOWN or (isinstance(tags, dict) and any(v is UNKNOWN for v in tags.values())):
        return UNKNOWN
    merged = dict(ctx.get("default_tags") or {})
    merged.update(tags or {})
    return merged


def plan_block(  # noqa: PLR0917 - one value and its three versions, walked together
    config: Any, prior: Any, proposed: Any, block: Block, ctx: Context, create: bool, top: bool
) -> Any:
    """The planned value of one block: computed attributes the configuration leaves null become
    unknown on create and keep their prior value on update."""
    if proposed is None or proposed is UNKNOWN:
        return proposed
    planned = dict(proposed)
    for name, spec in block["attributes"].items():
        if not spec.get("computed"):
            continue
        configured = config.get(name) if isinstance(config, dict) else None
        if configured is not None:
            continue
        if top and name == "tags_all":
            planned[name] = tags_all(planned.get("tags"), ctx)
        elif top and name == "region":
            planned[name] = ctx["region"]
        elif create or not isinstance(prior, dict):
            planned[name] = UNKNOWN
        else:
            planned[name] = prior.get(name)
    for name, spec in block["blocks"].items():
        value = planned.get(name)
        nested_config = config.get(name) if isinstance(config, dict) else None
        nested_prior = prior.get(name) if isinstance(prior, dict) else None
        if isinstance(value, list):
            planned[name] = [
                plan_block(
                    _index(nested_config, i),
                    _index(nested_prior, i),
                    v,
                    spec["block"],
                    ctx,
                    create or _index(nested_prior, i) is None,
                    False,
                )
                for i, v in enumerate(value)
            ]
        elif isinstance(value, dict):
            planned[name] = plan_block(
                nested_config, nested_prior, value, spec["block"], ctx, create or nested_prior is None, False
            )
    return planned


def _index(value: Any, i: int) -> Any:
    return value[i] if isinstance(value, list) and i < len(value) else None


def requires_replace(type_name: str, prior: Block, planned: Block) -> list[str]:
    """The FORCE_NEW arguments whose planned value differs from the prior one."""
    return sorted(
        name for name in FORCE_NEW.get(type_name, frozenset()) if name in planned and planned[name] != prior.get(name)
    )


def delete_refusal(type_name: str, prior: Block) -> tuple[str, str] | None:
    """What AWS answers when a protected resource is deleted (summary, detail), else None.

    DynamoDB DeleteTable: "Resource cannot be deleted as it is currently protected against
    deletion" while DeletionProtectionEnabled (DynamoDB API reference, DeleteTable); Cognito
    DeleteUserPool refuses while DeletionProtection is ACTIVE (Cognito API reference,
    UserPoolType.DeletionProtection).
    """
    if type_name == "aws_dynamodb_table" and prior.get("deletion_protection_enabled") is True:
        return (
            f"deleting DynamoDB Table ({prior.get('name')}): operation error DynamoDB: DeleteTable",
            "ValidationException: Resource cannot be deleted as it is currently protected against deletion. "
            "Disable deletion protection first.",
        )
    if type_name == "aws_cognito_user_pool" and prior.get("deletion_protection") == "ACTIVE":
        return (
            f"deleting Cognito User Pool ({prior.get('id')}): "
            "operation error Cognito Identity Provider: DeleteUserPool",
            "InvalidParameterException: The user pool cannot be deleted because deletion protection is activated. "
            "Deletion protection must be inactivated first.",
        )
    return None


# ---------------------------------------------------------------- data sources


def _listify(values: list[Any]) -> Any:
    """The provider writes a one-element list as a bare string."""
    ordered = sorted(set(values))
    return ordered[0] if len(ordered) == 1 else ordered


def policy_document(config: Block) -> str:
    """aws_iam_policy_document's json: Version, then each statement's Sid, Effect, Action,
    Resource, Principal and Condition (single values unwrapped), indented as the provider does."""
    statements = []
    for statement in config.get("statement") or []:
        rendered: dict[str, Any] = {}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        rendered["Effect"] = statement.get("effect") or "Allow"
        for key, out in (
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ):
            if statement.get(key):
                rendered[out] = _listify(statement[key])
        for key, out in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if statement.get(key):
                principals: dict[str, list[str]] = {}
                for principal in statement[key]:
                    principals.setdefault(principal["type"], []).extend(principal["identifiers"])
                if list(principals) == ["*"]:
                    rendered[out] = "*"
                else:
                    rendered[out] = {kind: _listify(ids) for kind, ids in principals.items()}
        if statement.get("condition"):
            conditions: dict[str, dict[str, Any]] = {}
            for condition in statement["condition"]:
                conditions.setdefault(condition["test"], {})[condition["variable"]] = _listify(condition["values"])
            rendered["Condition"] = conditions
        statements.append(rendered)
    document = {"Version": config.get("version") or "2012-10-17", "Statement": statements}
    return json.dumps(document, indent=2)


def read_data(type_name: str, config: Block, ctx: Context) -> Block:
    """A data source's state: its configuration with every computed attribute answered."""
    region = ctx["region"]
    state = dict(config)
    if type_name == "aws_caller_identity":
        state.update(
            account_id=ACCOUNT_ID,
            arn=f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/cartflow-offline",
            user_id="AIDA" + digest("caller", length=17).upper(),
            id=ACCOUNT_ID,
        )
    elif type_name == "aws_partition":
        state.update(partition=PARTITION, dns_suffix="amazonaws.com", reverse_dns_prefix="com.amazonaws", id=PARTITION)
    elif type_name == "aws_region":
        chosen = config.get("region") or config.get("name") or region
        state.update(name=chosen, region=chosen, id=chosen, endpoint=f"ec2.{chosen}.amazonaws.com", description=chosen)
    elif type_name == "aws_iam_policy_document":
        rendered = policy_document(config)
        state.update(
            json=rendered,
            minified_json=json.dumps(json.loads(rendered), separators=(",", ":")),
            id=digest(rendered, length=10),
        )
    elif type_name == "aws_iam_openid_connect_provider":
        url = config.get("url") or "token.actions.githubusercontent.com"
        arn = config.get("arn") or f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{url.removeprefix('https://')}"
        state.update(
            arn=arn, id=arn, url=url.removeprefix("https://"), client_id_list=["sts.amazonaws.com"], thumbprint_list=[]
        )
    return state
