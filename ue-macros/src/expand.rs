//! The code at a tracepoint site: one static tracepoint in the runtime's slice, an inline check of its enable
//! word, and a call to the out-of-line write that every site of the crate with the same field types shares
//! (through a cold function of the site's own when it has text to format first).

use crate::model::{Form, Site, SiteField};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{Ident, Lifetime, Type};

/// The names of one tracepoint's items at a site: `__UE_TP`, `__UE_KINDS`… for `tag` "" (`__UE_X_TP`… for
/// "_X", a span's exit event).
pub fn item(tag: &str, what: &str) -> Ident {
    Ident::new(&format!("__UE{tag}_{what}"), Span::call_site())
}

/// The runtime's path with every token at `span`, so that an error in an expression it starts is reported there.
pub fn path_at(k: &syn::Path, span: Span) -> TokenStream {
    quote::ToTokens::to_token_stream(k)
        .into_iter()
        .map(|mut t| {
            t.set_span(span);
            t
        })
        .collect()
}

/// The static tracepoint, whose registration text lives in its entry of the `ue_events` section
/// (ue-abi's section.rs); `exit_of` names the entry tracepoint of the span whose exit event this is; `coerce` as
/// for [`write`]. A site whose kinds the macro knows (known.rs) has its entry and its probe written as literals;
/// another computes them in constants from its types' `Field` impls.
pub fn statics(site: &Site, tag: &str, exit_of: Option<&Ident>, coerce: bool) -> TokenStream {
    let k = &site.krate;
    let section = ue_abi::EVENTS_SECTION;
    let probes = ue_abi::USDT_SEMAPHORE_SECTION;
    let slice = ue_abi::TRACEPOINTS_SECTION;
    let name = site.full_name();
    let multi = site.multi_format;
    let new = if multi { quote!(new_multi_format) } else { quote!(new) };
    let [names_id, kinds_id, entry_id, tp_id, site_id, probe_id] =
        ["NAMES", "KINDS", "ENTRY", "TP", "SITE", "PROBE"].map(|w| item(tag, w));
    let known = crate::known::kinds(site, coerce);
    let (entry, probe, one_format) = if let Some(kinds) = &known {
        let names = crate::known::names(site);
        let limit = crate::check::desc_len(site, &names, kinds).map(|e| e.to_compile_error());
        let bytes = ue_abi::entry_vec(multi, &name, &names, kinds);
        let (len, lit) = (bytes.len(), syn::LitByteStr::new(&bytes, Span::call_site()));
        let entry = quote! {
            #limit
            #[link_section = #section]
            static #entry_id: [u8; #len] = *#lit;
        };
        let probe = crate::usdt::probe(site, &probe_id, crate::usdt::Kinds::Known(kinds));
        let known = (names.iter().map(ToString::to_string).collect(), kinds.clone());
        (entry, probe, one_format(site, &name, Some(&known), [&names_id, &kinds_id], tag))
    } else {
        let entry = computed_entry(site, tag, &name);
        let probe = crate::usdt::probe(site, &probe_id, crate::usdt::Kinds::Const(&kinds_id));
        (entry, probe, one_format(site, &name, None, [&names_id, &kinds_id], tag))
    };
    // The crate's settings come from its manifest: make rustc list it as an input, so cargo rebuilds on change
    // (once a crate: the input is listed for the whole compilation).
    let manifest =
        site.manifest.as_ref().and_then(|p| p.to_str()).filter(|_| crate::seen::first_site_of_crate()).map(|p| {
            quote!(
                const _: &[u8] = include_bytes!(#p);
            )
        });
    let share = exit_of.map(|e| quote!(.exit_of(&#e)));
    quote! {
        #manifest
        #entry
        #one_format
        // In `.probes`: its enable word is the USDT probe's semaphore (ue-abi's usdt.rs), which uprobes update
        // only in the file's writable mapping and BCC finds through that section.
        #probe
        #[link_section = #probes]
        static #tp_id: #k::__private::Tracepoint =
            #k::__private::Tracepoint::#new(#k::__private::entry_desc(&#entry_id, #multi))#share.with_probe(#probe_id);
        // The element of the `TRACEPOINTS` slice, in linkme's section for it.
        #[used]
        #[link_section = #slice]
        static #site_id: &#k::__private::Tracepoint = &#tp_id;
    }
}

/// The entry of a site whose kinds come from its types' `Field` impls: the kernel fields in constants, and the
/// entry's bytes computed from them.
fn computed_entry(site: &Site, tag: &str, name: &str) -> TokenStream {
    let k = &site.krate;
    let section = ue_abi::EVENTS_SECTION;
    let too_long = format!(
        "this event's registration text (name, fields, NUL) exceeds the kernel's {}-byte MAX_EVENT_DESC",
        ue_abi::MAX_EVENT_DESC
    );
    let multi = site.multi_format;
    let marks_id = item(tag, "FIELD_NAMES");
    let marks: Vec<Ident> = site.fields.iter().map(|f| marker(&f.name)).collect();
    let texts = site.fields.iter().zip(&marks).filter(|(f, _)| ret_inner(&f.form).is_none()).map(|(f, mark)| {
        let n = &f.name;
        let message = format!("`{{Self}}` cannot be the user_events field `{n}`");
        let fix = format!(
            "record `{n}` as text: `{n}: Debug = …` or `{n}: Display = …` in tracepoint!, `#[user_event(debug({n}))]` \
             or `display({n})` on a function; or derive `ue_runtime::Field` for your type (a newtype, a struct of \
             named fields, a fieldless enum)"
        );
        quote!(#mark #message #fix;)
    });
    let parts = site.fields.iter().zip(&marks).map(|(f, mark)| {
        let ty = kind_type(&f.form, k);
        let name = &f.name;
        let k = path_at(k, f.form.span());
        // The one lookup of the field's type: an unsupported type's error names the field (the site's own
        // trait, `__ue_field_traits!`), or for a span's `ret` (`Ret<'_, T>`), T and the `ret` forms (`RetField`).
        let parts = if let Some(inner) = ret_inner(&f.form) {
            let inner = replace_lifetimes(inner, "'static");
            quote_spanned!(f.form.span()=> <#inner as #k::__private::RetField>::PARTS)
        } else {
            quote_spanned!(f.form.span()=> <#ty as #marks_id::#mark>::PARTS)
        };
        quote!(.field(#name, #parts))
    });
    let [flat_id, all_id, names_id, kinds_id, len_id, entry_id] =
        ["FLAT", "ALL_NAMES", "NAMES", "KINDS", "LEN", "ENTRY"].map(|w| item(tag, w));
    let limit = quote_spanned!(site.name_span=>
        const _: () = ::core::assert!(
            #k::__private::desc_len(#name, #names_id, #kinds_id) <= #k::abi::MAX_EVENT_DESC,
            #too_long
        );
    );
    quote! {
        // Traits named as the fields, each with its message for an unsupported type.
        #k::__ue_field_traits! { #marks_id { #(#texts)* } }
        // The fields' kernel fields: one each, or several for an `Option` or a derived struct.
        const #flat_id: &#k::__private::Flat = &#k::__private::Flat::EMPTY #(#parts)* .checked();
        const #all_id: [&str; #k::MAX_FIELDS] = #flat_id.names();
        const #names_id: &[&str] = #k::__private::first(&#all_id, #flat_id.len());
        const #kinds_id: &[#k::__private::FieldKind] = #flat_id.kinds();
        #limit
        const #len_id: usize = #k::__private::entry_len(#multi, #name, #names_id, #kinds_id);
        #[link_section = #section]
        static #entry_id: [u8; #len_id] =
            #k::__private::entry_bytes::<#len_id>(#multi, #name, #names_id, #kinds_id);
    }
}

/// One name, one format in a crate (seen.rs): the first site of a name declares its fields (in the macro when it
/// knows them, else in an impl for later sites to read); a later one's fields are compared with them, in the
/// macro when both are known, else in a constant, and a difference is a compile error at its name. `known`: the
/// site's fields when the macro knows them (known.rs), else `consts` names the constants that hold them.
fn one_format(
    site: &Site,
    name: &str,
    known: Option<&crate::seen::Known>,
    consts: [&Ident; 2],
    tag: &str,
) -> TokenStream {
    let k = &site.krate;
    let (role, key) = crate::seen::role(site, name, known);
    let (nh, ch) = (key.name, key.krate);
    let key = quote!(#k::__private::EventKey::<#nh, #ch>);
    let literal = |names: &[String], kinds: &[ue_abi::FieldKind]| {
        let kinds = kinds.iter().map(|&kind| crate::known::kind_expr(kind, k));
        (quote!(&[#(#names),*]), quote!(&[#(#kinds),*]))
    };
    // The site's own fields as expressions.
    let [names_id, kinds_id] = consts;
    let (names, kinds) = known.map_or((quote!(#names_id), quote!(#kinds_id)), |(n, kinds)| literal(n, kinds));
    match role {
        crate::seen::Role::None | crate::seen::Role::FirstKnown => quote!(),
        crate::seen::Role::First => {
            let first = item(tag, "FIRST");
            quote! {
                #[allow(dead_code, non_camel_case_types)]
                struct #first;
                #[allow(non_local_definitions)]
                impl #k::__private::FirstSite<#first> for #key {
                    const NAMES: &'static [&'static str] = #names;
                    const KINDS: &'static [#k::__private::FieldKind] = #kinds;
                }
            }
        }
        crate::seen::Role::Later { at, fields, first } => {
            let message = format!(
                "event `{name}` is declared at {at} with other fields ({fields}); here it has {}: one name has one \
                 format in a program (the kernel refuses the second), so rename one (`#[user_event(name = \"…\")]`, \
                 another name in `tracepoint!`) or make both multi-format",
                crate::seen::fields(site)
            );
            let same = match (&first, known) {
                // Both known: the macro compares, and emits the assert only for a difference.
                (Some(a), Some(b)) => {
                    fn strs(f: &crate::seen::Known) -> Vec<&str> {
                        f.0.iter().map(String::as_str).collect()
                    }
                    if ue_abi::same_format(&strs(a), &a.1, &strs(b), &b.1) {
                        return quote!();
                    }
                    quote!(false)
                }
                (Some((first_names, first_kinds)), None) => {
                    let (first_names, first_kinds) = literal(first_names, first_kinds);
                    quote!(#k::__private::same_format(#first_names, #first_kinds, #names, #kinds))
                }
                (None, _) => quote!(#k::__private::same_format(
                    #k::__private::first_names(&#key),
                    #k::__private::first_kinds(&#key),
                    #names,
                    #kinds
                )),
            };
            quote_spanned! {site.name_span=>
                const _: () = ::core::assert!(#same, #message);
            }
        }
    }
}

/// `T` of a span's `ret` field, `…::__private::Ret<'_, T>` (span.rs).
fn ret_inner(form: &Form) -> Option<&Type> {
    let Form::Typed(ty) = form else { return None };
    let Type::Path(p) = &**ty else { return None };
    let names: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    if !names.ends_with(&["__private".to_owned(), "Ret".to_owned()]) {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &p.path.segments.last()?.arguments else { return None };
    a.args.iter().find_map(|g| match g {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// An item named as the field `name` (raw for a keyword; `__ue_field` for one that cannot be raw).
fn marker(name: &str) -> Ident {
    if syn::parse_str::<Ident>(name).is_ok() {
        Ident::new(name, Span::call_site())
    } else if ["self", "Self", "super", "crate", "_"].contains(&name) {
        Ident::new("__ue_field", Span::call_site())
    } else {
        Ident::new_raw(name, Span::call_site())
    }
}

/// The type whose `Field` impl gives the kernel type (consts cannot name the function's lifetimes: `&'a str`
/// becomes `&'static str`).
fn kind_type(form: &Form, k: &syn::Path) -> TokenStream {
    match form {
        Form::Typed(ty) => {
            let ty = replace_lifetimes(ty, "'static");
            quote!(#ty)
        }
        Form::Display(_) | Form::Debug(_) => quote!(#k::__private::Text<{ #k::DISPLAY_MAX }>),
        Form::Hex(_) => quote!(#k::__private::Text<{ #k::HEX_MAX }>),
    }
}

/// `tracepoint!`: the values are evaluated only when enabled; a string or byte field takes anything that reads
/// as `str` or `[u8]` (an owned temporary lives for the write).
pub fn tracepoint(site: &Site) -> TokenStream {
    let k = &site.krate;
    let on = body(site, true);
    let off = compiled_out(site);
    quote!(#k::__ue_site! { {#on} {#off} })
}

/// `#[user_event]`: the statement put first in the body; the fields are the arguments.
pub fn user_event(site: &Site) -> TokenStream {
    let k = &site.krate;
    let on = body(site, false);
    let off = compiled_out(site);
    quote!(#k::__ue_site! { {#on} {#off} })
}

/// A site under the `compile-out` feature: the values type-checked (so a variable used only there is still
/// used) but never evaluated.
fn compiled_out(site: &Site) -> TokenStream {
    let values = site.fields.iter().map(|f| &f.value);
    let prep = &site.prep;
    quote!({
        #[allow(unreachable_code, clippy::all)]
        if false {
            #(#prep)*
            #(let _ = &(#values);)*
        }
    })
}

/// One field at the out-of-line write: its parameter, the argument passed, and what the shared write takes.
struct Slot {
    param_ty: TokenStream,
    arg: TokenStream,
    /// Formats the parameter into a local, for the text forms.
    prep: TokenStream,
    /// The value passed to the shared write, and its type.
    elem: TokenStream,
    elem_ty: TokenStream,
}

/// `known`: the site's kinds are literals (known.rs), so its known types are written by their full paths.
fn slot(f: &SiteField, param: &Ident, local: &Ident, coerce: bool, known: bool, k: &syn::Path) -> Slot {
    let value = &f.value;
    let vspan = syn::spanned::Spanned::span(value);
    let private = quote!(#k::__private);
    let text = |ty: TokenStream, arg: TokenStream, ctor: &str, max: TokenStream, span: Span| {
        let ctor = Ident::new(ctor, span);
        Slot {
            param_ty: ty,
            arg,
            prep: quote!(let #local = #private::Text::<{ #max }>::#ctor(#param);),
            elem: quote!(&#local),
            elem_ty: quote!(&#private::Text<{ #max }>),
        }
    };
    match &f.form {
        // The value's span on its conversion, so a value of the wrong kind is reported at the value.
        Form::Display(s) => {
            let arg = if f.by_ref { quote_spanned!(vspan=> #value) } else { quote_spanned!(vspan=> &#value) };
            text(quote!(&dyn ::core::fmt::Display), arg, "display", quote!(#k::DISPLAY_MAX), *s)
        }
        Form::Debug(s) => {
            let arg = if f.by_ref { quote_spanned!(vspan=> #value) } else { quote_spanned!(vspan=> &#value) };
            text(quote!(&dyn ::core::fmt::Debug), arg, "debug", quote!(#k::DISPLAY_MAX), *s)
        }
        Form::Hex(s) => {
            let arg = if f.by_ref {
                quote_spanned!(vspan=> #private::as_bytes(#value))
            } else {
                quote_spanned!(vspan=> #private::as_bytes(&(#value)))
            };
            text(quote!(&[u8]), arg, "hex", quote!(#k::HEX_MAX), *s)
        }
        Form::Typed(ty) => {
            let span = f.form.span();
            let coerced = if coerce { reads_as(ty) } else { None };
            if let Some((target, conv)) = coerced {
                let conv = Ident::new(conv, span);
                return Slot {
                    param_ty: quote!(&#target),
                    arg: quote!(#private::#conv(&(#value))),
                    prep: quote!(),
                    elem: quote!(#param),
                    elem_ty: quote!(&#target),
                };
            }
            let ty = if let Some((_, path)) = crate::known::field(ty, k).filter(|_| known) {
                path
            } else {
                let ty = replace_lifetimes(ty, "'_");
                quote!(#ty)
            };
            // An unsupported type is reported once, by the site's lookup of its type: its write resolves to
            // `WriteNothingN` (write.rs).
            let param_ty = if f.by_ref { quote!(&#ty) } else { quote!(#ty) };
            Slot {
                param_ty: param_ty.clone(),
                arg: quote!(#value),
                prep: quote!(),
                elem: quote!(#param),
                elem_ty: param_ty,
            }
        }
    }
}

/// `&str`, `String`, `Box<str>`, `Cow<str>`… → (`str`, `as_str`); the byte equivalents → (`[u8]`, `as_bytes`).
pub fn reads_as(ty: &Type) -> Option<(TokenStream, &'static str)> {
    let inner = |t: &Type| -> Option<&'static str> {
        match t {
            Type::Path(p) if p.path.is_ident("str") => Some("str"),
            Type::Slice(s) if matches!(&*s.elem, Type::Path(p) if p.path.is_ident("u8")) => Some("bytes"),
            _ => None,
        }
    };
    let kind = match ty {
        Type::Reference(r) => {
            inner(&r.elem).or_else(|| reads_as(&r.elem).map(|(_, c)| if c == "as_str" { "str" } else { "bytes" }))
        }
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            match (last.ident.to_string().as_str(), &last.arguments) {
                ("String", syn::PathArguments::None) => Some("str"),
                ("Box" | "Rc" | "Arc" | "Cow", syn::PathArguments::AngleBracketed(a)) => {
                    a.args.iter().find_map(|g| match g {
                        syn::GenericArgument::Type(t) => inner(t),
                        _ => None,
                    })
                }
                ("Vec", syn::PathArguments::AngleBracketed(a)) => a.args.iter().find_map(|g| match g {
                    syn::GenericArgument::Type(Type::Path(p)) if p.path.is_ident("u8") => Some("bytes"),
                    _ => None,
                }),
                _ => None,
            }
        }
        _ => None,
    }?;
    Some(if kind == "str" {
        (quote!(::core::primitive::str), "as_str")
    } else {
        (quote!([::core::primitive::u8]), "as_bytes")
    })
}

/// The check inline; the write in a cold function taking the field values as arguments, so the caller keeps
/// only a load, a test, a branch and a call.
fn body(site: &Site, coerce: bool) -> TokenStream {
    let statics = statics(site, "", None, coerce);
    let write = write(site, coerce, "", "PLAIN");
    quote! {{
        #statics
        if __UE_TP.is_active() {
            #write
        }
    }}
}

/// The call of the write shared by the crate's sites of the same field types (`Site::write_site`, compiled once
/// per shape, not once per site) with the field values; a site with text forms or `let` entries puts them, and
/// that call, in a cold function of its own taking the values as arguments. `kind`: a constant of the runtime's
/// `site_kind` (`PLAIN`, a span's `ENTRY` or `EXIT`).
pub fn write(site: &Site, coerce: bool, tag: &str, kind: &str) -> TokenStream {
    let tp_id = item(tag, "TP");
    let known = crate::known::kinds(site, coerce).is_some();
    let mut params = Vec::new();
    let mut slots = Vec::new();
    for (i, f) in site.fields.iter().enumerate() {
        let param = Ident::new(&format!("__ue_f{i}"), Span::mixed_site());
        let local = Ident::new(&format!("__ue_t{i}"), Span::mixed_site());
        slots.push(slot(f, &param, &local, coerce, known, &site.krate));
        params.push(param);
    }
    let tys = slots.iter().map(|s| &s.param_ty);
    let args = slots.iter().map(|s| &s.arg);
    let preps = slots.iter().map(|s| &s.prep);
    let elems = slots.iter().map(|s| &s.elem);
    let elem_tys = slots.iter().map(|s| &s.elem_ty);
    let n = slots.len();
    let [site_trait, nothing_trait] =
        [format!("WriteSite{n}"), format!("WriteNothing{n}")].map(|t| Ident::new(&t, Span::call_site()));
    let k = &site.krate;
    let private = quote!(#k::__private);
    let prep = &site.prep;
    let kind = Ident::new(kind, Span::call_site());
    let write = quote! {
        (&#private::Site::<(#(#elem_tys,)*), { #private::site_kind::#kind }>(&#tp_id, ::core::marker::PhantomData))
            .write_site
    };
    let uses = quote!(use #private::{#nothing_trait as _, #site_trait as _};);
    if prep.is_empty() && slots.iter().all(|s| s.prep.is_empty()) {
        // Nothing to format: the site passes its values to the shared write itself.
        return quote! {
            #uses
            #write(#(#args),*);
        };
    }
    quote! {
        #[cold]
        #[inline(never)]
        #[allow(clippy::too_many_arguments)]
        fn __ue_write(#(#params: #tys),*) {
            #uses
            #(#preps)*
            #write(#(#elems),*);
        }
        #(#prep)*
        __ue_write(#(#args),*);
    }
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
