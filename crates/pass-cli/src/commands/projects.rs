//! `pass projects list` and `pass projects show NAME`: the products on a
//! server, each with its revisions and its backlog; and the one rule for
//! which project a new run joins.

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::projects::prd_title;
use pass_contracts::{Project, ProjectInput, Text};
use uuid::Uuid;

use super::api::ApiArgs;
use super::runs::table;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ProjectsCommand,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum ProjectsCommand {
    /// A table of projects, most recently active first.
    List,
    /// One project: its revisions and what its latest sync left.
    Show {
        /// The project's name (any case) or id.
        project: String,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = args.api.client()?;
    match args.command {
        ProjectsCommand::List => {
            let list = client.list_projects(None).await?;
            let rows: Vec<Vec<String>> = list
                .projects
                .iter()
                .map(|row| {
                    let latest = row.latest.as_ref();
                    vec![
                        row.project.name.to_string(),
                        row.revisions.to_string(),
                        latest.map_or("-".to_owned(), |l| l.status.as_str().to_owned()),
                        latest.map_or(row.project.created_at.to_string(), |l| {
                            l.created_at.to_string()
                        }),
                        row.project.project_id.to_string(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["PROJECT", "REVISIONS", "LATEST", "ACTIVE", "ID"], &rows)
            );
            println!("{} project(s)", list.total);
        }
        ProjectsCommand::Show { project } => {
            let project = find(&client, &project)
                .await?
                .with_context(|| format!("no project is called {project:?}"))?;
            let detail = client.get_project(project.project_id).await?;
            let p = &detail.project;
            println!("project    {}", p.name);
            println!("id         {}", p.project_id);
            if let Some(description) = &p.description {
                println!("about      {description}");
            }
            println!("created    {}", p.created_at);
            println!(
                "issues to  {}",
                p.issue_target
                    .as_ref()
                    .map_or("(not synced yet)", |t| t.as_str())
            );
            let rows: Vec<Vec<String>> = detail
                .revisions
                .iter()
                .map(|r| {
                    vec![
                        r.revision.to_string(),
                        r.status.as_str().to_owned(),
                        r.created_at.to_string(),
                        r.run_id.to_string(),
                    ]
                })
                .collect();
            println!("revisions");
            print!("{}", table(&["REV", "STATUS", "CREATED", "RUN ID"], &rows));
            if let Some(latest) = detail.revisions.last() {
                let run = client.get_run(latest.run_id).await?.run;
                let questions = client.clarifications(latest.run_id).await?;
                let open = questions.iter().filter(|q| q.is_open()).count();
                let blocking = questions
                    .iter()
                    .filter(|q| q.is_open_and_blocking())
                    .count();
                println!(
                    "latest     revision {}: plan {}, {open} open question(s), {blocking} blocking{}",
                    latest.revision,
                    run.plan_state.map_or("not planned yet", |s| s.as_str()),
                    if p.require_approval {
                        "; syncing needs an approved plan"
                    } else {
                        ""
                    }
                );
                for question in questions.iter().filter(|q| q.is_open()) {
                    println!(
                        "  {}{} {}",
                        question.id,
                        if question.blocking { " (blocking)" } else { "" },
                        question.question
                    );
                }
            }
            match &detail.backlog {
                Some(backlog) => {
                    let outcomes: Vec<String> = backlog
                        .outcomes
                        .iter()
                        .map(|(outcome, count)| format!("{count} {outcome}"))
                        .collect();
                    println!(
                        "backlog    {} open, {} closed (synced {} from revision {}: {})",
                        backlog.open,
                        backlog.closed,
                        backlog.synced_at,
                        backlog.revision,
                        outcomes.join(", ")
                    );
                }
                None => println!("backlog    not synced yet"),
            }
        }
    }
    Ok(())
}

/// The project named `name_or_id` (a name in any case, or an id).
pub async fn find(client: &PassClient, name_or_id: &str) -> anyhow::Result<Option<Project>> {
    if let Ok(id) = Uuid::parse_str(name_or_id.trim()) {
        match client.get_project(id).await {
            Ok(detail) => return Ok(Some(detail.project)),
            Err(error) if error.status() == Some(404) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(client.find_project(name_or_id).await?)
}

/// The project a new run of `prd_text` joins: `name` when given, else the
/// project named after the PRD's title (else after its file), created on
/// first use — so re-running a revised PRD updates the same backlog.
pub async fn project_for_run(
    client: &PassClient,
    name: Option<&str>,
    prd_text: &str,
    fallback_name: &str,
) -> anyhow::Result<(Project, bool)> {
    let name = match name {
        Some(name) => name.trim().to_owned(),
        None => prd_title(prd_text).unwrap_or_else(|| fallback_name.to_owned()),
    };
    let name = Text::new(name).context("a project name cannot be blank")?;
    if let Some(project) = client.find_project(&name).await? {
        return Ok((project, false));
    }
    match client
        .create_project(&ProjectInput {
            name: name.clone(),
            description: None,
            require_approval: None,
        })
        .await
    {
        Ok(project) => Ok((project, true)),
        // Created by someone else in the meantime: join it.
        Err(error) if error.code() == Some("project_conflict") => {
            let project = client
                .find_project(&name)
                .await?
                .with_context(|| format!("project {name:?} exists and yet cannot be found"))?;
            Ok((project, false))
        }
        Err(error) => Err(error).with_context(|| format!("could not create project {name:?}")),
    }
}
