//! The checked-in JSON Schema and the serde types must agree: both accept the
//! samples, and both reject every bad pack in the table.

use pass_contracts::pack::ArchitecturePack;
use pass_contracts::{OrgConstraints, RunInput, from_value};
use serde_json::{Value, json};

use crate::{repo_file, sample_pack_value};

fn validator(name: &str) -> jsonschema::Validator {
    let text = fs_err::read_to_string(repo_file(&format!("schemas/{name}.schema.json"))).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

/// Applies `edit` to a copy of the sample pack.
fn mutated(edit: impl FnOnce(&mut Value)) -> Value {
    let mut value = sample_pack_value();
    edit(&mut value);
    value
}

fn bad_packs() -> Vec<(&'static str, Value)> {
    vec![
        (
            "unknown top-level field",
            mutated(|v| v["colour"] = json!("red")),
        ),
        (
            "unknown nested field",
            mutated(|v| v["implementation"]["coordination"]["extra"] = json!(true)),
        ),
        (
            "unknown component type",
            mutated(|v| v["architecture"]["components"][0]["type"] = json!("lambda")),
        ),
        (
            "wrong pack version",
            mutated(|v| v["pack_version"] = json!("0.2")),
        ),
        (
            "wrong tool name",
            mutated(|v| v["tool"]["name"] = json!("Other")),
        ),
        (
            "run id not a uuid",
            mutated(|v| v["run_id"] = json!("run-1")),
        ),
        (
            "timestamp not RFC 3339",
            mutated(|v| v["created_at"] = json!("yesterday")),
        ),
        (
            "timestamp not UTC",
            mutated(|v| v["created_at"] = json!("2026-01-01T00:00:00+02:00")),
        ),
        (
            "blank text",
            mutated(|v| v["prd"]["raw_text"] = json!("   ")),
        ),
        (
            "empty string",
            mutated(|v| v["requirements"][0]["id"] = json!("")),
        ),
        (
            "empty workflow steps",
            mutated(|v| v["workflows"][0]["steps"] = json!([])),
        ),
        (
            "no components",
            mutated(|v| v["architecture"]["components"] = json!([])),
        ),
        (
            "unknown priority",
            mutated(|v| v["requirements"][0]["priority"] = json!("urgent")),
        ),
        (
            "missing architecture",
            mutated(|v| {
                v.as_object_mut().unwrap().remove("architecture");
            }),
        ),
        (
            "missing requirement text",
            mutated(|v| {
                v["requirements"][0].as_object_mut().unwrap().remove("text");
            }),
        ),
        (
            "unknown nfr value",
            mutated(|v| v["nfrs"]["scale"] = json!("huge")),
        ),
        (
            "bad service prefix",
            mutated(|v| v["org_constraints"]["naming"]["service_prefix"] = json!("Bad_Prefix")),
        ),
        (
            "unknown stack language",
            mutated(|v| v["org_constraints"]["stack"]["language"] = json!("cobol")),
        ),
        (
            "bool as string",
            mutated(|v| v["clarifications"][0]["default_used"] = json!("yes")),
        ),
        (
            "unknown coverage status",
            mutated(|v| v["coverage"][0]["status"] = json!("done")),
        ),
        (
            "list where text is due",
            mutated(|v| v["actors"] = json!([["Patient"]])),
        ),
        (
            "null for a required list item",
            mutated(|v| v["assumptions"] = json!([null])),
        ),
    ]
}

#[test]
fn schema_and_serde_both_accept_the_sample() {
    let sample = sample_pack_value();
    let validator = validator("architecture_pack");
    let errors: Vec<String> = validator
        .iter_errors(&sample)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    from_value::<ArchitecturePack>(&sample).unwrap();
}

#[test]
fn schema_and_serde_both_reject_every_bad_pack() {
    let validator = validator("architecture_pack");
    for (case, value) in bad_packs() {
        assert!(!validator.is_valid(&value), "schema accepted: {case}");
        assert!(
            from_value::<ArchitecturePack>(&value).is_err(),
            "serde accepted: {case}"
        );
    }
}

#[test]
fn run_input_schema_and_serde_agree() {
    let validator = validator("run_input");
    let good = [
        json!({"prd_text": "Build a todo app"}),
        json!({"prd_text": "x", "org_constraints_yaml": "strictness: strict", "requested_by": "ana",
               "source": {"repository": "o/r", "ref": "main", "trigger": "api"}}),
        json!({"prd_text": "x", "source": {}}),
    ];
    for value in good {
        assert!(validator.is_valid(&value), "{value}");
        from_value::<RunInput>(&value).unwrap();
    }
    let bad = [
        json!({}),
        json!({"prd_text": ""}),
        json!({"prd_text": "x", "extra": 1}),
        json!({"prd_text": "x", "source": {"trigger": "cron"}}),
        json!({"prd_text": 5}),
    ];
    for value in bad {
        assert!(!validator.is_valid(&value), "schema accepted {value}");
        assert!(
            from_value::<RunInput>(&value).is_err(),
            "serde accepted {value}"
        );
    }
}

#[test]
fn org_constraints_schema_and_serde_agree() {
    let validator = validator("org_constraints");
    let text = fs_err::read_to_string(repo_file("samples/org_constraints.sample.yml")).unwrap();
    let sample = serde_json::to_value(OrgConstraints::from_yaml(&text).unwrap()).unwrap();
    assert!(validator.is_valid(&sample));
    assert!(validator.is_valid(&json!({})));
    for value in [
        json!({"strictness": "loose"}),
        json!({"cloud": {"provider": "oracle"}}),
        json!({"naming": {"service_prefix": "9lives"}}),
        json!({"security": {"allow_public_db": "no"}}),
        json!({"unknown": 1}),
    ] {
        assert!(!validator.is_valid(&value), "schema accepted {value}");
        assert!(
            from_value::<OrgConstraints>(&value).is_err(),
            "serde accepted {value}"
        );
    }
}
