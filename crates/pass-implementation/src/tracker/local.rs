//! Issues as Markdown files with YAML front matter, one file per issue, for
//! runs without a GitHub repository. The body carries the same marker block as
//! on GitHub, so the sync's idempotency rules apply unchanged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use pass_contracts::runs::GithubState;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use url::Url;

use crate::error::TrackerError;
use crate::marker::parse_body;
use crate::tracker::{
    IssueEdit, IssueTracker, NewIssue, RequestCounts, TrackedComment, TrackedIssue,
};

/// A folder of `issue-<number>.md` files. Several processes (the agent and
/// `pass sync`) may write the same folder: a new issue's number is claimed
/// by creating its file exclusively, never by trusting a listing.
#[derive(Debug)]
pub struct LocalTracker {
    dir: PathBuf,
    /// Serialises file writes within this process.
    lock: Mutex<()>,
    reads: AtomicU64,
    writes: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FileState {
    Open,
    Closed,
}

/// The front matter of an issue file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FrontMatter {
    number: u64,
    title: String,
    #[serde(default)]
    labels: Vec<String>,
    state: FileState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state_reason: Option<String>,
    /// Issue numbers this one depends on, read from its `Depends on #…` line.
    #[serde(default)]
    depends_on: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan_item: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    assignees: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    comments: Vec<String>,
}

struct IssueFile {
    front: FrontMatter,
    body: String,
}

impl LocalTracker {
    /// Issues in `dir`, created on first write. A relative `dir` is resolved
    /// against the working directory now, so `issue_url`s are absolute.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self, TrackerError> {
        let dir = std::path::absolute(dir.as_ref()).map_err(|e| TrackerError::Local {
            path: dir.as_ref().display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            dir,
            lock: Mutex::new(()),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, number: u64) -> PathBuf {
        self.dir.join(format!("issue-{number}.md"))
    }

    async fn read_all(&self) -> Result<Vec<IssueFile>, TrackerError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let mut entries = match tokio::fs::read_dir(&self.dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(local_error(&self.dir, e)),
        };
        let mut files = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| local_error(&self.dir, e))?
        {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !(name.starts_with("issue-") && name.ends_with(".md")) {
                continue;
            }
            let text = match tokio::fs::read_to_string(&path).await {
                Ok(text) => text,
                // Deleted by someone between the listing and the read.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(local_error(&path, e)),
            };
            if text.is_empty() {
                // A number claimed by a create whose content is still on its
                // way (or was lost in a crash): not an issue yet.
                continue;
            }
            files.push(parse_file(&text).map_err(|reason| TrackerError::Local {
                path: path.display().to_string(),
                reason,
            })?);
        }
        files.sort_by_key(|f| f.front.number);
        Ok(files)
    }

    async fn read_one(&self, number: u64) -> Result<IssueFile, TrackerError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let path = self.path_of(number);
        let text = match tokio::fs::read_to_string(&path).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(TrackerError::Api {
                    method: "READ".to_owned(),
                    path: path.display().to_string(),
                    status: 404,
                    message: format!("issue #{number} does not exist"),
                });
            }
            Err(e) => return Err(local_error(&path, e)),
        };
        parse_file(&text).map_err(|reason| TrackerError::Local {
            path: path.display().to_string(),
            reason,
        })
    }

    /// Writes `file` under its number, replacing what is there, durably
    /// (`pass_durable::write`): a crash never leaves half an issue behind,
    /// and two writers never share a temporary file.
    async fn write(&self, file: &IssueFile) -> Result<TrackedIssue, TrackerError> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        let path = self.path_of(file.front.number);
        let text = render_file(file).map_err(|reason| TrackerError::Local {
            path: path.display().to_string(),
            reason,
        })?;
        let target = path.clone();
        tokio::task::spawn_blocking(move || pass_durable::write(&target, text.as_bytes()))
            .await
            .map_err(|e| TrackerError::Local {
                path: path.display().to_string(),
                reason: format!("the write task failed: {e}"),
            })?
            .map_err(|e| TrackerError::Local {
                path: e.path.display().to_string(),
                reason: format!("could not {}: {}", e.action, e.error),
            })?;
        self.tracked(file)
    }

    /// Claims the lowest free number from `first` on by creating its file
    /// exclusively (`O_EXCL`): if another process took it since the folder
    /// was listed, the creation fails and the next number is tried.
    async fn claim_number(&self, first: u64) -> Result<u64, TrackerError> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| local_error(&self.dir, e))?;
        let mut number = first;
        loop {
            let path = self.path_of(number);
            match tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await
            {
                Ok(_) => return Ok(number),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    number = number.checked_add(1).ok_or_else(|| TrackerError::Local {
                        path: self.dir.display().to_string(),
                        reason: "no issue number is left".to_owned(),
                    })?;
                }
                Err(e) => return Err(local_error(&path, e)),
            }
        }
    }

    fn tracked(&self, file: &IssueFile) -> Result<TrackedIssue, TrackerError> {
        let path = self.path_of(file.front.number);
        let url = Url::from_file_path(&path).map_err(|()| TrackerError::Local {
            path: path.display().to_string(),
            reason: "cannot be written as a file:// URL".to_owned(),
        })?;
        Ok(TrackedIssue {
            number: file.front.number,
            id: file.front.number,
            title: file.front.title.clone(),
            body: file.body.clone(),
            labels: file.front.labels.clone(),
            state: match file.front.state {
                FileState::Open => GithubState::Open,
                FileState::Closed => GithubState::Closed,
            },
            url,
            blocked_by_count: Some(file.front.depends_on.len() as u64),
            assignees: file.front.assignees.clone(),
            comments: file.front.comments.len() as u64,
        })
    }
}

fn render_file(file: &IssueFile) -> Result<String, String> {
    let front = serde_yaml_ng::to_string(&file.front).map_err(|e| e.to_string())?;
    Ok(format!("---\n{front}---\n\n{}\n", file.body))
}

fn local_error(path: &Path, error: std::io::Error) -> TrackerError {
    TrackerError::Local {
        path: path.display().to_string(),
        reason: error.to_string(),
    }
}

fn parse_file(text: &str) -> Result<IssueFile, String> {
    let text = text.replace("\r\n", "\n");
    let rest = text
        .strip_prefix("---\n")
        .ok_or("does not start with a --- front matter line")?;
    let (front, body) = rest
        .split_once("\n---\n")
        .ok_or("the front matter is not closed by a --- line")?;
    let front: FrontMatter =
        serde_yaml_ng::from_str(front).map_err(|e| format!("front matter: {e}"))?;
    Ok(IssueFile {
        front,
        body: body.trim_matches('\n').to_owned(),
    })
}

/// Issue numbers named on the body's `Depends on #…` line.
fn depends_on(body: &str) -> Vec<u64> {
    let numbers: BTreeSet<u64> = body
        .lines()
        .filter(|line| line.trim_start().starts_with("Depends on "))
        .flat_map(|line| {
            line.split('#')
                .skip(1)
                .filter_map(|rest| {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().ok()
                })
                .collect::<Vec<u64>>()
        })
        .collect();
    numbers.into_iter().collect()
}

fn marker_fields(body: &str) -> (Option<String>, Option<String>) {
    match parse_body(body) {
        Some(marked) => (Some(marked.marker.plan_item_id), Some(marked.marker.run_id)),
        None => (None, None),
    }
}

impl IssueTracker for LocalTracker {
    fn describe(&self) -> String {
        format!("local:{}", self.dir.display())
    }

    fn requests(&self) -> RequestCounts {
        RequestCounts {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    /// Dependencies live in the front matter, derived from the body.
    fn supports_dependencies(&self) -> bool {
        false
    }

    async fn list_issues(&self) -> Result<Vec<TrackedIssue>, TrackerError> {
        let _guard = self.lock.lock().await;
        self.read_all()
            .await?
            .iter()
            .map(|file| self.tracked(file))
            .collect()
    }

    async fn ensure_labels(&self, _names: &[String]) -> Result<(), TrackerError> {
        Ok(())
    }

    async fn create_issue(&self, issue: &NewIssue) -> Result<TrackedIssue, TrackerError> {
        let _guard = self.lock.lock().await;
        let first = self
            .read_all()
            .await?
            .last()
            .map_or(1, |file| file.front.number + 1);
        let number = self.claim_number(first).await?;
        let (plan_item, run) = marker_fields(&issue.body);
        let file = IssueFile {
            front: FrontMatter {
                number,
                title: issue.title.clone(),
                labels: issue.labels.clone(),
                state: FileState::Open,
                state_reason: None,
                depends_on: depends_on(&issue.body),
                plan_item,
                run,
                assignees: Vec::new(),
                comments: Vec::new(),
            },
            body: issue.body.clone(),
        };
        let written = self.write(&file).await;
        if written.is_err() {
            // Give the number back rather than leave an empty claim behind.
            let _ = tokio::fs::remove_file(self.path_of(number)).await;
        }
        written
    }

    async fn update_issue(
        &self,
        number: u64,
        edit: &IssueEdit,
    ) -> Result<TrackedIssue, TrackerError> {
        let _guard = self.lock.lock().await;
        let mut file = self.read_one(number).await?;
        if let Some(title) = &edit.title {
            file.front.title = title.clone();
        }
        if let Some(body) = &edit.body {
            file.body = body.clone();
            file.front.depends_on = depends_on(body);
            let (plan_item, run) = marker_fields(body);
            file.front.plan_item = plan_item;
            file.front.run = run;
        }
        if let Some(labels) = &edit.labels {
            file.front.labels = labels.clone();
        }
        self.write(&file).await
    }

    async fn list_comments(&self, number: u64) -> Result<Vec<TrackedComment>, TrackerError> {
        let _guard = self.lock.lock().await;
        let file = self.read_one(number).await?;
        Ok(file
            .front
            .comments
            .into_iter()
            .map(|body| TrackedComment { body })
            .collect())
    }

    async fn add_comment(&self, number: u64, body: &str) -> Result<(), TrackerError> {
        let _guard = self.lock.lock().await;
        let mut file = self.read_one(number).await?;
        file.front.comments.push(body.to_owned());
        self.write(&file).await.map(|_| ())
    }

    async fn close_issue(&self, number: u64, comment: &str) -> Result<TrackedIssue, TrackerError> {
        let _guard = self.lock.lock().await;
        let mut file = self.read_one(number).await?;
        file.front.state = FileState::Closed;
        file.front.state_reason = Some("not_planned".to_owned());
        file.front.comments.push(comment.to_owned());
        self.write(&file).await
    }

    async fn list_blocked_by(&self, number: u64) -> Result<Vec<u64>, TrackerError> {
        let _guard = self.lock.lock().await;
        Ok(self.read_one(number).await?.front.depends_on)
    }

    async fn add_blocked_by(&self, _number: u64, _blocking_id: u64) -> Result<(), TrackerError> {
        Ok(())
    }

    async fn remove_blocked_by(&self, _number: u64, _blocking_id: u64) -> Result<(), TrackerError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_numbers_come_from_the_depends_on_line() {
        let body = "Intro #9 is not a dependency\n\nDepends on #12, #3, and plan item `x` (no issue yet)\n";
        assert_eq!(depends_on(body), vec![3, 12]);
        assert!(depends_on("nothing").is_empty());
    }

    #[test]
    fn files_round_trip_through_front_matter() {
        let text = "---\nnumber: 4\ntitle: 'A: title'\nlabels: [a]\nstate: open\ndepends_on: [1]\n---\n\nBody\n";
        let file = parse_file(text).unwrap();
        assert_eq!(file.front.number, 4);
        assert_eq!(file.front.title, "A: title");
        assert_eq!(file.body, "Body");
        assert!(parse_file("no front matter").is_err());
        let err = parse_file("---\nnumber: x\n---\n").err().unwrap();
        assert!(err.contains("front matter"), "{err}");
    }
}
