//! The `compile-out` feature: every macro site is a no-op — nothing declared or registered, no `ue_events`
//! entry, no field evaluated — and the program runs unchanged. One small program is built twice, with and
//! without the feature, under target/tests/ue-compile-out, and run; the build without it is the control.

use std::path::{Path, PathBuf};
use std::process::Command;

const MAIN: &str = r#"
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::future::Future;
use std::task::{Context, Poll, Waker};

static EVALUATED: AtomicU32 = AtomicU32::new(0);

fn probe() -> u32 {
    EVALUATED.fetch_add(1, Relaxed);
    7
}

#[ue_runtime::user_event(name = "co_evt_plain")]
fn plain(a: u32) -> u32 {
    a + 1
}

#[ue_runtime::user_event(span, ret, name = "co_evt_span")]
fn span(a: u32) -> u32 {
    a * 2
}

#[ue_runtime::user_event(span, err, name = "co_evt_async")]
async fn later(a: u32) -> Result<u32, std::io::Error> {
    Ok(a + 1)
}

ue_runtime::static_tracepoint!(static BY_HAND = "co_evt_by_hand u32 v");

fn main() {
    // Every declared site enabled by hand (bit 31, and bit 30 for span exits), as a tracer would.
    for tp in ue_runtime::TRACEPOINTS {
        tp.enable_word().fetch_or(3 << 30, Relaxed);
    }
    let key = String::from("k");
    ue_runtime::tracepoint!(co_evt_site, v: u32 = probe(), key: &str = &key);
    assert_eq!(plain(1), 2);
    assert_eq!(span(2), 4);
    let mut fut = std::pin::pin!(later(3));
    assert!(matches!(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())), Poll::Ready(Ok(4))));
    BY_HAND.emit(&(1u32,));
    println!("declared {} evaluated {}", ue_runtime::TRACEPOINTS.len(), EVALUATED.load(Relaxed));
}
"#;

fn work() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tests/ue-compile-out")
}

/// Builds and runs the program (`features` for ue-runtime); its output and its binary's bytes.
fn build_and_run(case: &str, features: &str) -> (String, Vec<u8>) {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = work().join(case);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{case}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nue-runtime = {{ path = {:?}, features = [{features}] }}\n\n[workspace]\n",
        runtime.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/main.rs"), MAIN).unwrap();
    // The workspace's lock file: the same versions, no registry look-up.
    std::fs::copy(runtime.join("../Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let target = work().join("target");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--target-dir"])
        .arg(&target)
        .current_dir(&dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{case}: {}", String::from_utf8_lossy(&out.stderr));
    let exe = target.join("debug").join(case);
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success(), "{case} failed: {}", String::from_utf8_lossy(&run.stderr));
    (String::from_utf8_lossy(&run.stdout).trim().to_string(), std::fs::read(&exe).unwrap())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn compile_out_removes_every_site_and_evaluates_nothing() {
    let (control, control_exe) = build_and_run("ue-co-control", "");
    assert_eq!(control, "declared 7 evaluated 1", "the control declares and evaluates its sites");
    assert!(contains(&control_exe, b"co_evt_span_exit u64 span_id"), "the control has its ue_events entries");
    let (out, exe) = build_and_run("ue-co-off", "\"compile-out\"");
    assert_eq!(out, "declared 0 evaluated 0", "compiled out: nothing declared, no field evaluated");
    assert!(!contains(&exe, b"co_evt_"), "compiled out: no event name or registration text in the binary");
}
