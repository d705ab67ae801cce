//! flinkscope's entry point: errors become exit codes here (0 ok, 2 usage/config, 3 runtime);
//! exit code 1 is never produced by an unhandled error (`check` will use it for FAIL).

use std::process::ExitCode;

use clap::Parser;
use flinkscope::cli::{Cli, Command};
use flinkscope::{config, logging, run, snapshot, ui};

fn main() -> ExitCode {
    // At a file-size limit (`ulimit -f`) a write past it would kill the process with
    // SIGXFSZ; ignored, the write fails with EFBIG instead: the log drops lines, a rollback
    // stops and says its audit log could not be written, the dashboard keeps running.
    // SAFETY: setting a signal's disposition to SIG_IGN before any thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    raise_open_files_limit();
    if let Err(e) = color_eyre::install() {
        eprintln!("flinkscope: {e}");
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match &cli.command {
        Some(Command::Completions { shell }) => {
            flinkscope::cli::print_completions(*shell);
            return ExitCode::SUCCESS;
        }
        Some(Command::Man { dir }) => {
            return match flinkscope::cli::write_man(dir.as_deref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("flinkscope: cannot write the man page: {e}");
                    ExitCode::from(3)
                }
            };
        }
        _ => {}
    }
    // A recording is read without a config: nothing is polled.
    if let Some(Command::Export { file, format, output }) = &cli.command {
        return ExitCode::from(flinkscope::record::export::run(file, *format, output.as_deref()));
    }
    if let Some(Command::Report { files, output, json, matrix }) = &cli.command {
        let req = flinkscope::report::Request {
            files: files.clone(),
            output: output.clone(),
            json: json.clone(),
            matrix: *matrix,
        };
        let mut display = config::Settings::default();
        if let Err(e) = cli.watch.apply_display(&mut display) {
            eprintln!("flinkscope: {e}");
            return ExitCode::from(2);
        }
        return ExitCode::from(flinkscope::report::run(&req, &display));
    }
    if let Some(Command::Replay { file, speed, from, to }) = &cli.command {
        return replay(&cli.watch, file, *speed, flinkscope::replay::Span { from: *from, to: *to });
    }
    let mut config = match config::load(cli.watch.config.as_deref())
        .and_then(|l| cli.watch.apply(l))
        .and_then(flinkscope::config::Loaded::finish)
    {
        Ok(c) => c,
        Err(e) => {
            // A TOML error quotes the config line: a URL's password is hidden.
            eprintln!("flinkscope: {}", flinkscope::sanitize::redact_userinfo(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    // A recorded baseline: its header says what the group was (read before anything starts).
    if let Some(rec) = config.baseline.recording.as_mut()
        && let Err(e) = flinkscope::record::baseline::resolve(rec)
    {
        eprintln!("flinkscope: {e}");
        return ExitCode::from(2);
    }
    let log_path = config.settings.log_file.clone().unwrap_or_else(logging::default_path);
    let _log_guard = match logging::init(&log_path) {
        Ok(g) => Some(g),
        Err(e) => {
            eprintln!("flinkscope: cannot open log file {}: {e} (use --log-file)", log_path.display());
            return ExitCode::from(2);
        }
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting");
    // As ssh does for keys: a secret others can read is said before anything starts.
    for w in config.secret_warnings() {
        eprintln!("flinkscope: {w}");
        tracing::warn!("{w}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("flinkscope: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    run_command(cli.command, config, &runtime)
}

/// Runs the subcommand (the dashboard without one) and says how it ended.
fn run_command(command: Option<Command>, config: config::Config, runtime: &tokio::runtime::Runtime) -> ExitCode {
    match command {
        Some(Command::Snapshot { duration }) => match runtime.block_on(snapshot::take(&config, duration)) {
            Ok(doc) => match serde_json::to_string_pretty(&doc) {
                Ok(s) => {
                    println!("{s}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("flinkscope: cannot write the snapshot: {e}");
                    ExitCode::from(3)
                }
            },
            Err(e) => {
                eprintln!("flinkscope: {e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Check { duration, format }) => {
            let (out, code) = runtime.block_on(flinkscope::check::run(&config, duration, format));
            if code == 2 {
                eprintln!("{out}");
            } else {
                println!("{out}");
            }
            ExitCode::from(code)
        }
        Some(Command::Record { duration, output }) => {
            let mut config = config;
            config.settings.record = Some(output);
            ExitCode::from(runtime.block_on(flinkscope::headless::record(&config, duration)))
        }
        // Taken before the config is loaded.
        Some(
            Command::Export { .. }
            | Command::Replay { .. }
            | Command::Report { .. }
            | Command::Completions { .. }
            | Command::Man { .. },
        ) => ExitCode::from(2),
        Some(Command::Preflight { duration, format }) => {
            let (out, code) = runtime.block_on(flinkscope::preflight::run(&config, duration, format));
            println!("{out}");
            ExitCode::from(code)
        }
        Some(Command::Settings { format }) => {
            let (out, code) = runtime.block_on(flinkscope::settings_cmd::run(&config, format));
            println!("{out}");
            ExitCode::from(code)
        }
        None => {
            let theme = match ui::Theme::load(&config.settings.theme) {
                Ok(t) => t.respecting_no_color(),
                Err(e) => {
                    eprintln!("flinkscope: {e}");
                    return ExitCode::from(2);
                }
            };
            match runtime.block_on(run::dashboard(config, theme)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "dashboard failed");
                    eprintln!("flinkscope: {e}");
                    ExitCode::from(3)
                }
            }
        }
    }
}

/// `flinkscope replay`: the operator's theme and log file, the recording's judgement.
fn replay(
    args: &flinkscope::cli::WatchArgs,
    file: &std::path::Path,
    speed: flinkscope::replay::Speed,
    span: flinkscope::replay::Span,
) -> ExitCode {
    let mut settings = config::Settings::default();
    if let Err(e) = args.apply_display(&mut settings) {
        eprintln!("flinkscope: {e}");
        return ExitCode::from(2);
    }
    let theme = match ui::Theme::load(&settings.theme) {
        Ok(t) => t.respecting_no_color(),
        Err(e) => {
            eprintln!("flinkscope: {e}");
            return ExitCode::from(2);
        }
    };
    let log_path = settings.log_file.clone().unwrap_or_else(logging::default_path);
    let _log_guard = match logging::init(&log_path) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("flinkscope: cannot open log file {}: {e} (use --log-file)", log_path.display());
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("flinkscope: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    ExitCode::from(runtime.block_on(flinkscope::replay::run(
        file,
        &settings,
        &theme,
        speed,
        span,
        flinkscope::report::write_here,
    )))
}

/// Each polled endpoint keeps a connection open: a group of 1,000 TaskManagers' reporters
/// is 1,000 sockets, past the soft limit of 1,024 most hosts start a login shell with. The
/// soft limit is raised to the hard one (as Go's runtime does); where that fails the
/// endpoints past the limit fail with "too many open files" and are shown failed.
fn raise_open_files_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit read and write the struct passed, nothing else.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &raw const limit);
        }
    }
}
