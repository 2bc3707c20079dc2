//! The PASS planner: a PRD and optional org constraints in, one validated
//! architecture pack out, with a readable summary, a diagram and a usage
//! report.
//!
//! Two entry points share one pipeline: [`plan_to_dir`] for `pass plan`
//! (no server) and [`run_agent`] for `planner --run-id` (reports to the PASS
//! API). Either way the pack is validated against the contract before it is
//! written or uploaded.

pub mod agent;
pub mod assemble;
pub mod config;
pub mod error;
pub mod model;
pub mod offline;
pub mod pipeline;
pub mod policy;
pub mod prompt;
pub mod refine;
pub mod render;
pub mod repair;
pub mod revision;
pub mod sections;
pub mod usage;

use std::path::{Path, PathBuf};
use std::time::Instant;

use pass_contracts::artifacts::names;
use pass_contracts::{ArchitecturePack, ContentType, OrgConstraints, Timestamp};
use serde_json::Value;
use uuid::Uuid;

pub use agent::run_agent;
pub use config::{PlannerConfig, Provider};
pub use error::PlannerError;
pub use model::Model;
pub use refine::model::{ModelRefinement, plan_refinement_with_model};
pub use revision::{PlanHistory, PreviousPlan};
pub use usage::UsageReport;

use crate::config::MAX_PRD_BYTES;
use crate::model::anthropic::AnthropicModel;
use crate::model::offline::OfflineModel;
use crate::model::openai::OpenAiModel;
use crate::pipeline::PipelineInput;

/// One artifact as both the API and the `--out` folder receive it.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub name: &'static str,
    pub content_type: ContentType,
    /// A JSON value for `application/json`, a string otherwise.
    pub payload: Value,
}

impl Artifact {
    /// The file name the contract's disk layout gives it.
    pub fn filename(&self) -> String {
        pass_contracts::layout::artifact_file_name(self.name, self.content_type)
    }

    /// The file's text: pretty JSON with a trailing newline, or the string.
    pub fn file_text(&self) -> String {
        match (&self.content_type, &self.payload) {
            (ContentType::Json, value) => {
                let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
                text.push('\n');
                text
            }
            (_, Value::String(text)) => text.clone(),
            (_, other) => other.to_string(),
        }
    }
}

/// A validated pack, what it cost, and its four artifacts.
#[derive(Debug)]
pub struct Planned {
    pub pack: ArchitecturePack,
    pub usage: UsageReport,
    pub artifacts: Vec<Artifact>,
}

/// What `plan_to_dir` wrote.
#[derive(Debug)]
pub struct PlanOutcome {
    pub pack: ArchitecturePack,
    pub usage: UsageReport,
    pub pack_path: PathBuf,
    pub summary_path: PathBuf,
    pub diagram_path: PathBuf,
    pub usage_path: PathBuf,
}

/// Checks the PRD's size and reads the org constraints (`None` or blank → defaults).
pub fn prepare_inputs(
    prd_text: &str,
    org_yaml: Option<&str>,
) -> Result<(OrgConstraints, bool), PlannerError> {
    if prd_text.trim().is_empty() {
        return Err(PlannerError::EmptyPrd);
    }
    if prd_text.len() > MAX_PRD_BYTES {
        return Err(PlannerError::PrdTooLarge {
            bytes: prd_text.len(),
            limit: MAX_PRD_BYTES,
        });
    }
    let org_given = org_yaml.is_some_and(|y| !y.trim().is_empty());
    let org = OrgConstraints::from_optional_yaml(org_yaml)?;
    Ok((org, org_given))
}

/// The model the configuration chooses, ready for `prd_text`.
pub fn build_model(
    config: &PlannerConfig,
    prd_text: &str,
    org: &OrgConstraints,
    org_given: bool,
) -> Result<Box<dyn Model>, PlannerError> {
    let wrap = |source| PlannerError::Model {
        section: sections::SectionName::Core,
        provider: config.provider,
        source,
    };
    Ok(match config.provider {
        Provider::Anthropic => {
            Box::new(AnthropicModel::new(&config.anthropic, config.retry).map_err(wrap)?)
        }
        Provider::Openai => Box::new(OpenAiModel::new(&config.openai, config.retry).map_err(wrap)?),
        Provider::Offline => Box::new(OfflineModel::new(prd_text, org, org_given)),
    })
}

/// Runs the pipeline with the configured model, for a run that is its own
/// project (no earlier revision).
pub async fn plan(
    prd_text: &str,
    org_yaml: Option<&str>,
    run_id: Uuid,
    config: &PlannerConfig,
    checkpoint_dir: Option<PathBuf>,
) -> Result<Planned, PlannerError> {
    plan_revision(prd_text, org_yaml, run_id, config, checkpoint_dir, None).await
}

/// [`plan`] for a revision of a project: ids are anchored to the previous
/// revision in `history`, and a `plan_diff` artifact says what changed.
pub async fn plan_revision(
    prd_text: &str,
    org_yaml: Option<&str>,
    run_id: Uuid,
    config: &PlannerConfig,
    checkpoint_dir: Option<PathBuf>,
    history: Option<&PlanHistory>,
) -> Result<Planned, PlannerError> {
    let (org, org_given) = prepare_inputs(prd_text, org_yaml)?;
    if config.provider == Provider::Offline {
        return plan_offline(prd_text, &org, org_given, run_id, config, history);
    }
    let model = build_model(config, prd_text, &org, org_given)?;
    let checkpoint_dir = checkpoint_dir.filter(|_| config.provider != Provider::Offline);
    plan_with_model(
        model.as_ref(),
        prd_text,
        &org,
        org_given,
        run_id,
        config,
        checkpoint_dir,
        history,
    )
    .await
}

/// Runs the pipeline with any model (tests and benchmarks bring their own).
#[allow(clippy::too_many_arguments)]
pub async fn plan_with_model(
    model: &dyn Model,
    prd_text: &str,
    org: &OrgConstraints,
    org_given: bool,
    run_id: Uuid,
    config: &PlannerConfig,
    checkpoint_dir: Option<PathBuf>,
    history: Option<&PlanHistory>,
) -> Result<Planned, PlannerError> {
    let started = Instant::now();
    let output = pipeline::run(
        PipelineInput {
            prd_text,
            org,
            org_given,
            checkpoint_dir,
            previous_pack: history
                .and_then(|h| h.previous.as_ref())
                .map(|previous| &previous.pack),
        },
        model,
        config,
    )
    .await?;
    let drafts = assemble::drafts_from_sections(&output.sections)?;
    let mut extra = output.policy_notes;
    if !org_given && model.provider() != Provider::Offline {
        extra.push("No org constraints were given: the stack the PRD names is kept, and PASS defaults fill only what it leaves open.".to_owned());
    }
    extra.push(product_line(&drafts.core));
    extra.extend(output.truncation_note);
    let usage = UsageReport::new(
        model.provider(),
        model.model_name(),
        started.elapsed().as_millis() as u64,
        output.usage,
    );
    let keep_wording = model.provider() != Provider::Offline;
    let context = FinishContext {
        prd_text,
        org,
        run_id,
        config,
        history,
        keep_wording,
    };
    finish(&drafts, extra, usage, &context)
}

/// The core section's reading of the product, said in the pack (the
/// contract has no field for it).
pub(crate) fn product_line(core: &sections::CoreDraft) -> String {
    let mut line = format!(
        "{}{}",
        refine::drafts::PRODUCT_LINE_START,
        core.product_kind.describe()
    );
    if !core.named_stack.is_empty() {
        line.push_str(&format!(" built with {}", core.named_stack.join(", ")));
    }
    if !core.deployment.trim().is_empty() {
        line.push_str(&format!(
            "; it runs {}",
            lower_first(core.deployment.trim())
        ));
    }
    if !line.ends_with('.') {
        line.push('.');
    }
    line
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if !text.starts_with("AWS") => first.to_lowercase().chain(chars).collect(),
        _ => text.to_owned(),
    }
}

/// The offline reader's plan: its typed drafts go straight to the checks and
/// the assembler, with no model wire, list caps or retries in between.
pub fn plan_offline(
    prd_text: &str,
    org: &OrgConstraints,
    org_given: bool,
    run_id: Uuid,
    config: &PlannerConfig,
    history: Option<&PlanHistory>,
) -> Result<Planned, PlannerError> {
    let started = Instant::now();
    let drafts = offline::draft_pack(prd_text, org, org_given);
    let notes = pipeline::check_drafts(&drafts, prd_text, org)?;
    let sections = sections::ALL_SECTIONS
        .iter()
        .map(|section| usage::SectionUsage {
            attempts: 1,
            ..usage::SectionUsage::empty(
                *section,
                Provider::Offline,
                model::offline::OFFLINE_MODEL_NAME,
            )
        })
        .collect();
    let usage = UsageReport::new(
        Provider::Offline,
        model::offline::OFFLINE_MODEL_NAME,
        started.elapsed().as_millis() as u64,
        sections,
    );
    let context = FinishContext {
        prd_text,
        org,
        run_id,
        config,
        history,
        keep_wording: false,
    };
    finish(&drafts, notes, usage, &context)
}

/// What the last step needs besides the drafts.
pub(crate) struct FinishContext<'a> {
    pub(crate) prd_text: &'a str,
    pub(crate) org: &'a OrgConstraints,
    pub(crate) run_id: Uuid,
    pub(crate) config: &'a PlannerConfig,
    pub(crate) history: Option<&'a PlanHistory>,
    /// Carry the previous revision's words for unchanged entries (models).
    pub(crate) keep_wording: bool,
}

/// Assembles and validates the pack, anchors its ids to the previous
/// revision, and renders its artifacts.
fn finish(
    drafts: &sections::Drafts,
    extra_assumptions: Vec<String>,
    usage: UsageReport,
    context: &FinishContext<'_>,
) -> Result<Planned, PlannerError> {
    let FinishContext {
        prd_text,
        org,
        run_id,
        config,
        ..
    } = *context;
    let pack = assemble::assemble(
        drafts,
        assemble::PackMeta {
            run_id,
            created_at: Timestamp::now(),
            tool_version: &config.tool_version,
            prd_text,
            org,
            extra_assumptions,
        },
    )?;
    complete(pack, usage, context, None)
}

/// The pack as JSON, checked against the contract.
fn validated(pack: &ArchitecturePack) -> Result<(ArchitecturePack, Value), PlannerError> {
    let value = serde_json::to_value(pack).map_err(|e| {
        PlannerError::PackInvalid(vec![pass_contracts::Problem {
            path: String::new(),
            message: e.to_string(),
        }])
    })?;
    let pack = pass_contracts::validate_pack_value(&value).map_err(PlannerError::PackInvalid)?;
    Ok((pack, value))
}

/// Validates a finished pack, anchors its ids to the previous revision,
/// records what a refinement changed and why, and renders the artifacts.
pub(crate) fn complete(
    pack: ArchitecturePack,
    usage: UsageReport,
    context: &FinishContext<'_>,
    refined: Option<&refine::RefineNotes>,
) -> Result<Planned, PlannerError> {
    let FinishContext {
        prd_text,
        history,
        keep_wording,
        ..
    } = *context;
    let (pack, value) = validated(&pack)?;
    let (pack, value, diff) = match history {
        None => (pack, value, None),
        Some(history) => {
            let anchored = revision::anchor(pack, history, prd_text, keep_wording);
            let (pack, value) = validated(&anchored.pack)?;
            let diff = anchored.diff.map(|mut diff| {
                if let Some(notes) = refined {
                    revision::diff::attribute(&mut diff, notes);
                }
                diff
            });
            (pack, value, diff)
        }
    };
    let mut summary = render::summary_markdown(&pack);
    if let Some(diff) = &diff {
        summary.push_str(&revision::diff::markdown(diff));
    }
    let diagram = pass_diagrams::component_diagram(&pack);
    let usage_value = serde_json::to_value(&usage).unwrap_or(Value::Null);
    let mut artifacts = vec![
        Artifact {
            name: names::ARCHITECTURE_PACK,
            content_type: ContentType::Json,
            payload: value,
        },
        Artifact {
            name: names::ARCHITECTURE_PACK_SUMMARY,
            content_type: ContentType::Markdown,
            payload: Value::String(summary),
        },
        Artifact {
            name: names::ARCHITECTURE_PACK_DIAGRAM,
            content_type: ContentType::Plain,
            payload: Value::String(diagram.clone()),
        },
        Artifact {
            name: names::ARCHITECTURE_PACK_DIAGRAM_MMD,
            content_type: ContentType::Plain,
            payload: Value::String(diagram),
        },
        Artifact {
            name: names::PLANNER_USAGE,
            content_type: ContentType::Json,
            payload: usage_value,
        },
    ];
    if let Some(diff) = &diff {
        artifacts.push(Artifact {
            name: names::PLAN_DIFF,
            content_type: ContentType::Json,
            payload: serde_json::to_value(diff).unwrap_or(Value::Null),
        });
    }
    Ok(Planned {
        pack,
        usage,
        artifacts,
    })
}

/// A refinement revision without a model: the refined revision's pack with
/// the answers and requests applied (what the offline planner can read of
/// them; the rest is recorded as not applied), every other section carried
/// over unchanged. Model providers use [`plan_refinement_with_model`].
pub fn plan_refinement(
    base: &ArchitecturePack,
    refinement: &pass_contracts::Refinement,
    prd_text: &str,
    org: &OrgConstraints,
    run_id: Uuid,
    config: &PlannerConfig,
    history: Option<&PlanHistory>,
) -> Result<Planned, PlannerError> {
    let started = Instant::now();
    let (mut pack, notes) = refine::refine(base, refinement);
    pack.run_id = run_id;
    pack.created_at = Timestamp::now();
    let usage = UsageReport::new(
        Provider::Offline,
        model::offline::OFFLINE_MODEL_NAME,
        started.elapsed().as_millis() as u64,
        Vec::new(),
    );
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

/// `pass plan`: the whole pipeline without a server, writing the artifacts
/// (and, for network models, section checkpoints under `.pass-checkpoints`)
/// into `out_dir`.
pub async fn plan_to_dir(
    prd_text: &str,
    org_yaml: Option<&str>,
    out_dir: &Path,
    config: &PlannerConfig,
) -> Result<PlanOutcome, PlannerError> {
    fs_err::create_dir_all(out_dir).map_err(|e| PlannerError::io("create the output folder", e))?;
    let planned = plan(
        prd_text,
        org_yaml,
        Uuid::new_v4(),
        config,
        Some(out_dir.join(".pass-checkpoints")),
    )
    .await?;
    let mut paths = Vec::new();
    for artifact in &planned.artifacts {
        let path = out_dir.join(artifact.filename());
        fs_err::write(&path, artifact.file_text())
            .map_err(|e| PlannerError::io("write an artifact", e))?;
        paths.push(path);
    }
    let path = |name: &str| {
        paths
            .iter()
            .find(|p| p.file_stem().is_some_and(|s| s == name))
            .cloned()
            .unwrap_or_default()
    };
    Ok(PlanOutcome {
        pack_path: path(names::ARCHITECTURE_PACK),
        summary_path: path(names::ARCHITECTURE_PACK_SUMMARY),
        diagram_path: path(names::ARCHITECTURE_PACK_DIAGRAM),
        usage_path: path(names::PLANNER_USAGE),
        pack: planned.pack,
        usage: planned.usage,
    })
}
