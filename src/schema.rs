//! JSON Schemas of every document membudget reads or writes, generated from the types
//! (schemars), so that they cannot drift from the code. `schema/*.schema.json` are these,
//! committed; a test fails when they differ (`UPDATE_SCHEMAS=1 cargo test --test pipeline
//! committed_schemas` rewrites them).

use schemars::schema_for;

use crate::budget::model::{BaselineFile, BudgetDocument};
use crate::render::{JsonCheck, JsonDiff, JsonReport};

/// `(name, schema)` for `report`, `check`, `diff`, `budget`, `baseline` and `stack`; the file of
/// each is `schema/<name>.schema.json`.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("report", schema_for!(JsonReport).to_value()),
        ("check", schema_for!(JsonCheck).to_value()),
        ("diff", schema_for!(JsonDiff).to_value()),
        ("budget", schema_for!(BudgetDocument).to_value()),
        ("baseline", schema_for!(BaselineFile).to_value()),
        ("stack", schema_for!(crate::stack::StackReport).to_value()),
    ]
}

/// A schema as it is committed: pretty JSON and a trailing newline.
pub fn to_text(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
