//! `pass demo [PRD]`: zero configuration, from a PRD to planned, tracked work.
//! Starts the API in-process on a loopback port with a fresh token, runs both
//! agents on the local backend (as `pass agent …` child processes, so this one
//! binary is all it needs) and prints where everything landed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::{ExecutionBackend, RunInput, Text, WorkflowName};
use pass_planner::model::offline::OFFLINE_MODEL_NAME;
use pass_planner::{PlannerConfig, Provider};
use pass_server::{AuthMode, LogFormat, ServerConfig};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::follow;

/// The PRD used when none is given: a real feature PRD with user stories and
/// MoSCoW checklists (samples/prds/shelf-board-tagged.txt).
const BUNDLED_PRD: &str = include_str!("../../../../samples/prds/shelf-board-tagged.txt");

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pass demo                          the bundled sample PRD, offline, into ./runs
  pass demo my-prd.md --json         one JSON document on stdout, progress on stderr
  pass demo my-prd.md --provider anthropic   with ANTHROPIC_API_KEY set")]
pub struct Args {
    /// The PRD file (`-` reads standard input); a bundled sample PRD when omitted.
    pub prd: Option<PathBuf>,
    /// Org constraints YAML.
    #[arg(long, value_name = "FILE", env = "PASS_ORG_FILE")]
    pub org: Option<PathBuf>,
    /// Where runs are stored.
    #[arg(long, env = "RUNS_DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// The model provider. The demo plans offline unless this flag says
    /// otherwise: a key or PASS_LLM_PROVIDER in the environment is not enough.
    #[arg(long, value_parser = ["anthropic", "openai", "offline"])]
    pub provider: Option<String>,
    /// Print one JSON document (run, artifacts, pack figures, model, files) instead of the summary.
    #[arg(long, env = "PASS_JSON")]
    pub json: bool,
    /// Fail (exit 1) when the PRD yields no requirements, instead of warning.
    #[arg(long)]
    pub strict: bool,
    /// Keep the API running and open the run in the web console (prints the
    /// link when no browser can be started); Ctrl-C stops it.
    #[arg(long)]
    pub open: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let lookup = |name: &str| std::env::var(name).ok();
    // The in-process server logs only warnings, so progress stays readable.
    pass_server::init_tracing(
        LogFormat::from_lookup(lookup),
        Some(lookup("RUST_LOG").as_deref().unwrap_or("warn")),
    );

    let provider = match args.provider.as_deref().and_then(Provider::parse) {
        Some(provider) => {
            // The flag decides; a PASS_LLM_PROVIDER in the environment must
            // not fail the check before the flag overrides it.
            let flag_only = |name: &str| {
                (name != "PASS_LLM_PROVIDER")
                    .then(|| lookup(name))
                    .flatten()
            };
            let config = PlannerConfig::from_lookup(flag_only)?.with_provider(provider)?;
            eprintln!("{}", config.describe_provider());
            provider
        }
        None => {
            eprintln!(
                "planner provider: offline (model {OFFLINE_MODEL_NAME}); pass demo plans offline unless --provider says otherwise"
            );
            Provider::Offline
        }
    };

    let input = match &args.prd {
        Some(path) => super::run::read_input(path, args.org.as_deref())?,
        None => RunInput {
            prd_text: Text::new(BUNDLED_PRD).context("the bundled PRD is empty")?,
            org_constraints_yaml: super::run::read_org(args.org.as_deref())?,
            requested_by: None,
            source: None,
            project_id: None,
            refinement: None,
        },
    };
    let fallback = args.prd.as_ref().map_or_else(
        || "PASS demo".to_owned(),
        |p| super::run::prd_name(p, "PASS demo"),
    );

    let runs_dir = std::path::absolute(&args.runs_dir)
        .with_context(|| format!("cannot resolve the runs folder {}", args.runs_dir.display()))?;
    let InProcess {
        server,
        client,
        token: console_token,
        shared_issues_dir,
    } = in_process_api(&runs_dir, provider).await?;

    let store = server.store().clone();
    let issues_dir = move |project_id| {
        shared_issues_dir
            .clone()
            .unwrap_or_else(|| store.local_issues_dir(project_id))
    };
    let output = Output {
        json: args.json,
        strict: args.strict,
    };
    let outcome = drive(&client, input, &fallback, &runs_dir, issues_dir, output).await;
    if let (Ok(run_id), true) = (&outcome, args.open) {
        let link = pass_console::console_link(
            &server.base_url,
            console_token.expose_secret(),
            Some(*run_id),
        );
        if !pass_console::open_in_browser(&link) {
            eprintln!("no browser could be started; open this link:");
        }
        eprintln!("console: {link}\nthe API keeps running for the console; Ctrl-C stops it");
        pass_server::shutdown_signal().await?;
    }
    let shutdown = server.shutdown().await;
    outcome?;
    shutdown.context("the in-process API did not shut down cleanly")?;
    eprintln!("done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The API running inside this process.
#[derive(Debug)]
pub struct InProcess {
    pub server: pass_server::RunningServer,
    /// A client holding the server's fresh token.
    pub client: PassClient,
    /// That token, for the console link of `pass demo --open`.
    pub token: SecretString,
    /// `PASS_LOCAL_ISSUES_DIR`, when one folder holds every project's issues.
    pub shared_issues_dir: Option<PathBuf>,
}

/// Starts the API in this process on a loopback port with a fresh token and
/// the local backend running the agents built into `pass`, planning with
/// `provider`. Shared by `pass demo` and `pass mcp --in-process`.
pub async fn in_process_api(runs_dir: &Path, provider: Provider) -> anyhow::Result<InProcess> {
    let token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let mut config = ServerConfig::from_lookup(|name| std::env::var(name).ok())?;
    config.bind = ([127, 0, 0, 1], 0).into();
    config.runs_dir = runs_dir.to_path_buf();
    config.api_token = Some(SecretString::from(token.clone()));
    config.auth_mode = AuthMode::All;
    config.backend = ExecutionBackend::Local;
    config.agent_command = Some(super::serve::built_in_agents()?);
    // The agents inherit this environment; the provider is the caller's choice.
    config
        .agent_env
        .push(("PASS_LLM_PROVIDER".to_owned(), provider.as_str().to_owned()));
    let shared_issues_dir = config.local_issues_dir.clone();
    let server = pass_server::start(config)
        .await
        .context("could not start the in-process API")?;
    let client = PassClient::new(
        server.base_url.as_str(),
        Some(SecretString::from(token.clone())),
    )?;
    Ok(InProcess {
        server,
        client,
        token: SecretString::from(token),
        shared_issues_dir,
    })
}

/// How the closing summary is printed.
#[derive(Debug, Clone, Copy)]
struct Output {
    json: bool,
    strict: bool,
}

/// Creates the run in the PRD's project (so a second demo of one PRD updates
/// the same backlog), runs both phases and prints the summary with file paths.
async fn drive(
    client: &PassClient,
    mut input: RunInput,
    fallback_name: &str,
    runs_dir: &Path,
    issues_dir: impl Fn(Uuid) -> PathBuf,
    output: Output,
) -> anyhow::Result<Uuid> {
    let run = match super::run::create_revision(client, &mut input, None, fallback_name).await {
        Ok(run) => run,
        Err(error) => return Err(super::run::explain_too_large(client, &input, error).await),
    };
    let run_id = run.run_id;
    for workflow in [WorkflowName::Planner, WorkflowName::Implementation] {
        if workflow == WorkflowName::Implementation {
            // The demo runs end to end: the plan's defaults settle its questions.
            super::run::approve_for_sync(client, run_id).await?;
        }
        if let Err(error) = follow::run_phase(client, run_id, workflow).await {
            let log = latest_log(&runs_dir.join(run_id.to_string()).join("logs"));
            let hint = log
                .map(|p| format!("\nagent log: {}", p.display()))
                .unwrap_or_default();
            anyhow::bail!("{error:#}{hint}");
        }
    }
    let summary = follow::summarize(client, run_id).await?;
    let run_dir = runs_dir.join(run_id.to_string());
    let mut files: Vec<String> = summary
        .detail
        .artifacts
        .iter()
        .map(|artifact| {
            run_dir
                .join("artifacts")
                .join(artifact.filename.as_str())
                .display()
                .to_string()
        })
        .collect();
    let issues_dir = issues_dir(run.project());
    let has_issues = issues_dir.is_dir();
    if output.json {
        let mut document = summary.json();
        if has_issues {
            document["issues_dir"] = serde_json::json!(issues_dir.display().to_string());
        }
        document["files"] = serde_json::json!(files);
        super::report::print_json(&document)?;
    } else {
        print!("{}", summary.render());
        println!("files:");
        if has_issues {
            files.push(format!(
                "{}/ (one Markdown file per issue)",
                issues_dir.display()
            ));
        }
        for file in &files {
            println!("  {file}");
        }
        println!(
            "open the summary: less {}",
            run_dir
                .join("artifacts")
                .join("architecture_pack_summary.md")
                .display()
        );
    }
    if let Some(pack) = &summary.pack {
        super::report::check_requirements(pack, output.strict)?;
    }
    Ok(run_id)
}

/// The most recently modified log file in `dir`, if any.
fn latest_log(dir: &Path) -> Option<PathBuf> {
    fs_err::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, path)| path)
}
