//! The command line. Every flag overrides the config file's value.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, ConfigError, GroupConfig, Loaded, RestUrl, Settings, TmPattern};

const ABOUT: &str =
    "Watch a baseline and a variant group of Flink TaskManagers side by side during a network-tuning canary.";

const AFTER_HELP: &str = "\
WHAT TO WATCH (one of):
  two clusters:     flinkscope --baseline http://127.0.0.1:8081 --variant http://127.0.0.1:8082
  one cluster split by TaskManager id:
                    flinkscope --flink http://127.0.0.1:8083 --baseline-tm '^tm-base' --variant-tm '^tm-var'
  a config file:    flinkscope --config flinkscope.toml   (see config.example.toml)
Without --config, ./flinkscope.toml is read if present, then $XDG_CONFIG_HOME/flinkscope/config.toml.
Credentials and TLS (basic auth, bearer token, CA bundle, client certificate) are set per group in the
config file; secrets come from files or environment variables, never from the command line.

LOGS go to a file, never to the screen: --log-file, else $XDG_STATE_HOME/flinkscope/flinkscope.log
(~/.local/state/flinkscope/flinkscope.log). RUST_LOG sets the level (default info).

EXIT CODES: 0 ok, 2 usage or config error, 3 runtime error (e.g. no terminal).
`check` exits 0 PASS, 1 FAIL, 3 INCONCLUSIVE or MARGINAL.
`settings` exits 0 all intended changes in effect, 1 one not in effect, 3 settings unreadable.";

/// `--version`: the release and the git commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("FLINKSCOPE_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(name = "flinkscope", version = VERSION, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub watch: WatchArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll for a while without a screen and print one JSON document (format: docs/config.md).
    Snapshot {
        /// How long to poll before printing.
        #[arg(long, default_value = "20s", value_parser = parse_duration)]
        duration: Duration,
    },
    /// Judge the canary without a screen: watch for DURATION (ending early on a hard failure),
    /// then print the verdict, every alert and a per-metric table. Exit 0 PASS, 1 FAIL,
    /// 3 INCONCLUSIVE or MARGINAL, 2 usage/config error.
    Check {
        /// How long to watch (a hard alert ends it early).
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        duration: Duration,
        /// text (a table) or json (the snapshot document with alerts and a verdict).
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Record headless for DURATION into FILE (a new file): every sample, source failure and
    /// alert, through source outages. SIGINT/SIGTERM end it cleanly. Exit 0 when the whole
    /// duration was recorded, 3 when writing failed.
    Record {
        /// How long to record.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        duration: Duration,
        /// The recording to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Play a recording through the dashboard (no network): the same panels, statistics and
    /// alerts. Space pauses, ←/→ seek 10 s, [/] change the speed.
    Replay {
        /// The recording.
        file: PathBuf,
        /// 1x, 10x, ... or max.
        #[arg(long, default_value = "1x", value_parser = crate::replay::Speed::parse)]
        speed: crate::replay::Speed,
        /// Start this far into the recording ("10m"); what came before is judged, not shown.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        from: Option<Duration>,
        /// Stop this far into the recording.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        to: Option<Duration>,
    },
    /// Write a recording out for other tools: JSON Lines (every record, as stored) or
    /// OpenMetrics text (every metric sample, for `promtool tsdb create-blocks-from openmetrics`).
    Export {
        /// The recording.
        file: PathBuf,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Where to write (default: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The test plan's one-page result from recordings: FILE... are runs of one
    /// configuration (pooled, counted as runs); with --matrix, one row per configuration
    /// (recordings named alike are pooled). The numbers are the live judgement's.
    Report {
        /// The recordings.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where to write the Markdown (default: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also write the same numbers as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// The decision matrix over several configurations instead of one page.
        #[arg(long)]
        matrix: bool,
    },
    /// Both groups' network settings side by side as their clusters report them, with what
    /// Flink ignores and what is not in effect. Exit 0 every intended change in effect,
    /// 1 an intended change not in effect, 3 a group's settings unreadable, 2 usage/config error.
    Settings {
        /// text (a table) or json (the settings document, docs/settings.md).
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// The test plan's pre-test checks a tool can make: every source reachable, both groups'
    /// jobs RUNNING, the rollback steps' programs and a dry run of their argv, the audit and
    /// evidence folders writable, the settings in effect, thresholds and stages. Exit 0 all
    /// pass, 1 one failed, 2 usage/config error.
    Preflight {
        /// How long to poll before judging what answered.
        #[arg(long, default_value = "20s", value_parser = parse_duration)]
        duration: Duration,
        /// text (one line per check) or json.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print a shell completion script: `flinkscope completions bash > /etc/bash_completion.d/flinkscope`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `flinkscope man | man -l -`. With --dir, write
    /// flinkscope.1 and one page per subcommand there.
    Man {
        /// Write the pages into this directory instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `completions` and `man`: generated from these definitions, so they never disagree with `--help`.
pub fn print_completions(shell: clap_complete::Shell) {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "flinkscope", &mut std::io::stdout());
}

/// The man page to standard output, or every page into `dir`.
pub fn write_man(dir: Option<&std::path::Path>) -> std::io::Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    match dir {
        None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout()),
        Some(d) => {
            std::fs::create_dir_all(d)?;
            clap_mangen::generate_to(cmd, d)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Openmetrics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args, Default)]
pub struct WatchArgs {
    /// Config file (TOML). Default: ./flinkscope.toml, then $XDG_CONFIG_HOME/flinkscope/config.toml.
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// REST URL of the baseline cluster's JobManager (pair mode).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) baseline: Option<RestUrl>,
    /// REST URL of the variant cluster's JobManager (pair mode).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) variant: Option<RestUrl>,
    /// REST URL of one cluster holding both groups (split mode; needs --baseline-tm and --variant-tm).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_url, conflicts_with_all = ["baseline", "variant"])]
    pub(crate) flink: Option<RestUrl>,
    /// A Prometheus text endpoint of the baseline group (repeat for each TaskManager's reporter).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) baseline_prometheus: Vec<RestUrl>,
    /// A Prometheus text endpoint of the variant group (repeat for each TaskManager's reporter).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) variant_prometheus: Vec<RestUrl>,
    /// A Jolokia agent of a baseline TaskManager, e.g. http://host:8778/jolokia (repeat for each).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) baseline_jolokia: Vec<RestUrl>,
    /// A Jolokia agent of a variant TaskManager (repeat for each).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_url)]
    pub(crate) variant_jolokia: Vec<RestUrl>,
    /// The baseline from a recording instead of live sources ("last week"): its series play
    /// on the live clock beside the live variant (docs/recordings.md).
    #[arg(long, global = true, value_name = "FILE", conflicts_with_all = ["baseline", "flink", "baseline_prometheus", "baseline_jolokia"])]
    pub(crate) baseline_from: Option<PathBuf>,
    /// The part of --baseline-from to use, from the recording's start: FROM..TO (e.g. 10m..40m).
    #[arg(long, global = true, value_name = "FROM..TO", value_parser = config::Window::parse, requires = "baseline_from")]
    pub(crate) baseline_window: Option<config::Window>,
    /// How --baseline-from meets the live clock: the window played from its start (looping),
    /// or each sample at its recorded time of day.
    #[arg(long, global = true, value_enum, requires = "baseline_from")]
    pub(crate) baseline_align: Option<config::Align>,
    /// Regex on TaskManager ids that selects the baseline group (e.g. '^tm-base').
    #[arg(long, global = true, value_name = "REGEX", value_parser = parse_pattern)]
    pub(crate) baseline_tm: Option<TmPattern>,
    /// Regex on TaskManager ids that selects the variant group (e.g. '^tm-var').
    #[arg(long, global = true, value_name = "REGEX", value_parser = parse_pattern)]
    pub(crate) variant_tm: Option<TmPattern>,
    /// The baseline's jobs: a regex on job names, or id:ID[,ID...] (default: every running job).
    #[arg(long, global = true, value_name = "REGEX|id:IDS", value_parser = config::JobSelector::parse)]
    pub(crate) baseline_jobs: Option<config::JobSelector>,
    /// The variant's jobs: a regex on job names, or id:ID[,ID...] (default: every running job).
    #[arg(long, global = true, value_name = "REGEX|id:IDS", value_parser = config::JobSelector::parse)]
    pub(crate) variant_jobs: Option<config::JobSelector>,
    /// The baseline's intended Flink configuration (config.yaml or flink-conf.yaml), compared
    /// with what its TaskManagers report.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) baseline_flink_config: Option<PathBuf>,
    /// The variant's intended Flink configuration (config.yaml or flink-conf.yaml).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) variant_flink_config: Option<PathBuf>,
    /// Poll interval of every source (default 1s).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) interval: Option<Duration>,
    /// Comparison window for means and % change (default 5m).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) window: Option<Duration>,
    /// How long samples are kept in memory (default 1h).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) retention: Option<Duration>,
    /// Colour theme: default, light, or a path to a theme TOML file. NO_COLOR turns colours off.
    #[arg(long, global = true, value_name = "NAME|FILE")]
    pub(crate) theme: Option<String>,
    /// Verdict weights for a workload type: default, throughput, latency, memory, cpu, bursty.
    #[arg(long, global = true, value_enum)]
    pub(crate) profile: Option<crate::analysis::verdict::Profile>,
    /// Block samples each group needs before a metric is judged (default 20).
    #[arg(long, global = true, value_name = "N")]
    pub(crate) min_samples: Option<usize>,
    /// Length of one statistics sample (default 10s; at least one Flink metrics refresh).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) block: Option<Duration>,
    /// The rollout stage to watch or judge (a name of [[rollout.stages]]): its scope is the
    /// variant, its criteria and triggers are judged (`check --stage`: exit 0 go, 1 roll back, 3 not yet).
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) stage: Option<String>,
    /// Hide the rollback action: for watchers who must not act.
    #[arg(long, global = true)]
    pub(crate) read_only: bool,
    /// Show and log the rollback steps without running them.
    #[arg(long, global = true)]
    pub(crate) dry_run: bool,
    /// Arm the automatic rollback: a hard alert starts a countdown (`c` cancels it).
    #[arg(long, global = true)]
    pub(crate) arm_auto_rollback: bool,
    /// Ignore HTTP_PROXY/HTTPS_PROXY/ALL_PROXY for every source.
    #[arg(long, global = true)]
    pub(crate) no_proxy: bool,
    /// Record everything seen (samples, source failures, alerts, rollback progress) to FILE,
    /// a new file (docs/recordings.md).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
    /// A label for the tested configuration (e.g. "T2.1 more network memory"), kept in
    /// recordings and reports.
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Mouse on the dashboard: click a panel to focus it, double-click to open it, the wheel
    /// scrolls the Settings table (off by default: the terminal's own text selection works).
    #[arg(long, global = true)]
    pub(crate) mouse: bool,
    /// No progress on stderr for check and record (there is none without a terminal either).
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    /// Log file (default $XDG_STATE_HOME/flinkscope/flinkscope.log).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) log_file: Option<PathBuf>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    config::parse_duration(s)
}
fn parse_url(s: &str) -> Result<RestUrl, String> {
    RestUrl::new(s)
}
fn parse_pattern(s: &str) -> Result<TmPattern, String> {
    TmPattern::new(s)
}

impl WatchArgs {
    /// Lays the flags over what the config file said.
    pub fn apply(&self, mut loaded: Loaded) -> Result<Loaded, ConfigError> {
        self.apply_settings(&mut loaded.settings)?;
        self.apply_groups(&mut loaded)?;
        Ok(loaded)
    }

    /// The flags that are the operator's, not the run's: theme and log file (a replay
    /// judges with the recording's settings).
    pub fn apply_display(&self, s: &mut Settings) -> Result<(), ConfigError> {
        if let Some(t) = &self.theme {
            s.theme = t.clone();
        }
        if let Some(p) = &self.log_file {
            s.log_file = Some(p.clone());
        }
        Ok(())
    }

    /// The flags that set what the file's top-level, `[analysis]` and `[rollback]` say.
    fn apply_settings(&self, s: &mut Settings) -> Result<(), ConfigError> {
        if let Some(d) = self.interval {
            s.interval = config::Dur(d);
        }
        if let Some(d) = self.window {
            s.window = config::Dur(d);
        }
        if let Some(d) = self.retention {
            s.retention = config::Dur(d);
        }
        if let Some(t) = &self.theme {
            s.theme = t.clone();
        }
        if let Some(p) = &self.log_file {
            s.log_file = Some(p.clone());
        }
        if let Some(p) = &self.record {
            s.record = Some(p.clone());
        }
        if let Some(n) = &self.name {
            s.name = Some(n.clone());
        }
        if self.no_proxy {
            s.http.no_proxy = true;
        }
        s.read_only |= self.read_only;
        if let Some(st) = &self.stage {
            s.stage = Some(st.clone());
        }
        s.quiet |= self.quiet;
        s.mouse |= self.mouse;
        s.dry_run |= self.dry_run;
        if self.arm_auto_rollback {
            match s.rollback.as_mut() {
                Some(r) => r.auto = true,
                None => {
                    return Err(ConfigError::Invalid(
                        "--arm-auto-rollback needs a [rollback] section with steps".into(),
                    ));
                }
            }
        }
        if let Some(p) = self.profile {
            s.analysis.profile = p;
            s.analysis.weights = None;
        }
        if let Some(n) = self.min_samples {
            s.analysis.judge.min_samples = n.max(2);
        }
        if let Some(b) = self.block {
            s.analysis.block = config::Dur(b);
        }
        Ok(())
    }

    /// The flags that name the groups' sources: `--flink` with two TaskManager patterns,
    /// or each group's URLs, patterns and settings file.
    fn apply_groups(&self, loaded: &mut Loaded) -> Result<(), ConfigError> {
        if self.flink.is_none()
            && (self.baseline_tm.is_some() || self.variant_tm.is_some())
            && self.baseline.is_none()
            && self.variant.is_none()
            && loaded.baseline.is_none()
        {
            return Err(ConfigError::Invalid(
                "--baseline-tm/--variant-tm need --flink URL (or --baseline/--variant)".into(),
            ));
        }
        if let Some(url) = &self.flink {
            let (Some(b), Some(v)) = (&self.baseline_tm, &self.variant_tm) else {
                return Err(ConfigError::Invalid(
                    "--flink needs both --baseline-tm REGEX and --variant-tm REGEX".into(),
                ));
            };
            loaded.baseline = Some(GroupConfig { taskmanagers: Some(b.clone()), ..GroupConfig::new(url.clone()) });
            loaded.variant = Some(GroupConfig { taskmanagers: Some(v.clone()), ..GroupConfig::new(url.clone()) });
        } else {
            if let Some(url) = &self.baseline {
                loaded.baseline = Some(override_url(loaded.baseline.take(), url));
            }
            if let Some(url) = &self.variant {
                loaded.variant = Some(override_url(loaded.variant.take(), url));
            }
            if let (Some(p), Some(g)) = (&self.baseline_tm, loaded.baseline.as_mut()) {
                g.taskmanagers = Some(p.clone());
            }
            if let (Some(p), Some(g)) = (&self.variant_tm, loaded.variant.as_mut()) {
                g.taskmanagers = Some(p.clone());
            }
        }
        if let Some(path) = &self.baseline_from {
            let rec =
                config::RecordedGroup::new(path.clone(), self.baseline_window, self.baseline_align.unwrap_or_default());
            loaded.baseline = Some(GroupConfig { recording: Some(rec), ..GroupConfig::default() });
        }
        for (jobs, g) in [(&self.baseline_jobs, &mut loaded.baseline), (&self.variant_jobs, &mut loaded.variant)] {
            if let (Some(j), Some(g)) = (jobs, g.as_mut()) {
                g.jobs = Some(j.clone());
            }
        }
        for (file, g) in
            [(&self.baseline_flink_config, &mut loaded.baseline), (&self.variant_flink_config, &mut loaded.variant)]
        {
            if let (Some(f), Some(g)) = (file, g.as_mut()) {
                g.flink_config = Some(f.clone());
            }
        }
        for (urls, g) in
            [(&self.baseline_prometheus, &mut loaded.baseline), (&self.variant_prometheus, &mut loaded.variant)]
        {
            if !urls.is_empty() {
                // Prometheus endpoints alone are a group (no REST needed).
                g.get_or_insert_with(GroupConfig::default).prometheus = urls.clone();
            }
        }
        for (urls, g) in [(&self.baseline_jolokia, &mut loaded.baseline), (&self.variant_jolokia, &mut loaded.variant)]
        {
            if !urls.is_empty() {
                g.get_or_insert_with(GroupConfig::default).jolokia = urls.clone();
            }
        }
        Ok(())
    }
}

/// A URL from the command line replaces the file's URL but keeps its auth/TLS settings
/// only when it points at the same endpoint; credentials never follow a URL elsewhere.
fn override_url(from_file: Option<GroupConfig>, url: &RestUrl) -> GroupConfig {
    match from_file {
        Some(g) if g.flink.as_ref() == Some(url) => g,
        _ => GroupConfig::new(url.clone()),
    }
}
