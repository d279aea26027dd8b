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

/// How many kernel fields the probe's note has room for: one per field whose type surely takes one (text forms,
/// the primitives), else up to the arguments a probe has (an `Option` or a derived struct takes several, which
/// only the compiler knows), and never more than that.
fn slots(site: &Site) -> usize {
    let one = |ty: &Type| match ty {
        Type::Reference(r) => {
            matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")) || matches!(&*r.elem, Type::Slice(_))
        }
        Type::Path(p) => p.path.get_ident().is_some_and(|i| {
            let i = i.to_string();
            [
                "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize", "isize", "bool", "char", "f32", "f64",
                "String",
            ]
            .contains(&i.as_str())
        }),
        _ => false,
    };
    let n: usize = site
        .fields
        .iter()
        .map(|f| match &f.form {
            Form::Typed(ty) if !one(ty) => ue_abi::USDT_MAX_ARGS,
            _ => 1,
        })
        .sum();
    n.min(ue_abi::USDT_MAX_ARGS)
}

/// The site's probe: a function the shared write calls with the fixed part and the data iovecs while the probe's
/// semaphore is non-zero; its note gives provider, name, semaphore (the enable word the kernel flips for this
/// event: a span's exit event shares its entry's) and the arguments, and its `nop` is the probe's address.
/// `name` is the function's, which its tracepoint holds; `kinds` names the site's kernel field kinds.
pub fn probe(site: &Site, name: &Ident, kinds: &Ident) -> TokenStream {
    let k = &site.krate;
    let private = quote!(#k::__private);
    let sem = item("", "TP");
    let head = Ident::new("__ue_head", Span::mixed_site());
    let iov = Ident::new("__ue_iov", Span::mixed_site());
    let plan = Ident::new("__UE_PLAN", Span::mixed_site());
    let n = slots(site);
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
    t.push_str(
        ".byte 0\n\
         994: .balign 4\n\
         .popsection\n\
         .ifndef _.stapsdt.base\n\
         .pushsection .stapsdt.base, \"axGR\", \"progbits\", .stapsdt.base, comdat\n\
         .weak _.stapsdt.base\n\
         .hidden _.stapsdt.base\n\
         _.stapsdt.base: .space 1\n\
         .size _.stapsdt.base, 1\n\
         .popsection\n\
         .endif\n",
    );
    let template = LitStr::new(&t, Span::call_site());
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
                    ::core::arch::asm!(#template, sem = sym #sem, #regs #(#ops)* options(readonly, nostack, preserves_flags, att_syntax));
                }
            }
            let _ = (#head, #iov);
        }
    }
}
