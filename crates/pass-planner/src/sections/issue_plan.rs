//! The `issue_plan` section: the GitHub issues, their links to requirements
//! and components, and what is left out; coverage is computed from these
//! links. It depends on every section but `refinement`.

use std::collections::{BTreeMap, HashMap, HashSet};

use pass_contracts::ArchitecturePack;
use pass_contracts::pack::Priority;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::prompt::fenced;
use crate::repair::{
    Kind, Matcher, break_cycles, changed, components, first_words, fix_case, renumber,
    requirement_ids, resolve_list,
};

use pass_contracts::pack::{Coverage, CoverageStatus, Requirement};

use crate::assemble::{label_slug, text, texts};
use pass_contracts::pack::IssuePlanItem;

use super::{CheckContext, blank, unique_ids};

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "First write approach: the slices and the order you chose, in a few sentences. Then decompose the work into GitHub issues a tech lead would hand out, each small enough for one pull request. (1) Foundation first: one issue that sets up the repository with the chosen stack and CI, then the data model, then one client per core integration, before the features that use them. (2) Then feature slices in the order of the workflows and the PRD's phases, must (P0, MVP, phase 1) before should before could; an issue implements the requirements that belong together (one feature across its components), not one issue per requirement. (3) depends_on names only issues listed earlier, never a later one; the order follows the architecture (data model, services, API, UI). (4) Aim for the issue count given below. (5) acceptance_criteria: copy the PRD's criteria of the requirements the issue implements; where it has none, write specific, testable checks (inputs, expected results, limits), never the title or the requirement restated. (6) details: what to build and how, in Markdown; test_strategy: which tests prove it (unit, integration, end-to-end) and against what. (7) Won't-have, out-of-scope, future and already-done items get no issue: list each in left_out with the reason. Each issue names the requirement ids it fully implements and those it only partly implements, the components it touches, a size (s, m or l) and a priority. Every must requirement is implemented by at least one issue. Titles are imperative, whole and at most 80 characters. Ids ISSUE-001, ISSUE-002 ...";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str =
    "the GitHub issues: slicing, order, dependencies, sizes, priorities, acceptance criteria";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_COVERAGE_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 16_000;

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

/// How many issues a plan of `requirements` requirements should have: the
/// offline reader's feature-slice target plus the foundation (set-up, data
/// model, one client per integration, at most five).
pub fn issue_count_target(requirements: usize, has_entities: bool, integrations: usize) -> usize {
    let foundation = 1 + usize::from(has_entities) + integrations.min(5);
    crate::offline::feature_issue_target(requirements) + foundation
}

/// The issue plan's briefing: the count target, and the previous revision's
/// issues when there is one.
pub fn issue_plan_briefing(target: usize, previous: Option<&ArchitecturePack>) -> String {
    let low = (target * 4 / 5).max(1);
    let high = (target * 6 / 5).max(target + 1);
    let mut text = format!(
        "Issue count: about {target} issues in all ({low} to {high}), foundation included; this target is computed from the PRD's size."
    );
    if let Some(pack) = previous {
        let items = previous_issues(pack);
        if !items.is_empty() {
            text.push_str("\n\nThe previous revision of this plan had these issues. Keep an issue's id when your issue still implements the same requirements; give new work ids that are not in this list, and never reuse an id for different work.\n<previous_revision>\n");
            for (id, title, implements) in items {
                let line = format!(
                    "- {id}: {title} (implements: {})\n",
                    if implements.is_empty() {
                        "none".to_owned()
                    } else {
                        implements.join(", ")
                    }
                );
                text.push_str(&fenced("previous_revision", &line));
            }
            text.push_str("</previous_revision>");
        }
    }
    text
}

/// (id, title, requirement ids implemented) of each previous plan item, the
/// ids read from the `**Implements:**` line PASS writes into issue bodies.
fn previous_issues(pack: &ArchitecturePack) -> Vec<(String, String, Vec<String>)> {
    pack.implementation
        .github_issue_plan
        .iter()
        .map(|item| {
            let implements = item
                .body
                .as_str()
                .lines()
                .find_map(|l| l.trim().strip_prefix("**Implements:**"))
                .map(|ids| {
                    ids.split(',')
                        .map(|id| id.trim().to_owned())
                        .filter(|id| !id.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            (
                item.id.as_str().to_owned(),
                item.title.as_str().to_owned(),
                implements,
            )
        })
        .collect()
}

/// The deterministic repair of this section (see [`crate::repair::repair`]):
/// every change is described in `notes`.
pub(crate) fn repair_issue_plan(
    d: &mut IssuePlanDraft,
    ctx: &CheckContext<'_>,
    notes: &mut Vec<String>,
) {
    d.issues.retain(|i| {
        let keep = !i.title.trim().is_empty() || !i.summary.trim().is_empty();
        if !keep {
            notes.push(format!(
                "Issue {} had neither title nor summary and was dropped.",
                i.id
            ));
        }
        keep
    });
    for i in &mut d.issues {
        if i.title.trim().is_empty() {
            i.title = first_words(&i.summary, 12);
        }
        if i.summary.trim().is_empty() {
            i.summary = i.title.clone();
        }
    }
    renumber(
        d.issues.iter_mut().map(|i| &mut i.id),
        "ISSUE-",
        "issue",
        notes,
    );
    let names = components(ctx);
    let requirement_matcher = requirement_ids(ctx);
    let requirements: BTreeMap<String, (String, Vec<String>)> = ctx
        .requirements()
        .into_iter()
        .map(|r| (r.id, (r.text, r.acceptance_criteria)))
        .collect();
    let ids = Matcher::new(d.issues.iter().map(|i| i.id.clone()), Kind::Id);
    for issue in &mut d.issues {
        let own = issue.id.clone();
        for (field, list) in [
            ("implements", &mut issue.implements),
            ("partly implements", &mut issue.partially_implements),
        ] {
            resolve_list(
                list,
                |r| requirement_matcher.closest(r).map(str::to_owned),
                |given, found| {
                    notes.push(changed(
                        &format!("{own} {field}"),
                        given,
                        found,
                        "a requirement id",
                    ))
                },
            );
        }
        let full = issue.implements.clone();
        issue.partially_implements.retain(|r| !full.contains(r));
        resolve_list(
            &mut issue.components,
            |c| names.closest(c).map(str::to_owned),
            |given, found| {
                notes.push(changed(
                    &format!("{own}: component"),
                    given,
                    found,
                    "a component",
                ))
            },
        );
        resolve_list(
            &mut issue.depends_on,
            |dep| ids.closest(dep).filter(|f| *f != own).map(str::to_owned),
            |given, found| {
                notes.push(changed(
                    &format!("{own} depends on"),
                    given,
                    found,
                    "another issue",
                ))
            },
        );
        if issue
            .acceptance_criteria
            .iter()
            .all(|a| a.trim().is_empty())
        {
            let mut criteria: Vec<String> = issue
                .implements
                .iter()
                .chain(&issue.partially_implements)
                .filter_map(|r| requirements.get(r).map(|(text, ac)| (r, text, ac)))
                .flat_map(|(r, text, ac)| {
                    if ac.is_empty() {
                        crate::offline::derived_checks(r, text)
                    } else {
                        ac.clone()
                    }
                })
                .collect();
            if criteria.is_empty() {
                criteria = crate::offline::derived_checks(&own, &issue.title);
            }
            notes.push(format!(
                "{own} had no acceptance criteria; they were taken from its requirements."
            ));
            issue.acceptance_criteria = criteria;
        }
    }
    let mut nodes: Vec<(String, &mut Vec<String>)> = d
        .issues
        .iter_mut()
        .map(|i| (i.id.clone(), &mut i.depends_on))
        .collect();
    break_cycles(&mut nodes, "Issue", notes);
    if order_by_dependencies(&mut d.issues) {
        notes.push(
            "Issues were reordered so that each comes after the issues it depends on.".to_owned(),
        );
    }
    let implemented: HashSet<&str> = d
        .issues
        .iter()
        .flat_map(|i| i.implements.iter().map(String::as_str))
        .collect();
    for r in ctx.requirements() {
        if r.priority == Priority::Must && !implemented.contains(r.id.as_str()) {
            notes.push(format!(
                "Must requirement {} is implemented by no issue; its coverage is missing.",
                r.id
            ));
        }
    }
}

/// Puts issues after the issues they depend on, otherwise keeping their
/// order (Kahn's algorithm, always taking the earliest ready issue).
/// Returns whether anything moved. Dependencies must be acyclic.
pub(super) fn order_by_dependencies(issues: &mut Vec<crate::sections::IssueDraft>) -> bool {
    let position: HashMap<String, usize> = issues
        .iter()
        .enumerate()
        .map(|(i, issue)| (issue.id.clone(), i))
        .collect();
    let mut waiting: Vec<usize> = issues
        .iter()
        .map(|i| {
            i.depends_on
                .iter()
                .filter(|d| position.contains_key(d.as_str()))
                .count()
        })
        .collect();
    let mut placed = vec![false; issues.len()];
    let mut order = Vec::with_capacity(issues.len());
    while order.len() < issues.len() {
        let Some(next) = (0..issues.len()).find(|i| !placed[*i] && waiting[*i] == 0) else {
            return false;
        };
        placed[next] = true;
        order.push(next);
        for (j, issue) in issues.iter().enumerate() {
            if issue.depends_on.iter().any(|d| *d == issues[next].id) {
                waiting[j] = waiting[j].saturating_sub(1);
            }
        }
    }
    if order.iter().enumerate().all(|(i, o)| i == *o) {
        return false;
    }
    let mut slots: Vec<Option<crate::sections::IssueDraft>> = issues.drain(..).map(Some).collect();
    issues.extend(order.into_iter().filter_map(|i| slots[i].take()));
    true
}

impl IssuePlanDraft {
    /// The pack's `coverage` of `requirements`, from the issues' links.
    pub(crate) fn coverage(&self, requirements: &[Requirement]) -> Vec<Coverage> {
        let issues = &self.issues;
        // Requirement id → the issues implementing it, fully and in part, built
        // once: a plan of thousands of requirements is not scanned per requirement.
        let mut full_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut part_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for issue in issues {
            for (links, by) in [
                (&issue.implements, &mut full_by),
                (&issue.partially_implements, &mut part_by),
            ] {
                for r in links {
                    let list = by.entry(r.as_str()).or_default();
                    if !list.contains(&issue.id.as_str()) {
                        list.push(issue.id.as_str());
                    }
                }
            }
        }
        requirements
            .iter()
            .map(|r| {
                let full = full_by.get(r.id.as_str()).cloned().unwrap_or_default();
                let part = part_by.get(r.id.as_str()).cloned().unwrap_or_default();
                let (status, notes) = if !full.is_empty() {
                    let mut note = format!("covered by {}", full.join(", "));
                    if !part.is_empty() {
                        note.push_str(&format!("; also {}", part.join(", ")));
                    }
                    (CoverageStatus::Covered, note)
                } else if !part.is_empty() {
                    (
                        CoverageStatus::Partial,
                        format!("partly covered by {}", part.join(", ")),
                    )
                } else {
                    (
                        CoverageStatus::Missing,
                        "no issue in the plan implements it".to_owned(),
                    )
                };
                Coverage {
                    requirement_id: r.id.clone(),
                    status,
                    notes: Some(notes),
                }
            })
            .collect()
    }
}

impl IssueDraft {
    /// The pack's issue plan item: labels for priority, size and components,
    /// and a Markdown body (`**Implements:**` lines included, which a
    /// refinement reads back).
    pub(crate) fn to_pack(&self) -> IssuePlanItem {
        let issue = self;
        let mut labels = vec![
            format!("priority:{}", issue.priority.as_str()),
            format!("size:{}", issue.size.as_str()),
        ];
        for c in &issue.components {
            let slug = label_slug(c);
            if !slug.is_empty() {
                labels.push(format!("component:{slug}"));
            }
        }
        let mut body = String::new();
        body.push_str(issue.summary.trim());
        body.push_str("\n\n");
        if !issue.details.trim().is_empty() {
            body.push_str(issue.details.trim());
            body.push_str("\n\n");
        }
        if !issue.test_strategy.trim().is_empty() {
            body.push_str("**Test strategy:** ");
            body.push_str(issue.test_strategy.trim());
            body.push_str("\n\n");
        }
        let line = |label: &str, items: &[String]| {
            if items.is_empty() {
                String::new()
            } else {
                format!("**{label}:** {}\n", items.join(", "))
            }
        };
        body.push_str(&line("Implements", &issue.implements));
        body.push_str(&line("Partly implements", &issue.partially_implements));
        body.push_str(&line("Components", &issue.components));
        body.push_str(&line("Depends on", &issue.depends_on));
        body.push_str(&format!(
            "**Size:** {} · **Priority:** {}\n\n### Acceptance criteria\n",
            issue.size.as_str(),
            issue.priority.as_str()
        ));
        for a in &issue.acceptance_criteria {
            body.push_str(&format!("- [ ] {a}\n"));
        }
        IssuePlanItem {
            id: text(&issue.id, "ISSUE"),
            title: text(&issue.title, "Issue"),
            summary: text(&issue.summary, "-"),
            body: text(&body, "-"),
            labels: texts(&labels),
            depends_on: texts(&issue.depends_on),
            acceptance_criteria: texts(&issue.acceptance_criteria),
        }
    }
}

/// Letter-case canonicalisation of this section's references (see
/// [`crate::repair::canonicalise`]).
pub(crate) fn canonicalise_issue_plan(d: &mut IssuePlanDraft, ctx: &CheckContext<'_>) {
    let names = components(ctx);
    let requirements = requirement_ids(ctx);
    let ids = Matcher::new(d.issues.iter().map(|i| i.id.clone()), Kind::Id);
    for issue in &mut d.issues {
        fix_case(&mut issue.implements, &requirements);
        fix_case(&mut issue.partially_implements, &requirements);
        fix_case(&mut issue.components, &names);
        fix_case(&mut issue.depends_on, &ids);
    }
}
