//! The `issue_plan` section: the GitHub issues, their links to requirements
//! and components, and what is left out; coverage is computed from these
//! links. It depends on every section but `refinement`.

use std::collections::HashSet;

use pass_contracts::pack::Priority;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{CheckContext, blank, unique_ids};

/// Issue size: `l` is the largest that still fits one pull request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IssueSize {
    S,
    M,
    L,
}

impl IssueSize {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueSize::S => "s",
            IssueSize::M => "m",
            IssueSize::L => "l",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuePlanDraft {
    /// Written first: the slices and the order chosen, and why.
    pub approach: String,
    pub issues: Vec<IssueDraft>,
    /// PRD items deliberately given no issue (won't have, out of scope,
    /// future, already done), each with the reason.
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueDraft {
    /// ISSUE-001, ISSUE-002 ...; unique.
    pub id: String,
    /// Imperative and specific, under 80 characters (e.g. "Book a free slot with a deposit").
    pub title: String,
    /// One or two sentences: the change and why.
    pub summary: String,
    /// What to build and how, in Markdown.
    pub details: String,
    /// Which tests prove the issue done (unit, integration, end-to-end) and against what.
    pub test_strategy: String,
    /// Requirement ids this issue fully implements.
    pub implements: Vec<String>,
    /// Requirement ids this issue contributes to without completing them.
    pub partially_implements: Vec<String>,
    /// Exact names of the components this issue changes.
    pub components: Vec<String>,
    /// Ids of issues that must be done first; no cycles.
    pub depends_on: Vec<String>,
    pub size: IssueSize,
    pub priority: Priority,
    /// Specific, testable criteria; at least one.
    #[schemars(length(min = 1))]
    pub acceptance_criteria: Vec<String>,
}

pub(super) fn check_issue_plan(d: &IssuePlanDraft, ctx: &CheckContext<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    unique_ids(
        &mut problems,
        "issues",
        d.issues.iter().map(|i| i.id.as_str()),
    );
    let names = ctx.component_names();
    let requirements = ctx.requirements();
    let requirement_ids: HashSet<&str> = requirements.iter().map(|r| r.id.as_str()).collect();
    let issue_ids: HashSet<&str> = d.issues.iter().map(|i| i.id.as_str()).collect();
    let mut position: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, issue) in d.issues.iter().enumerate() {
        position.entry(issue.id.as_str()).or_insert(i);
    }
    for (i, item) in d.left_out.iter().enumerate() {
        blank(&mut problems, &format!("left_out[{i}]"), item);
    }
    for (i, issue) in d.issues.iter().enumerate() {
        blank(&mut problems, &format!("issues[{i}].title"), &issue.title);
        blank(
            &mut problems,
            &format!("issues[{i}].summary"),
            &issue.summary,
        );
        if issue
            .acceptance_criteria
            .iter()
            .all(|a| a.trim().is_empty())
        {
            problems.push(format!(
                "issues[{i}].acceptance_criteria: needs at least one specific criterion"
            ));
        }
        for (field, list) in [
            ("implements", &issue.implements),
            ("partially_implements", &issue.partially_implements),
        ] {
            for (j, id) in list.iter().enumerate() {
                if !requirement_ids.contains(id.as_str()) {
                    problems.push(format!(
                        "issues[{i}].{field}[{j}]: {id:?} is not a requirement id"
                    ));
                }
            }
        }
        for (j, c) in issue.components.iter().enumerate() {
            if !names.contains(c) {
                problems.push(format!(
                    "issues[{i}].components[{j}]: {c:?} is not the exact name of an architecture component"
                ));
            }
        }
        for (j, dep) in issue.depends_on.iter().enumerate() {
            if dep == &issue.id {
                problems.push(format!(
                    "issues[{i}].depends_on[{j}]: an issue cannot depend on itself"
                ));
            } else if !issue_ids.contains(dep.as_str()) {
                problems.push(format!(
                    "issues[{i}].depends_on[{j}]: {dep:?} is not an issue id"
                ));
            } else if position.get(dep.as_str()).is_some_and(|p| *p > i) {
                problems.push(format!(
                    "issues[{i}].depends_on[{j}]: {dep:?} is listed after {:?}; depends_on names only earlier issues, so list the issues in dependency order",
                    issue.id
                ));
            }
        }
    }
    let graph: Vec<(&str, Vec<&str>)> = d
        .issues
        .iter()
        .map(|i| {
            (
                i.id.as_str(),
                i.depends_on.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    if let Some(cycle) = pass_contracts::semantic::find_cycle(&graph) {
        problems.push(format!(
            "issues: depends_on forms a cycle {}",
            cycle.join(" -> ")
        ));
    }
    let implemented: HashSet<&str> = d
        .issues
        .iter()
        .flat_map(|i| i.implements.iter().map(String::as_str))
        .collect();
    for r in requirements.iter().filter(|_| !ctx.lenient_coverage) {
        if r.priority == Priority::Must && !implemented.contains(r.id.as_str()) {
            problems.push(format!(
                "must requirement {} is not in any issue's implements list",
                r.id
            ));
        }
    }
    problems
}
