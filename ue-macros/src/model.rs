//! What a tracepoint site is, once parsed: the event's name and its fields, each with the form its value takes.

use proc_macro2::Span;
use std::path::PathBuf;
use syn::{Expr, Type};

pub struct Site {
    /// The name as written at the site.
    pub name: String,
    pub name_span: Span,
    /// The crate's prefix (`[package.metadata.ue]`), empty if none.
    pub prefix: String,
    /// Registered with `USER_EVENT_REG_MULTI_FORMAT` (the site's option or the crate's).
    pub multi_format: bool,
    /// The manifest the crate's settings came from.
    pub manifest: Option<PathBuf>,
    pub fields: Vec<SiteField>,
    /// `tracepoint!`'s `let` bindings: run while enabled, before the fields are evaluated.
    pub prep: Vec<syn::Stmt>,
    /// The path of the runtime crate in the expansion: `::ue_runtime`, the manifest's name for a renamed
    /// dependency, or the site's `crate = path`.
    pub krate: syn::Path,
}

impl Site {
    /// The event's name as registered: the crate's prefix, then the name written.
    pub fn full_name(&self) -> String {
        format!("{}{}", self.prefix, self.name)
    }
}

pub struct SiteField {
    pub name: String,
    /// The field name's span.
    pub span: Span,
    pub form: Form,
    /// The value passed to the out-of-line write.
    pub value: Expr,
    /// The value is a reference to the declared type (`#[user_event]` arguments that are not `Copy`).
    pub by_ref: bool,
}

impl SiteField {
    /// A `u64` field a span adds, named at the `span` option.
    pub fn span_field(name: &str, at: Span, value: Expr) -> SiteField {
        SiteField {
            name: name.into(),
            span: at,
            form: Form::Typed(syn::parse_quote_spanned!(at=> u64)),
            value,
            by_ref: false,
        }
    }
}

/// A span (`#[user_event(span)]`): its exit event, whose values come from the end of the call, and the
/// function's return type for the body's closure (`None` when it cannot be written there: `impl Trait`).
pub struct SpanSite {
    pub exit: Site,
    pub ret_ty: Option<Type>,
}

/// `ret`, `ret(display)`, `ret(debug)`, at the option's token.
pub enum RetForm {
    Typed(Span),
    Display(Span),
    Debug(Span),
}

impl RetForm {
    pub fn span(&self) -> Span {
        match self {
            RetForm::Typed(s) | RetForm::Display(s) | RetForm::Debug(s) => *s,
        }
    }
}

/// How a field's value becomes its record bytes.
pub enum Form {
    /// A value of a `Field` type, encoded as that type says.
    Typed(Box<Type>),
    /// Any `Display` value, formatted into `Text<DISPLAY_MAX>` while enabled.
    Display(Span),
    /// Any `Debug` value, formatted into `Text<DISPLAY_MAX>` while enabled.
    Debug(Span),
    /// Bytes (`AsRef<[u8]>`) as hex text, formatted into `Text<HEX_MAX>` while enabled.
    Hex(Span),
}

impl Form {
    /// The span of the type (or of the form's keyword).
    pub fn span(&self) -> Span {
        match self {
            Form::Typed(t) => syn::spanned::Spanned::span(t),
            Form::Display(s) | Form::Debug(s) | Form::Hex(s) => *s,
        }
    }
}
