//! From tokens to the statements that decide `MEMORY`: region definitions, symbol
//! assignments (at top level, in `SECTIONS` and inside output sections, as ld runs
//! them all) and `REGION_ALIAS`. Everything else is skipped, but in the lexer state
//! ld would read it in, so that comments and patterns split where ld splits them.
//!
//! Expressions become trees ([`Expr`]) because ld evaluates `MEMORY` only after a
//! pass over every assignment (see `eval.rs`). Nesting is limited to
//! [`MAX_EXPR_DEPTH`], checked while parsing, so that neither the parser, the
//! evaluator nor dropping a tree can run out of stack.

use std::path::{Path, PathBuf};

use super::lexer::{parse_number, Kind, Lexer, State, Token};
use super::{io_reason, read_text, LinkerScriptError, Pos, MAX_INCLUDE_DEPTH};

/// Deepest expression accepted (parentheses, unary operators, operator chains).
/// Real scripts stay below 20; ld's own parser stack ends at 10,000, but a tree that
/// deep would overflow a 2 MiB thread stack here.
pub(super) const MAX_EXPR_DEPTH: usize = 100;

type PResult<T> = Result<T, LinkerScriptError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnOp {
    Neg,
    Plus,
    Not,
    Complement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Xor,
    Or,
    AndAnd,
    OrOr,
}

impl BinOp {
    /// ld's `%left` precedence (ldgram.y), higher binds tighter.
    fn from_token(t: &Token) -> Option<(BinOp, u8)> {
        if t.kind != Kind::Punct {
            return None;
        }
        Some(match t.text {
            "*" => (BinOp::Mul, 10),
            "/" => (BinOp::Div, 10),
            "%" => (BinOp::Rem, 10),
            "+" => (BinOp::Add, 9),
            "-" => (BinOp::Sub, 9),
            "<<" => (BinOp::Shl, 8),
            ">>" => (BinOp::Shr, 8),
            "<" => (BinOp::Lt, 7),
            "<=" => (BinOp::Le, 7),
            ">" => (BinOp::Gt, 7),
            ">=" => (BinOp::Ge, 7),
            "==" => (BinOp::Eq, 6),
            "!=" => (BinOp::Ne, 6),
            "&" => (BinOp::And, 5),
            "^" => (BinOp::Xor, 4),
            "|" => (BinOp::Or, 3),
            "&&" => (BinOp::AndAnd, 2),
            "||" => (BinOp::OrOr, 1),
            _ => return None,
        })
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "&",
            BinOp::Xor => "^",
            BinOp::Or => "|",
            BinOp::AndAnd => "&&",
            BinOp::OrOr => "||",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum ExprKind {
    Num(u64),
    /// `.`, the location counter.
    Dot,
    Sym(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Origin(String),
    Length(String),
    Defined(String),
    Max(Box<Expr>, Box<Expr>),
    Min(Box<Expr>, Box<Expr>),
    /// `ALIGN(value, align)`; `ALIGN(align)` depends on `.` and is [`ExprKind::Unknown`].
    Align(Box<Expr>, Box<Expr>),
    Log2Ceil(Box<Expr>),
    /// A function whose value depends on the link (`ADDR`, `SIZEOF`, `CONSTANT`...).
    Unknown(String),
}

#[derive(Debug, Clone)]
pub(super) struct Expr {
    pub kind: ExprKind,
    /// Index of the file (in [`Script::files`]) and position of the expression.
    pub file: usize,
    pub at: Pos,
    /// Height of the tree, bounded by [`MAX_EXPR_DEPTH`].
    height: usize,
}

/// `=` or a compound operator (`+=` is `Some(BinOp::Add)`).
pub(super) type AssignOp = Option<BinOp>;

#[derive(Debug, Clone)]
pub(super) struct Assign {
    pub name: String,
    pub op: AssignOp,
    pub expr: Expr,
    /// `PROVIDE`/`PROVIDE_HIDDEN`: only defines a symbol that is referenced.
    pub provide: bool,
}

#[derive(Debug)]
pub(super) struct RegionSpec {
    pub name: String,
    pub attributes: Option<String>,
    pub origin: Expr,
    pub length: Expr,
    pub file: usize,
    pub at: Pos,
}

#[derive(Debug)]
pub(super) enum Stmt {
    Assign(Assign),
    Region(RegionSpec),
    Alias { alias: String, region: String },
}

/// Every statement that matters for `MEMORY`, in the order ld runs them, with the
/// files they came from (INCLUDEs are followed).
#[derive(Debug, Default)]
pub(super) struct Script {
    pub stmts: Vec<Stmt>,
    pub files: Vec<String>,
    pub found_memory: bool,
}

/// What an included file contains, by where the INCLUDE stands.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Script,
    MemoryList,
    Sections,
    OutputSection,
}

pub(super) struct Parser {
    pub script: Script,
    search_dirs: Vec<PathBuf>,
    /// Canonical paths of the files being read (outermost first), for cycle detection.
    stack: Vec<Option<PathBuf>>,
}

/// One file being read.
struct Cx<'a, 'b> {
    lx: Lexer<'a>,
    base_dir: Option<&'b Path>,
    file: usize,
    /// Current expression nesting.
    depth: usize,
}

fn assign_op(t: &Token) -> Option<AssignOp> {
    if t.kind != Kind::Punct {
        return None;
    }
    Some(match t.text {
        "=" => None,
        "+=" => Some(BinOp::Add),
        "-=" => Some(BinOp::Sub),
        "*=" => Some(BinOp::Mul),
        "/=" => Some(BinOp::Div),
        "<<=" => Some(BinOp::Shl),
        ">>=" => Some(BinOp::Shr),
        "&=" => Some(BinOp::And),
        "|=" => Some(BinOp::Or),
        "^=" => Some(BinOp::Xor),
        _ => return None,
    })
}

impl Parser {
    pub fn new(search_dirs: &[PathBuf]) -> Self {
        Parser {
            script: Script::default(),
            search_dirs: search_dirs.to_vec(),
            stack: Vec::new(),
        }
    }

    /// Reads `text` (a whole file) in `mode`.
    pub fn parse_file(
        &mut self,
        text: &str,
        label: &str,
        base_dir: Option<&Path>,
        canonical: Option<PathBuf>,
        mode: Mode,
    ) -> PResult<()> {
        self.stack.push(canonical);
        self.script.files.push(label.to_string());
        let mut cx = Cx {
            lx: Lexer::new(label, text),
            base_dir,
            file: self.script.files.len() - 1,
            depth: 0,
        };
        let result = match mode {
            Mode::Script => self.commands(&mut cx),
            Mode::MemoryList => self.memory_specs(&mut cx, None),
            Mode::Sections => self.sections(&mut cx, None),
            Mode::OutputSection => self.wild(&mut cx, None),
        };
        self.stack.pop();
        result
    }

    /// Top-level commands up to end of file.
    fn commands(&mut self, cx: &mut Cx) -> PResult<()> {
        loop {
            let t = cx.lx.next(State::Script)?;
            match t.kind {
                Kind::Eof => return Ok(()),
                Kind::Punct if t.text == "}" => return Err(cx.lx.error(&t, "unexpected '}'")),
                Kind::Punct if t.text == "{" => skip_balanced(cx, &t, State::Script)?,
                Kind::Punct if t.text == "(" => skip_balanced(cx, &t, State::Expression)?,
                Kind::Name => self.command(cx, t)?,
                _ => {}
            }
        }
    }

    fn command(&mut self, cx: &mut Cx, t: Token) -> PResult<()> {
        match t.text {
            "MEMORY" => {
                let open = expect(cx, State::Script, "{", "after MEMORY")?;
                self.script.found_memory = true;
                self.memory_specs(cx, Some(open))
            }
            "SECTIONS" => {
                let open = expect(cx, State::Script, "{", "after SECTIONS")?;
                self.sections(cx, Some(open))
            }
            "INCLUDE" => self.include(cx, &t, Mode::Script),
            "SEARCH_DIR" => self.search_dir(cx),
            "REGION_ALIAS" => self.region_alias(cx),
            _ => self.statement(cx, t, State::Script),
        }
    }

    /// A statement that may appear at top level, in `SECTIONS` or in an output
    /// section: an assignment, `PROVIDE(...)`, or something to skip.
    fn statement(&mut self, cx: &mut Cx, t: Token, state: State) -> PResult<()> {
        if matches!(t.text, "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN") && cx.lx.peek(state)?.is("(") {
            return self.provide(cx, &t, state);
        }
        let next = cx.lx.peek(state)?;
        if let Some(op) = assign_op(&next) {
            cx.lx.next(state)?;
            let expr = self.expr(cx)?;
            let end = cx.lx.next(State::Expression)?;
            if !(end.is(";") || end.is(",") || (end.is("}") && state == State::Wild)) {
                return Err(cx.lx.error(
                    &end,
                    format!(
                        "expected ';' after the assignment to '{}', found {}",
                        t.text,
                        end.describe()
                    ),
                ));
            }
            if end.is("}") {
                cx.lx.pos = end.start;
            }
            self.assign(t.text, op, expr, false);
            return Ok(());
        }
        if state == State::Script && t.kind == Kind::Name && t.text.contains('=') {
            return Err(cx.lx.error(
                &t,
                format!(
                    "gnu ld reads '{}' as one name; put spaces around '='",
                    t.text
                ),
            ));
        }
        if next.is("(") {
            let open = cx.lx.next(state)?;
            let inner = if state == State::Wild && !is_data_command(t.text) {
                State::Wild
            } else {
                State::Expression
            };
            skip_balanced(cx, &open, inner)?;
        }
        Ok(())
    }

    fn assign(&mut self, name: &str, op: AssignOp, expr: Expr, provide: bool) {
        // `. = ...` moves the location counter; it defines no symbol.
        if name != "." {
            self.script.stmts.push(Stmt::Assign(Assign {
                name: name.to_string(),
                op,
                expr,
                provide,
            }));
        }
    }

    /// `PROVIDE(name = expr)` (and `PROVIDE_HIDDEN`, `HIDDEN`), `PROVIDE` at `t`.
    fn provide(&mut self, cx: &mut Cx, t: &Token, state: State) -> PResult<()> {
        expect(cx, state, "(", "")?;
        let name = cx.lx.next(state)?;
        if !name.is_name() {
            return Err(cx.lx.error(
                &name,
                format!(
                    "expected a symbol name in {}(), found {}",
                    t.text,
                    name.describe()
                ),
            ));
        }
        expect(
            cx,
            State::Expression,
            "=",
            &format!("after '{}'", name.text),
        )?;
        let expr = self.expr(cx)?;
        expect(cx, State::Expression, ")", &format!("to close {}(", t.text))?;
        self.assign(name.text, None, expr, t.text != "HIDDEN");
        Ok(())
    }

    fn search_dir(&mut self, cx: &mut Cx) -> PResult<()> {
        expect(cx, State::Script, "(", "after SEARCH_DIR")?;
        let dir = cx.lx.next(State::Script)?;
        expect(cx, State::Script, ")", "to close SEARCH_DIR(")?;
        let dir = PathBuf::from(dir.text);
        self.search_dirs.push(match cx.base_dir {
            Some(b) if dir.is_relative() => b.join(dir),
            _ => dir,
        });
        Ok(())
    }

    fn region_alias(&mut self, cx: &mut Cx) -> PResult<()> {
        expect(cx, State::Script, "(", "after REGION_ALIAS")?;
        let alias = name_token(cx, State::Script, "an alias name")?;
        expect(cx, State::Script, ",", "between REGION_ALIAS() arguments")?;
        let region = name_token(cx, State::Script, "a region name")?;
        expect(cx, State::Script, ")", "to close REGION_ALIAS(")?;
        self.script.stmts.push(Stmt::Alias {
            alias: alias.text.to_string(),
            region: region.text.to_string(),
        });
        Ok(())
    }

    /// Region definitions up to the `}` closing `open` (or end of file for an
    /// included region list).
    fn memory_specs(&mut self, cx: &mut Cx, open: Option<Token>) -> PResult<()> {
        loop {
            let t = cx.lx.next(State::Script)?;
            match t.kind {
                Kind::Punct if t.text == "}" && open.is_some() => return Ok(()),
                Kind::Punct if t.text == "," => {}
                Kind::Eof => {
                    return match open {
                        Some(o) => Err(cx.lx.error(&o, "unclosed '{' of MEMORY command")),
                        None => Ok(()),
                    }
                }
                Kind::Name if t.text == "INCLUDE" => self.include(cx, &t, Mode::MemoryList)?,
                Kind::Name | Kind::Str => self.region(cx, t)?,
                _ => {
                    return Err(cx.lx.error(
                        &t,
                        format!("expected a region name, found {}", t.describe()),
                    ))
                }
            }
        }
    }

    /// `NAME [(attrs)] : ORIGIN = expr [,] LENGTH = expr`, NAME at `name`.
    fn region(&mut self, cx: &mut Cx, name: Token) -> PResult<()> {
        let mut next = cx.lx.next(State::Script)?;
        let mut attributes = None;
        if next.is("(") {
            attributes = Some(region_attributes(cx, &next)?);
            next = cx.lx.next(State::Script)?;
        }
        if !next.is(":") {
            return Err(cx.lx.error(
                &next,
                format!(
                    "expected ':' after region name '{}', found {}",
                    name.text,
                    next.describe()
                ),
            ));
        }
        let keyword = cx.lx.next(State::Script)?;
        let origin = self.region_field(cx, keyword, &["ORIGIN", "org", "o"], "ORIGIN")?;
        // The token after an expression is read in EXPRESSION state, where ld knows
        // `LENGTH` but not `l`/`len`; after a comma it is back in SCRIPT state.
        let mut keyword = cx.lx.next(State::Expression)?;
        let mut keywords: &[&str] = &["LENGTH"];
        if keyword.is(",") {
            keyword = cx.lx.next(State::Script)?;
            keywords = &["LENGTH", "len", "l"];
        }
        let length = self.region_field(cx, keyword, keywords, "LENGTH")?;
        self.script.stmts.push(Stmt::Region(RegionSpec {
            name: name.text.to_string(),
            attributes,
            origin,
            length,
            file: cx.file,
            at: cx.lx.pos_of(name.start),
        }));
        Ok(())
    }

    /// `ORIGIN = expr` (any of `keywords`), the keyword already read.
    fn region_field(
        &mut self,
        cx: &mut Cx,
        keyword: Token,
        keywords: &[&str],
        what: &str,
    ) -> PResult<Expr> {
        if !(keyword.kind == Kind::Name && keywords.contains(&keyword.text)) {
            let hint = if keyword.kind == Kind::Name && keyword.text.contains('=') {
                format!(
                    " (gnu ld reads '{}' as one name; put spaces around '=')",
                    keyword.text
                )
            } else {
                String::new()
            };
            return Err(cx.lx.error(
                &keyword,
                format!("expected {what}, found {}{hint}", keyword.describe()),
            ));
        }
        expect(cx, State::Script, "=", &format!("after {}", keyword.text))?;
        self.expr(cx)
    }

    /// Statements of `SECTIONS { ... }` up to the `}` closing `open`.
    fn sections(&mut self, cx: &mut Cx, open: Option<Token>) -> PResult<()> {
        loop {
            let t = cx.lx.next(State::Script)?;
            match t.kind {
                Kind::Eof => return unclosed(cx, open),
                Kind::Punct if t.text == "}" => return closing(cx, open, &t),
                Kind::Name if t.text == "INCLUDE" => self.include(cx, &t, Mode::Sections)?,
                Kind::Name if t.text == "OVERLAY" => self.overlay(cx)?,
                Kind::Name | Kind::Str => {
                    let next = cx.lx.peek(State::Script)?;
                    let command = matches!(
                        t.text,
                        "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN" | "ASSERT" | "ENTRY"
                    );
                    if assign_op(&next).is_some() || (command && next.is("(")) {
                        self.statement(cx, t, State::Script)?;
                    } else {
                        self.output_section(cx)?;
                    }
                }
                _ => {}
            }
        }
    }

    /// An output section after its name: `[addr] [(type)] : [AT(..)]... { ... } tail`.
    fn output_section(&mut self, cx: &mut Cx) -> PResult<()> {
        let open = skip_to_brace(cx)?;
        self.wild(cx, Some(open))?;
        self.section_tail(cx)
    }

    /// `> REGION AT> REGION :phdr = fill ,` after an output section's `}`.
    fn section_tail(&mut self, cx: &mut Cx) -> PResult<()> {
        loop {
            let t = cx.lx.peek(State::Expression)?;
            if t.is(">") || t.is(":") {
                cx.lx.next(State::Expression)?;
                cx.lx.next(State::Expression)?;
            } else if t.is_word("AT") {
                cx.lx.next(State::Expression)?;
                expect(cx, State::Expression, ">", "after AT")?;
                cx.lx.next(State::Expression)?;
            } else if t.is("=") {
                cx.lx.next(State::Expression)?;
                self.expr(cx)?;
            } else {
                if t.is(",") {
                    cx.lx.next(State::Expression)?;
                }
                return Ok(());
            }
        }
    }

    /// `OVERLAY [addr] : [NOCROSSREFS] [AT(..)] { sec { ... } ... } tail`.
    fn overlay(&mut self, cx: &mut Cx) -> PResult<()> {
        let open = skip_to_brace(cx)?;
        loop {
            let t = cx.lx.next(State::Script)?;
            match t.kind {
                Kind::Eof => return unclosed(cx, Some(open)),
                Kind::Punct if t.text == "}" => break,
                Kind::Name | Kind::Str => self.output_section(cx)?,
                _ => {}
            }
        }
        self.section_tail(cx)
    }

    /// Inside an output section's braces (ld's WILD state), up to the `}` closing
    /// `open`: input-section patterns are skipped, assignments recorded.
    fn wild(&mut self, cx: &mut Cx, open: Option<Token>) -> PResult<()> {
        loop {
            let t = cx.lx.next(State::Wild)?;
            match t.kind {
                Kind::Eof => return unclosed(cx, open),
                Kind::Punct if t.text == "}" => return closing(cx, open, &t),
                Kind::Punct if t.text == "{" => skip_balanced(cx, &t, State::Wild)?,
                Kind::Punct if t.text == "(" => skip_balanced(cx, &t, State::Wild)?,
                Kind::Name if t.text == "INCLUDE" => self.include(cx, &t, Mode::OutputSection)?,
                Kind::Name | Kind::Str => self.statement(cx, t, State::Wild)?,
                _ => {}
            }
        }
    }

    /// Follows the `INCLUDE` at `t`; the file name comes next.
    fn include(&mut self, cx: &mut Cx, t: &Token, mode: Mode) -> PResult<()> {
        let name_tok = cx.lx.next(State::Script)?;
        if !name_tok.is_name() {
            return Err(cx.lx.error(
                &name_tok,
                format!(
                    "expected a file name after INCLUDE, found {}",
                    name_tok.describe()
                ),
            ));
        }
        let name = name_tok.text;
        let (path, text) =
            find_include(name, cx.base_dir, &self.search_dirs).map_err(|source| {
                let (line, column) = cx.lx.position(t.start);
                LinkerScriptError::Include {
                    file: cx.lx.label.to_string(),
                    line,
                    column,
                    name: name.to_string(),
                    reason: io_reason(&source),
                    source,
                }
            })?;
        let canonical = std::fs::canonicalize(&path).ok();
        if canonical.is_some() && self.stack.contains(&canonical) {
            return Err(cx
                .lx
                .error(t, format!("INCLUDE cycle: '{name}' is already being read")));
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            return Err(cx.lx.error(
                t,
                format!("INCLUDE nested too deeply (more than {MAX_INCLUDE_DEPTH} levels)"),
            ));
        }
        let label = path.display().to_string();
        self.parse_file(&text, &label, path.parent(), canonical, mode)
    }
}

/// Data commands whose arguments are expressions, not patterns.
fn is_data_command(name: &str) -> bool {
    matches!(
        name,
        "BYTE" | "SHORT" | "LONG" | "QUAD" | "SQUAD" | "FILL" | "ASSERT" | "ASCIZ"
    )
}

fn unclosed(cx: &Cx, open: Option<Token>) -> PResult<()> {
    match open {
        Some(o) => Err(cx.lx.error(&o, "unclosed '{'")),
        None => Ok(()),
    }
}

fn closing(cx: &Cx, open: Option<Token>, t: &Token) -> PResult<()> {
    match open {
        Some(_) => Ok(()),
        None => Err(cx.lx.error(t, "unexpected '}'")),
    }
}

fn expect<'a>(cx: &mut Cx<'a, '_>, state: State, p: &str, context: &str) -> PResult<Token<'a>> {
    let t = cx.lx.next(state)?;
    if t.is(p) {
        return Ok(t);
    }
    let sep = if context.is_empty() { "" } else { " " };
    Err(cx.lx.error(
        &t,
        format!("expected '{p}'{sep}{context}, found {}", t.describe()),
    ))
}

fn name_token<'a>(cx: &mut Cx<'a, '_>, state: State, what: &str) -> PResult<Token<'a>> {
    let t = cx.lx.next(state)?;
    if t.is_name() {
        Ok(t)
    } else {
        Err(cx
            .lx
            .error(&t, format!("expected {what}, found {}", t.describe())))
    }
}

/// Skips to the `{` of an output section or overlay (address, type, `AT(...)`...).
fn skip_to_brace<'a>(cx: &mut Cx<'a, '_>) -> PResult<Token<'a>> {
    loop {
        let t = cx.lx.next(State::Expression)?;
        match t.kind {
            Kind::Punct if t.text == "{" => return Ok(t),
            Kind::Punct if t.text == "(" => skip_balanced(cx, &t, State::Expression)?,
            Kind::Punct if t.text == "}" || t.text == ";" => {
                return Err(cx.lx.error(
                    &t,
                    format!("expected '{{' of an output section, found {}", t.describe()),
                ))
            }
            Kind::Eof => {
                return Err(cx
                    .lx
                    .error(&t, "expected '{' of an output section, found end of file"))
            }
            _ => {}
        }
    }
}

/// Skips to the bracket closing `open` (`(` or `{`), lexing in `state`.
fn skip_balanced(cx: &mut Cx, open: &Token, state: State) -> PResult<()> {
    let mut depth = 0usize;
    loop {
        let t = cx.lx.next(state)?;
        match t.kind {
            Kind::Eof => return Err(cx.lx.error(open, format!("unclosed '{}'", open.text))),
            Kind::Punct if t.text == "(" || t.text == "{" => depth += 1,
            Kind::Punct if t.text == ")" || t.text == "}" => {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
            }
            _ => {}
        }
    }
}

/// The attribute letters between the `(` at `open` and its `)`.
fn region_attributes(cx: &mut Cx, open: &Token) -> PResult<String> {
    let from = open.start + 1;
    let close = loop {
        let t = cx.lx.next(State::Script)?;
        if t.is(")") {
            break t;
        }
        if t.kind == Kind::Eof || t.is(":") || t.is("}") {
            return Err(cx.lx.error(open, "unclosed '(' in region attributes"));
        }
    };
    let raw = &cx.lx.text[from..close.start];
    let attrs: String = raw.split_whitespace().collect();
    if let Some(bad) = attrs.chars().find(|c| !"rRwWxXaAiIlL!".contains(*c)) {
        let off = from + raw.find(bad).unwrap_or(0);
        return Err(cx.lx.error_at(
            off,
            format!("invalid memory attribute '{bad}' (expected r, w, x, a, i, l or !)"),
        ));
    }
    Ok(attrs)
}

fn find_include(
    name: &str,
    base_dir: Option<&Path>,
    search_dirs: &[PathBuf],
) -> std::io::Result<(PathBuf, String)> {
    let name_path = Path::new(name);
    let mut candidates = Vec::new();
    if name_path.is_absolute() {
        candidates.push(name_path.to_path_buf());
    } else {
        if let Some(b) = base_dir {
            candidates.push(b.join(name_path));
        }
        candidates.push(name_path.to_path_buf());
        candidates.extend(search_dirs.iter().map(|d| d.join(name_path)));
    }
    let mut first_err: Option<std::io::Error> = None;
    for c in candidates {
        match read_text(&c) {
            Ok(text) => return Ok((c, text)),
            // Prefer a "real" error (permission denied, is a directory) over NotFound.
            Err(e) => {
                if first_err
                    .as_ref()
                    .is_none_or(|f| f.kind() == std::io::ErrorKind::NotFound)
                {
                    first_err = Some(e);
                }
            }
        }
    }
    Err(first_err.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound)))
}

// ---------------------------------------------------------------------------
// Expressions (ld's EXPRESSION state). Precedence climbing over ld's `%left`
// levels; unary operators are collected in a loop, so only parentheses, function
// arguments and `?:` recurse, each counted against MAX_EXPR_DEPTH.

impl Parser {
    /// An expression starting at the next token; stops before the first token that
    /// cannot continue it.
    fn expr(&mut self, cx: &mut Cx) -> PResult<Expr> {
        let start = cx.lx.peek(State::Expression)?;
        cx.depth += 1;
        if cx.depth > MAX_EXPR_DEPTH {
            return Err(cx.lx.error(
                &start,
                format!("expression nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
            ));
        }
        let result = self.ternary(cx);
        cx.depth -= 1;
        result
    }

    fn ternary(&mut self, cx: &mut Cx) -> PResult<Expr> {
        let cond = self.binary(cx, 1)?;
        if !cx.lx.peek(State::Expression)?.is("?") {
            return Ok(cond);
        }
        cx.lx.next(State::Expression)?;
        let a = self.expr(cx)?;
        expect(cx, State::Expression, ":", "in '?:' expression")?;
        let b = self.expr(cx)?;
        let (file, at) = (cond.file, cond.at);
        node(
            cx,
            file,
            at,
            ExprKind::Cond(Box::new(cond), Box::new(a), Box::new(b)),
        )
    }

    fn binary(&mut self, cx: &mut Cx, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.unary(cx)?;
        loop {
            let t = cx.lx.peek(State::Expression)?;
            let Some((op, prec)) = BinOp::from_token(&t).filter(|&(_, p)| p >= min_prec) else {
                return Ok(lhs);
            };
            cx.lx.next(State::Expression)?;
            let rhs = self.binary(cx, prec + 1)?;
            let at = cx.lx.pos_of(t.start);
            lhs = node(
                cx,
                cx.file,
                at,
                ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            )?;
        }
    }

    fn unary(&mut self, cx: &mut Cx) -> PResult<Expr> {
        let mut ops = Vec::new();
        loop {
            let t = cx.lx.peek(State::Expression)?;
            let op = match t.text {
                "-" => UnOp::Neg,
                "+" => UnOp::Plus,
                "!" => UnOp::Not,
                "~" => UnOp::Complement,
                _ => break,
            };
            if t.kind != Kind::Punct {
                break;
            }
            if cx.depth + ops.len() >= MAX_EXPR_DEPTH {
                return Err(cx.lx.error(
                    &t,
                    format!("expression nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
                ));
            }
            cx.lx.next(State::Expression)?;
            ops.push((op, cx.lx.pos_of(t.start)));
        }
        let mut e = self.primary(cx)?;
        for (op, at) in ops.into_iter().rev() {
            e = node(cx, cx.file, at, ExprKind::Unary(op, Box::new(e)))?;
        }
        Ok(e)
    }

    fn primary(&mut self, cx: &mut Cx) -> PResult<Expr> {
        let t = cx.lx.next(State::Expression)?;
        let at = cx.lx.pos_of(t.start);
        let leaf = |kind| {
            Ok(Expr {
                kind,
                file: cx.file,
                at,
                height: 1,
            })
        };
        match t.kind {
            Kind::Number => match parse_number(t.text) {
                Ok(v) => leaf(ExprKind::Num(v)),
                Err(m) => Err(cx.lx.error(&t, m)),
            },
            Kind::Punct if t.text == "(" => {
                let e = self.expr(cx)?;
                expect(cx, State::Expression, ")", "to close '('")?;
                Ok(e)
            }
            Kind::Name if t.text == "." => leaf(ExprKind::Dot),
            Kind::Name if cx.lx.peek(State::Expression)?.is("(") => {
                cx.lx.next(State::Expression)?;
                let e = self.function(cx, &t)?;
                expect(cx, State::Expression, ")", &format!("to close {}(", t.text))?;
                Ok(e)
            }
            Kind::Name | Kind::Str => leaf(ExprKind::Sym(t.text.to_string())),
            _ => Err(cx.lx.error(
                &t,
                format!("expected an expression, found {}", t.describe()),
            )),
        }
    }

    /// A function call; `(` has been read, `)` is left for the caller.
    fn function(&mut self, cx: &mut Cx, name: &Token) -> PResult<Expr> {
        let at = cx.lx.pos_of(name.start);
        let file = cx.file;
        let kind = match name.text {
            "ORIGIN" | "LENGTH" | "DEFINED" => {
                let arg = name_token(cx, State::Expression, "a name")?;
                // Errors about the region point at its name.
                let at = cx.lx.pos_of(arg.start);
                let arg = arg.text.to_string();
                let kind = match name.text {
                    "ORIGIN" => ExprKind::Origin(arg),
                    "LENGTH" => ExprKind::Length(arg),
                    _ => ExprKind::Defined(arg),
                };
                return node(cx, file, at, kind);
            }
            "ABSOLUTE" => return self.expr(cx),
            "LOG2CEIL" => ExprKind::Log2Ceil(Box::new(self.expr(cx)?)),
            "MAX" | "MIN" | "ALIGN" => {
                let a = self.expr(cx)?;
                if name.text == "ALIGN" && !cx.lx.peek(State::Expression)?.is(",") {
                    ExprKind::Unknown("ALIGN".into())
                } else {
                    expect(
                        cx,
                        State::Expression,
                        ",",
                        &format!("between {}() arguments", name.text),
                    )?;
                    let b = self.expr(cx)?;
                    match name.text {
                        "MAX" => ExprKind::Max(Box::new(a), Box::new(b)),
                        "MIN" => ExprKind::Min(Box::new(a), Box::new(b)),
                        _ => ExprKind::Align(Box::new(a), Box::new(b)),
                    }
                }
            }
            // ld's default when no -T<segment> option names the segment.
            "SEGMENT_START" => {
                name_token(cx, State::Expression, "a segment name")?;
                expect(
                    cx,
                    State::Expression,
                    ",",
                    "between SEGMENT_START() arguments",
                )?;
                return self.expr(cx);
            }
            "ADDR"
            | "LOADADDR"
            | "SIZEOF"
            | "ALIGNOF"
            | "CONSTANT"
            | "NEXT"
            | "BLOCK"
            | "DATA_SEGMENT_ALIGN"
            | "DATA_SEGMENT_RELRO_END"
            | "DATA_SEGMENT_END"
            | "ASSERT" => {
                let open = Token {
                    kind: Kind::Punct,
                    text: "(",
                    start: name.start,
                };
                skip_balanced(cx, &open, State::Expression)?;
                cx.lx.pos -= 1; // leave the `)` for the caller
                ExprKind::Unknown(name.text.to_string())
            }
            _ => {
                return Err(cx
                    .lx
                    .error(name, format!("unknown function {}()", name.text)));
            }
        };
        node(cx, file, at, kind)
    }
}

/// A tree node over already-built children, refused past [`MAX_EXPR_DEPTH`].
fn node(cx: &Cx, file: usize, at: Pos, kind: ExprKind) -> PResult<Expr> {
    let child = |e: &Expr| e.height;
    let height = 1 + match &kind {
        ExprKind::Unary(_, a) | ExprKind::Log2Ceil(a) => child(a),
        ExprKind::Binary(_, a, b)
        | ExprKind::Max(a, b)
        | ExprKind::Min(a, b)
        | ExprKind::Align(a, b) => child(a).max(child(b)),
        ExprKind::Cond(a, b, c) => child(a).max(child(b)).max(child(c)),
        _ => 0,
    };
    if height > MAX_EXPR_DEPTH {
        let (line, column) = (at.line, at.column);
        return Err(LinkerScriptError::Syntax {
            file: cx.lx.label.to_string(),
            line,
            column,
            message: format!("expression nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
        });
    }
    Ok(Expr {
        kind,
        file,
        at,
        height,
    })
}

/// `NAME=EXPR` of `--defsym`, read as ld reads it (EXPRESSION state, whole string).
pub(super) fn parse_defsym(text: &str) -> PResult<Assign> {
    let mut parser = Parser::new(&[]);
    parser.script.files.push("--defsym".to_string());
    let mut cx = Cx {
        lx: Lexer::new("--defsym", text),
        base_dir: None,
        file: 0,
        depth: 0,
    };
    let name = name_token(&mut cx, State::Expression, "a symbol name")?;
    expect(
        &mut cx,
        State::Expression,
        "=",
        &format!("after '{}'", name.text),
    )?;
    let expr = parser.expr(&mut cx)?;
    let end = cx.lx.next(State::Expression)?;
    if end.kind != Kind::Eof {
        return Err(cx.lx.error(
            &end,
            format!("unexpected {} after the expression", end.describe()),
        ));
    }
    Ok(Assign {
        name: name.text.to_string(),
        op: None,
        expr,
        provide: false,
    })
}
