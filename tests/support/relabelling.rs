//! One small stack in the versions the address-lock tests write one after the other, as a
//! user would: a service `web`, the same service renamed in Rust with its AWS names pinned,
//! and `web` replaced by `worker`. Written for the installed provider (5.100.0), so the
//! emulator test can apply every version.

use ecsynth::model::{Backend, Container, Deployment, Service, Stack, TaskSize};

/// The stack's name, so the prefix of its AWS names.
pub const NAME: &str = "addr";

/// A one-task rolling service of nginx.
pub fn service(name: &str) -> Service {
    Service::new(
        name,
        TaskSize {
            cpu: 256,
            memory: 512,
        },
    )
    .container(Container::new("app", "nginx:1.27"))
    .deployment(Deployment::rolling())
    .desired_count(1)
}

/// The stack without services: local state, the installed provider's major.
pub fn base() -> Stack {
    let mut stack = Stack::new(NAME, "eu-west-1");
    stack.backend(Backend::Local);
    super::for_installed_provider(stack)
}

/// Service `web`.
pub fn before() -> Stack {
    let mut stack = base();
    stack.add_service(service("web"));
    stack
}

/// `web` renamed `frontend` in Rust; AWS keeps calling it `web`.
pub fn renamed() -> Stack {
    let mut stack = base();
    stack.add_service(service("frontend").aws_name("web"));
    stack
}

/// `web` gone, `worker` in its place.
pub fn replaced() -> Stack {
    let mut stack = base();
    stack.add_service(service("worker"));
    stack
}
