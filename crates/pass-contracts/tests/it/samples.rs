use pass_contracts::org::{ArchitecturePreference, OrgConstraints, Strictness};
use pass_contracts::pack::{ArchitecturePack, Priority};
use pass_contracts::{from_value, parse_pack};
use serde_json::json;

use crate::{repo_file, sample_pack_value};

#[test]
fn the_sample_pack_is_valid_and_complete() {
    let text = fs_err::read_to_string(repo_file("samples/architecture_pack.sample.json")).unwrap();
    let pack = parse_pack(&text).unwrap();
    // "Complete": every section carries content, and the issue plan has dependencies.
    assert!(!pack.clarifications.is_empty());
    assert!(!pack.actors.is_empty());
    assert!(!pack.workflows.is_empty());
    assert!(!pack.requirements.is_empty());
    assert!(!pack.entities.is_empty());
    assert!(!pack.integrations.is_empty());
    assert!(!pack.implementation.logic_requirements.is_empty());
    assert!(
        pack.implementation
            .github_issue_plan
            .iter()
            .any(|i| !i.depends_on.is_empty())
    );
    assert_eq!(pack.coverage.len(), pack.requirements.len());
    assert!(!pack.trace.is_empty());
    assert!(!pack.open_questions.is_empty());
}

#[test]
fn packs_round_trip_unchanged() {
    let value = sample_pack_value();
    let pack: ArchitecturePack = from_value(&value).unwrap();
    assert_eq!(serde_json::to_value(&pack).unwrap(), value);
}

#[test]
fn the_sample_org_constraints_parse() {
    let text = fs_err::read_to_string(repo_file("samples/org_constraints.sample.yml")).unwrap();
    let org = OrgConstraints::from_yaml(&text).unwrap();
    assert_eq!(org.strictness, Strictness::Strict);
    assert_eq!(
        org.architecture_preference,
        ArchitecturePreference::ApiWorker
    );
    assert_eq!(org.naming.service_prefix.as_str(), "clinic");
}

#[test]
fn defaults_are_applied_on_read() {
    let minimal = json!({
        "pack_version": "0.1",
        "run_id": "3b6f0d2e-8c1a-4f5e-9a7b-2d4c6e8f0a12",
        "created_at": "2026-11-20T09:30:00.000Z",
        "tool": {"name": "PASS-2A", "version": "0.1.0"},
        "prd": {"raw_text": "Build a todo app", "summary": "A todo app"},
        "architecture": {
            "name": "Monolith", "description": "One service",
            "components": [{"name": "app", "type": "api"}],
            "rationale": "Small"
        },
        "implementation": {
            "summary": "Do it", "iac_handoff": {"summary": "None"},
            "github_issue_plan": [{"id": "I1", "title": "T", "summary": "S", "body": "B"}]
        },
        "requirements": [{"id": "R1", "text": "Add todos"}],
        "coverage": [{"requirement_id": "R1", "status": "missing"}]
    });
    let pack = parse_pack(&minimal.to_string()).unwrap();
    assert_eq!(pack.requirements[0].priority, Priority::Must);
    assert!(pack.refinement.wireframe.enabled);
    assert!(pack.refinement.chat.enabled);
    assert!(pack.implementation.coordination.pause_on_pending_questions);
    assert!(pack.implementation.observability.log_traces_enabled);
    assert_eq!(pack.org_constraints, OrgConstraints::default());
    assert!(pack.clarifications.is_empty());
    let written = serde_json::to_value(&pack).unwrap();
    assert_eq!(written["nfrs"]["availability"], "standard");
    assert_eq!(
        written["org_constraints"]["cloud"]["allowed_services"],
        json!(["rds", "s3", "sqs"])
    );
}

#[test]
fn serde_errors_name_the_json_path() {
    let mut value = sample_pack_value();
    value["architecture"]["components"][2]["type"] = json!("lambda");
    let problem = from_value::<ArchitecturePack>(&value).unwrap_err();
    assert_eq!(problem.path, "architecture.components[2].type");
    assert!(
        problem.message.contains("unknown variant `lambda`"),
        "{}",
        problem.message
    );
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let err = parse_pack("{\n  \"pack_version\": ,\n}").unwrap_err();
    match err {
        pass_contracts::PackError::Syntax { line, column, .. } => {
            assert_eq!(line, 2);
            assert!(column > 1);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}
