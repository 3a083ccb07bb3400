//! The stacks this repository deploys. Each environment is one function over shared settings;
//! `registry` makes them available to `cargo run -- synth <name>`.

mod ec2;
mod jenkins;
pub mod shop;
mod web;
mod web_ecs;

use ecsynth::model::{Backend, DeploymentConfig, Listener, LoadBalancer, Stack, TaskSize};
use ecsynth::registry::Registry;

/// The account's central bucket for load balancer access logs (SSE-S3, writable by the ELB
/// account of eu-west-1); each load balancer writes under `<stack>/<load balancer>`.
pub const ACCESS_LOG_BUCKET: &str = "storefront-lb-access-logs-123456789012";

/// Where the team's stacks keep their Terraform state (`<stack>/terraform.tfstate`).
pub const STATE_BUCKET: &str = "storefront-terraform-state-123456789012";

/// Remote state for the stacks a team shares.
pub fn team_state() -> Backend {
    Backend::s3(STATE_BUCKET, "eu-west-1")
}

/// The stacks' address locks, `locks/<stack>.json` next to their definitions; the binary
/// reads and writes them (README, "Renaming and upgrading safely").
pub const LOCKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/locks");

pub fn registry() -> Registry {
    let mut registry = Registry::new();
    registry
        .register("dev", dev)
        .register("staging", staging)
        .register("staging-ecs", web_ecs::staging_ecs)
        .register("prod", prod)
        .register("dev-ec2", ec2::dev_ec2)
        .register("prod-ec2", ec2::prod_ec2)
        .register("shop", shop::shop)
        .register("jenkins", jenkins::jenkins);
    registry
}

/// Small and internal, behind an NLB; deploys all at once.
pub fn dev() -> Stack {
    web::stack(web::Settings {
        name: "dev",
        state: Backend::Local,
        region: "eu-west-1",
        load_balancer: LoadBalancer::network("web", Listener::tcp(80))
            .internal()
            .test_listener(Listener::tcp(8080))
            .allowed_cidrs(&["10.0.0.0/8"])
            // NLBs log TLS listeners only: set so that logs start with the first TLS listener.
            .access_logs(ACCESS_LOG_BUCKET, "dev/web")
            // Recreated at will.
            .deletion_protection(false),
        separate_load_balancer_subnets: false,
        task_size: TaskSize {
            cpu: 256,
            memory: 512,
        },
        image_tag: "latest-dev",
        min_tasks: 1,
        max_tasks: 2,
        deployment: DeploymentConfig::AllAtOnce,
        termination_wait_minutes: 0,
        log_retention_days: 7,
        database_url_parameter:
            "arn:aws:ssm:eu-west-1:123456789012:parameter/storefront/dev/database-url",
    })
}

/// Internal HTTPS ALB, as in prod (HTTP 80 redirects); shifts traffic linearly so problems
/// surface before prod.
pub fn staging() -> Stack {
    let certificate =
        "arn:aws:acm:eu-west-1:123456789012:certificate/7c2e4a91-3b5d-4f08-9e6a-1d8b0c3f5a72";
    web::stack(web::Settings {
        name: "staging",
        state: team_state(),
        region: "eu-west-1",
        load_balancer: LoadBalancer::application("web", Listener::https(443, certificate))
            .internal()
            .test_listener(Listener::https(8443, certificate))
            .allowed_cidrs(&["10.0.0.0/8"])
            .access_logs(ACCESS_LOG_BUCKET, "staging/web")
            // Recreated at will.
            .deletion_protection(false),
        separate_load_balancer_subnets: false,
        task_size: TaskSize {
            cpu: 512,
            memory: 1024,
        },
        image_tag: "1.4.0-rc.1",
        min_tasks: 2,
        max_tasks: 4,
        deployment: DeploymentConfig::Linear10PercentEvery1Minutes,
        termination_wait_minutes: 5,
        log_retention_days: 30,
        database_url_parameter:
            "arn:aws:ssm:eu-west-1:123456789012:parameter/storefront/staging/database-url",
    })
}

/// Internet-facing ALB with HTTPS and a test listener; canary deployments.
pub fn prod() -> Stack {
    let certificate =
        "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8e1c-2f4d-4c59-9a57-6f2f2c9d1e21";
    web::stack(web::Settings {
        name: "prod",
        state: team_state(),
        region: "eu-west-1",
        load_balancer: LoadBalancer::application("web", Listener::https(443, certificate))
            .test_listener(Listener::https(8443, certificate))
            // Releases are checked from the office network before they take traffic.
            .test_listener_cidrs(&["10.0.0.0/8"])
            .access_logs(ACCESS_LOG_BUCKET, "prod/web"),
        separate_load_balancer_subnets: true,
        task_size: TaskSize {
            cpu: 1024,
            memory: 2048,
        },
        image_tag: "1.3.2",
        min_tasks: 3,
        max_tasks: 12,
        deployment: DeploymentConfig::Canary10Percent5Minutes,
        termination_wait_minutes: 30,
        log_retention_days: 365,
        database_url_parameter:
            "arn:aws:ssm:eu-west-1:123456789012:parameter/storefront/prod/database-url",
    })
}
