//! The storefront on EC2 capacity instead of Fargate (seed 004): each environment has its own
//! instance types, and the agent and kernel tuned through user data.

use ecsynth::model::{
    Backend, BlueGreen, CodeDeploy, Compute, Container, ContainerHealthCheck, DeploymentConfig,
    DeploymentTopic, Ec2Capacity, Ec2Placement, Listener, LoadBalancer, NetworkMode, Rolling,
    Service, Stack, StepScaling, TargetHealthCheck, TaskSize, Traffic,
};

const APP_PORT: u16 = 8080;

fn web(environment: &str, image_tag: &str) -> Container {
    Container::new(
        "web",
        &format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront-web:{image_tag}"),
    )
    .port(APP_PORT)
    .env("PORT", &APP_PORT.to_string())
    .env("APP_ENV", environment)
    .health_check(ContainerHealthCheck::shell(&format!(
        "wget -q -O /dev/null http://localhost:{APP_PORT}/healthz || exit 1"
    )))
}

/// One general-purpose capacity provider; the web service deploys blue/green on bridge
/// networking with dynamic host ports behind an internal HTTPS ALB.
pub fn dev_ec2() -> Stack {
    let mut stack = Stack::new("dev-ec2", "eu-west-1");
    stack.backend(Backend::Local);
    stack
        .tag("Application", "storefront")
        .tag("Environment", "dev")
        .cluster_name("storefront-dev-ec2");
    let general = stack.add_capacity_provider(
        Ec2Capacity::new("general", "t3.large")
            .size(1..=3)
            // The seed's tuning for many short-lived connections: the kernel's ephemeral
            // ports, which bridge tasks also get their host ports from, so the load balancer
            // reaches the instances on all of them.
            .dynamic_host_ports(1024..=65000)
            .kernel_setting("net.core.somaxconn", "4096")
            .agent_setting("ECS_IMAGE_PULL_BEHAVIOR", "prefer-cached"),
    );
    let certificate =
        "arn:aws:acm:eu-west-1:123456789012:certificate/3a9d5e17-8c2b-4f6e-b0d4-5e7f1a2c9b83";
    let load_balancer = stack.add_load_balancer(
        LoadBalancer::application("web", Listener::https(443, certificate))
            .internal()
            .test_listener(Listener::https(8443, certificate))
            .allowed_cidrs(&["10.0.0.0/8"])
            .access_logs(super::ACCESS_LOG_BUCKET, "dev-ec2/web")
            // Recreated at will.
            .deletion_protection(false),
    );
    let app = web("dev", "latest-dev")
        .cpu_units(256)
        .memory_reservation(384);
    let traffic = Traffic::listeners(
        load_balancer,
        app.target(APP_PORT),
        TargetHealthCheck::http("/healthz"),
    );
    stack.add_service(
        Service::new(
            "web",
            TaskSize {
                cpu: 512,
                memory: 768,
            },
        )
        .compute(Compute::ec2(general))
        .container(app)
        .blue_green(
            BlueGreen::new(traffic).controller(CodeDeploy::default().termination_wait_minutes(0)),
        )
        .scaling(
            StepScaling::cpu(1..=4)
                .scale_out_above(70.0)
                .scale_in_below(30.0),
        )
        .desired_count(1)
        .log_retention_days(7),
    );
    stack
}

/// Two instance families: the web service on memory-heavy `m6i` instances with awsvpc
/// networking behind the HTTPS ALB, a queue worker on compute-optimised `c6i` instances,
/// rolling, without a load balancer.
pub fn prod_ec2() -> Stack {
    let certificate =
        "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d-4c59-9a57-6f2f2c9d1e21";
    let mut stack = Stack::new("prod-ec2", "eu-west-1");
    stack.backend(super::team_state());
    stack
        .tag("Application", "storefront")
        .tag("Environment", "prod")
        .cluster_name("storefront-prod-ec2");
    let general = stack.add_capacity_provider(
        Ec2Capacity::new("general", "m6i.xlarge")
            .size(2..=10)
            .kernel_setting("net.core.somaxconn", "4096"),
    );
    let compute =
        stack.add_capacity_provider(Ec2Capacity::new("compute", "c6i.xlarge").size(1..=6));
    let load_balancer = stack.add_load_balancer(
        LoadBalancer::application("web", Listener::https(443, certificate))
            .test_listener(Listener::https(8443, certificate))
            .test_listener_cidrs(&["10.0.0.0/8"])
            .access_logs(super::ACCESS_LOG_BUCKET, "prod-ec2/web"),
    );
    let app = web("prod", "1.3.2")
        .cpu_units(1024)
        .memory_reservation(2048);
    let traffic = Traffic::listeners(
        load_balancer,
        app.target(APP_PORT),
        TargetHealthCheck::http("/healthz"),
    );
    stack.add_service(
        Service::new(
            "web",
            TaskSize {
                cpu: 1024,
                memory: 2048,
            },
        )
        .compute(Ec2Placement::new(general).network_mode(NetworkMode::Awsvpc))
        .container(app)
        .blue_green(
            BlueGreen::new(traffic).controller(
                CodeDeploy::default()
                    .config(DeploymentConfig::Canary10Percent5Minutes)
                    .termination_wait_minutes(30),
            ),
        )
        // Every release of prod is announced (CodeDeploy's triggers).
        .notify(DeploymentTopic::Created)
        .scaling(
            StepScaling::cpu(3..=12)
                .scale_out_above(70.0)
                .scale_in_below(30.0),
        )
        .desired_count(3)
        .log_retention_days(365),
    );
    let worker = Container::new(
        "worker",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront-worker:1.3.2",
    )
    .env("QUEUE", "orders")
    .cpu_units(1024)
    .memory_reservation(1536);
    stack.add_service(
        Service::new(
            "worker",
            TaskSize {
                cpu: 1024,
                memory: 1536,
            },
        )
        .compute(Compute::ec2(compute))
        .container(worker)
        .rolling(Rolling::default())
        // Announced like `web`'s; `ecsynth deploy` publishes a rolling service's events.
        .notify(DeploymentTopic::Created)
        .desired_count(2)
        .log_retention_days(365),
    );
    stack
}
