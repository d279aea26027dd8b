//! What registration found: user_events available (through which file) or why not, and the problems met,
//! grouped by kind. Written by the lifecycle, read by `status()`; never touched by the write path (it locks a
//! mutex and allocates).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// How many examples a group of problems keeps.
const EXAMPLES: usize = 3;

/// Problems of one kind: how many, and the first few in full.
#[derive(Default)]
struct Group {
    count: usize,
    examples: Vec<String>,
}

struct State {
    data_file: Option<Cow<'static, str>>,
    unavailable: Option<String>,
    problems: BTreeMap<&'static str, Group>,
}

static STATE: Mutex<State> = Mutex::new(State { data_file: None, unavailable: None, problems: BTreeMap::new() });

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut g = STATE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut g)
}

/// The `user_events_data` in use, if any.
pub(crate) fn data_file() -> Option<String> {
    with(|s| s.data_file.as_deref().map(String::from))
}

/// Why every tracepoint is disabled, if it is.
pub(crate) fn unavailable() -> Option<String> {
    with(|s| s.unavailable.clone())
}

pub(crate) fn set_available(data_file: Cow<'static, str>) {
    with(|s| {
        s.data_file = Some(data_file);
        s.unavailable = None;
    });
}

pub(crate) fn set_unavailable(why: String) {
    with(|s| s.unavailable = Some(why));
}

/// Records a problem of `kind` (a short label that groups repeats); the same text twice counts once.
pub(crate) fn add(kind: &'static str, detail: String) {
    with(|s| {
        let g = s.problems.entry(kind).or_default();
        if g.examples.contains(&detail) {
            return;
        }
        g.count += 1;
        if g.examples.len() < EXAMPLES {
            g.examples.push(detail);
        }
    });
}

/// One line per kind: the problem itself when it happened once, else a count and the first few.
pub(crate) fn lines() -> Vec<String> {
    with(|s| s.problems.iter().map(|(kind, g)| render(kind, g)).collect())
}

fn render(kind: &str, g: &Group) -> String {
    if g.count == 1 {
        return g.examples[0].clone();
    }
    let more = g.count - g.examples.len();
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("{kind}: {} events, e.g. {}{tail}", g.count, g.examples.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_problems_are_one_line_with_a_count_and_three_examples() {
        for i in 0..5000 {
            add("test: kernel limit reached", format!("event 'e{i}': kernel limit reached"));
        }
        add("test: kernel limit reached", "event 'e1': kernel limit reached".into());
        add("test: single", "just this".into());
        let problems = lines();
        let line = problems.iter().find(|p| p.starts_with("test: kernel limit")).unwrap();
        assert!(line.starts_with("test: kernel limit reached: 5000 events, e.g. event 'e0'"), "{line}");
        assert!(line.ends_with("and 4997 more"), "{line}");
        assert!(line.len() < 200, "{line}");
        assert!(problems.iter().any(|p| p == "just this"), "{problems:?}");
    }
}
