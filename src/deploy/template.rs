//! Terraform template strings as ecsynth writes them: literal text with `$${`/`%%{` escapes and
//! `${…}` interpolations. The deploy step fills the interpolations with live values (role ARNs,
//! subnets: what exists only after `terraform apply`) and unescapes the rest, giving the text
//! Terraform itself would have produced.

/// `text` with every `${expression}` replaced by `resolve(expression)`, `$${` read as `${` and
/// `%%{` as `%{`. The first expression `resolve` cannot answer is the error. A `%{` directive is
/// refused: ecsynth never writes one.
pub fn fill(
    text: &str,
    resolve: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = [rest.find("${"), rest.find("%{")]
            .into_iter()
            .flatten()
            .min();
        let Some(at) = next else {
            out.push_str(rest);
            return Ok(out);
        };
        let escaped = at > 0 && rest.as_bytes()[at - 1] == rest.as_bytes()[at];
        if escaped {
            // `$${` / `%%{`: the text before the doubled sign, then the single sign and `{`.
            out.push_str(&rest[..at - 1]);
            out.push_str(&rest[at..at + 2]);
            rest = &rest[at + 2..];
            continue;
        }
        out.push_str(&rest[..at]);
        if rest.as_bytes()[at] == b'%' {
            return Err(format!(
                "template directive `{}` is not supported",
                &rest[at..(at + 20).min(rest.len())]
            ));
        }
        let body = &rest[at + 2..];
        let mut depth = 1usize;
        let mut end = None;
        for (index, byte) in body.bytes().enumerate() {
            match byte {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(index);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end.ok_or_else(|| format!("unterminated interpolation in `{text}`"))?;
        out.push_str(&resolve(body[..end].trim())?);
        rest = &body[end + 1..];
    }
}

/// A reference `type.label.attribute` split into its parts.
pub fn reference(expression: &str) -> Option<(&str, &str, &str)> {
    let mut parts = expression.split('.');
    let (kind, label, attribute) = (parts.next()?, parts.next()?, parts.next()?);
    let simple = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    (parts.next().is_none() && simple(kind) && simple(label) && simple(attribute))
        .then_some((kind, label, attribute))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(expression: &str) -> Result<String, String> {
        match expression {
            "aws_iam_role.web_task.arn" => Ok("arn:aws:iam::1:role/prod-web-task".into()),
            "jsonencode(var.subnet_ids)" => Ok(r#"["subnet-1"]"#.into()),
            other => Err(format!("unknown `{other}`")),
        }
    }

    #[test]
    fn interpolations_are_filled_and_escapes_read_back() {
        let text = r#"{"role": "${aws_iam_role.web_task.arn}", "sh": "echo $${HOME} %%{x}", "s": ${jsonencode(var.subnet_ids)}}"#;
        assert_eq!(
            fill(text, &mut table).unwrap(),
            r#"{"role": "arn:aws:iam::1:role/prod-web-task", "sh": "echo ${HOME} %{x}", "s": ["subnet-1"]}"#
        );
    }

    #[test]
    fn an_unknown_expression_is_the_error() {
        assert_eq!(
            fill("a ${aws_lb.web.arn} b", &mut table).unwrap_err(),
            "unknown `aws_lb.web.arn`"
        );
    }

    #[test]
    fn text_without_interpolations_is_unchanged() {
        assert_eq!(
            fill("plain $ text {}", &mut table).unwrap(),
            "plain $ text {}"
        );
    }

    #[test]
    fn references_split_into_type_label_attribute() {
        assert_eq!(
            reference("aws_iam_role.web_task.arn"),
            Some(("aws_iam_role", "web_task", "arn"))
        );
        assert_eq!(reference("jsonencode(var.subnet_ids)"), None);
        assert_eq!(reference("var.subnet_ids"), None);
    }
}
