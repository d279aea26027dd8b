//! Writes each event of the namespaced crate once.

fn main() {
    ue_namespaced_test::request(7);
    ue_namespaced_test::tick(8);
    ue_namespaced_test::BY_HAND.emit(&(9u8,));
}
