//! The issue sync of a large plan against the GitHub stand-in, one project
//! across plan revisions: requests and wall time of a first sync, an
//! unchanged next revision, a revision with a few items changed, and a sync
//! after people edited a few issues. The targets are printed next to the figures.

use std::time::{Duration, Instant};

use anyhow::Context;
use pass_implementation::config::GithubSettings;
use pass_implementation::{
    GithubTracker, RetryPolicy, SyncContext, SyncOptions, SyncReport, SyncScope, sync_pack,
};
use pass_testkit::github::GithubStandIn;
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Items in the issue plan.
    #[arg(long, default_value_t = 200)]
    items: usize,
    /// Items whose text changes before the third sync.
    #[arg(long, default_value_t = 5)]
    changed: usize,
    /// Unrelated issues already in the repository (they are listed too).
    #[arg(long, default_value_t = 0)]
    existing: usize,
    /// Pause between writes in milliseconds. The agent's default is 1000 (GitHub's
    /// guidance); 0 measures the sync itself, and the report projects the paced time.
    #[arg(long, default_value_t = 0)]
    write_interval_ms: u64,
}

const OWNER: &str = "bench";
const REPO: &str = "plan";
const TOKEN: &str = "bench-token";

pub async fn run(args: Args) -> anyhow::Result<()> {
    let stand_in = GithubStandIn::start(OWNER, REPO, TOKEN).await?;
    for i in 0..args.existing {
        stand_in.seed_issue(
            &format!("Existing issue {i}"),
            "Unrelated.",
            &["bug"],
            i % 2 == 0,
        );
    }
    let project_id = Uuid::new_v4();
    let settings = GithubSettings {
        api_url: stand_in.base_url().parse()?,
        owner: OWNER.to_owned(),
        repo: REPO.to_owned(),
        token: SecretString::from(TOKEN),
        write_interval: Duration::from_millis(args.write_interval_ms),
    };
    let retry = RetryPolicy::default();

    let plan = plan(args.items);
    let mut changed_plan = plan.clone();
    // Every other changed item has dependencies, whose relations are then re-read.
    let step = (args.items / args.changed.max(1)).max(4);
    for k in 0..args.changed {
        let index = k * step + if k % 2 == 1 { 3 } else { 0 };
        if let Some(item) = changed_plan.get_mut(index) {
            item["body"] = json!(format!("Reworded body of item {index}."));
        }
    }

    println!(
        "Issue sync benchmark: {} plan items, {} unrelated issues, write interval {} ms\n",
        args.items, args.existing, args.write_interval_ms
    );
    println!(
        "| sync | reads | writes | created | updated | unchanged | kept | failed | wall time | paced at 1000 ms/write | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let phases = [
        (
            "revision 1: first sync",
            &plan,
            false,
            "one create per item, no updates",
        ),
        (
            "revision 2: same plan",
            &plan,
            false,
            "only the list pages, zero writes",
        ),
        (
            "revision 3: items changed",
            &changed_plan,
            false,
            "exactly one write per changed item",
        ),
        (
            "people edited issues, same plan",
            &changed_plan,
            true,
            "zero writes; the edited issues kept",
        ),
    ];
    let mut project_runs = std::collections::HashSet::new();
    for (revision, (name, plan, people_edit, target)) in phases.into_iter().enumerate() {
        let run_id = Uuid::new_v4();
        project_runs.insert(run_id);
        if people_edit {
            for issue in stand_in.issues().iter().step_by(step).take(args.changed) {
                stand_in.edit_body(
                    issue.number,
                    &format!(
                        "A person's note.\n\n{}",
                        issue.body.as_deref().unwrap_or_default()
                    ),
                );
            }
        }
        let context = SyncContext {
            scope: SyncScope {
                project_id,
                run_id,
                revision: revision as u32 + 1,
                project_runs: project_runs.clone(),
            },
            earlier: Default::default(),
            reasons: Default::default(),
        };
        let tracker = GithubTracker::new(&settings)?.with_retry_policy(retry.clone());
        let pack = pack(run_id, plan.clone())?;
        stand_in.clear_requests();
        let started = Instant::now();
        let report: SyncReport =
            sync_pack(&pack, &context, &tracker, &SyncOptions::default()).await?;
        let elapsed = started.elapsed();
        let recorded = stand_in.requests();
        let recorded_writes = recorded.iter().filter(|r| r.is_write()).count() as u64;
        anyhow::ensure!(
            recorded.len() as u64 == report.requests.reads + report.requests.writes
                && recorded_writes == report.requests.writes,
            "the report's request counts disagree with the stand-in's log"
        );
        let c = report.counts;
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {:.0} ms | ~{:.0} s | {target} |",
            report.requests.reads,
            report.requests.writes,
            c.created,
            c.updated,
            c.unchanged,
            c.kept,
            c.failed,
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() + report.requests.writes.saturating_sub(1) as f64,
        );
    }
    Ok(())
}

/// `n` items; every fourth depends on the two before it, so dependency
/// references and blocked-by relations are part of the work.
fn plan(n: usize) -> Vec<Value> {
    (1..=n)
        .map(|i| {
            let depends_on: Vec<String> = if i % 4 == 0 {
                vec![format!("item-{}", i - 1), format!("item-{}", i - 2)]
            } else {
                Vec::new()
            };
            json!({
                "id": format!("item-{i}"),
                "title": format!("Implement part {i}"),
                "summary": format!("Part {i} of the system."),
                "body": format!("Build part {i} as the architecture describes."),
                "labels": ["pass", format!("area-{}", i % 5)],
                "depends_on": depends_on,
                "acceptance_criteria": [format!("part {i} works end to end")],
            })
        })
        .collect()
}

fn pack(run_id: Uuid, plan: Vec<Value>) -> anyhow::Result<pass_contracts::ArchitecturePack> {
    let value = json!({
        "pack_version": "0.1",
        "run_id": run_id,
        "created_at": "2026-02-26T00:00:00.000Z",
        "tool": { "name": "PASS-2A", "version": "0.1.0" },
        "prd": { "raw_text": "A benchmark.", "summary": "A benchmark." },
        "architecture": {
            "name": "Bench",
            "description": "A benchmark system.",
            "components": [{ "name": "api", "type": "api" }],
            "rationale": "Measure."
        },
        "implementation": {
            "summary": "Build it.",
            "iac_handoff": { "summary": "None." },
            "github_issue_plan": plan
        }
    });
    pass_contracts::validate_pack_value(&value)
        .map_err(|problems| anyhow::anyhow!("benchmark pack invalid: {problems:?}"))
        .context("building the benchmark pack")
}
