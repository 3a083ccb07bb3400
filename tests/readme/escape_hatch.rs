//! The README's escape-hatch example (section "Escape hatch"), verbatim between the markers:
//! `tests/overrides.rs` compiles it, checks that the README shows exactly this text, and runs
//! it on a stack of its own.

// README: begin
use ecsynth::model::{json, Stack};

/// What the model has no setting for yet, on the resources the stack emits (addresses as in
/// `snapshots/synth@<stack>.snap`).
pub fn escape_hatch(stack: &mut Stack) -> &mut Stack {
    stack
        // Long polls outlast the ALB's 60-second default.
        .override_attribute("aws_lb.web", "idle_timeout", json!(120))
        // A security default: refused without a reason, and the reason is written into the
        // resource's `//` comment for the reviewer.
        .override_security_default(
            "aws_kms_key.logs",
            "deletion_window_in_days",
            json!(7),
            "keys of stacks torn down by the load tests should go within a week",
        )
}
// README: end
