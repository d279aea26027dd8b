//! `cargo xtask kernel`: a tinyconfig kernel with user_events, built from Debian's linux-source-6.12.
//!
//! Machine-wide cache (sys::cache_dir(), shared by every checkout):
//! - `kernel/<key>/bzImage`, key = hash(source package version, xtask/kernel.config). An entry is built in
//!   `kernel/.partial-<key>` and renamed into place when complete, so an interrupted build never looks done.
//! - `kernel/last-build`: files compiled and options set by the last build, for the next build's progress total.
//! - `src/<version>/`: the unpacked source (also renamed into place when complete).
//!
//! Builds take `build.lock`, so two checkouts building at once wait for each other instead of racing.

use crate::sys::{self, Result};
use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SOURCE_PKG: &str = "linux-source-6.12";
const BUILD_PKGS: &[&str] =
    &[SOURCE_PKG, "make", "gcc", "flex", "bison", "bc", "libelf-dev", "libssl-dev", "cpio", "xz-utils"];
/// Files compiled per `=y` option of the final .config (measured: 1303 files for 652 options), for a first build.
const FILES_PER_OPTION: f64 = 2.0;

fn fragment_path() -> PathBuf {
    sys::root().join("xtask/kernel.config")
}

/// Where the image for the current package version and fragment lives, whether or not it is built yet.
pub struct Entry {
    pub version: String,
    pub key: String,
    pub image: PathBuf,
}

pub fn entry() -> Result<Entry> {
    let version = installed_version()?;
    let fragment = read_fragment()?;
    let key = format!("{:016x}", sys::fnv64(&[version.as_bytes(), fragment.as_bytes()]));
    let image = sys::cache_dir().join("kernel").join(&key).join("bzImage");
    Ok(Entry { version, key, image })
}

fn read_fragment() -> Result<String> {
    std::fs::read_to_string(fragment_path()).map_err(|e| format!("cannot read {}: {e}", fragment_path().display()))
}

/// Returns the path of the kernel image: `UE_KERNEL`, else the cached build, building it first if needed.
pub fn build() -> Result<PathBuf> {
    if let Some(k) = std::env::var_os("UE_KERNEL") {
        let k = PathBuf::from(k);
        return if k.is_file() { Ok(k) } else { Err(format!("UE_KERNEL={}: no such file", k.display())) };
    }
    let Entry { version, key, image } = entry()?;
    if image.exists() {
        return Ok(image);
    }
    sys::step(&format!("the test kernel is not cached yet: building it once for this machine, in {}", cache_root()));
    sys::ensure_packages(BUILD_PKGS)?;
    let kernels = sys::cache_dir().join("kernel");
    let _lock = sys::lock(&sys::cache_dir().join("build.lock"), "waiting for another kernel build on this machine")?;
    if image.exists() {
        return Ok(image); // built by whoever held the lock
    }
    let t0 = Instant::now();
    let partial = kernels.join(format!(".partial-{key}"));
    // Left by an interrupted build (we hold the lock: nobody else is writing it).
    let _ = std::fs::remove_dir_all(&partial);
    let src = extract(&version)?;
    let build = partial.join("build");
    std::fs::create_dir_all(&build).map_err(|e| format!("cannot create {}: {e}", build.display()))?;
    let make = |args: &[&str]| {
        let mut c = Command::new("make");
        c.arg("-C").arg(&src).arg(format!("O={}", build.display())).args(args);
        c
    };
    sys::step(&format!("configuring kernel {version} (tinyconfig + xtask/kernel.config)"));
    sys::run(make(&["-s", "tinyconfig"]).stdout(Stdio::null()))?;
    let config = build.join(".config");
    let fragment = read_fragment()?;
    let mut base = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    base.push_str(&fragment);
    std::fs::write(&config, base).map_err(|e| e.to_string())?;
    // olddefconfig warns about every option the fragment overrides; check_config is the real check.
    let out = make(&["-s", "olddefconfig"]).output().map_err(|e| format!("cannot run make: {e}"))?;
    if !out.status.success() {
        return Err(format!("make olddefconfig failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    let final_config = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    check_config(&final_config, &fragment)?;

    let options = enabled_options(&final_config);
    let stats_path = kernels.join("last-build");
    let last = std::fs::read_to_string(&stats_path).ok().and_then(|s| LastBuild::parse(&s));
    let (total, basis) = expected_files(options, last.as_ref());
    let jobs = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    sys::step(&format!("building bzImage with {jobs} jobs: about {total} files ({basis})"));
    let files = make_with_progress(make(&[&format!("-j{jobs}"), "bzImage"]), total)?;
    std::fs::copy(build.join("arch/x86/boot/bzImage"), partial.join("bzImage")).map_err(|e| e.to_string())?;
    std::fs::write(partial.join("config"), &final_config).map_err(|e| e.to_string())?;
    // The object tree is not needed once the image is cached.
    let _ = std::fs::remove_dir_all(&build);
    std::fs::rename(&partial, image.parent().unwrap()).map_err(|e| format!("cannot complete the cache entry: {e}"))?;
    let stats = LastBuild { files, options, secs: t0.elapsed().as_secs() };
    let _ = sys::write_atomic(&stats_path, stats.to_string().as_bytes());
    sys::step(&format!("kernel ready in {}: {}", sys::duration(t0.elapsed()), image.display()));
    Ok(image)
}

fn cache_root() -> String {
    sys::cache_dir().display().to_string()
}

fn installed_version() -> Result<String> {
    let v = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", SOURCE_PKG])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if !v.is_empty() {
        return Ok(v);
    }
    sys::ensure_packages(&[SOURCE_PKG])?;
    installed_version()
}

/// Unpacks /usr/src/linux-source-6.12.tar.xz once per package version (caller holds the build lock).
fn extract(version: &str) -> Result<PathBuf> {
    let srcs = sys::cache_dir().join("src");
    let dir = srcs.join(version);
    let src = dir.join(SOURCE_PKG);
    if src.is_dir() {
        return Ok(src);
    }
    let partial = srcs.join(format!(".partial-{version}"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let tarball = format!("/usr/src/{SOURCE_PKG}.tar.xz");
    sys::step(&format!("unpacking {tarball} (once per package version)"));
    sys::run(Command::new("tar").arg("-xJf").arg(&tarball).arg("-C").arg(&partial))?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&partial, &dir).map_err(|e| format!("cannot complete {}: {e}", dir.display()))?;
    Ok(src)
}

/// Every `CONFIG_X=v` line of the fragment must be in the final config as is, and no `# CONFIG_X is not set`
/// line of it may be set there: olddefconfig silently drops an option whose dependencies are unmet.
pub fn check_config(config: &str, fragment: &str) -> Result<()> {
    let have: std::collections::HashSet<&str> = config.lines().collect();
    let mut wrong = Vec::new();
    for line in fragment.lines().map(str::trim) {
        if line.starts_with("CONFIG_") && line.contains('=') {
            if !have.contains(line) {
                wrong.push(format!("{line} (dropped)"));
            }
        } else if let Some(name) = line.strip_prefix("# ").and_then(|l| l.strip_suffix(" is not set")) {
            if let Some(set) = config.lines().find(|l| l.split_once('=').is_some_and(|(k, _)| k == name)) {
                wrong.push(format!("{set} (should be unset)"));
            }
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("xtask/kernel.config not honoured by olddefconfig (unmet dependencies?): {}", wrong.join(", ")))
    }
}

fn enabled_options(config: &str) -> usize {
    config.lines().filter(|l| l.starts_with("CONFIG_") && l.ends_with("=y")).count()
}

/// What the last build on this machine compiled: `files options secs`.
#[derive(Debug, PartialEq)]
pub struct LastBuild {
    pub files: usize,
    pub options: usize,
    pub secs: u64,
}

impl LastBuild {
    pub fn parse(s: &str) -> Option<LastBuild> {
        let mut it = s.split_whitespace().map(str::parse::<u64>);
        let (files, options, secs) = (it.next()?.ok()?, it.next()?.ok()?, it.next()?.ok()?);
        Some(LastBuild { files: files as usize, options: options as usize, secs })
    }
}

impl std::fmt::Display for LastBuild {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} {} {}", self.files, self.options, self.secs)
    }
}

/// The expected number of compiled files: the last build's, scaled by the number of options, else an estimate
/// from the options alone. Also says which.
pub fn expected_files(options: usize, last: Option<&LastBuild>) -> (usize, &'static str) {
    match last {
        Some(l) if l.options > 0 && l.files > 0 => {
            ((l.files as f64 * options as f64 / l.options as f64).round() as usize, "from the last build")
        }
        _ => (((options as f64) * FILES_PER_OPTION).round().max(1.0) as usize, "estimated from the configuration"),
    }
}

/// `  312/540 files  57%  1m10s, about 52s left`; past the expected total, no percentage and no ETA.
pub fn progress_line(done: usize, total: usize, elapsed: Duration) -> String {
    if done >= total || done == 0 {
        return format!("{done:>5}/{total} files  {}", sys::duration(elapsed));
    }
    let left = elapsed.mul_f64((total - done) as f64 / done as f64);
    format!(
        "{done:>5}/{total} files {:>3}%  {}, about {} left",
        done * 100 / total,
        sys::duration(elapsed),
        sys::duration(left)
    )
}

/// Runs make, showing files compiled of `total` with an ETA; on failure prints the last lines of its output.
/// Returns the number of files compiled.
fn make_with_progress(mut cmd: Command, total: usize) -> Result<usize> {
    let mut child =
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| format!("cannot run make: {e}"))?;
    let stderr = child.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut tail = VecDeque::new();
        for line in sys::lines(stderr) {
            if tail.len() == 40 {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        tail
    });
    let tty = std::io::stderr().is_terminal();
    let t0 = Instant::now();
    let mut compiled = 0usize;
    let mut shown_tenth = 0;
    let mut tail = VecDeque::new();
    for line in sys::lines(child.stdout.take().unwrap()) {
        let word = line.split_whitespace().next().unwrap_or("");
        if word == "CC" || word == "AS" {
            compiled += 1;
            if tty {
                eprint!("\r    {}   ", progress_line(compiled, total, t0.elapsed()));
                let _ = std::io::stderr().flush();
            } else if compiled * 10 / total.max(1) > shown_tenth {
                shown_tenth = compiled * 10 / total.max(1);
                eprintln!("    {}", progress_line(compiled, total, t0.elapsed()));
            }
        }
        if tail.len() == 20 {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    if tty {
        eprintln!();
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let err_tail = err_thread.join().unwrap_or_default();
    if status.success() {
        eprintln!("    compiled {compiled} files in {}", sys::duration(t0.elapsed()));
        return Ok(compiled);
    }
    for l in tail.iter().chain(err_tail.iter()) {
        eprintln!("    | {l}");
    }
    Err(format!("kernel build failed: {status}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_config_accepts_a_fragment_that_survived() {
        let fragment = "# comment\nCONFIG_A=y\nCONFIG_N=8\n# CONFIG_B is not set\n";
        let config = "CONFIG_A=y\nCONFIG_N=8\n# CONFIG_B is not set\nCONFIG_C=y\n";
        assert_eq!(check_config(config, fragment), Ok(()));
    }

    #[test]
    fn check_config_names_dropped_changed_and_unwanted_options() {
        let fragment = "CONFIG_A=y\nCONFIG_N=8\n# CONFIG_B is not set\nCONFIG_OK=y\n";
        let config = "# CONFIG_A is not set\nCONFIG_N=2\nCONFIG_B=y\nCONFIG_OK=y\nCONFIG_BB=y\n";
        let err = check_config(config, fragment).unwrap_err();
        assert!(err.contains("CONFIG_A=y (dropped)"), "{err}");
        assert!(err.contains("CONFIG_N=8 (dropped)"), "{err}");
        assert!(err.contains("CONFIG_B=y (should be unset)"), "{err}");
        assert!(!err.contains("CONFIG_OK") && !err.contains("CONFIG_BB"), "{err}");
    }

    #[test]
    fn the_fragment_in_the_tree_is_well_formed() {
        // Each line is a comment, blank, `CONFIG_X=v` or `# CONFIG_X is not set`: a typo would be ignored by make.
        for line in read_fragment().unwrap().lines() {
            let ok = line.is_empty()
                || (line.starts_with("CONFIG_")
                    && line.split_once('=').is_some_and(|(k, v)| !k.contains(' ') && !v.is_empty()))
                || (line.starts_with("# ") && !line.starts_with("# CONFIG_"))
                || (line.starts_with("# CONFIG_") && line.ends_with(" is not set"));
            assert!(ok, "malformed line in xtask/kernel.config: {line:?}");
        }
    }

    #[test]
    fn last_build_round_trips() {
        let l = LastBuild { files: 540, options: 652, secs: 301 };
        assert_eq!(LastBuild::parse(&l.to_string()), Some(l));
        assert_eq!(LastBuild::parse("540 x 3"), None);
        assert_eq!(LastBuild::parse(""), None);
    }

    #[test]
    fn expected_files_scales_the_last_build_else_estimates() {
        let last = LastBuild { files: 500, options: 600, secs: 300 };
        assert_eq!(expected_files(660, Some(&last)), (550, "from the last build"));
        assert_eq!(expected_files(652, None).0, 1304);
        let zero = LastBuild { files: 0, options: 0, secs: 0 };
        assert_eq!(expected_files(100, Some(&zero)).1, "estimated from the configuration");
    }

    #[test]
    fn progress_line_shows_the_total_and_an_eta_until_the_total_is_reached() {
        assert_eq!(progress_line(100, 400, Duration::from_secs(30)), "  100/400 files  25%  30s, about 1m30s left");
        assert_eq!(progress_line(0, 400, Duration::ZERO), "    0/400 files  0s");
        assert_eq!(progress_line(450, 400, Duration::from_secs(200)), "  450/400 files  3m20s");
    }
}
