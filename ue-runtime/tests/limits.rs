//! The macros check the kernel's limits at compile time with their own copies (a proc-macro crate cannot use the
//! runtime's constants): this keeps each copy equal to the runtime's, the one source.

fn macro_const(name: &str) -> u64 {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ue-macros/src/check.rs");
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let line = src
        .lines()
        .find(|l| l.starts_with(&format!("pub const {name}:")))
        .unwrap_or_else(|| panic!("no `pub const {name}` in {path}"));
    let value = line.split('=').nth(1).and_then(|v| v.trim().trim_end_matches(';').parse().ok());
    value.unwrap_or_else(|| panic!("cannot read the value of: {line}"))
}

#[test]
fn the_macros_copies_of_the_kernel_limits_equal_the_runtime_constants() {
    assert_eq!(macro_const("MAX_EVENT_DESC"), ue_runtime::abi::MAX_EVENT_DESC as u64);
    assert_eq!(macro_const("MAX_ARRAY"), ue_runtime::abi::MAX_FIELD_ARRAY_SIZE as u64);
    assert_eq!(macro_const("MAX_FIELDS"), ue_runtime::MAX_FIELDS as u64);
    assert_eq!(macro_const("MAX_NAME"), ue_runtime::abi::MAX_NAME as u64);
}
