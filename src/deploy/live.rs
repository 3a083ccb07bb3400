//! The AWS side of a deploy: the pre-checks, the values only known after apply, registering
//! the task definition and starting the deployment. Credentials, profile and region come from
//! the SDK's standard chain (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, …); the stack's
//! own region is the fallback when the chain names none.

use std::collections::HashMap;

use crate::model::DeploymentEvent;
use aws_config::BehaviorVersion;
use aws_sdk_ecs::error::DisplayErrorContext;
use aws_sdk_ecs::types::{Service, Tag};
use serde_json::Value;

use super::image::ImageRef;
use super::notify::Notifier;
use super::plan::{self, ServicePlan};
use super::registry;
use super::taskdef::{self, TaskDefinition};
use super::template::{self, reference};
use super::{Stop, Streams};

/// The tag each revision `ecsynth deploy` registers carries: the version shipped (the tag, or
/// the digest when deployed by digest).
pub const VERSION_TAG: &str = "ecsynth:version";
/// The tag holding the image reference as given, before it was pinned by digest.
pub const IMAGE_TAG: &str = "ecsynth:image";

pub struct Aws {
    pub ecs: aws_sdk_ecs::Client,
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub sns: aws_sdk_sns::Client,
    config: aws_config::SdkConfig,
}

/// What a deploy ships.
pub struct Shipment<'a> {
    pub plan: &'a ServicePlan,
    pub document: &'a Value,
    pub container: &'a str,
    pub image: &'a ImageRef,
}

/// A deployment that started.
pub enum Started {
    CodeDeploy {
        deployment_id: String,
    },
    Rolling {
        task_definition: String,
        /// Where the deployment's events go, when the service has a deployment topic.
        notifier: Option<Notifier>,
    },
}

/// The error of a call made after `arn` was registered: something changed already (exit 1).
fn failed_after<E: std::error::Error>(arn: &str, what: &str) -> impl FnOnce(E) -> Stop {
    let context = format!("registered {arn}, but {what}");
    move |error| Stop::Failed(format!("{context}: {}", sdk_error(error)))
}

/// An SDK error with its whole chain of causes (service code and message included).
pub fn sdk_error(error: impl std::error::Error) -> String {
    DisplayErrorContext(error).to_string()
}

/// What a deploy registers and starts, read from the model and filled with live values.
struct Release {
    task: TaskDefinition,
    appspec: Option<String>,
    topic: Option<String>,
}

/// The tags of a registered revision: the stack's (provider defaults, then the task
/// definition's own), then the version shipped and the image as given.
fn revision_tags(plan: &ServicePlan, image: &ImageRef) -> Vec<Tag> {
    let mut tags: Vec<Tag> = plan
        .tags
        .iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect();
    tags.push(
        Tag::builder()
            .key(VERSION_TAG)
            .value(image.version())
            .build(),
    );
    tags.push(
        Tag::builder()
            .key(IMAGE_TAG)
            .value(image.to_string())
            .build(),
    );
    tags
}

/// How the live service differs from the stack's, in what a deploy relies on: its deployment
/// controller and its load balancers.
fn differences_from_stack(plan: &ServicePlan, service: &Service) -> Vec<String> {
    let mut differences = Vec::new();
    let controller = service
        .deployment_controller()
        .map(|c| c.r#type().as_str().to_owned())
        .unwrap_or_else(|| "ECS".into());
    if controller != plan.controller {
        differences.push(format!(
            "deployment controller is {controller}, the stack has {}",
            plan.controller
        ));
    }
    differences.extend(load_balancer_difference(plan, service));
    differences
}

/// `load balancers are [live], the stack has [expected]` when the service's load balancers are
/// not the stack's; with CodeDeploy, either target group of the pair matches.
fn load_balancer_difference(plan: &ServicePlan, service: &Service) -> Option<String> {
    let live: Vec<String> = service
        .load_balancers()
        .iter()
        .map(|lb| {
            format!(
                "{} → {}:{}",
                lb.target_group_arn()
                    .map(target_group_name)
                    .or(lb.load_balancer_name())
                    .unwrap_or("?"),
                lb.container_name().unwrap_or("?"),
                lb.container_port().unwrap_or_default()
            )
        })
        .collect();
    let matches = live.len() == plan.load_balancers.len()
        && plan.load_balancers.iter().all(|expected| {
            service.load_balancers().iter().any(|lb| {
                lb.container_name() == Some(expected.container_name.as_str())
                    && lb.container_port() == Some(expected.container_port)
                    && match (lb.target_group_arn(), lb.load_balancer_name()) {
                        (Some(arn), _) => expected
                            .target_groups
                            .iter()
                            .any(|name| name == target_group_name(arn)),
                        (None, Some(name)) => expected.elb_name.as_deref() == Some(name),
                        (None, None) => false,
                    }
            })
        });
    if matches {
        return None;
    }
    let expected: Vec<String> = plan
        .load_balancers
        .iter()
        .map(|lb| {
            format!(
                "{} → {}:{}",
                lb.elb_name
                    .clone()
                    .unwrap_or_else(|| lb.target_groups.join(" or ")),
                lb.container_name,
                lb.container_port
            )
        })
        .collect();
    Some(format!(
        "load balancers are [{}], the stack has [{}]",
        live.join(", "),
        expected.join(", ")
    ))
}

impl Aws {
    pub async fn connect(document: &Value) -> Aws {
        let stack_region = document
            .get("provider")
            .and_then(|p| p.get("aws"))
            .and_then(|aws| match aws {
                Value::Array(list) => list.first(),
                other => Some(other),
            })
            .and_then(|aws| aws.get("region"))
            .and_then(Value::as_str)
            .filter(|region| !region.contains("${"))
            .map(|region| aws_config::Region::new(region.to_owned()));
        let region =
            aws_config::meta::region::RegionProviderChain::default_provider().or_else(stack_region);
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .load()
            .await;
        Aws {
            ecs: aws_sdk_ecs::Client::new(&config),
            codedeploy: aws_sdk_codedeploy::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            config,
        }
    }

    /// Pre-checks (nothing changes when one fails), then register and start.
    pub async fn ship(
        &self,
        ship: &Shipment<'_>,
        streams: &mut Streams<'_>,
    ) -> Result<Started, Stop> {
        let plan = ship.plan;
        // (1) The image exists, and is registered by digest.
        let pinned = self.pin(ship.image, streams).await?;
        streams.say(format_args!("image: {pinned}"));
        // (2) The cluster and service exist, are ACTIVE, and are the ones the stack describes.
        let service = self.live_service(plan).await?;
        // CodeDeploy runs one deployment per group at a time; refuse before registering.
        if let Some(running) = self.in_flight(plan).await? {
            return Err(Stop::Invalid(format!(
                "deployment {running} of this service is still in progress; wait for it, or \
                 stop it with `ecsynth rollback {} {}`",
                plan.stack, plan.service
            )));
        }
        // (3) The task definition from the model, with live values filled in.
        let release = self.release(ship, &service, &pinned).await?;
        // Everything checked: from here on, things change.
        let arn = self
            .register(&release.task, revision_tags(plan, ship.image))
            .await?;
        streams.say(format_args!("registered {arn}"));
        match (&plan.codedeploy, release.appspec) {
            (Some(codedeploy), Some(appspec)) => {
                self.start_codedeploy(ship, codedeploy, &appspec, &arn, streams)
                    .await
            }
            _ => {
                self.start_rolling(ship, release.topic, &pinned, arn, streams)
                    .await
            }
        }
    }

    /// The model's task definition, AppSpec and deployment topic, with the values only known
    /// after apply filled in from the live service and its running task definition.
    async fn release(
        &self,
        ship: &Shipment<'_>,
        service: &Service,
        pinned: &str,
    ) -> Result<Release, Stop> {
        let plan = ship.plan;
        let live_task = self
            .task_definition(service.task_definition().unwrap_or_default())
            .await
            .ok();
        let resolver = Resolver::new(ship.document, service, live_task.as_ref());
        let task = resolver.task_definition(plan, ship.container, pinned)?;
        let appspec = match &plan.appspec {
            Some(text) => Some(resolver.appspec(text)?),
            None => None,
        };
        let topic = match &plan.topic {
            Some(text) => Some(resolver.fill(text).map_err(|message| {
                Stop::Invalid(format!("the deployment topic from the model: {message}"))
            })?),
            None => None,
        };
        Ok(Release {
            task,
            appspec,
            topic,
        })
    }

    /// A CodeDeploy deployment of the registered revision `arn`, through the model's AppSpec.
    async fn start_codedeploy(
        &self,
        ship: &Shipment<'_>,
        codedeploy: &plan::CodeDeployPlan,
        appspec: &str,
        arn: &str,
        streams: &mut Streams<'_>,
    ) -> Result<Started, Stop> {
        let plan = ship.plan;
        let content = appspec.replace("<TASK_DEFINITION>", arn);
        let created = self
            .codedeploy
            .create_deployment()
            .application_name(&codedeploy.application)
            .deployment_group_name(&codedeploy.group)
            .description(format!(
                "ecsynth deploy {} {} --image {}",
                plan.stack, plan.service, ship.image
            ))
            .revision(
                aws_sdk_codedeploy::types::RevisionLocation::builder()
                    .revision_type(aws_sdk_codedeploy::types::RevisionLocationType::AppSpecContent)
                    .app_spec_content(
                        aws_sdk_codedeploy::types::AppSpecContent::builder()
                            .content(content)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(failed_after(arn, "CodeDeploy did not start the deployment"))?;
        let id = created.deployment_id().unwrap_or_default().to_owned();
        streams.say(format_args!(
            "deployment {id} started (application {}, deployment group {})",
            codedeploy.application, codedeploy.group
        ));
        Ok(Started::CodeDeploy { deployment_id: id })
    }

    /// A rolling deployment: the service moves to the registered revision `arn`; ecsynth
    /// announces the start on the deployment topic, when the service has one.
    async fn start_rolling(
        &self,
        ship: &Shipment<'_>,
        topic: Option<String>,
        pinned: &str,
        arn: String,
        streams: &mut Streams<'_>,
    ) -> Result<Started, Stop> {
        let plan = ship.plan;
        let updated = self
            .ecs
            .update_service()
            .cluster(&plan.cluster)
            .service(&plan.service)
            .task_definition(&arn)
            .send()
            .await
            .map_err(failed_after(&arn, "UpdateService failed"))?;
        // ECS names the deployment of the new revision in its answer.
        let deployment_id = updated.service().and_then(|service| {
            service
                .deployments()
                .iter()
                .find(|d| d.task_definition() == Some(arn.as_str()))
                .and_then(|d| d.id())
                .map(str::to_owned)
        });
        streams.say(format_args!(
            "rolling deployment started: service `{}` on cluster `{}` → {arn}",
            plan.service, plan.cluster
        ));
        let notifier = topic.map(|topic| Notifier::new(plan, topic, &arn, deployment_id, pinned));
        if let Some(notifier) = &notifier {
            let detail = format!("deploying {} ({})", ship.image, pinned);
            notifier
                .publish(self, DeploymentEvent::Start, &detail, streams)
                .await;
        }
        Ok(Started::Rolling {
            task_definition: arn,
            notifier,
        })
    }

    /// The image by digest: ECR `DescribeImages` for an ECR repository, the registry's HTTP
    /// API for any other ([`registry`]). A reference by digest to a registry that does not
    /// answer anonymously is taken as given, with a warning.
    async fn pin(&self, image: &ImageRef, streams: &mut Streams<'_>) -> Result<String, Stop> {
        let Some(ecr) = image.ecr() else {
            return match (registry::digest(image).await, &image.digest) {
                (Ok(digest), _) => Ok(image.pinned(&digest)),
                (Err(error), Some(digest)) if !error.missing => {
                    streams.problem(format_args!(
                        "warning: `--image {image}`: cannot check the image: {}; deploying the \
                         digest as given",
                        error.message
                    ));
                    Ok(image.pinned(digest))
                }
                (Err(error), _) => Err(Stop::Invalid(format!(
                    "`--image {image}`: {}",
                    error.message
                ))),
            };
        };
        let config = self
            .config
            .to_builder()
            .region(aws_config::Region::new(ecr.region.clone()))
            .build();
        let client = aws_sdk_ecr::Client::new(&config);
        let id = aws_sdk_ecr::types::ImageIdentifier::builder()
            .set_image_tag(image.tag.clone().filter(|_| image.digest.is_none()))
            .set_image_digest(image.digest.clone())
            .build();
        let found = client
            .describe_images()
            .registry_id(&ecr.account)
            .repository_name(&image.repository)
            .image_ids(id)
            .send()
            .await
            .map_err(|e| {
                Stop::Invalid(format!(
                    "`--image {image}`: not found in ECR (registry {}, region {}): {}",
                    ecr.account,
                    ecr.region,
                    sdk_error(e)
                ))
            })?;
        let digest = found
            .image_details()
            .first()
            .and_then(|detail| detail.image_digest())
            .ok_or_else(|| Stop::Invalid(format!("`--image {image}`: ECR returned no image")))?;
        if let Some(wanted) = &image.digest {
            if wanted != digest {
                return Err(Stop::Invalid(format!(
                    "`--image {image}`: ECR has digest {digest} for it"
                )));
            }
        }
        Ok(image.pinned(digest))
    }

    /// The live service, after checking the cluster and service are ACTIVE and match the model.
    pub async fn live_service(&self, plan: &ServicePlan) -> Result<Service, Stop> {
        self.check_cluster_active(plan).await?;
        let service = self.active_service(plan).await?;
        let differences = differences_from_stack(plan, &service);
        if !differences.is_empty() {
            return Err(Stop::Invalid(format!(
                "the live service is not the one this stack describes: {}; apply the stack \
                 first",
                differences.join("; ")
            )));
        }
        Ok(service)
    }

    /// The stack's cluster exists and is ACTIVE.
    async fn check_cluster_active(&self, plan: &ServicePlan) -> Result<(), Stop> {
        let clusters = self
            .ecs
            .describe_clusters()
            .clusters(&plan.cluster)
            .send()
            .await
            .map_err(|e| {
                Stop::Invalid(format!(
                    "cannot describe cluster `{}`: {}",
                    plan.cluster,
                    sdk_error(e)
                ))
            })?;
        let cluster_status = clusters
            .clusters()
            .iter()
            .find(|c| c.cluster_name() == Some(plan.cluster.as_str()))
            .and_then(|c| c.status());
        match cluster_status {
            Some("ACTIVE") => Ok(()),
            Some(other) => Err(Stop::Invalid(format!(
                "cluster `{}` is {other}, not ACTIVE; has the stack been applied?",
                plan.cluster
            ))),
            None => Err(Stop::Invalid(format!(
                "cluster `{}` does not exist; has the stack been applied (`terraform apply`) \
                 in this account and region?",
                plan.cluster
            ))),
        }
    }

    /// The stack's service on its cluster, when it exists and is ACTIVE.
    async fn active_service(&self, plan: &ServicePlan) -> Result<Service, Stop> {
        let Some(service) = self.describe_service(plan, Stop::Invalid).await? else {
            return Err(Stop::Invalid(format!(
                "service `{}` does not exist on cluster `{}`; has the stack been applied?",
                plan.service, plan.cluster
            )));
        };
        match service.status() {
            Some("ACTIVE") => Ok(service),
            other => Err(Stop::Invalid(format!(
                "service `{}` on cluster `{}` is {}, not ACTIVE",
                plan.service,
                plan.cluster,
                other.unwrap_or("in no state")
            ))),
        }
    }

    /// The service as ECS describes it, `None` when it does not exist; a failed call is a
    /// `stop` (`Stop::Invalid` before anything changed, `Stop::Failed` after).
    pub async fn describe_service(
        &self,
        plan: &ServicePlan,
        stop: fn(String) -> Stop,
    ) -> Result<Option<Service>, Stop> {
        let described = self
            .ecs
            .describe_services()
            .cluster(&plan.cluster)
            .services(&plan.service)
            .send()
            .await
            .map_err(|e| stop(format!("cannot describe the service: {}", sdk_error(e))))?;
        Ok(described.services().first().cloned())
    }

    pub async fn task_definition(
        &self,
        arn: &str,
    ) -> Result<aws_sdk_ecs::types::TaskDefinition, String> {
        Ok(self.tagged_task_definition(arn).await?.0)
    }

    /// The task definition `arn` and its tags.
    pub async fn tagged_task_definition(
        &self,
        arn: &str,
    ) -> Result<(aws_sdk_ecs::types::TaskDefinition, Vec<Tag>), String> {
        let described = self
            .ecs
            .describe_task_definition()
            .task_definition(arn)
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(sdk_error)?;
        let task = described
            .task_definition()
            .cloned()
            .ok_or_else(|| format!("no task definition {arn}"))?;
        Ok((task, described.tags().to_vec()))
    }

    async fn register(&self, task: &TaskDefinition, tags: Vec<Tag>) -> Result<String, Stop> {
        let registered = self
            .ecs
            .register_task_definition()
            .family(&task.family)
            .set_execution_role_arn(task.execution_role_arn.clone())
            .set_task_role_arn(task.task_role_arn.clone())
            .set_network_mode(task.network_mode.clone())
            .set_requires_compatibilities(Some(task.requires_compatibilities.clone()))
            .set_cpu(task.cpu.clone())
            .set_memory(task.memory.clone())
            .set_runtime_platform(task.runtime_platform.clone())
            .set_container_definitions(Some(task.containers.clone()))
            .set_volumes((!task.volumes.is_empty()).then(|| task.volumes.clone()))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| {
                Stop::Failed(format!("RegisterTaskDefinition failed: {}", sdk_error(e)))
            })?;
        registered
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .map(str::to_owned)
            .ok_or_else(|| Stop::Failed("RegisterTaskDefinition returned no ARN".into()))
    }

    /// A blue/green deployment of the service's group that has not finished.
    pub async fn in_flight(&self, plan: &ServicePlan) -> Result<Option<String>, Stop> {
        let Some(codedeploy) = &plan.codedeploy else {
            return Ok(None);
        };
        use aws_sdk_codedeploy::types::DeploymentStatus as S;
        let listed = self
            .codedeploy
            .list_deployments()
            .application_name(&codedeploy.application)
            .deployment_group_name(&codedeploy.group)
            .set_include_only_statuses(Some(vec![
                S::Created,
                S::Queued,
                S::InProgress,
                S::Ready,
                S::Baking,
            ]))
            .send()
            .await
            .map_err(|e| Stop::Invalid(format!("cannot list deployments: {}", sdk_error(e))))?;
        Ok(listed.deployments().first().cloned())
    }

    pub async fn stop_with_rollback(&self, deployment: &str) -> Result<(), Stop> {
        self.codedeploy
            .stop_deployment()
            .deployment_id(deployment)
            .auto_rollback_enabled(true)
            .send()
            .await
            .map_err(|e| {
                Stop::Invalid(format!(
                    "cannot stop deployment {deployment}: {}",
                    sdk_error(e)
                ))
            })?;
        Ok(())
    }

    /// The image and revision number of the newest revision of the family older than the live
    /// one that `ecsynth deploy` registered (it carries [`IMAGE_TAG`]) with another image than
    /// the live one.
    pub async fn previous_image(&self, plan: &ServicePlan) -> Result<(String, i32), Stop> {
        let service = self.live_service(plan).await?;
        let live = service.task_definition().unwrap_or_default().to_owned();
        let live_revision = revision_of(&live);
        let container = super::pick_container(plan, None).map_err(Stop::Invalid)?;
        let image_of = |task: Option<&aws_sdk_ecs::types::TaskDefinition>| {
            task.and_then(|task| {
                task.container_definitions()
                    .iter()
                    .find(|c| c.name() == Some(container.as_str()))
                    .and_then(|c| c.image())
                    .map(str::to_owned)
            })
        };
        let live_image = image_of(self.task_definition(&live).await.ok().as_ref());
        let listed = self
            .ecs
            .list_task_definitions()
            .family_prefix(&plan.family)
            .sort(aws_sdk_ecs::types::SortOrder::Desc)
            .send()
            .await
            .map_err(|e| {
                Stop::Invalid(format!("cannot list task definitions: {}", sdk_error(e)))
            })?;
        for arn in listed.task_definition_arns() {
            if revision_of(arn) >= live_revision || !arn.contains(&format!("/{}:", plan.family)) {
                continue;
            }
            let (task, tags) = self
                .tagged_task_definition(arn)
                .await
                .map_err(Stop::Invalid)?;
            let image = tag_value(&tags, IMAGE_TAG);
            let pinned = image_of(Some(&task));
            // The previous version: an image other than the one running now.
            if let (Some(_), Some(pinned)) = (image, pinned) {
                if Some(&pinned) != live_image.as_ref() {
                    return Ok((pinned, revision_of(arn)));
                }
            }
        }
        Err(Stop::Invalid(format!(
            "no earlier revision of family `{}` than the live one ({live}) was registered by \
             `ecsynth deploy`; nothing to roll back to",
            plan.family
        )))
    }
}

/// The value of tag `key`.
pub fn tag_value<'t>(tags: &'t [Tag], key: &str) -> Option<&'t str> {
    tags.iter()
        .find(|tag| tag.key() == Some(key))
        .and_then(|tag| tag.value())
}

/// `…:targetgroup/<name>/<id>` → `<name>`.
pub fn target_group_name(arn: &str) -> &str {
    arn.split(":targetgroup/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(arn)
}

/// The revision number at the end of a task definition ARN.
pub fn revision_of(arn: &str) -> i32 {
    arn.rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Fills the `${…}` of the model's task definition and AppSpec with live values.
struct Resolver<'a> {
    document: &'a Value,
    /// `arn:<partition>:ecs:<region>:<account>:…` of the live service.
    partition: String,
    region: String,
    account: String,
    subnets: Vec<String>,
    security_groups: Vec<String>,
    /// EFS ids by volume name, from the live revision (they exist only after apply).
    efs: HashMap<String, (Option<String>, Option<String>)>,
}

impl<'a> Resolver<'a> {
    fn new(
        document: &'a Value,
        service: &Service,
        live_task: Option<&aws_sdk_ecs::types::TaskDefinition>,
    ) -> Resolver<'a> {
        let arn: Vec<&str> = service
            .service_arn()
            .unwrap_or_default()
            .split(':')
            .collect();
        let network = service
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration());
        let efs = live_task
            .map(|task| {
                task.volumes()
                    .iter()
                    .filter_map(|volume| {
                        let efs = volume.efs_volume_configuration()?;
                        Some((
                            volume.name()?.to_owned(),
                            (
                                Some(efs.file_system_id().to_owned()),
                                efs.authorization_config()
                                    .and_then(|a| a.access_point_id())
                                    .map(str::to_owned),
                            ),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Resolver {
            document,
            partition: arn.get(1).copied().unwrap_or("aws").to_owned(),
            region: arn.get(3).copied().unwrap_or_default().to_owned(),
            account: arn.get(4).copied().unwrap_or_default().to_owned(),
            subnets: network.map(|n| n.subnets().to_vec()).unwrap_or_default(),
            security_groups: network
                .map(|n| n.security_groups().to_vec())
                .unwrap_or_default(),
            efs,
        }
    }

    /// A value the document or the live account gives for `expression`.
    fn resolve(
        &self,
        expression: &str,
        security_groups: &mut Vec<String>,
    ) -> Result<String, String> {
        if let Some(("aws_iam_role", label, "arn")) = reference(expression) {
            let role = plan::resource(self.document, "aws_iam_role", label)
                .ok_or_else(|| format!("no role `{label}` in the stack"))?;
            let name = plan::literal(self.document, &format!("aws_iam_role.{label}.name"))
                .ok_or_else(|| format!("role `{label}` has no literal name"))?;
            let path = role.get("path").and_then(Value::as_str).unwrap_or("/");
            return Ok(format!(
                "arn:{}:iam::{}:role{path}{name}",
                self.partition, self.account
            ));
        }
        if let Some(("aws_sns_topic", label, "arn")) = reference(expression) {
            // A topic the stack creates is in the service's account and region.
            let name = plan::literal(self.document, &format!("aws_sns_topic.{label}.name"))
                .ok_or_else(|| format!("topic `{label}` has no literal name"))?;
            return Ok(format!(
                "arn:{}:sns:{}:{}:{name}",
                self.partition, self.region, self.account
            ));
        }
        if let Some(("aws_security_group", label, "id")) = reference(expression) {
            // The AppSpec lists the service's groups in the order the service resource does.
            if !security_groups.contains(&label.to_owned()) {
                security_groups.push(label.to_owned());
            }
            let index = security_groups.iter().position(|l| l == label).unwrap_or(0);
            return self.security_groups.get(index).cloned().ok_or_else(|| {
                format!(
                    "the live service has no security group for `{label}` (awsvpc configuration)"
                )
            });
        }
        if let Some(variable) = expression
            .strip_prefix("jsonencode(var.")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            if variable.ends_with("subnet_ids") && !self.subnets.is_empty() {
                return serde_json::to_string(&self.subnets).map_err(|e| e.to_string());
            }
        }
        plan::literal(self.document, expression).ok_or_else(|| {
            format!("`${{{expression}}}` has no value ecsynth can find without Terraform's state")
        })
    }

    fn fill(&self, text: &str) -> Result<String, String> {
        let mut groups = Vec::new();
        template::fill(text, &mut |expression| {
            self.resolve(expression, &mut groups)
        })
    }

    fn fill_value(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(text) => Value::String(self.fill(text)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.fill_value(item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (key, item) in map {
                    out.insert(key.clone(), self.fill_value(item)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn task_definition(
        &self,
        plan: &ServicePlan,
        container: &str,
        image: &str,
    ) -> Result<TaskDefinition, Stop> {
        let mut resource = plan.task_definition.clone();
        // EFS file systems and access points are made by the stack: their ids come from the
        // live revision's volume of the same name.
        if let Some(volumes) = resource.get_mut("volume").and_then(Value::as_array_mut) {
            for volume in volumes {
                let name = volume
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let Some(efs) = volume.get_mut("efs_volume_configuration") else {
                    continue;
                };
                let (file_system, access_point) = self.efs.get(&name).cloned().unwrap_or_default();
                for (key, live) in [
                    ("file_system_id", file_system),
                    ("access_point_id", access_point),
                ] {
                    let slot = if key == "file_system_id" {
                        efs.get_mut(key)
                    } else {
                        efs.get_mut("authorization_config")
                            .and_then(|a| a.get_mut(key))
                    };
                    if let (Some(slot), Some(live)) = (slot, live) {
                        if slot.as_str().is_some_and(|s| s.contains("${")) {
                            *slot = Value::String(live);
                        }
                    }
                }
            }
        }
        let resource = self.fill_value(&resource).map_err(|message| {
            Stop::Invalid(format!("the task definition from the model: {message}"))
        })?;
        taskdef::from_resource(&resource, container, image).map_err(|message| {
            Stop::Invalid(format!("the task definition from the model: {message}"))
        })
    }

    fn appspec(&self, text: &str) -> Result<String, Stop> {
        self.fill(text)
            .map_err(|message| Stop::Invalid(format!("the AppSpec from the model: {message}")))
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        write!(f, "{}", self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// The task definition the model would register now for `plan`, with `image` in `container`,
/// against the live service: for `status`.
pub fn model_task_definition(
    document: &Value,
    plan: &ServicePlan,
    service: &Service,
    live_task: &aws_sdk_ecs::types::TaskDefinition,
    container: &str,
    image: &str,
) -> Result<TaskDefinition, String> {
    Resolver::new(document, service, Some(live_task))
        .task_definition(plan, container, image)
        .map_err(|stop| stop.message().to_owned())
}
