//! The crate's settings, declared once in its manifest:
//!
//! ```toml
//! [package.metadata.ue]
//! prefix = "myapp_"      # put before every event name of this crate
//! multi_format = true    # register every event of this crate with USER_EVENT_REG_MULTI_FORMAT
//! ```
//!
//! The same manifest says under which name the crate depends on ue-runtime: a renamed dependency
//! (`ue = { package = "ue-runtime" }`) makes the expansions name `::ue`.
//!
//! Read from `$CARGO_MANIFEST_DIR/Cargo.toml` at each expansion (macro expansion is never cached by rustc). The
//! expansion `include_bytes!`s the manifest, so rustc lists it in the crate's dep-info and cargo rebuilds the
//! crate when it changes.

use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct Crate {
    /// Put before every event name; empty without a declaration.
    pub prefix: String,
    /// Every event of the crate is multi-format.
    pub multi_format: bool,
    /// The manifest read, for the dependency on it and for error messages.
    pub manifest: Option<PathBuf>,
    /// The name the crate gives its ue-runtime dependency when it renames it (`ue` for `ue = { package =
    /// "ue-runtime" }`), as a crate name (`-` made `_`).
    pub runtime: Option<String>,
}

/// The runtime's package name, as dependencies name it.
const RUNTIME: &str = "ue-runtime";

impl Crate {
    /// The path the expansions start with: a site's `crate = path` (`given`), else the renamed dependency, else
    /// `::ue_runtime`.
    pub fn runtime_path(&self, given: Option<syn::Path>) -> syn::Path {
        given.unwrap_or_else(|| {
            let name = self.runtime.as_deref().unwrap_or("ue_runtime");
            let id = syn::Ident::new(name, proc_macro2::Span::call_site());
            syn::parse_quote!(::#id)
        })
    }
}

/// The name under which `table` (the manifest) depends on ue-runtime, if it renames it: in `[dependencies]`,
/// `[dev-dependencies]`, `[build-dependencies]` or their `[target.….*]` forms, the first found.
fn renamed_runtime(table: &toml::Table) -> Option<String> {
    const KINDS: [&str; 4] = ["dependencies", "dev-dependencies", "dev_dependencies", "build-dependencies"];
    let targets = table.get("target").and_then(toml::Value::as_table);
    let tables = KINDS
        .iter()
        .filter_map(|k| table.get(*k))
        .chain(targets.into_iter().flat_map(|t| t.values()).flat_map(|t| KINDS.iter().filter_map(|k| t.get(*k))));
    for deps in tables.filter_map(toml::Value::as_table) {
        for (name, spec) in deps {
            if name != RUNTIME && spec.get("package").and_then(toml::Value::as_str) == Some(RUNTIME) {
                return Some(name.replace('-', "_"));
            }
        }
    }
    None
}

const KEYS: &str = "`prefix = \"…\"` and `multi_format = true|false`";

/// The settings of the crate being compiled, or why they are wrong (an error for the macro to place).
pub fn current() -> Result<Crate, String> {
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else { return Ok(Crate::default()) };
    let path = PathBuf::from(dir).join("Cargo.toml");
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(Crate::default()) };
    let mut c = parse(&text).map_err(|e| format!("{}: [package.metadata.ue]: {e}", path.display()))?;
    c.manifest = Some(path);
    Ok(c)
}

fn parse(manifest: &str) -> Result<Crate, String> {
    let table: toml::Table = manifest.parse().map_err(|e| format!("cannot parse the manifest: {e}"))?;
    let ue = table.get("package").and_then(|p| p.get("metadata")).and_then(|m| m.get("ue"));
    let mut c = Crate { runtime: renamed_runtime(&table), ..Crate::default() };
    let Some(ue) = ue else { return Ok(c) };
    let ue = ue.as_table().ok_or_else(|| format!("expected a table with {KEYS}"))?;
    for (key, value) in ue {
        match key.as_str() {
            "prefix" => c.prefix = value.as_str().ok_or("`prefix` must be a string")?.to_string(),
            "multi_format" => c.multi_format = value.as_bool().ok_or("`multi_format` must be true or false")?,
            other => return Err(format!("unknown key `{other}`: the keys are {KEYS}")),
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_table_in_any_toml_spelling() {
        let c =
            parse("[package]\nname = \"x\"\n[package.metadata.ue]\nprefix = 'app_'\nmulti_format = true\n").unwrap();
        assert_eq!((c.prefix.as_str(), c.multi_format), ("app_", true));
        let c = parse("[package]\nmetadata.ue = { prefix = \"b_\" }\n").unwrap();
        assert_eq!((c.prefix.as_str(), c.multi_format), ("b_", false));
        let c = parse("[package]\nname = \"x\"\n[package.metadata.other]\nprefix = \"no\"\n").unwrap();
        assert_eq!(c.prefix, "");
    }

    #[test]
    fn a_renamed_runtime_dependency_is_found() {
        let c =
            parse("[package]\nname = \"x\"\n[dependencies]\nue = { package = \"ue-runtime\", version = \"0.1\" }\n")
                .unwrap();
        assert_eq!(c.runtime.as_deref(), Some("ue"));
        let c = parse("[target.'cfg(unix)'.dependencies]\nmy-ue = { package = \"ue-runtime\" }\n").unwrap();
        assert_eq!(c.runtime.as_deref(), Some("my_ue"));
        let c = parse("[dependencies]\nue-runtime = \"0.1\"\nother = { package = \"ue-cli\" }\n").unwrap();
        assert_eq!(c.runtime, None);
    }

    #[test]
    fn mistakes_are_named() {
        assert!(parse("[package.metadata.ue]\nprefx = \"a\"\n").unwrap_err().contains("unknown key `prefx`"));
        assert!(parse("[package.metadata.ue]\nprefix = 3\n").unwrap_err().contains("must be a string"));
        assert!(parse("[package.metadata]\nue = 1\n").unwrap_err().contains("expected a table"));
    }
}
