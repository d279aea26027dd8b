//! The code at a tracepoint site: one static tracepoint in the runtime's slice, an inline check of its enable
//! word, and a call to the out-of-line write.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Lifetime, Type};

pub struct Site {
    pub name: String,
    pub name_span: Span,
    pub fields: Vec<SiteField>,
}

pub struct SiteField {
    pub name: String,
    pub span: Span,
    pub ty: Type,
    pub value: Expr,
    /// The value is a reference to the declared type (`#[user_event]` arguments that are not `Copy`).
    pub by_ref: bool,
}

/// The static tracepoint with its compile-time registration text.
fn statics(site: &Site) -> TokenStream {
    let name = &site.name;
    let names = site.fields.iter().map(|f| &f.name);
    let kinds = site.fields.iter().map(|f| {
        let ty = static_lifetimes(&f.ty);
        quote_spanned!(f.ty.span()=> <#ty as ::ue_runtime::__private::Field>::KIND)
    });
    let limit = quote_spanned!(site.name_span=>
        const _: () = ::core::assert!(
            __UE_LEN <= 512,
            "this event's registration text (name, fields, NUL) exceeds the kernel's 512-byte MAX_EVENT_DESC"
        );
    );
    quote! {
        const __UE_NAMES: &[&str] = &[#(#names),*];
        const __UE_KINDS: &[::ue_runtime::__private::FieldKind] = &[#(#kinds),*];
        const __UE_LEN: usize = ::ue_runtime::__private::desc_len(#name, __UE_NAMES, __UE_KINDS);
        #limit
        const __UE_DESC: [u8; __UE_LEN] =
            ::ue_runtime::__private::desc_bytes::<__UE_LEN>(#name, __UE_NAMES, __UE_KINDS);
        static __UE_TP: ::ue_runtime::__private::Tracepoint =
            ::ue_runtime::__private::Tracepoint::new(::ue_runtime::__private::desc_cstr(&__UE_DESC));
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
