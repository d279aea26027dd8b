//! A shared library (cdylib) with its own tracepoint: it registers when the library is loaded (`dlopen`) and
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
