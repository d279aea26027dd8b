//! A crate prefix (`[package.metadata.ue]`) is checked at compile time with the name it makes: errors at the
//! event's name for a prefix that makes a name invalid or too long, or a registration text over the limit. And
//! the same manifest's name for the runtime: a crate that renames the dependency needs no `crate = …`.
//!
//! trybuild generates the manifests of its crates and cannot carry `[package.metadata]`, so each case here is a
//! small crate of its own under target/tests/ue-namespace, checked with `cargo check`; its errors (short format)
//! are compared with tests/namespace/<case>.stderr. `UE_BLESS=1` rewrites those files.

use std::path::{Path, PathBuf};
use std::process::Command;

fn work() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tests/ue-namespace")
}

/// Writes the crate `case` with `metadata` (the lines of its [package.metadata.ue]) and `main`, checks it, and
/// returns (success, the error lines).
fn check(case: &str, metadata: &str, main: &str) -> (bool, String) {
    check_with(case, metadata, "ue-runtime", main)
}

/// [`check`] with the runtime dependency under the name `dep` (`ue` makes it `ue = { package = "ue-runtime" }`).
fn check_with(case: &str, metadata: &str, dep: &str, main: &str) -> (bool, String) {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = work().join(case);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{case}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [package.metadata.ue]\n{metadata}\n\n[dependencies]\n{dep} = {{ package = \"ue-runtime\", path = {:?} }}\n\n\
         [workspace]\n",
        runtime.display().to_string()
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest);
    write_if_changed(&dir.join("src/main.rs"), main);
    // The workspace's lock file: the same versions, no registry look-up.
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(runtime.join("../Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    }
    let out = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--message-format=short", "--target-dir"])
        .arg(work().join("target"))
        .current_dir(&dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    // Paths differ between checkouts: the crates' directory reads `$DIR`.
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&work().canonicalize().unwrap().display().to_string(), "$DIR");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(": error")).collect();
    (out.status.success(), errors.join("\n") + "\n")
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

fn expect(case: &str, errors: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/namespace").join(format!("{case}.stderr"));
    if std::env::var_os("UE_BLESS").is_some() {
        std::fs::write(&path, errors).unwrap();
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (UE_BLESS=1 writes it)", path.display()));
    assert_eq!(errors, want, "{case}: errors differ from {}", path.display());
}

const MAIN: &str = "fn main() {\n    ue_runtime::tracepoint!(request, id: u32 = 1);\n}\n";

#[test]
fn a_prefix_that_makes_names_invalid_or_too_long_is_an_error_at_each_name() {
    let (ok, e) = check("invalid_prefix", "prefix = \"my-app.\"", MAIN);
    assert!(!ok);
    expect("invalid_prefix", &e);

    let long = format!("prefix = \"{}\"", "p".repeat(250));
    let user_event = "#[ue_runtime::user_event]\nfn handle(id: u32) {}\n\nfn main() {\n    handle(1);\n    \
                      ue_runtime::tracepoint!(ok_);\n}\n";
    let (ok, e) = check("long_prefix", &long, user_event);
    assert!(!ok);
    expect("long_prefix", &e);

    // Names fit (201 bytes), but the registration text does not: 15 string fields of 21 bytes each.
    let fields: Vec<String> = (0..15).map(|i| format!("f{i:02}: &str = \"\"")).collect();
    let main =
        format!("fn main() {{\n    ue_runtime::tracepoint!(\n        e,\n        {}\n    );\n}}\n", fields.join(", "));
    let (ok, e) = check("long_format", &format!("prefix = \"{}\"", "p".repeat(200)), &main);
    assert!(!ok);
    expect("long_format", &e);

    let (ok, e) = check("bad_metadata", "prefix = 3", MAIN);
    assert!(!ok);
    expect("bad_metadata", &e);
}

#[test]
fn a_changed_manifest_rebuilds_the_crate() {
    let name = format!("fn main() {{\n    ue_runtime::tracepoint!({});\n}}\n", "n".repeat(250));
    let (ok, e) = check("manifest_change", "prefix = \"a_\"", &name);
    assert!(ok, "252 bytes: {e}");
    let (ok, e) = check("manifest_change", "prefix = \"abcdefgh_\"", &name);
    assert!(!ok && e.contains("event name of 259 bytes"), "the new prefix was read: {e}");
}

#[test]
fn a_renamed_runtime_dependency_works_without_a_crate_option() {
    let main = "use ue::{tracepoint, user_event, Field};\n\n\
                #[derive(Field)]\nstruct Id(u64);\n\n\
                #[derive(Field)]\nenum State { Idle }\n\n\
                struct A;\n\n\
                #[user_event]\nimpl A {\n    #[user_event(span, ret)]\n    fn new(id: Id, s: State) -> u32 {\n        \
                let _ = (id, s);\n        1\n    }\n}\n\n\
                #[user_event(display(peer))]\nfn free(peer: std::net::IpAddr) {\n    let _ = peer;\n}\n\n\
                fn main() {\n    A::new(Id(1), State::Idle);\n    free([127, 0, 0, 1].into());\n    \
                tracepoint!(done, n: u32 = 1, t: Display = 2);\n}\n";
    let (ok, e) = check_with("renamed_runtime", "", "ue", main);
    assert!(ok, "{e}");
}
