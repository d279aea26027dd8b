//! The lifecycle: register every tracepoint before `main` (or when a shared library loads), renew the
//! registrations when the program closed or replaced our descriptor, unregister at exit (or unload), stay
//! consistent across fork.
//!
//! Invariants:
//! - A tracepoint's `write_index` is stored before its descriptor (Release), which is -1 unless REGISTERED; the
//!   write path loads the descriptor (Acquire) before the index, since the kernel may set the enable bit during
//!   DIAG_IOCSREG, before the index is known (tracepoint.rs).
//! - Registrations belong to the process (its mm), not to a descriptor: once our descriptor is lost, the kernel
//!   keeps flipping the words of STALE tracepoints, and unregistering them works through any new descriptor.
//! - Every step runs under the registration lock (lock.rs); the write path never waits for it.
//! - This module owns the list of every tracepoint of the image ([`all`]): the anchor, the static ones
//!   (`TRACEPOINTS`), and the run-time ones alive (dynamic.rs lists and unlists them here, under the lock); a
//!   run-time one is freed only after its registration is gone.
//! - The kernel keeps a process's registrations in a context it attaches to the registering thread and shares
//!   only with the threads created after it; a thread created before gets a context of its own at its first
//!   registration, which dies with that thread and which no other thread can unregister from. So the thread
//!   that loads the image (the main thread, before `main`, for an executable) registers first: the static
//!   tracepoints, or [`ANCHOR`] when none of them is registered. Every thread created afterwards, and every
//!   tracepoint it registers, then shares that one context.

use crate::descriptor::{self, Health};
use crate::lock::{self, Guard};
use crate::tracepoint::{Tracepoint, TRACEPOINTS};
use crate::{counters, problems, sys, tracefs};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether this image's fork handlers are installed.
static ATFORK: AtomicBool = AtomicBool::new(false);
/// Set by each registration pass (a full pass or a renewal), taken by whoever logs once the lock is released.
static PASSED: AtomicBool = AtomicBool::new(false);

/// Whether a registration pass ran since the last call.
pub(crate) fn take_pass() -> bool {
    PASSED.swap(false, Ordering::Relaxed)
}

extern "C" fn atfork_prepare() {
    lock::hold_for_fork();
}

/// After `fork`, in parent and child: every enable word's page is made private again (fork made it
/// copy-on-write, and the kernel could only set a bit there from a work item, later), then the lock is released.
/// Without the lock (the forking thread held it), the run-time tracepoints cannot be listed: only the others.
extern "C" fn atfork_release() {
    let g = lock::held_for_fork();
    match &g {
        Some(g) => all(g).for_each(Tracepoint::own_word),
        None => std::iter::once(&ANCHOR).chain(TRACEPOINTS.iter().map(|tp| &**tp)).for_each(Tracepoint::own_word),
    }
    drop(g);
}

/// Installs the fork handlers, once per image: fork happens with the registration lock held, and the enable
/// words are this process's own right after it. A flag, not a `Once`: the image's constructor is the one caller,
/// and a `Once` would bring its own code page into every start-up.
pub(crate) fn install_fork_handlers() {
    if !ATFORK.swap(true, Ordering::Relaxed) {
        sys::at_fork(atfork_prepare, atfork_release, atfork_release);
    }
}

/// An event without fields, registered when no static tracepoint is (see the invariants above); not counted in
/// the status.
static ANCHOR: Tracepoint = Tracepoint::new(c"ue_runtime");

/// The run-time tracepoints alive, changed only under the registration lock.
struct Live(std::cell::UnsafeCell<Vec<NonNull<Tracepoint>>>);
// SAFETY: accessed only under the registration lock.
unsafe impl Sync for Live {}
static LIVE: Live = Live(std::cell::UnsafeCell::new(Vec::new()));

/// Lists a run-time tracepoint and registers it (dynamic.rs). It must stay alive until [`unlist`] removes it.
pub(crate) fn list_created(g: &Guard, tp: NonNull<Tracepoint>) {
    // SAFETY: LIVE is changed only under the lock, which the guard proves held.
    unsafe { (*LIVE.0.get()).push(tp) };
    // SAFETY: the caller keeps tp alive while listed.
    register_created(g, unsafe { tp.as_ref() });
}

/// Removes a run-time tracepoint from the list (its registration is gone, dynamic.rs frees it next).
pub(crate) fn unlist(_: &Guard, tp: NonNull<Tracepoint>) {
    // SAFETY: LIVE is changed only under the lock, which the guard proves held.
    unsafe { (*LIVE.0.get()).retain(|t| *t != tp) };
}

/// Every tracepoint of this image: the anchor, the static ones, then the run-time ones alive; the guard keeps
/// the list and the run-time tracepoints unchanged while borrowed.
fn all(_: &Guard) -> impl Iterator<Item = &Tracepoint> + Clone {
    // SAFETY: the list and its tracepoints change only under the lock, which the caller holds for the borrow.
    let live = unsafe { (*LIVE.0.get()).iter().map(|tp| tp.as_ref()) };
    std::iter::once(&ANCHOR).chain(TRACEPOINTS.iter().map(|tp| &**tp)).chain(live)
}

/// (registered, declared) over every tracepoint of this image; the static ones only when called from a signal
/// handler that interrupted this thread's registration.
pub(crate) fn counts() -> (usize, usize) {
    let count = |it: &mut dyn Iterator<Item = &Tracepoint>| {
        it.fold((0, 0), |(r, d), tp| (r + usize::from(tp.is_registered()), d + 1))
    };
    match lock::lock() {
        Some(g) => count(&mut all(&g).skip(1)), // not the anchor
        None => count(&mut TRACEPOINTS.iter().map(|tp| &**tp)),
    }
}

/// Checks the descriptor, renews stale registrations and registers every tracepoint not registered yet, opening
/// `user_events_data` if needed. Idempotent; returns at once when called from a signal handler that interrupted
/// this thread's own registration.
pub(crate) fn register_all() {
    let Some(g) = lock::lock() else { return };
    PASSED.store(true, Ordering::Relaxed);
    if let h @ (Health::Closed | Health::Replaced) = descriptor::health() {
        lose_descriptor(&g, h);
    }
    if descriptor::fd() < 0 {
        match descriptor::open() {
            Ok((_, path)) => problems::set_available(path),
            Err(why) => return problems::set_unavailable(why),
        }
    }
    let fd = descriptor::fd();
    renew_stale(&g, fd);
    register_new(&g, fd);
}

/// Registers a run-time tracepoint just listed, renewing the others first if the descriptor was lost. Opens
/// nothing when user_events was unavailable: the next `init()` registers it with the rest.
fn register_created(g: &Guard, tp: &Tracepoint) {
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
    !tp.is_stuck()
}

/// The write path saw a write fail: if the descriptor was closed or replaced, renew everything through a new
/// one. Never waits (another thread registering will see the loss itself); allocates only to report an error.
pub(crate) fn after_failed_write(fd_used: i32) {
    let Some(g) = lock::try_lock() else { return };
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
    PASSED.store(true, Ordering::Relaxed);
    lose_descriptor(g, h);
    match descriptor::reopen() {
        Ok(fd) => renew_stale(g, fd),
        Err(errno) => problems::set_unavailable(format!(
            "the program closed or replaced the runtime's user_events_data descriptor, and reopening it failed \
             ({}); call ue_runtime::init() to retry",
            std::io::Error::from_raw_os_error(errno)
        )),
    }
}

/// Forgets a descriptor the program closed or replaced (never closing it: the number is the program's now)
/// and marks its registrations stale, so no write goes out until they are renewed.
fn lose_descriptor(g: &Guard, h: Health) {
    counters::count_lost(h == Health::Replaced);
    for tp in all(g) {
        tp.mark_stale();
    }
    descriptor::forget();
}

/// Renews each stale registration through `fd`: unregister the old one (the kernel refuses a second
/// registration of the same word), register again. Allocates nothing unless a renewal fails.
fn renew_stale(g: &Guard, fd: i32) {
    let mut renewed = false;
    for tp in all(g).filter(|tp| tp.is_stale()) {
        renewed = true;
        if let Err(errno) = sys::unregister(fd, tp.word_ptr(), tp.enable_bit()) {
            if errno != sys::ENOENT {
                fail_unregister(tp, errno);
                continue;
            }
        }
        if let Err((kind, why)) = register_one(fd, tp) {
            fail(tp, kind, why);
        }
    }
    if renewed {
        counters::count_recovered();
    }
}

/// Registers every tracepoint not registered yet: one ioctl each and nothing else (start-up runs this for
/// every site of the image). A name declared with two formats in this image is told apart from a conflict
/// with another process only when the kernel refuses one (EADDRINUSE), by a scan for the other declaration.
/// The anchor is registered only when no static tracepoint is, before the run-time ones (the invariant above).
fn register_new(g: &Guard, fd: i32) {
    let register = |tp: &Tracepoint| {
        if let Err((kind, why)) = register_one(fd, tp) {
            fail(tp, kind, why);
        }
    };
    TRACEPOINTS.iter().filter(|tp| tp.is_new()).for_each(|tp| register(tp));
    if ANCHOR.is_new() && !TRACEPOINTS.iter().any(|tp| tp.is_live()) {
        register(&ANCHOR);
    }
    all(g).skip(1 + TRACEPOINTS.len()).filter(|tp| tp.is_new()).for_each(register);
}

/// Another static tracepoint of this image registered under `tp`'s name with another format.
fn declared_twice(tp: &Tracepoint) -> Option<&'static str> {
    TRACEPOINTS
        .iter()
        .find_map(|o| (o.is_registered() && o.name() == tp.name() && o.format() != tp.format()).then(|| o.format()))
}

/// Set once the kernel refused USER_EVENT_REG_MULTI_FORMAT: multi-format tracepoints then register with one
/// format.
static MULTI_FORMAT_UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// Whether `tp` is (or will be) registered with USER_EVENT_REG_MULTI_FORMAT.
pub(crate) fn registers_multi_format(tp: &Tracepoint) -> bool {
    tp.is_multi_format() && !MULTI_FORMAT_UNSUPPORTED.load(Ordering::Relaxed)
}

fn fail(tp: &Tracepoint, kind: &'static str, why: String) {
    tp.mark_failed();
    problems::add(kind, why);
}

/// DIAG_IOCSREG: the write index, or the errno.
fn ioctl_register(fd: i32, tp: &Tracepoint, flags: u16) -> Result<u32, i32> {
    // The word and text stay mapped until unregistered: at unload, or before a run-time tracepoint is freed.
    // SAFETY: so the memory the registration names outlives it.
    unsafe { sys::register(fd, tp.word_ptr(), tp.enable_bit(), tp.desc_cstr(), flags) }
}

fn register_one(fd: i32, tp: &Tracepoint) -> Result<(), (&'static str, String)> {
    let multi = registers_multi_format(tp);
    let mut result = ioctl_register(fd, tp, if multi { ue_abi::USER_EVENT_REG_MULTI_FORMAT } else { 0 });
    if multi && result == Err(sys::EINVAL) {
        // Kernels before multi-format events refuse the unknown flag: fall back to one format, if that works.
        if let Ok(index) = ioctl_register(fd, tp, 0) {
            MULTI_FORMAT_UNSUPPORTED.store(true, Ordering::Relaxed);
            problems::add(
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
            tp.publish(fd, index);
            return Ok(());
        }
        Err(e) => e,
    };
    let name = tp.name();
    Err(match err {
        sys::EADDRINUSE if declared_twice(tp).is_some() => (
            "format declared twice in this program",
            format!(
                "event '{name}' is declared with two formats in this program: '{}' and '{}'",
                declared_twice(tp).unwrap_or_default(),
                tp.format()
            ),
        ),
        sys::EADDRINUSE => (
            "format differs from the kernel's",
            format!(
                "event '{name}': declared here as '{}', but the kernel already has it{} (EADDRINUSE)",
                tp.format(),
                problems::data_file()
                    .and_then(|data| tracefs::kernel_format(&data, name))
                    .map_or_else(|| " with another format".into(), |f| format!(" as '{f}'"))
            ),
        ),
        sys::EINVAL if tracefs::kernel_predates_remote_write() => (
            "kernel too old",
            format!("event '{name}': this kernel's user_events predates the remote-write ABI of Linux 6.4 (EINVAL)"),
        ),
        sys::EINVAL => {
            ("rejected by the kernel", format!("event '{name}': the kernel rejected '{}' (EINVAL)", tp.desc()))
        }
        sys::EMFILE | sys::ENOMEM => (
            "kernel limit reached (see sysctl kernel.user_events_max)",
            format!("event '{name}': kernel limit reached ({}; see sysctl kernel.user_events_max)", os_error(err)),
        ),
        _ => ("registration failed", format!("event '{name}': DIAG_IOCSREG failed: {}", os_error(err))),
    })
}

/// Unregisters every registration of this image, so the kernel never writes into memory that is gone. Works
/// through a temporary descriptor when the program closed or replaced ours.
pub(crate) fn unregister_all() {
    let Some(g) = lock::lock() else { return };
    unregister_each(&g, all(&g), true);
    close_if_library();
}

/// Unregisters `tps`; `ENOENT` counts as done when `enoent_is_gone` (at exit: no context of ours has it).
fn unregister_each<'t>(g: &Guard, tps: impl Iterator<Item = &'t Tracepoint> + Clone, enoent_is_gone: bool) {
    if !tps.clone().any(Tracepoint::is_live) {
        return;
    }
    if let h @ (Health::Closed | Health::Replaced) = descriptor::health() {
        lose_descriptor(g, h);
    }
    let temporary = if descriptor::fd() < 0 { descriptor::open_temporary() } else { None };
    let fd = temporary.as_ref().map_or_else(descriptor::fd, descriptor::Temporary::fd);
    for tp in tps.filter(|tp| tp.is_live()) {
        match sys::unregister(fd, tp.word_ptr(), tp.enable_bit()) {
            // The kernel clears the bit itself; clear it too in case it could not (the page was not writable).
            Ok(()) => {
                tp.clear_enable_bit();
                tp.mark_unregistered();
            }
            Err(sys::ENOENT) if enoent_is_gone => tp.mark_unregistered(),
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

/// The kernel keeps a registration we could not remove: the word must stay mapped, so a library pins itself
/// (glibc refuses a pin requested from inside `dlclose`, so this protects only what fails before unload).
fn fail_unregister(tp: &Tracepoint, errno: i32) {
    tp.mark_stuck();
    let pinned = in_shared_object() && sys::pin_library(image_address());
    problems::add(
        "unregistration failed",
        format!(
            "event '{}': DIAG_IOCSUNREG failed ({}); the kernel may still write its enable word{}",
            tp.name(),
            os_error(errno),
            if pinned { ", so this library stays loaded" } else { "" }
        ),
    );
}

/// An address inside this image.
fn image_address() -> *const u8 {
    (&raw const ANCHOR).cast()
}

/// True when this code runs inside a shared library rather than the main executable.
fn in_shared_object() -> bool {
    sys::in_shared_object(image_address())
}

fn os_error(errno: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(errno)
}
