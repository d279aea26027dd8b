//! The layer where user_events is missing (this host, without the bed): the program runs, every event still
//! reaches the other layers, and the status says why nothing is traced. Where user_events exists (the bed, or
//! `cargo xtask test --host`) the same program registers its callsites instead.

use tracing::{info, warn};
use tracing_subscriber::prelude::*;
use ue_test_support::Captured;

#[test]
fn events_reach_the_other_layers_and_the_status_says_why() {
    let out = Captured::default();
    let w = out.clone();
    let sub = tracing_subscriber::registry()
        .with(ue_tracing::layer().with_span_close(true))
        .with(tracing_subscriber::fmt::layer().with_writer(move || w.clone()).with_ansi(false));
    let st = tracing::subscriber::with_default(sub, || {
        let span = tracing::info_span!("host_span", id = 1u64);
        let _e = span.enter();
        for i in 0..3u64 {
            info!(i, user = "ada", "hello {i}");
            warn!(flag = true, "careful");
        }
        ue_tracing::status()
    });
    let text = out.text();
    for i in 0..3 {
        assert!(text.contains(&format!("hello {i} i={i} user=\"ada\"")), "fmt saw event {i}:\n{text}");
    }
    assert_eq!(text.matches("careful flag=true").count(), 3, "{text}");
    match &st.unavailable {
        Some(why) => {
            assert!(!why.is_empty());
            assert!(st.to_string().starts_with("user_events unavailable, all tracepoints disabled: "), "{st}");
            assert_eq!(st.registered, 0, "{st}");
        }
        None => assert!(st.is_ok() && st.registered == 3, "user_events is here: the callsites registered: {st}"),
    }
    // This binary declares no static tracepoint: what the status counts is the layer's.
    assert_eq!(st.declared, 3, "the two event callsites and the span are run-time tracepoints while the layer lives");
    assert_eq!(ue_tracing::status().declared, 0, "and are dropped with it");
}
