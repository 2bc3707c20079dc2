//! `pass mcp`: PASS as a Model Context Protocol server over stdio, so editors
//! and agents can plan a PRD, create and read runs and projects, answer the
//! plan's questions, refine and approve it, and sync issues (a dry run
//! unless asked otherwise) without a shell. It talks to the
//! configured PASS API, or with `--in-process` to one it starts itself, as
//! `pass demo` does. Every tool's input and output schema is generated from
//! the Rust types it reads and answers, the contract types among them.
//!
//! stdout carries the protocol only: progress and logs go to stderr.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::api::RunWithArtifacts;
use pass_contracts::artifacts::names;
use pass_contracts::coordination::{
    ApproveRequest, ClarificationAnswer, ClarificationList, ClarificationOutcome, RefinementRequest,
};
use pass_contracts::{
    ArchitecturePack, ArtifactMetadata, OrgConstraints, PlanDiff, ProjectDetail, RunDetail,
    RunInput, Text, WorkflowName,
};
use pass_implementation::AgentOptions;
use pass_planner::{PlannerConfig, Provider};
use pass_server::LogFormat;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeResult, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::api::ApiArgs;
use super::report::PackFigures;
use super::{follow, projects, resolve};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples (an MCP client starts the command; it is not run by hand):
  pass mcp                                   against PASS_API_BASE_URL with PASS_API_TOKEN
  pass mcp --in-process --runs-dir ~/pass    an API of its own in this process, offline model

Editor configuration (Claude Code, Cursor, VS Code and others):
  {\"mcpServers\": {\"pass\": {\"command\": \"pass\", \"args\": [\"mcp\", \"--in-process\"]}}}"
)]
pub struct Args {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Start the PASS API inside this process (as `pass demo` does) instead
    /// of using the one at PASS_API_BASE_URL.
    #[arg(long)]
    pub in_process: bool,
    /// With --in-process: where runs are stored.
    #[arg(long, env = "RUNS_DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// With --in-process: the model the agents plan with (offline unless this
    /// says otherwise, as for `pass demo`).
    #[arg(long, value_parser = ["anthropic", "openai", "offline"], requires = "in_process")]
    pub provider: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let lookup = |name: &str| std::env::var(name).ok();
    pass_server::init_tracing(
        LogFormat::from_lookup(lookup),
        Some(lookup("RUST_LOG").as_deref().unwrap_or("warn")),
    );
    let (client, server) = if args.in_process {
        let provider = args
            .provider
            .as_deref()
            .and_then(Provider::parse)
            .unwrap_or(Provider::Offline);
        let runs_dir = std::path::absolute(&args.runs_dir).with_context(|| {
            format!("cannot resolve the runs folder {}", args.runs_dir.display())
        })?;
        let in_process = super::demo::in_process_api(&runs_dir, provider).await?;
        eprintln!(
            "pass mcp: PASS API in this process at {}, runs in {}, agents plan with {provider}",
            in_process.server.base_url,
            runs_dir.display()
        );
        (in_process.client, Some(in_process.server))
    } else {
        eprintln!("pass mcp: PASS API at {}", args.api.api);
        (args.api.client()?, None)
    };
    let service = PassMcp::new(client)
        .serve(rmcp::transport::stdio())
        .await
        .context("the MCP session did not start")?;
    let ended = service.waiting().await;
    if let Some(server) = server {
        server
            .shutdown()
            .await
            .context("the in-process API did not shut down cleanly")?;
    }
    ended.context("the MCP session ended abnormally")?;
    Ok(())
}

/// The MCP server: a PASS API client and the tool list, built once.
#[derive(Debug, Clone)]
pub struct PassMcp {
    client: PassClient,
    tools: Arc<Vec<Tool>>,
}

/// `plan_prd`: the planner on a PRD, without a server or a run.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PlanInput {
    /// The PRD, Markdown or plain text.
    prd_text: String,
    /// Org constraints YAML (stack, cloud, naming, strictness); all defaults when absent.
    #[serde(default)]
    org_constraints_yaml: Option<String>,
    /// The model provider; the configured one (PASS_LLM_PROVIDER, else
    /// anthropic with ANTHROPIC_API_KEY, else offline) when absent.
    #[serde(default)]
    provider: Option<ProviderChoice>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum ProviderChoice {
    Offline,
    Anthropic,
    Openai,
}

impl From<ProviderChoice> for Provider {
    fn from(choice: ProviderChoice) -> Self {
        match choice {
            ProviderChoice::Offline => Provider::Offline,
            ProviderChoice::Anthropic => Provider::Anthropic,
            ProviderChoice::Openai => Provider::Openai,
        }
    }
}

/// Which provider and model wrote a pack.
#[derive(Debug, Serialize, JsonSchema)]
struct ModelUsed {
    provider: String,
    model: String,
}

#[derive(Debug, Serialize, JsonSchema)]
struct PlanOutput {
    model: ModelUsed,
    figures: PackFigures,
    /// The validated architecture pack.
    pack: ArchitecturePack,
    /// The pack rendered as Markdown, with its Mermaid diagram.
    summary_markdown: String,
}

/// `create_run`: a new revision of a project on the PASS API, planned.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateRunInput {
    /// The PRD, Markdown or plain text.
    prd_text: String,
    /// The project (one product, one backlog) the run is a revision of,
    /// created on first use; by default the project named after the PRD's title.
    #[serde(default)]
    project: Option<String>,
    /// Org constraints YAML; all defaults when absent.
    #[serde(default)]
    org_constraints_yaml: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct RunOutput {
    run: RunDetail,
    artifacts: Vec<ArtifactMetadata>,
    /// The pack's figures, once the run has a pack.
    figures: Option<PackFigures>,
    /// The provider and model that planned the run.
    model: Option<ModelUsed>,
}

/// `show_run`: one run and its artifact list.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ShowRunInput {
    /// The run's id, or a start of it that only this run has.
    run: String,
}

/// `show_project`: one project, its revisions and its backlog.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ShowProjectInput {
    /// The project's name (any case) or id.
    project: String,
}

/// `sync_issues`: the run's issue plan into the project's backlog, on the
/// server's issue target.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SyncInput {
    /// The run's id, or a start of it that only this run has.
    run: String,
    /// Decide and report only, writing no issue. On unless set to false:
    /// look at a dry run's decisions before writing.
    #[serde(default = "yes")]
    dry_run: bool,
    /// Overwrite what people changed in issues since PASS last wrote them.
    #[serde(default)]
    force: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, JsonSchema)]
struct SyncOutput {
    dry_run: bool,
    /// The sync report: every item's decision (create, update, unchanged,
    /// kept, conflict, close, comment) and its reason, and the counts.
    report: Value,
    /// The run afterwards; its implementation_state holds each issue's outcome.
    run: RunDetail,
}

/// `list_questions`: a revision's clarifications and open questions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct QuestionsInput {
    /// The run's id, or a start of it that only this run has.
    run: String,
}

/// `answer_question`: an answer to one of a revision's questions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AnswerInput {
    /// The run's id, or a start of it that only this run has.
    run: String,
    /// The question's id, as list_questions gives it.
    question_id: String,
    /// The answer, in the person's words.
    answer: String,
    /// Plan the next revision with the answer (default true).
    #[serde(default = "yes")]
    replan: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
struct AnswerOutput {
    outcome: ClarificationOutcome,
    /// The revision planned with the answer, when there is one.
    revision: Option<RevisionOutput>,
}

/// A revision the server planned, and what changed since the one before.
#[derive(Debug, Serialize, JsonSchema)]
struct RevisionOutput {
    run: RunDetail,
    /// Absent for a project's first plan.
    plan_diff: Option<PlanDiff>,
}

/// `approve_plan`: lets a revision's issues be synced.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ApproveInput {
    /// The run's id, or a start of it that only this run has.
    run: String,
    /// Settle the open blocking questions with the plan's default assumptions.
    #[serde(default)]
    accept_defaults: bool,
}

/// `refine_plan`: a change to a project's plan, planned as its next revision.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RefineInput {
    /// The project's name (any case) or id.
    project: String,
    /// The change, in the person's words: "Use SQLite instead of PostgreSQL".
    request: String,
}

/// The JSON Schema of `T`, as a tool's input or output schema.
fn schema_of<T: JsonSchema>() -> Arc<JsonObject> {
    match schemars::schema_for!(T).to_value() {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

fn tool<I: JsonSchema, O: JsonSchema>(
    name: &'static str,
    description: &'static str,
    annotations: ToolAnnotations,
) -> Tool {
    Tool::new(name, description, schema_of::<I>())
        .with_raw_output_schema(schema_of::<O>())
        .with_annotations(annotations)
}

impl PassMcp {
    pub fn new(client: PassClient) -> Self {
        let reads = || ToolAnnotations::new().read_only(true);
        let tools = vec![
            tool::<PlanInput, PlanOutput>(
                "plan_prd",
                "Plan a PRD into a validated architecture pack (requirements, architecture, issue plan) without creating a run. Answers the pack, its figures and its Markdown summary.",
                reads(),
            ),
            tool::<CreateRunInput, RunOutput>(
                "create_run",
                "Create a run of a PRD as the next revision of a project on the PASS API and plan it. Answers the run, its artifacts, the pack's figures and the model that planned it.",
                ToolAnnotations::new().read_only(false).destructive(false),
            ),
            tool::<ShowRunInput, RunWithArtifacts>(
                "show_run",
                "Show one run on the PASS API (id or a unique start of it): status, steps, execution, issues and artifact list.",
                reads(),
            ),
            tool::<ShowProjectInput, ProjectDetail>(
                "show_project",
                "Show one project on the PASS API (name or id): its revisions, issue target and backlog counts.",
                reads(),
            ),
            tool::<QuestionsInput, ClarificationList>(
                "list_questions",
                "List a revision's questions: clarifications and open questions, which block the sync, their default assumptions and answers.",
                reads(),
            ),
            tool::<AnswerInput, AnswerOutput>(
                "answer_question",
                "Answer one of a revision's questions; unless replan is false, the next revision is planned with the answer and returned with what changed.",
                ToolAnnotations::new().read_only(false).destructive(false),
            ),
            tool::<ApproveInput, RunDetail>(
                "approve_plan",
                "Approve a revision's plan so its issues may be synced; accept_defaults settles open blocking questions with the plan's defaults.",
                ToolAnnotations::new().read_only(false).destructive(false),
            ),
            tool::<RefineInput, RevisionOutput>(
                "refine_plan",
                "Ask for a change to a project's plan; the next revision re-plans what it affects and is returned with what changed.",
                ToolAnnotations::new().read_only(false).destructive(false),
            ),
            tool::<SyncInput, SyncOutput>(
                "sync_issues",
                "Sync a run's issue plan into its project's backlog on the server's issue target. A dry run unless dry_run is false: call it first as a dry run and read the decisions, then again with dry_run false to write.",
                ToolAnnotations::new().read_only(false).destructive(true),
            ),
        ];
        Self {
            client,
            tools: Arc::new(tools),
        }
    }

    async fn plan(&self, input: PlanInput) -> anyhow::Result<Value> {
        let mut config = PlannerConfig::from_lookup(|name| std::env::var(name).ok())?;
        if let Some(provider) = input.provider {
            config = config.with_provider(provider.into())?;
        }
        let planned = pass_planner::plan(
            &input.prd_text,
            input.org_constraints_yaml.as_deref(),
            Uuid::new_v4(),
            &config,
            None,
        )
        .await
        .context("planning the PRD failed")?;
        let summary_markdown = planned
            .artifacts
            .iter()
            .find(|a| a.name == names::ARCHITECTURE_PACK_SUMMARY)
            .and_then(|a| a.payload.as_str())
            .unwrap_or_default()
            .to_owned();
        Ok(serde_json::to_value(PlanOutput {
            model: ModelUsed {
                provider: config.provider.as_str().to_owned(),
                model: config.model_name().to_owned(),
            },
            figures: PackFigures::of(&planned.pack),
            pack: planned.pack,
            summary_markdown,
        })?)
    }

    async fn create_run(&self, input: CreateRunInput) -> anyhow::Result<Value> {
        let prd_text = Text::new(input.prd_text)
            .map_err(|_| anyhow::anyhow!("prd_text is empty: a PRD needs some text"))?;
        if let Some(yaml) = &input.org_constraints_yaml {
            OrgConstraints::from_yaml(yaml).context("org_constraints_yaml")?;
        }
        let mut run_input = RunInput {
            prd_text,
            org_constraints_yaml: input.org_constraints_yaml.and_then(|y| Text::new(y).ok()),
            requested_by: None,
            source: None,
            project_id: None,
            refinement: None,
        };
        let client = &self.client;
        let run = match super::run::create_revision(
            client,
            &mut run_input,
            input.project.as_deref(),
            "PRD",
        )
        .await
        {
            Ok(run) => run,
            Err(error) => {
                return Err(super::run::explain_too_large(client, &run_input, error).await);
            }
        };
        follow::run_phase(client, run.run_id, WorkflowName::Planner).await?;
        let summary = follow::summarize(client, run.run_id).await?;
        Ok(serde_json::to_value(RunOutput {
            figures: summary.pack.as_ref().map(PackFigures::of),
            model: summary.model.map(|m| ModelUsed {
                provider: m.provider,
                model: m.model,
            }),
            run: summary.detail.run,
            artifacts: summary.detail.artifacts,
        })?)
    }

    async fn show_run(&self, input: ShowRunInput) -> anyhow::Result<Value> {
        let run_id = resolve::run_id(&self.client, &input.run).await?;
        Ok(serde_json::to_value(self.client.get_run(run_id).await?)?)
    }

    async fn show_project(&self, input: ShowProjectInput) -> anyhow::Result<Value> {
        let project = projects::find(&self.client, &input.project)
            .await?
            .with_context(|| format!("no project is called {:?}", input.project))?;
        Ok(serde_json::to_value(
            self.client.get_project(project.project_id).await?,
        )?)
    }

    async fn sync(&self, input: SyncInput) -> anyhow::Result<Value> {
        let run_id = resolve::run_id(&self.client, &input.run).await?;
        let options = AgentOptions {
            dry_run: input.dry_run,
            json: false,
            force: input.force,
        };
        let report = super::sync::sync_on_server(&self.client, run_id, options).await?;
        let run = self.client.get_run(run_id).await?.run;
        Ok(serde_json::to_value(SyncOutput {
            dry_run: input.dry_run,
            report: serde_json::to_value(&report)?,
            run,
        })?)
    }

    async fn questions(&self, input: QuestionsInput) -> anyhow::Result<Value> {
        let run_id = resolve::run_id(&self.client, &input.run).await?;
        let clarifications = self.client.clarifications(run_id).await?;
        Ok(serde_json::to_value(ClarificationList { clarifications })?)
    }

    async fn answer(&self, input: AnswerInput) -> anyhow::Result<Value> {
        let run_id = resolve::run_id(&self.client, &input.run).await?;
        let answer = ClarificationAnswer {
            answer: Text::new(input.answer).context("answer is blank")?,
            answered_by: None,
            replan: Some(input.replan),
        };
        let outcome = self
            .client
            .answer_clarification(run_id, &input.question_id, &answer)
            .await?;
        let revision = match outcome.revision_run_id {
            Some(revision) => Some(self.revision(revision).await?),
            None => None,
        };
        Ok(serde_json::to_value(AnswerOutput { outcome, revision })?)
    }

    async fn approve(&self, input: ApproveInput) -> anyhow::Result<Value> {
        let run_id = resolve::run_id(&self.client, &input.run).await?;
        let request = ApproveRequest {
            accept_defaults: input.accept_defaults,
            approved_by: None,
        };
        Ok(serde_json::to_value(
            self.client.approve(run_id, &request).await?,
        )?)
    }

    async fn refine(&self, input: RefineInput) -> anyhow::Result<Value> {
        let project = projects::find(&self.client, &input.project)
            .await?
            .with_context(|| format!("no project is called {:?}", input.project))?;
        let request = RefinementRequest {
            request: Text::new(input.request).context("request is blank")?,
            requested_by: None,
        };
        let run = self.client.refine(project.project_id, &request).await?;
        Ok(serde_json::to_value(self.revision(run.run_id).await?)?)
    }

    /// Waits for a revision the server is planning, with its plan diff.
    async fn revision(&self, run_id: Uuid) -> anyhow::Result<RevisionOutput> {
        let run = super::coordination::follow_revision(&self.client, run_id).await?;
        let plan_diff = match self.client.get_artifact(run_id, names::PLAN_DIFF).await {
            Ok(artifact) => Some(
                serde_json::from_value(artifact.payload)
                    .context("the plan_diff artifact is not a plan diff")?,
            ),
            Err(error) if error.code() == Some("artifact_not_found") => None,
            Err(error) => return Err(error.into()),
        };
        Ok(RevisionOutput { run, plan_diff })
    }

    async fn call(&self, name: &str, arguments: Value) -> Result<anyhow::Result<Value>, ErrorData> {
        Ok(match name {
            "plan_prd" => match parse(&arguments) {
                Ok(input) => self.plan(input).await,
                Err(error) => Err(error),
            },
            "create_run" => match parse(&arguments) {
                Ok(input) => self.create_run(input).await,
                Err(error) => Err(error),
            },
            "show_run" => match parse(&arguments) {
                Ok(input) => self.show_run(input).await,
                Err(error) => Err(error),
            },
            "show_project" => match parse(&arguments) {
                Ok(input) => self.show_project(input).await,
                Err(error) => Err(error),
            },
            "list_questions" => match parse(&arguments) {
                Ok(input) => self.questions(input).await,
                Err(error) => Err(error),
            },
            "answer_question" => match parse(&arguments) {
                Ok(input) => self.answer(input).await,
                Err(error) => Err(error),
            },
            "approve_plan" => match parse(&arguments) {
                Ok(input) => self.approve(input).await,
                Err(error) => Err(error),
            },
            "refine_plan" => match parse(&arguments) {
                Ok(input) => self.refine(input).await,
                Err(error) => Err(error),
            },
            "sync_issues" => match parse(&arguments) {
                Ok(input) => self.sync(input).await,
                Err(error) => Err(error),
            },
            other => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "no tool is called {other:?}; the tools are {}",
                        self.tools
                            .iter()
                            .map(|t| t.name.as_ref())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
                ));
            }
        })
    }
}

/// A tool's arguments as its input type; a bad one is named by its path.
fn parse<T: DeserializeOwned>(arguments: &Value) -> anyhow::Result<T> {
    pass_contracts::from_value::<T>(arguments)
        .map_err(|problem| anyhow::anyhow!("invalid arguments: {problem}"))
}

impl ServerHandler for PassMcp {
    fn get_info(&self) -> ServerConfig {
        let mut info = InitializeResult::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new("pass", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(
            "PASS turns a PRD into a validated architecture pack and syncs its issue plan into issues. \
             plan_prd plans without a run; create_run adds a planned revision to a project; show_run and \
             show_project read them; list_questions, answer_question and refine_plan steer the plan; \
             approve_plan lets its issues be synced; sync_issues is a dry run unless dry_run is false."
                .to_owned(),
        );
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name: Cow<'_, str> = request.name.clone();
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let result = match self.call(&name, arguments).await? {
            Ok(value) => CallToolResult::structured(value),
            Err(error) => CallToolResult::error(vec![ContentBlock::text(
                crate::error_lines(&error).trim_end().to_owned(),
            )]),
        };
        Ok(result.into())
    }
}
