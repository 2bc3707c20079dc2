use pass_contracts::schema::{SCHEMA_NAMES, schema_file_name, schema_file_text};

use crate::repo_file;

#[test]
fn checked_in_schemas_match_the_rust_types() {
    let mut stale = Vec::new();
    for name in SCHEMA_NAMES {
        let expected = schema_file_text(name).unwrap();
        let path = repo_file(&format!("schemas/{}", schema_file_name(name)));
        if fs_err::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing schema files: {stale:?}\nregenerate them with: cargo run -p pass-cli -- schema --write schemas"
    );
}

#[test]
fn the_required_schemas_are_published() {
    for name in ["architecture_pack", "run_input", "org_constraints"] {
        assert!(SCHEMA_NAMES.contains(&name), "{name}");
        assert!(
            repo_file(&format!("schemas/{name}.schema.json")).exists(),
            "{name}"
        );
    }
}
