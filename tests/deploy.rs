//! `ecsynth deploy` before it talks to AWS: what it reads from every registered stack, and the
//! bad input it refuses (exit 2) without a single AWS call. The emulator test is
//! `tests/deploy_e2e.rs`.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use ecsynth::deploy::{plan, registry, taskdef, template};
use ecsynth::model::{
    Backend, BlueGreen, Container, ControllerKind, DeploymentEvent, DeploymentTopic, Listener,
    LoadBalancer, Service, Stack, TargetHealthCheck, TaskSize, Traffic,
};
use ecsynth::synth::synthesize;

fn document(name: &str) -> serde_json::Value {
    let registry = stacks::registry();
    let (synthesized, _) = synthesize(&registry.get(name).expect("registered")());
    let bytes = synthesized
        .expect("registered stacks are valid")
        .render()
        .expect("render");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Stand-ins for the values only live AWS knows.
fn fake(expression: &str) -> Result<String, String> {
    Ok(match expression {
        e if e.starts_with("jsonencode(") => r#"["subnet-1","subnet-2"]"#.to_owned(),
        e if e.ends_with(".arn") => format!("arn:aws:iam::123456789012:role/{e}"),
        e => format!("live-{}", e.replace('.', "-")),
    })
}

fn fill(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::String(text) => {
            serde_json::Value::String(template::fill(text, &mut fake).expect("fill"))
        }
        serde_json::Value::Array(items) => items.iter().map(fill).collect(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(key, item)| (key.clone(), fill(item)))
            .collect(),
        other => other.clone(),
    }
}

/// The services `ecsynth deploy` releases: all but ECS-native blue/green ones, whose task
/// definition Terraform owns.
fn released_by_ecsynth(document: &serde_json::Value) -> Vec<String> {
    plan::services(document)
        .into_iter()
        .filter(|(_, label)| {
            !plan::is_ecs_blue_green(&document["resource"]["aws_ecs_service"][label.as_str()])
        })
        .map(|(service, _)| service)
        .collect()
}

/// Under ECS-native blue/green Terraform owns the task definition (no `ignore_changes` on
/// it), so a revision `ecsynth deploy` registered would be replaced by the next apply: the
/// deploy plan refuses such a service, naming the way to release it. Every such service of
/// every registered stack, from the model.
#[test]
fn an_ecs_native_blue_green_service_is_released_by_terraform_not_by_deploy() {
    let registry = stacks::registry();
    let mut checked = 0;
    for name in registry.names() {
        let stack = registry.get(name).expect("registered")();
        let document = document(name);
        for service in stack.services() {
            if service.blue_green_controller() != Some(ControllerKind::Ecs) {
                continue;
            }
            let plan::PlanError(message) = plan::plan(name, &document, &service.name)
                .expect_err("ECS-native blue/green is refused");
            assert!(
                message.contains("Terraform owns its task definition")
                    && message.contains("terraform apply"),
                "{name} › {}: {message}",
                service.name
            );
            checked += 1;
        }
    }
    assert!(
        checked > 0,
        "no registered stack uses ECS-native blue/green"
    );
}

/// Every key lowering writes into a task definition maps to the RegisterTaskDefinition request
/// (an unknown one is refused, never dropped), and the AppSpec of every blue/green service
/// has nothing left unfilled: for every service of every registered stack.
#[test]
fn every_service_of_every_stack_registers_from_the_model() {
    let registry = stacks::registry();
    let mut checked = 0;
    for name in registry.names() {
        let document = document(name);
        for service in released_by_ecsynth(&document) {
            let plan = plan::plan(name, &document, &service)
                .unwrap_or_else(|error| panic!("{name} › {service}: {error:?}"));
            let container = plan
                .traffic_container
                .clone()
                .unwrap_or_else(|| plan.containers[0].clone());
            let task = taskdef::from_resource(
                &fill(&plan.task_definition),
                &container,
                "repo@sha256:0000",
            )
            .unwrap_or_else(|error| panic!("{name} › {service}: {error}"));
            assert_eq!(task.family, plan.family);
            let images: Vec<_> = task.containers.iter().filter_map(|c| c.image()).collect();
            assert!(images.contains(&"repo@sha256:0000"), "{name} › {service}");
            assert_eq!(
                plan.is_blue_green(),
                plan.appspec.is_some(),
                "{name} › {service}"
            );
            if let Some(appspec) = &plan.appspec {
                let filled = template::fill(appspec, &mut fake).expect("fill");
                assert!(!filled.contains("${"), "{name} › {service}:\n{filled}");
                assert!(filled.contains("TaskDefinition: \"<TASK_DEFINITION>\""));
            }
            assert!(
                plan.tags.iter().any(|(key, _)| key == "Stack"),
                "{name} › {service}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn a_blue_green_service_knows_its_codedeploy_group_and_target_group_pair() {
    let registry = stacks::registry();
    for name in registry.names() {
        let document = document(name);
        for service in released_by_ecsynth(&document) {
            let plan = plan::plan(name, &document, &service).expect("plan");
            if let Some(codedeploy) = &plan.codedeploy {
                assert_eq!(codedeploy.target_groups.len(), 2, "{name} › {service}");
                assert!(plan.load_balancers[0]
                    .target_groups
                    .iter()
                    .all(|tg| codedeploy.target_groups.contains(tg)));
                assert!(plan.default_timeout_seconds() >= 15 * 60);
            }
        }
    }
}

#[test]
fn unknown_stack_is_refused_with_the_known_ones() {
    let (code, _, stderr) = support::run(
        &stacks::registry(),
        &["deploy", "prdo", "web", "--image", "web:1"],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: unknown stack `prdo`; did you mean `prod`?"),
        "{stderr}"
    );
}

#[test]
fn unknown_service_is_refused_with_the_stack_services() {
    let registry = stacks::registry();
    let name = registry.names().next().expect("a stack");
    let document = document(name);
    let services: Vec<String> = plan::services(&document)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let (code, _, stderr) =
        support::run(&registry, &["deploy", name, "nosuch", "--image", "web:1"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        format!(
            "error: stack `{name}` › service `nosuch`: no service `nosuch` in this stack; its \
             services: {}\n",
            services.join(", ")
        )
    );
}

#[test]
fn an_image_without_tag_or_digest_is_refused_before_aws_is_asked() {
    let registry = stacks::registry();
    let name = registry.names().next().expect("a stack");
    let document = document(name);
    let (service, _) = plan::services(&document).remove(0);
    let (code, _, stderr) = support::run(
        &registry,
        &[
            "deploy",
            name,
            &service,
            "--image",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("names no tag or digest"), "{stderr}");
    assert!(stderr.starts_with(&format!(
        "error: stack `{name}` › service `{service}`: `--image`"
    )));
}

#[test]
fn an_unknown_container_is_refused_with_the_task_containers() {
    let registry = stacks::registry();
    let name = registry.names().next().expect("a stack");
    let document = document(name);
    let (service, _) = plan::services(&document).remove(0);
    let (code, _, stderr) = support::run(
        &registry,
        &[
            "deploy",
            name,
            &service,
            "--image",
            "web:1",
            "--container",
            "nosuch",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`--container`: the task has no container `nosuch`"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Deployment notifications (`Service::notify`)

/// A blue/green and a rolling service of one stack, both telling `topic`.
fn notifying_stack(topic: DeploymentTopic) -> Stack {
    let mut stack = Stack::new("notes", "eu-west-1");
    stack.backend(Backend::Local);
    let lb = stack.add_load_balancer(
        LoadBalancer::application("web", Listener::http(80)).test_listener(Listener::http(8080)),
    );
    let app = Container::new("app", "nginx:1.27").port(8080);
    let traffic = Traffic::listeners(lb, app.target(8080), TargetHealthCheck::http("/health"));
    let size = TaskSize {
        cpu: 256,
        memory: 512,
    };
    stack.add_service(
        Service::new("web", size)
            .container(app)
            .blue_green(BlueGreen::new(traffic))
            .notify(topic.clone()),
    );
    stack.add_service(
        Service::new("worker", size)
            .container(Container::new("worker", "busybox:1.36"))
            .notify(topic),
    );
    stack
}

fn lowered(stack: &Stack) -> serde_json::Value {
    let (synthesized, diagnostics) = synthesize(stack);
    let bytes = synthesized
        .unwrap_or_else(|| panic!("valid: {diagnostics:?}"))
        .render()
        .expect("render");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// CodeDeploy publishes trigger notifications as the deployment group's service role, which
/// must be allowed `sns:Publish` on the topic (CodeDeploy User Guide, "Grant Amazon SNS
/// permissions to a CodeDeploy service role"); the managed policy ecsynth attaches,
/// `AWSCodeDeployRoleForECSLimited`, allows it only on topics named `CodeDeployTopic_*` (ECS
/// Developer Guide, "Amazon ECS CodeDeploy IAM Role"). So the role gets an inline grant on
/// exactly the topic the trigger names, and the group waits for it.
#[test]
fn codedeploy_role_may_publish_to_exactly_the_trigger_topic() {
    let existing = "arn:aws:sns:eu-west-1:123456789012:releases";
    for topic in [
        DeploymentTopic::Created,
        DeploymentTopic::Existing(existing.into()),
    ] {
        let document = lowered(&notifying_stack(topic.clone()));
        let resources = &document["resource"];
        let (_, group) = resources["aws_codedeploy_deployment_group"]
            .as_object()
            .expect("a deployment group")
            .iter()
            .next()
            .expect("one");
        let triggers = group["trigger_configuration"].as_array().expect("triggers");
        assert_eq!(triggers.len(), 1, "{topic:?}");
        let target = triggers[0]["trigger_target_arn"].as_str().expect("target");
        let events: Vec<&str> = triggers[0]["trigger_events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e.as_str())
            .collect();
        let expected: Vec<&str> = DeploymentEvent::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(events, expected);
        let role = group["service_role_arn"]
            .as_str()
            .and_then(|arn| arn.strip_suffix(".arn}"))
            .and_then(|arn| arn.strip_prefix("${aws_iam_role."))
            .expect("the group's role is a role of the stack");
        let grants: Vec<(&String, &serde_json::Value)> = resources["aws_iam_role_policy"]
            .as_object()
            .expect("inline policies")
            .iter()
            .filter(|(_, p)| p["role"] == format!("${{aws_iam_role.{role}.id}}"))
            .collect();
        assert_eq!(grants.len(), 1, "{topic:?}: {grants:?}");
        let (label, grant) = grants[0];
        let policy: serde_json::Value =
            serde_json::from_str(grant["policy"].as_str().expect("text")).expect("JSON");
        assert_eq!(policy["Statement"][0]["Action"][0], "sns:Publish");
        assert_eq!(policy["Statement"][0]["Resource"][0], target);
        assert!(
            group["depends_on"]
                .as_array()
                .expect("depends_on")
                .contains(&format!("aws_iam_role_policy.{label}").into()),
            "the group waits for the grant"
        );
        match &topic {
            DeploymentTopic::Existing(arn) => {
                assert_eq!(target, arn);
                assert!(resources.get("aws_sns_topic").is_none());
            }
            DeploymentTopic::Created => {
                let topics = resources["aws_sns_topic"].as_object().expect("topics");
                assert!(topics
                    .keys()
                    .any(|label| target == format!("${{aws_sns_topic.{label}.arn}}")));
            }
        }
    }
}

/// Checkov CKV_AWS_26 ("Ensure all data stored in the SNS topic is encrypted"): a topic the
/// stack creates names a KMS key, SNS's AWS managed one, whose key policy lets the account's
/// publishers (CodeDeploy's role, `ecsynth deploy`) use it without a grant of their own.
#[test]
fn created_deployment_topics_are_encrypted_with_the_sns_managed_key() {
    let document = lowered(&notifying_stack(DeploymentTopic::Created));
    let topics = document["resource"]["aws_sns_topic"]
        .as_object()
        .expect("topics");
    assert_eq!(topics.len(), 2, "one per notifying service");
    for (label, topic) in topics {
        assert_eq!(topic["kms_master_key_id"], "alias/aws/sns", "{label}");
    }
}

/// `ecsynth deploy` finds a rolling service's topic in the plan (the output it reads), as a
/// reference it resolves against the live account, or the ARN given.
#[test]
fn every_notifying_service_names_its_topic_to_the_deploy_plan() {
    let existing = "arn:aws:sns:eu-west-1:123456789012:releases";
    let document = lowered(&notifying_stack(DeploymentTopic::Existing(existing.into())));
    for (service, _) in plan::services(&document) {
        let plan = plan::plan("notes", &document, &service).expect("plan");
        assert_eq!(plan.topic.as_deref(), Some(existing), "{service}");
    }
    let document = lowered(&notifying_stack(DeploymentTopic::Created));
    for (service, _) in plan::services(&document) {
        let plan = plan::plan("notes", &document, &service).expect("plan");
        let topic = plan.topic.expect("a topic");
        let (kind, label, attribute) = plan::whole_reference(&topic)
            .and_then(template::reference)
            .expect("a reference");
        assert_eq!((kind, attribute), ("aws_sns_topic", "arn"));
        assert!(plan::resource(&document, kind, label).is_some());
    }
}

/// An existing topic must be a standard SNS topic ARN of the stack's partition: CodeDeploy
/// publishes without a message group id, which a FIFO topic requires (SNS API `Publish`),
/// and topic names are 1–256 of A-Za-z0-9-_ (SNS API `CreateTopic`).
#[test]
fn an_existing_topic_must_be_a_standard_topic_arn_of_the_partition() {
    let problems = |arn: &str| -> Vec<String> {
        notifying_stack(DeploymentTopic::Existing(arn.into()))
            .validate()
            .iter()
            .filter(|d| d.field == "notifications")
            .map(|d| d.to_string())
            .collect()
    };
    assert!(problems("arn:aws:sns:eu-west-1:123456789012:releases").is_empty());
    let fifo = problems("arn:aws:sns:eu-west-1:123456789012:releases.fifo");
    assert_eq!(fifo.len(), 2, "both services: {fifo:?}");
    assert_eq!(
        fifo[0],
        "error: stack `notes` › service `web` › `notifications`: \
         `arn:aws:sns:eu-west-1:123456789012:releases.fifo` is a FIFO topic; CodeDeploy's \
         triggers publish without the message group id a FIFO topic requires (SNS API \
         Publish); use a standard topic"
    );
    assert!(problems("releases")[0].contains("is not an SNS topic ARN"));
    assert!(problems("arn:aws:sns:eu-west-1:1234:releases")[0].contains("is not an SNS topic ARN"));
    assert!(
        problems("arn:aws-cn:sns:eu-west-1:123456789012:releases")[0]
            .contains("is in partition `aws-cn`, but region `eu-west-1` is in `aws`")
    );
    assert!(problems("arn:aws:sns:eu-west-1:123456789012:rel eases")[0]
        .contains("is not 1–256 of A-Z, a-z, 0-9"));
}

// ---------------------------------------------------------------------------------------------
// Registry lookup of `--image` outside ECR (Docker Registry HTTP API v2)

/// A registry on 127.0.0.1 that wants an anonymous Bearer token, as Docker Hub and ghcr.io
/// do, and knows one manifest: `acme/web:v1`, also by its digest. Returns its `host:port` and the requests seen.
fn fake_registry(digest: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let host = listener.local_addr().expect("address").to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (realm, log) = (format!("http://{host}/token"), Arc::clone(&seen));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_owned());
            }
            let request = head.first().cloned().unwrap_or_default();
            let header = |name: &str| {
                head.iter()
                    .find_map(|h| {
                        let (k, v) = h.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                    })
                    .unwrap_or_default()
            };
            log.lock().expect("log").push(format!(
                "{request} auth={} accept={}",
                header("authorization"),
                header("accept")
            ));
            let authorized = header("authorization") == "Bearer t0k";
            let response = if request.starts_with("GET /token?scope=repository:acme/web:pull") {
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\
                 connection: close\r\n\r\n{\"token\": \"t0k\"}\n"
                    .to_owned()
            } else if !authorized {
                format!(
                    "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer realm=\"{realm}\",\
                     service=\"fake\",scope=\"repository:acme/web:pull\"\r\ncontent-length: \
                     0\r\nconnection: close\r\n\r\n"
                )
            } else if (request.starts_with("HEAD /v2/acme/web/manifests/v1 ")
                || request.starts_with(&format!("HEAD /v2/acme/web/manifests/{digest} ")))
                && header("accept").contains("application/vnd.oci.image.index.v1+json")
            {
                format!(
                    "HTTP/1.1 200 OK\r\ndocker-content-digest: {digest}\r\ncontent-length: \
                     0\r\nconnection: close\r\n\r\n"
                )
            } else {
                "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .to_owned()
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (host, seen)
}

fn lookup(image: &str) -> Result<String, registry::LookupError> {
    let image = ecsynth::deploy::image::ImageRef::parse(image).expect("a reference");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(registry::digest(&image))
}

/// A tag outside ECR is pinned to the digest the registry's `HEAD /v2/<name>/manifests/<tag>`
/// names (Docker Registry HTTP API v2, `Docker-Content-Digest`), asking for the multi-platform
/// index first, after the anonymous token the `401`'s `WWW-Authenticate: Bearer` challenge
/// points to (Docker Registry token authentication specification).
#[test]
fn a_tag_outside_ecr_is_pinned_through_the_registry_token_flow() {
    let digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let (host, seen) = fake_registry(digest);
    assert_eq!(
        lookup(&format!("{host}/acme/web:v1")).expect("found"),
        digest
    );
    let seen = seen.lock().expect("log").clone();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    assert!(seen[0].starts_with("HEAD /v2/acme/web/manifests/v1 HTTP/1.1 auth= accept="));
    assert!(seen[0].contains(registry::MANIFEST_TYPES), "{seen:#?}");
    assert!(seen[1].starts_with("GET /token?scope=repository:acme/web:pull&service=fake "));
    assert!(seen[2].starts_with("HEAD /v2/acme/web/manifests/v1 HTTP/1.1 auth=Bearer t0k"));

    // A digest given is looked up as it is: the tag beside it does not decide.
    assert_eq!(
        lookup(&format!("{host}/acme/web:v1@{digest}")).expect("the digest"),
        digest
    );
    let other = digest.replace('1', "2");
    let error = lookup(&format!("{host}/acme/web:v1@{other}")).expect_err("another digest");
    assert!(error.missing);
    assert!(
        error.message.contains(&format!("/manifests/{other}: 404")),
        "{}",
        error.message
    );
}

#[test]
fn an_image_the_registry_does_not_have_is_refused_naming_the_request() {
    let digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let (host, _) = fake_registry(digest);
    let error = lookup(&format!("{host}/acme/web:v9")).expect_err("missing");
    assert!(error.missing);
    assert_eq!(
        error.message,
        format!(
            "not found in registry http://{host} (HEAD http://{host}/v2/acme/web/manifests/v9: \
             404 Not Found)"
        )
    );
}

/// Through the CLI: the lookup is step 1 of a deploy, so a missing image exits 2 before any
/// AWS call (none could answer here: the endpoint is a closed port).
#[test]
fn deploy_of_a_missing_registry_image_exits_2_before_aws_is_asked() {
    let (host, _) = fake_registry("sha256:00");
    let registry = stacks::registry();
    let name = registry.names().next().expect("a stack");
    let document = document(name);
    let (service, _) = plan::services(&document).remove(0);
    let image = format!("{host}/acme/web:v9");
    let (code, _, stderr) = support::run(&registry, &["deploy", name, &service, "--image", &image]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "error: stack `{name}` › service `{service}`: `--image {image}`: not found in \
             registry http://{host} (HEAD http://{host}/v2/acme/web/manifests/v9: 404 Not \
             Found)\n"
        )
    );
}
