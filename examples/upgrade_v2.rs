//! Version 2 of examples/upgrade_v1.rs: the same multi-format event `ue_upgrade`, with one more field.

#[ue_runtime::user_event(multi_format)]
fn ue_upgrade(version: u32, note: &str) {}

fn main() {
    ue_upgrade(2, "new field");
    eprintln!("v2: {}", ue_runtime::status().is_ok());
}
