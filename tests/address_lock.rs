//! The address lock (README, "Renaming and upgrading safely"): every registered stack's
//! committed lock matches what lowering emits now, a service renamed in Rust with its AWS names
//! pinned only moves, a stateful removal is refused until the stack allows it, and an adopted
//! object gets an `import` block. The emulator proof is `tests/addresses_e2e.rs`.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use ecsynth::lock::{self, current_release, lock_path, reconcile, Lock};
use ecsynth::model::Stack;
use ecsynth::registry::Registry;
use serde_json::Value;
use support::relabelling::{base, before, renamed, replaced, service, NAME};
use support::snapshots::Missing;
use support::{out_arg, run};

const LOG_GROUP: &str = "service `web` › aws_cloudwatch_log_group";

fn replaced_allowed() -> Stack {
    let mut stack = replaced();
    stack.allow_removal(LOG_GROUP, "its logs are exported to S3");
    stack
}

fn registry(build: fn() -> Stack, locks: &Path) -> Registry {
    let mut registry = Registry::new();
    registry.register(NAME, build).with_locks(locks);
    registry
}

/// Synthesizes `build` into `dir/out` with its lock in `dir/locks`; (code, stdout, stderr).
fn synth(build: fn() -> Stack, dir: &Path, extra: &[&str]) -> (u8, String, String) {
    let out = out_arg(&dir.join("out"));
    let mut args = vec!["synth", NAME, "--out", &out];
    args.extend(extra);
    run(&registry(build, &dir.join("locks")), &args)
}

fn document(dir: &Path) -> Value {
    let text = fs::read(dir.join("out").join(NAME).join("main.tf.json")).expect("written");
    serde_json::from_slice(&text).expect("JSON")
}

fn read_lock(dir: &Path) -> Lock {
    lock::read(&lock_path(&dir.join("locks"), NAME))
        .expect("readable")
        .expect("written")
}

/// The body of the resource at `address` (`type.label`) in `document`.
fn body<'d>(document: &'d Value, address: &str) -> &'d Value {
    let (type_name, label) = address.split_once('.').expect("type.label");
    &document["resource"][type_name][label]
}

/// The check that fails when a change to lowering alters an address without a lock update:
/// every registered stack, as it synthesizes now, against its committed lock.
#[test]
fn every_registered_stack_has_an_up_to_date_address_lock() {
    let registry = stacks::registry();
    let mut stale = Vec::new();
    for name in registry.names() {
        let synthesized = support::synthesized(&registry, name);
        let path = lock_path(Path::new(stacks::LOCKS), name);
        let committed = lock::read(&path).unwrap_or_else(|error| panic!("{error}"));
        let build = registry.get(name).expect("registered");
        let reconciled = reconcile(
            &build(),
            synthesized.document.identified(),
            committed.as_ref(),
            &current_release(),
        );
        let on_disk = fs::read_to_string(&path).unwrap_or_default();
        // A new stack's first lock is written outside CI, as its first snapshots are
        // (`support::snapshots::Missing`): adding a stack costs no red test, and CI still
        // refuses a stack merged without its lock.
        if committed.is_none() && Missing::from_env() == Missing::Write {
            fs::write(&path, reconciled.lock.to_json())
                .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
            println!("new address lock: {} (read it, commit it)", path.display());
            continue;
        }
        if reconciled.lock.to_json() != on_disk {
            stale.push(format!(
                "stack `{name}`: {} is {}:\n  {}",
                path.display(),
                if committed.is_some() {
                    "stale"
                } else {
                    "missing"
                },
                stale_reasons(&reconciled, committed.as_ref(), name, &path).join("\n  ")
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "an address changed without a lock update; run `cargo run -- synth --all`, review the \
         `moved` blocks it writes and commit stacks/locks/. A resource reported gone whose role \
         lowering renamed needs an entry in RENAMED_ROLES (src/model/identity.rs) first, so \
         that it moves instead:\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_resource_of_every_registered_stack_has_an_identity_of_its_own() {
    let registry = stacks::registry();
    for name in registry.names() {
        let synthesized = support::synthesized(&registry, name);
        let identified = synthesized.document.identified();
        let unique: BTreeSet<&str> = identified.iter().map(|i| i.identity.as_str()).collect();
        assert_eq!(unique.len(), identified.len(), "stack `{name}`");
        assert_eq!(identified.len(), synthesized.document.resource_count());
    }
}

#[test]
fn a_service_renamed_in_rust_with_its_aws_names_pinned_only_moves() {
    let dir = support::scratch_dir("lock-rename");
    let (code, _, stderr) = synth(before, &dir, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("no address lock yet"), "{stderr}");
    let (old_lock, old) = (read_lock(&dir), document(&dir));
    assert!(old.get("moved").is_none());

    let (code, stdout, stderr) = synth(renamed, &dir, &[]);
    assert_eq!(code, 0, "{stderr}");
    let lock_file = lock_path(&dir.join("locks"), NAME);
    assert!(
        stdout.contains(&lock_file.display().to_string()),
        "{stdout}"
    );
    let (new_lock, new) = (read_lock(&dir), document(&dir));
    // Same identities; every resource of the service moved, nothing else did.
    assert_eq!(
        old_lock.addresses.keys().collect::<Vec<_>>(),
        new_lock.addresses.keys().collect::<Vec<_>>()
    );
    let service_resources: Vec<&String> = old_lock
        .addresses
        .keys()
        .filter(|identity| identity.starts_with("service `web`"))
        .collect();
    let moved = new["moved"].as_array().expect("moved blocks");
    assert_eq!(moved.len(), service_resources.len());
    assert_eq!(new_lock.moved.len(), moved.len());
    for entry in &new_lock.moved {
        assert_eq!(entry.since, current_release());
        assert!(moved.contains(&serde_json::json!({"from": entry.from, "to": entry.to})));
        assert!(
            stderr.contains(&format!(
                "`{}` moved from {} to {}: written as a `moved` block",
                entry.identity, entry.from, entry.to
            )),
            "{stderr}"
        );
        // What AWS sees is unchanged: the body differs only in the labels it refers to.
        let renamed_body = body(&new, &entry.to).to_string().replace("frontend", "web");
        assert_eq!(
            renamed_body,
            body(&old, &entry.from).to_string(),
            "{}",
            entry.to
        );
    }

    // Synth again: nothing to write, the check passes.
    let (code, stdout, stderr) = synth(renamed, &dir, &["--check"]);
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
}

#[test]
fn check_fails_while_the_lock_is_missing_or_stale() {
    let dir = support::scratch_dir("lock-check");
    let (code, _, stderr) = synth(before, &dir, &[]);
    assert_eq!(code, 0, "{stderr}");
    let path = lock_path(&dir.join("locks"), NAME);
    let text = fs::read_to_string(&path).expect("lock");
    fs::write(
        &path,
        text.replace("aws_ecs_service.web", "aws_ecs_service.old"),
    )
    .expect("edit");
    let (code, _, stderr) = synth(before, &dir, &["--check"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!(
            "error: stack `{NAME}`: the address lock {} is stale; `synth` writes it",
            path.display()
        )),
        "{stderr}"
    );
    fs::remove_file(&path).expect("remove");
    let (code, _, stderr) = synth(before, &dir, &["--check"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is missing; `synth` writes it"), "{stderr}");
    assert!(!path.exists(), "--check writes nothing");
}

#[test]
fn removing_a_stateful_part_is_refused_until_the_stack_allows_it() {
    let dir = support::scratch_dir("lock-removal");
    let (code, _, stderr) = synth(before, &dir, &[]);
    assert_eq!(code, 0, "{stderr}");
    let lock_before = fs::read_to_string(lock_path(&dir.join("locks"), NAME)).expect("lock");
    let (code, stdout, stderr) = synth(replaced, &dir, &[]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.contains(
            "error: stack `addr` › `allow_removal`: `service `web` › aws_cloudwatch_log_group` \
             (aws_cloudwatch_log_group.web) holds data and is no longer in the stack: `terraform \
             apply` would destroy it. If that is intended, add `stack.allow_removal(\"service \
             `web` › aws_cloudwatch_log_group\", \"<why>\")`; if it was renamed, keep its AWS \
             names (for a service, `Service::aws_name`)\n"
        ),
        "{stderr}"
    );
    // What holds no data is reported, not refused.
    assert!(
        stderr.contains(
            "note: stack `addr`: `service `web` › aws_ecs_service` (aws_ecs_service.web) is no \
             longer in the stack: `terraform apply` destroys it\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("error: stack `addr`: nothing written\n"),
        "{stderr}"
    );
    let lock_after = fs::read_to_string(lock_path(&dir.join("locks"), NAME)).expect("lock");
    assert_eq!(
        lock_before, lock_after,
        "a refused synth leaves the lock alone"
    );

    let (code, _, stderr) = synth(replaced_allowed, &dir, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "`service `web` › aws_cloudwatch_log_group` (aws_cloudwatch_log_group.web) is no \
             longer in the stack: `terraform apply` destroys it (allowed: its logs are exported \
             to S3)"
        ),
        "{stderr}"
    );
    assert!(!read_lock(&dir).addresses.contains_key(LOG_GROUP));
}

#[test]
fn an_adopted_log_group_is_imported_by_name() {
    let mut stack = before();
    stack.adopt(LOG_GROUP, "/ecs/addr/web");
    let (synthesized, diagnostics) = ecsynth::synth::synthesize(&stack);
    assert_eq!(diagnostics, []);
    let rendered = synthesized.expect("valid").render().expect("renders");
    let document: Value = serde_json::from_slice(&rendered).expect("JSON");
    assert_eq!(
        document["import"],
        serde_json::json!([{"to": "aws_cloudwatch_log_group.web", "id": "/ecs/addr/web"}])
    );
}

fn messages(stack: &Stack) -> Vec<String> {
    let (synthesized, diagnostics) = ecsynth::synth::synthesize(stack);
    assert!(synthesized.is_none(), "refused");
    diagnostics.iter().map(ToString::to_string).collect()
}

#[test]
fn adoptions_and_removals_with_bad_input_are_refused_all_at_once() {
    let mut stack = before();
    stack
        .adopt("service `web` › aws_cloudwatch_log_grop", "/ecs/addr/web")
        .adopt("load balancer `edge` › aws_lb", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/edge/0123456789abcdef")
        .adopt(LOG_GROUP, " ")
        .adopt("stack › aws_ecs_cluster main", "addr")
        .adopt("stack › aws_ecs_cluster main", "addr")
        .allow_removal("service `old` › aws_cloudwatch_log_group", "");
    assert_eq!(
        messages(&stack),
        [
            "error: stack `addr` › `adopt`: no resource of the stack has identity `service `web` \
             › aws_cloudwatch_log_grop` (did you mean `service `web` › \
             aws_cloudwatch_log_group`?). The identities are the keys of the stack's address lock \
             (`stacks/locks/<stack>.json`)",
            "error: stack `addr` › `adopt`: no resource of the stack has identity `load balancer \
             `edge` › aws_lb`. The identities are the keys of the stack's address lock \
             (`stacks/locks/<stack>.json`)",
            "error: stack `addr` › `adopt`: `service `web` › aws_cloudwatch_log_group`: the id of \
             the existing object is empty; give what the provider's import takes (a log group's \
             name, a load balancer's ARN, a cluster's name)",
            "error: stack `addr` › `adopt`: `stack › aws_ecs_cluster main` is adopted twice; one \
             object can be imported once",
            "error: stack `addr` › `allow_removal`: `service `old` › aws_cloudwatch_log_group`: \
             the reason is empty; say why the data may go (the review reads it)",
        ]
    );
}

/// The Terraform labels follow the Rust name: a pinned service whose Rust name is another
/// service's name is refused like any two services with one label.
#[test]
fn a_pinned_service_whose_rust_name_is_another_services_label_is_refused() {
    let mut stack = base();
    stack.add_service(service("a").aws_name("b"));
    stack.add_service(service("a"));
    assert_eq!(
        messages(&stack),
        [
            "error: stack `addr` › service `a` › `name`: `a` and service `b` both become the \
          Terraform label `a`; rename one of them"
        ]
    );
}

/// An `import` block names one instance; a resource with `for_each` (EFS mount targets, one
/// per subnet) has one per key, which the stack cannot know before the plan.
#[test]
fn adopting_a_resource_with_one_instance_per_element_is_refused() {
    let registry = stacks::registry();
    let mut stack = registry.get("jenkins").expect("registered")();
    let identity = "service `controller` › aws_efs_mount_target jenkins_home";
    let address = "aws_efs_mount_target.controller_jenkins_home";
    let committed = lock::read(&lock_path(Path::new(stacks::LOCKS), "jenkins"))
        .expect("readable")
        .expect("committed");
    assert_eq!(committed.addresses[identity], address);
    stack.adopt(identity, "fsmt-0123456789abcdef0");
    assert_eq!(
        messages(&stack),
        [format!(
            "error: stack `jenkins` › `adopt`: `{identity}` ({address}) is one resource per \
             element (`for_each`): an `import` block names one instance; import each with \
             `terraform import '{address}[\"<key>\"]' <id>` instead"
        )]
    );
}

/// Why a lock is stale: the reconciliation's notes (moves, removals), and the identities the
/// lock does not have yet, which produce no note of their own.
fn stale_reasons(
    reconciled: &lock::Reconciled,
    committed: Option<&Lock>,
    name: &str,
    path: &Path,
) -> Vec<String> {
    let mut reasons = reconciled.notes(name, path);
    let new = reconciled.lock.addresses.iter().filter(|(identity, _)| {
        committed.is_none_or(|lock| !lock.addresses.contains_key(*identity))
    });
    reasons.extend(new.map(|(identity, address)| format!("new: {identity} at `{address}`")));
    reasons
}
