//! dlopen/dlclose: a cdylib's tracepoints register as it loads and unregister as it unloads, so the kernel never
//! writes into memory that is gone.

mod common;

use common::*;
use std::ffi::CString;
use std::sync::atomic::{AtomicU32, Ordering};

// The same event in the executable keeps it alive in the kernel after the library is gone.
tracepoint_static!(CALL, c"ue_plugin_call u32 n");

fn plugin_path() -> CString {
    // target/debug/deps/dylib-… → target/debug/examples/libdylib_plugin.so
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("examples/libdylib_plugin.so");
    assert!(p.exists(), "{} missing (built by cargo test with the examples)", p.display());
    CString::new(p.to_string_lossy().as_bytes()).unwrap()
}

unsafe fn sym<T>(lib: *mut libc::c_void, name: &std::ffi::CStr) -> T {
    // SAFETY: caller names a symbol of type T.
    let p = unsafe { libc::dlsym(lib, name.as_ptr()) };
    assert!(!p.is_null(), "dlsym {name:?}");
    // SAFETY: T is a fn pointer type of the same size as a data pointer.
    unsafe { std::mem::transmute_copy(&p) }
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn library_registers_on_load_and_its_word_is_left_alone_after_unload() {
    let path = plugin_path();
    // SAFETY: loading our own example library, whose constructors only register tracepoints.
    let lib = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    assert!(!lib.is_null(), "dlopen failed");
    // SAFETY: the symbols are the plugin's extern "C" functions of these types.
    let (registered, word, call) = unsafe {
        (
            sym::<extern "C" fn() -> bool>(lib, c"ue_plugin_registered"),
            sym::<extern "C" fn() -> *const AtomicU32>(lib, c"ue_plugin_enable_word"),
            sym::<extern "C" fn(u32)>(lib, c"ue_plugin_call"),
        )
    };
    assert!(registered(), "the library's constructor registered its tracepoint");
    let addr = word() as usize;
    assert_ne!(addr, CALL.enable_word() as *const _ as usize, "the library has its own enable word");

    set_enabled("ue_plugin_call", true);
    clear_trace();
    // SAFETY: word() points into the loaded library.
    assert_eq!(unsafe { (*word()).load(Ordering::Relaxed) }, 1 << 31, "the kernel flips the library's word");
    call(77);
    assert_eq!(records("ue_plugin_call"), vec![int_field("n", 4, 77)]);
    set_enabled("ue_plugin_call", false);

    // SAFETY: nothing of the library is used after this.
    assert_eq!(unsafe { libc::dlclose(lib) }, 0);
    // SAFETY: RTLD_NOLOAD only looks the library up.
    let still = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    assert!(still.is_null(), "the library must really be unloaded for this test to mean anything");

    // Put a zeroed page where the library's enable word was, then enable the event.
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let base = addr & !(page - 1);
    // SAFETY: MAP_FIXED_NOREPLACE fails rather than replace an existing mapping.
    let map = unsafe {
        libc::mmap(
            base as *mut libc::c_void,
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    assert_eq!(map as usize, base, "map a page at the old word: {}", std::io::Error::last_os_error());
    set_enabled("ue_plugin_call", true);
    assert!(CALL.is_enabled(), "the executable's own registration still works");
    // SAFETY: the page is ours, mapped above.
    let old = unsafe { &*(addr as *const AtomicU32) };
    assert_eq!(old.load(Ordering::Relaxed), 0, "the kernel wrote into the unloaded library's memory");
    set_enabled("ue_plugin_call", false);
    // SAFETY: unmapping our page.
    unsafe { libc::munmap(map, page) };
}
