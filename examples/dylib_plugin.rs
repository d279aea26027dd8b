//! A shared library (cdylib) with its own tracepoints: it registers when the library is loaded (`dlopen`) and
//! unregisters when it is unloaded (`dlclose`), with no call in the host program. Used by tests/dlopen_dlclose.rs.
//!
//! ```sh
//! cargo build --example dylib_plugin   # target/debug/examples/libdylib_plugin.so
//! ```

use std::sync::atomic::AtomicU32;

// Declared by hand (its enable word is handed out below); listed in the library's `ue_events` section.
ue_runtime::static_tracepoint!(static CALL = "ue_plugin_call u32 n");

/// The plugin's work: one tracepoint.
#[no_mangle]
pub extern "C" fn ue_plugin_call(n: u32) {
    CALL.emit(&(n,));
}

/// A macro site in a library: its enable word is also its USDT probe's semaphore (tests/usdt_probes.rs).
#[ue_runtime::user_event]
fn ue_plugin_step(n: u32) {
    let _ = n;
}

/// Calls the macro site.
#[no_mangle]
pub extern "C" fn ue_plugin_step_call(n: u32) {
    ue_plugin_step(n);
}

/// The macro site's enable word (null if it were missing).
#[no_mangle]
pub extern "C" fn ue_plugin_step_word() -> *const AtomicU32 {
    ue_runtime::TRACEPOINTS.iter().find(|t| t.name() == "ue_plugin_step").map_or(std::ptr::null(), |t| t.enable_word())
}

/// Where the plugin's enable word lives (for the unload test).
#[no_mangle]
pub extern "C" fn ue_plugin_enable_word() -> *const AtomicU32 {
    CALL.enable_word()
}

/// Whether the plugin's tracepoint registered on load.
#[no_mangle]
pub extern "C" fn ue_plugin_registered() -> bool {
    CALL.is_registered()
}

/// A span in the library, returning its own id as the library sees it (tests/spans_across_images.rs).
#[ue_runtime::user_event(span)]
fn ue_plugin_span(n: u32) -> u64 {
    let _ = n;
    ue_runtime::current_span_id()
}

/// Calls the span.
#[no_mangle]
pub extern "C" fn ue_plugin_span_call(n: u32) -> u64 {
    ue_plugin_span(n)
}

/// The span active on this thread, as the library sees it.
#[no_mangle]
pub extern "C" fn ue_plugin_current_span() -> u64 {
    ue_runtime::current_span_id()
}

/// The span's enable word (shared by its entry and exit events; null if it were missing).
#[no_mangle]
pub extern "C" fn ue_plugin_span_word() -> *const AtomicU32 {
    ue_runtime::TRACEPOINTS.iter().find(|t| t.name() == "ue_plugin_span").map_or(std::ptr::null(), |t| t.enable_word())
}
