#!/usr/bin/env python3
"""`ecsynth try STACK`: one synthesized stack planned, applied, listed and destroyed on the
moto AWS emulator, for a first look without an AWS account.

Usage (normally through `cargo run -- try STACK`, which synthesizes the stack for
hashicorp/aws 5.x and prepares the Python environment):
    python e2e/try_stack.py STACK_DIR [--python PY] [--terraform BIN]

Steps, each printing one line (the parts are drift_check.py's, so "try" and the end-to-end
tests start the emulator, make the network and point the provider at it the same way):
  1. start moto_server.py on a free loopback port (stopped at the end, also on failure)
  2. a VPC and two subnets for the stack's network variables, the emulator's ECS AMI for
     `ecs_ami_id`; `provider_override.tf.json` (endpoints, fake credentials) and
     `backend_override.tf.json` (local state) beside the stack's main.tf.json, which is
     not touched
  3. terraform init (offline from $TF_PLUGIN_MIRROR when set), plan -out, apply of that plan
  4. what was created: every resource with its id, from `terraform show -json`
  5. a second plan, which must show no changes
  6. terraform destroy

STACK_DIR keeps the override files, the plan as text (`plan.txt`) and each command's log
(`e2e-logs/`), to read afterwards. Exit status 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from drift_check import (  # noqa: E402
    BACKEND_OVERRIDE_FILE,
    OVERRIDE_FILE,
    VARS_FILE,
    Aws,
    CheckFailed,
    MotoServer,
    Terraform,
    _changed_summary,
    _clean,
    iter_state_resources,
    provider_override,
    stack_providers,
    stack_tfvars,
    stack_variables,
    terraform_env,
    tf_json_files,
)

DEFAULT_REGION = "us-east-1"


def say(started: float, message: str) -> None:
    print(f"[{time.monotonic() - started:5.0f}s] {message}", flush=True)


def resource_id(resource: dict[str, Any]) -> str:
    values = resource.get("values") or {}
    for key in ("arn", "id", "name"):
        value = values.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def prepare(workdir: Path, aws: Aws, docs: list[dict[str, Any]], region: str) -> list[str]:
    """Variables, provider and backend overrides; returns the -var-file arguments."""
    tfvars = stack_tfvars(aws, stack_variables(docs))
    var_args: list[str] = []
    if tfvars:
        (workdir / VARS_FILE).write_text(json.dumps(tfvars, indent=2))
        var_args = [f"-var-file={VARS_FILE}"]
    literal_region = any(
        isinstance(p.get("region"), str) and "${" not in p["region"] for p in stack_providers(docs)
    )
    override = provider_override(stack_providers(docs), aws.endpoint, None if literal_region else region)
    (workdir / OVERRIDE_FILE).write_text(json.dumps(override, indent=2))
    (workdir / BACKEND_OVERRIDE_FILE).write_text(json.dumps({"terraform": {"backend": {"local": {}}}}))
    return var_args


def plan_summary(text: str) -> str:
    for line in text.splitlines():
        if line.startswith(("Plan: ", "No changes.")):
            return line.strip()
    return "(no summary line in the plan)"


def run(args: argparse.Namespace, started: float) -> None:
    workdir = Path(args.stack_dir).resolve()
    files = tf_json_files(workdir)
    if not files:
        raise CheckFailed(f"no *.tf.json in {workdir}")
    # A previous try's state points at an emulator that is gone: start from nothing.
    for stale in [*workdir.glob("terraform.tfstate*"), workdir / "tfplan"]:
        stale.unlink(missing_ok=True)
    docs = [json.loads(p.read_text()) for p in files]
    logs = workdir / "e2e-logs"
    logs.mkdir(exist_ok=True)

    moto = MotoServer(args.python, HERE / "moto_server.py", logs / "moto.log")
    args._moto = moto
    endpoint = moto.start()
    region = next(
        (
            p["region"]
            for p in stack_providers(docs)
            if isinstance(p.get("region"), str) and "${" not in p["region"]
        ),
        DEFAULT_REGION,
    )
    aws = Aws(endpoint, region)
    aws.wait_ready()
    say(started, f"AWS emulator (moto) listening at {endpoint}, region {region}")

    var_args = prepare(workdir, aws, docs, region)
    say(started, f"network made in the emulator; {OVERRIDE_FILE} points the provider at it")

    tf = Terraform(args.terraform, workdir, terraform_env(), var_args)
    mirror = os.environ.get("TF_PLUGIN_MIRROR")
    tf.init()
    say(started, "terraform init" + (f" (providers from {mirror})" if mirror else ""))

    _, out = tf.run("plan", "-input=false", "-no-color", "-out=tfplan", *var_args)
    (workdir / "plan.txt").write_text(_clean(out))
    say(started, f"terraform plan: {plan_summary(out)} (full plan: {workdir / 'plan.txt'})")

    say(started, "terraform apply (a few minutes: the provider waits for each load balancer)")
    tf.run("apply", "-input=false", "-no-color", "tfplan")
    state = tf.show_state()
    resources = [r for r in iter_state_resources(state) if r.get("mode") == "managed"]
    say(started, f"terraform apply: created {len(resources)} resources:")
    width = max((len(r["address"]) for r in resources), default=0)
    for r in resources:
        print(f"    {r['address']:<{width}}  {resource_id(r)}", flush=True)

    code, out, changes = tf.plan()
    if code != 0:
        raise CheckFailed(f"the plan after apply is not empty: {_changed_summary(changes)}\n{_clean(out)}")
    say(started, "terraform plan again: no changes")

    tf.run("destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", *var_args)
    left = tf.state_list()
    if left:
        raise CheckFailed(f"destroy left resources in state: {left}")
    say(started, f"terraform destroy: {len(resources)} resources destroyed")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="plan, apply and destroy one stack on the moto emulator")
    ap.add_argument("stack_dir", help="directory holding the synthesized main.tf.json")
    ap.add_argument("--python", default=sys.executable, help="interpreter for moto_server.py")
    ap.add_argument("--terraform", default=os.environ.get("TERRAFORM", "terraform"))
    args = ap.parse_args(argv)
    args._moto = None
    started = time.monotonic()
    ok = False
    try:
        run(args, started)
        ok = True
    except (CheckFailed, KeyboardInterrupt) as e:
        print(f"error: {e or type(e).__name__}", file=sys.stderr, flush=True)
        print(f"logs of each command: {Path(args.stack_dir).resolve() / 'e2e-logs'}", file=sys.stderr)
    finally:
        if args._moto is not None:
            if not ok:
                tail = args._moto.log_tail(30)
                if tail.strip():
                    print(f"emulator log (errors, non-2xx requests):\n{tail}", file=sys.stderr)
            args._moto.stop()
            say(started, "AWS emulator stopped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
