//! `pass runs list`, `pass runs show RUN` and `pass runs get RUN [ARTIFACT]`:
//! reading runs on a server. A run is named by its id or a unique start of it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use pass_client::PassClient;
use pass_contracts::projects::prd_title;
use serde_json::json;
use uuid::Uuid;

use super::api::ApiArgs;
use super::{report, resolve};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pass runs list --limit 5
  pass runs show 3f2a                     a unique start of the id is enough
  pass runs get 3f2a                      the run's artifacts
  pass runs get 3f2a architecture_pack_summary -o summary.md
  pass runs show 3f2a --json | jq .run.status")]
pub struct Args {
    #[command(subcommand)]
    pub command: RunsCommand,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// A table of runs, newest first, with each PRD's title and project.
    List {
        /// How many runs to show.
        #[arg(long, env = "PASS_RUNS_LIMIT", default_value_t = 20)]
        limit: u64,
        /// How many of the newest runs to skip.
        #[arg(long, env = "PASS_RUNS_OFFSET", default_value_t = 0)]
        offset: u64,
        /// Print one JSON document instead of the table.
        #[arg(long, env = "PASS_JSON")]
        json: bool,
    },
    /// One run in detail: steps, execution, artifacts and issues.
    Show {
        /// The run's id, or a start of it that only this run has.
        run: String,
        /// Print the run and its artifact list as JSON.
        #[arg(long, env = "PASS_JSON")]
        json: bool,
    },
    /// Fetch one of a run's artifacts as stored (Markdown, text, JSON), or list them.
    Get {
        /// The run's id, or a start of it that only this run has.
        run: String,
        /// The artifact's name (e.g. architecture_pack_summary); without it, the list.
        artifact: Option<String>,
        /// Write the artifact into this file instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = args.api.client()?;
    match args.command {
        RunsCommand::List {
            limit,
            offset,
            json,
        } => list(&client, limit, offset, json).await,
        RunsCommand::Show { run, json } => {
            let run_id = resolve::run_id(&client, &run).await?;
            show(&client, run_id, json).await
        }
        RunsCommand::Get {
            run,
            artifact,
            output,
        } => {
            let run_id = resolve::run_id(&client, &run).await?;
            get(&client, run_id, artifact.as_deref(), output).await
        }
    }
}

/// How many run or project reads `pass runs list` has in flight at once.
const READS_AT_ONCE: usize = 8;

/// One row of `pass runs list`: the index row plus what the run says about
/// its PRD and project.
struct Row {
    record: pass_contracts::RunRecord,
    title: Option<String>,
    project_id: Uuid,
    revision: u32,
}

async fn list(client: &PassClient, limit: u64, offset: u64, json: bool) -> anyhow::Result<()> {
    let list = client.list_runs(Some(limit), Some(offset)).await?;
    // The index rows carry neither title nor project: one read per run,
    // eight at a time so a long page does not flood the server.
    let details: Vec<_> = futures::stream::iter(list.runs.iter().map(|r| client.get_run(r.run_id)))
        .buffered(READS_AT_ONCE)
        .try_collect()
        .await?;
    let rows: Vec<Row> = list
        .runs
        .iter()
        .zip(details)
        .map(|(record, detail)| Row {
            record: record.clone(),
            title: detail
                .run
                .input
                .as_ref()
                .and_then(|input| prd_title(input.prd_text.as_str())),
            project_id: detail.run.project(),
            revision: detail.run.revision_number().get(),
        })
        .collect();
    let mut project_ids: Vec<Uuid> = rows.iter().map(|r| r.project_id).collect();
    project_ids.sort();
    project_ids.dedup();
    let projects: Vec<_> = futures::stream::iter(project_ids.iter().map(|id| async move {
        match client.get_project(*id).await {
            Ok(detail) => Ok((*id, Some(detail.project.name.to_string()))),
            Err(error) if error.status() == Some(404) => Ok((*id, None)),
            Err(error) => Err(error),
        }
    }))
    .buffered(READS_AT_ONCE)
    .try_collect()
    .await?;
    let names: BTreeMap<Uuid, Option<String>> = projects.into_iter().collect();
    let project_name = |id: &Uuid| names.get(id).cloned().flatten();

    if json {
        let runs: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| {
                let mut value = serde_json::to_value(&row.record).unwrap_or_default();
                value["title"] = json!(row.title);
                value["project_id"] = json!(row.project_id);
                value["project"] = json!(project_name(&row.project_id));
                value["revision"] = json!(row.revision);
                value
            })
            .collect();
        return report::print_json(&json!({"total": list.total, "runs": runs}));
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let r = &row.record;
            vec![
                r.run_id.to_string(),
                r.status.as_str().to_owned(),
                r.current_step.as_str().to_owned(),
                project_name(&row.project_id)
                    .map_or_else(|| row.project_id.to_string(), |name| clip(&name, 24)),
                row.revision.to_string(),
                row.title.as_deref().map_or("-".to_owned(), |t| clip(t, 40)),
                r.last_updated_at.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "RUN ID",
                "STATUS",
                "STEP",
                "PROJECT",
                "REV",
                "PRD TITLE",
                "UPDATED"
            ],
            &rows
        )
    );
    println!("{} of {} run(s)", list.runs.len(), list.total);
    Ok(())
}

/// `text` cut to `width` characters, an ellipsis marking the cut.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

async fn show(client: &PassClient, run_id: Uuid, json: bool) -> anyhow::Result<()> {
    let detail = client.get_run(run_id).await?;
    if json {
        return report::print_json(&serde_json::to_value(&detail)?);
    }
    let run = &detail.run;
    println!("run        {}", run.run_id);
    if let Some(title) = run
        .input
        .as_ref()
        .and_then(|input| prd_title(input.prd_text.as_str()))
    {
        println!("prd        {title}");
    }
    println!(
        "project    {} (revision {})",
        run.project(),
        run.revision_number()
    );
    println!(
        "status     {} (step {})",
        run.status.as_str(),
        run.current_step.as_str()
    );
    println!("created    {}", run.created_at);
    println!("updated    {}", run.last_updated_at);
    for (step, at) in &run.step_timestamps {
        println!("  reached {:<8} {at}", step.as_str());
    }
    if let Some(execution) = &run.execution {
        println!(
            "execution  {} {} on {} (requested {})",
            execution.workflow_name.as_str(),
            execution.status.as_str(),
            execution.backend.as_str(),
            execution.requested_at
        );
        if let Some(url) = &execution.github_run_url {
            println!("  workflow run {url}");
        }
        if let Some(message) = &execution.error_message {
            println!("  error: {message}");
        }
    }
    if !detail.artifacts.is_empty() {
        println!("artifacts (pass runs get {} NAME)", short(run_id));
        print!("{}", artifact_table(&detail.artifacts));
    }
    if let Some(state) = &run.implementation_state {
        println!("issues (synced {})", state.synced_at);
        let rows: Vec<Vec<String>> = state
            .issues
            .iter()
            .map(|i| {
                vec![
                    i.plan_item_id.to_string(),
                    i.issue_number.map_or("-".to_owned(), |n| format!("#{n}")),
                    i.outcome
                        .map_or(i.sync_status.as_str(), |o| o.as_str())
                        .to_owned(),
                    i.title.to_string(),
                ]
            })
            .collect();
        print!("{}", table(&["ITEM", "ISSUE", "SYNC", "TITLE"], &rows));
    }
    Ok(())
}

/// The first block of a run id: enough to name it in the commands this prints.
fn short(run_id: Uuid) -> String {
    run_id.to_string().chars().take(8).collect()
}

fn artifact_table(artifacts: &[pass_contracts::ArtifactMetadata]) -> String {
    let rows: Vec<Vec<String>> = artifacts
        .iter()
        .map(|a| {
            vec![
                a.name.to_string(),
                a.content_type.as_str().to_owned(),
                a.created_at.to_string(),
            ]
        })
        .collect();
    table(&["NAME", "TYPE", "CREATED"], &rows)
}

async fn get(
    client: &PassClient,
    run_id: Uuid,
    artifact: Option<&str>,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    let detail = client.get_run(run_id).await?;
    let Some(name) = artifact else {
        print!("{}", artifact_table(&detail.artifacts));
        eprintln!(
            "fetch one with: pass runs get {} NAME [-o FILE]",
            short(run_id)
        );
        return Ok(());
    };
    // `summary.md` and `architecture_pack_summary.md` name the same thing
    // as the stored file does; accept the file name too.
    let wanted = detail
        .artifacts
        .iter()
        .find(|a| a.name.as_str() == name || a.filename.as_str() == name);
    let Some(found) = wanted else {
        let known: Vec<&str> = detail.artifacts.iter().map(|a| a.name.as_str()).collect();
        anyhow::bail!(
            "run {run_id} has no artifact {name:?}; it has: {}",
            if known.is_empty() {
                "none yet".to_owned()
            } else {
                known.join(", ")
            }
        );
    };
    let (_, bytes) = client
        .get_artifact_raw(run_id, found.name.as_str())
        .await
        .with_context(|| format!("could not fetch {} of run {run_id}", found.name))?;
    match output {
        Some(path) => {
            fs_err::write(&path, &bytes)?;
            eprintln!(
                "wrote {} ({})",
                path.display(),
                super::run::bytes(bytes.len() as u64)
            );
        }
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// Left-aligned columns separated by two spaces.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
