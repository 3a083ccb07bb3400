//! Security rules only real AWS enforces (issue 19): neither `terraform validate` nor the
//! emulator sees them. Each test names the rule and where AWS writes it down, and fails on
//! the output ecsynth wrote before the issue.

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
        Service::new(
            "app",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
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

/// Jenkins handbook, "Managing Security" / "Configuration as Code": with
/// `-Djenkins.install.runSetupWizard=false` the wizard that creates the first admin never
/// runs, and a Jenkins without a security realm lets anyone administer it, the script console
/// included (code execution on the controller). The wizard may be off only next to a
/// configuration-as-code file (`CASC_JENKINS_CONFIG`) and a secret for the admin's password.
#[test]
fn jenkins_without_its_wizard_needs_configuration_as_code_and_a_secret() {
    let open = Container::new("jenkins", "jenkins/jenkins:2.479.2-lts-jdk17")
        .port(8080)
        .env("JAVA_OPTS", "-Xmx2g -Djenkins.install.runSetupWizard=false");
    let message = |missing: &str| {
        format!(
            "error: stack `realaws` › service `app` › container `jenkins` › \
             `environment.JAVA_OPTS`: `-Djenkins.install.runSetupWizard=false` skips the wizard \
             that creates Jenkins' admin user, and this container {missing}: Jenkins would start \
             without a security realm, letting anyone who reaches it administer it, script \
             console (code execution) included; set `CASC_JENKINS_CONFIG` to a \
             configuration-as-code file that defines the admin with its password from a secret \
             (`.secret(\"JENKINS_ADMIN_PASSWORD\", arn)`), or leave the wizard on"
        )
    };
    assert_eq!(
        errors(&stack_with(open.clone())),
        [message("sets no `CASC_JENKINS_CONFIG` and takes no secret")]
    );
    let with_casc = open.clone().env(
        "CASC_JENKINS_CONFIG",
        "/usr/share/jenkins/casc/jenkins.yaml",
    );
    assert_eq!(
        errors(&stack_with(with_casc.clone())),
        [message("takes no secret for the admin's password")]
    );
    let password = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jenkins/admin-Q7x2Lp";
    assert_eq!(
        errors(&stack_with(open.secret("JENKINS_ADMIN_PASSWORD", password))),
        [message("sets no `CASC_JENKINS_CONFIG`")]
    );
    document(&stack_with(
        with_casc.secret("JENKINS_ADMIN_PASSWORD", password),
    ));
}

/// The shipped Jenkins stack is the secured one: its controller reads configuration-as-code
/// from the file its image carries (`images/jenkins/`), and the admin's password from Secrets
/// Manager through the task's `secrets`, which the execution role may read.
#[test]
fn the_shipped_jenkins_is_not_an_open_admin_console() {
    let registry = stacks::registry();
    let mut jenkins = 0;
    for name in registry.names() {
        let document = document(&registry.get(name).expect("registered")());
        let definitions = document["resource"]["aws_ecs_task_definition"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (label, task) in definitions {
            let text = task["container_definitions"].as_str().expect("JSON text");
            let containers: Value = serde_json::from_str(text).expect("container JSON");
            for container in containers.as_array().expect("a list") {
                let env = |wanted: &str| {
                    container["environment"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|pair| pair["name"] == wanted)
                        .and_then(|pair| pair["value"].as_str())
                        .map(str::to_owned)
                };
                let wizard_off = container["environment"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|pair| {
                        pair["value"]
                            .as_str()
                            .is_some_and(|v| v.contains("jenkins.install.runSetupWizard=false"))
                    });
                if !wizard_off {
                    continue;
                }
                jenkins += 1;
                let casc = env("CASC_JENKINS_CONFIG")
                    .unwrap_or_else(|| panic!("stack `{name}` › {label}: no CASC_JENKINS_CONFIG"));
                assert_eq!(
                    casc, "/usr/share/jenkins/casc/jenkins.yaml",
                    "stack `{name}`"
                );
                let secrets = container["secrets"].as_array().expect("secrets");
                let password = secrets
                    .iter()
                    .find(|secret| secret["name"] == "JENKINS_ADMIN_PASSWORD")
                    .unwrap_or_else(|| panic!("stack `{name}` › {label}: no admin password"));
                let grants = execution_grants(&document, &label);
                let value_from = password["valueFrom"].as_str().expect("valueFrom");
                assert!(
                    grants.iter().any(|(action, resources)| {
                        action == "secretsmanager:GetSecretValue"
                            && resources.iter().any(|r| value_from.starts_with(r.as_str()))
                    }),
                    "stack `{name}`: the execution role cannot read {value_from}: {grants:?}"
                );
            }
        }
    }
    assert!(jenkins > 0, "no registered stack runs Jenkins");
}

/// The configuration the image carries (`images/jenkins/casc.yaml`) is what the stack relies
/// on: a local realm without sign-up whose admin password is the variable the task's secret
/// fills, and no anonymous access; the Dockerfile installs the plugin and copies the file to
/// where `CASC_JENKINS_CONFIG` points.
#[test]
fn the_jenkins_image_carries_the_secured_configuration() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("images/jenkins");
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).expect("images/jenkins");
    let casc = read("casc.yaml");
    for needed in [
        "securityRealm:",
        "allowsSignup: false",
        "password: \"${JENKINS_ADMIN_PASSWORD}\"",
        "loggedInUsersCanDoAnything:",
        "allowAnonymousRead: false",
    ] {
        assert!(casc.contains(needed), "casc.yaml lacks `{needed}`");
    }
    assert!(read("plugins.txt")
        .lines()
        .any(|line| line.split(':').next() == Some("configuration-as-code")));
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("COPY casc.yaml /usr/share/jenkins/casc/jenkins.yaml"));
    assert!(dockerfile.contains("jenkins-plugin-cli --plugin-file"));
}

/// ELB Classic User Guide, "SSL negotiation configurations for Classic Load Balancers": a
/// classic ELB HTTPS/SSL listener without a policy negotiates with an old default that offers
/// TLS 1.0; `aws_load_balancer_policy` (`SSLNegotiationPolicyType`, `Reference-Security-Policy
/// = ELBSecurityPolicy-TLS-1-2-2017-01`) bound by `aws_load_balancer_listener_policy` on each
/// such port fixes it (provider docs, `aws_load_balancer_listener_policy`). And no plain HTTP
/// listener ships: a classic ELB cannot redirect to HTTPS.
#[test]
fn every_classic_tls_listener_negotiates_tls_1_2_and_none_speaks_plain_http() {
    let registry = stacks::registry();
    let mut checked = 0;
    for name in registry.names() {
        let document = document(&registry.get(name).expect("registered")());
        let resources = &document["resource"];
        let policies = resources["aws_load_balancer_policy"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let bindings = resources["aws_load_balancer_listener_policy"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (elb, body) in resources["aws_elb"].as_object().into_iter().flatten() {
            let elb_name = format!("${{aws_elb.{elb}.name}}");
            for listener in body["listener"].as_array().expect("listeners") {
                let protocol = listener["lb_protocol"].as_str().expect("protocol");
                let port = &listener["lb_port"];
                assert_ne!(
                    protocol, "HTTP",
                    "stack `{name}`: aws_elb.{elb} serves plain HTTP on {port}"
                );
                if protocol != "HTTPS" && protocol != "SSL" {
                    continue;
                }
                checked += 1;
                let binding = bindings
                    .values()
                    .find(|b| {
                        b["load_balancer_name"] == elb_name && &b["load_balancer_port"] == port
                    })
                    .unwrap_or_else(|| {
                        panic!("stack `{name}`: aws_elb.{elb} port {port} has no listener policy")
                    });
                let names = binding["policy_names"].as_array().expect("policy names");
                let tls_1_2 = names.iter().any(|policy| {
                    policies.iter().any(|(label, body)| {
                        *policy == format!("${{aws_load_balancer_policy.{label}.policy_name}}")
                            && body["load_balancer_name"] == elb_name
                            && body["policy_type_name"] == "SSLNegotiationPolicyType"
                            && body["policy_attribute"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .any(|attribute| {
                                    attribute["name"] == "Reference-Security-Policy"
                                        && attribute["value"] == "ELBSecurityPolicy-TLS-1-2-2017-01"
                                })
                    })
                });
                assert!(
                    tls_1_2,
                    "stack `{name}`: aws_elb.{elb} port {port} is not bound to \
                     ELBSecurityPolicy-TLS-1-2-2017-01"
                );
            }
        }
    }
    assert!(
        checked > 0,
        "no registered stack has a classic HTTPS/SSL listener"
    );
}
