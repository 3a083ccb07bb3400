//! Terraform labels and AWS names derived from model names: one definition for lowering,
//! which uses them, and validation, which checks them.

/// A Terraform label for a model name: characters outside `[A-Za-z0-9_]` become `_`.
pub(crate) fn label(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `<stack>-<part>-<part>…`, the AWS name of a stack's resource.
pub(crate) fn aws_name(stack: &str, parts: &[&str]) -> String {
    let mut name = stack.to_owned();
    for part in parts {
        name.push('-');
        name.push_str(part);
    }
    name
}
