//! IAM policy documents as JSON text. `serde_json` writes object keys sorted, so the text is
//! the same on every run.

use serde_json::json;

/// A trust policy letting `service` (e.g. `ecs-tasks.amazonaws.com`) assume the role.
pub fn trust(service: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
        }],
    })
    .to_string()
}

/// Allows `actions` on exactly `resources`, never on `*`.
pub fn allow(statements: &[(&[&str], Vec<String>)]) -> String {
    let statements: Vec<serde_json::Value> = statements
        .iter()
        .filter(|(_, resources)| !resources.is_empty())
        .map(|(actions, resources)| {
            json!({ "Effect": "Allow", "Action": actions, "Resource": resources })
        })
        .collect();
    json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
}
