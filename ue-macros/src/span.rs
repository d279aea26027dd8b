//! `#[user_event(span)]`: the exit event's fields, and the function's new body (ue-runtime/src/span.rs holds
//! what it calls and the invariants).
//!
//! The body runs in a closure (an `async` block for an `async fn`) so that `return` and `?` end it there: called
//! directly while both events are disabled, inlined (the site then costs what a plain `#[user_event]` costs),
//! or inside the span while one of them is enabled.

use crate::expand::{item, statics, write};
use crate::model::{Form, RetForm, Site, SiteField, SpanSite};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::visit::Visit;
use syn::{ItemFn, ReturnType, Type};

/// The exit event's fields (`span_id`, `duration_ns`, `outcome`, then `ret` and `err` if asked) and the return
/// type the body's closure declares.
pub fn exit_site(
    at: Span,
    output: &ReturnType,
    ret: Option<&RetForm>,
    err: Option<Span>,
    k: &syn::Path,
) -> syn::Result<(Vec<SiteField>, Option<Type>)> {
    let ret_ty: Type = match output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, t) => (**t).clone(),
    };
    let u64_field = |name: &str, value| SiteField::span_field(name, at, value);
    let mut fields = vec![
        u64_field("span_id", syn::parse_quote!(__ue_end.span_id)),
        u64_field("duration_ns", syn::parse_quote!(__ue_end.duration_ns)),
        SiteField {
            name: "outcome".into(),
            span: at,
            form: Form::Typed(syn::parse_quote_spanned!(at=> u8)),
            value: syn::parse_quote!(__ue_end.outcome),
            by_ref: false,
        },
    ];
    let private = quote!(#k::__private);
    // With `err`, `ret` is the `Ok` value: the returned value's view the fields take.
    let some = if err.is_some() {
        quote!(::core::option::Option::Some(::core::result::Result::Ok(__ue_v)))
    } else {
        quote!(::core::option::Option::Some(__ue_v))
    };
    let text = |s: Span, tr: TokenStream| -> syn::Expr {
        syn::parse_quote_spanned!(s=> match __ue_r {
            #some => __ue_v as &dyn #tr,
            _ => &#private::Nothing,
        })
    };
    let mut errors = crate::check::Errors::default();
    match ret {
        Some(RetForm::Typed(s)) => {
            let ty = if err.is_some() {
                ok_type(&ret_ty).unwrap_or_else(|| {
                    errors.push(syn::Error::new(
                        *s,
                        "with `err`, `ret` records the `Ok` value: write the return type as `Result<T, E>`",
                    ));
                    ret_ty.clone()
                })
            } else {
                ret_ty.clone()
            };
            fields.push(SiteField {
                name: "ret".into(),
                span: *s,
                form: Form::Typed({
                    let k = crate::expand::path_at(k, *s);
                    Box::new(syn::parse_quote_spanned!(*s=> #k::__private::Ret<'_, #ty>))
                }),
                value: syn::parse_quote!(#private::Ret(match __ue_r { #some => ::core::option::Option::Some(__ue_v), _ => ::core::option::Option::None })),
                by_ref: false,
            });
        }
        Some(RetForm::Display(s)) => fields.push(SiteField {
            name: "ret".into(),
            span: *s,
            form: Form::Display(*s),
            value: text(*s, quote!(::core::fmt::Display)),
            by_ref: true,
        }),
        Some(RetForm::Debug(s)) => fields.push(SiteField {
            name: "ret".into(),
            span: *s,
            form: Form::Debug(*s),
            value: text(*s, quote!(::core::fmt::Debug)),
            by_ref: true,
        }),
        None => {}
    }
    if let Some(s) = err {
        fields.push(SiteField {
            name: "err".into(),
            span: s,
            form: Form::Display(s),
            // At `err`: a function that does not return a Result is reported there.
            value: syn::parse_quote_spanned!(s=> match __ue_r {
                ::core::option::Option::Some(::core::result::Result::Err(__ue_e)) => __ue_e as &dyn ::core::fmt::Display,
                _ => &#private::Nothing,
            }),
            by_ref: true,
        });
    }
    errors.finish()?;
    Ok((fields, (!has_impl_trait(&ret_ty)).then_some(ret_ty)))
}

/// `T` of `Result<T, E>` (or of an alias such as `io::Result<T>`): the first type argument.
fn ok_type(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if !last.ident.to_string().ends_with("Result") {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else { return None };
    a.args.iter().find_map(|g| match g {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}

fn has_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    f.visit_type(ty);
    f.0
}

/// The new body of a span function: both tracepoints, the check, and the original body in a closure or an
/// `async` block; under the `compile-out` feature, the original body alone.
pub fn body(func: &ItemFn, entry: &Site, span: &SpanSite) -> TokenStream {
    let k = &entry.krate;
    let private = quote!(#k::__private);
    let entry_tp = item("", "TP");
    let entry_statics = statics(entry, "", None, false);
    let exit_statics = statics(&span.exit, "_X", Some(&entry_tp), false);
    let entry_write = write(entry, false, "", "ENTRY");
    let exit_write = write(&span.exit, false, "_X", "EXIT");
    let block = &func.block;
    let begin = quote! {
        let __ue_span = if #private::span_on(&#entry_tp) {
            let __ue_sp = #private::Span::begin(&#entry_tp);
            if #private::span_entry_on(&#entry_tp) {
                #entry_write
            }
            ::core::option::Option::Some(__ue_sp)
        } else {
            ::core::option::Option::None
        };
    };
    let exit = quote!(|__ue_end: &#private::SpanEnd, __ue_r| { #exit_write });
    let on = if func.sig.asyncness.is_some() {
        quote! {{
            #entry_statics
            #exit_statics
            #begin
            let __ue_body = async move #block;
            match __ue_span {
                ::core::option::Option::Some(__ue_sp) => __ue_sp.instrument(__ue_body, #exit).await,
                ::core::option::Option::None => __ue_body.await,
            }
        }}
    } else {
        let annot = span.ret_ty.as_ref().map(|t| quote_spanned!(Span::call_site()=> -> #t));
        quote! {{
            #entry_statics
            #exit_statics
            #begin
            let __ue_body = #private::once(#[inline(always)] move || #annot #block);
            match __ue_span {
                ::core::option::Option::Some(__ue_sp) => __ue_sp.run(__ue_body, #exit),
                ::core::option::Option::None => __ue_body(),
            }
        }}
    };
    quote!({
        #k::__ue_site! { {#on} {#block} }
    })
}
