//! The offline provider on real PRDs: valid packs, ids kept, priorities
//! read, org policy, determinism, size limits.

use pass_contracts::pack::{
    Availability, ComponentType, CoverageStatus, DataSensitivity, Priority,
};
use pass_contracts::{ArchitecturePack, parse_pack, validate_pack_value};
use pass_planner::{PlannerConfig, PlannerError, plan, plan_to_dir};
use uuid::Uuid;

use crate::support::{all_prds, config, prd};

fn offline() -> PlannerConfig {
    config(&[("PASS_LLM_PROVIDER", "offline")])
}

async fn pack_of(text: &str, org: Option<&str>) -> ArchitecturePack {
    plan(text, org, Uuid::new_v4(), &offline(), None)
        .await
        .unwrap()
        .pack
}

/// `name` is one of the pack's actors; a failure lists them all.
#[track_caller]
fn assert_actor(pack: &ArchitecturePack, name: &str) {
    assert!(pack.actors.iter().any(|a| a == name), "{:?}", pack.actors);
}

fn requirement<'a>(pack: &'a ArchitecturePack, id: &str) -> &'a pass_contracts::pack::Requirement {
    pack.requirements
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| {
            panic!(
                "requirement {id} missing; have {:?}",
                pack.requirements
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
            )
        })
}

#[tokio::test]
async fn every_prd_gives_a_valid_pack_with_all_artifacts() {
    for (name, text) in all_prds() {
        let planned = plan(&text, None, Uuid::new_v4(), &offline(), None)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let names: Vec<&str> = planned.artifacts.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "architecture_pack",
                "architecture_pack_summary",
                "architecture_pack_diagram",
                "architecture_pack_diagram.mmd",
                "planner_usage"
            ],
            "{name}"
        );
        let pack_value = &planned.artifacts[0].payload;
        validate_pack_value(pack_value).unwrap_or_else(|p| panic!("{name}: {p:?}"));
        let summary = planned.artifacts[1].payload.as_str().unwrap();
        assert!(summary.contains("```mermaid\nflowchart LR\n"), "{name}");
        // The issue graph follows the component diagram when there are issues.
        if !planned.pack.implementation.github_issue_plan.is_empty() {
            let graph = pass_diagrams::issue_graph(&planned.pack);
            assert!(
                summary.contains(&format!("## Issue plan\n\n```mermaid\n{graph}```\n")),
                "{name}: no issue graph in the summary"
            );
        }
        let diagram = planned.artifacts[2].payload.as_str().unwrap();
        assert_eq!(
            diagram
                .lines()
                .filter(|l| l.trim_start().starts_with('c') && !l.contains("-->"))
                .count(),
            planned.pack.architecture.components.len(),
            "{name}: one node per component\n{diagram}"
        );
        // Every requirement is traced to a verbatim excerpt and has coverage.
        for r in &planned.pack.requirements {
            let trace = planned
                .pack
                .trace
                .iter()
                .find(|t| t.requirement_id == r.id)
                .unwrap();
            assert!(
                text.contains(trace.source_hint.as_str()),
                "{name}: {:?}",
                trace.source_hint
            );
            let coverage = planned
                .pack
                .coverage
                .iter()
                .find(|c| c.requirement_id == r.id)
                .unwrap();
            if r.priority == Priority::Must {
                assert_eq!(coverage.status, CoverageStatus::Covered, "{name}: {}", r.id);
            }
        }
        // Labels carry priority, size and components.
        for issue in &planned.pack.implementation.github_issue_plan {
            let labels: Vec<&str> = issue.labels.iter().map(|l| l.as_str()).collect();
            assert!(
                labels.iter().any(|l| l.starts_with("priority:")),
                "{name}: {labels:?}"
            );
            assert!(
                labels
                    .iter()
                    .any(|l| ["size:s", "size:m", "size:l"].contains(l)),
                "{name}: {labels:?}"
            );
            assert!(
                labels.iter().any(|l| l.starts_with("component:")),
                "{name}: {labels:?}"
            );
            assert!(
                !issue.acceptance_criteria.is_empty(),
                "{name}: {}",
                issue.id
            );
        }
        assert_eq!(
            planned.usage.totals.total_tokens, 0,
            "offline costs nothing"
        );
    }
}

#[tokio::test]
async fn requirement_ids_from_the_prd_are_kept_with_priorities_and_criteria() {
    let text = prd("clinic-booking-ids.md");
    let pack = pack_of(&text, None).await;
    let ids: Vec<&str> = pack.requirements.iter().map(|r| r.id.as_str()).collect();
    for id in [
        "FR-001", "FR-002", "FR-003", "FR1.4", "REQ-7", "U10", "FR-010", "NFR-1", "NFR-2",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(
        !ids.iter().any(|i| i.starts_with("REQ-0")),
        "no invented ids: {ids:?}"
    );
    assert_eq!(requirement(&pack, "FR-001").priority, Priority::Must);
    assert_eq!(requirement(&pack, "REQ-7").priority, Priority::Should);
    assert_eq!(requirement(&pack, "U10").priority, Priority::Should);
    assert_eq!(requirement(&pack, "FR-010").priority, Priority::Could);
    let criteria: Vec<&str> = requirement(&pack, "FR-001")
        .acceptance_criteria
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert!(
        criteria.iter().any(|a| a.starts_with("Given a free slot")),
        "{criteria:?}"
    );
    assert!(
        criteria
            .iter()
            .any(|a| a.contains("confirmation shows the date")),
        "{criteria:?}"
    );
    assert!(requirement(&pack, "U10").text.contains("referral letters"));

    assert_eq!(
        pack.prd.title.as_deref(),
        Some("CareSlot – Clinic Appointment Booking")
    );
    assert_actor(&pack, "Patient");
    assert_actor(&pack, "Receptionist");
    assert!(pack.integrations.iter().any(|i| i.name == "Stripe"));
    assert!(
        pack.integrations
            .iter()
            .any(|i| i.name == "Google Calendar")
    );
    assert_eq!(pack.nfrs.data_sensitivity, DataSensitivity::FinancialLike);
    assert_eq!(pack.nfrs.availability, Availability::High);
    let patient = pack.entities.iter().find(|e| e.name == "Patient").unwrap();
    assert!(
        patient.fields.iter().any(|f| f == "date of birth"),
        "{:?}",
        patient.fields
    );
    let flow = pack
        .workflows
        .iter()
        .find(|w| w.name.contains("Booking flow"))
        .unwrap();
    assert_eq!(flow.steps.len(), 4);
    assert!(
        pack.open_questions
            .iter()
            .any(|q| q.contains("refunded automatically"))
    );
    assert!(
        pack.assumptions
            .iter()
            .any(|a| a.contains("Video consultations"))
    );
    assert!(
        pack.architecture
            .components
            .iter()
            .any(|c| c.kind == ComponentType::Worker)
    );
}

/// The shelf board PRD's acceptance checklists, read independently of the planner.
fn shelf_checklists(text: &str) -> Vec<(String, Priority)> {
    let mut out = Vec::new();
    let mut current = None;
    for line in text.lines() {
        match line.trim() {
            "### Must Have" => current = Some(Priority::Must),
            "### Should Have" => current = Some(Priority::Should),
            "### Could Have" => current = Some(Priority::Could),
            l if l.starts_with("- [ ] ") => {
                if let Some(p) = current {
                    out.push((l["- [ ] ".len()..].to_owned(), p));
                }
            }
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn checklists_keep_their_moscow_priorities_and_the_named_stack_wins() {
    let text = prd("shelf-board-tagged.txt");
    let expected = shelf_checklists(&text);
    assert_eq!(expected.len(), 7);
    let pack = pack_of(&text, None).await;
    for (item, priority) in &expected {
        let found = pack
            .requirements
            .iter()
            .find(|r| r.text.as_str() == item.as_str())
            .unwrap_or_else(|| panic!("checklist item {item:?} is not a requirement"));
        assert_eq!(found.priority, *priority, "{item}");
    }
    let story = pack
        .requirements
        .iter()
        .find(|r| r.text.starts_with("As a Shop Owner"))
        .unwrap();
    assert!(story.acceptance_criteria[0].contains("Low column lists every product"));
    assert_actor(&pack, "Shop Assistant");
    // Feature sections are requirements with their behaviour lines as criteria.
    let command = pack
        .requirements
        .iter()
        .find(|r| r.text.as_str() == "Board Command")
        .unwrap();
    assert!(
        command
            .acceptance_criteria
            .iter()
            .any(|a| a.contains("free port")),
        "{:?}",
        command.acceptance_criteria
    );
    // The PRD's own stack (FastAPI, Svelte, SQLite) wins over the defaults under `prefer`, and says so.
    let techs: Vec<String> = pack
        .architecture
        .components
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert!(techs.iter().any(|c| c.contains("FastAPI")), "{techs:?}");
    assert!(techs.iter().any(|c| c.contains("Svelte")), "{techs:?}");
    assert!(
        pack.assumptions
            .iter()
            .any(|a| a.contains("FastAPI") && a.contains("stack.api")),
        "{:?}",
        pack.assumptions
    );
    // Risks and out-of-scope items are not requirements; Shopify is only a non-goal.
    assert!(
        !pack
            .requirements
            .iter()
            .any(|r| r.text.contains("locked") || r.text.contains("Shopify"))
    );
    assert!(
        !pack.integrations.iter().any(|i| i.name == "Shopify"),
        "{:?}",
        pack.integrations
    );
    assert!(pack.integrations.iter().any(|i| i.name == "Postmark"));
}
#[tokio::test]
async fn a_feature_prd_for_a_cli_reads_its_flow_and_gets_no_cloud_parts() {
    let pack = pack_of(&prd("export-command-feature.txt"), None).await;
    let names: Vec<&str> = pack.workflows.iter().map(|w| w.name.as_str()).collect();
    let flow = pack
        .workflows
        .iter()
        .find(|w| w.name.as_str() == "Execution flow")
        .unwrap_or_else(|| panic!("{names:?}"));
    assert_eq!(flow.steps.len(), 5);
    assert!(flow.steps[0].starts_with("Parse and validate the month argument"));
    assert!(
        (4..=6).contains(&pack.requirements.len()),
        "{:?}",
        pack.requirements
    );
    assert!(!pack.architecture.components.iter().any(|c| matches!(
        c.kind,
        ComponentType::Web | ComponentType::AuthProvider | ComponentType::Queue
    )));
    assert!(
        pack.architecture
            .data_stores
            .iter()
            .all(|s| !s.contains(" on ")),
        "{:?}",
        pack.architecture.data_stores
    );
}
#[tokio::test]
async fn an_empty_template_is_not_invented_into_a_product() {
    let pack = pack_of(&prd("template-empty.md"), None).await;
    assert!(pack.requirements.is_empty(), "{:?}", pack.requirements);
    assert!(
        pack.open_questions
            .iter()
            .any(|q| q.contains("no requirements")),
        "{:?}",
        pack.open_questions
    );
    assert!(
        pack.open_questions
            .iter()
            .any(|q| q.contains("placeholders"))
    );
    assert!(pack.prd.title.is_none(), "{:?}", pack.prd.title);
    assert!(pack.integrations.is_empty());
    assert_eq!(
        pack.implementation.github_issue_plan.len(),
        1,
        "only the foundation"
    );
}
#[tokio::test]
async fn instructions_inside_the_prd_are_data() {
    let pack = pack_of(&prd("injection-notes-app.md"), None).await;
    assert_eq!(pack.prd.title.as_deref(), Some("QuickNotes"));
    let texts: Vec<String> = pack
        .requirements
        .iter()
        .map(|r| r.text.to_lowercase())
        .collect();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(
        texts
            .iter()
            .all(|t| t.contains("notes") || t.contains("log in")),
        "{texts:?}"
    );
    let json = serde_json::to_string(&pack.requirements)
        .unwrap()
        .to_lowercase();
    assert!(!json.contains("cryptocurrency") && !json.contains("pirate"));
}

#[tokio::test]
async fn the_same_prd_gives_the_same_pack() {
    for name in [
        "shelf-board-tagged.txt",
        "clinic-booking-ids.md",
        "export-command-feature.txt",
    ] {
        let text = prd(name);
        let strip = |pack: ArchitecturePack| {
            let mut v = serde_json::to_value(pack).unwrap();
            v["run_id"] = serde_json::Value::Null;
            v["created_at"] = serde_json::Value::Null;
            serde_json::to_string(&v).unwrap()
        };
        let a = strip(pack_of(&text, None).await);
        let b = strip(pack_of(&text, None).await);
        assert_eq!(a, b, "{name}");
    }
}

#[tokio::test]
async fn strict_org_constraints_shape_the_architecture() {
    let org = "strictness: strict\narchitecture_preference: monolith\ncloud:\n  allowed_services: [rds, s3]\nstack:\n  api: nestjs\n";
    let pack = pack_of(&prd("clinic-booking-ids.md"), Some(org)).await;
    let kinds: Vec<ComponentType> = pack
        .architecture
        .components
        .iter()
        .map(|c| c.kind)
        .collect();
    assert!(!kinds.contains(&ComponentType::Worker), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == ComponentType::Api).count(),
        1
    );
    assert!(
        pack.architecture
            .components
            .iter()
            .any(|c| c.name == "API (NestJS)")
    );
    assert!(
        !pack.assumptions.iter().any(|a| a.contains("Deviation")),
        "{:?}",
        pack.assumptions
    );
    assert!(
        pack.architecture
            .data_stores
            .iter()
            .all(|s| !s.contains("sqs"))
    );
    assert_eq!(pack.org_constraints.cloud.allowed_services.len(), 2);

    let err = plan(
        "# X\n\n- Users can do a thing\n",
        Some("stack:\n  language: cobol\n"),
        Uuid::nil(),
        &offline(),
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("stack.language"), "{err}");
}

/// A long PRD keeps every requirement (no cap). Its speed is a benchmark
/// figure (`pass-bench planner`), not a timed test: a debug build on a
/// shared machine says nothing about it.
#[tokio::test]
async fn a_long_prd_keeps_every_requirement_and_the_size_limit_holds() {
    let base = prd("clinic-booking-ids.md");
    let mut big = base.clone();
    let areas = 150;
    for area in 1..=areas {
        big.push_str(&format!("\n## Area {area}\n\n"));
        for k in 1..=10 {
            let n = (area - 1) * 10 + k;
            big.push_str(&format!(
                "- FR-{n}: Staff can review backlog item {k} of area {area} and export it.\n"
            ));
        }
    }
    let pack = pack_of(&big, None).await;
    assert_eq!(
        pack.requirements.len(),
        9 + areas * 10,
        "no requirement is dropped"
    );
    assert_eq!(pack.coverage.len(), pack.requirements.len());
    assert!(
        pack.requirements
            .iter()
            .any(|r| r.id.as_str() == format!("FR-{}", areas * 10))
    );

    // The limit is 1 MiB: a PRD at the limit is accepted, one byte more is not.
    let at_limit = "- Users can do a thing\n".repeat(1024 * 1024 / 23);
    assert!(at_limit.len() <= 1024 * 1024);
    assert!(pass_planner::prepare_inputs(&at_limit, None).is_ok());
    let too_big = "x".repeat(1024 * 1024 + 1);
    let err = plan(&too_big, None, Uuid::nil(), &offline(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, PlannerError::PrdTooLarge { .. }), "{err}");
    let err = plan("  \n", None, Uuid::nil(), &offline(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, PlannerError::EmptyPrd), "{err}");
}

#[tokio::test]
async fn plan_to_dir_writes_the_artifacts_by_the_contract_layout() {
    let dir = tempfile::tempdir().unwrap();
    let out = plan_to_dir(&prd("grocery-tiny.txt"), None, dir.path(), &offline())
        .await
        .unwrap();
    assert_eq!(out.pack_path, dir.path().join("architecture_pack.json"));
    assert_eq!(
        out.summary_path,
        dir.path().join("architecture_pack_summary.md")
    );
    assert_eq!(
        out.diagram_path,
        dir.path().join("architecture_pack_diagram.txt")
    );
    assert_eq!(out.usage_path, dir.path().join("planner_usage.json"));
    let text = fs_err::read_to_string(&out.pack_path).unwrap();
    assert!(text.ends_with("}\n"));
    let pack = parse_pack(&text).unwrap();
    assert_eq!(pack, out.pack);
    let ids: Vec<&str> = pack.requirements.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        ids,
        [
            "Add items to the list",
            "Tick off items while shopping",
            "Clear ticked items"
        ]
    );
    let usage: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(&out.usage_path).unwrap()).unwrap();
    assert_eq!(usage["provider"], "offline");
    assert_eq!(usage["sections"].as_array().unwrap().len(), 9);
    assert!(
        !dir.path().join(".pass-checkpoints").exists(),
        "offline needs no checkpoints"
    );
}

#[tokio::test]
async fn the_diagram_renders_any_component_name_and_only_named_flows() {
    let mut pack = pack_of(&prd("clinic-booking-ids.md"), None).await;
    let weird = "Web \"UI\" <v2> #1 | `beta`";
    let old = pack.architecture.components[0].name.as_str().to_owned();
    let mut components = pack.architecture.components.clone().into_vec();
    components[0].name = pass_contracts::Text::new(weird).unwrap();
    pack.architecture.components = pass_contracts::NonEmpty::new(components).unwrap();
    pack.architecture.data_flows = pack
        .architecture
        .data_flows
        .iter()
        .map(|f| pass_contracts::Text::new(f.as_str().replace(&old, weird)).unwrap())
        .chain([pass_contracts::Text::new("Nightly backups to somewhere unnamed").unwrap()])
        .collect();
    let diagram = pass_diagrams::component_diagram(&pack);
    assert!(
        diagram.contains("c0[/\"Web #quot;UI#quot; #lt;v2#gt; #35;1 #124; #96;beta#96;\"/]"),
        "{diagram}"
    );
    assert!(
        diagram.contains("c0 -->|\"HTTPS JSON requests\"| c1"),
        "{diagram}"
    );
    let edges = diagram.lines().filter(|l| l.contains("-->")).count();
    assert_eq!(
        edges,
        pack.architecture.data_flows.len() - 1,
        "the unnamed flow draws nothing"
    );
    assert!(
        diagram.contains("c2[(\""),
        "a database is a cylinder: {diagram}"
    );
}

#[tokio::test]
async fn the_offline_architect_satisfies_every_strict_preference() {
    for name in [
        "clinic-booking-ids.md",
        "export-command-feature.txt",
        "shelf-board-tagged.txt",
        "grocery-tiny.txt",
    ] {
        for preference in ["monolith", "api_worker", "microservices", "no_preference"] {
            let org = format!(
                "strictness: strict\narchitecture_preference: {preference}\ncloud:\n  allowed_services: [rds]\nstack:\n  web: react\n  primary_db: mysql\n"
            );
            let pack = plan(&prd(name), Some(&org), Uuid::new_v4(), &offline(), None)
                .await
                .unwrap_or_else(|e| panic!("{name} / {preference}: {e}"))
                .pack;
            let apis = pack
                .architecture
                .components
                .iter()
                .filter(|c| c.kind == ComponentType::Api)
                .count();
            let workers = pack
                .architecture
                .components
                .iter()
                .filter(|c| c.kind == ComponentType::Worker)
                .count();
            match preference {
                "monolith" => assert!(apis == 1 && workers == 0, "{name} {preference}"),
                "api_worker" => assert!(apis >= 1 && workers >= 1, "{name} {preference}"),
                "microservices" => assert!(apis >= 2, "{name} {preference}"),
                _ => {}
            }
            assert!(
                !pack.assumptions.iter().any(|a| a.contains("Deviation")),
                "{name} {preference}: {:?}",
                pack.assumptions
            );
            for store in &pack.architecture.data_stores {
                assert!(
                    !store.contains(" on ") || store.ends_with(" on rds"),
                    "{name} {preference}: {store}"
                );
                assert!(!store.contains("postgres"), "{name} {preference}: {store}");
            }
        }
    }
}

#[tokio::test]
async fn strict_org_constraints_win_over_the_named_stack_with_a_clarification() {
    let pack = pack_of(&prd("shelf-board-tagged.txt"), None).await;
    let columns = pack
        .workflows
        .iter()
        .find(|w| w.name.as_str() == "Column Structure")
        .unwrap_or_else(|| panic!("{:?}", pack.workflows));
    assert_eq!(columns.steps.len(), 4);
    assert!(columns.steps[0].starts_with("Out"));
    let strict = pack_of(&prd("shelf-board-tagged.txt"), Some("strictness: strict\n")).await;
    let conflict = strict
        .clarifications
        .iter()
        .find(|c| c.question.contains("FastAPI") && c.question.contains("stack.api"))
        .unwrap_or_else(|| panic!("{:?}", strict.clarifications));
    assert!(conflict.answer.contains("strict"));
    assert!(
        !strict
            .architecture
            .components
            .iter()
            .any(|c| c.name.contains("FastAPI")),
        "strict: the org's API framework, not the PRD's"
    );
}
#[tokio::test]
async fn issues_follow_features_the_dependency_chain_and_mvp_first() {
    let pack = pack_of(&prd("shelf-board-tagged.txt"), None).await;
    let plan = &pack.implementation.github_issue_plan;
    let titles: Vec<&str> = plan.iter().map(|i| i.title.as_str()).collect();
    for issue in plan {
        assert!(issue.title.chars().count() <= 80, "{}", issue.title);
    }
    let issue_for = |title: &str| {
        plan.iter()
            .find(|i| i.title.as_str() == title)
            .unwrap_or_else(|| panic!("{title} not in {titles:?}"))
    };
    let command = issue_for("Board Command");
    let columns = issue_for("Stock Columns");
    let cards = issue_for("Product Cards");
    assert!(
        columns.depends_on.iter().any(|d| d == &command.id),
        "{:?}",
        columns.depends_on
    );
    assert!(
        cards.depends_on.iter().any(|d| d == &columns.id),
        "{:?}",
        cards.depends_on
    );
    // Fewer issues than requirements, and every must-have slice before the later ones.
    assert!(plan.len() < pack.requirements.len() + 3, "{titles:?}");
    let first_later = plan
        .iter()
        .position(|i| i.title.ends_with("(later)"))
        .unwrap();
    assert!(
        plan[first_later..]
            .iter()
            .all(|i| !i.labels.iter().any(|l| l.as_str() == "priority:must")
                || i.title.starts_with("Non-functional")),
        "{titles:?}"
    );
    // No criterion restates its requirement.
    for issue in plan {
        for r in &pack.requirements {
            if issue
                .acceptance_criteria
                .iter()
                .any(|a| a.contains(r.text.as_str()) && a.as_str() != r.text.as_str())
            {
                panic!("{} restates {}", issue.id, r.id);
            }
        }
    }
}
#[tokio::test]
async fn story_tables_p_levels_and_heading_requirements() {
    let pack = pack_of(&prd("team-retro-stories.md"), None).await;
    let ids: Vec<&str> = pack.requirements.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["US-1", "US-2", "US-3", "REQ-10", "REQ-11"],
        "{:?}",
        pack.requirements
    );
    assert_eq!(requirement(&pack, "US-1").priority, Priority::Must);
    assert_eq!(requirement(&pack, "US-2").priority, Priority::Should);
    assert_eq!(requirement(&pack, "US-3").priority, Priority::Could);
    assert!(requirement(&pack, "US-2").text.contains("vote on notes"));
    let expiry = requirement(&pack, "REQ-10");
    assert!(
        expiry.text.starts_with("Boards expire: Boards are deleted"),
        "{}",
        expiry.text
    );
    assert_eq!(
        expiry.acceptance_criteria.len(),
        2,
        "{:?}",
        expiry.acceptance_criteria
    );
    let slack = requirement(&pack, "REQ-11");
    assert_eq!(slack.priority, Priority::Should);
    assert_eq!(
        slack.acceptance_criteria[0].as_str(),
        "Given a finished retrospective, When the facilitator closes the board, Then the top five action items are posted to the team's Slack channel"
    );
    assert_actor(&pack, "Facilitator");
    assert_actor(&pack, "Team member");
    assert!(pack.integrations.iter().any(|i| i.name == "Slack"));
    assert_eq!(pack.prd.title.as_deref(), Some("RetroBoard"));
    assert!(
        pack.prd
            .summary
            .starts_with("RetroBoard helps remote teams")
    );
}

#[tokio::test]
async fn story_tables_without_ids_become_numbered_stories() {
    let text = "# Pantry\n\nPantry tracks what is in a shared kitchen.\n\n## Stories\n\n| As a | I want | So that | Priority |\n|---|---|---|---|\n| housemate | to log what I take | others know it is gone | Must |\n| housemate | a weekly shopping list | we buy what is missing | Could |\n";
    let pack = pack_of(text, None).await;
    let texts: Vec<(&str, &str, Priority)> = pack
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.text.as_str(), r.priority))
        .collect();
    assert_eq!(
        texts,
        [
            (
                "REQ-001",
                "As a housemate, I want to log what I take, so that others know it is gone",
                Priority::Must
            ),
            (
                "REQ-002",
                "As a housemate, I want a weekly shopping list, so that we buy what is missing",
                Priority::Could
            ),
        ]
    );
    assert_eq!(pack.trace[0].source_hint.as_str(), "to log what I take");
    assert_eq!(
        pack.actors.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        ["Housemate"]
    );
}

#[tokio::test]
async fn text_whose_case_changes_byte_length_is_read_without_panicking() {
    // Lower-casing `İ`, `ẞ` or the Kelvin sign changes their UTF-8 length; byte
    // offsets found in a lower-cased copy must never slice the original.
    let prd = "# Çalışma İzni Portalı\n\n\
        ## User stories\n\
        - İ: as a éditor, I want to approve requests\n\
        - ẞ: As an Ärztin, I want to see my schedule\n\
        - \u{212A}: as a Kelvin-Leiter, I want reports 📈\n\n\
        ## Requirements\n\
        - FR-1 İzin talepleri onaylanabilir. Acceptance: ÉTAT visible\n\
        - FR-2 Übersicht für 管理者 with Given/When/Then\n\
        **Acceptance**: ẞtraße shown\n";
    let pack = pack_of(prd, None).await;
    let ids: Vec<&str> = pack.requirements.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"FR-1") && ids.contains(&"FR-2"), "{ids:?}");
    assert!(!pack.actors.is_empty());
}

#[tokio::test]
async fn arbitrary_text_never_panics_the_offline_reader() {
    // A deterministic soup of markdown markers, PRD keywords and characters
    // whose case mapping changes length; every PRD must plan into a valid pack.
    const PIECES: &[&str] = &[
        "# ",
        "## ",
        "- ",
        "* ",
        "1. ",
        "| ",
        " | ",
        "- [ ] ",
        "**",
        "`",
        "```\n",
        "\n",
        "\n\n",
        "As a ",
        " I want ",
        " so that ",
        "Given ",
        "When ",
        "Then ",
        "Acceptance: ",
        "FR-1 ",
        "REQ-7 ",
        "U10 ",
        "Must",
        "Should",
        "Could",
        "P0 ",
        "TBD",
        "Open Questions",
        "Stripe",
        "payments",
        "99.9%",
        "İ",
        "ẞ",
        "\u{212A}",
        "é",
        "管理",
        "📈",
        "\u{200B}",
        "\t",
        ":",
        ".",
        "user",
        "data model",
        "Entity",
        "workflow",
        "<PRD>",
        "</context>",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..150 {
        let len = 1 + next() % 80;
        let mut text: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        if text.trim().is_empty() {
            text.push('x');
        }
        let pack = pack_of(&text, None).await;
        let value = serde_json::to_value(&pack).unwrap();
        assert!(
            pass_contracts::validate_pack_value(&value).is_ok(),
            "{text:?}"
        );
    }
}

fn texts(pack: &ArchitecturePack) -> Vec<&str> {
    pack.requirements.iter().map(|r| r.text.as_str()).collect()
}

#[tokio::test]
async fn headings_in_other_languages_say_where_the_features_are() {
    let pack = pack_of(&prd("transit-buddy-zh.md"), None).await;
    assert_eq!(
        texts(&pack),
        ["路線搜尋", "收藏站牌"],
        "the future item stays out"
    );
    assert_eq!(pack.requirements[0].acceptance_criteria.len(), 2);
    for non_goal in ["不做完整的離線導航", "不提供社群評論功能"] {
        assert!(
            pack.assumptions
                .iter()
                .any(|a| a.as_str().ends_with(non_goal)),
            "{:?}",
            pack.assumptions
        );
    }
    // Named in the problem statement only: not something the product calls.
    assert!(
        pack.integrations
            .iter()
            .all(|i| i.name.as_str() != "Google Maps")
    );
    let titles: Vec<&str> = pack
        .implementation
        .github_issue_plan
        .iter()
        .map(|i| i.title.as_str())
        .collect();
    assert!(!titles.contains(&"核心功能"), "{titles:?}");
}

#[tokio::test]
async fn plain_text_label_lines_are_sections() {
    let pack = pack_of(&prd("depot-checkin-plain.txt"), None).await;
    let read = texts(&pack);
    for feature in ["Van Check-in", "Damage Report", "Yard Board"] {
        assert!(read.contains(&feature), "{read:?}");
    }
    assert_eq!(read.iter().filter(|t| t.starts_with("As a ")).count(), 2);
    for not_a_feature in [
        "Performance",
        "Reliability",
        "Driver Leaderboard",
        "Poor Wi-Fi",
    ] {
        assert!(
            read.iter().all(|t| !t.starts_with(not_a_feature)),
            "{not_a_feature} in {read:?}"
        );
    }
    // "Average API response time" names no service.
    assert!(
        pack.integrations
            .iter()
            .all(|i| i.name.as_str() != "Average")
    );
    let story = pack
        .implementation
        .github_issue_plan
        .iter()
        .find(|i| i.title.as_str().starts_with("Check a van in"))
        .map(|i| i.title.as_str());
    assert_eq!(story, Some("Check a van in by scanning its code"));
}

#[tokio::test]
async fn numbered_labels_and_collection_headings_hold_the_features() {
    let pack = pack_of(&prd("kit-lending-numbered.txt"), None).await;
    assert_eq!(
        texts(&pack),
        [
            "Borrow a kit by scanning the student card",
            "Return a kit at the self-service kiosk",
            "Email a reminder the day before a kit is due",
            "Block students with overdue kits",
            "Show available kits",
            "Print a loan receipt",
        ]
    );
}

#[tokio::test]
async fn an_id_column_takes_any_id_scheme_with_status_and_heading_priorities() {
    let pack = pack_of(&prd("lab-release-status.md"), None).await;
    let read: Vec<(&str, Priority)> = pack
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.priority))
        .collect();
    assert_eq!(
        read,
        [
            ("rec-002", Priority::Must),
            ("rec-003", Priority::Should),
            ("rec-010", Priority::Could),
            ("rec-011", Priority::Could),
        ]
    );
    assert!(
        pack.assumptions
            .iter()
            .any(|a| a.as_str().contains("not planned again: rec-001")),
        "{:?}",
        pack.assumptions
    );
    assert!(pack.integrations.iter().all(|i| i.name.as_str() != "Audio"));
    assert!(
        pack.implementation
            .github_issue_plan
            .iter()
            .all(|i| !i.title.as_str().contains("Story Queue"))
    );
}

#[tokio::test]
async fn a_template_with_double_brace_slots_plans_nothing_and_names_nothing() {
    let pack = pack_of(&prd("template-mustache.md"), None).await;
    assert!(pack.requirements.is_empty(), "{:?}", texts(&pack));
    assert!(pack.prd.title.is_none(), "{:?}", pack.prd.title);
    assert!(
        !pack.prd.summary.as_str().contains("{{"),
        "{}",
        pack.prd.summary
    );
    assert!(
        pack.actors.iter().all(|a| !a.as_str().contains("ROLE")),
        "{:?}",
        pack.actors
    );
    assert!(
        !pack.architecture.name.as_str().contains('{'),
        "{}",
        pack.architecture.name
    );
    assert!(
        pack.open_questions
            .iter()
            .any(|q| q.as_str().contains("placeholders")),
        "{:?}",
        pack.open_questions
    );
}

#[tokio::test]
async fn template_prompts_over_several_lines_plan_nothing() {
    let pack = pack_of(&prd("template-prompts.txt"), None).await;
    assert!(pack.requirements.is_empty(), "{:?}", texts(&pack));
    assert!(
        !pack.prd.summary.as_str().contains('['),
        "{}",
        pack.prd.summary
    );
    assert!(
        pack.open_questions
            .iter()
            .any(|q| q.as_str().contains("states no requirements")),
        "{:?}",
        pack.open_questions
    );
}

#[tokio::test]
async fn label_items_dependency_steps_and_risks_are_not_features() {
    let pack = pack_of(&prd("habit-garden-tm.txt"), None).await;
    let read = texts(&pack);
    assert!(
        read.contains(&"Habit planting with five plant kinds"),
        "{read:?}"
    );
    for not_a_feature in [
        "MVP Requirements",
        "Future Enhancements",
        "Shared gardens with friends",
        "Draw the garden from stored streaks",
        "Mitigation",
    ] {
        assert!(
            read.iter().all(|t| !t.starts_with(not_a_feature)),
            "{not_a_feature} in {read:?}"
        );
    }
}

/// The "read as …" assumption of a pack.
fn read_as(pack: &ArchitecturePack) -> &str {
    pack.assumptions
        .iter()
        .map(|a| a.as_str())
        .find(|a| a.starts_with("The PRD is read as"))
        .unwrap_or_default()
}

fn component_names(pack: &ArchitecturePack) -> Vec<&str> {
    pack.architecture
        .components
        .iter()
        .map(|c| c.name.as_str())
        .collect()
}

#[tokio::test]
async fn a_feature_of_an_existing_desktop_app_gets_no_cloud_architecture() {
    let pack = pack_of(&prd("quillpad-pinned-notes-feature.md"), None).await;
    assert!(
        read_as(&pack).starts_with("The PRD is read as a desktop / local-first app"),
        "{}",
        read_as(&pack)
    );
    let names = component_names(&pack);
    for cloud_part in [
        "API (Fastify)",
        "Database (PostgreSQL)",
        "Web app (Next.js)",
    ] {
        assert!(!names.contains(&cloud_part), "{cloud_part} in {names:?}");
    }
    assert!(
        names.iter().any(|n| n.starts_with("Desktop app")),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_tool_run_locally_on_windows_is_local_in_ukrainian_too() {
    let pack = pack_of(&prd("print-queue-uk.txt"), None).await;
    assert!(
        read_as(&pack)
            .starts_with("The PRD is read as a desktop / local-first app built with Python"),
        "{}",
        read_as(&pack)
    );
    let names = component_names(&pack);
    assert!(!names.contains(&"Database (PostgreSQL)"), "{names:?}");
    // No toolkit named: the UI is written in the PRD's language, not in the
    // org's default web framework.
    assert!(names.contains(&"Desktop app (Python)"), "{names:?}");
    // "2. Функції (основні):" holds the features; the constraints do not.
    let read = texts(&pack);
    assert!(read.contains(&"Скасування свого завдання"), "{read:?}");
    assert!(
        read.iter().all(|t| !t.starts_with("Локальний запуск")),
        "{read:?}"
    );
}

#[tokio::test]
async fn a_prd_without_external_dependencies_plans_no_integration_clients() {
    let pack = pack_of(&prd("invoice-labels-no-deps.md"), None).await;
    let names: Vec<&str> = pack.integrations.iter().map(|i| i.name.as_str()).collect();
    assert!(names.is_empty(), "{names:?}");
    assert!(
        pack.implementation
            .github_issue_plan
            .iter()
            .all(|i| !i.title.as_str().contains(" client")),
        "no client issues"
    );
    assert!(
        pack.assumptions
            .iter()
            .any(|a| a.as_str().contains("no external dependencies")),
        "{:?}",
        pack.assumptions
    );
    // The requirement naming the services is still planned.
    assert!(texts(&pack).iter().any(|t| t.contains("PayPal")));
}

#[tokio::test]
async fn a_release_candidate_plans_pending_rows_and_leaves_removed_ones_and_decisions_out() {
    let pack = pack_of(&prd("parcel-ping-rc-status.md"), None).await;
    let ids: Vec<&str> = pack.requirements.iter().map(|r| r.id.as_str()).collect();
    // Not the removed rows, the deviation table D1/D2, nor the decisions.
    assert_eq!(ids, ["3", "4"], "{:?}", texts(&pack));
    for (kept, note) in [
        ("not planned again: 1: Courier ETA", "built"),
        (
            "Out of scope per the PRD: 5: Cash on delivery tracking",
            "removed",
        ),
        ("Out of scope per the PRD: 6: Recipient rates", "descoped"),
    ] {
        assert!(
            pack.assumptions.iter().any(|a| a.as_str().contains(kept)),
            "{note}: {:?}",
            pack.assumptions
        );
    }
    // Open decisions are questions for the team, not work.
    assert!(
        pack.open_questions
            .iter()
            .any(|q| q.as_str() == "Keep photos for 30 or 90 days?"),
        "{:?}",
        pack.open_questions
    );
}

#[tokio::test]
async fn moscow_lettered_items_keep_their_ids_under_their_headings() {
    let pack = pack_of(&prd("kiln-log-moscow.md"), None).await;
    let read: Vec<(&str, Priority)> = pack
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.priority))
        .collect();
    assert_eq!(
        read,
        [
            ("M1", Priority::Must),
            ("M2", Priority::Must),
            ("M3", Priority::Must),
            ("S1", Priority::Should),
            ("S2", Priority::Should),
            ("C1", Priority::Could),
            ("C2", Priority::Could),
        ]
    );
    assert!(requirement(&pack, "M1").text.starts_with("Record a firing"));
    assert_eq!(requirement(&pack, "M2").acceptance_criteria.len(), 1);
}

#[tokio::test]
async fn feature_names_with_section_words_stay_features_and_component_specs_do_not() {
    let pack = pack_of(&prd("crew-roster-spec.md"), None).await;
    assert_eq!(
        texts(&pack),
        [
            "Volunteer Journey Board",
            "Shift Swap Flow Page",
            "Roster Revision Page"
        ]
    );
    assert_eq!(requirement(&pack, "REQ-002").acceptance_criteria.len(), 3);
    // "Every API call shows a spinner" names no service.
    assert!(pack.integrations.is_empty(), "{:?}", pack.integrations);
}

#[tokio::test]
async fn a_numbered_heading_over_its_numbered_items_is_their_group_not_a_requirement() {
    let pack = pack_of(&prd("tide-table-fr-groups.md"), None).await;
    let ids: Vec<&str> = pack.requirements.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "FR1.1", "FR1.2", "FR2.1", "FR2.2", "FR2.3", "FR3.1", "FR3.2"
        ]
    );
}

/// The technologies the rationale says the PRD names, in the PRD's order.
fn prd_named_stack(pack: &ArchitecturePack) -> Vec<String> {
    let rationale = &pack.architecture.rationale;
    let Some(start) = rationale.find("the PRD names ") else {
        return Vec::new();
    };
    let rest = &rationale[start + "the PRD names ".len()..];
    let end = rest
        .find(", kept over")
        .or_else(|| rest.find("; strict"))
        .unwrap_or(rest.len());
    rest[..end].split(", ").map(str::to_owned).collect()
}

#[tokio::test]
async fn libraries_and_tools_in_a_tech_stack_list_are_kept_and_future_ones_are_not() {
    let pack = pack_of(&prd("seed-swap-tools.md"), None).await;
    let named = prd_named_stack(&pack);
    for tech in [
        "React",
        "Vite",
        "Tailwind CSS",
        "Axios",
        "Express",
        "TypeScript",
        "TypeORM",
        "PostgreSQL",
        "JWT",
        "pnpm",
        "Docker Compose",
    ] {
        assert!(named.iter().any(|n| n == tech), "{tech} not in {named:?}");
    }
    // "Production: Kubernetes cluster (future)" is a later phase.
    assert!(!named.iter().any(|n| n == "Kubernetes"), "{named:?}");
}

#[tokio::test]
async fn an_architecture_diagram_in_a_code_block_names_the_stack() {
    let pack = pack_of(&prd("desk-watch-diagram.md"), None).await;
    let named = prd_named_stack(&pack);
    for tech in ["Swift", "SwiftUI", "AVFoundation"] {
        assert!(named.iter().any(|n| n == tech), "{tech} not in {named:?}");
    }
    let names: Vec<&str> = pack
        .architecture
        .components
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    // Still a local Mac app: SwiftUI in the sketch does not make it a phone app.
    assert!(names.contains(&"Desktop app (Swift)"), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("API (")), "{names:?}");
}

#[tokio::test]
async fn a_companion_phone_app_of_a_desktop_app_gets_a_component() {
    let pack = pack_of(&prd("porch-cam-companion.md"), None).await;
    let names: Vec<&str> = pack
        .architecture
        .components
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("Desktop app")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("Phone app (")),
        "{names:?}"
    );
    assert!(
        pack.architecture
            .data_flows
            .iter()
            .any(|f| f.contains("-> Phone app (")),
        "{:?}",
        pack.architecture.data_flows
    );
}

#[tokio::test]
async fn payment_rails_replaced_and_compared_technologies_are_not_the_stack() {
    let pack = pack_of(&prd("toll-ledger-rails.md"), None).await;
    let named = prd_named_stack(&pack);
    for tech in ["Django", "PostgreSQL", "Vue"] {
        assert!(named.iter().any(|n| n == tech), "{tech} not in {named:?}");
    }
    // "collection rail", a "Rails" row of adapters, the spec's MongoDB and
    // Redis that were replaced, and the Celery a decision turned down.
    for tech in ["Rails", "MongoDB", "Redis", "Celery"] {
        assert!(!named.iter().any(|n| n == tech), "{tech} in {named:?}");
    }
}
