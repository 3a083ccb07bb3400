#!/usr/bin/env python3
"""Refactor-safe addresses on the moto emulator: versions of one stack, applied in turn.

Usage:
    python e2e/addresses_check.py --initial DIR [--moves DIR ...] [--adopt DIR --log-group NAME]
                                  [--python PY] [--moto-server PATH] [--terraform BIN]
                                  [--keep-workdir]

Each DIR holds one synthesized `main.tf.json` of the same stack (`tests/addresses_e2e.rs`
writes them with ecsynth's address lock). In one work dir, against one emulator:
  1. start moto, create the network the stack expects, write the provider override
     (drift_check.py's functions)
  2. --initial: init, apply, plan -detailed-exitcode must be 0
  3. every --moves DIR in turn: its main.tf.json replaces the previous one; the plan must only
     move objects: `Plan: 0 to add, 0 to change, 0 to destroy.`, one `has moved to` per
     `moved` block whose `from` is in the state, nothing created, replaced, updated or
     destroyed; then apply, and plan must be 0
  4. --adopt DIR: create the log group --log-group outside Terraform (boto3, encrypted with
     the stack's key as the stack would), switch to DIR (which imports it); the plan must
     import it (`1 to import`), not create it, destroy nothing; apply, then plan must be 0

Exit status: 0 pass, 1 fail (the last lines say why).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import drift_check as dc  # noqa: E402

MAIN = "main.tf.json"
MOVED_RE = re.compile(r"^\s*# (\S+) has moved to (\S+)", re.MULTILINE)
NOT_A_MOVE_RE = re.compile(
    r"^\s*# (\S+) (will be created|will be destroyed|must be replaced|will be updated in-place"
    r"|will be read during apply)",
    re.MULTILINE,
)


def load(dir_: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((dir_ / MAIN).read_text())
    return doc


def switch(workdir: Path, version: Path) -> dict[str, Any]:
    shutil.copyfile(version / MAIN, workdir / MAIN)
    return load(version)


def require_clean(tf: dc.Terraform, what: str) -> None:
    code, out, changes = tf.plan()
    if code != 0:
        raise dc.CheckFailed(
            f"{what}: plan is not clean: {dc._changed_summary(changes)}\n{dc._clean(out)[-4000:]}"
        )


def require_only_moves(tf: dc.Terraform, doc: dict[str, Any], log: dc.Log) -> None:
    state = set(tf.state_list())
    expected = sorted((m["from"], m["to"]) for m in doc.get("moved", []) if m["from"] in state)
    if not expected:
        raise dc.CheckFailed("the version moves nothing that is in the state: the check would prove nothing")
    _, out, _ = tf.plan()
    text = dc._clean(out)
    moved = sorted(MOVED_RE.findall(text))
    others = NOT_A_MOVE_RE.findall(text)
    if others or "Plan: 0 to add, 0 to change, 0 to destroy." not in text or moved != expected:
        raise dc.CheckFailed(
            f"the plan is not only the {len(expected)} moves {expected}:\n"
            f"moves planned {moved}\nother changes {others}\n{text[-6000:]}"
        )
    log.info(f"{len(moved)} moves, 0 to add, 0 to change, 0 to destroy")


def state_attribute(tf: dc.Terraform, address: str, attribute: str) -> Any:
    for resource in dc.iter_state_resources(tf.show_state()):
        if resource.get("address") == address:
            return resource["values"][attribute]
    raise dc.CheckFailed(f"{address} is not in the state")


def adopt(tf: dc.Terraform, aws: dc.Aws, workdir: Path, version: Path, log_group: str, log: dc.Log) -> None:
    doc = load(version)
    imports = doc.get("import", [])
    targets = [i["to"] for i in imports if i.get("id") == log_group]
    if len(targets) != 1:
        raise dc.CheckFailed(f"{version / MAIN} does not import {log_group}: {imports}")
    target = targets[0]
    rtype, label = target.split(".", 1)
    body = doc["resource"][rtype][label]
    # Made outside Terraform, as someone would have: same name, same key, same retention.
    key_ref = re.fullmatch(r"\$\{(\w+\.\w+)\.arn\}", body.get("kms_key_id", ""))
    kwargs: dict[str, Any] = {"logGroupName": log_group}
    if key_ref:
        kwargs["kmsKeyId"] = state_attribute(tf, key_ref.group(1), "arn")
    aws("logs").create_log_group(**kwargs)
    if "retention_in_days" in body:
        aws("logs").put_retention_policy(logGroupName=log_group, retentionInDays=body["retention_in_days"])
    switch(workdir, version)
    _, out, _ = tf.plan()
    text = dc._clean(out)
    summary = re.search(r"^Plan: .*$", text, re.MULTILINE)
    if (
        summary is None
        or "1 to import" not in summary.group(0)
        or f"# {target} will be created" in text
        or " 0 to destroy" not in summary.group(0)
    ):
        raise dc.CheckFailed(f"the plan does not import {target} from {log_group}:\n{text[-6000:]}")
    log.info(f"{summary.group(0)}")
    tf.apply()
    require_clean(tf, f"after importing {target}")


def check(args: argparse.Namespace, log: dc.Log) -> None:
    log.step("1 setup")
    workdir = Path(tempfile.mkdtemp(prefix="ecsynth-e2e-addresses-"))
    args._workdir = workdir
    initial = Path(args.initial).resolve()
    doc = switch(workdir, initial)
    (workdir / "e2e-logs").mkdir(exist_ok=True)
    moto = dc.MotoServer(args.python, Path(args.moto_server), workdir / "e2e-logs" / "moto.log")
    args._moto = moto
    endpoint = moto.start()
    providers = dc.stack_providers([doc])
    region = next((p["region"] for p in providers if isinstance(p.get("region"), str)), dc.DEFAULT_REGION)
    aws = dc.Aws(endpoint, region)
    aws.wait_ready()
    tfvars = dc.stack_tfvars(aws, dc.stack_variables([doc]))
    var_args: list[str] = []
    if tfvars:
        (workdir / dc.VARS_FILE).write_text(json.dumps(tfvars, indent=2))
        var_args = [f"-var-file={dc.VARS_FILE}"]
    (workdir / dc.OVERRIDE_FILE).write_text(
        json.dumps(dc.provider_override(providers, endpoint, None), indent=2)
    )
    env = dc.terraform_env()
    tf = dc.Terraform(args.terraform, workdir, env, var_args)
    log.done(f"work dir {workdir}, moto at {endpoint}")

    log.step("2 apply the initial version")
    tf.init()
    tf.apply()
    require_clean(tf, "after the first apply")
    log.done(f"{len(tf.state_list())} resources in state")

    for n, version in enumerate(args.moves, start=1):
        log.step(f"3.{n} only moves: {Path(version).name}")
        doc = switch(workdir, Path(version).resolve())
        require_only_moves(tf, doc, log)
        tf.apply()
        require_clean(tf, f"after applying {version}")
        log.done("applied, plan clean")

    if args.adopt:
        log.step(f"4 adopt {args.log_group}: {Path(args.adopt).name}")
        adopt(tf, aws, workdir, Path(args.adopt).resolve(), args.log_group, log)
        log.done("imported, plan clean")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="ecsynth refactor-safe addresses against moto")
    ap.add_argument("--initial", required=True, help="the version applied first")
    ap.add_argument("--moves", action="append", default=[], help="a version whose plan must only move")
    ap.add_argument("--adopt", help="a version that imports --log-group")
    ap.add_argument("--log-group", help="the log group created outside Terraform for --adopt")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the moto wrapper")
    ap.add_argument("--moto-server", default=str(dc.HERE / "moto_server.py"))
    ap.add_argument("--terraform", default=os.environ.get("TERRAFORM", "terraform"))
    ap.add_argument("--keep-workdir", action="store_true")
    args = ap.parse_args(argv)
    if bool(args.adopt) != bool(args.log_group):
        ap.error("--adopt and --log-group go together")
    return dc.run_check(args, check, dc.Log("addresses"))


if __name__ == "__main__":
    sys.exit(main())
