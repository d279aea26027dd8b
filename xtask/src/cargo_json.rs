//! The test executables in cargo's `--message-format=json` output.
//!
//! A small JSON reader rather than serde_json: xtask is the first thing a fresh clone compiles, and its only
//! dependency is libc. Also used by xtask/tests/bed.rs.

use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses one JSON value (a line of cargo's output).
pub fn parse(text: &str) -> Option<Json> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }
    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.s.get(self.i) == Some(&b)).then(|| self.i += 1)
    }
    fn value(&mut self) -> Option<Json> {
        self.ws();
        let rest = &self.s[self.i..];
        for (word, v) in [("null", Json::Null), ("true", Json::Bool(true)), ("false", Json::Bool(false))] {
            if rest.starts_with(word.as_bytes()) {
                self.i += word.len();
                return Some(v);
            }
        }
        match *rest.first()? {
            b'"' => self.string().map(Json::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.eat(b']').is_some() {
                    return Some(Json::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    if self.eat(b']').is_some() {
                        return Some(Json::Arr(items));
                    }
                    self.eat(b',')?;
                }
            }
            b'{' => {
                self.i += 1;
                let mut kv = Vec::new();
                if self.eat(b'}').is_some() {
                    return Some(Json::Obj(kv));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.eat(b':')?;
                    kv.push((k, self.value()?));
                    if self.eat(b'}').is_some() {
                        return Some(Json::Obj(kv));
                    }
                    self.eat(b',')?;
                }
            }
            b'-' | b'0'..=b'9' => {
                let n = rest.iter().take_while(|b| b"+-.eE0123456789".contains(b)).count();
                self.i += n;
                Some(Json::Num(String::from_utf8_lossy(&rest[..n]).into_owned()))
            }
            _ => None,
        }
    }
    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let c = match e {
                        b'"' | b'\\' | b'/' => e as char,
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = |p: &mut Self| -> Option<u32> {
                                let h = std::str::from_utf8(p.s.get(p.i..p.i + 4)?).ok()?;
                                p.i += 4;
                                u32::from_str_radix(h, 16).ok()
                            };
                            let hi = hex(self)?;
                            let code = if (0xd800..0xdc00).contains(&hi) && self.s[self.i..].starts_with(b"\\u") {
                                self.i += 2;
                                0x10000 + ((hi - 0xd800) << 10) + (hex(self)? - 0xdc00)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => out.push(b),
            }
        }
    }
}

/// The executables of test targets (`profile.test`) in cargo's JSON messages, except proc-macro crates' (they
/// link the toolchain's libstd dynamically and hold no kernel tests) and those of the package at `exclude`.
pub fn test_executables(messages: &str, exclude: Option<&Path>) -> Vec<String> {
    let mut bins = Vec::new();
    for msg in messages.lines().filter_map(parse) {
        if msg.get("reason").and_then(Json::str) != Some("compiler-artifact") {
            continue;
        }
        let is_test = msg.get("profile").and_then(|p| p.get("test")) == Some(&Json::Bool(true));
        let proc_macro = matches!(msg.get("target").and_then(|t| t.get("kind")), Some(Json::Arr(k)) if k.contains(&Json::Str("proc-macro".into())));
        let excluded = exclude.is_some_and(|m| msg.get("manifest_path").and_then(Json::str) == m.to_str());
        if let (true, false, false, Some(exe)) =
            (is_test, proc_macro, excluded, msg.get("executable").and_then(Json::str))
        {
            bins.push(exe.to_string());
        }
    }
    bins
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(manifest: &str, kind: &str, test: bool, exe: &str) -> String {
        format!(
            r#"{{"reason":"compiler-artifact","package_id":"path+file:///x#0.1.0","manifest_path":"{manifest}","target":{{"kind":["{kind}"],"crate_types":["{kind}"],"name":"t","src_path":"/x/t.rs","edition":"2021","doctest":false,"test":true}},"profile":{{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":{test}}},"features":[],"filenames":["{exe}"],"executable":{},"fresh":true}}"#,
            if exe.is_empty() { "null".to_string() } else { format!("\"{exe}\"") }
        )
    }

    #[test]
    fn parses_values_escapes_and_rejects_garbage() {
        let v = parse(r#" {"a": [1, -2.5e3, true, null, "x\"y\\z\/\u00e9\ud83d\ude00\n"], "b": {}} "#).unwrap();
        assert_eq!(
            v.get("a"),
            Some(&Json::Arr(vec![
                Json::Num("1".into()),
                Json::Num("-2.5e3".into()),
                Json::Bool(true),
                Json::Null,
                Json::Str("x\"y\\z/é😀\n".into())
            ]))
        );
        assert_eq!(v.get("b"), Some(&Json::Obj(vec![])));
        for bad in ["", "{", r#"{"a"}"#, r#"{"a":1,}"#, "[1 2]", r#""\q""#, "1 2", "Compiling x"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn lists_test_executables_only() {
        let out = [
            r#"{"reason":"compiler-message","message":{"rendered":"warning"}}"#.to_string(),
            "   Compiling ue v0.1.0".to_string(),
            artifact("/w/Cargo.toml", "test", true, "/w/target/debug/deps/runtime-1"),
            artifact("/w/Cargo.toml", "lib", false, ""),
            artifact("/w/Cargo.toml", "bin", false, "/w/target/debug/tool"), // built for CARGO_BIN_EXE_*, no tests
            artifact("/w/ue-macros/Cargo.toml", "proc-macro", true, "/w/target/debug/deps/ue_macros-2"),
            artifact("/w/xtask/Cargo.toml", "test", true, "/w/target/debug/deps/bed-3"),
            artifact("/w/a b/Cargo.toml", "lib", true, r"/w/a b/target/debug/deps/q\\x-4"),
            r#"{"reason":"build-finished","success":true}"#.to_string(),
        ]
        .join("\n");
        assert_eq!(
            test_executables(&out, Some(Path::new("/w/xtask/Cargo.toml"))),
            ["/w/target/debug/deps/runtime-1", r"/w/a b/target/debug/deps/q\x-4"]
        );
        assert_eq!(test_executables(&out, None).len(), 3);
    }
}
