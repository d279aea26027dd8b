//! The lifecycle: open `user_events_data` and register every tracepoint before `main` (or when a shared
//! library loads), unregister at exit (or unload), stay consistent across fork.
//!
//! Invariants:
//! - `FD` is -1 or the open `user_events_data` of this image; once set it is never reassigned while any
//!   tracepoint is registered, so the write path may use it without a lock.
//! - A tracepoint's `write_index` is stored before its state becomes REGISTERED (Release); the write path
//!   checks the state (Acquire) before using the index, since the kernel may set the enable bit during
//!   DIAG_IOCSREG, before the index is known.
//! - `LOCK` serialises registration and unregistration; fork happens with it held (pthread_atfork), so a
//!   child never inherits a half-done registration.

use crate::abi::{self, UserReg, UserUnreg};
use crate::status;
use crate::tracepoint::{Tracepoint, FAILED, REGISTERED, TRACEPOINTS, UNREGISTERED};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Once;

pub(crate) static FD: AtomicI32 = AtomicI32::new(-1);
static LOCK: AtomicBool = AtomicBool::new(false);
static ATFORK: Once = Once::new();

fn lock() {
    while LOCK.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        std::thread::yield_now();
    }
}

fn unlock() {
    LOCK.store(false, Ordering::Release);
}

extern "C" fn atfork_prepare() {
    lock();
}

extern "C" fn atfork_release() {
    unlock();
}

/// Runs from `.init_array` when the executable starts or the shared library loads.
extern "C" fn on_load() {
    ATFORK.call_once(|| {
        // An unloaded library's handlers would be a hazard; glibc drops a DSO's atfork handlers at dlclose.
        // SAFETY: the handlers are plain functions that only touch LOCK, mapped as long as this image is.
        unsafe { libc::pthread_atfork(Some(atfork_prepare), Some(atfork_release), Some(atfork_release)) };
    });
    register_all();
}

/// Runs from `.fini_array` at exit or when the shared library unloads.
extern "C" fn on_unload() {
    unregister_all();
}

#[used]
#[link_section = ".init_array"]
static INIT: extern "C" fn() = on_load;

#[used]
#[link_section = ".fini_array"]
static FINI: extern "C" fn() = on_unload;

/// Registers every tracepoint of this image that is not registered yet; opens `user_events_data` first if
/// needed. Idempotent and cheap when all are registered; runs before `main` on its own, so call it only to
/// retry after the environment changed (tracefs mounted, permissions granted).
pub fn register_all() {
    lock();
    register_locked();
    unlock();
}

fn register_locked() {
    if FD.load(Ordering::Relaxed) < 0 {
        match crate::tracefs::open_data() {
            Ok((fd, path)) => {
                FD.store(fd, Ordering::Release);
                status::set_available(path);
            }
            Err(why) => {
                status::set_unavailable(why);
                return;
            }
        }
    }
    let fd = FD.load(Ordering::Relaxed);
    // name → format of the tracepoints this image registered, to name a conflict before the kernel does.
    let mut formats: BTreeMap<&'static str, &'static str> = BTreeMap::new();
    for tp in TRACEPOINTS.iter() {
        if tp.state.load(Ordering::Relaxed) == REGISTERED {
            formats.entry(tp.name()).or_insert(tp.format());
        }
    }
    for tp in TRACEPOINTS.iter() {
        if tp.state.load(Ordering::Relaxed) != UNREGISTERED {
            continue;
        }
        if let Some(&other) = formats.get(tp.name()) {
            if other != tp.format() {
                fail(
                    tp,
                    format!(
                        "event '{}' is declared with two formats in this program: '{}' and '{}'",
                        tp.name(),
                        other,
                        tp.format()
                    ),
                );
                continue;
            }
        }
        match register_one(fd, tp) {
            Ok(()) => {
                formats.entry(tp.name()).or_insert(tp.format());
            }
            Err(why) => fail(tp, why),
        }
    }
    status::log_summary();
}

fn fail(tp: &Tracepoint, why: String) {
    tp.state.store(FAILED, Ordering::Relaxed);
    status::add_problem(why);
}

fn register_one(fd: i32, tp: &'static Tracepoint) -> Result<(), String> {
    let mut reg = UserReg {
        size: core::mem::size_of::<UserReg>() as u32,
        enable_bit: abi::ENABLE_BIT,
        enable_size: 4,
        flags: 0,
        enable_addr: tp.enable_word().as_ptr() as u64,
        name_args: tp.desc_cstr().as_ptr() as u64,
        write_index: 0,
    };
    // SAFETY: reg is a valid user_reg; the word and descriptor are 'static, mapped until on_unload unregisters.
    let rc = unsafe { libc::ioctl(fd, abi::DIAG_IOCSREG as _, &mut reg) };
    if rc == 0 {
        tp.write_index.store(reg.write_index, Ordering::Relaxed);
        tp.state.store(REGISTERED, Ordering::Release);
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    Err(match err.raw_os_error() {
        Some(libc::EADDRINUSE) => format!(
            "event '{}': declared here as '{}', but the kernel already has it{} (EADDRINUSE)",
            tp.name(),
            tp.format(),
            status::kernel_format(tp.name())
                .map(|f| format!(" as '{f}'"))
                .unwrap_or_else(|| " with another format".into())
        ),
        Some(libc::EINVAL) if status::kernel_predates_remote_write() => format!(
            "event '{}': this kernel's user_events predates the remote-write ABI of Linux 6.4 (EINVAL)",
            tp.name()
        ),
        Some(libc::EINVAL) => format!("event '{}': the kernel rejected '{}' (EINVAL)", tp.name(), tp.desc()),
        Some(libc::EMFILE) | Some(libc::ENOMEM) => {
            format!("event '{}': kernel limit reached ({err}; see sysctl kernel.user_events_max)", tp.name())
        }
        _ => format!("event '{}': DIAG_IOCSREG failed: {err}", tp.name()),
    })
}

/// Unregisters every registration of this image, so the kernel never writes into memory that is gone.
pub(crate) fn unregister_all() {
    lock();
    let fd = FD.load(Ordering::Relaxed);
    if fd >= 0 {
        for tp in TRACEPOINTS.iter() {
            if tp.state.load(Ordering::Relaxed) == REGISTERED {
                unregister_one(fd, tp);
            }
        }
        if in_shared_object() {
            // A library's code is going away: no write from it can follow. An executable keeps its fd, since
            // a thread still running past exit could otherwise write into a reused descriptor.
            FD.store(-1, Ordering::Relaxed);
            // SAFETY: fd is this image's user_events_data and nothing of this image uses it after unload.
            unsafe { libc::close(fd) };
        }
    }
    unlock();
}

fn unregister_one(fd: i32, tp: &Tracepoint) {
    let unreg = UserUnreg {
        size: core::mem::size_of::<UserUnreg>() as u32,
        disable_bit: abi::ENABLE_BIT,
        reserved: 0,
        reserved2: 0,
        disable_addr: tp.enable_word().as_ptr() as u64,
    };
    // SAFETY: unreg is a valid user_unreg naming a registration of this process.
    unsafe { libc::ioctl(fd, abi::DIAG_IOCSUNREG as _, &unreg) };
    tp.state.store(UNREGISTERED, Ordering::Relaxed);
    // The kernel clears the bit itself; clear it too in case it could not (e.g. the page was not writable).
    tp.enable_word().fetch_and(!(1 << abi::ENABLE_BIT), Ordering::Relaxed);
}

/// True when this code runs inside a shared library rather than the main executable.
fn in_shared_object() -> bool {
    // Both addresses are valid: a static of ours, and the executable's program headers from the auxv.
    // SAFETY: dladdr only reads loader tables.
    unsafe {
        let mut ours: libc::Dl_info = core::mem::zeroed();
        let mut main: libc::Dl_info = core::mem::zeroed();
        let phdr = libc::getauxval(libc::AT_PHDR) as *const libc::c_void;
        if libc::dladdr(&FD as *const _ as *const libc::c_void, &mut ours) == 0 || libc::dladdr(phdr, &mut main) == 0 {
            return false;
        }
        ours.dli_fbase != main.dli_fbase
    }
}
