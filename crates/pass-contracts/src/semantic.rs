//! Checks the schema cannot express: references between lists, unique ids,
//! dependency cycles and coverage of every requirement.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::api::Problem;
use crate::pack::ArchitecturePack;
use crate::text::Text;

/// Every semantic problem of `pack`, each with its JSON path; empty when sound.
pub fn check_pack(pack: &ArchitecturePack) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut report = |path: String, message: String| problems.push(Problem { path, message });

    unique(
        &mut report,
        "clarifications",
        "id",
        pack.clarifications.iter().map(|c| &c.id),
    );
    unique(
        &mut report,
        "workflows",
        "id",
        pack.workflows.iter().map(|w| &w.id),
    );
    unique(
        &mut report,
        "requirements",
        "id",
        pack.requirements.iter().map(|r| &r.id),
    );
    unique(
        &mut report,
        "architecture.components",
        "name",
        pack.architecture.components.iter().map(|c| &c.name),
    );
    let implementation = &pack.implementation;
    unique(
        &mut report,
        "implementation.logic_requirements",
        "id",
        implementation.logic_requirements.iter().map(|l| &l.id),
    );
    unique(
        &mut report,
        "implementation.github_issue_plan",
        "id",
        implementation.github_issue_plan.iter().map(|i| &i.id),
    );

    let requirement_ids: HashSet<&str> = pack.requirements.iter().map(|r| r.id.as_str()).collect();
    let component_names: HashSet<&str> = pack
        .architecture
        .components
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let logic_ids: HashSet<&str> = implementation
        .logic_requirements
        .iter()
        .map(|l| l.id.as_str())
        .collect();
    let issue_ids: HashSet<&str> = implementation
        .github_issue_plan
        .iter()
        .map(|i| i.id.as_str())
        .collect();

    for (i, logic) in implementation.logic_requirements.iter().enumerate() {
        for (j, component) in logic.affected_components.iter().enumerate() {
            if !component_names.contains(component.as_str()) {
                report(
                    format!("implementation.logic_requirements[{i}].affected_components[{j}]"),
                    format!("{component:?} is not the name of an architecture component"),
                );
            }
        }
        for (j, dependency) in logic.dependencies.iter().enumerate() {
            if !logic_ids.contains(dependency.as_str()) {
                report(
                    format!("implementation.logic_requirements[{i}].dependencies[{j}]"),
                    format!("{dependency:?} is not the id of a logic requirement"),
                );
            }
        }
    }
    for (i, item) in implementation.github_issue_plan.iter().enumerate() {
        for (j, dependency) in item.depends_on.iter().enumerate() {
            if !issue_ids.contains(dependency.as_str()) {
                report(
                    format!("implementation.github_issue_plan[{i}].depends_on[{j}]"),
                    format!("{dependency:?} is not the id of an issue-plan item"),
                );
            }
        }
    }
    for (i, entry) in pack.coverage.iter().enumerate() {
        if !requirement_ids.contains(entry.requirement_id.as_str()) {
            report(
                format!("coverage[{i}].requirement_id"),
                format!(
                    "{:?} is not the id of a requirement",
                    entry.requirement_id.as_str()
                ),
            );
        }
    }
    for (i, entry) in pack.trace.iter().enumerate() {
        if !requirement_ids.contains(entry.requirement_id.as_str()) {
            report(
                format!("trace[{i}].requirement_id"),
                format!(
                    "{:?} is not the id of a requirement",
                    entry.requirement_id.as_str()
                ),
            );
        }
    }
    let covered: HashSet<&str> = pack
        .coverage
        .iter()
        .map(|c| c.requirement_id.as_str())
        .collect();
    for (i, requirement) in pack.requirements.iter().enumerate() {
        if !covered.contains(requirement.id.as_str()) {
            report(
                format!("requirements[{i}].id"),
                format!(
                    "requirement {:?} has no coverage entry",
                    requirement.id.as_str()
                ),
            );
        }
    }

    let issue_graph: Vec<(&str, Vec<&str>)> = implementation
        .github_issue_plan
        .iter()
        .map(|i| {
            (
                i.id.as_str(),
                i.depends_on.iter().map(Text::as_str).collect(),
            )
        })
        .collect();
    if let Some(cycle) = find_cycle(&issue_graph) {
        report(
            "implementation.github_issue_plan".to_owned(),
            format!("depends_on forms a cycle: {}", cycle.join(" -> ")),
        );
    }
    let logic_graph: Vec<(&str, Vec<&str>)> = implementation
        .logic_requirements
        .iter()
        .map(|l| {
            (
                l.id.as_str(),
                l.dependencies.iter().map(Text::as_str).collect(),
            )
        })
        .collect();
    if let Some(cycle) = find_cycle(&logic_graph) {
        report(
            "implementation.logic_requirements".to_owned(),
            format!("dependencies form a cycle: {}", cycle.join(" -> ")),
        );
    }

    problems
}

fn unique<'a>(
    report: &mut impl FnMut(String, String),
    list: &str,
    field: &str,
    values: impl Iterator<Item = &'a Text>,
) {
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (i, value) in values.enumerate() {
        if let Some(first) = first_seen.get(value.as_str()) {
            report(
                format!("{list}[{i}].{field}"),
                format!(
                    "duplicate {field} {:?} (first used at {list}[{first}])",
                    value.as_str()
                ),
            );
        } else {
            first_seen.insert(value.as_str(), i);
        }
    }
}

/// Finds one dependency cycle, returned as the ids along it with the first
/// repeated at the end (`a -> b -> a`). Edges to unknown ids are ignored; they
/// are reported elsewhere.
pub fn find_cycle<'a>(graph: &[(&'a str, Vec<&'a str>)]) -> Option<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unvisited,
        OnPath,
        Done,
    }
    let index: BTreeMap<&str, usize> = graph
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut marks = vec![Mark::Unvisited; graph.len()];

    for start in 0..graph.len() {
        if marks[start] != Mark::Unvisited {
            continue;
        }
        // Iterative depth-first search: (node, next edge to look at).
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::OnPath;
        while let Some(&mut (node, ref mut edge)) = path.last_mut() {
            let edges = &graph[node].1;
            if *edge < edges.len() {
                let target = edges[*edge];
                *edge += 1;
                let Some(&next) = index.get(target) else {
                    continue;
                };
                match marks[next] {
                    Mark::OnPath => {
                        let from = path.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut cycle: Vec<&str> =
                            path[from..].iter().map(|(n, _)| graph[*n].0).collect();
                        cycle.push(graph[next].0);
                        return Some(cycle);
                    }
                    Mark::Unvisited => {
                        marks[next] = Mark::OnPath;
                        path.push((next, 0));
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                path.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_names_cycles() {
        let graph = vec![
            ("a", vec!["b"]),
            ("b", vec!["c"]),
            ("c", vec!["a"]),
            ("d", vec![]),
        ];
        assert_eq!(find_cycle(&graph), Some(vec!["a", "b", "c", "a"]));
        let self_loop = vec![("x", vec!["x"])];
        assert_eq!(find_cycle(&self_loop), Some(vec!["x", "x"]));
        let dag = vec![
            ("a", vec!["b", "c"]),
            ("b", vec!["c"]),
            ("c", vec![]),
            ("d", vec!["zz"]),
        ];
        assert_eq!(find_cycle(&dag), None);
    }
}
