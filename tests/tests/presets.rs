//! Presets.
use crate::support::trials;
trials![placeholder];
fn placeholder() {}
