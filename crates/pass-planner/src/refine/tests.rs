//! Refinements applied to an offline plan, checked against the contract.

use pass_contracts::coordination::{AnsweredQuestion, Refinement};
use pass_contracts::{ArchitecturePack, Text, check_pack};
use uuid::Uuid;

use super::refine;
use crate::{PlannerConfig, plan_offline, prepare_inputs};

const PANTRY: &str = "# Pantry Pal

A small web app that helps a household track what is in the pantry.

## Requirements

- Members sign in with an email link.
- Members add an item with a name, quantity and expiry date.
- Members see items that expire within three days on the home page.
- Members share the pantry with the rest of the household.
- The app sends a weekly email digest of expiring items.
- Members use the pantry from a mobile app on their phone.
";

fn base() -> ArchitecturePack {
    let config =
        PlannerConfig::from_lookup(|n| (n == "PASS_LLM_PROVIDER").then(|| "offline".to_owned()))
            .unwrap();
    let (org, given) = prepare_inputs(PANTRY, None).unwrap();
    plan_offline(PANTRY, &org, given, Uuid::new_v4(), &config, None)
        .unwrap()
        .pack
}

fn requests(texts: &[&str]) -> Refinement {
    Refinement {
        base_run_id: Uuid::nil(),
        requests: texts.iter().map(|t| Text::new(*t).unwrap()).collect(),
        answers: Vec::new(),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn sqlite_instead_of_postgresql_changes_the_data_store_and_nothing_else() {
    let before = base();
    assert!(json(&before.architecture).contains("PostgreSQL"));
    let (after, notes) = refine(&before, &requests(&["Use SQLite instead of PostgreSQL"]));
    assert!(check_pack(&after).is_empty(), "{:?}", check_pack(&after));
    let db = after
        .architecture
        .components
        .iter()
        .find(|c| c.kind == pass_contracts::pack::ComponentType::Db)
        .unwrap();
    assert_eq!(db.name.as_str(), "Database (SQLite)");
    let architecture = json(&after.architecture);
    assert!(
        !architecture.to_lowercase().contains("postgres"),
        "{architecture}"
    );
    // Items that named the database follow it, labels included.
    let touched: Vec<&str> = notes.because.keys().map(String::as_str).collect();
    assert!(touched.contains(&"Database (SQLite)"), "{touched:?}");
    for item in &after.implementation.github_issue_plan {
        let text = json(item);
        assert!(
            !text.contains("PostgreSQL") && !text.contains("postgresql"),
            "{text}"
        );
    }
    assert!(after.implementation.github_issue_plan.iter().any(|i| {
        i.labels
            .iter()
            .any(|l| l.as_str() == "component:database-sqlite")
    }));
    // Sections the change does not touch are carried over exactly.
    assert_eq!(json(&after.requirements), json(&before.requirements));
    assert_eq!(json(&after.clarifications), json(&before.clarifications));
    assert_eq!(json(&after.workflows), json(&before.workflows));
    assert_eq!(json(&after.entities), json(&before.entities));
    assert_eq!(json(&after.integrations), json(&before.integrations));
    assert_eq!(json(&after.nfrs), json(&before.nfrs));
    assert_eq!(json(&after.coverage), json(&before.coverage));
    assert_eq!(json(&after.trace), json(&before.trace));
    assert_eq!(notes.reasons, vec!["Use SQLite instead of PostgreSQL"]);
    assert!(notes.not_applied.is_empty(), "{:?}", notes.not_applied);
}

#[test]
fn a_slot_a_deferral_a_drop_and_an_addition_are_applied_and_the_rest_is_reported() {
    let before = base();
    let (after, notes) = refine(
        &before,
        &requests(&[
            "Redis for the queue",
            "drop the mobile app from the MVP",
            "Remove the weekly email digest",
            "Add a requirement: members export the pantry as a CSV file",
            "Make it feel friendlier",
        ]),
    );
    assert!(check_pack(&after).is_empty(), "{:?}", check_pack(&after));
    assert!(
        after
            .architecture
            .components
            .iter()
            .any(|c| c.name.as_str().contains("Redis"))
    );
    let mobile = after
        .requirements
        .iter()
        .find(|r| r.text.contains("mobile app"))
        .unwrap();
    assert_eq!(mobile.priority, pass_contracts::pack::Priority::Could);
    assert!(
        !after
            .requirements
            .iter()
            .any(|r| r.text.contains("weekly email digest"))
    );
    let added = after
        .requirements
        .iter()
        .find(|r| r.text.contains("CSV"))
        .unwrap();
    let before_ids: Vec<&str> = before.requirements.iter().map(|r| r.id.as_str()).collect();
    assert!(!before_ids.contains(&added.id.as_str()));
    assert!(
        after
            .implementation
            .github_issue_plan
            .iter()
            .any(|i| i.summary.contains(added.id.as_str()))
    );
    assert_eq!(notes.not_applied.len(), 1, "{:?}", notes.not_applied);
    assert!(notes.not_applied[0].contains("Make it feel friendlier"));
    assert!(
        after
            .assumptions
            .iter()
            .any(|a| a.contains("Make it feel friendlier"))
    );
}

#[test]
fn an_answer_naming_a_database_is_applied_and_others_are_recorded() {
    let mut before = base();
    before
        .open_questions
        .push(Text::new("Which database should hold the pantry?").unwrap());
    let refinement = Refinement {
        base_run_id: Uuid::nil(),
        requests: Vec::new(),
        answers: vec![
            AnsweredQuestion {
                id: Text::new("Q-1").unwrap(),
                question: Text::new("Which database should hold the pantry?").unwrap(),
                answer: Text::new("SQLite, one file per household").unwrap(),
            },
            AnsweredQuestion {
                id: Text::new("Q-2").unwrap(),
                question: Text::new("How long is an expiry warning?").unwrap(),
                answer: Text::new("Three days").unwrap(),
            },
        ],
    };
    let (after, notes) = refine(&before, &refinement);
    assert!(check_pack(&after).is_empty());
    assert!(json(&after.architecture).contains("Database (SQLite)"));
    assert!(!after.open_questions.iter().any(|q| q.contains("database")));
    assert_eq!(notes.reasons.len(), 2);
    assert!(
        notes.not_applied.iter().any(|n| n.contains("Q-2")),
        "{:?}",
        notes.not_applied
    );
    assert!(after.assumptions.iter().any(|a| a.contains("Three days")));
}

#[test]
fn a_swap_of_something_the_plan_does_not_have_is_not_applied() {
    let before = base();
    let (after, notes) = refine(&before, &requests(&["Use MySQL instead of Oracle"]));
    assert_eq!(json(&after.architecture), json(&before.architecture));
    assert_eq!(notes.not_applied.len(), 1);
    assert!(
        notes.not_applied[0].contains("nothing in the plan matches"),
        "{:?}",
        notes.not_applied
    );
}
