//! Procedural macros of ue-runtime.
use proc_macro::TokenStream;

#[proc_macro_attribute]
pub fn user_event(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}

#[proc_macro]
pub fn tracepoint(_input: TokenStream) -> TokenStream {
    "compile_error!(\"in progress\")".parse().unwrap()
}
