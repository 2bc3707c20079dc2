//! Revisions planned by the offline reader, and a model's shuffled answer,
//! anchored to the revision before.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::num::NonZeroU32;

use pass_contracts::artifacts::names;
use pass_contracts::{ArchitecturePack, PlanDiff, Text};
use uuid::Uuid;

use super::{PlanHistory, anchor};
use crate::{Planned, PlannerConfig, plan_offline, prepare_inputs};

const V1: &str = "# Pantry Pal

A small web app that helps a household track what is in the pantry.

## Requirements

- Members sign in with an email link.
- Members add an item with a name, quantity and expiry date.
- Members see items that expire within three days on the home page.
- Members share the pantry with the rest of the household.
- The app sends a weekly email digest of expiring items.
";

/// V1 with a requirement inserted in the middle, which moves every later
/// requirement and plan item one place down the lists.
fn v2() -> String {
    V1.replace(
        "- Members see items",
        "- Members scan a product barcode to add an item.\n- Members see items",
    )
}

fn config() -> PlannerConfig {
    PlannerConfig::from_lookup(|name| (name == "PASS_LLM_PROVIDER").then(|| "offline".to_owned()))
        .unwrap()
}

fn plan(prd: &str, history: Option<&PlanHistory>) -> Planned {
    let (org, given) = prepare_inputs(prd, None).unwrap();
    plan_offline(prd, &org, given, Uuid::new_v4(), &config(), history).unwrap()
}

fn revision(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn history(project: Uuid, n: u32, earlier: &[&Planned]) -> PlanHistory {
    let earlier = earlier
        .iter()
        .enumerate()
        .map(|(i, p)| (p.pack.run_id, revision(i as u32 + 1), p.pack.clone()))
        .collect();
    PlanHistory::from_earlier(project, revision(n), earlier)
}

fn requirement_ids(pack: &ArchitecturePack) -> BTreeMap<String, String> {
    pack.requirements
        .iter()
        .map(|r| (r.text.to_string(), r.id.to_string()))
        .collect()
}

fn item_ids(pack: &ArchitecturePack) -> BTreeMap<String, String> {
    pack.implementation
        .github_issue_plan
        .iter()
        .map(|i| (i.title.to_string(), i.id.to_string()))
        .collect()
}

fn all_ids(pack: &ArchitecturePack) -> BTreeSet<String> {
    super::pack_ids(pack).collect()
}

fn plan_diff(planned: &Planned) -> PlanDiff {
    let artifact = planned
        .artifacts
        .iter()
        .find(|a| a.name == names::PLAN_DIFF)
        .expect("a plan_diff artifact");
    serde_json::from_value(artifact.payload.clone()).unwrap()
}

#[test]
fn an_inserted_requirement_moves_no_id_and_gets_a_new_one() {
    let project = Uuid::new_v4();
    let first = plan(V1, None);
    assert!(
        first.artifacts.iter().all(|a| a.name != names::PLAN_DIFF),
        "a first revision has nothing to compare with"
    );
    let second = plan(&v2(), Some(&history(project, 2, &[&first])));

    let before = requirement_ids(&first.pack);
    let after = requirement_ids(&second.pack);
    for (text, id) in &before {
        assert_eq!(
            after.get(text),
            Some(id),
            "requirement {text:?} kept its id"
        );
    }
    let new_requirement = &after["Members scan a product barcode to add an item."];
    assert!(
        !all_ids(&first.pack).contains(new_requirement),
        "{new_requirement}"
    );

    let old_items = item_ids(&first.pack);
    let new_items = item_ids(&second.pack);
    let mut kept = 0;
    for (title, id) in &new_items {
        match old_items.get(title) {
            Some(old) => {
                assert_eq!(id, old, "item {title:?} kept its id");
                kept += 1;
            }
            None => assert!(
                !all_ids(&first.pack).contains(id),
                "new item {title:?} took the used id {id}"
            ),
        }
    }
    assert_eq!(kept, old_items.len(), "every earlier item is still planned");
    // References follow the anchored ids.
    let plan_ids: BTreeSet<&str> = second
        .pack
        .implementation
        .github_issue_plan
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    for item in &second.pack.implementation.github_issue_plan {
        for dependency in &item.depends_on {
            assert!(plan_ids.contains(dependency.as_str()), "{dependency}");
        }
    }

    let diff = plan_diff(&second);
    assert_eq!(diff.project_id, project);
    assert_eq!(diff.previous_run_id, first.pack.run_id);
    assert_eq!(diff.previous_revision.get(), 1);
    assert_eq!(diff.revision.get(), 2);
    let added: Vec<&str> = diff
        .requirements
        .added
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(added, vec![new_requirement.as_str()]);
    assert!(diff.requirements.removed.is_empty());
    assert!(diff.plan_items.removed.is_empty());
    // The new requirement lands in a new item or in one that changed.
    let touched: BTreeSet<&str> = diff
        .plan_items
        .added
        .iter()
        .map(|e| e.id.as_str())
        .chain(diff.plan_items.changed.iter().map(|e| e.id.as_str()))
        .collect();
    assert!(!touched.is_empty(), "{diff:?}");
    assert_eq!(
        diff.plan_items.unchanged as usize + diff.plan_items.changed.len(),
        first.pack.implementation.github_issue_plan.len()
    );
    let summary = second
        .artifacts
        .iter()
        .find(|a| a.name == names::ARCHITECTURE_PACK_SUMMARY)
        .unwrap()
        .payload
        .as_str()
        .unwrap()
        .to_owned();
    assert!(summary.contains("## Changes since revision 1"), "{summary}");
    assert!(
        summary.contains(&format!("added `{new_requirement}`")),
        "{summary}"
    );
}

#[test]
fn the_same_prd_again_changes_nothing() {
    let project = Uuid::new_v4();
    let first = plan(V1, None);
    let again = plan(V1, Some(&history(project, 2, &[&first])));
    let diff = plan_diff(&again);
    assert!(diff.is_empty(), "{diff:?}");
    assert_eq!(
        diff.plan_items.unchanged as usize,
        first.pack.implementation.github_issue_plan.len()
    );
    assert_eq!(
        again.pack.implementation.github_issue_plan,
        first.pack.implementation.github_issue_plan
    );
}

#[test]
fn a_removed_entry_s_id_is_never_used_again() {
    let project = Uuid::new_v4();
    let first = plan(V1, None);
    let without = V1.replace(
        "- Members share the pantry with the rest of the household.\n",
        "",
    );
    let second = plan(&without, Some(&history(project, 2, &[&first])));
    let shared = "Members share the pantry with the rest of the household.";
    let old_id = requirement_ids(&first.pack)[shared].clone();
    assert!(!requirement_ids(&second.pack).contains_key(shared));
    let diff = plan_diff(&second);
    assert!(
        diff.requirements
            .removed
            .iter()
            .any(|e| e.id.as_str() == old_id),
        "{diff:?}"
    );

    // Back in revision 3: the same words, but a new id.
    let third = plan(V1, Some(&history(project, 3, &[&first, &second])));
    let new_id = requirement_ids(&third.pack)[shared].clone();
    assert_ne!(new_id, old_id);
    assert!(!all_ids(&first.pack).contains(&new_id));
    assert!(!all_ids(&second.pack).contains(&new_id));
}

/// A model's answer for an unchanged PRD: items in another order, numbered
/// by their new position, and one title reworded.
fn shuffled(pack: &ArchitecturePack) -> ArchitecturePack {
    let mut answer = pack.clone();
    let items = &mut answer.implementation.github_issue_plan;
    items.reverse();
    let renames: HashMap<String, String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.id.to_string(), format!("ISSUE-{:03}", i + 1)))
        .collect();
    for item in items.iter_mut() {
        item.id = Text::new(renames[item.id.as_str()].clone()).unwrap();
        for dependency in &mut item.depends_on {
            *dependency = Text::new(renames[dependency.as_str()].clone()).unwrap();
        }
        item.body = Text::new(super::ids::rename_mentions(&item.body, &renames)).unwrap();
    }
    let last = items.len() - 1;
    items[last].title = Text::new(format!("{} (setup)", items[last].title)).unwrap();
    answer
}

#[test]
fn a_model_s_shuffled_answer_keeps_every_id_and_its_wording() {
    let project = Uuid::new_v4();
    let first = plan(V1, None);
    let answer = shuffled(&first.pack);
    assert_ne!(
        item_ids(&answer),
        item_ids(&first.pack),
        "the answer numbers items by position"
    );
    let anchored = anchor(answer.clone(), &history(project, 2, &[&first]), V1, true);
    let mut by_id: Vec<_> = anchored.pack.implementation.github_issue_plan.clone();
    by_id.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = first.pack.implementation.github_issue_plan.clone();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(by_id, expected, "same ids, same words, same dependencies");
    assert!(anchored.diff.unwrap().plan_items.is_empty());

    // Without carrying the wording over, the reworded title is a change of
    // the same item, not a new one.
    let anchored = anchor(answer, &history(project, 2, &[&first]), V1, false);
    let diff = anchored.diff.unwrap();
    assert!(diff.plan_items.added.is_empty() && diff.plan_items.removed.is_empty());
    assert_eq!(diff.plan_items.changed.len(), 1, "{diff:?}");
    assert_eq!(diff.plan_items.changed[0].fields[0].as_str(), "title");
}
