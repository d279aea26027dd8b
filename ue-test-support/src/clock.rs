//! The benches' clock: the time-stamp counter, fine-grained in the test bed too, whose kernel clock falls back
//! to jiffies under TCG (`refined-jiffies`) when it finds the TSC unstable; calibrated once against
//! CLOCK_MONOTONIC_RAW over one second (ratios between rows do not depend on the calibration at all).

/// CLOCK_MONOTONIC_RAW in nanoseconds.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_RAW, &raw mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The time-stamp counter (on other architectures, [`now_ns`]).
pub fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: rdtsc has no preconditions on x86_64.
    return unsafe { std::arch::x86_64::_rdtsc() };
    #[cfg(not(target_arch = "x86_64"))]
    return now_ns();
}

/// Nanoseconds per tick, calibrated at the first call.
pub fn ns_per_tick() -> f64 {
    static CAL: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *CAL.get_or_init(|| {
        let (c0, t0) = (now_ns(), ticks());
        std::thread::sleep(std::time::Duration::from_secs(1));
        (now_ns() - c0) as f64 / (ticks() - t0) as f64
    })
}

/// Times `names.len()` rows, `run(j, n)` running row `j` for `n` calls: one warm-up of `iters / 10` calls
/// each, then `rounds` rounds, each timing every row once, rotated by one each round (so that no row always
/// follows another). Prints `figure ns.<name>.min` and `figure ns.<name>.median` (ns per call).
pub fn interleaved(rounds: usize, iters: u64, names: &[String], run: impl Fn(usize, u64)) {
    let scale = ns_per_tick();
    for j in 0..names.len() {
        run(j, iters / 10);
    }
    let mut t = vec![Vec::new(); names.len()];
    for r in 0..rounds {
        for k in 0..names.len() {
            let j = (r + k) % names.len();
            let t0 = ticks();
            run(j, iters);
            t[j].push((ticks() - t0) as f64 * scale / iters as f64);
        }
    }
    for (name, v) in names.iter().zip(&mut t) {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        println!("figure ns.{name}.min {min:.3}");
        println!("figure ns.{name}.median {:.3}", median(v));
    }
}

/// The median (of an even count, the midpoint of the middle two).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    }
}
