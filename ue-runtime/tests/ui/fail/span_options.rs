#![allow(unused)]
use ue_runtime::user_event;

fn main() {}

#[user_event(ret)] // `ret` without `span`
fn no_span_ret() -> u32 {
    1
}

#[user_event(err)] // `err` without `span`
fn no_span_err() -> Result<u32, String> {
    Ok(1)
}

#[user_event(span, ret)] // nothing to return
fn returns_nothing() {}

#[user_event(span, ret(json))]
fn bad_ret_form() -> u32 {
    1
}

#[user_event(span, ret, err)] // `ret` with `err` needs `Result<T, E>`
fn ret_err_not_result() -> u32 {
    1
}

#[user_event(span, err)] // `err` on a function that does not return a Result
fn err_not_result() -> u32 {
    1
}

#[user_event(span, ret)] // not a field type
fn ret_unsupported() -> Vec<u32> {
    Vec::new()
}

#[user_event(span, ret)] // a generic return type has no kernel type
fn ret_generic<T: Default>() -> T {
    T::default()
}

#[user_event(span)] // the entry event already has `span_id`
fn clash(span_id: u64) {}

// `_exit` takes the name past 255 bytes.
#[user_event(span, name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
fn long_exit() {}
