//! The minijinja templates that ship inside the binary (`templates/`): the AppSpec of
//! blue/green services and the user data of EC2 instances.

use std::sync::OnceLock;

use minijinja::{AutoEscape, Environment};

fn environment() -> &'static Environment<'static> {
    static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        // Values are quoted explicitly with `tojson` where they are strings; the holes must
        // reach the text unquoted.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_keep_trailing_newline(true);
        env.add_filter("yaml_string", |value: String| yaml_string(&value));
        for (name, source) in [
            (
                "appspec.yaml",
                include_str!("../../templates/appspec.yaml.j2"),
            ),
            (
                "user_data.sh",
                include_str!("../../templates/user_data.sh.j2"),
            ),
        ] {
            env.add_template(name, source)
                .unwrap_or_else(|error| panic!("template `{name}` does not parse: {error:#}"));
        }
        env
    })
}

/// `text` as a YAML double-quoted scalar in printable ASCII only: `"`, `\` and control
/// characters escaped as JSON does, DEL and every non-ASCII character as `\uXXXX` or
/// `\UXXXXXXXX` (YAML's escape beyond the BMP; JSON's surrogate pairs are not YAML). YAML 1.1
/// parsers read NEL, LS and PS as line breaks even inside quotes; with nothing but printable
/// ASCII between the quotes, no user text can end the scalar or change what it holds,
/// whichever YAML version reads the AppSpec.
pub fn yaml_string(text: &str) -> String {
    let json = serde_json::Value::from(text).to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match u32::from(c) {
            // DEL is not printable to YAML either.
            0..=0x7e => out.push(c),
            code @ 0x7f..=0xffff => out.push_str(&format!("\\u{code:04x}")),
            code => out.push_str(&format!("\\U{code:08x}")),
        }
    }
    out
}

/// Renders `name`; the templates ship inside the binary and are exercised by the tests, so a
/// failure here is a bug in ecsynth, not in a stack.
pub fn render(name: &str, values: minijinja::Value) -> String {
    environment()
        .get_template(name)
        .and_then(|template| template.render(values))
        .unwrap_or_else(|error| panic!("template `{name}` failed to render: {error:#}"))
}

#[cfg(test)]
mod tests {
    use super::yaml_string;

    #[test]
    fn yaml_strings_are_printable_ascii_json() {
        let text = "a\"b\\c\nd\u{7f}é\u{85}\u{2028}🚀: #x";
        let quoted = yaml_string(text);
        assert_eq!(
            quoted,
            r#""a\"b\\c\nd\u007f\u00e9\u0085\u2028\U0001f680: #x""#
        );
        assert!(quoted.bytes().all(|b| (0x20..0x7f).contains(&b)));
    }
}
