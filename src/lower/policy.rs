//! IAM policy documents as JSON text. `serde_json` writes object keys sorted, so the text is
//! the same on every run.

use std::cell::RefCell;

use serde_json::json;

/// A trust policy letting `service` (e.g. `ecs-tasks.amazonaws.com`) assume the role. There
/// are a handful of principals and a role or three per service, so each text is built once per
/// thread and copied after that.
pub fn trust(service: &'static str) -> String {
    thread_local! {
        static BUILT: RefCell<Vec<(&'static str, String)>> = const { RefCell::new(Vec::new()) };
    }
    BUILT.with_borrow_mut(|built| {
        if let Some((_, text)) = built.iter().find(|(principal, _)| *principal == service) {
            return text.clone();
        }
        let text = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "Service": service },
                "Action": "sts:AssumeRole",
            }],
        })
        .to_string();
        built.push((service, text.clone()));
        text
    })
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
