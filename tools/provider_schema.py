"""Derive the part of the hashicorp/aws provider schema this repository uses, for offline checks.

Why this exists: `terraform validate` needs the AWS provider binary, which cannot be downloaded on
these machines, so nothing would notice a misspelt argument until `plan` on a machine with
credentials. The PyPI package `cdktf-cdktf-provider-aws` is generated from that provider's schema
and ships it as a jsii assembly: every resource, data source and the provider itself has a
`...Config` struct whose properties carry the `optional` flag, a type, and a docs link whose anchor
is the exact snake_case Terraform argument name; each nested block is a struct of its own.

This script downloads the pinned wheel (hash-checked, cached under .cache/), reads the assembly
straight out of it, and writes tools/provider_schema/aws-6.25.json: the schema of every `aws_*`
resource and data type that a .tf file under the scanned roots declares, plus the provider block,
plus the names of all types (so a checker can tell a misspelt type from one not yet extracted).
Adding a resource to the Terraform and running `make provider-schema` updates the file.

Schema shape (what tools/check_terraform.py reads), for the provider and each type:
    {"attributes": {name: "required" | "optional"},
     "blocks": {name: {"nesting": "single" | "list", "required": bool, "schema": <same shape>}}}
"single" blocks may appear at most once (the provider's MaxItems = 1); "list" covers list and set.
Limitations: cdktf renders the plugin framework's nested *attributes* as structs too, so they are
recorded as blocks (the AWS provider declares nested blocks almost everywhere; map-typed nested
values, which can only be attributes, are recorded as attributes). Likewise the few SDK blocks that
also accept attribute syntax (ConfigModeAttr, e.g. aws_security_group's ingress) count as blocks.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "cdktf-cdktf-provider-aws"
PACKAGE_VERSION = "21.22.1"
PROVIDER_VERSION = "6.25.0"
WHEEL = f"cdktf_cdktf_provider_aws-{PACKAGE_VERSION}-py3-none-any.whl"
# sha256 of the wheel on PyPI: the schema is only as trustworthy as the file it came from.
WHEEL_SHA256 = "603c647c4de622ed0a2b5e0f1518d81a89b31eed84b67d23410840041e7df924"
ASSEMBLY_MEMBER = f"cdktf_cdktf_provider_aws/_jsii/provider-aws@{PACKAGE_VERSION}.jsii.tgz"
ASSEMBLY = "@cdktf/provider-aws"
DEFAULT_CACHE = ROOT / ".cache" / "provider-schema"
DEFAULT_OUTPUT = ROOT / "tools" / "provider_schema" / "aws-6.25.json"
DEFAULT_ROOTS = (ROOT / "terraform", ROOT / "tests" / "fixtures" / "terraform")

Kind = Literal["resource", "data", "provider"]
# Class docs read "Represents a {@link https://.../docs/resources/sqs_queue aws_sqs_queue}".
_CLASS_LINK = re.compile(r"/hashicorp/aws/([\d.]+)/docs/(resources|data-sources)/\w+ (aws_\w+)\}")
# Property docs link to ".../docs/resources/sqs_queue#delay_seconds"; the provider's to ".../docs#region".
_ARGUMENT_ANCHOR = re.compile(r"/hashicorp/aws/[\d.]+/docs(?:/(?:resources|data-sources)/\w+)?#(\w+) ")
_DECLARATION = re.compile(r'^\s*(resource|data)\s+"(aws_\w+)"', re.MULTILINE)


def fetch_wheel(cache: Path) -> Path:
    """Download the pinned wheel once (pip's own cache stays empty here) and check its hash."""
    wheel = cache / WHEEL
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
        command += ["--dest", str(cache), f"{PACKAGE}=={PACKAGE_VERSION}"]
        subprocess.run(command, check=True)  # noqa: S603 - fixed argument list, no shell
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest} is not the pinned {WHEEL_SHA256}; delete it and retry")
    return wheel


def load_assembly(wheel: Path) -> dict[str, Any]:
    """Read the .jsii JSON out of the tarball inside the wheel, without unpacking either to disk."""
    with zipfile.ZipFile(wheel) as archive, tarfile.open(fileobj=io.BytesIO(archive.read(ASSEMBLY_MEMBER))) as tgz:
        member = tgz.extractfile("package/.jsii")
        if member is None:
            raise SystemExit(f"{wheel}: no package/.jsii in {ASSEMBLY_MEMBER}")
        assembly: dict[str, Any] = json.load(member)
    return assembly


def config_types(types: dict[str, Any]) -> dict[Kind, dict[str, str]]:
    """Map each Terraform type name (and "aws" for the provider) to the fqn of its Config struct."""
    found: dict[Kind, dict[str, str]] = {"resource": {}, "data": {}, "provider": {}}
    for spec in types.values():
        base = spec.get("base")
        if spec.get("kind") != "class" or base not in {
            "cdktf.TerraformResource",
            "cdktf.TerraformDataSource",
            "cdktf.TerraformProvider",
        }:
            continue
        parameters = spec["initializer"]["parameters"]
        config = next(p["type"]["fqn"] for p in parameters if p["name"] == "config")
        if base == "cdktf.TerraformProvider":
            found["provider"]["aws"] = config
            continue
        match = _CLASS_LINK.search(spec["docs"]["summary"])
        if match is None:
            raise SystemExit(f"{spec['fqn']}: no Terraform type name in its docs: {spec['docs']['summary']!r}")
        version, section, name = match.groups()
        if version != PROVIDER_VERSION:  # the bindings must describe the provider version we pin
            raise SystemExit(f"{spec['fqn']}: generated from hashicorp/aws {version}, not {PROVIDER_VERSION}")
        kind: Kind = "resource" if section == "resources" else "data"
        found[kind][name] = config
    return found


def _struct_in(type_ref: dict[str, Any]) -> tuple[str, str] | None:
    """(nesting, fqn) when a property's type holds one of the assembly's structs, else None.

    Unions pair a value with cdktf.IResolvable (an unresolved token); arrays are list/set blocks;
    a bare struct is a MaxItems=1 block; a map of structs can only be an attribute.
    """
    if "fqn" in type_ref:
        return ("single", type_ref["fqn"]) if type_ref["fqn"].startswith(ASSEMBLY + ".") else None
    if "union" in type_ref:
        for member in type_ref["union"]["types"]:
            struct = _struct_in(member)
            if struct is not None:
                return struct
        return None
    if "collection" in type_ref:
        element = _struct_in(type_ref["collection"]["elementtype"])
        if element is None:
            return None
        return ("list" if type_ref["collection"]["kind"] == "array" else "map", element[1])
    return None


def _argument_name(prop: dict[str, Any], owner: str) -> str:
    docs = prop.get("docs", {})
    match = _ARGUMENT_ANCHOR.search(docs.get("summary", "") + " " + docs.get("remarks", ""))
    if match is None:
        raise SystemExit(f"{owner}.{prop['name']}: no docs anchor naming the Terraform argument")
    return match.group(1)


def _properties(fqn: str, types: dict[str, Any]) -> list[dict[str, Any]]:
    """A struct's own properties plus those of the assembly's structs it extends (never cdktf's meta-arguments)."""
    spec = types[fqn]
    props: list[dict[str, Any]] = list(spec.get("properties", []))
    for parent in spec.get("interfaces", []):
        if parent.startswith(ASSEMBLY + "."):
            props += _properties(parent, types)
    return props


def block_schema(fqn: str, types: dict[str, Any]) -> dict[str, Any]:
    """The schema of one Config or nested-block struct, nested blocks inlined."""
    attributes: dict[str, str] = {}
    blocks: dict[str, Any] = {}
    for prop in _properties(fqn, types):
        name = _argument_name(prop, fqn)
        required = not prop.get("optional", False)
        struct = _struct_in(prop["type"])
        if struct is None or struct[0] == "map":
            attributes[name] = "required" if required else "optional"
        else:
            nesting, nested = struct
            blocks[name] = {"nesting": nesting, "required": required, "schema": block_schema(nested, types)}
    return {"attributes": dict(sorted(attributes.items())), "blocks": dict(sorted(blocks.items()))}


def declared_types(roots: list[Path]) -> dict[Kind, set[str]]:
    """The aws_* resource and data types that .tf files under the roots declare."""
    found: dict[Kind, set[str]] = {"resource": set(), "data": set(), "provider": {"aws"}}
    for root in roots:
        for path in sorted(root.rglob("*.tf")):
            if ".terraform" in path.parts:
                continue
            for kind, name in _DECLARATION.findall(path.read_text(encoding="utf-8")):
                found["resource" if kind == "resource" else "data"].add(name)
    return found


def derive(assembly: dict[str, Any], wanted: dict[Kind, set[str]]) -> dict[str, Any]:
    """The committed document: provenance, every type name, and the schemas of the wanted types."""
    types: dict[str, Any] = assembly["types"]
    configs = config_types(types)
    schema: dict[str, Any] = {
        "provider_source": "registry.terraform.io/hashicorp/aws",
        "provider_version": PROVIDER_VERSION,
        "derived_from": f"PyPI {PACKAGE}=={PACKAGE_VERSION} (jsii assembly {assembly['name']}@{assembly['version']})",
        "generator": "tools/provider_schema.py (make provider-schema)",
        "all_types": {kind: sorted(configs[kind]) for kind in ("resource", "data")},
    }
    for kind in ("provider", "resource", "data"):
        # A declared type the provider lacks is left for the checker to report with its file and line.
        names = sorted(wanted[kind] & configs[kind].keys())
        schema[kind] = {name: block_schema(configs[kind][name], types) for name in names}
    return schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("roots", nargs="*", type=Path, default=list(DEFAULT_ROOTS), help="trees of .tf files to scan")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the wheel is kept")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    wanted = declared_types([root for root in args.roots if root.is_dir()])
    schema = derive(load_assembly(fetch_wheel(args.cache)), wanted)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(schema, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    counts = ", ".join(f"{len(schema[kind])} {kind}" for kind in ("resource", "data"))
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output} ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
