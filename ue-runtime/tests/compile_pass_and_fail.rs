//! Compile tests of the macros: every supported form compiles; every mistake is an error at its token.
//!
//! The `.stderr` files hold the wording of one rustc release ([`PINNED`]). On another release each fail case is
//! still checked to fail to compile, in a scratch copy, and a note says that its message was not compared.

use std::process::Command;

/// The rustc release (major.minor) whose messages tests/ui/fail/*.stderr hold.
const PINNED: &str = "1.95";

fn rustc_release() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("--version").output().expect("rustc --version");
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(1).unwrap_or("");
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    let release = rustc_release();
    if release == PINNED {
        t.compile_fail("tests/ui/fail/*.rs");
        return;
    }
    eprintln!(
        "note: tests/ui/fail/*.stderr hold rustc {PINNED}'s messages; with rustc {release} each case is checked to \
         fail to compile, its message is not compared"
    );
    let scratch = std::env::temp_dir().join(format!("ue-ui-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    for e in std::fs::read_dir("tests/ui/fail").unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "rs") {
            std::fs::copy(&path, scratch.join(path.file_name().unwrap())).unwrap();
        }
    }
    // Read by trybuild when `t` is dropped, below; this binary has no other test.
    std::env::set_var("TRYBUILD", "overwrite");
    t.compile_fail(scratch.join("*.rs").to_string_lossy().as_ref());
    drop(t); // runs the cases
    let _ = std::fs::remove_dir_all(&scratch);
}
