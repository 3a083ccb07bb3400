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

/// One EFS volume: its file system, reachable from the tasks only, an access point owning the
/// files as the volume's user, and the task role's permission to mount through it.
fn file_system(
    context: &mut Context,
    service: &Service,
    volume: &Volume,
    named: &VolumeNames,
    efs: &EfsVolume,
    task_role: &Ref<IamRole>,
    clients: &Ref<SecurityGroup>,
) -> (EfsVolumeConfiguration, Vec<Dependency>) {
    let file_system = encrypted_file_system(context, named);
    let mut dependencies = mount_targets(context, service, volume, named, &file_system, clients);
    let access_point = access_point(context, named, efs, &file_system);
    let mount_policy = mount_policy(context, named, task_role, &file_system, &access_point);
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

/// The file system, encrypted at rest with the stack's key, backed up daily, refusing every
/// client that does not use TLS.
fn encrypted_file_system(context: &mut Context, named: &VolumeNames) -> Ref<EfsFileSystem> {
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
    file_system
}

/// A mount target in every task subnet, behind a security group that lets NFS in from
/// `clients` only; what the service must wait for before its tasks mount.
fn mount_targets(
    context: &mut Context,
    service: &Service,
    volume: &Volume,
    named: &VolumeNames,
    file_system: &Ref<EfsFileSystem>,
    clients: &Ref<SecurityGroup>,
) -> Vec<Dependency> {
    let name = &named.label;
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
    match context.subnet_ids.clone() {
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
    }
}

/// The access point the tasks mount through: files created as the volume's user, under its
/// root directory.
fn access_point(
    context: &mut Context,
    named: &VolumeNames,
    efs: &EfsVolume,
    file_system: &Ref<EfsFileSystem>,
) -> Ref<EfsAccessPoint> {
    context.doc.add(
        &named.label,
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
    )
}

/// The task role may mount and write through this access point only; no root access. The
/// task mounts with IAM authorisation as soon as it starts, so the service waits for this.
fn mount_policy(
    context: &mut Context,
    named: &VolumeNames,
    task_role: &Ref<IamRole>,
    file_system: &Ref<EfsFileSystem>,
    access_point: &Ref<EfsAccessPoint>,
) -> Ref<IamRolePolicy> {
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
    context.doc.add(
        &suffixed(&named.label, "efs"),
        IamRolePolicy {
            name: (&named.mount_policy).into(),
            role: task_role.id(),
            policy,
        },
    )
}
