//! The storefront web service: one blue/green Fargate service behind its own load balancer.
//! Environments differ only in the [`Settings`] they pass.

use ecsynth::model::{
    Backend, BlueGreen, CodeDeploy, Container, ContainerHealthCheck, DeploymentConfig, Input,
    LoadBalancer, Network, Service, Stack, StepScaling, TargetHealthCheck, TaskSize, Traffic,
    Ulimit,
};

/// What changes between environments.
pub struct Settings {
    pub name: &'static str,
    pub region: &'static str,
    /// Where Terraform keeps the state.
    pub state: Backend,
    pub load_balancer: LoadBalancer,
    /// Put load balancers in subnets of their own (public ones for an internet-facing LB).
    pub separate_load_balancer_subnets: bool,
    pub task_size: TaskSize,
    pub image_tag: &'static str,
    pub min_tasks: u32,
    pub max_tasks: u32,
    pub deployment: DeploymentConfig,
    pub termination_wait_minutes: u32,
    pub log_retention_days: u32,
    /// SSM parameter holding the database URL.
    pub database_url_parameter: &'static str,
}

/// The application port inside the container.
const APP_PORT: u16 = 8080;

pub fn stack(settings: Settings) -> Stack {
    let mut stack = Stack::new(settings.name, settings.region);
    stack.backend(settings.state);
    stack
        .tag("Application", "storefront")
        .tag("Environment", settings.name)
        .tag("Owner", "platform-team")
        .cluster_name(&format!("storefront-{}", settings.name));
    if settings.separate_load_balancer_subnets {
        stack.network(Network {
            load_balancer_subnet_ids: Some(Input::Variable),
            ..Network::from_variables()
        });
    }
    let load_balancer = stack.add_load_balancer(settings.load_balancer);

    let app = Container::new(
        "web",
        &format!(
            "123456789012.dkr.ecr.{}.amazonaws.com/storefront-web:{}",
            settings.region, settings.image_tag
        ),
    )
    .port(APP_PORT)
    .env("PORT", &APP_PORT.to_string())
    .env("APP_ENV", settings.name)
    .secret("DATABASE_URL", settings.database_url_parameter)
    .health_check(ContainerHealthCheck::shell(&format!(
        "wget -q -O /dev/null http://localhost:{APP_PORT}/healthz || exit 1"
    )))
    .ulimit(Ulimit::new("nofile", 65536));
    let traffic = Traffic::listeners(
        load_balancer,
        app.target(APP_PORT),
        TargetHealthCheck::http("/healthz"),
    );

    stack.add_service(
        Service::new("web", settings.task_size)
            .container(app)
            .blue_green(
                BlueGreen::new(traffic).controller(
                    CodeDeploy::default()
                        .config(settings.deployment)
                        .termination_wait_minutes(settings.termination_wait_minutes),
                ),
            )
            .scaling(
                StepScaling::cpu(settings.min_tasks..=settings.max_tasks)
                    .scale_out_above(70.0)
                    .scale_in_below(30.0),
            )
            .desired_count(settings.min_tasks)
            .log_retention_days(settings.log_retention_days),
    );
    stack
}
