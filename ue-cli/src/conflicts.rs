//! Event names with two formats across the files of one program (an executable and the libraries it loads): the
//! kernel registers the first format it is given and refuses the others (EADDRINUSE), so half the sites would
//! write nothing. Within one crate the macros make this a compile error; across crates only the binaries tell.
//! Multi-format events may have several formats and are left out.

use crate::elf::Entry;
use crate::escape;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One line per single-format name declared with more than one format: each format, with the files holding it.
pub fn find(files: &[(PathBuf, Vec<Entry>)]) -> Vec<String> {
    let mut by_name: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
    for (path, entries) in files {
        for e in entries.iter().filter(|e| !e.multi) {
            let holders = by_name.entry(&e.name).or_default().entry(&e.format).or_default();
            let shown = escape::text(&path.to_string_lossy()).into_owned();
            if !holders.contains(&shown) {
                holders.push(shown);
            }
        }
    }
    by_name
        .into_iter()
        .filter(|(_, formats)| formats.len() > 1)
        .map(|(name, formats)| {
            let each: Vec<String> = formats
                .into_iter()
                .map(|(format, files)| {
                    let format =
                        if format.is_empty() { "(no fields)".to_string() } else { escape::text(format).into_owned() };
                    format!("'{format}' in {}", files.join(", "))
                })
                .collect();
            format!(
                "event '{}' is declared with {} formats: {}; the kernel keeps the first registered and refuses the \
                 others, so rename one (or make both multi-format)",
                escape::text(name),
                each.len(),
                each.join("; ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(s: &str) -> Entry {
        Entry::parse(s).unwrap()
    }

    #[test]
    fn a_name_with_two_formats_is_reported_with_its_files_and_multi_format_is_not() {
        let files = vec![
            (PathBuf::from("liba.so"), vec![entry("user_events:done u32 n"), entry("user_events_multi:up u32 v")]),
            (PathBuf::from("libb.so"), vec![entry("user_events:done u64 n"), entry("user_events_multi:up u64 v")]),
            (PathBuf::from("app"), vec![entry("user_events:done u32 n"), entry("user_events:other")]),
        ];
        let found = find(&files);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .starts_with("event 'done' is declared with 2 formats: 'u32 n' in liba.so, app; 'u64 n' in libb.so"),
            "{}",
            found[0]
        );
        assert!(find(&files[..1]).is_empty());
    }
}
