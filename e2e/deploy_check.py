#!/usr/bin/env python3
"""End-to-end check of `ecsynth deploy`, `status` and `rollback` against the moto emulator.

Usage:
    python e2e/deploy_check.py STACK_DIR --ecsynth BIN --stack NAME
                               --blue-green SERVICE [--rolling SERVICE] [--python PY]

STACK_DIR holds the stack's synthesized `main.tf.json`; BIN is an ecsynth built with the
`deploy` feature; NAME is the stack's registered name. Steps, each printing one line:
  1. apply the stack on moto as drift_check.py does (its steps 1-3); plan clean
  2. an ECR repository with two images (tags v2, v3); for each service the stack gives a
     deployment topic (output `<service>_deployment_topic_arn`), an SQS queue subscribed to it
  3. bad input, each exit 2 with its reason and no task definition registered: a missing
     image, an unknown stack, an unknown service, a tag-less image
  4. deploy v2 to the blue/green service: exit 0, the service runs the new revision with the
     image pinned by digest and the version tag; `status` shows it and that it matches the model
     (with a topic: DeploymentStart and DeploymentSuccess of that deployment arrived, sent
     by the emulator's CodeDeploy triggers)
  5. deploy v2 to the rolling service (when given): exit 0, the service runs it (with a
     topic: ecsynth's own DeploymentStart and DeploymentSuccess arrived)
  6. terraform plan clean
  7. a deployment that fails (a fault planted in the emulator at AfterAllowTestTraffic, as a
     failing hook): exit 1 naming the hook and the rollback; the service still runs v2
     (with a topic: DeploymentFailure and DeploymentRollback arrived)
  8. rollback: `deploy --no-wait`; a second deploy meanwhile exits 2 (one in flight); then
     `rollback` stops it with rollback (exit 0, still v2; with a topic: DeploymentStop and
     DeploymentRollback arrived);
     deploy v3, then `rollback` with nothing in flight redeploys v2 (exit 0)
  9. terraform plan clean
 10. a service that is not ACTIVE (deleted): deploy exits 2 before registering anything

Exit status 0 pass, 1 fail.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from drift_check import (  # noqa: E402
    BACKEND_OVERRIDE_FILE,
    FAKE_KEY,
    OVERRIDE_FILE,
    VARS_FILE,
    Aws,
    CheckFailed,
    Log,
    MotoServer,
    Terraform,
    _changed_summary,
    _clean,
    provider_override,
    run_check,
    stack_providers,
    stack_tfvars,
    stack_variables,
    terraform_env,
    tf_json_files,
)

ACCOUNT = "123456789012"  # moto's default account


def apply_stack(args: argparse.Namespace, log: Log) -> tuple[Aws, Terraform, str, str]:
    """drift_check.py's steps 1-3: work dir, moto, network, init, apply, clean plan."""
    stack_dir = Path(args.stack_dir).resolve()
    workdir = Path(tempfile.mkdtemp(prefix=f"ecsynth-deploy-e2e-{args.stack}-"))
    args._workdir = workdir
    shutil.copytree(stack_dir, workdir, dirs_exist_ok=True)
    docs = [json.loads(p.read_text()) for p in tf_json_files(workdir)]
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
    var_args = []
    if tfvars:
        (workdir / VARS_FILE).write_text(json.dumps(tfvars))
        var_args = [f"-var-file={VARS_FILE}"]
    (workdir / OVERRIDE_FILE).write_text(json.dumps(provider_override(stack_providers(docs), endpoint, None)))
    (workdir / BACKEND_OVERRIDE_FILE).write_text(json.dumps({"terraform": {"backend": {"local": {}}}}))
    env = terraform_env()
    tf = Terraform(args.terraform, workdir, env, var_args)
    args._tf = tf
    tf.init()
    tf.apply()
    plan_clean(tf, "right after apply")
    return aws, tf, endpoint, region


def plan_clean(tf: Terraform, when: str) -> None:
    code, out, changes = tf.plan()
    if code != 0:
        raise CheckFailed(f"plan {when} is not clean; changing: {_changed_summary(changes)}\n{_clean(out)}")


def push_images(aws: Aws, region: str, repository: str) -> dict[str, str]:
    """An ECR repository with images tagged v2 and v3; returns tag -> image reference."""
    ecr = aws("ecr")
    ecr.create_repository(repositoryName=repository)
    refs = {}
    for tag in ("v2", "v3"):
        config = hashlib.sha256(f"config {tag}".encode()).hexdigest()
        # moto's image digest hashes the layer digests: one layer per tag keeps them apart.
        layer = hashlib.sha256(f"layer {tag}".encode()).hexdigest()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": 10,
                    "digest": f"sha256:{config}",
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": 10,
                        "digest": f"sha256:{layer}",
                    }
                ],
            }
        )
        ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)
        refs[tag] = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{repository}:{tag}"
    return refs


class Ecsynth:
    def __init__(self, binary: str, endpoint: str, region: str, workdir: Path) -> None:
        self.binary = binary
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_REGION": region,
                "AWS_ACCESS_KEY_ID": FAKE_KEY,
                "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
                "AWS_EC2_METADATA_DISABLED": "true",
                "NO_COLOR": "1",
                # No ~/.aws of the machine running the test.
                "AWS_CONFIG_FILE": str(workdir / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "no-aws-credentials"),
            }
        )
        self.logdir = workdir / "e2e-logs"
        self.n = 0

    def run(self, *args: str, expect: int) -> tuple[str, str]:
        self.n += 1
        res = subprocess.run(
            [self.binary, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        (self.logdir / f"ecsynth-{self.n:02d}-{args[0]}.log").write_text(
            f"$ ecsynth {' '.join(args)}\n--- exit {res.returncode}\n--- stdout\n{res.stdout}--- stderr\n{res.stderr}"
        )
        if res.returncode != expect:
            raise CheckFailed(
                f"`ecsynth {' '.join(args)}` exited {res.returncode}, expected {expect}:\n"
                f"{res.stdout}{res.stderr}"
            )
        return res.stdout, res.stderr


def expect_in(text: str, *needles: str, what: str) -> None:
    for needle in needles:
        if needle not in text:
            raise CheckFailed(f"{what}: `{needle}` not in:\n{text}")


def registered(aws: Aws) -> list[str]:
    return sorted(aws("ecs").list_task_definitions()["taskDefinitionArns"])


def live(aws: Aws, cluster: str, service: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    ecs = aws("ecs")
    svc = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    got = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"], include=["TAGS"])
    return svc, got["taskDefinition"], {t["key"]: t["value"] for t in got.get("tags", [])}


def cluster_of(workdir: Path, service: str) -> str:
    for path in tf_json_files(workdir):
        doc = json.loads(path.read_text())
        for body in doc.get("resource", {}).get("aws_ecs_cluster", {}).values():
            return body["name"]
    raise CheckFailed("no aws_ecs_cluster in the stack")


def label_of(service: str) -> str:
    """The Terraform label of a service's blocks (the naming table's rule)."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in service)


class Inbox:
    """An SQS queue subscribed to a service's deployment topic; `events` reads what arrived."""

    def __init__(self, aws: Aws, topic: str, name: str) -> None:
        self.aws = aws
        self.url = aws("sqs").create_queue(QueueName=name)["QueueUrl"]
        queue_arn = aws("sqs").get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        aws("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        self.topic = topic

    def events(self) -> list[dict[str, Any]]:
        """The messages that arrived since the last call, each the published JSON body."""
        out: list[dict[str, Any]] = []
        while True:
            got = self.aws("sqs").receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                envelope = json.loads(message["Body"])
                out.append(json.loads(envelope["Message"]))
                self.aws("sqs").delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def topic_of(tf: Terraform, service: str) -> str | None:
    _, out = tf.run("output", "-json", stdout_only=True)
    entry = json.loads(out).get(f"{label_of(service)}_deployment_topic_arn")
    return entry["value"] if entry else None


def expect_events(inbox: Inbox | None, *wanted: str, what: str, key: str = "event") -> list[dict[str, Any]]:
    """The events in `inbox`, after checking each of `wanted` arrived (by `key`)."""
    if inbox is None:
        return []
    events = inbox.events()
    names = [e.get(key) for e in events]
    for name in wanted:
        if name not in names:
            raise CheckFailed(f"{what}: no {name} on {inbox.topic}; arrived: {events}")
    return events


def check(args: argparse.Namespace, log: Log) -> None:
    log.step("1 apply")
    aws, tf, endpoint, region = apply_stack(args, log)
    log.done("applied, plan clean")
    workdir: Path = args._workdir
    cluster = cluster_of(workdir, args.blue_green)
    ecsynth = Ecsynth(args.ecsynth, endpoint, region, workdir)
    stack, bg = args.stack, args.blue_green

    log.step("2 images and deployment topics")
    refs = push_images(aws, region, f"ecsynth-e2e/{bg}")
    inboxes: dict[str, Inbox | None] = {}
    for service in filter(None, (bg, args.rolling)):
        topic = topic_of(tf, service)
        inboxes[service] = Inbox(aws, topic, f"ecsynth-e2e-{label_of(service)}") if topic else None
    log.done(
        ", ".join(refs.values())
        + "; topics: "
        + ", ".join(f"{s} {i and i.topic}" for s, i in inboxes.items())
    )

    log.step("3 bad input")
    before = registered(aws)
    missing = refs["v2"].replace(":v2", ":v9")
    _, err = ecsynth.run("deploy", stack, bg, "--image", missing, expect=2)
    expect_in(err, f"error: stack `{stack}` › service `{bg}`", "not found in ECR", what="missing image")
    _, err = ecsynth.run("deploy", stack + "-nosuch", bg, "--image", refs["v2"], expect=2)
    expect_in(err, f"unknown stack `{stack}-nosuch`", what="unknown stack")
    _, err = ecsynth.run("deploy", stack, bg + "-nosuch", "--image", refs["v2"], expect=2)
    expect_in(err, f"no service `{bg}-nosuch` in this stack", what="unknown service")
    _, err = ecsynth.run("deploy", stack, bg, "--image", refs["v2"].split(":v2")[0], expect=2)
    expect_in(err, "names no tag or digest", what="image without tag")
    if registered(aws) != before:
        raise CheckFailed(
            f"a bad deploy registered a task definition: {sorted(set(registered(aws)) - set(before))}"
        )
    log.done("4 refusals, exit 2, nothing registered")

    log.step("4 blue/green deploy")
    out, _ = ecsynth.run("deploy", stack, bg, "--image", refs["v2"], "--poll-seconds", "1", expect=0)
    expect_in(out, "serves all traffic", "AfterAllowTraffic", what="deploy output")
    svc, task, tags = live(aws, cluster, bg)
    image = next(c["image"] for c in task["containerDefinitions"] if "@sha256:" in c["image"])
    expect_in(
        image, f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/ecsynth-e2e/{bg}@sha256:", what="pinned image"
    )
    if tags.get("ecsynth:version") != "v2":
        raise CheckFailed(f"version tag missing on {svc['taskDefinition']}: {tags}")
    v2_task = svc["taskDefinition"]
    events = expect_events(inboxes[bg], "DeploymentStart", "DeploymentSuccess", what="blue/green triggers")
    if len({e.get("deploymentId") for e in events}) > 1:
        raise CheckFailed(f"blue/green triggers name several deployments: {events}")
    out, _ = ecsynth.run("status", stack, bg, expect=0)
    expect_in(
        out,
        image,
        f"{task['family']}:{task['revision']}",
        "matches what the model would register now",
        what="status",
    )
    log.done(f"{v2_task}, {image}")
    log.info(out.strip().replace("\n", "\n    "))

    if args.rolling:
        log.step("5 rolling deploy")
        out, _ = ecsynth.run(
            "deploy",
            stack,
            args.rolling,
            "--image",
            refs["v2"].replace(f"/{bg}:", f"/{bg}:"),
            "--container",
            first_container(aws, cluster, args.rolling),
            "--poll-seconds",
            "1",
            expect=0,
        )
        expect_in(out, "completed: the new version serves all traffic", what="rolling deploy")
        svc, task, tags = live(aws, cluster, args.rolling)
        if tags.get("ecsynth:version") != "v2":
            raise CheckFailed(f"the rolling service does not run the new revision: {svc['taskDefinition']}")
        events = expect_events(
            inboxes[args.rolling],
            "DeploymentStart",
            "DeploymentSuccess",
            what="rolling notifications",
            key="eventTriggerName",
        )
        for event in events:
            if event.get("taskDefinition") != svc["taskDefinition"] or event.get("source") != "ecsynth":
                raise CheckFailed(f"rolling notification for another deployment: {event}")
        log.done(
            svc["taskDefinition"]
            + (f"; notified {[e['eventTriggerName'] for e in events]}" if events else "")
        )

    log.step("6 plan after deploy")
    plan_clean(tf, "after `ecsynth deploy`")
    log.done("clean")

    log.step("7 failing deployment")
    urllib.request.urlopen(
        urllib.request.Request(
            f"{endpoint}/_ecsynth/codedeploy/fault",
            method="POST",
            data=json.dumps(
                {
                    "event": "AfterAllowTestTraffic",
                    "message": "hook CodeDeployHook_smoke returned Failed: GET /healthz 503",
                }
            ).encode(),
        )
    ).read()
    _, err = ecsynth.run("deploy", stack, bg, "--image", refs["v3"], "--poll-seconds", "1", expect=1)
    expect_in(
        err,
        "lifecycle event AfterAllowTestTraffic failed",
        "GET /healthz 503",
        "rolled back by deployment",
        what="failed deploy",
    )
    if live(aws, cluster, bg)[0]["taskDefinition"] != v2_task:
        raise CheckFailed("after the failed deployment the service does not run v2 any more")
    expect_events(
        inboxes[bg], "DeploymentStart", "DeploymentFailure", "DeploymentRollback", what="failure triggers"
    )
    log.done("exit 1, reason and rollback printed, service still on v2")
    log.info(err.strip().replace("\n", "\n    "))

    log.step("8 rollback")
    out, _ = ecsynth.run("deploy", stack, bg, "--image", refs["v3"], "--no-wait", expect=0)
    expect_in(out, "deployment ", " started", what="deploy --no-wait")
    before = registered(aws)
    _, err = ecsynth.run("deploy", stack, bg, "--image", refs["v3"], expect=2)
    expect_in(err, "is still in progress", what="deploy while another is in flight")
    if registered(aws) != before:
        raise CheckFailed("a deploy refused for a deployment in flight registered a task definition")
    out, _ = ecsynth.run("rollback", stack, bg, "--poll-seconds", "1", expect=0)
    expect_in(out, "stopping deployment", "rolled back", what="rollback in flight")
    expect_events(inboxes[bg], "DeploymentStop", "DeploymentRollback", what="stop triggers")
    if live(aws, cluster, bg)[0]["taskDefinition"] != v2_task:
        raise CheckFailed("after rollback of the in-flight deployment the service does not run v2")
    ecsynth.run("deploy", stack, bg, "--image", refs["v3"], "--poll-seconds", "1", expect=0)
    out, _ = ecsynth.run("rollback", stack, bg, "--poll-seconds", "1", expect=0)
    expect_in(out, "no deployment in flight; redeploying", "serves all traffic", what="rollback redeploy")
    _, task, tags = live(aws, cluster, bg)
    now = next(c["image"] for c in task["containerDefinitions"] if "@sha256:" in c["image"])
    if now != image:
        raise CheckFailed(f"rollback redeployed {now}, not the v2 image {image}")
    log.done("in-flight stop with rollback, and redeploy of the previous image")

    log.step("9 plan after rollback")
    plan_clean(tf, "after `ecsynth rollback`")
    log.done("clean")

    log.step("10 service not ACTIVE")
    aws("ecs").delete_service(cluster=cluster, service=bg, force=True)
    before = registered(aws)
    _, err = ecsynth.run("deploy", stack, bg, "--image", refs["v3"], expect=2)
    expect_in(err, f"error: stack `{stack}` › service `{bg}`", what="deleted service")
    if registered(aws) != before:
        raise CheckFailed("deploy to a deleted service registered a task definition")
    log.done(err.strip())


def first_container(aws: Aws, cluster: str, service: str) -> str:
    svc = aws("ecs").describe_services(cluster=cluster, services=[service])["services"][0]
    task = aws("ecs").describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    return task["containerDefinitions"][0]["name"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="ecsynth deploy end-to-end check against moto")
    ap.add_argument("stack_dir")
    ap.add_argument("--ecsynth", required=True)
    ap.add_argument("--stack", required=True)
    ap.add_argument("--blue-green", required=True)
    ap.add_argument("--rolling")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--terraform", default=os.environ.get("TERRAFORM", "terraform"))
    args = ap.parse_args(argv)
    return run_check(args, check, Log(f"deploy {args.stack}"))


if __name__ == "__main__":
    sys.exit(main())
