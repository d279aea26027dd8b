//! `ue` and the runtime find tracefs the same way (ue-abi's mount discovery): a tracefs mounted at a path with a
//! space (`\040` in /proc/mounts) is found by both. Runs in a private mount namespace where the usual mounts are
//! gone, so nothing else in the bed sees the change.

mod common;

use common::{example, run, ue};
use std::process::Command;

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn ue_records_through_a_tracefs_mounted_at_a_path_with_a_space() {
    let script = r#"set -e
umount /sys/kernel/debug 2>/dev/null || true
umount /sys/kernel/tracing
mkdir -p "/tmp/ue trace fs"
mount -t tracefs nodev "/tmp/ue trace fs"
grep -q 'ue\\040trace\\040fs' /proc/mounts
exec "$@""#;
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"]);
    cmd.arg(ue().get_program()).args(["record", "--"]).arg(example("one_shot")).arg("7");
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("user_events:ue_one_shot n=7 word=\"once\""), "{out}{err}");
}
