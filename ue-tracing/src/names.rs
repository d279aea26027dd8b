//! Kernel names for `tracing` callsites: `[A-Za-z_][A-Za-z0-9_]*`, at most 255 bytes, unique in the process.
//!
//! An event is named `{prefix}{target}_{name}`: the target (module path by default) and the callsite's name with
//! every run of other characters turned into one `_`. A default event name (`event src/main.rs:42`) gives its
//! line, `{target}_42`; a span's close event is `{target}_{span name}_close`. Two callsites that come out with
//! the same name get `_2`, `_3`… in the order they are first seen.

use std::collections::HashMap;
use std::sync::Mutex;
use tracing_core::Metadata;
use ue_runtime::abi::{COMMON_FIELDS, MAX_EVENT_NAME};

/// Room kept for a `_N` suffix.
const SUFFIX_ROOM: usize = 8;

/// Names given in this process: name → (callsite, field format). The same callsite with the same fields (a second
/// layer) gets the same name back, and so shares its kernel event.
static GIVEN: Mutex<Option<HashMap<String, (usize, String)>>> = Mutex::new(None);

/// Turns `s` into `[A-Za-z0-9_]*`, each run of other characters one `_`.
pub(crate) fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if gap && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// The base name of a callsite, before uniqueness: see the module doc.
pub(crate) fn base(prefix: &str, meta: &Metadata<'_>, close: bool) -> String {
    let name = match (meta.name().strip_prefix("event "), meta.line()) {
        (Some(_), Some(line)) if meta.is_event() => line.to_string(),
        _ => sanitize(meta.name()),
    };
    let mut s = format!("{prefix}{}", sanitize(meta.target()));
    if !name.is_empty() {
        if !s.is_empty() && !s.ends_with('_') {
            s.push('_');
        }
        s += &name;
    }
    if close {
        s += "_close";
    }
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s.truncate(MAX_EVENT_NAME - SUFFIX_ROOM);
    s
}

/// A unique event name for the callsite `site` whose fields are `format`.
#[allow(clippy::needless_pass_by_value)] // the callers build the name for this call only
pub(crate) fn unique(base: String, site: usize, format: &str) -> String {
    let mut given = GIVEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let given = given.get_or_insert_with(HashMap::new);
    let mut name = base.clone();
    for n in 2.. {
        match given.get(&name) {
            Some((s, f)) if *s == site && f == format => return name,
            Some(_) => name = format!("{base}_{n}"),
            None => break,
        }
    }
    given.insert(name.clone(), (site, format.to_string()));
    name
}

/// Field names: each sanitized (empty → `field`), `common_*` and repeats (ours first) suffixed `_2`, `_3`….
pub(crate) fn fields<'a>(
    ours_first: &[&str],
    theirs: impl Iterator<Item = &'a str>,
    ours_last: &[&str],
) -> Vec<String> {
    let mut out: Vec<String> = ours_first.iter().map(ToString::to_string).collect();
    let reserved: Vec<&str> = ours_last.to_vec();
    for f in theirs {
        let mut base = sanitize(f);
        if base.is_empty() {
            base = "field".into();
        }
        if base.starts_with(|c: char| c.is_ascii_digit()) {
            base.insert(0, '_');
        }
        let mut name = base.clone();
        let mut n = 2;
        while out.contains(&name) || reserved.contains(&name.as_str()) || COMMON_FIELDS.contains(&name.as_str()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        out.push(name);
    }
    out.extend(ours_last.iter().map(ToString::to_string));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_kernel_characters_and_folds_runs() {
        assert_eq!(sanitize("my_app::server"), "my_app_server");
        assert_eq!(sanitize("src/main.rs:42"), "src_main_rs_42");
        assert_eq!(sanitize("héllo wörld"), "h_llo_w_rld");
        assert_eq!(sanitize("::x::"), "x");
        assert_eq!(sanitize("a.b"), "a_b");
    }

    #[test]
    fn field_names_are_valid_and_unique() {
        let got =
            fields(&["level"], ["message", "level", "a.b", "a_b", "common_pid", "9x", "é"].into_iter(), &["busy_ns"]);
        assert_eq!(got, ["level", "message", "level_2", "a_b", "a_b_2", "common_pid_2", "_9x", "field", "busy_ns"]);
    }

    #[test]
    fn unique_names_per_callsite_and_format() {
        let a = unique("ue_t_names_x".into(), 1, "u64 a");
        let b = unique("ue_t_names_x".into(), 2, "u64 a");
        let c = unique("ue_t_names_x".into(), 1, "u64 a");
        let d = unique("ue_t_names_x".into(), 1, "s64 a");
        assert_eq!(
            (a.as_str(), b.as_str(), c.as_str(), d.as_str()),
            ("ue_t_names_x", "ue_t_names_x_2", "ue_t_names_x", "ue_t_names_x_3")
        );
    }
}
