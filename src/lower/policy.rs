//! IAM policy documents as JSON text, compact, with keys in alphabetical order: what
//! `serde_json::Value` (which sorts its keys) writes, from typed structs whose fields are
//! declared in that order. A `Value` tree cost some thirty allocations per policy.

use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDocument<S> {
    statement: Vec<S>,
    version: &'static str,
}

const VERSION: &str = "2012-10-17";

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TrustStatement<'a> {
    action: &'static str,
    effect: &'static str,
    principal: Principal<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Principal<'a> {
    service: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AllowStatement<'a> {
    action: &'a [&'a str],
    effect: &'static str,
    resource: &'a [String],
}

fn to_json<S: Serialize>(statements: Vec<S>) -> String {
    serde_json::to_string(&PolicyDocument {
        statement: statements,
        version: VERSION,
    })
    .expect("a policy document is plain strings and always serialises")
}

/// A trust policy letting `service` (e.g. `ecs-tasks.amazonaws.com`) assume the role.
pub fn trust(service: &str) -> String {
    to_json(vec![TrustStatement {
        action: "sts:AssumeRole",
        effect: "Allow",
        principal: Principal { service },
    }])
}

/// Allows `actions` on exactly `resources`, never on `*`.
pub fn allow(statements: &[(&[&str], Vec<String>)]) -> String {
    to_json(
        statements
            .iter()
            .filter(|(_, resources)| !resources.is_empty())
            .map(|(actions, resources)| AllowStatement {
                action: actions,
                effect: "Allow",
                resource: resources,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The text must stay what the `Value` trees wrote: IAM compares policies as text in plans.
    #[test]
    fn trust_policy_is_the_sorted_value_tree_text() {
        let expected = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "Service": "ecs-tasks.amazonaws.com" },
                "Action": "sts:AssumeRole",
            }],
        })
        .to_string();
        assert_eq!(trust("ecs-tasks.amazonaws.com"), expected);
    }

    #[test]
    fn allow_policy_is_the_sorted_value_tree_text_without_empty_statements() {
        let resources = vec!["arn:aws:ssm:eu-west-1:1:parameter/a".to_owned()];
        let expected = json!({
            "Version": "2012-10-17",
            "Statement": [
                { "Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": resources },
            ],
        })
        .to_string();
        assert_eq!(
            allow(&[
                (&["ssm:GetParameters"], resources.clone()),
                (&["secretsmanager:GetSecretValue"], Vec::new()),
            ]),
            expected
        );
    }
}
