//! `pass-bench planner`: the planner pipeline against an Anthropic stand-in
//! that takes a fixed time per call (300 ms by default).
//!
//! Prints the wall time with the configured concurrency next to the number
//! of calls, the longest chain of dependent sections and the wall time of the
//! same calls made strictly one after another (measured, concurrency 1), the
//! target `(longest chain + 1) × latency`, the request bytes and the input
//! tokens sent per pack with the share served from the prompt cache. Then the
//! offline reader's time on every sample PRD, and on a generated PRD of
//! `--scale-requirements` requirements (the issue's bar: 5,000 in under 2 s).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use pass_contracts::OrgConstraints;
use pass_planner::sections::{SectionName, longest_chain};
use pass_planner::{Planned, PlannerConfig};
use pass_testkit::anthropic::{AnthropicStandIn, Options};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PRD to plan.
    #[arg(long, default_value = "samples/prds/shelf-board-tagged.txt")]
    prd: PathBuf,
    /// Time the stand-in model takes per call, in milliseconds.
    #[arg(long, default_value_t = 300)]
    latency_ms: u64,
    /// Sections generated at once (PASS_PLANNER_CONCURRENCY).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Folder of PRDs for the offline timing.
    #[arg(long, default_value = "samples/prds")]
    prd_dir: PathBuf,
    /// Requirements in the generated PRD the offline reader is timed on.
    #[arg(long, default_value_t = 5_000)]
    scale_requirements: usize,
}

/// A PRD of `n` requirements in three phrasings (ids, inline priorities,
/// measurable targets), fifty to a section, as long PRDs are written.
fn generated_prd(n: usize) -> String {
    let mut text = String::from(
        "# Depot Ledger - Product Requirements\n\n## Overview\n\nDepot Ledger lets warehouse staff track pallets across depots.\n",
    );
    for i in 1..=n {
        let area = (i - 1) / 50 + 1;
        if (i - 1) % 50 == 0 {
            text.push_str(&format!("\n## Area {area}: depot operations\n\n"));
        }
        let line = match i % 3 {
            0 => format!(
                "- FR-{i}: Staff can review backlog item {i} of area {area} and export it as CSV.\n"
            ),
            1 => format!(
                "- FR-{i}: Supervisors can approve transfer {i} between depot {area} and the hub (Priority: High).\n"
            ),
            _ => format!(
                "- FR-{i}: The system shall record pallet movement {i} in depot {area} within 2 seconds.\n"
            ),
        };
        text.push_str(&line);
    }
    text
}

fn config(base_url: &str, key: &str, concurrency: usize) -> anyhow::Result<PlannerConfig> {
    let concurrency = concurrency.to_string();
    let pairs = [
        ("ANTHROPIC_API_KEY", key),
        ("ANTHROPIC_BASE_URL", base_url),
        ("PASS_PLANNER_CONCURRENCY", concurrency.as_str()),
    ];
    Ok(PlannerConfig::from_lookup(|name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })?)
}

async fn one_pack(
    prd: &str,
    latency: Duration,
    concurrency: usize,
) -> anyhow::Result<(Duration, Planned, usize)> {
    let server = AnthropicStandIn::start_with(Options {
        latency,
        ..Options::default()
    })
    .await?;
    let drafts = pass_planner::offline::draft_pack(prd, &OrgConstraints::default(), false);
    server.set_responder(Arc::new(move |tool, _schema, _body| {
        SectionName::from_tool_name(tool)
            .and_then(|s| drafts.section_value(s).ok())
            .unwrap_or(Value::Null)
    }));
    let config = config(&server.base_url(), server.api_key(), concurrency)?;
    let started = Instant::now();
    let planned = pass_planner::plan(prd, None, Uuid::new_v4(), &config, None).await?;
    let elapsed = started.elapsed();
    // The client sends each body as compact JSON, so this is the bytes on the wire.
    let bytes = server
        .requests()
        .iter()
        .map(|r| r.body.to_string().len())
        .sum();
    Ok((elapsed, planned, bytes))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let prd = std::fs::read_to_string(&args.prd)
        .with_context(|| format!("reading the PRD {}", args.prd.display()))?;
    let latency = Duration::from_millis(args.latency_ms);
    let chain = longest_chain();

    let (wall, planned, request_bytes) = one_pack(&prd, latency, args.concurrency).await?;
    let (sequential, _, _) = one_pack(&prd, latency, 1).await?;
    let totals = &planned.usage.totals;
    let target = latency * (chain as u32 + 1);
    let ms = |d: Duration| d.as_millis();
    println!(
        "planner pipeline, {} ({} bytes), stand-in latency {} ms",
        args.prd.display(),
        prd.len(),
        args.latency_ms
    );
    println!("  calls:                          {}", totals.calls);
    println!("  longest chain of sections:      {chain}");
    println!(
        "  wall time, concurrency {}:       {} ms",
        args.concurrency,
        ms(wall)
    );
    println!(
        "  wall time, strictly sequential: {} ms (measured; {} calls x {} ms = {} ms of model time)",
        ms(sequential),
        totals.calls,
        args.latency_ms,
        u128::from(totals.calls) * u128::from(args.latency_ms)
    );
    println!(
        "  target (chain + 1) x latency:   {} ms -> {}",
        ms(target),
        if wall <= target { "met" } else { "NOT met" }
    );
    println!("  request bytes per pack:         {request_bytes}");
    println!(
        "  input tokens sent per pack:     {}",
        totals.prompt_tokens_sent
    );
    println!(
        "    uncached {} / cache writes {} / cache reads {}; served from cache: {:.1} %",
        totals.input_tokens,
        totals.cache_creation_input_tokens,
        totals.cache_read_input_tokens,
        totals.cache_read_share * 100.0
    );
    println!("  output tokens per pack:         {}", totals.output_tokens);

    println!("offline reader (no model), per sample PRD:");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&args.prd_dir)
        .with_context(|| format!("listing {}", args.prd_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let offline = PlannerConfig::from_lookup(|name| {
        (name == "PASS_LLM_PROVIDER").then(|| "offline".to_owned())
    })?;
    for path in entries {
        let text = std::fs::read_to_string(&path)?;
        let started = Instant::now();
        let planned = pass_planner::plan(&text, None, Uuid::new_v4(), &offline, None).await?;
        println!(
            "  {:<28} {:>7} bytes  {:>6.1} ms  {:>3} requirements  {:>3} issues",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default(),
            text.len(),
            started.elapsed().as_secs_f64() * 1000.0,
            planned.pack.requirements.len(),
            planned.pack.implementation.github_issue_plan.len()
        );
    }
    let text = generated_prd(args.scale_requirements);
    let mut best = f64::MAX;
    let mut planned = None;
    for _ in 0..3 {
        let started = Instant::now();
        planned = Some(pass_planner::plan(&text, None, Uuid::new_v4(), &offline, None).await?);
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    if let Some(planned) = planned {
        println!(
            "  generated, {} requirements   {:>7} bytes  {:>6.1} ms (best of 3)  {} requirements planned  {} issues",
            args.scale_requirements,
            text.len(),
            best,
            planned.pack.requirements.len(),
            planned.pack.implementation.github_issue_plan.len()
        );
    }
    Ok(())
}
