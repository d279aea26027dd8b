//! One event name, one format, within a crate: which site of a name comes first in this compilation.
//!
//! A proc macro sees one site at a time, so the sites a crate's compilation has expanded are kept here, in the
//! proc-macro process, keyed by the crate and the event name, with the first site's location (and its kernel
//! fields when the macro knows them, known.rs). The verdict is rustc's: a first site whose fields the macro does
//! not know implements `FirstSite` for its name's key (ue-runtime's declared.rs); every later site asserts in a
//! const that its fields are the first one's (read from that impl, or written as literals), so the types are
//! compared as the kernel sees them (`&str` and `String` are the same field), the error is at the later site's
//! name and names the first, and nothing depends on stale state: a process that expands a site again
//! (rust-analyzer, after an edit) emits code rustc never judges, and rust-analyzer does not evaluate the const.
//! When both sites are known the macro compares them and emits the assert only for a difference.
//!
//! A site expanded again at the same location (a `macro_rules!` that holds a site, called twice) declares
//! nothing and checks nothing: one impl per key keeps the later sites' inference unambiguous. Multi-format
//! events may have several formats and are not tracked.

use crate::model::Site;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// What a site emits for its name.
pub enum Role {
    /// The first site of its name: implements the key's `FirstSite`.
    First,
    /// The first site of its name, whose fields are kept here.
    FirstKnown,
    /// A later site: checks its fields against the first's, declared at `at` with `fields` (and these kernel
    /// fields, when known).
    Later { at: String, fields: String, first: Option<Known> },
    /// Nothing (not in a compilation, a multi-format event, or the first site's location again).
    None,
}

/// The key's parameters: the name's hash and the crate's.
pub struct Key {
    pub name: u64,
    pub krate: u64,
}

/// A site's kernel fields, names and kinds, as the macro knows them.
pub type Known = (Vec<String>, Vec<ue_abi::FieldKind>);

struct First {
    /// `file:line:column`.
    at: String,
    fields: String,
    known: Option<Known>,
}

static SEEN: Mutex<BTreeMap<(u64, String), First>> = Mutex::new(BTreeMap::new());

/// The hash of the crate being compiled: its package, version, target name, kind and directory.
fn crate_hash() -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for var in ["CARGO_PKG_NAME", "CARGO_PKG_VERSION", "CARGO_CRATE_NAME", "CARGO_BIN_NAME", "CARGO_MANIFEST_DIR"] {
        std::env::var_os(var).hash(&mut h);
    }
    h.finish()
}

fn hash(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Whether no site of the crate being compiled was expanded before in this process.
pub fn first_site_of_crate() -> bool {
    static CRATES: Mutex<Vec<u64>> = Mutex::new(Vec::new());
    let mut seen = CRATES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let h = crate_hash();
    let first = !seen.contains(&h);
    if first {
        seen.push(h);
    }
    first
}

/// The role of `site` (its full name, its kernel fields if known) in this compilation, and its key.
pub fn role(site: &Site, name: &str, known: Option<&Known>) -> (Role, Key) {
    let key = Key { name: hash(name), krate: crate_hash() };
    if site.multi_format || !proc_macro::is_available() {
        return (Role::None, key);
    }
    let start = site.name_span.start();
    if start.line == 0 {
        return (Role::None, key);
    }
    let at = format!("{}:{}:{}", site.name_span.file(), start.line, start.column + 1);
    let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match seen.get(&(key.krate, name.to_string())) {
        None => {
            let role = if known.is_some() { Role::FirstKnown } else { Role::First };
            seen.insert((key.krate, name.to_string()), First { at, fields: fields(site), known: known.cloned() });
            (role, key)
        }
        Some(first) if first.at == at => (Role::None, key),
        Some(first) => {
            (Role::Later { at: first.at.clone(), fields: first.fields.clone(), first: first.known.clone() }, key)
        }
    }
}

/// `n: u32, path: &str` as written (`Display`, `Debug`, `Hex` for the text forms), for the message.
pub fn fields(site: &Site) -> String {
    use crate::model::Form;
    let list: Vec<String> = site
        .fields
        .iter()
        .map(|f| {
            let ty = match &f.form {
                Form::Typed(t) => tidy(&quote::ToTokens::to_token_stream(&**t).to_string()),
                Form::Display(_) => "Display".into(),
                Form::Debug(_) => "Debug".into(),
                Form::Hex(_) => "Hex".into(),
            };
            format!("{}: {ty}", f.name)
        })
        .collect();
    if list.is_empty() {
        "no fields".into()
    } else {
        list.join(", ")
    }
}

/// A type's tokens as one writes them: `& 'a str` → `&'a str`, `Vec < u8 >` → `Vec<u8>`.
fn tidy(s: &str) -> String {
    let mut t = s.to_string();
    for (from, to) in [("& ", "&"), (" <", "<"), ("< ", "<"), (" >", ">"), (" ::", "::"), (":: ", "::"), (" ,", ",")] {
        t = t.replace(from, to);
    }
    t
}

#[cfg(test)]
mod tests {
    #[test]
    fn types_read_as_written() {
        assert_eq!(super::tidy("& 'a str"), "&'a str");
        assert_eq!(super::tidy("std :: vec :: Vec < u8 >"), "std::vec::Vec<u8>");
    }
}
