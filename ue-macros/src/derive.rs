//! `#[derive(Field)]`: newtypes as their inner type; structs of named fields as one kernel field per field
//! (`NAME_FIELD`); fieldless enums as their variant name or discriminant.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident};

#[allow(clippy::too_many_lines)] // one match over the shapes derived, each arm short
pub fn field(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let (repr, krate) = ue_options(&input)?;
    let k = crate::namespace::current().unwrap_or_default().runtime_path(krate);
    let private = quote!(#k::__private);
    let mut parts = None;
    let mut zero = None;
    let (kind, encode, bound) = match &input.data {
        Data::Struct(s) => {
            if let Some(r) = repr {
                return Err(syn::Error::new(
                    r,
                    "#[ue(repr)] is for fieldless enums; a newtype is recorded as its field",
                ));
            }
            let newtype = match &s.fields {
                Fields::Unnamed(f) if f.unnamed.len() == 1 => Some((quote!(0), &f.unnamed[0])),
                Fields::Named(f) if f.named.len() == 1 => {
                    let id = f.named[0].ident.as_ref().expect("named field");
                    Some((quote!(#id), &f.named[0]))
                }
                Fields::Named(_) => None,
                _ => {
                    return Err(syn::Error::new(
                        s.fields.span().join(input.ident.span()).unwrap_or(input.ident.span()),
                        "#[derive(Field)] takes a struct of named fields, a newtype (a struct of one field) or a fieldless enum: name this struct's fields (`struct P { x: u32, y: u32 }`), or record it as text with `name: Debug = value`",
                    ))
                }
            };
            // Each field's type is looked up once, for its PARTS: the encode calls go through `Enc`/`EncZero`
            // (ue-runtime's site.rs), so an unsupported type is one error, at it.
            let encode_one = |place: TokenStream, ty: &syn::Type| quote_spanned!(ty.span()=> (&#private::Enc(&#place)).ue_encode(enc););
            let zero_one =
                |ty: &syn::Type| quote_spanned!(ty.span()=> (&#private::EncZero::<#ty>::NEW).ue_encode_zero(enc););
            let kind = quote!(<Self as #private::Field>::PARTS.first_kind());
            if let Some((field, inner)) = newtype {
                let ty = &inner.ty;
                parts = Some(quote_spanned!(ty.span()=> <#ty as #private::Field>::PARTS));
                zero = Some(zero_one(ty));
                (
                    kind,
                    encode_one(quote!(self.#field), ty),
                    // Bounded only when generic: a concrete inner type is checked (once) by the PARTS lookup.
                    (!input.generics.params.is_empty()).then(|| quote_spanned!(ty.span()=> #ty: #private::Field)),
                )
            } else {
                // One kernel field per struct field (several for an `Option` or a derived struct), `NAME_FIELD`.
                let ids: Vec<&Ident> = s.fields.iter().filter_map(|f| f.ident.as_ref()).collect();
                let tys: Vec<&syn::Type> = s.fields.iter().map(|f| &f.ty).collect();
                let suffixes = ids.iter().map(|id| format!("_{}", unraw(id)));
                let of_parts = tys.iter().map(|ty| quote_spanned!(ty.span()=> <#ty as #private::Field>::PARTS));
                parts = Some(quote!(#private::Parts::EMPTY #(.then(#suffixes, #of_parts))*));
                let zeros = tys.iter().map(|ty| zero_one(ty));
                zero = Some(quote!(#(#zeros)*));
                let encodes = ids.iter().zip(&tys).map(|(id, ty)| encode_one(quote!(self.#id), ty));
                let bounds = tys.iter().map(|ty| quote_spanned!(ty.span()=> #ty: #private::Field));
                (kind, quote!(#(#encodes)*), (!input.generics.params.is_empty()).then(|| quote!(#(#bounds),*)))
            }
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
    let parts_item = parts.map(|p| quote!(const PARTS: #private::Parts = #p;));
    let zero_item = zero.map(|z| {
        quote! {
            #[inline]
            fn encode_zero(enc: &mut #private::Encoder<'_, '_>) {
                #[allow(unused_imports)]
                use #private::{ZeroField as _, ZeroNone as _};
                #z
            }
        }
    });
    let name = &input.ident;
    let (impl_g, ty_g, where_clause) = input.generics.split_for_impl();
    let mut preds: Vec<TokenStream> =
        where_clause.map(|w| w.predicates.iter().map(|p| quote!(#p)).collect()).unwrap_or_default();
    preds.extend(bound);
    Ok(quote! {
        impl #impl_g #private::Sealed for #name #ty_g where #(#preds,)* {}
        #[diagnostic::do_not_recommend]
        impl #impl_g #private::Field for #name #ty_g where #(#preds,)* {
            const KIND: #private::FieldKind = #kind;
            #parts_item
            #[inline]
            fn encode<'__ue>(&'__ue self, enc: &mut #private::Encoder<'__ue, '_>) {
                #[allow(unused_imports)]
                use #private::{EncField as _, EncNone as _};
                #encode
            }
            #zero_item
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

/// `r#type` → `type`.
fn unraw(id: &Ident) -> String {
    let s = id.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}
