//! The lifecycle: register every tracepoint before `main` (or when a shared library loads), renew the
//! registrations when the program closed or replaced our descriptor, unregister at exit (or unload), stay
//! consistent across fork.
//!
//! Invariants:
//! - A tracepoint's `write_index` is stored before its state becomes REGISTERED (Release); the write path
//!   checks the state (Acquire) before using the index, since the kernel may set the enable bit during
//!   DIAG_IOCSREG, before the index is known.
//! - Registrations belong to the process (its mm), not to a descriptor: once our descriptor is lost, the kernel
//!   keeps flipping the words of STALE tracepoints, and unregistering them works through any new descriptor.
//! - `LOCK` (the holder's thread id, 0 when free) serialises registration, renewal and unregistration. A thread
//!   never waits for a lock it holds (a signal handler calling `init()`), and the write path never waits at all.
//!   Fork happens with it held (pthread_atfork), so a child never inherits a half-done registration.
//! - The run-time tracepoints alive (dynamic.rs) are listed under `LOCK` and go through every step here with the
//!   static ones ([`all`]); one is freed only after its registration is gone.
//! - The kernel keeps a process's registrations in a context it attaches to the registering thread and shares
//!   only with the threads created after it; a thread created before gets a context of its own at its first
//!   registration, which dies with that thread and which no other thread can unregister from. So [`ANCHOR`] is
//!   registered first, by the thread that loads the image (the main thread, before `main`, for an executable):
//!   every thread created afterwards, and every tracepoint it registers, then shares that one context.

use crate::abi::{self, UserReg, UserUnreg};
use crate::descriptor::{self, Health};
use crate::status;
use crate::tracepoint::{Tracepoint, FAILED, REGISTERED, STALE, STUCK, TRACEPOINTS, UNREGISTERED};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Once;

static LOCK: AtomicI32 = AtomicI32::new(0);
/// Whether `atfork_prepare` took the lock (it does not when the forking thread already holds it).
static HELD_FOR_FORK: AtomicBool = AtomicBool::new(false);
static ATFORK: Once = Once::new();

/// The registration lock, released on drop.
pub(crate) struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        LOCK.store(0, Ordering::Release);
    }
}

fn tid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// Waits for the lock; `None` when this thread already holds it (re-entered from a signal handler).
pub(crate) fn lock() -> Option<Guard> {
    let me = tid();
    loop {
        match LOCK.compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return Some(Guard),
            Err(holder) if holder == me => return None,
            Err(_) => std::thread::yield_now(),
        }
    }
}

fn try_lock() -> Option<Guard> {
    LOCK.compare_exchange(0, tid(), Ordering::Acquire, Ordering::Relaxed).is_ok().then_some(Guard)
}

extern "C" fn atfork_prepare() {
    if let Some(g) = lock() {
        std::mem::forget(g);
        HELD_FOR_FORK.store(true, Ordering::Relaxed);
    }
}

extern "C" fn atfork_release() {
    if HELD_FOR_FORK.swap(false, Ordering::Relaxed) {
        drop(Guard);
    }
}

/// Runs from `.init_array` when the executable starts or the shared library loads (not at all with the
/// `compile-out` feature: there is nothing to register).
extern "C" fn on_load() {
    if cfg!(feature = "compile-out") {
        return;
    }
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

/// An event without fields, registered before the others (see the invariants above); not counted in the status.
static ANCHOR: Tracepoint = Tracepoint::new(c"ue_runtime");

/// Every tracepoint of this image: the anchor, the static ones, then the run-time ones alive.
fn all(g: &Guard) -> impl Iterator<Item = &Tracepoint> + Clone {
    std::iter::once(&ANCHOR).chain(TRACEPOINTS.iter().map(|tp| &**tp)).chain(crate::dynamic::live(g))
}

/// (registered, declared) over every tracepoint of this image; the static ones only when called from a signal
/// handler that interrupted this thread's registration.
pub(crate) fn counts() -> (usize, usize) {
    let count = |it: &mut dyn Iterator<Item = &Tracepoint>| {
        it.fold((0, 0), |(r, d), tp| (r + usize::from(tp.is_registered()), d + 1))
    };
    match lock() {
        Some(g) => count(&mut all(&g).skip(1)), // not the anchor
        None => count(&mut TRACEPOINTS.iter().map(|tp| &**tp)),
    }
}

/// Checks the descriptor, renews stale registrations and registers every tracepoint not registered yet, opening
/// `user_events_data` if needed. Idempotent; returns at once when called from a signal handler that interrupted
/// this thread's own registration.
pub(crate) fn register_all() {
    let Some(g) = lock() else { return };
    if let h @ (Health::Closed | Health::Replaced) = descriptor::health() {
        lose_descriptor(&g, h);
    }
    if descriptor::fd() < 0 {
        match descriptor::open() {
            Ok((_, path)) => status::set_available(path),
            Err(why) => return status::set_unavailable(why),
        }
    }
    let fd = descriptor::fd();
    renew_stale(&g, fd);
    register_new(&g, fd);
    status::log_summary();
}

/// Registers a run-time tracepoint just listed (dynamic.rs), renewing the others first if the descriptor was
/// lost. Opens nothing when user_events was unavailable: the next `init()` registers it with the rest.
pub(crate) fn register_created(g: &Guard, tp: &Tracepoint) {
    if let h @ (Health::Closed | Health::Replaced) = descriptor::health() {
        renew_after_loss(g, h);
    }
    let fd = descriptor::fd();
    if fd >= 0 {
        if let Err((kind, why)) = register_one(fd, tp) {
            fail(tp, kind, why);
        }
    }
}

/// Unregisters a run-time tracepoint being dropped, as `unregister_all` would; false when the kernel may still
/// write its enable word (whose memory must then stay). Unlike at exit, `ENOENT` does not prove the registration
/// gone: it may sit in the kernel context of another thread (see the invariants).
pub(crate) fn unregister_dropped(g: &Guard, tp: &Tracepoint) -> bool {
    // Renew the others first if the descriptor was lost: this is no exit, they go on writing.
    if let h @ (Health::Closed | Health::Replaced) = descriptor::health() {
        renew_after_loss(g, h);
    }
    unregister_each(g, std::iter::once(tp), false);
    tp.state.load(Ordering::Relaxed) != STUCK
}

/// The write path saw a write fail: if the descriptor was closed or replaced, renew everything through a new
/// one. Never waits (another thread registering will see the loss itself); allocates only to report an error.
pub(crate) fn after_failed_write(fd_used: i32) {
    let Some(g) = try_lock() else { return };
    if descriptor::fd() != fd_used {
        return; // renewed already
    }
    let h = descriptor::health();
    if !matches!(h, Health::Closed | Health::Replaced) {
        return; // a write racing a disable (EBADF), or a kernel refusal: nothing to renew
    }
    renew_after_loss(&g, h);
}

/// Forgets the lost descriptor and renews every registration through a new one, without allocating.
fn renew_after_loss(g: &Guard, h: Health) {
    lose_descriptor(g, h);
    match descriptor::reopen() {
        Ok(fd) => renew_stale(g, fd),
        Err(errno) => status::set_unavailable(format!(
            "the program closed or replaced the runtime's user_events_data descriptor, and reopening it failed \
             ({}); call ue_runtime::init() to retry",
            std::io::Error::from_raw_os_error(errno)
        )),
    }
}

/// Forgets a descriptor the program closed or replaced (never closing it: the number is the program's now)
/// and marks its registrations stale, so no write goes out until they are renewed.
fn lose_descriptor(g: &Guard, h: Health) {
    status::count_lost(h == Health::Replaced);
    for tp in all(g) {
        if tp.state.load(Ordering::Relaxed) == REGISTERED {
            tp.state.store(STALE, Ordering::Release);
        }
    }
    descriptor::forget();
}

/// Renews each stale registration through `fd`: unregister the old one (the kernel refuses a second
/// registration of the same word), register again. Allocates nothing unless a renewal fails.
fn renew_stale(g: &Guard, fd: i32) {
    let mut renewed = false;
    for tp in all(g) {
        if tp.state.load(Ordering::Relaxed) != STALE {
            continue;
        }
        renewed = true;
        if let Err(errno) = unregister_one(fd, tp) {
            if errno != libc::ENOENT {
                fail_unregister(tp, errno);
                continue;
            }
        }
        if let Err((kind, why)) = register_one(fd, tp) {
            fail(tp, kind, why);
        }
    }
    if renewed {
        status::count_recovered();
    }
}

/// Registers every tracepoint not registered yet: one ioctl each and nothing else (start-up runs this for
/// every site of the image). A name declared with two formats in this image is told apart from a conflict
/// with another process only when the kernel refuses one (EADDRINUSE), by a scan for the other declaration.
fn register_new(g: &Guard, fd: i32) {
    for tp in all(g) {
        if tp.state.load(Ordering::Relaxed) != UNREGISTERED {
            continue;
        }
        if let Err((kind, why)) = register_one(fd, tp) {
            fail(tp, kind, why);
        }
    }
}

/// Another static tracepoint of this image registered under `tp`'s name with another format.
fn declared_twice(tp: &Tracepoint) -> Option<&'static str> {
    TRACEPOINTS.iter().find_map(|o| {
        (o.state.load(Ordering::Relaxed) == REGISTERED && o.name() == tp.name() && o.format() != tp.format())
            .then(|| o.format())
    })
}

/// Set once the kernel refused USER_EVENT_REG_MULTI_FORMAT: multi-format tracepoints then register with one
/// format.
static MULTI_FORMAT_UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// Whether `tp` is (or will be) registered with USER_EVENT_REG_MULTI_FORMAT.
pub(crate) fn registers_multi_format(tp: &Tracepoint) -> bool {
    tp.is_multi_format() && !MULTI_FORMAT_UNSUPPORTED.load(Ordering::Relaxed)
}

fn fail(tp: &Tracepoint, kind: &'static str, why: String) {
    tp.state.store(FAILED, Ordering::Relaxed);
    status::add_problem(kind, why);
}

/// DIAG_IOCSREG: the write index, or the errno.
fn ioctl_register(fd: i32, tp: &Tracepoint, flags: u16) -> Result<u32, std::io::Error> {
    let (word, bit) = tp.kernel_bit();
    let mut reg = UserReg {
        size: size_of::<UserReg>() as u32,
        enable_bit: bit,
        enable_size: 4,
        flags,
        enable_addr: word.as_ptr() as u64,
        name_args: tp.desc_cstr().as_ptr() as u64,
        write_index: 0,
    };
    // The word and text stay mapped until unregistered: at unload, or before a run-time tracepoint is freed.
    // SAFETY: reg is a valid user_reg naming memory that outlives the registration (above).
    let rc = unsafe { libc::ioctl(fd, abi::DIAG_IOCSREG as _, &mut reg) };
    if rc == 0 {
        Ok(reg.write_index)
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn register_one(fd: i32, tp: &Tracepoint) -> Result<(), (&'static str, String)> {
    let multi = registers_multi_format(tp);
    let mut result = ioctl_register(fd, tp, if multi { abi::USER_EVENT_REG_MULTI_FORMAT } else { 0 });
    if multi && matches!(&result, Err(e) if e.raw_os_error() == Some(libc::EINVAL)) {
        // Kernels before multi-format events refuse the unknown flag: fall back to one format, if that works.
        if let Ok(index) = ioctl_register(fd, tp, 0) {
            MULTI_FORMAT_UNSUPPORTED.store(true, Ordering::Relaxed);
            status::add_problem(
                "multi-format unsupported",
                format!(
                    "event '{}': this kernel lacks USER_EVENT_REG_MULTI_FORMAT (EINVAL): registered with one format, \
                     as user_events:{}",
                    tp.name(),
                    tp.name()
                ),
            );
            result = Ok(index);
        }
    }
    let err = match result {
        Ok(index) => {
            tp.write_index.store(index, Ordering::Relaxed);
            tp.state.store(REGISTERED, Ordering::Release);
            return Ok(());
        }
        Err(e) => e,
    };
    let name = tp.name();
    Err(match err.raw_os_error() {
        Some(libc::EADDRINUSE) if declared_twice(tp).is_some() => (
            "format declared twice in this program",
            format!(
                "event '{name}' is declared with two formats in this program: '{}' and '{}'",
                declared_twice(tp).unwrap_or_default(),
                tp.format()
            ),
        ),
        Some(libc::EADDRINUSE) => (
            "format differs from the kernel's",
            format!(
                "event '{name}': declared here as '{}', but the kernel already has it{} (EADDRINUSE)",
                tp.format(),
                crate::tracefs::kernel_format(name)
                    .map_or_else(|| " with another format".into(), |f| format!(" as '{f}'"))
            ),
        ),
        Some(libc::EINVAL) if crate::tracefs::kernel_predates_remote_write() => (
            "kernel too old",
            format!("event '{name}': this kernel's user_events predates the remote-write ABI of Linux 6.4 (EINVAL)"),
        ),
        Some(libc::EINVAL) => {
            ("rejected by the kernel", format!("event '{name}': the kernel rejected '{}' (EINVAL)", tp.desc()))
        }
        Some(libc::EMFILE | libc::ENOMEM) => (
            "kernel limit reached (see sysctl kernel.user_events_max)",
            format!("event '{name}': kernel limit reached ({err}; see sysctl kernel.user_events_max)"),
        ),
        _ => ("registration failed", format!("event '{name}': DIAG_IOCSREG failed: {err}")),
    })
}

/// Unregisters every registration of this image, so the kernel never writes into memory that is gone. Works
/// through a temporary descriptor when the program closed or replaced ours.
pub(crate) fn unregister_all() {
    let Some(g) = lock() else { return };
    unregister_each(&g, all(&g), true);
    close_if_library();
}

/// Unregisters `tps`; `ENOENT` counts as done when `enoent_is_gone` (at exit: no context of ours has it).
fn unregister_each<'t>(g: &Guard, tps: impl Iterator<Item = &'t Tracepoint> + Clone, enoent_is_gone: bool) {
    let live = |tp: &&Tracepoint| matches!(tp.state.load(Ordering::Relaxed), REGISTERED | STALE);
    if !tps.clone().any(|tp| live(&tp)) {
        return;
    }
    if let h @ (Health::Closed | Health::Replaced) = descriptor::health() {
        lose_descriptor(g, h);
    }
    let temporary = if descriptor::fd() < 0 { descriptor::open_temporary() } else { None };
    let fd = temporary.as_ref().map_or_else(descriptor::fd, std::os::fd::AsRawFd::as_raw_fd);
    for tp in tps.filter(live) {
        match unregister_one(fd, tp) {
            Ok(()) => tp.state.store(UNREGISTERED, Ordering::Relaxed),
            Err(errno) if errno == libc::ENOENT && enoent_is_gone => tp.state.store(UNREGISTERED, Ordering::Relaxed),
            Err(errno) => fail_unregister(tp, errno),
        }
    }
    drop(temporary);
}

/// A library's code is going away: no write from it can follow, so its descriptor is closed (if still ours).
/// An executable keeps its descriptor, since a thread still running past exit could otherwise write into a
/// reused number.
fn close_if_library() {
    if in_shared_object() {
        descriptor::close();
    }
}

fn unregister_one(fd: i32, tp: &Tracepoint) -> Result<(), i32> {
    let (word, bit) = tp.kernel_bit();
    let unreg = UserUnreg {
        size: size_of::<UserUnreg>() as u32,
        disable_bit: bit,
        reserved: 0,
        reserved2: 0,
        disable_addr: word.as_ptr() as u64,
    };
    // SAFETY: unreg is a valid user_unreg naming a registration of this process.
    let rc = unsafe { libc::ioctl(fd, abi::DIAG_IOCSUNREG as _, &unreg) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    // The kernel clears the bit itself; clear it too in case it could not (e.g. the page was not writable).
    word.fetch_and(!(1 << bit), Ordering::Relaxed);
    Ok(())
}

/// The kernel keeps a registration we could not remove: the word must stay mapped, so a library pins itself
/// (glibc refuses a pin requested from inside `dlclose`, so this protects only what fails before unload).
fn fail_unregister(tp: &Tracepoint, errno: i32) {
    tp.state.store(STUCK, Ordering::Relaxed);
    let pinned = in_shared_object() && pin_library();
    status::add_problem(
        "unregistration failed",
        format!(
            "event '{}': DIAG_IOCSUNREG failed ({}); the kernel may still write its enable word{}",
            tp.name(),
            std::io::Error::from_raw_os_error(errno),
            if pinned { ", so this library stays loaded" } else { "" }
        ),
    );
}

/// Keeps this shared library mapped for the life of the process (`RTLD_NODELETE`).
fn pin_library() -> bool {
    let Some(ours) = image_of((&raw const LOCK).cast()) else { return false };
    if ours.dli_fname.is_null() {
        return false;
    }
    // SAFETY: dlopen with RTLD_NOLOAD only references an object already loaded: this one, by its loader name.
    !unsafe { libc::dlopen(ours.dli_fname, libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE) }.is_null()
}

/// True when this code runs inside a shared library rather than the main executable.
fn in_shared_object() -> bool {
    // SAFETY: getauxval has no preconditions; AT_PHDR is the executable's program headers.
    let phdr = unsafe { libc::getauxval(libc::AT_PHDR) } as *const libc::c_void;
    match (image_of((&raw const LOCK).cast()), image_of(phdr)) {
        (Some(ours), Some(main)) => ours.dli_fbase != main.dli_fbase,
        _ => false,
    }
}

/// The loaded object (executable or shared library) that holds `addr`.
fn image_of(addr: *const libc::c_void) -> Option<libc::Dl_info> {
    // SAFETY: Dl_info is plain data for dladdr to fill.
    let mut info: libc::Dl_info = unsafe { core::mem::zeroed() };
    // SAFETY: dladdr only reads loader tables; any address is valid to ask about.
    (unsafe { libc::dladdr(addr, &raw mut info) } != 0).then_some(info)
}
