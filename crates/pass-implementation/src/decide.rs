//! The deciding half of a sync: for every plan item and every issue of the
//! project's backlog, what to do and why. Nothing here writes; `apply` only
//! carries the decisions out, so `--dry-run` shows exactly what a real sync
//! does.
//!
//! Each field of an issue (title, body, labels) is compared three ways:
//! what PASS last wrote (recorded in the marker block, or for older issues
//! reconstructed from the revision that wrote them), what the issue says now,
//! and what the new plan says.
//!
//! - nothing changed → no write;
//! - only the plan changed → the field is updated;
//! - only a person changed it → it is kept as they made it (`kept`);
//! - both changed, differently → nothing is written, one comment per plan
//!   change says what the plan wants (`conflict`); `--force` overwrites.
//!
//! Closed issues are never reopened or edited. An issue whose item left the
//! plan is closed as not planned with one comment, unless a person worked on
//! it (edited, retitled, relabelled, assigned or commented), in which case it
//! gets one comment and stays open.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use pass_contracts::pack::IssuePlanItem;
use pass_contracts::runs::GithubState;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::marker::{
    CommentKind, MarkedBody, Marker, comment_tag, content_sha256, parse_body, parse_comment_tag,
    title_sha256,
};
use crate::render::{
    Desired, Numbers, desired, id_problems, item_key, label_set, normalise_labels,
    render_seed_content,
};
use crate::tracker::{TrackedComment, TrackedIssue};

/// Which issues belong to the backlog being synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncScope {
    pub project_id: Uuid,
    /// The revision being synced; its id goes into every block PASS writes.
    pub run_id: Uuid,
    /// The revision number, for comments.
    pub revision: u32,
    /// Every run of the project. Issues whose block names one of them and no
    /// project (older PASS, the seed) belong to this backlog.
    pub project_runs: HashSet<Uuid>,
}

impl SyncScope {
    /// A run that is its own project (the seed's way of working).
    pub fn single_run(run_id: Uuid) -> Self {
        Self {
            project_id: run_id,
            run_id,
            revision: 1,
            project_runs: HashSet::from([run_id]),
        }
    }

    /// Whether an issue carrying `marker` belongs to this backlog.
    pub fn owns(&self, marker: &Marker) -> bool {
        match marker.project_uuid() {
            Some(project) => project == self.project_id,
            None => marker
                .run_uuid()
                .is_some_and(|run| self.project_runs.contains(&run)),
        }
    }
}

/// Plan items of earlier revisions, by run: what PASS (or the seed) wrote into
/// issues whose block predates PASS's record of titles and labels.
pub type EarlierPlans = HashMap<Uuid, Vec<IssuePlanItem>>;

/// A field of an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Body,
    Labels,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
            Field::Labels => "labels",
        }
    }
}

/// What the sync does with one plan item or issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    /// A person changed the issue and the plan did not: left as it is.
    Kept,
    /// A person and the plan both changed it: left as it is, commented once.
    Conflict,
    /// Closed as not planned, with a comment.
    Close,
    /// Its item left the plan but a person worked on it: commented, left open.
    Comment,
    /// Cannot be synced (an id a marker cannot carry).
    Skip,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Kept => "kept",
            Action::Conflict => "conflict",
            Action::Close => "close",
            Action::Comment => "comment",
            Action::Skip => "skip",
        }
    }
}

/// One decision, with its reason and everything applying it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub plan_item_id: String,
    pub title: String,
    pub action: Action,
    pub reason: String,
    /// Fields the sync writes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Field>,
    /// Fields a person changed that stay as they are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Field>,
    /// Fields both a person and the plan changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Field>,
    /// The comment the sync posts, when it posts one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<GithubState>,
    /// False for issues whose item left the plan, and for duplicates.
    pub in_plan: bool,
    /// A second issue for the same plan item.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// Index of the plan item, for items of the plan.
    #[serde(skip)]
    pub item_index: Option<usize>,
    /// Labels the issue ends with when labels are written.
    #[serde(skip)]
    pub target_labels: Vec<String>,
    /// The title hash to record when the body is written.
    #[serde(skip)]
    pub recorded_title_sha: Option<String>,
    /// The body is sent along with a title or label change, its text as it
    /// is, so the marker block records what PASS wrote (the same request, no
    /// extra write). Not when a person edited the body: that is never rewritten.
    #[serde(skip)]
    pub refresh_record: bool,
}

/// Options that change decisions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecideOptions {
    /// Overwrite what people changed.
    pub force: bool,
}

/// The issues of the backlog found by their marker, by plan item id.
#[derive(Debug, Clone, Default)]
pub struct Adopted {
    /// The issue each plan item id is synced into: the lowest number when
    /// there is more than one.
    pub primary: BTreeMap<String, (TrackedIssue, MarkedBody)>,
    /// Further issues with the same item id, with it.
    pub duplicates: Vec<(TrackedIssue, MarkedBody)>,
}

/// Sorts the listed issues: those of the backlog are adopted, everything
/// else (other projects, people's own issues) is left alone.
pub fn adopt(scope: &SyncScope, issues: &[TrackedIssue]) -> Adopted {
    let mut sorted: Vec<&TrackedIssue> = issues.iter().collect();
    sorted.sort_by_key(|issue| issue.number);
    let mut adopted = Adopted::default();
    for issue in sorted {
        let Some(marked) = parse_body(&issue.body) else {
            continue;
        };
        if !scope.owns(&marked.marker) {
            continue;
        }
        let item = item_key(&marked.marker.plan_item_id).to_owned();
        match adopted.primary.entry(item) {
            std::collections::btree_map::Entry::Occupied(_) => {
                adopted.duplicates.push((issue.clone(), marked));
            }
            std::collections::btree_map::Entry::Vacant(entry) => {
                entry.insert((issue.clone(), marked));
            }
        }
    }
    adopted
}

/// What PASS last wrote into an issue, as far as it can be known.
#[derive(Debug, Clone, Default)]
struct Base {
    title_sha: Option<String>,
    content_sha: Option<String>,
    labels: Option<Vec<String>>,
    /// The body was written by the seed's tool, in its own layout.
    seed_layout: bool,
}

/// Reads the record in the block; fields it lacks come from the plan of the
/// revision that wrote the issue, rendered the way that tool wrote it.
fn base_of(marked: &MarkedBody, earlier: &EarlierPlans) -> Base {
    let marker = &marked.marker;
    let writer_item = || {
        let items = earlier.get(&marker.run_uuid()?)?;
        items
            .iter()
            .find(|item| item_key(&item.id) == item_key(&marker.plan_item_id))
    };
    Base {
        title_sha: marker
            .title_sha256
            .clone()
            .or_else(|| writer_item().map(|item| title_sha256(&item.title))),
        content_sha: marker
            .body_sha256
            .clone()
            .or_else(|| writer_item().map(|item| content_sha256(&render_seed_content(item)))),
        labels: marker.labels.clone().or_else(|| {
            writer_item().map(|item| normalise_labels(item.labels.iter().map(|l| l.as_str())))
        }),
        seed_layout: marker.body_sha256.is_none(),
    }
}

/// Who changed a field since PASS last wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// The issue says what the plan says.
    InSync,
    Plan,
    Person,
    /// Both, to different values.
    Both,
}

fn three_way(base: Option<&str>, current: &str, wanted: &str) -> Change {
    if current == wanted {
        return Change::InSync;
    }
    match base {
        // No record of what PASS wrote: whatever differs is a person's.
        None => Change::Person,
        Some(base) => match (current != base, wanted != base) {
            (false, true) => Change::Plan,
            (true, false) => Change::Person,
            (true, true) => Change::Both,
            (false, false) => Change::InSync,
        },
    }
}

/// The body's current hash: text appended below the block counts as an edit.
fn current_content_sha(marked: &MarkedBody) -> String {
    if marked.trailing.is_empty() {
        content_sha256(&marked.content)
    } else {
        content_sha256(&format!("{}\n{}", marked.content, marked.trailing))
    }
}

/// Labels three ways: the plan's additions and removals since `base` are
/// applied to what the issue has, so labels people added or removed stay.
/// Returns the labels the issue should end with, and who changed them.
fn merge_labels(
    base: Option<&[String]>,
    current: &[String],
    wanted: &[String],
    force: bool,
) -> (Vec<String>, Change) {
    let current_set = label_set(current);
    let wanted_set = label_set(wanted);
    let Some(base) = base else {
        // Without a record nothing is removed: the plan's labels are added.
        let mut target: Vec<String> = current.to_vec();
        target.extend(
            wanted
                .iter()
                .filter(|l| !current_set.contains(&l.to_lowercase()))
                .cloned(),
        );
        let change = if current_set == wanted_set {
            Change::InSync
        } else if wanted_set.is_subset(&current_set) {
            Change::Person
        } else {
            Change::Both
        };
        return (normalise_labels(target.iter().map(String::as_str)), change);
    };
    let base_set = label_set(base);
    let added: BTreeSet<&String> = wanted_set.difference(&base_set).collect();
    let removed: BTreeSet<&String> = base_set.difference(&wanted_set).collect();
    let mut target: Vec<String> = current
        .iter()
        .filter(|l| !removed.contains(&l.trim().to_lowercase()))
        .cloned()
        .collect();
    if force {
        // The plan's labels come back; labels people added stay.
        target.retain(|l| {
            !base_set.contains(&l.trim().to_lowercase())
                || wanted_set.contains(&l.trim().to_lowercase())
        });
        target.extend(wanted.iter().cloned());
    } else {
        target.extend(
            wanted
                .iter()
                .filter(|l| added.contains(&l.trim().to_lowercase()))
                .cloned(),
        );
    }
    let change = match (current_set != base_set, wanted_set != base_set) {
        _ if current_set == wanted_set => Change::InSync,
        (false, true) => Change::Plan,
        (true, false) => Change::Person,
        (true, true) => Change::Both,
        (false, false) => Change::InSync,
    };
    (normalise_labels(target.iter().map(String::as_str)), change)
}

/// The key of a plan change, so its conflict comment is posted once.
fn plan_change_key(want: &Desired) -> String {
    let mut hasher = Sha256::new();
    hasher.update(want.title.as_bytes());
    hasher.update(b"\n");
    hasher.update(content_sha256(&want.content).as_bytes());
    hasher.update(b"\n");
    hasher.update(want.labels.join("\n").to_lowercase().as_bytes());
    hex::encode(&hasher.finalize()[..12])
}

fn field_list(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything `decide` reads.
#[derive(Debug, Clone, Copy)]
pub struct DecideInput<'a> {
    pub scope: &'a SyncScope,
    pub items: &'a [IssuePlanItem],
    pub issues: &'a [TrackedIssue],
    pub earlier: &'a EarlierPlans,
    /// Comments of the issues [`needs_comments`] named.
    pub comments: &'a HashMap<u64, Vec<TrackedComment>>,
    pub options: DecideOptions,
}

/// Decides every action: the plan's items in plan order, then the issues of
/// items that left the plan, then duplicates.
pub fn decide(input: DecideInput<'_>) -> Vec<Decision> {
    let adopted = adopt(input.scope, input.issues);
    let problems = id_problems(input.items);
    let numbers = Numbers {
        known: adopted
            .primary
            .iter()
            .map(|(id, (issue, _))| (id.clone(), issue.number))
            .collect(),
        to_create: input
            .items
            .iter()
            .zip(&problems)
            .filter(|(item, problem)| {
                problem.is_none() && !adopted.primary.contains_key(item_key(&item.id))
            })
            .map(|(item, _)| item_key(&item.id).to_owned())
            .collect(),
    };
    let mut decisions = Vec::new();
    for (index, (item, problem)) in input.items.iter().zip(&problems).enumerate() {
        let want = desired(item, &numbers);
        let mut decision = Decision {
            plan_item_id: item_key(&item.id).to_owned(),
            title: want.title.clone(),
            action: Action::Create,
            reason: String::new(),
            changes: Vec::new(),
            kept: Vec::new(),
            conflicts: Vec::new(),
            comment: None,
            issue_number: None,
            state: None,
            in_plan: true,
            duplicate: false,
            item_index: Some(index),
            target_labels: want.labels.clone(),
            recorded_title_sha: None,
            refresh_record: false,
        };
        if let Some(problem) = problem {
            // The raw id, so it stays apart from the item it collides with.
            decision.plan_item_id = item.id.to_string();
            decision.action = Action::Skip;
            decision.reason = problem.clone();
            decisions.push(decision);
            continue;
        }
        match adopted.primary.get(item_key(&item.id)) {
            None => {
                decision.reason =
                    "no issue of this project carries this plan item's marker yet".to_owned();
            }
            Some((issue, marked)) => {
                decide_existing(&mut decision, item, &want, issue, marked, &input);
            }
        }
        decisions.push(decision);
    }
    let planned: HashSet<&str> = input.items.iter().map(|i| item_key(&i.id)).collect();
    for (id, (issue, marked)) in &adopted.primary {
        if !planned.contains(id.as_str()) {
            decisions.push(decide_leftover(id, issue, marked, None, &input));
        }
    }
    for (issue, marked) in &adopted.duplicates {
        let id = item_key(&marked.marker.plan_item_id).to_owned();
        let kept = adopted.primary.get(&id).map(|(first, _)| first.number);
        decisions.push(decide_leftover(&id, issue, marked, Some(kept), &input));
    }
    decisions
}

/// The issues whose comments `decide` needs: those it may comment on (a
/// conflict, an item that left the plan, a duplicate) that have comments.
pub fn needs_comments(first_pass: &[Decision], issues: &[TrackedIssue]) -> Vec<u64> {
    let counts: HashMap<u64, u64> = issues.iter().map(|i| (i.number, i.comments)).collect();
    first_pass
        .iter()
        .filter(|d| {
            matches!(d.action, Action::Conflict | Action::Close | Action::Comment)
                || (!d.in_plan && d.action == Action::Kept)
        })
        .filter_map(|d| d.issue_number)
        .filter(|number| counts.get(number).is_some_and(|&count| count > 0))
        .collect()
}

fn decide_existing(
    decision: &mut Decision,
    item: &IssuePlanItem,
    want: &Desired,
    issue: &TrackedIssue,
    marked: &MarkedBody,
    input: &DecideInput<'_>,
) {
    decision.issue_number = Some(issue.number);
    decision.state = Some(issue.state);
    let base = base_of(marked, input.earlier);
    let force = input.options.force;

    let title = three_way(
        base.title_sha.as_deref(),
        &title_sha256(&issue.title),
        &title_sha256(&want.title),
    );
    let current_body = current_content_sha(marked);
    let wanted_body = content_sha256(&want.content);
    let body = if base.seed_layout && current_body != wanted_body {
        // The seed wrote its own layout: whether the plan changed is judged
        // in that layout. An issue nobody edited is rewritten into PASS's.
        if base.content_sha.as_deref() == Some(current_body.as_str()) {
            Change::Plan
        } else {
            match three_way(
                base.content_sha.as_deref(),
                &current_body,
                &content_sha256(&render_seed_content(item)),
            ) {
                Change::Both => Change::Both,
                _ => Change::Person,
            }
        }
    } else {
        three_way(base.content_sha.as_deref(), &current_body, &wanted_body)
    };
    let (target_labels, labels) =
        merge_labels(base.labels.as_deref(), &issue.labels, &want.labels, force);
    let labels_written = label_set(&target_labels) != label_set(&issue.labels);
    decision.target_labels = target_labels;

    if issue.state == GithubState::Closed {
        let differing: Vec<Field> = [
            (Field::Title, title),
            (Field::Body, body),
            (Field::Labels, labels),
        ]
        .into_iter()
        .filter(|(_, change)| *change != Change::InSync)
        .map(|(field, _)| field)
        .collect();
        if differing.is_empty() {
            decision.action = Action::Unchanged;
            decision.reason = "closed; title, body and labels match the plan".to_owned();
        } else {
            decision.action = Action::Kept;
            decision.kept = differing;
            decision.reason =
                "closed on the tracker; PASS never reopens or edits a closed issue".to_owned();
        }
        return;
    }

    for (field, change) in [(Field::Title, title), (Field::Body, body)] {
        match change {
            Change::InSync => {}
            Change::Plan => decision.changes.push(field),
            Change::Person | Change::Both if force => decision.changes.push(field),
            Change::Person => decision.kept.push(field),
            Change::Both => decision.conflicts.push(field),
        }
    }
    // Labels are merged: the plan's additions and removals apply, and what
    // people added or removed stays, so labels never conflict.
    if labels_written {
        decision.changes.push(Field::Labels);
    }
    if matches!(labels, Change::Person | Change::Both) && !force {
        decision.kept.push(Field::Labels);
    }

    // When the body is written, the block records the title PASS considers
    // its own: the new one if it is written (or already there), else the one
    // it wrote before, so a person's title keeps counting as theirs.
    decision.recorded_title_sha = Some(
        if decision.changes.contains(&Field::Title) || title == Change::InSync {
            title_sha256(&want.title)
        } else {
            base.title_sha
                .clone()
                .unwrap_or_else(|| title_sha256(&want.title))
        },
    );

    if !decision.conflicts.is_empty() {
        decision.action = Action::Conflict;
        // Nothing of a conflicting issue is written, labels included.
        decision.changes.clear();
        let key = plan_change_key(want);
        let said = input.comments.get(&issue.number).is_some_and(|comments| {
            comments.iter().any(|c| {
                parse_comment_tag(&c.body)
                    .is_some_and(|(kind, k)| kind == CommentKind::PlanChange && k == key)
            })
        });
        decision.reason = format!(
            "changed by a person and by the plan ({}); not overwritten (use --force){}",
            field_list(&decision.conflicts),
            if said {
                "; the plan change was commented already"
            } else {
                ""
            }
        );
        if !said {
            decision.comment = Some(conflict_comment(
                want,
                issue,
                &decision.conflicts,
                &key,
                input.scope,
            ));
        }
        return;
    }
    if !decision.changes.is_empty() {
        decision.action = Action::Update;
        decision.refresh_record = body == Change::InSync;
        decision.reason = if decision.kept.is_empty() {
            format!("the plan changed ({})", field_list(&decision.changes))
        } else {
            format!(
                "the plan changed ({}); kept what a person changed ({})",
                field_list(&decision.changes),
                field_list(&decision.kept)
            )
        };
    } else if !decision.kept.is_empty() {
        decision.action = Action::Kept;
        decision.reason = format!(
            "changed by a person ({}); the plan did not change it, so it stays",
            field_list(&decision.kept)
        );
    } else {
        decision.action = Action::Unchanged;
        decision.reason = "title, body and labels match the plan".to_owned();
    }
}

fn conflict_comment(
    want: &Desired,
    issue: &TrackedIssue,
    conflicts: &[Field],
    key: &str,
    scope: &SyncScope,
) -> String {
    let mut text = format!(
        "Revision {} of the plan changed this issue, and it was also changed here since PASS last wrote it ({}). PASS left it as it is; this is what the plan says now:\n",
        scope.revision,
        field_list(conflicts)
    );
    if want.title != issue.title.trim() {
        text.push_str(&format!("\n**Title:** {}\n", want.title));
    }
    if conflicts.contains(&Field::Body) {
        text.push_str(&format!(
            "\n<details><summary>Description in the plan</summary>\n\n{}\n\n</details>\n",
            want.content.trim()
        ));
    }
    let current = label_set(&issue.labels);
    let missing: Vec<&str> = want
        .labels
        .iter()
        .filter(|l| !current.contains(&l.to_lowercase()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        text.push_str(&format!(
            "\n**Labels the plan adds:** {}\n",
            missing.join(", ")
        ));
    }
    text.push_str("\nTake what you want from it, or run the sync with `--force` to replace the issue with the plan's version.\n\n");
    text.push_str(&comment_tag(CommentKind::PlanChange, key));
    text
}

/// An issue of the backlog whose item is not in the plan, or (with
/// `duplicate_of`, naming the issue kept) a second issue for one item.
fn decide_leftover(
    id: &str,
    issue: &TrackedIssue,
    marked: &MarkedBody,
    duplicate_of: Option<Option<u64>>,
    input: &DecideInput<'_>,
) -> Decision {
    let duplicate = duplicate_of.is_some();
    let mut decision = Decision {
        plan_item_id: id.to_owned(),
        title: issue.title.clone(),
        action: Action::Unchanged,
        reason: String::new(),
        changes: Vec::new(),
        kept: Vec::new(),
        conflicts: Vec::new(),
        comment: None,
        issue_number: Some(issue.number),
        state: Some(issue.state),
        in_plan: false,
        duplicate,
        item_index: None,
        target_labels: issue.labels.clone(),
        recorded_title_sha: None,
        refresh_record: false,
    };
    let what = if duplicate {
        "a second issue for this plan item"
    } else {
        "its plan item is no longer in the plan"
    };
    if issue.state == GithubState::Closed {
        decision.reason = format!("{what}; already closed");
        return decision;
    }
    let comments = input
        .comments
        .get(&issue.number)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let said_before = comments.iter().any(|c| {
        parse_comment_tag(&c.body)
            .is_some_and(|(kind, _)| matches!(kind, CommentKind::Removed | CommentKind::Duplicate))
    });
    if said_before {
        decision.action = Action::Kept;
        decision.reason =
            format!("{what}; PASS said so on the issue before and a person keeps it open");
        return decision;
    }
    let base = base_of(marked, input.earlier);
    let mut touched = Vec::new();
    if base
        .title_sha
        .as_deref()
        .is_some_and(|sha| sha != title_sha256(&issue.title))
    {
        touched.push("retitled");
    }
    if base.content_sha.as_deref() != Some(current_content_sha(marked).as_str()) {
        touched.push("edited");
    }
    if base
        .labels
        .as_deref()
        .is_some_and(|labels| label_set(labels) != label_set(&issue.labels))
    {
        touched.push("relabelled");
    }
    if !issue.assignees.is_empty() {
        touched.push("assigned");
    }
    if comments
        .iter()
        .any(|c| parse_comment_tag(&c.body).is_none())
    {
        touched.push("commented on");
    }
    let kind = if duplicate {
        CommentKind::Duplicate
    } else {
        CommentKind::Removed
    };
    let tag = comment_tag(kind, &input.scope.run_id.to_string());
    let subject = if let Some(kept) = duplicate_of {
        let kept = kept.map_or_else(|| "another issue".to_owned(), |n| format!("#{n}"));
        format!("This issue duplicates {kept}, the issue for plan item `{id}` of this project.")
    } else {
        format!(
            "Plan item `{id}` is no longer in revision {} of the plan.",
            input.scope.revision
        )
    };
    if touched.is_empty() || input.options.force {
        decision.action = Action::Close;
        decision.reason = format!("{what}; close as not planned");
        decision.comment = Some(format!(
            "{subject} PASS closes it as not planned; reopen it if the work is still wanted.\n\n{tag}"
        ));
    } else {
        decision.action = Action::Comment;
        decision.reason = format!(
            "{what}, but a person worked on it ({}); commented once and left open",
            touched.join(", ")
        );
        decision.comment = Some(format!(
            "{subject} People worked on this issue ({}), so PASS leaves it open: close it if the work is no longer wanted.\n\n{tag}",
            touched.join(", ")
        ));
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn each_field_is_compared_three_ways() {
        assert_eq!(three_way(Some("a"), "a", "a"), Change::InSync);
        assert_eq!(three_way(Some("a"), "a", "b"), Change::Plan);
        assert_eq!(three_way(Some("a"), "b", "a"), Change::Person);
        assert_eq!(three_way(Some("a"), "b", "c"), Change::Both);
        assert_eq!(
            three_way(Some("a"), "b", "b"),
            Change::InSync,
            "both made the same change"
        );
        assert_eq!(
            three_way(None, "b", "c"),
            Change::Person,
            "no record: the issue's is a person's"
        );
    }

    #[test]
    fn labels_apply_the_plan_s_changes_and_keep_people_s() {
        let base = labels(&["pass", "area-0"]);
        // The person dropped `pass` and added `team`; the plan swapped area-0 for mvp.
        let (target, change) = merge_labels(
            Some(&base),
            &labels(&["area-0", "team"]),
            &labels(&["pass", "mvp"]),
            false,
        );
        assert_eq!(target, labels(&["mvp", "team"]));
        assert_eq!(change, Change::Both);
        // Forced: the plan's labels come back, the person's own stay.
        let (target, _) = merge_labels(
            Some(&base),
            &labels(&["area-0", "team"]),
            &labels(&["pass", "mvp"]),
            true,
        );
        assert_eq!(target, labels(&["mvp", "pass", "team"]));
        // No record: nothing is removed, the plan's labels are added.
        let (target, change) =
            merge_labels(None, &labels(&["Bug"]), &labels(&["bug", "pass"]), false);
        assert_eq!(target, labels(&["Bug", "pass"]));
        assert_eq!(change, Change::Both);
        let (_, change) = merge_labels(Some(&base), &labels(&["PASS", "area-0"]), &base, false);
        assert_eq!(change, Change::InSync, "case is not a change");
    }
}
