//! Snapshots (insta) of rendered output.
use crate::support::trials;
trials![placeholder];
fn placeholder() {}
