//! Security rules only real AWS enforces (issue 19): neither `terraform validate` nor the
//! emulator sees them. Each test names the rule and where AWS writes it down, and fails on
//! the output ecsynth wrote before the issue.

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;

use ecsynth::model::{
    Backend, BlueGreen, Container, Fargate, Listener, LoadBalancer, Service, Stack,
    TargetHealthCheck, TaskSize, Traffic,
};
use ecsynth::synth::synthesize;
use serde_json::Value;

/// The stack's `main.tf.json`, parsed; panics with the diagnostics when it is invalid.
fn document(stack: &Stack) -> Value {
    let (synthesized, diagnostics) = synthesize(stack);
    let Some(synthesized) = synthesized else {
        let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        panic!(
            "stack `{}` is invalid:\n{}",
            stack.name,
            messages.join("\n")
        );
    };
    serde_json::from_slice(&synthesized.render().expect("renders")).expect("JSON")
}

/// The diagnostics of an invalid stack, as printed.
fn errors(stack: &Stack) -> Vec<String> {
    let (synthesized, diagnostics) = synthesize(stack);
    assert!(synthesized.is_none(), "stack `{}` is valid", stack.name);
    diagnostics.iter().map(ToString::to_string).collect()
}

/// A Fargate service behind an internal HTTPS ALB whose one container is `app`.
fn stack_with(app: Container) -> Stack {
    let certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/real-aws-test";
    let mut stack = Stack::new("realaws", "eu-west-1");
    stack.backend(Backend::Local);
    let lb = stack.add_load_balancer(
        LoadBalancer::application("web", Listener::https(443, certificate)).internal(),
    );
    let traffic = Traffic::listeners(lb, app.target(8080), TargetHealthCheck::http("/health"));
    stack.add_service(
        Service::new("app", TaskSize::new(256, 512))
            .compute(Fargate::default())
            .container(app)
            .blue_green(BlueGreen::new(traffic)),
    );
    stack
}

/// The statements of the execution role's inline policy, as `(action, resources)`.
fn execution_grants(document: &Value, service: &str) -> Vec<(String, Vec<String>)> {
    let policy = document["resource"]["aws_iam_role_policy"]
        [format!("{service}_execution_secrets")]["policy"]
        .as_str()
        .expect("the execution role has a read-secrets policy");
    let policy: Value = serde_json::from_str(policy).expect("policy JSON");
    policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|statement| {
            let actions: Vec<&str> = statement["Action"]
                .as_array()
                .expect("actions")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let resources = statement["Resource"]
                .as_array()
                .expect("resources")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            (actions.join(","), resources)
        })
        .collect()
}

/// Secrets Manager User Guide, "Permissions policy examples" / "Secret ARN": IAM compares the
/// secret's ARN, `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random
/// characters>`; ECS's `valueFrom` may append `:json-key:version-stage:version-id` (ECS
/// Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables"),
/// which no secret ARN matches, so granting the `valueFrom` text as written fails the task at
/// start with AccessDenied. A partial ARN (no random suffix) needs `<name>-??????`. A secret
/// under a customer-managed KMS key also needs `kms:Decrypt` on that key (same ECS page).
#[test]
fn execution_role_grants_the_secret_arn_not_the_value_from_text() {
    const SECRETS: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:";
    const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let app = Container::new("app", "app:1.0")
        .port(8080)
        .secret(
            "DB_PASSWORD",
            &format!("{SECRETS}prod/db-AbC123:password::"),
        )
        .secret(
            "DB_USER",
            &format!("{SECRETS}prod/db-AbC123:username:AWSCURRENT:"),
        )
        .secret("API_TOKEN", &format!("{SECRETS}prod/api-token"))
        .secret_with_kms_key("SIGNING_KEY", &format!("{SECRETS}prod/signing-Zz9Yy8"), KEY)
        .secret(
            "DATABASE_URL",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/database-url",
        );
    let grants = execution_grants(&document(&stack_with(app)), "app");
    assert_eq!(
        grants,
        [
            (
                "ssm:GetParameters".to_owned(),
                vec!["arn:aws:ssm:eu-west-1:123456789012:parameter/prod/database-url".to_owned()]
            ),
            (
                "secretsmanager:GetSecretValue".to_owned(),
                vec![
                    format!("{SECRETS}prod/api-token-??????"),
                    format!("{SECRETS}prod/db-AbC123"),
                    format!("{SECRETS}prod/signing-Zz9Yy8"),
                ]
            ),
            ("kms:Decrypt".to_owned(), vec![KEY.to_owned()]),
        ]
    );
}

/// KMS Developer Guide, "Using aliases to control access to KMS keys": an alias ARN in a
/// policy's `Resource` does not match the key, so `kms:Decrypt` must name the key ARN.
#[test]
fn a_secret_key_must_be_a_kms_key_arn() {
    let app = Container::new("app", "app:1.0")
        .port(8080)
        .secret_with_kms_key(
            "TOKEN",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbC123",
            "arn:aws:kms:eu-west-1:123456789012:alias/secrets",
        );
    assert_eq!(
        errors(&stack_with(app)),
        [
            "error: stack `realaws` › service `app` › container `app` › `secrets.TOKEN.kms_key`: \
          `arn:aws:kms:eu-west-1:123456789012:alias/secrets` is not a KMS key ARN; write \
          `arn:aws:kms:<region>:<account>:key/<key-id>` (an alias ARN in an IAM policy does \
          not grant the key it names)"
        ]
    );
}
