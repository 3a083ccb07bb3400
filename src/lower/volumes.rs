//! Task volumes. An EFS volume gets a file system of its own (encrypted at rest), a mount
//! target in every task subnet behind a security group open to the tasks only, an access
//! point owning the files as the volume's user, and task-role permission to mount through
//! that access point, encrypted in transit; AWS Backup's daily backups, and a file system
//! policy refusing every client that does not use TLS.

use super::Context;
use crate::aws::{
    BackupPolicy, CreationInfo, EfsAccessPoint, EfsAuthorizationConfig, EfsBackupPolicy,
    EfsFileSystem, EfsFileSystemPolicy, EfsMountTarget, EfsVolumeConfiguration, IamRole,
    IamRolePolicy, PosixUser, RootDirectory, SecurityGroup, Tags, TaskVolume,
    VpcSecurityGroupIngressRule,
};
use crate::model::naming::{suffixed, ServiceNames, VolumeNames};
use crate::model::{EfsVolume, Service, Volume, VolumeSource};
use crate::tf::{Dependency, Expr, List, Meta, Ref};

const NFS_PORT: u16 = 2049;

/// The task definition's volumes, and what the ECS service must wait for (mount targets, the
/// task role's mount policy).
pub fn lower(
    context: &mut Context,
    service: &Service,
    names: &ServiceNames,
    task_role: &Ref<IamRole>,
    tasks: &Ref<SecurityGroup>,
) -> (Vec<TaskVolume>, Vec<Dependency>) {
    let mut dependencies = Vec::new();
    let volumes = service
        .volumes
        .iter()
        .zip(&names.volumes)
        .map(|(volume, named)| match (&volume.source, named) {
            (VolumeSource::HostPath(path), _) => TaskVolume {
                name: (&volume.name).into(),
                host_path: Some(path.into()),
                efs_volume_configuration: None,
            },
            (VolumeSource::Scratch, _) | (VolumeSource::Efs(_), None) => TaskVolume {
                name: (&volume.name).into(),
                host_path: None,
                efs_volume_configuration: None,
            },
            (VolumeSource::Efs(efs), Some(named)) => {
                let (configuration, mount_targets) =
                    file_system(context, service, volume, named, efs, task_role, tasks);
                dependencies.extend(mount_targets);
                TaskVolume {
                    name: (&volume.name).into(),
                    host_path: None,
                    efs_volume_configuration: Some(configuration),
                }
            }
        })
        .collect();
    (volumes, dependencies)
}

fn file_system(
    context: &mut Context,
    service: &Service,
    volume: &Volume,
    named: &VolumeNames,
    efs: &EfsVolume,
    task_role: &Ref<IamRole>,
    clients: &Ref<SecurityGroup>,
) -> (EfsVolumeConfiguration, Vec<Dependency>) {
    let name = &named.label;
    let aws = &named.token;
    let mut tags = Tags::new();
    tags.insert("Name".into(), Expr::from(aws));
    let file_system = context.doc.add(
        name,
        EfsFileSystem {
            creation_token: aws.into(),
            encrypted: true,
            // The stack's own key, as for its logs: auditable and revocable.
            kms_key_id: context.log_kms_key.clone(),
            performance_mode: "generalPurpose".into(),
            throughput_mode: "elastic".into(),
            tags,
        },
    );
    // Automatic daily backups into the account's default AWS Backup vault (35 days).
    context.doc.add(
        name,
        EfsBackupPolicy {
            file_system_id: file_system.id(),
            backup_policy: BackupPolicy {
                status: "ENABLED".into(),
            },
        },
    );
    // The task definition mounts with TLS; the file system itself refuses any client that
    // does not (EFS user guide, "Enforcing encryption in transit": `aws:SecureTransport`).
    context.doc.add(
        name,
        EfsFileSystemPolicy {
            file_system_id: file_system.id(),
            policy: Expr::concat([
                Expr::from(
                    "{\"Statement\":[{\"Action\":\"*\",\"Condition\":{\"Bool\":\
                     {\"aws:SecureTransport\":\"false\"}},\"Effect\":\"Deny\",\
                     \"Principal\":{\"AWS\":\"*\"},\"Resource\":\"",
                ),
                file_system.arn(),
                Expr::from(
                    "\",\"Sid\":\"RefuseUnencryptedTransport\"}],\"Version\":\"2012-10-17\"}",
                ),
            ]),
        },
    );
    // `clients`: the tasks' own group under awsvpc; the instances' for bridge and host tasks,
    // which mount through the instance.
    let group = context.doc.add(
        &named.security_group.label,
        SecurityGroup {
            name: (&named.security_group.aws).into(),
            description: format!(
                "Mount targets of volume {} of service {}",
                volume.name, service.name
            )
            .into(),
            vpc_id: context.vpc_id.clone(),
            tags: Tags::new(),
        },
    );
    context.doc.add(
        &suffixed(name, "efs_from_tasks"),
        VpcSecurityGroupIngressRule {
            security_group_id: group.id(),
            description: format!("NFS from the tasks of {}", service.name).into(),
            ip_protocol: "tcp".into(),
            from_port: Some(NFS_PORT),
            to_port: Some(NFS_PORT),
            cidr_ipv4: None,
            referenced_security_group_id: Some(clients.id()),
        },
    );
    let mount_target = |subnet_id: Expr| EfsMountTarget {
        file_system_id: file_system.id(),
        subnet_id,
        security_groups: List::Items(vec![group.id()]),
    };
    let mount_targets: Vec<Dependency> = match context.subnet_ids.clone() {
        // Subnets known only at plan time: one mount target per element.
        List::Whole(subnets) => {
            let target = mount_target(context.doc.each_value());
            vec![context
                .doc
                .add_with(
                    name,
                    target,
                    Meta {
                        for_each: Some(Expr::call("toset", [subnets])),
                        ..Meta::default()
                    },
                )
                .dependency()]
        }
        List::Items(subnets) => subnets
            .into_iter()
            .enumerate()
            .map(|(n, subnet)| {
                context
                    .doc
                    .add(&format!("{name}_{n}"), mount_target(subnet))
                    .dependency()
            })
            .collect(),
    };
    let access_point = context.doc.add(
        name,
        EfsAccessPoint {
            file_system_id: file_system.id(),
            posix_user: PosixUser {
                uid: efs.uid,
                gid: efs.gid,
            },
            root_directory: RootDirectory {
                path: (&efs.root_directory).into(),
                creation_info: CreationInfo {
                    owner_uid: efs.uid,
                    owner_gid: efs.gid,
                    permissions: "0755".into(),
                },
            },
            tags: Tags::new(),
        },
    );
    // Mounting and writing through this access point only; no root access.
    let policy = Expr::concat([
        Expr::from(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\
             [\"elasticfilesystem:ClientMount\",\"elasticfilesystem:ClientWrite\"],\
             \"Resource\":\"",
        ),
        file_system.arn(),
        Expr::from("\",\"Condition\":{\"StringEquals\":{\"elasticfilesystem:AccessPointArn\":\""),
        access_point.arn(),
        Expr::from("\"}}}]}"),
    ]);
    let mut dependencies = mount_targets;
    // The task mounts with IAM authorisation as soon as it starts: the policy must be on the
    // task role before the service launches a task.
    let mount_policy = context.doc.add(
        &suffixed(name, "efs"),
        IamRolePolicy {
            name: (&named.mount_policy).into(),
            role: task_role.id(),
            policy,
        },
    );
    dependencies.push(mount_policy.dependency());
    (
        EfsVolumeConfiguration {
            file_system_id: file_system.id(),
            transit_encryption: "ENABLED".into(),
            authorization_config: EfsAuthorizationConfig {
                access_point_id: access_point.id(),
                iam: "ENABLED".into(),
            },
        },
        dependencies,
    )
}
