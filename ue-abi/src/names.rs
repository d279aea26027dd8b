//! The name rule of user_events: event and field names are C identifiers, an event name also names a tracefs
//! directory, and a field may not take a name every event already has.

use crate::limits::{COMMON_FIELDS, MAX_EVENT_NAME};

/// The rule as the messages state it.
pub const NAME_RULE: &str = "[A-Za-z_][A-Za-z0-9_]*";

/// Whether `s` matches [`NAME_RULE`].
#[must_use]
pub const fn is_kernel_name(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !(b[0].is_ascii_alphabetic() || b[0] == b'_') {
        return false;
    }
    let mut i = 1;
    while i < b.len() {
        if !(b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

/// Why an event name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// It does not match [`NAME_RULE`].
    Invalid,
    /// It is longer than [`MAX_EVENT_NAME`] bytes (its length).
    TooLong(usize),
}

/// Checks an event name (the prefix included).
pub fn check_event_name(name: &str) -> Result<(), NameError> {
    if !is_kernel_name(name) {
        Err(NameError::Invalid)
    } else if name.len() > MAX_EVENT_NAME {
        Err(NameError::TooLong(name.len()))
    } else {
        Ok(())
    }
}

/// Why a field name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldNameError {
    /// It does not match [`NAME_RULE`].
    Invalid,
    /// It is one of [`COMMON_FIELDS`].
    Reserved,
    /// An earlier field of the event has it.
    Duplicate,
}

/// Checks a field name against the rule and the names of the fields before it.
pub fn check_field_name<'a>(name: &str, mut earlier: impl Iterator<Item = &'a str>) -> Result<(), FieldNameError> {
    if !is_kernel_name(name) {
        Err(FieldNameError::Invalid)
    } else if COMMON_FIELDS.contains(&name) {
        Err(FieldNameError::Reserved)
    } else if earlier.any(|e| e == name) {
        Err(FieldNameError::Duplicate)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_names() {
        assert!(is_kernel_name("a") && is_kernel_name("_x9") && is_kernel_name("Req_2"));
        assert!(!is_kernel_name("") && !is_kernel_name("9a") && !is_kernel_name("a-b") && !is_kernel_name("café"));
    }

    #[test]
    fn event_and_field_names() {
        assert_eq!(check_event_name("ok"), Ok(()));
        assert_eq!(check_event_name("a.b"), Err(NameError::Invalid));
        assert_eq!(check_event_name(&"a".repeat(256)), Err(NameError::TooLong(256)));
        assert_eq!(check_event_name(&"a".repeat(255)), Ok(()));
        assert_eq!(check_field_name("id", ["x"].into_iter()), Ok(()));
        assert_eq!(check_field_name("common_pid", [].into_iter()), Err(FieldNameError::Reserved));
        assert_eq!(check_field_name("x", ["x"].into_iter()), Err(FieldNameError::Duplicate));
        assert_eq!(check_field_name("9", [].into_iter()), Err(FieldNameError::Invalid));
    }
}
