//! Validation: one negative test per rule with its exact message, many problems in one run,
//! and the CLI around it (exit codes, `--deny-warnings`, `--check`, untouched output).

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;
mod support;

use std::fs;
use std::path::Path;

use ecsynth::model::{
    BlueGreen, Container, Deployment, DeploymentConfig, Input, Listener, LoadBalancer,
    LoadBalancerId, Network, Protocol, Service, Stack, Step, StepScaling, TargetHealthCheck,
    TaskSize, Traffic,
};
use ecsynth::registry::Registry;
use support::{out_arg, run};

// ---------------------------------------------------------------------------------------------
// A valid stack, and ways to break it

/// An internal ALB `web` (HTTP 80, test 8080) in front of service `api` with container `app`.
fn stack_with(edit: impl FnOnce(&mut LoadBalancer, &mut Service)) -> Stack {
    let mut stack = Stack::new("shop", "eu-west-1");
    let mut load_balancer = LoadBalancer::application("web", Listener::http(80))
        .internal()
        .test_listener(Listener::http(8080));
    let mut service = service(LoadBalancerId::default_for_tests());
    edit(&mut load_balancer, &mut service);
    let id = stack.add_load_balancer(load_balancer);
    if let Some(traffic) = &mut service.traffic {
        traffic.load_balancer = id;
    }
    stack.add_service(service);
    stack
}

fn service(lb: LoadBalancerId) -> Service {
    Service::new(
        "api",
        TaskSize {
            cpu: 512,
            memory: 1024,
        },
    )
    .container(Container::new("app", "nginx:1.27").port(8080))
    .traffic(Traffic::new(
        lb,
        "app",
        8080,
        TargetHealthCheck::http("/health"),
    ))
}

fn messages(stack: &Stack) -> Vec<String> {
    stack.validate().iter().map(ToString::to_string).collect()
}

/// The diagnostics of a stack that differs from the valid one by `edit`.
fn problems(edit: impl FnOnce(&mut LoadBalancer, &mut Service)) -> Vec<String> {
    messages(&stack_with(edit))
}

fn blue_green(service: &mut Service) -> &mut BlueGreen {
    match &mut service.deployment {
        Deployment::BlueGreen(blue_green) => blue_green,
        Deployment::Rolling => panic!("the test service deploys blue/green"),
    }
}

trait ForTests {
    fn default_for_tests() -> Self;
}

impl ForTests for LoadBalancerId {
    /// Replaced by the id `add_load_balancer` hands out.
    fn default_for_tests() -> LoadBalancerId {
        Stack::new("scratch", "eu-west-1")
            .add_load_balancer(LoadBalancer::application("x", Listener::http(80)))
    }
}

#[test]
fn the_base_stack_is_valid() {
    assert_eq!(problems(|_, _| {}), Vec::<String>::new());
}

#[test]
fn the_registered_stacks_have_no_diagnostics() {
    let registry = stacks::registry();
    for name in registry.names() {
        let stack = registry.get(name).expect("registered")();
        assert_eq!(messages(&stack), Vec::<String>::new(), "stack `{name}`");
    }
}

// ---------------------------------------------------------------------------------------------
// Names

#[test]
fn load_balancer_name_too_long() {
    assert_eq!(
        problems(|lb, _| lb.name = "storefront-public-entrypoint".into()),
        [
            "error: stack `shop` › load balancer `storefront-public-entrypoint` › `name`: load \
          balancer name `shop-storefront-public-entrypoint` (made from the stack name `shop` and \
          the load balancer name `storefront-public-entrypoint`) is 33 characters, AWS allows at \
          most 32; shorten the stack name `shop` or the load balancer name \
          `storefront-public-entrypoint` by 1 character"
        ]
    );
}

#[test]
fn load_balancer_name_characters_and_trailing_hyphen() {
    assert_eq!(
        problems(|lb, _| lb.name = "w.b-".into()),
        [
            "error: stack `shop` › load balancer `w.b-` › `name`: load balancer name `shop-w.b-` \
             (made from the stack name `shop` and the load balancer name `w.b-`) contains `.`; \
             load balancer names allow only A-Z, a-z, 0-9 and `-`; rename the load balancer name \
             `w.b-`",
            "error: stack `shop` › load balancer `w.b-` › `name`: load balancer name `shop-w.b-` \
             (made from the stack name `shop` and the load balancer name `w.b-`) ends with `-`; \
             load balancer names must end with a letter or digit; rename the load balancer name \
             `w.b-`",
        ]
    );
}

#[test]
fn load_balancer_name_must_not_start_with_internal() {
    let mut stack = stack_with(|_, _| {});
    stack.name = "internal".into();
    stack.cluster.name = "internal".into();
    assert_eq!(
        messages(&stack),
        [
            "error: stack `internal` › load balancer `web` › `name`: load balancer name \
          `internal-web` (made from the stack name `internal` and the load balancer name `web`) \
          starts with `internal-`, which AWS reserves for internal load balancers; rename the \
          stack name `internal`"
        ]
    );
}

#[test]
fn target_group_name_too_long_names_the_models_to_shorten() {
    assert_eq!(
        problems(|_, service| service.name = "checkout-service-v2-eu1".into()),
        [
            "error: stack `shop` › service `checkout-service-v2-eu1` › `name`: target group name \
          `shop-checkout-service-v2-eu1-green` (made from the stack name `shop` and the service \
          name `checkout-service-v2-eu1`) is 34 characters, AWS allows at most 32; shorten the \
          stack name `shop` or the service name `checkout-service-v2-eu1` by 2 characters"
        ]
    );
}

#[test]
fn iam_role_name_too_long() {
    let name = "a".repeat(50);
    assert_eq!(
        problems(|_, service| {
            service.name = name.clone();
            service.traffic = None;
            service.deployment = Deployment::Rolling;
        }),
        [format!(
            "error: stack `shop` › service `{name}` › `name`: IAM role name \
             `shop-{name}-execution` (made from the stack name `shop` and the service name \
             `{name}`) is 65 characters, AWS allows at most 64; shorten the stack name `shop` or \
             the service name `{name}` by 1 character"
        )]
    );
}

#[test]
fn service_name_characters() {
    assert_eq!(
        problems(|_, service| service.name = "api.v2".into()),
        [
            "error: stack `shop` › service `api.v2` › `name`: ECS service name `api.v2` contains \
          `.`; ECS service names allow only A-Z, a-z, 0-9, `-` and `_`; rename the service name \
          `api.v2`"
        ]
    );
}

#[test]
fn service_name_must_make_a_terraform_label() {
    assert_eq!(
        problems(|_, service| service.name = "2api".into()),
        [
            "error: stack `shop` › service `2api` › `name`: service name `2api` starts with `2`; \
          it becomes the Terraform label `2api`, which must start with a letter or `_`"
        ]
    );
}

#[test]
fn cluster_name_characters_and_length() {
    let mut stack = stack_with(|_, _| {});
    stack.cluster.name = format!("shop cluster{}", "x".repeat(250));
    assert_eq!(
        messages(&stack),
        [
            format!(
                "error: stack `shop` › `cluster.name`: ECS cluster name `{}` is 262 characters, \
                 AWS allows at most 255; shorten the cluster name `{}` by 7 characters",
                stack.cluster.name, stack.cluster.name
            ),
            format!(
                "error: stack `shop` › `cluster.name`: ECS cluster name `{}` contains ` `; ECS \
                 cluster names allow only A-Z, a-z, 0-9, `-` and `_`; rename the cluster name `{}`",
                stack.cluster.name, stack.cluster.name
            ),
        ]
    );
}

#[test]
fn container_name_must_not_be_empty() {
    assert_eq!(
        problems(|_, service| {
            service.containers.push(Container::new("", "busybox"));
        }),
        ["error: stack `shop` › service `api` › container `` › `name`: container name is empty; \
          it needs 1 to 255 characters"]
    );
}

#[test]
fn duplicate_services_load_balancers_and_containers() {
    let mut stack = stack_with(|_, service| {
        service
            .containers
            .push(Container::new("app", "busybox").port(9090));
    });
    let second_lb =
        stack.add_load_balancer(LoadBalancer::network("web", Listener::tcp(80)).internal());
    stack.add_service(
        service(second_lb)
            .deployment(Deployment::Rolling)
            .container(Container::new("sidecar", "busybox")),
    );
    let mut underscore = service(second_lb).deployment(Deployment::Rolling);
    underscore.name = "api_".into();
    underscore.traffic = None;
    let mut hyphen = underscore.clone();
    hyphen.name = "api-".into();
    stack.add_service(underscore).add_service(hyphen);
    assert_eq!(
        messages(&stack),
        [
            "error: stack `shop` › load balancer `web` › `name`: another load balancer of this \
             stack is also named `web`; load balancer names must be unique within a stack (they \
             name AWS resources and Terraform addresses)",
            "error: stack `shop` › service `api` › container `app` › `name`: another container of \
             this service is also named `app`; container names must be unique within a task",
            "error: stack `shop` › service `api` › `name`: another service of this stack is also \
             named `api`; service names must be unique within a stack (they name AWS resources \
             and Terraform addresses)",
            "error: stack `shop` › service `api-` › `name`: `api-` and service `api_` both become \
             the Terraform label `api_`; rename one of them",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Load balancers and network

#[test]
fn listener_protocol_must_suit_the_load_balancer() {
    assert_eq!(
        problems(|lb, _| lb.prod_listener = Listener::tcp(80)),
        [
            "error: stack `shop` › load balancer `web` › `prod_listener.protocol`: TCP is not a \
          listener protocol of an application load balancer; allowed: HTTP, HTTPS"
        ]
    );
}

#[test]
fn udp_listeners_cannot_reach_tcp_target_groups() {
    assert_eq!(
        problems(|lb, service| {
            *lb = LoadBalancer::network("web", Listener::new(Protocol::Udp, 53)).internal();
            service.traffic.as_mut().expect("traffic").health_check = TargetHealthCheck::tcp();
        }),
        [
            "error: stack `shop` › load balancer `web` › `prod_listener.protocol`: UDP listeners \
          need UDP target groups, and the blue/green target groups are TCP; use TCP or TLS"
        ]
    );
}

#[test]
fn tls_listeners_need_a_certificate() {
    assert_eq!(
        problems(|lb, _| lb.test_listener = Some(Listener::new(Protocol::Https, 8443))),
        [
            "error: stack `shop` › load balancer `web` › `test_listener.certificate_arn`: HTTPS \
          listeners need an ACM certificate; use `Listener::https(port, certificate_arn)`"
        ]
    );
}

#[test]
fn listener_port_zero() {
    assert_eq!(
        problems(|lb, _| lb.prod_listener.port = 0),
        ["error: stack `shop` › load balancer `web` › `prod_listener.port`: 0 is not a listener \
          port; allowed: 1 to 65535"]
    );
}

#[test]
fn test_listener_needs_its_own_port() {
    assert_eq!(
        problems(|lb, _| lb.test_listener = Some(Listener::http(80))),
        ["error: stack `shop` › load balancer `web` › `test_listener.port`: 80 is also the prod \
          listener's port; CodeDeploy needs the test listener on a different port"]
    );
}

#[test]
fn internet_facing_without_tls_is_a_warning() {
    assert_eq!(
        problems(|lb, _| lb.scheme = ecsynth::model::Scheme::InternetFacing),
        [
            "warning: stack `shop` › load balancer `web` › `prod_listener.protocol`: \
          internet-facing load balancer serves HTTP without TLS; use \
          `Listener::https(port, certificate_arn)`, or make it `.internal()`"
        ]
    );
}

#[test]
fn one_subnet_warns_and_an_alb_needs_two() {
    let mut stack = stack_with(|_, _| {});
    stack.network = Network {
        subnet_ids: Input::Value(vec!["subnet-a".into()]),
        load_balancer_subnet_ids: Some(Input::Value(vec!["subnet-p".into()])),
        ..Network::from_variables()
    };
    assert_eq!(
        messages(&stack),
        [
            "error: stack `shop` › `network.load_balancer_subnet_ids`: one subnet (`subnet-p`), \
             but application load balancer `web` needs subnets in at least two Availability Zones",
            "warning: stack `shop` › `network.subnet_ids`: one subnet (`subnet-a`) puts every \
             task in one Availability Zone; give subnets in at least two zones",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Task and containers

#[test]
fn a_task_needs_a_container() {
    assert_eq!(
        problems(|_, service| {
            service.containers.clear();
            service.traffic = None;
            service.deployment = Deployment::Rolling;
        }),
        [
            "error: stack `shop` › service `api` › `containers`: a task needs at least one \
          container; add one with `.container(Container::new(name, image))`"
        ]
    );
}

#[test]
fn a_task_needs_an_essential_container() {
    assert_eq!(
        problems(|_, service| service.containers[0].essential = false),
        [
            "error: stack `shop` › service `api` › `containers`: no container is essential; ECS \
          needs at least one, whose exit stops the task"
        ]
    );
}

#[test]
fn container_image_must_not_be_empty() {
    assert_eq!(
        problems(|_, service| service.containers[0].image = " ".into()),
        [
            "error: stack `shop` › service `api` › container `app` › `image`: the image is empty; \
          give a repository and tag, e.g. `nginx:1.27`"
        ]
    );
}

#[test]
fn environment_names_must_not_be_empty() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0].environment.insert(String::new(), "x".into());
        }),
        ["error: stack `shop` › service `api` › container `app` › `environment`: an environment \
          variable has an empty name"]
    );
}

#[test]
fn secrets_come_from_ssm_or_secrets_manager() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0] = service.containers[0]
                .clone()
                .secret("DB_URL", "arn:aws:ssm:eu-west-1:1:parameter/db")
                .secret("TOKEN", "/plain/parameter/name");
        }),
        [
            "error: stack `shop` › service `api` › container `app` › `secrets.TOKEN`: \
          `/plain/parameter/name` is not an SSM parameter or Secrets Manager ARN; it must start \
          with `arn:aws:ssm:` or `arn:aws:secretsmanager:` (the execution role is granted read \
          access by these prefixes)"
        ]
    );
}

#[test]
fn secret_names_must_not_be_empty() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0] = service.containers[0]
                .clone()
                .secret("", "arn:aws:secretsmanager:eu-west-1:1:secret:db");
        }),
        [
            "error: stack `shop` › service `api` › container `app` › `secrets`: the secret from \
          `arn:aws:secretsmanager:eu-west-1:1:secret:db` has an empty variable name"
        ]
    );
}

#[test]
fn container_cpu_must_fit_the_task() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0].cpu = 384;
            service
                .containers
                .push(Container::new("sidecar", "busybox").reserve(256, 64));
        }),
        [
            "error: stack `shop` › service `api` › `containers.cpu`: containers reserve 640 CPU \
          units (`app` 384, `sidecar` 256), more than the task's 512; lower the reservations or \
          raise `task_size.cpu`"
        ]
    );
}

#[test]
fn container_memory_must_fit_the_task() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0].memory = Some(768);
            service
                .containers
                .push(Container::new("sidecar", "busybox").reserve(0, 512));
        }),
        [
            "error: stack `shop` › service `api` › `containers.memory_reservation`: containers \
          reserve 1280 MiB (`app` 768 MiB, `sidecar` 512 MiB), more than the task's 1024 MiB; \
          lower the reservations or raise `task_size.memory`"
        ]
    );
}

#[test]
fn container_hard_limit_must_fit_the_task() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0].memory = Some(2048);
            service.containers[0].memory_reservation = Some(256);
        }),
        [
            "error: stack `shop` › service `api` › container `app` › `memory`: 2048 MiB is more \
          than the task's 1024 MiB; lower it or raise `task_size.memory`"
        ]
    );
}

#[test]
fn memory_reservation_must_not_exceed_the_hard_limit() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0].memory = Some(256);
            service.containers[0].memory_reservation = Some(512);
        }),
        ["error: stack `shop` › service `api` › container `app` › `memory_reservation`: 512 MiB \
          is more than the container's hard limit `memory` (256 MiB); the reservation must not \
          exceed the limit"]
    );
}

#[test]
fn container_port_zero() {
    assert_eq!(
        problems(|_, service| service.containers[0].ports.push(
            ecsynth::model::Port {
                container_port: 0,
                protocol: ecsynth::model::PortProtocol::Tcp,
            }
        )),
        ["error: stack `shop` › service `api` › container `app` › `ports`: 0 is not a container \
          port; allowed: 1 to 65535"]
    );
}

#[test]
fn ports_are_bound_once_per_task() {
    assert_eq!(
        problems(|_, service| {
            service
                .containers
                .push(Container::new("sidecar", "envoy").port(9901).port(8080));
            service.containers[0] = service.containers[0].clone().port(8080);
        }),
        [
            "error: stack `shop` › service `api` › container `app` › `ports`: 8080/tcp is listed \
             twice; list each port once",
            "error: stack `shop` › service `api` › container `sidecar` › `ports`: 8080/tcp is \
             also a port of container `app`; containers of a task share its network, so each \
             port can be bound once",
        ]
    );
}

#[test]
fn log_retention_must_be_a_cloudwatch_period() {
    assert_eq!(
        problems(|_, service| service.log_retention_days = 10),
        [
            "error: stack `shop` › service `api` › `log_retention_days`: 10 is not a CloudWatch \
          Logs retention period; allowed: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, \
          400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (0 keeps logs forever)"
        ]
    );
    assert_eq!(
        problems(|_, service| service.log_retention_days = 0),
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// Traffic and health checks

fn health(service: &mut Service) -> &mut TargetHealthCheck {
    &mut service.traffic.as_mut().expect("traffic").health_check
}

#[test]
fn traffic_needs_a_container_of_the_service_and_one_of_its_ports() {
    assert_eq!(
        problems(|_, service| service.traffic.as_mut().expect("traffic").container = "web".into()),
        ["error: stack `shop` › service `api` › `traffic.container`: `web` is not a container of \
          this service; containers: `app`"]
    );
    assert_eq!(
        problems(|_, service| service.traffic.as_mut().expect("traffic").container_port = 80),
        [
            "error: stack `shop` › service `api` › `traffic.container_port`: 80 is not a port of \
          container `app`; its ports: 8080"
        ]
    );
}

#[test]
fn blue_green_needs_traffic() {
    assert_eq!(
        problems(|_, service| service.traffic = None),
        [
            "error: stack `shop` › service `api` › `deployment`: blue/green needs load balancer \
          traffic to shift; add `traffic` or use `Deployment::Rolling`"
        ]
    );
}

#[test]
fn health_check_thresholds() {
    assert_eq!(
        problems(|_, service| {
            health(service).healthy_threshold = 1;
            health(service).unhealthy_threshold = 11;
        }),
        [
            "error: stack `shop` › service `api` › `traffic.health_check.healthy_threshold`: 1 \
             is outside the allowed range 2 to 10 checks",
            "error: stack `shop` › service `api` › `traffic.health_check.unhealthy_threshold`: 11 \
             is outside the allowed range 2 to 10 checks",
        ]
    );
}

#[test]
fn health_check_interval_and_timeout() {
    assert_eq!(
        problems(|_, service| {
            health(service).interval = 301;
            health(service).timeout = 1;
        }),
        [
            "error: stack `shop` › service `api` › `traffic.health_check.interval`: 301 s is \
             outside the allowed range 5 to 300 seconds",
            "error: stack `shop` › service `api` › `traffic.health_check.timeout`: 1 s is outside \
             the allowed range 2 to 120 seconds",
        ]
    );
    assert_eq!(
        problems(|_, service| health(service).timeout = 15),
        [
            "error: stack `shop` › service `api` › `traffic.health_check.timeout`: 15 s is not \
          shorter than the interval (15 s); a check must time out before the next one starts"
        ]
    );
}

#[test]
fn health_check_paths() {
    assert_eq!(
        problems(|_, service| health(service).path = Some("health".into())),
        [
            "error: stack `shop` › service `api` › `traffic.health_check.path`: `health` does not \
          start with `/`; e.g. `/health`"
        ]
    );
    assert_eq!(
        problems(|_, service| health(service).path = None),
        ["error: stack `shop` › service `api` › `traffic.health_check.path`: an application load \
          balancer checks targets over HTTP and needs a path; use \
          `TargetHealthCheck::http(\"/health\")`"]
    );
}

#[test]
fn health_check_matchers() {
    assert_eq!(
        problems(|_, service| health(service).matcher = "200-".into()),
        ["error: stack `shop` › service `api` › `traffic.health_check.matcher`: `200-` is not a \
          list of HTTP codes; write one code (`200`), several (`200,302`) or a range (`200-399`)"]
    );
    assert_eq!(
        problems(|_, service| health(service).matcher = "200,503".into()),
        [
            "error: stack `shop` › service `api` › `traffic.health_check.matcher`: `200,503` \
          includes 503; an application load balancer accepts codes 200 to 499"
        ]
    );
    assert_eq!(
        problems(|lb, service| {
            *lb = LoadBalancer::network("web", Listener::tcp(80)).internal();
            health(service).matcher = "200-599".into();
        }),
        Vec::<String>::new(),
        "a network load balancer accepts 5xx codes"
    );
}

// ---------------------------------------------------------------------------------------------
// CodeDeploy

#[test]
fn network_load_balancers_shift_all_at_once() {
    assert_eq!(
        problems(|lb, service| {
            *lb = LoadBalancer::network("web", Listener::tcp(80)).internal();
            blue_green(service).config = DeploymentConfig::Canary10Percent5Minutes;
        }),
        [
            "error: stack `shop` › service `api` › `deployment.config`: \
          `CodeDeployDefault.ECSCanary10Percent5Minutes` shifts traffic gradually, but \
          CodeDeploy supports only `CodeDeployDefault.ECSAllAtOnce` behind a network load \
          balancer (`web`); use `DeploymentConfig::AllAtOnce` or an application load balancer"
        ]
    );
}

#[test]
fn custom_deployment_config_names() {
    assert_eq!(
        problems(|_, service| blue_green(service).config = DeploymentConfig::Custom(String::new())),
        [
            "error: stack `shop` › service `api` › `deployment.config`: the custom deployment \
          configuration name is empty; give its name (1 to 100 characters)"
        ]
    );
    assert_eq!(
        problems(|_, service| {
            blue_green(service).config =
                DeploymentConfig::Custom("CodeDeployDefault.OneAtATime".into());
        }),
        [
            "error: stack `shop` › service `api` › `deployment.config`: \
          `CodeDeployDefault.OneAtATime` is not a predefined ECS configuration, and \
          `CodeDeployDefault.` is reserved for those; predefined ECS configurations: \
          `CodeDeployDefault.ECSAllAtOnce`, `CodeDeployDefault.ECSLinear10PercentEvery1Minutes`, \
          `CodeDeployDefault.ECSLinear10PercentEvery3Minutes`, \
          `CodeDeployDefault.ECSCanary10Percent5Minutes`, \
          `CodeDeployDefault.ECSCanary10Percent15Minutes`"
        ]
    );
    let long = "c".repeat(101);
    assert_eq!(
        problems(|_, service| blue_green(service).config = DeploymentConfig::Custom(long.clone())),
        [format!(
            "error: stack `shop` › service `api` › `deployment.config`: custom deployment \
             configuration name `{long}` is 101 characters; CodeDeploy allows at most 100"
        )]
    );
    assert_eq!(
        problems(|_, service| {
            blue_green(service).config = DeploymentConfig::Custom("Shop-Linear20".into());
        }),
        Vec::<String>::new()
    );
}

#[test]
fn deployment_waits() {
    assert_eq!(
        problems(|_, service| blue_green(service).termination_wait_minutes = 2881),
        [
            "error: stack `shop` › service `api` › `deployment.termination_wait_minutes`: 2881 is \
          more than CodeDeploy's 2880 minutes (2 days); allowed: 0 to 2880"
        ]
    );
    assert_eq!(
        problems(|_, service| blue_green(service).manual_approval_minutes = Some(0)),
        [
            "error: stack `shop` › service `api` › `deployment.manual_approval_minutes`: 0 is \
          outside 1 to 2880 minutes (2 days); use `None` to shift traffic without waiting"
        ]
    );
}

#[test]
fn no_auto_rollback_is_a_warning() {
    assert_eq!(
        problems(|_, service| blue_green(service).auto_rollback = false),
        [
            "warning: stack `shop` › service `api` › `deployment.auto_rollback`: off: a failed \
          deployment leaves traffic where it stopped; turn it on unless something else rolls \
          back"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Scaling

fn scaled(edit: impl FnOnce(&mut StepScaling)) -> Vec<String> {
    problems(|_, service| {
        let mut scaling = StepScaling::cpu(2, 4);
        edit(&mut scaling);
        service.scaling = Some(scaling);
    })
}

#[test]
fn scaling_bounds() {
    assert_eq!(
        scaled(|s| {
            s.min_tasks = 0;
            s.max_tasks = 0;
        }),
        ["error: stack `shop` › service `api` › `scaling.max_tasks`: 0 tasks at most never runs \
          the service; allow at least 1"]
    );
    assert_eq!(
        scaled(|s| s.min_tasks = 5),
        ["error: stack `shop` › service `api` › `scaling.min_tasks`: 5 is more than `max_tasks` \
          (4); the minimum must not exceed the maximum"]
    );
}

#[test]
fn desired_count_outside_the_scaling_range_is_a_warning() {
    assert_eq!(
        problems(|_, service| {
            service.scaling = Some(StepScaling::cpu(3, 6));
            service.desired_count = 2;
        }),
        [
            "warning: stack `shop` › service `api` › `desired_count`: 2 is outside the scaling \
          range 3 to 6; the autoscaler moves it into the range right after the first apply"
        ]
    );
}

#[test]
fn scaling_thresholds() {
    assert_eq!(
        scaled(|s| *s = s.clone().thresholds(80.0, 120.0)),
        [
            "error: stack `shop` › service `api` › `scaling.high_cpu_percent`: 120 is not a CPU \
          percentage; allowed: 0 to 100"
        ]
    );
    assert_eq!(
        scaled(|s| *s = s.clone().thresholds(70.0, 70.0)),
        [
            "error: stack `shop` › service `api` › `scaling.low_cpu_percent`: 70 is not below \
          `high_cpu_percent` (70); the scale-in threshold must be lower than the scale-out \
          threshold"
        ]
    );
}

#[test]
fn alarm_periods() {
    assert_eq!(
        scaled(|s| s.period_seconds = 30),
        [
            "error: stack `shop` › service `api` › `scaling.period_seconds`: 30 is not a multiple \
          of 60; ECS CPU metrics are per minute, so alarm periods are 60, 120, 180, …"
        ]
    );
    assert_eq!(
        scaled(|s| s.evaluation_periods = 0),
        [
            "error: stack `shop` › service `api` › `scaling.evaluation_periods`: 0 periods never \
          raise the alarm; use at least 1"
        ]
    );
}

#[test]
fn step_adjustments_point_the_right_way() {
    assert_eq!(
        scaled(|s| {
            s.scale_out = vec![Step::new(Some(0.0), None, -1)];
            s.scale_in = vec![Step::new(None, Some(0.0), 0)];
        }),
        [
            "error: stack `shop` › service `api` › `scaling.scale_out[0].adjustment`: -1 does \
             not add tasks; scaling.scale_out adjustments must be positive",
            "error: stack `shop` › service `api` › `scaling.scale_in[0].adjustment`: 0 does not \
             remove tasks; scaling.scale_in adjustments must be negative",
        ]
    );
}

#[test]
fn steps_need_a_bound_and_at_most_one_open_end_per_side() {
    assert_eq!(
        scaled(|s| s.scale_out = vec![Step::new(None, None, 1)]),
        [
            "error: stack `shop` › service `api` › `scaling.scale_out[0]`: both bounds are \
          unbounded; give a lower or an upper bound"
        ]
    );
    assert_eq!(
        scaled(|s| {
            s.scale_out = vec![
                Step::new(Some(0.0), None, 1),
                Step::new(Some(20.0), None, 3),
            ];
        }),
        [
            "error: stack `shop` › service `api` › `scaling.scale_out`: 2 steps have no upper \
             bound; at most one may",
        ]
    );
    assert_eq!(
        scaled(|s| s.scale_in = vec![Step::new(Some(0.0), Some(-10.0), -1)]),
        [
            "error: stack `shop` › service `api` › `scaling.scale_in[0]`: lower bound 0 is not \
          below upper bound -10"
        ]
    );
    assert_eq!(
        scaled(|s| s.scale_in.clear()),
        [
            "error: stack `shop` › service `api` › `scaling.scale_in`: no steps; a step scaling \
          policy needs at least one"
        ]
    );
}

#[test]
fn steps_must_not_leave_gaps_or_overlap() {
    assert_eq!(
        scaled(|s| {
            s.scale_out = vec![
                Step::new(Some(0.0), Some(10.0), 1),
                Step::new(Some(15.0), None, 3),
            ];
        }),
        [
            "error: stack `shop` › service `api` › `scaling.scale_out`: steps leave a gap from 10 \
          to 15; make each step start where the previous one ends"
        ]
    );
    assert_eq!(
        scaled(|s| {
            s.scale_out = vec![
                Step::new(Some(0.0), Some(20.0), 1),
                Step::new(Some(10.0), None, 3),
            ];
        }),
        [
            "error: stack `shop` › service `api` › `scaling.scale_out`: steps overlap from 10 to \
          20; make each step start where the previous one ends"
        ]
    );
    assert_eq!(
        scaled(|s| {
            s.scale_out = vec![
                Step::new(Some(10.0), None, 3),
                Step::new(Some(0.0), Some(10.0), 1),
            ];
        }),
        Vec::<String>::new(),
        "steps may be listed in any order"
    );
}

// ---------------------------------------------------------------------------------------------
// Many problems at once

#[test]
fn every_problem_of_every_stack_comes_back_in_one_run() {
    let first = stack_with(|lb, service| {
        lb.prod_listener.port = 0;
        service.task_size.cpu = 300;
        service.log_retention_days = 2;
        blue_green(service).auto_rollback = false;
    });
    let mut second = stack_with(|_, service| {
        service.containers[0].image.clear();
        health(service).interval = 1;
    });
    second.name = "shop2".into();
    let fields: Vec<(String, String)> = ecsynth::model::validate::validate_all([&first, &second])
        .into_iter()
        .map(|d| (d.stack, d.field))
        .collect();
    let expected = [
        ("shop", "prod_listener.port"),
        ("shop", "task_size.cpu"),
        ("shop", "log_retention_days"),
        ("shop", "deployment.auto_rollback"),
        ("shop2", "image"),
        ("shop2", "traffic.health_check.interval"),
        ("shop2", "traffic.health_check.timeout"),
    ];
    assert_eq!(
        fields,
        expected.map(|(stack, field)| (stack.to_owned(), field.to_owned()))
    );
}

// ---------------------------------------------------------------------------------------------
// The command line

fn invalid() -> Stack {
    let mut stack = stack_with(|lb, service| {
        lb.prod_listener.port = 0;
        service.task_size.cpu = 300;
    });
    stack.name = "invalid".into();
    stack
}

fn warned() -> Stack {
    let mut stack = stack_with(|_, service| blue_green(service).auto_rollback = false);
    stack.name = "warned".into();
    stack
}

fn registry() -> Registry {
    let mut registry = stacks::registry();
    registry
        .register("invalid", invalid)
        .register("warned", warned);
    registry
}

#[test]
fn invalid_stacks_exit_2_report_every_problem_and_keep_their_previous_output() {
    let dir = support::scratch_dir("validation-invalid");
    let previous = dir.join("invalid").join("main.tf.json");
    fs::create_dir_all(previous.parent().expect("parent")).expect("mkdir");
    fs::write(&previous, "previous output\n").expect("seed");

    let (code, stdout, stderr) = run(
        &registry(),
        &["synth", "invalid", "dev", "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: stack `invalid` › load balancer `web` › `prod_listener.port`: 0 is not a \
         listener port; allowed: 1 to 65535\n\
         error: stack `invalid` › service `api` › `task_size.cpu`: 300 is not a Fargate CPU \
         size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384\n"
    );
    assert_eq!(
        stdout,
        format!("{}\n", dir.join("dev").join("main.tf.json").display())
    );
    assert_eq!(
        fs::read_to_string(&previous).expect("kept"),
        "previous output\n"
    );
}

#[test]
fn warnings_are_printed_and_the_stack_is_written() {
    let dir = support::scratch_dir("validation-warned");
    let (code, stdout, stderr) = run(&registry(), &["synth", "warned", "--out", &out_arg(&dir)]);
    assert_eq!(code, 0);
    assert_eq!(
        stderr,
        "warning: stack `warned` › service `api` › `deployment.auto_rollback`: off: a failed \
         deployment leaves traffic where it stopped; turn it on unless something else rolls \
         back\n"
    );
    assert_eq!(
        stdout,
        format!("{}\n", dir.join("warned").join("main.tf.json").display())
    );
}

#[test]
fn deny_warnings_makes_them_fatal_and_writes_nothing_for_that_stack() {
    let dir = support::scratch_dir("validation-deny-warnings");
    let (code, stdout, stderr) = run(
        &registry(),
        &[
            "synth",
            "warned",
            "dev",
            "--deny-warnings",
            "--out",
            &out_arg(&dir),
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "warning: stack `warned` › service `api` › `deployment.auto_rollback`: off: a failed \
         deployment leaves traffic where it stopped; turn it on unless something else rolls \
         back\n\
         error: stack `warned`: 1 warning denied by `--deny-warnings`; nothing written\n"
    );
    assert_eq!(
        stdout,
        format!("{}\n", dir.join("dev").join("main.tf.json").display())
    );
    assert!(!dir.join("warned").exists(), "nothing written for `warned`");
}

#[test]
fn a_stack_that_calls_itself_by_another_name_is_refused() {
    fn misnamed() -> Stack {
        stacks::dev()
    }
    let mut registry = Registry::new();
    registry.register("qa", misnamed);
    let (code, _, stderr) = run(&registry, &["synth", "qa", "--out", "unused"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: stack `qa` › `name`: the stack calls itself `dev`; the registry name and \
         `Stack::name` must match\n"
    );
}

// `synth --check`

fn synth_all(dir: &Path) {
    let (code, _, stderr) = run(
        &stacks::registry(),
        &["synth", "--all", "--out", &out_arg(dir)],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn check_of_fresh_output_exits_0_and_writes_nothing() {
    let dir = support::scratch_dir("check-fresh");
    synth_all(&dir);
    let main = dir.join("prod").join("main.tf.json");
    let modified = fs::metadata(&main)
        .expect("written")
        .modified()
        .expect("mtime");
    let (code, stdout, stderr) = run(
        &stacks::registry(),
        &["synth", "--all", "--check", "--out", &out_arg(&dir)],
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    let expected: String = stacks::registry()
        .names()
        .map(|name| {
            format!(
                "up to date: stack `{name}` ({})\n",
                dir.join(name).display()
            )
        })
        .collect();
    assert_eq!(stdout, expected);
    assert_eq!(
        fs::metadata(&main)
            .expect("still there")
            .modified()
            .expect("mtime"),
        modified
    );
}

#[test]
fn check_of_stale_output_exits_1_naming_stack_file_resources_and_attributes() {
    use ecsynth::review::Json;
    let dir = support::scratch_dir("check-stale");
    synth_all(&dir);
    let main = dir.join("prod").join("main.tf.json");
    // Edited with key order kept, as a hand edit would.
    let mut json = Json::parse(&fs::read(&main).expect("read")).expect("JSON");
    let resources = json
        .get_mut("resource")
        .and_then(Json::as_object_mut)
        .expect("resources");
    // One resource edited, one removed from disk (so added by synth), one only on disk.
    *resources["aws_lb"]
        .get_mut("web")
        .and_then(|lb| lb.get_mut("internal"))
        .expect("aws_lb.web.internal") = Json::Bool(true);
    resources["aws_ecs_cluster"]
        .as_object_mut()
        .expect("clusters")
        .clear();
    resources.insert(
        "aws_sqs_queue".into(),
        Json::parse(br#"{"jobs": {"name": "jobs"}}"#).expect("JSON"),
    );
    fs::write(&main, json.to_pretty()).expect("write");
    let before = fs::read(&main).expect("read");

    let (code, stdout, stderr) = run(
        &stacks::registry(),
        &["synth", "dev", "prod", "--check", "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout,
        format!("up to date: stack `dev` ({})\n", dir.join("dev").display())
    );
    let head = format!(
        "error: stack `prod`: {} is out of date\n  \
         changed: aws_lb.web\n    \
         internal: true → false\n    \
         --- aws_lb.web on disk\n    \
         +++ aws_lb.web from synth\n    \
         @@ ",
        main.display()
    );
    assert!(stderr.starts_with(&head), "{stderr}");
    assert!(
        stderr.contains("\n    -  \"internal\": true,\n    +  \"internal\": false,\n"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!(
            "\n  added: aws_ecs_cluster.main\n  \
             removed: aws_sqs_queue.jobs\n\
             error: committed output is stale; run `ecsynth synth prod --out {}` and commit \
             the result\n",
            out_arg(&dir)
        )),
        "{stderr}"
    );
    assert_eq!(
        fs::read(&main).expect("read"),
        before,
        "--check writes nothing"
    );
}

/// A one-character change inside `container_definitions` (JSON text in one long string) is
/// one attribute path and one changed line of the diff, in every registered stack.
#[test]
fn check_shows_a_changed_image_tag_as_one_line() {
    use ecsynth::review::Json;
    let dir = support::scratch_dir("check-image");
    synth_all(&dir);
    for name in stacks::registry().names() {
        let main = dir.join(name).join("main.tf.json");
        let text = fs::read_to_string(&main).expect("read");
        let json = Json::parse(text.as_bytes()).expect("JSON");
        let Some((label, image)) = json
            .get("resource")
            .and_then(|resources| resources.get("aws_ecs_task_definition"))
            .and_then(Json::as_object)
            .and_then(|tasks| tasks.first())
            .map(|(label, task)| {
                let definitions = task
                    .get("container_definitions")
                    .and_then(Json::as_str)
                    .expect("JSON text");
                let definitions = Json::parse(definitions.as_bytes()).expect("JSON");
                let Json::Array(containers) = definitions else {
                    panic!("container_definitions is a list");
                };
                let image = containers[0].get("image").and_then(Json::as_str);
                (label.clone(), image.expect("image").to_owned())
            })
        else {
            continue;
        };
        let stale = format!("{}X", image.strip_suffix(|_| true).expect("not empty"));
        let escaped = |image: &str| format!("\\\"image\\\":\\\"{image}\\\"");
        assert_eq!(text.matches(&escaped(&image)).count(), 1, "stack `{name}`");
        fs::write(&main, text.replace(&escaped(&image), &escaped(&stale))).expect("write");

        let (code, _, stderr) = run(
            &stacks::registry(),
            &["synth", name, "--check", "--out", &out_arg(&dir)],
        );
        assert_eq!(code, 1, "{stderr}");
        let address = format!("aws_ecs_task_definition.{label}");
        assert!(
            stderr.starts_with(&format!(
                "error: stack `{name}`: {} is out of date\n  \
                 changed: {address}\n    \
                 container_definitions[0].image: \"{stale}\" → \"{image}\"\n    \
                 --- {address} on disk\n",
                main.display()
            )),
            "{stderr}"
        );
        let removed: Vec<&str> = stderr
            .lines()
            .filter(|line| line.starts_with("    -") && !line.starts_with("    ---"))
            .collect();
        let added: Vec<&str> = stderr
            .lines()
            .filter(|line| line.starts_with("    +") && !line.starts_with("    +++"))
            .collect();
        assert_eq!(removed, [format!("    -        \"image\": \"{stale}\",")]);
        assert_eq!(added, [format!("    +        \"image\": \"{image}\",")]);
    }
}

#[test]
fn check_of_missing_output_exits_1() {
    let dir = support::scratch_dir("check-missing");
    synth_all(&dir);
    fs::remove_file(dir.join("staging").join("main.tf.json")).expect("remove");
    let (code, _, stderr) = run(
        &stacks::registry(),
        &["synth", "staging", "--check", "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        format!(
            "error: stack `staging`: {} is missing\n\
             error: committed output is stale; run `ecsynth synth staging --out {}` and commit \
             the result\n",
            dir.join("staging").join("main.tf.json").display(),
            out_arg(&dir)
        )
    );
    assert!(!dir.join("staging").join("main.tf.json").exists());
}

#[test]
fn check_reports_output_that_is_not_json() {
    let dir = support::scratch_dir("check-not-json");
    synth_all(&dir);
    let main = dir.join("dev").join("main.tf.json");
    fs::write(&main, "<<<<<<< HEAD\n").expect("write");
    let (code, _, stderr) = run(
        &stacks::registry(),
        &["synth", "dev", "--check", "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(&format!(
            "error: stack `dev`: {} is out of date\n  not valid JSON: ",
            main.display()
        )),
        "{stderr}"
    );
}

#[test]
fn check_of_an_invalid_stack_exits_2() {
    let dir = support::scratch_dir("check-invalid");
    let (code, stdout, stderr) = run(
        &registry(),
        &["synth", "invalid", "--check", "--out", &out_arg(&dir)],
    );
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("`task_size.cpu`"), "{stderr}");
}

// A reference to a resource of another document cannot reach a file: the write fails first.

#[test]
fn a_reference_outside_the_document_fails_the_write_and_keeps_the_previous_file() {
    use ecsynth::aws::{CloudwatchLogGroup, IamRole, Tags};
    use ecsynth::synth::Synthesized;
    use ecsynth::tf::{Document, TerraformSettings};

    let mut other = Document::new(TerraformSettings::new(">= 1.5.0"));
    let foreign = other.add(
        "foreign",
        IamRole {
            name: "x".into(),
            description: "x".into(),
            assume_role_policy: "{}".into(),
            tags: Tags::new(),
        },
    );
    let mut document = Document::new(TerraformSettings::new(">= 1.5.0"));
    document.add(
        "logs",
        CloudwatchLogGroup {
            name: foreign.name(),
            retention_in_days: 30,
            kms_key_id: None,
            tags: Tags::new(),
        },
    );
    let dir = support::scratch_dir("foreign-reference");
    let previous = dir.join("shop").join("main.tf.json");
    fs::create_dir_all(previous.parent().expect("parent")).expect("mkdir");
    fs::write(&previous, "previous output\n").expect("seed");
    let synthesized = Synthesized {
        stack: "shop".into(),
        document,
    };
    let error = synthesized
        .write_to(&dir)
        .expect_err("a foreign reference fails the write");
    assert!(
        error
            .to_string()
            .starts_with("stack `shop`: cannot render Terraform JSON"),
        "{error}"
    );
    assert_eq!(
        fs::read_to_string(&previous).expect("kept"),
        "previous output\n"
    );
}

#[test]
fn underscores_suit_ecs_but_not_target_groups() {
    assert_eq!(
        problems(|_, service| service.name = "api_v2".into()),
        ["error: stack `shop` › service `api_v2` › `name`: target group name `shop-api_v2-green` \
          (made from the stack name `shop` and the service name `api_v2`) contains `_`; target \
          group names allow only A-Z, a-z, 0-9 and `-`; rename the service name `api_v2`"]
    );
}

#[test]
fn a_load_balancer_id_from_another_stack_is_refused_even_when_its_index_exists_here() {
    let mut other = Stack::new("other", "eu-west-1");
    let foreign = other.add_load_balancer(LoadBalancer::application("web", Listener::http(80)));
    let mut stack = stack_with(|_, _| {});
    // Same index (0) as this stack's own load balancer, but handed out by `other`.
    stack.add_service(Service {
        name: "admin".into(),
        ..service(foreign)
    });
    let messages = messages(&stack);
    assert!(
        messages.contains(
            &"error: stack `shop` › service `admin` › `traffic.load_balancer`: refers to a load \
              balancer that was not added to this stack"
                .to_owned()
        ),
        "{messages:#?}"
    );
}
