//! Hostile input (issue 20: no input corrupts the output). Every string field of the model and
//! of a service descriptor gets, one at a time, values a careless or hostile user might write:
//! newlines, heredoc terminators, quotes, Terraform's `${` and `%{`, ecsynth's own artefact
//! markers, `..`, `/`, NUL, non-ASCII, a 100 000-character string. Every numeric field gets 0,
//! its type's maximum, a negative value where the type has one, NaN and ±infinity for floats.
//! For each, either:
//!
//! - the stack is refused, every error naming stack › part › field with a message of bounded
//!   length; or
//! - it is accepted and written, and: nothing lands outside `--out`; `main.tf.json` parses; the
//!   value comes back verbatim once each layer is decoded (Terraform templates, the JSON held in
//!   strings, the AppSpec's quoted scalars), so no layer read any of it as syntax; the user
//!   data passes `bash -n` and runs the same commands with the same heredoc lines as the
//!   untouched stack, the lines that changed being those that hold the value; the AppSpec has
//!   the same keys in the same places, its changed scalars holding the value; taskdef.json
//!   parses and has the task definition's containers (the image placeholder aside); no number
//!   became the string `NaN` or `inf`.
//!
//! Fields whose values AWS (or Docker, or the tool that reads them) takes only in a narrow
//! form are listed in [`NARROW`]: there every hostile value is refused, except the ones that
//! are legal in that form. The rules, with their sources, are validation's and have
//! exact-message tests in `tests/validation.rs`; here they meet every hostile value. The other
//! string fields are ones AWS takes as free text (environment values, health check commands,
//! tags within their characters, agent and kernel setting values, the override escape hatch):
//! accepted values there must only be inert.
//!
//! The sites are found by building the stack once and recording every field the builder asks
//! for, so a field added to the builder is attacked without being listed twice.

mod support;

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use ecsynth::model::*;
use ecsynth::synth::{synthesize, Synthesized};
use serde_json::Value;

/// A number a numeric site can be given.
#[derive(Clone, Copy, Debug)]
enum Number {
    Zero,
    Max,
    Negative,
    Nan,
    Infinity,
    NegativeInfinity,
}

const NUMBERS: &[Number] = &[
    Number::Zero,
    Number::Max,
    Number::Negative,
    Number::Nan,
    Number::Infinity,
    Number::NegativeInfinity,
];

fn hostile_strings() -> Vec<(&'static str, String)> {
    vec![
        ("newline", "a\nb".into()),
        (
            "ecs.config heredoc end",
            "x\nECS_CONFIG\ntouch /tmp/ecsynth-pwned\ncat <<'ECS_CONFIG'".into(),
        ),
        ("sysctl heredoc end", "1\nSYSCTL\nreboot\n".into()),
        ("carriage return", "a\rb".into()),
        ("quotes", "q\"uo'te`s\\".into()),
        ("shell", "$(touch /tmp/ecsynth-pwned); `id`; ${HOME}".into()),
        (
            "terraform interpolation",
            "${aws_iam_role.web_task.arn}".into(),
        ),
        ("terraform directive", "%{ if true }x%{ endif }".into()),
        ("already escaped", "$${x} %%{y}".into()),
        ("hole marker", "@@ecsynth-hole-0@@".into()),
        (
            "salted hole markers",
            "a@@ecsynth-hole-1@@b@@ecsynth-1-hole-0@@c@@ecsynth-2-hole-0@@".into(),
        ),
        ("yaml", "key: value # comment\n- item".into()),
        ("yaml inline", "a: [b, {c: d}] &x *x !!str".into()),
        ("dot", ".".into()),
        ("dot dot", "..".into()),
        ("relative path", "../../escaped".into()),
        ("absolute path", "/tmp/ecsynth-escaped".into()),
        ("nul", "a\0b".into()),
        ("non-ascii", "ünï 漢字 🚀".into()),
        ("yaml 1.1 line breaks", "a\u{85}b\u{2028}c\u{7f}".into()),
        // Numbers inside text that ecsynth reads (an instance type's size) can overflow too.
        ("number in text", "m6i.1073741824xlarge".into()),
        ("empty", String::new()),
        ("very long", "x".repeat(100_000)),
    ]
}

/// Sites whose values AWS (or Docker, S3, the agent) takes only in a narrow form, and the
/// hostile strings that are legal there; every other hostile string must be refused.
const NARROW: &[(&str, &[&str])] = &[
    // A region of the `aws` partition (provider endpoints; ecsynth writes `arn:aws:`).
    ("stack.region", &[]),
    ("backend.region", &[]),
    // S3 bucket naming rules; `m6i.1073741824xlarge` is a valid bucket name.
    ("backend.bucket", &["number in text"]),
    ("access_logs.bucket", &["number in text"]),
    ("classic.access_logs.bucket", &["number in text"]),
    // S3's safe key characters, no `.`/`..` segment, no leading or trailing `/`; no prefix
    // at all is legal for access logs.
    ("backend.key", &["number in text"]),
    ("access_logs.prefix", &["number in text", "empty"]),
    ("classic.access_logs.prefix", &["number in text", "empty"]),
    // EC2 ids: `vpc-`/`subnet-` and 8 or 17 hex digits.
    ("network.vpc_id", &[]),
    ("network.subnet_ids", &[]),
    // CodeDeploy's `[A-Za-z0-9+=,.@_-]{1,100}`, which these match; whether the configuration
    // exists only CodeDeploy knows.
    (
        "deployment.config",
        &[
            "hole marker",
            "salted hole markers",
            "dot",
            "dot dot",
            "number in text",
        ],
    ),
    // The cluster query language's characters; its grammar only ECS parses.
    (
        "compute.placement_constraints",
        &[
            "hole marker",
            "salted hole markers",
            "dot",
            "dot dot",
            "relative path",
            "absolute path",
            "number in text",
        ],
    ),
    // Docker's image reference grammar; `m6i.1073741824xlarge` is a valid repository name.
    ("container.image", &["number in text"]),
    ("sidecar.image", &["number in text"]),
    ("legacy.image", &["number in text"]),
    ("descriptor.image", &["number in text"]),
    ("descriptor.tag", &["number in text"]),
    // sysctl keys: words joined by single dots.
    ("capacity.kernel_settings.name", &["number in text"]),
    // A Docker bind mount's absolute path.
    ("volumes.host.path", &["absolute path"]),
    // A host header: labels of ELB's characters joined by single dots.
    ("descriptor.host", &["number in text"]),
];

/// A failure when `site` is narrow and `label`'s value was accepted where it must be refused,
/// or refused where it is legal.
fn narrow_failure(site: &str, label: &str, accepted: bool) -> Option<String> {
    let (_, legal) = NARROW.iter().find(|(narrow, _)| *narrow == site)?;
    let should_accept = legal.contains(&label);
    match (accepted, should_accept) {
        (true, false) => Some(format!(
            "{site} = {label}: accepted, but AWS takes this field only in a narrow form"
        )),
        (false, true) => Some(format!("{site} = {label}: refused, but it is legal there")),
        _ => None,
    }
}

/// Which site gets what; `None` builds the untouched stack. Records the sites it is asked for.
struct Hostile<'a> {
    site: &'a str,
    string: Option<&'a str>,
    number: Option<Number>,
    seen: RefCell<Vec<(String, Kind)>>,
}

/// What a site holds, so each gets the values its type has.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    String,
    Unsigned,
    Signed,
    Float,
}

impl Kind {
    fn numbers(self) -> &'static [Number] {
        match self {
            Kind::String => &[],
            Kind::Unsigned => &NUMBERS[..2],
            Kind::Signed => &NUMBERS[..3],
            Kind::Float => NUMBERS,
        }
    }
}

impl<'a> Hostile<'a> {
    fn none() -> Hostile<'static> {
        Hostile {
            site: "",
            string: None,
            number: None,
            seen: RefCell::new(Vec::new()),
        }
    }

    fn hits(&self, site: &str, kind: Kind) -> bool {
        self.seen.borrow_mut().push((site.to_owned(), kind));
        self.site == site
    }

    fn s(&self, site: &str, legal: &str) -> String {
        match (self.hits(site, Kind::String), self.string) {
            (true, Some(value)) => value.to_owned(),
            _ => legal.to_owned(),
        }
    }

    fn number(&self, site: &str, kind: Kind) -> Option<Number> {
        if self.hits(site, kind) {
            self.number
        } else {
            None
        }
    }

    fn u16(&self, site: &str, legal: u16) -> u16 {
        match self.number(site, Kind::Unsigned) {
            Some(Number::Zero) => 0,
            Some(Number::Max) => u16::MAX,
            _ => legal,
        }
    }

    fn u32(&self, site: &str, legal: u32) -> u32 {
        match self.number(site, Kind::Unsigned) {
            Some(Number::Zero) => 0,
            Some(Number::Max) => u32::MAX,
            _ => legal,
        }
    }

    fn i32(&self, site: &str, legal: i32) -> i32 {
        match self.number(site, Kind::Signed) {
            Some(Number::Zero) => 0,
            Some(Number::Max) => i32::MAX,
            Some(Number::Negative) => i32::MIN,
            _ => legal,
        }
    }

    fn f64(&self, site: &str, legal: f64) -> f64 {
        match self.number(site, Kind::Float) {
            Some(Number::Zero) => 0.0,
            Some(Number::Max) => f64::MAX,
            Some(Number::Negative) => -f64::MAX,
            Some(Number::Nan) => f64::NAN,
            Some(Number::Infinity) => f64::INFINITY,
            Some(Number::NegativeInfinity) => f64::NEG_INFINITY,
            None => legal,
        }
    }
}

const CERTIFICATE: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d";

/// One stack with every part that takes user text: EC2 capacity with agent and kernel
/// settings (user data), a blue/green service with a hook on awsvpc (AppSpec with subnets,
/// security group and capacity provider holes; taskdef.json), overrides, tags, volumes.
fn build(h: &Hostile) -> Stack {
    let mut stack = stack_settings(h);
    let general = stack.add_capacity_provider(capacity(h));
    let lb = stack.add_load_balancer(load_balancer(h));
    add_web_service(h, &mut stack, general, lb);
    add_legacy_service(h, &mut stack, general);
    stack
}

/// The stack's own settings: state, tags, overrides, network, discovery namespace.
fn stack_settings(h: &Hostile) -> Stack {
    let mut stack = Stack::new(
        &h.s("stack.name", "hostile"),
        &h.s("stack.region", "eu-west-1"),
    );
    let mut backend = Backend::s3(
        &h.s("backend.bucket", "hostile-state-123456789012"),
        &h.s("backend.region", "eu-west-1"),
    );
    if let Backend::S3(s3) = &mut backend {
        s3.key = Some(h.s("backend.key", "hostile/terraform.tfstate"));
    }
    stack
        .backend(backend)
        .tag(&h.s("tags.key", "Team"), &h.s("tags.value", "payments"))
        .cluster_name(&h.s("cluster.name", "hostile-cluster"))
        .log_kms_key(&h.s(
            "log_kms_key",
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ))
        .override_attribute(
            &h.s("overrides.address", "aws_lb.web"),
            &h.s("overrides.attribute", "tags"),
            serde_json::json!({ h.s("overrides.key", "Extra"): h.s("overrides.value", "x") }),
        );
    stack.network(Network {
        vpc_id: Input::Value(h.s("network.vpc_id", "vpc-0abc1234")),
        subnet_ids: Input::Value(vec![
            h.s("network.subnet_ids", "subnet-0a1b2c3d"),
            "subnet-0e5f6a7b".into(),
        ]),
        load_balancer_subnet_ids: None,
    });
    stack.cluster.discovery_namespace =
        Some(h.s("cluster.discovery_namespace", "hostile.internal"));
    stack
}

/// EC2 capacity whose agent and kernel settings go into the user data.
fn capacity(h: &Hostile) -> Ec2Capacity {
    Ec2Capacity::new(
        &h.s("capacity.name", "general"),
        &h.s("capacity.instance_type", "m6i.large"),
    )
    .size(h.u32("capacity.min_size", 1)..=h.u32("capacity.max_size", 3))
    .target_capacity_percent(h.u32("capacity.target_capacity_percent", 100))
    .root_volume_gib(h.u32("capacity.root_volume_gib", 30))
    .agent_setting(
        &h.s("capacity.agent_settings.name", "ECS_IMAGE_PULL_BEHAVIOR"),
        &h.s("capacity.agent_settings.value", "prefer-cached"),
    )
    .kernel_setting(
        &h.s("capacity.kernel_settings.name", "net.core.somaxconn"),
        &h.s("capacity.kernel_settings.value", "4096"),
    )
    .task_cleanup_wait(&h.s("capacity.task_cleanup_wait", "1h"))
    .container_stop_timeout(&h.s("capacity.container_stop_timeout", "30s"))
}

/// An ALB with a test listener and access logs.
fn load_balancer(h: &Hostile) -> LoadBalancer {
    let mut prod = Listener::https(
        h.u16("listener.port", 443),
        &h.s("listener.certificate_arn", CERTIFICATE),
    );
    prod.ssl_policy = h.s("listener.ssl_policy", "ELBSecurityPolicy-TLS13-1-2-2021-06");
    LoadBalancer::application(&h.s("load_balancer.name", "web"), prod)
        .test_listener(Listener::https(
            h.u16("test_listener.port", 8443),
            CERTIFICATE,
        ))
        .allowed_cidrs(&[&h.s("load_balancer.allowed_cidrs", "10.0.0.0/8")])
        .test_listener_cidrs(&[&h.s("load_balancer.test_listener_cidrs", "10.0.0.0/8")])
        .access_logs(
            &h.s("access_logs.bucket", "hostile-logs-123456789012"),
            &h.s("access_logs.prefix", "hostile/web"),
        )
}

/// The blue/green service on awsvpc with a hook, a sidecar, both kinds of volume and step
/// scaling.
fn add_web_service(
    h: &Hostile,
    stack: &mut Stack,
    general: CapacityProviderId,
    lb: LoadBalancerId,
) {
    let port = h.u16("container.port", 8080);
    let app = app_container(h, port);
    let traffic = traffic(h, lb, app.target(port));
    let shared = shared_volume(h);
    let scaling = scaling(h);
    stack.add_service(
        Service::new(
            &h.s("service.name", "web"),
            TaskSize {
                cpu: h.u32("task_size.cpu", 512),
                memory: h.u32("task_size.memory", 1024),
            },
        )
        .compute(
            Ec2Placement::new(general)
                .network_mode(NetworkMode::Awsvpc)
                .constraint(&h.s(
                    "compute.placement_constraints",
                    "attribute:ecs.instance-type =~ m6i.*",
                )),
        )
        .container(app)
        // Not the load-balanced container: its image is written into taskdef.json as it is.
        .container(
            Container::new(
                &h.s("sidecar.name", "log-router"),
                &h.s(
                    "sidecar.image",
                    "public.ecr.aws/aws-observability/aws-for-fluent-bit:2",
                ),
            )
            .essential(false)
            .cpu_units(h.u32("sidecar.cpu", 128))
            .memory_reservation(h.u32("sidecar.memory_reservation", 128)),
        )
        .volume(Volume::host_path(
            &h.s("volumes.host.name", "data"),
            &h.s("volumes.host.path", "/srv/data"),
        ))
        .volume(shared)
        .blue_green(
            BlueGreen::new(traffic).controller(
                CodeDeploy::default()
                    .config(DeploymentConfig::Custom(
                        h.s("deployment.config", "hostile-canary"),
                    ))
                    .termination_wait_minutes(h.u32("deployment.termination_wait_minutes", 5))
                    .hook(
                        HookEvent::AfterAllowTestTraffic,
                        &h.s("deployment.hooks.function", "CodeDeployHook_smoke-test"),
                    ),
            ),
        )
        .scaling(scaling)
        .desired_count(h.u32("service.desired_count", 2))
        .log_retention_days(h.u32("service.log_retention_days", 30))
        .health_check_grace_period_seconds(h.u32("service.health_check_grace_period_seconds", 60)),
    );
}

/// The load-balanced container: environment, a secret, a health check, a ulimit, a mount.
fn app_container(h: &Hostile, port: u16) -> Container {
    let mut health = ContainerHealthCheck::shell(&h.s(
        "container.health_check.command",
        "curl -f http://localhost:8080/ || exit 1",
    ));
    health.interval = h.u32("container.health_check.interval", 30);
    health.timeout = h.u32("container.health_check.timeout", 5);
    health.retries = h.u32("container.health_check.retries", 3);
    health.start_period = h.u32("container.health_check.start_period", 0);
    Container::new(
        &h.s("container.name", "app"),
        &h.s("container.image", "nginx:1.27"),
    )
    .port(port)
    .env(
        &h.s("container.environment.name", "MODE"),
        &h.s("container.environment.value", "safe"),
    )
    .secret(
        &h.s("container.secrets.name", "DB_URL"),
        &h.s(
            "container.secrets.value_from",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db",
        ),
    )
    .health_check(health)
    .ulimit(
        Ulimit::new(
            &h.s("container.ulimits.name", "nofile"),
            h.u32("container.ulimits.hard_limit", 4096),
        )
        .soft_limit(h.u32("container.ulimits.soft_limit", 1024)),
    )
    .mount(
        &h.s("container.mount_points.volume", "data"),
        &h.s("container.mount_points.path", "/data"),
    )
    .cpu_units(h.u32("container.cpu", 256))
    .memory_reservation(h.u32("container.memory_reservation", 512))
}

/// The target groups' health check and draining.
fn traffic(h: &Hostile, lb: LoadBalancerId, target: ContainerPort) -> Traffic {
    let mut target_health = TargetHealthCheck::http(&h.s("traffic.health_check.path", "/healthz"));
    target_health.matcher = h.s("traffic.health_check.matcher", "200");
    target_health.interval = h.u32("traffic.health_check.interval", 15);
    target_health.timeout = h.u32("traffic.health_check.timeout", 5);
    target_health.healthy_threshold = h.u32("traffic.health_check.healthy_threshold", 3);
    target_health.unhealthy_threshold = h.u32("traffic.health_check.unhealthy_threshold", 3);
    Traffic::listeners(lb, target, target_health)
        .deregistration_delay(h.u32("traffic.deregistration_delay", 30))
}

/// An EFS volume with its own owner and root directory.
fn shared_volume(h: &Hostile) -> Volume {
    let mut shared = Volume::efs(
        &h.s("volumes.efs.name", "shared"),
        PosixUser {
            uid: h.u32("volumes.efs.uid", 1000),
            gid: h.u32("volumes.efs.gid", 1000),
        },
    );
    if let VolumeSource::Efs(efs) = &mut shared.source {
        efs.root_directory = h.s("volumes.efs.root_directory", "/shared");
    }
    shared
}

/// Step scaling on CPU with one step each way.
fn scaling(h: &Hostile) -> StepScaling {
    let mut scaling =
        StepScaling::cpu(h.u32("scaling.min_tasks", 2)..=h.u32("scaling.max_tasks", 4))
            .scale_out_above(h.f64("scaling.high_cpu_percent", 70.0))
            .scale_in_below(h.f64("scaling.low_cpu_percent", 30.0));
    scaling.scale_out = vec![Step::adjustment(h.i32("scaling.scale_out.adjustment", 1))
        .lower_bound(h.f64("scaling.scale_out.lower", 0.0))];
    scaling.scale_in = vec![Step::adjustment(h.i32("scaling.scale_in.adjustment", -1))
        .upper_bound(h.f64("scaling.scale_in.upper", 0.0))];
    scaling.cooldown_seconds = h.u32("scaling.cooldown_seconds", 60);
    scaling.evaluation_periods = h.u32("scaling.evaluation_periods", 2);
    scaling.period_seconds = h.u32("scaling.period_seconds", 60);
    scaling
}

/// A second service: rolling behind a classic ELB, found through Cloud Map.
fn add_legacy_service(h: &Hostile, stack: &mut Stack, general: CapacityProviderId) {
    let elb = stack.add_classic_load_balancer(
        ClassicLoadBalancer::new(
            &h.s("classic.name", "legacy"),
            vec![
                ClassicListener::https(
                    h.u16("classic.listeners.port", 443),
                    &h.s("classic.listeners.certificate_arn", CERTIFICATE),
                )
                .instance_port(h.u16("classic.listeners.instance_port", 9000)),
                ClassicListener::tcp(50000),
            ],
            ClassicHealthCheck::http(
                h.u16("classic.health_check.port", 9000),
                &h.s("classic.health_check.path", "/login"),
            ),
        )
        .internal()
        .allowed_cidrs(&[&h.s("classic.allowed_cidrs", "10.0.0.0/8")])
        .access_logs(
            &h.s("classic.access_logs.bucket", "hostile-logs-123456789012"),
            &h.s("classic.access_logs.prefix", "hostile/legacy"),
        )
        .idle_timeout(h.u32("classic.idle_timeout", 60)),
    );
    let legacy = Container::new("legacy", &h.s("legacy.image", "legacy/app:1"))
        .port(9000)
        .port(50000)
        .cpu_units(256)
        .memory_reservation(512)
        .env("JAVA_OPTS", &h.s("legacy.environment.value", "-Xmx256m"));
    let web = legacy.target(9000);
    stack.add_service(
        Service::new(
            &h.s("legacy.name", "legacy"),
            TaskSize {
                cpu: 512,
                memory: 1024,
            },
        )
        .compute(Compute::ec2(general))
        .container(legacy)
        .rolling(
            Rolling::behind(Exposure::Classic(ClassicTraffic::new(elb, web)))
                .minimum_healthy_percent(h.u32("rolling.minimum_healthy_percent", 0))
                .maximum_percent(h.u32("rolling.maximum_percent", 100)),
        )
        .discoverable()
        .desired_count(1),
    );
}

/// A stack whose one service comes from `descriptor` (JSON text), behind a shared ALB.
fn build_described(descriptor: &str) -> Stack {
    let mut stack = Stack::new("described", "eu-west-1");
    stack.backend(Backend::Local);
    let edge = stack.add_load_balancer(
        LoadBalancer::application("edge", Listener::https(443, CERTIFICATE))
            .test_listener(Listener::https(8443, CERTIFICATE))
            .test_listener_cidrs(&["10.0.0.0/8"]),
    );
    stack.add_described_service(ServiceDescriptor::from_json("svc.json", descriptor), edge);
    stack
}

fn legal_descriptor() -> serde_json::Map<String, Value> {
    let value = serde_json::json!({
        "name": "catalogue",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalogue",
        "tag": "3.0.4",
        "port": 3000,
        "cpu": 512,
        "memory": 1024,
        "instances": { "min": 2, "max": 6 },
        "host": "catalogue.shop.example.com",
        "path": "/catalogue/*",
        "health_path": "/health",
        "priority": 10,
        "environment": { "LOG_LEVEL": "info" }
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

/// The longest line an error may be: a cut value, a path, a rule.
const MAX_ERROR_LINE: usize = 3000;

/// What one case came to; failures collect across all cases and are printed together.
struct Outcome {
    accepted: bool,
}

/// The decoded output of the untouched stack, to compare shapes with.
struct Baseline {
    user_data: Option<Script>,
    user_data_text: Option<String>,
    appspec: Option<AppSpec>,
}

/// Synthesizes `stack`, checks the refusal or the written output, and returns whether the
/// stack was accepted. `value` is the hostile string (checked to come back verbatim).
fn check_case(
    case: &str,
    stack: &Stack,
    value: Option<&str>,
    baseline: Option<&Baseline>,
    root: &Path,
    failures: &mut Vec<String>,
) -> Outcome {
    let mut fail = |message: String| failures.push(format!("{case}: {message}"));
    let (synthesized, diagnostics) = synthesize(stack);
    let errors: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    check_error_lines(&errors, &mut fail);
    let Some(synthesized) = synthesized else {
        if errors.is_empty() {
            fail("refused without an error".into());
        }
        return Outcome { accepted: false };
    };
    let Some(text) = write_alone(case, &synthesized, root, &mut fail) else {
        return Outcome { accepted: true };
    };
    let json: Value = match serde_json::from_str(&text) {
        Ok(json) => json,
        Err(error) => {
            fail(format!("main.tf.json does not parse: {error}"));
            return Outcome { accepted: true };
        }
    };
    // Every string and key, each layer decoded: Terraform templates, then JSON held in a
    // string, then the AppSpec's quoted scalars.
    let mut decoded = Vec::new();
    collect(&json, &mut decoded);
    for text in &decoded {
        let lowered = text.to_ascii_lowercase();
        if ["nan", "inf", "-inf", "infinity"].contains(&lowered.as_str()) {
            fail(format!("a number became the string {text:?}"));
        }
    }
    check_outputs(&json, value, baseline, &mut decoded, &mut fail);
    check_user_data(&json, value, baseline, &mut fail);
    if let Some(value) = value.filter(|value| !value.is_empty()) {
        if !decoded.iter().any(|text| text.contains(value)) {
            let shown: String = value.chars().take(80).collect();
            fail(format!(
                "accepted, but {shown:?} does not come back verbatim"
            ));
        }
    }
    Outcome { accepted: true }
}

/// Every error names a field and a message, is located as stack › part › field, and fits a
/// line.
fn check_error_lines(errors: &[&Diagnostic], fail: &mut impl FnMut(String)) {
    for error in errors {
        let line = error.to_string();
        if error.field.is_empty() || error.message.is_empty() {
            fail(format!("an error without a field or message: {line}"));
        }
        if !line.starts_with("error: stack `") || !line.contains(" › `") {
            fail(format!(
                "an error not located as stack › part › field: {line}"
            ));
        }
        if line.len() > MAX_ERROR_LINE {
            fail(format!("an error line of {} bytes", line.len()));
        }
    }
}

/// Writes the output into a fresh directory of its own, where nothing may appear beside
/// `out` nor resolve outside it, and returns main.tf.json's text.
fn write_alone(
    case: &str,
    synthesized: &Synthesized,
    root: &Path,
    fail: &mut impl FnMut(String),
) -> Option<String> {
    let dir = root.join(case_dir_name(case));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let out = dir.join("out");
    let written = match synthesized.write_to(&out) {
        Ok(written) => written,
        Err(error) => {
            fail(format!("accepted but not written: {error}"));
            return None;
        }
    };
    let out_resolved = std::fs::canonicalize(&out).expect("out exists");
    for path in &written {
        let resolved = std::fs::canonicalize(path).expect("written file exists");
        if !resolved.starts_with(&out_resolved) {
            fail(format!("wrote {} outside --out", resolved.display()));
        }
    }
    let beside: Vec<String> = std::fs::read_dir(&dir)
        .expect("read")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "out")
        .collect();
    if !beside.is_empty() {
        fail(format!("wrote {beside:?} beside --out"));
    }
    let text = std::fs::read_to_string(&written[0]).expect("main.tf.json");
    let _ = std::fs::remove_dir_all(&dir);
    Some(text)
}

/// The AppSpec outputs keep the untouched stack's shape, the hostile value aside, and their
/// scalars join `decoded`; the taskdef.json outputs describe the task definition's
/// containers.
fn check_outputs(
    json: &Value,
    value: Option<&str>,
    baseline: Option<&Baseline>,
    decoded: &mut Vec<String>,
    fail: &mut impl FnMut(String),
) {
    let outputs = json.get("output").and_then(Value::as_object);
    for (name, output) in outputs.into_iter().flatten() {
        let Some(template) = output.get("value").and_then(Value::as_str) else {
            continue;
        };
        let text = untemplate(template);
        if name.ends_with("_appspec_yaml") {
            match appspec_shape(&text) {
                Ok(appspec) => {
                    if let Some(expected) = baseline.and_then(|b| b.appspec.as_ref()) {
                        if appspec.keys != expected.keys {
                            fail(format!("AppSpec keys changed:\n{text}"));
                        } else if let Some(problem) =
                            changed_only_to(&expected.scalars, &appspec.scalars, value)
                        {
                            fail(format!("AppSpec: {problem}"));
                        }
                    }
                    decoded.extend(appspec.scalars);
                }
                Err(error) => fail(format!("AppSpec does not parse ({error}):\n{text}")),
            }
        }
        if name.ends_with("_taskdef_json") {
            check_taskdef(json, &text, fail);
        }
    }
}

/// taskdef.json has the same containers as the task definition, the image of the target
/// container aside (`<IMAGE1_NAME>`).
fn check_taskdef(json: &Value, text: &str, fail: &mut impl FnMut(String)) {
    match serde_json::from_str::<Value>(text) {
        Ok(taskdef) => {
            let without_images = |containers: &Value| -> Value {
                let mut containers = containers.clone();
                for container in containers.as_array_mut().into_iter().flatten() {
                    if let Some(fields) = container.as_object_mut() {
                        fields.remove("image");
                    }
                }
                containers
            };
            let registered = task_definition_containers(json, &taskdef["family"]);
            if registered.as_ref().map(without_images)
                != Some(without_images(&taskdef["containerDefinitions"]))
            {
                fail(format!(
                    "taskdef.json's containers differ from the task definition's:\n{text}"
                ));
            }
        }
        Err(error) => fail(format!("taskdef.json does not parse: {error}")),
    }
}

/// Every user data script passes `bash -n` and runs the untouched stack's commands, with
/// only the hostile value changed.
fn check_user_data(
    json: &Value,
    value: Option<&str>,
    baseline: Option<&Baseline>,
    fail: &mut impl FnMut(String),
) {
    let locals = json.get("locals").and_then(Value::as_object);
    for (name, local) in locals.into_iter().flatten() {
        let (true, Some(template)) = (name.ends_with("_user_data"), local.as_str()) else {
            continue;
        };
        let script = untemplate(template);
        // The untouched stack's script passed once; bash runs only for a script that differs.
        let unchanged = baseline.is_some_and(|b| b.user_data_text.as_deref() == Some(&script));
        if !unchanged {
            if let Err(error) = bash_syntax(&script) {
                fail(format!("user data fails `bash -n`: {error}\n{script}"));
            }
        }
        let shape = script_shape(&script);
        if let Some(expected) = baseline.and_then(|b| b.user_data.as_ref()) {
            if shape.commands != expected.commands {
                fail(format!(
                    "user data runs other commands: {:?} instead of {:?}",
                    shape.commands, expected.commands
                ));
            } else if let Some(problem) = changed_only_to(&expected.lines, &shape.lines, value) {
                fail(format!("user data: {problem}"));
            }
        }
    }
}

fn case_dir_name(case: &str) -> String {
    case.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(100)
        .collect()
}

/// Every key and string of `value`, Terraform templates decoded, and JSON held in a string
/// parsed and collected too.
fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let text = untemplate(text);
            if let Ok(inner @ (Value::Object(_) | Value::Array(_))) =
                serde_json::from_str::<Value>(&text)
            {
                collect_plain(&inner, out);
            }
            out.push(text);
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
        Value::Object(fields) => {
            for (key, value) in fields {
                out.push(untemplate(key));
                // Backend settings are not templates: `terraform init` reads `$${x}` as
                // those five characters (tried with Terraform 1.11).
                if key == "backend" {
                    collect_plain(value, out);
                } else {
                    collect(value, out);
                }
            }
        }
        _ => {}
    }
}

/// Strings and keys of JSON that is plain data (inside a string Terraform already decoded).
fn collect_plain(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_plain(item, out)),
        Value::Object(fields) => {
            for (key, value) in fields {
                out.push(key.clone());
                collect_plain(value, out);
            }
        }
        _ => {}
    }
}

/// A Terraform template string as the text it stands for: `$${` and `%%{` are the literal
/// `${` and `%{`; an interpolation or directive becomes `<REF>`. A user's `${` that reached
/// the output unescaped turns into `<REF>` here, so the value no longer comes back verbatim.
fn untemplate(template: &str) -> String {
    let bytes = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut at = 0;
    while at < bytes.len() {
        let rest = &template[at..];
        if rest.starts_with("$${") || rest.starts_with("%%{") {
            out.push_str(&rest[1..3]);
            at += 3;
        } else if rest.starts_with("${") || rest.starts_with("%{") {
            // Up to the matching brace, skipping quoted strings.
            let mut depth = 0;
            let mut quoted = false;
            let mut end = rest.len();
            let mut chars = rest.char_indices().skip(1);
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' if quoted => {
                        chars.next();
                    }
                    '"' => quoted = !quoted,
                    '{' if !quoted => depth += 1,
                    '}' if !quoted => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.push_str("<REF>");
            at += end;
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            at += c.len_utf8();
        }
    }
    out
}

/// Runs `bash -n` on `script`.
fn bash_syntax(script: &str) -> Result<(), String> {
    let mut child = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run bash: {error}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes())
        .map_err(|error| error.to_string())?;
    let output = child
        .wait_with_output()
        .map_err(|error| error.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// What a user data script runs: the first word of each command line outside heredocs, and
/// for each heredoc its terminator and how many lines it holds; and every line that is not a
/// comment, to see which changed.
#[derive(Debug, PartialEq)]
struct Script {
    commands: Vec<String>,
    lines: Vec<String>,
}

fn script_shape(script: &str) -> Script {
    let mut shape = Vec::new();
    let mut heredoc: Option<(String, usize)> = None;
    let lines: Vec<String> = script
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(str::to_owned)
        .collect();
    for line in script.lines() {
        if let Some((terminator, lines)) = &mut heredoc {
            if line == terminator {
                shape.push(format!("<<{terminator}: {lines} lines"));
                heredoc = None;
            } else {
                *lines += 1;
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        shape.push(trimmed.split_whitespace().next().unwrap_or("").to_owned());
        if let Some((_, tail)) = trimmed.split_once("<<'") {
            let terminator = tail.trim_end_matches('\'').to_owned();
            heredoc = Some((terminator, 0));
        }
    }
    if let Some((terminator, _)) = heredoc {
        shape.push(format!("<<{terminator}: unterminated"));
    }
    Script {
        commands: shape,
        lines,
    }
}

/// `None` when `new` is `old` with nothing changed but items that now hold `value` (the
/// hostile value went where the legal one was); otherwise what else changed.
fn changed_only_to(old: &[String], new: &[String], value: Option<&str>) -> Option<String> {
    if old.len() != new.len() {
        return Some(format!("{} items instead of {}", new.len(), old.len()));
    }
    for (old, new) in old.iter().zip(new) {
        // An empty value can only shorten the item it went into; the commands around it are
        // compared apart.
        let explained = value.is_some_and(|value| new.contains(value));
        if old != new && !explained {
            return Some(format!("{old:?} became {new:?}"));
        }
    }
    None
}

/// The parsed `container_definitions` of the task definition of `family` in `json`.
fn task_definition_containers(json: &Value, family: &Value) -> Option<Value> {
    let definitions = json["resource"]["aws_ecs_task_definition"].as_object()?;
    let definition = definitions.values().find(|definition| {
        definition["family"].as_str().map(untemplate).as_deref() == family.as_str()
    })?;
    serde_json::from_str(&untemplate(definition["container_definitions"].as_str()?)).ok()
}

/// An AppSpec as [`appspec_shape`] reads it.
struct AppSpec {
    /// `<indent>[- ]Key` per line.
    keys: Vec<String>,
    /// Every quoted scalar, decoded, in order.
    scalars: Vec<String>,
}

/// The AppSpec's structure, parsed strictly against the shape ecsynth writes: every line a
/// comment or `<indent>[- ]Key:[ value]`, each value a number, `<REF>`, a double-quoted
/// scalar or a flow list of them (or the template's own `AWS::ECS::Service`).
fn appspec_shape(text: &str) -> Result<AppSpec, String> {
    let mut shape = Vec::new();
    let mut decoded = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        let (dash, rest) = match rest.strip_prefix("- ") {
            Some(rest) => ("- ", rest),
            None => ("", rest),
        };
        let (key, value) = rest
            .split_once(':')
            .ok_or_else(|| format!("no key in {line:?}"))?;
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("not a plain key in {line:?}"));
        }
        shape.push(format!("{}{dash}{key}", " ".repeat(indent)));
        let value = value.strip_prefix(' ').unwrap_or(value);
        // The one plain scalar the template writes itself.
        if value.is_empty() || value == "<REF>" || value == "AWS::ECS::Service" {
            continue;
        }
        if value.chars().all(|c| c.is_ascii_digit() || c == '.') {
            continue;
        }
        if let Some(items) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            let mut rest = items;
            while !rest.is_empty() {
                let (scalar, after) = yaml_scalar(rest)?;
                decoded.push(scalar);
                rest = after.strip_prefix(", ").unwrap_or(after);
                if !after.is_empty() && !after.starts_with(", ") {
                    return Err(format!("list item followed by {after:?}"));
                }
            }
            continue;
        }
        let (scalar, after) = yaml_scalar(value)?;
        if !after.is_empty() {
            return Err(format!("text after a scalar in {line:?}"));
        }
        decoded.push(scalar);
    }
    Ok(AppSpec {
        keys: shape,
        scalars: decoded,
    })
}

/// A YAML double-quoted scalar at the start of `text` in printable ASCII, decoded; and the
/// text after it.
fn yaml_scalar(text: &str) -> Result<(String, &str), String> {
    let body = text
        .strip_prefix('"')
        .ok_or_else(|| format!("not a quoted scalar: {text:?}"))?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if !(' '..='~').contains(&c) {
            return Err(format!("{c:?} is not printable ASCII"));
        }
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => {
                let (_, escape) = chars.next().ok_or("a lone backslash")?;
                let mut hex = |n: usize| -> Result<char, String> {
                    let digits: String = (0..n)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    u32::from_str_radix(&digits, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("bad escape digits {digits:?}"))
                };
                out.push(match escape {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'u' => hex(4)?,
                    'U' => hex(8)?,
                    other => return Err(format!("unknown escape \\{other}")),
                });
            }
            c => out.push(c),
        }
    }
    Err("an unterminated quoted scalar".into())
}

fn baseline(stack: &Stack, root: &Path) -> Baseline {
    let (synthesized, diagnostics) = synthesize(stack);
    let synthesized = synthesized.unwrap_or_else(|| {
        panic!(
            "the untouched stack is refused:\n{}",
            diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let written = synthesized
        .write_to(&root.join("baseline"))
        .expect("baseline written");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&written[0]).expect("read")).expect("JSON");
    let user_data_text = json["locals"].as_object().and_then(|locals| {
        locals
            .iter()
            .find(|(name, _)| name.ends_with("_user_data"))
            .and_then(|(_, value)| value.as_str())
            .map(untemplate)
    });
    if let Some(script) = &user_data_text {
        bash_syntax(script).expect("the untouched user data passes bash -n");
    }
    let user_data = user_data_text.as_deref().map(script_shape);
    let appspec = json["output"].as_object().and_then(|outputs| {
        outputs
            .iter()
            .find(|(name, _)| name.ends_with("_appspec_yaml"))
            .and_then(|(_, output)| output["value"].as_str())
            .map(|template| appspec_shape(&untemplate(template)).expect("shape"))
    });
    Baseline {
        user_data,
        user_data_text,
        appspec,
    }
}

#[test]
fn every_string_and_number_of_the_model_is_refused_or_inert() {
    let root = support::scratch_dir("hostile");
    let untouched = Hostile::none();
    let stack = build(&untouched);
    let baseline = baseline(&stack, &root);
    assert!(baseline.user_data.is_some() && baseline.appspec.is_some());
    let mut sites = untouched.seen.into_inner();
    sites.dedup();

    let mut failures = Vec::new();
    // Every narrow site outside the descriptor is one the builder asks for.
    for (narrow, _) in NARROW {
        if !narrow.starts_with("descriptor.") && !sites.iter().any(|(site, _)| site == narrow) {
            failures.push(format!("{narrow} is in NARROW but no site of the stack"));
        }
    }
    let (mut accepted, mut refused) = (0, 0);
    let strings = hostile_strings();
    for (site, kind) in &sites {
        if *kind == Kind::String {
            for (label, value) in &strings {
                let h = Hostile {
                    site,
                    string: Some(value),
                    number: None,
                    seen: RefCell::new(Vec::new()),
                };
                let case = format!("{site} = {label}");
                let stack = build(&h);
                let outcome = check_case(
                    &case,
                    &stack,
                    Some(value),
                    Some(&baseline),
                    &root,
                    &mut failures,
                );
                failures.extend(narrow_failure(site, label, outcome.accepted));
                if outcome.accepted {
                    accepted += 1;
                } else {
                    refused += 1;
                }
            }
        } else {
            for number in kind.numbers() {
                let h = Hostile {
                    site,
                    string: None,
                    number: Some(*number),
                    seen: RefCell::new(Vec::new()),
                };
                let case = format!("{site} = {number:?}");
                let stack = build(&h);
                let outcome =
                    check_case(&case, &stack, None, Some(&baseline), &root, &mut failures);
                if outcome.accepted {
                    accepted += 1;
                } else {
                    refused += 1;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        accepted + refused,
        failures.join("\n")
    );
    // Both outcomes happen: the test would prove nothing if everything were refused.
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}

/// A descriptor case: its name, the descriptor, and the hostile string it carries.
type DescriptorCase = (String, Value, Option<String>);

/// Every hostile string in every text field of the descriptor.
fn descriptor_string_cases(legal: &serde_json::Map<String, Value>) -> Vec<DescriptorCase> {
    let mut cases = Vec::new();
    let fields = ["name", "image", "tag", "host", "path", "health_path"];
    for (narrow, _) in NARROW {
        if let Some(field) = narrow.strip_prefix("descriptor.") {
            assert!(fields.contains(&field), "{narrow} is no descriptor field");
        }
    }
    for field in fields {
        for (label, value) in hostile_strings() {
            let mut descriptor = legal.clone();
            descriptor.insert(field.into(), Value::String(value.clone()));
            cases.push((
                format!("descriptor.{field} = {label}"),
                Value::Object(descriptor),
                Some(value),
            ));
        }
    }
    cases
}

/// Every hostile string as an environment variable's name and as its value.
fn descriptor_environment_cases(legal: &serde_json::Map<String, Value>) -> Vec<DescriptorCase> {
    let mut cases = Vec::new();
    for (label, value) in hostile_strings() {
        for (what, environment) in [
            ("key", serde_json::json!({ value.clone(): "v" })),
            ("value", serde_json::json!({ "KEY": value.clone() })),
        ] {
            let mut descriptor = legal.clone();
            descriptor.insert("environment".into(), environment);
            cases.push((
                format!("descriptor.environment {what} = {label}"),
                Value::Object(descriptor),
                Some(value.clone()),
            ));
        }
    }
    cases
}

/// Numbers out of every numeric field's range, and of its type.
fn descriptor_number_cases(legal: &serde_json::Map<String, Value>) -> Vec<DescriptorCase> {
    let mut cases = Vec::new();
    let numbers: &[(&str, Value)] = &[
        ("zero", serde_json::json!(0)),
        ("negative", serde_json::json!(-1)),
        ("u16 max", serde_json::json!(u16::MAX)),
        ("u32 max", serde_json::json!(u32::MAX)),
        ("past u32", serde_json::json!(u64::from(u32::MAX) + 1)),
        ("fraction", serde_json::json!(1.5)),
    ];
    for field in [
        "port",
        "cpu",
        "memory",
        "priority",
        "instances.min",
        "instances.max",
    ] {
        for (label, number) in numbers {
            let mut descriptor = legal.clone();
            match field.split_once('.') {
                Some((outer, inner)) => {
                    descriptor[outer][inner] = number.clone();
                }
                None => {
                    descriptor.insert(field.into(), number.clone());
                }
            }
            cases.push((
                format!("descriptor.{field} = {label}"),
                Value::Object(descriptor),
                None,
            ));
        }
    }
    cases
}

#[test]
fn every_descriptor_field_is_refused_or_inert() {
    let root = support::scratch_dir("hostile-descriptor");
    let legal = legal_descriptor();
    let baseline = baseline(
        &build_described(&Value::Object(legal.clone()).to_string()),
        &root,
    );
    let mut failures = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    let cases: Vec<DescriptorCase> = [
        descriptor_string_cases(&legal),
        descriptor_environment_cases(&legal),
        descriptor_number_cases(&legal),
    ]
    .concat();
    for (case, descriptor, value) in &cases {
        let stack = build_described(&descriptor.to_string());
        let outcome = check_case(
            case,
            &stack,
            value.as_deref(),
            Some(&baseline),
            &root,
            &mut failures,
        );
        if let Some((site, label)) = case.split_once(" = ") {
            failures.extend(narrow_failure(site, label, outcome.accepted));
        }
        if outcome.accepted {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    // JSON numbers past what any float holds, and a 10 MB value in an error.
    for text in [
        r#"{"name": "a", "image": "i", "tag": "1", "port": 1e400}"#.to_owned(),
        format!(
            r#"{{"name": "a", "image": "i", "tag": "1", "port": 80, "{}": 1}}"#,
            "k".repeat(10 << 20)
        ),
    ] {
        let stack = build_described(&text);
        check_case(
            "descriptor extreme",
            &stack,
            None,
            None,
            &root,
            &mut failures,
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}
