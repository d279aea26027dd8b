//! Compile-time checks of names, types and the kernel's limits; each error points at its token.

use crate::model::{Form, Site};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, Ident, Lit, Type};
use ue_abi::{FieldNameError, NameError, MAX_EVENT_DESC, MAX_EVENT_NAME, MAX_FIELDS, MAX_FIELD_ARRAY_SIZE, NAME_RULE};

/// Errors gathered with `syn::Error::combine`.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Checks a whole site; `generics` are the type and const parameters in scope (for `#[user_event]`).
pub fn site(site: &Site, generics: &[Ident]) -> syn::Result<()> {
    let mut errors = Errors::default();
    let name = site.full_name();
    let origin = origin(site);
    match ue_abi::check_event_name(&name) {
        Ok(()) => {}
        Err(NameError::Invalid) => errors.push(syn::Error::new(
            site.name_span,
            format!("invalid event name `{name}`{origin}: user_events names match {NAME_RULE}"),
        )),
        Err(NameError::TooLong(n)) => errors.push(syn::Error::new(
            site.name_span,
            format!("event name of {n} bytes{origin}: at most {MAX_EVENT_NAME} (it names a tracefs directory)"),
        )),
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, f) in site.fields.iter().enumerate() {
        if i == MAX_FIELDS {
            errors.push(syn::Error::new(f.span, format!("too many fields: an event has at most {MAX_FIELDS}")));
        }
        let message = match ue_abi::check_field_name(&f.name, seen.iter().copied()) {
            Ok(()) => None,
            Err(FieldNameError::Invalid) => {
                Some(format!("invalid field name `{}`: field names match {NAME_RULE}", f.name))
            }
            Err(FieldNameError::Reserved) => {
                Some(format!("field name `{}` is reserved: every tracefs event already has it", f.name))
            }
            Err(FieldNameError::Duplicate) => Some(format!("duplicate field `{}`", f.name)),
        };
        if let Some(m) = message {
            errors.push(syn::Error::new(f.span, m));
        }
        seen.push(&f.name);
        if let Form::Typed(ty) = &f.form {
            if let Err(e) = field_type(ty, generics) {
                errors.push(e);
            }
        }
    }
    // The shortest kernel type is 2 bytes ("u8"); the exact total is checked once the types are known.
    let least = name.len() + 1 + site.fields.iter().map(|f| f.name.len() + 5).sum::<usize>();
    if least > MAX_EVENT_DESC {
        errors.push(syn::Error::new(site.name_span, format!(
            "event `{name}`{origin} needs at least {least} bytes to register: the kernel's limit is {MAX_EVENT_DESC} (MAX_EVENT_DESC)"
        )));
    }
    errors.finish()
}

/// Where a prefixed name came from, for the messages.
fn origin(site: &Site) -> String {
    match (&site.prefix, &site.manifest) {
        (p, _) if p.is_empty() => String::new(),
        (p, Some(m)) => {
            format!(" (the prefix `{p}` of [package.metadata.ue] in {}, then `{}`)", m.display(), site.name)
        }
        (p, None) => format!(" (the crate's prefix `{p}`, then `{}`)", site.name),
    }
}

/// The exact limit of a site whose kernel fields the macro knows (known.rs): an error at its name if its
/// registration text passes `MAX_EVENT_DESC`.
pub fn desc_len(site: &Site, names: &[&str], kinds: &[ue_abi::FieldKind]) -> Option<syn::Error> {
    let name = site.full_name();
    let len = ue_abi::desc_len(&name, names, kinds);
    (len > MAX_EVENT_DESC).then(|| {
        syn::Error::new(
            site.name_span,
            format!(
                "event `{name}`{} needs {len} bytes to register: the kernel's limit is {MAX_EVENT_DESC} (MAX_EVENT_DESC)",
                origin(site)
            ),
        )
    })
}

/// Bad array sizes and generic types are errors here; other unsupported types fail on the `Field` bound.
fn field_type(ty: &Type, generics: &[Ident]) -> syn::Result<()> {
    match ty {
        Type::Reference(r) => field_type(&r.elem, generics),
        Type::Paren(p) => field_type(&p.elem, generics),
        Type::Group(g) => field_type(&g.elem, generics),
        Type::Array(a) => {
            if let Expr::Lit(l) = &a.len {
                if let Lit::Int(n) = &l.lit {
                    let v: u64 = n.base10_parse()?;
                    if v == 0 || v > MAX_FIELD_ARRAY_SIZE as u64 {
                        return Err(syn::Error::new(
                            n.span(),
                            format!(
                                "array field of {v} bytes: the kernel takes 1 to {MAX_FIELD_ARRAY_SIZE} \
                                 (MAX_FIELD_ARRAY_SIZE)"
                            ),
                        ));
                    }
                }
            }
            generic(ty, generics)
        }
        _ => generic(ty, generics),
    }
}

/// A type naming a generic parameter, `Self` or `impl Trait` has no kernel type known at the site.
fn generic(ty: &Type, generics: &[Ident]) -> syn::Result<()> {
    struct Finder<'a> {
        generics: &'a [Ident],
        found: Option<Span>,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_type_path(&mut self, p: &'ast syn::TypePath) {
            if let Some(first) = p.path.segments.first() {
                if first.ident == "Self" || (p.path.segments.len() == 1 && self.generics.contains(&first.ident)) {
                    self.found.get_or_insert(p.span());
                }
            }
            syn::visit::visit_type_path(self, p);
        }
        fn visit_type_impl_trait(&mut self, i: &'ast syn::TypeImplTrait) {
            self.found.get_or_insert(i.span());
        }
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if p.path.segments.len() == 1 && self.generics.contains(&p.path.segments[0].ident) {
                self.found.get_or_insert(p.span());
            }
        }
    }
    let mut f = Finder { generics, found: None };
    f.visit_type(ty);
    match f.found {
        Some(span) => Err(syn::Error::new(span, "a field's type must be concrete: this argument has a generic type; leave it out with #[user_event(skip(…))]")),
        None => Ok(()),
    }
}

/// Types that are `Copy` whatever the program: primitives, shared references, arrays of bytes.
pub fn is_plain_copy(ty: &Type) -> bool {
    const PRIMITIVES: &[&str] =
        &["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize", "isize", "bool", "char", "f32", "f64"];
    match ty {
        Type::Reference(r) => r.mutability.is_none(),
        Type::Array(a) => is_plain_copy(&a.elem),
        Type::Paren(p) => is_plain_copy(&p.elem),
        Type::Path(p) => p.qself.is_none() && PRIMITIVES.iter().any(|n| p.path.is_ident(n)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_and_generic_types() {
        let g = [syn::parse_str::<Ident>("T").unwrap()];
        let t = |s: &str| field_type(&syn::parse_str(s).unwrap(), &g);
        assert!(t("f64").is_ok() && t("&f32").is_ok());
        assert!(t("[u8; 1024]").is_ok() && t("[u8; 1025]").is_err() && t("[u8; 0]").is_err());
        assert!(t("T").is_err() && t("&[T]").is_err() && t("Vec<T>").is_err() && t("impl AsRef<str>").is_err());
        assert!(t("Self").is_err() && t("&str").is_ok() && t("u32").is_ok());
    }
}
