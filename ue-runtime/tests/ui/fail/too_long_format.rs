use ue_runtime::tracepoint;

fn main() {
    // Names fit, but with their types the registration text passes 512 bytes.
    tracepoint!(
        long_format,
        field_number_00: &str = "", field_number_01: &str = "", field_number_02: &str = "",
        field_number_03: &str = "", field_number_04: &str = "", field_number_05: &str = "",
        field_number_06: &str = "", field_number_07: &str = "", field_number_08: &str = "",
        field_number_09: &str = "", field_number_10: &str = "", field_number_11: &str = "",
        field_number_12: &str = "", field_number_13: &str = "", field_number_14: &str = "",
    );
}
