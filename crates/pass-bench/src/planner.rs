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
    let prd = fs_err::read_to_string(&args.prd).context("reading the PRD")?;
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
    let mut entries: Vec<PathBuf> = fs_err::read_dir(&args.prd_dir)
        .context("listing the PRD folder")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let offline = PlannerConfig::from_lookup(|name| {
        (name == "PASS_LLM_PROVIDER").then(|| "offline".to_owned())
    })?;
    for path in entries {
        let text = fs_err::read_to_string(&path)?;
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

#[derive(Debug, clap::Args)]
pub struct RefineArgs {
    /// The PRD to plan, then refine.
    #[arg(long, default_value = "samples/prds/clinic-booking-ids.md")]
    prd: PathBuf,
    /// Time the stand-in model takes per call, in milliseconds.
    #[arg(long, default_value_t = 300)]
    latency_ms: u64,
    /// Sections generated at once (PASS_PLANNER_CONCURRENCY).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

/// One run's figures: calls, input tokens sent (uncached, cache writes and
/// reads: what the prompts weigh, whatever the cache served), output
/// tokens, wall time and the sections that made calls.
struct Figures {
    label: String,
    calls: u32,
    input_tokens: u64,
    output_tokens: u64,
    wall: Duration,
    sections: Vec<String>,
    /// Input tokens sent per section that made calls.
    by_section: Vec<(SectionName, u64)>,
}

impl Figures {
    fn of(label: String, planned: &Planned, wall: Duration) -> Self {
        let totals = &planned.usage.totals;
        let mut sections: Vec<String> = planned
            .usage
            .side_calls
            .iter()
            .map(|c| c.task.clone())
            .collect();
        sections.extend(
            planned
                .usage
                .sections
                .iter()
                .filter(|s| !s.carried_over)
                .map(|s| s.section.as_str().to_owned()),
        );
        let by_section = planned
            .usage
            .sections
            .iter()
            .filter(|s| !s.carried_over)
            .map(|s| {
                let t = s.tokens();
                (
                    s.section,
                    t.input_tokens + t.cache_creation_input_tokens + t.cache_read_input_tokens,
                )
            })
            .collect();
        Self {
            label,
            by_section,
            calls: totals.calls,
            input_tokens: totals.prompt_tokens_sent,
            output_tokens: totals.output_tokens,
            wall,
            sections,
        }
    }
}

/// One refinement the benchmark runs.
struct Scenario {
    request: String,
    /// What the stand-in model does to each answer for this request.
    edit: fn(String) -> String,
    /// The section the stand-in's classification call names, for a request
    /// code cannot read.
    placed_by_model: Option<&'static str>,
}

/// Answers every section with the offline reading of `prd`, each answer's
/// JSON text passed through `edit` (what a model following a change writes).
fn answers(prd: &str, edit: fn(String) -> String) -> pass_testkit::anthropic::Responder {
    let drafts = pass_planner::offline::draft_pack(prd, &OrgConstraints::default(), false);
    Arc::new(move |tool, _schema, _body| {
        SectionName::from_tool_name(tool)
            .and_then(|s| drafts.section_value(s).ok())
            .and_then(|v| serde_json::from_str(&edit(v.to_string())).ok())
            .unwrap_or(Value::Null)
    })
}

fn sqlite_for_postgres(text: String) -> String {
    text.replace("PostgreSQL", "SQLite")
        .replace("postgresql", "sqlite")
        .replace("Postgres", "SQLite")
        .replace("postgres", "sqlite")
}

/// `pass-bench planner-refine`: a full plan, then refinements of it against
/// the same stand-in: a request on one leaf section (the issue plan), a
/// stack swap (architecture and what builds on it), and a request code
/// cannot read (one classification call, then the section it names).
/// Prints each run's calls and input tokens, and their ratio to the plan's.
pub async fn run_refine(args: RefineArgs) -> anyhow::Result<()> {
    let prd = fs_err::read_to_string(&args.prd).context("reading the PRD")?;
    let server = AnthropicStandIn::start_with(Options {
        latency: Duration::from_millis(args.latency_ms),
        ..Options::default()
    })
    .await?;
    server.set_responder(answers(&prd, |s| s));
    let config = config(&server.base_url(), server.api_key(), args.concurrency)?;
    let run_id = Uuid::new_v4();
    let started = Instant::now();
    let first = pass_planner::plan(&prd, None, run_id, &config, None).await?;
    let full = Figures::of(
        "full plan (revision 1)".to_owned(),
        &first,
        started.elapsed(),
    );
    let base = first.pack;
    let last_issue = base
        .implementation
        .github_issue_plan
        .last()
        .map(|i| i.id.to_string())
        .context("the plan has no issues")?;
    let history = pass_planner::PlanHistory::from_earlier(
        run_id,
        std::num::NonZeroU32::new(2).context("revision 2")?,
        vec![(run_id, std::num::NonZeroU32::MIN, base.clone())],
    );
    let org = OrgConstraints::default();
    let model = pass_planner::build_model(&config, &prd, &org, false)?;
    let scenarios = [
        Scenario {
            request: format!("Split {last_issue} into a server-side issue and a UI issue"),
            edit: |s| s,
            placed_by_model: None,
        },
        Scenario {
            request: "Use SQLite instead of PostgreSQL".to_owned(),
            edit: sqlite_for_postgres,
            placed_by_model: None,
        },
        Scenario {
            request: "Make the assistant friendlier to first-time users".to_owned(),
            edit: |s| s,
            placed_by_model: Some("refinement"),
        },
    ];
    let mut runs = Vec::new();
    for Scenario {
        request,
        edit,
        placed_by_model,
    } in scenarios
    {
        server.set_responder(answers(&prd, edit));
        if let Some(section) = placed_by_model {
            server.push_for(
                pass_planner::refine::scope::TRIAGE_TASK,
                pass_testkit::anthropic::Behaviour::ToolInput(serde_json::json!({
                    "reason": "stand-in",
                    "sections": [section]
                })),
            );
        }
        let refinement = pass_contracts::coordination::Refinement {
            base_run_id: run_id,
            requests: vec![pass_contracts::Text::new(request.clone())?],
            answers: Vec::new(),
        };
        let started = Instant::now();
        let refined = pass_planner::plan_refinement_with_model(
            model.as_ref(),
            pass_planner::ModelRefinement {
                base: &base,
                refinement: &refinement,
                clarifications: &[],
                prd_text: &prd,
                org: &org,
                org_given: false,
                run_id: Uuid::new_v4(),
                checkpoint_dir: None,
                history: Some(&history),
            },
            &config,
        )
        .await?;
        runs.push(Figures::of(
            format!("refine: \"{request}\""),
            &refined,
            started.elapsed(),
        ));
    }

    println!(
        "planner refinement, {} ({} bytes), stand-in latency {} ms, concurrency {}",
        args.prd.display(),
        prd.len(),
        args.latency_ms,
        args.concurrency
    );
    println!(
        "  {:<78} {:>5} {:>13} {:>13} {:>8}  calls for",
        "run", "calls", "input tokens", "output tokens", "wall ms"
    );
    for figures in std::iter::once(&full).chain(&runs) {
        println!(
            "  {:<78} {:>5} {:>13} {:>13} {:>8}  {}",
            figures.label,
            figures.calls,
            figures.input_tokens,
            figures.output_tokens,
            figures.wall.as_millis(),
            if figures.label.starts_with("full") {
                "every section".to_owned()
            } else {
                figures.sections.join(", ")
            }
        );
    }
    println!("  against the full plan:");
    for figures in &runs {
        println!(
            "    {:<76} calls {}/{} = {:.2}, input tokens {}/{} = {:.3}",
            figures.label,
            figures.calls,
            full.calls,
            f64::from(figures.calls) / f64::from(full.calls.max(1)),
            figures.input_tokens,
            full.input_tokens,
            figures.input_tokens as f64 / full.input_tokens.max(1) as f64
        );
        let same: u64 = full
            .by_section
            .iter()
            .filter(|(s, _)| figures.by_section.iter().any(|(r, _)| r == s))
            .map(|(_, t)| t)
            .sum();
        let now: u64 = figures.by_section.iter().map(|(_, t)| t).sum();
        println!(
            "      its section calls: {now} input tokens; the same sections in the full plan: {same} (the previous versions and the request make the difference)"
        );
    }
    Ok(())
}
