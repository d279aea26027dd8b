//! Reading the macros' input into the model; each mistake is an error at its token.

use crate::check::Errors;
use crate::model::{Form, RetForm, Site, SiteField, SpanSite};
use crate::namespace;
use crate::owner::Owner;
use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, LitStr, Pat, Token};

/// `name` or `"name"`.
struct EventName {
    text: String,
    span: Span,
}

impl Parse for EventName {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            Ok(EventName { text: lit.value(), span: lit.span() })
        } else {
            let id = input.call(Ident::parse_any)?;
            Ok(EventName { text: unraw(&id), span: id.span() })
        }
    }
}

/// `field: Type = expr`, `field: Display = expr`, `field: Debug = expr`, `field: Hex = expr`.
struct FieldArg {
    name: Ident,
    form: Form,
    expr: Expr,
}

impl Parse for FieldArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // `tracing` habits: `?value`, `%value`, `key = value`, a bare `key`.
        if input.peek(Token![?]) || input.peek(Token![%]) {
            let (sigil, form) = if input.peek(Token![?]) { ("?", "Debug") } else { ("%", "Display") };
            return Err(input.error(format!(
                "`{sigil}value` is `tracing`'s shorthand; here a field is named and typed: `name: {form} = value`"
            )));
        }
        if input.peek(LitStr) {
            return Err(message(&input.parse()?));
        }
        let name = input.call(Ident::parse_any)?;
        if input.peek(Token![.]) {
            let mut parts = vec![unraw(&name)];
            let mut span = name.span();
            while input.peek(Token![.]) {
                input.parse::<Token![.]>()?;
                let next = input.call(Ident::parse_any)?;
                span = span.join(next.span()).unwrap_or(span);
                parts.push(unraw(&next));
            }
            let joined = parts.join("_");
            return Err(syn::Error::new(
                span,
                format!("field names are identifiers (a dotted name is `tracing`'s): write `{joined}: Type = …`"),
            ));
        }
        if input.peek(Token![=]) {
            return Err(input.error(format!(
                "a field needs a type: `{name}: Type = …` (for example `{name}: u64 = …` or `{name}: &str = …`), \
                 or `{name}: Display = …` / `{name}: Debug = …` to record any value as text"
            )));
        }
        if input.is_empty() || input.peek(Token![,]) {
            return Err(syn::Error::new(
                name.span(),
                format!("a field needs a type and a value: `{name}: Type = {name}`"),
            ));
        }
        input.parse::<Token![:]>()?;
        let form = form(input)?;
        input.parse::<Token![=]>()?;
        let expr = input.parse()?;
        Ok(FieldArg { name, form, expr })
    }
}

/// `tracing`'s message (`"message {}", x` or a trailing `"done"`), at the literal, with the ue form.
fn message(lit: &LitStr) -> syn::Error {
    let text = lit.value();
    let form = if text.contains('{') {
        format!("`message: Display = format_args!({text:?}, …)` (formatted only while the event is enabled)")
    } else {
        format!("`message: &str = {text:?}`")
    };
    syn::Error::new(
        lit.span(),
        format!("a message is a field here: write {form}; an event's fields are named and typed, and its name says what happened"),
    )
}

/// A type that cannot be known where `tracepoint!` puts its statics: the enclosing function's generic
/// parameter (written `T`, `U`, `K2`…: one capital and at most a digit) or `Self`.
fn outer_generic(ty: &syn::Type) -> Option<(Span, String)> {
    let syn::Type::Path(p) = ty else {
        return match ty {
            syn::Type::Reference(r) => outer_generic(&r.elem),
            syn::Type::Paren(p) => outer_generic(&p.elem),
            _ => None,
        };
    };
    let seg = p.path.segments.first()?;
    let id = seg.ident.to_string();
    let mut chars = id.chars();
    let looks_generic = p.qself.is_none()
        && p.path.leading_colon.is_none()
        && (id == "Self"
            || (p.path.segments.len() == 1
                && matches!(seg.arguments, syn::PathArguments::None)
                && chars.next().is_some_and(|c| c.is_ascii_uppercase())
                && chars.clone().count() <= 1
                && chars.all(|c| c.is_ascii_digit())));
    looks_generic.then(|| (p.span(), id))
}

/// `Display`, `Debug` or `Hex` before the `=`, else a type.
fn form(input: ParseStream) -> syn::Result<Form> {
    if input.peek(Ident) && input.peek2(Token![=]) {
        let fork = input.fork();
        let id: Ident = fork.parse()?;
        let form = match id.to_string().as_str() {
            "Display" => Some(Form::Display(id.span())),
            "Debug" => Some(Form::Debug(id.span())),
            "Hex" => Some(Form::Hex(id.span())),
            _ => None,
        };
        if let Some(f) = form {
            input.parse::<Ident>()?;
            return Ok(f);
        }
    }
    Ok(Form::Typed(input.parse()?))
}

/// A field, or `let PAT = EXPR`: preparation the fields share, run only while enabled.
enum Arg {
    Field(FieldArg),
    Let(syn::Stmt),
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![let]) {
            input.parse::<Token![let]>()?;
            let pat = Pat::parse_single(input)?;
            input.parse::<Token![=]>()?;
            let expr: Expr = input.parse()?;
            return Ok(Arg::Let(syn::parse_quote!(let #pat = #expr;)));
        }
        input.parse().map(Arg::Field)
    }
}

struct TracepointInput {
    multi_format: bool,
    /// `#[crate = path]`: where the runtime is.
    krate: Option<syn::Path>,
    name: EventName,
    fields: Punctuated<Arg, Token![,]>,
}

impl Parse for TracepointInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut multi_format = false;
        let mut krate = None;
        for attr in input.call(syn::Attribute::parse_outer)? {
            match &attr.meta {
                syn::Meta::Path(p) if p.is_ident("multi_format") => multi_format = true,
                syn::Meta::NameValue(nv) if nv.path.is_ident("crate") => krate = Some(crate_path(&nv.value)?),
                _ => {
                    return Err(syn::Error::new(
                        attr.meta.span(),
                        "unknown option: expected `#[multi_format]` or `#[crate = path]`",
                    ))
                }
            }
        }
        if input.peek(Ident) && input.peek2(Token![::]) {
            let path: syn::Path = input.parse()?;
            let text = quote::ToTokens::to_token_stream(&path).to_string().replace(' ', "");
            let level = path.segments.last().map(|s| s.ident.to_string().to_lowercase()).unwrap_or_default();
            return Err(syn::Error::new(
                path.span(),
                format!(
                    "`{text}`: a ue event has no level; a tracer turns each event on by its name. Start with the name \
                     (`tracepoint!(NAME, …)`): put the level in it (`NAME_{level}`), or record it as a field \
                     (`level: &str = \"{}\"`)",
                    level.to_uppercase()
                ),
            ));
        }
        if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let key = input.call(Ident::parse_any)?;
            input.parse::<Token![:]>()?;
            let value = input.parse::<LitStr>().map_or_else(|_| "NAME".into(), |l| l.value());
            let msg = if key == "name" {
                format!("the event's name comes first, bare: `tracepoint!({value}, …)`")
            } else {
                format!(
                    "`{key}: …` before the event's name: a tracepoint starts with its name, then its fields: \
                     `tracepoint!(NAME, field: Type = value, …)`"
                )
            };
            return Err(syn::Error::new(key.span(), msg));
        }
        let name = input.parse()?;
        let fields = if input.is_empty() {
            Punctuated::new()
        } else {
            input.parse::<Token![,]>()?;
            Punctuated::parse_terminated(input)?
        };
        Ok(TracepointInput { multi_format, krate, name, fields })
    }
}

/// `tracepoint!(name, field: Type = expr, …)`.
pub fn tracepoint(input: TokenStream) -> syn::Result<Site> {
    let input: TracepointInput = syn::parse2(input)?;
    let (mut fields, mut prep) = (Vec::new(), Vec::new());
    let mut errors = Errors::default();
    for arg in input.fields {
        if let Arg::Field(FieldArg { name, form: Form::Typed(ty), .. }) = &arg {
            if let Some((span, t)) = outer_generic(ty) {
                let n = unraw(name);
                errors.push(syn::Error::new(
                    span,
                    if t == "Self" {
                        format!(
                    "tracepoint!'s statics cannot name `Self`: write the type's own name, or record the value as \
                     text, `{n}: Debug = …` or `{n}: Display = …`"
                )
                    } else {
                        format!(
                    "`{t}` looks like a generic parameter of the enclosing item, which tracepoint!'s statics cannot \
                     name (a kernel type is fixed where the site is compiled): record the value as text, \
                     `{n}: Debug = …` or `{n}: Display = …`, or put #[user_event] on a function taking it; if `{t}` \
                     is a concrete type, write its path (`self::{t}`)"
                )
                    },
                ));
            }
        }
        match arg {
            Arg::Field(f) => fields.push(SiteField {
                name: unraw(&f.name),
                span: f.name.span(),
                form: f.form,
                value: f.expr,
                by_ref: false,
            }),
            Arg::Let(stmt) => prep.push(stmt),
        }
    }
    errors.finish()?;
    let mut site = site(input.name.text, input.name.span, input.multi_format, fields, input.krate)?;
    site.prep = prep;
    Ok(site)
}

/// A site with the crate's settings applied; an error in them is reported at the event's name.
fn site(
    name: String,
    name_span: Span,
    multi_format: bool,
    fields: Vec<SiteField>,
    given: Option<syn::Path>,
) -> syn::Result<Site> {
    let krate = namespace::current().map_err(|e| syn::Error::new(name_span, e))?;
    Ok(Site {
        krate: krate.runtime_path(given),
        name,
        name_span,
        multi_format: multi_format || krate.multi_format,
        prefix: krate.prefix,
        manifest: krate.manifest,
        fields,
        prep: Vec::new(),
    })
}

/// `crate = path` (or `crate = "path"`, as serde spells it): the runtime's path in the expansion.
pub fn crate_path(value: &Expr) -> syn::Result<syn::Path> {
    match value {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => Ok(p.path.clone()),
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => s.parse(),
        _ => Err(syn::Error::new(
            value.span(),
            "expected the runtime crate's path: `crate = ue_runtime` or `crate = my_lib::ue`",
        )),
    }
}

/// `#[user_event(name = "…", skip(a, b), display(c), debug(d), hex(e), multi_format, span, ret, err, crate = path)]`.
#[derive(Default)]
struct Options {
    /// `crate = path`.
    krate: Option<syn::Path>,
    name: Option<LitStr>,
    multi_format: bool,
    /// `span`, at its token.
    span: Option<Span>,
    /// `ret` (a `Field` type), `ret(display)` or `ret(debug)`: the form, at its token.
    ret: Option<RetForm>,
    /// `err`, at its token.
    err: Option<Span>,
    skip: Vec<Ident>,
    /// Arguments recorded as text, with their form.
    text: Vec<(Ident, Form)>,
}

fn options(attr: TokenStream) -> syn::Result<Options> {
    let mut opts = Options::default();
    let parser = syn::meta::parser(|meta| {
        let list = |meta: syn::meta::ParseNestedMeta, out: &mut Vec<Ident>| {
            meta.parse_nested_meta(|m| {
                out.push(m.path.require_ident()?.clone());
                Ok(())
            })
        };
        let kw = meta.path.get_ident().map(Ident::to_string).unwrap_or_default();
        let span = meta.path.span();
        match kw.as_str() {
            "name" => {
                opts.name = Some(meta.value()?.parse()?);
                Ok(())
            }
            "crate" => {
                opts.krate = Some(crate_path(&meta.value()?.parse()?)?);
                Ok(())
            }
            "skip" => list(meta, &mut opts.skip),
            "multi_format" => {
                opts.multi_format = true;
                Ok(())
            }
            "span" => {
                opts.span = Some(span);
                Ok(())
            }
            "err" => {
                opts.err = Some(span);
                Ok(())
            }
            "ret" => {
                let mut form = RetForm::Typed(span);
                if meta.input.peek(syn::token::Paren) {
                    meta.parse_nested_meta(|m| {
                        form = match m.path.get_ident().map(Ident::to_string).as_deref() {
                            Some("display") => RetForm::Display(span),
                            Some("debug") => RetForm::Debug(span),
                            _ => return Err(m.error("expected `ret`, `ret(display)` or `ret(debug)`")),
                        };
                        Ok(())
                    })?;
                }
                opts.ret = Some(form);
                Ok(())
            }
            "display" | "debug" | "hex" => {
                let mut ids = Vec::new();
                list(meta, &mut ids)?;
                for id in ids {
                    let form = match kw.as_str() {
                        "display" => Form::Display(span),
                        "debug" => Form::Debug(span),
                        _ => Form::Hex(span),
                    };
                    opts.text.push((id, form));
                }
                Ok(())
            }
            _ => Err(meta.error(
                "unknown option: expected `name = \"…\"`, `skip(arg, …)`, `display(arg, …)`, `debug(arg, …)`, `hex(arg, …)`, `multi_format`, `span`, `ret`, `err` or `crate = path`",
            )),
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(opts)
}

/// `#[user_event]` on `func`: the site of its arguments, the span's exit event if `span`, and the generic
/// parameters in scope.
pub fn user_event(
    attr: TokenStream,
    func: &ItemFn,
    owner: Option<&Owner>,
) -> syn::Result<(Site, Option<SpanSite>, Vec<Ident>)> {
    let mut opts = options(attr)?;
    if opts.krate.is_none() {
        opts.krate = owner.and_then(|o| o.krate.clone());
    }
    let mut errors = Errors::default();
    if opts.span.is_none() {
        let needs = opts.ret.as_ref().map(RetForm::span).map(|s| (s, "ret")).or(opts.err.map(|s| (s, "err")));
        if let Some((s, what)) = needs {
            errors.push(syn::Error::new(
                s,
                format!("`{what}` records what a span's exit event returns: write `#[user_event(span, {what})]`"),
            ));
        }
    }
    if let (Some(RetForm::Typed(s) | RetForm::Display(s) | RetForm::Debug(s)), syn::ReturnType::Default) =
        (&opts.ret, &func.sig.output)
    {
        errors.push(syn::Error::new(*s, "`ret` on a function that returns nothing: leave `ret` out"));
    }
    if let Some(c) = &func.sig.constness {
        errors.push(syn::Error::new(
            c.span(),
            "#[user_event] cannot go on a `const fn`: writing an event is a runtime effect",
        ));
    }
    let (name, name_span) = crate::owner::event_name(opts.name.as_ref(), owner, &func.sig, &mut errors);
    let mut used_skips = vec![false; opts.skip.len()];
    let mut fields = Vec::new();
    for arg in &func.sig.inputs {
        let FnArg::Typed(pt) = arg else { continue }; // `self` receivers are left out
                                                      // An argument bound by a pattern (`_`, `(a, b)`, `Point { x, y }`, `ref x`) has no field name: left out.
        let ident = match &*pt.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => &p.ident,
            pat => {
                if matches!(pat, Pat::Wild(_)) {
                    for (s, used) in opts.skip.iter().zip(&mut used_skips) {
                        *used |= s == "_";
                    }
                }
                continue;
            }
        };
        if let Some(i) = opts.skip.iter().position(|s| s == ident) {
            used_skips[i] = true;
            continue;
        }
        let text = opts.text.iter().position(|(id, _)| id == ident).map(|i| opts.text.remove(i).1);
        // Copy types go to the cold write by value, so the hot path need not spill the argument to take its
        // address; the others by reference.
        let by_value = text.is_none() && crate::check::is_plain_copy(&pt.ty);
        let value: Expr = if by_value {
            syn::parse_quote_spanned!(ident.span()=> #ident)
        } else {
            syn::parse_quote_spanned!(ident.span()=> &#ident)
        };
        let form = text.unwrap_or_else(|| Form::Typed(pt.ty.clone()));
        fields.push(SiteField { name: unraw(ident), span: ident.span(), form, value, by_ref: !by_value });
    }
    for (s, used) in opts.skip.iter().zip(used_skips) {
        if !used {
            errors.push(syn::Error::new(s.span(), format!("no argument named `{s}` to skip")));
        }
    }
    for (id, _) in &opts.text {
        errors.push(syn::Error::new(id.span(), format!("no argument named `{id}` to record as text")));
    }
    let mut span_site = None;
    if let Some(at) = opts.span {
        fields.push(SiteField::span_field("span_id", at, syn::parse_quote!(__ue_sp.id())));
        fields.push(SiteField::span_field("parent_id", at, syn::parse_quote!(__ue_sp.parent())));
        let k = namespace::current().unwrap_or_default().runtime_path(opts.krate.clone());
        match crate::span::exit_site(at, &func.sig.output, opts.ret.as_ref(), opts.err, &k) {
            Ok(s) => span_site = Some(s),
            Err(e) => errors.push(e),
        }
    }
    errors.finish()?;
    let generics = func
        .sig
        .generics
        .type_params()
        .map(|p| p.ident.clone())
        .chain(func.sig.generics.const_params().map(|p| p.ident.clone()))
        .collect();
    let entry = site(name, name_span, opts.multi_format, fields, opts.krate.take())?;
    let span_site = span_site.map(|(fields, ret_ty)| SpanSite {
        exit: Site {
            name: format!("{}_exit", entry.name),
            name_span: entry.name_span,
            prefix: entry.prefix.clone(),
            multi_format: entry.multi_format,
            manifest: entry.manifest.clone(),
            fields,
            prep: Vec::new(),
            krate: entry.krate.clone(),
        },
        ret_ty,
    });
    Ok((entry, span_site, generics))
}

/// `r#type` → `type`.
fn unraw(id: &Ident) -> String {
    let s = id.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}
