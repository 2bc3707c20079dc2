//! The runs folder layout: every file and folder name under `RUNS_DIR`, in
//! one place for the server, the agents, the CLI and the benchmarks.
//!
//! ```text
//! index.json                              runs list (contract)
//! sync-leases.json                        held sync leases
//! <runId>/run.json                        run detail (contract)
//! <runId>/clarifications.json             the run's questions
//! <runId>/artifacts/index.json            artifact list (contract)
//! <runId>/artifacts/<name>.<ext>          artifact payloads (contract)
//! <runId>/logs/<workflow>-<time>.log      local agents' output
//! projects/<projectId>/project.json       a project's record
//! projects/<projectId>/issues/            the local issue target's files
//! ```

use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::artifacts::ContentType;

/// The runs list at the root of the runs folder.
pub const RUNS_INDEX_FILE: &str = "index.json";
/// A run's detail.
pub const RUN_FILE: &str = "run.json";
/// A run's questions and their answers.
pub const CLARIFICATIONS_FILE: &str = "clarifications.json";
/// A run's artifacts folder.
pub const ARTIFACTS_DIR: &str = "artifacts";
/// The artifact list inside the artifacts folder.
pub const ARTIFACT_INDEX_FILE: &str = "index.json";
/// Where local agents' output goes, inside a run's folder.
pub const LOGS_DIR: &str = "logs";
/// The projects folder at the root of the runs folder.
pub const PROJECTS_DIR: &str = "projects";
/// A project's record inside its folder.
pub const PROJECT_FILE: &str = "project.json";
/// The local issue target's folder inside a project's folder.
pub const LOCAL_ISSUES_DIR: &str = "issues";
/// Held sync leases, at the root of the runs folder.
pub const SYNC_LEASES_FILE: &str = "sync-leases.json";

/// A run's folder.
pub fn run_dir(root: &Path, run_id: Uuid) -> PathBuf {
    root.join(run_id.to_string())
}

/// A run's artifacts folder.
pub fn artifacts_dir(root: &Path, run_id: Uuid) -> PathBuf {
    run_dir(root, run_id).join(ARTIFACTS_DIR)
}

/// A run's logs folder.
pub fn logs_dir(root: &Path, run_id: Uuid) -> PathBuf {
    run_dir(root, run_id).join(LOGS_DIR)
}

/// A project's folder.
pub fn project_dir(root: &Path, project_id: Uuid) -> PathBuf {
    root.join(PROJECTS_DIR).join(project_id.to_string())
}

/// Where the local issue target keeps a project's issue files.
pub fn local_issues_dir(root: &Path, project_id: Uuid) -> PathBuf {
    project_dir(root, project_id).join(LOCAL_ISSUES_DIR)
}

/// Extensions a `text/plain` artifact's name may carry itself.
const SELF_NAMED_TEXT_EXTENSIONS: &[&str] = &[".mmd"];

/// The file PASS stores artifact `name` in, inside the artifacts folder:
/// `<name>.<extension of its type>` as the contract lays it out, except a
/// `text/plain` artifact whose name already ends in a text extension
/// (`architecture_pack_diagram.mmd`), which keeps its name instead of
/// becoming `….mmd.txt`.
pub fn artifact_file_name(name: &str, content_type: ContentType) -> String {
    let self_named = content_type == ContentType::Plain
        && SELF_NAMED_TEXT_EXTENSIONS
            .iter()
            .any(|ext| name.len() > ext.len() && name.ends_with(ext));
    if self_named {
        name.to_owned()
    } else {
        format!("{name}.{}", content_type.extension())
    }
}

/// The file the seed stored artifact `name` in: the trimmed, lower-cased
/// name with every run of characters other than `a-z 0-9 . _ -` replaced by
/// `_`. Names PASS accepts on upload map to themselves under both rules.
pub fn seed_artifact_file_name(name: &str, content_type: ContentType) -> String {
    let mut stem = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
            stem.push(c);
            in_run = false;
        } else if !in_run {
            stem.push('_');
            in_run = true;
        }
    }
    format!("{stem}.{}", content_type.extension())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::names;

    #[test]
    fn seed_file_names_follow_the_seeds_rule() {
        let md = ContentType::Markdown;
        assert_eq!(seed_artifact_file_name("My Notes!", md), "my_notes_.md");
        assert_eq!(
            seed_artifact_file_name("  A  b ", ContentType::Json),
            "a_b.json"
        );
        assert_eq!(
            seed_artifact_file_name("../etc/passwd", ContentType::Plain),
            ".._etc_passwd.txt"
        );
        assert_eq!(
            seed_artifact_file_name("summary", md),
            artifact_file_name("summary", md)
        );
    }

    #[test]
    fn mermaid_artifacts_keep_their_own_extension() {
        assert_eq!(
            artifact_file_name(names::ARCHITECTURE_PACK_DIAGRAM_MMD, ContentType::Plain),
            "architecture_pack_diagram.mmd"
        );
        assert_eq!(
            artifact_file_name(names::ARCHITECTURE_PACK_DIAGRAM, ContentType::Plain),
            "architecture_pack_diagram.txt"
        );
        assert_eq!(artifact_file_name("x.mmd", ContentType::Json), "x.mmd.json");
        assert_eq!(artifact_file_name(".mmd", ContentType::Plain), ".mmd.txt");
    }

    #[test]
    fn paths_nest_as_the_layout_says() {
        let root = Path::new("/r");
        let id = Uuid::nil();
        assert_eq!(
            artifacts_dir(root, id),
            Path::new("/r/00000000-0000-0000-0000-000000000000/artifacts")
        );
        assert_eq!(
            local_issues_dir(root, id),
            Path::new("/r/projects/00000000-0000-0000-0000-000000000000/issues")
        );
    }
}
