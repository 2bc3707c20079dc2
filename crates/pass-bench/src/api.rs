//! `pass-bench api`: the API server with 10 and 10,000 existing runs.
//!
//! The server runs as a child process (this binary with `--serve`) so its peak
//! RSS is its own; the load generator is this process. For each run count it
//! prints requests per second, p50 and p99 latency of `POST /runs`,
//! `GET /runs/{id}`, `PATCH /runs/{id}` and `GET /runs?limit=50` on 1 and on 8
//! connections, the error answers seen, and the server's peak RSS.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use pass_contracts::layout;
use pass_contracts::{RunDetail, RunInput, Text, Timestamp};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;

const TOKEN: &str = "bench-token";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Existing run counts to measure, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "10,10000")]
    runs: Vec<usize>,
    /// Seconds each (operation, connections) measurement lasts.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Where the runs folders are made (a fresh folder under it per run count).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Internal: run the server on this runs folder and print its address.
    #[arg(long, hide = true)]
    serve: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if let Some(runs_dir) = args.serve {
        return serve(runs_dir).await;
    }
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("pass-bench-api-{}", Uuid::new_v4())));
    fs_err::create_dir_all(&work)?;
    println!("# pass-bench api ({}s per measurement)", args.seconds);
    let duration = Duration::from_secs_f64(args.seconds);
    for &count in &args.runs {
        let runs_dir = work.join(format!("runs-{count}"));
        let ids = seed(&runs_dir, count)?;
        let server = Server::start(&runs_dir).await?;
        println!();
        println!(
            "## {count} existing runs (server start-up incl. index rebuild: {:.0} ms)",
            server.startup.as_secs_f64() * 1000.0
        );
        println!("| operation | connections | requests/s | p50 ms | p99 ms | errors |");
        println!("|---|---|---|---|---|---|");
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(16)
            .build()?;
        let mut rss_notes = vec![format!("after start-up: {}", server.rss())];
        // Reads, then updates, then creations last: until POST /runs runs, the
        // server holds exactly `count` runs, so its RSS is the one at `count`.
        for (ops, note) in [
            (&[Op::Get, Op::List][..], "after reads"),
            (&[Op::Patch][..], "after PATCHes"),
            (&[Op::Create][..], "after POSTs"),
        ] {
            for &op in ops {
                for connections in [1, 8] {
                    let figures =
                        measure(&client, &server.base, op, connections, &ids, duration).await;
                    println!(
                        "| {} | {connections} | {:.0} | {:.3} | {:.3} | {} |",
                        op.label(),
                        figures.per_second,
                        figures.p50_ms,
                        figures.p99_ms,
                        figures.errors
                    );
                }
            }
            let runs_now = runs_listed(&client, &server.base).await;
            rss_notes.push(format!("{note} ({runs_now} runs): {}", server.rss()));
        }
        println!("server peak RSS (VmHWM) {}", rss_notes.join("; "));
        server.stop().await;
        let _ = fs_err::remove_dir_all(&runs_dir);
    }
    if args.work_dir.is_none() {
        let _ = fs_err::remove_dir_all(&work);
    }
    Ok(())
}

async fn serve(runs_dir: PathBuf) -> anyhow::Result<()> {
    // The bench's own environment may tune the server (PASS_INDEX_FLUSH_MS, ...).
    let mut config = pass_server::ServerConfig::from_lookup(|name| match name {
        "PASS_API_TOKEN" => Some(TOKEN.to_owned()),
        "PASS_EXECUTION_BACKEND" => Some("local".to_owned()),
        _ => std::env::var(name).ok(),
    })?;
    config.bind = "127.0.0.1:0".parse()?;
    config.runs_dir = runs_dir;
    let server = pass_server::start(config).await?;
    println!("listening on {}", server.local_addr);
    tokio::signal::ctrl_c().await?;
    server.shutdown().await?;
    Ok(())
}

/// Writes `count` runs the way the server would, without fsync (set-up only).
fn seed(runs_dir: &Path, count: usize) -> anyhow::Result<Vec<Uuid>> {
    let prd = include_str!("../../../samples/prds/export-command-feature.txt");
    let input = RunInput {
        project_id: None,
        refinement: None,
        prd_text: Text::new(prd)?,
        org_constraints_yaml: None,
        requested_by: Some(Text::new("pass-bench")?),
        source: None,
    };
    fs_err::create_dir_all(runs_dir)?;
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        let id = Uuid::new_v4();
        let detail = RunDetail::new(id, input.clone(), Timestamp::now());
        let dir = layout::run_dir(runs_dir, id);
        fs_err::create_dir(&dir)?;
        fs_err::write(
            dir.join(layout::RUN_FILE),
            serde_json::to_vec_pretty(&detail)?,
        )?;
        ids.push(id);
    }
    Ok(ids)
}

struct Server {
    child: Child,
    base: String,
    startup: Duration,
}

impl Server {
    async fn start(runs_dir: &Path) -> anyhow::Result<Self> {
        let began = Instant::now();
        let mut child = Command::new(std::env::current_exe()?)
            .arg("api")
            .arg("--serve")
            .arg(runs_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .context("server did not start within 120 s")??
            .context("server exited before listening")?;
        let Some(addr) = line.strip_prefix("listening on ") else {
            bail!("unexpected server output: {line}");
        };
        Ok(Self {
            base: format!("http://{addr}"),
            child,
            startup: began.elapsed(),
        })
    }

    /// The server's peak resident set so far (`VmHWM`), and what it holds
    /// now split into heap and stacks (`RssAnon`) and pages of the binary and
    /// its libraries (`RssFile`: shared, clean, and larger the larger the
    /// binary, whatever the server does), in MiB.
    fn rss(&self) -> String {
        let Some(status) = self
            .child
            .id()
            .and_then(|pid| fs_err::read_to_string(format!("/proc/{pid}/status")).ok())
        else {
            return "unknown".to_owned();
        };
        let mib = |field: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map_or("?".to_owned(), |kib| format!("{:.1}", kib as f64 / 1024.0))
        };
        format!(
            "{} MiB (now {} anonymous + {} file-backed)",
            mib("VmHWM:"),
            mib("RssAnon:"),
            mib("RssFile:")
        )
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

async fn runs_listed(client: &reqwest::Client, base: &str) -> u64 {
    let answer = client
        .get(format!("{base}/runs?limit=0"))
        .bearer_auth(TOKEN)
        .send()
        .await;
    match answer {
        Ok(response) => response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["total"].as_u64())
            .unwrap_or(0),
        Err(_) => 0,
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Create,
    Get,
    Patch,
    List,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::Create => "POST /runs",
            Op::Get => "GET /runs/{id}",
            Op::Patch => "PATCH /runs/{id}",
            Op::List => "GET /runs?limit=50",
        }
    }
}

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
}

async fn measure(
    client: &reqwest::Client,
    base: &str,
    op: Op,
    connections: usize,
    ids: &[Uuid],
    duration: Duration,
) -> Figures {
    let ids: Arc<Vec<Uuid>> = Arc::new(ids.to_vec());
    let create_body = Arc::new(serde_json::json!({
        "prd_text": include_str!("../../../samples/prds/export-command-feature.txt"),
        "requested_by": "pass-bench"
    }));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|worker| {
            let client = client.clone();
            let base = base.to_owned();
            let ids = ids.clone();
            let create_body = create_body.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                let mut n = worker;
                while started.elapsed() < duration {
                    let id = ids[n % ids.len()];
                    let request = match op {
                        Op::Create => client.post(format!("{base}/runs")).json(&*create_body),
                        Op::Get => client.get(format!("{base}/runs/{id}")),
                        Op::Patch => client.patch(format!("{base}/runs/{id}")).json(
                            // The same legal move every time: a run only moves forward, so
                            // cycling through the steps would measure 409 answers.
                            &serde_json::json!({"status": "parsed", "current_step": "parse"}),
                        ),
                        Op::List => client.get(format!("{base}/runs?limit=50")),
                    };
                    let began = Instant::now();
                    let ok = match request.bearer_auth(TOKEN).send().await {
                        Ok(response) => {
                            let ok = response.status().is_success();
                            ok && response.bytes().await.is_ok()
                        }
                        Err(_) => false,
                    };
                    latencies.push(began.elapsed());
                    if !ok {
                        errors += 1;
                    }
                    n += connections;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((mut l, e)) = task.await {
            latencies.append(&mut l);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Figures {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        errors,
    }
}
