//! What the host asks the guest's PID 1 to do (the spec file), and which host paths the guest keeps visible.
//!
//! The guest's root is the host's `/`, read-only. The guest mounts its own proc, sysfs and devtmpfs, and a fresh
//! writable tmpfs over each scratch directory. A host path under a scratch directory stays visible: the guest
//! re-binds its top entry (`/var/tmp/clone` for `/var/tmp/clone/target`) over the tmpfs. A host path under a
//! guest mount cannot be shown; the host says so before booting.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// Writable in the guest: a tmpfs each, in this order.
pub const SCRATCH: &[&str] = &["/run", "/tmp", "/var/tmp", "/dev/shm"];
/// The guest's own file systems: host paths under them are hidden for good.
const GUEST_MOUNTS: &[(&str, &str)] = &[("/proc", "procfs"), ("/sys", "sysfs"), ("/dev", "devtmpfs")];
const MAGIC: &[u8] = b"ue-spec-1";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spec {
    pub cwd: PathBuf,
    pub env: Vec<(OsString, OsString)>,
    /// Host paths that must stay visible in the guest.
    pub keep: Vec<PathBuf>,
    pub argv: Vec<OsString>,
}

impl Spec {
    /// NUL-terminated fields: magic, cwd, env count, `K=V`…, keep count, paths…, argv….
    pub fn encode(&self) -> Vec<u8> {
        let mut fields: Vec<Vec<u8>> = vec![MAGIC.to_vec(), self.cwd.as_os_str().as_bytes().to_vec()];
        fields.push(self.env.len().to_string().into_bytes());
        for (k, v) in &self.env {
            fields.push([k.as_bytes(), b"=", v.as_bytes()].concat());
        }
        fields.push(self.keep.len().to_string().into_bytes());
        fields.extend(self.keep.iter().map(|p| p.as_os_str().as_bytes().to_vec()));
        fields.extend(self.argv.iter().map(|a| a.as_bytes().to_vec()));
        let mut buf = Vec::new();
        for f in fields {
            buf.extend_from_slice(&f);
            buf.push(0);
        }
        buf
    }

    pub fn decode(raw: &[u8]) -> Result<Spec, String> {
        let body = raw.strip_suffix(b"\0").ok_or("spec: not NUL-terminated")?;
        let mut it = body.split(|&b| b == 0);
        if it.next() != Some(MAGIC) {
            return Err("spec: not a ue spec (written by another xtask version?)".into());
        }
        let os = |b: &[u8]| OsString::from_vec(b.to_vec());
        let mut field = |what: &str| it.next().ok_or(format!("spec: cut short at {what}"));
        let cwd = PathBuf::from(os(field("cwd")?));
        let mut env = Vec::new();
        for _ in 0..count(field("env count")?)? {
            let kv = field("env")?;
            let eq = kv.iter().position(|&b| b == b'=').ok_or("spec: env entry without =")?;
            env.push((os(&kv[..eq]), os(&kv[eq + 1..])));
        }
        let mut keep = Vec::new();
        for _ in 0..count(field("keep count")?)? {
            keep.push(PathBuf::from(os(field("keep")?)));
        }
        let argv: Vec<OsString> = it.map(os).collect();
        if argv.is_empty() {
            return Err("spec: no command".into());
        }
        Ok(Spec { cwd, env, keep, argv })
    }
}

fn count(field: &[u8]) -> Result<usize, String> {
    std::str::from_utf8(field).ok().and_then(|n| n.parse().ok()).ok_or_else(|| "spec: bad count".to_string())
}

/// Why the guest cannot show `path` (absolute, symlinks resolved), or None when it can.
pub fn hidden(path: &Path) -> Option<String> {
    for (mount, fs) in GUEST_MOUNTS {
        if path.starts_with(mount) {
            return Some(format!("the guest mounts its own {fs} on {mount}"));
        }
    }
    None
}

/// The entries the guest re-binds over its scratch tmpfs mounts so that every `keep` path stays visible:
/// `(scratch dir, its top entry holding a kept path)`, deduplicated, in SCRATCH order. A kept path equal to a
/// scratch directory itself is not listed (the caller refuses it: see `check`).
pub fn binds(keep: &[PathBuf]) -> Vec<(&'static str, PathBuf)> {
    let mut out: Vec<(&'static str, PathBuf)> = Vec::new();
    for dir in SCRATCH {
        for p in keep {
            if let Ok(rest) = p.strip_prefix(dir) {
                if let Some(first) = rest.components().next() {
                    let top = Path::new(dir).join(first);
                    if !out.iter().any(|(_, t)| *t == top) {
                        out.push((dir, top));
                    }
                }
            }
        }
    }
    out
}

/// Host-side check, before any long step: each `(what, path)` must be visible in the guest as is.
pub fn check(paths: &[(&str, &Path)]) -> Result<(), String> {
    for (what, path) in paths {
        if let Some(why) = hidden(path) {
            return Err(format!("{what} {} cannot be shown in the test bed: {why}; move it elsewhere", path.display()));
        }
        if SCRATCH.iter().any(|d| *path == Path::new(d)) {
            return Err(format!(
                "{what} {} cannot be shown in the test bed: the guest needs its own writable {}; use a directory \
                 inside it",
                path.display(),
                path.display()
            ));
        }
    }
    Ok(())
}

/// One kernel command-line word for `s`: quoted if it holds spaces (the kernel strips the quotes).
pub fn cmdline_word(s: &OsStr) -> Result<String, String> {
    let text =
        s.to_str().ok_or_else(|| format!("{} is not UTF-8: it cannot go on the kernel command line", s.display()))?;
    if text.chars().any(|c| c == '"' || c.is_control()) {
        return Err(format!("{text:?} holds a quote or a control character: it cannot go on the kernel command line"));
    }
    Ok(if text.contains(char::is_whitespace) { format!("\"{text}\"") } else { text.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Spec {
        Spec {
            cwd: "/var/tmp/a b/clone".into(),
            env: vec![("RUST_BACKTRACE".into(), "1".into()), ("X".into(), "a=b".into()), ("E".into(), "".into())],
            keep: vec!["/var/tmp/a b/clone".into(), "/root/.cache/ue".into()],
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                "echo 'hi there'".into(),
                "".into(),
                OsString::from_vec(vec![0xff, b'x']),
            ],
        }
    }

    #[test]
    fn spec_round_trips_with_spaces_empty_fields_and_non_utf8() {
        let s = sample();
        assert_eq!(Spec::decode(&s.encode()), Ok(s));
        let bare = Spec { cwd: "/".into(), argv: vec!["true".into()], ..Spec::default() };
        assert_eq!(Spec::decode(&bare.encode()), Ok(bare));
    }

    #[test]
    fn spec_decode_rejects_garbage_and_truncation() {
        let raw = sample().encode();
        assert!(Spec::decode(b"").is_err());
        assert!(Spec::decode(b"/tmp\x000\x000\x00true\x00").unwrap_err().contains("not a ue spec"));
        for cut in [10, 30, raw.len() - 1] {
            assert!(Spec::decode(&raw[..cut]).is_err(), "cut at {cut}");
        }
        let no_cmd = Spec { cwd: "/".into(), ..Spec::default() };
        assert_eq!(Spec::decode(&no_cmd.encode()), Err("spec: no command".into()));
    }

    #[test]
    fn binds_keep_the_top_entry_of_each_kept_path_under_a_scratch_dir() {
        let keep: Vec<PathBuf> = [
            "/var/tmp/ue clone/target",
            "/var/tmp/ue clone",
            "/tmp/x/y/z",
            "/run/user/0/f",
            "/root/private/checkout",
            "/var/tmpfoo/a",
            "/tmp",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let b = binds(&keep);
        let want: Vec<(&str, PathBuf)> =
            vec![("/run", "/run/user".into()), ("/tmp", "/tmp/x".into()), ("/var/tmp", "/var/tmp/ue clone".into())];
        assert_eq!(b, want);
    }

    #[test]
    fn check_names_the_path_and_the_reason() {
        assert_eq!(check(&[("checkout", Path::new("/root/a")), ("cwd", Path::new("/var/tmp/b"))]), Ok(()));
        let e =
            check(&[("checkout", Path::new("/root/a")), ("target directory", Path::new("/dev/shm/t"))]).unwrap_err();
        assert!(e.starts_with("target directory /dev/shm/t cannot be shown") && e.contains("devtmpfs on /dev"), "{e}");
        let e = check(&[("working directory", Path::new("/tmp"))]).unwrap_err();
        assert!(e.contains("working directory /tmp") && e.contains("writable /tmp"), "{e}");
        assert!(hidden(Path::new("/proc/1")).is_some() && hidden(Path::new("/devices")).is_none());
    }

    #[test]
    fn cmdline_words_quote_spaces_and_refuse_what_cannot_be_quoted() {
        assert_eq!(cmdline_word(OsStr::new("/a/b")), Ok("/a/b".into()));
        assert_eq!(cmdline_word(OsStr::new("/var/tmp/a b/x")), Ok("\"/var/tmp/a b/x\"".into()));
        assert!(cmdline_word(OsStr::new("/a\"b")).is_err());
        assert!(cmdline_word(OsStr::new("/a\nb")).is_err());
        assert!(cmdline_word(OsStr::from_bytes(&[b'/', 0xff])).is_err());
    }
}
