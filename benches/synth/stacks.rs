//! The generated stacks: one environment with N copies of the storefront service, built through
//! the public model API the way `stacks/web.rs` builds its one service.

use ecsynth::model::{
    Backend, BlueGreen, CodeDeploy, Container, ContainerHealthCheck, DeploymentConfig, Input,
    Listener, LoadBalancer, Network, Service, Stack, StepScaling, TargetHealthCheck, TaskSize,
    Traffic,
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
    let (task_size, image_tag, min, max, config, wait, retention) = match environment {
        "dev" => (
            TaskSize {
                cpu: 256,
                memory: 512,
            },
            "latest-dev",
            1,
            2,
            DeploymentConfig::AllAtOnce,
            0,
            7,
        ),
        "staging" => (
            TaskSize {
                cpu: 512,
                memory: 1024,
            },
            "1.4.0-rc.1",
            2,
            4,
            DeploymentConfig::Linear10PercentEvery1Minutes,
            5,
            30,
        ),
        _ => (
            TaskSize {
                cpu: 1024,
                memory: 2048,
            },
            "1.3.2",
            3,
            12,
            DeploymentConfig::Canary10Percent5Minutes,
            30,
            365,
        ),
    };
    for index in 0..services {
        let name = format!("svc-{index:04}");
        let load_balancer = match environment {
            "dev" => LoadBalancer::network(&name, Listener::tcp(80))
                .internal()
                .test_listener(Listener::tcp(8080))
                .allowed_cidrs(&["10.0.0.0/8"]),
            "staging" => LoadBalancer::application(&name, Listener::http(80))
                .internal()
                .test_listener(Listener::http(8080))
                .allowed_cidrs(&["10.0.0.0/8"]),
            _ => LoadBalancer::application(&name, Listener::https(443, CERTIFICATE))
                .test_listener(Listener::https(8443, CERTIFICATE))
                .test_listener_cidrs(&["10.0.0.0/8"])
                .deletion_protection(true),
        };
        let load_balancer = stack.add_load_balancer(load_balancer);
        let app = Container::new(
            &name,
            &format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/{name}:{image_tag}"),
        )
        .port(APP_PORT)
        .env("PORT", &APP_PORT.to_string())
        .env("APP_ENV", environment)
        .secret(
            "DATABASE_URL",
            &format!(
                "arn:aws:ssm:eu-west-1:123456789012:parameter/{name}/{environment}/database-url"
            ),
        )
        .health_check(ContainerHealthCheck::shell(&format!(
            "wget -q -O /dev/null http://localhost:{APP_PORT}/healthz || exit 1"
        )))
        .ulimit("nofile", 65536, 65536);
        let traffic = Traffic::listeners(
            load_balancer,
            app.target(APP_PORT),
            TargetHealthCheck::http("/healthz"),
        );
        stack.add_service(
            Service::new(&name, task_size)
                .container(app)
                .blue_green(
                    BlueGreen::new(traffic).controller(
                        CodeDeploy::default()
                            .config(config.clone())
                            .termination_wait_minutes(wait),
                    ),
                )
                .scaling(
                    StepScaling::cpu(min..=max)
                        .scale_out_above(70.0)
                        .scale_in_below(30.0),
                )
                .desired_count(min)
                .log_retention_days(retention),
        );
    }
    stack
}
