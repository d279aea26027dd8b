//! The USDT probe at a site: a `nop` and its `.note.stapsdt` note (SystemTap SDT v3, ue-abi's usdt.rs), emitted
//! with `asm!` in a function beside the site's tracepoint, which holds it for the write to call, so bpftrace,
//! BCC and `perf probe` see every event. The note's argument text is chosen per field by the assembler (`.if`
//! on the field's plan, a constant computed from the field kinds, which the macros cannot see), so derived and
//! forwarded field types work as the built-in ones.
//! x86_64 only: elsewhere the probe does nothing.

use crate::expand::item;
use crate::model::{Form, Site};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::fmt::Write as _;
use syn::{Ident, LitStr, Type};
use ue_abi::usdt::{form, probe_plan};
use ue_abi::{FieldKind, USDT_MAX_ARGS};

/// How many kernel fields the probe's note has room for: one per field whose type surely takes one (the known
/// types, text forms, `usize`), else up to the arguments a probe has (an `Option` or a derived struct takes
/// several, which only the compiler knows), and never more than that.
fn slots(site: &Site) -> usize {
    let one = |ty: &Type| {
        crate::known::field(ty, &site.krate).is_some()
            || crate::expand::reads_as(ty).is_some()
            || matches!(ty, Type::Path(p) if p.path.is_ident("usize") || p.path.is_ident("isize"))
    };
    let n: usize = site
        .fields
        .iter()
        .map(|f| match &f.form {
            Form::Typed(ty) if !one(ty) => USDT_MAX_ARGS,
            _ => 1,
        })
        .sum();
    n.min(USDT_MAX_ARGS)
}

/// A site's kernel field kinds: known to the macro (known.rs), or the constant that holds them.
#[derive(Clone, Copy)]
pub enum Kinds<'a> {
    Known(&'a [FieldKind]),
    Const(&'a Ident),
}

/// The site's probe: a function the shared write calls with the fixed part and the data iovecs while the probe's
/// semaphore is non-zero; its note gives provider, name, semaphore (the enable word the kernel flips for this
/// event: a span's exit event shares its entry's) and the arguments, and its `nop` is the probe's address.
/// `name` is the function's, which its tracepoint holds. With known kinds the note's text is a literal; else the
/// assembler picks each argument's text from the plan, a constant computed from the kinds.
pub fn probe(site: &Site, name: &Ident, kinds: Kinds<'_>) -> TokenStream {
    let k = &site.krate;
    let private = quote!(#k::__private);
    let [head, iov] = params();
    let plan = Ident::new("__UE_PLAN", Span::mixed_site());
    let mut t = String::from(
        "990: nop\n\
         .pushsection .note.stapsdt, \"\", \"note\"\n\
         .balign 4\n\
         .4byte 992f-991f, 994f-993f, 3\n\
         991: .asciz \"stapsdt\"\n\
         992: .balign 4\n\
         993: .8byte 990b\n\
         .8byte _.stapsdt.base\n\
         .8byte {sem}\n",
    );
    let _ = write!(t, ".asciz \"{}\"\n.asciz \"{}\"\n", ue_abi::USDT_PROVIDER, site.full_name());
    let kinds = match kinds {
        Kinds::Known(kinds) => return known(name, t, kinds),
        Kinds::Const(kinds) => kinds,
    };
    let n = slots(site);
    for i in 0..n {
        let sp = if i == 0 { "" } else { " " };
        let _ = write!(
            t,
            ".if {{f{i}}} == 1\n.ascii \"{sp}{{s{i}}}@{{a{i}}}({{head}})\"\n\
             .elseif {{f{i}}} == 2\n.ascii \"{sp}-{{s{i}}}@{{a{i}}}({{head}})\"\n\
             .elseif {{f{i}}} == 3\n.ascii \"{sp}8@{{a{i}}}({{iov}}) 8@{{b{i}}}({{iov}})\"\n\
             .elseif {{f{i}}} == 4\n.ascii \"{sp}8@{{a{i}}}({{arr}}) 8@{{b{i}}}({{arr}})\"\n\
             .endif\n"
        );
    }
    t.push_str(TAIL);
    let ops = (0..n).map(|i| {
        let [f, s, a, b] = ["f", "s", "a", "b"].map(|w| Ident::new(&format!("{w}{i}"), Span::call_site()));
        quote!(#f = const #plan[#i].form, #s = const #plan[#i].size, #a = const #plan[#i].at, #b = const #plan[#i].at2,)
    });
    let regs = (n > 0).then(|| quote!(head = in(reg) #head, iov = in(reg) #iov, arr = in(reg) __ue_arr.as_ptr(),));
    let table = (n > 0).then(|| {
        quote! {
            const #plan: [#private::ProbeArg; #n] = #private::probe_plan::<#n>(#kinds);
            const __UE_ARR: usize = 2 * #private::probe_arrays(&#plan);
            let __ue_arr: [u64; __UE_ARR] = #private::probe_array_table::<__UE_ARR>(&#plan, #head);
        }
    });
    function(name, &t, &quote!(#regs #(#ops)*), table.as_ref())
}

/// The probe function's parameters: the fixed part and the data iovecs.
fn params() -> [Ident; 2] {
    ["__ue_head", "__ue_iov"].map(|p| Ident::new(p, Span::mixed_site()))
}

/// The note's end, and the `_.stapsdt.base` symbol every note names (one per object, in a comdat group).
const TAIL: &str = ".byte 0\n\
     994: .balign 4\n\
     .popsection\n\
     .ifndef _.stapsdt.base\n\
     .pushsection .stapsdt.base, \"axGR\", \"progbits\", .stapsdt.base, comdat\n\
     .weak _.stapsdt.base\n\
     .hidden _.stapsdt.base\n\
     _.stapsdt.base: .space 1\n\
     .size _.stapsdt.base, 1\n\
     .popsection\n\
     .endif\n";

/// The probe of a site whose kinds are known: its note's arguments written from ue-abi's plan, in the macro.
fn known(name: &Ident, mut t: String, kinds: &[FieldKind]) -> TokenStream {
    let plan = probe_plan::<{ USDT_MAX_ARGS }>(kinds);
    let used = &plan[..kinds.len().min(USDT_MAX_ARGS)];
    t.push_str(".ascii \"");
    for (i, a) in used.iter().enumerate() {
        let sp = if i == 0 { "" } else { " " };
        let _ = match a.form {
            form::UNSIGNED => write!(t, "{sp}{}@{}({{head}})", a.size, a.at),
            form::SIGNED => write!(t, "{sp}-{}@{}({{head}})", a.size, a.at),
            form::DATA => write!(t, "{sp}8@{}({{iov}}) 8@{}({{iov}})", a.at, a.at2),
            form::ARRAY => write!(t, "{sp}8@{}({{arr}}) 8@{}({{arr}})", a.at, a.at2),
            _ => Ok(()),
        };
    }
    t.push_str("\"\n");
    t.push_str(TAIL);
    let [head, iov] = params();
    // Only the registers the note names; fixed arrays are read through a table of (address, length) pairs.
    let uses = |f: u32| used.iter().any(|a| a.form == f);
    let head_reg = (uses(form::UNSIGNED) || uses(form::SIGNED)).then(|| quote!(head = in(reg) #head,));
    let iov_reg = uses(form::DATA).then(|| quote!(iov = in(reg) #iov,));
    let arrays: Vec<_> = used.iter().filter(|a| a.form == form::ARRAY).collect();
    let (arr_reg, table) = if arrays.is_empty() {
        (None, None)
    } else {
        let n = 2 * arrays.len();
        let pairs = arrays.iter().map(|a| {
            let (at, size) = (a.fixed_at as usize, u64::from(a.size));
            quote!(#head.wrapping_add(#at) as u64, #size)
        });
        (Some(quote!(arr = in(reg) __ue_arr.as_ptr(),)), Some(quote!(let __ue_arr: [u64; #n] = [#(#pairs),*];)))
    };
    let regs = quote!(#head_reg #iov_reg #arr_reg);
    function(name, &t, &regs, table.as_ref())
}

/// The probe's function: the `asm!` of `template` with `operands`, after `table`.
fn function(name: &Ident, template: &str, operands: &TokenStream, table: Option<&TokenStream>) -> TokenStream {
    let sem = item("", "TP");
    let [head, iov] = params();
    let template = LitStr::new(template, Span::call_site());
    quote! {
        #[inline(never)]
        #[allow(non_snake_case)]
        fn #name(#head: *const u8, #iov: *const u8) {
            #[cfg(target_arch = "x86_64")]
            {
                #table
                // The pointers are only described in the note, for the probe to read while the record lives.
                // SAFETY: a `nop` and a note in a section of its own: it reads no memory and clobbers nothing.
                unsafe {
                    ::core::arch::asm!(#template, sem = sym #sem, #operands options(readonly, nostack, preserves_flags, att_syntax));
                }
            }
            let _ = (#head, #iov);
        }
    }
}
