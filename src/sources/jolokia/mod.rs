//! JMX over HTTP (Jolokia): one bulk read per TaskManager per tick of Flink's JMX reporter
//! MBeans and the JVM's own, mapped to the same metric keys as the other sources.

pub(crate) mod poller;
pub mod read;

pub(crate) use poller::JolokiaPoller;
