//! User stories and acceptance criteria as PRDs write them: "As a … I want …
//! so that …", Given / When / Then lines, and "Acceptance:" labels.

use super::text::lower_first;

/// Whether a line is one step of a Given / When / Then criterion.
pub fn is_gwt(text: &str) -> bool {
    let l = text.trim_start_matches(['*', '_', '-', ' ']).to_lowercase();
    ["given ", "when ", "then ", "and ", "but "]
        .iter()
        .any(|k| l.starts_with(k))
        && !l.starts_with("and more")
}

/// The criterion after an "Acceptance:" / "AC:" label.
pub fn acceptance_label(text: &str) -> Option<&str> {
    let lower = text.to_lowercase();
    for label in [
        "acceptance criteria:",
        "acceptance criteria -",
        "acceptance:",
        "ac:",
        "done when:",
        "definition of done:",
    ] {
        if lower.starts_with(label) {
            let rest = text.get(label.len()..)?.trim();
            if !rest.is_empty() {
                return Some(rest);
            }
        }
    }
    None
}

/// "As a" or "As an", by the actor's first sound (as far as letters tell).
pub fn article(actor: &str) -> &'static str {
    match actor.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "As an",
        _ => "As a",
    }
}

/// A story sentence from its parts (table columns or a story block).
pub fn story_text(role: &str, want: &str, benefit: Option<&str>) -> String {
    let role = role
        .trim()
        .trim_start_matches("As an ")
        .trim_start_matches("As a ")
        .trim();
    let want = want.trim();
    let want = want
        .strip_prefix("I want to ")
        .map(|w| format!("to {w}"))
        .unwrap_or_else(|| want.trim_start_matches("I want").trim().to_owned());
    let mut text = format!("{} {role}, I want {}", article(role), lower_first(&want));
    if let Some(goal) = benefit.map(str::trim).filter(|g| !g.is_empty()) {
        let goal = goal
            .strip_prefix("so that")
            .or_else(|| goal.strip_prefix("So that"))
            .unwrap_or(goal)
            .trim();
        text.push_str(&format!(", so that {goal}"));
    }
    text
}

/// The actor of a story sentence ("As a clinic owner, I want …" → "Clinic owner").
pub fn story_actor(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let start = ["as an ", "as a ", "as the "]
        .iter()
        .find(|p| lower.starts_with(*p))?
        .len();
    let rest = text.get(start..)?;
    let end = rest
        .find([',', '|', '.', ';'])
        .or_else(|| rest.to_lowercase().find(" i "))
        .unwrap_or(rest.len());
    let actor = rest[..end].trim();
    (!actor.is_empty() && actor.split_whitespace().count() <= 5)
        .then(|| super::text::sentence_case(actor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stories_and_criteria() {
        assert!(is_gwt("Given a free slot"));
        assert!(is_gwt("When the patient books"));
        assert!(!is_gwt("Whenever possible"));
        assert_eq!(
            acceptance_label("Acceptance: totals match"),
            Some("totals match")
        );
        assert_eq!(
            story_text("housemate", "to log what I take", Some("others know")),
            "As a housemate, I want to log what I take, so that others know"
        );
        assert_eq!(
            story_actor("As an editor, I want to publish"),
            Some("Editor".to_owned())
        );
    }
}
