//! Static worst-case stack analysis from the machine code of an ELF.
//!
//! Every function is decoded once by an [`Isa`] (today [`arm::Thumb`] for Cortex-M), which
//! follows all its paths and reports its frame (the deepest SP below its entry), its call
//! sites with the depth at each, and whatever it could not resolve. The call graph built
//! from those gives each function's worst case (frame or deepest call site + callee worst
//! case), and the roots (reset handler, exception and interrupt handlers) the bound of the
//! main stack. Whatever makes a bound unsound (indirect calls, recursion, dynamic SP,
//! undecodable bytes, code without a symbol) is listed and marks the bound incomplete:
//! "at least N". DWARF CFI, where present, is a cross-check: it can only raise a frame.
//!
//! Adding an ISA (RISC-V RV32IMC next) means one more module implementing [`Isa`] and one
//! arm in [`select_isa`]; the graph, roots and renderers are shared.

#![deny(missing_docs)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::demangle::demangle;
use crate::elf::{Image, SymbolKind};
use crate::error::Error;

pub mod annotate;
pub mod arm;
mod cfi;
pub mod code;
mod indirect;
mod roots;
pub mod thumb;

use annotate::{Annotations, Assumption, Pattern};
use code::Code;

/// One instruction set: decode a function into its SP effects and call edges.
pub trait Isa {
    /// Architecture label for the output (`ARMv7E-M`, ...).
    fn arch(&self) -> &str;
    /// Analyse the function entered at `entry`, whose code lies in `[lo, hi)`.
    fn function(&self, code: &Code, entry: u64, lo: u64, hi: u64) -> FunctionFacts;
}

/// What an [`Isa`] found in one function.
#[derive(Debug, Default, Clone)]
pub struct FunctionFacts {
    /// Deepest stack use of the function itself, in bytes below its entry SP.
    pub frame: u32,
    /// Calls and tail calls out of the function.
    pub calls: Vec<CallSite>,
    /// Unresolved things at an instruction address, with the stack depth there.
    pub unknowns: Vec<(u64, UnknownKind, u32)>,
    /// The function executes floating-point instructions.
    pub uses_fp: bool,
    /// Indirect calls and jumps through a register loaded from `[rX, #offset]`:
    /// (site, offset, whether `rX` was itself loaded from memory), the vtable slot when
    /// `rX` holds a vtable.
    pub slots: Vec<(u64, u32, bool)>,
    /// Constants the code builds with `movw`/`movt` (function addresses among them are
    /// address-taken).
    pub constants: Vec<u32>,
}

/// A call (or tail call) out of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSite {
    /// Address of the call instruction.
    pub site: u64,
    /// Address called.
    pub target: u64,
    /// Bytes the caller has pushed below its entry SP at the call.
    pub depth: u32,
    /// A branch out of the function (the caller's frame is gone or stays at `depth`).
    pub tail: bool,
}

/// Why a bound is incomplete.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UnknownKind {
    /// `blx rX` to a computed target (function pointers, `dyn` calls).
    IndirectCall,
    /// `bx rX`, `ldr pc, ...` or a jump table we could not follow.
    IndirectJump,
    /// SP set from a value not known statically (alloca, VLA, stack switch).
    DynamicSp,
    /// Bytes that do not decode as an instruction of this ISA.
    Undecodable,
    /// A switch to A32 code (`blx imm`), which M-profile cores cannot execute.
    ArmCode,
    /// Code reached that no function symbol covers.
    NoSymbol,
    /// A call target outside every executable section.
    OutsideCode,
    /// A cycle in the call graph: counted once.
    Recursion,
    /// DWARF CFI records a deeper frame than the code shows (the CFI value is used).
    CfiDeeper,
}

/// An unresolved item, where it is.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Unknown {
    /// What is unresolved.
    pub kind: UnknownKind,
    /// Function (demangled) the instruction belongs to.
    pub function: String,
    /// Instruction address (function entry for `no_symbol`, `recursion`, `cfi_deeper`).
    pub address: u64,
    /// For `recursion`: the functions of the cycle; for `no_symbol`/`outside_code`: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cycle: Vec<String>,
    /// For `cfi_deeper`: the frame the code shows and the one CFI gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames: Option<(u32, u32)>,
    /// Stack depth of the function at the instruction (for annotated targets).
    #[serde(skip)]
    pub depth: u32,
}

/// `membudget stack --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StackReport {
    /// `membudget.stack/1`.
    #[schemars(extend("const" = "membudget.stack/1"))]
    pub schema: String,
    /// ELF file name (no directories).
    pub file: String,
    /// Architecture and profile (`ARMv7E-M with FPU`).
    pub arch: String,
    /// Where the roots came from (vector table symbols or section, entry point).
    pub roots_from: String,
    /// Every function symbol in code, in address order.
    pub functions: Vec<Function>,
    /// Where execution starts, in vector order.
    pub roots: Vec<Root>,
    /// The bound of the main stack.
    pub main_stack: MainStack,
    /// Every unresolved item in the image (reachable from a root or not).
    pub unknowns: Vec<Unknown>,
    /// Budget annotations the bounds rely on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<Assumption>,
    /// Decoded frames compared with DWARF CFI.
    pub cfi: CfiCheck,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
/// One function's stack use.
pub struct Function {
    /// Demangled name.
    pub name: String,
    /// Symbol table name.
    pub raw_name: String,
    /// Entry address (Thumb bit cleared).
    pub address: u64,
    /// Symbol size.
    pub size: u64,
    /// Bytes the function itself pushes and allocates, at its deepest point.
    pub frame: u32,
    /// Bytes below the SP at its entry on its deepest path, callees included.
    pub worst_case: u64,
    /// False when something unresolved is reachable: the bound is "at least".
    pub complete: bool,
    /// Largest SP-based CFA offset of its DWARF CFI, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfi_frame: Option<u32>,
}

/// What a root is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RootKind {
    /// The reset handler: thread mode until an RTOS starts.
    Reset,
    /// A system exception (NMI, HardFault, SysTick...).
    Exception,
    /// An external interrupt.
    Interrupt,
    /// The handler most vectors share (cortex-m-rt's `DefaultHandler`, CMSIS's
    /// `Default_Handler`): one root, counted once.
    DefaultHandler,
    /// The ELF entry point (no vector table).
    Entry,
    /// A global function nothing calls (no vector table: flash algorithms, libraries).
    Uncalled,
    /// A thread entry named in the budget (runs on its own stack).
    Thread,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
/// An entry point and its worst case.
pub struct Root {
    /// Demangled name of the handler or entry.
    pub name: String,
    /// What kind of root.
    pub kind: RootKind,
    /// Vector names served by this handler (`Reset`, `SysTick`, `IRQ5`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vectors: Vec<String>,
    /// Entry address.
    pub address: u64,
    /// Deepest stack use from this root, in bytes.
    pub worst_case: u64,
    /// False when something unresolved is reachable.
    pub complete: bool,
    /// The deepest path, root first.
    pub path: Vec<PathStep>,
    /// Everything unresolved reachable from this root.
    pub unknowns: Vec<Unknown>,
    /// Threads: the stack they run on (from the budget), in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_size: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
/// One function on a worst path.
pub struct PathStep {
    /// Demangled name (`name+0xN` when entered in the middle).
    pub function: String,
    /// Entry address.
    pub address: u64,
    /// Its frame.
    pub frame: u32,
    /// Depth below this function's entry SP at the call to the next step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_depth: Option<u32>,
}

/// The main stack: the thread's worst path plus handlers preempting it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MainStack {
    /// `every_handler_once`: each distinct handler preempts once, at the deepest point,
    /// and they nest (sound without priority information); `priority_groups`: the same,
    /// except that handlers of one budget priority group never nest (the group costs its
    /// deepest handler).
    pub assumption: String,
    /// The thread-mode root (reset handler or entry point), if any.
    pub thread: Option<String>,
    /// Worst case of the thread root.
    pub thread_worst_case: u64,
    /// Bytes an exception entry pushes: 32, or 104 when the image uses the FPU (lazy
    /// stacking still reserves the space).
    pub exception_frame: u32,
    /// Up to 4 bytes of padding to align the exception frame to 8 bytes.
    pub alignment: u32,
    /// What each handler adds when it preempts.
    pub handlers: Vec<HandlerCost>,
    /// Thread worst case plus handler nesting: the bound of the main stack.
    pub total: u64,
    /// False when any root's bound is incomplete.
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
/// One handler's contribution to the main stack.
pub struct HandlerCost {
    /// Handler name.
    pub name: String,
    /// Its worst case.
    pub worst_case: u64,
    /// `worst_case + exception_frame + alignment`.
    pub cost: u64,
}

/// How decoded frames compare with DWARF CFI.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CfiCheck {
    /// Functions with both a decoded frame and an FDE.
    pub compared: usize,
    /// Frames equal to CFI's largest SP-based offset.
    pub equal: usize,
    /// Frames deeper than CFI shows (locals after a frame pointer, dynamic adjustments).
    pub deeper_than_cfi: usize,
    /// CFI deeper than the decoded frame (listed as `cfi_deeper` unknowns).
    pub shallower_than_cfi: usize,
}

/// Analyse the ELF at `path`.
pub fn analyze_path(path: &Path) -> Result<StackReport, Error> {
    analyze_path_with(path, &Annotations::default())
}

/// Analyse the ELF at `path` with budget annotations.
pub fn analyze_path_with(path: &Path, ann: &Annotations) -> Result<StackReport, Error> {
    let label = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: label.clone(),
        source,
    })?;
    // SAFETY: read-only private map, as in `elf::load_path`.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| Error::Io {
        path: label.clone(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| label.clone());
    analyze_bytes_with(&map, &name, ann).map_err(|e| e.with_path(&label))
}

/// Analyse an ELF held in memory; `name` labels the output.
pub fn analyze_bytes(data: &[u8], name: &str) -> Result<StackReport, Error> {
    analyze_bytes_with(data, name, &Annotations::default())
}

/// Analyse an ELF held in memory with budget annotations.
pub fn analyze_bytes_with(
    data: &[u8],
    name: &str,
    ann: &Annotations,
) -> Result<StackReport, Error> {
    let image = crate::elf::load_bytes(data, name)?;
    let code = Code::parse(data, name)?;
    let isa = select_isa(&image, &code)?;
    Analysis::new(&image, &code, isa.as_ref(), ann).run()
}

/// Whether the analysis may apply to this image at all (its machine is one `select_isa`
/// knows): `report` adds the stack need as a bonus, and skips reading the file a second
/// time for images that can never have one.
pub fn may_apply(image: &Image) -> bool {
    image.machine == object::elf::EM_ARM.0
}

/// The ISA module for this image, or why there is none.
pub fn select_isa(image: &Image, code: &Code) -> Result<Box<dyn Isa>, Error> {
    let unsupported = |what: String| Error::BadElf {
        path: image.file_name.clone(),
        msg: format!("stack analysis does not support {what} yet"),
    };
    if image.machine != object::elf::EM_ARM.0 {
        return Err(unsupported(image.info.machine.clone()));
    }
    if code.e_type != object::elf::ET_EXEC.0 && code.e_type != object::elf::ET_DYN.0 {
        return Err(unsupported(
            "relocatable objects (link the image first)".into(),
        ));
    }
    let attrs = code
        .attributes
        .map(|a| code::arm_attributes(a, code.big_endian))
        .unwrap_or_default();
    let arch = match (attrs.profile, attrs.cpu_arch) {
        (Some(b'M'), arch) => match arch {
            Some(11) => "ARMv6-M",
            Some(12) => "ARMv6S-M",
            Some(10) => "ARMv7-M",
            Some(13) => "ARMv7E-M",
            Some(16) => "ARMv8-M baseline",
            Some(17) => "ARMv8-M mainline",
            Some(21) => "ARMv8.1-M mainline",
            _ => "M-profile",
        },
        (Some(p), _) if p == b'A' || p == b'R' => {
            return Err(unsupported(format!("ARM {}-profile code", p as char)))
        }
        _ => {
            // No profile: accept only Thumb-only images (every function symbol has the
            // Thumb bit, no `$a` code), as M-profile cores run nothing else.
            let thumb_only = !code.func_values.is_empty()
                && code.func_values.iter().all(|v| v & 1 == 1)
                && !code.has_arm_code
                && attrs.arm_isa.unwrap_or(0) == 0;
            if !thumb_only {
                return Err(unsupported("ARM A32 code (not an M-profile image)".into()));
            }
            "Thumb (no build attributes)"
        }
    };
    let fpu = if attrs.fp_arch.unwrap_or(0) != 0 {
        " with FPU"
    } else {
        ""
    };
    let case_helpers = image
        .symbols
        .iter()
        .filter(|s| s.kind == SymbolKind::Func)
        .filter_map(|s| Some((s.addr, arm::CaseHelper::from_name(&s.raw)?)))
        .collect();
    Ok(Box::new(arm::Thumb {
        arch: format!("{arch}{fpu}"),
        case_helpers,
    }))
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    OnPath,
    Done,
}

/// State of the worst-case walk over the call graph.
struct Walk {
    mark: Vec<Mark>,
    /// Member of an unbounded cycle: its bound is incomplete.
    in_cycle: Vec<bool>,
    /// Extra bytes from recursion bounded by the budget.
    extra: Vec<u64>,
    /// (node, call index) closing a bounded cycle.
    bounded_edges: std::collections::HashSet<(usize, usize)>,
    cycles: Vec<Vec<usize>>,
}

impl Walk {
    fn new(n: usize) -> Walk {
        Walk {
            mark: vec![Mark::New; n],
            in_cycle: vec![false; n],
            extra: vec![0; n],
            bounded_edges: Default::default(),
            cycles: Vec::new(),
        }
    }
}

/// A function symbol, its code bounds and names.
#[derive(Debug, Clone)]
struct Func {
    addr: u64,
    size: u64,
    /// End of the code the analysis may follow (size, or next symbol / section end).
    end: u64,
    raw: String,
    name: String,
    global: bool,
}

/// One entry point into code: a function start, the middle of a function, or code with
/// no symbol.
#[derive(Debug)]
struct Node {
    entry: u64,
    func: Option<usize>,
    name: String,
    facts: FunctionFacts,
    /// Resolved callee node per call site (None: unresolved, listed in `unknowns`).
    callees: Vec<Option<usize>>,
    unknowns: Vec<Unknown>,
    worst: u64,
    complete: bool,
    /// Index into `callees` of the call on the worst path.
    best: Option<usize>,
    cfi_frame: Option<u32>,
}

struct Analysis<'i, 'c, 'a> {
    image: &'i Image,
    code: &'c Code<'a>,
    isa: &'c dyn Isa,
    ann: &'c Annotations,
    assumptions: Vec<Assumption>,
    funcs: Vec<Func>,
    nodes: Vec<Node>,
    by_entry: HashMap<u64, usize>,
}

impl<'i, 'c, 'a> Analysis<'i, 'c, 'a> {
    fn new(image: &'i Image, code: &'c Code<'a>, isa: &'c dyn Isa, ann: &'c Annotations) -> Self {
        Analysis {
            image,
            code,
            isa,
            ann,
            assumptions: Vec::new(),
            funcs: functions(image, code),
            nodes: Vec::new(),
            by_entry: HashMap::new(),
        }
    }

    fn run(mut self) -> Result<StackReport, Error> {
        for i in 0..self.funcs.len() {
            let f = &self.funcs[i];
            self.add_node(f.addr, Some(i), f.name.clone());
        }
        let table = roots::vector_table(self.image, self.code);
        if let Some((_, vectors)) = &table {
            for v in vectors {
                self.resolve(v.target);
            }
        }
        // Decode nodes in creation order; resolving calls may add nodes at the end.
        let mut next = 0;
        while next < self.nodes.len() {
            self.decode(next);
            next += 1;
        }
        let threads = self.thread_nodes()?;
        let cfi = self.cross_check_cfi();
        self.annotate()?;
        self.worst_cases()?;
        let (roots_from, mut roots) = self.roots(table);
        for (n, size) in threads {
            let mut root = self.root(n, RootKind::Thread, Vec::new());
            root.stack_size = size;
            roots.push(root);
        }
        let main_stack = self.main_stack(&roots);
        let functions = self.function_rows();
        let mut unknowns: Vec<Unknown> = self
            .nodes
            .iter()
            .flat_map(|n| n.unknowns.iter().cloned())
            .collect();
        unknowns.sort();
        unknowns.dedup();
        let mut assumptions = std::mem::take(&mut self.assumptions);
        assumptions.sort();
        assumptions.dedup();
        Ok(StackReport {
            schema: "membudget.stack/1".into(),
            file: self.image.file_name.clone(),
            arch: self.isa.arch().to_string(),
            roots_from,
            functions,
            roots,
            main_stack,
            unknowns,
            assumptions,
            cfi,
        })
    }

    fn add_node(&mut self, entry: u64, func: Option<usize>, name: String) -> usize {
        let i = self.nodes.len();
        self.nodes.push(Node {
            entry,
            func,
            name,
            facts: FunctionFacts::default(),
            callees: Vec::new(),
            unknowns: Vec::new(),
            worst: 0,
            complete: true,
            best: None,
            cfi_frame: None,
        });
        self.by_entry.insert(entry, i);
        i
    }

    /// The function whose code holds `addr`.
    fn func_at(&self, addr: u64) -> Option<usize> {
        let i = self.funcs.partition_point(|f| f.addr <= addr);
        let f = i.checked_sub(1)?;
        (addr < self.funcs[f].end).then_some(f)
    }

    fn decode(&mut self, n: usize) {
        let entry = self.nodes[n].entry;
        let (lo, hi) = match self.nodes[n].func {
            Some(f) => (self.funcs[f].addr, self.funcs[f].end),
            None => {
                // No symbol: follow the code up to the next symbol or the section end.
                let (_, sec_end) = self.code.code_range(entry).unwrap_or((entry, entry));
                let i = self.funcs.partition_point(|f| f.addr <= entry);
                let next = self.funcs.get(i).map_or(sec_end, |f| f.addr.min(sec_end));
                (entry, next)
            }
        };
        let facts = self.isa.function(self.code, entry, lo, hi);
        let name = self.nodes[n].name.clone();
        let mut unknowns: Vec<Unknown> = facts
            .unknowns
            .iter()
            .map(|(address, kind, depth)| Unknown {
                kind: kind.clone(),
                function: name.clone(),
                address: *address,
                cycle: Vec::new(),
                frames: None,
                depth: *depth,
            })
            .collect();
        if self.nodes[n].func.is_none() {
            unknowns.push(Unknown {
                kind: UnknownKind::NoSymbol,
                function: name.clone(),
                address: entry,
                cycle: Vec::new(),
                frames: None,
                depth: 0,
            });
        }
        let mut callees = Vec::with_capacity(facts.calls.len());
        for call in &facts.calls {
            let callee = self.resolve(call.target);
            if callee.is_none() {
                unknowns.push(Unknown {
                    kind: UnknownKind::OutsideCode,
                    function: name.clone(),
                    address: call.site,
                    cycle: Vec::new(),
                    frames: None,
                    depth: 0,
                });
            }
            callees.push(callee);
        }
        let node = &mut self.nodes[n];
        node.facts = facts;
        node.callees = callees;
        node.unknowns = unknowns;
    }

    /// The node entered at `target`, created on first use.
    fn resolve(&mut self, target: u64) -> Option<usize> {
        if let Some(&n) = self.by_entry.get(&target) {
            return Some(n);
        }
        if let Some(f) = self.func_at(target) {
            let func = &self.funcs[f];
            let name = format!("{}+{:#x}", func.name, target - func.addr);
            return Some(self.add_node(target, Some(f), name));
        }
        self.code.code_range(target)?;
        Some(self.add_node(target, None, format!("{target:#010x}")))
    }

    fn cross_check_cfi(&mut self) -> CfiCheck {
        let frames = cfi::frames(self.code);
        let mut check = CfiCheck::default();
        for node in &mut self.nodes {
            if node.func.is_none() || node.name.contains('+') {
                continue;
            }
            let Some(&cfi) = frames.get(&node.entry) else {
                continue;
            };
            node.cfi_frame = Some(cfi);
            check.compared += 1;
            let frame = node.facts.frame;
            match frame.cmp(&cfi) {
                std::cmp::Ordering::Equal => check.equal += 1,
                std::cmp::Ordering::Greater => check.deeper_than_cfi += 1,
                std::cmp::Ordering::Less => {
                    check.shallower_than_cfi += 1;
                    node.unknowns.push(Unknown {
                        kind: UnknownKind::CfiDeeper,
                        function: node.name.clone(),
                        address: node.entry,
                        cycle: Vec::new(),
                        frames: Some((frame, cfi)),
                        depth: 0,
                    });
                    node.facts.frame = cfi;
                }
            }
        }
        check
    }

    /// Worst case of every node: an iterative depth-first walk (call chains can be long),
    /// where a call back into a node still on the walk is recursion: counted once and
    /// listed, or, when the budget bounds its depth to N, counted N times around the cycle.
    fn worst_cases(&mut self) -> Result<(), Error> {
        let bounds: Vec<(Pattern, u32)> = self
            .ann
            .recursion
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let at = format!("budget.stack.analysis.recursion[{i}]");
                Ok((Pattern::new(&r.function, &at)?, r.depth.max(1)))
            })
            .collect::<Result<_, Error>>()?;
        let mut walk = Walk::new(self.nodes.len());
        for start in 0..self.nodes.len() {
            if walk.mark[start] != Mark::New {
                continue;
            }
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            walk.mark[start] = Mark::OnPath;
            while let Some(&mut (n, ref mut next)) = path.last_mut() {
                if *next >= self.nodes[n].callees.len() {
                    self.finish(&mut walk, n);
                    path.pop();
                    continue;
                }
                let i = *next;
                *next += 1;
                let Some(c) = self.nodes[n].callees[i] else {
                    continue;
                };
                match walk.mark[c] {
                    Mark::New => {
                        walk.mark[c] = Mark::OnPath;
                        path.push((c, 0));
                    }
                    Mark::OnPath => self.back_edge(&mut walk, &bounds, &path, c, (n, i)),
                    Mark::Done => {}
                }
            }
        }
        self.record_cycles(walk.cycles);
        Ok(())
    }

    /// A call from the top of `path` back to `c`, which is on it: a cycle.
    fn back_edge(
        &mut self,
        walk: &mut Walk,
        bounds: &[(Pattern, u32)],
        path: &[(usize, usize)],
        c: usize,
        edge: (usize, usize),
    ) {
        let from = path.iter().position(|&(p, _)| p == c).unwrap_or(0);
        let members: Vec<usize> = path[from..].iter().map(|&(p, _)| p).collect();
        let bound = bounds
            .iter()
            .find(|(pat, _)| members.iter().any(|&m| pat.matches(&self.nodes[m].name)));
        let Some(&(_, depth)) = bound else {
            for &m in &members {
                walk.in_cycle[m] = true;
            }
            walk.cycles.push(members);
            return;
        };
        // Bytes one trip around the cycle adds: the call depths on it. Each member gets the
        // extra trips (sound; exact for a function calling itself).
        let cost: u64 = path[from..]
            .iter()
            .map(|&(p, next)| self.nodes[p].facts.calls[next - 1].depth as u64)
            .sum();
        walk.bounded_edges.insert(edge);
        for &m in &members {
            walk.extra[m] = walk.extra[m].max((depth as u64 - 1) * cost);
        }
        let mut cycle: Vec<String> = members
            .iter()
            .map(|&m| self.nodes[m].name.clone())
            .collect();
        cycle.sort();
        self.assumptions
            .push(Assumption::RecursionDepth { cycle, depth });
    }

    /// Every callee of `n` is done (or on the walk): its worst case and path.
    fn finish(&mut self, walk: &mut Walk, n: usize) {
        let node = &self.nodes[n];
        let mut worst = node.facts.frame as u64;
        let mut best = None;
        let mut complete = node.unknowns.is_empty() && !walk.in_cycle[n];
        for (i, (call, callee)) in node.facts.calls.iter().zip(&node.callees).enumerate() {
            let Some(c) = *callee else { continue };
            let (w, ok) = match walk.mark[c] {
                Mark::Done => (self.nodes[c].worst, self.nodes[c].complete),
                // Bounded recursion: the trips around the cycle are in `extra`.
                _ if walk.bounded_edges.contains(&(n, i)) => (0, true),
                // Unbounded recursion: the callee's frame once.
                _ => (self.nodes[c].facts.frame as u64, false),
            };
            complete &= ok;
            let total = call.depth as u64 + w;
            if total > worst {
                worst = total;
                best = Some(i);
            }
        }
        let node = &mut self.nodes[n];
        node.worst = worst + walk.extra[n];
        node.best = best;
        node.complete = complete;
        walk.mark[n] = Mark::Done;
    }

    /// One `recursion` unknown per unbounded cycle, on its lowest-addressed member.
    fn record_cycles(&mut self, cycles: Vec<Vec<usize>>) {
        for members in cycles {
            let mut names: Vec<String> = members
                .iter()
                .map(|&m| self.nodes[m].name.clone())
                .collect();
            names.sort();
            names.dedup();
            let first = members
                .iter()
                .copied()
                .min_by_key(|&m| self.nodes[m].entry)
                .unwrap_or(members[0]);
            let unknown = Unknown {
                kind: UnknownKind::Recursion,
                function: self.nodes[first].name.clone(),
                address: self.nodes[first].entry,
                cycle: names,
                frames: None,
                depth: 0,
            };
            if !self.nodes[first].unknowns.contains(&unknown) {
                self.nodes[first].unknowns.push(unknown);
            }
        }
    }

    /// Nodes whose function name matches a pattern (function starts only).
    fn matching(&self, pat: &Pattern) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&n| {
                let node = &self.nodes[n];
                node.func.is_some_and(|f| {
                    self.funcs[f].addr == node.entry
                        && (pat.matches(&self.funcs[f].name) || pat.matches(&self.funcs[f].raw))
                })
            })
            .collect()
    }

    /// Apply the budget's frames, indirect-call targets and impossible calls.
    fn annotate(&mut self) -> Result<(), Error> {
        self.annotate_frames()?;
        self.annotate_indirect()?;
        if self.ann.resolve_indirect {
            self.resolve_indirect();
        }
        self.annotate_no_calls()
    }

    fn annotate_frames(&mut self) -> Result<(), Error> {
        for (i, d) in self.ann.frames.iter().enumerate() {
            let at = format!("budget.stack.analysis.frames[{i}]");
            let nodes = self.matching(&Pattern::new(&d.function, &at)?);
            if nodes.is_empty() {
                return Err(Error::Budget(format!(
                    "{at}: no function matches '{}'",
                    d.function
                )));
            }
            for n in nodes {
                let node = &mut self.nodes[n];
                node.facts.frame = d.frame.0.min(u32::MAX as u64) as u32;
                node.unknowns.retain(|u| {
                    !matches!(
                        u.kind,
                        UnknownKind::Undecodable | UnknownKind::DynamicSp | UnknownKind::CfiDeeper
                    )
                });
                self.assumptions.push(Assumption::Frame {
                    function: node.name.clone(),
                    frame: d.frame.0,
                });
            }
        }
        Ok(())
    }

    /// Indirect calls and jumps the budget names targets for become call edges at the
    /// depth of the call site.
    fn annotate_indirect(&mut self) -> Result<(), Error> {
        for (i, d) in self.ann.indirect_calls.iter().enumerate() {
            let at = format!("budget.stack.analysis.indirect_calls[{i}]");
            let mut targets = Vec::new();
            for t in &d.targets {
                let found = self.matching(&Pattern::new(t, &at)?);
                if found.is_empty() {
                    return Err(Error::Budget(format!(
                        "{at}: no function matches target '{t}'"
                    )));
                }
                targets.extend(found);
            }
            targets.sort();
            targets.dedup();
            let mut used = false;
            for n in self.matching(&Pattern::new(&d.function, &at)?) {
                let sites: Vec<Unknown> = self.nodes[n]
                    .unknowns
                    .iter()
                    .filter(|u| {
                        matches!(
                            u.kind,
                            UnknownKind::IndirectCall | UnknownKind::IndirectJump
                        ) && d.address.is_none_or(|a| a.0 == u.address)
                    })
                    .cloned()
                    .collect();
                for u in &sites {
                    for &t in &targets {
                        let target = self.nodes[t].entry;
                        let node = &mut self.nodes[n];
                        node.facts.calls.push(CallSite {
                            site: u.address,
                            target,
                            depth: u.depth,
                            tail: u.kind == UnknownKind::IndirectJump,
                        });
                        self.nodes[n].callees.push(Some(t));
                    }
                    self.assumptions.push(Assumption::IndirectTargets {
                        function: self.nodes[n].name.clone(),
                        address: u.address,
                        targets: targets
                            .iter()
                            .map(|&t| self.nodes[t].name.clone())
                            .collect(),
                    });
                    used = true;
                }
                self.nodes[n].unknowns.retain(|u| !sites.contains(u));
            }
            if !used {
                return Err(Error::Budget(format!(
                    "{at}: '{}' has no indirect call{}",
                    d.function,
                    d.address
                        .map(|a| format!(" at {:#x}", a.0))
                        .unwrap_or_default()
                )));
            }
        }
        Ok(())
    }

    /// The opt-in heuristic (see [`indirect`]): every indirect call the budget left
    /// unannotated gets the functions in the vtable slot it loads, or else every
    /// address-taken function, as call edges at its depth; each site becomes an assumption.
    fn resolve_indirect(&mut self) {
        let is_function = |a: u64| {
            self.by_entry
                .get(&a)
                .is_some_and(|&n| self.nodes[n].func.is_some_and(|f| self.funcs[f].addr == a))
        };
        let constants: Vec<u32> = self
            .nodes
            .iter()
            .flat_map(|n| n.facts.constants.iter().copied())
            .collect();
        let found = indirect::scan(self.image, self.code, &is_function, &constants);
        let taken: Vec<usize> = found
            .address_taken
            .iter()
            .map(|a| self.by_entry[a])
            .collect();
        for n in 0..self.nodes.len() {
            let sites: Vec<Unknown> = self.nodes[n]
                .unknowns
                .iter()
                .filter(|u| {
                    let slot = self.nodes[n].facts.slots.iter().any(|s| s.0 == u.address);
                    u.kind == UnknownKind::IndirectCall
                        || (u.kind == UnknownKind::IndirectJump && slot)
                })
                .cloned()
                .collect();
            for u in &sites {
                let load = self.nodes[n].facts.slots.iter().find(|s| s.0 == u.address);
                let slot = load.map(|s| s.1);
                // `ldr rX, [rY]` with rY computed (`&table[i]`) is no vtable slot 0: narrow
                // only past the first word, or when rY was loaded (a vtable pointer).
                let in_slot = load
                    .filter(|s| s.1 > 0 || s.2)
                    .and_then(|s| found.slots.get(&s.1));
                let (how, targets): (&str, Vec<usize>) = match in_slot {
                    Some(fs) => ("vtable_slot", fs.iter().map(|a| self.by_entry[a]).collect()),
                    None => ("address_taken", taken.clone()),
                };
                if targets.is_empty() {
                    continue; // nothing to resolve to: it stays unknown
                }
                for &t in &targets {
                    let target = self.nodes[t].entry;
                    self.nodes[n].facts.calls.push(CallSite {
                        site: u.address,
                        target,
                        depth: u.depth,
                        tail: u.kind == UnknownKind::IndirectJump,
                    });
                    self.nodes[n].callees.push(Some(t));
                }
                self.nodes[n].unknowns.retain(|x| x != u);
                self.assumptions.push(Assumption::ResolvedIndirect {
                    function: self.nodes[n].name.clone(),
                    address: u.address,
                    how: how.into(),
                    slot,
                    targets: targets
                        .iter()
                        .map(|&t| self.nodes[t].name.clone())
                        .collect(),
                });
            }
        }
    }

    fn annotate_no_calls(&mut self) -> Result<(), Error> {
        for (i, d) in self.ann.no_calls.iter().enumerate() {
            let at = format!("budget.stack.analysis.no_calls[{i}]");
            let to = Pattern::new(&d.to, &at)?;
            let mut cut = false;
            for n in self.matching(&Pattern::new(&d.from, &at)?) {
                for k in 0..self.nodes[n].callees.len() {
                    let Some(c) = self.nodes[n].callees[k] else {
                        continue;
                    };
                    let callee = &self.nodes[c];
                    let name = callee
                        .func
                        .map_or(callee.name.as_str(), |f| self.funcs[f].name.as_str());
                    if to.matches(name) {
                        self.nodes[n].callees[k] = None;
                        cut = true;
                    }
                }
            }
            if !cut {
                return Err(Error::Budget(format!(
                    "{at}: no call from '{}' to '{}'",
                    d.from, d.to
                )));
            }
            self.assumptions.push(Assumption::NoCall {
                from: d.from.clone(),
                to: d.to.clone(),
            });
        }
        Ok(())
    }

    /// Thread entries named in the budget, with the size of the stack each runs on.
    fn thread_nodes(&mut self) -> Result<Vec<(usize, Option<u64>)>, Error> {
        let mut out = Vec::new();
        for (i, t) in self.ann.threads.iter().enumerate() {
            let at = format!("budget.stack.analysis.threads[{i}]");
            let nodes = self.matching(&Pattern::new(&t.entry, &at)?);
            let Some(&n) = nodes.first() else {
                return Err(Error::Budget(format!(
                    "{at}: no function matches '{}'",
                    t.entry
                )));
            };
            let size = match (&t.stack_symbol, t.stack_size) {
                (Some(sym), _) => {
                    let s = self
                        .image
                        .symbols
                        .iter()
                        .find(|s| s.raw == *sym || demangle(&s.raw) == *sym)
                        .ok_or_else(|| Error::Budget(format!("{at}: no symbol '{sym}'")))?;
                    Some(s.size)
                }
                (None, size) => size.map(|s| s.0),
            };
            out.push((n, size));
        }
        Ok(out)
    }

    fn path(&self, start: usize) -> Vec<PathStep> {
        let mut out = Vec::new();
        let mut n = start;
        let mut seen = vec![false; self.nodes.len()];
        loop {
            let node = &self.nodes[n];
            let next = node
                .best
                .and_then(|i| Some((node.facts.calls[i], node.callees[i]?)));
            out.push(PathStep {
                function: node.name.clone(),
                address: node.entry,
                frame: node.facts.frame,
                call_depth: next.map(|(c, _)| c.depth),
            });
            seen[n] = true;
            match next {
                Some((_, c)) if !seen[c] => n = c,
                _ => break,
            }
        }
        out
    }

    /// Every unknown reachable from `start`.
    fn reachable_unknowns(&self, start: usize) -> Vec<Unknown> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![start];
        let mut out = Vec::new();
        seen[start] = true;
        while let Some(n) = stack.pop() {
            out.extend(self.nodes[n].unknowns.iter().cloned());
            for c in self.nodes[n].callees.iter().flatten() {
                if !seen[*c] {
                    seen[*c] = true;
                    stack.push(*c);
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn root(&self, n: usize, kind: RootKind, vectors: Vec<String>) -> Root {
        let node = &self.nodes[n];
        Root {
            name: node.name.clone(),
            kind,
            vectors,
            address: node.entry,
            worst_case: node.worst,
            complete: node.complete,
            path: self.path(n),
            unknowns: self.reachable_unknowns(n),
            stack_size: None,
        }
    }

    fn roots(&self, table: Option<(String, Vec<roots::Vector>)>) -> (String, Vec<Root>) {
        if let Some((from, vectors)) = table {
            // One root per distinct handler, in order of its first vector.
            let mut handlers: BTreeMap<u64, (u32, Vec<u32>)> = BTreeMap::new();
            for v in &vectors {
                let e = handlers.entry(v.target).or_insert((v.number, Vec::new()));
                e.1.push(v.number);
            }
            let shared = handlers
                .values()
                .map(|(_, numbers)| numbers.len())
                .max()
                .unwrap_or(0);
            let mut ordered: Vec<(u64, u32, Vec<u32>)> = handlers
                .into_iter()
                .map(|(t, (first, ns))| (t, first, ns))
                .collect();
            ordered.sort_by_key(|h| h.1);
            let mut out = Vec::new();
            let mut default_taken = false;
            for (target, first, numbers) in ordered {
                let Some(&n) = self.by_entry.get(&target) else {
                    continue;
                };
                let kind = if first == 1 {
                    RootKind::Reset
                } else if shared > 1 && numbers.len() == shared && !numbers.contains(&1) {
                    if default_taken {
                        RootKind::Interrupt
                    } else {
                        default_taken = true;
                        RootKind::DefaultHandler
                    }
                } else if first < 16 {
                    RootKind::Exception
                } else {
                    RootKind::Interrupt
                };
                let names = numbers.iter().map(|&v| roots::vector_name(v)).collect();
                out.push(self.root(n, kind, names));
            }
            return (from, out);
        }
        let mut out = Vec::new();
        let entry = self.code.entry & !1;
        let entry_node = self
            .by_entry
            .get(&entry)
            .copied()
            .filter(|_| self.code.code_range(entry).is_some());
        if let Some(n) = entry_node {
            out.push(self.root(n, RootKind::Entry, Vec::new()));
        }
        let mut called = vec![false; self.nodes.len()];
        for node in &self.nodes {
            for c in node.callees.iter().flatten() {
                called[*c] = true;
            }
        }
        for (n, node) in self.nodes.iter().enumerate() {
            let global = node
                .func
                .is_some_and(|f| self.funcs[f].global && self.funcs[f].addr == node.entry);
            if global && !called[n] && Some(n) != entry_node {
                out.push(self.root(n, RootKind::Uncalled, Vec::new()));
            }
        }
        let from = if entry_node.is_some() {
            "ELF entry point and uncalled global functions (no vector table)"
        } else {
            "uncalled global functions (no vector table, no entry point in code)"
        };
        (from.to_string(), out)
    }

    fn main_stack(&mut self, roots: &[Root]) -> MainStack {
        let uses_fp = self.nodes.iter().any(|n| n.facts.uses_fp);
        let exception_frame = if uses_fp { 104 } else { 32 };
        let alignment = 4;
        let thread = roots
            .iter()
            .find(|r| matches!(r.kind, RootKind::Reset | RootKind::Entry));
        let handlers: Vec<&Root> = roots
            .iter()
            .filter(|r| {
                matches!(
                    r.kind,
                    RootKind::Exception | RootKind::Interrupt | RootKind::DefaultHandler
                )
            })
            .collect();
        let costs: Vec<HandlerCost> = handlers
            .iter()
            .map(|r| HandlerCost {
                name: r.name.clone(),
                worst_case: r.worst_case,
                cost: r.worst_case + exception_frame as u64 + alignment as u64,
            })
            .collect();
        // Handlers of one priority group never nest: the group costs its deepest member.
        let group_of = |r: &Root| -> Option<usize> {
            self.ann
                .priority_groups
                .iter()
                .position(|g| g.iter().any(|h| *h == r.name || r.vectors.contains(h)))
        };
        let mut group_max: BTreeMap<usize, u64> = BTreeMap::new();
        let mut nesting = 0;
        for (r, c) in handlers.iter().zip(&costs) {
            match group_of(r) {
                Some(g) => {
                    let e = group_max.entry(g).or_insert(0);
                    *e = (*e).max(c.cost);
                }
                None => nesting += c.cost,
            }
        }
        nesting += group_max.values().sum::<u64>();
        for g in group_max.keys() {
            self.assumptions.push(Assumption::PriorityGroup {
                handlers: self.ann.priority_groups[*g].clone(),
            });
        }
        let thread_worst_case = thread.map_or(0, |t| t.worst_case);
        let complete = thread.is_none_or(|t| t.complete)
            && roots
                .iter()
                .filter(|r| !matches!(r.kind, RootKind::Uncalled | RootKind::Thread))
                .all(|r| r.complete);
        MainStack {
            assumption: if group_max.is_empty() {
                "every_handler_once".into()
            } else {
                "priority_groups".into()
            },
            thread: thread.map(|t| t.name.clone()),
            thread_worst_case,
            exception_frame,
            alignment,
            total: thread_worst_case + nesting,
            handlers: costs,
            complete,
        }
    }

    fn function_rows(&self) -> Vec<Function> {
        self.funcs
            .iter()
            .filter_map(|f| {
                let node = &self.nodes[*self.by_entry.get(&f.addr)?];
                Some(Function {
                    name: f.name.clone(),
                    raw_name: f.raw.clone(),
                    address: f.addr,
                    size: f.size,
                    frame: node.facts.frame,
                    worst_case: node.worst,
                    complete: node.complete,
                    cfi_frame: node.cfi_frame,
                })
            })
            .collect()
    }
}

/// Function symbols in executable sections, one per address (aliases: a global,
/// non-weak name first), each bounded by its size or the next function.
fn functions(image: &Image, code: &Code) -> Vec<Func> {
    let mut funcs: Vec<(u64, &crate::elf::Symbol)> = image
        .symbols
        .iter()
        .filter(|s| s.kind == SymbolKind::Func && code.code_range(s.addr).is_some())
        .map(|s| (s.addr, s))
        .collect();
    funcs.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(b.1.global.cmp(&a.1.global))
            .then(a.1.weak.cmp(&b.1.weak))
            .then(a.1.raw.cmp(&b.1.raw))
    });
    funcs.dedup_by_key(|f| f.0);
    let mut out: Vec<Func> = Vec::with_capacity(funcs.len());
    for (i, (addr, s)) in funcs.iter().enumerate() {
        let (_, sec_end) = code.code_range(*addr).unwrap_or((*addr, *addr));
        let next = funcs.get(i + 1).map_or(sec_end, |f| f.0.min(sec_end));
        let end = if s.size > 0 {
            (addr + s.size).min(sec_end)
        } else {
            next
        };
        out.push(Func {
            addr: *addr,
            size: s.size,
            end,
            raw: s.raw.clone(),
            name: demangle(&s.raw),
            global: s.global,
        });
    }
    out
}

/// The part of a [`StackReport`] that a memory report and a budget check need: the bound
/// of the main stack and each root's worst case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StackNeed {
    /// Architecture analysed.
    pub arch: String,
    /// Bound of the main stack (thread + nested handlers).
    pub total: u64,
    /// False when the bound is "at least": something unresolved is reachable.
    pub complete: bool,
    /// How handlers were assumed to nest (`every_handler_once`, `priority_groups`).
    pub assumption: String,
    /// Bytes an exception entry pushes, alignment included (threads pay it on their stack).
    pub exception_entry: u64,
    /// Each root's worst case.
    pub roots: Vec<RootNeed>,
    /// Unresolved items reachable from a root.
    pub unresolved: Vec<Unknown>,
}

/// One root's worst case, for the report and the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RootNeed {
    /// Root name.
    pub name: String,
    /// What kind of root.
    pub kind: RootKind,
    /// Deepest stack use from it.
    pub worst_case: u64,
    /// False when the bound is "at least".
    pub complete: bool,
    /// Threads: the size of the stack they run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_size: Option<u64>,
}

impl StackReport {
    /// The summary a memory report carries.
    pub fn need(&self) -> StackNeed {
        let mut unresolved: Vec<Unknown> = self
            .roots
            .iter()
            .flat_map(|r| r.unknowns.iter().cloned())
            .collect();
        unresolved.sort();
        unresolved.dedup();
        StackNeed {
            arch: self.arch.clone(),
            total: self.main_stack.total,
            complete: self.main_stack.complete,
            assumption: self.main_stack.assumption.clone(),
            exception_entry: (self.main_stack.exception_frame + self.main_stack.alignment) as u64,
            roots: self
                .roots
                .iter()
                .map(|r| RootNeed {
                    name: r.name.clone(),
                    kind: r.kind,
                    worst_case: r.worst_case,
                    complete: r.complete,
                    stack_size: r.stack_size,
                })
                .collect(),
            unresolved,
        }
    }
}
