//! EFS: file system, backup and resource policy, mount targets, access points.

use serde::Serialize;

use super::{resource, Tags};
use crate::tf::{Expr, List};

#[derive(Debug, Serialize)]
pub struct EfsFileSystem {
    pub creation_token: Expr,
    pub encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<Expr>,
    pub performance_mode: Expr,
    pub throughput_mode: Expr,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(EfsFileSystem = "aws_efs_file_system", attributes: [id, arn]);

#[derive(Debug, Serialize)]
pub struct EfsBackupPolicy {
    pub file_system_id: Expr,
    pub backup_policy: BackupPolicy,
}
resource!(EfsBackupPolicy = "aws_efs_backup_policy", attributes: [id]);

#[derive(Debug, Serialize)]
pub struct BackupPolicy {
    pub status: Expr,
}

#[derive(Debug, Serialize)]
pub struct EfsFileSystemPolicy {
    pub file_system_id: Expr,
    pub policy: Expr,
}
resource!(EfsFileSystemPolicy = "aws_efs_file_system_policy", attributes: [id]);

/// One per subnet, so a task in any availability zone mounts locally.
#[derive(Debug, Serialize)]
pub struct EfsMountTarget {
    pub file_system_id: Expr,
    pub subnet_id: Expr,
    pub security_groups: List,
}
resource!(EfsMountTarget = "aws_efs_mount_target", attributes: [id]);

#[derive(Debug, Serialize)]
pub struct EfsAccessPoint {
    pub file_system_id: Expr,
    pub posix_user: PosixUser,
    pub root_directory: RootDirectory,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
resource!(EfsAccessPoint = "aws_efs_access_point", attributes: [id, arn]);

#[derive(Debug, Serialize)]
pub struct PosixUser {
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, Serialize)]
pub struct RootDirectory {
    pub path: Expr,
    pub creation_info: CreationInfo,
}

#[derive(Debug, Serialize)]
pub struct CreationInfo {
    pub owner_uid: u32,
    pub owner_gid: u32,
    pub permissions: Expr,
}
