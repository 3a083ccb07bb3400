//! The storefront web service deployed by ECS itself (ECS-native blue/green, hashicorp/aws 6):
//! the staging variant of [`super::web`], behind a rule of an internal HTTPS ALB, so that ECS
//! has the listener rules it switches. Terraform keeps the task definition: a release is an
//! apply with a new image tag.

use ecsynth::model::{
    BlueGreen, Container, ContainerHealthCheck, EcsBlueGreen, LifecycleStage, Listener,
    LoadBalancer, ProviderMajor, RollbackAlarms, RuleMatch, Service, Stack, StepScaling,
    TargetHealthCheck, TaskSize, Traffic, Ulimit,
};

use super::{team_state, ACCESS_LOG_BUCKET};

/// The application port inside the container.
const APP_PORT: u16 = 8080;

/// Runs the smoke tests against the test listener before production traffic moves.
const SMOKE_TEST_HOOK: &str =
    "arn:aws:lambda:eu-west-1:123456789012:function:storefront-staging-smoke-test";

/// Internal HTTPS ALB with a test listener, as `staging`; ECS shifts the traffic and keeps
/// blue for a 10-minute bake.
pub fn staging_ecs() -> Stack {
    let certificate =
        "arn:aws:acm:eu-west-1:123456789012:certificate/7c2e4a91-3b5d-4f08-9e6a-1d8b0c3f5a72";
    let mut stack = Stack::new("staging-ecs", "eu-west-1");
    stack
        .aws_provider(ProviderMajor::V6)
        .backend(team_state())
        .tag("Application", "storefront")
        .tag("Environment", "staging")
        .tag("Owner", "platform-team")
        .cluster_name("storefront-staging-ecs");
    let load_balancer = stack.add_load_balancer(
        LoadBalancer::application("web", Listener::https(443, certificate))
            .internal()
            .test_listener(Listener::https(8443, certificate))
            .allowed_cidrs(&["10.0.0.0/8"])
            .access_logs(ACCESS_LOG_BUCKET, "staging-ecs/web")
            // Recreated at will.
            .deletion_protection(false),
    );
    let app = Container::new(
        "web",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront-web:1.4.0-rc.1",
    )
    .port(APP_PORT)
    .env("PORT", &APP_PORT.to_string())
    .env("APP_ENV", "staging")
    .secret(
        "DATABASE_URL",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/storefront/staging/database-url",
    )
    .health_check(ContainerHealthCheck::shell(&format!(
        "wget -q -O /dev/null http://localhost:{APP_PORT}/healthz || exit 1"
    )))
    .ulimit(Ulimit::new("nofile", 65536));
    // Every request: ECS switches a listener rule, never a listener's default action.
    let traffic = Traffic::rule(
        load_balancer,
        RuleMatch::path("/*"),
        app.target(APP_PORT),
        TargetHealthCheck::http("/healthz"),
    );
    stack.add_service(
        Service::new(
            "web",
            TaskSize {
                cpu: 512,
                memory: 1024,
            },
        )
        .container(app)
        .blue_green(
            BlueGreen::new(traffic)
                .controller(
                    EcsBlueGreen::default()
                        .bake_time_minutes(10)
                        .hook(SMOKE_TEST_HOOK, &[LifecycleStage::PostTestTrafficShift]),
                )
                .rollback_alarms(RollbackAlarms::default().response_time_p99(1.5, 3)),
        )
        .scaling(
            StepScaling::cpu(2..=4)
                .scale_out_above(70.0)
                .scale_in_below(30.0),
        )
        .desired_count(2)
        .log_retention_days(30),
    );
    stack
}
