//! dlopen/dlclose: a cdylib's tracepoints register as it loads and unregister as it unloads, so the kernel never
//! writes into memory that is gone.

use std::sync::atomic::{AtomicU32, Ordering};
use ue_test_support::*;

// The same event in the executable keeps it alive in the kernel after the library is gone.
ue_runtime::static_tracepoint!(static CALL = "ue_plugin_call u32 n");

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn library_registers_on_load_and_its_word_is_left_alone_after_unload() {
    let plugin = Plugin::load();
    // SAFETY: the symbols are the plugin's extern "C" functions of these types, used while it is loaded.
    let (registered, word, call) = unsafe {
        (
            plugin.sym::<extern "C" fn() -> bool>(c"ue_plugin_registered"),
            plugin.sym::<extern "C" fn() -> *const AtomicU32>(c"ue_plugin_enable_word"),
            plugin.sym::<extern "C" fn(u32)>(c"ue_plugin_call"),
        )
    };
    assert!(registered(), "the library's constructor registered its tracepoint");
    let addr = word() as usize;
    assert_ne!(addr, std::ptr::from_ref(CALL.enable_word()) as usize, "the library has its own enable word");

    set_enabled("ue_plugin_call", true);
    clear_trace();
    // SAFETY: word() points into the loaded library.
    assert_eq!(unsafe { (*word()).load(Ordering::Relaxed) }, 1 << 31, "the kernel flips the library's word");
    call(77);
    assert_eq!(records("ue_plugin_call"), vec![int_field("n", 4, 77)]);
    set_enabled("ue_plugin_call", false);

    plugin.unload();
    assert_eq!(word_at_after_enable(addr, "ue_plugin_call"), 0, "the kernel wrote into the unloaded library's memory");
    assert!(CALL.is_registered(), "the executable's own registration is untouched");
}
