//! Refinement on a model (Anthropic, OpenAI-compatible): the previous
//! revision's pack with only the sections a change touches generated again.
//!
//! 1. Each answer and request is placed in the sections it alters
//!    ([`super::scope`]): by code where code can read it, else by one small
//!    side call to the model; every section that builds on those is
//!    re-planned too ([`closure`]).
//! 2. The previous pack is read back into section drafts
//!    ([`super::drafts`]); an answered question is recorded in them.
//! 3. The pipeline runs with every other section carried over as already
//!    decided (no call), and each re-planned section is shown its previous
//!    version and the changes in full, fenced as data
//!    ([`crate::prompt::refinement_briefing`]).
//! 4. The new pack is the previous one with the parts of the re-planned
//!    sections replaced ([`splice`]): a carried-over section comes out byte
//!    for byte as it was, whatever the drafts could not hold.
//! 5. Ids are anchored to the previous revision as for any revision, and the
//!    `plan_diff` names, for each changed list, the answers and requests
//!    whose sections hold it. The model's wording is taken as it is
//!    (`keep_wording` is off): a re-planned section was asked to keep what
//!    the change does not touch, and restoring the previous words of an
//!    entry would undo a change that left its links alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use pass_contracts::coordination::{
    AnsweredQuestion, Clarification, Refinement, clarifications_from_pack,
};
use pass_contracts::{ArchitecturePack, OrgConstraints, Timestamp};
use uuid::Uuid;

use crate::config::PlannerConfig;
use crate::error::PlannerError;
use crate::model::{Model, ModelError, PromptContext, SectionRequest, SideTask};
use crate::pipeline::{PipelineInput, Rework};
use crate::prompt::{ChangeNote, changes_block, refinement_briefing, triage_text};
use crate::refine::RefineNotes;
use crate::refine::drafts::{NO_ORG_LINE_START, drafts_from_pack};
use crate::refine::scope::{
    ChangeScope, TRIAGE_TASK, closure, outline, read_triage, scope_changes, triage_schema,
};
use crate::revision::PlanHistory;
use crate::sections::{ALL_SECTIONS, Drafts, SectionName};
use crate::usage::{SideCallUsage, UsageReport};
use crate::{FinishContext, Planned, assemble, complete, pipeline, product_line};

/// Output budget of the side call: a sentence and a few section names.
const TRIAGE_MAX_TOKENS: u32 = 1_024;

/// What a refinement revision on a model needs.
#[derive(Debug)]
pub struct ModelRefinement<'a> {
    /// The refined revision's pack.
    pub base: &'a ArchitecturePack,
    pub refinement: &'a Refinement,
    /// The refined run's question records: an answered question's `affects`
    /// says where it lands. Empty: they are derived from `base` as the
    /// server derives them.
    pub clarifications: &'a [Clarification],
    pub prd_text: &'a str,
    pub org: &'a OrgConstraints,
    pub org_given: bool,
    pub run_id: Uuid,
    /// Where validated sections are kept so a rerun resumes; none to disable.
    pub checkpoint_dir: Option<PathBuf>,
    pub history: Option<&'a PlanHistory>,
}

/// Plans a refinement revision on `model`: only the sections the answers
/// and requests touch (and those built on them) are generated; every other
/// part of `base` is carried over unchanged.
pub async fn plan_refinement_with_model(
    model: &dyn Model,
    input: ModelRefinement<'_>,
    config: &PlannerConfig,
) -> Result<Planned, PlannerError> {
    let started = Instant::now();
    let ModelRefinement {
        base,
        refinement,
        clarifications,
        prd_text,
        org,
        org_given,
        run_id,
        checkpoint_dir,
        history,
    } = input;
    let derived;
    let records = if clarifications.is_empty() && !refinement.answers.is_empty() {
        derived = clarifications_from_pack(base, &[], Timestamp::now());
        derived.as_slice()
    } else {
        clarifications
    };
    let mut scopes = scope_changes(refinement, records, base);

    let mut side_calls = Vec::new();
    let unread: Vec<ChangeNote> = scopes
        .iter()
        .filter(|s| !s.unread.is_empty())
        .map(|s| s.note.clone())
        .collect();
    if !unread.is_empty() {
        let (placed, usage) = triage(model, base, org, org_given, &unread).await?;
        side_calls.push(usage);
        // An answer the model could not give re-plans everything.
        let placed = placed.unwrap_or_else(|| ALL_SECTIONS.into_iter().collect());
        for scope in scopes.iter_mut().filter(|s| !s.unread.is_empty()) {
            scope.seeds.extend(placed.iter().copied());
        }
    }
    let closures: Vec<BTreeSet<SectionName>> = scopes.iter().map(|s| closure(&s.seeds)).collect();
    let regenerate: BTreeSet<SectionName> = closures.iter().flatten().copied().collect();
    tracing::info!(
        sections = ?regenerate.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        changes = scopes.len(),
        "refinement re-plans these sections; the rest is carried over"
    );

    let mut drafts = drafts_from_pack(base);
    record_answers_in_drafts(&mut drafts, &refinement.answers);
    let notes: Vec<ChangeNote> = scopes.iter().map(|s| s.note.clone()).collect();
    let changes = changes_block(&notes);
    let mut rework = Rework::default();
    for section in ALL_SECTIONS {
        let value = drafts
            .section_value(section)
            .map_err(|e| PlannerError::SectionInvalid {
                section,
                provider: model.provider(),
                attempts: 0,
                problems: vec![format!("the previous revision's section: {e}")],
            })?;
        if regenerate.contains(&section) {
            rework
                .briefings
                .insert(section, refinement_briefing(section, &value, &changes));
        } else {
            rework.carried.insert(section, value);
        }
    }
    let mut excerpts = prd_text.to_owned();
    for note in &notes {
        excerpts.push_str("\n\n");
        excerpts.push_str(&match note {
            ChangeNote::Request(request) => request.clone(),
            ChangeNote::Answer { answer, .. } => answer.clone(),
        });
    }
    rework.excerpt_text = Some(excerpts);
    rework.spent_tokens = side_calls.iter().map(|c| c.tokens().total()).sum();

    let output = pipeline::run_with(
        PipelineInput {
            prd_text,
            org,
            org_given,
            checkpoint_dir,
            // Re-planned sections see their whole previous version instead.
            previous_pack: None,
        },
        &rework,
        model,
        config,
    )
    .await?;
    let all = assemble::drafts_from_sections(&output.sections)?;
    let mut extra = output.policy_notes;
    if regenerate.contains(&SectionName::Core) {
        if !org_given {
            extra.push(format!("{NO_ORG_LINE_START} the stack the PRD names is kept, and PASS defaults fill only what it leaves open."));
        }
        extra.push(product_line(&all.core));
    }
    extra.extend(output.truncation_note);
    let fresh = assemble::assemble(
        &all,
        assemble::PackMeta {
            run_id,
            created_at: Timestamp::now(),
            tool_version: &config.tool_version,
            prd_text,
            org,
            extra_assumptions: extra,
        },
    )?;
    let mut pack = splice(base, &fresh, &regenerate);
    record_answers(&mut pack, &refinement.answers);

    let usage = UsageReport::with_side_calls(
        model.provider(),
        model.model_name(),
        started.elapsed().as_millis() as u64,
        output.usage,
        side_calls,
    );
    let notes = refine_notes(&scopes, &closures);
    let context = FinishContext {
        prd_text,
        org,
        run_id,
        config,
        history,
        keep_wording: false,
    };
    complete(pack, usage, &context, Some(&notes))
}

/// Asks the model which sections `changes` alter: one call, no PRD, an
/// `enum` of section names. `None` when the answer cannot be read.
async fn triage(
    model: &dyn Model,
    base: &ArchitecturePack,
    org: &OrgConstraints,
    org_given: bool,
    changes: &[ChangeNote],
) -> Result<(Option<BTreeSet<SectionName>>, SideCallUsage), PlannerError> {
    let started = Instant::now();
    let context = Arc::new(PromptContext {
        prd_text: String::new(),
        org_constraints_json: serde_json::to_string_pretty(org).unwrap_or_default(),
        org_given,
        strictness: org.strictness,
        truncated_from: None,
    });
    let request = SectionRequest {
        // Only labels the call: the side task says what is asked.
        section: SectionName::Core,
        schema: triage_schema(),
        context,
        briefing: String::new(),
        earlier: BTreeMap::new(),
        repair_notes: Vec::new(),
        previous: None,
        max_tokens: TRIAGE_MAX_TOKENS,
        side_task: Some(SideTask {
            name: TRIAGE_TASK,
            text: triage_text(&outline(base), &changes_block(changes)),
        }),
    };
    let (placed, spent, calls) = match model.generate(&request).await {
        Ok(reply) => (read_triage(&reply.value), reply.usage, reply.calls),
        Err(error @ (ModelError::MaxTokens { .. } | ModelError::BadReply { .. })) => {
            tracing::warn!(%error, "the model's answer on where the change lands cannot be read; every section is re-planned");
            (None, error.usage(), 1)
        }
        Err(source) => {
            return Err(PlannerError::Triage {
                provider: model.provider(),
                source,
            });
        }
    };
    let usage = SideCallUsage {
        task: TRIAGE_TASK.to_owned(),
        calls,
        latency_ms: started.elapsed().as_millis() as u64,
        input_tokens: spent.input_tokens,
        output_tokens: spent.output_tokens,
        cache_creation_input_tokens: spent.cache_creation_input_tokens,
        cache_read_input_tokens: spent.cache_read_input_tokens,
    };
    Ok((placed, usage))
}

/// The diff's reasons; for each list, the changes whose re-planned
/// sections hold it; and the changes that re-planned nothing.
fn refine_notes(scopes: &[ChangeScope], closures: &[BTreeSet<SectionName>]) -> RefineNotes {
    let mut notes = RefineNotes {
        reasons: scopes.iter().map(|s| s.reason.clone()).collect(),
        ..RefineNotes::default()
    };
    for (list, section) in [
        ("requirements", SectionName::Requirements),
        ("components", SectionName::Architecture),
        ("plan_items", SectionName::IssuePlan),
    ] {
        let reasons: Vec<&str> = scopes
            .iter()
            .zip(closures)
            .filter(|(_, c)| c.contains(&section))
            .map(|(s, _)| s.reason.as_str())
            .collect();
        if !reasons.is_empty() {
            notes
                .list_reasons
                .insert(list.to_owned(), reasons.join("; "));
        }
    }
    for (scope, sections) in scopes.iter().zip(closures) {
        if sections.is_empty() {
            notes.not_applied.push(match scope.note {
                ChangeNote::Answer { .. } => format!(
                    "{}: recorded with its question; the model placed it in no section, so nothing was re-planned",
                    scope.reason
                ),
                ChangeNote::Request(_) => format!(
                    "\"{}\": the model placed it in no section of the plan, so nothing was re-planned",
                    scope.reason
                ),
            });
        }
    }
    notes
}

/// `base` with the parts of the pack each re-planned section produces taken
/// from `fresh` (run id, creation time and tool from `fresh` too). Coverage
/// follows the requirements and the issue plan. Without a re-planned core,
/// the assumptions are `base`'s plus any new line (what a re-planned issue
/// plan leaves out, org policy notes of a re-planned architecture).
pub fn splice(
    base: &ArchitecturePack,
    fresh: &ArchitecturePack,
    regenerated: &BTreeSet<SectionName>,
) -> ArchitecturePack {
    let mut pack = base.clone();
    pack.run_id = fresh.run_id;
    pack.created_at = fresh.created_at;
    pack.tool = fresh.tool.clone();
    for section in regenerated {
        match section {
            SectionName::Core => {
                pack.prd.title = fresh.prd.title.clone();
                pack.prd.summary = fresh.prd.summary.clone();
                pack.actors = fresh.actors.clone();
                pack.open_questions = fresh.open_questions.clone();
                pack.assumptions = fresh.assumptions.clone();
            }
            SectionName::Requirements => {
                pack.requirements = fresh.requirements.clone();
                pack.trace = fresh.trace.clone();
            }
            SectionName::Clarifications => pack.clarifications = fresh.clarifications.clone(),
            SectionName::Workflows => pack.workflows = fresh.workflows.clone(),
            SectionName::Domain => {
                pack.entities = fresh.entities.clone();
                pack.integrations = fresh.integrations.clone();
                pack.nfrs = fresh.nfrs;
            }
            SectionName::Architecture => pack.architecture = fresh.architecture.clone(),
            SectionName::Refinement => pack.refinement = fresh.refinement.clone(),
            SectionName::Implementation => {
                let (to, from) = (&mut pack.implementation, &fresh.implementation);
                to.summary = from.summary.clone();
                to.iac_handoff = from.iac_handoff.clone();
                to.logic_requirements = from.logic_requirements.clone();
                to.coordination = from.coordination.clone();
                to.observability = from.observability.clone();
            }
            SectionName::IssuePlan => {
                pack.implementation.github_issue_plan =
                    fresh.implementation.github_issue_plan.clone();
            }
        }
    }
    if regenerated.contains(&SectionName::Requirements)
        || regenerated.contains(&SectionName::IssuePlan)
    {
        pack.coverage = fresh.coverage.clone();
    }
    if !regenerated.contains(&SectionName::Core) {
        for line in &fresh.assumptions {
            if !pack.assumptions.contains(line) {
                pack.assumptions.push(line.clone());
            }
        }
    }
    pack
}

/// Whether a clarification of the pack is the one `answer` settles.
fn settles(answer: &AnsweredQuestion, id: &str, question: &str) -> bool {
    answer.id.as_str() == id || answer.question.trim() == question.trim()
}

/// Answers recorded in the drafts the re-planned sections build on: the
/// clarification takes the answer, an open question it was is closed.
fn record_answers_in_drafts(drafts: &mut Drafts, answers: &[AnsweredQuestion]) {
    for answer in answers {
        for c in &mut drafts.clarifications.clarifications {
            if settles(answer, &c.id, &c.question) {
                c.answer = answer.answer.to_string();
                c.default_used = false;
            }
        }
        drafts
            .core
            .open_questions
            .retain(|q| q.trim() != answer.question.trim());
    }
}

/// The same in the pack, as the offline refinement records them.
fn record_answers(pack: &mut ArchitecturePack, answers: &[AnsweredQuestion]) {
    for answer in answers {
        for c in &mut pack.clarifications {
            if settles(answer, &c.id, &c.question) {
                c.answer = answer.answer.clone();
                c.default_used = false;
            }
        }
        pack.open_questions
            .retain(|q| q.trim() != answer.question.trim());
    }
}
