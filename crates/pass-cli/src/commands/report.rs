//! What every planning command tells about a pack beyond its counts: the
//! model that wrote it, the PRD content it leaves out, and an empty
//! requirement list — so a plan that silently misses the PRD is noticed.

use pass_contracts::pack::{ArchitecturePack, CoverageStatus};
use serde_json::Value;

/// The beginnings of the assumptions the planner writes when it leaves PRD
/// content out of the plan: a PRD cut short for the model, non-goals and
/// work the PRD says is done. The pack's assumptions are free text, so these
/// phrases are the contract between the planner's wording and this report.
const DROPPING: [&str; 4] = [
    "only the first",
    "Out of scope per the PRD",
    "Already done per the PRD",
    "may be missing from the plan",
];

/// The pack's assumptions that say some PRD content is not in the plan.
pub fn dropped_content(pack: &ArchitecturePack) -> Vec<String> {
    pack.assumptions
        .iter()
        .map(|a| a.as_str())
        .filter(|a| DROPPING.iter().any(|phrase| a.contains(phrase)))
        .map(str::to_owned)
        .collect()
}

/// The closing lines every planning command prints after its counts.
pub fn pack_lines(pack: &ArchitecturePack) -> String {
    let mut out = String::new();
    let dropped = dropped_content(pack);
    if !dropped.is_empty() {
        out.push_str("left out of the plan (see the pack's assumptions):\n");
        for line in dropped {
            out.push_str(&format!("  - {line}\n"));
        }
    }
    out
}

/// Warns on stderr when the PRD gave no requirements; with `strict` that is
/// an error, so scripts can refuse an empty plan.
pub fn check_requirements(pack: &ArchitecturePack, strict: bool) -> anyhow::Result<()> {
    if !pack.requirements.is_empty() {
        return Ok(());
    }
    let message = "the PRD yielded no requirements: nothing in it reads as one (user stories, \
                   \"must\"/\"should\" lines, ids such as FR-001, checklists), so the plan has no \
                   work derived from it";
    if strict {
        anyhow::bail!("{message} (--strict)");
    }
    eprintln!("warning: {message}; --strict makes this an error");
    Ok(())
}

/// A pack's figures: what `--json` and the MCP tools report about it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PackFigures {
    /// The architecture's name.
    pub architecture: String,
    pub requirements: usize,
    pub components: usize,
    pub planned_issues: usize,
    pub coverage: CoverageFigures,
    pub open_questions: usize,
    /// The pack's assumptions that say some PRD content is not in the plan.
    pub dropped: Vec<String>,
}

/// How many requirements the architecture covers, partly covers and misses.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CoverageFigures {
    pub covered: usize,
    pub partial: usize,
    pub missing: usize,
}

impl PackFigures {
    pub fn of(pack: &ArchitecturePack) -> Self {
        let count =
            |status: CoverageStatus| pack.coverage.iter().filter(|c| c.status == status).count();
        Self {
            architecture: pack.architecture.name.to_string(),
            requirements: pack.requirements.len(),
            components: pack.architecture.components.len(),
            planned_issues: pack.implementation.github_issue_plan.len(),
            coverage: CoverageFigures {
                covered: count(CoverageStatus::Covered),
                partial: count(CoverageStatus::Partial),
                missing: count(CoverageStatus::Missing),
            },
            open_questions: pack.open_questions.len(),
            dropped: dropped_content(pack),
        }
    }
}

/// The pack's figures as JSON, for `--json` output.
pub fn pack_json(pack: &ArchitecturePack) -> Value {
    serde_json::to_value(PackFigures::of(pack)).unwrap_or(Value::Null)
}

/// Prints `value` as the one JSON document on stdout.
pub fn print_json(value: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
