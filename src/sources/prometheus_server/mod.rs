//! A Prometheus server, for fleets that outgrow per-TaskManager polling: one PromQL instant
//! query per metric key per group per tick, aggregated by Prometheus (`sum`, `avg`, `max`),
//! so the cost does not grow with the number of TaskManagers. With an offset the queries
//! read the past ("the baseline is last week, same hour").

pub(crate) mod poller;
pub(crate) mod queries;

pub(crate) use poller::ServerPoller;
