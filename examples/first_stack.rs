//! The README's example stack ("Writing a stack"), compiled by every `cargo test`;
//! `tests/readme.rs` checks that the README shows exactly the code between the `README` marks
//! and that the stack synthesizes with no error and no warning.
//! `cargo run --example first_stack -- synth prod-api` writes it to `out/prod-api/`.

use ecsynth::model::*;

const CERTIFICATE_ARN: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d-4c59-9a57-6f2f2c9d1e21";
const SSM_ARN: &str = "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/api/database-url";

#[rustfmt::skip] // laid out for the README, as it shows there
// README begin
pub fn prod() -> Stack {
    let mut stack = Stack::new("prod-api", "eu-west-1");
    stack.backend(Backend::s3("payments-terraform-state", "eu-west-1"));
    stack.tag("Team", "payments").cluster_name("payments");
    let lb = stack.add_load_balancer(
        LoadBalancer::application("api", Listener::https(443, CERTIFICATE_ARN))
            .test_listener(Listener::https(8443, CERTIFICATE_ARN))
            .test_listener_cidrs(&["10.0.0.0/8"])
            .redirect_http(80),
    );
    let image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.2.3";
    let api = Container::new("api", image).port(8080).secret("DB_URL", SSM_ARN);
    let traffic = Traffic::listeners(lb, api.target(8080), TargetHealthCheck::http("/healthz"));
    stack.add_service(
        Service::new("api", TaskSize { cpu: 1024, memory: 2048 })
            .container(api)
            .blue_green(BlueGreen::new(traffic).controller(
                CodeDeploy::default().config(DeploymentConfig::Canary10Percent5Minutes),
            ))
            .scaling(StepScaling::cpu(3..=12).scale_out_above(70.0).scale_in_below(30.0))
            .desired_count(3)
            .log_retention_days(365),
    );
    stack
}
// README end

fn main() -> std::process::ExitCode {
    let mut registry = ecsynth::registry::Registry::new();
    registry.register("prod-api", prod);
    ecsynth::cli::main(&registry)
}
