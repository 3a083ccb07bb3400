//! Every registered stack's output passes the real `terraform validate` with the real AWS
//! provider. Provider install is offline through `TF_PLUGIN_MIRROR` when set (see README).

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;
mod support;

#[test]
fn every_stack_passes_terraform_validate() {
    let registry = stacks::registry();
    let names: Vec<&'static str> = registry.names().collect();
    let failures = support::terraform_validate(&registry, &names);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
