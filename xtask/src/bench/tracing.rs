//! Section 5 of BENCHMARKS.md: the ue-tracing layer (benches/tracing_layer.rs prints its own tables).

use crate::sys::{self, Result};
use crate::vm;
use std::process::Command;

pub fn section() -> Result<String> {
    let bench = super::bench_executable("tracing_layer")?;
    sys::step("the tracing layer: disabled events on the host");
    let host = sys::output(&mut Command::new(&bench))?;
    sys::step("the tracing layer: enabled events in the test bed");
    let mut bed = String::new();
    vm::run(&[bench.to_string_lossy().into_owned(), "--enabled".into()], &mut |l| {
        if l.starts_with('|') {
            bed.push_str(l);
            bed.push('\n');
        }
    })?;
    let ns = |label: &str| -> Option<f64> {
        host.lines().find(|l| l.starts_with(&format!("| {label} |")))?.split('|').nth(2)?.trim().parse().ok()
    };
    let target = match (ns("tracing, no subscriber"), ns("ue-tracing layer, nobody tracing")) {
        (Some(none), Some(layer)) => {
            let alone = ns("ue-tracing alone (`layer().try_init()`), nobody tracing").unwrap_or(f64::NAN);
            let bare = ns("floor: a bare subscriber answering `sometimes`, then `false`").unwrap_or(f64::NAN);
            let some = ns("floor: a layer on the registry answering `sometimes`, then `false`").unwrap_or(f64::NAN);
            let mark = |r: f64| if r <= 2.0 { "met".to_string() } else { format!("**missed** by {:.1}×", r - 2.0) };
            format!(
                "Target (min): a disabled `info!` at most 2× tracing with no subscriber: the layer beside others {:.1}× \
                 ({}); ue alone {:.1}× ({}). The floors: a subscriber that may want an event at any time (a \
                 callsite of interest `sometimes`) and refuses it at once costs {:.1}× bare, {:.1}× as a layer \
                 on the registry, so no layer that stays exact meets 2×; ue alone is {:.2}× the layer floor.\n\n",
                layer / none,
                mark(layer / none),
                alone / none,
                mark(alone / none),
                bare / none,
                some / none,
                alone / some,
            )
        }
        _ => String::new(),
    };
    Ok(format!(
        "\n## 5. The `tracing` layer (benches/tracing_layer.rs)\n\n\
         One `info!` with three fields (`u64`, `i64`, 15-byte `&str`), each case in its own process with its \
         subscriber as the global default. Allocations counted by a global allocator over all the calls of the measuring thread.\n\n\
         Each case runs in processes of its own (5 on the host, 3 in the test bed), interleaved and rotated with \
         the other cases'; min and median over those processes.\n\n\
         Disabled, on the host (nobody traces; each process the best of 5 rounds of 20 M calls):\n\n{host}\n{target}\
         Enabled, in the test bed (event enabled through tracefs; each process the median of 7 rounds of 20,000 \
         events):\n\n{bed}\n\
         - Disabled: tracing with no subscriber skips the site on its cached `Interest::never`. With the layer, \
         the callsite's interest is `sometimes`, so `tracing` asks the subscriber for each event; \
         tracing_subscriber's registry disables an event globally only when all of 64 possible per-layer \
         filters did (`FilterMap::any_enabled`), so behind ue's per-layer filter the event is still built and \
         dispatched to every layer, which skips it (nothing is formatted). Alone (`layer().try_init()` or \
         `.dispatch()`), the layer answers as a global filter: one lookup of the callsite and one enable-word \
         check, and the event is not built. What is left is tracing's own dispatch of a `sometimes` callsite. \
         A cached `never` would cost what no subscriber costs, but the kernel sets an enable word without \
         telling the program, so nothing could rebuild the interest when a tracer attaches: every event from \
         then on would be lost. tracing-etw answers from its provider's per-level state behind more \
         machinery.\n\
         - Enabled: ue formats into a stack buffer and writes plain tracefs fields in one `writev`; tracing-etw \
         builds an EventHeader record on the heap. Compare with section 2 for the cost of `tracing` itself over \
         a `tracepoint!`.\n"
    ))
}
