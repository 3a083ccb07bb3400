//! Every registered stack's output passes the real `terraform validate` with the real AWS
//! provider. Provider install is offline through `TF_PLUGIN_MIRROR` when set (see README).

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;
mod support;

use std::thread;

use ecsynth::synth::{synthesize, MAIN_FILE};

#[test]
fn every_stack_passes_terraform_validate() {
    support::require_terraform();
    let registry = stacks::registry();
    let names: Vec<&'static str> = registry.names().collect();
    // Validation is dominated by loading the provider schema; stacks run side by side.
    let failures: Vec<String> = thread::scope(|scope| {
        let runs: Vec<_> = names
            .iter()
            .map(|name| {
                let build = registry.get(name).expect("registered");
                scope.spawn(move || validate(name, build()))
            })
            .collect();
        runs.into_iter()
            .filter_map(|run| run.join().expect("validation thread panicked"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `None` when valid, the Terraform output otherwise.
fn validate(name: &str, stack: ecsynth::model::Stack) -> Option<String> {
    // Kept between runs so that `terraform init` happens once per stack directory.
    let dir = support::cached_dir(&format!("terraform-validate/{name}"));
    let (synthesized, _) = synthesize(&stack);
    let bytes = synthesized.expect("valid stack").render().expect("renders");
    std::fs::write(dir.join(MAIN_FILE), bytes).expect("write main.tf.json");
    support::terraform_init(&dir);
    let output = support::terraform(&dir, &["validate", "-no-color", "-json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let valid = output.status.success() && report["valid"] == true && report["warning_count"] == 0;
    (!valid).then(|| {
        format!(
            "stack `{name}` failed terraform validate:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
