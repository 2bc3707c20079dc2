//! `pass runs list` and `pass runs show RUN_ID`: reading runs on a server.

use uuid::Uuid;

use super::api::ApiArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: RunsCommand,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// A table of runs, newest first.
    List {
        /// How many runs to show.
        #[arg(long, env = "PASS_RUNS_LIMIT", default_value_t = 20)]
        limit: u64,
        /// How many of the newest runs to skip.
        #[arg(long, env = "PASS_RUNS_OFFSET", default_value_t = 0)]
        offset: u64,
    },
    /// One run in detail: steps, execution, artifacts and issues.
    Show {
        /// The run's id.
        run_id: Uuid,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = args.api.client()?;
    match args.command {
        RunsCommand::List { limit, offset } => {
            let list = client.list_runs(Some(limit), Some(offset)).await?;
            let rows: Vec<Vec<String>> = list
                .runs
                .iter()
                .map(|r| {
                    vec![
                        r.run_id.to_string(),
                        r.status.as_str().to_owned(),
                        r.current_step.as_str().to_owned(),
                        r.created_at.to_string(),
                        r.last_updated_at.to_string(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["RUN ID", "STATUS", "STEP", "CREATED", "UPDATED"], &rows)
            );
            println!("{} of {} run(s)", list.runs.len(), list.total);
        }
        RunsCommand::Show { run_id } => {
            let detail = client.get_run(run_id).await?;
            let run = &detail.run;
            println!("run        {}", run.run_id);
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
                println!("artifacts");
                let rows: Vec<Vec<String>> = detail
                    .artifacts
                    .iter()
                    .map(|a| {
                        vec![
                            a.name.to_string(),
                            a.content_type.as_str().to_owned(),
                            a.created_at.to_string(),
                        ]
                    })
                    .collect();
                print!("{}", table(&["NAME", "TYPE", "CREATED"], &rows));
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
