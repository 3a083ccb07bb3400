#!/usr/bin/env python3
"""Extract the compact hashicorp/aws schema that `tests/provider_schema.rs` checks output against.

Two sources, one output format (`schema/aws-<version>.json`):

* provider 6.x: the CDK-Terrain bindings on npm (`@cdktn/provider-aws`, generated from the
  provider's own schema). No provider 6 binary can be installed offline; its schema can:

      npm pack @cdktn/provider-aws@25.7.0 && tar xzf cdktn-provider-aws-25.7.0.tgz
      python3 scripts/provider_schema.py cdktn package > schema/aws-6.66.0.json

  `lib/<type>/index.js` lists each argument's Terraform name and whether it is a block
  (`synthesizeHclAttributes()` and the nested `…ToHclTerraform` functions); `index.d.ts` says
  which are optional and which blocks hold at most one element; the resource class's getters
  list what can be read (`arn_suffix`, …).
* provider 5.x: the installed provider itself, through Terraform:

      terraform providers schema -json > full.json      # in an initialised directory
      python3 scripts/provider_schema.py terraform full.json 5.100.0 > schema/aws-5.100.0.json

Only the resource and data source types ecsynth emits are kept (every `"aws_…"` type name in
`src/aws/`), so the files stay small; add a type there, then rerun both commands.

Format: {"provider", "version", "source", "resources": {type: BLOCK}, "data": {type: BLOCK}}
where BLOCK = {"attributes": {name: "required" | "optional" | "computed"},
               "blocks": {name: {"max_one": bool, "required": bool, **BLOCK}}}.
"""

import json
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent


def emitted_types():
    """(resource types, data source types) ecsynth emits: every `"aws_…"` type name in src/aws;
    those documented there as `data "aws_…"` are data sources."""
    names, data = set(), set()
    for path in (REPO / "src" / "aws").glob("*.rs"):
        text = path.read_text()
        names.update(re.findall(r'"(aws_[a-z0-9_]+)"', text))
        data.update(re.findall(r'data "(aws_[a-z0-9_]+)"', text))
    return {"resources": names - data, "data": data}


# ---- provider 5.x: terraform providers schema -json -------------------------------------------


def from_terraform_block(block, top=False):
    attributes = {}
    for name, attribute in sorted(block.get("attributes", {}).items()):
        if top and name == "id" and not attribute.get("required"):
            # SDKv2 declares a resource's `id` optional and computed; nobody sets it (the
            # bindings agree). A nested block's `id` (launch_template.id) is a real argument.
            attributes[name] = "computed"
        elif attribute.get("required"):
            attributes[name] = "required"
        elif attribute.get("optional"):
            attributes[name] = "optional"
        else:
            attributes[name] = "computed"
    blocks = {}
    for name, nested in sorted(block.get("block_types", {}).items()):
        mode = nested["nesting_mode"]
        blocks[name] = {
            "max_one": mode == "single" or nested.get("max_items") == 1,
            "required": nested.get("min_items", 0) > 0,
            **from_terraform_block(nested["block"]),
        }
    return {"attributes": attributes, "blocks": blocks}


def from_terraform(path):
    full = json.loads(pathlib.Path(path).read_text())
    ((address, provider),) = full["provider_schemas"].items()
    wanted = emitted_types()
    out: dict[str, dict[str, object]] = {"resources": {}, "data": {}}
    for kind, key in (("resources", "resource_schemas"), ("data", "data_source_schemas")):
        for name, schema in sorted(provider[key].items()):
            if name in wanted[kind]:
                out[kind][name] = from_terraform_block(schema["block"], top=True)
    return address, out


# ---- provider 6.x: @cdktn/provider-aws ----------------------------------------------------------

ARGUMENT = re.compile(
    r'(\w+): \{\s*value: (.*?),\s*isBlock: (true|false),\s*type: "(\w+)",'
    r'\s*storageClassType: "[^"]*",\s*\}',
    re.S,
)
PROPERTY = re.compile(r"#([a-z0-9_]+) \w+#[a-z0-9_]+\}\s*\*/\s*readonly (\w+)(\?)?: ([^;]+);", re.S)
INTERFACE = re.compile(r"export interface (\w+)(?: extends [\w.]+)? \{(.*?)\n\}", re.S)
NESTED_CALL = re.compile(r"(\w+)ToHclTerraform\b")
GETTER = re.compile(r"get\w*Attribute\('([a-z0-9_]+)'\)")
COMPUTED_BLOCK = re.compile(r'new \w+\(this, "([a-z0-9_]+)"')


def lower_first(name):
    return name[:1].lower() + name[1:]


def cdktn_type(directory):
    """(type name, is data source, class name), or None for a directory that is no resource."""
    text = (directory / "index.js").read_text()
    match = re.search(r'static tfResourceType = "(aws_[a-z0-9_]+)";', text)
    if not match:
        return None
    class_match = re.search(r"\nclass (\w+) extends cdktn\.(TerraformResource|TerraformDataSource) \{", text)
    if not class_match:  # an ephemeral resource: ecsynth emits none
        return None
    return match.group(1), class_match.group(2) == "TerraformDataSource", class_match.group(1)


def from_cdktn_type(directory, class_name):
    js = (directory / "index.js").read_text()
    dts = (directory / "index.d.ts").read_text()

    # Each serializer's arguments: '' for the resource itself, else the nested function's stem.
    serializers = {}
    parts = re.split(r"(?:function (\w+)ToHclTerraform\(struct\)|(synthesizeHclAttributes)\(\))", js)
    for index in range(1, len(parts), 3):
        stem = parts[index] or ""
        body = parts[index + 2].split("// remove undefined attributes")[0]
        serializers[stem] = ARGUMENT.findall(body)

    # Each interface's properties: Terraform name -> (optional, TypeScript type).
    interfaces = {}
    for name, body in INTERFACE.findall(dts):
        interfaces[name] = {
            tf: (bool(optional), ts_type.strip()) for tf, _, optional, ts_type in PROPERTY.findall(body)
        }

    def block(stem, interface):
        properties = interfaces.get(interface, {})
        attributes, blocks = {}, {}
        for name, value, is_block, _kind in serializers.get(stem, []):
            optional, ts_type = properties.get(name, (True, ""))
            if is_block == "true":
                nested = NESTED_CALL.search(value)
                nested_stem = nested.group(1) if nested else ""
                nested_interface = nested_stem[:1].upper() + nested_stem[1:]
                blocks[name] = {
                    "max_one": "[]" not in ts_type,
                    "required": not optional,
                    **block(nested_stem, nested_interface),
                }
            else:
                attributes[name] = "optional" if optional else "required"
        return {"attributes": dict(sorted(attributes.items())), "blocks": dict(sorted(blocks.items()))}

    schema = block("", class_name + "Config")
    schema["attributes"].pop("id", None)  # cdktn lists `id` as an argument; the provider computes it
    main_class = js.split(f"\nclass {class_name} extends", 1)[1]
    for name in GETTER.findall(main_class) + COMPUTED_BLOCK.findall(main_class):
        if name not in schema["blocks"]:
            schema["attributes"].setdefault(name, "computed")
    schema["attributes"] = dict(sorted(schema["attributes"].items()))
    return schema


def from_cdktn(package):
    package = pathlib.Path(package)
    readme = (package / "README.md").read_text()
    stated = re.search(r"hashicorp/aws provider version ([0-9.]+)", readme)
    if not stated:
        sys.exit(f"{package}/README.md does not state the hashicorp/aws provider version")
    version = stated.group(1)
    binding = json.loads((package / "package.json").read_text())["version"]
    wanted = emitted_types()
    out: dict[str, dict[str, object]] = {"resources": {}, "data": {}}
    for directory in sorted((package / "lib").iterdir()):
        if not (directory / "index.js").exists():
            continue
        found = cdktn_type(directory)
        if not found:
            continue
        name, is_data, class_name = found
        kind = "data" if is_data else "resources"
        if name in wanted[kind]:
            out[kind][name] = from_cdktn_type(directory, class_name)
    return version, binding, out


def main():
    usage = "usage: extract.py cdktn PACKAGE_DIR | extract.py terraform SCHEMA.json VERSION"
    if sys.argv[1:2] == ["cdktn"] and len(sys.argv) == 3:
        pass
    elif sys.argv[1:2] == ["terraform"] and len(sys.argv) == 4:
        pass
    else:
        sys.exit(usage)
    if sys.argv[1] == "cdktn":
        version, binding, schemas = from_cdktn(sys.argv[2])
        source = f"npm @cdktn/provider-aws {binding}"
    else:
        _address, schemas = from_terraform(sys.argv[2])
        version = sys.argv[3]
        source = "terraform providers schema -json"
    wanted = emitted_types()
    missing = sorted(
        {f"resource {name}" for name in wanted["resources"] - set(schemas["resources"])}
        | {f"data {name}" for name in wanted["data"] - set(schemas["data"])}
    )
    if missing:
        sys.exit(f"types emitted by ecsynth but absent from the source: {', '.join(missing)}")
    document = {"provider": "hashicorp/aws", "version": version, "source": source, **schemas}
    json.dump(document, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
