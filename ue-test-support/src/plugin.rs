//! examples/dylib_plugin.rs loaded and unloaded, and what the kernel does to the memory it leaves.

use crate::{example, set_enabled};
use std::time::Duration;

/// examples/dylib_plugin.rs, loaded with `dlopen`.
pub struct Plugin {
    lib: *mut libc::c_void,
    path: std::ffi::CString,
}

impl Plugin {
    pub fn load() -> Plugin {
        let path = std::ffi::CString::new(example("libdylib_plugin.so").to_string_lossy().as_bytes()).unwrap();
        // SAFETY: loading our own example library, whose constructors only register tracepoints.
        let lib = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(!lib.is_null(), "dlopen {path:?} failed");
        Plugin { lib, path }
    }

    /// The plugin's function `name`.
    ///
    /// # Safety
    /// `T` is the function pointer type of that symbol, used only while the plugin is loaded.
    pub unsafe fn sym<T>(&self, name: &std::ffi::CStr) -> T {
        // SAFETY: lib is a live handle.
        let p = unsafe { libc::dlsym(self.lib, name.as_ptr()) };
        assert!(!p.is_null(), "dlsym {name:?}");
        // SAFETY: T is a fn pointer type of the same size as a data pointer (the caller's contract).
        unsafe { std::mem::transmute_copy(&p) }
    }

    /// `dlclose`, checking that the library is really gone (else an unload test would mean nothing).
    pub fn unload(self) {
        // SAFETY: nothing of the library is used after this (the contract of `sym`).
        assert_eq!(unsafe { libc::dlclose(self.lib) }, 0);
        // SAFETY: RTLD_NOLOAD only looks the library up.
        let still = unsafe { libc::dlopen(self.path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
        assert!(still.is_null(), "the library must really be unloaded for this test to mean anything");
    }
}

/// Maps a zeroed page where `addr` was (memory of an unloaded library), enables `event`, and returns what the
/// word at `addr` then holds: anything but 0 means the kernel wrote into memory that is not the runtime's.
pub fn word_at_after_enable(addr: usize, event: &str) -> u32 {
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
    set_enabled(event, true);
    // Time for a deferred kernel write, were there one.
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: the page is ours, mapped above; the word is 4-byte aligned as the runtime's enable words are.
    let seen = unsafe { &*(addr as *const std::sync::atomic::AtomicU32) }.load(std::sync::atomic::Ordering::Relaxed);
    set_enabled(event, false);
    // SAFETY: unmapping our page.
    unsafe { libc::munmap(map, page) };
    seen
}
