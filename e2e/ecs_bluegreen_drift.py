#!/usr/bin/env python3
"""Drift check of ECS-native blue/green's ownership rules against the moto emulator.

Usage:
    python e2e/ecs_bluegreen_drift.py STACK_DIR [--python PY] [--terraform BIN] [--keep-workdir]

STACK_DIR holds the provider-5 projection of a stack with an ECS-native blue/green service
(`tests/ecs_bluegreen_drift.rs` writes it): the emulator has no ECS-native blue/green and only
the 5.100.0 provider binary can be installed, so the projection keeps everything 5.x can
express (target groups, listeners, the weighted listener rules with their `ignore_changes`,
the roles, the service) and drops `deployment_configuration` and
`load_balancer.advanced_configuration`. What ECS does to the rest during a deployment is
done here through the AWS API. Steps, each printing one timed line:

  1. work dir, emulator, network, provider override (drift_check.py's setup)
  2. terraform init / apply / plan -detailed-exitcode (must be 0)
  3. act as ECS during a blue/green deployment: every listener rule forwarding by weight to a
     target group pair gets its weights swapped (100/0 -> 0/100), as ECS leaves them after
     shifting production and test traffic; the autoscaler changes desired_count. Read back
     from the emulator, so a swap that did not happen fails here
  4. plan -detailed-exitcode must be 0: ECS's changes are ignored
  5. negative control, changes ECS never makes: the production rule's priority, and the
     service moved to a task definition revision Terraform did not register (Terraform owns
     the task definition under ECS-native blue/green). The plan must show exactly those: the
     priority of the production rule and the service's task_definition, and not the test
     rule, whose weights alone moved; then, with the rules' `ignore_changes` stripped, the
     plan must show both rules' `action`: the swap is visible to Terraform, so the clean plan
     of step 4 is the ownership rule's doing
  6. terraform destroy leaves an empty state

Exit status: 0 pass, 1 fail, 3 fail after the provider resent a request (as drift_check.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
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
    Log,
    MotoServer,
    Terraform,
    _changed_summary,
    _clean,
    _listener_target_groups,
    iter_state_resources,
    provider_override,
    register_new_revision,
    run_check,
    stack_providers,
    stack_tfvars,
    stack_variables,
    terraform_env,
    tf_json_files,
)


def setup(args: argparse.Namespace, log: Log) -> tuple[Aws, Terraform]:
    """drift_check.py's steps 1-2: a work dir with the stack, the emulator, the network the
    stack's variables name, the provider pointed at the emulator, local state."""
    stack_dir = Path(args.stack_dir).resolve()
    workdir = Path(tempfile.mkdtemp(prefix=f"ecsynth-ecsbg-{stack_dir.name}-"))
    args._workdir = workdir
    shutil.copytree(stack_dir, workdir, dirs_exist_ok=True)
    docs = [json.loads(p.read_text()) for p in tf_json_files(workdir)]
    if not docs:
        raise CheckFailed(f"no *.tf.json in {stack_dir}")
    (workdir / "e2e-logs").mkdir(exist_ok=True)
    moto = MotoServer(args.python, HERE / "moto_server.py", workdir / "e2e-logs" / "moto.log")
    args._moto = moto
    endpoint = moto.start()
    region = next(
        (
            p["region"]
            for p in stack_providers(docs)
            if isinstance(p.get("region"), str) and "${" not in p["region"]
        ),
        "eu-west-1",
    )
    aws = Aws(endpoint, region)
    aws.wait_ready()
    tfvars = stack_tfvars(aws, stack_variables(docs))
    var_args: list[str] = []
    if tfvars:
        (workdir / VARS_FILE).write_text(json.dumps(tfvars))
        var_args = [f"-var-file={VARS_FILE}"]
    (workdir / OVERRIDE_FILE).write_text(json.dumps(provider_override(stack_providers(docs), endpoint, None)))
    (workdir / BACKEND_OVERRIDE_FILE).write_text(json.dumps({"terraform": {"backend": {"local": {}}}}))
    env = terraform_env()
    tf = Terraform(args.terraform, workdir, env, var_args)
    args._tf = tf
    log.done(f"work dir {workdir}, moto at {endpoint}, region {region}")
    return aws, tf


def weighted_rules(state: dict[str, Any]) -> dict[str, str]:
    """Terraform address -> rule ARN of every listener rule forwarding by weight to two target
    groups: the rules ECS-native blue/green switches."""
    rules = {}
    for r in iter_state_resources(state):
        if r["type"] != "aws_lb_listener_rule":
            continue
        for action in r["values"].get("action") or []:
            for forward in action.get("forward") or []:
                if len(forward.get("target_group") or []) == 2:
                    rules[r["address"]] = r["values"]["arn"]
    return rules


def act_as_ecs(aws: Aws, state: dict[str, Any], rules: dict[str, str]) -> list[str]:
    """What ECS leaves behind after a blue/green deployment: each switched rule's weights
    swapped; and a scale event of the autoscaler."""
    elb, ecs = aws("elbv2"), aws("ecs")
    notes = []
    for address, arn in rules.items():
        rule = elb.describe_rules(RuleArns=[arn])["Rules"][0]
        forward = next(a for a in rule["Actions"] if a["Type"] == "forward")
        before = _listener_target_groups(forward)
        swapped = [{"TargetGroupArn": tg, "Weight": 100 - weight} for tg, weight in before]
        elb.modify_rule(
            RuleArn=arn,
            Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": swapped}}],
        )
        after = _listener_target_groups(
            next(
                a for a in elb.describe_rules(RuleArns=[arn])["Rules"][0]["Actions"] if a["Type"] == "forward"
            )
        )
        if sorted(after) != sorted((tg["TargetGroupArn"], tg["Weight"]) for tg in swapped):
            raise CheckFailed(f"{address}: the emulator kept weights {after}, not the swap {swapped}")
        notes.append(f"{address}: weights {[w for _, w in before]} -> {[w for _, w in after]}")
    for r in iter_state_resources(state):
        if r["type"] != "aws_appautoscaling_target":
            continue
        _, cluster, service = r["values"]["resource_id"].split("/")
        ecs.update_service(cluster=cluster, service=service, desiredCount=r["values"]["max_capacity"])
        notes.append(f"service {service}: desired count -> {r['values']['max_capacity']} (autoscaler)")
    return notes


def change_what_ecs_does_not_own(aws: Aws, state: dict[str, Any], rules: dict[str, str]) -> dict[str, str]:
    """The production rule's priority and the service's task definition, changed out of band;
    returns address -> the attribute the plan must show."""
    elb, ecs = aws("elbv2"), aws("ecs")
    expected = {}
    production = next((a for a in rules if a.endswith("_prod")), None)
    if production is None:
        raise CheckFailed(f"no production rule (`*_prod`) among the switched rules {sorted(rules)}")
    rule = elb.describe_rules(RuleArns=[rules[production]])["Rules"][0]
    elb.set_rule_priorities(
        RulePriorities=[{"RuleArn": rules[production], "Priority": int(rule["Priority"]) + 1}]
    )
    expected[production] = "priority"
    services = [r for r in iter_state_resources(state) if r["type"] == "aws_ecs_service"]
    for r in services:
        values = r["values"]
        described = ecs.describe_task_definition(taskDefinition=values["task_definition"], include=["TAGS"])
        revision = register_new_revision(ecs, described)
        ecs.update_service(cluster=values["cluster"], service=values["name"], taskDefinition=revision)
        expected[r["address"]] = "task_definition"
    return expected


def plan_without_rule_ignores(tf: Terraform, rules: dict[str, str]) -> list[tuple[str, str]]:
    """The plan's changes with `lifecycle.ignore_changes` removed from the switched rules; the
    stack's files are restored afterwards."""
    originals = {p: p.read_text() for p in tf_json_files(tf.workdir)}
    try:
        for path, text in originals.items():
            doc = json.loads(text)
            for label, body in doc.get("resource", {}).get("aws_lb_listener_rule", {}).items():
                if f"aws_lb_listener_rule.{label}" in rules:
                    body.get("lifecycle", {}).pop("ignore_changes", None)
            path.write_text(json.dumps(doc))
        _, _, changes = tf.plan()
    finally:
        for path, text in originals.items():
            path.write_text(text)
    return changes


def check(args: argparse.Namespace, log: Log) -> None:
    log.step("1 setup")
    aws, tf = setup(args, log)

    log.step("2 init+apply+plan")
    tf.init()
    tf.apply()
    state = tf.show_state()
    code, out, changes = tf.plan()
    if code != 0:
        raise CheckFailed(
            f"plan right after apply is not clean; changing: {_changed_summary(changes)}\n{_clean(out)}"
        )
    rules = weighted_rules(state)
    if not rules:
        raise CheckFailed("the stack has no listener rule forwarding by weight to a target group pair")
    log.done(f"clean; switched rules: {sorted(rules)}")

    log.step("3 act as ECS")
    for note in act_as_ecs(aws, state, rules):
        log.info(note)
    log.done("weights swapped")

    log.step("4 plan after the deployment")
    code, out, changes = tf.plan()
    if code != 0:
        raise CheckFailed(
            f"plan after ECS's changes is not clean; changing: {_changed_summary(changes)}\n{_clean(out)}"
        )
    log.done("clean (exit 0)")

    log.step("5 negative control")
    expected = change_what_ecs_does_not_own(aws, state, rules)
    code, out, changes = tf.plan()
    shown = dict(changes)
    missing = {a: attr for a, attr in expected.items() if attr not in shown.get(a, "")}
    if code != 2 or missing:
        raise CheckFailed(
            f"negative control: plan exit {code}; expected changes {expected}, missing {missing}; "
            f"changing: {_changed_summary(changes)}\n{_clean(out)}"
        )
    unexpected = sorted(set(shown) - set(expected))
    if unexpected:
        raise CheckFailed(
            f"negative control: the plan also changes {unexpected}, which only ECS touched: "
            f"{_changed_summary(changes)}"
        )
    log.done(f"plan exit 2 with exactly: {_changed_summary(changes)}")
    log.step("5b rules' ignore_changes stripped")
    shown = dict(plan_without_rule_ignores(tf, rules))
    unseen = [a for a in rules if "action" not in shown.get(a, "")]
    if unseen:
        raise CheckFailed(f"with ignore_changes stripped, the swap does not show on {unseen}: {shown}")
    log.done(f"both rules plan their action: {sorted(rules)}")

    log.step("6 destroy")
    tf.destroy()
    left = tf.state_list()
    if left:
        raise CheckFailed(f"destroy left resources in state: {left}")
    log.done("state empty")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="ECS-native blue/green drift check against moto")
    ap.add_argument("stack_dir", help="directory holding the provider-5 projection's main.tf.json")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs the moto wrapper")
    ap.add_argument("--terraform", default=os.environ.get("TERRAFORM", "terraform"))
    ap.add_argument("--keep-workdir", action="store_true", help="keep the work dir (always kept on failure)")
    args = ap.parse_args(argv)
    return run_check(args, check, Log(Path(args.stack_dir).resolve().name))


if __name__ == "__main__":
    sys.exit(main())
