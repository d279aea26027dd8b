//! Instructions, for the benches: per call, callgrind's total for `2·iters` calls minus that for `iters`,
//! divided by `iters` (start-up and exit cancel out; the bench runs itself as `<exe> count <name> <n>`); or
//! the total of one run inside the functions of a name.

/// Prints `figure ir.<name> <instructions per call>` for each of `names`.
pub fn by_difference(iters: u64, names: &[String]) {
    let exe = std::env::current_exe().expect("own path");
    for name in names {
        let total = |n: u64| total(&exe, &["count", name, &n.to_string()], None);
        let (one, two) = (total(iters), total(2 * iters));
        println!("figure ir.{name} {:.2}", (two as f64 - one as f64) / iters as f64);
    }
}

/// callgrind's total of user-space instructions for `program args`, counted only inside functions matching
/// `toggle` (and what they call) when given.
pub fn total(program: &std::path::Path, args: &[&str], toggle: Option<&str>) -> u64 {
    let stem = program.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let out = std::env::temp_dir().join(format!("ue-callgrind.{}.{stem}.{}", std::process::id(), args.join(".")));
    let st = std::process::Command::new("valgrind")
        .args(["--tool=callgrind", "-q"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .args(toggle.map(|t| format!("--toggle-collect={t}")))
        .arg(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run valgrind");
    assert!(st.success(), "valgrind {} {args:?} failed", program.display());
    let text = std::fs::read_to_string(&out).expect("callgrind output");
    let _ = std::fs::remove_file(&out);
    text.lines()
        .find_map(|l| l.strip_prefix("totals: ").or_else(|| l.strip_prefix("summary: ")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("callgrind totals")
}
