#!/usr/bin/env python3
"""End-to-end drift check for one ecsynth stack against the moto AWS emulator.

Usage:
    python e2e/drift_check.py STACK_DIR [--python PY] [--moto-server PATH]
                              [--terraform BIN] [--keep-workdir]

STACK_DIR holds the generated Terraform JSON (normally one `main.tf.json`).
Exit status 0 means every step below passed; anything else is a failure and the
last lines printed say why.

Steps (each prints one timed log line):
  1. copy STACK_DIR to a temp work dir; start `moto_server.py` on a free
     loopback port (stopped again at the end, also on failure)
  2. create the network the stack expects in the emulator, write
     `provider_override.tf.json` pointing the aws provider(s) at the emulator
  3. terraform init / apply / plan -detailed-exitcode (must be 0)
  4. act as CodeDeploy + the autoscalers through boto3, discovering everything
     from `terraform show -json`: for every aws_codedeploy_deployment_group,
     re-point its prod/test traffic at the other target group of the pair
     (weighted forward 100/0 on ALB, plain forward on NLB): the listener's
     default action when it forwards to the pair, else (a listener shared by
     several services, default e.g. a fixed 404) every listener rule that
     forwards to the pair; register a new task definition revision and move
     the service to it and to the other target group (and, on EC2 capacity, to
     another capacity provider strategy, as the AppSpec's sets it); move every rolling
     service (ECS deployment controller) to a new revision, as `ecsynth deploy` does;
     change desired_count of
     every ECS service that has an aws_appautoscaling_target; change the
     desired capacity (within min/max) of the Auto Scaling group of every
     aws_ecs_capacity_provider, as ECS managed scaling does
  5. terraform plan -detailed-exitcode must be 0 again
     (3d, between apply and the simulation: the deployment artefact outputs
     agree with the running service; see the contract below)
  6. negative control: strip every lifecycle.ignore_changes from the stack's
     *.tf.json, plan must report changes (exit 2), and every resource that
     had ignore_changes must be among them (else step 4 never exercised it);
     the file is restored
  7. terraform destroy must succeed and leave no resources in state

Contract with the stack (what the generator may rely on):
  * provider "aws" blocks (any aliases) carry region/default_tags only; the
    harness merges endpoints, fake credentials and skip_* flags in through
    `provider_override.tf.json`. A non-literal region falls back to --region.
  * input variables: if the stack declares `vpc_id` (string) and/or any
    `*subnet_ids` (list(string): `subnet_ids`, `load_balancer_subnet_ids`), the
    harness creates a VPC and two subnets in two AZs in the emulator and passes
    them via a -var-file; `ecs_ami_id` / `ecs_ami_id_arm64` (string) get the
    emulator's ECS-optimised AMI. Any other variable must have a default.
  * outputs `<label>_appspec_yaml` / `<label>_taskdef_json` (ecsynth's deployment
    artefacts) are checked after apply (step 3d) against the service
    `aws_ecs_service.<label>` as ECS reports it (awsvpc network configuration,
    or none for bridge/host tasks; capacity provider strategy), and
    taskdef.json is registered with its image filled in, as CodePipeline would.
  * no data sources or resources outside what moto emulates.

Environment:
  TF_PLUGIN_MIRROR  if set, `terraform init -plugin-dir "$TF_PLUGIN_MIRROR"`
                    (filesystem-mirror layout, no network); else plain init.

Exit status: 0 pass, 1 fail, 3 fail in a step where the provider resent a request to the
emulator (its debug log, e2e-logs/NN-<command>.provider.log, shows `http.resend_count`): it
lost the first answer, and a retried call that had already taken effect can fail on its own
(a second RevokeSecurityGroupEgress finds the rule gone). Such a run is worth one rerun from
scratch; a real problem fails the rerun too.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Exit status of a run that failed after the provider resent a request (see the docstring).
EXIT_TRANSIENT = 3

HERE = Path(__file__).resolve().parent
OVERRIDE_FILE = "provider_override.tf.json"
BACKEND_OVERRIDE_FILE = "backend_override.tf.json"
VARS_FILE = "e2e_network.tfvars.json"
FAKE_KEY = "testing"
DEFAULT_REGION = "us-east-1"

# Every endpoint key a generated stack may plausibly touch; all point at moto.
ENDPOINT_KEYS = [
    "acm",
    "apigateway",
    "appautoscaling",
    "autoscaling",
    "cloudformation",
    "cloudwatch",
    "codedeploy",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "elb",
    "elbv2",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "route53",
    "s3",
    "secretsmanager",
    "servicediscovery",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "wafv2",
]

NLB_PROTOCOLS = {"TCP", "UDP", "TCP_UDP", "TLS"}

# Ignored attributes the simulation changes on purpose; the negative control requires each to
# show in the plan by name wherever it was ignored.
MUST_SHOW_WHEN_STRIPPED = {"capacity_provider_strategy"}


class CheckFailed(Exception):
    """A step failed; the message says what and why."""


# --------------------------------------------------------------------------
# logging
# --------------------------------------------------------------------------
class Log:
    def __init__(self, name: str) -> None:
        self.name = name
        self.t0 = time.monotonic()
        self.step_t0 = self.t0
        self.step_label = "start"

    def step(self, label: str) -> None:
        self.step_label = label
        self.step_t0 = time.monotonic()

    def done(self, msg: str) -> None:
        now = time.monotonic()
        print(
            f"[drift-check {self.name}] {self.step_label}: {msg} "
            f"({now - self.step_t0:.1f}s, total {now - self.t0:.1f}s)",
            flush=True,
        )

    def info(self, msg: str) -> None:
        print(f"[drift-check {self.name}]   {msg}", flush=True)


# --------------------------------------------------------------------------
# moto server
# --------------------------------------------------------------------------
class MotoServer:
    def __init__(self, python: str, script: Path, logfile: Path) -> None:
        self.python = python
        self.script = script
        self.logfile = logfile
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 60.0) -> str:
        self._log = open(self.logfile, "w")
        self.proc = subprocess.Popen(
            [self.python, str(self.script), "--host", "127.0.0.1", "--port", "0", "--exit-with-parent"],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,
        )
        sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if sel.select(timeout=0.5):
                line = self.proc.stdout.readline()
                break
        sel.close()
        if not line.startswith("MOTO_LISTENING "):
            self.stop()
            raise CheckFailed(f"moto server did not start (output {line!r}); log:\n" + self.log_tail())
        self.url = line.split()[1]
        return self.url

    def log_tail(self, n: int = 40) -> str:
        """Last n interesting lines of the server log: errors and tracebacks,
        without the access-log lines of successful (2xx) requests."""
        try:
            lines = self.logfile.read_text(errors="replace").splitlines(True)
        except OSError:
            return ""
        ok = re.compile(r'" 2\d\d -\s*$')
        return "".join([line for line in lines if not ok.search(line)][-n:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if getattr(self, "_log", None) is not None:
            self._log.close()


# --------------------------------------------------------------------------
# terraform
# --------------------------------------------------------------------------
class Terraform:
    def __init__(self, binary: str, workdir: Path, env: dict[str, str], var_args: list[str]) -> None:
        self.binary = binary
        self.workdir = workdir
        self.env = env
        self.var_args = var_args
        self.logdir = workdir / "e2e-logs"
        self.logdir.mkdir(exist_ok=True)  # terraform output per command: NN-<command>.log
        self.n = 0
        self.provider_log: Path | None = None

    def resent_requests(self) -> int:
        """Requests the provider resent in the last command (attempt 2 or later)."""
        if self.provider_log is None or not self.provider_log.exists():
            return 0
        with open(self.provider_log, errors="replace") as log:
            return sum(line.count("http.resend_count") for line in log)

    def run(
        self, *args: str, ok: tuple[int, ...] = (0,), timeout: float = 900, stdout_only: bool = False
    ) -> tuple[int, str]:
        """Runs terraform; returns (exit code, output). stdout_only keeps stderr
        out of the output (for -json commands); it is still logged."""
        self.n += 1
        cmd = [self.binary, *args]
        # The provider's debug log marks a resent request with `http.resend_count`: the only
        # way to tell a lost answer from a real failure afterwards.
        self.provider_log = self.logdir / f"{self.n:02d}-{args[0]}.provider.log"
        env = {**self.env, "TF_LOG_PROVIDER": "DEBUG", "TF_LOG_PATH": str(self.provider_log)}
        try:
            res = subprocess.run(
                cmd,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if stdout_only else subprocess.STDOUT,
                text=True,
                timeout=timeout,
            )
            out, code = res.stdout, res.returncode
            if stdout_only and code not in ok:
                out += res.stderr
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            raise CheckFailed(f"`{' '.join(cmd)}` timed out after {timeout}s:\n{out[-6000:]}") from None
        (self.logdir / f"{self.n:02d}-{args[0]}.log").write_text(out)
        if code not in ok:
            text = _clean(out)
            at = text.find("\nError:")
            excerpt = text[at + 1 :] if at >= 0 else text
            raise CheckFailed(f"`{' '.join(cmd)}` exited {code}:\n{excerpt[-8000:]}")
        return code, out

    def init(self) -> None:
        mirror = os.environ.get("TF_PLUGIN_MIRROR")
        args = ["init", "-input=false", "-no-color"]
        if mirror:
            args += ["-plugin-dir", mirror]
        try:
            self.run(*args)
        except CheckFailed as e:
            hint = (
                ""
                if mirror
                else "\nhint: without network access set TF_PLUGIN_MIRROR to a "
                "provider filesystem mirror (e.g. /opt/tf-plugins)"
            )
            raise CheckFailed(f"{e}{hint}") from None

    def apply(self) -> None:
        self.run("apply", "-auto-approve", "-input=false", "-no-color", *self.var_args)

    def plan(self) -> tuple[int, str, list[tuple[str, str]]]:
        """Returns (exit code, plan text, [(address, action)] of changing resources).

        The change list is read from the human plan text rather than from
        `terraform show -json PLAN`: every terraform command pays a few seconds
        of aws provider schema loading, and the text carries what we need."""
        code, out = self.run(
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
            *self.var_args,
            ok=(0, 2),
        )
        changes = []
        matches = list(PLAN_CHANGE_RE.finditer(out))
        for i, m in enumerate(matches):
            if m.group(2) == "read during apply":
                continue
            end = matches[i + 1].start() if i + 1 < len(matches) else len(out)
            attrs = sorted(set(PLAN_ATTR_RE.findall(out[m.end() : end])))
            changes.append((m.group(1), m.group(2) + (f": {', '.join(attrs)}" if attrs else "")))
        if code == 2 and not changes:
            changes = [("(could not parse plan text)", "?")]
        return code, out, changes

    def show_state(self) -> dict[str, Any]:
        _, js = self.run("show", "-json", stdout_only=True)
        return json.loads(js)

    def destroy(self) -> None:
        # The negative-control plan has just refreshed everything; skipping the
        # refresh saves one provider start (~10 s) and destroys by ID anyway.
        self.run("destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", *self.var_args)

    def state_list(self) -> list[str]:
        _, out = self.run("state", "list", stdout_only=True)
        return [line for line in out.splitlines() if line.strip()]


def _clean(out: str) -> str:
    """Drops terraform's warning box about a missing CLI config file."""
    keep: list[str] = []
    box: list[str] | None = None
    for line in out.splitlines():
        if line.startswith("There are some problems with the CLI configuration"):
            continue
        if box is None and line.startswith("╷"):
            box = [line]
        elif box is not None:
            box.append(line)
            if line.startswith("╵"):
                if not any("CLI configuration" in b for b in box):
                    keep.extend(box)
                box = None
        else:
            keep.append(line)
    keep.extend(box or [])
    return "\n".join(keep)


# "  # aws_lb_listener.prod will be updated in-place", "... must be replaced", ...
PLAN_CHANGE_RE = re.compile(
    r"^  # (\S+)(?: \(.*?\))? (?:is tainted, so )?(?:will|must) be ([a-z -]+?)\s*$", re.M
)

# top-level changed attributes/blocks inside one resource's diff ("      ~ desired_count = 2 -> 3",
# "      ~ load_balancer {"); nested lines are indented deeper and not matched.
PLAN_ATTR_RE = re.compile(r"^      [~+-] (\w+)(?: +=| \{)", re.M)


def _changed_summary(changes: list[tuple[str, str]]) -> str:
    return "; ".join(f"{addr} ({act})" for addr, act in changes) or "(none)"


# --------------------------------------------------------------------------
# stack inspection / rewriting
# --------------------------------------------------------------------------
def tf_json_files(workdir: Path) -> list[Path]:
    return sorted(p for p in workdir.glob("*.tf.json") if not p.name.endswith("_override.tf.json"))


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def stack_providers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for doc in docs:
        for block in _as_list(doc.get("provider")):
            for cfg in _as_list(block.get("aws")):
                out.append(cfg)
    return out


def provider_major_mismatch(docs: list[dict[str, Any]], mirror: str | None) -> str | None:
    """Why `terraform init` cannot succeed from the mirror: the stack requires a hashicorp/aws
    major (the one below its `< N.0` bound) of which the mirror holds no version. ecsynth
    writes a stack for one major; `ecsynth synth STACK --aws-provider 5` writes it for 5.x."""
    if not mirror:
        return None
    versions_dir = Path(mirror) / "registry.terraform.io" / "hashicorp" / "aws"
    held = sorted(p.name for p in versions_dir.glob("*") if p.is_dir())
    for doc in docs:
        required = (doc.get("terraform") or {}).get("required_providers") or {}
        aws = required.get("aws") if isinstance(required, dict) else None
        constraint = aws.get("version") if isinstance(aws, dict) else None
        if not isinstance(constraint, str):
            continue
        bound = re.search(r"<\s*(\d+)(?:\.0)*\s*(?:,|$)", constraint)
        if not bound:
            continue
        major = int(bound.group(1)) - 1
        if not any(v.split(".")[0] == str(major) for v in held):
            return (
                f"the stack requires hashicorp/aws {major}.x ({constraint!r}); the mirror "
                f"{versions_dir} holds {', '.join(held) or 'no version'}: write the stack for an "
                f"installed major, e.g. `ecsynth synth STACK --aws-provider {held[0].split('.')[0] if held else 5}`"
            )
    return None


def stack_tfvars(aws: Aws, variables: dict[str, Any]) -> dict[str, Any]:
    """Values for the stack's variables, as an operator fills them: a network made on the
    emulator, and the ECS-optimised AMI it publishes. Fails on a variable it cannot fill."""
    tfvars: dict[str, Any] = {}
    # `subnet_ids`, `load_balancer_subnet_ids`, …: every subnet list gets the same two subnets.
    subnet_variables = [n for n in variables if n.endswith("subnet_ids")]
    if "vpc_id" in variables or subnet_variables:
        vpc, subnets = aws.create_network()
        if "vpc_id" in variables:
            tfvars["vpc_id"] = vpc
        for name in subnet_variables:
            tfvars[name] = subnets
    # `ecs_ami_id`, `ecs_ami_id_arm64`: the AMI is an input of the stack, like the network.
    for name in variables:
        if name.startswith("ecs_ami_id") and "default" not in variables[name]:
            tfvars[name] = aws.ecs_ami(arm64=name.endswith("_arm64"))
    missing = [n for n, b in variables.items() if n not in tfvars and "default" not in b]
    if missing:
        raise CheckFailed(f"stack declares variables without defaults the harness cannot fill: {missing}")
    return tfvars


def stack_variables(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for doc in docs:
        for block in _as_list(doc.get("variable")):
            for name, body in block.items():
                for b in _as_list(body):
                    out[name] = b or {}
    return out


def strip_ignore_changes(doc: dict[str, Any], found: list[str]) -> None:
    """Removes lifecycle.ignore_changes from every resource; records addresses."""
    for block in _as_list(doc.get("resource")):
        for rtype, named in block.items():
            for named_block in _as_list(named):
                for rname, bodies in named_block.items():
                    for body in _as_list(bodies):
                        lcs = body.get("lifecycle")
                        if lcs is None:
                            continue
                        kept = []
                        for lc in _as_list(lcs):
                            if "ignore_changes" in lc:
                                found.append(f"{rtype}.{rname}: {lc['ignore_changes']}")
                                lc = {k: v for k, v in lc.items() if k != "ignore_changes"}
                            if lc:
                                kept.append(lc)
                        if kept:
                            body["lifecycle"] = kept if isinstance(lcs, list) else kept[0]
                        else:
                            del body["lifecycle"]


def provider_override(providers: list[dict[str, Any]], endpoint: str, region: str | None) -> dict[str, Any]:
    configs = []
    aliases = [p.get("alias") for p in providers] or [None]
    for alias in dict.fromkeys(aliases):
        cfg: dict[str, Any] = {
            "access_key": FAKE_KEY,
            "secret_key": FAKE_KEY,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            # moto answers sts:GetCallerIdentity. Skipping it leaves the
            # account id empty: CodeDeploy tags_all and SG-rule
            # referenced_security_group_id then drift -> keep false.
            "skip_requesting_account_id": False,
            "s3_use_path_style": True,
            # moto answers unimplemented actions with 500; with the default
            # of 25 retries the provider backs off for minutes before failing.
            # 2 still rides out a transient connection error.
            "max_retries": 2,
            "endpoints": [{k: endpoint for k in ENDPOINT_KEYS}],
        }
        if alias:
            cfg["alias"] = alias
        if region:
            cfg["region"] = region
        configs.append(cfg)
    return {"provider": {"aws": configs}}


def iter_state_resources(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    def walk(mod: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for r in mod.get("resources", []):
            if r.get("mode", "managed") == "managed":
                yield r
        for child in mod.get("child_modules", []):
            yield from walk(child)

    root = (state.get("values") or {}).get("root_module") or {}
    yield from walk(root)


# --------------------------------------------------------------------------
# AWS side (boto3 against moto)
# --------------------------------------------------------------------------
def check_artefacts(aws: Aws, state: dict[str, Any]) -> list[str]:
    """The AppSpec and taskdef.json outputs, as Terraform rendered them after apply, agree with
    the service ECS actually runs, and taskdef.json registers as CodePipeline would register it."""
    import yaml

    outputs = state.get("values", {}).get("outputs", {})
    services = {
        r["address"]: r["values"] for r in iter_state_resources(state) if r["type"] == "aws_ecs_service"
    }
    notes = []
    for name, output in sorted(outputs.items()):
        if not name.endswith("_appspec_yaml"):
            continue
        label = name[: -len("_appspec_yaml")]
        appspec_text = output["value"]
        taskdef_text = outputs[f"{label}_taskdef_json"]["value"]
        for text, what in ((appspec_text, "appspec"), (taskdef_text, "taskdef")):
            if "${" in text or "@@ecsynth" in text:
                raise CheckFailed(f"{what} of {label} still holds an unrendered value:\n{text}")
        service_values = services.get(f"aws_ecs_service.{label}")
        if service_values is None:
            raise CheckFailed(f"output {name} has no aws_ecs_service.{label} in state")
        described = aws("ecs").describe_services(
            cluster=service_values["cluster"], services=[service_values["name"]]
        )["services"][0]
        props = yaml.safe_load(appspec_text)["Resources"][0]["TargetService"]["Properties"]
        mapping = described["loadBalancers"][0]
        lb_info = props["LoadBalancerInfo"]
        if (lb_info["ContainerName"], lb_info["ContainerPort"]) != (
            mapping["containerName"],
            mapping["containerPort"],
        ):
            raise CheckFailed(f"AppSpec LoadBalancerInfo {lb_info} differs from the service's {mapping}")
        # awsvpc tasks: the AppSpec must repeat the service's network configuration (a deployment
        # replaces it). bridge/host tasks (EC2) have none, and the AppSpec must not invent one.
        network = (described.get("networkConfiguration") or {}).get("awsvpcConfiguration")
        awsvpc = (props.get("NetworkConfiguration") or {}).get("AwsvpcConfiguration")
        if (network is None) != (awsvpc is None):
            raise CheckFailed(
                f"AppSpec NetworkConfiguration {awsvpc} but the service's awsvpcConfiguration is {network}"
            )
        if network is not None and awsvpc is not None:
            for key, api_key in (("Subnets", "subnets"), ("SecurityGroups", "securityGroups")):
                if sorted(awsvpc[key]) != sorted(network[api_key]):
                    raise CheckFailed(
                        f"AppSpec {key} {awsvpc[key]} differs from the service's {network[api_key]}"
                    )
            if awsvpc["AssignPublicIp"] != network.get("assignPublicIp", "DISABLED"):
                raise CheckFailed(f"AppSpec AssignPublicIp differs from the service's {network}")
        # A deployment places the replacement tasks with the AppSpec's capacity provider strategy;
        # it must be the service's (EC2 capacity providers), or absent when the service has none.
        strategy = [
            (s["CapacityProvider"], s.get("Base", 0), s.get("Weight", 0))
            for s in props.get("CapacityProviderStrategy") or []
        ]
        service_strategy = [
            (s["capacityProvider"], s.get("base", 0), s.get("weight", 0))
            for s in described.get("capacityProviderStrategy") or []
        ]
        if strategy != service_strategy:
            raise CheckFailed(
                f"AppSpec CapacityProviderStrategy {strategy} differs from the service's {service_strategy}"
            )

        taskdef = json.loads(taskdef_text)
        registered = aws("ecs").describe_task_definition(taskDefinition=described["taskDefinition"])[
            "taskDefinition"
        ]
        for key in ("family", "executionRoleArn", "taskRoleArn", "cpu", "memory", "networkMode"):
            if taskdef.get(key) != registered.get(key):
                raise CheckFailed(
                    f"taskdef.json {key}={taskdef.get(key)!r}, registered {registered.get(key)!r}"
                )
        images = {c["name"]: c["image"] for c in taskdef["containerDefinitions"]}
        if images.get(mapping["containerName"]) != "<IMAGE1_NAME>":
            raise CheckFailed(
                f"taskdef.json has no <IMAGE1_NAME> for container {mapping['containerName']}: {images}"
            )
        # What CodePipeline does with it: fill the image, register a revision.
        for container in taskdef["containerDefinitions"]:
            if container["image"] == "<IMAGE1_NAME>":
                container["image"] = "registry.example/app:candidate"
        revision = aws("ecs").register_task_definition(**taskdef)["taskDefinition"]
        notes.append(
            f"{label}: AppSpec {lb_info['ContainerName']}:{lb_info['ContainerPort']}"
            f"{' awsvpc' if network is not None else ' ' + str(registered.get('networkMode'))}"
            f"{' capacity providers ' + ','.join(c for c, _, _ in strategy) if strategy else ''}"
            " matches the service; "
            f"taskdef.json registered as {revision['family']}:{revision['revision']}"
        )
    return notes


class Aws:
    def __init__(self, endpoint: str, region: str) -> None:
        import boto3
        from botocore.config import Config

        self.session = boto3.session.Session(
            aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_KEY, region_name=region
        )
        self.endpoint = endpoint
        self.config = Config(
            retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=120
        )
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, endpoint_url=self.endpoint, config=self.config
            )
        return self._clients[service]

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self("sts").get_caller_identity()
                return
            except Exception as e:  # noqa: BLE001
                if time.monotonic() > deadline:
                    raise CheckFailed(f"moto server at {self.endpoint} does not answer: {e}") from e
                time.sleep(0.2)

    def create_network(self) -> tuple[str, list[str]]:
        ec2 = self("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        subnets = []
        for i, az in enumerate(zones):
            subnets.append(
                ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=az)["Subnet"][
                    "SubnetId"
                ]
            )
        return vpc, subnets

    def ecs_ami(self, arm64: bool) -> str:
        """The ECS-optimised AMI id the emulator publishes, as an operator would look it up."""
        arch = "arm64/" if arm64 else ""
        name = f"/aws/service/ecs/optimized-ami/amazon-linux-2023/{arch}recommended/image_id"
        try:
            return self("ssm").get_parameter(Name=name)["Parameter"]["Value"]
        except Exception:  # noqa: BLE001 - any image the emulator knows will launch
            images = self("ec2").describe_images(Owners=["amazon"])["Images"]
            if not images:
                raise CheckFailed(f"the emulator has neither {name} nor any Amazon image") from None
            return images[0]["ImageId"]


def _listener_target_groups(action: dict[str, Any]) -> list[tuple[str, int]]:
    """(target group ARN, weight) pairs a forward action sends traffic to."""
    fc = action.get("ForwardConfig") or {}
    tgs = [(t["TargetGroupArn"], t.get("Weight", 1)) for t in fc.get("TargetGroups", [])]
    if not tgs and action.get("TargetGroupArn"):
        tgs = [(action["TargetGroupArn"], 1)]
    return tgs


def _traffic_routes(elb: Any, listener_arn: str, pair: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """What CodeDeploy rewrites on one listener for a target group pair: [("listener", arn,
    forward action)] when the default action forwards to the pair, else [("rule", rule arn,
    forward action)] for every non-default rule that forwards to it (shared listener)."""

    def forward_to_pair(actions: list[dict[str, Any]]) -> dict[str, Any] | None:
        for action in actions:
            if action["Type"] == "forward" and any(arn in pair for arn, _ in _listener_target_groups(action)):
                return action
        return None

    listener = elb.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
    action = forward_to_pair(listener["DefaultActions"])
    if action is not None:
        return [("listener", listener_arn, action)]
    routes = []
    for page in elb.get_paginator("describe_rules").paginate(ListenerArn=listener_arn):
        for rule in page["Rules"]:
            if rule.get("IsDefault"):
                continue
            action = forward_to_pair(rule["Actions"])
            if action is not None:
                routes.append(("rule", rule["RuleArn"], action))
    return routes


def simulate_codedeploy_and_autoscaler(aws: Aws, state: dict[str, Any]) -> list[str]:
    """Mutates the emulator like a blue/green deployment plus a scale event.

    Returns a list of human-readable notes of what was changed."""
    elb, ecs = aws("elbv2"), aws("ecs")
    notes: list[str] = []
    resources = list(iter_state_resources(state))

    scalable: dict[str, dict[str, Any]] = {}
    for r in resources:
        if r["type"] == "aws_appautoscaling_target":
            v = r["values"]
            if (
                v.get("service_namespace") == "ecs"
                and v.get("scalable_dimension") == "ecs:service:DesiredCount"
            ):
                scalable[v["resource_id"]] = v

    groups = [r for r in resources if r["type"] == "aws_codedeploy_deployment_group"]
    deployed: set[str] = set()
    for r in groups:
        v = r["values"]
        svc_cfg = (v.get("ecs_service") or [None])[0]
        lbi = (v.get("load_balancer_info") or [None])[0]
        pair = ((lbi or {}).get("target_group_pair_info") or [None])[0]
        if not svc_cfg or not pair:
            notes.append(f"{r['address']}: no ecs_service/target_group_pair_info, skipped")
            continue
        tg_names = [t["name"] for t in pair.get("target_group", [])]
        if len(tg_names) != 2:
            raise CheckFailed(f"{r['address']}: expected 2 target groups, got {tg_names}")
        tg_arn = {
            t["TargetGroupName"]: t["TargetGroupArn"]
            for t in elb.describe_target_groups(Names=tg_names)["TargetGroups"]
        }
        prod = list((pair.get("prod_traffic_route") or [{}])[0].get("listener_arns") or [])
        test = list(((pair.get("test_traffic_route") or [{}])[0] or {}).get("listener_arns") or [])
        if not prod:
            raise CheckFailed(f"{r['address']}: no prod listener")

        arns = [tg_arn[n] for n in tg_names]

        # Where CodeDeploy shifts traffic, per listener: the default action when it forwards to
        # the pair (a listener of its own), else the listener rules whose actions forward to the
        # pair (a listener shared by several services, whose default is e.g. a fixed 404).
        routes = {larn: _traffic_routes(elb, larn, arns) for larn in dict.fromkeys(test + prod)}
        for larn, found in routes.items():
            if not found:
                raise CheckFailed(
                    f"{r['address']}: listener {larn} neither forwards to {tg_names} by default "
                    "nor has a rule that does, so CodeDeploy could not shift its traffic"
                )

        # Which TG is live now? Whatever the first prod route sends most traffic to.
        live = max(_listener_target_groups(routes[prod[0]][0][2]), key=lambda x: x[1])[0]
        if live not in arns:
            raise CheckFailed(f"{r['address']}: prod traffic goes to {live}, not to {tg_names}")
        old, new = live, arns[1 - arns.index(live)]

        # 1. traffic shift on test + prod listeners (or their rules)
        for larn in dict.fromkeys(test + prod):
            listener = elb.describe_listeners(ListenerArns=[larn])["Listeners"][0]
            if listener["Protocol"] in NLB_PROTOCOLS:
                # NLB listeners take a single forward target; CodeDeploy swaps it.
                actions = [{"Type": "forward", "TargetGroupArn": new}]
            else:
                actions = [
                    {
                        "Type": "forward",
                        "ForwardConfig": {
                            "TargetGroups": [
                                {"TargetGroupArn": new, "Weight": 100},
                                {"TargetGroupArn": old, "Weight": 0},
                            ],
                            "TargetGroupStickinessConfig": {"Enabled": False},
                        },
                    }
                ]
            how = "weighted 100/0" if "ForwardConfig" in actions[0] else "forward"
            for kind, arn, _ in routes[larn]:
                if kind == "listener":
                    elb.modify_listener(ListenerArn=arn, DefaultActions=actions)
                    after = elb.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"]
                    where = f"listener {listener['Port']}/{listener['Protocol']}"
                else:
                    elb.modify_rule(RuleArn=arn, Actions=actions)
                    rule = elb.describe_rules(RuleArns=[arn])["Rules"][0]
                    after = rule["Actions"]
                    where = f"listener {listener['Port']}/{listener['Protocol']} rule {rule['Priority']}"
                forward = [a for a in after if a["Type"] == "forward"]
                top = max(_listener_target_groups(forward[0]), key=lambda x: x[1])[0] if forward else None
                if top != new:
                    raise CheckFailed(f"{where} ({arn}) still forwards to {top} after the traffic shift")
                notes.append(f"{where} -> {_tg_name(new)} ({how})")

        # 2. replacement task set: new task definition revision on the new TG
        cluster, service = svc_cfg["cluster_name"], svc_cfg["service_name"]
        svc = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"], include=["TAGS"])
        new_td = register_new_revision(ecs, td)
        lbs = []
        for lb in svc.get("loadBalancers", []):
            lb = dict(lb)
            if lb.get("targetGroupArn") == old:
                lb["targetGroupArn"] = new
            lbs.append(lb)
        kwargs: dict[str, Any] = dict(cluster=cluster, service=service, taskDefinition=new_td)
        if lbs:
            kwargs["loadBalancers"] = lbs
        # On EC2 capacity CodeDeploy also sets the capacity provider strategy: the AppSpec's
        # (aws/containers-roadmap #1752: none when the AppSpec has none). Here a weight the
        # stack never wrote, so a plan that does not ignore the strategy sees it.
        strategy = [dict(s) for s in svc.get("capacityProviderStrategy") or []]
        if strategy:
            for item in strategy:
                item["weight"] = int(item.get("weight", 0)) + 1
            kwargs["capacityProviderStrategy"] = strategy
            kwargs["forceNewDeployment"] = True
        ecs.update_service(**kwargs)
        svc2 = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        if svc2["taskDefinition"] != new_td:
            raise CheckFailed(f"service {service}: UpdateService did not switch the task definition")
        if strategy:
            after = svc2.get("capacityProviderStrategy") or []
            if [(s["capacityProvider"], s.get("weight")) for s in after] != [
                (s["capacityProvider"], s["weight"]) for s in strategy
            ]:
                raise CheckFailed(
                    f"service {service}: UpdateService left the capacity provider "
                    f"strategy at {after}, wanted {strategy}"
                )
        notes.append(
            f"service {service}: task definition -> {new_td.split('/')[-1]}, "
            f"load balancer -> {_tg_name(new)}"
            + (f", capacity provider strategy -> {strategy}" if strategy else "")
        )
        deployed.add(f"service/{cluster}/{service}")

    # 2b. `ecsynth deploy` of a rolling service (ECS deployment controller): a new revision,
    #     moved to with UpdateService
    for r in resources:
        if r["type"] != "aws_ecs_service":
            continue
        v = r["values"]
        if ((v.get("deployment_controller") or [{}])[0].get("type") or "ECS") != "ECS":
            continue
        cluster, service = v["cluster"].split("/")[-1], v["name"]
        svc = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"], include=["TAGS"])
        new_td = register_new_revision(ecs, td)
        ecs.update_service(cluster=cluster, service=service, taskDefinition=new_td)
        notes.append(f"service {service}: task definition -> {new_td.split('/')[-1]} (rolling deploy)")

    # 3. autoscaler: change desired count of every autoscaled ECS service
    for rid, tgt in scalable.items():
        _, cluster, service = rid.split("/", 2)
        svc = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        cur = svc["desiredCount"]
        want = cur + 1 if cur + 1 <= tgt["max_capacity"] else cur - 1
        if want < tgt["min_capacity"] or want == cur:
            raise CheckFailed(f"{rid}: cannot pick a desired count between min/max around {cur}")
        ecs.update_service(cluster=cluster, service=service, desiredCount=want)
        notes.append(f"service {service}: desired count {cur} -> {want} (autoscaled)")

    # 4. ECS managed scaling: a capacity provider with managed scaling sets the desired capacity
    #    of its Auto Scaling group to fit the tasks placed on the cluster.
    asg = aws("autoscaling")
    groups_by_arn = {r["values"]["arn"]: r for r in resources if r["type"] == "aws_autoscaling_group"}
    capacity_providers = [r for r in resources if r["type"] == "aws_ecs_capacity_provider"]
    for r in capacity_providers:
        provider = (r["values"].get("auto_scaling_group_provider") or [None])[0] or {}
        group_resource = groups_by_arn.get(provider.get("auto_scaling_group_arn"))
        if group_resource is None:
            raise CheckFailed(
                f"{r['address']}: its Auto Scaling group {provider.get('auto_scaling_group_arn')} "
                "is not an aws_autoscaling_group of the stack"
            )
        name = group_resource["values"]["name"]
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        cur, low, high = group["DesiredCapacity"], group["MinSize"], group["MaxSize"]
        want = cur + 1 if cur + 1 <= high else cur - 1
        if want < low or want == cur:
            raise CheckFailed(f"{name}: cannot pick a desired capacity between {low}/{high} around {cur}")
        asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=want, HonorCooldown=False)
        after = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        if after["DesiredCapacity"] != want:
            raise CheckFailed(f"{name}: SetDesiredCapacity {want} left it at {after['DesiredCapacity']}")
        notes.append(
            f"auto scaling group {name}: desired capacity {cur} -> {want} "
            f"(managed scaling of {r['values']['name']})"
        )

    if not groups and not scalable and not capacity_providers:
        notes.append(
            "no aws_codedeploy_deployment_group, ECS aws_appautoscaling_target or "
            "aws_ecs_capacity_provider: nothing to simulate"
        )
    return notes


def _tg_name(arn: str) -> str:
    return arn.split(":targetgroup/")[-1].split("/")[0]


REGISTER_KEYS = [
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
]


def register_new_revision(ecs: Any, described: dict[str, Any]) -> str:
    """Registers the next revision with a changed image, as a CI pipeline would."""
    td = described["taskDefinition"]
    args = {k: td[k] for k in REGISTER_KEYS if td.get(k) not in (None, [], {})}
    containers = [dict(c) for c in td["containerDefinitions"]]
    image = containers[0]["image"]
    base = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    containers[0]["image"] = f"{base}:e2e-green-{td['revision'] + 1}"
    args["containerDefinitions"] = containers
    if described.get("tags"):
        args["tags"] = described["tags"]
    return ecs.register_task_definition(**args)["taskDefinition"]["taskDefinitionArn"]


# --------------------------------------------------------------------------
# main flow
# --------------------------------------------------------------------------
def check(args: argparse.Namespace, log: Log) -> None:
    stack_dir = Path(args.stack_dir).resolve()
    if not stack_dir.is_dir():
        raise CheckFailed(f"{stack_dir} is not a directory")

    # 1 ------------------------------------------------------------------
    log.step("1 setup")
    workdir = Path(tempfile.mkdtemp(prefix=f"ecsynth-e2e-{stack_dir.name}-"))
    args._workdir = workdir
    shutil.copytree(
        stack_dir,
        workdir,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".terraform", "terraform.tfstate*", "*.plan", OVERRIDE_FILE),
    )
    files = tf_json_files(workdir)
    if not files:
        raise CheckFailed(f"no *.tf.json in {stack_dir}")
    if any(workdir.glob("*.tf")):
        log.info("warning: HCL *.tf files present; the negative control only strips *.tf.json")
    originals = {p: p.read_text() for p in files}
    docs = [json.loads(t) for t in originals.values()]

    (workdir / "e2e-logs").mkdir(exist_ok=True)
    moto = MotoServer(args.python, Path(args.moto_server), workdir / "e2e-logs" / "moto.log")
    args._moto = moto
    endpoint = moto.start()
    region = args.region
    for p in stack_providers(docs):
        r = p.get("region")
        if isinstance(r, str) and "${" not in r:
            region = r
            break
    aws = Aws(endpoint, region)
    aws.wait_ready()
    log.done(f"work dir {workdir}, moto at {endpoint}, region {region}")

    # 2 ------------------------------------------------------------------
    log.step("2 network+override")
    tfvars = stack_tfvars(aws, stack_variables(docs))
    var_args: list[str] = []
    if tfvars:
        (workdir / VARS_FILE).write_text(json.dumps(tfvars, indent=2))
        var_args = [f"-var-file={VARS_FILE}"]
    explicit_region = (
        None
        if any(isinstance(p.get("region"), str) and "${" not in p["region"] for p in stack_providers(docs))
        else region
    )
    (workdir / OVERRIDE_FILE).write_text(
        json.dumps(provider_override(stack_providers(docs), endpoint, explicit_region), indent=2)
    )
    # A stack's remote state (S3) is replaced by local state in the work dir: the emulator
    # run must not touch the team's real state.
    (workdir / BACKEND_OVERRIDE_FILE).write_text(
        json.dumps({"terraform": {"backend": {"local": {}}}}, indent=2)
    )
    env = terraform_env()
    tf = Terraform(args.terraform, workdir, env, var_args)
    args._tf = tf
    log.done(
        f"vars {sorted(tfvars) or 'none'}, override for {len(stack_providers(docs)) or 1} provider block(s)"
    )

    # 3 ------------------------------------------------------------------
    log.step("3a init")
    mismatch = provider_major_mismatch(docs, os.environ.get("TF_PLUGIN_MIRROR"))
    if mismatch:
        raise CheckFailed(mismatch)
    tf.init()
    log.done(
        "ok"
        + (f" (plugin dir {os.environ['TF_PLUGIN_MIRROR']})" if os.environ.get("TF_PLUGIN_MIRROR") else "")
    )
    log.step("3b apply")
    tf.apply()
    state = tf.show_state()
    n = len(list(iter_state_resources(state)))
    log.done(f"{n} resources")
    log.step("3c plan after apply")
    code, out, changes = tf.plan()
    if code != 0:
        raise CheckFailed(
            f"plan right after apply is not clean; changing: {_changed_summary(changes)}\n{_clean(out)}"
        )
    log.done("clean (exit 0)")

    log.step("3d deployment artefacts")
    notes = check_artefacts(aws, state)
    log.done(f"{len(notes)} service(s) consistent")
    for note in notes:
        log.info(note)

    # 4 ------------------------------------------------------------------
    log.step("4 simulate CodeDeploy+autoscaler")
    notes = simulate_codedeploy_and_autoscaler(aws, state)
    log.done(f"{len(notes)} change(s)")
    for note in notes:
        log.info(note)

    # 5 ------------------------------------------------------------------
    log.step("5 plan after deployment")
    code, out, changes = tf.plan()
    if code != 0:
        raise CheckFailed(
            "plan after simulated CodeDeploy/autoscaler changes is not clean; "
            f"changing: {_changed_summary(changes)}\n{_clean(out)}"
        )
    log.done("clean (exit 0)")

    # 6 ------------------------------------------------------------------
    log.step("6 negative control")
    stripped: list[str] = []
    try:
        for file, text in originals.items():
            doc = json.loads(text)
            strip_ignore_changes(doc, stripped)
            file.write_text(json.dumps(doc, indent=2))
        if not stripped:
            raise CheckFailed("negative control impossible: the stack has no lifecycle.ignore_changes")
        code, out, changes = tf.plan()
    finally:
        for file, text in originals.items():
            file.write_text(text)
    if code != 2:
        raise CheckFailed(
            "negative control failed: with ignore_changes stripped the plan is still clean, "
            f"so the simulation did not exercise them (stripped: {stripped})\n{_clean(out)}"
        )
    # Every resource whose ignore_changes were stripped must now show a change: one that does
    # not was not exercised by the simulation, so the clean plan in step 5 proved nothing for it.
    changed = {addr for addr, _ in changes}
    unexercised = [s for s in stripped if s.split(":", 1)[0] not in changed]
    if unexercised:
        raise CheckFailed(
            "negative control: with ignore_changes stripped these resources still plan no change, "
            f"so the simulation never exercised them: {unexercised}\n"
            f"would change: {_changed_summary(changes)}"
        )
    # The attributes the simulation is meant to change must show by name, not only their
    # resource (which another attribute may already make change).
    shown = {addr: act for addr, act in changes}
    for entry in stripped:
        addr, ignored = entry.split(": ", 1)
        for attribute in MUST_SHOW_WHEN_STRIPPED.intersection(ast.literal_eval(ignored)):
            if not re.search(rf"\b{attribute}\b", shown.get(addr, "")):
                raise CheckFailed(
                    f"negative control: with ignore_changes stripped {addr} plans no change of "
                    f"{attribute}, so the simulation never changed it: {shown.get(addr)}"
                )
    log.done(f"plan exit 2 as expected; would change: {_changed_summary(changes)}")
    for s in stripped:
        log.info(f"stripped {s}")

    # 7 ------------------------------------------------------------------
    log.step("7 destroy")
    tf.destroy()
    left = tf.state_list()
    if left:
        raise CheckFailed(f"destroy left resources in state: {left}")
    log.done("state empty")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="ecsynth end-to-end drift check against moto")
    ap.add_argument("stack_dir", help="directory holding the generated main.tf.json")
    ap.add_argument(
        "--python", default=sys.executable, help="interpreter that runs the moto wrapper (default: this one)"
    )
    ap.add_argument(
        "--moto-server",
        default=str(HERE / "moto_server.py"),
        help="moto wrapper script (default: moto_server.py beside this file)",
    )
    ap.add_argument(
        "--terraform",
        default=os.environ.get("TERRAFORM", "terraform"),
        help="terraform binary (default: $TERRAFORM or terraform on PATH)",
    )
    ap.add_argument(
        "--region",
        default=DEFAULT_REGION,
        help=f"region when the stack's provider has none literal (default {DEFAULT_REGION})",
    )
    ap.add_argument(
        "--keep-workdir", action="store_true", help="keep the temp work dir (it is always kept on failure)"
    )
    args = ap.parse_args(argv)
    return run_check(args, check, Log(Path(args.stack_dir).resolve().name))


def terraform_env() -> dict[str, str]:
    """The environment of every Terraform run against the emulator: none of the machine's AWS
    settings, fake credentials (moto takes any), no instance metadata lookups, no prompts, no
    version check, and the default workspace."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": FAKE_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    env.pop("TF_WORKSPACE", None)
    return env


def run_check(args: argparse.Namespace, check: Callable[[argparse.Namespace, Log], None], log: Log) -> int:
    """Runs `check` the way every emulator check runs: SIGTERM as a failure, the failing step
    and the moto log tail on failure, the emulator stopped and the work dir removed (kept on
    failure or with `--keep-workdir`), a PASS/FAIL line; the exit code 0, 1 or EXIT_TRANSIENT
    (the provider resent requests in the failing step: worth one rerun). `check` sets
    `args._workdir`, `args._moto` and `args._tf` as it creates them."""
    for attribute in ("_workdir", "_moto", "_tf"):
        setattr(args, attribute, None)
    prefix = f"[drift-check {log.name}]"

    def on_term(signum: int, frame: Any) -> None:  # noqa: ARG001
        raise CheckFailed(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    ok = False
    transient = False
    try:
        check(args, log)
        ok = True
    except (CheckFailed, KeyboardInterrupt) as e:
        print(
            f"{prefix} FAILED in step {log.step_label}: {e or type(e).__name__}",
            file=sys.stderr,
            flush=True,
        )
        resent = args._tf.resent_requests() if args._tf is not None else 0
        if resent and isinstance(e, CheckFailed):
            transient = True
            print(
                f"{prefix} TRANSIENT: in that step the provider resent "
                f"{resent} request(s) to the emulator after losing the answer "
                f"({args._tf.provider_log.name}); a rerun from scratch is worth one try",
                file=sys.stderr,
                flush=True,
            )
    except Exception as e:  # noqa: BLE001 - report anything unexpected as a failure
        import traceback

        traceback.print_exc()
        print(
            f"{prefix} FAILED in step {log.step_label}: {type(e).__name__}: {e}",
            file=sys.stderr,
            flush=True,
        )
    finally:
        if args._moto is not None:
            if not ok:
                tail = args._moto.log_tail(30)
                if tail.strip():
                    print(
                        f"{prefix} moto log (errors, non-2xx requests):\n{tail}",
                        file=sys.stderr,
                    )
            args._moto.stop()
        if args._workdir is not None:
            if ok and not getattr(args, "keep_workdir", False):
                shutil.rmtree(args._workdir, ignore_errors=True)
            else:
                print(f"{prefix} work dir kept: {args._workdir}", file=sys.stderr)
    total = time.monotonic() - log.t0
    print(f"{prefix} {'PASS' if ok else 'FAIL'} in {total:.1f}s", flush=True)
    return 0 if ok else EXIT_TRANSIENT if transient else 1


if __name__ == "__main__":
    sys.exit(main())
