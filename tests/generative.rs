//! Random stacks through the public model API against validation and the real
//! `terraform validate` (issue 14: nothing invalid gets past synth).
//!
//! Each case starts from values that are all legal — chosen among the catalogue's boundaries
//! (interval 5 and 300, a 255-character image, 47 tags, …) and odd but legal text — and gets up
//! to two values from just past a boundary, odd characters, or empty or huge strings. Then:
//!
//! - a case with no illegal value must be accepted, and one with an illegal value refused;
//! - every refusal names a rule: each error has a field and a message;
//! - every accepted stack is lowered, its task definitions stay within ECS's 64 KiB, and all of
//!   them together pass one `terraform validate` — each stack is a module of one root
//!   configuration, so the provider is started once (see `validate_batch`).
//!
//! Reproducible: `ECSYNTH_SEED` (default below) and `ECSYNTH_CASES` (default 200) choose the
//! cases; a failure prints each failing case's own seed, replayed alone with
//! `ECSYNTH_SEED=<seed> ECSYNTH_CASES=1 cargo test --test generative -- --include-ignored`.

mod support;

use std::path::Path;
use std::time::Instant;

use ecsynth::model::*;

const DEFAULT_SEED: u64 = 0x0e_c5_14;
const DEFAULT_CASES: u64 = 200;

/// splitmix64: small, fast, and good enough to pick among boundary values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// The seed of case `index`: the base seed itself for case 0, so a printed seed replays alone.
fn case_seed(base: u64, index: u64) -> u64 {
    if index == 0 {
        base
    } else {
        // Spread apart, so nearby base seeds do not share cases.
        Rng(base.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(index)).next()
    }
}

/// Sites (`pick` calls) a case may make illegal; a stack has fewer, so some cases stay legal.
const SITES: usize = 48;

/// Picks values: legal ones, except at the sites chosen for this case, which get an illegal
/// one. Choosing sites up front gives every site the same chance, however late it comes.
struct Gen {
    rng: Rng,
    site: usize,
    illegal_sites: Vec<usize>,
    /// What was made illegal, for the failure message.
    illegal: Vec<String>,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        let mut rng = Rng(seed);
        let illegal_sites = if rng.chance(3) {
            Vec::new()
        } else {
            (0..1 + rng.below(3)).map(|_| rng.below(SITES)).collect()
        };
        Gen {
            rng,
            site: 0,
            illegal_sites,
            illegal: Vec::new(),
        }
    }

    fn pick<T: Clone + std::fmt::Debug>(&mut self, what: &str, legal: &[T], illegal: &[T]) -> T {
        self.site += 1;
        if !illegal.is_empty() && self.illegal_sites.contains(&(self.site - 1)) {
            let value = illegal[self.rng.below(illegal.len())].clone();
            let shown = format!("{value:?}");
            let shown: String = shown.chars().take(80).collect();
            self.illegal.push(format!("{what} = {shown}"));
            return value;
        }
        legal[self.rng.below(legal.len())].clone()
    }

    fn string(&mut self, what: &str, legal: &[String], illegal: &[String]) -> String {
        self.pick(what, legal, illegal)
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";

fn build(g: &mut Gen) -> Stack {
    let stack_name = g.string(
        "stack name",
        &strings(&["s", "shop", "a-b", "abcdefghij"]),
        &strings(&["", "sg", "bad name", "ünï", "-s"]),
    );
    let region = g.string(
        "region",
        &strings(&[REGION, "us-east-1", "ap-southeast-7"]),
        &strings(&["eu-west-9", "cn-north-1", "", "EU-WEST-1"]),
    );
    let mut stack = Stack::new(&stack_name, &region);
    let tag_count = g.pick("tag count", &[0usize, 1, 3, 46], &[48]);
    for n in 0..tag_count {
        stack.tag(&format!("t{n}"), "v");
    }
    if g.rng.chance(3) {
        let key = g.string(
            "tag key",
            &strings(&["Team", "cost:centre/a=b+c-d@e", "Équipe", &"k".repeat(128)]),
            &strings(&["aws:team", "AWS:x", "a;b", "", &"k".repeat(129), "tab\tkey"]),
        );
        let value = g.string(
            "tag value",
            &strings(&["", "payments", &"v".repeat(256), "ünï code"]),
            &strings(&[&"v".repeat(257), "a\"b", "line\nbreak"]),
        );
        stack.tag(&key, &value);
    }
    let (load_balancer, network_lb) = load_balancer(g, &region);
    let lb = stack.add_load_balancer(load_balancer);

    let service_name = g.string(
        "service name",
        &strings(&["api", "a", "checkout-v2"]),
        &strings(&["api.v2", "", "2api", "checkout_v2"]),
    );
    let (app, container_port) = container(g);
    let traffic = traffic(g, lb, app.target(container_port), network_lb);
    let service = service(g, &service_name, app, traffic, network_lb);
    stack.add_service(service);
    stack
}

/// The stack's one load balancer (an NLB one time in three) with a prod and a test listener;
/// returns it and whether it is an NLB.
fn load_balancer(g: &mut Gen, region: &str) -> (LoadBalancer, bool) {
    let network_lb = g.rng.chance(3);
    let tls = g.rng.chance(2);
    let acm_certificate = format!("arn:aws:acm:{region}:{ACCOUNT}:certificate/0b6f8e1c-2f4d");
    let iam_certificate = format!("arn:aws:iam::{ACCOUNT}:server-certificate/shop");
    let legal_certificates = [acm_certificate, iam_certificate];
    // Only a TLS listener carries a certificate, so only there can one be illegal.
    let certificate = if tls {
        g.string(
            "certificate",
            &legal_certificates,
            &strings(&[
                "not-an-arn",
                "arn:aws:acm:us-west-2:123456789012:certificate/x",
                "arn:aws:acm:eu-west-1:1:certificate/x",
                "arn:aws:acm:eu-west-1:123456789012:cert/x",
            ]),
        )
    } else {
        legal_certificates[0].clone()
    };
    let port = g.pick("listener port", &[1u16, 80, 443, 65535], &[0]);
    let test_port = g.pick("test listener port", &[8080u16, 65534], &[port]);
    let listener = |port: u16, tls: bool| match (network_lb, tls) {
        (false, false) => Listener::http(port),
        (false, true) => Listener::https(port, &certificate),
        (true, false) => Listener::tcp(port),
        (true, true) => Listener::tls(port, &certificate),
    };
    let mut prod = listener(port, tls);
    if tls {
        prod.ssl_policy = g.string(
            "ssl policy",
            &strings(&[
                "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "ELBSecurityPolicy-TLS13-1-3-2021-06",
            ]),
            &strings(&["TLS13", ""]),
        );
    }
    let lb_name = g.string(
        "load balancer name",
        &strings(&["web", "a", "public-entry"]),
        &strings(&["web_1", "", &"w".repeat(40)]),
    );
    let cidr = g.string(
        "cidr",
        &strings(&["0.0.0.0/0", "10.0.0.0/8", "192.168.1.0/24", "10.1.2.3/32"]),
        &strings(&[
            "10.0.0.1/8",
            "::/0",
            "10.0.0.0/33",
            "office",
            "",
            "10.0.0.0/08",
        ]),
    );
    let make = if network_lb {
        LoadBalancer::network
    } else {
        LoadBalancer::application
    };
    let load_balancer = make(&lb_name, prod)
        .internal()
        .test_listener(listener(test_port, tls))
        .allowed_cidrs(&[&cidr]);
    (load_balancer, network_lb)
}

/// The service's container and its port: image, environment, secret, ulimit, health check.
fn container(g: &mut Gen) -> (Container, u16) {
    let container_name = g.string(
        "container name",
        &strings(&["app", "a-b_c", &"c".repeat(255)]),
        &strings(&["app.1", "", &"c".repeat(256)]),
    );
    let image = image(g);
    let container_port = g.pick("container port", &[1u16, 8080, 65535], &[0]);
    let mut app = Container::new(&container_name, &image).port(container_port);
    app = environment(g, app);
    if g.rng.chance(2) {
        let arn = g.string(
            "secret ARN",
            &strings(&[
                "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-url",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::",
            ]),
            &strings(&[
                "arn:aws:ssm:eu-west-1:1:parameter/x",
                "arn:aws:ssm:eu-west-1:123456789012:db",
                "/plain/name",
                "arn:aws:ssm:eu-west-1:123456789012:parameter/a b",
                "",
            ]),
        );
        app = app.secret("DB_URL", &arn);
    }
    if g.rng.chance(2) {
        let name = g.string(
            "ulimit name",
            &strings(&["nofile", "nproc", "core", "stack"]),
            &strings(&["files", "", "NOFILE"]),
        );
        let (soft, hard) = g.pick(
            "ulimit soft/hard",
            &[
                (1024u32, 1024u32),
                (0, 0),
                (1024, 65536),
                (1_048_576, 1_048_576),
            ],
            &[(2048, 1024)],
        );
        app = app.ulimit(Ulimit::new(&name, hard).soft_limit(soft));
    }
    if g.rng.chance(2) {
        app = app.health_check(container_health_check(g));
    }
    app.memory = g.pick("container memory", &[None, Some(6), Some(512)], &[Some(5)]);
    (app, container_port)
}

/// An image reference: ECR, digests, registries with ports, and what Docker cannot pull.
fn image(g: &mut Gen) -> String {
    g.string(
        "image",
        &strings(&[
            "nginx:1.27",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.2.3",
            &format!("nginx@sha256:{}", "a".repeat(64)),
            &format!("r/{}", "i".repeat(253)),
            "registry.example.com:5000/a__b-c.d/e_f:v1.0-rc_2",
        ]),
        &strings(&[
            "nginx latest",
            "",
            &"i".repeat(256),
            "ngïnx",
            "a\nb",
            // ECS's characters, but no reference Docker can pull.
            "registry.example.com:5000/a#b",
            "../x",
            "repo:",
        ]),
    )
}

/// Up to two environment variables, names and values at the edges of what ECS and Terraform
/// take.
fn environment(g: &mut Gen, mut app: Container) -> Container {
    for _ in 0..g.rng.below(3) {
        let name = g.string(
            "environment name",
            &strings(&["PORT", "my.var", "_X1", "lower", "1ST"]),
            &strings(&["A=B", "MY VAR", "", "tab\tname"]),
        );
        let value = g.string(
            "environment value",
            &strings(&[
                "",
                "${HOME}",
                "%{ if true }x%{ endif }",
                "quote \" and \\ backslash",
                "line\nbreak",
                "ünï 漢字 🚀",
                &"x".repeat(4000),
            ]),
            &strings(&[&"x".repeat(70_000)]),
        );
        app = app.env(&name, &value);
    }
    app
}

/// A container health check, its timing and command at or past ECS's limits.
fn container_health_check(g: &mut Gen) -> ContainerHealthCheck {
    let mut health = ContainerHealthCheck::shell("curl -f http://localhost/ || exit 1");
    health.interval = g.pick("container health interval", &[5, 30, 300], &[4, 301]);
    health.timeout = g.pick("container health timeout", &[2, 5, 120], &[1, 121]);
    health.retries = g.pick("container health retries", &[1, 3, 10], &[0, 11]);
    health.start_period = g.pick("container health start period", &[0, 300], &[301]);
    health.command = g.pick(
        "container health command",
        &[
            health.command.clone(),
            vec!["CMD".into(), "/bin/check".into()],
        ],
        &[vec![], vec!["curl -f localhost".into()], vec!["CMD".into()]],
    );
    health
}

/// The listeners' traffic to `target`, with the target group's health check.
fn traffic(g: &mut Gen, lb: LoadBalancerId, target: ContainerPort, network_lb: bool) -> Traffic {
    let mut health = if network_lb && g.rng.chance(2) {
        TargetHealthCheck::tcp()
    } else {
        let path = g.string(
            "health check path",
            &strings(&["/", "/healthz", "/a?b=c"]),
            &strings(&["healthz"]),
        );
        TargetHealthCheck::http(&path)
    };
    health.interval = g.pick("target health interval", &[6, 15, 300], &[4, 301]);
    health.timeout = g.pick("target health timeout", &[2, 5], &[1, 121]);
    health.healthy_threshold = g.pick("healthy threshold", &[2, 3, 10], &[1, 11]);
    health.unhealthy_threshold = g.pick("unhealthy threshold", &[2, 10], &[1, 11]);
    if health.path.is_some() {
        health.matcher = g.string(
            "matcher",
            &strings(&["200", "200,302", "200-399"]),
            &strings(&["2xx", "", "200-"]),
        );
    }
    let delay = g.pick("deregistration delay", &[0, 30, 3600], &[3601]);
    Traffic::listeners(lb, target, health).deregistration_delay(delay)
}

/// The service: task size, grace period, log retention, rolling or blue/green, scaling.
fn service(g: &mut Gen, name: &str, app: Container, traffic: Traffic, network_lb: bool) -> Service {
    let sizes = [
        (256, 512),
        (256, 2048),
        (512, 1024),
        (1024, 8192),
        (4096, 30720),
    ];
    let (cpu, memory) = g.pick(
        "task size",
        &sizes,
        &[(300, 512), (1024, 1024), (256, 4096)],
    );
    let mut service = Service::new(name, TaskSize { cpu, memory }).container(app);
    service.health_check_grace_period_seconds = g.pick(
        "grace period",
        &[0, 60, i32::MAX as u32],
        &[i32::MAX as u32 + 1, u32::MAX],
    );
    service.log_retention_days = g.pick("log retention", &[0, 1, 30, 3653], &[2, 3654]);
    service = if g.rng.chance(3) {
        service.rolling(Rolling::behind(Exposure::LoadBalancer(traffic)))
    } else {
        let configs = if network_lb {
            vec![DeploymentConfig::AllAtOnce]
        } else {
            vec![
                DeploymentConfig::AllAtOnce,
                DeploymentConfig::Canary10Percent5Minutes,
                DeploymentConfig::Custom("c".repeat(100)),
            ]
        };
        let config = g.pick(
            "deployment config",
            &configs,
            &[
                DeploymentConfig::Custom(String::new()),
                DeploymentConfig::Custom("c".repeat(101)),
                DeploymentConfig::Custom("CodeDeployDefault.Nope".into()),
            ],
        );
        let wait = g.pick("termination wait", &[0, 2880], &[2881]);
        service.blue_green(
            BlueGreen::new(traffic).controller(
                CodeDeploy::default()
                    .config(config)
                    .termination_wait_minutes(wait),
            ),
        )
    };
    if g.rng.chance(2) {
        let (min, max) = g.pick("scaling bounds", &[(1u32, 1u32), (2, 4)], &[(3, 2), (0, 0)]);
        service = service
            .desired_count(min)
            .scaling(StepScaling::cpu(min..=max));
    }
    service
}

struct Accepted {
    seed: u64,
    directory: String,
    json: serde_json::Value,
}

#[test]
#[ignore = "full suite: runs Terraform; see README, Running the tests"]
fn random_stacks_are_refused_with_a_rule_or_pass_terraform_validate() {
    let base = std::env::var("ECSYNTH_SEED")
        .ok()
        .map(|seed| seed.parse::<u64>().expect("ECSYNTH_SEED is a number"))
        .unwrap_or(DEFAULT_SEED);
    let cases = std::env::var("ECSYNTH_CASES")
        .ok()
        .map(|n| n.parse::<u64>().expect("ECSYNTH_CASES is a number"))
        .unwrap_or(DEFAULT_CASES);
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut accepted = Vec::new();
    let mut refused = 0;
    for index in 0..cases {
        match run_case(case_seed(base, index), index, &mut failures) {
            Case::Refused => refused += 1,
            Case::Accepted(stack) => accepted.push(stack),
            Case::Failed => {}
        }
    }
    let generated = started.elapsed();
    let started = Instant::now();
    failures.extend(validate_batch(&accepted));
    eprintln!(
        "generative: {cases} stacks from seed {base} ({} accepted, {refused} refused) generated \
         and validated by ecsynth in {generated:.2?}; one terraform validate of the accepted \
         ones in {:.2?}",
        accepted.len(),
        started.elapsed()
    );
    assert!(
        accepted.len() as u64 >= cases / 5 && refused as u64 >= cases / 5,
        "the mix is off: {} accepted, {refused} refused",
        accepted.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// What became of one generated stack.
enum Case {
    Refused,
    Accepted(Accepted),
    /// Neither: a failure is recorded.
    Failed,
}

/// One generated stack: refused with a named rule exactly when it holds an illegal value,
/// otherwise rendered for the one `terraform validate` of all accepted stacks.
fn run_case(seed: u64, index: u64, failures: &mut Vec<String>) -> Case {
    let mut g = Gen::new(seed);
    // Validated by the installed provider (5.100.0), so written for its major.
    let stack = support::for_installed_provider(build(&mut g));
    let replay = format!("ECSYNTH_SEED={seed} ECSYNTH_CASES=1");
    let diagnostics = stack.validate();
    let errors: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if let Some(nameless) = errors
        .iter()
        .find(|d| d.field.is_empty() || d.message.is_empty())
    {
        failures.push(format!("{replay}: an error names no rule: {nameless}"));
    }
    match (g.illegal.is_empty(), errors.is_empty()) {
        (true, false) => failures.push(format!(
            "{replay}: only legal values, yet refused:\n  {}",
            errors
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n  ")
        )),
        (false, true) => failures.push(format!(
            "{replay}: accepted with an illegal value: {}",
            g.illegal.join(", ")
        )),
        _ => {}
    }
    if !errors.is_empty() {
        return Case::Refused;
    }
    let Ok(validated) = stack.validated() else {
        failures.push(format!("{replay}: no errors, yet not validated"));
        return Case::Failed;
    };
    let synthesized = ecsynth::synth::Synthesized {
        stack: stack.name.clone(),
        document: ecsynth::lower::lower(&validated),
    };
    match rendered_json(&synthesized, &replay) {
        Ok(json) => {
            failures.extend(task_definitions_over_limit(&json, &replay));
            Case::Accepted(Accepted {
                seed,
                directory: format!("c{index}"),
                json,
            })
        }
        Err(failure) => {
            failures.push(failure);
            Case::Failed
        }
    }
}

/// The rendered document, parsed back.
fn rendered_json(
    synthesized: &ecsynth::synth::Synthesized,
    replay: &str,
) -> Result<serde_json::Value, String> {
    synthesized
        .render()
        .map_err(|error| format!("{replay}: accepted but does not render: {error}"))
        .and_then(|bytes| {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|error| format!("{replay}: rendered JSON does not parse: {error}"))
        })
}

/// ECS refuses container definitions over 64 KiB at registration; validation must have.
fn task_definitions_over_limit(json: &serde_json::Value, replay: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for (label, task) in json["resource"]["aws_ecs_task_definition"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let size = task["container_definitions"].as_str().map_or(0, str::len);
        if size > 65_536 {
            failures.push(format!(
                "{replay}: task definition `{label}` has {size} bytes of container \
                 definitions, over ECS's 64 KiB"
            ));
        }
    }
    failures
}

/// One `terraform init` and one `terraform validate` for every accepted stack: each is a
/// module `c<i>` of one root configuration that passes its variables. The stacks' provider
/// blocks are left out, since every provider configuration starts the provider again (about
/// 0.6 s each); what they hold — region and default tags — `terraform validate` does not check
/// (the region is checked at plan), ecsynth's own rules do.
fn validate_batch(accepted: &[Accepted]) -> Vec<String> {
    if accepted.is_empty() {
        return Vec::new();
    }
    support::require_terraform();
    let dir = support::scratch_dir("generative");
    let mut modules = serde_json::Map::new();
    for stack in accepted {
        let mut json = stack.json.clone();
        if let Some(root) = json.as_object_mut() {
            root.remove("provider");
        }
        let mut call = serde_json::Map::new();
        call.insert("source".into(), format!("./{}", stack.directory).into());
        for (name, variable) in json["variable"].as_object().into_iter().flatten() {
            let value = if variable["type"] == "string" {
                serde_json::json!("vpc-0abc")
            } else {
                serde_json::json!(["subnet-1", "subnet-2"])
            };
            call.insert(name.clone(), value);
        }
        modules.insert(stack.directory.clone(), call.into());
        write(&dir.join(&stack.directory), &json);
    }
    let root = serde_json::json!({
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.36"}}},
        "provider": {"aws": {"region": REGION}},
        "module": modules,
    });
    write(&dir, &root);
    support::terraform_init(&dir);
    let output = support::terraform(&dir, &["validate", "-no-color", "-json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    if output.status.success() && report["valid"] == true {
        return Vec::new();
    }
    let diagnostics = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if diagnostics.is_empty() {
        return vec![format!(
            "terraform validate failed without diagnostics:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )];
    }
    diagnostics
        .iter()
        .map(|diagnostic| {
            let file = diagnostic["range"]["filename"].as_str().unwrap_or_default();
            let address = diagnostic["address"].as_str().unwrap_or_default();
            let case = accepted.iter().find(|stack| {
                file.starts_with(&format!("{}/", stack.directory))
                    || address.starts_with(&format!("module.{}.", stack.directory))
            });
            let replay = case.map_or("(case unknown)".to_owned(), |stack| {
                format!("ECSYNTH_SEED={} ECSYNTH_CASES=1", stack.seed)
            });
            format!(
                "{replay}: accepted by ecsynth, refused by terraform validate: {}: {} ({address})",
                diagnostic["summary"].as_str().unwrap_or_default(),
                diagnostic["detail"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn write(dir: &Path, json: &serde_json::Value) {
    std::fs::create_dir_all(dir).expect("create module directory");
    std::fs::write(
        dir.join("main.tf.json"),
        serde_json::to_vec_pretty(json).expect("JSON"),
    )
    .expect("write main.tf.json");
}
