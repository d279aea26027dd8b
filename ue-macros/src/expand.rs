//! The code at a tracepoint site: one static tracepoint in the runtime's slice, an inline check of its enable
//! word, and a call to the out-of-line write.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use std::path::PathBuf;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Lifetime, Type};

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
}

impl Site {
    /// The event's name as registered: the crate's prefix, then the name written.
    pub fn full_name(&self) -> String {
        format!("{}{}", self.prefix, self.name)
    }
}

pub struct SiteField {
    pub name: String,
    pub span: Span,
    pub ty: Type,
    pub value: Expr,
    /// The value is a reference to the declared type (`#[user_event]` arguments that are not `Copy`).
    pub by_ref: bool,
}

/// The static tracepoint, whose registration text lives in its entry of the `ue_events` section
/// (`ue_runtime::EVENTS_SECTION`; see ue-runtime/src/section.rs).
fn statics(site: &Site) -> TokenStream {
    let name = site.full_name();
    let multi = site.multi_format;
    let new = if multi { quote!(new_multi_format) } else { quote!(new) };
    let names = site.fields.iter().map(|f| &f.name);
    let kinds = site.fields.iter().map(|f| {
        let ty = static_lifetimes(&f.ty);
        quote_spanned!(f.ty.span()=> <#ty as ::ue_runtime::__private::Field>::KIND)
    });
    let limit = quote_spanned!(site.name_span=>
        const _: () = ::core::assert!(
            ::ue_runtime::__private::desc_len(#name, __UE_NAMES, __UE_KINDS) <= 512,
            "this event's registration text (name, fields, NUL) exceeds the kernel's 512-byte MAX_EVENT_DESC"
        );
    );
    // The crate's settings come from its manifest: make rustc list it as an input, so cargo rebuilds on change.
    let manifest = site.manifest.as_ref().and_then(|p| p.to_str()).map(|p| {
        quote!(
            const _: &[u8] = include_bytes!(#p);
        )
    });
    quote! {
        #manifest
        const __UE_NAMES: &[&str] = &[#(#names),*];
        const __UE_KINDS: &[::ue_runtime::__private::FieldKind] = &[#(#kinds),*];
        #limit
        const __UE_LEN: usize = ::ue_runtime::__private::entry_len(#multi, #name, __UE_NAMES, __UE_KINDS);
        #[link_section = "ue_events"]
        static __UE_ENTRY: [u8; __UE_LEN] =
            ::ue_runtime::__private::entry_bytes::<__UE_LEN>(#multi, #name, __UE_NAMES, __UE_KINDS);
        static __UE_TP: ::ue_runtime::__private::Tracepoint =
            ::ue_runtime::__private::Tracepoint::#new(::ue_runtime::__private::entry_desc(&__UE_ENTRY, #multi));
        #[::ue_runtime::__private::linkme::distributed_slice(::ue_runtime::__private::TRACEPOINTS)]
        #[linkme(crate = ::ue_runtime::__private::linkme)]
        static __UE_SITE: &::ue_runtime::__private::Tracepoint = &__UE_TP;
    }
}

/// `tracepoint!`: the values are evaluated, and coerced to the declared types, only when enabled.
pub fn tracepoint(site: &Site) -> TokenStream {
    let values: Vec<&Expr> = site.fields.iter().map(|f| &f.value).collect();
    let tys: Vec<Type> = site.fields.iter().map(|f| f.ty.clone()).collect();
    body(site, &tys, &values)
}

/// `#[user_event]`: the statement put first in the body; the fields are references to the arguments.
pub fn user_event(site: &Site) -> TokenStream {
    let values: Vec<&Expr> = site.fields.iter().map(|f| &f.value).collect();
    let tys: Vec<Type> = site
        .fields
        .iter()
        .map(|f| {
            let ty = &f.ty;
            if f.by_ref {
                syn::parse_quote!(&#ty)
            } else {
                ty.clone()
            }
        })
        .collect();
    body(site, &tys, &values)
}

/// The check inline; the write in a cold function taking the field values as arguments, so the caller keeps
/// only a load, a test, a branch and a call.
fn body(site: &Site, tys: &[Type], values: &[&Expr]) -> TokenStream {
    let statics = statics(site);
    let params: Vec<Ident> = (0..tys.len()).map(|i| Ident::new(&format!("__ue_f{i}"), Span::mixed_site())).collect();
    let tys = tys.iter().map(anonymous_lifetimes);
    quote! {{
        #statics
        if __UE_TP.is_enabled() {
            #[cold]
            #[inline(never)]
            #[allow(clippy::too_many_arguments)]
            fn __ue_write(#(#params: #tys),*) {
                __UE_TP.write(&(#(#params,)*));
            }
            __ue_write(#(#values),*);
        }
    }}
}

/// Consts cannot name the function's lifetimes: `&'a str` becomes `&'static str` for the kind lookup.
fn static_lifetimes(ty: &Type) -> Type {
    replace_lifetimes(ty, "'static")
}

/// Nor can the nested write function: there `&'a str` becomes `&'_ str`.
fn anonymous_lifetimes(ty: &Type) -> Type {
    replace_lifetimes(ty, "'_")
}

fn replace_lifetimes(ty: &Type, with: &str) -> Type {
    struct Replace<'a>(&'a str);
    impl VisitMut for Replace<'_> {
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            *l = Lifetime::new(self.0, l.span());
        }
    }
    let mut ty = ty.clone();
    Replace(with).visit_type_mut(&mut ty);
    ty
}
