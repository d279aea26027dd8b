//! The bed's own tests: each boots the VM through the xtask binary, as a user would, from the places a checkout
//! may live. They run on the host (not inside the VM), in step 3 of `cargo xtask test`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime};
use xtask::cargo_json;
use xtask::sys::{cargo, root};

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(path: PathBuf, mode: u32) -> Scratch {
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `xtask vm -- argv` from `cwd`; returns the output and the wall time.
fn vm(xtask: &Path, cwd: &Path, argv: &[&str], env: &[(&str, Option<&str>)]) -> (Output, Duration) {
    let mut cmd = Command::new(xtask);
    cmd.arg("vm").arg("--").args(argv).current_dir(cwd);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let t0 = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("run {}: {e}", xtask.display()));
    (out, t0.elapsed())
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn xtask() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_xtask"))
}

#[test]
#[ignore = "boots the test bed: cargo xtask test"]
fn bed_runs_a_command_whose_cwd_and_binary_live_under_var_tmp_behind_a_symlink_and_a_space() {
    let dir = Scratch::new(PathBuf::from(format!("/var/tmp/ue bed {}", std::process::id())), 0o755);
    let real = dir.0.join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::copy("/bin/cat", real.join("cat")).unwrap();
    std::fs::write(real.join("marker"), "seen from the guest\n").unwrap();
    std::os::unix::fs::symlink("real", dir.0.join("link")).unwrap();
    let (out, t) = vm(xtask(), &dir.0.join("link"), &["./cat", "marker"], &[]);
    eprintln!("booted and ran in {t:.1?}");
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("seen from the guest"), "{}", text(&out));
}

#[test]
#[ignore = "boots the test bed: cargo xtask test"]
fn bed_privilege_dropping_runtime_test_passes_from_a_0700_directory() {
    // The declaration_api test binary, copied into a directory uid 65534 cannot enter (like a checkout under /root).
    let out = cargo()
        .args(["test", "-p", "ue", "--test", "declaration_api", "--no-run", "--message-format=json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let exes = cargo_json::test_executables(&String::from_utf8_lossy(&out.stdout), None);
    let [exe] = exes.as_slice() else { panic!("one declaration_api test binary expected: {exes:?}") };
    // The same layout as target/debug: the test in deps/, the program it runs as uid 65534 in examples/.
    let probe = Path::new(exe).parent().and_then(|d| d.parent()).unwrap().join("examples/status_probe");
    let dir = Scratch::new(root().join(format!("target/ue-bed/private-{}", std::process::id())), 0o700);
    for sub in ["deps", "examples"] {
        std::fs::create_dir(dir.0.join(sub)).unwrap();
    }
    std::fs::copy(exe, dir.0.join("deps/declaration_api")).unwrap();
    std::fs::copy(&probe, dir.0.join("examples/status_probe")).unwrap_or_else(|e| panic!("{}: {e}", probe.display()));
    let name = "without_permission_the_program_runs_and_says_why";
    let (out, t) = vm(xtask(), &dir.0, &["./deps/declaration_api", "--exact", name, "--ignored"], &[]);
    eprintln!("booted and ran in {t:.1?}");
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"), "{}", text(&out));
}

#[test]
#[ignore = "boots the test bed: cargo xtask test"]
fn bed_guest_has_every_cpu_online() {
    let cpus = std::env::var("UE_VM_CPUS").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get).clamp(2, 8)
        // vm.rs: MIN_CPUS, MAX_CPUS
    });
    let (out, _) = vm(xtask(), &root(), &["/bin/sh", "-c", "echo online=$(nproc)"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let online: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("online=")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{}", text(&out)));
    assert!(online >= 2, "the guest must run tests on at least 2 CPUs: {online} online");
    assert_eq!(online, cpus, "every CPU given to QEMU is online");
}

#[test]
#[ignore = "boots the test bed: cargo xtask test"]
fn bed_second_checkout_reuses_the_cached_kernel() {
    // The first checkout (this one) has the kernel in the machine-wide cache, building it if needed.
    let out = Command::new(xtask()).arg("kernel").env_remove("UE_KERNEL").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let image = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    let before = mtime(&image);

    // A second checkout under /var/tmp, with its own target directory: everything but target/ and .git/.
    let dir = Scratch::new(PathBuf::from(format!("/var/tmp/ue-bed-clone {}", std::process::id())), 0o755);
    copy_tree(&root(), &dir.0);
    let t0 = Instant::now();
    let out = cargo()
        .args(["build", "--quiet", "--offline", "-p", "xtask"])
        .current_dir(&dir.0)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    eprintln!("second checkout's xtask compiled in {:.1?}", t0.elapsed());
    let xtask2 = dir.0.join("target/debug/xtask");
    let env = [("UE_KERNEL", None), ("CARGO_TARGET_DIR", None)];
    let (out, t) = vm(&xtask2, &dir.0, &["/bin/ls", "Cargo.toml"], &env);
    eprintln!("second checkout booted and ran in {t:.1?}");
    let all = text(&out);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Cargo.toml"), "{all}");
    for step in ["not cached", "unpacking", "configuring kernel", "building bzImage", "probing KVM"] {
        assert!(!all.contains(step), "the second checkout ran the step {step:?}:\n{all}");
    }
    assert_eq!(mtime(&image), before, "the cached image was rebuilt");
}

/// Copies a source tree, skipping target/ and dot-directories.
fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().map(Result::unwrap) {
        let name = e.file_name();
        let (src, dst) = (e.path(), to.join(&name));
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            let skip = name == "target" || (name.to_string_lossy().starts_with('.') && name != ".cargo");
            if !skip {
                std::fs::create_dir_all(&dst).unwrap();
                copy_tree(&src, &dst);
            }
        } else if ty.is_file() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A busy loop per CPU, twice over, in the guest, for as long as the script after it runs.
const LOAD: &str = "for i in $(seq $((2 * $(nproc)))); do (while :; do :; done) & done";

#[test]
#[ignore = "boots the test bed: cargo xtask test"]
fn bed_demo_flow_records_ten_times_in_a_row_under_a_cpu_load() {
    let out = cargo().args(["build", "--quiet", "--example", "quickstart"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let example = xtask::sys::target_dir().join("debug/examples/quickstart");
    // Each run in its own shell, as `cargo xtask demo` runs it; a failed run stops the loop with its status.
    let dir = Scratch::new(root().join(format!("target/ue-bed/demo-{}", std::process::id())), 0o755);
    std::fs::write(dir.0.join("flow.sh"), xtask::demo::script()).unwrap();
    let script = format!(
        "{LOAD}\nfor run in 1 2 3 4 5 6 7 8 9 10; do\n  echo \"==> run $run\"\n  \
         /bin/sh ./flow.sh \"$1\" || {{ echo \"==> run $run failed: $?\"; exit 1; }}\ndone\n"
    );
    let t0 = Instant::now();
    let ex = example.to_string_lossy();
    let (out, _) = vm(xtask(), &dir.0, &["/bin/sh", "-c", &script, "sh", &ex], &[]);
    eprintln!("ten demo runs under load in {:.1?}", t0.elapsed());
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    // Each run's report holds records of both events.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let runs: Vec<&str> = stdout.split("==> run ").skip(1).collect();
    assert_eq!(runs.len(), 10, "{all}");
    for (i, run) in runs.iter().enumerate() {
        for e in xtask::demo::EVENTS {
            assert!(run.contains(&format!(" {e}: ")), "run {} has no {e} record:\n{all}", i + 1);
        }
    }
}

#[test]
#[ignore = "boots the test bed: cargo xtask test"]
fn bed_records_a_program_of_a_crate_outside_the_checkout_with_one_command() {
    // A crate of its own under /var/tmp, depending on the runtime under another name, as README's "Trying your
    // program in the test bed" has it; its target directory is kept between runs (a symlink), to build once.
    let dir = Scratch::new(PathBuf::from(format!("/var/tmp/ue-bed-app {}", std::process::id())), 0o755);
    let manifest = format!(
        "[package]\nname = \"myapp\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         ue = {{ package = \"ue-runtime\", path = {:?} }}\n\n[workspace]\n",
        root().join("ue-runtime").display().to_string()
    );
    std::fs::create_dir(dir.0.join("src")).unwrap();
    std::fs::write(dir.0.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root().join("Cargo.lock"), dir.0.join("Cargo.lock")).unwrap();
    std::fs::write(dir.0.join("src/main.rs"), APP).unwrap();
    let target = root().join("target/ue-bed/outside-app");
    std::fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(&target, dir.0.join("target")).unwrap();
    let out = cargo()
        .args(["build", "--quiet", "--offline"])
        .current_dir(&dir.0)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // `ue` beside the xtask binary, which the guest finds on its PATH.
    let out = cargo().args(["build", "--quiet", "-p", "ue-cli"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let (out, t) = vm(xtask(), &dir.0, &["ue", "record", "--", "./target/debug/myapp"], &[]);
    eprintln!("booted and recorded in {t:.1?}");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for want in ["user_events:A_new id=7", "user_events:B_new name=\"b\"", "user_events:done n=2"] {
        assert_eq!(stdout.lines().filter(|l| l.contains(want)).count(), 1, "{want}:\n{all}");
    }
}

/// The outside crate's program: methods of two types named `new`, and a `tracepoint!`.
const APP: &str = r#"use ue::{tracepoint, user_event};

struct A;
struct B;

#[user_event]
impl A {
    #[user_event]
    fn new(id: u32) -> A {
        let _ = id;
        A
    }
}

#[user_event]
impl B {
    #[user_event]
    fn new(name: &str) -> B {
        let _ = name;
        B
    }
}

fn main() {
    let _ = (A::new(7), B::new("b"));
    tracepoint!(done, n: u32 = 2);
}
"#;
