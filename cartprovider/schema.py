"""The typed schema of every hashicorp/aws type this repository declares, for the stand-in provider.

Why this exists: Terraform core validates a configuration against the schema its provider
serves (unknown arguments, wrong types, missing required arguments, block counts), so the
stand-in is only as strict as that schema. tools/provider_schema.py already reads the provider's
schema out of the cdktf AWS bindings' jsii assembly for the static checker, but keeps names and
required/optional only; this module reads the same assembly for what the plugin protocol needs:

- every configurable argument with its type (string, number, bool, list, map, object), required
  or optional, from the resource's `...Config` struct (cdktf's `optional` flag);
- every computed-only attribute from the resource class's read-only getters that have no config
  property (`arn`, `url`, `version`, ...), typed from the getter (complex getters from their
  output-reference classes);
- nested blocks with their nesting: a struct-typed property is a block of at most one item (the
  provider's MaxItems = 1, which cdktf renders as a bare struct), an array of structs a list block;
  a required block has at least one item.

What the assembly cannot tell, and the rule chosen (docs/aws-fidelity.md, "Terraform plan
offline"): whether a list is a set (all are lists here), whether an optional argument is also
computed (only the arguments in OPTIONAL_COMPUTED are), and which are sensitive (none).

    python -m cartprovider.schema          # make standin-schema: rewrites cartprovider/aws-6.25.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from tools.provider_schema import (
    ASSEMBLY,
    DEFAULT_CACHE,
    DEFAULT_ROOTS,
    PACKAGE,
    PACKAGE_VERSION,
    PROVIDER_VERSION,
    Kind,
    _argument_name,
    _properties,
    config_types,
    declared_types,
    fetch_wheel,
    load_assembly,
)

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(__file__).resolve().parent / f"aws-{PROVIDER_VERSION}.json"

# Optional arguments the real provider also computes (Optional + Computed in its schema): left
# unset, they are unknown at plan on create and filled at apply. Everywhere: `id` (the SDK's
# implicit id), `tags_all` (tftags.TagsSchemaComputed), `region` (provider 6's per-resource region,
# defaulted to the provider's). Per type: `name`/`name_prefix` pairs (create.Name: a generated name
# when neither is set) and the few others this repository reads before setting them.
OPTIONAL_COMPUTED_EVERYWHERE = frozenset({"id", "tags_all", "region"})
OPTIONAL_COMPUTED: dict[str, frozenset[str]] = {
    "aws_kms_key": frozenset({"policy", "key_usage", "customer_master_key_spec", "description"}),
    "aws_sqs_queue": frozenset({"policy", "kms_data_key_reuse_period_seconds", "sqs_managed_sse_enabled"}),
    "aws_lambda_function": frozenset({"architectures", "package_type", "source_code_hash", "memory_size"}),
    "aws_s3_bucket": frozenset({"bucket", "bucket_prefix", "force_destroy", "object_lock_enabled"}),
    "aws_iam_role": frozenset({"name", "name_prefix"}),
    "aws_iam_role_policy": frozenset({"name", "name_prefix"}),
    "aws_iam_policy": frozenset({"name", "name_prefix"}),
    "aws_cloudwatch_event_rule": frozenset({"name", "name_prefix", "state"}),
    "aws_cloudwatch_event_target": frozenset({"target_id"}),
    "aws_sns_topic": frozenset({"name", "name_prefix", "policy"}),
    "aws_sqs_queue_policy": frozenset(),
    "aws_lambda_permission": frozenset({"statement_id", "statement_id_prefix"}),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_GETTER_SKIP = {"tfResourceType", "internalValue", "creationStack", "fqn", "terraformAttribute", "terraformResource"}
_PRIMITIVE_CLASSES = {
    "cdktf.StringMap": ["map", "string"],
    "cdktf.NumberMap": ["map", "number"],
    "cdktf.BooleanMap": ["map", "bool"],
    "cdktf.AnyMap": ["map", "dynamic"],
    "cdktf.StringMapList": ["list", ["map", "string"]],
    "cdktf.StringListList": ["list", ["list", "string"]],
}


def snake(name: str) -> str:
    """cdktf's camelCase getter name as the provider's snake_case attribute name."""
    return _CAMEL.sub("_", name).lower()


def _primitive(type_ref: dict[str, Any]) -> Any:
    """The cty type of a non-struct jsii type, or None when it holds a struct."""
    if "primitive" in type_ref:
        return {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}.get(
            type_ref["primitive"], "dynamic"
        )
    if "union" in type_ref:
        members = [m for m in type_ref["union"]["types"] if m.get("fqn") != "cdktf.IResolvable"]
        return _primitive(members[0]) if len(members) == 1 else "dynamic"
    if "collection" in type_ref:
        element = _primitive(type_ref["collection"]["elementtype"])
        return None if element is None else ["list" if type_ref["collection"]["kind"] == "array" else "map", element]
    fqn = type_ref.get("fqn", "")
    if fqn in _PRIMITIVE_CLASSES:
        return _PRIMITIVE_CLASSES[fqn]
    if fqn == "cdktf.IResolvable":
        return "bool"  # cdktf types boolean attributes as IResolvable getters
    return None


def _struct(type_ref: dict[str, Any]) -> tuple[str, str] | None:
    """("single" | "list" | "map", fqn) when the type holds one of the assembly's structs."""
    if "fqn" in type_ref:
        return ("single", type_ref["fqn"]) if type_ref["fqn"].startswith(ASSEMBLY + ".") else None
    if "union" in type_ref:
        for member in type_ref["union"]["types"]:
            found = _struct(member)
            if found is not None:
                return found
        return None
    if "collection" in type_ref:
        element = _struct(type_ref["collection"]["elementtype"])
        if element is None:
            return None
        return ("list" if type_ref["collection"]["kind"] == "array" else "map", element[1])
    return None


def _object_type(fqn: str, types: dict[str, Any]) -> Any:
    """The cty object type of a struct, or of an output-reference class's getters (computed values)."""
    spec = types[fqn]
    fields: dict[str, Any] = {}
    if spec.get("kind") == "interface":
        for prop in _properties(fqn, types):
            fields[_argument_name(prop, fqn)] = _value_type(prop["type"], types)
    else:
        for prop in spec.get("properties", []):
            if prop["name"] in _GETTER_SKIP or prop["name"].endswith("Input") or prop.get("static"):
                continue
            fields[snake(prop["name"])] = _value_type(prop["type"], types)
    return ["object", dict(sorted(fields.items()))]


def _value_type(type_ref: dict[str, Any], types: dict[str, Any]) -> Any:
    primitive = _primitive(type_ref)
    if primitive is not None:
        return primitive
    struct = _struct(type_ref)
    if struct is not None:
        nesting, fqn = struct
        obj = _object_type(fqn, types)
        return obj if nesting == "single" else [nesting, obj]
    fqn = type_ref.get("fqn", "")
    if fqn.endswith("OutputReference") and fqn in types:
        return _object_type(fqn, types)
    if fqn.endswith("List") and fqn in types:
        element = fqn.removesuffix("List") + "OutputReference"
        return ["list", _object_type(element, types)] if element in types else ["list", "dynamic"]
    if fqn.endswith("Map") and fqn in types:
        element = fqn.removesuffix("Map") + "OutputReference"
        return ["map", _object_type(element, types)] if element in types else ["map", "dynamic"]
    return "dynamic"


def _computed_getters(class_fqn: str, configured: set[str], types: dict[str, Any]) -> dict[str, Any]:
    """Read-only getters of a resource or output-reference class that no config property sets."""
    spec = types.get(class_fqn)
    if spec is None:
        return {}
    found: dict[str, Any] = {}
    for prop in spec.get("properties", []):
        name = prop["name"]
        if name in _GETTER_SKIP or name.endswith("Input") or prop.get("static") or not prop.get("immutable"):
            continue
        attribute = snake(name)
        if attribute in configured:
            continue
        found[attribute] = _value_type(prop["type"], types)
    return found


def block_schema(fqn: str, types: dict[str, Any], getters: str | None, type_name: str) -> dict[str, Any]:
    """One block: attributes {name: {type, required|optional|computed}}, blocks {name: {nesting, min, max, block}}."""
    attributes: dict[str, Any] = {}
    blocks: dict[str, Any] = {}
    optional_computed = OPTIONAL_COMPUTED_EVERYWHERE | OPTIONAL_COMPUTED.get(type_name, frozenset())
    for prop in _properties(fqn, types):
        name = _argument_name(prop, fqn)
        required = not prop.get("optional", False)
        struct = _struct(prop["type"])
        if struct is None or struct[0] == "map":
            entry: dict[str, Any] = {"type": _value_type(prop["type"], types)}
            if required:
                entry["required"] = True
            else:
                entry["optional"] = True
                if name in optional_computed:
                    entry["computed"] = True
            attributes[name] = entry
            continue
        nesting, nested = struct
        nested_getters = nested + "OutputReference"  # a list block's elements have the same class
        block: dict[str, Any] = {"nesting": "single" if name == "timeouts" else "list"}
        if nesting == "single" and name != "timeouts":
            block["max_items"] = 1
        if required:
            block["min_items"] = 1
        block["block"] = block_schema(nested, types, nested_getters, type_name)
        blocks[name] = block
    if getters is not None:
        for name, value_type in _computed_getters(getters, set(attributes) | set(blocks), types).items():
            attributes[name] = {"type": value_type, "computed": True}
    return {"attributes": dict(sorted(attributes.items())), "blocks": dict(sorted(blocks.items()))}


def derive(assembly: dict[str, Any], wanted: dict[Kind, set[str]]) -> dict[str, Any]:
    """The committed document: provenance and the schema of the provider and every wanted type."""
    types: dict[str, Any] = assembly["types"]
    configs = config_types(types)
    document: dict[str, Any] = {
        "provider_source": "registry.terraform.io/hashicorp/aws",
        "provider_version": PROVIDER_VERSION,
        "derived_from": f"PyPI {PACKAGE}=={PACKAGE_VERSION} (jsii assembly {assembly['name']}@{assembly['version']})",
        "generator": "cartprovider/schema.py (make standin-schema)",
    }
    for kind in ("provider", "resource", "data"):
        entries: dict[str, Any] = {}
        for name in sorted(wanted[kind] & configs[kind].keys()):
            config = configs[kind][name]
            entries[name] = block_schema(
                config, types, None if kind == "provider" else config.removesuffix("Config"), name
            )
        document[kind] = entries
    return document


def load(path: Path = OUTPUT) -> dict[str, Any]:
    """The committed schema document."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("roots", nargs="*", type=Path, default=list(DEFAULT_ROOTS), help="trees of .tf files to scan")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the wheel is kept")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    wanted = declared_types([root for root in args.roots if root.is_dir()])
    document = derive(load_assembly(fetch_wheel(args.cache)), wanted)
    args.output.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({len(document['resource'])} resource, {len(document['data'])} data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
