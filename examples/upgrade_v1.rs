//! Version 1 of a program whose event `ue_upgrade` changes format in version 2 (examples/upgrade_v2.rs). Both
//! register it multi-format, so they run side by side, each format its own event under `user_events_multi`.
//! Version 1 runs version 2 (found next to it) as a child, as a rolling upgrade would overlap them.

#[ue_runtime::user_event(multi_format)]
fn ue_upgrade(version: u32) {}

fn main() {
    ue_upgrade(1);
    let v2 = std::env::current_exe().expect("own path").with_file_name("upgrade_v2");
    let ok = std::process::Command::new(&v2).status().is_ok_and(|s| s.success());
    eprintln!("v1: {}; v2 ran: {ok}", ue_runtime::status().is_ok());
}
