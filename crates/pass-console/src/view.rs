//! One run as HTML sections: the same Rust templates feed the console (the
//! script layer asks `GET /views/runs/{id}` and places the sections) and the
//! self-contained export. Everything from a PRD or a model goes through
//! maud's escaping; the only markup not written here is the SVG of the
//! diagrams, which [`crate::mermaid::render_svg`] produced and checked.

use std::collections::BTreeMap;

use maud::{Markup, PreEscaped, html};
use pass_contracts::coordination::PlanState;
use pass_contracts::pack::CoverageStatus;
use pass_contracts::plan_diff::ListDiff;
use pass_contracts::projects::prd_title;
use pass_contracts::{
    ArchitecturePack, ArtifactMetadata, Clarification, ExecutionStatus, PlanDiff, Project,
    RunDetail, RunStatus, RunStep, WorkflowName,
};
use serde::Serialize;
use url::Url;

use crate::mermaid;

/// Everything one run's page shows, gathered by whoever renders it (the
/// server from its store, `pass export` through the API).
#[derive(Debug, Clone)]
pub struct RunBundle {
    pub run: RunDetail,
    pub artifacts: Vec<ArtifactMetadata>,
    pub project: Option<Project>,
    pub pack: Option<ArchitecturePack>,
    /// The planner's Mermaid source of the component diagram.
    pub diagram_source: Option<String>,
    pub plan_diff: Option<PlanDiff>,
    pub clarifications: Vec<Clarification>,
    /// The end of the newest agent log (local backend), for failures.
    pub log_tail: Option<LogTail>,
}

/// The end of one agent log file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogTail {
    pub file: String,
    pub text: String,
}

/// Who the sections are for: the console has controls, the export none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Console,
    Export,
}

/// A run's page: a few facts the script layer reads, and the sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunView {
    pub run_id: String,
    pub title: String,
    pub status: RunStatus,
    /// True while something is still moving (an agent queued or running, a
    /// plan not exported yet): the page keeps polling.
    pub live: bool,
    pub sections: Vec<Section>,
}

/// One part of a run's page, as escaped HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub html: String,
}

/// The run's title: the pack's, else the PRD's first heading or line.
pub fn run_title(run: &RunDetail, pack: Option<&ArchitecturePack>) -> String {
    pack.and_then(|p| p.prd.title.clone())
        .filter(|t| !t.trim().is_empty())
        .or_else(|| {
            run.input
                .as_ref()
                .and_then(|i| prd_title(i.prd_text.as_str()))
        })
        .unwrap_or_else(|| format!("Run {}", short_id(&run.run_id.to_string())))
}

/// The first 8 characters of an id, as the console shows and finds it.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Whether the page should keep polling.
fn is_live(run: &RunDetail) -> bool {
    let moving = run.execution.as_ref().is_some_and(|e| !e.status.is_final());
    moving
        || (run.execution.is_some()
            && !matches!(run.status, RunStatus::Exported | RunStatus::Failed))
}

/// Renders every section of a run's page.
pub fn render_run(bundle: &RunBundle, mode: Mode) -> RunView {
    let run = &bundle.run;
    let pack = bundle.pack.as_ref();
    let mut sections = vec![
        section("overview", "Overview", overview(bundle)),
        section("timeline", "Pipeline", timeline(bundle)),
    ];
    if mode == Mode::Console {
        sections.push(section("actions", "Actions", actions(bundle)));
    }
    sections.push(section(
        "questions",
        "Clarifications",
        questions(bundle, mode),
    ));
    if mode == Mode::Console {
        sections.push(section("refine", "Ask for a change", refine_box(bundle)));
    }
    if let Some(diff) = &bundle.plan_diff {
        sections.push(section(
            "changes",
            &format!("Changes since revision {}", diff.previous_revision),
            changes(diff),
        ));
    }
    if let Some(pack) = pack {
        sections.push(section(
            "architecture",
            &format!("Architecture: {}", pack.architecture.name),
            architecture(pack, bundle.diagram_source.as_deref()),
        ));
        sections.push(section(
            "requirements",
            "Requirements, coverage and trace",
            requirements(pack),
        ));
        sections.push(section("plan", "Issue plan", issue_plan(bundle, pack)));
    }
    RunView {
        run_id: run.run_id.to_string(),
        title: run_title(run, pack),
        status: run.status,
        live: is_live(run),
        sections,
    }
}

fn section(id: &'static str, title: &str, body: Markup) -> Section {
    Section {
        id,
        title: title.to_owned(),
        html: body.into_string(),
    }
}

fn plan_state_text(state: Option<PlanState>) -> &'static str {
    state.map_or("not planned yet", PlanState::as_str)
}

fn overview(bundle: &RunBundle) -> Markup {
    let run = &bundle.run;
    let project = bundle
        .project
        .as_ref()
        .map_or_else(|| run.project().to_string(), |p| p.name.to_string());
    html! {
        dl.facts {
            dt { "Run" } dd { code { (run.run_id) } }
            dt { "Project" } dd { (project) }
            dt { "Revision" } dd { (run.revision_number()) }
            dt { "Status" } dd { span.status data-status=(run.status.as_str()) { (run.status.as_str()) } }
            dt { "Plan" } dd { span.badge { (plan_state_text(run.plan_state)) } }
            dt { "Created" } dd { (run.created_at) }
            @if let Some(by) = &run.approved_by { dt { "Approved by" } dd { (by) } }
        }
        @if let Some(pack) = &bundle.pack {
            p.summary { (pack.prd.summary) }
        }
    }
}

const STEPS: [(RunStep, &str); 5] = [
    (RunStep::Created, "created"),
    (RunStep::Parse, "parse"),
    (RunStep::Clarify, "clarify"),
    (RunStep::Plan, "plan"),
    (RunStep::Export, "export"),
];

fn timeline(bundle: &RunBundle) -> Markup {
    let run = &bundle.run;
    let failed = run.status == RunStatus::Failed;
    html! {
        ol.timeline aria-label="Pipeline steps" {
            @for (step, name) in STEPS {
                @let stamp = run.step_timestamps.get(&step);
                @let state = if step == run.current_step {
                    if failed { "failed" } else if run.status == RunStatus::Exported { "done" } else { "current" }
                } else if step < run.current_step || stamp.is_some() { "done" } else { "todo" };
                li class=(format!("step {state}")) {
                    span.step-name { (name) }
                    @if let Some(at) = stamp { " " time { (at) } }
                }
            }
        }
        @if let Some(execution) = &run.execution {
            p.execution {
                "Agent " code { (execution.workflow_name.as_str()) } " on " (execution.backend.as_str()) ": "
                span.status data-status=(execution.status.as_str()) { (execution.status.as_str()) }
                @if let Some(at) = execution.completed_at { " at " time { (at) } }
                @if let Some(url) = execution.github_run_url.as_ref().filter(|u| matches!(u.scheme(), "http" | "https")) {
                    " · " a href=(url) rel="noopener noreferrer" target="_blank" { "workflow run" }
                }
            }
            @if let Some(reason) = &execution.pause_reason {
                p.notice { "Paused: " (reason) }
            }
            @if let Some(message) = &execution.error_message {
                div.failure role="alert" {
                    p { strong { "Failed: " } (message) }
                }
            }
        }
        @if failed || run.execution.as_ref().is_some_and(|e| e.status == ExecutionStatus::Failed) {
            @if let Some(log) = &bundle.log_tail {
                details.log open {
                    summary { "End of the agent log " code { (log.file) } }
                    pre { (log.text) }
                }
            }
        }
    }
}

/// One control's state: enabled, or disabled with the reason shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub enabled: bool,
    pub reason: String,
}

impl Gate {
    fn open(reason: &str) -> Self {
        Self {
            enabled: true,
            reason: reason.to_owned(),
        }
    }

    fn closed(reason: String) -> Self {
        Self {
            enabled: false,
            reason,
        }
    }
}

fn open_blocking(clarifications: &[Clarification]) -> Vec<String> {
    clarifications
        .iter()
        .filter(|c| c.is_open_and_blocking())
        .map(|c| c.id.to_string())
        .collect()
}

fn has_pack(bundle: &RunBundle) -> bool {
    bundle
        .artifacts
        .iter()
        .any(|a| a.name.as_str() == pass_contracts::artifacts::names::ARCHITECTURE_PACK)
}

/// Whether a workflow may be dispatched now, and why not: the same rules the
/// server applies, said before the click instead of after it.
pub fn dispatch_gate(bundle: &RunBundle, workflow: WorkflowName) -> Gate {
    let run = &bundle.run;
    if let Some(execution) = run.execution.as_ref().filter(|e| !e.status.is_final()) {
        return Gate::closed(format!(
            "{} is {}; wait for it to finish",
            execution.workflow_name.as_str(),
            execution.status.as_str()
        ));
    }
    match workflow {
        WorkflowName::Planner => {
            if run.status == RunStatus::Exported {
                Gate::closed(
                    "this revision is planned; ask for a change to plan a new revision".to_owned(),
                )
            } else {
                Gate::open("plan this revision")
            }
        }
        WorkflowName::Implementation => {
            if !has_pack(bundle) {
                return Gate::closed("there is no plan to sync yet".to_owned());
            }
            let needs_approval = bundle.project.as_ref().is_some_and(|p| p.require_approval);
            if needs_approval && run.plan_state == Some(PlanState::Draft) {
                return Gate::closed("the plan must be approved first".to_owned());
            }
            let blocking = open_blocking(&bundle.clarifications);
            if needs_approval && !blocking.is_empty() {
                return Gate::closed(format!(
                    "blocking questions are open: {}",
                    blocking.join(", ")
                ));
            }
            Gate::open("write the issue plan into the project's issues")
        }
    }
}

/// Whether the plan may be approved now, and why not.
pub fn approve_gate(bundle: &RunBundle) -> Gate {
    match bundle.run.plan_state {
        None => Gate::closed("nothing is exported yet".to_owned()),
        Some(PlanState::Approved) => Gate::closed("the plan is approved".to_owned()),
        Some(PlanState::Synced) => Gate::closed("the plan is synced".to_owned()),
        Some(PlanState::Draft) => {
            let blocking = open_blocking(&bundle.clarifications);
            if blocking.is_empty() {
                Gate::open("approve this plan")
            } else {
                Gate::open(&format!(
                    "blocking questions {} are open: answer them, or approve accepting their defaults",
                    blocking.join(", ")
                ))
            }
        }
    }
}

fn gated_button(gate: &Gate, label: &str, action: &str, extra: Option<(&str, &str)>) -> Markup {
    let reason_id = format!("reason-{action}{}", extra.map_or("", |(_, v)| v));
    html! {
        div.control {
            button type="button" data-action=(action)
                data-workflow=[extra.map(|(_, v)| v)]
                disabled[!gate.enabled]
                aria-describedby=(reason_id) { (label) }
            " "
            span.reason id=(reason_id) { (gate.reason) }
        }
    }
}

fn actions(bundle: &RunBundle) -> Markup {
    let approve = approve_gate(bundle);
    let blocking = !open_blocking(&bundle.clarifications).is_empty();
    html! {
        div.controls {
            form.approve data-action="approve" {
                @if blocking && approve.enabled {
                    label { input type="checkbox" name="accept_defaults" id="accept-defaults"; " accept the defaults of open blocking questions" }
                    " "
                }
                button type="submit" disabled[!approve.enabled] aria-describedby="reason-approve" { "Approve plan" }
                " "
                span.reason id="reason-approve" { (approve.reason) }
            }
            (gated_button(&dispatch_gate(bundle, WorkflowName::Planner), "Plan (phase1-planner)", "dispatch", Some(("workflow", "phase1-planner"))))
            (gated_button(&dispatch_gate(bundle, WorkflowName::Implementation), "Sync issues (phase2-implementation)", "dispatch", Some(("workflow", "phase2-implementation"))))
            p.action-result role="status" aria-live="polite" {}
        }
    }
}

fn questions(bundle: &RunBundle, mode: Mode) -> Markup {
    let records = &bundle.clarifications;
    html! {
        @if records.is_empty() {
            p.empty { "No questions for this revision." }
        } @else {
            ul.questions {
                @for q in records {
                    li.question data-qid=(q.id) {
                        p {
                            code { (q.id) } " "
                            span.badge data-status=(q.status.as_str()) { (q.status.as_str()) }
                            @if q.blocking { " " span.badge.blocking { "blocking" } }
                            " " strong { (q.question) }
                        }
                        p.why { (q.why) }
                        @if let Some(default) = &q.default_assumption { p.default { "Default: " (default) } }
                        @if let Some(answer) = &q.answer {
                            p.answer { "Answer: " (answer)
                                @if let Some(by) = &q.answered_by { " (" (by) ")" } }
                        }
                        @if !q.affects.is_empty() {
                            p.affects { "Affects: " @for (i, a) in q.affects.iter().enumerate() { @if i > 0 { ", " } code { (a) } } }
                        }
                        @if mode == Mode::Console && q.is_open() {
                            @let field = format!("answer-{}", q.id);
                            form.answer data-action="answer" data-qid=(q.id) {
                                label for=(field) { "Answer " (q.id) }
                                textarea id=(field) name="answer" rows="2" required {}
                                button type="submit" { "Answer and re-plan" }
                                @if q.default_assumption.is_some() {
                                    " "
                                    button type="button" data-action="accept-default" data-qid=(q.id) { "Accept the default" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn refine_box(bundle: &RunBundle) -> Markup {
    let planned = has_pack(bundle);
    html! {
        form.refine data-action="refine" data-project=(bundle.run.project()) {
            label for="refine-request" { "What should change in this plan?" }
            textarea id="refine-request" name="request" rows="2" required
                placeholder="Use SQLite instead of PostgreSQL" {}
            button type="submit" disabled[!planned] aria-describedby="reason-refine" { "Plan a refined revision" }
            " "
            span.reason id="reason-refine" {
                @if planned { "re-plans only what the change touches" } @else { "there is no plan to refine yet" }
            }
        }
    }
}

fn list_diff(name: &str, diff: &ListDiff) -> Markup {
    html! {
        @if !diff.is_empty() {
            h3 { (name) }
            ul.diff {
                @for e in &diff.added { li.added { "added " code { (e.id) } " " (e.title) @if let Some(b) = &e.because { " — because " (b) } } }
                @for e in &diff.changed {
                    li.changed { "changed " code { (e.id) } " " (e.title) " ("
                        @for (i, f) in e.fields.iter().enumerate() { @if i > 0 { ", " } (f) } ")"
                        @if let Some(b) = &e.because { " — because " (b) } }
                }
                @for e in &diff.removed { li.removed { "removed " code { (e.id) } " " (e.title) @if let Some(b) = &e.because { " — because " (b) } } }
            }
        }
        p.unchanged { (diff.unchanged) " " (name.to_lowercase()) " unchanged" }
    }
}

fn changes(diff: &PlanDiff) -> Markup {
    html! {
        @if diff.is_empty() { p { "Nothing changed since revision " (diff.previous_revision) "." } }
        @if !diff.reasons.is_empty() {
            p { "Because of: " } ul { @for r in &diff.reasons { li { (r) } } }
        }
        (list_diff("Requirements", &diff.requirements))
        (list_diff("Components", &diff.components))
        (list_diff("Plan items", &diff.plan_items))
        @if !diff.not_applied.is_empty() {
            p.notice { "Not applied: " } ul { @for r in &diff.not_applied { li { (r) } } }
        }
    }
}

/// An SVG the renderer produced, or a note saying why there is none.
fn diagram(source: &str, label: &str) -> Markup {
    match mermaid::render_svg(source) {
        Ok(svg) => html! { figure.diagram role="img" aria-label=(label) { (PreEscaped(svg)) } },
        Err(error) => html! { p.notice { "The diagram could not be drawn: " (error.to_string()) } },
    }
}

fn architecture(pack: &ArchitecturePack, diagram_source: Option<&str>) -> Markup {
    let a = &pack.architecture;
    let source = diagram_source.map(|s| mermaid::for_renderer(&mermaid::without_interaction(s)));
    html! {
        p { (a.description) }
        @if let Some(source) = &source {
            (diagram(source, &format!("Component diagram of {}", a.name)))
        } @else {
            p.empty { "This run has no diagram artifact." }
        }
        h3 { "Components" }
        ul.components { @for c in &a.components { li { (c.name) " " span.badge { (c.kind.as_str()) } } } }
        @if !a.data_flows.is_empty() { h3 { "Data flows" } ul { @for f in &a.data_flows { li { (f) } } } }
        @if !a.data_stores.is_empty() { h3 { "Data stores" } ul { @for f in &a.data_stores { li { (f) } } } }
        h3 { "Trade-offs" }
        div.tradeoffs {
            div { h4 { "Pros" } ul { @for t in &a.tradeoffs.pros { li { (t) } } } }
            div { h4 { "Cons" } ul { @for t in &a.tradeoffs.cons { li { (t) } } } }
            div { h4 { "Risks" } ul { @for t in &a.tradeoffs.risks { li { (t) } } } }
        }
        p.rationale { strong { "Rationale: " } (a.rationale) }
    }
}

fn coverage_text(status: CoverageStatus) -> &'static str {
    match status {
        CoverageStatus::Covered => "covered",
        CoverageStatus::Partial => "partial",
        CoverageStatus::Missing => "missing",
    }
}

fn requirements(pack: &ArchitecturePack) -> Markup {
    html! {
        @if pack.requirements.is_empty() { p.empty { "The PRD states no requirements." } } @else {
            table {
                thead { tr { th scope="col" { "Id" } th scope="col" { "Requirement" } th scope="col" { "Priority" } th scope="col" { "Coverage" } th scope="col" { "Trace" } } }
                tbody {
                    @for r in &pack.requirements {
                        @let coverage = pack.coverage.iter().find(|c| c.requirement_id == r.id);
                        tr {
                            td { code { (r.id) } }
                            td { (r.text)
                                @if !r.acceptance_criteria.is_empty() { ul.criteria { @for c in &r.acceptance_criteria { li { (c) } } } } }
                            td { (r.priority.as_str()) }
                            td { @match coverage {
                                Some(c) => { span.badge data-coverage=(coverage_text(c.status)) { (coverage_text(c.status)) } @if let Some(n) = &c.notes { " " (n) } },
                                None => { span.badge data-coverage="missing" { "missing" } },
                            } }
                            td { @for t in pack.trace.iter().filter(|t| t.requirement_id == r.id) { div { (t.source_hint) } } }
                        }
                    }
                }
            }
        }
    }
}

fn issue_plan(bundle: &RunBundle, pack: &ArchitecturePack) -> Markup {
    let state: BTreeMap<&str, &pass_contracts::runs::IssueState> = bundle
        .run
        .implementation_state
        .iter()
        .flat_map(|s| s.issues.iter())
        .map(|i| (i.plan_item_id.as_str(), i))
        .collect();
    let links: BTreeMap<String, Url> = state
        .iter()
        .filter_map(|(id, s)| Some(((*id).to_owned(), s.issue_url.clone()?)))
        .collect();
    let plan = &pack.implementation.github_issue_plan;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in state.values() {
        *counts.entry(outcome_text(s)).or_default() += 1;
    }
    html! {
        @if plan.is_empty() { p.empty { "No issues planned." } } @else {
            (diagram(&mermaid::issue_graph(pack, &links), "Issue dependency graph"))
            @if let Some(synced) = &bundle.run.implementation_state {
                p.sync { "Synced " time { (synced.synced_at) } ": "
                    @for (i, (outcome, n)) in counts.iter().enumerate() { @if i > 0 { ", " } (n) " " (outcome) } }
            }
            table {
                thead { tr { th scope="col" { "Id" } th scope="col" { "Title" } th scope="col" { "Depends on" } th scope="col" { "Labels" } th scope="col" { "Issue" } th scope="col" { "Sync" } } }
                tbody {
                    @for item in plan {
                        @let synced = state.get(item.id.as_str());
                        tr id=(format!("item-{}", item.id)) {
                            td { code { (item.id) } }
                            td { (item.title) }
                            td { @for (i, d) in item.depends_on.iter().enumerate() { @if i > 0 { ", " } code { (d) } } }
                            td { @for l in &item.labels { span.badge { (l) } " " } }
                            td { @if let Some(s) = synced {
                                @match s.issue_url.as_ref().filter(|u| mermaid::is_linkable(u)) {
                                    Some(url) => { a.issue href=(url) target="_blank" rel="noopener noreferrer" {
                                        @if let Some(n) = s.issue_number { "#" (n) } @else { "issue" } } },
                                    None => { @if let Some(n) = s.issue_number { "#" (n) } },
                                }
                            } }
                            td { @if let Some(s) = synced {
                                span.badge data-outcome=(outcome_text(s)) { (outcome_text(s)) }
                                @if let Some(e) = &s.last_error { " " (e) }
                            } @else { "not synced" } }
                        }
                    }
                }
            }
        }
    }
}

fn outcome_text(state: &pass_contracts::runs::IssueState) -> &'static str {
    state
        .outcome
        .map_or_else(|| state.sync_status.as_str(), |o| o.as_str())
}

/// One row of the console's list of runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRow {
    pub run_id: String,
    pub short_id: String,
    pub title: String,
    pub project_id: String,
    pub project: String,
    pub revision: u32,
    pub status: RunStatus,
    pub plan_state: Option<PlanState>,
    pub created_at: String,
    pub last_updated_at: String,
}

impl RunRow {
    pub fn new(run: &RunDetail, project: Option<&Project>) -> Self {
        let run_id = run.run_id.to_string();
        Self {
            short_id: short_id(&run_id).to_owned(),
            title: run_title(run, None),
            project_id: run.project().to_string(),
            project: project.map_or_else(|| run.project().to_string(), |p| p.name.to_string()),
            revision: run.revision_number().get(),
            status: run.status,
            plan_state: run.plan_state,
            created_at: run.created_at.to_string(),
            last_updated_at: run.last_updated_at.to_string(),
            run_id,
        }
    }
}

/// `GET /views/runs`: the list the console's first page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRows {
    pub total: u64,
    pub runs: Vec<RunRow>,
}
