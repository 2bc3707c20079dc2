//! The web console with a large plan: the API in-process, a run whose plan has
//! `--items` issues (each depending on up to two earlier ones) all synced,
//! and a headless Chromium (Debian's `chromium` and `chromedriver`) opening
//! the run's page. Prints the server's render time of the page's sections,
//! the browser's first paint and the time until the issue graph is on
//! screen, and the page weight (HTML, script, style, the view's JSON).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use fantoccini::{Client, ClientBuilder};
use pass_client::PassClient;
use pass_contracts::{ArchitecturePack, ContentType, RunInput, Text};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Items in the issue plan.
    #[arg(long, default_value_t = 300)]
    items: usize,
    /// Page loads measured (the figures are their median).
    #[arg(long, default_value_t = 5)]
    loads: usize,
}

const TOKEN: &str = "bench-console-token";

/// chromedriver, ended when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("pass-bench-console-{}", Uuid::new_v4()));
    let mut config = pass_server::ServerConfig::from_lookup(|_| None)?;
    config.bind = ([127, 0, 0, 1], 0).into();
    config.runs_dir = dir.join("runs");
    config.api_token = Some(SecretString::from(TOKEN));
    let server = pass_server::start(config).await?;
    let base = server.base_url.as_str().trim_end_matches('/').to_owned();
    let client = PassClient::new(&base, Some(SecretString::from(TOKEN)))?;
    let run_id = seed_run(&client, args.items).await?;

    let http = reqwest::Client::new();
    let mut render_ms = Vec::new();
    let mut view_bytes = 0;
    for _ in 0..args.loads {
        let started = Instant::now();
        let body = http
            .get(format!("{base}/views/runs/{run_id}"))
            .bearer_auth(TOKEN)
            .send()
            .await?
            .bytes()
            .await?;
        render_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        view_bytes = body.len();
    }
    let mut weight = 0;
    for path in [
        format!("/ui/runs/{run_id}"),
        "/ui/assets/console.js".to_owned(),
        "/ui/assets/console.css".to_owned(),
    ] {
        let bytes = http
            .get(format!("{base}{path}"))
            .send()
            .await?
            .bytes()
            .await?;
        println!("  {path}: {} bytes", bytes.len());
        weight += bytes.len();
    }

    let (_driver, browser) = browser(&dir.join("profile")).await?;
    let mut first_paint = Vec::new();
    let mut graph_on_screen = Vec::new();
    for _ in 0..args.loads {
        browser.goto("about:blank").await?;
        let started = Instant::now();
        browser
            .goto(&pass_console::console_link(
                &server.base_url,
                TOKEN,
                Some(run_id),
            ))
            .await?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let done = browser
                .execute(
                    "return document.querySelectorAll('#plan svg g, #plan svg rect').length > 0;",
                    vec![],
                )
                .await?;
            if done == Value::Bool(true) {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "the issue graph never showed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        graph_on_screen.push(started.elapsed().as_secs_f64() * 1000.0);
        let paint = browser
            .execute(
                "const p = performance.getEntriesByName('first-contentful-paint')[0] || performance.getEntriesByType('paint')[0]; return p ? p.startTime : null;",
                vec![],
            )
            .await?;
        if let Some(ms) = paint.as_f64() {
            first_paint.push(ms);
        }
    }
    let _ = browser.close().await;
    server.shutdown().await?;
    let _ = fs_err::remove_dir_all(&dir);

    println!(
        "console, run page with a {}-item plan (all synced), median of {} loads:",
        args.items, args.loads
    );
    // The first load lays the diagrams out; later ones find them rendered.
    let first_render = render_ms.first().copied().unwrap_or_default();
    println!(
        "  server render of the sections (GET /views/runs/{{id}}): first {:.1} ms, then a median of {:.1} ms",
        first_render,
        median(&mut render_ms[1..])
    );
    println!(
        "  first contentful paint (shell): {:.1} ms",
        median(&mut first_paint)
    );
    println!(
        "  issue graph on screen (navigation to SVG in the DOM, diagrams already rendered): {:.1} ms",
        median(&mut graph_on_screen)
    );
    println!(
        "  page weight: {:.1} KiB (shell + script + style: {:.1} KiB, view JSON: {:.1} KiB), no other request",
        (weight + view_bytes) as f64 / 1024.0,
        weight as f64 / 1024.0,
        view_bytes as f64 / 1024.0
    );
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A run with the sample pack's architecture and an `items`-long issue plan,
/// every item synced to an issue.
async fn seed_run(client: &PassClient, items: usize) -> anyhow::Result<Uuid> {
    let run = client
        .create_run(&RunInput {
            prd_text: Text::new("# Console benchmark\n\nA large plan.")?,
            org_constraints_yaml: None,
            requested_by: None,
            source: None,
            project_id: None,
            refinement: None,
        })
        .await?;
    let mut pack: ArchitecturePack = serde_json::from_str(include_str!(
        "../../../samples/architecture_pack.sample.json"
    ))?;
    pack.run_id = run.run_id;
    let template = pack
        .implementation
        .github_issue_plan
        .first()
        .cloned()
        .context("the sample pack has no plan item")?;
    let mut plan = Vec::with_capacity(items);
    for i in 0..items {
        let mut item = template.clone();
        item.id = Text::new(format!("ISSUE-{:03}", i + 1))?;
        item.title = Text::new(format!("Plan item {} of the benchmark backlog", i + 1))?;
        item.depends_on = [i.checked_sub(1), i.checked_sub(7)]
            .into_iter()
            .flatten()
            .filter(|_| i % 3 != 0)
            .map(|d| Text::new(format!("ISSUE-{:03}", d + 1)))
            .collect::<Result<_, _>>()?;
        plan.push(item);
    }
    pack.implementation.github_issue_plan = plan;
    let diagram = pass_diagrams::component_diagram(&pack);
    for (name, content_type, payload) in [
        (
            "architecture_pack",
            ContentType::Json,
            serde_json::to_value(&pack)?,
        ),
        (
            "architecture_pack_diagram",
            ContentType::Plain,
            Value::String(diagram),
        ),
    ] {
        client
            .upload_artifact(
                run.run_id,
                &pass_contracts::api::ArtifactUpload {
                    name: Text::new(name)?,
                    content_type,
                    payload,
                },
            )
            .await?;
    }
    let issues: Vec<Value> = pack
        .implementation
        .github_issue_plan
        .iter()
        .enumerate()
        .map(|(i, item)| {
            json!({
                "plan_item_id": item.id, "title": item.title, "issue_number": i + 1,
                "issue_url": format!("https://github.com/bench/plan/issues/{}", i + 1),
                "github_state": "open", "sync_status": "created", "labels": [],
                "last_synced_at": "2026-01-01T00:00:00.000Z", "outcome": "created"
            })
        })
        .collect();
    let state = serde_json::from_value(json!({
        "synced_at": "2026-01-01T00:00:00.000Z", "issues": issues
    }))?;
    client.put_implementation_state(run.run_id, &state).await?;
    Ok(run.run_id)
}

async fn browser(profile: &std::path::Path) -> anyhow::Result<(Driver, Client)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let driver = Driver(
        Command::new(std::env::var("PASS_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("chromedriver could not start: install chromium and chromium-driver")?,
    );
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": std::env::var("PASS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display())]
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Ok((driver, client)),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => return Err(error).context("no WebDriver session"),
        }
    }
}
