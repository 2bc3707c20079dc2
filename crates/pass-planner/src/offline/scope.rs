//! What a PRD section is for, judged from its heading path: features and
//! requirements to plan, or context (background, personas, competition,
//! monetisation, appendix…), assumptions, constraints, dependencies, risks,
//! non-goals and future ideas, which never become requirements.

use super::ids::priority_label;
use super::text::strip_numbering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Features, requirements, stories, scope, MVP, roadmap phases.
    Features,
    /// Non-functional requirements: they shape the NFRs and architecture.
    Quality,
    /// Technical architecture, stack, data model, APIs, file layout.
    Technical,
    /// An ordering of the work: a dependency chain, build order.
    Order,
    /// Flows and journeys.
    Flows,
    Assumptions,
    Constraints,
    Dependencies,
    Risks,
    NonGoals,
    Future,
    Questions,
    /// Background, goals, metrics, personas, market, competition, money,
    /// appendix, glossary, governance: read for the summary at most.
    Context,
    /// Nothing the heading path says.
    Unknown,
}

impl Role {
    /// Items in sections of this role are never requirements.
    pub fn excludes_requirements(self) -> bool {
        matches!(
            self,
            Role::Assumptions
                | Role::Constraints
                | Role::Dependencies
                | Role::Risks
                | Role::NonGoals
                | Role::Future
                | Role::Questions
                | Role::Context
                | Role::Order
        )
    }

    /// Mentions here are not integrations, stack or entities of the product.
    pub fn is_passing_mention(self) -> bool {
        matches!(
            self,
            Role::NonGoals | Role::Future | Role::Context | Role::Risks | Role::Questions
        )
    }
}

/// Patterns checked in order; the first that a heading contains decides.
const PATTERNS: &[(&str, Role)] = &[
    ("non-goal", Role::NonGoals),
    ("non goal", Role::NonGoals),
    ("nongoal", Role::NonGoals),
    ("out of scope", Role::NonGoals),
    ("out-of-scope", Role::NonGoals),
    ("not in scope", Role::NonGoals),
    ("won't", Role::NonGoals),
    ("wont have", Role::NonGoals),
    ("exclusion", Role::NonGoals),
    ("what we are not", Role::NonGoals),
    ("anti-goal", Role::NonGoals),
    ("dependency chain", Role::Order),
    ("logical dependency", Role::Order),
    ("build order", Role::Order),
    ("implementation order", Role::Order),
    ("development order", Role::Order),
    ("future", Role::Future),
    ("post-mvp", Role::Future),
    ("post mvp", Role::Future),
    ("later version", Role::Future),
    ("next version", Role::Future),
    ("beyond", Role::Future),
    ("backlog idea", Role::Future),
    ("wishlist", Role::Future),
    ("user stor", Role::Features),
    ("job stories", Role::Features),
    ("stories", Role::Features),
    ("use case", Role::Features),
    ("functional requirement", Role::Features),
    ("non-functional", Role::Quality),
    ("nonfunctional", Role::Quality),
    ("non functional", Role::Quality),
    ("performance", Role::Quality),
    ("security", Role::Quality),
    ("privacy", Role::Quality),
    ("reliability", Role::Quality),
    ("scalability", Role::Quality),
    ("availability", Role::Quality),
    ("accessibility", Role::Quality),
    ("compliance", Role::Quality),
    ("maintainability", Role::Quality),
    ("quality attribute", Role::Quality),
    ("observability", Role::Quality),
    ("technical", Role::Technical),
    ("architecture", Role::Technical),
    ("tech stack", Role::Technical),
    ("technology", Role::Technical),
    ("stack", Role::Technical),
    ("data model", Role::Technical),
    ("schema", Role::Technical),
    ("api design", Role::Technical),
    ("api endpoint", Role::Technical),
    ("endpoints", Role::Technical),
    ("infrastructure", Role::Technical),
    ("deployment", Role::Technical),
    ("file structure", Role::Technical),
    ("folder structure", Role::Technical),
    ("project structure", Role::Technical),
    ("system component", Role::Technical),
    ("integration point", Role::Technical),
    ("user flow", Role::Flows),
    ("user journey", Role::Flows),
    ("workflow", Role::Flows),
    ("flow", Role::Flows),
    ("journey", Role::Flows),
    ("user experience", Role::Flows),
    ("how it works", Role::Flows),
    ("scenario", Role::Flows),
    ("feature", Role::Features),
    ("functionalit", Role::Features),
    ("capabilit", Role::Features),
    ("requirement", Role::Features),
    ("epic", Role::Features),
    ("mvp", Role::Features),
    ("scope", Role::Features),
    ("roadmap", Role::Features),
    ("phase", Role::Features),
    ("milestone", Role::Features),
    ("release plan", Role::Features),
    ("what it does", Role::Features),
    ("acceptance criteria", Role::Features),
    ("specification", Role::Features),
    ("wymagania", Role::Features),
    ("funkcj", Role::Features),
    ("exigences", Role::Features),
    ("fonctionnalit", Role::Features),
    ("anforderung", Role::Features),
    ("funktionen", Role::Features),
    ("requisitos", Role::Features),
    ("funcionalidad", Role::Features),
    ("implementation", Role::Technical),
    ("assumption", Role::Assumptions),
    ("założenia", Role::Assumptions),
    ("hypoth", Role::Assumptions),
    ("constraint", Role::Constraints),
    ("limitation", Role::Constraints),
    ("ograniczenia", Role::Constraints),
    ("dependenc", Role::Dependencies),
    ("prerequisite", Role::Dependencies),
    ("risk", Role::Risks),
    ("mitigation", Role::Risks),
    ("ryzyk", Role::Risks),
    ("open question", Role::Questions),
    ("questions", Role::Questions),
    ("unknowns", Role::Questions),
    ("unresolved", Role::Questions),
    ("to be decided", Role::Questions),
    ("appendix", Role::Context),
    ("glossary", Role::Context),
    ("reference", Role::Context),
    ("persona", Role::Context),
    ("target user", Role::Context),
    ("target audience", Role::Context),
    ("stakeholder", Role::Context),
    ("competit", Role::Context),
    ("market", Role::Context),
    ("monetis", Role::Context),
    ("monetiz", Role::Context),
    ("pricing", Role::Context),
    ("business model", Role::Context),
    ("revenue", Role::Context),
    ("go-to-market", Role::Context),
    ("success metric", Role::Context),
    ("metrics", Role::Context),
    ("kpi", Role::Context),
    ("goal", Role::Context),
    ("objective", Role::Context),
    ("vision", Role::Context),
    ("background", Role::Context),
    ("problem", Role::Context),
    ("overview", Role::Context),
    ("summary", Role::Context),
    ("introduction", Role::Context),
    ("purpose", Role::Context),
    ("motivation", Role::Context),
    ("governance", Role::Context),
    ("timeline", Role::Context),
    ("budget", Role::Context),
    ("team", Role::Context),
    ("revision", Role::Context),
    ("changelog", Role::Context),
    ("change log", Role::Context),
    ("document history", Role::Context),
    ("table of contents", Role::Context),
    ("approval", Role::Context),
    ("sign-off", Role::Context),
    ("research", Role::Context),
    ("why ", Role::Context),
];

/// The role one heading names, if any (priority headings name none).
pub fn heading_role(heading: &str) -> Option<Role> {
    let h = strip_numbering(heading).to_lowercase();
    if priority_label(&h).is_some_and(|p| p.is_ok()) && h.split_whitespace().count() <= 4 {
        return None;
    }
    let words: Vec<&str> = h
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    PATTERNS
        .iter()
        .find(|(pattern, _)| {
            if pattern.ends_with(' ') {
                h.starts_with(pattern)
            } else if pattern.len() <= 4 {
                // Short patterns match whole words (or their plural) only.
                words
                    .iter()
                    .any(|w| *w == *pattern || w.strip_suffix('s') == Some(pattern))
            } else {
                h.contains(pattern)
            }
        })
        .map(|(_, role)| *role)
}

/// The role of a unit under `path` (outermost first). The innermost heading
/// that names a role decides, but an appendix, a non-goal or a future list
/// anywhere above wins. `title` is the document's title, which says nothing
/// about sections.
pub fn role_of(path: &[String], title: Option<&str>) -> Role {
    let roles: Vec<Role> = path
        .iter()
        .filter(|h| title != Some(h.as_str()))
        .filter_map(|h| heading_role(h))
        .collect();
    if let Some(dominant) = roles
        .iter()
        .find(|r| matches!(r, Role::NonGoals | Role::Future))
    {
        return *dominant;
    }
    if path.iter().any(|h| {
        let h = h.to_lowercase();
        h.contains("appendix") || h.contains("glossary")
    }) {
        return Role::Context;
    }
    roles.last().copied().unwrap_or(Role::Unknown)
}

/// [`role_of`] for every line of `doc`, computed once per distinct heading
/// path (lines under one heading share theirs), so a PRD of thousands of
/// items does not re-read its headings for each.
pub fn line_roles(doc: &super::document::Doc, title: Option<&str>) -> Vec<Role> {
    let mut known: std::collections::HashMap<*const Vec<String>, Role> =
        std::collections::HashMap::new();
    doc.lines
        .iter()
        .map(|l| {
            *known
                .entry(std::rc::Rc::as_ptr(&l.path))
                .or_insert_with(|| role_of(&l.path, title))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(path: &[&str]) -> Role {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        role_of(&path, Some("Acme"))
    }

    #[test]
    fn headings_say_what_a_section_is_for() {
        assert_eq!(role(&["Acme", "Core Features", "2. Board"]), Role::Features);
        assert_eq!(
            role(&["Functional Requirements", "Must Have"]),
            Role::Features
        );
        assert_eq!(
            role(&["Non-Functional Requirements", "Security"]),
            Role::Quality
        );
        assert_eq!(role(&["Requirements", "Out of Scope"]), Role::NonGoals);
        assert_eq!(role(&["Appendix", "Feature table"]), Role::Context);
        assert_eq!(role(&["Assumptions"]), Role::Assumptions);
        assert_eq!(role(&["Logical Dependency Chain"]), Role::Order);
        assert_eq!(role(&["Monetisation"]), Role::Context);
        assert_eq!(role(&["Competitive Landscape"]), Role::Context);
        assert_eq!(role(&["Future Enhancements", "Sharing"]), Role::Future);
        assert_eq!(role(&["User Stories"]), Role::Features);
        assert_eq!(
            role(&["Development Roadmap", "Phase 1: MVP"]),
            Role::Features
        );
        assert_eq!(role(&["Acme"]), Role::Unknown);
    }
}
