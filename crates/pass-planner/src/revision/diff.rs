//! What a revision changed against the previous one: the `plan_diff`
//! artifact and the summary's "Changes since revision N" section.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pass_contracts::plan_diff::{ChangedEntry, DiffEntry, ListDiff};
use pass_contracts::{ArchitecturePack, PlanDiff, Text};

/// A list's entries by id, and the ids in list order.
type Entries = (BTreeMap<String, Entry>, Vec<String>);

/// One entry of a list as the diff sees it: id, title and named fields.
struct Entry {
    title: String,
    fields: Vec<(&'static str, String)>,
}

fn list_diff(
    old: &BTreeMap<String, Entry>,
    new: &BTreeMap<String, Entry>,
    order: &[String],
) -> ListDiff {
    let mut diff = ListDiff::default();
    let text =
        |s: &str| Text::new(s).unwrap_or_else(|_| Text::new("(untitled)").expect("non-empty"));
    for id in order {
        let Some(entry) = new.get(id) else { continue };
        match old.get(id) {
            None => diff.added.push(DiffEntry {
                id: text(id),
                title: text(&entry.title),
                because: None,
            }),
            Some(before) => {
                let fields: Vec<Text> = entry
                    .fields
                    .iter()
                    .zip(&before.fields)
                    .filter(|(now, then)| now.1 != then.1)
                    .map(|(now, _)| text(now.0))
                    .collect();
                if fields.is_empty() {
                    diff.unchanged += 1;
                } else {
                    diff.changed.push(ChangedEntry {
                        id: text(id),
                        title: text(&entry.title),
                        fields,
                        because: None,
                    });
                }
            }
        }
    }
    for (id, entry) in old {
        if !new.contains_key(id) {
            diff.removed.push(DiffEntry {
                id: text(id),
                title: text(&entry.title),
                because: None,
            });
        }
    }
    diff
}

fn joined(list: &[Text]) -> String {
    list.iter().map(Text::as_str).collect::<Vec<_>>().join("\n")
}

fn requirements(pack: &ArchitecturePack) -> Entries {
    let mut map = BTreeMap::new();
    let mut order = Vec::new();
    for r in &pack.requirements {
        order.push(r.id.to_string());
        map.insert(
            r.id.to_string(),
            Entry {
                title: r.text.to_string(),
                fields: vec![
                    ("text", r.text.to_string()),
                    ("priority", format!("{:?}", r.priority)),
                    ("acceptance_criteria", joined(&r.acceptance_criteria)),
                ],
            },
        );
    }
    (map, order)
}

fn components(pack: &ArchitecturePack) -> Entries {
    let mut map = BTreeMap::new();
    let mut order = Vec::new();
    for c in pack.architecture.components.iter() {
        order.push(c.name.to_string());
        map.insert(
            c.name.to_string(),
            Entry {
                title: c.name.to_string(),
                fields: vec![("type", format!("{:?}", c.kind))],
            },
        );
    }
    (map, order)
}

fn plan_items(pack: &ArchitecturePack) -> Entries {
    let mut map = BTreeMap::new();
    let mut order = Vec::new();
    for item in &pack.implementation.github_issue_plan {
        order.push(item.id.to_string());
        map.insert(
            item.id.to_string(),
            Entry {
                title: item.title.to_string(),
                fields: vec![
                    ("title", item.title.to_string()),
                    ("summary", item.summary.to_string()),
                    ("body", item.body.to_string()),
                    ("labels", joined(&item.labels)),
                    ("depends_on", joined(&item.depends_on)),
                    ("acceptance_criteria", joined(&item.acceptance_criteria)),
                ],
            },
        );
    }
    (map, order)
}

/// The three lists of `new` compared with `old`.
pub fn lists(old: &ArchitecturePack, new: &ArchitecturePack) -> (ListDiff, ListDiff, ListDiff) {
    let diff = |f: fn(&ArchitecturePack) -> Entries| {
        let (before, _) = f(old);
        let (after, order) = f(new);
        list_diff(&before, &after, &order)
    };
    let mut components = diff(components);
    pair_renamed_components(&mut components, old, new);
    (diff(requirements), components, diff(plan_items))
}

/// Components are known by name, so a renamed one (`Database (PostgreSQL)`
/// → `Database (SQLite)`) would read as one removed and one added: a removed
/// and an added component of the same type are the same one, renamed.
fn pair_renamed_components(list: &mut ListDiff, old: &ArchitecturePack, new: &ArchitecturePack) {
    let kind_in = |pack: &ArchitecturePack, name: &str| {
        pack.architecture
            .components
            .iter()
            .find(|c| c.name.as_str() == name)
            .map(|c| c.kind)
    };
    let mut paired = Vec::new();
    for added in &list.added {
        let kind = kind_in(new, &added.id);
        if let Some(position) = list
            .removed
            .iter()
            .position(|removed| kind.is_some() && kind_in(old, &removed.id) == kind)
        {
            let removed = list.removed.remove(position);
            paired.push((removed, added.clone()));
        }
    }
    for (removed, added) in paired {
        list.added.retain(|a| a.id != added.id);
        let text = |s: String| Text::new(s).unwrap_or_else(|_| added.id.clone());
        list.changed.push(ChangedEntry {
            id: added.id.clone(),
            title: text(format!("{} (was {})", added.id, removed.id)),
            fields: vec![text("name".to_owned())],
            because: added.because.clone().or(removed.because),
        });
    }
}

/// The summary's section about the diff.
pub fn markdown(diff: &PlanDiff) -> String {
    let mut out = format!("\n## Changes since revision {}\n\n", diff.previous_revision);
    for reason in &diff.reasons {
        let _ = writeln!(out, "Re-planned for: {}", one_line(reason));
    }
    if !diff.reasons.is_empty() {
        out.push('\n');
    }
    for line in &diff.not_applied {
        let _ = writeln!(out, "- not applied: {}", one_line(line));
    }
    if !diff.not_applied.is_empty() {
        out.push('\n');
    }
    if diff.is_empty() {
        out.push_str("Nothing changed: requirements, components and plan items are as in the previous revision.\n");
        return out;
    }
    for (name, list) in [
        ("Requirements", &diff.requirements),
        ("Components", &diff.components),
        ("Plan items", &diff.plan_items),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "**{name}:** {} added, {} changed, {} removed, {} unchanged\n",
            list.added.len(),
            list.changed.len(),
            list.removed.len(),
            list.unchanged
        );
        for entry in &list.added {
            let _ = writeln!(
                out,
                "- added `{}` {}{}",
                entry.id,
                one_line(&entry.title),
                because(&entry.because)
            );
        }
        for entry in &list.changed {
            let fields: Vec<&str> = entry.fields.iter().map(Text::as_str).collect();
            let _ = writeln!(
                out,
                "- changed `{}` {} ({}){}",
                entry.id,
                one_line(&entry.title),
                fields.join(", "),
                because(&entry.because)
            );
        }
        for entry in &list.removed {
            let _ = writeln!(
                out,
                "- removed `{}` {}{}",
                entry.id,
                one_line(&entry.title),
                because(&entry.because)
            );
        }
        out.push('\n');
    }
    out
}

fn because(reason: &Option<Text>) -> String {
    reason
        .as_ref()
        .map(|r| format!(" — for \"{}\"", one_line(r)))
        .unwrap_or_default()
}

fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 100 {
        let cut: String = flat.chars().take(99).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// Records a refinement's reasons in the diff, and which reason changed
/// each entry.
pub fn attribute(diff: &mut PlanDiff, notes: &crate::refine::RefineNotes) {
    let text = |s: &str| Text::new(s).ok();
    diff.reasons = notes.reasons.iter().filter_map(|r| text(r)).collect();
    diff.not_applied = notes.not_applied.iter().filter_map(|r| text(r)).collect();
    for (name, list) in [
        ("requirements", &mut diff.requirements),
        ("components", &mut diff.components),
        ("plan_items", &mut diff.plan_items),
    ] {
        let reason = |id: &str| {
            notes
                .because
                .get(id)
                .or_else(|| notes.list_reasons.get(name))
                .and_then(|r| text(r))
        };
        for entry in list.added.iter_mut().chain(list.removed.iter_mut()) {
            entry.because = reason(entry.id.as_str());
        }
        for entry in &mut list.changed {
            entry.because = reason(entry.id.as_str());
        }
    }
}
