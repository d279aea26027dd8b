//! ue: static tracepoints on Linux user_events.
