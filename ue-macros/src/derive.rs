//! `#[derive(Field)]`: newtypes as their inner type; fieldless enums as their variant name or discriminant.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident};

pub fn field(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let (repr, krate) = ue_options(&input)?;
    let k = crate::namespace::current().unwrap_or_default().runtime_path(krate);
    let private = quote!(#k::__private);
    let (kind, encode, bound) = match &input.data {
        Data::Struct(s) => {
            if let Some(r) = repr {
                return Err(syn::Error::new(
                    r,
                    "#[ue(repr)] is for fieldless enums; a newtype is recorded as its field",
                ));
            }
            let (field, inner) = match &s.fields {
                Fields::Unnamed(f) if f.unnamed.len() == 1 => (quote!(0), &f.unnamed[0]),
                Fields::Named(f) if f.named.len() == 1 => {
                    let id = f.named[0].ident.as_ref().expect("named field");
                    (quote!(#id), &f.named[0])
                }
                _ => {
                    return Err(syn::Error::new(
                        s.fields.span().join(input.ident.span()).unwrap_or(input.ident.span()),
                        "#[derive(Field)] takes a newtype (a struct of one field) or a fieldless enum: record a struct of several fields as several fields, or as text with `name: Debug = value`",
                    ))
                }
            };
            let ty = &inner.ty;
            (
                quote_spanned!(ty.span()=> <#ty as #private::Field>::KIND),
                quote_spanned!(ty.span()=> <#ty as #private::Field>::encode(&self.#field, enc)),
                // Bounded only when generic: a concrete inner type is checked (once) by the KIND lookup.
                (!input.generics.params.is_empty()).then(|| quote_spanned!(ty.span()=> #ty: #private::Field)),
            )
        }
        Data::Enum(e) => {
            if e.variants.is_empty() {
                return Err(syn::Error::new(input.ident.span(), "#[derive(Field)] on an enum without variants"));
            }
            for v in &e.variants {
                if !matches!(v.fields, Fields::Unit) {
                    return Err(syn::Error::new(
                        v.fields.span(),
                        "#[derive(Field)] takes fieldless enums: this variant carries data (record it with `name: Debug = value`)",
                    ));
                }
            }
            let name = &input.ident;
            let variants: Vec<&Ident> = e.variants.iter().map(|v| &v.ident).collect();
            if repr.is_none() {
                let texts = variants.iter().map(ToString::to_string);
                (
                    quote!(#private::FieldKind::Str),
                    quote!(<str as #private::Field>::encode(match self { #(Self::#variants => #texts),* }, enc)),
                    None,
                )
            } else {
                let int = int_repr(&input);
                (
                    quote!(<#int as #private::Field>::KIND),
                    quote!(match self { #(Self::#variants => {
                        const V: #int = #name::#variants as #int;
                        <#int as #private::Field>::encode(&V, enc)
                    })* }),
                    None,
                )
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new(u.union_token.span, "#[derive(Field)] takes a newtype or a fieldless enum"))
        }
    };
    let name = &input.ident;
    let (impl_g, ty_g, where_clause) = input.generics.split_for_impl();
    let mut preds: Vec<TokenStream> =
        where_clause.map(|w| w.predicates.iter().map(|p| quote!(#p)).collect()).unwrap_or_default();
    preds.extend(bound);
    Ok(quote! {
        impl #impl_g #private::Sealed for #name #ty_g where #(#preds,)* {}
        impl #impl_g #private::Field for #name #ty_g where #(#preds,)* {
            const KIND: #private::FieldKind = #kind;
            #[inline]
            fn encode<'__ue>(&'__ue self, enc: &mut #private::Encoder<'__ue, '_>) {
                #encode
            }
        }
    })
}

/// The span of `#[ue(repr)]`, if present, and the path of `#[ue(crate = path)]`.
fn ue_options(input: &DeriveInput) -> syn::Result<(Option<proc_macro2::Span>, Option<syn::Path>)> {
    let (mut found, mut krate) = (None, None);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("ue")) {
        attr.parse_nested_meta(|m| {
            if m.path.is_ident("repr") {
                found = Some(m.path.span());
                Ok(())
            } else if m.path.is_ident("crate") {
                krate = Some(crate::parse::crate_path(&m.value()?.parse()?)?);
                Ok(())
            } else {
                Err(m.error("unknown option: expected `#[ue(repr)]` or `#[ue(crate = path)]`"))
            }
        })?;
    }
    Ok((found, krate))
}

/// The integer type of `#[repr(u8)]` and the like; `isize` (Rust's default discriminant type) without one.
fn int_repr(input: &DeriveInput) -> Ident {
    const INTS: &[&str] = &["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize", "isize"];
    let mut int = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        // Other repr options (`C`, `align(8)`) are not ours to judge: rustc checks them.
        let _ = attr.parse_nested_meta(|m| {
            if let Some(id) = m.path.get_ident().filter(|id| INTS.contains(&id.to_string().as_str())) {
                int = Some(id.clone());
            }
            Ok(())
        });
    }
    int.unwrap_or_else(|| Ident::new("isize", proc_macro2::Span::call_site()))
}
