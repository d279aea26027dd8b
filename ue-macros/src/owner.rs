//! `#[user_event]` on an `impl` block: the methods marked `#[user_event]` inside it are named after their type
//! (`A_new`; `A_Display_fmt` in `impl Display for A`), which an attribute on a method cannot see.
//!
//! The rule, for the README: the type's last path segment without its generic arguments or references
//! (`impl<T> Cache<T>` → `Cache`, `impl Trait for &mut A` → `A`), then in a trait impl the trait's last segment
//! (`impl io::Write for Sink` → `Sink_Write`), then `_` and the method's name. `name = "…"` on a method is used
//! as written. A method elsewhere (an `impl` without the attribute, a trait's default method) that has a `self`
//! receiver or `Self` in its signature needs one of the two: an error at its name says so.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{ImplItem, ItemImpl, Type};

/// What a method's event name starts with, and the block's `crate = path`.
pub struct Owner {
    /// `A` or `A_Trait`; else the span of a self type without a name (a tuple, a slice, `dyn Trait`).
    pub name: Result<String, Span>,
    pub krate: Option<syn::Path>,
}

/// The attribute on an impl block: each `#[user_event(…)]` method expanded with the owner's name.
pub fn impl_block(attr: TokenStream, mut block: ItemImpl) -> syn::Result<TokenStream> {
    let mut krate = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            krate = Some(crate::parse::crate_path(&meta.value()?.parse()?)?);
            Ok(())
        } else {
            Err(meta.error(
                "on an impl block, #[user_event] takes only `crate = path`: put the other options on the methods",
            ))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    let name = owner_name(&block);
    let mut errors = crate::check::Errors::default();
    let mut marked = 0;
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let Some(i) = method.attrs.iter().position(is_user_event) else { continue };
        marked += 1;
        let attr = method.attrs.remove(i);
        let args = match &attr.meta {
            syn::Meta::Path(_) => TokenStream::new(),
            syn::Meta::List(l) => l.tokens.clone(),
            syn::Meta::NameValue(nv) => {
                errors.push(syn::Error::new(nv.span(), "expected `#[user_event]` or `#[user_event(…)]`"));
                continue;
            }
        };
        let owner = Owner { name: name.clone(), krate: krate.clone() };
        let func = syn::ItemFn {
            attrs: std::mem::take(&mut method.attrs),
            vis: method.vis.clone(),
            sig: method.sig.clone(),
            block: Box::new(method.block.clone()),
        };
        match crate::function(args, func, Some(&owner)) {
            Ok(f) => {
                method.attrs = f.attrs;
                method.sig = f.sig;
                method.block = *f.block;
            }
            Err(failed) => {
                let (e, f) = *failed;
                errors.push(e);
                method.attrs = f.attrs;
            }
        }
    }
    if marked == 0 {
        errors.push(syn::Error::new(
            block.impl_token.span,
            "#[user_event] on an impl block names the events of the methods marked #[user_event] in it, and none \
             is: mark the methods to trace",
        ));
    }
    let out = block.to_token_stream();
    match errors.finish() {
        Ok(()) => Ok(out),
        Err(e) => {
            let mut ts = e.into_compile_error();
            ts.extend(out);
            Ok(ts)
        }
    }
}

/// `#[user_event]`, `#[ue_runtime::user_event]`, `#[ue::user_event(…)]`.
fn is_user_event(a: &syn::Attribute) -> bool {
    a.path().segments.last().is_some_and(|s| s.ident == "user_event")
}

/// `A`, `A_Trait`; or the span of a self type that has no name (a tuple, a slice, `dyn Trait`).
fn owner_name(block: &ItemImpl) -> Result<String, Span> {
    let ty = type_name(&block.self_ty).ok_or(block.self_ty.span())?;
    Ok(match block.trait_.as_ref().and_then(|(_, p, _)| p.segments.last()) {
        Some(t) => format!("{ty}_{}", unraw(&t.ident)),
        None => ty,
    })
}

fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| unraw(&s.ident)),
        Type::Reference(r) => type_name(&r.elem),
        Type::Paren(p) => type_name(&p.elem),
        Type::Group(g) => type_name(&g.elem),
        _ => None,
    }
}

fn unraw(id: &syn::Ident) -> String {
    let s = id.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}

/// A method: a `self` receiver, or `Self` in its signature.
pub fn is_method(sig: &syn::Signature) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_ident(&mut self, i: &'ast syn::Ident) {
            self.0 |= i == "Self";
        }
    }
    if sig.receiver().is_some() {
        return true;
    }
    let mut f = Finder(false);
    for arg in &sig.inputs {
        f.visit_fn_arg(arg);
    }
    f.visit_return_type(&sig.output);
    f.0
}

/// The event's name and its span: `name = "…"` as given, else `Owner_method` in an impl block with the attribute,
/// else the function's name; a method without either is an error at its name (pushed to `errors`).
pub fn event_name(
    given: Option<&syn::LitStr>,
    owner: Option<&Owner>,
    sig: &syn::Signature,
    errors: &mut crate::check::Errors,
) -> (String, Span) {
    let ident = &sig.ident;
    match (given, owner.map(|o| &o.name)) {
        (Some(lit), _) => (lit.value(), lit.span()),
        (None, Some(Ok(owner))) => (format!("{owner}_{}", unraw(ident)), ident.span()),
        (None, Some(Err(at))) => {
            errors.push(syn::Error::new(
                *at,
                format!(
                    "this type has no name to begin its methods' event names with: name the event of `{ident}` \
                     with #[user_event(name = \"…\")]"
                ),
            ));
            (unraw(ident), ident.span())
        }
        (None, None) if is_method(sig) => {
            errors.push(syn::Error::new(
                ident.span(),
                format!(
                    "a method's event is named after its type (`Type_{0}`), which #[user_event] on a method cannot \
                     see: put #[user_event] on the impl block too (`#[user_event] impl Type {{ … }}`), or name the \
                     event: #[user_event(name = \"Type_{0}\")]",
                    unraw(ident)
                ),
            ));
            (unraw(ident), ident.span())
        }
        (None, None) => (unraw(ident), ident.span()),
    }
}
