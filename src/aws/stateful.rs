//! The resource types that hold data: destroying one loses it (a file system's files, a log
//! group's logs, everything a key encrypted). The address lock refuses to drop one unless the
//! stack allows the removal by name (README, "Renaming and upgrading safely").

use super::{CloudwatchLogGroup, EfsFileSystem, KmsKey};
use crate::tf::Resource;

/// Types whose destruction loses data.
pub const STATEFUL_TYPES: &[&str] = &[EfsFileSystem::TYPE, CloudwatchLogGroup::TYPE, KmsKey::TYPE];

/// Whether the resource at `address` (`type.label`) holds data.
pub fn is_stateful(address: &str) -> bool {
    address
        .split_once('.')
        .is_some_and(|(type_name, _)| STATEFUL_TYPES.contains(&type_name))
}
