//! Prints the Jolokia bulk read flinkscope sends, for scripts/capture-fixtures.sh.
fn main() {
    println!("{}", flinkscope::sources::jolokia::read::request());
}
