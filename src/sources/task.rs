//! Running sources as tokio tasks: one per endpoint, each on its own interval, sending
//! owned results on the shared channel. The UI never awaits the network.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::flink_rest::RestPoller;
use super::flink_rest::settings::SettingsReader;
use super::host::HostPoller;
use super::host::assign::{self, Known, Members};
use super::http::Endpoint;
use super::jolokia::JolokiaPoller;
use super::prometheus::poller::PromPoller;
use super::prometheus_server::ServerPoller;
use super::{SourceError, SourceId, SourceKind};
use crate::config::{Config, GroupConfig, HttpSettings, RestUrl, Settings};
use crate::event::Event;
use crate::model::Group;

/// Tells the sources whether the drill-down table is open (then they fetch per-TaskManager rows).
pub(crate) type DetailSwitch = watch::Sender<bool>;

pub(crate) struct Spawned {
    pub(crate) handles: Vec<JoinHandle<()>>,
    pub(crate) detail: DetailSwitch,
    /// The TaskManager ids (and REST's data ports) each group's sources reported, for the
    /// host source to tell whose local processes are whose.
    pub(crate) taskmanagers: watch::Sender<[Known; 2]>,
    /// Groups whose series come from a recording: their TaskManagers are not this host's
    /// now, even where one of the same id runs here.
    recorded: [bool; 2],
}

impl Spawned {
    /// Publishes the groups' TaskManager ids and data ports when they changed.
    pub(crate) fn publish_taskmanagers(&self, store: &crate::model::Store) {
        let now = Group::BOTH.map(|g| {
            let d = store.group(g);
            if self.recorded[g.index()] {
                return Known::default();
            }
            Known { ids: d.taskmanagers.clone(), data_ports: d.data_ports.clone() }
        });
        self.taskmanagers.send_if_modified(|known| {
            let changed = *known != now;
            if changed {
                *known = now;
            }
            changed
        });
    }
}

/// Starts a poller for each source of each group (REST, Prometheus endpoints, Prometheus
/// server, Jolokia) and one for this host. A source whose setup fails (unreadable CA file,
/// missing token variable) reports that failure on every tick instead of stopping the app.
pub(crate) fn spawn_all(config: &Config, tx: mpsc::Sender<Event>) -> Spawned {
    let (detail, detail_rx) = watch::channel(false);
    let mut handles = Vec::new();
    for (group, g) in [(Group::Baseline, &config.baseline), (Group::Variant, &config.variant)] {
        let interval = g.interval.map_or(config.settings.interval.0, |d| d.0);
        let deadline = config.settings.http.request_timeout.0 * 3;
        if let Some(flink) = &g.flink {
            let id = SourceId { group, kind: SourceKind::FlinkRest };
            let setup = build_poller(flink, g, &config.settings.http).map(|p| Poller::Rest(Box::new(p)));
            handles.push(tokio::spawn(run(id, setup, interval, deadline, tx.clone(), detail_rx.clone())));
            let reader = Endpoint::new(&flink.0, &g.auth, &g.tls, &config.settings.http)
                .map(|e| SettingsReader::new(e, g.taskmanagers.clone()));
            handles.push(tokio::spawn(run_settings(group, reader, tx.clone())));
        }
        if !g.prometheus.is_empty() {
            let id = SourceId { group, kind: SourceKind::Prometheus };
            let setup = build_prometheus(g, &config.settings, interval).map(Poller::Prometheus);
            handles.push(tokio::spawn(run(id, setup, interval, deadline, tx.clone(), detail_rx.clone())));
        }
        if let Some(p) = &g.prometheus_server {
            let id = SourceId { group, kind: SourceKind::PrometheusServer };
            let setup = build_server(p, g, &config.settings).map(Poller::Server);
            handles.push(tokio::spawn(run(id, setup, interval, deadline, tx.clone(), detail_rx.clone())));
        }
        if !g.jolokia.is_empty() {
            let id = SourceId { group, kind: SourceKind::Jolokia };
            let setup = g
                .jolokia
                .iter()
                .map(|u| Endpoint::new(&u.0, &g.auth, &g.tls, &config.settings.http))
                .collect::<Result<Vec<_>, _>>()
                .map(|e| Poller::Jolokia(JolokiaPoller::new(e, g.taskmanagers.clone(), interval)));
            handles.push(tokio::spawn(run(id, setup, interval, deadline, tx.clone(), detail_rx.clone())));
        }
    }
    let (taskmanagers, known) = watch::channel([Known::default(), Known::default()]);
    if config.settings.host.enabled {
        let patterns = [config.baseline.taskmanagers.clone(), config.variant.taskmanagers.clone()];
        let poller = HostPoller::new(config.settings.host.interfaces.clone());
        handles.push(tokio::spawn(run_host(poller, patterns, known, config.settings.interval.0, tx.clone())));
    }
    let recorded = [config.baseline.recording.is_some(), config.variant.recording.is_some()];
    Spawned { handles, detail, taskmanagers, recorded }
}

/// How often a group's settings are read again: they change only when a TaskManager or
/// the job is replaced, and a read asks for every new TaskManager's log.
pub(crate) const SETTINGS_EVERY: Duration = Duration::from_secs(60);

/// Reads a group's settings at start and every `SETTINGS_EVERY`; a failed read is tried
/// again sooner.
async fn run_settings(group: Group, reader: Result<SettingsReader, SourceError>, tx: mpsc::Sender<Event>) {
    let mut reader = match reader {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Event::Settings(group, Err(e))).await;
            return;
        }
    };
    loop {
        let result = match tokio::time::timeout(SETTINGS_EVERY, reader.read()).await {
            Ok(r) => r,
            Err(_) => Err(SourceError::Timeout(SETTINGS_EVERY)),
        };
        let pause = if result.is_ok() { SETTINGS_EVERY } else { SETTINGS_EVERY / 4 };
        if let Err(e) = &result {
            tracing::warn!(group = group.as_str(), error = %e, "reading the settings failed");
        }
        if tx.send(Event::Settings(group, result.map(Box::new))).await.is_err() {
            return;
        }
        tokio::time::sleep(pause).await;
    }
}

/// The host source: one reading per tick, sent to each group that has TaskManagers here.
async fn run_host(
    poller: HostPoller,
    patterns: [Option<crate::config::TmPattern>; 2],
    known: watch::Receiver<[Known; 2]>,
    interval: Duration,
    tx: mpsc::Sender<Event>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut poller = Some(poller);
    let mut had_data = [false; 2];
    loop {
        ticker.tick().await;
        let Some(mut p) = poller.take() else { return };
        let members = {
            let k = known.borrow();
            [0, 1].map(|i| Members { pattern: patterns[i].clone(), known: k[i].clone() })
        };
        let Ok((p, result, members)) = tokio::task::spawn_blocking(move || {
            let r = p.poll(&members);
            (p, r, members)
        })
        .await
        else {
            return;
        };
        poller = Some(p);
        let results: [Option<Result<crate::model::Batch, SourceError>>; 2] = match result {
            Ok(sample) => assign::batches(&sample, &members, interval).map(|b| b.map(Ok)),
            Err(e) => {
                tracing::warn!(error = %e, "reading this host failed");
                // Only a group that had figures from here has lost them.
                had_data.map(|had| had.then(|| Err(e.clone())))
            }
        };
        for (g, r) in Group::BOTH.into_iter().zip(results) {
            let Some(r) = r else { continue };
            had_data[g.index()] |= r.is_ok();
            if tx.send(Event::Sample(SourceId { group: g, kind: SourceKind::Host }, r.map(Box::new))).await.is_err() {
                return;
            }
        }
    }
}

/// One source's poller.
pub(crate) enum Poller {
    Rest(Box<RestPoller>),
    Prometheus(PromPoller),
    Jolokia(JolokiaPoller),
    Server(ServerPoller),
}

impl Poller {
    async fn poll(&mut self, detail: bool) -> Result<crate::model::Batch, SourceError> {
        match self {
            Poller::Rest(p) => p.poll(detail).await,
            Poller::Prometheus(p) => p.poll(detail).await,
            Poller::Jolokia(p) => p.poll().await,
            Poller::Server(p) => p.poll().await,
        }
    }
}

/// The Prometheus endpoints of a group share its auth/TLS settings.
pub fn build_prometheus(g: &GroupConfig, s: &Settings, interval: Duration) -> Result<PromPoller, SourceError> {
    let endpoints =
        g.prometheus.iter().map(|u| Endpoint::new(&u.0, &g.auth, &g.tls, &s.http)).collect::<Result<Vec<_>, _>>()?;
    Ok(PromPoller::new(endpoints, g.taskmanagers.clone(), s.host.interfaces.clone(), interval))
}

pub(crate) fn build_server(
    p: &crate::config::PromServerConfig,
    g: &GroupConfig,
    s: &Settings,
) -> Result<ServerPoller, SourceError> {
    use super::prometheus_server::queries::Selector;
    let tms = Selector::new(&p.selector).map_err(SourceError::Setup)?;
    let job = Selector::new(p.job_selector.as_deref().unwrap_or(&p.selector)).map_err(SourceError::Setup)?;
    let endpoint = Endpoint::new(&p.url.0, &g.auth, &g.tls, &s.http)?;
    let offset = p.offset.map(|d| d.0);
    Ok(ServerPoller::new(endpoint, &tms, &job, p.rate_window.0, offset, p.scrape_interval.0, s.window.0))
}

pub fn build_poller(flink: &RestUrl, g: &GroupConfig, http: &HttpSettings) -> Result<RestPoller, SourceError> {
    let endpoint = Endpoint::new(&flink.0, &g.auth, &g.tls, http)?;
    Ok(RestPoller::new(endpoint, g.taskmanagers.clone(), g.jobs.clone()))
}

async fn run(
    id: SourceId,
    setup: Result<Poller, SourceError>,
    interval: Duration,
    deadline: Duration,
    tx: mpsc::Sender<Event>,
    detail: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut poller = match setup {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(source = %id.name(), error = %e, "source setup failed");
            loop {
                ticker.tick().await;
                if tx.send(Event::Sample(id, Err(e.clone()))).await.is_err() {
                    return;
                }
            }
        }
    };
    loop {
        ticker.tick().await;
        let want_detail = *detail.borrow();
        // Each request has its own timeout; this bounds a poll of many slow answers.
        let result = match tokio::time::timeout(deadline, poller.poll(want_detail)).await {
            Ok(r) => r.map(Box::new),
            Err(_) => Err(SourceError::Timeout(deadline)),
        };
        if let Err(e) = &result {
            tracing::warn!(source = %id.name(), error = %e, "poll failed");
        }
        if tx.send(Event::Sample(id, result)).await.is_err() {
            return; // the app has gone
        }
    }
}
