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

/// Renders `name`; the templates ship inside the binary and are exercised by the tests, so a
/// failure here is a bug in ecsynth, not in a stack.
pub fn render(name: &str, values: minijinja::Value) -> String {
    environment()
        .get_template(name)
        .and_then(|template| template.render(values))
        .unwrap_or_else(|error| panic!("template `{name}` failed to render: {error:#}"))
}
