//! Reading the macros' input.

use crate::check;
use crate::expand::{self, Site, SiteField};
use crate::namespace;
use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, LitStr, Pat, Token, Type};

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
            let id = input.call(syn::ext::IdentExt::parse_any)?;
            Ok(EventName { text: unraw(&id), span: id.span() })
        }
    }
}

/// `field: Type = expr`.
struct FieldArg {
    name: Ident,
    ty: Type,
    expr: Expr,
}

impl Parse for FieldArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = input.call(syn::ext::IdentExt::parse_any)?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        input.parse::<Token![=]>()?;
        let expr = input.parse()?;
        Ok(FieldArg { name, ty, expr })
    }
}

struct TracepointInput {
    multi_format: bool,
    name: EventName,
    fields: Punctuated<FieldArg, Token![,]>,
}

impl Parse for TracepointInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut multi_format = false;
        for attr in input.call(syn::Attribute::parse_outer)? {
            match &attr.meta {
                syn::Meta::Path(p) if p.is_ident("multi_format") => multi_format = true,
                _ => return Err(syn::Error::new(attr.meta.span(), "unknown option: expected `#[multi_format]`")),
            }
        }
        let name = input.parse()?;
        let fields = if input.is_empty() {
            Punctuated::new()
        } else {
            input.parse::<Token![,]>()?;
            Punctuated::parse_terminated(input)?
        };
        Ok(TracepointInput { multi_format, name, fields })
    }
}

pub fn tracepoint(input: TokenStream) -> syn::Result<TokenStream> {
    let input: TracepointInput = syn::parse2(input)?;
    let fields: Vec<SiteField> = input
        .fields
        .into_iter()
        .map(|f| SiteField { name: unraw(&f.name), span: f.name.span(), ty: f.ty, value: f.expr, by_ref: false })
        .collect();
    let site = site(input.name.text, input.name.span, input.multi_format, fields)?;
    check::site(&site, &[])?;
    Ok(expand::tracepoint(&site))
}

/// A site with the crate's settings applied; an error in them is reported at the event's name.
fn site(name: String, name_span: Span, multi_format: bool, fields: Vec<SiteField>) -> syn::Result<Site> {
    let krate = namespace::current().map_err(|e| syn::Error::new(name_span, e))?;
    Ok(Site {
        name,
        name_span,
        multi_format: multi_format || krate.multi_format,
        prefix: krate.prefix,
        manifest: krate.manifest,
        fields,
    })
}

/// `#[user_event(name = "…", skip(a, b), multi_format)]`.
#[derive(Default)]
struct Options {
    name: Option<LitStr>,
    skip: Vec<Ident>,
    multi_format: bool,
}

fn options(attr: TokenStream) -> syn::Result<Options> {
    let mut opts = Options::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            opts.name = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("multi_format") {
            opts.multi_format = true;
            Ok(())
        } else if meta.path.is_ident("skip") {
            meta.parse_nested_meta(|m| {
                opts.skip.push(m.path.require_ident()?.clone());
                Ok(())
            })
        } else {
            Err(meta.error("unknown option: expected `name = \"…\"`, `skip(arg, …)` or `multi_format`"))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(opts)
}

pub fn user_event(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let opts = options(attr)?;
    let mut func: ItemFn = syn::parse2(item)?;
    let mut errors = check::Errors::default();
    if let Some(c) = &func.sig.constness {
        errors.push(syn::Error::new(
            c.span(),
            "#[user_event] cannot go on a `const fn`: writing an event is a runtime effect",
        ));
    }
    let (name, name_span) = match &opts.name {
        Some(lit) => (lit.value(), lit.span()),
        None => (unraw(&func.sig.ident), func.sig.ident.span()),
    };
    let mut used_skips = vec![false; opts.skip.len()];
    let mut fields = Vec::new();
    for arg in &func.sig.inputs {
        let FnArg::Typed(pt) = arg else { continue }; // `self` receivers are left out
        let ident = match &*pt.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => Some(&p.ident),
            _ => None,
        };
        if let Some(i) = ident.and_then(|id| opts.skip.iter().position(|s| s == id)) {
            used_skips[i] = true;
            continue;
        }
        let Some(ident) = ident else {
            errors.push(syn::Error::new(
                pt.pat.span(),
                "#[user_event] needs a plain argument name to use as the field name: bind this pattern to a name, or leave the argument out with #[user_event(skip(…))]",
            ));
            continue;
        };
        // Copy types go to the cold write by value, so the hot path need not spill the argument to take its
        // address; the others by reference.
        let by_value = check::is_plain_copy(&pt.ty);
        let value: Expr = if by_value {
            syn::parse_quote_spanned!(ident.span()=> #ident)
        } else {
            syn::parse_quote_spanned!(ident.span()=> &#ident)
        };
        fields.push(SiteField {
            name: unraw(ident),
            span: ident.span(),
            ty: (*pt.ty).clone(),
            value,
            by_ref: !by_value,
        });
    }
    for (s, used) in opts.skip.iter().zip(used_skips) {
        if !used {
            errors.push(syn::Error::new(s.span(), format!("no argument named `{s}` to skip")));
        }
    }
    let site = site(name, name_span, opts.multi_format, fields)?;
    let generics: Vec<Ident> = func
        .sig
        .generics
        .type_params()
        .map(|p| p.ident.clone())
        .chain(func.sig.generics.const_params().map(|p| p.ident.clone()))
        .collect();
    if let Err(e) = check::site(&site, &generics) {
        errors.push(e);
    }
    errors.finish()?;
    let stmt = expand::user_event(&site);
    func.block.stmts.insert(0, syn::parse2(stmt)?);
    Ok(quote::quote!(#func))
}

/// `r#type` → `type`.
fn unraw(id: &Ident) -> String {
    let s = id.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}
