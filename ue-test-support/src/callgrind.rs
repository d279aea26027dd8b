//! Instructions per call, for the benches: callgrind's total for `2·iters` calls minus that for `iters`,
//! divided by `iters` (start-up and exit cancel out). The bench runs itself as `<exe> count <name> <n>`.

/// Prints `figure ir.<name> <instructions per call>` for each of `names`.
pub fn by_difference(iters: u64, names: &[String]) {
    let exe = std::env::current_exe().expect("own path");
    let total = |name: &str, n: u64| -> u64 {
        let out = std::env::temp_dir().join(format!("ue-callgrind.{}.{name}.{n}", std::process::id()));
        let st = std::process::Command::new("valgrind")
            .args(["--tool=callgrind", "-q"])
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&exe)
            .args(["count", name, &n.to_string()])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run valgrind");
        assert!(st.success(), "valgrind {name} failed");
        let text = std::fs::read_to_string(&out).expect("callgrind output");
        let _ = std::fs::remove_file(&out);
        text.lines()
            .find_map(|l| l.strip_prefix("totals: ").or_else(|| l.strip_prefix("summary: ")))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("callgrind totals")
    };
    for name in names {
        let (one, two) = (total(name, iters), total(name, 2 * iters));
        println!("figure ir.{name} {:.2}", (two as f64 - one as f64) / iters as f64);
    }
}
