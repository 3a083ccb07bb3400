//! The generated stacks: one environment with N copies of the storefront service, built through
//! the public model API the way `stacks/web.rs` builds its one service.

use std::ops::RangeInclusive;

use ecsynth::model::{
    Backend, BlueGreen, CodeDeploy, Container, ContainerHealthCheck, DeploymentConfig, Input,
    Listener, LoadBalancer, Network, Service, Stack, StepScaling, TargetHealthCheck, TaskSize,
    Traffic, Ulimit,
};

pub(crate) const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const APP_PORT: u16 = 8080;
const CERTIFICATE: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d-4c59-9a57-6f2f2c9d1e21";

/// One environment with `services` copies of the storefront service, each behind its own load
/// balancer, built like `stacks/web.rs` and `stacks/mod.rs` build theirs.
pub(crate) fn stack(environment: &str, services: usize) -> Stack {
    let mut stack = Stack::new(environment, "eu-west-1");
    stack.backend(Backend::Local);
    stack
        .tag("Application", "storefront")
        .tag("Environment", environment)
        .tag("Owner", "platform-team")
        .cluster_name(&format!("storefront-{environment}"));
    if environment == "prod" {
        stack.network(Network {
            load_balancer_subnet_ids: Some(Input::Variable),
            ..Network::from_variables()
        });
    }
    let settings = Settings::of(environment);
    for index in 0..services {
        let name = format!("svc-{index:04}");
        let load_balancer = stack.add_load_balancer(load_balancer(environment, &name));
        let app = container(environment, &name, settings.image_tag);
        let traffic = Traffic::listeners(
            load_balancer,
            app.target(APP_PORT),
            TargetHealthCheck::http("/healthz"),
        );
        stack.add_service(
            Service::new(&name, settings.task_size)
                .container(app)
                .blue_green(
                    BlueGreen::new(traffic).controller(
                        CodeDeploy::default()
                            .config(settings.config.clone())
                            .termination_wait_minutes(settings.termination_wait_minutes),
                    ),
                )
                .scaling(
                    StepScaling::cpu(settings.tasks.clone())
                        .scale_out_above(70.0)
                        .scale_in_below(30.0),
                )
                .desired_count(*settings.tasks.start())
                .log_retention_days(settings.log_retention_days),
        );
    }
    stack
}

/// What differs between the environments.
struct Settings {
    task_size: TaskSize,
    image_tag: &'static str,
    tasks: RangeInclusive<u32>,
    config: DeploymentConfig,
    termination_wait_minutes: u32,
    log_retention_days: u32,
}

impl Settings {
    fn of(environment: &str) -> Settings {
        match environment {
            "dev" => Settings {
                task_size: TaskSize {
                    cpu: 256,
                    memory: 512,
                },
                image_tag: "latest-dev",
                tasks: 1..=2,
                config: DeploymentConfig::AllAtOnce,
                termination_wait_minutes: 0,
                log_retention_days: 7,
            },
            "staging" => Settings {
                task_size: TaskSize {
                    cpu: 512,
                    memory: 1024,
                },
                image_tag: "1.4.0-rc.1",
                tasks: 2..=4,
                config: DeploymentConfig::Linear10PercentEvery1Minutes,
                termination_wait_minutes: 5,
                log_retention_days: 30,
            },
            _ => Settings {
                task_size: TaskSize {
                    cpu: 1024,
                    memory: 2048,
                },
                image_tag: "1.3.2",
                tasks: 3..=12,
                config: DeploymentConfig::Canary10Percent5Minutes,
                termination_wait_minutes: 30,
                log_retention_days: 365,
            },
        }
    }
}

/// An internal NLB in dev, an internal plain-HTTP ALB in staging, an HTTPS ALB in prod.
fn load_balancer(environment: &str, name: &str) -> LoadBalancer {
    match environment {
        "dev" => LoadBalancer::network(name, Listener::tcp(80))
            .internal()
            .test_listener(Listener::tcp(8080))
            .allowed_cidrs(&["10.0.0.0/8"]),
        "staging" => LoadBalancer::application(name, Listener::http(80))
            .internal()
            .test_listener(Listener::http(8080))
            .allowed_cidrs(&["10.0.0.0/8"]),
        _ => LoadBalancer::application(name, Listener::https(443, CERTIFICATE))
            .test_listener(Listener::https(8443, CERTIFICATE))
            .test_listener_cidrs(&["10.0.0.0/8"])
            .deletion_protection(true),
    }
}

/// The storefront container of service `name`.
fn container(environment: &str, name: &str, image_tag: &str) -> Container {
    Container::new(
        name,
        &format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/{name}:{image_tag}"),
    )
    .port(APP_PORT)
    .env("PORT", &APP_PORT.to_string())
    .env("APP_ENV", environment)
    .secret(
        "DATABASE_URL",
        &format!("arn:aws:ssm:eu-west-1:123456789012:parameter/{name}/{environment}/database-url"),
    )
    .health_check(ContainerHealthCheck::shell(&format!(
        "wget -q -O /dev/null http://localhost:{APP_PORT}/healthz || exit 1"
    )))
    .ulimit(Ulimit::new("nofile", 65536))
}
