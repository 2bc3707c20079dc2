//! Shared helpers: PRD files and configurations built from maps.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pass_planner::PlannerConfig;

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
        let Ok(entries) = std::fs::read_dir(&dir) else {
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
            let text = std::fs::read_to_string(&path).unwrap();
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
    std::fs::read_to_string(repo_root().join("samples/prds").join(name)).unwrap()
}

pub fn config(pairs: &[(&str, &str)]) -> PlannerConfig {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    PlannerConfig::from_lookup(|k| map.get(k).cloned()).unwrap()
}
