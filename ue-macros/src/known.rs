//! The sites whose every kernel field the macro knows from the types' names (ue-abi's `KNOWN_TYPES`, the text
//! forms, the byte arrays): their registration text, probe arguments and format check are written as literals,
//! so the compiler evaluates no constant for them. Other sites (derived types, `Option`, `Duration`…) take their
//! kinds from the `Field` impls in constants (expand.rs).
//!
//! A known type is written in the expansion by its full path (`::core::primitive::u32`, the runtime's `String`),
//! so a program type of the same name cannot stand for it: the literal kinds are the kinds written.

use crate::expand::reads_as;
use crate::model::{Form, Site};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, Lit, Type};
use ue_abi::{known_kind, FieldKind};

/// The kinds of `site`'s fields, one each, when every one is known; `coerce`: `tracepoint!`, whose string and
/// byte fields take anything that reads as `str` or `[u8]`.
pub fn kinds(site: &Site, coerce: bool) -> Option<Vec<FieldKind>> {
    site.fields
        .iter()
        .map(|f| match &f.form {
            Form::Display(_) | Form::Debug(_) | Form::Hex(_) => Some(FieldKind::Str),
            Form::Typed(ty) => match coerce.then(|| reads_as(ty)).flatten() {
                Some((_, conv)) => Some(if conv == "as_str" { FieldKind::Str } else { FieldKind::Bytes }),
                None => field(ty, &site.krate).map(|(k, _)| k),
            },
        })
        .collect()
}

/// A known type's kind and its full path (lifetimes as `'_`), if `ty` is one or a reference to one.
pub fn field(ty: &Type, krate: &syn::Path) -> Option<(FieldKind, TokenStream)> {
    match ty {
        Type::Reference(r) => {
            let (k, inner) = field(&r.elem, krate)?;
            let m = r.mutability;
            Some((k, quote!(&#m #inner)))
        }
        Type::Paren(p) => field(&p.elem, krate),
        Type::Group(g) => field(&g.elem, krate),
        Type::Slice(s) if is_ident(&s.elem, "u8") => Some((known_kind("[u8]")?, quote!([::core::primitive::u8]))),
        Type::Array(a) if is_ident(&a.elem, "u8") => {
            let Expr::Lit(l) = &a.len else { return None };
            let Lit::Int(n) = &l.lit else { return None };
            let n: usize = n.base10_parse().ok()?;
            // Out-of-range lengths are check.rs's errors.
            (1..=ue_abi::MAX_FIELD_ARRAY_SIZE)
                .contains(&n)
                .then(|| (FieldKind::Array(n), quote!([::core::primitive::u8; #n])))
        }
        Type::Path(p) if p.qself.is_none() && p.path.leading_colon.is_none() && p.path.segments.len() == 1 => {
            let seg = &p.path.segments[0];
            let name = seg.ident.to_string();
            match (&seg.arguments, name.as_str()) {
                (syn::PathArguments::None, "String") => {
                    Some((known_kind("String")?, quote!(#krate::__private::String)))
                }
                (syn::PathArguments::None, _) => {
                    let k = known_kind(&name)?;
                    let id = &seg.ident;
                    Some((k, quote!(::core::primitive::#id)))
                }
                (syn::PathArguments::AngleBracketed(a), "Vec") => match a.args.iter().collect::<Vec<_>>()[..] {
                    [syn::GenericArgument::Type(t)] if is_ident(t, "u8") => {
                        Some((known_kind("Vec<u8>")?, quote!(#krate::__private::Vec<::core::primitive::u8>)))
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_ident(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(p) => p.qself.is_none() && p.path.is_ident(name),
        Type::Group(g) => is_ident(&g.elem, name),
        Type::Paren(p) => is_ident(&p.elem, name),
        _ => false,
    }
}

/// `kind` as an expression of the runtime's `FieldKind`.
pub fn kind_expr(kind: FieldKind, k: &syn::Path) -> TokenStream {
    let variant: TokenStream = format!("{kind:?}").parse().unwrap_or_default();
    quote!(#k::__private::FieldKind::#variant)
}

/// The site's field names as registered (one kernel field each).
pub fn names(site: &Site) -> Vec<&str> {
    site.fields.iter().map(|f| f.name.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ty: &str) -> Option<FieldKind> {
        field(&syn::parse_str(ty).unwrap(), &syn::parse_quote!(::ue_runtime)).map(|(k, _)| k)
    }

    #[test]
    fn known_types_are_read_from_their_names() {
        assert_eq!(kind("u32"), Some(FieldKind::U32));
        assert_eq!(kind("&'a str"), Some(FieldKind::Str));
        assert_eq!(kind("&mut String"), Some(FieldKind::Str));
        assert_eq!(kind("&[u8]"), Some(FieldKind::Bytes));
        assert_eq!(kind("Vec<u8>"), Some(FieldKind::Bytes));
        assert_eq!(kind("[u8; 16]"), Some(FieldKind::Array(16)));
        assert_eq!(kind("f64"), Some(FieldKind::Array(ue_abi::F64_TEXT)));
        for other in ["usize", "Option<u32>", "std::time::Duration", "Vec<u16>", "[u8; N]", "[u8; 0]", "Peer", "::u32"]
        {
            assert_eq!(kind(other), None, "{other}");
        }
    }

    #[test]
    fn known_types_are_written_by_their_full_paths() {
        let path = |ty: &str| {
            field(&syn::parse_str(ty).unwrap(), &syn::parse_quote!(::ue_runtime))
                .unwrap()
                .1
                .to_string()
                .replace(' ', "")
        };
        assert_eq!(path("&'a u32"), "&::core::primitive::u32");
        assert_eq!(path("String"), "::ue_runtime::__private::String");
        assert_eq!(path("&[u8]"), "&[::core::primitive::u8]");
    }
}
