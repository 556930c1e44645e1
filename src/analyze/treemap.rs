//! The treemap of the HTML pages: every labelled byte of [`labelled_bytes`] placed on the
//! path region › section › crate or directory › file › symbol, each level keyed exactly as
//! the `--by` rollup of that level keys it. So the page only lays the tree out: the cells of
//! a level, summed per region and key, are that level's rollup rows.

use std::collections::HashMap;

use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::Serialize;

use super::rollup::{labelled_bytes, section_key, section_of, symbol_key, By, Label, Owner};
use crate::elf::SectionKind;
use crate::report::Report;

/// Tree key of the bytes that lie in no region (rollup rows with no region).
pub const OUTSIDE: &str = "(outside every region)";

/// The levels under the root, in order: region, section, group, file, symbol.
const LEVELS: usize = 5;

/// The treemap of a report, as the page embeds it (block `treemap`).
#[derive(Debug)]
pub struct Treemap {
    /// The rollup key of the third level: `Crate` when any symbol has a crate, else `Dir`.
    pub group_by: By,
    /// Per region of the report, in its order: the reserved bytes of each owner, as the
    /// `--by region` rollup counts them (the region bars' segments).
    pub reserved: Vec<Vec<Reserved>>,
    /// The root; its children are the regions.
    pub root: Node,
}

/// Reserved bytes of one owner in one region.
#[derive(Debug, Clone, Serialize)]
pub struct Reserved {
    /// `stack`, `heap` or `external` (a reservation of the budget or chip preset).
    pub owner: &'static str,
    /// The heap arena's or reservation's name (`stack` for the stack).
    pub name: String,
    /// The rollup key of the owner's bytes.
    pub key: String,
    /// First address of the owner's range in the region.
    pub origin: u64,
    /// Length of that range.
    pub length: u64,
    /// Its bytes not already counted (by sections or owners before it).
    pub bytes: u64,
}

impl Reserved {
    fn new(owner: Owner<'_>, origin: u64, length: u64, bytes: u64) -> Self {
        let (kind, name) = match owner {
            Owner::Stack => ("stack", "stack".to_string()),
            Owner::Heap(n) => ("heap", n.to_string()),
            Owner::Reservation(n) => ("external", n.to_string()),
        };
        Reserved {
            owner: kind,
            name,
            key: owner.key(),
            origin,
            length,
            bytes,
        }
    }
}

/// What a leaf is.
#[derive(Debug, Clone)]
pub enum Leaf {
    /// A symbol's bytes, by index into `report.symbols`.
    Symbol(usize),
    /// Bytes no symbol covers.
    Unattributed,
    /// Reserved bytes outside every section.
    Reserved(Reserved),
}

/// A node of the tree: it stands for the levels after its parent's `to`, up to its own.
/// A leaf's trailing keys that repeat its own (an unattributed run has no file or symbol
/// of its own) fold into it, so it reaches the last level.
#[derive(Debug)]
pub struct Node {
    /// The rollup key of its levels.
    pub key: String,
    /// The last level (1 region ..= 5 symbol) it stands for.
    pub to: u8,
    /// Bytes under it.
    pub bytes: u64,
    /// For a section node: the section's kind (the cell's colour).
    pub kind: Option<SectionKind>,
    /// Children largest first; empty for a leaf.
    pub children: Vec<Node>,
    /// `Some` for a leaf.
    pub leaf: Option<Leaf>,
    /// Children by key, while the tree is built.
    index: HashMap<(String, u8), usize>,
}

impl Node {
    fn new(key: String, to: u8) -> Self {
        Node {
            key,
            to,
            bytes: 0,
            kind: None,
            children: Vec::new(),
            leaf: None,
            index: HashMap::new(),
        }
    }

    /// The inner child of that key, made when missing.
    fn inner(&mut self, key: &str, to: u8) -> &mut Node {
        let next = self.children.len();
        let at = *self.index.entry((key.to_string(), to)).or_insert(next);
        if at == next {
            self.children.push(Node::new(key.to_string(), to));
        }
        &mut self.children[at]
    }

    /// Sums up, then sorts children largest first, then by key (deterministic).
    fn finish(&mut self) {
        self.index = HashMap::new();
        if self.leaf.is_some() {
            return;
        }
        for c in &mut self.children {
            c.finish();
        }
        self.bytes = self.children.iter().map(|c| c.bytes).sum();
        self.children
            .sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
    }
}

/// The treemap of a report.
pub fn treemap(report: &Report) -> Treemap {
    let group_by = if report.symbols.iter().any(|s| s.krate.is_some()) {
        By::Crate
    } else {
        By::Dir
    };
    // `Label::Symbol` holds a reference; the page wants its index into `report.symbols`.
    let sym_index: HashMap<*const _, usize> = report
        .symbols
        .iter()
        .enumerate()
        .map(|(i, s)| (s as *const _, i))
        .collect();
    let mut root = Node::new(report.file.clone(), 0);
    // Regions in declaration order first, so that equal sizes keep it.
    for r in &report.regions {
        root.inner(&r.name, 1);
    }
    labelled_bytes(report, |region, label, bytes| {
        let keys: [String; LEVELS] = [
            region.unwrap_or(OUTSIDE).to_string(),
            section_key(region, &label),
            symbol_key(group_by, 0, &label).0,
            symbol_key(By::File, 0, &label).0,
            symbol_key(By::Symbol, 0, &label).0,
        ];
        let leaf = match &label {
            Label::Symbol(s) => Leaf::Symbol(sym_index[&(*s as *const _)]),
            Label::Unattributed(_) | Label::Gap(..) => Leaf::Unattributed,
            Label::Reserved(p) => Leaf::Reserved(Reserved::new(p.owner, p.origin, p.length, bytes)),
        };
        let kind = match &label {
            Label::Symbol(s) => section_of(report, s).map(|i| report.sections[i].kind),
            Label::Unattributed(s) | Label::Gap(s, _) => Some(s.kind),
            Label::Reserved(_) => None,
        };
        place(&mut root, &keys, leaf, kind, bytes);
    });
    root.finish();
    root.children.retain(|r| r.bytes > 0);
    let reserved = report
        .regions
        .iter()
        .map(|r| {
            super::rollup::reserved_parts(report, r, Vec::new())
                .into_iter()
                .filter(|(_, bytes)| *bytes > 0)
                .map(|(p, bytes)| Reserved::new(p.owner, p.origin, p.length, bytes))
                .collect()
        })
        .collect();
    Treemap {
        group_by,
        reserved,
        root,
    }
}

/// Adds a leaf on the path `keys`; the keys after the last change fold into it.
fn place(
    root: &mut Node,
    keys: &[String; LEVELS],
    leaf: Leaf,
    kind: Option<SectionKind>,
    bytes: u64,
) {
    let last = &keys[LEVELS - 1];
    // First level of the trailing run of keys equal to the last.
    let fold = (0..LEVELS)
        .rev()
        .take_while(|&i| &keys[i] == last)
        .last()
        .unwrap_or(LEVELS - 1)
        .max(1);
    let mut at = root;
    for (i, key) in keys.iter().enumerate().take(fold) {
        at = at.inner(key, (i + 1) as u8);
        if i == 1 {
            at.kind = at.kind.or(kind);
        }
    }
    let to = LEVELS as u8;
    if !matches!(leaf, Leaf::Symbol(_)) {
        // Unattributed and reserved runs of one path are one cell.
        let n = at.inner(last, to);
        if let Some(Leaf::Reserved(r)) = &mut n.leaf {
            r.bytes += bytes;
        } else if n.leaf.is_none() {
            n.leaf = Some(leaf);
        }
        n.bytes += bytes;
        return;
    }
    let mut n = Node::new(last.clone(), to);
    n.leaf = Some(leaf);
    n.bytes = bytes;
    at.children.push(n);
}

/// Compact, for the page's size: a symbol leaf is `[index, bytes]` (its name is the
/// report's), any other node `[key, to, bytes, children | reserved | null, section kind?]`.
impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(Leaf::Symbol(i)) = self.leaf {
            return (i, self.bytes).serialize(s);
        }
        let len = if self.kind.is_some() { 5 } else { 4 };
        let mut seq = s.serialize_seq(Some(len))?;
        seq.serialize_element(&self.key)?;
        seq.serialize_element(&self.to)?;
        seq.serialize_element(&self.bytes)?;
        match &self.leaf {
            Some(Leaf::Reserved(r)) => seq.serialize_element(r)?,
            Some(_) => seq.serialize_element(&())?,
            None => seq.serialize_element(&self.children)?,
        }
        if let Some(kind) = &self.kind {
            seq.serialize_element(kind)?;
        }
        seq.end()
    }
}

impl Serialize for Treemap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Treemap", 3)?;
        st.serialize_field("group_by", &self.group_by)?;
        st.serialize_field("reserved", &self.reserved)?;
        st.serialize_field("root", &self.root)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_repeated_keys_fold_into_the_leaf() {
        let mut root = Node::new("f".into(), 0);
        let u = "(unattributed) .text".to_string();
        let keys = [
            "RAM".into(),
            ".text".into(),
            u.clone(),
            u.clone(),
            u.clone(),
        ];
        place(
            &mut root,
            &keys,
            Leaf::Unattributed,
            Some(SectionKind::Code),
            3,
        );
        place(
            &mut root,
            &keys,
            Leaf::Unattributed,
            Some(SectionKind::Code),
            4,
        );
        let r = "(reserved: stack)".to_string();
        let keys = ["RAM".into(), r.clone(), r.clone(), r.clone(), r.clone()];
        place(&mut root, &keys, Leaf::Unattributed, None, 8);
        root.finish();
        let ram = &root.children[0];
        assert_eq!((ram.key.as_str(), ram.bytes), ("RAM", 15));
        let stack = &ram.children[0];
        assert_eq!(
            (stack.key.as_str(), stack.to, stack.bytes),
            (r.as_str(), 5, 8)
        );
        let text = &ram.children[1];
        assert_eq!((text.to, text.kind), (2, Some(SectionKind::Code)));
        let run = &text.children[0];
        assert_eq!((run.key.as_str(), run.to, run.bytes), (u.as_str(), 5, 7));
        assert_eq!(text.children.len(), 1);
    }
}
