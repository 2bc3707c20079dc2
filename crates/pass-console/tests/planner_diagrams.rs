//! The diagrams of every sample PRD's plan parse and render with the same
//! renderer the console uses: the planner's component diagram (as stored in
//! the `.mmd` artifact) and the issue graph generated from the validated pack.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use pass_console::mermaid::{for_renderer, issue_graph, render_svg};
use pass_planner::{PlannerConfig, Provider};
use uuid::Uuid;

#[tokio::test]
async fn every_sample_plan_draws_both_diagrams() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/prds");
    let mut config = PlannerConfig::from_lookup(|_| None).unwrap();
    config.provider = Provider::Offline;
    let mut planned_any = 0;
    for entry in fs_err::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fs_err::read_to_string(&path).unwrap();
        let Ok(planned) = pass_planner::plan(&text, None, Uuid::new_v4(), &config, None).await
        else {
            continue;
        };
        planned_any += 1;
        let name = path.display();
        let mmd = planned
            .artifacts
            .iter()
            .find(|a| a.name == "architecture_pack_diagram.mmd")
            .unwrap_or_else(|| panic!("{name}: no .mmd artifact"));
        assert_eq!(mmd.filename(), "architecture_pack_diagram.mmd");
        let source = for_renderer(mmd.payload.as_str().unwrap());
        let svg = render_svg(&source).unwrap_or_else(|e| panic!("{name}: {e}\n{source}"));
        for component in planned.pack.architecture.components.iter() {
            let shown = component.name.replace('&', "&amp;").replace('<', "&lt;");
            assert!(svg.contains(&shown), "{name}: {} not drawn", component.name);
        }
        let graph = issue_graph(&planned.pack, &BTreeMap::new());
        let svg = render_svg(&graph).unwrap_or_else(|e| panic!("{name}: {e}\n{graph}"));
        for item in &planned.pack.implementation.github_issue_plan {
            assert!(
                svg.contains(item.id.as_str()),
                "{name}: {} not drawn",
                item.id
            );
        }
    }
    assert!(planned_any >= 5, "the samples were planned");
}
