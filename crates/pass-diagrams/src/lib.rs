//! The Mermaid source of a validated pack, written once for every place that
//! shows it: the planner's `.mmd` artifact and Markdown summary (which GitHub
//! renders with Mermaid's own script) and the console and HTML export (which
//! render it to SVG on the server, through `pass_console::mermaid`).
//!
//! The dialect is GitHub's Mermaid: every label is quoted, and the characters
//! that would end or reinterpret a label are written as Mermaid's `#…;` codes.

use std::collections::BTreeMap;

use pass_contracts::ArchitecturePack;
use pass_contracts::pack::ComponentType;

/// Escapes text so it renders as itself inside a quoted label.
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn node(id: &str, text: &str, kind: ComponentType) -> String {
    let l = label(text);
    match kind {
        ComponentType::Web => format!("{id}[/\"{l}\"/]"),
        ComponentType::Api => format!("{id}[\"{l}\"]"),
        ComponentType::Worker => format!("{id}[[\"{l}\"]]"),
        ComponentType::Db => format!("{id}[(\"{l}\")]"),
        ComponentType::Queue => format!("{id}>\"{l}\"]"),
        ComponentType::Cache => format!("{id}{{{{\"{l}\"}}}}"),
        ComponentType::ObjectStorage => format!("{id}[\\\"{l}\"\\]"),
        ComponentType::AuthProvider => format!("{id}([\"{l}\"])"),
        ComponentType::ExternalIntegration => format!("{id}((\"{l}\"))"),
    }
}

/// The component diagram: one node per component shaped by its type, and an
/// edge only where a data flow names two components (the first named → the
/// next), labelled with the flow's text after its last `": "`.
pub fn component_diagram(pack: &ArchitecturePack) -> String {
    let components = &pack.architecture.components;
    let ids: BTreeMap<&str, String> = components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), format!("c{i}")))
        .collect();
    let mut out = String::from("flowchart LR\n");
    for (i, c) in components.iter().enumerate() {
        out.push_str("    ");
        out.push_str(&node(&format!("c{i}"), &c.name, c.kind));
        out.push('\n');
    }
    // Longest names first, so "API gateway" is not read as "API".
    let mut names: Vec<&str> = components.iter().map(|c| c.name.as_str()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for flow in &pack.architecture.data_flows {
        let flow = flow.as_str();
        let mut found: Vec<(usize, &str)> = Vec::new();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for name in &names {
            let mut from = 0;
            while let Some(pos) = flow[from..].find(name) {
                let start = from + pos;
                let end = start + name.len();
                if !taken.iter().any(|(s, e)| start < *e && end > *s) {
                    taken.push((start, end));
                    found.push((start, name));
                    break;
                }
                from = end;
            }
        }
        found.sort();
        if found.len() < 2 || found[0].1 == found[1].1 {
            continue;
        }
        let edge_label = flow
            .rsplit_once(": ")
            .map(|(_, l)| l)
            .filter(|l| !l.is_empty() && !names.iter().any(|n| l.contains(n)));
        let (Some(a), Some(b)) = (ids.get(found[0].1), ids.get(found[1].1)) else {
            continue;
        };
        match edge_label {
            Some(l) => out.push_str(&format!("    {a} -->|\"{}\"| {b}\n", label(l))),
            None => out.push_str(&format!("    {a} --> {b}\n")),
        }
    }
    out
}

/// Longest title text in an issue graph node; the full title is in the
/// tables beside the graph.
const MAX_NODE_TITLE_CHARS: usize = 48;

/// The node id of the `index`-th item of the issue plan in [`issue_graph`].
pub fn issue_node_id(index: usize) -> String {
    format!("i{index}")
}

/// The issue plan as a flowchart: one node per item (`id: title`) and an edge
/// from each dependency to the item that needs it. Dependencies naming no
/// item are left out (the contract's semantic checks refuse them in a valid
/// pack anyway).
pub fn issue_graph(pack: &ArchitecturePack) -> String {
    let plan = &pack.implementation.github_issue_plan;
    let ids: BTreeMap<&str, String> = plan
        .iter()
        .enumerate()
        .map(|(i, item)| (item.id.as_str(), issue_node_id(i)))
        .collect();
    let mut out = String::from("flowchart LR\n");
    for (i, item) in plan.iter().enumerate() {
        let title: String = item.title.chars().take(MAX_NODE_TITLE_CHARS).collect();
        let ellipsis = if item.title.chars().count() > MAX_NODE_TITLE_CHARS {
            "…"
        } else {
            ""
        };
        out.push_str(&format!(
            "    {}[\"{}: {}{ellipsis}\"]\n",
            issue_node_id(i),
            label(&item.id),
            label(&title)
        ));
    }
    for (i, item) in plan.iter().enumerate() {
        for dependency in &item.depends_on {
            if let Some(from) = ids.get(dependency.as_str()) {
                out.push_str(&format!("    {from} --> {}\n", issue_node_id(i)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ArchitecturePack {
        let text = include_str!("../../../samples/architecture_pack.sample.json");
        serde_json::from_str(text).expect("the sample pack reads")
    }

    #[test]
    fn labels_escape_what_breaks_mermaid() {
        assert_eq!(
            label("A \"quoted\" <b>#1</b> | `x`"),
            "A #quot;quoted#quot; #lt;b#gt;#35;1#lt;/b#gt; #124; #96;x#96;"
        );
    }

    #[test]
    fn the_issue_graph_has_a_node_per_item_and_an_edge_per_dependency() {
        let pack = sample();
        let graph = issue_graph(&pack);
        let plan = &pack.implementation.github_issue_plan;
        let nodes = graph.lines().filter(|l| l.contains("[\"")).count();
        assert_eq!(nodes, plan.len());
        let dependencies: usize = plan.iter().map(|i| i.depends_on.len()).sum();
        assert_eq!(graph.matches(" --> ").count(), dependencies);
        for item in plan {
            assert!(graph.contains(&label(&item.id)), "{} missing", item.id);
        }
    }

    #[test]
    fn long_titles_are_cut_with_an_ellipsis() {
        let mut pack = sample();
        let long = "word ".repeat(30);
        pack.implementation.github_issue_plan[0].title =
            pass_contracts::Text::new(long.trim()).expect("non-empty");
        let graph = issue_graph(&pack);
        let first = graph.lines().nth(1).expect("a node line");
        assert!(first.ends_with("…\"]"), "{first}");
        assert!(first.chars().count() < 48 + 40, "{first}");
    }
}
