//! A Jenkins controller on ECS (seed 000): one task on EC2 behind a classic ELB, because
//! inbound agents speak plain TCP on 50000 next to the web UI; `jenkins_home` on EFS so it
//! survives the instance; a rolling deployment that never runs two controllers.
//!
//! Secured from the first start: the image (`images/jenkins/`, built by the team's pipeline)
//! adds the configuration-as-code plugin, which the official image lacks, and a
//! configuration with one local admin whose password ECS reads from Secrets Manager. With the
//! setup wizard off and no such configuration, Jenkins would let anyone administer it.

use ecsynth::model::{
    ClassicHealthCheck, ClassicListener, ClassicLoadBalancer, ClassicTraffic, Compute, Container,
    Ec2Capacity, Exposure, PosixUser, Rolling, Service, Stack, TaskSize, Volume,
};

const CERTIFICATE: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/8d2e4b6a-1c3f-4a5e-9b7d-0f1e2d3c4b5a";
const WEB_PORT: u16 = 8080;
const AGENT_PORT: u16 = 50000;
/// The `jenkins` user of the official image.
const JENKINS_UID: u32 = 1000;
/// `images/jenkins/Dockerfile`: jenkins/jenkins:2.479.2-lts-jdk17 with configuration-as-code.
const IMAGE: &str =
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform-jenkins:2.479.2-lts-jdk17-casc";
/// `images/jenkins/casc.yaml`, where the image puts it.
const CASC_FILE: &str = "/usr/share/jenkins/casc/jenkins.yaml";
/// The admin's password: the `password` key of a JSON secret.
const ADMIN_PASSWORD: &str =
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jenkins/admin-Q7x2Lp:password::";

pub fn jenkins() -> Stack {
    let mut stack = Stack::new("jenkins", "eu-west-1");
    stack.backend(super::team_state());
    stack
        .tag("Application", "jenkins")
        .tag("Owner", "platform-team")
        .cluster_name("jenkins")
        // Jenkins runs in the CI account, where it is the first ECS cluster: the stack
        // creates ECS's service-linked role before its capacity provider needs it.
        .create_ecs_service_linked_role();
    let controllers =
        stack.add_capacity_provider(Ec2Capacity::new("controller", "m6i.large").size(1..=2));
    let elb = stack.add_classic_load_balancer(
        ClassicLoadBalancer::new(
            "controller",
            vec![
                // No plain HTTP: logins would cross the network in clear text, and a classic
                // ELB cannot redirect to HTTPS.
                ClassicListener::https(443, CERTIFICATE).instance_port(WEB_PORT),
                ClassicListener::tcp(AGENT_PORT),
            ],
            ClassicHealthCheck::http(WEB_PORT, "/login"),
        )
        .internal()
        .allowed_cidrs(&["10.0.0.0/8"])
        .access_logs(super::ACCESS_LOG_BUCKET, "jenkins/controller")
        // Agents hold their connection open between builds.
        .idle_timeout(3600),
    );
    let controller = Container::new("jenkins", IMAGE)
        .port(WEB_PORT)
        .port(AGENT_PORT)
        .cpu_units(1024)
        .memory_reservation(3072)
        // The wizard's admin user comes from configuration-as-code instead.
        .env("JAVA_OPTS", "-Djenkins.install.runSetupWizard=false")
        .env("CASC_JENKINS_CONFIG", CASC_FILE)
        .secret("JENKINS_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .mount("jenkins_home", "/var/jenkins_home")
        .mount("tmp", "/tmp");
    let web = controller.target(WEB_PORT);
    stack.add_service(
        Service::new(
            "controller",
            TaskSize {
                cpu: 2048,
                memory: 4096,
            },
        )
        .compute(Compute::ec2(controllers))
        .container(controller)
        .volume(Volume::efs(
            "jenkins_home",
            PosixUser {
                uid: JENKINS_UID,
                gid: JENKINS_UID,
            },
        ))
        .volume(Volume::scratch("tmp"))
        .rolling(
            Rolling::behind(Exposure::Classic(ClassicTraffic::new(elb, web))).stop_before_start(),
        )
        .desired_count(1)
        // Jenkins loads its plugins before /login answers.
        .health_check_grace_period_seconds(300)
        .log_retention_days(90),
    );
    stack
}
