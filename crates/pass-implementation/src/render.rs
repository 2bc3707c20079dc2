//! What a plan item's issue says: the text PASS writes today, and the text
//! the seed's sync wrote, which is what a seed-era issue is compared with to
//! tell whether a person edited it.

use std::collections::{BTreeSet, HashMap, HashSet};

use pass_contracts::pack::IssuePlanItem;

/// How a dependency is written into a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyRef {
    /// The dependency has an issue: `#12`.
    Issue(u64),
    /// Its issue is created by this sync, before this one is written.
    ToCreate(String),
    /// Not an issue (its creation failed, or its id cannot be synced).
    Pending(String),
}

/// What an item's issue should look like, before the marker block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub title: String,
    /// The text above the marker block.
    pub content: String,
    /// Trimmed, without duplicates (ignoring case), sorted.
    pub labels: Vec<String>,
}

/// The text above the marker block: summary, body, acceptance criteria and
/// the `Depends on #…` line GitHub turns into links.
pub fn render_content(item: &IssuePlanItem, dependencies: &[DependencyRef]) -> String {
    let mut out = String::new();
    let summary = item.summary.trim();
    let body = item.body.trim();
    // A body that already states the summary or the criteria (the planner's
    // bodies are self-contained) is not repeated around.
    if !body.contains(summary) {
        out.push_str(summary);
        out.push_str("\n\n");
    }
    out.push_str(body);
    let criteria_in_body = item
        .acceptance_criteria
        .iter()
        .all(|criterion| body.contains(criterion.trim()));
    if !criteria_in_body {
        out.push_str("\n\n## Acceptance criteria\n");
        for criterion in &item.acceptance_criteria {
            out.push_str("\n- [ ] ");
            out.push_str(criterion.trim());
        }
    }
    if !dependencies.is_empty() {
        let refs: Vec<String> = dependencies
            .iter()
            .map(|dependency| match dependency {
                DependencyRef::Issue(number) => format!("#{number}"),
                DependencyRef::ToCreate(id) => format!("plan item `{id}` (issue to be created)"),
                DependencyRef::Pending(id) => format!("plan item `{id}` (no issue yet)"),
            })
            .collect();
        out.push_str("\n\nDepends on ");
        out.push_str(&refs.join(", "));
    }
    out
}

/// The text above the marker block as the seed's sync wrote it: the body,
/// a summary section and the criteria as a plain list (`- None` without any).
pub fn render_seed_content(item: &IssuePlanItem) -> String {
    let acceptance = if item.acceptance_criteria.is_empty() {
        "- None".to_owned()
    } else {
        item.acceptance_criteria
            .iter()
            .map(|criterion| format!("- {}", criterion.as_str()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "{}\n\n## Summary\n{}\n\n## Acceptance Criteria\n{acceptance}",
        item.body.as_str(),
        item.summary.as_str()
    )
}

/// The id a plan item is known by in markers, lookups and reports. The
/// marker line is written and read trimmed, so every comparison must be too,
/// or an id like `" I-1"` never finds its own issue again.
pub fn item_key(id: &str) -> &str {
    id.trim()
}

/// Why each item (same index as `items`) cannot be synced, if it cannot.
/// An id must survive the round trip through its marker line, and must stay
/// unique once trimmed, or the sync would create an issue it can never adopt.
pub fn id_problems(items: &[IssuePlanItem]) -> Vec<Option<String>> {
    let mut seen = HashSet::new();
    items
        .iter()
        .map(|item| {
            let key = item_key(&item.id);
            if key.chars().any(char::is_control) {
                Some(format!(
                    "plan item id {:?} contains a line break or another control character, which the issue's marker line cannot carry; not synced (rename the item)",
                    item.id.as_str()
                ))
            } else if !seen.insert(key) {
                Some(format!(
                    "plan item id {:?} is the same as an earlier item's once surrounding white space is ignored; not synced (ids must differ)",
                    item.id.as_str()
                ))
            } else {
                None
            }
        })
        .collect()
}

/// Issue numbers known so far, and the items whose issues this sync creates.
#[derive(Debug, Clone, Default)]
pub struct Numbers {
    pub known: HashMap<String, u64>,
    pub to_create: HashSet<String>,
}

/// The issue `item` should be, given the issue numbers known so far.
pub fn desired(item: &IssuePlanItem, numbers: &Numbers) -> Desired {
    let dependencies: Vec<DependencyRef> = item
        .depends_on
        .iter()
        .map(|id| {
            let id = item_key(id);
            match numbers.known.get(id) {
                Some(number) => DependencyRef::Issue(*number),
                None if numbers.to_create.contains(id) => DependencyRef::ToCreate(id.to_owned()),
                None => DependencyRef::Pending(id.to_owned()),
            }
        })
        .collect();
    Desired {
        title: item.title.trim().to_owned(),
        content: render_content(item, &dependencies),
        labels: normalise_labels(item.labels.iter().map(|l| l.as_str())),
    }
}

/// Labels trimmed, blank ones dropped, one of each regardless of case, sorted.
pub fn normalise_labels<'a>(labels: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out: Vec<String> = labels
        .into_iter()
        .map(str::trim)
        .filter(|l| !l.is_empty() && seen.insert(l.to_lowercase()))
        .map(str::to_owned)
        .collect();
    out.sort();
    out
}

/// Labels as a case-insensitive set.
pub fn label_set<S: AsRef<str>>(labels: &[S]) -> BTreeSet<String> {
    labels
        .iter()
        .map(|l| l.as_ref().trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use pass_contracts::Text;

    use super::*;

    fn item(id: &str, depends_on: &[&str]) -> IssuePlanItem {
        IssuePlanItem {
            id: Text::new(id).unwrap(),
            title: Text::new(format!(" Title {id} ")).unwrap(),
            summary: Text::new("Summary").unwrap(),
            body: Text::new("Body").unwrap(),
            labels: vec![
                Text::new("b").unwrap(),
                Text::new("a").unwrap(),
                Text::new("A").unwrap(),
            ],
            depends_on: depends_on.iter().map(|d| Text::new(*d).unwrap()).collect(),
            acceptance_criteria: vec![Text::new("works").unwrap()],
        }
    }

    #[test]
    fn a_self_contained_body_is_not_repeated_around() {
        let mut planned = item("b", &[]);
        planned.body = Text::new("Summary\n\nDetails.\n\n- [ ] works").unwrap();
        assert_eq!(
            render_content(&planned, &[]),
            "Summary\n\nDetails.\n\n- [ ] works"
        );
    }

    #[test]
    fn dependencies_are_issue_references_or_say_why_not() {
        let numbers = Numbers {
            known: HashMap::from([("a".to_owned(), 12)]),
            to_create: HashSet::from(["c".to_owned()]),
        };
        let want = desired(&item("b", &["a", " c", "d"]), &numbers);
        assert_eq!(want.title, "Title b");
        assert_eq!(want.labels, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(
            want.content,
            "Summary\n\nBody\n\n## Acceptance criteria\n\n- [ ] works\n\nDepends on #12, plan item `c` (issue to be created), plan item `d` (no issue yet)"
        );
    }

    #[test]
    fn the_seed_layout_is_reproduced() {
        let planned = item("x", &[]);
        assert_eq!(
            render_seed_content(&planned),
            "Body\n\n## Summary\nSummary\n\n## Acceptance Criteria\n- works"
        );
        let mut bare = planned;
        bare.acceptance_criteria.clear();
        assert!(render_seed_content(&bare).ends_with("## Acceptance Criteria\n- None"));
    }

    #[test]
    fn ids_a_marker_cannot_carry_or_that_collide_once_trimmed_are_refused() {
        let items = [item("a\nb", &[]), item("c", &[]), item(" c", &[])];
        let problems = id_problems(&items);
        assert!(problems[0].as_deref().unwrap().contains("line break"));
        assert_eq!(problems[1], None);
        assert!(problems[2].as_deref().unwrap().contains("earlier item"));
    }
}
