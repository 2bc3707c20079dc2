//! Shared helpers: PRD files, configurations built from maps, and stand-in
//! answers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use pass_contracts::OrgConstraints;
use pass_planner::PlannerConfig;
use pass_planner::sections::SectionName;
use pass_testkit::anthropic::Responder;
use serde_json::Value;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every PRD the tests must handle: `samples/prds/` and the shared folder when present.
pub fn all_prds() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in [
        repo_root().join("samples/prds"),
        repo_root().join("../shared/prds"),
    ] {
        let Ok(entries) = fs_err::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if name == "README.md" {
                continue;
            }
            let text = fs_err::read_to_string(&path).unwrap();
            out.push((format!("{}/{name}", dir.display()), text));
        }
    }
    assert!(
        out.len() >= 6,
        "expected the sample PRDs, found {}",
        out.len()
    );
    out
}

pub fn prd(name: &str) -> String {
    fs_err::read_to_string(repo_root().join("samples/prds").join(name)).unwrap()
}

pub fn config(pairs: &[(&str, &str)]) -> PlannerConfig {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    PlannerConfig::from_lookup(|k| map.get(k).cloned()).unwrap()
}

/// [`config`] of a provider's `base` pairs with a test's `extra` on top
/// (a key in both takes `extra`'s value).
pub fn config_with(base: &[(&str, &str)], extra: &[(&str, &str)]) -> PlannerConfig {
    config(&[base, extra].concat())
}

/// Answers each section (named by its tool or schema name) with the offline
/// reader's draft for `prd_text`: realistic, valid content, so tests can
/// break one thing at a time. Both model stand-ins take it.
pub fn offline_answers(prd_text: &str, org: &OrgConstraints, org_given: bool) -> Responder {
    let drafts = pass_planner::offline::draft_pack(prd_text, org, org_given);
    Arc::new(move |name, _schema, _body| {
        SectionName::from_tool_name(name)
            .and_then(|s| drafts.section_value(s).ok())
            .unwrap_or(Value::Null)
    })
}
