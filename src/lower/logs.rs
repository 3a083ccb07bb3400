//! The KMS key encrypting the stack's log groups, and its EFS file systems: created by the
//! stack unless the stack names one (`Stack::log_kms_key`).

use serde_json::json;

use super::Context;
use crate::aws::{CallerIdentity, KmsKey, Tags};
use crate::tf::{Expr, Meta};

/// Stands for the account id while the policy is JSON text; replaced by a reference.
const ACCOUNT: &str = "<<account-id>>";

/// The key ARN the log groups name; `None` when the stack has no service (no log group).
pub fn lower_key(context: &mut Context) -> Option<Expr> {
    let stack = context.stack;
    if stack.services().is_empty() {
        return None;
    }
    if let Some(arn) = &stack.log_kms_key {
        return Some(Expr::from(arn));
    }
    // The account id is read at plan time, so the same stack works in any account.
    let identity = context.doc.data("current", CallerIdentity {});
    let region = &stack.region;
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                // AWS's default key policy: the account administers the key through IAM
                // policies. Without it the key can become unmanageable.
                "Sid": "AccountAdministersThroughIam",
                "Effect": "Allow",
                "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:root") },
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsThisStacksLogGroups",
                "Effect": "Allow",
                "Principal": { "Service": format!("logs.{region}.amazonaws.com") },
                "Action": [
                    "kms:Decrypt*",
                    "kms:Describe*",
                    "kms:Encrypt*",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": format!(
                            "arn:aws:logs:{region}:{ACCOUNT}:log-group:{}",
                            context.names.log_groups
                        ),
                    },
                },
            },
        ],
    })
    .to_string();
    let mut parts = Vec::new();
    for (n, piece) in policy.split(ACCOUNT).enumerate() {
        if n > 0 {
            parts.push(identity.account_id());
        }
        parts.push(Expr::from(piece.to_owned()));
    }
    let key = context.doc.add_with(
        "logs",
        KmsKey {
            description: format!("Log groups and file systems of stack {}", stack.name).into(),
            enable_key_rotation: true,
            deletion_window_in_days: 30,
            policy: Expr::concat(parts),
            tags: Tags::new(),
        },
        Meta {
            comment: Some(
                "`Resource: *` in a key policy means this key and nothing else; `kms:*` is \
                 for the account root only (AWS's default key policy), CloudWatch Logs gets \
                 the five actions it uses, for this stack's log groups only"
                    .into(),
            ),
            ..Meta::default()
        },
    );
    Some(key.arn())
}
