//! Many services on one cluster behind one shared ALB (seed 001): each service has its own
//! blue/green target group pair and its own listener rules, routed by host and path, and is
//! described by the few fields an application team cares about.

use ecsynth::model::{
    BlueGreen, CodeDeploy, Container, ContainerHealthCheck, DeploymentConfig, Input, Listener,
    LoadBalancer, LoadBalancerId, Network, Rolling, RuleMatch, Service, Stack, StepScaling,
    TargetHealthCheck, TaskSize, Traffic,
};

const CERTIFICATE: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/5f1c2a9e-7d3b-4e61-8a0f-2b9c6d4e1f37";

/// What an application team says about its service, written in Rust; the catalogue's comes
/// from its JSON descriptor instead.
struct Descriptor {
    name: &'static str,
    image: &'static str,
    port: u16,
    size: TaskSize,
    instances: (u32, u32),
    route: RuleMatch,
    health_path: &'static str,
}

pub fn shop() -> Stack {
    let mut stack = Stack::new("shop", "eu-west-1");
    stack.backend(super::team_state());
    stack
        .tag("Application", "shop")
        .tag("Environment", "prod")
        .cluster_name("shop")
        .network(Network {
            load_balancer_subnet_ids: Some(Input::Variable),
            ..Network::from_variables()
        });
    let edge = stack.add_load_balancer(
        LoadBalancer::application("edge", Listener::https(443, CERTIFICATE))
            .test_listener(Listener::https(8443, CERTIFICATE))
            .test_listener_cidrs(&["10.0.0.0/8"])
            .access_logs(super::ACCESS_LOG_BUCKET, "shop/edge"),
    );
    let services = [
        Descriptor {
            name: "orders",
            image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:2.7.1",
            port: 8080,
            size: TaskSize {
                cpu: 512,
                memory: 1024,
            },
            instances: (2, 8),
            route: RuleMatch::host("api.shop.example.com").and_path("/orders/*"),
            health_path: "/healthz",
        },
        Descriptor {
            name: "users",
            image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/users:1.12.0",
            port: 8080,
            size: TaskSize {
                cpu: 256,
                memory: 512,
            },
            instances: (2, 4),
            route: RuleMatch::host("api.shop.example.com").and_path("/users/*"),
            health_path: "/healthz",
        },
    ];
    for descriptor in services {
        let service = service(edge, descriptor);
        stack.add_service(service);
    }
    // Teams that describe their service in a JSON file (docs/descriptors.md) drop it into
    // `stacks/services/shop/`: each file there becomes a service behind `edge`, in file-name
    // order; a broken file refuses the stack at synth with the file, line and column.
    stack.add_described_services_from(concat!(env!("CARGO_MANIFEST_DIR"), "/services/shop"), edge);
    // Prices are internal: no load balancer, found by the others as `pricing.shop.internal`.
    stack.add_service(
        Service::new(
            "pricing",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .container(
            Container::new(
                "pricing",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/pricing:0.9.2",
            )
            .port(9000),
        )
        .rolling(Rolling::default())
        .discoverable()
        .log_retention_days(90),
    );
    stack
}

fn service(load_balancer: LoadBalancerId, descriptor: Descriptor) -> Service {
    let app = Container::new(descriptor.name, descriptor.image)
        .port(descriptor.port)
        .env("PORT", &descriptor.port.to_string())
        .health_check(ContainerHealthCheck::shell(&format!(
            "wget -q -O /dev/null http://localhost:{}{} || exit 1",
            descriptor.port, descriptor.health_path
        )));
    let traffic = Traffic::rule(
        load_balancer,
        descriptor.route,
        app.target(descriptor.port),
        TargetHealthCheck::http(descriptor.health_path),
    );
    let (min, max) = descriptor.instances;
    Service::new(descriptor.name, descriptor.size)
        .container(app)
        .blue_green(
            BlueGreen::new(traffic).controller(
                CodeDeploy::default()
                    .config(DeploymentConfig::Canary10Percent5Minutes)
                    .termination_wait_minutes(15),
            ),
        )
        .scaling(StepScaling::cpu(min..=max))
        .desired_count(min)
        .log_retention_days(90)
}
