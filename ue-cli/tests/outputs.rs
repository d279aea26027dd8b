//! `ue`'s own output closed or full (host tests): never a panic; a closed pipe ends quietly with 0, a failed
//! write is an error naming the output.

mod common;

use common::elf_file::{elf, Sec, LE64};
use common::*;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::Stdio;

/// The write end of a pipe whose read end is already closed: the first write fails with EPIPE.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: fds is valid for two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: pipe() just returned these descriptors, owned by nothing else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    Stdio::from(write)
}

fn dev_full() -> Stdio {
    Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
}

#[test]
fn a_closed_pipe_ends_list_quietly_with_0() {
    let (code, _, err) = run(ue().arg("list").arg(example("quickstart")).stdout(closed_pipe()));
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn list_into_head_ends_quietly() {
    // More than a pipe holds, so that `ue` is still writing when head has gone.
    let entries: Vec<String> = (0..4000).map(|i| format!("user_events:e{i} u32 a_field_to_make_it_long")).collect();
    let dir = std::env::temp_dir().join(format!("ue-outputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("many");
    std::fs::write(&f, elf(&[Sec::events(&entries.iter().map(String::as_str).collect::<Vec<_>>())], LE64)).unwrap();
    let (code, out, err) = run(std::process::Command::new("bash")
        .arg("-c")
        .arg("\"$0\" list \"$1\" | head -1; exit ${PIPESTATUS[0]}")
        .arg(env!("CARGO_BIN_EXE_ue"))
        .arg(&f));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((code, out.as_str(), err.as_str()), (0, "user_events:e0 u32 a_field_to_make_it_long\n", ""));
}

#[test]
fn a_full_output_is_an_error_naming_it() {
    let (code, _, err) = run(ue().arg("list").arg(example("quickstart")).stdout(dev_full()));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.trim_end(),
        "ue: cannot write to standard output (/dev/full): No space left on device (os error 28)"
    );
    // `ue status` says something either way, and fails to here.
    let (code, _, err) = run(ue().arg("status").stdout(dev_full()));
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("ue: cannot write to standard output (/dev/full): No space left"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_full_stderr_is_no_panic_either() {
    let (code, _, _) = run(ue().arg("list").arg("/no/such/file").stderr(dev_full()));
    assert_eq!(code, 1);
}
