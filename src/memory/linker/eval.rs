//! Evaluating the statements in the order GNU ld does before it prints "Memory
//! Configuration" (ldlang.c's `lang_process`):
//!
//! 1. MEMORY expressions are folded once to record which symbols they reference
//!    (nothing is defined yet, so `DEFINED(x) ? x : y` references only `y`).
//! 2. One pass over every assignment in script order, `--defsym`s first (as if given
//!    before `-T`). `DEFINED(x)` is true when `x` was assigned earlier in this pass;
//!    `PROVIDE(x = ...)` defines `x` only if something references it by then;
//!    `ORIGIN(r)` is 0 and `LENGTH(r)` all ones, because regions have not been
//!    evaluated yet; anything depending on `.` or sections has no value.
//! 3. Regions, in declaration order, with the symbols as that pass left them
//!    (so a symbol assigned after the MEMORY command counts, and `DEFINED(x)` is true
//!    if `x` is assigned anywhere).
//!
//! Each step was checked against GNU ld 2.40's map files (see `tests/tests/linker.rs`).
//! Arithmetic is on u64 like ld's, but a region bound that would wrap is an error
//! rather than ld's wrapped value, which is never what the script's author meant.

use std::collections::{HashMap, HashSet};

use super::parser::{Assign, BinOp, Expr, ExprKind, RegionSpec, Script, Stmt, UnOp};
use super::{LinkerScriptError, ScriptRegions, ScriptWarning};
use crate::memory::Region;

/// Why an expression has no value.
enum Fail {
    /// ld would evaluate it as "invalid" and carry on (an undefined symbol, `.`).
    Invalid,
    /// An error to report, with its position.
    Error(LinkerScriptError),
}

type EResult = Result<u64, Fail>;

#[derive(Clone, Copy)]
enum Phase {
    Mark,
    Assign,
    /// Evaluating region `n` (regions before it have their values).
    Region(usize),
}

#[derive(Default)]
struct Env {
    /// Symbols defined so far; `None` when defined without a known value (from `.`).
    values: HashMap<String, Option<u64>>,
    referenced: HashSet<String>,
    aliases: HashMap<String, String>,
    /// Region names in declaration order, and the values of those evaluated so far.
    region_names: Vec<String>,
    regions: Vec<Region>,
}

struct Ev<'a> {
    env: &'a mut Env,
    files: &'a [String],
    phase: Phase,
}

pub(super) fn evaluate(
    script: &Script,
    defsyms: &[&Assign],
) -> Result<ScriptRegions, LinkerScriptError> {
    let mut env = Env::default();
    let specs: Vec<&RegionSpec> = script
        .stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Region(r) => Some(r),
            _ => None,
        })
        .collect();
    env.region_names = specs.iter().map(|r| r.name.clone()).collect();
    check_duplicates(&specs, &script.files)?;
    for r in &specs {
        for e in [&r.origin, &r.length] {
            let _ = Ev {
                env: &mut env,
                files: &script.files,
                phase: Phase::Mark,
            }
            .eval(e);
        }
    }
    for a in defsyms {
        assign(&mut env, &script.files, a);
    }
    for s in &script.stmts {
        match s {
            Stmt::Assign(a) => assign(&mut env, &script.files, a),
            Stmt::Alias { alias, region } => {
                env.aliases.insert(alias.clone(), region.clone());
            }
            Stmt::Region(_) => {}
        }
    }
    for (i, r) in specs.iter().enumerate() {
        let region = region_value(&mut env, &script.files, i, r)?;
        env.regions.push(region);
    }
    let warnings = overlaps(&env.regions);
    Ok(ScriptRegions {
        regions: env.regions,
        warnings,
    })
}

fn check_duplicates(specs: &[&RegionSpec], files: &[String]) -> Result<(), LinkerScriptError> {
    let mut seen: HashMap<&str, &RegionSpec> = HashMap::new();
    for r in specs {
        if let Some(prev) = seen.insert(&r.name, r) {
            return Err(LinkerScriptError::Syntax {
                file: files[r.file].clone(),
                line: r.at.line,
                column: r.at.column,
                message: format!(
                    "duplicate region '{}' (first defined at {}:{}:{})",
                    r.name, files[prev.file], prev.at.line, prev.at.column
                ),
            });
        }
    }
    Ok(())
}

/// One assignment of step 2. Never fails: a value ld could not work out leaves the
/// symbol undefined, which only matters if a region uses it.
fn assign(env: &mut Env, files: &[String], a: &Assign) {
    if a.provide {
        let defined = env.values.contains_key(&a.name);
        if defined || !env.referenced.contains(&a.name) {
            return;
        }
    }
    let value = Ev {
        env,
        files,
        phase: Phase::Assign,
    }
    .eval(&a.expr);
    let value = match (a.op, value) {
        (None, Ok(v)) => Some(v),
        (Some(op), Ok(v)) => match env.values.get(&a.name) {
            Some(Some(old)) => binary(op, *old, v).ok(),
            _ => None,
        },
        (_, Err(_)) => None,
    };
    match value {
        Some(v) => {
            env.values.insert(a.name.clone(), Some(v));
        }
        // ld defines a symbol assigned from `.` (with a section-relative value).
        None if depends_on_dot(&a.expr) => {
            env.values.insert(a.name.clone(), None);
        }
        None => {}
    }
}

fn depends_on_dot(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Dot => true,
        ExprKind::Unknown(f) => f == "ALIGN",
        ExprKind::Unary(_, a) | ExprKind::Log2Ceil(a) => depends_on_dot(a),
        ExprKind::Binary(_, a, b)
        | ExprKind::Max(a, b)
        | ExprKind::Min(a, b)
        | ExprKind::Align(a, b) => depends_on_dot(a) || depends_on_dot(b),
        ExprKind::Cond(a, b, c) => depends_on_dot(a) || depends_on_dot(b) || depends_on_dot(c),
        _ => false,
    }
}

fn region_value(
    env: &mut Env,
    files: &[String],
    i: usize,
    r: &RegionSpec,
) -> Result<Region, LinkerScriptError> {
    let mut value = |e: &Expr| match (Ev {
        env: &mut *env,
        files,
        phase: Phase::Region(i),
    })
    .eval(e)
    {
        Ok(v) => Ok(v),
        Err(Fail::Error(e)) => Err(e),
        // Region evaluation reports every failure; Invalid is not produced here.
        Err(Fail::Invalid) => Err(LinkerScriptError::Syntax {
            file: files[e.file].clone(),
            line: e.at.line,
            column: e.at.column,
            message: "expression has no value".into(),
        }),
    };
    let origin = value(&r.origin)?;
    let length = value(&r.length)?;
    if origin.checked_add(length).is_none() {
        return Err(LinkerScriptError::Syntax {
            file: files[r.file].clone(),
            line: r.at.line,
            column: r.at.column,
            message: format!(
                "region '{}' runs past the end of the address space (origin {origin:#x}, length {length:#x})",
                r.name
            ),
        });
    }
    Ok(Region {
        name: r.name.clone(),
        origin,
        length,
        attributes: r.attributes.clone(),
    })
}

/// Every pair of regions sharing bytes, in declaration order.
fn overlaps(regions: &[Region]) -> Vec<ScriptWarning> {
    let mut out = Vec::new();
    for (i, a) in regions.iter().enumerate() {
        for b in &regions[i + 1..] {
            let start = a.origin.max(b.origin);
            let end = a.end().min(b.end());
            if start < end {
                out.push(ScriptWarning::OverlappingRegions {
                    first: a.name.clone(),
                    second: b.name.clone(),
                    start,
                    end,
                });
            }
        }
    }
    out
}

pub(super) fn binary(op: BinOp, a: u64, b: u64) -> Result<u64, String> {
    let overflow = || format!("arithmetic overflow in '{}'", op.symbol());
    let r = match op {
        BinOp::Add => a.checked_add(b).ok_or_else(overflow)?,
        BinOp::Sub => a.checked_sub(b).ok_or_else(overflow)?,
        BinOp::Mul => a.checked_mul(b).ok_or_else(overflow)?,
        BinOp::Div => a.checked_div(b).ok_or("division by zero")?,
        BinOp::Rem => a.checked_rem(b).ok_or("division by zero")?,
        BinOp::Shl => {
            if b >= 64 || u64::from(a.leading_zeros()) < b {
                return Err(overflow());
            }
            a << b
        }
        BinOp::Shr => a
            .checked_shr(u32::try_from(b).unwrap_or(u32::MAX))
            .unwrap_or(0),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Eq => u64::from(a == b),
        BinOp::Ne => u64::from(a != b),
        BinOp::Lt => u64::from(a < b),
        BinOp::Le => u64::from(a <= b),
        BinOp::Gt => u64::from(a > b),
        BinOp::Ge => u64::from(a >= b),
        BinOp::AndAnd => u64::from(a != 0 && b != 0),
        BinOp::OrOr => u64::from(a != 0 || b != 0),
    };
    Ok(r)
}

impl Ev<'_> {
    /// An error at `e` in region evaluation; ld's "invalid" in the other phases.
    fn fail(&self, e: &Expr, message: impl Into<String>) -> Fail {
        match self.phase {
            Phase::Region(_) => Fail::Error(LinkerScriptError::Syntax {
                file: self.files.get(e.file).cloned().unwrap_or_default(),
                line: e.at.line,
                column: e.at.column,
                message: message.into(),
            }),
            _ => Fail::Invalid,
        }
    }

    fn eval(&mut self, e: &Expr) -> EResult {
        match &e.kind {
            ExprKind::Num(v) => Ok(*v),
            ExprKind::Dot => Err(self.fail(e, "'.' (the location counter) is not a constant here")),
            ExprKind::Sym(name) => self.symbol(e, name),
            ExprKind::Unary(op, a) => self.unary(e, *op, a),
            ExprKind::Binary(op, a, b) => {
                let (a, b) = self.both(a, b)?;
                binary(*op, a, b).map_err(|m| self.fail(e, m))
            }
            ExprKind::Cond(c, a, b) => {
                let c = self.eval(c)?;
                self.eval(if c != 0 { a } else { b })
            }
            ExprKind::Origin(r) | ExprKind::Length(r) => {
                let origin = matches!(e.kind, ExprKind::Origin(_));
                self.region_field(e, r, origin)
            }
            ExprKind::Defined(name) => Ok(u64::from(self.defined(name))),
            ExprKind::Max(a, b) => self.both(a, b).map(|(a, b)| a.max(b)),
            ExprKind::Min(a, b) => self.both(a, b).map(|(a, b)| a.min(b)),
            ExprKind::Align(a, b) => self.align(e, a, b),
            ExprKind::Log2Ceil(a) => {
                let v = self.eval(a)?;
                Ok(if v <= 1 {
                    0
                } else {
                    64 - u64::from((v - 1).leading_zeros())
                })
            }
            ExprKind::Unknown(f) if f == "ALIGN" => Err(self.fail(
                e,
                "ALIGN() with one argument depends on '.', which is not a constant here",
            )),
            ExprKind::Unknown(f) => Err(self.fail(e, format!("cannot evaluate {f}() here"))),
        }
    }

    /// Both operands, each evaluated even if the other fails, as ld folds both
    /// (which is what records references in the first phases).
    fn both(&mut self, a: &Expr, b: &Expr) -> Result<(u64, u64), Fail> {
        let a = self.eval(a);
        let b = self.eval(b);
        Ok((a?, b?))
    }

    fn defined(&self, name: &str) -> bool {
        match self.phase {
            Phase::Mark => false,
            _ => self.env.values.contains_key(name),
        }
    }

    fn symbol(&mut self, e: &Expr, name: &str) -> EResult {
        if !matches!(self.phase, Phase::Region(_)) {
            self.env.referenced.insert(name.to_string());
        }
        match self.env.values.get(name) {
            Some(Some(v)) => Ok(*v),
            Some(None) => Err(self.fail(e, format!("symbol '{name}' is not a constant"))),
            None => Err(self.fail(e, format!("unknown symbol '{name}'"))),
        }
    }

    fn unary(&mut self, e: &Expr, op: UnOp, a: &Expr) -> EResult {
        let v = self.eval(a)?;
        Ok(match op {
            UnOp::Plus => v,
            UnOp::Complement => !v,
            UnOp::Not => u64::from(v == 0),
            UnOp::Neg if v == 0 => 0,
            UnOp::Neg => return Err(self.fail(e, "negative value")),
        })
    }

    fn align(&mut self, e: &Expr, a: &Expr, b: &Expr) -> EResult {
        let (a, b) = self.both(a, b)?;
        if b == 0 || !b.is_power_of_two() {
            return Err(self.fail(e, "ALIGN() alignment must be a power of two"));
        }
        a.checked_add(b - 1)
            .map(|v| v & !(b - 1))
            .ok_or_else(|| self.fail(e, "arithmetic overflow in ALIGN()"))
    }

    fn region_field(&mut self, e: &Expr, region: &str, origin: bool) -> EResult {
        let what = if origin { "ORIGIN" } else { "LENGTH" };
        let target = self.env.aliases.get(region).map_or(region, String::as_str);
        let Some(index) = self.env.region_names.iter().position(|n| n == target) else {
            return Err(self.fail(e, format!("unknown region '{region}' in {what}()")));
        };
        match self.phase {
            Phase::Mark => Err(Fail::Invalid),
            // ld has not evaluated any region when it first runs the assignments.
            Phase::Assign => Ok(if origin { 0 } else { u64::MAX }),
            Phase::Region(current) if index >= current => Err(self.fail(
                e,
                format!(
                    "region '{region}' is defined after this one; gnu ld reads its {what} as {} here",
                    if origin { "0" } else { "all ones" }
                ),
            )),
            Phase::Region(_) => {
                let r = &self.env.regions[index];
                Ok(if origin { r.origin } else { r.length })
            }
        }
    }
}
