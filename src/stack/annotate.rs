//! What a budget file tells the stack analysis that the machine code cannot: targets of
//! indirect calls, how deep a recursion goes, frames of functions the decoder cannot
//! follow, handlers that never nest, calls that never happen, and extra roots (RTOS thread
//! entries with the stack each runs on). Lives in the budget as `budget.stack.analysis`.

use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::memory::size::Size;

/// `budget.stack.analysis`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Annotations {
    /// Targets of indirect calls and jumps.
    #[serde(default)]
    pub indirect_calls: Vec<IndirectDecl>,
    /// Maximum number of activations of a recursion (per cycle, named by a member).
    #[serde(default)]
    pub recursion: Vec<RecursionDecl>,
    /// Frames of functions the decoder cannot follow (hand-written assembly).
    #[serde(default)]
    pub frames: Vec<FrameDecl>,
    /// Calls that never happen at run time ("the panic handler does not panic again",
    /// "this handler never returns into X").
    #[serde(default)]
    pub no_calls: Vec<NoCallDecl>,
    /// Groups of handlers (root or vector names) with one priority: they never nest.
    #[serde(default)]
    pub priority_groups: Vec<Vec<String>>,
    /// Extra roots: thread entry points, optionally with the stack they run on.
    #[serde(default)]
    pub threads: Vec<ThreadDecl>,
    /// Opt-in heuristic: give each indirect call the budget leaves unannotated the
    /// functions whose address the image takes (in data, literal pools or movw/movt),
    /// narrowed to the vtable slot it loads when that slot exists in a vtable. An
    /// assumption, listed as such; `membudget stack --resolve-indirect` turns it on too.
    #[serde(default)]
    pub resolve_indirect: bool,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
/// Targets of the indirect calls in a function.
pub struct IndirectDecl {
    /// The function holding the indirect call (name or glob, demangled).
    pub function: String,
    /// Only the call at this address (default: every indirect call in the function).
    #[serde(default)]
    pub address: Option<Size>,
    /// The functions it may call.
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
/// A bound on a recursion.
pub struct RecursionDecl {
    /// A function of the cycle (name or glob).
    pub function: String,
    /// Maximum number of activations of the cycle at once (1 = never recurses).
    pub depth: u32,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
/// The frame of a function the decoder cannot follow.
pub struct FrameDecl {
    /// The function (name or glob).
    pub function: String,
    /// Its frame in bytes.
    pub frame: Size,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
/// A call that never happens.
pub struct NoCallDecl {
    /// Caller (name or glob).
    pub from: String,
    /// Callee (name or glob).
    pub to: String,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
/// An RTOS thread: an extra root on its own stack.
pub struct ThreadDecl {
    /// The thread's entry function.
    pub entry: String,
    /// Symbol of the thread's stack (an array): its size is the stack `check` compares with.
    #[serde(default)]
    pub stack_symbol: Option<String>,
    /// The stack size, when no symbol gives it.
    #[serde(default)]
    pub stack_size: Option<Size>,
}

/// An annotation the analysis used, for the report (so a reader sees every assumption).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Assumption {
    /// An indirect call calls only these functions.
    IndirectTargets {
        /// Function holding the call.
        function: String,
        /// Address of the call.
        address: u64,
        /// Functions it calls.
        targets: Vec<String>,
    },
    /// A recursion is at most `depth` activations deep.
    RecursionDepth {
        /// Functions of the cycle.
        cycle: Vec<String>,
        /// Maximum activations.
        depth: u32,
    },
    /// A function's frame, given by the budget.
    Frame {
        /// The function.
        function: String,
        /// Its frame in bytes.
        frame: u64,
    },
    /// Calls from `from` to `to` never happen.
    NoCall {
        /// Caller pattern.
        from: String,
        /// Callee pattern.
        to: String,
    },
    /// Handlers of one priority never nest.
    PriorityGroup {
        /// Handler or vector names.
        handlers: Vec<String>,
    },
    /// An indirect call resolved by the opt-in heuristic (`resolve_indirect`).
    ResolvedIndirect {
        /// Function holding the call.
        function: String,
        /// Call instruction.
        address: u64,
        /// `vtable_slot`: the functions in that slot of every vtable; `address_taken`: every
        /// function whose address the image takes.
        how: String,
        /// The offset the call loads its target from, when the code shows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slot: Option<u32>,
        /// The candidate targets.
        targets: Vec<String>,
    },
}

/// A name or glob over demangled (and raw) function names.
pub struct Pattern(GlobMatcher, String);

impl Pattern {
    /// Compile `s`; `at` names the budget field for errors.
    pub fn new(s: &str, at: &str) -> Result<Pattern, Error> {
        let glob =
            Glob::new(s).map_err(|e| Error::Budget(format!("{at}: invalid pattern '{s}': {e}")))?;
        Ok(Pattern(glob.compile_matcher(), s.to_string()))
    }

    /// Whether `name` is the pattern or matches it as a glob.
    pub fn matches(&self, name: &str) -> bool {
        name == self.1 || self.0.is_match(name)
    }
}

/// Read `budget.stack.analysis` from a budget file (absent: no annotations).
pub fn load(path: &Path) -> Result<Annotations, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Budget(format!("{}: {e}", path.display())))?;
    match v.pointer("/budget/stack/analysis") {
        None => Ok(Annotations::default()),
        Some(a) => serde_json::from_value(a.clone())
            .map_err(|e| Error::Budget(format!("{}: budget.stack.analysis: {e}", path.display()))),
    }
}
