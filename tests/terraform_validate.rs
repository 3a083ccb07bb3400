//! Every registered stack's output passes the real `terraform validate` with the real AWS
//! provider: the installed one, hashicorp/aws 5.100.0, so each stack is written for 5.x
//! (`ecsynth synth --aws-provider 5`); its 6.x output is held against the 6.66.0 schema by
//! `tests/provider_schema.rs`. Provider install is offline through `TF_PLUGIN_MIRROR` when set
//! (see README).

mod support;

#[test]
#[ignore = "full suite: runs Terraform; see README, Running the tests"]
fn every_stack_passes_terraform_validate() {
    let registry = stacks::registry();
    let names: Vec<&'static str> = registry.names().collect();
    let (installed, _refused) = support::installed_provider_stacks(&registry, &names);
    assert!(
        !installed.is_empty(),
        "no registered stack can be written for {}: nothing for terraform validate to check",
        support::INSTALLED_PROVIDER
    );
    let failures = support::terraform_validate(&registry, &installed);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Shapes no registered stack has today, lowered and validated all the same: a rolling
/// Fargate service behind an NLB, a Fargate worker with no load balancer, a rolling EC2
/// service on host networking behind a rule of a shared ALB.
fn other_shapes() -> ecsynth::model::Stack {
    use ecsynth::model::{
        Backend, Compute, Container, Ec2Capacity, Ec2Placement, Exposure, Listener, LoadBalancer,
        NetworkMode, Rolling, RuleMatch, Service, Stack, TargetHealthCheck, TaskSize, Traffic,
    };
    let mut stack = Stack::new("shapes", "eu-west-1");
    stack.backend(Backend::Local);
    let nlb = stack.add_load_balancer(LoadBalancer::network("tcp", Listener::tcp(5432)).internal());
    let alb =
        stack.add_load_balancer(LoadBalancer::application("web", Listener::http(80)).internal());
    let hosts = stack.add_capacity_provider(Ec2Capacity::new("hosts", "m6i.large"));
    let proxy = Container::new("proxy", "pgbouncer:1.23").port(5432);
    stack.add_service(
        Service::new(
            "proxy",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .rolling(Rolling::behind(Exposure::LoadBalancer(Traffic::listeners(
            nlb,
            proxy.target(5432),
            TargetHealthCheck::tcp(),
        ))))
        .container(proxy),
    );
    stack.add_service(
        Service::new(
            "worker",
            TaskSize {
                cpu: 256,
                memory: 512,
            },
        )
        .compute(Compute::fargate())
        .container(Container::new("worker", "worker:1.0")),
    );
    let api = Container::new("api", "api:1.0").port(8080);
    stack.add_service(
        Service::new(
            "api",
            TaskSize {
                cpu: 512,
                memory: 1024,
            },
        )
        .compute(Ec2Placement::new(hosts).network_mode(NetworkMode::Host))
        .rolling(Rolling::behind(Exposure::LoadBalancer(Traffic::rule(
            alb,
            RuleMatch::path("/api/*"),
            api.target(8080),
            TargetHealthCheck::http("/health"),
        ))))
        .container(api),
    );
    stack
}

#[test]
#[ignore = "full suite: runs Terraform; see README, Running the tests"]
fn shapes_no_registered_stack_has_pass_terraform_validate() {
    let mut registry = ecsynth::registry::Registry::new();
    registry.register("shapes", other_shapes);
    let errors: Vec<String> = other_shapes()
        .validate()
        .iter()
        .filter(|d| d.severity == ecsynth::model::Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let failures = support::terraform_validate(&registry, &["shapes"]);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
