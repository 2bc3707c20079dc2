//! The coordination rail from the terminal: `pass questions`, `pass answer`,
//! `pass approve` and `pass refine`.

use std::time::{Duration, Instant};

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::artifacts::names;
use pass_contracts::coordination::{
    ApproveRequest, Clarification, ClarificationAnswer, RefinementRequest,
};
use pass_contracts::{PlanDiff, RunDetail, Text};
use uuid::Uuid;

use super::api::ApiArgs;
use super::follow;
use super::runs::table;

#[derive(Debug, clap::Args)]
pub struct QuestionsArgs {
    /// The run (revision) whose questions to list: its id, or a start of it that only this run has.
    pub run_id: String,
    /// Print the questions as JSON.
    #[arg(long, env = "PASS_JSON")]
    pub json: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, clap::Args)]
pub struct AnswerArgs {
    /// The run (revision): its id, or a start of it that only this run has.
    pub run_id: String,
    /// The question's id (`pass questions RUN` lists them).
    pub question_id: String,
    /// The answer, in your words.
    pub answer: String,
    /// Record the answer without planning the next revision with it.
    #[arg(long)]
    pub no_replan: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The run (revision): its id, or a start of it that only this run has.
    pub run_id: String,
    /// Settle open blocking questions with the plan's default assumptions.
    #[arg(long)]
    pub accept_defaults: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, clap::Args)]
pub struct RefineArgs {
    /// The project's name (any case) or id.
    pub project: String,
    /// The change, in your words: "Use SQLite instead of PostgreSQL".
    pub request: String,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `pass questions RUN`.
pub async fn questions(args: QuestionsArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let run_id = super::resolve::run_id(&client, &args.run_id).await?;
    let questions = client.clarifications(run_id).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&questions)?);
        return Ok(());
    }
    print_questions(&questions);
    Ok(())
}

/// The questions as a table, then a line of counts.
pub fn print_questions(questions: &[Clarification]) {
    let rows: Vec<Vec<String>> = questions
        .iter()
        .map(|q| {
            vec![
                q.id.to_string(),
                q.status.as_str().to_owned(),
                if q.blocking { "yes" } else { "" }.to_owned(),
                one_line(&q.question),
                q.answer
                    .as_ref()
                    .or(q.default_assumption.as_ref())
                    .map_or(String::new(), |a| one_line(a)),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["ID", "STATUS", "BLOCKING", "QUESTION", "ANSWER / DEFAULT"],
            &rows
        )
    );
    let open = questions.iter().filter(|q| q.is_open()).count();
    let blocking = questions
        .iter()
        .filter(|q| q.is_open_and_blocking())
        .count();
    println!(
        "{} question(s), {open} open, {blocking} open and blocking",
        questions.len()
    );
}

fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 70 {
        format!("{}…", flat.chars().take(69).collect::<String>())
    } else {
        flat
    }
}

/// `pass answer RUN QID TEXT`: records the answer; unless it is the plan's
/// own default (or `--no-replan`), the next revision is planned with it.
pub async fn answer(args: AnswerArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let run_id = super::resolve::run_id(&client, &args.run_id).await?;
    let outcome = client
        .answer_clarification(
            run_id,
            &args.question_id,
            &ClarificationAnswer {
                answer: Text::new(args.answer).context("an answer cannot be blank")?,
                answered_by: None,
                replan: Some(!args.no_replan),
            },
        )
        .await?;
    eprintln!("{} answered", outcome.clarification.id);
    if outcome.resumed {
        eprintln!("the sync that paused for it was started again");
    }
    if let Some(run_id) = outcome.revision_run_id {
        let run = follow_revision(&client, run_id).await?;
        print_revision(&client, &run).await?;
    }
    Ok(())
}

/// `pass approve RUN`.
pub async fn approve(args: ApproveArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let run_id = super::resolve::run_id(&client, &args.run_id).await?;
    let run = client
        .approve(
            run_id,
            &ApproveRequest {
                accept_defaults: args.accept_defaults,
                approved_by: None,
            },
        )
        .await?;
    println!(
        "revision {} of project {} is {}",
        run.revision_number(),
        run.project(),
        run.plan_state.map_or("approved", |s| s.as_str())
    );
    Ok(())
}

/// `pass refine PROJECT TEXT`: plans the next revision with the change and
/// prints what changed.
pub async fn refine(args: RefineArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let project = super::projects::find(&client, &args.project)
        .await?
        .with_context(|| format!("no project is called {:?}", args.project))?;
    let run = client
        .refine(
            project.project_id,
            &RefinementRequest {
                request: Text::new(args.request).context("a request cannot be blank")?,
                requested_by: None,
            },
        )
        .await?;
    let run = follow_revision(&client, run.run_id).await?;
    print_revision(&client, &run).await
}

/// Waits for a revision the server dispatched itself to be planned (also
/// for the MCP tools that answer and refine).
pub async fn follow_revision(client: &PassClient, run_id: Uuid) -> anyhow::Result<RunDetail> {
    eprintln!("planning revision run {run_id}");
    let deadline = Instant::now() + Duration::from_secs(30 * 60);
    loop {
        let run = client.get_run(run_id).await?.run;
        if let Some(execution) = &run.execution {
            if execution.status.is_final() {
                if let Some(message) = &execution.error_message {
                    anyhow::bail!("planning revision run {run_id} failed: {message}");
                }
                return Ok(run);
            }
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "revision run {run_id} was not planned within 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The revision and its diff against the one before.
async fn print_revision(client: &PassClient, run: &RunDetail) -> anyhow::Result<()> {
    println!(
        "revision {} (run {}) of project {}: {}",
        run.revision_number(),
        run.run_id,
        run.project(),
        run.status.as_str()
    );
    match client.get_artifact(run.run_id, names::PLAN_DIFF).await {
        Ok(artifact) => {
            let diff: PlanDiff = serde_json::from_value(artifact.payload)
                .context("the plan_diff artifact is not a plan diff")?;
            print!("{}", follow::render_diff(&diff));
        }
        Err(error) if error.code() == Some("artifact_not_found") => {
            println!("no plan_diff: this is the project's first plan");
        }
        Err(error) => return Err(error.into()),
    }
    Ok(())
}
