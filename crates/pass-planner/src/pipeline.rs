//! Sections in dependency order, independent ones at once; each one
//! generated, normalised, checked (with the org policy for the architecture),
//! repaired with the exact problems quoted, checkpointed, and paid for out of
//! the run's token budget. When the last attempt still has problems, code
//! repairs what it can (references, ids, cycles, order, source hints; see
//! [`crate::repair`]) and says so in the pack, so a run does not fail on a
//! detail a model got wrong three times.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use pass_contracts::OrgConstraints;
use pass_contracts::org::Strictness;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::{PlannerConfig, Provider};
use crate::error::PlannerError;
use crate::model::{Model, ModelError, PromptContext, SectionRequest, TokenUsage};
use crate::policy;
use crate::sections::{ALL_SECTIONS, ArchitectureDraft, CheckContext, SectionName, check_section};
use crate::usage::SectionUsage;

/// Bump when prompts or draft shapes change, so old checkpoints are not reused.
const CHECKPOINT_VERSION: &str = "pass-planner-checkpoint-2";
/// Starts every note a deterministic repair leaves, so a resumed run keeps them.
const REPAIR_NOTE: &str = "repaired by code:";
/// Longest list a section may hold after normalisation.
pub const MAX_LIST_ITEMS: usize = 200;

/// What one pipeline run needs besides the model.
#[derive(Debug)]
pub struct PipelineInput<'a> {
    pub prd_text: &'a str,
    pub org: &'a OrgConstraints,
    /// Whether the run carried org constraints; the model is told, since
    /// defaults only fill what the PRD leaves open.
    pub org_given: bool,
    /// Where validated sections are kept so a rerun resumes; none to disable.
    pub checkpoint_dir: Option<PathBuf>,
    /// The project's previous revision: its requirement ids and plan items
    /// are shown to the model so unchanged work keeps its ids (a hint; ids
    /// are matched again by code afterwards).
    pub previous_pack: Option<&'a pass_contracts::ArchitecturePack>,
}

/// Every section's validated value, plus what it cost.
#[derive(Debug)]
pub struct PipelineOutput {
    pub sections: BTreeMap<SectionName, Value>,
    pub usage: Vec<SectionUsage>,
    /// Org-constraint deviations accepted under `strictness: prefer`.
    pub policy_notes: Vec<String>,
    /// Set when only a prefix of the PRD was sent to the model.
    pub truncation_note: Option<String>,
}

struct TokenBudget {
    limit: Option<u64>,
    /// (used, reserved)
    state: Mutex<(u64, u64)>,
}

impl TokenBudget {
    fn reserve(&self, section: SectionName, amount: u64) -> Result<(), PlannerError> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (used, reserved) = *state;
        if used + reserved + amount > limit {
            return Err(PlannerError::TokenBudget {
                section,
                limit,
                used,
                needed: amount,
            });
        }
        state.1 += amount;
        Ok(())
    }

    fn settle(&self, reserved: u64, actual: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.1 = state.1.saturating_sub(reserved);
        state.0 += actual;
    }
}

struct Shared<'a> {
    model: &'a dyn Model,
    config: &'a PlannerConfig,
    context: Arc<PromptContext>,
    prd_text: &'a str,
    org: &'a OrgConstraints,
    budget: TokenBudget,
    checkpoint_dir: Option<PathBuf>,
    previous_pack: Option<&'a pass_contracts::ArchitecturePack>,
    briefings: &'a BTreeMap<SectionName, String>,
}

struct SectionOutcome {
    section: SectionName,
    value: Value,
    usage: SectionUsage,
    policy_notes: Vec<String>,
}

/// What a refinement adds to a pipeline run: the sections carried over
/// from the previous revision, and for each section it re-plans, the
/// previous version and the changes.
#[derive(Debug, Default)]
pub struct Rework {
    /// Sections carried over: done before the run starts, with no call.
    /// Every section not here is generated.
    pub carried: BTreeMap<SectionName, Value>,
    /// A generated section's briefing in place of the one code computes for
    /// a fresh plan: its previous version and the changes (see
    /// [`crate::prompt::refinement_briefing`]).
    pub briefings: BTreeMap<SectionName, String>,
    /// The text source hints may be verbatim excerpts of, when it is more
    /// than the PRD (the PRD and the changes' own words).
    pub excerpt_text: Option<String>,
    /// Tokens this run already spent outside the pipeline, against the cap.
    pub spent_tokens: u64,
}

/// Runs every section and returns their validated values.
pub async fn run(
    input: PipelineInput<'_>,
    model: &dyn Model,
    config: &PlannerConfig,
) -> Result<PipelineOutput, PlannerError> {
    run_with(input, &Rework::default(), model, config).await
}

/// [`run`] for a refinement: the `rework`'s carried sections are taken as
/// they are, and only the others are generated, each with its briefing.
pub async fn run_with(
    input: PipelineInput<'_>,
    rework: &Rework,
    model: &dyn Model,
    config: &PlannerConfig,
) -> Result<PipelineOutput, PlannerError> {
    let full_chars = input.prd_text.chars().count();
    let (prompt_prd, truncation_note) = if full_chars > config.max_prompt_chars
        && model.provider() != Provider::Offline
    {
        let cut: String = input
            .prd_text
            .chars()
            .take(config.max_prompt_chars)
            .collect();
        let note = format!(
            "The PRD has {full_chars} characters; only the first {} were sent to the model (PASS_PLANNER_MAX_PROMPT_CHARS), so later parts may be missing from the plan.",
            config.max_prompt_chars
        );
        (cut, Some(note))
    } else {
        (input.prd_text.to_owned(), None)
    };
    let context = Arc::new(PromptContext {
        prd_text: prompt_prd,
        org_constraints_json: serde_json::to_string_pretty(input.org).unwrap_or_default(),
        org_given: input.org_given,
        strictness: input.org.strictness,
        truncated_from: truncation_note.as_ref().map(|_| full_chars),
    });
    let shared = Shared {
        model,
        config,
        context,
        prd_text: rework.excerpt_text.as_deref().unwrap_or(input.prd_text),
        org: input.org,
        budget: TokenBudget {
            limit: config.max_total_tokens,
            state: Mutex::new((rework.spent_tokens, 0)),
        },
        checkpoint_dir: input.checkpoint_dir,
        previous_pack: input.previous_pack,
        briefings: &rework.briefings,
    };

    let mut done: BTreeMap<SectionName, Value> = rework.carried.clone();
    let mut usage: Vec<SectionUsage> = rework
        .carried
        .keys()
        .map(|section| SectionUsage {
            carried_over: true,
            ..SectionUsage::empty(*section, model.provider(), model.model_name())
        })
        .collect();
    let mut policy_notes = Vec::new();
    let mut started: BTreeSet<SectionName> = rework.carried.keys().copied().collect();
    let mut running = FuturesUnordered::new();
    // The first failure ends the run, but only after the sections already
    // running have finished: their checkpoints make a rerun cheaper.
    let mut failure: Option<PlannerError> = None;
    loop {
        for section in ALL_SECTIONS {
            if running.len() >= config.concurrency || failure.is_some() {
                break;
            }
            let ready = !started.contains(&section)
                && section.depends_on().iter().all(|d| done.contains_key(d));
            if ready {
                started.insert(section);
                let earlier: BTreeMap<SectionName, Value> = section
                    .depends_on()
                    .iter()
                    .filter_map(|d| done.get(d).map(|v| (*d, v.clone())))
                    .collect();
                running.push(run_section(&shared, section, earlier));
            }
        }
        match running.next().await {
            Some(Ok(outcome)) => {
                done.insert(outcome.section, outcome.value);
                usage.push(outcome.usage);
                policy_notes.extend(outcome.policy_notes);
            }
            Some(Err(error)) => {
                failure.get_or_insert(error);
            }
            None => break,
        }
    }
    if let Some(error) = failure {
        return Err(error);
    }
    usage.sort_by_key(|u| ALL_SECTIONS.iter().position(|s| *s == u.section));
    Ok(PipelineOutput {
        sections: done,
        usage,
        policy_notes,
        truncation_note,
    })
}

async fn run_section(
    shared: &Shared<'_>,
    section: SectionName,
    earlier: BTreeMap<SectionName, Value>,
) -> Result<SectionOutcome, PlannerError> {
    let started = Instant::now();
    let provider = shared.model.provider();
    let model_name = shared.model.model_name().to_owned();
    let schema = section.schema_for(&earlier);
    // A re-planned section's previous version stands in for what code
    // computes for a fresh plan (the issue count target, the ids used): the
    // section is asked to keep what the changes leave alone, not to re-slice.
    let briefing = match shared.briefings.get(&section) {
        Some(rework) => rework.clone(),
        None => briefing(section, &earlier, shared.previous_pack),
    };
    let key = checkpoint_key(shared, section, &schema, &briefing, &earlier);
    let ctx = CheckContext::new(shared.prd_text, &earlier);
    let mut usage = SectionUsage::empty(section, provider, &model_name);

    if let Some((value, saved_notes)) =
        load_checkpoint(shared.checkpoint_dir.as_deref(), section, &key)
    {
        // Only validated sections are saved, some after a repair that
        // accepted a coverage gap; the same leniency applies on reading.
        let lenient = CheckContext {
            lenient_coverage: true,
            ..CheckContext::new(shared.prd_text, &earlier)
        };
        let (problems, mut notes) = all_problems(shared, section, &value, &lenient);
        notes.extend(
            saved_notes
                .into_iter()
                .filter(|n| n.contains("was too long") || n.contains(REPAIR_NOTE)),
        );
        if problems.is_empty() {
            usage.from_checkpoint = true;
            usage.latency_ms = started.elapsed().as_millis() as u64;
            tracing::info!(%section, "section read from checkpoint");
            return Ok(SectionOutcome {
                section,
                value,
                usage,
                policy_notes: notes,
            });
        }
    }

    let base_budget = shared
        .config
        .anthropic
        .max_tokens
        .get(&section)
        .copied()
        .unwrap_or_else(|| section.default_max_tokens());
    let mut repair_notes: Vec<String> = Vec::new();
    let mut previous: Option<Value> = None;
    for attempt in 1..=shared.config.max_attempts {
        usage.attempts = attempt;
        let mut request = SectionRequest {
            section,
            schema: schema.clone(),
            context: Arc::clone(&shared.context),
            briefing: briefing.clone(),
            earlier: earlier.clone(),
            repair_notes: repair_notes.clone(),
            previous: previous.clone(),
            max_tokens: base_budget,
            side_task: None,
        };
        let reply = match generate_once(shared, &mut request, &mut usage).await {
            Ok(reply) => reply,
            // An unreadable answer is repaired like an invalid one while attempts remain.
            Err(PlannerError::Model {
                source: ModelError::BadReply { reason, .. },
                ..
            }) if attempt < shared.config.max_attempts => {
                tracing::warn!(%section, attempt, %reason, "unreadable answer; asking again");
                repair_notes = vec![format!(
                    "your previous answer could not be read ({reason}); answer with the section only"
                )];
                previous = None;
                continue;
            }
            Err(error) => return Err(error),
        };
        let mut capped = Vec::new();
        let value =
            crate::repair::canonicalise(section, normalise_noting(reply, &mut capped), &ctx);
        let (problems, mut notes) = all_problems(shared, section, &value, &ctx);
        if problems.is_empty() {
            notes.extend(
                capped
                    .into_iter()
                    .map(|c| format!("The model's `{section}` section was too long: {c}.")),
            );
            save_checkpoint(
                shared.checkpoint_dir.as_deref(),
                section,
                &key,
                &value,
                &notes,
            )?;
            usage.latency_ms = started.elapsed().as_millis() as u64;
            return Ok(SectionOutcome {
                section,
                value,
                usage,
                policy_notes: notes,
            });
        }
        tracing::warn!(%section, attempt, problems = problems.len(), "section rejected; asking for a repair");
        repair_notes = problems;
        previous = Some(value);
    }
    if let Some(last) = previous {
        let (fixed, changes) = crate::repair::repair(section, last, &ctx);
        let fixed = normalise(fixed);
        let lenient = CheckContext {
            lenient_coverage: true,
            ..CheckContext::new(shared.prd_text, &earlier)
        };
        let (problems, mut notes) = all_problems(shared, section, &fixed, &lenient);
        if problems.is_empty() {
            tracing::warn!(%section, changes = changes.len(), "section repaired by code after the last attempt");
            notes.extend(
                changes
                    .into_iter()
                    .map(|c| format!("The model's `{section}` section was {REPAIR_NOTE} {c}")),
            );
            save_checkpoint(
                shared.checkpoint_dir.as_deref(),
                section,
                &key,
                &fixed,
                &notes,
            )?;
            usage.latency_ms = started.elapsed().as_millis() as u64;
            return Ok(SectionOutcome {
                section,
                value: fixed,
                usage,
                policy_notes: notes,
            });
        }
        repair_notes = problems;
    }
    Err(PlannerError::SectionInvalid {
        section,
        provider,
        attempts: shared.config.max_attempts,
        problems: repair_notes,
    })
}

/// One generation, retried once with double the output budget after a
/// `max_tokens` stop; every call is reserved against the budget first.
async fn generate_once(
    shared: &Shared<'_>,
    request: &mut SectionRequest,
    usage: &mut SectionUsage,
) -> Result<Value, PlannerError> {
    let section = request.section;
    let provider = shared.model.provider();
    let mut doubled = false;
    loop {
        let reserve = if provider == Provider::Offline {
            0
        } else {
            request.estimated_input_tokens() + u64::from(request.max_tokens)
        };
        shared.budget.reserve(section, reserve)?;
        let result = shared.model.generate(request).await;
        let spent = match &result {
            Ok(reply) => reply.usage,
            Err(error) => error.usage(),
        };
        shared.budget.settle(reserve, spent.total());
        add_usage(usage, &spent);
        match result {
            Ok(reply) => {
                usage.calls += reply.calls;
                return Ok(reply.value);
            }
            Err(ModelError::MaxTokens { max_tokens, .. }) if !doubled => {
                usage.calls += 1;
                doubled = true;
                request.max_tokens = max_tokens.saturating_mul(2);
                tracing::warn!(%section, max_tokens = request.max_tokens, "output limit reached; retrying once with double the budget");
            }
            Err(source) => {
                usage.calls += 1;
                return Err(PlannerError::Model {
                    section,
                    provider,
                    source,
                });
            }
        }
    }
}

fn add_usage(usage: &mut SectionUsage, spent: &TokenUsage) {
    usage.input_tokens += spent.input_tokens;
    usage.output_tokens += spent.output_tokens;
    usage.cache_creation_input_tokens += spent.cache_creation_input_tokens;
    usage.cache_read_input_tokens += spent.cache_read_input_tokens;
}

/// Section checks plus, for the architecture, the org policy: problems under
/// `strict`, notes for the assumptions under `prefer`.
fn all_problems(
    shared: &Shared<'_>,
    section: SectionName,
    value: &Value,
    ctx: &CheckContext<'_>,
) -> (Vec<String>, Vec<String>) {
    section_problems(shared.org, section, value, ctx)
}

/// One section's problems and policy notes against `org`.
pub fn section_problems(
    org: &OrgConstraints,
    section: SectionName,
    value: &Value,
    ctx: &CheckContext<'_>,
) -> (Vec<String>, Vec<String>) {
    let mut problems = check_section(section, value, ctx);
    let mut notes = Vec::new();
    if section == SectionName::Architecture && problems.is_empty() {
        if let Ok(draft) = serde_json::from_value::<ArchitectureDraft>(value.clone()) {
            for violation in policy::check(&draft, org) {
                match org.strictness {
                    Strictness::Strict => problems.push(violation.to_string()),
                    Strictness::Prefer => notes.push(format!(
                        "Deviation from org constraints accepted (strictness: prefer): {violation}."
                    )),
                }
            }
        }
    }
    (problems, notes)
}

/// Runs every section's checks on drafts made by code (the offline reader):
/// the same guarantees as a model's output, without the model wire. Returns
/// the policy notes; a problem is a reader bug and fails the run.
pub fn check_drafts(
    drafts: &crate::sections::Drafts,
    prd_text: &str,
    org: &OrgConstraints,
) -> Result<Vec<String>, PlannerError> {
    let mut earlier: BTreeMap<SectionName, Value> = BTreeMap::new();
    let mut notes = Vec::new();
    for section in crate::sections::ALL_SECTIONS {
        let value = drafts
            .section_value(section)
            .map_err(|e| PlannerError::SectionInvalid {
                section,
                provider: crate::config::Provider::Offline,
                attempts: 1,
                problems: vec![e.to_string()],
            })?;
        let ctx = CheckContext::new(prd_text, &earlier);
        let (problems, section_notes) = section_problems(org, section, &value, &ctx);
        if !problems.is_empty() {
            return Err(PlannerError::SectionInvalid {
                section,
                provider: crate::config::Provider::Offline,
                attempts: 1,
                problems,
            });
        }
        notes.extend(section_notes);
        earlier.insert(section, value);
    }
    Ok(notes)
}

/// Trims every string, drops blank strings and duplicates from string lists,
/// and caps every list at [`MAX_LIST_ITEMS`].
pub fn normalise(value: Value) -> Value {
    normalise_at(value, "", &mut Vec::new())
}

/// [`normalise`], also naming every list it had to shorten, so the pack can say so.
pub fn normalise_noting(value: Value, capped: &mut Vec<String>) -> Value {
    normalise_at(value, "", capped)
}

fn normalise_at(value: Value, path: &str, capped: &mut Vec<String>) -> Value {
    match value {
        Value::String(s) => Value::String(s.trim().to_owned()),
        Value::Array(items) => {
            let total = items.len();
            let all_strings = items.iter().all(Value::is_string);
            let mut out: Vec<Value> = Vec::with_capacity(total.min(MAX_LIST_ITEMS));
            for (i, item) in items.into_iter().enumerate() {
                if out.len() == MAX_LIST_ITEMS {
                    capped.push(format!(
                        "{path} had {total} items; only the first {MAX_LIST_ITEMS} are kept"
                    ));
                    break;
                }
                let item = normalise_at(item, &format!("{path}[{i}]"), capped);
                if all_strings {
                    let text = item.as_str().unwrap_or_default();
                    if text.is_empty() || out.iter().any(|o| o.as_str() == Some(text)) {
                        continue;
                    }
                }
                out.push(item);
            }
            Value::Array(out)
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let child = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    let v = normalise_at(v, &child, capped);
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// What code computes for a section's prompt: the issue count target and,
/// with a previous revision, the ids it used.
fn briefing(
    section: SectionName,
    earlier: &BTreeMap<SectionName, Value>,
    previous: Option<&pass_contracts::ArchitecturePack>,
) -> String {
    match section {
        SectionName::Requirements => crate::prompt::requirements_briefing(previous),
        SectionName::IssuePlan => {
            let ctx = CheckContext::new("", earlier);
            let domain = ctx.earlier::<crate::sections::DomainDraft>(SectionName::Domain);
            let target = crate::prompt::issue_count_target(
                ctx.requirements().len(),
                domain.as_ref().is_some_and(|d| !d.entities.is_empty()),
                domain.as_ref().map_or(0, |d| d.integrations.len()),
            );
            crate::prompt::issue_plan_briefing(target, previous)
        }
        _ => String::new(),
    }
}

fn checkpoint_key(
    shared: &Shared<'_>,
    section: SectionName,
    schema: &Value,
    briefing: &str,
    earlier: &BTreeMap<SectionName, Value>,
) -> String {
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(CHECKPOINT_VERSION.as_bytes());
    part(section.as_str().as_bytes());
    part(shared.model.provider().as_str().as_bytes());
    part(shared.model.model_name().as_bytes());
    part(schema.to_string().as_bytes());
    part(briefing.as_bytes());
    part(shared.context.prd_text.as_bytes());
    part(&[u8::from(shared.context.org_given)]);
    part(shared.context.org_constraints_json.as_bytes());
    for (name, value) in earlier {
        part(name.as_str().as_bytes());
        part(value.to_string().as_bytes());
    }
    hex::encode(hasher.finalize())
}

fn checkpoint_path(dir: &Path, section: SectionName, key: &str) -> PathBuf {
    dir.join(format!("{}.{}.json", section.as_str(), &key[..16]))
}

fn load_checkpoint(
    dir: Option<&Path>,
    section: SectionName,
    key: &str,
) -> Option<(Value, Vec<String>)> {
    let path = checkpoint_path(dir?, section, key);
    let text = fs_err::read_to_string(&path).ok()?;
    let stored: Value = serde_json::from_str(&text).ok()?;
    if stored.get("key").and_then(Value::as_str) != Some(key) {
        return None;
    }
    let notes = stored
        .get("notes")
        .and_then(Value::as_array)
        .map(|n| {
            n.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some((stored.get("value")?.clone(), notes))
}

fn save_checkpoint(
    dir: Option<&Path>,
    section: SectionName,
    key: &str,
    value: &Value,
    notes: &[String],
) -> Result<(), PlannerError> {
    let Some(dir) = dir else {
        return Ok(());
    };
    fs_err::create_dir_all(dir).map_err(|e| PlannerError::io("create the checkpoint folder", e))?;
    let path = checkpoint_path(dir, section, key);
    let tmp = path.with_extension("json.tmp");
    let body =
        serde_json::json!({ "key": key, "section": section, "value": value, "notes": notes });
    let text = serde_json::to_string(&body).unwrap_or_default();
    fs_err::write(&tmp, text).map_err(|e| PlannerError::io("write the checkpoint", e))?;
    fs_err::rename(&tmp, &path).map_err(|e| PlannerError::io("write the checkpoint", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalise_trims_dedupes_and_caps() {
        let many: Vec<Value> = (0..500).map(|i| json!(format!("item {i}"))).collect();
        let value = normalise(json!({
            "a": "  padded ",
            "list": [" x", "x", "", "y "],
            "many": many,
            "objects": [{"k": " v "}]
        }));
        assert_eq!(value["a"], "padded");
        assert_eq!(value["list"], json!(["x", "y"]));
        assert_eq!(value["many"].as_array().map(Vec::len), Some(MAX_LIST_ITEMS));
        let mut capped = Vec::new();
        let many: Vec<Value> = (0..201).map(|i| json!({"n": i})).collect();
        normalise_noting(json!({"outer": {"list": many}}), &mut capped);
        assert_eq!(
            capped,
            ["outer.list had 201 items; only the first 200 are kept"]
        );
        assert_eq!(value["objects"][0]["k"], "v");
    }

    #[test]
    fn budget_refuses_a_call_that_could_cross_the_cap() {
        let budget = TokenBudget {
            limit: Some(1000),
            state: Mutex::new((0, 0)),
        };
        budget.reserve(SectionName::Core, 600).unwrap();
        let err = budget.reserve(SectionName::Domain, 500).unwrap_err();
        assert!(
            err.to_string().contains("PASS_PLANNER_MAX_TOKENS is 1000"),
            "{err}"
        );
        budget.settle(600, 100);
        budget.reserve(SectionName::Domain, 500).unwrap();
    }
}
