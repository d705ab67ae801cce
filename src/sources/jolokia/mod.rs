//! JMX over HTTP (Jolokia): one bulk read per TaskManager per tick of Flink's JMX reporter
//! MBeans and the JVM's own, mapped to the same metric keys as the other sources.

pub mod poller;
pub mod read;

pub use poller::JolokiaPoller;
