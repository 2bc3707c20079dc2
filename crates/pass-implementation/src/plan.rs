//! The pure half of a sync: what each plan item's issue should say, and what
//! must change to get there. Nothing here talks to a tracker, so every rule
//! (adopt by marker, update only on a real difference, keep people's edits,
//! close what left the plan) is unit-tested directly.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use pass_contracts::pack::IssuePlanItem;
use pass_contracts::runs::GithubState;
use serde::Serialize;
use uuid::Uuid;

use crate::marker::{MarkedBody, parse_body, render_body};
use crate::tracker::TrackedIssue;

/// How a dependency is written into a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyRef {
    /// The dependency has an issue: `#12`.
    Issue(u64),
    /// Not an issue yet (to be created, or its creation failed).
    Pending(String),
}

/// What an item's issue should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub title: String,
    /// The full body, marker block included.
    pub body: String,
    /// Sorted and without duplicates, as compared with the issue's.
    pub labels: Vec<String>,
}

/// A field that differs between an issue and its plan item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Title,
    Body,
    Labels,
}

/// The text above the marker block: summary, body, acceptance criteria and
/// the `Depends on #…` line GitHub turns into links.
pub fn render_content(item: &IssuePlanItem, dependencies: &[DependencyRef]) -> String {
    let mut out = String::new();
    let summary = item.summary.trim();
    let body = item.body.trim();
    // A body that already states the summary or the criteria (the planner's
    // bodies are self-contained) is not repeated around.
    if !body.contains(summary) {
        out.push_str(summary);
        out.push_str("\n\n");
    }
    out.push_str(body);
    let criteria_in_body = item
        .acceptance_criteria
        .iter()
        .all(|criterion| body.contains(criterion.trim()));
    if !criteria_in_body {
        out.push_str("\n\n## Acceptance criteria\n");
        for criterion in &item.acceptance_criteria {
            out.push_str("\n- [ ] ");
            out.push_str(criterion.trim());
        }
    }
    if !dependencies.is_empty() {
        let refs: Vec<String> = dependencies
            .iter()
            .map(|dependency| match dependency {
                DependencyRef::Issue(number) => format!("#{number}"),
                DependencyRef::Pending(id) => format!("plan item `{id}` (no issue yet)"),
            })
            .collect();
        out.push_str("\n\nDepends on ");
        out.push_str(&refs.join(", "));
    }
    out
}

/// The id a plan item is known by in markers, lookups and reports. The
/// marker line is written and read trimmed, so every comparison must be too,
/// or an id like `" I-1"` never finds its own issue again.
pub fn item_key(id: &str) -> &str {
    id.trim()
}

/// Why each item (same index as `items`) cannot be synced, if it cannot.
/// An id must survive the round trip through its marker line, and must stay
/// unique once trimmed, or the sync would create an issue it can never adopt.
pub fn id_problems(items: &[IssuePlanItem]) -> Vec<Option<String>> {
    let mut seen = HashSet::new();
    items
        .iter()
        .map(|item| {
            let key = item_key(&item.id);
            if key.chars().any(char::is_control) {
                Some(format!(
                    "plan item id {:?} contains a line break or another control character, which the issue's marker line cannot carry; not synced (rename the item)",
                    item.id.as_str()
                ))
            } else if !seen.insert(key) {
                Some(format!(
                    "plan item id {:?} is the same as an earlier item's once surrounding white space is ignored; not synced (ids must differ)",
                    item.id.as_str()
                ))
            } else {
                None
            }
        })
        .collect()
}

/// The issue `item` should be, given the issue numbers known so far.
pub fn desired(item: &IssuePlanItem, run_id: Uuid, numbers: &HashMap<String, u64>) -> Desired {
    let dependencies: Vec<DependencyRef> = item
        .depends_on
        .iter()
        .map(|id| match numbers.get(item_key(id)) {
            Some(number) => DependencyRef::Issue(*number),
            None => DependencyRef::Pending(item_key(id).to_owned()),
        })
        .collect();
    let content = render_content(item, &dependencies);
    Desired {
        title: item.title.trim().to_owned(),
        body: render_body(&content, run_id, &item.id),
        labels: normalise_labels(item.labels.iter().map(|l| l.as_str())),
    }
}

fn normalise_labels<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<String> {
    labels
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Labels used by any item of the plan, lower-cased. PASS manages these;
/// any other label on an issue was added by a person and is kept.
pub fn managed_labels(items: &[IssuePlanItem]) -> BTreeSet<String> {
    items
        .iter()
        .flat_map(|item| item.labels.iter())
        .map(|label| label.trim().to_lowercase())
        .filter(|label| !label.is_empty())
        .collect()
}

/// The labels `issue` should end up with: the item's own, plus those people
/// added that the plan does not manage (`in progress`, `blocked`, ...).
pub fn target_labels(
    desired: &Desired,
    issue: &TrackedIssue,
    managed: &BTreeSet<String>,
) -> Vec<String> {
    let mut labels = desired.labels.clone();
    for label in &issue.labels {
        let lower = label.trim().to_lowercase();
        if !managed.contains(&lower) && !labels.iter().any(|l| l.to_lowercase() == lower) {
            labels.push(label.trim().to_owned());
        }
    }
    normalise_labels(labels.iter().map(String::as_str))
}

fn label_set(labels: &[String]) -> BTreeSet<String> {
    labels.iter().map(|l| l.trim().to_lowercase()).collect()
}

/// The fields of `issue` that differ from `desired`. Line endings and
/// trailing white space in the body do not count as differences, nor do the
/// order and case of labels, nor labels people added outside `managed`.
pub fn diff(desired: &Desired, issue: &TrackedIssue, managed: &BTreeSet<String>) -> Vec<Change> {
    let mut changes = Vec::new();
    if desired.title != issue.title.trim() {
        changes.push(Change::Title);
    }
    let current = issue.body.replace("\r\n", "\n");
    if desired.body.trim_end() != current.trim_end() {
        changes.push(Change::Body);
    }
    if label_set(&target_labels(desired, issue, managed)) != label_set(&issue.labels) {
        changes.push(Change::Labels);
    }
    changes
}

/// The issues of this run found by their marker, by plan item id.
#[derive(Debug, Clone, Default)]
pub struct Adopted {
    /// The issue each plan item id is synced into (the lowest number when
    /// a crash left more than one).
    pub primary: BTreeMap<String, (TrackedIssue, MarkedBody)>,
    /// Further issues with the same marker, to be closed as duplicates.
    pub duplicates: Vec<(TrackedIssue, String)>,
}

/// Sorts the listed issues: those carrying this run's marker are adopted,
/// everything else (other runs, people's issues) is left alone.
pub fn adopt(run_id: Uuid, issues: &[TrackedIssue]) -> Adopted {
    let mut sorted: Vec<&TrackedIssue> = issues.iter().collect();
    sorted.sort_by_key(|issue| issue.number);
    let mut adopted = Adopted::default();
    for issue in sorted {
        let Some(marked) = parse_body(&issue.body) else {
            continue;
        };
        if !marked.marker.is_for_run(run_id) {
            continue;
        }
        let item = marked.marker.plan_item_id.clone();
        match adopted.primary.entry(item) {
            std::collections::btree_map::Entry::Occupied(entry) => {
                adopted
                    .duplicates
                    .push((issue.clone(), entry.key().clone()));
            }
            std::collections::btree_map::Entry::Vacant(entry) => {
                entry.insert((issue.clone(), marked));
            }
        }
    }
    adopted
}

/// `title, labels differ`: the reason given for an update.
pub fn describe_changes(changes: &[Change]) -> String {
    let names: Vec<&str> = changes
        .iter()
        .map(|c| match c {
            Change::Title => "title",
            Change::Body => "body",
            Change::Labels => "labels",
        })
        .collect();
    format!("{} differ", names.join(", "))
}

/// What the sync will do with one plan item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    /// Left alone: a person edited it (and `--force` was not given).
    Skip,
    /// The plan item left the pack: closed as not planned.
    Close,
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Skip => "skip",
            Action::Close => "close",
        }
    }
}

/// One line of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedItem {
    pub plan_item_id: String,
    pub title: String,
    pub action: Action,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<GithubState>,
    /// A second issue carrying the same marker (left by a crash), to be closed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// Plan items in an order where every item comes after the items it depends
/// on (plan order otherwise), so each new issue can name its dependencies'
/// numbers the moment it is created. Items caught in a cycle keep plan order.
pub fn dependency_order(items: &[IssuePlanItem]) -> Vec<usize> {
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item_key(&item.id), i))
        .collect();
    let mut order = Vec::with_capacity(items.len());
    let mut state = vec![0u8; items.len()];
    fn visit(
        i: usize,
        items: &[IssuePlanItem],
        index: &HashMap<&str, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) {
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        for dependency in &items[i].depends_on {
            if let Some(&j) = index.get(item_key(dependency)) {
                if state[j] == 0 {
                    visit(j, items, index, state, order);
                }
            }
        }
        state[i] = 2;
        order.push(i);
    }
    for i in 0..items.len() {
        visit(i, items, &index, &mut state, &mut order);
    }
    order
}

/// The whole plan, as `--dry-run` shows it: every item in plan order and the
/// issues to close. Dependencies on issues still to be created are written
/// as pending, which is why their dependants show as updates.
pub fn plan_sync(
    run_id: Uuid,
    items: &[IssuePlanItem],
    issues: &[TrackedIssue],
    force: bool,
) -> Vec<PlannedItem> {
    let adopted = adopt(run_id, issues);
    let numbers: HashMap<String, u64> = adopted
        .primary
        .iter()
        .map(|(id, (issue, _))| (id.clone(), issue.number))
        .collect();
    let planned_ids: BTreeSet<&str> = items.iter().map(|item| item_key(&item.id)).collect();
    let managed = managed_labels(items);
    let problems = id_problems(items);
    let mut plan = Vec::new();
    for (item, problem) in items.iter().zip(problems) {
        let want = desired(item, run_id, &numbers);
        let key = item_key(&item.id);
        if let Some(problem) = problem {
            // The raw id, so it stays apart from the item it collides with.
            plan.push(PlannedItem {
                plan_item_id: item.id.to_string(),
                title: want.title,
                action: Action::Skip,
                reason: problem,
                changes: Vec::new(),
                issue_number: None,
                state: None,
                duplicate: false,
            });
            continue;
        }
        let planned = match adopted.primary.get(key) {
            None => PlannedItem {
                plan_item_id: key.to_owned(),
                title: want.title,
                action: Action::Create,
                reason: "no issue carries this plan item's marker yet".to_owned(),
                changes: Vec::new(),
                issue_number: None,
                state: None,
                duplicate: false,
            },
            Some((issue, marked)) => {
                let changes = diff(&want, issue, &managed);
                let (action, reason) = if changes.is_empty() {
                    (Action::Unchanged, "title, body and labels match".to_owned())
                } else if marked.edited_since_written() && !force {
                    (
                        Action::Skip,
                        "edited since last sync; not overwritten (use --force)".to_owned(),
                    )
                } else {
                    (Action::Update, describe_changes(&changes))
                };
                PlannedItem {
                    plan_item_id: key.to_owned(),
                    title: want.title,
                    action,
                    reason,
                    changes,
                    issue_number: Some(issue.number),
                    state: Some(issue.state),
                    duplicate: false,
                }
            }
        };
        plan.push(planned);
    }
    for (id, (issue, _)) in &adopted.primary {
        if planned_ids.contains(id.as_str()) {
            continue;
        }
        let (action, reason) = match issue.state {
            GithubState::Open => (
                Action::Close,
                "plan item is no longer in the pack; close as not planned".to_owned(),
            ),
            GithubState::Closed => (
                Action::Unchanged,
                "plan item is no longer in the pack; already closed".to_owned(),
            ),
        };
        plan.push(PlannedItem {
            plan_item_id: id.clone(),
            title: issue.title.clone(),
            action,
            reason,
            changes: Vec::new(),
            issue_number: Some(issue.number),
            state: Some(issue.state),
            duplicate: false,
        });
    }
    for (issue, id) in &adopted.duplicates {
        if issue.state == GithubState::Open {
            plan.push(PlannedItem {
                plan_item_id: id.clone(),
                title: issue.title.clone(),
                action: Action::Close,
                reason: "duplicate issue for this plan item; close as not planned".to_owned(),
                changes: Vec::new(),
                issue_number: Some(issue.number),
                state: Some(issue.state),
                duplicate: true,
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use pass_contracts::Text;
    use url::Url;

    use super::*;

    fn run() -> Uuid {
        Uuid::from_u128(7)
    }

    fn item(id: &str, depends_on: &[&str]) -> IssuePlanItem {
        IssuePlanItem {
            id: Text::new(id).unwrap(),
            title: Text::new(format!("Title {id}")).unwrap(),
            summary: Text::new("Summary").unwrap(),
            body: Text::new("Body").unwrap(),
            labels: vec![Text::new("b").unwrap(), Text::new("a").unwrap()],
            depends_on: depends_on.iter().map(|d| Text::new(*d).unwrap()).collect(),
            acceptance_criteria: vec![Text::new("works").unwrap()],
        }
    }

    fn issue_for(number: u64, want: &Desired) -> TrackedIssue {
        TrackedIssue {
            number,
            id: 1000 + number,
            title: want.title.clone(),
            body: want.body.clone(),
            labels: want.labels.iter().rev().cloned().collect(),
            state: GithubState::Open,
            url: Url::parse(&format!("https://github.com/o/r/issues/{number}")).unwrap(),
            blocked_by_count: None,
        }
    }

    #[test]
    fn a_self_contained_body_is_not_repeated_around() {
        let mut planned = item("b", &[]);
        planned.body = pass_contracts::Text::new("Summary\n\nDetails.\n\n- [ ] works").unwrap();
        let content = render_content(&planned, &[]);
        assert_eq!(content, "Summary\n\nDetails.\n\n- [ ] works");
    }

    #[test]
    fn content_names_dependencies_as_issue_references() {
        let content = render_content(
            &item("b", &["a", "c"]),
            &[
                DependencyRef::Issue(12),
                DependencyRef::Pending("c".to_owned()),
            ],
        );
        assert_eq!(
            content,
            "Summary\n\nBody\n\n## Acceptance criteria\n\n- [ ] works\n\nDepends on #12, plan item `c` (no issue yet)"
        );
    }

    #[test]
    fn an_identical_issue_is_unchanged_whatever_the_label_order() {
        let items = [item("a", &[])];
        let want = desired(&items[0], run(), &HashMap::new());
        let plan = plan_sync(run(), &items, &[issue_for(5, &want)], false);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].action, Action::Unchanged);
        assert_eq!(plan[0].issue_number, Some(5));
    }

    #[test]
    fn differences_are_named_and_edits_by_people_are_kept() {
        let items = [item("a", &[])];
        let want = desired(&items[0], run(), &HashMap::new());
        let mut retitled = issue_for(5, &want);
        retitled.title = "Old title".to_owned();
        retitled.labels = vec!["a".to_owned()];
        let plan = plan_sync(run(), &items, &[retitled], false);
        assert_eq!(plan[0].action, Action::Update);
        assert_eq!(plan[0].changes, vec![Change::Title, Change::Labels]);

        let mut edited = issue_for(5, &want);
        edited.body = edited.body.replace("Summary", "Summary, with a note");
        let plan = plan_sync(run(), &items, std::slice::from_ref(&edited), false);
        assert_eq!(plan[0].action, Action::Skip);
        assert!(plan[0].reason.contains("edited since last sync"));
        let plan = plan_sync(run(), &items, &[edited], true);
        assert_eq!(plan[0].action, Action::Update);
        assert_eq!(plan[0].changes, vec![Change::Body]);
    }

    #[test]
    fn labels_people_added_are_kept_and_case_does_not_matter() {
        let items = [item("a", &[])];
        let want = desired(&items[0], run(), &HashMap::new());
        let mut issue = issue_for(5, &want);
        issue.labels = vec!["A".to_owned(), "b".to_owned(), "in progress".to_owned()];
        let plan = plan_sync(run(), &items, std::slice::from_ref(&issue), false);
        assert_eq!(plan[0].action, Action::Unchanged);

        let mut fewer = items[0].clone();
        fewer.labels.pop();
        let want = desired(&fewer, run(), &HashMap::new());
        let managed = managed_labels(&items);
        assert_eq!(diff(&want, &issue, &managed), vec![Change::Labels]);
        assert_eq!(
            target_labels(&want, &issue, &managed),
            vec!["b".to_owned(), "in progress".to_owned()]
        );
    }

    #[test]
    fn removed_items_close_other_runs_are_ignored_and_duplicates_found() {
        let items = [item("a", &[])];
        let numbers = HashMap::new();
        let gone = desired(&item("gone", &[]), run(), &numbers);
        let other_run = desired(&item("x", &[]), Uuid::from_u128(8), &numbers);
        let a = desired(&items[0], run(), &numbers);
        let issues = [
            issue_for(3, &gone),
            issue_for(4, &other_run),
            issue_for(9, &a),
            issue_for(6, &a),
        ];
        let plan = plan_sync(run(), &items, &issues, false);
        let summary: Vec<(&str, Action, Option<u64>)> = plan
            .iter()
            .map(|p| (p.plan_item_id.as_str(), p.action.clone(), p.issue_number))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a", Action::Unchanged, Some(6)),
                ("gone", Action::Close, Some(3)),
                ("a", Action::Close, Some(9)),
            ]
        );
    }

    #[test]
    fn dependencies_come_first_and_pending_ones_show_as_updates() {
        let items = [item("c", &["b"]), item("b", &["a"]), item("a", &[])];
        assert_eq!(dependency_order(&items), vec![2, 1, 0]);
        let numbers = HashMap::from([("c".to_owned(), 1u64)]);
        let c_now = desired(&items[0], run(), &numbers);
        let plan = plan_sync(run(), &items, &[issue_for(1, &c_now)], false);
        let actions: Vec<Action> = plan.iter().map(|p| p.action.clone()).collect();
        assert_eq!(
            actions,
            vec![Action::Unchanged, Action::Create, Action::Create]
        );

        let cyclic = [item("x", &["y"]), item("y", &["x"])];
        let mut order = dependency_order(&cyclic);
        order.sort();
        assert_eq!(order, vec![0, 1]);
    }

    #[test]
    fn ids_with_surrounding_space_find_their_own_marker() {
        let items = [item(" I-1 ", &[]), item("I-2", &[" I-1"])];
        assert_eq!(dependency_order(&items), vec![0, 1]);
        let numbers = HashMap::from([("I-1".to_owned(), 4u64)]);
        let first = desired(&items[0], run(), &numbers);
        let second = desired(&items[1], run(), &numbers);
        assert!(second.body.contains("Depends on #4"), "{}", second.body);
        let plan = plan_sync(
            run(),
            &items,
            &[issue_for(4, &first), issue_for(5, &second)],
            false,
        );
        let summary: Vec<(&str, Action)> = plan
            .iter()
            .map(|p| (p.plan_item_id.as_str(), p.action.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![("I-1", Action::Unchanged), ("I-2", Action::Unchanged)]
        );
    }

    #[test]
    fn ids_a_marker_cannot_carry_or_that_collide_once_trimmed_are_refused() {
        let items = [item("a\nb", &[]), item("c", &[]), item(" c", &[])];
        let problems = id_problems(&items);
        assert!(problems[0].as_deref().unwrap().contains("line break"));
        assert_eq!(problems[1], None);
        assert!(problems[2].as_deref().unwrap().contains("earlier item"));
        let plan = plan_sync(run(), &items, &[], false);
        let actions: Vec<Action> = plan.iter().map(|p| p.action.clone()).collect();
        assert_eq!(actions, vec![Action::Skip, Action::Create, Action::Skip]);
    }
}
