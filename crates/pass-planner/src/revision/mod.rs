//! Plan revisions: the ids of a new revision anchored to what the entries
//! say, not to where they stand, so a project's backlog keeps its issues.
//!
//! - A requirement id the PRD wrote stays as written.
//! - Any other id (requirements PASS named, logic requirements, plan items)
//!   is matched against the previous revision by content: an unchanged or
//!   changed entry keeps its id; a new entry gets an id never used before in
//!   the project; a removed entry's id is never used again.
//! - Whatever a model answered, ids are re-matched here deterministically,
//!   and every reference and mention follows the renames.

pub mod diff;
pub mod ids;
pub mod matching;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::num::NonZeroU32;

use pass_contracts::pack::IssuePlanItem;
use pass_contracts::{ArchitecturePack, PlanDiff, Text};
use uuid::Uuid;

use crate::revision::ids::{Minter, mentions, rename_mentions};
use crate::revision::matching::{assign, jaccard, words};

/// The newest earlier revision that has a plan.
#[derive(Debug, Clone)]
pub struct PreviousPlan {
    pub run_id: Uuid,
    pub revision: NonZeroU32,
    pub pack: ArchitecturePack,
}

/// What the planner knows of the project a run belongs to.
#[derive(Debug, Clone)]
pub struct PlanHistory {
    pub project_id: Uuid,
    /// This run's revision.
    pub revision: NonZeroU32,
    pub previous: Option<PreviousPlan>,
    /// Every requirement, logic-requirement and plan-item id any earlier
    /// revision used: new entries never take one of them.
    pub used_ids: BTreeSet<String>,
}

impl PlanHistory {
    /// Builds the history from earlier revisions' packs, newest first.
    pub fn from_earlier(
        project_id: Uuid,
        revision: NonZeroU32,
        earlier: Vec<(Uuid, NonZeroU32, ArchitecturePack)>,
    ) -> Self {
        let mut used_ids = BTreeSet::new();
        for (_, _, pack) in &earlier {
            used_ids.extend(pack_ids(pack));
        }
        let previous = earlier
            .into_iter()
            .max_by_key(|(_, revision, _)| *revision)
            .map(|(run_id, revision, pack)| PreviousPlan {
                run_id,
                revision,
                pack,
            });
        Self {
            project_id,
            revision,
            previous,
            used_ids,
        }
    }
}

fn pack_ids(pack: &ArchitecturePack) -> impl Iterator<Item = String> + '_ {
    pack.requirements
        .iter()
        .map(|r| r.id.to_string())
        .chain(
            pack.implementation
                .logic_requirements
                .iter()
                .map(|l| l.id.to_string()),
        )
        .chain(
            pack.implementation
                .github_issue_plan
                .iter()
                .map(|i| i.id.to_string()),
        )
}

/// A revision's pack with anchored ids, and what changed.
#[derive(Debug, Clone)]
pub struct Anchored {
    pub pack: ArchitecturePack,
    /// `None` for a project's first plan.
    pub diff: Option<PlanDiff>,
}

/// Lowest score at which two entries are the same entry.
const SAME_ENTRY: f64 = 0.5;
/// Score at which a model's rewording of an unchanged entry is noise.
const REWORDED: f64 = 0.85;

/// Anchors `pack`'s ids to the previous revision and computes the diff.
/// `keep_wording` carries the previous wording of entries whose content did
/// not change (for models, whose answers vary from call to call; the offline
/// reader is deterministic and needs none).
pub fn anchor(
    mut pack: ArchitecturePack,
    history: &PlanHistory,
    prd_text: &str,
    keep_wording: bool,
) -> Anchored {
    let Some(previous) = &history.previous else {
        return Anchored { pack, diff: None };
    };
    let old = &previous.pack;
    let mut minter = Minter::new(
        history
            .used_ids
            .iter()
            .map(String::as_str)
            .chain(pack_ids(old).collect::<Vec<_>>().iter().map(String::as_str)),
    );

    // Requirements: ids from the PRD stay; PASS's own are matched by text.
    let from_prd: HashSet<String> = pack
        .requirements
        .iter()
        .filter(|r| mentions(prd_text, &r.id))
        .map(|r| r.id.to_string())
        .collect();
    let new_reqs: Vec<(String, String)> = pack
        .requirements
        .iter()
        .map(|r| (r.id.to_string(), r.text.to_string()))
        .collect();
    let old_reqs: Vec<(String, String)> = old
        .requirements
        .iter()
        .map(|r| (r.id.to_string(), r.text.to_string()))
        .collect();
    let req_renames = remap(&new_reqs, &old_reqs, &from_prd, &mut minter, |n, o| {
        jaccard(&words(&new_reqs[n].1), &words(&old_reqs[o].1))
    });

    // Logic requirements: matched by title and summary.
    let logic_text =
        |l: &pass_contracts::pack::LogicRequirement| format!("{} {}", l.title, l.summary);
    let new_logic: Vec<(String, String)> = pack
        .implementation
        .logic_requirements
        .iter()
        .map(|l| (l.id.to_string(), logic_text(l)))
        .collect();
    let old_logic: Vec<(String, String)> = old
        .implementation
        .logic_requirements
        .iter()
        .map(|l| (l.id.to_string(), logic_text(l)))
        .collect();
    let logic_renames = remap(
        &new_logic,
        &old_logic,
        &HashSet::new(),
        &mut minter,
        |n, o| jaccard(&words(&new_logic[n].1), &words(&old_logic[o].1)),
    );

    // Plan items: matched by the requirements they implement, their title
    // and their body; the same id as before helps, but never outweighs content.
    let requirement_ids: Vec<String> = pack
        .requirements
        .iter()
        .map(|r| {
            req_renames
                .get(r.id.as_str())
                .cloned()
                .unwrap_or_else(|| r.id.to_string())
        })
        .collect();
    let new_features: Vec<ItemFeatures> = pack
        .implementation
        .github_issue_plan
        .iter()
        .map(|item| ItemFeatures::of(item, &requirement_ids, &req_renames))
        .collect();
    let old_ids: Vec<String> = old.requirements.iter().map(|r| r.id.to_string()).collect();
    let old_features: Vec<ItemFeatures> = old
        .implementation
        .github_issue_plan
        .iter()
        .map(|item| ItemFeatures::of(item, &old_ids, &HashMap::new()))
        .collect();
    let new_items: Vec<(String, String)> = pack
        .implementation
        .github_issue_plan
        .iter()
        .map(|i| (i.id.to_string(), i.title.to_string()))
        .collect();
    let old_items: Vec<(String, String)> = old
        .implementation
        .github_issue_plan
        .iter()
        .map(|i| (i.id.to_string(), i.title.to_string()))
        .collect();
    let item_renames = remap(
        &new_items,
        &old_items,
        &HashSet::new(),
        &mut minter,
        |n, o| {
            let same_id = if new_items[n].0 == old_items[o].0 {
                0.1
            } else {
                0.0
            };
            new_features[n].similarity(&old_features[o]) + same_id
        },
    );

    apply_renames(&mut pack, &req_renames, &logic_renames, &item_renames);
    if keep_wording {
        keep_previous_wording(&mut pack, old);
    }
    let (requirements, components, plan_items) = diff::lists(old, &pack);
    let diff = PlanDiff {
        project_id: history.project_id,
        run_id: pack.run_id,
        revision: history.revision,
        previous_run_id: previous.run_id,
        previous_revision: previous.revision,
        requirements,
        components,
        plan_items,
        reasons: Vec::new(),
        not_applied: Vec::new(),
    };
    Anchored {
        pack,
        diff: Some(diff),
    }
}

/// The final id of every new entry that needs a rename: matched entries take
/// their old id, unmatched ones keep theirs if it was never used, else get a
/// fresh one. `fixed` ids are never renamed (and never given away).
fn remap(
    new: &[(String, String)],
    old: &[(String, String)],
    fixed: &HashSet<String>,
    minter: &mut Minter,
    score: impl Fn(usize, usize) -> f64,
) -> HashMap<String, String> {
    let movable: Vec<usize> = (0..new.len())
        .filter(|&n| !fixed.contains(&new[n].0))
        .collect();
    let available: Vec<usize> = (0..old.len())
        .filter(|&o| !fixed.contains(&old[o].0))
        .collect();
    let matched = assign(movable.len(), available.len(), SAME_ENTRY, |n, o| {
        score(movable[n], available[o])
    });
    let mut taken: HashSet<String> = fixed.clone();
    let mut finals: Vec<Option<String>> = vec![None; new.len()];
    for (slot, &n) in movable.iter().enumerate() {
        if let Some(o) = matched[slot] {
            let id = old[available[o]].0.clone();
            taken.insert(id.clone());
            finals[n] = Some(id);
        }
    }
    let old_ids: HashSet<&str> = old.iter().map(|(id, _)| id.as_str()).collect();
    let mut renames = HashMap::new();
    for &n in &movable {
        let id = &new[n].0;
        let final_id = match finals[n].take() {
            Some(id) => id,
            None if !old_ids.contains(id.as_str())
                && !minter.is_used(id)
                && !taken.contains(id) =>
            {
                minter.claim(id);
                id.clone()
            }
            None => minter.mint(id),
        };
        taken.insert(final_id.clone());
        if &final_id != id {
            renames.insert(id.clone(), final_id);
        }
    }
    renames
}

/// What a plan item implements, for matching.
struct ItemFeatures {
    requirements: BTreeSet<String>,
    title: BTreeSet<String>,
    body: BTreeSet<String>,
}

impl ItemFeatures {
    /// `requirement_ids` are the ids as they will be; `renames` maps the ids
    /// the item's text still uses to those.
    fn of(
        item: &IssuePlanItem,
        requirement_ids: &[String],
        renames: &HashMap<String, String>,
    ) -> Self {
        let text = format!(
            "{}\n{}\n{}\n{}",
            item.title,
            item.summary,
            item.body,
            item.acceptance_criteria
                .iter()
                .map(Text::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        );
        let text = rename_mentions(&text, renames);
        Self {
            requirements: requirement_ids
                .iter()
                .filter(|id| mentions(&text, id))
                .cloned()
                .collect(),
            title: words(&item.title),
            body: words(&format!("{} {}", item.summary, item.body)),
        }
    }

    fn similarity(&self, other: &ItemFeatures) -> f64 {
        let title = jaccard(&self.title, &other.title);
        let body = jaccard(&self.body, &other.body);
        if self.requirements.is_empty() && other.requirements.is_empty() {
            0.6 * title + 0.4 * body
        } else {
            0.5 * jaccard(&self.requirements, &other.requirements) + 0.3 * title + 0.2 * body
        }
    }
}

fn rename_text(text: &Text, renames: &HashMap<String, String>) -> Text {
    let renamed = rename_mentions(text, renames);
    Text::new(renamed).unwrap_or_else(|_| text.clone())
}

fn rename_id(id: &Text, renames: &HashMap<String, String>) -> Text {
    match renames.get(id.as_str()) {
        Some(to) => Text::new(to.clone()).unwrap_or_else(|_| id.clone()),
        None => id.clone(),
    }
}

/// Applies the renames to ids, to references and to mentions in text.
fn apply_renames(
    pack: &mut ArchitecturePack,
    requirements: &HashMap<String, String>,
    logic: &HashMap<String, String>,
    items: &HashMap<String, String>,
) {
    let mut all = requirements.clone();
    all.extend(logic.iter().map(|(k, v)| (k.clone(), v.clone())));
    all.extend(items.iter().map(|(k, v)| (k.clone(), v.clone())));
    for requirement in &mut pack.requirements {
        requirement.id = rename_id(&requirement.id, requirements);
    }
    for coverage in &mut pack.coverage {
        coverage.requirement_id = rename_id(&coverage.requirement_id, requirements);
        if let Some(notes) = &coverage.notes {
            coverage.notes = Some(rename_mentions(notes, &all));
        }
    }
    for trace in &mut pack.trace {
        trace.requirement_id = rename_id(&trace.requirement_id, requirements);
    }
    for logic_requirement in &mut pack.implementation.logic_requirements {
        logic_requirement.id = rename_id(&logic_requirement.id, logic);
        logic_requirement.title = rename_text(&logic_requirement.title, &all);
        logic_requirement.summary = rename_text(&logic_requirement.summary, &all);
        for criterion in &mut logic_requirement.acceptance_criteria {
            *criterion = rename_text(criterion, &all);
        }
        for dependency in &mut logic_requirement.dependencies {
            *dependency = rename_id(dependency, logic);
        }
    }
    for item in &mut pack.implementation.github_issue_plan {
        item.id = rename_id(&item.id, items);
        item.title = rename_text(&item.title, &all);
        item.summary = rename_text(&item.summary, &all);
        item.body = rename_text(&item.body, &all);
        for criterion in &mut item.acceptance_criteria {
            *criterion = rename_text(criterion, &all);
        }
        for dependency in &mut item.depends_on {
            *dependency = rename_id(dependency, items);
        }
    }
}

/// For entries whose content did not change, the previous revision's words:
/// requirements reworded only slightly, and plan items whose requirements
/// and dependencies are the same as before.
fn keep_previous_wording(pack: &mut ArchitecturePack, old: &ArchitecturePack) {
    let old_requirements: HashMap<&str, &pass_contracts::pack::Requirement> = old
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let mut unchanged_requirements = HashSet::new();
    for requirement in &mut pack.requirements {
        let Some(before) = old_requirements.get(requirement.id.as_str()) else {
            continue;
        };
        let same = requirement.text == before.text
            || jaccard(&words(&requirement.text), &words(&before.text)) >= REWORDED;
        if same && requirement.priority == before.priority {
            requirement.text = before.text.clone();
            requirement.acceptance_criteria = before.acceptance_criteria.clone();
            unchanged_requirements.insert(requirement.id.to_string());
        }
    }
    let ids: Vec<String> = pack.requirements.iter().map(|r| r.id.to_string()).collect();
    let old_items: HashMap<&str, &IssuePlanItem> = old
        .implementation
        .github_issue_plan
        .iter()
        .map(|i| (i.id.as_str(), i))
        .collect();
    for item in &mut pack.implementation.github_issue_plan {
        let Some(before) = old_items.get(item.id.as_str()) else {
            continue;
        };
        let implements = |i: &IssuePlanItem| -> BTreeSet<String> {
            let text = format!("{} {} {}", i.title, i.summary, i.body);
            ids.iter()
                .filter(|id| mentions(&text, id))
                .cloned()
                .collect()
        };
        let now = implements(item);
        let settled = now == implements(before)
            && now.iter().all(|id| unchanged_requirements.contains(id))
            && item.depends_on == before.depends_on;
        if settled {
            *item = (*before).clone();
        }
    }
}

#[cfg(test)]
mod tests;
